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

use super::parallel::on_threads;
use super::{Adjacency, AlgoError, Progress, ProgressFn, Result};
use crate::ids::{Direction, EdgeId, NodeId};
use crate::read::ReadTxn;
use pagegraph_storage::ValueRef;

use crate::adjacency;
use crate::record::decode_adjacency_full;

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

/// Edges from which a build scans the adjacency tree on several threads.
const PARALLEL_EDGES_MIN: usize = 1 << 16;

/// Marks an `out_start` entry not yet set while the runs are joined.
const UNSET: usize = usize::MAX;

/// Most threads a build uses.
const BUILD_THREADS_MAX: usize = 4;

/// The most rows a run reserves room for before it reads them (2^26: 768 MiB of rows; a
/// larger graph's rows grow past it).
const CAPACITY_HINT_MAX: usize = 1 << 26;

/// One run of the outgoing adjacency tree as one thread read it: rows in key order.
#[derive(Default)]
struct Rows {
    /// Source index of the run's first entry.
    first: u32,
    /// Where each source index from `first` starts in `to`; a source without entries
    /// starts where the next one does.
    starts: Vec<usize>,
    to: Vec<u32>,
    edge: Vec<EdgeId>,
    /// An edge with an endpoint that is not a node.
    missing: Option<EdgeId>,
    /// An entry whose source comes before the previous entry's.
    unordered: bool,
}

impl Rows {
    /// Opens the row of source index `a` at position `at` of `to`, after the row of
    /// `row_now` if `had_row`; false (and `unordered` set) if `a` does not come after it.
    fn open_row(&mut self, had_row: bool, row_now: u32, a: u32, at: usize) -> bool {
        if !had_row {
            self.first = a;
        } else if a <= row_now {
            self.unordered = true;
            return false;
        }
        self.starts.resize((a - self.first) as usize + 1, at);
        true
    }
}

/// Appends an entry to `target` through `edge` to a run's rows; false if the target is not
/// a node. The body of the build's hot loop, so marked for inlining.
#[inline]
fn push_entry(
    index: Indexer,
    ids: &[NodeId],
    (to, edges): (&mut Vec<u32>, &mut Vec<EdgeId>),
    target: NodeId,
    edge: EdgeId,
) -> bool {
    let Some(b) = index.get(ids, target) else {
        return false;
    };
    to.push(b);
    edges.push(edge);
    true
}

/// What [`read_rows`] needs to add pairs one at a time: the snapshot's ids and the type
/// kept.
#[derive(Clone, Copy)]
struct Pairs<'a> {
    index: Indexer,
    ids: &'a [NodeId],
    type_filter: Option<u32>,
}

