//! Graph-level crash test with a real process kill.
//!
//! A child process (this test binary, re-run on the ignored `crash_child` test) opens a graph
//! with a 16-page cache and commits transaction after transaction, each one a pure function
//! of its number: a batch of nodes (some with data over the inline limit), a batch of edges
//! between existing nodes, an edge delete, a data update, and the transaction number in the
//! data of node 1; every seventh transaction also merges the adjacency deltas into the main
//! trees. It prints `committing N` before and `committed N` after each commit. The
//! parent kills it with SIGKILL at a random moment, reopens, and requires:
//! - the graph is exactly after transaction `N` reported committed, or `N+1` if that one was
//!   in flight (acknowledged commits survive);
//! - every node, edge and neighbor list equals the model replayed to that transaction;
//! - `check()` (storage and graph invariants) is clean.
//!
//! 25 kills in `Full` and 10 in `Normal` mode in CI; more with `PAGEGRAPH_STRESS=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pagegraph::{
    Direction, Durability, EdgeId, EdgeSpec, Graph, NodeId, NodeSpec, Options, WriteTxn,
};
use serde_json::{Value, json};

fn scale(ci: u64, stress: u64) -> u64 {
    if std::env::var_os("PAGEGRAPH_STRESS").is_some() {
        stress
    } else {
        ci
    }
}

/// The committed graph as plain maps.
#[derive(Default, Clone)]
struct Model {
    nodes: BTreeMap<NodeId, (String, String, Value)>,
    edges: BTreeMap<EdgeId, (NodeId, NodeId, String, Value)>,
    next_node: u64,
    next_edge: u64,
}

/// One transaction's changes, computed from its number and the state before it.
struct Txn {
    nodes: Vec<NodeSpec>,
    edges: Vec<EdgeSpec>,
    delete_edge: Option<EdgeId>,
    update: Option<(NodeId, Value)>,
}

fn txn(n: u64, m: &Model) -> Txn {
    let mut rng = fastrand::Rng::with_seed(n);
    let nodes: Vec<NodeSpec> = (0..rng.usize(1..25))
        .map(|j| NodeSpec {
            kind: format!("k{}", j % 3),
            name: format!("n{n}_{j}"),
            data: if rng.u8(0..5) == 0 {
                json!({"big": "x".repeat(rng.usize(70..3000))})
            } else {
                json!({"n": n, "j": j})
            },
        })
        .collect();
    let existing = m.next_node.max(1) - 1 + nodes.len() as u64;
    let edges = (0..rng.usize(0..60))
        .map(|_| EdgeSpec {
            from: NodeId(rng.u64(1..=existing)),
            to: NodeId(rng.u64(1..=existing)),
            edge_type: ["CALLS", "USES"][rng.usize(0..2)].to_string(),
            data: json!({"n": n}),
        })
        .collect();
    let delete_edge = if m.edges.is_empty() || rng.bool() {
        None
    } else {
        m.edges.keys().nth(rng.usize(0..m.edges.len())).copied()
    };
    let update = (existing > 1).then(|| (NodeId(rng.u64(2..=existing)), json!({"updated": n})));
    Txn {
        nodes,
        edges,
        delete_edge,
        update,
    }
}

fn apply(tx: &mut WriteTxn, t: &Txn, n: u64) {
    tx.insert_nodes(t.nodes.clone()).unwrap();
    tx.insert_edges(t.edges.clone()).unwrap();
    if let Some(e) = t.delete_edge {
        tx.delete_edge(e).unwrap();
    }
    if let Some((id, data)) = &t.update {
        tx.update_node(*id, data.clone()).unwrap();
    }
    tx.update_node(NodeId(1), json!({"txn": n})).unwrap();
    // Small batches into a graph with edges go to the adjacency deltas; every seventh
    // transaction also merges them into the main trees (kills land inside merges too).
    if n.is_multiple_of(7) {
        tx.merge_adjacency_deltas().unwrap();
    }
}

fn model_after(n: u64) -> Model {
    let mut m = Model {
        next_node: 1,
        next_edge: 1,
        ..Model::default()
    };
    for i in 1..=n {
        step(&mut m, i);
    }
    m
}

/// Applies transaction `i` to the model.
fn step(m: &mut Model, i: u64) {
    let t = txn(i, m);
    for s in t.nodes {
        m.nodes
            .insert(NodeId(m.next_node), (s.kind, s.name, s.data));
        m.next_node += 1;
    }
    for s in t.edges {
        m.edges
            .insert(EdgeId(m.next_edge), (s.from, s.to, s.edge_type, s.data));
        m.next_edge += 1;
    }
    if let Some(e) = t.delete_edge {
        m.edges.remove(&e);
    }
    if let Some((id, data)) = t.update {
        m.nodes.get_mut(&id).unwrap().2 = data;
    }
    m.nodes.get_mut(&NodeId(1)).unwrap().2 = json!({"txn": i});
}

