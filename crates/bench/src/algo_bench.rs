//! Algorithm benchmark: pagegraph's snapshot algorithms against petgraph on the same graph
//! held in memory, and pagegraph's store BFS against SQLite's recursive CTE, in the same
//! run, reporting medians and ratios.
//!
//! The graph is a SNAP edge list (`u v` lines, `#` comments), by default the largest one in
//! the shared datasets (email-Enron, 36,692 nodes and 367,662 arcs). pagegraph loads it
//! into a database file; petgraph gets a `DiGraph` built from the same pairs in memory.
//!
//! - Whole-graph rows (BFS from every one of `SOURCES` random nodes, PageRank 20
//!   iterations, WCC, SCC) time the algorithm alone, and then "with build": pagegraph's
//!   includes building the `Csr` snapshot from a read transaction (one scan of the store),
//!   petgraph's includes building its `DiGraph` from the in-memory pairs.
//! - petgraph's `page_rank` compares every node with every other node in each iteration
//!   (quadratic), so on this graph it is timed on the first `PR_QUADRATIC_NODES` nodes'
//!   induced subgraph only; the PageRank row compares against the same definition written
//!   as a plain loop over petgraph's adjacency (what a petgraph user writes instead).
//! - BFS to depth 3 from random nodes: pagegraph reads the store through the page cache
//!   (`algo::bfs` on a `StoreView`, warm), SQLite runs
//!   `WITH RECURSIVE` over `edges(src, dst)` with an index on `src` (and one on `dst`), WAL,
//!   warm; both return the same set of (node, depth) pairs.
//!
//! Usage: `cargo run --release -p pagegraph-bench --bin algo-bench -- [EDGE_LIST] [RUNS]`
//! (default `../shared/datasets/email-Enron/Email-Enron.txt` from the workspace, 5 runs).
//! `BENCH_DIR` picks the directory for the database files.

#![allow(
    clippy::cast_precision_loss,
    reason = "counts and rates are only printed, to a few digits"
)]

mod measure;
use measure::{median, peak_rss};

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use pagegraph::algo::{self, Csr, CsrOptions, PageRank, StoreView};
use pagegraph::{Direction, Durability, EdgeSpec, Graph, NodeId, NodeSpec, Options};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Bfs;
use rusqlite::{Connection, params};

const SOURCES: usize = 20;
const CTE_QUERIES: usize = 50;
const PR_QUADRATIC_NODES: usize = 2_000;

/// Times `f` `runs` times; returns the median and the last result.
fn time<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let out = f()?;
        times.push(t.elapsed());
        last = Some(out);
    }
    Ok((median(times), last.context("at least one run")?))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn row(what: &str, ours: Duration, theirs: Duration, note: &str) {
    println!(
        "| {what} | {} | {} | {:.2}x | {note} |",
        ms(ours),
        ms(theirs),
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
}

/// External node ids (sorted) and edges by position in them.
type EdgeList = (Vec<u64>, Vec<(usize, usize)>);

fn read_edges(path: &PathBuf) -> Result<EdgeList> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let mut pairs = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut it = line.split_whitespace().map(str::parse::<u64>);
        match (it.next(), it.next()) {
            (Some(Ok(a)), Some(Ok(b))) => pairs.push((a, b)),
            _ => anyhow::bail!("bad line {line:?}"),
        }
    }
    let ids: Vec<u64> = pairs
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let at: BTreeMap<u64, usize> = ids.iter().enumerate().map(|(i, &x)| (x, i)).collect();
    Ok((ids, pairs.iter().map(|(a, b)| (at[a], at[b])).collect()))
}

