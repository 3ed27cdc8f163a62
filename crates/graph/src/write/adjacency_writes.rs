//! Adjacency writes of a transaction: which of a main tree and its delta a batch of pairs
//! goes to, removals from either, and the merges of a delta into its main tree (see
//! `adjacency/delta.rs` for the layout, invariants and rules).

use super::{Adjacency, WriteTxn};
use crate::adjacency::{self, SLICE_ENTRIES, delta};
use crate::degrees;
use crate::error::Result;
use crate::ids::{EdgeId, NodeId};
use crate::lookup;
use crate::record::{DELTA_PAIRS, IN, OUT, count_key};

impl WriteTxn {
    /// Adds sorted adjacency entries (pairs of no tree yet) to the main tree `tree` or to
    /// its delta, into the chunks they fall into (see `adjacency.rs`): to the delta when
    /// the batch is small beside the graph ([`delta::to_delta`]). The degree counts of the
    /// direction grow with it either way.
    pub(super) fn insert_adjacency(&mut self, tree: &str, sorted: &[Adjacency]) -> Result<()> {
        if sorted.is_empty() {
            return Ok(());
        }
        let main_chunks = self.tx.view_tree(tree)?.map_or(0, |t| t.len());
        // Into an empty main tree a batch goes there whatever the graph's size.
        let edges = if main_chunks > 0 {
            lookup::edge_total(self)?
        } else {
            0
        };
        let target = if delta::to_delta(sorted.len(), main_chunks, edges) {
            self.count(DELTA_PAIRS, delta::count_id(tree), pairs(sorted.len()));
            delta::delta_of(tree)
        } else {
            tree
        };
        adjacency::insert_sorted(&mut self.tx.tree(target)?, sorted)?;
        degrees::add(
            &mut self.tx.tree(degrees::tree_of(tree))?,
            &degrees::groups(sorted),
        )
    }

    /// Removes the pair `(other, edge)` of `(node, ty)` from the main tree `tree` or its
    /// delta, wherever it is; false if in neither.
    pub(super) fn remove_adjacency(
        &mut self,
        tree: &str,
        node: NodeId,
        ty: u32,
        other: NodeId,
        edge: EdgeId,
    ) -> Result<bool> {
        let d = delta::delta_of(tree);
        if self.tx.view_tree(d)?.is_some()
            && adjacency::remove(&mut self.tx.tree(d)?, node, ty, other, edge)?
        {
            self.count(DELTA_PAIRS, delta::count_id(tree), -1);
            return Ok(true);
        }
        adjacency::remove(&mut self.tx.tree(tree)?, node, ty, other, edge)
    }

    /// Merges both adjacency delta trees into their main trees whole and deletes them;
    /// returns how many pairs moved. Commits merge deltas in bounded steps
    /// once they grow past their share of the graph (see `adjacency/delta.rs`); this does
    /// all of it at once, for a graph about to be read hard or copied (`compact` calls it
    /// through [`WriteTxn::repack_adjacency`]). Reads give the same answers before and
    /// after.
    pub fn merge_adjacency_deltas(&mut self) -> Result<u64> {
        self.adjacency_not_deferred()?;
        let mut merged = 0;
        for tree in [OUT, IN] {
            merged += self.merge_delta(tree, u64::MAX)?;
        }
        Ok(merged)
    }

    /// At commit: merges the first quarter of the pairs (by key) of each delta that is due
    /// into its main tree.
    pub(super) fn merge_due_adjacency(&mut self) -> Result<()> {
        let mut edges = None;
        for tree in [OUT, IN] {
            if self.tx.view_tree(delta::delta_of(tree))?.is_none() {
                continue;
            }
            let key = count_key(DELTA_PAIRS, delta::count_id(tree));
            let pending = self.count_deltas.get(&key).copied().unwrap_or(0);
            let pairs = self.stored_count(key)?.saturating_add_signed(pending);
            let edges = match edges {
                Some(n) => n,
                None => *edges.insert(lookup::edge_total(self)?),
            };
            if delta::due(pairs, edges) {
                self.merge_delta(tree, pairs.div_ceil(4))?;
            }
        }
        Ok(())
    }

    /// Moves the first pairs of `tree`'s delta (whole `(node, type)` runs, a bounded slice
    /// at a time) into `tree` until at least `max_pairs` moved or the delta is empty, and
    /// deletes the delta once it is empty; returns how many pairs moved.
    fn merge_delta(&mut self, tree: &str, max_pairs: u64) -> Result<u64> {
        let name = delta::delta_of(tree);
        let mut merged = 0u64;
        while merged < max_pairs {
            let want =
                usize::try_from(max_pairs - merged).map_or(SLICE_ENTRIES, |w| w.min(SLICE_ENTRIES));
            let (entries, keys) = match self.tx.view_tree(name)? {
                Some(view) => delta::first_chunks(&view, want)?,
                None => break,
            };
            if keys.is_empty() {
                break;
            }
            adjacency::insert_sorted(&mut self.tx.tree(tree)?, &entries)?;
            let mut d = self.tx.tree(name)?;
            for k in &keys {
                d.remove(k)?;
            }
            merged += entries.len() as u64;
            self.count(DELTA_PAIRS, delta::count_id(tree), -pairs(entries.len()));
        }
        if self.tx.view_tree(name)?.is_some_and(|t| t.is_empty()) {
            self.tx.delete_tree(name)?;
        }
        Ok(merged)
    }
}

/// A number of pairs as a count change.
fn pairs(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
