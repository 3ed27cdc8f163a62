//! Crash test of indexes with a real process kill: a child process (this test binary, re-run
//! on the ignored `index_crash_child` test) commits transaction after transaction, each a
//! pure function of its number: a batch of `Item` nodes with a unique `key` and an indexed
//! `group`, updates of `group` on earlier nodes (indexed writes), deletes by key, and every
//! third transaction drops the `group` index and builds it again over all the data (a bulk
//! build that the kill often lands in). It prints `committing N` / `committed N`. The
//! parent kills it with SIGKILL at a random moment, reopens, and requires:
//! - the graph is exactly after the reported transaction (or the one in flight);
//! - every index is absent or exact: `check` (which compares each index with the records)
//!   is clean, the unique `key` index answers every key of the model with its one node,
//!   and a `group` lookup equals the model's scan.
//!
//! 8 kills in CI; more with `PAGEGRAPH_STRESS=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation,
    clippy::too_many_lines
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pagegraph::{
    Condition, Graph, IndexSpec, NodeId, Options, Properties, PropertyValue as V, WriteTxn,
};

/// key -> group, after transaction `n`.
type Model = BTreeMap<String, i64>;

fn txn_rng(n: u64) -> fastrand::Rng {
    fastrand::Rng::with_seed(n.wrapping_mul(0x9E37_79B9))
}

/// Transaction `n` applied to the model (and, with `tx`, to the graph).
fn step(n: u64, m: &mut Model, mut tx: Option<&mut WriteTxn>) {
    let mut rng = txn_rng(n);
    if let Some(tx) = tx.as_deref_mut() {
        if n == 1 {
            tx.create_index(IndexSpec::on_label("Item", "key").unique())
                .unwrap();
            tx.create_index(IndexSpec::on_label("Item", "group"))
                .unwrap();
        } else if n.is_multiple_of(3) {
            tx.drop_index("Item_group").unwrap();
            tx.create_index(IndexSpec::on_label("Item", "group"))
                .unwrap();
        }
    }
    let count = rng.usize(200..3000);
    let mut batch = Vec::with_capacity(count);
    for j in 0..count {
        let key = format!("t{n}_{j}");
        let group = rng.i64(0..50);
        m.insert(key.clone(), group);
        batch.push(key);
    }
    if let Some(tx) = tx.as_deref_mut() {
        let items: Vec<Properties> = batch
            .iter()
            .map(|k| {
                [
                    ("key".to_string(), V::String(k.clone())),
                    ("group".to_string(), V::Int(m[k])),
                ]
                .into()
            })
            .collect();
        tx.create_nodes(items.into_iter().map(|p| (&["Item"][..], p)))
            .unwrap();
    }
    // Indexed updates and deletes by key of earlier nodes.
    let keys: Vec<String> = m.keys().cloned().collect();
    for _ in 0..rng.usize(0..40) {
        let k = &keys[rng.usize(..keys.len())];
        let g = rng.i64(0..50);
        m.insert(k.clone(), g);
        if let Some(tx) = tx.as_deref_mut() {
            let id = tx
                .nodes_where("Item", "key", &Condition::Eq(V::String(k.clone())))
                .unwrap()
                .next()
                .unwrap()
                .unwrap();
            tx.set_node_property(id, "group", V::Int(g)).unwrap();
        }
    }
    for _ in 0..rng.usize(0..5) {
        let k = keys[rng.usize(..keys.len())].clone();
        // Node 1 (`t1_0`) holds the transaction counter.
        if k != "t1_0"
            && m.remove(&k).is_some()
            && let Some(tx) = tx.as_deref_mut()
        {
            let cond = Condition::Eq(V::String(k));
            assert_eq!(tx.delete_nodes_where("Item", "key", &cond).unwrap(), 1);
        }
    }
    if let Some(tx) = tx {
        tx.set_node_property(NodeId(1), "txn", V::Int(n as i64))
            .unwrap();
    }
}

fn model_after(n: u64) -> Model {
    let mut m = Model::new();
    for i in 1..=n {
        step(i, &mut m, None);
    }
    m
}

fn options() -> Options {
    Options {
        cache_pages: 64,
        ..Options::default()
    }
}

