//! [`Batch`]: a run of inserts into one tree through one remembered root-to-leaf path.

use crate::btree;
use crate::error::Result;
use crate::txn::WriteTxn;

/// Entries between checks of the writer's dirty-page bound (a check may spill pages).
const SPILL_EVERY: u64 = 64;

/// Inserts into one tree through one remembered path; see [`crate::TreeMut::batch`].
pub struct Batch<'a> {
    txn: &'a mut WriteTxn,
    idx: usize,
    inserter: btree::Inserter,
    count: u64,
    /// Entries since the writer last checked its dirty-page bound.
    since_spill: u64,
}

impl<'a> Batch<'a> {
    /// A batch over tree `idx`; the caller has applied the tree's buffered puts.
    pub(crate) fn new(txn: &'a mut WriteTxn, idx: usize) -> Batch<'a> {
        Batch {
            txn,
            idx,
            inserter: btree::Inserter::default(),
            count: 0,
            since_spill: SPILL_EVERY,
        }
    }

    /// Inserts or replaces one entry; returns true if the key was present. Errors are as
    /// for [`crate::TreeMut::insert`]: a key or value over the limits leaves everything
    /// usable.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<bool> {
        btree::check_sizes(key, value.len())?;
        self.txn.usable()?;
        let spill = self.since_spill >= SPILL_EVERY;
        if spill {
            self.since_spill = 0;
        }
        self.since_spill += 1;
        self.count += 1;
        let inserter = &mut self.inserter;
        self.txn.with_tree(self.idx, |pw, info| {
            if spill {
                pw.maybe_spill()?;
            }
            let replaced = inserter.insert(pw, &mut info.root, key, value)?;
            if !replaced {
                info.len += 1;
            }
            Ok(replaced)
        })
    }

    /// Inserts or replaces every entry, in order: the same result as [`Batch::insert`] on
    /// each, stopping at the first error (the entries before it stay inserted). Returns how
    /// many keys were new.
    ///
    /// Made for sorted bulk input: a run of ascending keys that lands in one leaf is written
    /// with one page lookup for the whole run, so a sorted load costs little more than
    /// encoding its cells. Keys in any order are correct, only slower.
    pub fn insert_all<K: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Result<u64> {
        let mut entries = entries.into_iter();
        let mut next = entries.next();
        let mut added = 0;
        while let Some((k, v)) = next {
            added += u64::from(!self.insert(k.as_ref(), v.as_ref())?);
            let inserter = &mut self.inserter;
            let (appended, rest) = self.txn.with_tree(self.idx, |pw, info| {
                let (appended, rest) = inserter.append_run(pw, &mut entries)?;
                info.len += appended;
                Ok((appended, rest))
            })?;
            self.count += appended;
            self.since_spill += appended;
            added += appended;
            next = rest;
        }
        Ok(added)
    }
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("inserted", &self.count)
            .finish()
    }
}
