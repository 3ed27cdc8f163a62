//! `Csr`: a compact, immutable in-memory snapshot of a graph's topology (compressed sparse
//! rows, both directions), for whole-graph algorithms.
//!
//! Nodes are renumbered `0..n` in increasing [`NodeId`] order ("indices"); edges are
//! numbered `0..m` in the order of the outgoing adjacency tree, by source index, then type,
//! then target ("positions"). Both numberings are stable for one snapshot.
//!
//! The build reads the node ids, then the outgoing adjacency tree, cut into runs of about
//! equal size read on up to four threads (graphs of 65,536 edges or more). The incoming side
//! is derived from the outgoing rows by a counting sort the first time something asks for
//! it, so algorithms that only follow edges forward (BFS, WCC, SCC, ...) never pay for it.
//! Each thread reads its run a leaf at a time, a chunk of a node's neighbors per entry
//! (`adjacency.rs`): the key decoded once, then the chunk's pairs in a tight loop.
//!
//! Memory, for `n` nodes and `m` edges: 8 bytes per node for the ids and 8 for the outgoing
//! offsets; 12 bytes per edge (target 4, edge id 8); once built, the incoming side adds 8
//! bytes per node and 8 per edge (source 4, position 4); 8 per edge when weights are loaded.
//! A 10M-edge graph takes about 200 MB with both sides, 280 MB with weights.

use std::sync::OnceLock;

use serde_json::Value;

use super::{Adjacency, AlgoError, Progress, ProgressFn, Result};
use crate::ids::{Direction, EdgeId, NodeId};
use crate::read::ReadTxn;

mod rows;

use rows::scan_out_rows;

/// Entries scanned between two progress reports.
const PROGRESS_EVERY: u64 = 1 << 16;

/// What a [`Csr`] snapshot holds.
#[derive(Clone, Debug, Default)]
pub struct CsrOptions {
    /// Only edges of this type; all edges when `None`.
    pub edge_type: Option<String>,
    /// Load a weight per edge from this numeric field of the edge data (missing: 1).
    /// A present but non-numeric, negative or infinite value fails the build with
    /// [`AlgoError::BadWeight`].
    pub weight_field: Option<String>,
}

/// A compact snapshot of the graph's topology; see the module docs.
#[derive(Clone, Debug)]
pub struct Csr {
    ids: Vec<NodeId>,
    lookup: Indexer,
    out_start: Vec<usize>,
    out_to: Vec<u32>,
    out_edge: Vec<EdgeId>,
    incoming: OnceLock<Incoming>,
    weights: Option<Vec<f64>>,
}

/// The incoming side of a [`Csr`]: the edges by target.
#[derive(Clone, Debug)]
struct Incoming {
    start: Vec<usize>,
    from: Vec<u32>,
    /// For each incoming entry, the position of the same edge on the outgoing side.
    pos: Vec<u32>,
}

