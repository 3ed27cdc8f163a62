//! Edge records in chunks (`edges.rs`, graph format 4) against a `BTreeMap` model: batches
//! of edges mostly without data (packed into chunks and into the last chunk of the tree),
//! deletes that thin and empty chunks, data given to a packed edge (which splits its
//! chunk) and taken away, repacks at random points, aborted transactions, reopens. Every
//! read path agrees with the model: `edge`, `edges`, `edge_count`, `edges_where` with and
//! without an index, the transaction's own view, and `check`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use pagegraph::index::{Condition, IndexSpec};
use pagegraph::value::PropertyValue;
use pagegraph::{EdgeId, EdgeSpec, Graph, NodeId, NodeSpec, Options, TypedEdge};
use serde_json::{Value, json};

type Model = BTreeMap<EdgeId, (NodeId, NodeId, String, Value)>;

const TYPES: [&str; 3] = ["A", "B", "C"];

fn open(path: &std::path::Path) -> Graph {
    Graph::open_with(
        path,
        Options {
            cache_pages: 32,
            ..Options::default()
        },
    )
    .unwrap()
}

fn edge_data(rng: &mut fastrand::Rng) -> Value {
    match rng.u8(0..10) {
        0 => json!({ "w": rng.u8(0..5) }),
        1 => json!({ "w": rng.u8(0..5), "doc": "x".repeat(rng.usize(0..300)) }),
        _ => Value::Null,
    }
}

fn compare(g: &Graph, m: &Model, ctx: &str) {
    let r = g.begin_read().unwrap();
    assert_eq!(r.edge_count().unwrap(), m.len() as u64, "{ctx}");
    let all: Model = r
        .edges()
        .map(|e| {
            let e = e.unwrap();
            (e.id, (e.from, e.to, e.edge_type, e.data))
        })
        .collect();
    assert!(all == *m, "{ctx}: edges differ");
    let last = m.keys().next_back().map_or(0, |e| e.0);
    for id in (0..=last + 2).step_by(7) {
        let got = r.edge(EdgeId(id)).unwrap();
        let got = got.map(|e| (e.from, e.to, e.edge_type, e.data));
        assert_eq!(got.as_ref(), m.get(&EdgeId(id)), "{ctx}: edge {id}");
    }
    for ty in TYPES {
        let cond = Condition::Eq(PropertyValue::Int(2));
        let got: Vec<EdgeId> = r
            .edges_where(ty, "w", &cond)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut want: Vec<EdgeId> = m
            .iter()
            .filter(|(_, (_, _, t, d))| t == ty && d.get("w") == Some(&json!(2)))
            .map(|(id, _)| *id)
            .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        want.sort();
        assert_eq!(got_sorted, want, "{ctx}: edges_where {ty}");
    }
}

