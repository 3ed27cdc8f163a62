//! Model-based property test of the graph layer: random sequences of node and edge inserts,
//! data updates, deletes (nodes take their edges with them), commits, aborts and reopens,
//! through a 16-page cache, against a plain in-memory model graph. After every transaction
//! every query is compared: each node and edge, neighbors in every direction with and
//! without a type filter, degrees, counts, kinds, edge types, kind/name/prefix/glob indexes.
//! Errors for missing ids are checked too, and the transaction stays usable after them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names,
    clippy::too_many_lines,
    reason = "a model test reads best as one loop against one model"
)]

use std::collections::BTreeMap;

use pagegraph::{Direction, EdgeId, EdgeSpec, Graph, GraphError, NodeId, NodeSpec, Options};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Model {
    nodes: BTreeMap<NodeId, (String, String, Value)>,
    edges: BTreeMap<EdgeId, (NodeId, NodeId, String, Value)>,
}

const KINDS: [&str; 4] = ["fn", "struct", "module", "trait"];
const TYPES: [&str; 3] = ["CALLS", "USES", "CONTAINS"];

fn data(rng: &mut fastrand::Rng) -> Value {
    if rng.u8(0..4) == 0 {
        json!({ "doc": "d".repeat(rng.usize(60..400)) })
    } else {
        json!({ "n": rng.u32(..) })
    }
}

fn open(path: &std::path::Path) -> Graph {
    Graph::open_with(
        path,
        Options {
            cache_pages: 16,
            ..Options::default()
        },
    )
    .unwrap()
}

fn compare(g: &Graph, m: &Model, ctx: &str) {
    let r = g.begin_read().unwrap();
    assert_eq!(r.node_count().unwrap(), m.nodes.len() as u64, "{ctx}");
    assert_eq!(r.edge_count().unwrap(), m.edges.len() as u64, "{ctx}");
    let nodes: Vec<_> = r
        .nodes()
        .map(Result::unwrap)
        .map(|n| (n.id, (n.kind, n.name, n.data)))
        .collect();
    assert!(
        nodes == m.nodes.clone().into_iter().collect::<Vec<_>>(),
        "{ctx}: nodes differ"
    );
    let edges: Vec<_> = r
        .edges()
        .map(Result::unwrap)
        .map(|e| (e.id, (e.from, e.to, e.edge_type, e.data)))
        .collect();
    assert!(
        edges == m.edges.clone().into_iter().collect::<Vec<_>>(),
        "{ctx}: edges differ"
    );
    for (&id, (kind, name, data)) in &m.nodes {
        let raw = r.node_raw(id).unwrap().unwrap();
        assert_eq!((&raw.kind, &raw.name), (kind, name), "{ctx}: raw node {id}");
        let parsed: serde_json::Value = serde_json::from_str(&raw.data).unwrap();
        assert_eq!(&parsed, data, "{ctx}: raw node {id} data");
        for dir in [Direction::Outgoing, Direction::Incoming, Direction::Both] {
            for ty in [None, Some("CALLS"), Some("NOPE")] {
                let mut got = r.neighbors(id, dir, ty).unwrap();
                got.sort_unstable();
                let mut want: Vec<(EdgeId, NodeId)> = Vec::new();
                for (&e, (from, to, t, _)) in &m.edges {
                    if ty.is_some_and(|ty| ty != t) {
                        continue;
                    }
                    if *from == id && dir != Direction::Incoming {
                        want.push((e, *to));
                    }
                    if *to == id && dir != Direction::Outgoing {
                        want.push((e, *from));
                    }
                }
                want.sort_unstable();
                assert_eq!(got, want, "{ctx}: neighbors of {id} {dir:?} {ty:?}");
                assert_eq!(r.degree(id, dir, ty).unwrap(), want.len() as u64, "{ctx}");
            }
        }
    }
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for (k, _, _) in m.nodes.values() {
        *kinds.entry(k.clone()).or_default() += 1;
    }
    assert_eq!(
        r.kinds().unwrap(),
        kinds.into_iter().collect::<Vec<_>>(),
        "{ctx}: kinds"
    );
    let mut types: BTreeMap<String, u64> = BTreeMap::new();
    for (_, _, t, _) in m.edges.values() {
        *types.entry(t.clone()).or_default() += 1;
    }
    assert_eq!(
        r.edge_types().unwrap(),
        types.into_iter().collect::<Vec<_>>(),
        "{ctx}: types"
    );
    for kind in KINDS {
        let want: Vec<NodeId> = m
            .nodes
            .iter()
            .filter(|(_, n)| n.0 == kind)
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(r.nodes_by_kind(kind).unwrap(), want, "{ctx}: kind {kind}");
    }
    for (name, prefix, glob) in [("item_3", "item_1", "item_?"), ("x", "item_", "*_1*")] {
        let by = |f: &dyn Fn(&str) -> bool| {
            let mut v: Vec<(String, NodeId)> = m
                .nodes
                .iter()
                .filter(|(_, n)| f(&n.1))
                .map(|(id, n)| (n.1.clone(), *id))
                .collect();
            v.sort();
            v.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
        };
        assert_eq!(
            r.nodes_by_name(name).unwrap(),
            by(&|n| n == name),
            "{ctx}: name {name}"
        );
        assert_eq!(
            r.nodes_by_name_prefix(prefix).unwrap(),
            by(&|n| n.starts_with(prefix)),
            "{ctx}"
        );
        let globbed = by(&|n| match glob {
            "item_?" => n.len() == 6 && n.starts_with("item_"),
            _ => n.contains("_1"),
        });
        assert_eq!(
            r.nodes_by_name_glob(glob).unwrap(),
            globbed,
            "{ctx}: glob {glob}"
        );
    }
}

