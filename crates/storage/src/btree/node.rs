//! Layout of B+Tree pages (leaf and branch): a slotted page.
//!
//! # Format: node page
//!
//! | offset | size | field          | valid values                                             |
//! |-------:|-----:|----------------|----------------------------------------------------------|
//! | 0      | 32   | page header    | type 3 (leaf) or 4 (branch); bytes 16..32 as below       |
//! | 16     | 2    | cell count     | `n`, with `32 + 2n <= content start`                      |
//! | 18     | 2    | reserved       | 0                                                         |
//! | 20     | 4    | content start  | lowest byte used by cells; `page_size` when empty         |
//! | 24     | 8    | right child    | branch: child for keys >= the last separator; leaf: 0     |
//! | 32     | 2n   | slots          | `u16` offset of each cell, in ascending key order         |
//! | ...    |      | free space     |                                                           |
//! | cs     |      | cells          | packed toward the end of the page, in any order           |
//!
//! Leaf cell: `u16 key_len | u8 flags | u32 value_len | key | value` where flags bit 0 means
//! the value lives in an overflow chain and the cell holds its `u64` first page instead.
//! Branch cell: `u16 key_len | u64 child | key`; `child` holds keys `< key` (and `>=` the
//! previous separator).
//!
//! # Invariants
//! 1. The bytes a cell occupies are given by [`leaf_cell_len`] / [`branch_cell_len`], the
//!    same functions the encoder writes with. There is no separate estimate to disagree.
//! 2. A cell is written only after the space for it was found; a page that cannot hold a
//!    cell is split by the caller. Nothing is ever written past the page's end.
//! 3. Every cell is at most [`max_cell_len`] bytes, a quarter of the usable space, so any
//!    page plus one more cell splits into two pages that each fit.
//! 4. A page read from disk is validated by [`validate`] before any accessor touches it, so
//!    accessors index within bounds on any input.

use std::cmp::Ordering;

use crate::error::{Result, StorageError};
use crate::ids::PageId;
use crate::limits::{KEY_SIZE_MAX, PAGE_COUNT_MAX, VALUE_SIZE_MAX};
use crate::page::{
    self, PAGE_HEADER_SIZE, PageType, get_u16, get_u32, get_u64, put_u16, put_u32, put_u64,
};

const OFF_COUNT: usize = 16;
const OFF_CONTENT: usize = 20;
const OFF_RIGHT: usize = 24;
const SLOT: usize = 2;
/// Bytes of a leaf cell before its key.
pub const LEAF_CELL_HEADER: usize = 7;
/// Bytes of a branch cell before its key.
pub const BRANCH_CELL_HEADER: usize = 10;
const FLAG_OVERFLOW: u8 = 1;

/// Bytes a leaf cell occupies (without its slot).
pub fn leaf_cell_len(key_len: usize, value_len: usize, overflow: bool) -> usize {
    LEAF_CELL_HEADER + key_len + if overflow { 8 } else { value_len }
}

/// Bytes a branch cell occupies (without its slot).
pub fn branch_cell_len(key_len: usize) -> usize {
    BRANCH_CELL_HEADER + key_len
}

/// Largest cell, slot excluded, a page of this size accepts (invariant 3).
pub fn max_cell_len(page_size: usize) -> usize {
    (page_size - PAGE_HEADER_SIZE) / 4 - SLOT
}

/// How a leaf stores its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRef<'a> {
    /// The value bytes, in the cell.
    Inline(&'a [u8]),
    /// A chain of overflow pages holding `len` bytes.
    Overflow {
        /// First page of the chain.
        first: PageId,
        /// Total length of the value.
        len: u64,
    },
}

impl ValueRef<'_> {
    fn is_overflow(&self) -> bool {
        matches!(self, ValueRef::Overflow { .. })
    }

    /// Value length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            ValueRef::Inline(v) => v.len() as u64,
            ValueRef::Overflow { len, .. } => *len,
        }
    }

    /// True for a value of no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Writes a leaf cell into `dst`, which must be exactly `leaf_cell_len(..)` bytes.
pub fn encode_leaf_cell(dst: &mut [u8], key: &[u8], value: ValueRef<'_>) {
    debug_assert_eq!(
        dst.len(),
        leaf_cell_len(key.len(), value.len() as usize, value.is_overflow())
    );
    put_u16(dst, 0, key.len() as u16);
    put_u32(dst, 3, value.len() as u32);
    let k_end = LEAF_CELL_HEADER + key.len();
    dst[LEAF_CELL_HEADER..k_end].copy_from_slice(key);
    match value {
        ValueRef::Inline(v) => {
            dst[2] = 0;
            dst[k_end..].copy_from_slice(v);
        }
        ValueRef::Overflow { first, .. } => {
            dst[2] = FLAG_OVERFLOW;
            put_u64(dst, k_end, first.0);
        }
    }
}

