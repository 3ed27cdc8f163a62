//! `WriteTxn::defer_adjacency`: batches of edges whose adjacency is sorted externally and
//! written once, at flush or commit, give the same graph as the same batches written one
//! by one (into an empty graph, where the chunks are appended, and into one with edges,
//! where they are merged); while deferring, adjacency reads and changes fail and change
//! nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use pagegraph::{Direction, EdgeId, Graph, GraphError, NodeId, NodeSpec, TypedEdge};
use serde_json::{Value, json};

const NODES: u64 = 3000;

fn batch(rng: &mut fastrand::Rng, n: usize) -> Vec<TypedEdge> {
    (0..n)
        .map(|_| TypedEdge {
            from: NodeId(rng.u64(1..=NODES)),
            // Some hubs, so that runs span several chunks.
            to: NodeId(if rng.u8(0..4) == 0 {
                rng.u64(1..=5)
            } else {
                rng.u64(1..=NODES)
            }),
            edge_type: rng.u32(0..2),
            data: if rng.u8(0..10) == 0 {
                json!({ "w": rng.u8(..) }).into()
            } else {
                Value::Null.into()
            },
        })
        .collect()
}

/// Every node's neighbors both ways, and every edge.
type Shape = (Vec<Vec<(EdgeId, NodeId)>>, Vec<pagegraph::Edge>);

fn shape(g: &Graph) -> Shape {
    let r = g.begin_read().unwrap();
    let mut adjacency = Vec::new();
    for n in 1..=NODES {
        for dir in [Direction::Outgoing, Direction::Incoming] {
            adjacency.push(r.neighbors(NodeId(n), dir, None).unwrap());
        }
    }
    (adjacency, r.edges().map(Result::unwrap).collect())
}

/// Builds a graph: nodes, `before` batches written one by one (committed), then `batches`
/// with the adjacency deferred or not, in one transaction.
fn build(
    path: &std::path::Path,
    before: &[Vec<TypedEdge>],
    batches: &[Vec<TypedEdge>],
    defer: bool,
) -> Graph {
    let g = Graph::open(path).unwrap();
    let mut tx = g.begin_write().unwrap();
    tx.insert_nodes((1..=NODES).map(|i| NodeSpec::new("n", format!("n{i}"))))
        .unwrap();
    for b in before {
        tx.insert_typed_edges(&["A", "B"], b.clone()).unwrap();
    }
    tx.commit().unwrap();
    let mut tx = g.begin_write().unwrap();
    if defer {
        tx.defer_adjacency().unwrap();
    }
    for b in batches {
        tx.insert_typed_edges(&["A", "B"], b.clone()).unwrap();
    }
    tx.commit().unwrap();
    g
}

#[test]
fn deferred_batches_give_the_graph_written_batch_by_batch() {
    let mut rng = fastrand::Rng::with_seed(8);
    // Over 2^18 entries per direction: the flush writes several slices.
    let batches: Vec<Vec<TypedEdge>> = [1, 40_000, 7, 150_000, 110_000]
        .iter()
        .map(|&n| batch(&mut rng, n))
        .collect();
    let before: Vec<Vec<TypedEdge>> = vec![batch(&mut rng, 20_000)];
    let dir = tempfile::tempdir().unwrap();
    for (name, earlier) in [("fresh", &[][..]), ("grown", &before[..])] {
        let plain = build(
            &dir.path().join(format!("{name}-plain.pgdb")),
            earlier,
            &batches,
            false,
        );
        let bulk = build(
            &dir.path().join(format!("{name}-bulk.pgdb")),
            earlier,
            &batches,
            true,
        );
        assert!(shape(&plain) == shape(&bulk), "{name}: the graphs differ");
        for g in [&plain, &bulk] {
            let report = g.check().unwrap();
            assert!(report.is_clean(), "{name}: {:?}", report.problems);
        }
    }
}

#[test]
fn adjacency_is_out_of_reach_while_deferred() {
    let dir = tempfile::tempdir().unwrap();
    let g = Graph::open(dir.path().join("g.pgdb")).unwrap();
    let mut tx = g.begin_write().unwrap();
    tx.insert_nodes((1..=NODES).map(|i| NodeSpec::new("n", format!("n{i}"))))
        .unwrap();
    let first = tx
        .insert_typed_edges(
            &["A"],
            [TypedEdge {
                from: NodeId(1),
                to: NodeId(2),
                edge_type: 0,
                data: Value::Null.into(),
            }],
        )
        .unwrap()[0];
    tx.defer_adjacency().unwrap();
    tx.defer_adjacency().unwrap();
    let second = tx
        .insert_typed_edges(
            &["A"],
            [TypedEdge {
                from: NodeId(1),
                to: NodeId(3),
                edge_type: 0,
                data: Value::Null.into(),
            }],
        )
        .unwrap()[0];
    let deferred = |r: Result<(), GraphError>| matches!(r, Err(GraphError::AdjacencyDeferred));
    assert!(deferred(
        tx.neighbors(NodeId(1), Direction::Outgoing, None)
            .map(|_| ())
    ));
    assert!(deferred(tx.delete_edge(first)));
    assert!(deferred(tx.delete_node(NodeId(2))));
    assert!(deferred(tx.repack_adjacency().map(|_| ())));
    assert!(deferred(
        tx.edges_between(NodeId(1), NodeId(2), "A").map(|_| ())
    ));
    // Records are there; nothing the refused calls touched changed.
    assert!(tx.edge(first).unwrap().is_some() && tx.node(NodeId(2)).unwrap().is_some());
    tx.flush_adjacency().unwrap();
    let out = tx.neighbors(NodeId(1), Direction::Outgoing, None).unwrap();
    assert_eq!(out, vec![(first, NodeId(2)), (second, NodeId(3))]);
    tx.delete_edge(first).unwrap();
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(r.edge_count().unwrap(), 1);
    drop(r);
    assert!(g.check().unwrap().is_clean());
    // Dropped while deferring: nothing of it stays, and no sort file is left behind.
    let mut tx = g.begin_write().unwrap();
    tx.defer_adjacency().unwrap();
    tx.insert_typed_edges(
        &["A"],
        [TypedEdge {
            from: NodeId(5),
            to: NodeId(6),
            edge_type: 0,
            data: Value::Null.into(),
        }],
    )
    .unwrap();
    drop(tx);
    assert_eq!(g.begin_read().unwrap().edge_count().unwrap(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("-sort-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