#[test]
fn random_operations_match_the_model() {
    let seeds: u64 = if std::env::var_os("PAGEGRAPH_STRESS").is_some() {
        100
    } else {
        6
    };
    for seed in 0..seeds {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.pgdb");
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut g = open(&path);
        let mut m = Model::default();
        for step in 0..40 {
            let mut w = m.clone();
            let mut tx = g.begin_write().unwrap();
            for _ in 0..rng.usize(1..40) {
                let node_ids: Vec<NodeId> = w.nodes.keys().copied().collect();
                let edge_ids: Vec<EdgeId> = w.edges.keys().copied().collect();
                let pick_node = |rng: &mut fastrand::Rng| {
                    if node_ids.is_empty() || rng.u8(0..10) == 0 {
                        NodeId(9_999_999)
                    } else {
                        node_ids[rng.usize(0..node_ids.len())]
                    }
                };
                match rng.u8(0..100) {
                    0..=34 => {
                        let spec = NodeSpec {
                            kind: KINDS[rng.usize(0..KINDS.len())].into(),
                            name: format!("item_{}", rng.u32(0..30)),
                            data: data(&mut rng),
                        };
                        let id = tx.insert_node(spec.clone()).unwrap();
                        w.nodes.insert(id, (spec.kind, spec.name, spec.data));
                    }
                    35..=69 => {
                        let (from, to) = (pick_node(&mut rng), pick_node(&mut rng));
                        let spec = EdgeSpec {
                            from,
                            to,
                            edge_type: TYPES[rng.usize(0..3)].into(),
                            data: data(&mut rng),
                        };
                        match tx.insert_edge(spec.clone()) {
                            Ok(e) => {
                                w.edges.insert(e, (from, to, spec.edge_type, spec.data));
                            }
                            Err(GraphError::NodeNotFound(n)) => assert!(!w.nodes.contains_key(&n)),
                            Err(e) => panic!("seed {seed}: {e}"),
                        }
                    }
                    70..=79 => {
                        let id = pick_node(&mut rng);
                        let d = data(&mut rng);
                        match tx.update_node(id, d.clone()) {
                            Ok(()) => w.nodes.get_mut(&id).unwrap().2 = d,
                            Err(GraphError::NodeNotFound(_)) => assert!(!w.nodes.contains_key(&id)),
                            Err(e) => panic!("{e}"),
                        }
                    }
                    80..=87 if !edge_ids.is_empty() => {
                        let e = edge_ids[rng.usize(0..edge_ids.len())];
                        if rng.bool() {
                            tx.delete_edge(e).unwrap();
                            w.edges.remove(&e);
                        } else {
                            let d = data(&mut rng);
                            tx.update_edge(e, d.clone()).unwrap();
                            w.edges.get_mut(&e).unwrap().3 = d;
                        }
                    }
                    _ => {
                        let id = pick_node(&mut rng);
                        match tx.delete_node(id) {
                            Ok(()) => {
                                w.nodes.remove(&id);
                                w.edges.retain(|_, (f, t, _, _)| *f != id && *t != id);
                            }
                            Err(GraphError::NodeNotFound(_)) => assert!(!w.nodes.contains_key(&id)),
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            }
            assert!(matches!(
                tx.delete_edge(EdgeId(u64::MAX)),
                Err(GraphError::EdgeNotFound(_))
            ));
            if rng.u8(0..6) == 0 {
                drop(tx);
            } else {
                tx.commit().unwrap();
                m = w;
            }
            let ctx = format!("seed {seed} step {step}");
            compare(&g, &m, &ctx);
            if rng.u8(0..8) == 0 {
                drop(g);
                g = open(&path);
                compare(&g, &m, &format!("{ctx} reopened"));
            }
        }
        let report = g.check().unwrap();
        assert!(report.is_clean(), "seed {seed}: {:?}", report.problems);
    }
}