/// Writes a branch cell into `dst`, which must be exactly `branch_cell_len(key.len())` bytes.
pub fn encode_branch_cell(dst: &mut [u8], key: &[u8], child: PageId) {
    debug_assert_eq!(dst.len(), branch_cell_len(key.len()));
    put_u16(dst, 0, key.len() as u16);
    put_u64(dst, 2, child.0);
    dst[BRANCH_CELL_HEADER..].copy_from_slice(key);
}

/// Length of the cell starting at `cell` (a slice running to the end of the page).
/// `None` if the header is cut off. Uses the same length functions as the encoder.
fn cell_len_at(cell: &[u8], leaf: bool) -> Option<usize> {
    if leaf {
        if cell.len() < LEAF_CELL_HEADER {
            return None;
        }
        let key_len = usize::from(get_u16(cell, 0));
        let overflow = cell[2] & FLAG_OVERFLOW != 0;
        let value_len = get_u32(cell, 3) as usize;
        Some(leaf_cell_len(key_len, value_len, overflow))
    } else {
        if cell.len() < BRANCH_CELL_HEADER {
            return None;
        }
        Some(branch_cell_len(usize::from(get_u16(cell, 0))))
    }
}

/// The first 8 bytes of a key as a big-endian number, zero-padded: monotone in key order.
pub(super) fn prefix_u64(key: &[u8]) -> u64 {
    if let Some(head) = key.first_chunk::<8>() {
        return u64::from_be_bytes(*head);
    }
    key.iter()
        .enumerate()
        .fold(0, |v, (i, &b)| v | u64::from(b) << (56 - 8 * i))
}

/// [`prefix_u64`] of `key` after its first `skip` bytes (0 for a key no longer than that).
#[inline]
pub(super) fn word_at(key: &[u8], skip: usize) -> u64 {
    key.get(skip..).map_or(0, prefix_u64)
}

/// Leading bytes `a` and `b` have in common.
pub(super) fn common_head(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// The order of two keys, as `a.cmp(b)` gives it, compared eight bytes at a time in
/// place: the keys of a tree are short, and a call into the C library's `memcmp` per
/// comparison costs more than the comparison (sorted loads compare every key they append).
#[inline]
pub(crate) fn cmp_keys(left: &[u8], right: &[u8]) -> Ordering {
    let common = left.len().min(right.len());
    let mut at = 0;
    while at + 8 <= common {
        let word = |k: &[u8]| u64::from_be_bytes(k[at..at + 8].try_into().unwrap_or([0; 8]));
        let (l, r) = (word(left), word(right));
        if l != r {
            return l.cmp(&r);
        }
        at += 8;
    }
    left[at..common]
        .iter()
        .zip(&right[at..common])
        .find(|(l, r)| l != r)
        .map_or_else(|| left.len().cmp(&right.len()), |(l, r)| l.cmp(r))
}

/// Cells a search walks from its interpolated guess before galloping: the spread of a
/// guess in a leaf of adjacency keys (a node's edges vary in number).
const NEAR: usize = 12;

/// What a descent knows about a node's keys before reading it: how many leading bytes
/// (`skip`) every key in the node shares with the key the descent routes, and the 8-byte
/// words after those bytes ([`word_at`]) of the separators around the node in its parent,
/// when there are any. Every key in the node has a word in `lo..=hi`. Interpolating between
/// these bounds instead of the node's own first and last keys saves two probes into a page
/// that is likely cold; reading words past a shared head keeps keys apart that agree on
/// their first 8 bytes (index entries of strings such as `k000123...` or `src/...`).
///
/// `skip` holds in a well-formed tree (the keys between two separators share the
/// separators' common head). A search given a `skip` checks its answer against the
/// neighbouring keys in full and searches again without it if the check fails, so a damaged
/// page costs probes, never answers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fences {
    skip: usize,
    lo: Option<u64>,
    hi: Option<u64>,
}

impl Fences {
    /// Fences from the prefixes of the separators below and above a node, where known.
    #[cfg(test)]
    pub fn new(lo: Option<u64>, hi: Option<u64>) -> Fences {
        Fences { skip: 0, lo, hi }
    }

    /// Fences of a node whose keys (and the routed key) share their first `skip` bytes,
    /// from the words at `skip` of the separators below and above it, where known.
    pub fn past_head(skip: usize, lo: Option<u64>, hi: Option<u64>) -> Fences {
        Fences { skip, lo, hi }
    }

    /// Leading bytes every key of the node shares with the routed key.
    pub fn skip(self) -> usize {
        self.skip
    }

