//! Graph-layer benchmark: `pagegraph` against SQLite tables (`rusqlite`, bundled), on the same
//! generated graph (fixed seed), in the same run, alternating engines run by run, reporting
//! medians and ratios.
//!
//! The graph: `N` nodes in 20 kinds, named `{prefix}_{i}` over 16 prefixes, with about 25
//! bytes of JSON data each; `5 N` edges between uniformly random nodes, in 8 types, with about
//! 10 bytes of JSON data each.
//!
//! SQLite is set up as the graph-layer issue asks: `nodes(id, kind, name, data)` and
//! `edges(id, src, dst, type, data)` with indexes on `edges(src)`, `edges(dst)`, `nodes(kind)`
//! and `nodes(name)`, WAL mode, `synchronous=NORMAL`, loaded in one transaction with prepared
//! statements; the indexes are built after the rows, in the same transaction (SQLite's fastest
//! way to bulk load). pagegraph uses `Durability::Normal` (the same promise) and its batch
//! API, one transaction.
//!
//! Every query returns the same thing on both sides: a node read decodes the JSON data into a
//! `serde_json::Value` and the kind and name into `String`s; neighbor queries collect
//! `(edge id, node id)` pairs; index queries collect node ids. "Warm" means after a pass over
//! the same probes, with both engines given `PAGE_MEMORY_BYTES` of page cache, enough to hold
//! either database: no read touches the disk, but a random probe over the whole graph still
//! misses the CPU caches on most pages it reads. "Hot" rows probe a working set that the CPU
//! caches can hold: the `HOT_WINDOW` consecutive node ids from the middle of the graph (as an
//! application working on recent or related nodes does). The run also times a dependent
//! random load over `CHASE_BYTES` of memory, the floor under any random probe on this
//! machine, and the three dependent loads of a leaf read (header, slot, cell) in random pages
//! out of `LEAF_BYTES`, the floor under a random lookup in a slotted-page tree, to read the
//! warm rows against.
//!
//! Usage: `cargo run --release -p pagegraph-bench --bin graph-bench -- [N] [RUNS]`
//! (defaults 1000000 and 3). `BENCH_DIR` picks the directory for the files;
//! `BENCH_ONLY=pagegraph` (or `sqlite`) runs one engine, for profiling.

#![allow(
    clippy::cast_precision_loss,
    reason = "byte counts and rates are only printed, to a few digits"
)]

mod measure;
use measure::median;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use pagegraph::{Direction, Durability, EdgeSpec, Graph, NodeId, NodeSpec, Options};
use rusqlite::{Connection, params};
use serde_json::{Value, json};

const PAGE_MEMORY_BYTES: usize = 2 << 30;
const KINDS: u64 = 20;
const TYPES: u64 = 8;
const PREFIXES: [&str; 16] = [
    "process_data",
    "parse_input",
    "render_page",
    "load_config",
    "send_message",
    "read_file",
    "write_file",
    "open_socket",
    "close_socket",
    "handle_error",
    "compute_hash",
    "validate_user",
    "update_cache",
    "flush_buffer",
    "schedule_task",
    "spawn_worker",
];
const PROBES: usize = 1_000_000;
const NEIGHBOR_PROBES: usize = 200_000;
const INDEX_REPEATS: usize = 20;
/// Consecutive node ids the hot rows probe.
const HOT_WINDOW: u64 = 10_000;
/// Memory the latency baseline chases pointers through.
const CHASE_BYTES: usize = 512 << 20;
/// Memory the leaf baseline reads pages from: about the node tree's leaves at 1M nodes
/// (14,400 pages of 4 KiB, 56 MiB), more than the CPU caches hold.
const LEAF_BYTES: usize = 64 << 20;

/// The generated graph, shared by both engines.
struct Workload {
    nodes: u64,
    edges: Vec<(u64, u64, u64)>,
    /// Random node ids for point reads.
    probes: Vec<u64>,
    /// Random nodes for neighbor queries.
    neighbor_probes: Vec<u64>,
    /// Random nodes with exactly 10 outgoing edges.
    degree10: Vec<u64>,
    /// Random node ids in the hot window.
    hot_probes: Vec<u64>,
    /// Random nodes with exactly 10 outgoing edges in the hot window.
    hot_degree10: Vec<u64>,
    /// Expected result sizes, for checking both engines.
    kind_count: usize,
    prefix_count: usize,
}

