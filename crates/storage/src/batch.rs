//! [`Batch`]: a run of inserts into one tree through one remembered root-to-leaf path.

use crate::btree;
use crate::error::Result;
use crate::txn::WriteTxn;

/// Inserts into one tree through one remembered path; see [`crate::TreeMut::batch`].
pub struct Batch<'a> {
    txn: &'a mut WriteTxn,
    idx: usize,
    inserter: btree::Inserter,
    count: u64,
}

impl<'a> Batch<'a> {
    /// A batch over tree `idx`; the caller has applied the tree's buffered puts.
    pub(crate) fn new(txn: &'a mut WriteTxn, idx: usize) -> Batch<'a> {
        Batch {
            txn,
            idx,
            inserter: btree::Inserter::default(),
            count: 0,
        }
    }

    /// Inserts or replaces one entry; returns true if the key was present. Errors are as
    /// for [`crate::TreeMut::insert`]: a key or value over the limits leaves everything
    /// usable.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<bool> {
        btree::check_sizes(key, value.len())?;
        self.txn.usable()?;
        let spill = self.count.is_multiple_of(64);
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
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("inserted", &self.count)
            .finish()
    }
}