    /// The lower fence, if known.
    pub fn lo(self) -> Option<u64> {
        self.lo
    }

    /// The upper fence, if known.
    pub fn hi(self) -> Option<u64> {
        self.hi
    }
}

/// Read access to a validated node page.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    pub(crate) buf: &'a [u8],
    leaf: bool,
}

impl<'a> Node<'a> {
    /// Views a page known to be a valid node (validated on read, or built in memory).
    pub fn new(buf: &'a [u8]) -> Node<'a> {
        Node {
            buf,
            leaf: page::page_type(buf) == Some(PageType::Leaf),
        }
    }

    /// True for leaves.
    pub fn is_leaf(&self) -> bool {
        self.leaf
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        usize::from(get_u16(self.buf, OFF_COUNT))
    }

    fn content_start(&self) -> usize {
        get_u32(self.buf, OFF_CONTENT) as usize
    }

    #[inline]
    fn slot(&self, i: usize) -> usize {
        usize::from(get_u16(self.buf, PAGE_HEADER_SIZE + i * SLOT))
    }

    /// The raw bytes of cell `i`.
    pub fn cell(&self, i: usize) -> &'a [u8] {
        let off = self.slot(i);
        let len = cell_len_at(&self.buf[off..], self.leaf).unwrap_or(0);
        &self.buf[off..off + len]
    }

    /// Where the key of cell `i` starts in the page, and its length.
    #[inline]
    fn key_span(&self, i: usize) -> (usize, usize) {
        let off = self.slot(i);
        let key_len = usize::from(get_u16(self.buf, off));
        let header = if self.leaf {
            LEAF_CELL_HEADER
        } else {
            BRANCH_CELL_HEADER
        };
        (off + header, key_len)
    }

