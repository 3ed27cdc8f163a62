//! Property-index benchmark: labels, typed properties and property indexes of `pagegraph`
//! against SQLite's JSON expression indexes (`rusqlite`, bundled), on the same generated
//! nodes (fixed seed), in the same run, engines alternating which goes first, reporting
//! medians, the spread over runs and each run's ratio.
//!
//! The data: `N` nodes with the label `Item` and ten properties each, of every scalar type:
//!
//! | property | type | values | indexed |
//! |---|---|---|---|
//! | `key` | string | `k000123456`: a random permutation of `0..N` | unique |
//! | `rank` | int | a second random permutation of `0..N` | yes |
//! | `grp` | int | uniform in `0..1000` | yes |
//! | `bucket` | int | uniform in `0..10` | no |
//! | `age` | int | uniform in `18..=90` | no |
//! | `score` | float | uniform in `[0, 1)` | yes |
//! | `code` | string | `eu042-7731`: 16 regions x 625 areas (~100 nodes each), 4 random digits | yes |
//! | `active` | bool | random | no |
//! | `city` | string | one of 16 | no |
//! | `ts` | int | `1.6e9` plus up to `1e8` | no |
//!
//! SQLite holds the same nodes as `nodes(id INTEGER PRIMARY KEY, label TEXT, data TEXT)`
//! with the properties as JSON text (the same text pagegraph stores), and an expression index
//! `ON nodes(json_extract(data, '$.p'))` for each indexed property (`UNIQUE` for `key`).
//! SQLite's queries leave out `label = 'Item'`: every row has it, and the check would cost a
//! table read per hit that its expression indexes cannot answer, so leaving it out favours
//! SQLite. Its range and prefix queries are `>= ? AND < ?` on the expression (`LIKE` cannot
//! use an expression index); the run prints `EXPLAIN QUERY PLAN` for each query and fails
//! if one does not search its index.
//!
//! Durability: pagegraph `Durability::Normal`, SQLite WAL with `synchronous=NORMAL`: the
//! same promise (a commit survives a process crash; fsync at checkpoint). Memory as in the
//! graph benchmark: SQLite's page cache is `PAGE_MEMORY_BYTES`, pagegraph's `cache_pages` half
//! of it (it holds up to twice that: the shared cache plus the writer's dirty pages). Every
//! timed query is warm: the same probes ran once before the timed pass.
//!
//! Workloads, in this order on each engine, each on the database the previous ones left:
//! 1. load: the nodes without property indexes, one transaction (`create_nodes` in chunks of
//!    `LOAD_CHUNK`; SQLite: a prepared `INSERT`), for information;
//! 2. index builds over the loaded nodes, each in its own transaction with its commit
//!    (`create_index`; SQLite `CREATE INDEX`): entries per second;
//! 3. warm lookups, ids collected into a `Vec`: `key = ?` (1 hit), `grp = ?` (~N/1000
//!    hits), `rank >= a AND rank < a + 100` (100 hits), `code STARTS WITH 'eu042-'` (~100
//!    hits);
//! 4. updates of one property of random nodes, `UPDATE_BATCH` updates per transaction:
//!    `grp` (indexed) and `age` (not indexed), interleaved in `UPDATE_ROUNDS` rounds
//!    (`set_node_property`; SQLite `UPDATE ... SET data = json_set(data, '$.p', ?)`);
//! 5. merges of `N` keys, half of them existing, in a random order, `MERGE_BATCH` per
//!    transaction: `merge_node(["Item"], {key}, on_create: the nine other properties,
//!    on_match: {seen: true})`; SQLite `INSERT ... ON CONFLICT(json_extract(data, '$.key'))
//!    DO UPDATE SET data = json_set(data, '$.seen', json('true')) RETURNING id`.
//!
//! Both engines must return the same ids: every workload sums the ids it gets and the run
//! fails if a sum differs from the one the generator predicts (or, for merges, between the
//! engines).
//!
//! Usage: `cargo run --release -p pagegraph-bench --bin props-bench -- [N] [RUNS]`
//! (defaults 1000000 and 3). `BENCH_DIR` picks the directory for the files;
//! `BENCH_ONLY=pagegraph` (or `sqlite`) runs one engine, for profiling; `BENCH_STEPS` limits
//! the workloads after the load and builds to a comma-separated subset of `lookups`,
//! `updates` and `merges`.

#![allow(
    clippy::cast_precision_loss,
    reason = "counts and rates are only printed, to a few digits"
)]
#![allow(
    clippy::cast_possible_wrap,
    reason = "generated numbers stay below 2^40, far inside i64"
)]

mod measure;
use measure::median;

