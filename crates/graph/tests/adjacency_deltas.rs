//! Adjacency delta trees (`adjacency/delta.rs`) at the size where they matter: a graph of
//! 200,000 nodes and 50,000 edges grows by batches of 2,000 random edges, each small beside
//! it, so each goes to the deltas; deletes take pairs from both trees. The deltas grow past
//! their bound and commits merge them into the main trees a quarter at a time (seen through
//! the storage layer: the deltas grow by less than a batch adds). After every commit and after a
//! reopen, neighbors, degrees, every relationship in key order and the snapshot rows equal
//! a model's; `check` is clean; and merging everything leaves no delta and the same answers.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;
use std::path::Path;

use pagegraph::algo::{Csr, CsrOptions};
use pagegraph::storage::{Database, Options as StorageOptions};
use pagegraph::{Direction, EdgeId, EdgeSpec, Graph, NodeId, NodeSpec};
use serde_json::json;

type Model = BTreeMap<EdgeId, (NodeId, NodeId, String)>;

/// How many chunks the two delta trees hold, asked of the storage layer.
fn delta_chunks(path: &Path) -> u64 {
    let db = Database::open(path, StorageOptions::default()).unwrap();
    let r = db.begin_read().unwrap();
    let n = ["g.out.d", "g.in.d"]
        .iter()
        .map(|t| r.tree(t).unwrap().map_or(0, |t| t.len()))
        .sum();
    drop(r);
    db.close().unwrap();
    n
}

fn random_edges(rng: &mut fastrand::Rng, nodes: &[NodeId], n: usize) -> Vec<EdgeSpec> {
    (0..n)
        .map(|_| {
            // A third from the hub in the middle of the id range, whose pairs fill the
            // middle of the out tree, where a snapshot built on two threads cuts it.
            let from = if rng.u8(0..3) == 0 {
                nodes[nodes.len() / 2]
            } else {
                nodes[rng.usize(0..nodes.len())]
            };
            let to = match rng.u8(0..20) {
                0 => from,
                _ => nodes[rng.usize(0..nodes.len())],
            };
            EdgeSpec {
                from,
                to,
                edge_type: if rng.u8(0..4) == 0 { "B" } else { "A" }.into(),
                data: json!(null),
            }
        })
        .collect()
}

fn assert_matches(g: &Graph, model: &Model, nodes: &[NodeId], rng: &mut fastrand::Rng, step: &str) {
    let r = g.begin_read().unwrap();
    assert_eq!(r.edge_count().unwrap(), model.len() as u64, "{step}");
    // Each node's neighbors from the model, both ways.
    let mut out: BTreeMap<NodeId, Vec<(NodeId, EdgeId, &str)>> = BTreeMap::new();
    let mut inc: BTreeMap<NodeId, Vec<(NodeId, EdgeId, &str)>> = BTreeMap::new();
    for (&e, (f, t, ty)) in model {
        out.entry(*f).or_default().push((*t, e, ty));
        inc.entry(*t).or_default().push((*f, e, ty));
    }
    for _ in 0..300 {
        let n = nodes[rng.usize(0..nodes.len())];
        for (dir, side) in [(Direction::Outgoing, &out), (Direction::Incoming, &inc)] {
            for ty in ["A", "B"] {
                let got: Vec<(NodeId, EdgeId)> = r
                    .neighbors(n, dir, Some(ty))
                    .unwrap()
                    .into_iter()
                    .map(|(e, o)| (o, e))
                    .collect();
                let mut want: Vec<(NodeId, EdgeId)> = side
                    .get(&n)
                    .into_iter()
                    .flatten()
                    .filter(|x| x.2 == ty)
                    .map(|x| (x.0, x.1))
                    .collect();
                want.sort();
                // In key order: by other end, then edge.
                assert_eq!(got, want, "{step}: {n} {dir:?} {ty}");
                assert_eq!(r.degree(n, dir, Some(ty)).unwrap(), want.len() as u64);
            }
        }
    }
    for (incoming, side) in [(false, &out), (true, &inc)] {
        let mut got = Vec::new();
        r.for_each_relationship(incoming, Some(&["A"]), |n, o, e| got.push((n, o, e)))
            .unwrap();
        let mut want: Vec<(NodeId, NodeId, EdgeId)> = side
            .iter()
            .flat_map(|(&n, v)| v.iter().filter(|x| x.2 == "A").map(move |x| (n, x.0, x.1)))
            .collect();
        want.sort();
        assert_eq!(got, want, "{step}: relationships, incoming {incoming}");
    }
    // The snapshot, of all types and of one: built on several threads from 65,536 edges.
    for ty in [None, Some("A")] {
        let options = CsrOptions {
            edge_type: ty.map(str::to_string),
            weight_field: None,
        };
        let csr = Csr::build(&r, &options, &mut |_| {}).unwrap();
        let mut edges = 0;
        for i in 0..csr.node_count() as u32 {
            let node = csr.id(i);
            let mut row: Vec<(NodeId, EdgeId)> = csr
                .out_positions(i)
                .zip(csr.out(i))
                .map(|(p, &t)| (csr.id(t), csr.edge_id(p)))
                .collect();
            if ty.is_some() {
                // One type: each row in key order, even where runs meet.
                assert!(row.is_sorted(), "{step}: CSR row of {node} out of order");
            }
            row.sort();
            let mut want: Vec<(NodeId, EdgeId)> = out
                .get(&node)
                .into_iter()
                .flatten()
                .filter(|x| ty.is_none_or(|t| x.2 == t))
                .map(|x| (x.0, x.1))
                .collect();
            want.sort();
            edges += want.len();
            assert_eq!(row, want, "{step}: CSR row of {node} {ty:?}");
        }
        assert_eq!(csr.edge_count(), edges, "{step}");
    }
}