impl Workload {
    /// The nodes to load, built before the clock starts.
    fn node_specs(&self) -> Vec<NodeSpec> {
        (1..=self.nodes)
            .map(|i| NodeSpec {
                kind: kind(i),
                name: name(i),
                data: node_data(i),
            })
            .collect()
    }

    /// The edges to load, built before the clock starts.
    fn edge_specs(&self) -> Vec<EdgeSpec> {
        (0..)
            .zip(&self.edges)
            .map(|(j, &(from, to, ty))| EdgeSpec {
                from: NodeId(from),
                to: NodeId(to),
                edge_type: edge_type(ty),
                data: edge_data(j),
            })
            .collect()
    }
}

fn kind(i: u64) -> String {
    format!("kind_{}", i % KINDS)
}

fn name(i: u64) -> String {
    format!("{}_{i}", PREFIXES[(i % 16) as usize])
}

fn node_data(i: u64) -> Value {
    json!({"i": i, "score": (i * 7919) % 1000})
}

fn edge_type(t: u64) -> String {
    format!("T{t}")
}

fn edge_data(j: u64) -> Value {
    json!({"w": j % 100})
}

/// The kind and the name prefix queried by the index workloads.
const QUERY_KIND: &str = "kind_3";
const QUERY_PREFIX: &str = "process_data_1";

impl Workload {
    fn new(nodes: u64) -> Workload {
        let mut rng = fastrand::Rng::with_seed(42);
        let edges: Vec<(u64, u64, u64)> = (0..nodes * 5)
            .map(|j| (rng.u64(1..=nodes), rng.u64(1..=nodes), j % TYPES))
            .collect();
        let mut out_degree = vec![0u32; nodes as usize + 1];
        for &(from, _, _) in &edges {
            out_degree[from as usize] += 1;
        }
        let tens: Vec<u64> = (1..=nodes)
            .filter(|&i| out_degree[i as usize] == 10)
            .collect();
        let degree10 = (0..NEIGHBOR_PROBES)
            .map(|_| tens[rng.usize(..tens.len())])
            .collect();
        let window = (nodes / 2).max(1)..(nodes / 2 + HOT_WINDOW).min(nodes + 1);
        let hot_tens: Vec<u64> = tens
            .iter()
            .copied()
            .filter(|i| window.contains(i))
            .collect();
        let hot_degree10 = if hot_tens.is_empty() {
            Vec::new()
        } else {
            (0..NEIGHBOR_PROBES)
                .map(|_| hot_tens[rng.usize(..hot_tens.len())])
                .collect()
        };
        Workload {
            hot_probes: (0..PROBES).map(|_| rng.u64(window.clone())).collect(),
            hot_degree10,
            nodes,
            probes: (0..PROBES).map(|_| rng.u64(1..=nodes)).collect(),
            neighbor_probes: (0..NEIGHBOR_PROBES).map(|_| rng.u64(1..=nodes)).collect(),
            degree10,
            kind_count: (1..=nodes).filter(|&i| kind(i) == QUERY_KIND).count(),
            prefix_count: (1..=nodes)
                .filter(|&i| name(i).starts_with(QUERY_PREFIX))
                .count(),
            edges,
        }
    }
}

/// Timings of one run of every workload for one engine.
#[derive(Default, Clone)]
struct Run {
    load_nodes: Duration,
    load_edges: Duration,
    node_read: Duration,
    /// Node reads leaving the data as JSON text.
    node_read_raw: Duration,
    neighbors_out: Duration,
    neighbors_both: Duration,
    neighbors_typed: Duration,
    neighbors_degree10: Duration,
    hot_node_read: Duration,
    hot_node_read_raw: Duration,
    hot_degree10: Duration,
    by_kind: Duration,
    by_prefix: Duration,
    reopen: Duration,
    file_bytes: u64,
}

/// Time per item of `f` over `items`, after a warm-up pass over the same items.
fn per_item<T>(items: &[T], mut f: impl FnMut(&T) -> Result<usize>) -> Result<Duration> {
    if items.is_empty() {
        return Ok(Duration::ZERO);
    }
    let mut sink = 0usize;
    for x in items {
        sink = sink.wrapping_add(f(x)?);
    }
    let t = Instant::now();
    for x in items {
        sink = sink.wrapping_add(f(x)?);
    }
    let d = t.elapsed() / u32::try_from(items.len()).unwrap_or(u32::MAX);
    std::hint::black_box(sink);
    Ok(d)
}

fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        total += entry?.metadata()?.len();
    }
    Ok(total)
}

