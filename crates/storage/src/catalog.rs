//! The catalog: a B+Tree mapping tree names to their roots and entry counts.
//!
//! # Format: catalog entry
//! Key: the tree name (UTF-8, 1..=255 bytes). Value (16 bytes): `u64` root page (0 for an
//! empty tree), `u64` entry count. The catalog's own root is in the meta.

use crate::error::{Result, StorageError};
use crate::ids::PageId;
use crate::limits::TREE_NAME_SIZE_MAX;
use crate::page::{get_u64, put_u64};

/// What the catalog records for one tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TreeInfo {
    pub root: PageId,
    pub len: u64,
}

impl TreeInfo {
    pub fn encode(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        put_u64(&mut b, 0, self.root.0);
        put_u64(&mut b, 8, self.len);
        b
    }

    pub fn decode(catalog_root: PageId, bytes: &[u8]) -> Result<TreeInfo> {
        if bytes.len() != 16 {
            return Err(StorageError::corrupted(
                catalog_root,
                "catalog entry is not 16 bytes",
            ));
        }
        let root = get_u64(bytes, 0);
        // Root ids are checked as child ids are (a crafted one could lie beyond any file).
        if root >= crate::limits::PAGE_COUNT_MAX {
            return Err(StorageError::corrupted(
                catalog_root,
                format!("catalog entry names root page {root:#x}, beyond any file"),
            ));
        }
        Ok(TreeInfo {
            root: PageId(root),
            len: get_u64(bytes, 8),
        })
    }
}

/// Checks a tree name.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > TREE_NAME_SIZE_MAX {
        return Err(StorageError::InvalidArgument(format!(
            "tree name must be 1 to {TREE_NAME_SIZE_MAX} bytes, got {}",
            name.len()
        )));
    }
    Ok(())
}