/// PageRank (the Graphalytics definition `algo::pagerank` uses) as a plain loop over a
/// petgraph graph: the baseline a petgraph user writes.
fn petgraph_pagerank(g: &DiGraph<(), ()>, d: f64, iterations: u32) -> Vec<f64> {
    let n = g.node_count();
    let nf = n as f64;
    let out: Vec<f64> = g
        .node_indices()
        .map(|v| g.neighbors(v).count() as f64)
        .collect();
    let mut rank = vec![1.0 / nf; n];
    for _ in 0..iterations {
        let dangling: f64 = (0..n).filter(|&v| out[v] == 0.0).map(|v| rank[v]).sum();
        let base = (1.0 - d) / nf + d * dangling / nf;
        let next: Vec<f64> = g
            .node_indices()
            .map(|v| {
                let pulled: f64 = g
                    .neighbors_directed(v, petgraph::Direction::Incoming)
                    .map(|u| rank[u.index()] / out[u.index()])
                    .sum();
                base + d * pulled
            })
            .collect();
        rank = next;
    }
    rank
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/datasets/email-Enron/Email-Enron.txt")
        },
        PathBuf::from,
    );
    let runs: usize = args.get(2).map_or(Ok(5), |s| s.parse())?;
    let (external, edges) = read_edges(&path)?;
    let file = path
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    println!(
        "graph: {file} ({} nodes, {} edges), {runs} runs, medians\n",
        external.len(),
        edges.len()
    );
    let dir = match std::env::var_os("BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let graph = Graph::open_with(
        dir.path().join("g.pgdb"),
        Options {
            durability: Durability::Normal,
            ..Options::default()
        },
    )?;
    let mut tx = graph.begin_write()?;
    let ids = tx.insert_nodes(
        external
            .iter()
            .map(|x| NodeSpec::new("node", x.to_string())),
    )?;
    tx.insert_edges(
        edges
            .iter()
            .map(|&(a, b)| EdgeSpec::new(ids[a], ids[b], "E")),
    )?;
    tx.commit()?;
    let txn = graph.begin_read()?;
    let work = Work {
        txn: &txn,
        ids: &ids,
        edges: &edges,
        runs,
    };
    work.snapshot_rows()?;
    work.quadratic_pagerank_row()?;
    work.cte_rows(dir.path())?;
    println!("\npeak RSS {:.0} MB", peak_rss() as f64 / 1e6);
    Ok(())
}

/// One loaded graph and what the rows need of it.
struct Work<'a> {
    txn: &'a pagegraph::ReadTxn,
    ids: &'a [NodeId],
    edges: &'a [(usize, usize)],
    runs: usize,
}

fn petgraph_of(n: usize, edges: &[(usize, usize)]) -> DiGraph<(), ()> {
    let mut g = DiGraph::<(), ()>::with_capacity(n, edges.len());
    for _ in 0..n {
        g.add_node(());
    }
    for &(a, b) in edges {
        g.add_edge(NodeIndex::new(a), NodeIndex::new(b), ());
    }
    g
}

