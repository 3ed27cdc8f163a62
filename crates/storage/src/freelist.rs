//! The page allocator: a bitmap of used pages, stored in bitmap pages at fixed positions.
//!
//! # Format: bitmap page
//!
//! | offset | size | field        | valid values                                               |
//! |-------:|-----:|--------------|------------------------------------------------------------|
//! | 0      | 32   | page header  | type 2 (bitmap)                                             |
//! | 16     | 8    | region       | `r`: this page describes pages `r*R .. (r+1)*R`             |
//! | 32     | R/8  | bits         | bit `i` (byte `i/8`, bit `i%8`) is 1 iff page `r*R+i` is in use |
//!
//! `R = (page_size - 32) * 8` pages per region (32,512 for 4 KiB pages). The bitmap page of
//! region 0 is page 2 (pages 0 and 1 are the meta pages); the bitmap page of region `r >= 1`
//! is page `r*R`, the first page of its region. Meta and bitmap pages are always marked used.
//!
//! # Invariants
//! 1. On disk, a page's bit is 1 iff the page is reachable from the committed meta (or is a
//!    meta or bitmap page). The checker proves it.
//! 2. A page freed by commit `T` is not handed out again while any reader whose snapshot is
//!    older than `T` is alive (such a reader may still read it). Until then it is *pending*:
//!    0 on disk, but 1 in the in-memory `used` set.
//! 3. A page allocated and freed inside the same transaction is reusable at once: no
//!    snapshot can see it.
//!
//! Bitmap pages are the one structure updated in place rather than copied on write; only
//! the writer and the checker (which holds the writer lock) read them.

use std::collections::{BTreeSet, VecDeque};

use crate::error::{Result, StorageError};
use crate::ids::{IdSet, PageId, TxId};
use crate::limits::PAGE_COUNT_MAX;
use crate::meta::FIRST_DATA_PAGE;
use crate::page::{self, PAGE_HEADER_SIZE, PageType, get_u64, put_u64};

const OFF_REGION: usize = 16;

/// Pages described by one bitmap page.
pub fn region_pages(page_size: u32) -> u64 {
    (u64::from(page_size) - PAGE_HEADER_SIZE as u64) * 8
}

/// The bitmap page of region `r`.
pub fn bitmap_page(page_size: u32, region: u64) -> PageId {
    if region == 0 {
        PageId(2)
    } else {
        PageId(region * region_pages(page_size))
    }
}

/// True for meta and bitmap pages, which are in use by construction.
pub fn is_fixed_page(page_size: u32, id: PageId) -> bool {
    id.0 < FIRST_DATA_PAGE || id.0.is_multiple_of(region_pages(page_size))
}

/// The writer's allocator state. See the module doc for the invariants it keeps.
pub(crate) struct Allocator {
    page_size: u32,
    region_pages: u64,
    page_count: u64,
    /// Bit set: not allocatable (in use, pending, or fixed).
    used: Vec<u64>,
    /// Bit set: freed by a commit (or by the open transaction) but perhaps still visible.
    pending: Vec<u64>,
    /// Pages freed by each commit, oldest first, awaiting the readers that may see them.
    pending_by_txn: VecDeque<(TxId, Vec<PageId>)>,
    /// Lowest page that may be free.
    hint: u64,
    /// Undo state of the open transaction.
    txn_allocated: IdSet,
    txn_freed: Vec<PageId>,
    txn_start_page_count: u64,
    dirty_regions: BTreeSet<u64>,
}

fn bit(words: &[u64], p: u64) -> bool {
    words
        .get((p / 64) as usize)
        .is_some_and(|w| w & (1 << (p % 64)) != 0)
}

fn set_bit(words: &mut Vec<u64>, p: u64, on: bool) {
    let w = (p / 64) as usize;
    if words.len() <= w {
        words.resize(w + 1, 0);
    }
    if on {
        words[w] |= 1 << (p % 64);
    } else {
        words[w] &= !(1 << (p % 64));
    }
}

impl Allocator {
    /// A fresh allocator for a new, empty database of `FIRST_DATA_PAGE` pages.
    pub fn new_empty(page_size: u32) -> Self {
        let mut a = Self::blank(page_size, FIRST_DATA_PAGE);
        for p in 0..FIRST_DATA_PAGE {
            set_bit(&mut a.used, p, true);
        }
        a.dirty_regions.insert(0);
        a
    }