impl Incoming {
    /// The outgoing rows turned around: a counting sort by target, sources in index order
    /// within each row. `out_to.len()` fits a `u32` (checked by `Csr::assemble`).
    fn of(n: usize, out_start: &[usize], out_to: &[u32]) -> Incoming {
        let m = out_to.len();
        let mut start = vec![0usize; n + 1];
        for &b in out_to {
            start[b as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut from = vec![0u32; m];
        let mut pos = vec![0u32; m];
        for a in 0..n {
            for p in out_start[a]..out_start[a + 1] {
                let slot = &mut fill[out_to[p] as usize];
                from[*slot] = a as u32;
                pos[*slot] = p as u32;
                *slot += 1;
            }
        }
        Incoming { start, from, pos }
    }
}

fn too_large(what: &str, n: usize) -> AlgoError {
    AlgoError::TooLarge(format!("{n} {what} (at most {})", u32::MAX))
}

fn to_u32(v: usize, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| too_large(what, v))
}

impl Csr {
    /// Builds a snapshot from one read transaction: a scan of the node ids, one of the
    /// outgoing adjacency tree, and (for weights) one of the edge records, each in key order.
    /// `progress` hears of every 65,536 entries.
    pub fn build(txn: &ReadTxn, options: &CsrOptions, progress: ProgressFn<'_>) -> Result<Csr> {
        let mut ids = Vec::new();
        txn.each_node_id(|id| {
            ids.push(id);
            if (ids.len() as u64).is_multiple_of(PROGRESS_EVERY) {
                progress(Progress {
                    stage: "scanning nodes",
                    done: ids.len() as u64,
                    total: 0,
                });
            }
        })?;
        to_u32(ids.len(), "nodes")?;
        if !ids.is_sorted_by(|a, b| a < b) {
            // Rows are found by id in the sorted ids: a damaged node tree is an error.
            return Err(crate::GraphError::corrupt("node tree", "", "ids out of order").into());
        }
        let type_filter = match &options.edge_type {
            Some(t) => txn.string_id(t)?,
            None => None,
        };
        if options.edge_type.is_some() && type_filter.is_none() {
            // No edge has this type: a graph of nodes only.
            let starts = vec![0; ids.len() + 1];
            return Csr::assemble(ids, starts, Vec::new(), Vec::new(), None);
        }
        let index = Indexer::new(&ids);
        let entries = usize::try_from(txn.edge_count()?).unwrap_or(0);
        let (out_start, out_to, out_edge) =
            scan_out_rows(txn, &ids, index, type_filter, entries, progress)?;
        let weights = match &options.weight_field {
            Some(field) => Some(load_weights(txn, &out_edge, field, progress)?),
            None => None,
        };
        Csr::assemble(ids, out_start, out_to, out_edge, weights)
    }

    /// A snapshot of the given nodes and `(from, to)` edges, for graphs that live in memory
    /// (tests, examples). Edge ids are the positions in `edges`, from 1; weights are 1.
    /// Every endpoint must be one of `nodes`.
    pub fn from_edges(nodes: &[NodeId], edges: &[(NodeId, NodeId)]) -> Result<Csr> {
        let weighted: Vec<_> = edges.iter().map(|&(a, b)| (a, b, 1.0)).collect();
        Csr::from_weighted_edges(nodes, &weighted)
    }

    /// [`Csr::from_edges`] with a weight per edge (non-negative and finite).
    pub fn from_weighted_edges(nodes: &[NodeId], edges: &[(NodeId, NodeId, f64)]) -> Result<Csr> {
        let mut ids = nodes.to_vec();
        ids.sort_unstable();
        ids.dedup();
        to_u32(ids.len(), "nodes")?;
        let index = Indexer::new(&ids);
        let mut list = Vec::with_capacity(edges.len());
        let mut weights = Vec::with_capacity(edges.len());
        for (i, &(a, b, w)) in edges.iter().enumerate() {
            let edge = EdgeId(i as u64 + 1);
            let x = index.get(&ids, a).ok_or(AlgoError::NodeNotFound(a))?;
            let y = index.get(&ids, b).ok_or(AlgoError::NodeNotFound(b))?;
            check_weight(edge, "weight", w)?;
            list.push((x, y, edge));
            weights.push(w);
        }
        // The store's order: by source, then target, then edge.
        let mut order: Vec<usize> = (0..list.len()).collect();
        order.sort_by_key(|&i| (list[i].0, list[i].1, list[i].2));
        let mut out_start = vec![0usize; ids.len() + 1];
        for &(a, _, _) in &list {
            out_start[a as usize + 1] += 1;
        }
        for i in 0..ids.len() {
            out_start[i + 1] += out_start[i];
        }
        let out_to = order.iter().map(|&i| list[i].1).collect();
        let out_edge = order.iter().map(|&i| list[i].2).collect();
        let weights = order.iter().map(|&i| weights[i]).collect();
        Csr::assemble(ids, out_start, out_to, out_edge, Some(weights))
    }

