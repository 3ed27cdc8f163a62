//! Adjacency delta trees `g.out.d` and `g.in.d` (graph format 10): where a batch of edges
//! small beside the graph puts its pairs, so that random growth of a large graph writes a
//! small tree instead of a chunk in most leaves of the adjacency.
//!
//! # Layout
//! A delta tree has the layout of its main tree (`g.out.d` of `g.out`, `g.in.d` of `g.in`):
//! chunks of sorted `(other, edge)` pairs of one `(node, type)` (see the parent module).
//!
//! # Invariants
//! 1. Each tree on its own keeps the parent module's invariants 1 to 4 (pairs increase in
//!    a chunk and across a `(node, type)`'s chunks; chunks are at most `CHUNK_MAX` bytes
//!    when written).
//! 2. A pair is in the main tree or in its delta, never both: each edge is exactly one
//!    pair of a direction, in one of its two trees. A node's pairs are the merge of its
//!    pairs in both, and a scan of both trees merged by pair is strictly increasing
//!    (`check` reads them that way, so a pair in both, or a delta out of order, is
//!    reported).
//! 3. The degree trees count the pairs of both trees (`degrees.rs`): a write updates them
//!    whichever tree it writes, and a merge from delta to main leaves them alone.
//! 4. The delta's pair count in `g.counts` is the number of pairs it holds (0, or no entry,
//!    without a delta); `check` recounts it.
//!
//! # Writes and merges
//! A batch goes to the delta when the main tree has chunks and the batch has at most an
//! eighth as many pairs as the graph has edges ([`to_delta`]); a larger batch (or the first
//! into an empty tree) goes to the main tree as before, where a large sorted run rewrites
//! the leaves it spans once. A removal takes the pair from the delta if it is there, else
//! from the main tree. `g.counts` keeps each delta's number of pairs (tag
//! [`record::DELTA_PAIRS`], id [`count_id`]), written with every change to the delta. At
//! commit, a delta holding more pairs than an eighth of the graph's edges (and at least
//! [`DELTA_MIN`]) is *due* ([`due`]): its first quarter of pairs, by key (whole runs), is
//! merged into the main tree and removed from the delta, in the same transaction. The
//! merged pairs are those of the lowest nodes, so a merge rewrites about a quarter of the
//! main tree's leaves: bounded steps instead of one commit rewriting the whole tree.
//! [`WriteTxn::merge_adjacency_deltas`](crate::WriteTxn::merge_adjacency_deltas) merges
//! all of it at once (`compact` does, before it copies the file).
//!
//! A merge is part of its transaction: a crash before the commit leaves the delta and the
//! main tree as they were, and after it both as merged (see `docs/recovery.md`).

use std::ops::Bound;

use pagegraph_storage::{Range, Tree};

use super::{Entry, damaged, decode_entry, edges_between as main_edges_between};
use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};
use crate::record::{self, decode_adjacency_full};

/// A delta is due when it holds more pairs than the graph's edges divided by this; and a
/// batch goes to the delta when it has at most that share of the graph's edges.
pub(crate) const DELTA_RATIO: u64 = 8;

/// A delta of fewer pairs than this is never due: below it a merge would rewrite a whole
/// small main tree for a few pairs.
pub(crate) const DELTA_MIN: u64 = 4096;

/// The delta tree of the main adjacency tree `main` (`g.out` or `g.in`).
pub(crate) fn delta_of(main: &str) -> &'static str {
    if main == record::OUT {
        record::OUT_DELTA
    } else {
        debug_assert_eq!(main, record::IN);
        record::IN_DELTA
    }
}

/// True when a batch of `batch` pairs goes to the delta of a main tree holding
/// `main_chunks` chunks, in a graph of `edges` edges.
pub(crate) fn to_delta(batch: usize, main_chunks: u64, edges: u64) -> bool {
    main_chunks > 0 && (batch as u64).saturating_mul(DELTA_RATIO) <= edges
}

/// True when a delta of `delta_pairs` pairs, in a graph of `edges` edges, is due to be
/// merged (in part) into its main tree.
pub(crate) fn due(delta_pairs: u64, edges: u64) -> bool {
    delta_pairs > (edges / DELTA_RATIO).max(DELTA_MIN)
}

/// The id under which `g.counts` keeps the number of pairs of the delta of the main tree
/// `main` (tag [`record::DELTA_PAIRS`]): 1 for `g.out`, 2 for `g.in`.
pub(crate) fn count_id(main: &str) -> u32 {
    if main == record::OUT { 1 } else { 2 }
}