#[test]
fn random_edge_writes_match_the_model() {
    let seeds: u64 = if std::env::var_os("PAGEGRAPH_STRESS").is_some() {
        60
    } else {
        4
    };
    for seed in 0..seeds {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edges.pgdb");
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut g = open(&path);
        let nodes = {
            let mut tx = g.begin_write().unwrap();
            let ids = tx
                .insert_nodes((0..60).map(|i| NodeSpec {
                    kind: "n".into(),
                    name: format!("n{i}"),
                    data: Value::Null,
                }))
                .unwrap();
            if seed % 2 == 1 {
                // Half the seeds answer edges_where through an index.
                tx.create_index(IndexSpec::on_edge_type("B", "w")).unwrap();
            }
            tx.commit().unwrap();
            ids
        };
        let mut m = Model::new();
        for step in 0..30 {
            let mut w = m.clone();
            let mut tx = g.begin_write().unwrap();
            for _ in 0..rng.usize(1..6) {
                let ids: Vec<EdgeId> = w.keys().copied().collect();
                match rng.u8(0..10) {
                    0..=3 => {
                        let n = [1, 2, 40, 300, 1500][rng.usize(0..5)];
                        let specs: Vec<EdgeSpec> = (0..n)
                            .map(|_| EdgeSpec {
                                from: nodes[rng.usize(0..nodes.len())],
                                to: nodes[rng.usize(0..nodes.len())],
                                edge_type: TYPES[rng.usize(0..3)].into(),
                                data: edge_data(&mut rng),
                            })
                            .collect();
                        let got = tx.insert_edges(specs.clone()).unwrap();
                        for (id, s) in got.into_iter().zip(specs) {
                            w.insert(id, (s.from, s.to, s.edge_type, s.data));
                        }
                    }
                    4..=6 if !ids.is_empty() => {
                        // A run of neighbouring ids: empties whole chunks at times.
                        let start = rng.usize(0..ids.len());
                        for &id in ids.iter().skip(start).take(rng.usize(1..80)) {
                            tx.delete_edge(id).unwrap();
                            w.remove(&id);
                        }
                    }
                    7 | 8 if !ids.is_empty() => {
                        for _ in 0..rng.usize(1..10) {
                            let id = ids[rng.usize(0..ids.len())];
                            let d = edge_data(&mut rng);
                            tx.update_edge(id, d.clone()).unwrap();
                            w.get_mut(&id).unwrap().3 = d;
                        }
                    }
                    _ => {
                        tx.repack_edges().unwrap();
                    }
                }
            }
            assert_eq!(tx.counts().unwrap().1, w.len() as u64);
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
            }
        }
        let report = g.check().unwrap();
        assert!(report.is_clean(), "seed {seed}: {:?}", report.problems);
        g.compact().unwrap();
        let g = open(&path);
        compare(&g, &m, &format!("seed {seed} compacted"));
        assert!(g.check().unwrap().is_clean());
    }
}

/// Edges without data take a few bytes each: 20,000 of them in a handful of pages.
#[test]
fn edges_without_data_are_packed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("packed.pgdb");
    let g = Graph::open(&path).unwrap();
    let mut tx = g.begin_write().unwrap();
    let nodes = tx
        .insert_nodes((0..1000).map(|i| NodeSpec {
            kind: "n".into(),
            name: format!("n{i}"),
            data: Value::Null,
        }))
        .unwrap();
    let mut rng = fastrand::Rng::with_seed(1);
    // In batches of one edge too: each is packed into the last chunk.
    for n in [10_000, 1, 1, 1, 9_997] {
        tx.insert_edges((0..n).map(|_| EdgeSpec {
            from: nodes[rng.usize(0..1000)],
            to: nodes[rng.usize(0..1000)],
            edge_type: "T".into(),
            data: Value::Null,
        }))
        .unwrap();
    }
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(r.edge_count().unwrap(), 20_000);
    drop(r);
    let report = g.check().unwrap();
    assert!(report.is_clean());
    let edge_pages = report
        .tree_pages
        .iter()
        .find(|t| t.name == "g.edges")
        .map(|t| t.branch + t.leaf + t.overflow)
        .unwrap();
    // About 6 bytes an edge: 120 KB, some 30 pages of 4 KiB; one key per edge took 120.
    assert!(edge_pages <= 45, "{edge_pages} pages of edge records");
}