/// The last committed transaction, from node 1's `txn` property.
fn counter(g: &Graph) -> u64 {
    let r = g.begin_read().unwrap();
    match r.node_props(NodeId(1)).unwrap() {
        Some(n) => match n.properties.get("txn") {
            Some(V::Int(t)) => *t as u64,
            _ => 0,
        },
        None => 0,
    }
}

#[test]
#[ignore = "run by the index crash test as a child process"]
fn index_crash_child() {
    let Some(path) = std::env::var_os("PAGEGRAPH_INDEX_CRASH_DB") else {
        return;
    };
    let g = Graph::open_with(Path::new(&path), options()).unwrap();
    let mut n = counter(&g);
    let mut model = model_after(n);
    println!("ready {n}");
    loop {
        n += 1;
        let mut tx = g.begin_write().unwrap();
        step(n, &mut model, Some(&mut tx));
        println!("committing {n}");
        tx.commit().unwrap();
        println!("committed {n}");
    }
}

fn assert_matches(g: &Graph, m: &Model, ctx: &str) {
    let report = g.check().unwrap();
    assert!(report.is_clean(), "{ctx}: {:?}", report.problems);
    let r = g.begin_read().unwrap();
    assert_eq!(r.node_count().unwrap(), m.len() as u64, "{ctx}");
    if m.is_empty() {
        return;
    }
    let names: Vec<String> = r.indexes().unwrap().into_iter().map(|i| i.name).collect();
    assert!(names.contains(&"Item_key".to_string()), "{ctx}: {names:?}");
    let mut rng = fastrand::Rng::with_seed(m.len() as u64);
    let keys: Vec<&String> = m.keys().collect();
    for _ in 0..200 {
        let k = keys[rng.usize(..keys.len())];
        let ids: Vec<NodeId> = r
            .nodes_where("Item", "key", &Condition::Eq(V::String(k.clone())))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(ids.len(), 1, "{ctx}: key {k}");
        let got = r.node_props(ids[0]).unwrap().unwrap();
        assert_eq!(
            got.properties.get("group"),
            Some(&V::Int(m[k])),
            "{ctx}: {k}"
        );
    }
    for g in [0, 17, 49] {
        let want = m.values().filter(|&&v| v == g).count();
        let got = r
            .nodes_where("Item", "group", &Condition::Eq(V::Int(g)))
            .unwrap()
            .count();
        assert_eq!(got, want, "{ctx}: group {g}");
    }
}

#[test]
fn kill_during_index_builds_and_indexed_writes() {
    let kills = if std::env::var_os("PAGEGRAPH_STRESS").is_some() {
        60
    } else {
        8
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.pgdb");
    let mut rng = fastrand::Rng::with_seed(11);
    let exe = std::env::current_exe().unwrap();
    let mut last_checked = 0;
    for kill in 0..kills {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "index_crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("PAGEGRAPH_INDEX_CRASH_DB", &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let commits_before_kill = rng.u64(0..4);
        let extra = Duration::from_micros(rng.u64(0..30_000));
        let (mut reported, mut in_flight) = (0u64, 0u64);
        let note = |line: &str, reported: &mut u64, in_flight: &mut u64| {
            if let Some(n) = line.strip_prefix("committed ") {
                *reported = n.parse().unwrap();
                true
            } else {
                if let Some(n) = line.strip_prefix("committing ") {
                    *in_flight = n.parse().unwrap();
                } else if let Some(n) = line.strip_prefix("ready ") {
                    *reported = (*reported).max(n.parse().unwrap());
                }
                false
            }
        };
        let mut seen = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen < commits_before_kill && Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    if note(&line, &mut reported, &mut in_flight) {
                        seen += 1;
                    }
                }
                Err(_) => break,
            }
        }
        std::thread::sleep(extra);
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            note(&line, &mut reported, &mut in_flight);
        }
        let g = Graph::open_with(&path, options()).unwrap();
        let n = counter(&g);
        let ctx = format!("kill {kill}: reported {reported}, in flight {in_flight}, found {n}");
        assert!(n == reported.max(last_checked) || n == in_flight, "{ctx}");
        assert_matches(&g, &model_after(n), &ctx);
        last_checked = n;
        g.close().unwrap();
    }
    assert!(
        last_checked >= kills / 2,
        "the children committed only {last_checked} transactions"
    );
}