fn pagegraph_run(dir: &Path, w: &Workload) -> Result<Run> {
    let mut run = Run::default();
    let path = dir.join("graph.pgdb");
    let options = Options {
        cache_pages: PAGE_MEMORY_BYTES / 2 / 4096,
        durability: Durability::Normal,
        ..Options::default()
    };
    let graph = Graph::open_with(&path, options.clone())?;
    let (nodes, edges) = (w.node_specs(), w.edge_specs());
    let t = Instant::now();
    let mut tx = graph.begin_write()?;
    let ids = tx.insert_nodes(nodes)?;
    run.load_nodes = t.elapsed();
    ensure!(ids.first() == Some(&NodeId(1)), "ids start at 1");
    let t = Instant::now();
    tx.insert_edges(edges)?;
    tx.commit()?;
    run.load_edges = t.elapsed();

    let t = Instant::now();
    graph.close()?;
    let graph = Graph::open_with(&path, options)?;
    let r = graph.begin_read()?;
    ensure!(r.node(NodeId(1))?.is_some(), "node 1 missing after reopen");
    run.reopen = t.elapsed();
    run.file_bytes = dir_size(dir)?;

    let read = |probes: &[u64]| {
        per_item(probes, |&id| {
            let n = r.node(NodeId(id))?.context("node missing")?;
            Ok(n.name.len())
        })
    };
    let read_raw = |probes: &[u64]| {
        per_item(probes, |&id| {
            let n = r.node_raw(NodeId(id))?.context("node missing")?;
            Ok(n.data.len())
        })
    };
    run.node_read = read(&w.probes)?;
    run.node_read_raw = read_raw(&w.probes)?;
    run.hot_node_read = read(&w.hot_probes)?;
    run.hot_node_read_raw = read_raw(&w.hot_probes)?;
    let neighbors = |ids: &[u64], dir: Direction, ty: Option<&str>| {
        per_item(ids, |&id| Ok(r.neighbors(NodeId(id), dir, ty)?.len()))
    };
    run.neighbors_out = neighbors(&w.neighbor_probes, Direction::Outgoing, None)?;
    run.neighbors_both = neighbors(&w.neighbor_probes, Direction::Both, None)?;
    run.neighbors_typed = neighbors(&w.neighbor_probes, Direction::Outgoing, Some("T3"))?;
    run.neighbors_degree10 = neighbors(&w.degree10, Direction::Outgoing, None)?;
    run.hot_degree10 = neighbors(&w.hot_degree10, Direction::Outgoing, None)?;
    ensure!(
        r.neighbors(NodeId(w.degree10[0]), Direction::Outgoing, None)?
            .len()
            == 10
    );
    let repeats = [(); INDEX_REPEATS];
    run.by_kind = per_item(&repeats, |()| {
        let ids = r.nodes_by_kind(QUERY_KIND)?;
        ensure!(ids.len() == w.kind_count, "kind query found {}", ids.len());
        Ok(ids.len())
    })?;
    run.by_prefix = per_item(&repeats, |()| {
        let ids = r.nodes_by_name_prefix(QUERY_PREFIX)?;
        ensure!(
            ids.len() == w.prefix_count,
            "prefix query found {}",
            ids.len()
        );
        Ok(ids.len())
    })?;
    Ok(run)
}

fn sqlite_open(path: &Path) -> Result<Connection> {
    let c = Connection::open(path)?;
    c.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-{};
         CREATE TABLE IF NOT EXISTS nodes(id INTEGER PRIMARY KEY, kind TEXT NOT NULL,
             name TEXT NOT NULL, data TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS edges(id INTEGER PRIMARY KEY, src INTEGER NOT NULL,
             dst INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);",
        PAGE_MEMORY_BYTES / 1024
    ))?;
    Ok(c)
}

/// Loads the graph in one transaction, indexes built after the rows; times both loads.
fn sqlite_load(c: &mut Connection, w: &Workload, run: &mut Run) -> Result<()> {
    let (nodes, edges) = (w.node_specs(), w.edge_specs());
    let t = Instant::now();
    let tx = c.transaction()?;
    {
        let mut ins =
            tx.prepare("INSERT INTO nodes(id, kind, name, data) VALUES (?1, ?2, ?3, ?4)")?;
        for (i, n) in (1u64..).zip(&nodes) {
            ins.execute(params![i, n.kind, n.name, n.data.to_string()])?;
        }
    }
    run.load_nodes = t.elapsed();
    let t = Instant::now();
    {
        let mut ins =
            tx.prepare("INSERT INTO edges(id, src, dst, type, data) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for (j, e) in (1u64..).zip(&edges) {
            ins.execute(params![
                j,
                e.from.0,
                e.to.0,
                e.edge_type,
                e.data.to_string()
            ])?;
        }
    }
    run.load_edges = t.elapsed();
    // Index building is charged to the load of both kinds of rows, in proportion to rows.
    let t = Instant::now();
    tx.execute_batch(
        "CREATE INDEX nodes_kind ON nodes(kind); CREATE INDEX nodes_name ON nodes(name);",
    )?;
    run.load_nodes += t.elapsed();
    let t = Instant::now();
    tx.execute_batch(
        "CREATE INDEX edges_src ON edges(src); CREATE INDEX edges_dst ON edges(dst);",
    )?;
    tx.commit()?;
    run.load_edges += t.elapsed();

    Ok(())
}

