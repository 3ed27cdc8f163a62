//! Index entries a write transaction has added and not yet written to their trees.
//!
//! A create or an update adds one entry to each index on its label; written at once, each
//! entry would copy a cold leaf of a large tree. Entries of small writes to non-unique
//! indexes are held here instead, sorted per index, and written in key order to the
//! index's added delta tree (one pass: entries that share a leaf copy it once; the delta is
//! small, so its leaves are few and warm) when the transaction commits, when they outgrow
//! their memory budget, or before a large sorted run is written to the same index. At
//! commit, the delta trees of every index this transaction changed that have grown past
//! their bound (`index::delta_due`) are applied to the main tree in one ordered pass, where
//! many entries share each leaf copied (see `index`, "Delta trees"). A unique
//! index's entries are written at once: its unique check has just read the leaf each one
//! goes into, so the write finds it warm, and the checks read the tree alone.
//!
//! These are not the storage engine's buffered puts (`TreeMut::put`): a tree with buffered
//! puts cannot be read through a shared borrow, and the graph's reads inside a write
//! transaction (`nodes_where` and the others under `&self`) must see these entries; a later
//! write may also take one back, which a buffered put cannot undo.
//!
//! Invariants, for every index `i` while the transaction is open:
//! - the entries of `i` as the transaction sees them are those of its trees (`(main -
//!   removed) + added`, see `index`, "Delta trees") together with those held here for `i`,
//!   and no entry held here is also in the trees (an entry is held only when it is new: its
//!   element did not have it before the write that added it);
//! - an entry removed by a later write is taken from here when it is held here, else from
//!   the added delta when it is there, else recorded in the removed delta;
//! - nothing is held for a unique index;
//! - every read of an index inside the transaction (lookups, entry counts) merges the
//!   trees and the held entries (`IndexHits`, `lookup::info_of`), so the transaction sees
//!   its own writes;
//! - nothing is held for a dropped index, and nothing is left when the transaction
//!   commits: the storage commit only starts after every held entry is in a tree.

use std::collections::{BTreeSet, HashMap};

use super::WriteTxn;
use crate::error::{GraphError, Result};
use crate::index::{delta_due, delta_tree, entries_tree, removed_tree};

/// Memory held before the entries are written out: keys plus a set node's overhead.
const PENDING_BYTES_MAX: usize = 32 << 20;
/// Per-entry overhead counted against the budget (a set slot and a `Vec` header).
const ENTRY_OVERHEAD: usize = 48;

/// The held entries, by index id.
#[derive(Debug)]
pub(crate) struct Pending {
    sets: HashMap<u32, BTreeSet<Vec<u8>>>,
    bytes: usize,
    budget: usize,
    /// Indexes whose delta trees this transaction changed: checked at commit for whether
    /// they are due to be applied.
    touched: BTreeSet<u32>,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            sets: HashMap::new(),
            bytes: 0,
            budget: PENDING_BYTES_MAX,
            touched: BTreeSet::new(),
        }
    }
}

impl Pending {
    /// The entries held for index `id`, `None` when there are none.
    pub(crate) fn get(&self, id: u32) -> Option<&BTreeSet<Vec<u8>>> {
        self.sets.get(&id).filter(|s| !s.is_empty())
    }

    /// Holds a new entry of index `id`.
    pub(crate) fn add(&mut self, id: u32, key: Vec<u8>) {
        let n = key.len() + ENTRY_OVERHEAD;
        if self.sets.entry(id).or_default().insert(key) {
            self.bytes += n;
        }
    }

    /// Takes an entry of index `id` if it is held here; false if it is not.
    pub(crate) fn remove(&mut self, id: u32, key: &[u8]) -> bool {
        let removed = self.sets.get_mut(&id).is_some_and(|s| s.remove(key));
        if removed {
            self.bytes = self.bytes.saturating_sub(key.len() + ENTRY_OVERHEAD);
        }
        removed
    }

