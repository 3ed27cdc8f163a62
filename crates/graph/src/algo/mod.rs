//! Traversals and graph algorithms, on snapshots.
//!
//! Two ways to see a graph, one per kind of work:
//!
//! - **Traversals from a start node** ([`bfs`], [`dfs`], [`k_hop`], [`simple_paths`],
//!   [`shortest_path`]) are written against the small [`Adjacency`] trait. A read
//!   transaction implements it through [`StoreView`], reading the store through the page
//!   cache, so a traversal touches only the part of the graph it reaches; a [`Csr`] snapshot
//!   implements it too. [`shortest_path`] searches from both ends at once, so between two
//!   nodes of a large graph it reads little of it.
//! - **Whole-graph algorithms** (components, PageRank, Dijkstra, topological order, ...) run
//!   on a [`Csr`]: a compact in-memory snapshot built from one read transaction in one scan
//!   of the adjacency tree, with nodes renumbered `0..n` so every per-node value is a plain
//!   vector. Its memory is documented on [`Csr`]. [`dijkstra`] between two nodes also
//!   searches from both ends, keeping only the nodes it reaches; [`cheapest_path`] runs
//!   that search straight from the store, reading weights from the edges it meets.
//!
//! Together they cover LDBC Graphalytics' six kernels with its definitions: [`bfs_csr`]
//! (depths), [`pagerank`], [`wcc`], [`label_propagation`] (CDLP), [`lcc`] and [`sssp`].
//!
//! Every algorithm takes an edge-type filter (through the view or the snapshot it runs on)
//! and, where it makes sense, a [`Direction`]. Results name nodes and edges by their
//! [`NodeId`] and [`EdgeId`]. Nothing here recurses: a 10M-node chain is fine.
//!
//! ```
//! use pagegraph::{Direction, EdgeSpec, Graph, NodeSpec};
//! use pagegraph::algo::{self, Csr, CsrOptions, StoreView};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let graph = Graph::in_memory()?;
//! let mut tx = graph.begin_write()?;
//! let ids = tx.insert_nodes((0..4).map(|i| NodeSpec::new("n", format!("v{i}"))))?;
//! for w in ids.windows(2) {
//!     tx.insert_edge(EdgeSpec::new(w[0], w[1], "NEXT"))?;
//! }
//! tx.commit()?;
//!
//! let r = graph.begin_read()?;
//! // A traversal straight from the store.
//! let reached = algo::bfs(&StoreView::new(&r, None), ids[0], Direction::Outgoing, None)?;
//! assert_eq!(reached.last().map(|v| v.depth), Some(3));
//! // A whole-graph algorithm on a snapshot.
//! let csr = Csr::build(&r, &CsrOptions::default(), &mut |_| {})?;
//! assert_eq!(algo::wcc(&csr).len(), 4);
//! # Ok(()) }
//! ```

#![allow(
    clippy::cast_precision_loss,
    reason = "counts become f64 costs and ranks; exact below 2^53"
)]

mod astar;
mod betweenness;
mod bfs;
mod bidirectional;
mod closeness;
mod csr;
mod degree;
mod dfs;
mod dijkstra;
mod dominators;
mod kcore;
mod label_propagation;
mod louvain;
mod pagerank;
pub(crate) mod parallel;
mod reach;
mod scc;
mod shortest_path;
mod simple;
mod simple_paths;
mod topo;
mod transitive_reduction;
mod triangles;
mod wcc;
mod yen;

use rustc_hash::FxHashSet;

use crate::error::GraphError;
use crate::ids::{Direction, EdgeId, NodeId};
use crate::read::ReadTxn;

pub use astar::astar;
pub use betweenness::{Betweenness, betweenness};
pub use bfs::{Visit, bfs, bfs_csr, k_hop};
pub use bidirectional::cheapest_path;
pub use closeness::closeness;
pub use csr::{Csr, CsrOptions};
pub use degree::degree;
pub use dfs::dfs;
pub use dijkstra::{dijkstra, sssp};
pub use dominators::{Dominators, Loop, dominators, natural_loops, post_dominators};
pub use kcore::{core_numbers, k_core};
pub use label_propagation::{LabelPropagation, label_propagation};
pub use louvain::{Communities, Louvain, louvain};
pub use pagerank::{PageRank, pagerank};
pub use reach::{is_reachable, reachable};
pub use scc::scc;
pub use shortest_path::{Path, shortest_path};
pub use simple_paths::simple_paths;
pub use topo::{find_cycle, toposort};
pub use transitive_reduction::transitive_reduction;
pub use triangles::{lcc, triangle_count, triangles};
pub use wcc::wcc;
pub use yen::k_shortest_paths;

/// Result alias for the algorithms.
pub type Result<T, E = AlgoError> = std::result::Result<T, E>;

