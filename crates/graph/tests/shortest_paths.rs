//! Point-to-point shortest paths (`shortest_path` from both ends over the store and over a
//! snapshot, and the bidirectional `dijkstra` over a weighted snapshot) against a plain
//! breadth-first search and a plain Dijkstra written here over an in-memory adjacency list.
//!
//! The graphs are random multigraphs stored in a real database, sparse (many unreachable
//! pairs) to dense, with self-loops, parallel edges, zero weights and two edge types; every
//! pair of a sample (ends equal included) is asked in every direction. A returned path must
//! be real: its edges join its consecutive nodes in the direction asked, carry the type
//! asked, and add up to its cost; its length must be the truth's. Which of several shortest
//! paths comes back is not checked, only that asking twice gives the same one. Speed is not
//! measured here.

#![allow(
    clippy::expect_used,
    clippy::float_cmp,
    clippy::cast_precision_loss,
    clippy::panic,
    reason = "tests: a failed step is a failed test; costs are small integers, exact in f64"
)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use pagegraph::algo::{self, AlgoError, Csr, CsrOptions, Path, StoreView};
use pagegraph::{Direction, EdgeSpec, Graph, NodeId, NodeSpec};
use serde_json::json;

const DIRECTIONS: [Direction; 3] = [Direction::Outgoing, Direction::Incoming, Direction::Both];

/// A stored random multigraph and its edge list (by node position; edge `i` has id `i + 1`).
struct Sample {
    graph: Graph,
    ids: Vec<NodeId>,
    /// `(from, to, type, weight)`.
    edges: Vec<(usize, usize, &'static str, u64)>,
}

fn sample(seed: u64, n: usize, m: usize) -> Sample {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut edges: Vec<(usize, usize, &str, u64)> = (0..m)
        .map(|_| {
            let ty = if rng.bool() { "A" } else { "B" };
            (rng.usize(0..n), rng.usize(0..n), ty, rng.u64(0..10))
        })
        .collect();
    // Make sure of a few self-loops and parallel edges (with other weights and types).
    for _ in 0..m / 10 {
        let v = rng.usize(0..n);
        edges.push((v, v, "A", rng.u64(0..3)));
        if let Some(&(a, b, _, _)) = edges.get(rng.usize(0..edges.len())) {
            let ty = if rng.bool() { "A" } else { "B" };
            edges.push((a, b, ty, rng.u64(0..10)));
        }
    }
    let graph = Graph::in_memory().expect("graph");
    let mut tx = graph.begin_write().expect("writer");
    let ids = tx
        .insert_nodes((0..n).map(|i| NodeSpec::new("v", format!("v{i}"))))
        .expect("nodes");
    let stored = tx
        .insert_edges(edges.iter().map(|&(a, b, ty, w)| EdgeSpec {
            from: ids[a],
            to: ids[b],
            edge_type: ty.to_string(),
            data: json!({ "w": w }),
        }))
        .expect("edges");
    tx.commit().expect("commit");
    for (i, e) in stored.iter().enumerate() {
        assert_eq!(e.0, i as u64 + 1, "edge ids are positions from 1");
    }
    Sample { graph, ids, edges }
}

impl Sample {
    fn pos(&self, id: NodeId) -> usize {
        self.ids.iter().position(|&x| x == id).expect("known id")
    }

    /// For each node, `(other end, weight)` of its edges followed in `dir`, of type `only`.
    fn adjacency(&self, dir: Direction, only: Option<&str>) -> Vec<Vec<(usize, u64)>> {
        let mut adj = vec![Vec::new(); self.ids.len()];
        for &(a, b, ty, w) in &self.edges {
            if only.is_some_and(|o| o != ty) {
                continue;
            }
            if dir != Direction::Incoming {
                adj[a].push((b, w));
            }
            if dir != Direction::Outgoing {
                adj[b].push((a, w));
            }
        }
        adj
    }

