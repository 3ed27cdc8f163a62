//! [`TreeMut::insert_sorted`]: a sorted run inserted, or, when it is about as large as the
//! tree's leaf count, merged with the tree's entries into a fresh tree of full pages.
//!
//! Inserted into, a leaf that takes a key splits in two half-full pages, so a tree that
//! grows by large batches of keys spread over its range (the names and ids of an import's
//! later batches) ends up with most of its leaves half full. A rewrite copies every leaf
//! where the inserts would have copied most of them, and leaves none half full.

use std::ops::Bound;

use super::commit::TxState;
use super::{Tree, TreeMut};
use crate::btree;
use crate::catalog::TreeInfo;
use crate::error::{Result, StorageError};
use crate::ids::PageId;
use crate::pager::PageWriter;

/// Fewest entries for which a run rewrites a tree (a few inserts into a small tree are
/// cheaper than reading it whole).
const REWRITE_MIN: u64 = 64;

/// Old entries a rewrite holds in memory at a time, at most (and their bytes, at most
/// about [`REWRITE_CHUNK_BYTES`] plus one entry).
const REWRITE_CHUNK: usize = 16 * 1024;

/// Bytes of old entries a rewrite reads in one chunk before it stops.
const REWRITE_CHUNK_BYTES: usize = 4 << 20;

impl TreeMut<'_> {
    /// Inserts or replaces entries given in strictly ascending key order, with the result
    /// of [`TreeMut::insert_many`]. When they are many against the tree (at least as many
    /// as it has leaves, as estimated from the entries' sizes, so that inserting them
    /// would copy most of its leaves anyway), the tree is rewritten instead: its entries
    /// and these are merged, in key order, into fresh pages filled to the brim, and its old
    /// pages are freed. The old entries are read a bounded chunk at a time.
    ///
    /// Entries out of order (or repeated), and entries that all go after the tree's last
    /// key (appended, they fill pages anyway), are inserted as `insert_many` does. Returns
    /// how many keys were new. An entry over the limits is refused before anything is
    /// written, and the transaction stays usable.
    pub fn insert_sorted<K: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        entries: &[(K, V)],
    ) -> Result<u64> {
        self.txn.usable()?;
        self.txn.flush_tree(self.idx)?;
        for (k, v) in entries {
            btree::check_sizes(k.as_ref(), v.as_ref().len())?;
        }
        let old = self.txn.trees[self.idx].info;
        let ascending = entries
            .windows(2)
            .all(|w| w[0].0.as_ref() < w[1].0.as_ref());
        if old.root.is_none() || !ascending || !self.many(entries) || self.appends(entries)? {
            return self.insert_many(entries.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        }
        let mut new = TreeInfo {
            root: PageId::NONE,
            len: 0,
        };
        let mut inserter = btree::Inserter::default();
        let mut put = |pw: &mut PageWriter<'_>, k: &[u8], v: &[u8]| {
            if new.len.is_multiple_of(64) {
                pw.maybe_spill()?;
            }
            inserter.insert(pw, &mut new.root, k, v)?;
            new.len += 1;
            Ok::<_, StorageError>(())
        };
        let (mut next, mut from) = (0, Bound::Unbounded);
        loop {
            let chunk = self.old_chunk(old, from)?;
            self.txn.with_tree(self.idx, |pw, _| {
                // The run's entries below each old one, then the run's equal entry (which
                // replaces it) or the old one.
                for (k, v) in &chunk {
                    while let Some((nk, nv)) = entries.get(next)
                        && nk.as_ref() < k.as_slice()
                    {
                        put(pw, nk.as_ref(), nv.as_ref())?;
                        next += 1;
                    }
                    match entries.get(next) {
                        Some((nk, nv)) if nk.as_ref() == k.as_slice() => {
                            put(pw, nk.as_ref(), nv.as_ref())?;
                            next += 1;
                        }
                        _ => put(pw, k, v)?,
                    }
                }
                if chunk.is_empty() {
                    for (nk, nv) in &entries[next..] {
                        put(pw, nk.as_ref(), nv.as_ref())?;
                    }
                }
                Ok(())
            })?;
            match chunk.last() {
                Some((k, _)) => from = Bound::Excluded(k.clone()),
                None => break,
            }
        }
        let added = new.len - old.len;
        self.txn.with_tree(self.idx, |pw, info| {
            btree::free_tree(pw, old.root)?;
            *info = new;
            Ok(())
        })?;
        Ok(added)
    }

    /// Whether `entries` are about as many as the tree has leaves (estimated from the
    /// entries' cell sizes), and at least [`REWRITE_MIN`].
    fn many<K: AsRef<[u8]>, V: AsRef<[u8]>>(&self, entries: &[(K, V)]) -> bool {
        let cells: usize = entries
            .iter()
            .map(|(k, v)| btree::node::leaf_cell_len(k.as_ref().len(), v.as_ref().len(), false) + 2)
            .sum();
        let usable = self.txn.store.page_size as usize - crate::page::PAGE_HEADER_SIZE;
        let per_leaf = (usable * entries.len() / cells.max(1)).max(1) as u64;
        let len = self.txn.trees[self.idx].info.len;
        entries.len() as u64 >= (len / per_leaf).max(REWRITE_MIN)
    }

    /// Whether sorted `entries` all go after the tree's last key.
    fn appends<K: AsRef<[u8]>, V>(&mut self, entries: &[(K, V)]) -> Result<bool> {
        let Some((first, _)) = entries.first() else {
            return Ok(true);
        };
        let last = self
            .view()?
            .range_rev(Bound::Unbounded, Bound::Unbounded)
            .next();
        Ok(match last {
            None => true,
            Some(entry) => entry?.0.as_slice() < first.as_ref(),
        })
    }

    /// The old tree's entries after `from`, at most [`REWRITE_CHUNK`] of them and about
    /// [`REWRITE_CHUNK_BYTES`] (values may be megabytes), read through a view released
    /// before the caller writes; empty at the end. Pages of the new tree may be written
    /// already: a failed read fails the transaction, as a failed write does.
    fn old_chunk(
        &mut self,
        old: TreeInfo,
        from: Bound<Vec<u8>>,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let view = Tree {
            src: &*self.txn,
            root: old.root,
            len: old.len,
        };
        let mut bytes = 0;
        let chunk: Result<Vec<_>> = view
            .range_owned(from, Bound::Unbounded)
            .take(REWRITE_CHUNK)
            .take_while(|e| {
                let more = bytes < REWRITE_CHUNK_BYTES;
                bytes += e.as_ref().map_or(0, |(k, v)| k.len() + v.len());
                more
            })
            .collect();
        chunk.inspect_err(|_| self.txn.state = TxState::Failed)
    }
}