fn options(durability: Durability) -> Options {
    Options {
        cache_pages: 16,
        durability,
        ..Options::default()
    }
}

fn counter(g: &Graph) -> u64 {
    g.begin_read()
        .unwrap()
        .node(NodeId(1))
        .unwrap()
        .map_or(0, |n| n.data["txn"].as_u64().unwrap())
}

/// The child: commits forever until killed.
#[test]
#[ignore = "run by the crash tests as a child process"]
fn crash_child() {
    let Some(path) = std::env::var_os("PAGEGRAPH_CRASH_DB") else {
        return;
    };
    let durability = if std::env::var_os("PAGEGRAPH_CRASH_NORMAL").is_some() {
        Durability::Normal
    } else {
        Durability::Full
    };
    let g = Graph::open_with(Path::new(&path), options(durability)).unwrap();
    let mut n = counter(&g);
    let mut model = model_after(n);
    println!("ready {n}");
    loop {
        n += 1;
        let t = txn(n, &model);
        let mut tx = g.begin_write().unwrap();
        apply(&mut tx, &t, n);
        println!("committing {n}");
        tx.commit().unwrap();
        println!("committed {n}");
        step(&mut model, n);
    }
}

fn assert_matches(g: &Graph, m: &Model, ctx: &str) {
    let r = g.begin_read().unwrap();
    let nodes: BTreeMap<NodeId, (String, String, Value)> = r
        .nodes()
        .map(|n| n.map(|n| (n.id, (n.kind, n.name, n.data))))
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(nodes == m.nodes, "{ctx}: nodes differ");
    let edges: BTreeMap<EdgeId, (NodeId, NodeId, String, Value)> = r
        .edges()
        .map(|e| e.map(|e| (e.id, (e.from, e.to, e.edge_type, e.data))))
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(edges == m.edges, "{ctx}: edges differ");
    for &id in m.nodes.keys() {
        let mut got = r.neighbors(id, Direction::Outgoing, None).unwrap();
        got.sort_unstable();
        let want: Vec<(EdgeId, NodeId)> = m
            .edges
            .iter()
            .filter(|(_, e)| e.0 == id)
            .map(|(&e, v)| (e, v.1))
            .collect();
        assert_eq!(got, want, "{ctx}: outgoing of {id}");
        let incoming = r.degree(id, Direction::Incoming, None).unwrap();
        let want_in = m.edges.values().filter(|e| e.1 == id).count() as u64;
        assert_eq!(incoming, want_in, "{ctx}: in-degree of {id}");
    }
    let report = g.check().unwrap();
    assert!(report.is_clean(), "{ctx}: {:?}", report.problems);
}

fn run_kills(kills: u64, durability: Durability, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.pgdb");
    let mut rng = fastrand::Rng::with_seed(seed);
    let exe = std::env::current_exe().unwrap();
    let mut last_checked = 0;
    for kill in 0..kills {
        let mut cmd = Command::new(&exe);
        cmd.args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PAGEGRAPH_CRASH_DB", &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
        if durability == Durability::Normal {
            cmd.env("PAGEGRAPH_CRASH_NORMAL", "1");
        }
        let mut child = cmd.spawn().unwrap();
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
        let commits_before_kill = rng.u64(0..5);
        let extra = Duration::from_micros(rng.u64(0..4000));
        let (mut reported, mut in_flight) = (0u64, 0u64);
        let mut seen = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
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
        let g = Graph::open_with(&path, options(durability)).unwrap();
        let n = counter(&g);
        let ctx = format!(
            "kill {kill} ({durability:?}): reported {reported}, in flight {in_flight}, found {n}"
        );
        assert!(n == reported.max(last_checked) || n == in_flight, "{ctx}");
        assert_matches(&g, &model_after(n), &ctx);
        last_checked = n;
        g.close().unwrap();
    }
    assert!(
        last_checked > kills,
        "the children committed only {last_checked} transactions"
    );
}

#[test]
fn kill_during_full_graph_commits() {
    run_kills(scale(25, 200), Durability::Full, 1);
}

#[test]
fn kill_during_normal_graph_commits() {
    run_kills(scale(10, 100), Durability::Normal, 2);
}