    /// An allocator with no page marked. `used` grows as bits are set, so its memory follows
    /// the bitmap pages actually read, never a page count read from disk (which may be
    /// crafted: see `load`).
    fn blank(page_size: u32, page_count: u64) -> Self {
        Allocator {
            page_size,
            region_pages: region_pages(page_size),
            page_count,
            used: Vec::new(),
            pending: Vec::new(),
            pending_by_txn: VecDeque::new(),
            hint: FIRST_DATA_PAGE,
            txn_allocated: IdSet::default(),
            txn_freed: Vec::new(),
            txn_start_page_count: page_count,
            dirty_regions: BTreeSet::new(),
        }
    }

    /// Loads the allocator from bitmap pages, read through `read` (which verifies checksums).
    /// Each region's bitmap page is read and checked before its bits take memory, so a
    /// page count larger than the file holds fails at the first missing bitmap page
    /// instead of allocating for it.
    pub fn load(
        page_size: u32,
        page_count: u64,
        mut read: impl FnMut(PageId) -> Result<crate::page::PageBuf>,
    ) -> Result<Self> {
        let mut a = Self::blank(page_size, page_count);
        let regions = page_count.div_ceil(a.region_pages);
        for r in 0..regions {
            let id = bitmap_page(page_size, r);
            let buf = read(id)?;
            check_bitmap_header(id, &buf, r)?;
            let first = r * a.region_pages;
            let last = (first + a.region_pages).min(page_count);
            for p in first..last {
                let i = p - first;
                let byte = buf[PAGE_HEADER_SIZE + (i / 8) as usize];
                if byte & (1 << (i % 8)) != 0 {
                    set_bit(&mut a.used, p, true);
                }
            }
            if !bit(&a.used, id.0) {
                return Err(StorageError::corrupted(
                    id,
                    "bitmap page does not mark itself used",
                ));
            }
        }
        for p in 0..FIRST_DATA_PAGE.min(page_count) {
            set_bit(&mut a.used, p, true);
        }
        Ok(a)
    }

    /// Pages in the database, free ones included.
    pub fn page_count(&self) -> u64 {
        self.page_count
    }

    /// True if the page was allocated by the open transaction (so no snapshot can see it and
    /// the writer may change it in place).
    pub fn is_owned(&self, id: PageId) -> bool {
        self.txn_allocated.contains(&id)
    }

    /// Hands out a free page, growing the file if none is free.
    pub fn allocate(&mut self) -> Result<PageId> {
        let id = match self.find_free() {
            Some(p) => PageId(p),
            None => self.grow()?,
        };
        set_bit(&mut self.used, id.0, true);
        self.hint = id.0 + 1;
        self.txn_allocated.insert(id);
        self.dirty_regions.insert(id.0 / self.region_pages);
        Ok(id)
    }

    fn find_free(&self) -> Option<u64> {
        let mut p = self.hint.max(FIRST_DATA_PAGE);
        while p < self.page_count {
            let w = (p / 64) as usize;
            let word = self.used.get(w).copied().unwrap_or(0);
            if word == u64::MAX {
                p = (p / 64 + 1) * 64;
                continue;
            }
            if word & (1 << (p % 64)) == 0 {
                return Some(p);
            }
            p += 1;
        }
        None
    }

    fn grow(&mut self) -> Result<PageId> {
        loop {
            let p = self.page_count;
            if p >= PAGE_COUNT_MAX {
                return Err(StorageError::LimitExceeded {
                    what: "database size in pages",
                    value: p,
                    limit: PAGE_COUNT_MAX,
                });
            }
            self.page_count += 1;
            if is_fixed_page(self.page_size, PageId(p)) {
                // The first page of a new region is that region's bitmap page.
                set_bit(&mut self.used, p, true);
                self.dirty_regions.insert(p / self.region_pages);
                continue;
            }
            return Ok(PageId(p));
        }
    }

    /// Frees a page. A page of the open transaction is reusable at once (invariant 3); any
    /// other becomes pending until no reader can see it (invariant 2).
    pub fn free(&mut self, id: PageId) {
        debug_assert!(
            bit(&self.used, id.0),
            "freeing page {id} that is not in use"
        );
        debug_assert!(
            !is_fixed_page(self.page_size, id),
            "freeing fixed page {id}"
        );
        self.dirty_regions.insert(id.0 / self.region_pages);
        if self.txn_allocated.remove(&id) {
            set_bit(&mut self.used, id.0, false);
            self.hint = self.hint.min(id.0);
        } else {
            set_bit(&mut self.pending, id.0, true);
            self.txn_freed.push(id);
        }
    }