    /// Checks that `p` runs between the `ends` over edges of type `only` followed in
    /// `dir`, and returns the sum of its weights.
    fn check(&self, p: &Path, ends: (usize, usize), dir: Direction, only: Option<&str>) -> u64 {
        assert_eq!(p.nodes.len(), p.edges.len() + 1, "{p:?}");
        assert_eq!(p.nodes.first(), Some(&self.ids[ends.0]));
        assert_eq!(p.nodes.last(), Some(&self.ids[ends.1]));
        let mut cost = 0;
        for (k, e) in p.edges.iter().enumerate() {
            let (from, to, ty, weight) = self.edges[(e.0 - 1) as usize];
            let step = (self.pos(p.nodes[k]), self.pos(p.nodes[k + 1]));
            let joined = match dir {
                Direction::Outgoing => (from, to) == step,
                Direction::Incoming => (to, from) == step,
                Direction::Both => (from, to) == step || (to, from) == step,
            };
            assert!(joined, "edge {e} does not join {step:?} ({dir:?}): {p:?}");
            assert!(only.is_none_or(|o| o == ty), "edge {e} has type {ty}");
            cost += weight;
        }
        cost
    }
}

/// Fewest edges from `s` to every node, by a plain breadth-first search.
fn hops_from(adj: &[Vec<(usize, u64)>], s: usize) -> Vec<Option<u64>> {
    let mut depth = vec![None; adj.len()];
    depth[s] = Some(0);
    let mut queue = VecDeque::from([s]);
    while let Some(v) = queue.pop_front() {
        let d = depth[v].expect("queued nodes have a depth");
        for &(w, _) in &adj[v] {
            if depth[w].is_none() {
                depth[w] = Some(d + 1);
                queue.push_back(w);
            }
        }
    }
    depth
}

/// Cheapest cost from `s` to every node, by a plain Dijkstra on integer weights.
fn costs_from(adj: &[Vec<(usize, u64)>], s: usize) -> Vec<Option<u64>> {
    let mut dist: Vec<Option<u64>> = vec![None; adj.len()];
    let mut heap = BinaryHeap::from([Reverse((0, s))]);
    while let Some(Reverse((d, v))) = heap.pop() {
        if dist[v].is_some() {
            continue;
        }
        dist[v] = Some(d);
        for &(w, c) in &adj[v] {
            if dist[w].is_none() {
                heap.push(Reverse((d + c, w)));
            }
        }
    }
    dist
}

/// Seeds and shapes: one node, sparse graphs where most pairs are apart, and dense ones.
const SHAPES: [(u64, usize, usize); 8] = [
    (11, 1, 3),
    (12, 2, 4),
    (13, 12, 6),
    (14, 40, 30),
    (15, 40, 120),
    (16, 120, 150),
    (17, 150, 900),
    (18, 300, 450),
];

/// The pairs asked of a graph of `n` nodes: all of them when small, else a sample with
/// every node as a start once and a few ends equal.
fn pairs(seed: u64, n: usize) -> Vec<(usize, usize)> {
    if n <= 40 {
        return (0..n).flat_map(|s| (0..n).map(move |t| (s, t))).collect();
    }
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed);
    (0..n)
        .map(|s| (s, if s % 17 == 0 { s } else { rng.usize(0..n) }))
        .collect()
}

#[test]
fn fewest_edges_agree_with_breadth_first_search() {
    for (seed, n, m) in SHAPES {
        let g = sample(seed, n, m);
        let r = g.graph.begin_read().expect("reader");
        for only in [None, Some("A")] {
            let store = StoreView::new(&r, only);
            let options = CsrOptions {
                edge_type: only.map(str::to_string),
                weight_field: None,
            };
            let csr = Csr::build(&r, &options, &mut |_| {}).expect("snapshot");
            for dir in DIRECTIONS {
                let adj = g.adjacency(dir, only);
                let mut truth: Vec<Option<Vec<Option<u64>>>> = vec![None; n];
                for (s, t) in pairs(seed, n) {
                    let want = truth[s].get_or_insert_with(|| hops_from(&adj, s))[t];
                    let what = format!("seed {seed} {s} -> {t} {dir:?} type {only:?}");
                    let (from, to) = (g.ids[s], g.ids[t]);
                    let got = algo::shortest_path(&store, from, to, dir).expect("store");
                    let on_snapshot = algo::shortest_path(&csr, from, to, dir).expect("csr");
                    for p in [&got, &on_snapshot] {
                        assert_eq!(p.as_ref().map(|p| p.edges.len() as u64), want, "{what}");
                        if let Some(p) = p {
                            g.check(p, (s, t), dir, only);
                            assert_eq!(p.cost, p.edges.len() as f64, "{what}");
                        }
                    }
                    let again = algo::shortest_path(&store, from, to, dir).expect("store");
                    assert_eq!(again, got, "{what}: asked twice");
                    assert_eq!(
                        algo::is_reachable(&store, from, to, dir).expect("reach"),
                        want.is_some(),
                        "{what}"
                    );
                }
            }
        }
    }
}

