//! Adjacency delta trees (`adjacency/delta.rs`) at the size where they matter: a graph of
//! 200,000 nodes and 40,000 edges grows by batches of 2,000 random edges, each small beside
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
            let from = nodes[rng.usize(0..nodes.len())];
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
    let csr = Csr::build(&r, &CsrOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(csr.edge_count(), model.len(), "{step}");
    for i in 0..csr.node_count() as u32 {
        let node = csr.id(i);
        let mut row: Vec<(NodeId, EdgeId)> = csr
            .out_positions(i)
            .zip(csr.out(i))
            .map(|(p, &t)| (csr.id(t), csr.edge_id(p)))
            .collect();
        row.sort();
        let mut want: Vec<(NodeId, EdgeId)> = out
            .get(&node)
            .into_iter()
            .flatten()
            .map(|x| (x.0, x.1))
            .collect();
        want.sort();
        assert_eq!(row, want, "{step}: CSR row of {node}");
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
    let specs = random_edges(&mut rng, &nodes, 40_000);
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