fn sqlite_run(dir: &Path, w: &Workload) -> Result<Run> {
    let mut run = Run::default();
    let path = dir.join("graph.sqlite");
    let mut c = sqlite_open(&path)?;
    sqlite_load(&mut c, w, &mut run)?;
    let t = Instant::now();
    drop(c);
    let c = sqlite_open(&path)?;
    let mut get = c.prepare("SELECT kind, name, data FROM nodes WHERE id = ?1")?;
    get.query_row([1], |_| Ok(()))?;
    run.reopen = t.elapsed();
    run.file_bytes = dir_size(dir)?;

    let mut read = |probes: &[u64]| {
        per_item(probes, |&id| {
            let (kind, name, data): (String, String, String) =
                get.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            let data: Value = serde_json::from_str(&data)?;
            std::hint::black_box((&kind, &data));
            Ok(name.len())
        })
    };
    run.node_read = read(&w.probes)?;
    run.hot_node_read = read(&w.hot_probes)?;
    let mut read_raw = |probes: &[u64]| {
        per_item(probes, |&id| {
            let (kind, name, data): (String, String, String) =
                get.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            std::hint::black_box((&kind, &name));
            Ok(data.len())
        })
    };
    run.node_read_raw = read_raw(&w.probes)?;
    run.hot_node_read_raw = read_raw(&w.hot_probes)?;
    let neighbors = |ids: &[u64], sql: &str, ty: Option<&str>| -> Result<Duration> {
        let mut q = c.prepare(sql)?;
        per_item(ids, |&id| {
            let rows: Vec<(i64, i64)> = match ty {
                Some(t) => q
                    .query_map(params![id, t], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?,
                None => q
                    .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?,
            };
            Ok(rows.len())
        })
    };
    let out = "SELECT id, dst FROM edges WHERE src = ?1";
    run.neighbors_out = neighbors(&w.neighbor_probes, out, None)?;
    run.neighbors_both = neighbors(
        &w.neighbor_probes,
        "SELECT id, dst FROM edges WHERE src = ?1 UNION ALL SELECT id, src FROM edges WHERE dst = ?1",
        None,
    )?;
    run.neighbors_typed = neighbors(
        &w.neighbor_probes,
        "SELECT id, dst FROM edges WHERE src = ?1 AND type = ?2",
        Some("T3"),
    )?;
    run.neighbors_degree10 = neighbors(&w.degree10, out, None)?;
    run.hot_degree10 = neighbors(&w.hot_degree10, out, None)?;
    let repeats = [(); INDEX_REPEATS];
    let mut by_kind = c.prepare("SELECT id FROM nodes WHERE kind = ?1 ORDER BY id")?;
    run.by_kind = per_item(&repeats, |()| {
        let ids: Vec<i64> = by_kind
            .query_map([QUERY_KIND], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ensure!(ids.len() == w.kind_count, "kind query found {}", ids.len());
        Ok(ids.len())
    })?;
    // A range on the name index; `LIKE 'p%'` would not use it (case-insensitive by default).
    let mut by_prefix =
        c.prepare("SELECT id FROM nodes WHERE name >= ?1 AND name < ?2 ORDER BY name, id")?;
    let upper = format!("{}{}", &QUERY_PREFIX[..QUERY_PREFIX.len() - 1], '2');
    run.by_prefix = per_item(&repeats, |()| {
        let ids: Vec<i64> = by_prefix
            .query_map([QUERY_PREFIX, upper.as_str()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ensure!(
            ids.len() == w.prefix_count,
            "prefix query found {}",
            ids.len()
        );
        Ok(ids.len())
    })?;
    Ok(run)
}

/// How a row's figure is shown.
#[derive(Clone, Copy)]
enum Unit {
    /// A load: seconds and items per second.
    Load(fn(&Workload) -> u64),
    /// A per-query latency.
    PerQuery,
    /// A one-off operation.
    Once,
}

struct Row {
    label: &'static str,
    unit: Unit,
    time: fn(&Run) -> Duration,
}

const ROWS: [Row; 14] = [
    Row {
        label: "load nodes (batch, 1 txn)",
        unit: Unit::Load(|w| w.nodes),
        time: |r| r.load_nodes,
    },
    Row {
        label: "load edges (batch, same txn, + commit)",
        unit: Unit::Load(|w| w.edges.len() as u64),
        time: |r| r.load_edges,
    },
    Row {
        label: "warm node read, data as serde_json::Value",
        unit: Unit::PerQuery,
        time: |r| r.node_read,
    },
    Row {
        label: "warm node read, data as JSON text",
        unit: Unit::PerQuery,
        time: |r| r.node_read_raw,
    },
    Row {
        label: "neighbors out (random node, ~5)",
        unit: Unit::PerQuery,
        time: |r| r.neighbors_out,
    },
    Row {
        label: "neighbors both (random node, ~10)",
        unit: Unit::PerQuery,
        time: |r| r.neighbors_both,
    },
    Row {
        label: "neighbors out, one type (random node)",
        unit: Unit::PerQuery,
        time: |r| r.neighbors_typed,
    },
    Row {
        label: "neighbors out of a degree-10 node",
        unit: Unit::PerQuery,
        time: |r| r.neighbors_degree10,
    },
    Row {
        label: "hot node read (10K-id window), serde_json::Value",
        unit: Unit::PerQuery,
        time: |r| r.hot_node_read,
    },
    Row {
        label: "hot node read (10K-id window), JSON text",
        unit: Unit::PerQuery,
        time: |r| r.hot_node_read_raw,
    },
    Row {
        label: "hot neighbors out of a degree-10 node (same window)",
        unit: Unit::PerQuery,
        time: |r| r.hot_degree10,
    },
    Row {
        label: "nodes_by_kind (N/20 ids)",
        unit: Unit::PerQuery,
        time: |r| r.by_kind,
    },
    Row {
        label: "name prefix query",
        unit: Unit::PerQuery,
        time: |r| r.by_prefix,
    },
    Row {
        label: "close + reopen + first read",
        unit: Unit::Once,
        time: |r| r.reopen,
    },
];

fn show(unit: Unit, w: &Workload, d: Duration) -> String {
    let s = d.as_secs_f64();
    match unit {
        Unit::Load(items) => format!("{s:.2} s ({:.0} K/s)", items(w) as f64 / s / 1e3),
        Unit::PerQuery if s < 1e-6 => format!("{:.0} ns", s * 1e9),
        Unit::PerQuery if s < 1e-3 => format!("{:.2} us", s * 1e6),
        Unit::PerQuery | Unit::Once => format!("{:.2} ms", s * 1e3),
    }
}

/// Time of one dependent load from a random cache line of a `bytes`-long buffer: a chase
/// through a random cycle over every eighth line (so the footprint, and the TLB reach it
/// needs, is the whole buffer), median of three passes.
fn memory_latency(bytes: usize) -> Duration {
    const WORDS_PER_LINE: usize = 8;
    const STEPS: usize = 2_000_000;
    let words = bytes / 8;
    let mut next = vec![0u64; words];
    let mut order: Vec<usize> = (0..words).step_by(WORDS_PER_LINE * 8).collect();
    fastrand::Rng::with_seed(7).shuffle(&mut order);
    for (i, &at) in order.iter().enumerate() {
        next[at] = order[(i + 1) % order.len()] as u64;
    }
    chase(order[0], STEPS, |at| usize::try_from(next[at]).unwrap_or(0))
}

/// Time per step of `steps` steps of `next` from `start`, each step taking the one before's
/// result (so no two overlap): median of three passes.
fn chase(start: usize, steps: usize, next: impl Fn(usize) -> usize) -> Duration {
    let passes = (0..3)
        .map(|_| {
            let mut at = start;
            let t = Instant::now();
            for _ in 0..steps {
                at = next(at);
            }
            std::hint::black_box(at);
            t.elapsed() / u32::try_from(steps).unwrap_or(u32::MAX)
        })
        .collect();
    median(passes)
}

/// Time of one leaf read's three dependent loads, with no engine code around them: in a
/// random 4 KiB page out of `bytes`, the header (which says which slot), the slot (which
/// says where the cell is) and the cell (which names the next page). That is the shape of a
/// lookup in any slotted-page B+Tree once it knows the page, so a random read over a tree
/// larger than the CPU caches cannot take less. Median of three passes.
fn leaf_latency(bytes: usize) -> Duration {
    const PAGE: usize = 4096;
    const STEPS: usize = 1_000_000;
    let pages = bytes / PAGE;
    let mut mem = vec![0u8; pages * PAGE];
    let mut rng = fastrand::Rng::with_seed(8);
    let mut order: Vec<usize> = (0..pages).collect();
    rng.shuffle(&mut order);
    for (i, &p) in order.iter().enumerate() {
        let page = &mut mem[p * PAGE..(p + 1) * PAGE];
        // A slot among 64 (slots at 32.., two bytes each), a cell at an 8-byte boundary
        // past them.
        let slot = rng.usize(0..64);
        let cell = rng.usize(512 / 8..PAGE / 8) * 8;
        page[0..2].copy_from_slice(&(slot as u16).to_le_bytes());
        page[32 + 2 * slot..34 + 2 * slot].copy_from_slice(&(cell as u16).to_le_bytes());
        let next = order[(i + 1) % order.len()] as u64;
        page[cell..cell + 8].copy_from_slice(&next.to_le_bytes());
    }
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([mem[at], mem[at + 1]]));
    chase(order[0], STEPS, |p| {
        let base = p * PAGE;
        let slot = u16_at(base);
        let cell = u16_at(base + 32 + 2 * slot);
        let mut next = [0u8; 8];
        next.copy_from_slice(&mem[base + cell..base + cell + 8]);
        usize::try_from(u64::from_le_bytes(next)).unwrap_or(0)
    })
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).map_or(Ok(1_000_000), |s| s.parse())?;
    let runs: usize = args.get(2).map_or(Ok(3), |s| s.parse())?;
    let w = Workload::new(n);
    let base = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let only = std::env::var("BENCH_ONLY").ok();
    let (mut pg, mut sq) = (Vec::new(), Vec::new());
    for i in 0..runs {
        // Alternate which engine goes first, so drift hits both alike.
        for engine in if i % 2 == 0 { [0, 1] } else { [1, 0] } {
            let dir = tempfile::tempdir_in(&base)?;
            let skip = ["pagegraph", "sqlite"][engine];
            if only.as_deref().is_some_and(|o| o != skip) {
                continue;
            }
            if engine == 0 {
                eprintln!("run {}/{runs}: pagegraph", i + 1);
                pg.push(pagegraph_run(dir.path(), &w)?);
            } else {
                eprintln!("run {}/{runs}: sqlite", i + 1);
                sq.push(sqlite_run(dir.path(), &w)?);
            }
        }
    }
    let chase = memory_latency(CHASE_BYTES);
    let leaf = leaf_latency(LEAF_BYTES);
    println!(
        "{} nodes, {} edges; {runs} runs (median); page cache {} MiB each",
        w.nodes,
        w.edges.len(),
        PAGE_MEMORY_BYTES >> 20
    );
    println!(
        "memory floor: a dependent random load over {} MiB takes {} on this machine",
        CHASE_BYTES >> 20,
        show(Unit::PerQuery, &w, chase)
    );
    println!(
        "leaf floor: header, slot and cell of a random 4 KiB page out of {} MiB (three \
         dependent loads, no engine code) take {}",
        LEAF_BYTES >> 20,
        show(Unit::PerQuery, &w, leaf)
    );
    println!();
    println!("| workload | pagegraph | SQLite | SQLite / pagegraph |");
    println!("|---|---:|---:|---:|");
    for row in &ROWS {
        let a = median(pg.iter().map(row.time).collect());
        let b = median(sq.iter().map(row.time).collect());
        println!(
            "| {} | {} | {} | {:.2}x |",
            row.label,
            show(row.unit, &w, a),
            show(row.unit, &w, b),
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
    let size = |v: &[Run]| {
        let mut s: Vec<u64> = v.iter().map(|r| r.file_bytes).collect();
        s.sort_unstable();
        s.get(s.len() / 2).copied().unwrap_or_default()
    };
    let (a, b) = (size(&pg), size(&sq));
    println!(
        "| file size after close (db + WAL) | {:.1} MiB | {:.1} MiB | {:.2}x |",
        a as f64 / 1_048_576.0,
        b as f64 / 1_048_576.0,
        b as f64 / a as f64
    );
    std::io::stdout().flush()?;
    Ok(())
}