use std::collections::HashMap;
use std::io::Write;
use std::ops::Bound;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use pagegraph::{
    Condition, Durability, Graph, IndexSpec, NodeId, Options, Properties, PropertyValue,
};
use rusqlite::{Connection, params};

const PAGE_MEMORY_BYTES: usize = 2 << 30;
const LABEL: &str = "Item";
const SEED: u64 = 42;
/// Nodes created per `create_nodes` call (and per batch of generated SQLite rows) in the load.
const LOAD_CHUNK: usize = 50_000;
const KEY_PROBES: usize = 200_000;
const GRP_PROBES: usize = 1_000;
const RANGE_PROBES: usize = 20_000;
const PREFIX_PROBES: usize = 20_000;
/// Hits of each range probe.
const RANGE_WIDTH: u64 = 100;
const UPDATES: usize = 100_000;
const UPDATE_BATCH: usize = 1_000;
const UPDATE_ROUNDS: usize = 10;
const MERGE_BATCH: usize = 10_000;
const GRP_VALUES: u64 = 1_000;
const REGIONS: [&str; 16] = [
    "eu", "us", "ap", "sa", "af", "me", "oc", "na", "ca", "cn", "jp", "in", "br", "ru", "za", "mx",
];
const AREAS: u32 = 625;
const CITIES: [&str; 16] = [
    "Paris", "Lyon", "Berlin", "Madrid", "Rome", "Oslo", "Lima", "Quito", "Tokyo", "Delhi",
    "Cairo", "Accra", "Perth", "Dakar", "Hanoi", "Seoul",
];
/// The indexes, in the order they are built: (property, unique).
const INDEXES: [(&str, bool); 5] = [
    ("key", true),
    ("rank", false),
    ("code", false),
    ("grp", false),
    ("score", false),
];

fn key_text(k: u64) -> String {
    format!("k{k:09}")
}

/// The code group (region and area) of a prefix probe, as the prefix `eu042-`.
fn code_prefix(group: u32) -> String {
    format!("{}{:03}-", REGIONS[(group / AREAS) as usize], group % AREAS)
}

/// The first string after every string that starts with `prefix` (ASCII prefixes only).
fn prefix_end(prefix: &str) -> String {
    let mut b = prefix.as_bytes().to_vec();
    if let Some(last) = b.last_mut() {
        *last += 1;
    }
    String::from_utf8(b).unwrap_or_default()
}

/// The randomly drawn properties of one node, from a generator seeded by its number.
struct Drawn {
    grp: i64,
    bucket: i64,
    age: i64,
    score: f64,
    code_group: u32,
    code_tail: u32,
    active: bool,
    city: &'static str,
    ts: i64,
}