    /// Takes every entry held for index `id`, in key order.
    pub(crate) fn take(&mut self, id: u32) -> Option<BTreeSet<Vec<u8>>> {
        let set = self.sets.remove(&id)?;
        let n: usize = set.iter().map(|k| k.len() + ENTRY_OVERHEAD).sum();
        self.bytes = self.bytes.saturating_sub(n);
        Some(set)
    }

    /// The ids of the indexes with entries held.
    pub(crate) fn ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .sets
            .iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(&id, _)| id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Notes that index `id`'s delta trees changed.
    pub(crate) fn touch(&mut self, id: u32) {
        self.touched.insert(id);
    }

    /// The indexes whose delta trees changed since the last call, in id order.
    pub(crate) fn take_touched(&mut self) -> BTreeSet<u32> {
        std::mem::take(&mut self.touched)
    }

    /// True when the held entries have outgrown their budget and must be written.
    pub(crate) fn over_budget(&self) -> bool {
        self.bytes > self.budget
    }

    /// Sets the budget (tests force frequent write-outs with a small one).
    #[cfg(test)]
    pub(crate) fn set_budget(&mut self, bytes: usize) {
        self.budget = bytes;
    }
}

impl WriteTxn {
    /// Writes the entries held for index `id` to its added delta tree, in key order.
    pub(super) fn flush_index(&mut self, id: u32) -> Result<()> {
        let Some(set) = self.pending.take(id) else {
            return Ok(());
        };
        // Inserted along one remembered path, each leaf copied once: not a rewrite of the
        // tree (`insert_sorted`), which would leave every leaf full for the next inserts to
        // split.
        self.tx
            .tree(&delta_tree(id))?
            .insert_many(set.iter().map(|k| (k.as_slice(), [0u8; 0])))?;
        self.pending.touch(id);
        Ok(())
    }

    /// Applies index `id`'s delta trees to its main tree if they are due (`delta_due`).
    fn apply_deltas_if_due(&mut self, id: u32) -> Result<()> {
        let mut in_deltas = 0;
        for name in [delta_tree(id), removed_tree(id)] {
            in_deltas += self.tx.view_tree(&name)?.map_or(0, |t| t.len());
        }
        let main = self.tx.view_tree(&entries_tree(id))?.map_or(0, |t| t.len());
        if delta_due(in_deltas, main) {
            self.apply_deltas(id)?;
        }
        Ok(())
    }

    /// Applies index `id`'s delta trees to its main tree, in key order (the removed entries
    /// first, since an added one may be one of them added back), and deletes them.
    fn apply_deltas(&mut self, id: u32) -> Result<()> {
        let main = entries_tree(id);
        for (name, add) in [(removed_tree(id), false), (delta_tree(id), true)] {
            let keys: Vec<Vec<u8>> = match self.tx.view_tree(&name)? {
                Some(view) => {
                    let mut keys = Vec::with_capacity(usize::try_from(view.len()).unwrap_or(0));
                    view.iter().for_each_key(|k| keys.push(k.to_vec()))?;
                    keys
                }
                None => continue,
            };
            let mut tree = self.tx.tree(&main)?;
            if add {
                tree.insert_many(keys.iter().map(|k| (k.as_slice(), [0u8; 0])))?;
            } else {
                for k in &keys {
                    if !tree.remove(k)? {
                        return Err(GraphError::corrupt(
                            "index entry",
                            &name,
                            "recorded as removed but not in the main tree",
                        ));
                    }
                }
            }
            self.tx.delete_tree(&name)?;
        }
        Ok(())
    }

    /// Writes every held index entry to its delta tree and applies the delta trees that are
    /// due (before the commit).
    pub(super) fn flush_pending(&mut self) -> Result<()> {
        self.write_held()?;
        for id in self.pending.take_touched() {
            self.apply_deltas_if_due(id)?;
        }
        Ok(())
    }

