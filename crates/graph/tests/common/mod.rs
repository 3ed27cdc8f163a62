//! Random stored multigraphs and their copies in petgraph, shared by the algorithm tests.

#![allow(
    dead_code,
    clippy::expect_used,
    clippy::cast_precision_loss,
    reason = "each test binary uses a part; a failed step is a failed test"
)]

use std::collections::BTreeMap;

use pagegraph::algo::{Csr, CsrOptions};
use pagegraph::{EdgeSpec, Graph, NodeId, NodeSpec};
use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::json;

/// A random multigraph (self-loops, parallel edges) with `n` nodes and `m` edges, of two
/// types, each with an integer weight 0..10 in its data.
pub struct Random {
    /// The stored graph.
    pub graph: Graph,
    /// Node `i`'s id.
    pub ids: Vec<NodeId>,
    /// Edges as (from, to, type, weight) by node position.
    pub edges: Vec<(usize, usize, &'static str, f64)>,
}

pub fn random(seed: u64, n: usize, m: usize) -> Random {
    let mut rng = fastrand::Rng::with_seed(seed);
    let graph = Graph::in_memory().expect("in-memory graph");
    let mut tx = graph.begin_write().expect("writer");
    let ids = tx
        .insert_nodes((0..n).map(|i| NodeSpec::new("v", format!("v{i}"))))
        .expect("nodes");
    let edges: Vec<(usize, usize, &str, f64)> = (0..m)
        .map(|_| {
            let ty = if rng.bool() { "A" } else { "B" };
            (
                rng.usize(0..n),
                rng.usize(0..n),
                ty,
                f64::from(rng.u8(0..10)),
            )
        })
        .collect();
    tx.insert_edges(edges.iter().map(|&(a, b, ty, w)| EdgeSpec {
        from: ids[a],
        to: ids[b],
        edge_type: ty.to_string(),
        data: json!({ "w": w }),
    }))
    .expect("edges");
    tx.commit().expect("commit");
    Random { graph, ids, edges }
}

impl Random {
    /// The same graph in petgraph, optionally one edge type only; node `i` is index `i`.
    pub fn petgraph(&self, only: Option<&str>) -> DiGraph<(), f64> {
        let mut g = DiGraph::new();
        for _ in &self.ids {
            g.add_node(());
        }
        for &(a, b, ty, w) in &self.edges {
            if only.is_none_or(|o| o == ty) {
                g.add_edge(NodeIndex::new(a), NodeIndex::new(b), w);
            }
        }
        g
    }

    pub fn csr(&self, only: Option<&str>, weights: bool) -> Csr {
        let r = self.graph.begin_read().expect("reader");
        let options = CsrOptions {
            edge_type: only.map(str::to_string),
            weight_field: weights.then(|| "w".to_string()),
        };
        Csr::build(&r, &options, &mut |_| {}).expect("snapshot")
    }

    pub fn pos(&self, id: NodeId) -> usize {
        self.ids.iter().position(|&x| x == id).expect("known id")
    }
}

pub const SHAPES: [(u64, usize, usize); 6] = [
    (1, 1, 0),
    (2, 10, 5),
    (3, 30, 60),
    (4, 100, 150),
    (5, 200, 1000),
    (6, 60, 30),
];

/// PageRank written the other way round: pushing each node's rank along its edges from the
/// raw edge list, in `BTreeMap`s.
pub fn pagerank_by_push(n: usize, edges: &[(usize, usize)], d: f64, iterations: u32) -> Vec<f64> {
    let mut out_deg: BTreeMap<usize, usize> = BTreeMap::new();
    for &(a, _) in edges {
        *out_deg.entry(a).or_default() += 1;
    }
    let nf = n as f64;
    let mut rank = vec![1.0 / nf; n];
    for _ in 0..iterations {
        let mut next = vec![0.0; n];
        for &(a, b) in edges {
            next[b] += d * rank[a] / out_deg[&a] as f64;
        }
        let lost: f64 = (0..n)
            .filter(|v| !out_deg.contains_key(v))
            .map(|v| rank[v])
            .sum();
        for x in &mut next {
            *x += (1.0 - d) / nf + d * lost / nf;
        }
        rank = next;
    }
    rank
}