fn drawn(i: u64) -> Drawn {
    let mut rng = fastrand::Rng::with_seed(SEED ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    Drawn {
        grp: rng.i64(0..GRP_VALUES as i64),
        bucket: rng.i64(0..10),
        age: rng.i64(18..=90),
        score: rng.f64(),
        code_group: rng.u32(0..REGIONS.len() as u32 * AREAS),
        code_tail: rng.u32(0..10_000),
        active: rng.bool(),
        city: CITIES[rng.usize(..CITIES.len())],
        ts: 1_600_000_000 + rng.i64(0..100_000_000),
    }
}

/// The properties of the node numbered `i` (its id, for the loaded nodes), but its key.
fn other_props(i: u64, rank: u64) -> Properties {
    let d = drawn(i);
    let mut p = Properties::new();
    p.insert("rank".into(), PropertyValue::Int(rank as i64));
    p.insert("grp".into(), PropertyValue::Int(d.grp));
    p.insert("bucket".into(), PropertyValue::Int(d.bucket));
    p.insert("age".into(), PropertyValue::Int(d.age));
    p.insert("score".into(), PropertyValue::Float(d.score));
    p.insert(
        "code".into(),
        PropertyValue::String(format!("{}{:04}", code_prefix(d.code_group), d.code_tail)),
    );
    p.insert("active".into(), PropertyValue::Bool(d.active));
    p.insert("city".into(), PropertyValue::String(d.city.into()));
    p.insert("ts".into(), PropertyValue::Int(d.ts));
    p
}

fn props(i: u64, key: u64, rank: u64) -> Properties {
    let mut p = other_props(i, rank);
    p.insert("key".into(), PropertyValue::String(key_text(key)));
    p
}

/// The JSON text of some properties: what pagegraph stores for them, and SQLite's `data`.
fn json_text(p: &Properties) -> Result<String> {
    let mut map = serde_json::Map::new();
    for (k, v) in p {
        map.insert(k.clone(), v.to_json()?);
    }
    Ok(serde_json::Value::Object(map).to_string())
}

/// One merge: the key, the properties of a node it creates, and whether the key exists.
struct MergeInput {
    key: u64,
    /// The number the created node's properties are drawn from (and its rank).
    draw: u64,
}

/// The generated data and probes, shared by both engines.
struct Workload {
    nodes: u64,
    /// `key[i - 1]` and `rank[i - 1]`: node `i`'s key and rank.
    key: Vec<u64>,
    rank: Vec<u64>,
    /// Random node ids; the key probes look up their keys.
    key_probes: Vec<u64>,
    grp_probes: Vec<i64>,
    /// Lower ends `a` of the range probes `a <= rank < a + RANGE_WIDTH`.
    range_probes: Vec<u64>,
    prefix_probes: Vec<String>,
    /// Expected (hits, sum of ids) of one pass over each probe set.
    expect_key: (u64, u64),
    expect_grp: (u64, u64),
    expect_range: (u64, u64),
    expect_prefix: (u64, u64),
    /// (node id, new value) of the `grp` and the `age` updates.
    grp_updates: Vec<(u64, i64)>,
    age_updates: Vec<(u64, i64)>,
    merges: Vec<MergeInput>,
}

impl Workload {
    fn new(nodes: u64) -> Workload {
        let mut rng = fastrand::Rng::with_seed(SEED);
        let n = nodes as usize;
        let mut key: Vec<u64> = (0..nodes).collect();
        rng.shuffle(&mut key);
        let mut rank: Vec<u64> = (0..nodes).collect();
        rng.shuffle(&mut rank);
        let mut by_rank = vec![0u64; n];
        for (i, &r) in (1..).zip(&rank) {
            by_rank[r as usize] = i;
        }
        let mut grp_hits: HashMap<i64, (u64, u64)> = HashMap::new();
        let mut code_hits: HashMap<u32, (u64, u64)> = HashMap::new();
        for i in 1..=nodes {
            let d = drawn(i);
            let g = grp_hits.entry(d.grp).or_default();
            *g = (g.0 + 1, g.1 + i);
            let c = code_hits.entry(d.code_group).or_default();
            *c = (c.0 + 1, c.1 + i);
        }
        let key_probes: Vec<u64> = (0..KEY_PROBES).map(|_| rng.u64(1..=nodes)).collect();
        let grp_probes: Vec<i64> = (0..GRP_PROBES)
            .map(|_| rng.i64(0..GRP_VALUES as i64))
            .collect();
        let range_probes: Vec<u64> = (0..RANGE_PROBES)
            .map(|_| rng.u64(0..=nodes.saturating_sub(RANGE_WIDTH)))
            .collect();
        let groups: Vec<u32> = (0..PREFIX_PROBES)
            .map(|_| rng.u32(0..REGIONS.len() as u32 * AREAS))
            .collect();
        let sum = |hits: &mut dyn Iterator<Item = (u64, u64)>| {
            hits.fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        };
        let expect_key = sum(&mut key_probes.iter().map(|&i| (1, i)));
        let expect_grp = sum(&mut grp_probes
            .iter()
            .map(|g| grp_hits.get(g).copied().unwrap_or_default()));
        let expect_range = sum(&mut range_probes.iter().map(|&a| {
            let hi = (a + RANGE_WIDTH).min(nodes);
            (hi - a, by_rank[a as usize..hi as usize].iter().sum())
        }));
        let expect_prefix = sum(&mut groups
            .iter()
            .map(|g| code_hits.get(g).copied().unwrap_or_default()));
        let mut updates = |max: i64| -> Vec<(u64, i64)> {
            (0..UPDATES)
                .map(|_| (rng.u64(1..=nodes), rng.i64(0..max)))
                .collect()
        };
        let grp_updates = updates(GRP_VALUES as i64);
        let age_updates = updates(73).into_iter().map(|(i, a)| (i, a + 18)).collect();
        // Half of the merges find a node (distinct existing keys), half create one.
        let mut existing: Vec<u64> = key.clone();
        rng.shuffle(&mut existing);
        existing.truncate(n / 2);
        let mut merges: Vec<MergeInput> = existing
            .into_iter()
            .map(|k| MergeInput { key: k, draw: 0 })
            .chain((0..nodes - nodes / 2).map(|j| MergeInput {
                key: nodes + j,
                draw: nodes + 1 + j,
            }))
            .collect();
        rng.shuffle(&mut merges);
        Workload {
            nodes,
            key,
            rank,
            key_probes,
            grp_probes,
            range_probes,
            prefix_probes: groups.into_iter().map(code_prefix).collect(),
            expect_key,
            expect_grp,
            expect_range,
            expect_prefix,
            grp_updates,
            age_updates,
            merges,
        }
    }

    /// The properties of loaded node `i`.
    fn node(&self, i: u64) -> Properties {
        let at = (i - 1) as usize;
        props(i, self.key[at], self.rank[at])
    }
}

/// Timings and checksums of one run of every workload for one engine.
#[derive(Default, Clone)]
struct Run {
    load: Duration,
    builds: [Duration; INDEXES.len()],
    eq_key: Duration,
    eq_grp: Duration,
    range: Duration,
    prefix: Duration,
    update_indexed: Duration,
    update_plain: Duration,
    merge: Duration,
    /// Sum of the merged ids and number of nodes after the merges.
    merge_check: (u64, u64),
}

/// Which workloads run after the load and the index builds.
struct Steps {
    lookups: bool,
    updates: bool,
    merges: bool,
}

impl Steps {
    fn from_env() -> Steps {
        let only = std::env::var("BENCH_STEPS").ok();
        let on = |s: &str| only.as_deref().is_none_or(|o| o.split(',').any(|x| x == s));
        Steps {
            lookups: on("lookups"),
            updates: on("updates"),
            merges: on("merges"),
        }
    }
}

/// Time per probe of `f` over `probes` after a warm-up pass over the same probes; `f`
/// returns (hits, sum of ids), whose totals over the timed pass must equal `expect`.
fn per_probe<T>(
    what: &str,
    probes: &[T],
    expect: (u64, u64),
    mut f: impl FnMut(&T) -> Result<(u64, u64)>,
) -> Result<Duration> {
    if probes.is_empty() {
        return Ok(Duration::ZERO);
    }
    for p in probes {
        f(p)?;
    }
    let mut got = (0, 0);
    let t = Instant::now();
    for p in probes {
        let (hits, sum) = f(p)?;
        got = (got.0 + hits, got.1 + sum);
    }
    let d = t.elapsed() / u32::try_from(probes.len()).unwrap_or(u32::MAX);
    ensure!(
        got == expect,
        "{what}: got (hits, id sum) {got:?}, expected {expect:?}"
    );
    Ok(d)
}

fn id_sum(ids: &[u64]) -> (u64, u64) {
    (ids.len() as u64, ids.iter().sum())
}

/// The update rounds: `UPDATE_ROUNDS` rounds, each a slice of both update lists, the
/// indexed property first in even rounds; `apply(indexed, updates)` runs one slice and
/// returns its time.
fn interleaved_updates(
    w: &Workload,
    run: &mut Run,
    mut apply: impl FnMut(bool, &[(u64, i64)]) -> Result<Duration>,
) -> Result<()> {
    let per_round = UPDATES.div_ceil(UPDATE_ROUNDS);
    for round in 0..UPDATE_ROUNDS {
        let at = (round * per_round).min(UPDATES)..((round + 1) * per_round).min(UPDATES);
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for indexed in order {
            if indexed {
                run.update_indexed += apply(true, &w.grp_updates[at.clone()])?;
            } else {
                run.update_plain += apply(false, &w.age_updates[at.clone()])?;
            }
        }
    }
    run.update_indexed /= UPDATES as u32;
    run.update_plain /= UPDATES as u32;
    Ok(())
}

fn pagegraph_run(dir: &Path, w: &Workload, steps: &Steps) -> Result<Run> {
    let mut run = Run::default();
    let options = Options {
        cache_pages: PAGE_MEMORY_BYTES / 2 / 4096,
        durability: Durability::Normal,
        ..Options::default()
    };
    let graph = Graph::open_with(dir.join("props.pgdb"), options)?;
    let labels: &[&str] = &[LABEL];

    let mut tx = graph.begin_write()?;
    for start in (1..=w.nodes).step_by(LOAD_CHUNK) {
        let end = (start + LOAD_CHUNK as u64).min(w.nodes + 1);
        let chunk: Vec<(&[&str], Properties)> = (start..end).map(|i| (labels, w.node(i))).collect();
        let t = Instant::now();
        let ids = tx.create_nodes(chunk)?;
        run.load += t.elapsed();
        ensure!(
            ids.first() == Some(&NodeId(start)),
            "ids follow the load order"
        );
    }
    let t = Instant::now();
    tx.commit()?;
    run.load += t.elapsed();

    for (slot, &(prop, unique)) in run.builds.iter_mut().zip(&INDEXES) {
        let spec = IndexSpec::on_label(LABEL, prop);
        let spec = if unique { spec.unique() } else { spec };
        let t = Instant::now();
        let mut tx = graph.begin_write()?;
        let info = tx.create_index(spec)?;
        tx.commit()?;
        *slot = t.elapsed();
        ensure!(
            info.entries == w.nodes,
            "index on {prop}: {} entries",
            info.entries
        );
    }

    if steps.lookups {
        pagegraph_lookups(&graph, w, &mut run)?;
    }
    if steps.updates {
        interleaved_updates(w, &mut run, |indexed, updates| {
            let prop = if indexed { "grp" } else { "age" };
            let t = Instant::now();
            for batch in updates.chunks(UPDATE_BATCH) {
                let mut tx = graph.begin_write()?;
                for &(id, v) in batch {
                    tx.set_node_property(NodeId(id), prop, PropertyValue::Int(v))?;
                }
                tx.commit()?;
            }
            Ok(t.elapsed())
        })?;
    }
    if steps.merges {
        let on_match: Properties = [("seen".to_string(), PropertyValue::Bool(true))].into();
        let mut sum = 0;
        for batch in w.merges.chunks(MERGE_BATCH) {
            let inputs: Vec<(Properties, Properties)> = batch
                .iter()
                .map(|m| {
                    let key = [("key".to_string(), PropertyValue::String(key_text(m.key)))];
                    let create = if m.draw == 0 {
                        Properties::new()
                    } else {
                        other_props(m.draw, m.draw - 1)
                    };
                    (key.into(), create)
                })
                .collect();
            let t = Instant::now();
            let mut tx = graph.begin_write()?;
            for (key, create) in inputs {
                let merged = tx.merge_node(labels, key, create, on_match.clone())?;
                sum += merged.id.0;
            }
            tx.commit()?;
            run.merge += t.elapsed();
        }
        run.merge /= u32::try_from(w.merges.len())?;
        let r = graph.begin_read()?;
        run.merge_check = (sum, r.node_count()?);
    }
    graph.close()?;
    Ok(run)
}

fn pagegraph_lookups(graph: &Graph, w: &Workload, run: &mut Run) -> Result<()> {
    let r = graph.begin_read()?;
    let ids = |cond: &Condition, prop: &str| -> Result<(u64, u64)> {
        let ids: Vec<NodeId> = r
            .nodes_where(LABEL, prop, cond)?
            .collect::<pagegraph::Result<_>>()?;
        Ok((ids.len() as u64, ids.iter().map(|n| n.0).sum()))
    };
    let key_conds: Vec<Condition> = w
        .key_probes
        .iter()
        .map(|&i| Condition::Eq(PropertyValue::String(key_text(w.key[(i - 1) as usize]))))
        .collect();
    run.eq_key = per_probe("key =", &key_conds, w.expect_key, |c| ids(c, "key"))?;
    let grp_conds: Vec<Condition> = w
        .grp_probes
        .iter()
        .map(|&g| Condition::Eq(PropertyValue::Int(g)))
        .collect();
    run.eq_grp = per_probe("grp =", &grp_conds, w.expect_grp, |c| ids(c, "grp"))?;
    let range_conds: Vec<Condition> = w
        .range_probes
        .iter()
        .map(|&a| {
            Condition::Between(
                Bound::Included(PropertyValue::Int(a as i64)),
                Bound::Excluded(PropertyValue::Int((a + RANGE_WIDTH) as i64)),
            )
        })
        .collect();
    run.range = per_probe("rank range", &range_conds, w.expect_range, |c| {
        ids(c, "rank")
    })?;
    let prefix_conds: Vec<Condition> = w
        .prefix_probes
        .iter()
        .map(|p| Condition::StartsWith(p.clone()))
        .collect();
    run.prefix = per_probe("code prefix", &prefix_conds, w.expect_prefix, |c| {
        ids(c, "code")
    })?;
    Ok(())
}

fn sqlite_open(path: &Path) -> Result<Connection> {
    let c = Connection::open(path)?;
    c.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-{};
         CREATE TABLE IF NOT EXISTS nodes(id INTEGER PRIMARY KEY, label TEXT NOT NULL,
             data TEXT NOT NULL);",
        PAGE_MEMORY_BYTES / 1024
    ))?;
    Ok(c)
}

