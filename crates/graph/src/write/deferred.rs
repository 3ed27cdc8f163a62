//! A write transaction's deferred adjacency (`WriteTxn::defer_adjacency`): the adjacency
//! keys of the edges it inserts go to two external sorts instead of the trees, and are
//! written once, merged and packed on helpers, at flush or commit.

use std::sync::mpsc::sync_channel;

use super::{Adjacency, WriteTxn};
use crate::adjacency;
use crate::degrees;
use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};
use crate::record::{self, IN, OUT};

/// The adjacency entries of the edges inserted since [`WriteTxn::defer_adjacency`], in
/// external sorts (bounded memory), written by [`WriteTxn::flush_adjacency`].
pub(super) struct Deferred {
    pub(super) out: pagegraph_storage::Sorter,
    pub(super) inc: pagegraph_storage::Sorter,
    /// Both adjacency trees were empty when deferring began: the entries are appended.
    fresh: bool,
}

/// Memory each deferred adjacency direction holds before it writes a sorted run.
const DEFERRED_BUDGET_BYTES: usize = 64 << 20;

impl WriteTxn {
    /// Holds back the adjacency of the edges this transaction inserts from now on: their
    /// entries go to an external sort (bounded memory, sorted runs in a temporary file
    /// beside the database) and are written once, in key order, by
    /// [`WriteTxn::flush_adjacency`] or at commit. Into a graph without edges they are
    /// packed and appended (each adjacency page written once, none left free); otherwise
    /// they are merged into the chunks as batches are. The way to load many batches of
    /// edges in one transaction, where writing each batch's adjacency would rewrite most of
    /// the adjacency every time.
    ///
    /// Meanwhile nothing in this transaction may read or change adjacency: neighbors,
    /// degrees, edge and node deletes, merges of edges and repacks fail with
    /// `AdjacencyDeferred` and change nothing. Records, indexes and counts are written as
    /// usual. Calling it again while deferring does nothing.
    pub fn defer_adjacency(&mut self) -> Result<()> {
        if self.deferred.is_some() {
            return Ok(());
        }
        let fresh = self.tx.tree(OUT)?.is_empty()? && self.tx.tree(IN)?.is_empty()?;
        self.deferred = Some(Deferred {
            out: self.tx.sorter(DEFERRED_BUDGET_BYTES),
            inc: self.tx.sorter(DEFERRED_BUDGET_BYTES),
            fresh,
        });
        Ok(())
    }

    /// Writes the adjacency held back since [`WriteTxn::defer_adjacency`] and ends that
    /// mode (nothing to do when not deferring). Commit calls it.
    pub fn flush_adjacency(&mut self) -> Result<()> {
        let Some(d) = self.deferred.take() else {
            return Ok(());
        };
        let fresh = d.fresh;
        std::thread::scope(|scope| -> Result<()> {
            // Each direction is merged (and, into empty trees, packed) on a helper, a slice
            // at a time, while this thread writes the slices of both in turn, so that the
            // two merges run side by side.
            let (out_send, out_slices) = sync_channel(SLICES_IN_FLIGHT);
            let (in_send, in_slices) = sync_channel(SLICES_IN_FLIGHT);
            scope.spawn(move || merge_slices(d.out, fresh, &out_send));
            scope.spawn(move || merge_slices(d.inc, fresh, &in_send));
            let mut open = [(OUT, Some(out_slices)), (IN, Some(in_slices))];
            while open.iter().any(|(_, s)| s.is_some()) {
                for (name, slices) in &mut open {
                    let Some(rx) = slices else { continue };
                    let Ok(slice) = rx.recv() else {
                        // That direction is done.
                        *slices = None;
                        continue;
                    };
                    let mut tree = self.tx.tree(name)?;
                    let (slice, groups) = slice?;
                    match slice {
                        Slice::Packed(chunks) => chunks.append(&mut tree)?,
                        Slice::Entries(entries) => adjacency::insert_sorted(&mut tree, &entries)?,
                    }
                    degrees::add(&mut self.tx.tree(degrees::tree_of(name))?, &groups)?;
                }
            }
            Ok(())
        })
    }

    /// Fails with `AdjacencyDeferred` while adjacency is held back: for the writes that read
    /// or change adjacency, before they change anything.
    pub(super) fn adjacency_not_deferred(&self) -> Result<()> {
        match self.deferred {
            Some(_) => Err(GraphError::AdjacencyDeferred),
            None => Ok(()),
        }
    }
}

/// Slices of one direction's deferred adjacency between its merging helper and the
/// writer: bounds the memory the overlap holds.
const SLICES_IN_FLIGHT: usize = 2;

/// A slice of merged deferred adjacency: packed chunks to append (the trees were empty),
/// or sorted entries to merge into the chunks.
enum Slice {
    Packed(adjacency::Chunks),
    Entries(Vec<Adjacency>),
}

/// A slice and its pairs per `(node, type)`, for the degree tree.
type CountedSlice = (Slice, Vec<degrees::Group>);

/// Drains one direction's deferred sort into `out` in slices of whole `(node, type)`
/// groups, packed when `fresh`. Stops quietly when the writer hangs up (it failed); an
/// error of its own is the last item sent.
fn merge_slices(
    mut sorter: pagegraph_storage::Sorter,
    fresh: bool,
    out: &std::sync::mpsc::SyncSender<Result<CountedSlice>>,
) {
    let slice_of = |entries: Vec<Adjacency>| {
        let groups = degrees::groups(&entries);
        let slice = if fresh {
            Slice::Packed(adjacency::pack_entries(&entries))
        } else {
            Slice::Entries(entries)
        };
        (slice, groups)
    };
    let merged = (|| -> Result<()> {
        let mut merged = sorter.drain()?;
        let mut slice: Vec<Adjacency> = Vec::with_capacity(adjacency::SLICE_ENTRIES);
        let (mut key, mut value) = (Vec::new(), Vec::new());
        while merged.next_entry_into(&mut key, &mut value)? {
            let e = record::decode_adjacency_full(&key)
                .ok_or_else(|| GraphError::corrupt("deferred adjacency", "", "bad key"))?;
            // Slices end between groups: a group is packed whole.
            if slice.len() >= adjacency::SLICE_ENTRIES
                && slice.last().is_some_and(|l| (l.0, l.1) != (e.0, e.1))
            {
                let full =
                    std::mem::replace(&mut slice, Vec::with_capacity(adjacency::SLICE_ENTRIES));
                if out.send(Ok(slice_of(full))).is_err() {
                    return Ok(());
                }
            }
            slice.push(e);
        }
        if !slice.is_empty() {
            let _ = out.send(Ok(slice_of(slice)));
        }
        Ok(())
    })();
    if let Err(e) = merged {
        let _ = out.send(Err(e));
    }
}

/// Puts a batch's adjacency keys of one direction into a deferred sort.
pub(super) fn defer_entries(
    sorter: &mut pagegraph_storage::Sorter,
    ends: &[(NodeId, NodeId)],
    types: &[u32],
    ids: &[EdgeId],
    outgoing: bool,
) -> Result<()> {
    for ((&(from, to), &ty), &id) in ends.iter().zip(types).zip(ids) {
        let (node, other) = if outgoing { (from, to) } else { (to, from) };
        sorter.put(&record::adjacency_key(node, ty, other, id), &[])?;
    }
    Ok(())
}