    /// A snapshot of these outgoing rows; the incoming side waits for its first use.
    fn assemble(
        ids: Vec<NodeId>,
        out_start: Vec<usize>,
        out_to: Vec<u32>,
        out_edge: Vec<EdgeId>,
        weights: Option<Vec<f64>>,
    ) -> Result<Csr> {
        let n = ids.len();
        let m = out_to.len();
        to_u32(m, "edges")?;
        debug_assert!(out_start.len() == n + 1 && out_start[n] == m && out_edge.len() == m);
        Ok(Csr {
            lookup: Indexer::new(&ids),
            ids,
            out_start,
            out_to,
            out_edge,
            incoming: OnceLock::new(),
            weights,
        })
    }

    /// The incoming side, built on the first call (by whichever thread gets there first).
    fn incoming(&self) -> &Incoming {
        self.incoming
            .get_or_init(|| Incoming::of(self.ids.len(), &self.out_start, &self.out_to))
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.out_to.len()
    }

    /// The id of the node at `index`.
    pub fn id(&self, index: u32) -> NodeId {
        self.ids[index as usize]
    }

    /// Every node id, by index.
    pub fn ids(&self) -> &[NodeId] {
        &self.ids
    }

    /// The index of node `id`, if it is in the snapshot.
    pub fn index(&self, id: NodeId) -> Option<u32> {
        self.lookup.get(&self.ids, id)
    }

    /// Targets of the edges from `index`, in position order.
    pub fn out(&self, index: u32) -> &[u32] {
        let i = index as usize;
        &self.out_to[self.out_start[i]..self.out_start[i + 1]]
    }

    /// Positions of the edges from `index` (`out_positions(i).start + k` is the edge to
    /// `out(i)[k]`).
    pub fn out_positions(&self, index: u32) -> std::ops::Range<usize> {
        let i = index as usize;
        self.out_start[i]..self.out_start[i + 1]
    }

    /// Sources of the edges into `index`.
    pub fn inc(&self, index: u32) -> &[u32] {
        let (i, side) = (index as usize, self.incoming());
        &side.from[side.start[i]..side.start[i + 1]]
    }

    /// Positions (on the outgoing side) of the edges into `index`, matching [`Csr::inc`].
    pub fn inc_positions(&self, index: u32) -> &[u32] {
        let (i, side) = (index as usize, self.incoming());
        &side.pos[side.start[i]..side.start[i + 1]]
    }

    /// The id of the edge at `position`.
    pub fn edge_id(&self, position: usize) -> EdgeId {
        self.out_edge[position]
    }

    /// The weight of the edge at `position`: 1 unless weights were loaded.
    pub fn weight(&self, position: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[position])
    }

    /// True if weights were loaded.
    pub fn has_weights(&self) -> bool {
        self.weights.is_some()
    }

    /// Calls `f(other index, position)` for each edge of `index` in `dir`; with `Both`, the
    /// outgoing edges first, and a self-loop once per side.
    pub fn each(&self, index: u32, dir: Direction, mut f: impl FnMut(u32, usize)) {
        if dir != Direction::Incoming {
            for (k, &t) in self.out(index).iter().enumerate() {
                f(t, self.out_start[index as usize] + k);
            }
        }
        if dir != Direction::Outgoing {
            let (i, side) = (index as usize, self.incoming());
            let row = side.start[i]..side.start[i + 1];
            for (&s, &p) in side.from[row.clone()].iter().zip(&side.pos[row]) {
                f(s, p as usize);
            }
        }
    }

    /// Out-degree of `index`.
    pub fn out_degree(&self, index: u32) -> usize {
        self.out(index).len()
    }

    /// In-degree of `index`.
    pub fn in_degree(&self, index: u32) -> usize {
        self.inc(index).len()
    }
}

impl Adjacency for Csr {
    fn for_each_edge(
        &self,
        node: NodeId,
        dir: Direction,
        f: &mut dyn FnMut(EdgeId, NodeId),
    ) -> Result<()> {
        if let Some(i) = self.index(node) {
            self.each(i, dir, |other, pos| {
                f(self.out_edge[pos], self.ids[other as usize]);
            });
        }
        Ok(())
    }

    fn has_node(&self, node: NodeId) -> Result<bool> {
        Ok(self.index(node).is_some())
    }
}