fn expr(prop: &str) -> String {
    format!("json_extract(data, '$.{prop}')")
}

const SQL_KEY: &str = "SELECT id FROM nodes WHERE json_extract(data, '$.key') = ?1";
const SQL_GRP: &str = "SELECT id FROM nodes WHERE json_extract(data, '$.grp') = ?1";
const SQL_RANGE: &str = "SELECT id FROM nodes \
     WHERE json_extract(data, '$.rank') >= ?1 AND json_extract(data, '$.rank') < ?2";
const SQL_PREFIX: &str = "SELECT id FROM nodes \
     WHERE json_extract(data, '$.code') >= ?1 AND json_extract(data, '$.code') < ?2";
const SQL_MERGE: &str = "INSERT INTO nodes(label, data) VALUES ('Item', ?1) \
     ON CONFLICT(json_extract(data, '$.key')) \
     DO UPDATE SET data = json_set(data, '$.seen', json('true')) RETURNING id";

/// The query plan of `sql`, one line per step; fails unless it searches an index.
fn query_plan(c: &Connection, sql: &str) -> Result<String> {
    let mut q = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    // Plans do not depend on the values bound, only on where the parameters are.
    let nulls = vec![rusqlite::types::Null; q.parameter_count()];
    let steps: Vec<String> = q
        .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))?
        .collect::<rusqlite::Result<_>>()?;
    let plan = steps.join("; ");
    ensure!(
        plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX"),
        "SQLite does not use an index for {sql}: {plan}"
    );
    Ok(plan)
}