    /// Regions whose bitmap pages the open transaction changed.
    pub fn dirty_regions(&self) -> impl Iterator<Item = u64> + '_ {
        self.dirty_regions.iter().copied()
    }

    /// Writes region `r`'s bitmap page image (the on-disk truth: used and not pending).
    pub fn encode_region(&self, region: u64, buf: &mut [u8]) {
        let id = bitmap_page(self.page_size, region);
        page::init(buf, id, PageType::Bitmap);
        put_u64(buf, OFF_REGION, region);
        let first = region * self.region_pages;
        let last = (first + self.region_pages).min(self.page_count);
        // Regions start on a multiple of 64 pages, so whole words copy across.
        let mut p = first;
        while p < last {
            let w = (p / 64) as usize;
            let word =
                self.used.get(w).copied().unwrap_or(0) & !self.pending.get(w).copied().unwrap_or(0);
            let off = PAGE_HEADER_SIZE + ((p - first) / 8) as usize;
            buf[off..off + 8].copy_from_slice(&word.to_le_bytes());
            p += 64;
        }
        // Bits past the end of the database are zero.
        for q in last..(p.min(first + self.region_pages)) {
            let i = q - first;
            buf[PAGE_HEADER_SIZE + (i / 8) as usize] &= !(1 << (i % 8));
        }
    }

    /// Ends the open transaction as committed under `txn`.
    pub fn commit(&mut self, txn: TxId) {
        let freed = std::mem::take(&mut self.txn_freed);
        if !freed.is_empty() {
            self.pending_by_txn.push_back((txn, freed));
        }
        self.txn_allocated.clear();
        self.dirty_regions.clear();
        self.txn_start_page_count = self.page_count;
    }

    /// Ends the open transaction without trace.
    pub fn abort(&mut self) {
        for id in std::mem::take(&mut self.txn_allocated) {
            set_bit(&mut self.used, id.0, false);
        }
        for id in std::mem::take(&mut self.txn_freed) {
            set_bit(&mut self.pending, id.0, false);
        }
        for p in self.txn_start_page_count..self.page_count {
            set_bit(&mut self.used, p, false);
        }
        self.page_count = self.txn_start_page_count;
        self.dirty_regions.clear();
        self.hint = FIRST_DATA_PAGE;
    }

    /// Makes reusable the pages freed by commits no live reader predates. `oldest` is the
    /// snapshot of the oldest live reader, or `None` when there is none.
    pub fn release(&mut self, oldest: Option<TxId>) {
        while let Some((txn, _)) = self.pending_by_txn.front() {
            if oldest.is_some_and(|o| *txn > o) {
                break;
            }
            let Some((_, pages)) = self.pending_by_txn.pop_front() else {
                break;
            };
            for id in pages {
                set_bit(&mut self.used, id.0, false);
                set_bit(&mut self.pending, id.0, false);
                self.hint = self.hint.min(id.0);
            }
        }
    }

    /// Pages counted free on disk (for statistics).
    pub fn free_page_count(&self) -> u64 {
        (0..self.page_count)
            .filter(|&p| !bit(&self.used, p) || bit(&self.pending, p))
            .count() as u64
    }
}

/// Validates a bitmap page's header. Used by `load` and by the checker.
pub(crate) fn check_bitmap_header(id: PageId, buf: &[u8], region: u64) -> Result<()> {
    if page::page_type(buf) != Some(PageType::Bitmap) {
        return Err(StorageError::corrupted(id, "expected a bitmap page"));
    }
    if get_u64(buf, OFF_REGION) != region {
        return Err(StorageError::corrupted(
            id,
            "bitmap page names the wrong region",
        ));
    }
    Ok(())
}

/// Reads bit `p` of a bitmap page image for the region starting at `first`.
pub(crate) fn bitmap_bit(buf: &[u8], first: u64, p: u64) -> bool {
    let i = p - first;
    buf.get(PAGE_HEADER_SIZE + (i / 8) as usize)
        .is_some_and(|b| b & (1 << (i % 8)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocate_free_reuse_follows_reader_rules() {
        let mut a = Allocator::new_empty(4096);
        let p = a.allocate().unwrap();
        let q = a.allocate().unwrap();
        assert_eq!((p.0, q.0), (3, 4));
        a.commit(TxId(1));
        // Freed by txn 2 while a reader at snapshot 1 lives: not reused.
        a.free(p);
        a.commit(TxId(2));
        a.release(Some(TxId(1)));
        assert_eq!(a.allocate().unwrap().0, 5);
        a.abort();
        a.release(Some(TxId(2)));
        assert_eq!(a.allocate().unwrap(), p);
    }

    #[test]
    fn growth_skips_bitmap_pages_of_new_regions() {
        let mut a = Allocator::new_empty(4096);
        let r = region_pages(4096);
        let mut last = PageId(0);
        for _ in 0..r {
            last = a.allocate().unwrap();
        }
        assert!(last.0 > r);
        assert!(bit(&a.used, r));
        let mut buf = vec![0u8; 4096];
        a.encode_region(1, &mut buf);
        assert!(bitmap_bit(&buf, r, r));
    }
}