/// `NodeId` -> index over sorted ids: a subtraction when the ids are exactly
/// `first..first + n`, else a binary search.
#[derive(Clone, Copy, Debug)]
struct Indexer {
    dense_from: Option<u64>,
}

impl Indexer {
    fn new(ids: &[NodeId]) -> Indexer {
        let dense_from = match (ids.first(), ids.last()) {
            (Some(f), Some(l)) if l.0.checked_sub(f.0) == Some(ids.len() as u64 - 1) => Some(f.0),
            _ => None,
        };
        Indexer { dense_from }
    }

    fn get(&self, ids: &[NodeId], id: NodeId) -> Option<u32> {
        match self.dense_from {
            Some(first) => {
                let i = id.0.checked_sub(first)?;
                (i < ids.len() as u64).then_some(i as u32)
            }
            None => ids.binary_search(&id).ok().map(|i| i as u32),
        }
    }
}

fn check_weight(edge: EdgeId, field: &str, w: f64) -> Result<()> {
    if !w.is_finite() || w < 0.0 {
        return Err(AlgoError::BadWeight {
            edge,
            field: field.to_string(),
            reason: format!("is {w}; weights must be finite and not negative"),
        });
    }
    Ok(())
}

/// The weight of every edge (by position), from one scan of the edge records in id order
/// merged with the positions sorted by edge id.
fn load_weights(
    txn: &ReadTxn,
    edges: &[EdgeId],
    field: &str,
    progress: ProgressFn<'_>,
) -> Result<Vec<f64>> {
    let mut by_id: Vec<(EdgeId, u32)> = edges
        .iter()
        .enumerate()
        .map(|(pos, &e)| (e, pos as u32))
        .collect();
    by_id.sort_unstable();
    let mut weights = vec![1.0; edges.len()];
    let mut next = by_id.iter().peekable();
    let mut scanned = 0u64;
    let total = by_id.len() as u64;
    let mut bad = None;
    txn.each_edge_record(|id, rec| {
        let data = rec.data;
        let Some(&&(want, pos)) = next.peek() else {
            return Ok(());
        };
        if id != want {
            // An edge of another type: not in the snapshot.
            return Ok(());
        }
        next.next();
        scanned += 1;
        if scanned.is_multiple_of(PROGRESS_EVERY) {
            progress(Progress {
                stage: "reading weights",
                done: scanned,
                total,
            });
        }
        if bad.is_some() {
            return Ok(());
        }
        match weight_of(id, data, field) {
            Ok(w) => weights[pos as usize] = w,
            Err(e) => bad = Some(e),
        }
        Ok(())
    })?;
    match bad {
        Some(e) => Err(e),
        None => Ok(weights),
    }
}

/// The weight in one edge's JSON data: the field's number, 1 when the field is absent.
fn weight_of(edge: EdgeId, data: &[u8], field: &str) -> Result<f64> {
    let bad = |reason: String| AlgoError::BadWeight {
        edge,
        field: field.to_string(),
        reason,
    };
    if data.is_empty() || data == b"null" {
        return Ok(1.0);
    }
    let value: Value = crate::data::decode(data)
        .map_err(|e| bad(format!("cannot be read: the data does not decode ({e})")))?;
    match value.get(field) {
        None => Ok(1.0),
        Some(Value::Number(n)) => {
            let w = n
                .as_f64()
                .ok_or_else(|| bad(format!("is {n}, not a finite number")))?;
            check_weight(edge, field, w)?;
            Ok(w)
        }
        Some(other) => Err(bad(format!("is {other}, not a number"))),
    }
}

/// A random graph for tests: nodes `1..=n` and `m` edges between random nodes (self-loops
/// and parallel edges included), as the edge list and its snapshot.
#[cfg(test)]
pub(crate) fn random_graph(
    rng: &mut fastrand::Rng,
    n: u64,
    m: usize,
) -> (Vec<(NodeId, NodeId)>, Csr) {
    let nodes: Vec<NodeId> = (1..=n).map(NodeId).collect();
    let edges: Vec<_> = (0..m)
        .map(|_| (NodeId(rng.u64(1..=n)), NodeId(rng.u64(1..=n))))
        .collect();
    let g = Csr::from_edges(&nodes, &edges).expect("ids from 1 to n");
    (edges, g)
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "hand-computed values exact in binary")]
mod tests {
    use super::*;