fn sqlite_run(dir: &Path, w: &Workload, steps: &Steps, show_plans: bool) -> Result<Run> {
    let mut run = Run::default();
    let mut c = sqlite_open(&dir.join("props.sqlite"))?;

    let tx = c.transaction()?;
    {
        let mut ins = tx.prepare("INSERT INTO nodes(id, label, data) VALUES (?1, ?2, ?3)")?;
        for start in (1..=w.nodes).step_by(LOAD_CHUNK) {
            let end = (start + LOAD_CHUNK as u64).min(w.nodes + 1);
            let rows: Vec<String> = (start..end)
                .map(|i| json_text(&w.node(i)))
                .collect::<Result<_>>()?;
            let t = Instant::now();
            for (i, data) in (start..).zip(&rows) {
                ins.execute(params![i, LABEL, data])?;
            }
            run.load += t.elapsed();
        }
    }
    let t = Instant::now();
    tx.commit()?;
    run.load += t.elapsed();

    for (slot, &(prop, unique)) in run.builds.iter_mut().zip(&INDEXES) {
        let unique = if unique { "UNIQUE " } else { "" };
        let t = Instant::now();
        c.execute_batch(&format!(
            "CREATE {unique}INDEX nodes_{prop} ON nodes({})",
            expr(prop)
        ))?;
        *slot = t.elapsed();
    }
    if show_plans {
        for sql in [SQL_KEY, SQL_GRP, SQL_RANGE, SQL_PREFIX] {
            println!("SQLite plan: {sql}\n    -> {}", query_plan(&c, sql)?);
        }
    }

    if steps.lookups {
        sqlite_lookups(&c, w, &mut run)?;
    }
    if steps.updates {
        interleaved_updates(w, &mut run, |indexed, updates| {
            let prop = if indexed { "grp" } else { "age" };
            let sql =
                format!("UPDATE nodes SET data = json_set(data, '$.{prop}', ?2) WHERE id = ?1");
            let t = Instant::now();
            for batch in updates.chunks(UPDATE_BATCH) {
                let tx = c.transaction()?;
                {
                    let mut up = tx.prepare_cached(&sql)?;
                    for &(id, v) in batch {
                        ensure!(up.execute(params![id, v])? == 1, "node {id} missing");
                    }
                }
                tx.commit()?;
            }
            Ok(t.elapsed())
        })?;
    }
    if steps.merges {
        let mut sum = 0u64;
        for batch in w.merges.chunks(MERGE_BATCH) {
            let inputs: Vec<String> = batch
                .iter()
                .map(|m| {
                    let mut p = if m.draw == 0 {
                        Properties::new()
                    } else {
                        other_props(m.draw, m.draw - 1)
                    };
                    p.insert("key".into(), PropertyValue::String(key_text(m.key)));
                    json_text(&p)
                })
                .collect::<Result<_>>()?;
            let t = Instant::now();
            let tx = c.transaction()?;
            {
                let mut merge = tx.prepare_cached(SQL_MERGE)?;
                for data in &inputs {
                    let id: i64 = merge.query_row([data], |r| r.get(0))?;
                    sum += u64::try_from(id)?;
                }
            }
            tx.commit()?;
            run.merge += t.elapsed();
        }
        run.merge /= u32::try_from(w.merges.len())?;
        let count: i64 = c.query_row("SELECT count(*) FROM nodes", [], |r| r.get(0))?;
        run.merge_check = (sum, u64::try_from(count)?);
    }
    Ok(run)
}