    /// Writes the held index entries once they outgrow their memory budget.
    pub(super) fn flush_pending_if_full(&mut self) -> Result<()> {
        if self.pending.over_budget() {
            self.write_held()?;
        }
        Ok(())
    }

    /// Writes every held entry to its index's added delta tree.
    fn write_held(&mut self) -> Result<()> {
        for id in self.pending.ids() {
            self.flush_index(id)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::indexes;
    use super::*;
    use crate::ids::NodeId;
    use crate::props::Properties;

    fn ages(tx: &WriteTxn, cond: &crate::Condition) -> Vec<NodeId> {
        let mut ids: Vec<NodeId> = tx
            .nodes_where("P", "age", cond)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn held_index_entries_are_written_over_budget_and_before_a_large_run() {
        use crate::{Condition, Graph, IndexSpec, PropertyValue as V};
        let g = Graph::in_memory().unwrap();
        let mut tx = g.begin_write().unwrap();
        tx.create_index(IndexSpec::on_label("P", "age")).unwrap();
        let age = |a: i64| -> Properties { [("age".to_string(), V::Int(a))].into() };
        // A budget of nothing: every write's entries go to the tree at once.
        tx.pending.set_budget(0);
        let mut ones = Vec::new();
        for i in 0..40 {
            let id = tx.create_node(&["P"], age(i % 4)).unwrap();
            assert!(tx.pending.ids().is_empty());
            if i % 4 == 1 {
                ones.push(id);
            }
        }
        tx.set_node_property(ones[0], "age", V::Int(9)).unwrap();
        assert_eq!(ages(&tx, &Condition::Eq(V::Int(1))), ones[1..]);
        // The default budget: small writes are held...
        tx.pending.set_budget(32 << 20);
        let held = tx.create_node(&["P"], age(1)).unwrap();
        assert!(!tx.pending.ids().is_empty());
        // ...until a large sorted run for the same index is written, after them.
        let run: Vec<(&[&str], Properties)> = (0..indexes::DIRECT_RUN_MIN)
            .map(|_| (&["P"][..], age(5)))
            .collect();
        let many = tx.create_nodes(run).unwrap();
        assert!(tx.pending.ids().is_empty());
        let mut want = ones[1..].to_vec();
        want.push(held);
        assert_eq!(ages(&tx, &Condition::Eq(V::Int(1))), want);
        assert_eq!(ages(&tx, &Condition::Eq(V::Int(5))), many);
        tx.commit().unwrap();
        assert!(g.check().unwrap().is_clean());
        let r = g.begin_read().unwrap();
        let n = r
            .nodes_where("P", "age", &Condition::Eq(V::Int(1)))
            .unwrap()
            .count();
        assert_eq!(n, want.len());
    }

    #[test]
    fn entries_are_held_counted_and_taken_in_key_order() {
        let mut p = Pending::default();
        p.set_budget(3 * (2 + ENTRY_OVERHEAD));
        assert!(p.get(1).is_none());
        p.add(1, b"bb".to_vec());
        p.add(1, b"aa".to_vec());
        p.add(1, b"aa".to_vec());
        p.add(2, b"cc".to_vec());
        assert_eq!(p.ids(), vec![1, 2]);
        assert!(!p.over_budget());
        p.add(2, b"dd".to_vec());
        assert!(p.over_budget());
        assert!(p.remove(2, b"dd"));
        assert!(!p.remove(2, b"dd"));
        assert!(!p.over_budget());
        let set = p.take(1).unwrap_or_default();
        assert_eq!(
            set.into_iter().collect::<Vec<_>>(),
            vec![b"aa".to_vec(), b"bb".to_vec()]
        );
        assert!(p.get(1).is_none());
        assert!(p.remove(2, b"cc"));
        assert!(p.get(2).is_none());
        assert!(p.ids().is_empty());
        assert_eq!(p.bytes, 0);
    }
}