#[test]
fn deltas_grow_merge_in_quarters_and_every_read_stays_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.pgdb");
    let mut rng = fastrand::Rng::with_seed(20_261_205);
    let mut model = Model::new();
    let g = Graph::open(&path).unwrap();
    let mut tx = g.begin_write().unwrap();
    let nodes = tx
        .insert_nodes((0..200_000).map(|i| NodeSpec {
            kind: "N".into(),
            name: format!("n{i}"),
            data: json!(null),
        }))
        .unwrap();
    let specs = random_edges(&mut rng, &nodes, 50_000);
    for (id, s) in tx
        .insert_edges(specs.clone())
        .unwrap()
        .into_iter()
        .zip(specs)
    {
        model.insert(id, (s.from, s.to, s.edge_type));
    }
    tx.commit().unwrap();
    g.close().unwrap();
    assert_eq!(
        delta_chunks(&path),
        0,
        "the first batch goes to the main trees"
    );

    let mut sizes = Vec::new();
    for step in 0..9 {
        let g = Graph::open(&path).unwrap();
        let mut tx = g.begin_write().unwrap();
        let specs = random_edges(&mut rng, &nodes, 2_000);
        for (id, s) in tx
            .insert_edges(specs.clone())
            .unwrap()
            .into_iter()
            .zip(specs)
        {
            model.insert(id, (s.from, s.to, s.edge_type));
        }
        // Deletes: old edges (pairs in the main trees) and new ones (in the deltas).
        for _ in 0..40 {
            let e = if rng.bool() {
                *model.keys().next().unwrap()
            } else {
                *model.keys().next_back().unwrap()
            };
            tx.delete_edge(e).unwrap();
            model.remove(&e);
        }
        tx.commit().unwrap();
        assert_matches(&g, &model, &nodes, &mut rng, &format!("step {step}"));
        g.close().unwrap();
        sizes.push(delta_chunks(&path));
    }
    assert!(
        sizes[0] > 3_000,
        "a small batch goes to the deltas: {sizes:?}"
    );
    // A batch adds 4,000 pairs, nearly each a chunk of its own (200,000 nodes): a step
    // whose deltas grow by less than half of that merged part of them.
    assert!(
        sizes.windows(2).any(|w| w[1] < w[0] + 2_000),
        "a due delta is merged in part at a commit: {sizes:?}"
    );
    assert!(
        sizes.iter().all(|&s| s > 0),
        "merges are partial (a quarter of a delta at a time): {sizes:?}"
    );

    let g = Graph::open(&path).unwrap();
    assert!(g.check().unwrap().is_clean());
    let mut tx = g.begin_write().unwrap();
    assert!(tx.merge_adjacency_deltas().unwrap() > 0);
    tx.commit().unwrap();
    assert_matches(&g, &model, &nodes, &mut rng, "merged");
    let report = g.check().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    g.close().unwrap();
    assert_eq!(delta_chunks(&path), 0, "merged whole, the deltas are gone");
}

/// A node holding nearly every edge, its pairs in both the main tree and the delta: a
/// snapshot built on two threads cuts the out tree inside its pairs, and its row must still
/// hold each pair once, in key order.
#[test]
fn a_snapshot_cut_inside_a_node_with_delta_pairs_keeps_its_row_in_order() {
    let g = Graph::in_memory().unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let mut tx = g.begin_write().unwrap();
    let nodes = tx
        .insert_nodes((0..1_000).map(|i| NodeSpec {
            kind: "N".into(),
            name: format!("n{i}"),
            data: json!(null),
        }))
        .unwrap();
    let hub = nodes[500];
    let spec = |rng: &mut fastrand::Rng| EdgeSpec {
        from: hub,
        to: nodes[rng.usize(0..nodes.len())],
        edge_type: "A".into(),
        data: json!(null),
    };
    let mut want: Vec<(NodeId, EdgeId)> = Vec::new();
    let specs: Vec<EdgeSpec> = (0..70_000).map(|_| spec(&mut rng)).collect();
    let ids = tx.insert_edges(specs.clone()).unwrap();
    want.extend(ids.into_iter().zip(&specs).map(|(e, s)| (s.to, e)));
    tx.commit().unwrap();
    for _ in 0..4 {
        let mut tx = g.begin_write().unwrap();
        let specs: Vec<EdgeSpec> = (0..1_000).map(|_| spec(&mut rng)).collect();
        let ids = tx.insert_edges(specs.clone()).unwrap();
        want.extend(ids.into_iter().zip(&specs).map(|(e, s)| (s.to, e)));
        tx.commit().unwrap();
    }
    assert!(
        g.page_usage().unwrap().iter().any(|t| t.name == "g.out.d"),
        "the small batches went to the delta"
    );
    want.sort();
    let r = g.begin_read().unwrap();
    for ty in [None, Some("A".to_string())] {
        let options = CsrOptions {
            edge_type: ty,
            weight_field: None,
        };
        let csr = Csr::build(&r, &options, &mut |_| {}).unwrap();
        let at = csr.index(hub).unwrap();
        let row: Vec<(NodeId, EdgeId)> = csr
            .out_positions(at)
            .zip(csr.out(at))
            .map(|(p, &t)| (csr.id(t), csr.edge_id(p)))
            .collect();
        assert_eq!(row, want, "the hub's row, whole and in key order");
    }
}