#[test]
fn cheapest_paths_agree_with_dijkstra() {
    for (seed, n, m) in SHAPES {
        let g = sample(seed, n, m);
        let r = g.graph.begin_read().expect("reader");
        for only in [None, Some("B")] {
            let options = CsrOptions {
                edge_type: only.map(str::to_string),
                weight_field: Some("w".to_string()),
            };
            let csr = Csr::build(&r, &options, &mut |_| {}).expect("snapshot");
            let store = StoreView::new(&r, only);
            for dir in DIRECTIONS {
                let adj = g.adjacency(dir, only);
                let mut truth: Vec<Option<Vec<Option<u64>>>> = vec![None; n];
                for (s, t) in pairs(seed, n) {
                    let want = truth[s].get_or_insert_with(|| costs_from(&adj, s))[t];
                    let what = format!("seed {seed} {s} -> {t} {dir:?} type {only:?}");
                    let (from, to) = (g.ids[s], g.ids[t]);
                    let got = algo::dijkstra(&csr, from, to, dir).expect("dijkstra");
                    let from_store =
                        algo::cheapest_path(&store, "w", from, to, dir).expect("from the store");
                    for p in [&got, &from_store] {
                        assert_eq!(p.as_ref().map(|p| p.cost), want.map(|c| c as f64), "{what}");
                        if let Some(p) = p {
                            assert_eq!(g.check(p, (s, t), dir, only) as f64, p.cost, "{what}");
                        }
                    }
                    let again = algo::dijkstra(&csr, from, to, dir).expect("dijkstra");
                    assert_eq!(again, got, "{what}: asked twice");
                }
            }
        }
    }
}

#[test]
fn missing_ends_are_errors() {
    let g = sample(19, 5, 8);
    let r = g.graph.begin_read().expect("reader");
    let store = StoreView::new(&r, None);
    let options = CsrOptions {
        edge_type: None,
        weight_field: Some("w".to_string()),
    };
    let csr = Csr::build(&r, &options, &mut |_| {}).expect("snapshot");
    let (here, nowhere) = (g.ids[0], NodeId(1_000_000));
    for (a, b) in [(here, nowhere), (nowhere, here), (nowhere, nowhere)] {
        for dir in DIRECTIONS {
            assert!(matches!(
                algo::shortest_path(&store, a, b, dir),
                Err(AlgoError::NodeNotFound(x)) if x == nowhere
            ));
            assert!(matches!(
                algo::dijkstra(&csr, a, b, dir),
                Err(AlgoError::NodeNotFound(x)) if x == nowhere
            ));
            assert!(matches!(
                algo::cheapest_path(&store, "w", a, b, dir),
                Err(AlgoError::NodeNotFound(x)) if x == nowhere
            ));
        }
    }
}

/// From the store, weights are read as a snapshot reads them (a missing field or no data
/// counts 1), and a bad one fails the search that reads its edge, naming it.
#[test]
fn weights_from_the_store() {
    let graph = Graph::in_memory().expect("graph");
    let mut tx = graph.begin_write().expect("writer");
    let ids = tx
        .insert_nodes((0..6).map(|i| NodeSpec::new("v", format!("v{i}"))))
        .expect("nodes");
    let edge = |a: usize, b: usize, data: serde_json::Value| EdgeSpec {
        from: ids[a],
        to: ids[b],
        edge_type: "R".to_string(),
        data,
    };
    // 0 -> 1 -> 2 costs 1 + 1 (no field, no data) against 0 -> 2 at 2.5; 3 -> 4 and
    // 3 -> 5 carry bad weights.
    let stored = tx
        .insert_edges([
            edge(0, 1, json!({"other": 3})),
            edge(1, 2, serde_json::Value::Null),
            edge(0, 2, json!({"w": 2.5})),
            edge(3, 4, json!({"w": -1})),
            edge(3, 5, json!({"w": "far"})),
        ])
        .expect("edges");
    tx.commit().expect("commit");
    let r = graph.begin_read().expect("reader");
    let store = StoreView::new(&r, None);
    let p = algo::cheapest_path(&store, "w", ids[0], ids[2], Direction::Outgoing)
        .expect("path")
        .expect("reachable");
    assert_eq!(p.nodes, [ids[0], ids[1], ids[2]]);
    assert_eq!(p.edges, [stored[0], stored[1]]);
    assert_eq!(p.cost, 2.0);
    // Settling 3 reads both of its edges, so either bad one may be named first.
    for to in [4, 5] {
        match algo::cheapest_path(&store, "w", ids[3], ids[to], Direction::Outgoing) {
            Err(AlgoError::BadWeight { edge, field, .. }) => {
                assert!(edge == stored[3] || edge == stored[4], "{edge}");
                assert_eq!(field, "w");
            }
            other => panic!("expected a bad weight, got {other:?}"),
        }
    }
    // The bad edges are not read on the way from 0 to 2; nor is anything from 4 back.
    assert!(algo::cheapest_path(&store, "w", ids[0], ids[2], Direction::Both).is_ok());
    assert_eq!(
        algo::cheapest_path(&store, "w", ids[4], ids[3], Direction::Outgoing).expect("search"),
        None
    );
}