fn sqlite_lookups(c: &Connection, w: &Workload, run: &mut Run) -> Result<()> {
    let collect = |q: &mut rusqlite::Statement<'_>, p: &[&dyn rusqlite::ToSql]| {
        let ids: Vec<u64> = q
            .query_map(p, |r| r.get::<_, i64>(0))?
            .map(|id| Ok(u64::try_from(id?)?))
            .collect::<Result<_>>()?;
        Ok::<_, anyhow::Error>(id_sum(&ids))
    };
    let keys: Vec<String> = w
        .key_probes
        .iter()
        .map(|&i| key_text(w.key[(i - 1) as usize]))
        .collect();
    let mut q = c.prepare(SQL_KEY)?;
    run.eq_key = per_probe("key =", &keys, w.expect_key, |k| collect(&mut q, &[k]))?;
    let mut q = c.prepare(SQL_GRP)?;
    run.eq_grp = per_probe("grp =", &w.grp_probes, w.expect_grp, |g| {
        collect(&mut q, &[g])
    })?;
    let mut q = c.prepare(SQL_RANGE)?;
    run.range = per_probe("rank range", &w.range_probes, w.expect_range, |&a| {
        collect(&mut q, &[&(a as i64), &((a + RANGE_WIDTH) as i64)])
    })?;
    let bounds: Vec<(String, String)> = w
        .prefix_probes
        .iter()
        .map(|p| (p.clone(), prefix_end(p)))
        .collect();
    let mut q = c.prepare(SQL_PREFIX)?;
    run.prefix = per_probe("code prefix", &bounds, w.expect_prefix, |(lo, hi)| {
        collect(&mut q, &[lo, hi])
    })?;
    Ok(())
}