    /// The key of cell `i`.
    #[inline]
    pub fn key(&self, i: usize) -> &'a [u8] {
        let (start, key_len) = self.key_span(i);
        &self.buf[start..start + key_len]
    }

    /// [`prefix_u64`] of the key of cell `i`, read as one load where the page allows.
    #[cfg(test)]
    pub(super) fn key_prefix(&self, i: usize) -> u64 {
        self.key_word(i, 0)
    }

    /// [`word_at`] of the key of cell `i` after `skip` bytes, read as one load where the
    /// page allows.
    #[inline]
    pub(super) fn key_word(&self, i: usize, skip: usize) -> u64 {
        let (start, key_len) = self.key_span(i);
        let Some(key_len) = key_len.checked_sub(skip) else {
            return 0;
        };
        let start = start + skip;
        match self.buf.get(start..).and_then(<[u8]>::first_chunk::<8>) {
            // The bytes after a short key belong to the cell or the next one: masked off.
            Some(head) => match key_len {
                0 => 0,
                1..8 => u64::from_be_bytes(*head) & !(u64::MAX >> (8 * key_len)),
                _ => u64::from_be_bytes(*head),
            },
            None => word_at(self.key(i), skip),
        }
    }

    /// The order of cell `i`'s key against `key`, whose word after `skip` bytes is
    /// `word` (both keys sharing their first `skip` bytes).
    fn cmp_at(&self, i: usize, key: &[u8], word: u64, skip: usize) -> Ordering {
        match self.key_word(i, skip).cmp(&word) {
            Ordering::Equal => {
                let mine = self.key(i);
                let past = skip + 8;
                if mine.len() <= past || key.len() <= past {
                    // Equal zero-padded words: the shorter key is a prefix of the other.
                    mine.len().cmp(&key.len())
                } else {
                    cmp_keys(&mine[past..], &key[past..])
                }
            }
            unequal => unequal,
        }
    }

    /// Whether `found` is where `key` is (or goes) among this node's keys, by whole-key
    /// comparisons with the cells around it.
    fn places(&self, key: &[u8], found: Result<usize, usize>) -> bool {
        let n = self.len();
        match found {
            Ok(i) => i < n && self.key(i) == key,
            Err(i) => {
                i <= n
                    && (i == 0 || cmp_keys(self.key(i - 1), key).is_lt())
                    && (i == n || cmp_keys(key, self.key(i)).is_lt())
            }
        }
    }

    /// The value of leaf cell `i`.
    pub fn value(&self, i: usize) -> ValueRef<'a> {
        let off = self.slot(i);
        let key_len = usize::from(get_u16(self.buf, off));
        let value_len = get_u32(self.buf, off + 3);
        let v = off + LEAF_CELL_HEADER + key_len;
        if self.buf[off + 2] & FLAG_OVERFLOW != 0 {
            ValueRef::Overflow {
                first: PageId(get_u64(self.buf, v)),
                len: u64::from(value_len),
            }
        } else {
            ValueRef::Inline(&self.buf[v..v + value_len as usize])
        }
    }

    /// Child `i` of a branch: cell `i`'s child for `i < len`, the right child for `i == len`.
    pub fn child(&self, i: usize) -> PageId {
        if i >= self.len() {
            PageId(get_u64(self.buf, OFF_RIGHT))
        } else {
            PageId(get_u64(self.buf, self.slot(i) + 2))
        }
    }

    /// `Ok(i)` if cell `i` has `key`, else `Err(insertion point)`.
    pub fn search(&self, key: &[u8]) -> Result<usize, usize> {
        self.search_fenced(key, Fences::default())
    }

    /// [`Node::search`] with what the descent knows about this node's keys.
    ///
    /// Keys that spread evenly (ids, hashes) are found in a few probes by interpolating on
    /// their first 8 bytes between the fences (or this node's first and last keys where a
    /// fence is unknown). From the guess the search walks up to [`NEAR`] cells toward the
    /// key, then gallops to bracket it and searches the bracket in halves. Each probe of a
    /// cold page is a cache miss, so fewer probes is what makes a warm point read fast; the
    /// walk's probes do not wait on each other (each cell's address is in the slot array,
    /// whatever the previous comparison said), so the processor overlaps their misses, where
    /// a bisection pays one miss after another. Any key distribution and any fences that
    /// hold give the same answer as [`Node::binary_search`]; fences that do not hold cost
    /// probes, never answers.
    pub fn search_fenced(&self, key: &[u8], fences: Fences) -> Result<usize, usize> {
        let n = self.len();
        if n < 8 {
            return self.binary_search(key, 0, n);
        }
        if fences.skip == 0 {
            return self.search_words(key, fences.lo, fences.hi, 0);
        }
        if key.len() < fences.skip {
            // Shorter than the head (not routed here in a well-formed tree): the fences,
            // words past the head, say nothing about its first 8 bytes.
            return self.search_words(key, None, None, 0);
        }
        let found = self.search_words(key, fences.lo, fences.hi, fences.skip);
        if self.places(key, found) {
            found
        } else {
            // The keys do not share the head the descent said they share (a damaged page):
            // search the whole keys.
            self.binary_search(key, 0, n)
        }
    }

    /// [`Node::search_fenced`] comparing words after the first `skip` bytes, which `key`
    /// and every key of the node share; `lo` and `hi` bound the node's words when known.
    fn search_words(
        &self,
        key: &[u8],
        lo: Option<u64>,
        hi: Option<u64>,
        skip: usize,
    ) -> Result<usize, usize> {
        let n = self.len();
        let first = lo.unwrap_or_else(|| self.key_word(0, skip));
        // With a known upper fence the last key sits about one step below it.
        let (last, steps) = match hi {
            Some(hi) => (hi, n),
            None => (self.key_word(n - 1, skip), n - 1),
        };
        let target = word_at(key, skip);
        if first >= last || target < first || target > last {
            return self.search_range(key, target, skip, 0, n);
        }
        // A guess only needs to be near: scaling the span to 32 bits keeps the product in
        // a `u64` (steps < 2^16) and avoids a 128-bit division.
        let shift = (64 - (last - first).leading_zeros()).saturating_sub(32);
        let (span, at) = ((last - first) >> shift, (target - first) >> shift);
        let guess = usize::try_from(at * steps as u64 / span).map_or(n - 1, |g| g.min(n - 1));
        let (mut lo, mut hi);
        match self.cmp_at(guess, key, target, skip) {
            Ordering::Equal => return Ok(guess),
            Ordering::Less => {
                // The key is right of `guess`: walk the next few cells, then widen by
                // doubling steps.
                let near = (guess + 1 + NEAR).min(n);
                let mut i = guess + 1;
                while i < near {
                    match self.cmp_at(i, key, target, skip) {
                        Ordering::Less => i += 1,
                        Ordering::Equal => return Ok(i),
                        Ordering::Greater => return Err(i),
                    }
                }
                (lo, hi) = (i, n);
                let mut step = 1;
                while lo + step < n {
                    match self.cmp_at(lo + step - 1, key, target, skip) {
                        Ordering::Equal => return Ok(lo + step - 1),
                        Ordering::Less => lo += step,
                        Ordering::Greater => {
                            hi = lo + step - 1;
                            break;
                        }
                    }
                    step *= 2;
                }
            }
            Ordering::Greater => {
                let near = guess.saturating_sub(NEAR);
                let mut i = guess;
                while i > near {
                    match self.cmp_at(i - 1, key, target, skip) {
                        Ordering::Greater => i -= 1,
                        Ordering::Equal => return Ok(i - 1),
                        Ordering::Less => return Err(i),
                    }
                }
                (lo, hi) = (0, i);
                let mut step = 1;
                while hi > step {
                    match self.cmp_at(hi - step, key, target, skip) {
                        Ordering::Equal => return Ok(hi - step),
                        Ordering::Greater => hi -= step,
                        Ordering::Less => {
                            lo = hi - step + 1;
                            break;
                        }
                    }
                    step *= 2;
                }
            }
        }
        self.search_range(key, target, skip, lo, hi)
    }

    /// Binary search within cells `lo..hi`, which must bracket `key`'s position.
    pub fn binary_search(&self, key: &[u8], lo: usize, hi: usize) -> Result<usize, usize> {
        self.search_range(key, prefix_u64(key), 0, lo, hi)
    }

    /// [`Node::binary_search`] for a key whose word after `skip` shared bytes is known.
    fn search_range(
        &self,
        key: &[u8],
        word: u64,
        skip: usize,
        lo: usize,
        hi: usize,
    ) -> Result<usize, usize> {
        let (mut lo, mut hi) = (lo, hi);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.cmp_at(mid, key, word, skip) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// Which child of a branch may hold `key`: the number of separators `<= key`.
    pub fn child_index(&self, key: &[u8]) -> usize {
        self.child_index_fenced(key, Fences::default())
    }

    /// [`Node::child_index`] with what the descent knows about this branch's keys.
    pub fn child_index_fenced(&self, key: &[u8], fences: Fences) -> usize {
        match self.search_fenced(key, fences) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The fences of child `i` of this branch, given this branch's own.
    pub fn child_fences(&self, i: usize, fences: Fences) -> Fences {
        // The child's keys are among this branch's: they share its head.
        let (n, skip) = (self.len(), fences.skip);
        Fences {
            skip,
            lo: if i == 0 {
                fences.lo
            } else {
                Some(self.key_word(i - 1, skip))
            },
            hi: if i >= n {
                fences.hi
            } else {
                Some(self.key_word(i, skip))
            },
        }
    }

    /// Bytes in use: header, slots and cells.
    pub fn used_bytes(&self) -> usize {
        PAGE_HEADER_SIZE
            + (0..self.len())
                .map(|i| SLOT + self.cell(i).len())
                .sum::<usize>()
    }
}

/// Write access to a node page owned by the open transaction.
pub struct NodeMut<'a> {
    buf: &'a mut [u8],
}

