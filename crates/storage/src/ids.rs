//! Typed identifiers used by the storage engine. Never bare `u64`s.

use std::fmt;

/// The number of a page in the database file: page `n` starts at byte `n * page_size`.
///
/// Page 0 and 1 are the two meta pages; `PageId(0)` is never a valid child or root pointer,
/// so it doubles as "no page" in on-disk fields (see `docs/file-format.md`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PageId(pub u64);

impl PageId {
    /// The "no page" marker used in on-disk pointer fields.
    pub const NONE: PageId = PageId(0);

    /// True for [`PageId::NONE`].
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Debug for PageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

impl fmt::Display for PageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The id of a committed write transaction. Each commit gets the previous id plus one;
/// a read snapshot is named by the id of the last commit it sees.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct TxId(pub u64);

impl TxId {
    /// The id following this one.
    #[must_use]
    pub fn next(self) -> TxId {
        TxId(self.0 + 1)
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