/// How a row is shown, and its target.
#[derive(Clone, Copy)]
enum Unit {
    /// A bulk operation over `N` items: seconds and items per second.
    Bulk,
    /// A per-operation time.
    PerOp,
}

/// What a row's target asks.
#[derive(Clone, Copy)]
enum Target {
    None,
    /// pagegraph at least this many times faster than SQLite.
    Faster(f64),
    /// As `Faster`, and at least this many items per second.
    FasterAndRate(f64, f64),
}

struct Row {
    label: String,
    unit: Unit,
    target: Target,
    time: Box<dyn Fn(&Run) -> Duration>,
}

fn rows() -> Vec<Row> {
    let mut rows = vec![Row {
        label: "load N nodes, no property index (1 txn)".into(),
        unit: Unit::Bulk,
        target: Target::None,
        time: Box::new(|r| r.load),
    }];
    for (i, &(prop, unique)) in INDEXES.iter().enumerate() {
        rows.push(Row {
            label: format!(
                "build {}index on `{prop}` (+ commit)",
                if unique { "unique " } else { "" }
            ),
            unit: Unit::Bulk,
            target: Target::FasterAndRate(1.0, 1e6),
            time: Box::new(move |r| r.builds[i]),
        });
    }
    let per_op = |label: &str, target, time: fn(&Run) -> Duration| Row {
        label: label.into(),
        unit: Unit::PerOp,
        target,
        time: Box::new(time),
    };
    rows.extend([
        per_op("`key = ?` (unique, 1 hit)", Target::Faster(3.0), |r| {
            r.eq_key
        }),
        per_op("`grp = ?` (~N/1000 hits)", Target::Faster(3.0), |r| {
            r.eq_grp
        }),
        per_op(
            "`rank >= a AND rank < a+100` (100 hits)",
            Target::Faster(3.0),
            |r| r.range,
        ),
        per_op(
            "`code STARTS WITH 'eu042-'` (~100 hits)",
            Target::Faster(3.0),
            |r| r.prefix,
        ),
        per_op("update `grp` (indexed), 1000 per txn", Target::None, |r| {
            r.update_indexed
        }),
        per_op(
            "update `age` (not indexed), 1000 per txn",
            Target::None,
            |r| r.update_plain,
        ),
        per_op(
            "merge N keys, half existing, 10000 per txn (per merge)",
            Target::Faster(2.0),
            |r| r.merge,
        ),
    ]);
    rows
}

fn show(unit: Unit, n: u64, d: Duration) -> String {
    let s = d.as_secs_f64();
    match unit {
        Unit::Bulk => format!("{s:.2} s ({:.0} K/s)", n as f64 / s / 1e3),
        Unit::PerOp if s < 1e-6 => format!("{:.0} ns", s * 1e9),
        Unit::PerOp if s < 1e-3 => format!("{:.2} us", s * 1e6),
        Unit::PerOp => format!("{:.2} ms", s * 1e3),
    }
}

/// Median and range of some durations, as `median (min-max)`.
fn spread(unit: Unit, n: u64, v: &[Duration]) -> String {
    let (Some(lo), Some(hi)) = (v.iter().min(), v.iter().max()) else {
        return "-".into();
    };
    let mid = median(v.to_vec());
    if v.len() < 2 {
        return show(unit, n, mid);
    }
    let short = |d: Duration| {
        let s = d.as_secs_f64();
        match unit {
            Unit::Bulk => format!("{s:.2}"),
            Unit::PerOp => show(unit, n, d),
        }
    };
    format!("{} ({}-{})", show(unit, n, mid), short(*lo), short(*hi))
}