impl Work<'_> {
    /// Builds, then each kernel on pagegraph's snapshot and on petgraph.
    fn snapshot_rows(&self) -> Result<()> {
        let (n, m, runs) = (self.ids.len(), self.edges.len(), self.runs);
        let (csr_build, csr) = time(runs, || {
            Ok(Csr::build(self.txn, &CsrOptions::default(), &mut |_| {})?)
        })?;
        let (pg_build, pg) = time(runs, || Ok(petgraph_of(n, self.edges)))?;
        // What a petgraph user of pagegraph does instead of a snapshot: read every edge
        // through the public API and build a DiGraph from them.
        let (pg_load, loaded) = time(runs, || {
            let first = self.ids.first().map_or(0, |i| i.0);
            let mut pairs = Vec::with_capacity(m);
            for e in self.txn.edges() {
                let e = e?;
                pairs.push(((e.from.0 - first) as usize, (e.to.0 - first) as usize));
            }
            Ok(petgraph_of(n, &pairs))
        })?;
        ensure!(csr.edge_count() == pg.edge_count() && loaded.edge_count() == m);
        println!("| step | pagegraph | petgraph | ratio | notes |\n|---|---|---|---|---|");
        row(
            "build",
            csr_build,
            pg_build,
            &format!(
                "pagegraph: Csr from the store, {:.1}M edges/s; petgraph: DiGraph from memory; \
                 petgraph from the store (edges() + DiGraph): {}",
                m as f64 / csr_build.as_secs_f64() / 1e6,
                ms(pg_load)
            ),
        );
        let both = |what: &str, ours: Duration, theirs: Duration, note: &str| {
            row(what, ours, theirs, note);
            row(
                &format!("{what} + build"),
                ours + csr_build,
                theirs + pg_build,
                &format!(
                    "petgraph loaded from the store: {} ({:.2}x)",
                    ms(theirs + pg_load),
                    (ours + csr_build).as_secs_f64() / (theirs + pg_load).as_secs_f64()
                ),
            );
        };
        let mut rng = fastrand::Rng::with_seed(7);
        let sources: Vec<usize> = (0..SOURCES).map(|_| rng.usize(0..n)).collect();
        let (t_ours, reached) = time(runs, || {
            let mut reached = 0;
            for &s in &sources {
                reached += algo::bfs_csr(&csr, self.ids[s], Direction::Outgoing, None)?.len();
            }
            Ok(reached)
        })?;
        let (t_pg, pg_reached) = time(runs, || {
            let mut reached = 0;
            for &s in &sources {
                let mut bfs = Bfs::new(&pg, NodeIndex::new(s));
                while bfs.next(&pg).is_some() {
                    reached += 1;
                }
            }
            Ok(reached)
        })?;
        ensure!(
            reached == pg_reached,
            "bfs reached {reached} vs {pg_reached}"
        );
        both(
            &format!("BFS from {SOURCES} nodes"),
            t_ours,
            t_pg,
            &format!("{reached} visits; ours also records depth and parent"),
        );

        let params = PageRank::default();
        let (t_ours, ranks) = time(runs, || Ok(algo::pagerank(&csr, params, &mut |_| {})?))?;
        let (t_pg, pg_ranks) = time(runs, || Ok(petgraph_pagerank(&pg, 0.85, 20)))?;
        let worst = ranks
            .iter()
            .zip(&pg_ranks)
            .map(|(a, b)| (a.1 - b).abs())
            .fold(0.0, f64::max);
        ensure!(worst < 1e-9, "pagerank differs by {worst}");
        both(
            "PageRank, 20 iterations",
            t_ours,
            t_pg,
            "petgraph side: the same definition as a loop over its graph",
        );

        let (t_ours, labels) = time(runs, || Ok(algo::wcc(&csr)))?;
        let (t_pg, count) = time(runs, || Ok(petgraph::algo::connected_components(&pg)))?;
        let ours_count = labels.iter().map(|l| l.1).collect::<BTreeSet<_>>().len();
        ensure!(ours_count == count, "wcc {ours_count} vs {count}");
        both(
            "WCC",
            t_ours,
            t_pg,
            "ours: a label per node; petgraph: the count",
        );

        let (t_ours, comps) = time(runs, || Ok(algo::scc(&csr)))?;
        let (t_pg, pg_comps) = time(runs, || Ok(petgraph::algo::tarjan_scc(&pg)))?;
        ensure!(comps.len() == pg_comps.len());
        both("SCC", t_ours, t_pg, "petgraph: tarjan_scc");
        Ok(())
    }

    /// petgraph's own `page_rank`, on an induced subgraph it can finish.
    fn quadratic_pagerank_row(&self) -> Result<()> {
        let k = PR_QUADRATIC_NODES.min(self.ids.len());
        let sub: Vec<(usize, usize)> = self
            .edges
            .iter()
            .copied()
            .filter(|&(a, b)| a < k && b < k)
            .collect();
        let small = petgraph_of(k, &sub);
        let nodes: Vec<NodeId> = (1..=k as u64).map(NodeId).collect();
        let e: Vec<(NodeId, NodeId)> = sub.iter().map(|&(a, b)| (nodes[a], nodes[b])).collect();
        let small_csr = Csr::from_edges(&nodes, &e)?;
        let runs = self.runs.min(3);
        let params = PageRank::default();
        let (t_ours, _) = time(runs, || {
            Ok(algo::pagerank(&small_csr, params, &mut |_| {})?)
        })?;
        let (t_pg, _) = time(runs, || Ok(petgraph::algo::page_rank(&small, 0.85_f64, 20)))?;
        row(
            &format!("PageRank 20 it., first {k} nodes ({} edges)", sub.len()),
            t_ours,
            t_pg,
            "petgraph::algo::page_rank (quadratic in nodes)",
        );
        Ok(())
    }
}