    fn ids(n: u64) -> Vec<NodeId> {
        (1..=n).map(NodeId).collect()
    }

    #[test]
    fn both_directions_agree_with_the_edge_list() {
        let nodes = ids(5);
        let list = [(1, 2), (1, 3), (3, 1), (4, 4), (2, 3), (1, 2)];
        let edges: Vec<_> = list.iter().map(|&(a, b)| (NodeId(a), NodeId(b))).collect();
        let g = Csr::from_edges(&nodes, &edges).unwrap();
        assert_eq!((g.node_count(), g.edge_count()), (5, 6));
        let i = |n: u64| g.index(NodeId(n)).unwrap();
        assert_eq!(g.out(i(1)), &[i(2), i(2), i(3)]);
        assert_eq!(g.out(i(4)), &[i(4)]);
        assert!(g.out(i(5)).is_empty());
        let mut inc: Vec<u32> = g.inc(i(3)).to_vec();
        inc.sort_unstable();
        assert_eq!(inc, vec![i(1), i(2)]);
        // Every incoming entry points at an outgoing position with the same ends.
        for v in 0..5u32 {
            for (&s, &p) in g.inc(v).iter().zip(g.inc_positions(v)) {
                let r = g.out_positions(s);
                assert!(r.contains(&(p as usize)));
                assert_eq!(g.out(s)[p as usize - r.start], v);
            }
        }
        let mut both = Vec::new();
        g.each(i(4), Direction::Both, |o, _| both.push(o));
        assert_eq!(both, vec![i(4), i(4)], "a self-loop once per side");
    }

    #[test]
    fn sparse_ids_and_unknown_nodes() {
        let nodes = [NodeId(10), NodeId(3), NodeId(7)];
        let g = Csr::from_edges(&nodes, &[(NodeId(10), NodeId(3))]).unwrap();
        assert_eq!(g.ids(), &[NodeId(3), NodeId(7), NodeId(10)]);
        assert_eq!(g.index(NodeId(7)), Some(1));
        assert_eq!(g.index(NodeId(8)), None);
        let err = Csr::from_edges(&nodes, &[(NodeId(3), NodeId(4))]).unwrap_err();
        assert!(matches!(err, AlgoError::NodeNotFound(NodeId(4))));
    }

    #[test]
    fn ids_out_of_order_from_a_damaged_tree_index_without_a_panic() {
        // A damaged node tree can hand out ids that do not ascend (found by fuzzing: the
        // dense check subtracted the first id from a smaller last one).
        let ids = [NodeId(9), NodeId(2), NodeId(4)];
        let index = Indexer::new(&ids);
        assert!(index.dense_from.is_none());
        let dense = [NodeId(4), NodeId(5), NodeId(6)];
        assert_eq!(Indexer::new(&dense).get(&dense, NodeId(6)), Some(2));
    }

    #[test]
    fn weights_are_checked() {
        let nodes = ids(2);
        let bad = Csr::from_weighted_edges(&nodes, &[(NodeId(1), NodeId(2), -1.0)]);
        assert!(matches!(bad, Err(AlgoError::BadWeight { .. })));
        assert!(weight_of(EdgeId(1), br#"{"w": "x"}"#, "w").is_err());
        assert!(weight_of(EdgeId(1), br#"{"w": -2}"#, "w").is_err());
        assert_eq!(weight_of(EdgeId(1), br#"{"w": 2.5}"#, "w").unwrap(), 2.5);
        assert_eq!(weight_of(EdgeId(1), br#"{"v": 2.5}"#, "w").unwrap(), 1.0);
        assert_eq!(weight_of(EdgeId(1), b"null", "w").unwrap(), 1.0);
    }
}