impl<'a> NodeMut<'a> {
    /// Views an owned, valid node page for writing.
    pub fn new(buf: &'a mut [u8]) -> NodeMut<'a> {
        NodeMut { buf }
    }

    /// Formats `buf` as an empty node.
    pub fn init(buf: &'a mut [u8], id: PageId, leaf: bool) -> NodeMut<'a> {
        page::init(
            buf,
            id,
            if leaf {
                PageType::Leaf
            } else {
                PageType::Branch
            },
        );
        let size = buf.len() as u32;
        put_u32(buf, OFF_CONTENT, size);
        NodeMut { buf }
    }

    /// Read view.
    pub fn as_node(&self) -> Node<'_> {
        Node::new(self.buf)
    }

    fn set_len(&mut self, n: usize) {
        put_u16(self.buf, OFF_COUNT, n as u16);
    }

    /// Sets child `i` of a branch (the right child for `i == len`).
    pub fn set_child(&mut self, i: usize, child: PageId) {
        let n = self.as_node().len();
        if i >= n {
            put_u64(self.buf, OFF_RIGHT, child.0);
        } else {
            let off = usize::from(get_u16(self.buf, PAGE_HEADER_SIZE + i * SLOT));
            put_u64(self.buf, off + 2, child.0);
        }
    }

    /// Reserves `len` bytes for a new cell at slot `i` and lets `fill` write it.
    /// Returns false, changing nothing, if the page cannot hold it even after compaction.
    pub fn insert_with(&mut self, i: usize, len: usize, fill: impl FnOnce(&mut [u8])) -> bool {
        debug_assert!(
            len <= max_cell_len(self.buf.len()),
            "cell of {len} bytes over the limit"
        );
        let node = self.as_node();
        let n = node.len();
        let slots_end = PAGE_HEADER_SIZE + (n + 1) * SLOT;
        if node.content_start() < slots_end + len {
            if node.used_bytes() + SLOT + len > self.buf.len() {
                return false;
            }
            self.compact();
        }
        let start = self.as_node().content_start() - len;
        debug_assert!(start >= slots_end);
        fill(&mut self.buf[start..start + len]);
        let slot_at = PAGE_HEADER_SIZE + i * SLOT;
        self.buf
            .copy_within(slot_at..PAGE_HEADER_SIZE + n * SLOT, slot_at + SLOT);
        put_u16(self.buf, slot_at, start as u16);
        put_u32(self.buf, OFF_CONTENT, start as u32);
        self.set_len(n + 1);
        true
    }

    /// Inserts a raw cell (copied from another node) at slot `i`.
    pub fn insert_raw(&mut self, i: usize, cell: &[u8]) -> bool {
        self.insert_with(i, cell.len(), |dst| dst.copy_from_slice(cell))
    }

    /// Removes cell `i`; its bytes become free space.
    pub fn remove(&mut self, i: usize) {
        let node = self.as_node();
        let n = node.len();
        let off = node.slot(i);
        let len = node.cell(i).len();
        if off == node.content_start() {
            put_u32(self.buf, OFF_CONTENT, (off + len) as u32);
        }
        let slot_at = PAGE_HEADER_SIZE + i * SLOT;
        self.buf
            .copy_within(slot_at + SLOT..PAGE_HEADER_SIZE + n * SLOT, slot_at);
        self.set_len(n - 1);
    }

    /// Rewrites the cells contiguously at the end of the page.
    fn compact(&mut self) {
        // One copy of the page, no copy per cell.
        let old = self.buf.to_vec();
        let node = Node::new(&old);
        let refs: Vec<&[u8]> = (0..node.len()).map(|i| node.cell(i)).collect();
        self.rebuild(&refs);
    }

    /// Replaces all cells with `cells` (which must fit), keeping id, type and right child.
    pub fn rebuild(&mut self, cells: &[&[u8]]) {
        let mut end = self.buf.len();
        for (i, cell) in cells.iter().enumerate() {
            end -= cell.len();
            self.buf[end..end + cell.len()].copy_from_slice(cell);
            put_u16(self.buf, PAGE_HEADER_SIZE + i * SLOT, end as u16);
        }
        debug_assert!(
            PAGE_HEADER_SIZE + cells.len() * SLOT <= end,
            "rebuilt node overflows"
        );
        put_u32(self.buf, OFF_CONTENT, end as u32);
        self.set_len(cells.len());
    }
}

/// Zeroes the free space between the slots and the cells. Done right before a page is
/// sealed, so the gap is the zero run the WAL leaves out of the frame (and so no stale bytes
/// of removed cells linger on disk).
pub fn zero_free_gap(buf: &mut [u8]) {
    let n = usize::from(get_u16(buf, OFF_COUNT));
    let start = PAGE_HEADER_SIZE + n * SLOT;
    let end = (get_u32(buf, OFF_CONTENT) as usize).min(buf.len());
    if start < end {
        buf[start..end].fill(0);
    }
}

/// Validates a node page read from disk (invariant 4): counts, slots and every cell's
/// extent lie within the page, and lengths and pointers are within limits.
pub fn validate(id: PageId, buf: &[u8]) -> Result<()> {
    let bad = |reason: String| Err(StorageError::corrupted(id, reason));
    let ty = page::page_type(buf);
    let leaf = ty == Some(PageType::Leaf);
    if !leaf && ty != Some(PageType::Branch) {
        return bad("not a B+Tree node".into());
    }
    let n = usize::from(get_u16(buf, OFF_COUNT));
    let content = get_u32(buf, OFF_CONTENT) as usize;
    let slots_end = PAGE_HEADER_SIZE + n * SLOT;
    if slots_end > content || content > buf.len() {
        return bad(format!(
            "cell count {n} / content start {content} do not fit the page"
        ));
    }
    let right = get_u64(buf, OFF_RIGHT);
    if leaf && right != 0 {
        return bad("leaf has a right child".into());
    }
    if !leaf && (right == 0 || right >= PAGE_COUNT_MAX) {
        return bad(format!("branch has invalid right child {right}"));
    }
    for i in 0..n {
        let off = usize::from(get_u16(buf, PAGE_HEADER_SIZE + i * SLOT));
        if off < content || off >= buf.len() {
            return bad(format!("slot {i} points outside the cell area"));
        }
        let Some(len) = cell_len_at(&buf[off..], leaf) else {
            return bad(format!("cell {i} header runs past the page end"));
        };
        if off + len > buf.len() || len > max_cell_len(buf.len()) {
            return bad(format!("cell {i} of {len} bytes runs past the page end"));
        }
        let key_len = usize::from(get_u16(buf, off));
        if key_len > KEY_SIZE_MAX {
            return bad(format!("cell {i} key of {key_len} bytes is over the limit"));
        }
        if leaf {
            let value_len = get_u32(buf, off + 3) as usize;
            if value_len > VALUE_SIZE_MAX {
                return bad(format!(
                    "cell {i} value of {value_len} bytes is over the limit"
                ));
            }
            if buf[off + 2] & FLAG_OVERFLOW != 0 {
                let first = get_u64(buf, off + LEAF_CELL_HEADER + key_len);
                if first == 0 || first >= PAGE_COUNT_MAX {
                    return bad(format!("cell {i} has invalid overflow page {first}"));
                }
            }
        } else {
            let child = get_u64(buf, off + 2);
            if child == 0 || child >= PAGE_COUNT_MAX {
                return bad(format!("cell {i} has invalid child {child}"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmp_keys_orders_as_slices_do() {
        let mut rng = fastrand::Rng::with_seed(3);
        let key = |rng: &mut fastrand::Rng| -> Vec<u8> {
            (0..rng.usize(0..24)).map(|_| rng.u8(0..4) * 85).collect()
        };
        for _ in 0..50_000 {
            let a = key(&mut rng);
            let mut b = if rng.bool() { a.clone() } else { key(&mut rng) };
            if rng.bool() && !b.is_empty() {
                let at = rng.usize(..b.len());
                b.truncate(at);
            }
            assert_eq!(cmp_keys(&a, &b), a.cmp(&b), "{a:?} {b:?}");
            assert_eq!(cmp_keys(&b, &a), b.cmp(&a), "{b:?} {a:?}");
        }
    }

    fn leaf_insert(node: &mut NodeMut<'_>, key: &[u8], value: &[u8]) -> bool {
        let i = node.as_node().search(key).unwrap_err();
        let len = leaf_cell_len(key.len(), value.len(), false);
        node.insert_with(i, len, |dst| {
            encode_leaf_cell(dst, key, ValueRef::Inline(value));
        })
    }

    #[test]
    fn search_agrees_with_binary_search_for_any_key_spread() {
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..400 {
            let mut buf = vec![0u8; 4096];
            let mut node = NodeMut::init(&mut buf, PageId(5), true);
            // Dense ids, sparse ids, clustered keys, shared prefixes, short keys, and keys
            // that share more than eight bytes (index entries: a type byte, a number, an
            // id of varying length), where the search interpolates past the shared bytes.
            let style = round % 8;
            let mut keys: Vec<Vec<u8>> = (0..rng.usize(1..200))
                .map(|i| match style {
                    0 => (1000 + i as u64).to_be_bytes().to_vec(),
                    1 => rng.u64(..).to_be_bytes().to_vec(),
                    2 => (rng.u64(0..4) << 60 | rng.u64(0..50))
                        .to_be_bytes()
                        .to_vec(),
                    3 => [&b"prefix__"[..], &rng.u32(..).to_be_bytes()].concat(),
                    5 => [&b"prefix__shared"[..], &rng.u32(..).to_be_bytes()].concat(),
                    4 => format!("\u{5}k000{:06}", rng.u32(..1_000_000)).into_bytes(),
                    6 => {
                        let bits = rng.u32(1..40);
                        let id = rng.u64(..1 << bits).to_be_bytes();
                        let id = &id[id.iter().take_while(|&&b| b == 0).count()..];
                        [&[7u8][..], &rng.u64(0..3000).to_be_bytes(), id].concat()
                    }
                    _ => vec![rng.u8(..); rng.usize(0..3)],
                })
                .collect();
            keys.sort();
            keys.dedup();
            for k in &keys {
                if !leaf_insert(&mut node, k, b"") {
                    break;
                }
            }
            let n = node.as_node().len();
            for _ in 0..300 {
                let probe = match rng.u8(0..5) {
                    0 if n > 0 => node.as_node().key(rng.usize(0..n)).to_vec(),
                    1 => rng.u64(..).to_be_bytes().to_vec(),
                    // A key of the node cut short or lengthened: shares its prefix.
                    3 if n > 0 => {
                        let mut k = node.as_node().key(rng.usize(0..n)).to_vec();
                        let cut = rng.usize(0..=k.len());
                        k.truncate(cut);
                        k.extend((0..rng.usize(0..3)).map(|_| rng.u8(..)));
                        k
                    }
                    4 => [&[7u8][..], &rng.u64(0..3000).to_be_bytes()].concat(),
                    _ => (1000 + rng.u64(0..300)).to_be_bytes().to_vec(),
                };
                let v = node.as_node();
                // The model: the sorted keys that went in, searched by `std`.
                let want = keys[..n].binary_search(&probe);
                assert_eq!(v.search(&probe), want, "{probe:?}");
                assert_eq!(v.binary_search(&probe, 0, n), want, "{probe:?}");
                // Any fences that hold: at or outside the prefixes of the first and last
                // keys, tight or loose, or unknown on either side.
                if n > 0 {
                    let (min, max) = (prefix_u64(&keys[0]), prefix_u64(&keys[n - 1]));
                    let lo = match rng.u8(0..3) {
                        0 => None,
                        1 => Some(min),
                        _ => Some(rng.u64(..=min)),
                    };
                    let hi = match rng.u8(0..3) {
                        0 => None,
                        1 => Some(max),
                        _ => Some(rng.u64(max..)),
                    };
                    let fenced = v.search_fenced(&probe, Fences::new(lo, hi));
                    assert_eq!(fenced, want, "{probe:?} {lo:?} {hi:?}");
                    // Past a head every key shares with the probe (as between two
                    // separators), and past one they do not share (a damaged tree): the
                    // same answer.
                    let shared = keys[..n]
                        .iter()
                        .map(|k| common_head(k, &probe))
                        .min()
                        .unwrap_or(0);
                    for skip in [shared, shared + rng.usize(1..6), rng.usize(0..=shared)] {
                        let words = |k: &Vec<u8>| word_at(k, skip);
                        let (min, max) = (words(&keys[0]), words(&keys[n - 1]));
                        let tight = skip <= shared;
                        let lo = match rng.u8(0..3) {
                            0 => None,
                            1 if tight => Some(min),
                            _ => Some(rng.u64(..)),
                        };
                        let hi = match rng.u8(0..3) {
                            0 => None,
                            1 if tight => Some(max),
                            _ => Some(rng.u64(..)),
                        };
                        let fenced = v.search_fenced(&probe, Fences::past_head(skip, lo, hi));
                        assert_eq!(fenced, want, "{probe:?} skip {skip} {lo:?} {hi:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn key_prefixes_and_order_agree_with_bytes() {
        let mut rng = fastrand::Rng::with_seed(12);
        // Short keys, zero bytes and non-zero bytes right after a key (its value, the next
        // cell) are where a prefix read as one load could mislead.
        let bytes = |rng: &mut fastrand::Rng, max: usize| -> Vec<u8> {
            (0..rng.usize(0..max)).map(|_| rng.u8(0..3)).collect()
        };
        for _ in 0..300 {
            let mut buf = vec![0u8; 4096];
            let mut node = NodeMut::init(&mut buf, PageId(5), true);
            let mut keys: Vec<Vec<u8>> = (0..60).map(|_| bytes(&mut rng, 12)).collect();
            keys.sort();
            keys.dedup();
            for k in &keys {
                let value: Vec<u8> = (0..rng.usize(0..4)).map(|_| rng.u8(..)).collect();
                assert!(leaf_insert(&mut node, k, &value));
            }
            let v = node.as_node();
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(v.key_prefix(i), prefix_u64(k), "{k:?}");
                for _ in 0..20 {
                    let probe = bytes(&mut rng, 12);
                    let got = v.cmp_at(i, &probe, prefix_u64(&probe), 0);
                    assert_eq!(got, k.as_slice().cmp(&probe), "{k:?} {probe:?}");
                    if k < &probe {
                        assert!(prefix_u64(k) <= prefix_u64(&probe), "{k:?} {probe:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn fill_until_full_then_refuse_without_overflowing() {
        let mut buf = vec![0u8; 4096];
        let mut node = NodeMut::init(&mut buf, PageId(5), true);
        let mut n = 0u32;
        while leaf_insert(&mut node, &n.to_be_bytes(), &[7u8; 100]) {
            n += 1;
        }
        // 4064 usable / (2 slot + 7 header + 4 key + 100 value) = 35.96: 35 cells.
        assert_eq!(n, 35);
        assert!(node.as_node().used_bytes() <= 4096);
        page::seal(&mut buf);
        validate(PageId(5), &buf).unwrap();
    }

    #[test]
    fn remove_then_insert_reuses_fragmented_space() {
        let mut buf = vec![0u8; 4096];
        let mut node = NodeMut::init(&mut buf, PageId(5), true);
        for n in 0u32..35 {
            assert!(leaf_insert(&mut node, &n.to_be_bytes(), &[1u8; 100]));
        }
        assert!(!leaf_insert(&mut node, &99u32.to_be_bytes(), &[1u8; 100]));
        node.remove(10);
        node.remove(20);
        assert!(leaf_insert(&mut node, &100u32.to_be_bytes(), &[2u8; 100]));
        let view = node.as_node();
        assert_eq!(view.len(), 34);
        assert_eq!(view.value(33), ValueRef::Inline(&[2u8; 100][..]));
        let keys: Vec<_> = (0..view.len()).map(|i| view.key(i).to_vec()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn validate_rejects_cells_outside_page() {
        let mut buf = vec![0u8; 4096];
        let mut node = NodeMut::init(&mut buf, PageId(5), true);
        leaf_insert(&mut node, b"k", b"v");
        let off = usize::from(get_u16(&buf, PAGE_HEADER_SIZE));
        put_u32(&mut buf, off + 3, 60_000);
        assert!(validate(PageId(5), &buf).is_err());
    }
}