/// Every way an algorithm can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlgoError {
    /// Reading the graph failed (I/O, damage).
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// A node named as an argument (a start, a target) does not exist.
    #[error("node {0} not found")]
    NodeNotFound(NodeId),
    /// An edge's weight is not a non-negative number.
    #[error("edge {edge}: weight field {field:?} {reason}")]
    BadWeight {
        /// The edge at fault.
        edge: EdgeId,
        /// The data field weights are read from.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The graph has a cycle where none may be (a topological order was asked for).
    #[error("the graph has a cycle: {}", fmt_cycle(.0))]
    Cycle(Vec<NodeId>),
    /// An argument is out of range (a damping factor above 1, ...).
    #[error("invalid {name}: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The graph is too large for an in-memory snapshot (more than `u32::MAX` nodes or
    /// edges).
    #[error("graph too large for a snapshot: {0}")]
    TooLarge(String),
}

fn fmt_cycle(c: &[NodeId]) -> String {
    let mut s: Vec<String> = c.iter().map(ToString::to_string).collect();
    if let Some(first) = c.first() {
        s.push(first.to_string());
    }
    s.join(" -> ")
}

/// How far a long computation has come, for progress bars: `done` of `total` units of
/// `stage` (units are entries scanned, iterations, ...; `total` 0 when unknown).
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// What is being done, e.g. "scanning edges".
    pub stage: &'static str,
    /// Units done.
    pub done: u64,
    /// Units in all, or 0 when unknown.
    pub total: u64,
}

/// A callback told of [`Progress`] every so often.
pub type ProgressFn<'a> = &'a mut dyn FnMut(Progress);

/// What a traversal needs of a graph: the edges of a node in a direction.
pub trait Adjacency {
    /// Calls `f(edge, other end)` for every edge of `node` in `dir` that this view shows.
    /// A node that does not exist has no edges.
    fn for_each_edge(
        &self,
        node: NodeId,
        dir: Direction,
        f: &mut dyn FnMut(EdgeId, NodeId),
    ) -> Result<()>;

    /// Whether `node` exists.
    fn has_node(&self, node: NodeId) -> Result<bool>;
}

/// A read transaction seen through [`Adjacency`], optionally showing one edge type only.
/// Every call reads the store (through the page cache).
pub struct StoreView<'r> {
    txn: &'r ReadTxn,
    edge_type: Option<String>,
}

impl<'r> StoreView<'r> {
    /// A view of `txn`, showing only edges of `edge_type` when given.
    pub fn new(txn: &'r ReadTxn, edge_type: Option<&str>) -> StoreView<'r> {
        StoreView {
            txn,
            edge_type: edge_type.map(str::to_string),
        }
    }
}

impl StoreView<'_> {
    /// The data of edge `edge`, if it exists.
    fn edge_data(&self, edge: EdgeId) -> Result<Option<serde_json::Value>> {
        Ok(self.txn.edge(edge)?.map(|e| e.data))
    }
}

impl Adjacency for StoreView<'_> {
    fn for_each_edge(
        &self,
        node: NodeId,
        dir: Direction,
        f: &mut dyn FnMut(EdgeId, NodeId),
    ) -> Result<()> {
        self.txn
            .for_each_neighbor(node, dir, self.edge_type.as_deref(), f)?;
        Ok(())
    }

    fn has_node(&self, node: NodeId) -> Result<bool> {
        Ok(self.txn.contains_node(node)?)
    }
}

/// Fails with [`AlgoError::NodeNotFound`] unless `node` exists.
fn require(g: &(impl Adjacency + ?Sized), node: NodeId) -> Result<()> {
    if g.has_node(node)? {
        Ok(())
    } else {
        Err(AlgoError::NodeNotFound(node))
    }
}

/// Distinct neighbors of `node` in `dir`, in the order the view gives them, each with the
/// first edge that reached it.
fn distinct_neighbors(
    g: &(impl Adjacency + ?Sized),
    node: NodeId,
    dir: Direction,
) -> Result<Vec<(EdgeId, NodeId)>> {
    let mut seen = FxHashSet::default();
    let mut out = Vec::new();
    g.for_each_edge(node, dir, &mut |e, n| {
        if seen.insert(n) {
            out.push((e, n));
        }
    })?;
    Ok(out)
}

/// A snapshot of nodes `1..=n` and the given edges, for the algorithms' unit tests.
#[cfg(test)]
pub(crate) fn test_graph(n: u64, edges: &[(u64, u64)]) -> Csr {
    let nodes: Vec<NodeId> = (1..=n).map(NodeId).collect();
    let e: Vec<_> = edges.iter().map(|&(a, b)| (NodeId(a), NodeId(b))).collect();
    match Csr::from_edges(&nodes, &e) {
        Ok(g) => g,
        Err(err) => panic!("test graph: {err}"),
    }
}
