//! Typed identifiers used by the storage engine (never bare `u64`s), and the hash maps and
//! sets keyed by page id that every layer uses.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

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

/// A hasher for page ids: one multiply (Fibonacci hashing). Page ids are not attacker-chosen
/// keys of an open service, so a DoS-resistant hash buys nothing here.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A `HashMap` keyed by page id with [`IdHasher`].
pub(crate) type IdMap<V> = HashMap<PageId, V, BuildHasherDefault<IdHasher>>;

/// A `HashSet` of page ids with [`IdHasher`].
pub(crate) type IdSet = HashSet<PageId, BuildHasherDefault<IdHasher>>;
