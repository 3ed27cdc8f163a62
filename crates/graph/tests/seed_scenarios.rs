//! The reference system's failure scenarios as integration tests, each run with a 16-page
//! cache, once with `Durability::Full` and once with the WAL off; each closes and reopens
//! the database, then verifies every node by id, every edge, every neighbor list (both
//! directions), kind and name index results, and `check()`.
//!
//! - A: 10,000 nodes.
//! - B: 10,000 nodes and 50,000 random edges (fixed seed).
//! - C: 10,000 nodes in 20 kinds of 500 and 16 name prefixes of 625, data from ~20 to ~300
//!   bytes (both sides of the 64-byte inline limit).
//! - D: B and C together.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use pagegraph::{Direction, Durability, EdgeId, EdgeSpec, Graph, NodeId, NodeSpec, Options};
use serde_json::json;

const NODES: usize = 10_000;
const EDGES: usize = 50_000;
const PREFIXES: [&str; 16] = [
    "process_data",
    "parse_input",
    "load_config",
    "write_output",
    "read_file",
    "open_socket",
    "close_socket",
    "handle_request",
    "send_reply",
    "compute_hash",
    "verify_sig",
    "encode_json",
    "decode_json",
    "spawn_task",
    "join_task",
    "log_event",
];

fn spec(i: usize, mixed: bool) -> NodeSpec {
    if mixed {
        // 20 kinds x 500 nodes; 16 prefixes x 625 names; data 20..~300 bytes.
        let pad = "x".repeat(i * 37 % 280);
        NodeSpec {
            kind: format!("kind_{}", i % 20),
            name: format!("{}_{}", PREFIXES[i % 16], i / 16),
            data: json!({ "i": i, "pad": pad }),
        }
    } else {
        NodeSpec {
            kind: "node".into(),
            name: format!("n{i}"),
            data: json!({ "i": i }),
        }
    }
}

fn run(mixed: bool, edges: bool, durability: Durability) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.pgdb");
    let options = Options {
        cache_pages: 16,
        durability,
        ..Options::default()
    };
    let mut ids = Vec::new();
    let mut edge_list: Vec<(EdgeId, NodeId, NodeId, String)> = Vec::new();
    {
        let g = Graph::open_with(&path, options.clone()).unwrap();
        for chunk in (0..NODES).collect::<Vec<_>>().chunks(1000) {
            let mut tx = g.begin_write().unwrap();
            ids.extend(
                tx.insert_nodes(chunk.iter().map(|&i| spec(i, mixed)))
                    .unwrap(),
            );
            tx.commit().unwrap();
        }
        if edges {
            let mut rng = fastrand::Rng::with_seed(42);
            for _ in 0..EDGES / 5000 {
                let specs: Vec<EdgeSpec> = (0..5000)
                    .map(|_| EdgeSpec {
                        from: ids[rng.usize(0..NODES)],
                        to: ids[rng.usize(0..NODES)],
                        edge_type: ["CALLS", "READS", "WRITES"][rng.usize(0..3)].into(),
                        data: json!({ "w": rng.u8(..) }),
                    })
                    .collect();
                let mut tx = g.begin_write().unwrap();
                let got = tx.insert_edges(specs.clone()).unwrap();
                tx.commit().unwrap();
                edge_list.extend(
                    got.into_iter()
                        .zip(specs)
                        .map(|(e, s)| (e, s.from, s.to, s.edge_type)),
                );
            }
        }
        g.close().unwrap();
    }
    let g = Graph::open_with(&path, options).unwrap();
    let ctx = format!("mixed={mixed} edges={edges} {durability:?}");
    verify(&g, &ids, &edge_list, mixed, &ctx);
}

/// Every node, edge, neighbor list, index result and `check()` after reopening.
fn verify(
    g: &Graph,
    ids: &[NodeId],
    edge_list: &[(EdgeId, NodeId, NodeId, String)],
    mixed: bool,
    ctx: &str,
) {
    let r = g.begin_read().unwrap();
    assert_eq!(r.node_count().unwrap(), NODES as u64, "{ctx}");
    for (i, &id) in ids.iter().enumerate() {
        let n = r
            .node(id)
            .unwrap()
            .unwrap_or_else(|| panic!("{ctx}: node {id} lost"));
        let want = spec(i, mixed);
        assert_eq!(
            (n.kind, n.name, n.data),
            (want.kind, want.name, want.data),
            "{ctx}: node {id}"
        );
    }
    assert_eq!(r.edge_count().unwrap(), edge_list.len() as u64, "{ctx}");
    let mut out: BTreeMap<NodeId, Vec<(EdgeId, NodeId)>> = BTreeMap::new();
    let mut inc: BTreeMap<NodeId, Vec<(EdgeId, NodeId)>> = BTreeMap::new();
    for (e, from, to, ty) in edge_list {
        let edge = r.edge(*e).unwrap().unwrap();
        assert_eq!(
            (edge.from, edge.to, &edge.edge_type),
            (*from, *to, ty),
            "{ctx}: edge {e}"
        );
        out.entry(*from).or_default().push((*e, *to));
        inc.entry(*to).or_default().push((*e, *from));
    }
    for &id in ids {
        for (dir, model) in [(Direction::Outgoing, &out), (Direction::Incoming, &inc)] {
            let mut got = r.neighbors(id, dir, None).unwrap();
            got.sort_unstable();
            let mut want = model.get(&id).cloned().unwrap_or_default();
            want.sort_unstable();
            assert_eq!(got, want, "{ctx}: {dir:?} neighbors of {id}");
        }
    }
    if mixed {
        let kinds = r.kinds().unwrap();
        assert_eq!(kinds.len(), 20, "{ctx}");
        assert!(kinds.iter().all(|(_, n)| *n == 500), "{ctx}: {kinds:?}");
        for k in 0..20 {
            assert_eq!(
                r.nodes_by_kind(&format!("kind_{k}")).unwrap().len(),
                500,
                "{ctx}"
            );
        }
        for p in PREFIXES {
            assert_eq!(
                r.nodes_by_name_prefix(&format!("{p}_")).unwrap().len(),
                625,
                "{ctx}: prefix {p}"
            );
        }
        assert_eq!(
            r.nodes_by_name("process_data_7").unwrap(),
            vec![ids[7 * 16]],
            "{ctx}"
        );
        assert_eq!(
            r.nodes_by_name_glob("process_data_?").unwrap().len(),
            10,
            "{ctx}"
        );
    } else {
        assert_eq!(
            r.kinds().unwrap(),
            vec![("node".to_string(), NODES as u64)],
            "{ctx}"
        );
    }
    drop(r);
    let report = g.check().unwrap();
    assert!(report.is_clean(), "{ctx}: {:?}", report.problems);
}

#[test]
fn scenario_a_nodes() {
    for d in [Durability::Full, Durability::Off] {
        run(false, false, d);
    }
}

#[test]
fn scenario_b_nodes_and_edges() {
    for d in [Durability::Full, Durability::Off] {
        run(false, true, d);
    }
}

#[test]
fn scenario_c_kinds_and_name_prefixes() {
    for d in [Durability::Full, Durability::Off] {
        run(true, false, d);
    }
}

#[test]
fn scenario_d_everything() {
    for d in [Durability::Full, Durability::Off] {
        run(true, true, d);
    }
}