fn ratio_spread(mut r: Vec<f64>) -> (f64, String) {
    r.sort_by(f64::total_cmp);
    let mid = r.get(r.len() / 2).copied().unwrap_or(f64::NAN);
    let text = match (r.first(), r.last()) {
        (Some(lo), Some(hi)) if r.len() > 1 => format!("{mid:.2}x ({lo:.2}-{hi:.2})"),
        _ => format!("{mid:.2}x"),
    };
    (mid, text)
}

fn report(w: &Workload, pg: &[Run], sq: &[Run], steps: &Steps) -> Result<()> {
    let runs = pg.len().max(sq.len());
    println!(
        "{} nodes x 10 properties; {runs} runs: median (min-max); SQLite / pagegraph per run, \
         median (min-max); page memory {} MiB each",
        w.nodes,
        PAGE_MEMORY_BYTES >> 20
    );
    println!();
    println!("| workload | pagegraph | SQLite | SQLite / pagegraph | target | met |");
    println!("|---|---:|---:|---:|---|---|");
    for row in rows() {
        let pg_times: Vec<Duration> = pg.iter().map(&row.time).collect();
        let sq_times: Vec<Duration> = sq.iter().map(&row.time).collect();
        if pg_times.iter().chain(&sq_times).all(Duration::is_zero) {
            continue;
        }
        let ratios: Vec<f64> = pg_times
            .iter()
            .zip(&sq_times)
            .map(|(a, b)| b.as_secs_f64() / a.as_secs_f64())
            .collect();
        let (ratio, ratio_text) = ratio_spread(ratios);
        let rate = w.nodes as f64 / median(pg_times.clone()).as_secs_f64();
        let (target, met) = match row.target {
            Target::None => (String::new(), String::new()),
            Target::Faster(x) => (format!(">= {x:.0}x"), yes(ratio >= x)),
            Target::FasterAndRate(x, min_rate) => (
                format!(">= {:.0}K/s, > {x:.0}x", min_rate / 1e3),
                yes(ratio > x && rate >= min_rate),
            ),
        };
        println!(
            "| {} | {} | {} | {} | {target} | {met} |",
            row.label,
            spread(row.unit, w.nodes, &pg_times),
            spread(row.unit, w.nodes, &sq_times),
            if sq_times.is_empty() || pg_times.is_empty() {
                "-".into()
            } else {
                ratio_text
            },
        );
    }
    if steps.updates {
        let within = |v: &[Run]| {
            ratio_spread(
                v.iter()
                    .map(|r| r.update_indexed.as_secs_f64() / r.update_plain.as_secs_f64())
                    .collect(),
            )
        };
        let (pg_ratio, pg_text) = within(pg);
        let (_, sq_text) = within(sq);
        println!(
            "| indexed / unindexed update, same engine | {pg_text} | {sq_text} | | <= 2x | {} |",
            yes(pg_ratio <= 2.0)
        );
    }
    if steps.merges && !pg.is_empty() && !sq.is_empty() {
        for (a, b) in pg.iter().zip(sq) {
            ensure!(
                a.merge_check == b.merge_check,
                "merges differ: pagegraph (id sum, nodes) {:?}, SQLite {:?}",
                a.merge_check,
                b.merge_check
            );
        }
    }
    std::io::stdout().flush()?;
    Ok(())
}

fn yes(b: bool) -> String {
    if b { "yes" } else { "**no**" }.into()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).map_or(Ok(1_000_000), |s| s.parse())?;
    let runs: usize = args.get(2).map_or(Ok(3), |s| s.parse())?;
    ensure!(n >= RANGE_WIDTH, "at least {RANGE_WIDTH} nodes");
    let steps = Steps::from_env();
    let w = Workload::new(n);
    let base = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let only = std::env::var("BENCH_ONLY").ok();
    let load_before = load_average();
    let (mut pg, mut sq) = (Vec::new(), Vec::new());
    for i in 0..runs {
        // Alternate which engine goes first, so drift hits both alike.
        for engine in if i % 2 == 0 { [0, 1] } else { [1, 0] } {
            let name = ["pagegraph", "sqlite"][engine];
            if only.as_deref().is_some_and(|o| o != name) {
                continue;
            }
            let dir = tempfile::tempdir_in(&base)?;
            eprintln!("run {}/{runs}: {name}", i + 1);
            if engine == 0 {
                pg.push(pagegraph_run(dir.path(), &w, &steps).context("pagegraph")?);
            } else {
                sq.push(sqlite_run(dir.path(), &w, &steps, sq.is_empty()).context("sqlite")?);
            }
        }
    }
    // The machine is shared: the load around the run says how much of it others used.
    println!(
        "load average (1, 5, 15 min) before the runs: {load_before}; after: {}",
        load_average()
    );
    report(&w, &pg, &sq, &steps)
}

/// The first three fields of `/proc/loadavg`, or "?" where there is none.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "?".into(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}