/// Calls `f(type, other, edge)` for each of `node`'s pairs (of one type if given) in the
/// main tree and its delta, merged in order. Without a delta (or with nothing of the
/// node's in it) this is one descent of the main tree.
pub(crate) fn for_each_pair(
    main: Option<&Tree<'_>>,
    delta: Option<&Tree<'_>>,
    node: NodeId,
    ty: Option<u32>,
    mut f: impl FnMut(u32, NodeId, EdgeId),
) -> Result<()> {
    let mut extra: Vec<(u32, NodeId, EdgeId)> = Vec::new();
    if let Some(d) = delta {
        super::for_each_pair(d, node, ty, |t, o, e| extra.push((t, o, e)))?;
    }
    let Some(main) = main else {
        for (t, o, e) in extra {
            f(t, o, e);
        }
        return Ok(());
    };
    if extra.is_empty() {
        return super::for_each_pair(main, node, ty, f);
    }
    let mut next = extra.into_iter().peekable();
    super::for_each_pair(main, node, ty, |t, o, e| {
        while let Some(&d) = next.peek().filter(|&&d| d < (t, o, e)) {
            f(d.0, d.1, d.2);
            next.next();
        }
        f(t, o, e);
    })?;
    for (t, o, e) in next {
        f(t, o, e);
    }
    Ok(())
}

/// The edges of type `ty` from `node` to `other` in the main tree and its delta, in id
/// order.
pub(crate) fn edges_between(
    main: Option<&Tree<'_>>,
    delta: Option<&Tree<'_>>,
    node: NodeId,
    ty: u32,
    other: NodeId,
) -> Result<Vec<EdgeId>> {
    let mut found = Vec::new();
    for tree in [main, delta].into_iter().flatten() {
        found.extend(main_edges_between(tree, node, ty, other)?);
    }
    found.sort_unstable();
    Ok(found)
}

/// The entries of a tree's range, a chunk decoded at a time, in order: the second source
/// of a scan that merges a main tree with its delta.
pub(crate) struct Entries<'t> {
    range: Range<'t>,
    /// The decoded entries of the current chunk, reversed (the next is last).
    buf: Vec<Entry>,
}

impl<'t> Entries<'t> {
    /// The entries of `tree` with a key from `from` (included) to `until` (excluded).
    pub(crate) fn new(tree: &Tree<'t>, from: Option<&[u8]>, until: Option<&[u8]>) -> Self {
        let lo = from.map_or(Bound::Unbounded, Bound::Included);
        let hi = until.map_or(Bound::Unbounded, Bound::Excluded);
        Entries {
            range: tree.range(lo, hi),
            buf: Vec::new(),
        }
    }

    /// The next entry, without taking it; `None` at the end. A damaged chunk is an error.
    pub(crate) fn peek(&mut self) -> Result<Option<Entry>> {
        if self.buf.is_empty() {
            let Some(entry) = self.range.next_ref() else {
                return Ok(None);
            };
            let (k, v) = entry?;
            let buf = &mut self.buf;
            decode_entry(k, &v, |n, t, o, e| buf.push((n, t, o, e))).ok_or_else(|| {
                GraphError::corrupt("adjacency delta chunk", "", "damaged (a bad key or value)")
            })?;
            buf.reverse();
        }
        Ok(self.buf.last().copied())
    }

    /// Takes the entry [`Entries::peek`] returned.
    pub(crate) fn advance(&mut self) {
        self.buf.pop();
    }

    /// Passes every entry below `bound` (all when `None`) to `f`, in order.
    pub(crate) fn drain_below(
        &mut self,
        bound: Option<Entry>,
        f: &mut impl FnMut(Entry),
    ) -> Result<()> {
        while let Some(e) = self.peek()? {
            if bound.is_some_and(|b| e >= b) {
                break;
            }
            f(e);
            self.advance();
        }
        Ok(())
    }
}

/// Whether `tree` has any chunk with a key from `from` (included) to `until` (excluded).
pub(crate) fn any_in(tree: &Tree<'_>, from: Option<&[u8]>, until: Option<&[u8]>) -> Result<bool> {
    let lo = from.map_or(Bound::Unbounded, Bound::Included);
    let hi = until.map_or(Bound::Unbounded, Bound::Excluded);
    match tree.range(lo, hi).next_ref() {
        Some(entry) => entry.map(|_| true).map_err(Into::into),
        None => Ok(false),
    }
}

/// The entries of the first chunks of a delta, stopping between two `(node, type)` runs
/// once `max_entries` entries are read: the entries in order and the chunks' keys. Whole
/// runs are taken so that a merge never leaves part of a run's pairs behind it (any order
/// would be correct, but whole runs keep each merge to the leaves of the nodes it names).
pub(crate) fn first_chunks(
    delta: &Tree<'_>,
    max_entries: usize,
) -> Result<(Vec<Entry>, Vec<Vec<u8>>)> {
    let mut entries = Vec::new();
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut range = delta.range(Bound::Unbounded, Bound::Unbounded);
    while let Some(entry) = range.next_ref() {
        let (k, v) = entry?;
        let (node, ty, ..) = decode_adjacency_full(k).ok_or_else(|| damaged(NodeId(0)))?;
        let new_run = entries
            .last()
            .is_none_or(|&(n, t, ..): &Entry| (n, t) != (node, ty));
        if new_run && entries.len() >= max_entries {
            break;
        }
        decode_entry(k, &v, |n, t, o, e| entries.push((n, t, o, e)))
            .ok_or_else(|| damaged(node))?;
        keys.push(k.to_vec());
    }
    Ok((entries, keys))
}