impl Pairs<'_> {
    /// Adds one pair (a delta's, or one of a merged chunk) to the rows, unless of another
    /// type; false (with `rows` saying why) to stop.
    fn push(
        self,
        rows: &mut Rows,
        at: &mut RowAt,
        (to, edges): (&mut Vec<u32>, &mut Vec<EdgeId>),
        (source, ty, target, edge): adjacency::Entry,
        count: &mut u64,
    ) -> bool {
        if self.type_filter.is_some_and(|t| t != ty) {
            return true;
        }
        if !at.enter(rows, (self.index, self.ids), source, edge, to.len()) {
            return false;
        }
        *count += 1;
        if !push_entry(self.index, self.ids, (to, edges), target, edge) {
            rows.missing = Some(edge);
            return false;
        }
        true
    }

    /// Adds a chunk (first entry `first`, other pairs `value`) and the delta's pairs before
    /// it, merging them pair by pair when the delta holds pairs of its `(node, type)`;
    /// false (with `rows` saying why) to stop.
    #[allow(clippy::too_many_arguments)] // the chunk, the delta, and the rows being filled
    fn chunk(
        self,
        delta: &mut adjacency::delta::Entries<'_>,
        first: adjacency::Entry,
        value: &[u8],
        rows: &mut Rows,
        at: &mut RowAt,
        (to, edges): (&mut Vec<u32>, &mut Vec<EdgeId>),
        count: &mut u64,
    ) -> crate::Result<bool> {
        let Some(merge) = self.before(delta, first, rows, at, (&mut *to, &mut *edges), count)?
        else {
            return Ok(false);
        };
        let (source, ty, target, edge) = first;
        if self.type_filter.is_some_and(|t| t != ty) {
            return Ok(true);
        }
        if merge {
            return self.merge_chunk(delta, first, value, rows, at, (to, edges), count);
        }
        let mut ok = true;
        adjacency::decode_chunk((target, edge), value, |(t, e)| {
            ok = ok && self.push(rows, at, (&mut *to, &mut *edges), (source, ty, t, e), count);
        })
        .ok_or_else(|| crate::GraphError::corrupt("adjacency chunk", source, "damaged"))?;
        Ok(ok)
    }

    /// Adds the delta's pairs left after the last chunk.
    fn rest(
        self,
        delta: &mut adjacency::delta::Entries<'_>,
        rows: &mut Rows,
        at: &mut RowAt,
        count: &mut u64,
    ) -> crate::Result<()> {
        let (mut to, mut edges) = (std::mem::take(&mut rows.to), std::mem::take(&mut rows.edge));
        let mut ok = true;
        let drained = delta.drain_below(None, &mut |d| {
            ok = ok && self.push(rows, at, (&mut to, &mut edges), d, count);
        });
        (rows.to, rows.edge) = (to, edges);
        drained
    }

    /// Adds the delta's pairs below `first` (a chunk's first entry); then whether the
    /// delta's next pair is of the chunk's `(node, type)` (the chunk must then be merged
    /// pair by pair), or `None` (with `rows` saying why) to stop.
    fn before(
        self,
        delta: &mut adjacency::delta::Entries<'_>,
        first: adjacency::Entry,
        rows: &mut Rows,
        at: &mut RowAt,
        (to, edges): (&mut Vec<u32>, &mut Vec<EdgeId>),
        count: &mut u64,
    ) -> crate::Result<Option<bool>> {
        let mut ok = true;
        delta.drain_below(Some(first), &mut |d| {
            ok = ok && self.push(rows, at, (&mut *to, &mut *edges), d, count);
        })?;
        if !ok {
            return Ok(None);
        }
        Ok(Some(
            delta
                .peek()?
                .is_some_and(|n| (n.0, n.1) == (first.0, first.1)),
        ))
    }

    /// Adds a chunk whose first entry is `first` and other pairs `value`, merged pair by
    /// pair with the delta's pairs of its `(node, type)`; false (with `rows` saying why, or
    /// for a damaged chunk, with nothing set) to stop.
    #[allow(clippy::too_many_arguments)] // the chunk, the delta, and the rows being filled
    fn merge_chunk(
        self,
        delta: &mut adjacency::delta::Entries<'_>,
        first: adjacency::Entry,
        value: &[u8],
        rows: &mut Rows,
        at: &mut RowAt,
        (to, edges): (&mut Vec<u32>, &mut Vec<EdgeId>),
        count: &mut u64,
    ) -> crate::Result<bool> {
        let (source, ty, target, edge) = first;
        let mut pairs = Vec::new();
        if adjacency::decode_chunk((target, edge), value, |p| pairs.push(p)).is_none() {
            return Err(crate::GraphError::corrupt(
                "adjacency chunk",
                source,
                "damaged",
            ));
        }
        for (t, e) in pairs {
            let entry = (source, ty, t, e);
            let mut ok = true;
            delta.drain_below(Some(entry), &mut |d| {
                ok = ok && self.push(rows, at, (&mut *to, &mut *edges), d, count);
            })?;
            if !ok || !self.push(rows, at, (&mut *to, &mut *edges), entry, count) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The source whose row is being filled, for [`read_rows`].
#[derive(Clone, Copy, Default)]
struct RowAt {
    source: Option<NodeId>,
    row: u32,
}

impl RowAt {
    /// Makes `source`'s row the one being filled, opening it at position `at` when it is a
    /// new source; false (with `rows.missing` naming `edge`, or `rows.unordered` set) when
    /// the source is not a node or comes before the last one.
    #[inline]
    fn enter(
        &mut self,
        rows: &mut Rows,
        (index, ids): (Indexer, &[NodeId]),
        source: NodeId,
        edge: EdgeId,
        at: usize,
    ) -> bool {
        if self.source == Some(source) {
            return true;
        }
        let Some(a) = index.get(ids, source) else {
            rows.missing = Some(edge);
            return false;
        };
        if !rows.open_row(self.source.is_some(), self.row, a, at) {
            return false;
        }
        *self = RowAt {
            source: Some(source),
            row: a,
        };
        true
    }
}

/// Reads the outgoing adjacency entries with keys in `from..until` into rows. The tree is
/// in key order, by source id, so the rows are laid out as they are read: an entry with
/// the previous entry's source is one push of its target and edge (the hot path), a new
/// source opens a row. Keys are decoded a leaf's run at a time, with the rows moved into
/// locals for the run. Where the delta tree (`adjacency/delta.rs`) holds pairs, they are
/// merged in: those before a chunk are added before it, and a chunk of a `(node, type)`
/// the delta also holds is merged pair by pair; other chunks are decoded whole. `scanned`
/// hears the number of entries read so far, about every `PROGRESS_EVERY`.
fn read_rows(
    txn: &ReadTxn,
    ids: &[NodeId],
    index: Indexer,
    type_filter: Option<u32>,
    (from, until): (Option<&[u8]>, Option<&[u8]>),
    capacity: usize,
    scanned: &mut dyn FnMut(u64),
) -> Result<Rows> {
    let mut rows = Rows {
        to: Vec::with_capacity(capacity),
        edge: Vec::with_capacity(capacity),
        ..Rows::default()
    };
    let mut count = 0u64;
    let mut report_at = PROGRESS_EVERY;
    let mut bad_key = false;
    let mut stop = false;
    let mut failed = None;
    let mut at = RowAt::default();
    let delta = txn.adjacency_trees(false).1;
    let mut extra = delta
        .as_ref()
        .map(|d| adjacency::delta::Entries::new(d, from, until));
    let cx = Pairs {
        index,
        ids,
        type_filter,
    };
    txn.adjacency_runs(false, from, until, |run| {
        if stop {
            return;
        }
        // The run's loop works on locals, not on the closure's captures.
        let (index, ids, type_filter) = (index, ids, type_filter);
        let (mut to, mut edges) = (std::mem::take(&mut rows.to), std::mem::take(&mut rows.edge));
        for (key, value) in run.entries() {
            // One chunk: its key holds the (node, type) and the first pair, its value the
            // other pairs (see `adjacency.rs`).
            let (ValueRef::Inline(value), Some((source, ty, target, edge))) =
                (value, decode_adjacency_full(key))
            else {
                bad_key = true;
                stop = true;
                break;
            };
            if extra.as_mut().is_some_and(|x| matches!(x.peek(), Ok(None))) {
                // The delta has nothing further in this run's range.
                extra = None;
            }
            if let Some(x) = extra.as_mut() {
                // With the delta's pairs merged in.
                let first = (source, ty, target, edge);
                match cx.chunk(
                    x,
                    first,
                    value,
                    &mut rows,
                    &mut at,
                    (&mut to, &mut edges),
                    &mut count,
                ) {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) => failed = Some(e),
                }
                stop = true;
                break;
            }
            if type_filter.is_some_and(|t| t != ty) {
                continue;
            }
            if !at.enter(&mut rows, (index, ids), source, edge, to.len()) {
                stop = true;
                break;
            }
            let mut missing = None;
            let whole = adjacency::decode_chunk((target, edge), value, |(t, e)| {
                count += 1;
                if missing.is_none() && !push_entry(index, ids, (&mut to, &mut edges), t, e) {
                    missing = Some(e);
                }
            });
            if whole.is_none() {
                bad_key = true;
                stop = true;
                break;
            }
            if missing.is_some() {
                rows.missing = missing;
                stop = true;
                break;
            }
        }
        (rows.to, rows.edge) = (to, edges);
        if count >= report_at {
            scanned(count);
            report_at = count + PROGRESS_EVERY;
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    // The delta's pairs after the last chunk.
    if let Some(x) = extra.as_mut()
        && !stop
        && !bad_key
    {
        cx.rest(x, &mut rows, &mut at, &mut count)?;
    }
    if bad_key {
        return Err(crate::GraphError::corrupt("adjacency entry", "", "short key").into());
    }
    Ok(rows)
}

/// The outgoing rows of the snapshot (`out_start`, `out_to`, `out_edge`), from one scan of
/// the outgoing adjacency tree, cut into runs of about equal size read on up to
/// `BUILD_THREADS_MAX` threads when the graph is large. The calling thread reads the first
/// run and reports progress.
fn scan_out_rows(
    txn: &ReadTxn,
    ids: &[NodeId],
    index: Indexer,
    type_filter: Option<u32>,
    entries: usize,
    progress: ProgressFn<'_>,
) -> Result<(Vec<usize>, Vec<u32>, Vec<EdgeId>)> {
    let threads = if entries >= PARALLEL_EDGES_MIN {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(BUILD_THREADS_MAX))
    } else {
        1
    };
    let mut splits = txn.adjacency_splits(false, threads)?;
    if txn.delta_in(false, None, None)? {
        // Runs that merge a delta pair by pair are cut between nodes, so that no row is
        // split between two runs (its pairs then come in key order from one merge).
        splits = node_cuts(&splits);
    }
    let parts = splits.len() + 1;
    let bound = |t: usize| -> Option<&[u8]> {
        t.checked_sub(1)
            .and_then(|t| splits.get(t))
            .map(Vec::as_slice)
    };
    // Room for a run's rows when all entries are kept: its share (with some slack), and
    // all of them for the first run, which the others are appended to.
    let share = entries.div_ceil(parts) + entries / 16;
    // Hints, bounded: `entries` is a count read from the file, and a damaged one must not
    // ask for an allocation the process cannot have (rows grow past a hint as needed).
    let capacity = |t: usize| {
        match (type_filter, t) {
            (Some(_), _) => 0,
            (None, 0) => entries,
            (None, _) => share,
        }
        .min(CAPACITY_HINT_MAX)
    };
    let total = entries as u64;
    let runs = on_threads(parts, progress, |t, report| {
        let mut scanned = |done: u64| {
            report(Progress {
                stage: "scanning edges",
                done: done * parts as u64,
                total,
            });
        };
        let range = (bound(t), bound(t + 1));
        read_rows(
            txn,
            ids,
            index,
            type_filter,
            range,
            capacity(t),
            &mut scanned,
        )
    });
    let runs = runs.into_iter().collect::<Result<Vec<Rows>>>()?;
    let n = ids.len();
    let mut out_start = vec![UNSET; n + 1];
    let mut runs = runs.into_iter();
    let Some(mut base) = runs.next() else {
        return Ok((vec![0; n + 1], Vec::new(), Vec::new()));
    };
    // The last source index with a row so far.
    let mut last: Option<usize> = None;
    let mut add = |rows: &Rows, offset: usize| -> Result<()> {
        if let Some(edge) = rows.missing {
            return Err(
                crate::GraphError::corrupt("edge", edge, "an endpoint is not a node").into(),
            );
        }
        let first = rows.first as usize;
        if rows.unordered || (!rows.starts.is_empty() && last.is_some_and(|l| first < l)) {
            return Err(crate::GraphError::corrupt(
                "adjacency tree",
                "",
                "entries out of source order",
            )
            .into());
        }
        for (i, &s) in rows.starts.iter().enumerate() {
            // A row cut between two runs starts where the earlier run put it.
            let slot = &mut out_start[first + i];
            if *slot == UNSET {
                *slot = offset + s;
            }
        }
        if !rows.starts.is_empty() {
            last = Some(first + rows.starts.len() - 1);
        }
        Ok(())
    };
    add(&base, 0)?;
    for rows in runs {
        add(&rows, base.to.len())?;
        base.to.extend_from_slice(&rows.to);
        base.edge.extend_from_slice(&rows.edge);
    }
    // Sources without a row (no entries) start where the next row does.
    out_start[n] = base.to.len();
    for i in (0..n).rev() {
        if out_start[i] == UNSET {
            out_start[i] = out_start[i + 1];
        }
    }
    Ok((out_start, base.to, base.edge))
}

/// Adjacency split keys moved back to the start of their node's keys, without repeats.
fn node_cuts(splits: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<Vec<u8>> = splits
        .iter()
        .filter_map(|k| crate::record::get_ordered(k, &mut 0))
        .map(|n| crate::record::adjacency_prefix(NodeId(n), None).to_vec())
        .collect();
    cuts.dedup();
    cuts
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