/// `insert_typed_edges` writes what `insert_edges` writes for the same edges, and refuses a
/// type index past its list whole, leaving the transaction as it was.
#[test]
fn typed_edges_are_the_same_edges() {
    let dir = tempfile::tempdir().unwrap();
    let a = Graph::open(dir.path().join("a.pgdb")).unwrap();
    let b = Graph::open(dir.path().join("b.pgdb")).unwrap();
    let types = ["X", "Y"];
    let mut rng = fastrand::Rng::with_seed(2);
    let edges: Vec<(u64, u64, u32, Value)> = (0..5000)
        .map(|_| {
            let data = if rng.u8(0..5) == 0 {
                json!({ "w": rng.u8(..) })
            } else {
                Value::Null
            };
            (rng.u64(1..=100), rng.u64(1..=100), rng.u32(0..2), data)
        })
        .collect();
    for (g, typed) in [(&a, false), (&b, true)] {
        let mut tx = g.begin_write().unwrap();
        tx.insert_nodes((0..100).map(|i| NodeSpec::new("n", format!("n{i}"))))
            .unwrap();
        if typed {
            let bad = [TypedEdge {
                from: NodeId(1),
                to: NodeId(2),
                edge_type: 2,
                data: Value::Null.into(),
            }];
            let err = tx.insert_typed_edges(&types, bad).unwrap_err();
            assert!(
                err.to_string().contains("type 2 of a batch of 2 types"),
                "{err}"
            );
            tx.insert_typed_edges(
                &types,
                edges.iter().map(|(f, t, ty, d)| TypedEdge {
                    from: NodeId(*f),
                    to: NodeId(*t),
                    edge_type: *ty,
                    data: d.clone().into(),
                }),
            )
            .unwrap();
        } else {
            tx.insert_edges(edges.iter().map(|(f, t, ty, d)| EdgeSpec {
                from: NodeId(*f),
                to: NodeId(*t),
                edge_type: types[*ty as usize].into(),
                data: d.clone(),
            }))
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let all = |g: &Graph| -> Vec<_> {
        let r = g.begin_read().unwrap();
        r.edges().map(Result::unwrap).collect()
    };
    assert_eq!(all(&a), all(&b));
    assert_eq!(all(&b).len(), 5000);
    assert!(b.check().unwrap().is_clean());
}

/// `insert_edges_encoded` writes what `insert_edges` writes for the same edges (data of
/// every kind, given whole or as sorted fields), and refuses a batch whose data does not
/// match its edges, a missing endpoint, keys out of order and data over the size limit,
/// leaving the transaction and the batch as they were.
#[test]
fn encoded_batches_are_the_same_edges() {
    use pagegraph::EncodedBatch;
    let dir = tempfile::tempdir().unwrap();
    let a = Graph::open(dir.path().join("a.pgdb")).unwrap();
    let b = Graph::open(dir.path().join("b.pgdb")).unwrap();
    let types = ["X", "Y"];
    let mut rng = fastrand::Rng::with_seed(5);
    let edges: Vec<(u64, u64, usize, Value)> = (0..20_000)
        .map(|i| {
            let data = match rng.u8(0..6) {
                0 => json!({ "w": rng.f64() }),
                1 => json!({ "a": rng.i64(..), "w": "x".repeat(rng.usize(0..40)) }),
                2 => json!({ "l": [1, {"k": null}], "n": null, "t": true }),
                3 => json!([rng.u8(..)]),
                _ => Value::Null,
            };
            // Runs of one type, as one call of the encoded batch takes.
            (rng.u64(1..=300), rng.u64(1..=300), (i / 700) % 2, data)
        })
        .collect();
    for g in [&a, &b] {
        let mut tx = g.begin_write().unwrap();
        tx.insert_nodes((0..300).map(|i| NodeSpec::new("n", format!("n{i}"))))
            .unwrap();
        tx.commit().unwrap();
    }
    let mut tx = a.begin_write().unwrap();
    tx.insert_edges(edges.iter().map(|(f, t, ty, d)| EdgeSpec {
        from: NodeId(*f),
        to: NodeId(*t),
        edge_type: types[*ty].into(),
        data: d.clone(),
    }))
    .unwrap();
    tx.commit().unwrap();

    encoded_refusals_leave_nothing(&b);
    let mut tx = b.begin_write().unwrap();

    let mut at = 0;
    while at < edges.len() {
        let ty = edges[at].2;
        let end = edges[at..]
            .iter()
            .position(|e| e.2 != ty)
            .map_or(edges.len(), |n| at + n);
        let mut batch = EncodedBatch::new();
        for (i, (_, _, _, d)) in edges[at..end].iter().enumerate() {
            match d {
                // Objects as their fields (a map holds them sorted), data of every kind
                // encoded ahead, and whole.
                Value::Object(m) if i % 3 == 0 => batch
                    .push_sorted(m.iter().map(|(k, v)| (k.as_str(), v)))
                    .unwrap(),
                d if i % 3 == 1 => batch.push_encoded(&pagegraph::EncodedData::new(d).unwrap()),
                d => batch.push(d).unwrap(),
            }
        }
        assert_eq!(batch.len(), end - at);
        let ends: Vec<(NodeId, NodeId)> = edges[at..end]
            .iter()
            .map(|e| (NodeId(e.0), NodeId(e.1)))
            .collect();
        let ids = tx.insert_edges_encoded(types[ty], &ends, batch).unwrap();
        assert_eq!(ids.first().map(|e| e.0), Some(at as u64 + 1));
        at = end;
    }
    tx.commit().unwrap();
    let all = |g: &Graph| -> Vec<_> {
        let r = g.begin_read().unwrap();
        r.edges().map(Result::unwrap).collect()
    };
    assert_eq!(all(&a), all(&b));
    assert_eq!(all(&b).len(), edges.len());
    let (ra, rb) = (a.begin_read().unwrap(), b.begin_read().unwrap());
    for n in 1..=300 {
        for ty in types {
            let out = |r: &pagegraph::ReadTxn| {
                r.neighbors(NodeId(n), pagegraph::Direction::Both, Some(ty))
                    .unwrap()
            };
            assert_eq!(out(&ra), out(&rb), "node {n} type {ty}");
        }
    }
    assert!(b.check().unwrap().is_clean());
}

/// Refusals of `insert_edges_encoded` and `EncodedBatch` leave nothing behind: a short
/// batch, a missing endpoint, keys out of order or repeated, data over the limit.
fn encoded_refusals_leave_nothing(b: &Graph) {
    use pagegraph::{DATA_SIZE_MAX, EncodedBatch, GraphError};
    let mut tx = b.begin_write().unwrap();
    let mut short = EncodedBatch::new();
    short.push(&Value::Null).unwrap();
    let err = tx
        .insert_edges_encoded("X", &[(NodeId(1), NodeId(2)); 2], short)
        .unwrap_err();
    assert!(
        err.to_string().contains("1 items of data for 2 edges"),
        "{err}"
    );
    let mut one = EncodedBatch::new();
    one.push(&json!({ "w": 1 })).unwrap();
    let err = tx
        .insert_edges_encoded("X", &[(NodeId(1), NodeId(9_999))], one)
        .unwrap_err();
    assert!(
        matches!(err, GraphError::NodeNotFound(NodeId(9_999))),
        "{err}"
    );
    let mut batch = EncodedBatch::new();
    let (one_v, two_v) = (json!(1), json!(2));
    assert!(batch.push_sorted([("b", &one_v), ("a", &two_v)]).is_err());
    assert!(batch.push_sorted([("a", &one_v), ("a", &two_v)]).is_err());
    let huge = json!({ "doc": "x".repeat(DATA_SIZE_MAX) });
    assert!(batch.push(&huge).is_err());
    assert!(batch.push_sorted([("doc", &huge["doc"])]).is_err());
    assert!(batch.is_empty(), "a refused item leaves nothing: {batch:?}");
    assert!(
        tx.insert_edges_encoded("X", &[], EncodedBatch::new())
            .unwrap()
            .is_empty()
    );
    assert_eq!(tx.counts().unwrap().1, 0);
    assert!(tx.edge(EdgeId(1)).unwrap().is_none());
    // The batch takes items after the refused ones as if those were never offered.
    batch.push_sorted([("w", &one_v)]).unwrap();
    let ids = tx
        .insert_edges_encoded("X", &[(NodeId(1), NodeId(2))], batch)
        .unwrap();
    assert_eq!(tx.edge(ids[0]).unwrap().unwrap().data, json!({ "w": 1 }));
    drop(tx);
}