impl Work<'_> {
    /// BFS to depth 3: the store against SQLite's recursive CTE.
    fn cte_rows(&self, dir: &std::path::Path) -> Result<()> {
        let (r, ids, edges, runs) = (self.txn, self.ids, self.edges, self.runs);
        let mut conn = Connection::open(dir.join("g.sqlite"))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-1000000;
         CREATE TABLE edges(id INTEGER PRIMARY KEY, src INTEGER NOT NULL, dst INTEGER NOT NULL);",
        )?;
        {
            let tx = conn.transaction()?;
            {
                let mut ins = tx.prepare("INSERT INTO edges(src, dst) VALUES (?1, ?2)")?;
                for &(a, b) in edges {
                    ins.execute(params![ids[a].0, ids[b].0])?;
                }
            }
            tx.execute_batch(
                "CREATE INDEX edges_src ON edges(src); CREATE INDEX edges_dst ON edges(dst);",
            )?;
            tx.commit()?;
        }
        let mut q = conn.prepare(
        "WITH RECURSIVE r(n, d) AS (SELECT ?1, 0 UNION SELECT e.dst, r.d + 1 FROM r JOIN edges e ON e.src = r.n WHERE r.d < 3)
         SELECT n, min(d) FROM r GROUP BY n",
    )?;
        let mut rng = fastrand::Rng::with_seed(11);
        let starts: Vec<NodeId> = (0..CTE_QUERIES)
            .map(|_| ids[rng.usize(0..ids.len())])
            .collect();
        let view = StoreView::new(r, None);
        let ours_run = || -> Result<Vec<BTreeMap<u64, u32>>> {
            starts
                .iter()
                .map(|&s| {
                    Ok(algo::bfs(&view, s, Direction::Outgoing, Some(3))?
                        .iter()
                        .map(|v| (v.node.0, v.depth))
                        .collect())
                })
                .collect()
        };
        let mut cte_run = || -> Result<Vec<BTreeMap<u64, u32>>> {
            starts
                .iter()
                .map(|&s| {
                    let rows = q.query_map(params![s.0], |row| {
                        Ok((row.get::<_, u64>(0)?, row.get::<_, u32>(1)?))
                    })?;
                    Ok(rows.collect::<Result<BTreeMap<_, _>, _>>()?)
                })
                .collect()
        };
        // Warm both, check they agree.
        let (a, b) = (ours_run()?, cte_run()?);
        ensure!(a == b, "BFS depth 3 results differ");
        let visits: usize = a.iter().map(BTreeMap::len).sum();
        let (t_ours, _) = time(runs, ours_run)?;
        let (t_cte, _) = time(runs, &mut cte_run)?;
        println!(
            "\n| BFS to depth 3, {CTE_QUERIES} random starts | pagegraph (store) | SQLite CTE | ratio | notes |\n|---|---|---|---|---|"
        );
        let per = |d: Duration| d / CTE_QUERIES as u32;
        row(
            "per query",
            per(t_ours),
            per(t_cte),
            &format!(
                "{:.0} nodes reached per query on average",
                visits as f64 / CTE_QUERIES as f64
            ),
        );
        Ok(())
    }
}
