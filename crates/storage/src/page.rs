//! The page header shared by every page type, checksums, and little-endian field helpers.
//!
//! # Format: page header (32 bytes, every page)
//!
//! | offset | size | field        | valid values                                             |
//! |-------:|-----:|--------------|----------------------------------------------------------|
//! | 0      | 4    | checksum     | CRC32C of bytes `4..page_size`                            |
//! | 4      | 1    | page type    | 1 meta, 2 bitmap, 3 leaf, 4 branch, 5 overflow            |
//! | 5      | 3    | reserved     | 0                                                         |
//! | 8      | 8    | page id      | the page's own number: catches misdirected reads/writes   |
//! | 16     | 16   | type-specific| see `meta`, `freelist`, `btree::node`, `btree::overflow`  |
//!
//! Invariants:
//! 1. A page is sealed (checksum computed) immediately before it leaves memory, and verified
//!    immediately after it is read from the file or the WAL. A mismatch is
//!    [`StorageError::Corrupted`] naming the page; garbage is never returned.
//! 2. A page that was never written reads as zeros, whose checksum cannot match (CRC32C of
//!    zeros is not zero), so "referenced before it existed on disk" is always detected.

use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::ids::PageId;

/// Size of the header at the start of every page.
pub const PAGE_HEADER_SIZE: usize = 32;

/// A page image shared between the cache and its readers. The writer mutates its own
/// (uniquely held) pages through `Arc::make_mut`.
pub type PageBuf = Arc<[u8]>;

/// Page images with their ids, as they are written out together.
pub(crate) type Pages = Vec<(PageId, PageBuf)>;

/// A zeroed page buffer, allocated once in place (`Arc::from(vec)` would allocate and copy
/// twice).
pub(crate) fn zeroed(page_size: usize) -> PageBuf {
    std::iter::repeat_n(0u8, page_size).collect()
}

/// What a page holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PageType {
    /// One of the two database headers (pages 0 and 1).
    Meta = 1,
    /// A free-space bitmap page (page 2, then the first page of every later region).
    Bitmap = 2,
    /// A B+Tree leaf: keys and values.
    Leaf = 3,
    /// A B+Tree branch: separator keys and child pointers.
    Branch = 4,
    /// A piece of a large value.
    Overflow = 5,
}

impl PageType {
    fn from_u8(v: u8) -> Option<PageType> {
        Some(match v {
            1 => PageType::Meta,
            2 => PageType::Bitmap,
            3 => PageType::Leaf,
            4 => PageType::Branch,
            5 => PageType::Overflow,
            _ => return None,
        })
    }
}

const OFF_CHECKSUM: usize = 0;
const OFF_TYPE: usize = 4;
const OFF_ID: usize = 8;

/// Reads a little-endian `u16` at `off`. Callers have validated `off + 2 <= buf.len()`.
#[inline]
pub(crate) fn get_u16(buf: &[u8], off: usize) -> u16 {
    let mut b = [0u8; 2];
    b.copy_from_slice(&buf[off..off + 2]);
    u16::from_le_bytes(b)
}

/// Reads a little-endian `u32` at `off`.
#[inline]
pub(crate) fn get_u32(buf: &[u8], off: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[off..off + 4]);
    u32::from_le_bytes(b)
}

/// Reads a little-endian `u64` at `off`.
#[inline]
pub(crate) fn get_u64(buf: &[u8], off: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[off..off + 8]);
    u64::from_le_bytes(b)
}

/// Writes a little-endian `u16` at `off`.
#[inline]
pub(crate) fn put_u16(buf: &mut [u8], off: usize, v: u16) {
    buf[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

/// Writes a little-endian `u32` at `off`.
#[inline]
pub(crate) fn put_u32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// Writes a little-endian `u64` at `off`.
#[inline]
pub(crate) fn put_u64(buf: &mut [u8], off: usize, v: u64) {
    buf[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// Zeroes `buf` and writes a header for a page of type `ty` with id `id`.
pub(crate) fn init(buf: &mut [u8], id: PageId, ty: PageType) {
    buf.fill(0);
    buf[OFF_TYPE] = ty as u8;
    put_u64(buf, OFF_ID, id.0);
}

/// The type byte of an in-memory page (trusted: it was verified or initialised).
pub(crate) fn page_type(buf: &[u8]) -> Option<PageType> {
    PageType::from_u8(buf[OFF_TYPE])
}

/// The id recorded in a page's header.
pub(crate) fn page_id(buf: &[u8]) -> PageId {
    PageId(get_u64(buf, OFF_ID))
}

/// Computes and stores the checksum. Call right before the page leaves memory.
pub(crate) fn seal(buf: &mut [u8]) {
    let sum = crc32c::crc32c(&buf[OFF_CHECKSUM + 4..]);
    put_u32(buf, OFF_CHECKSUM, sum);
}

/// The checksum field of a sealed page.
pub(crate) fn stored_checksum(buf: &[u8]) -> u32 {
    get_u32(buf, OFF_CHECKSUM)
}

/// Verifies the checksum, the recorded id and the type byte of a page just read from disk.
pub(crate) fn verify(id: PageId, buf: &[u8]) -> Result<PageType> {
    if buf.len() < PAGE_HEADER_SIZE {
        return Err(StorageError::corrupted(id, "short page"));
    }
    let want = get_u32(buf, OFF_CHECKSUM);
    let have = crc32c::crc32c(&buf[OFF_CHECKSUM + 4..]);
    if want != have {
        return Err(StorageError::corrupted(
            id,
            format!("checksum mismatch (stored {want:#010x}, computed {have:#010x})"),
        ));
    }
    let recorded = page_id(buf);
    if recorded != id {
        return Err(StorageError::corrupted(
            id,
            format!("page records id {recorded}: misdirected write or read"),
        ));
    }
    PageType::from_u8(buf[OFF_TYPE])
        .ok_or_else(|| StorageError::corrupted(id, format!("unknown page type {}", buf[OFF_TYPE])))
}

/// Writes pages to their places in `file`, coalescing runs of consecutive ids.
pub(crate) fn write_runs(
    file: &dyn crate::file::DbFile,
    page_size: u32,
    pages: &[(PageId, PageBuf)],
) -> Result<()> {
    let ps = page_size as usize;
    let mut i = 0;
    while i < pages.len() {
        let mut j = i + 1;
        while j < pages.len() && pages[j].0.0 == pages[j - 1].0.0 + 1 && j - i < 256 {
            j += 1;
        }
        let mut run = Vec::with_capacity((j - i) * ps);
        for (_, b) in &pages[i..j] {
            run.extend_from_slice(b);
        }
        file.write_at(&run, pages[i].0.0 * u64::from(page_size))
            .map_err(StorageError::io("writing pages to the database file"))?;
        i = j;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_page_never_verifies() {
        let buf = vec![0u8; 4096];
        assert!(verify(PageId(7), &buf).is_err());
    }

    #[test]
    fn sealed_page_verifies_and_detects_flip_and_wrong_id() {
        let mut buf = vec![0u8; 4096];
        init(&mut buf, PageId(9), PageType::Leaf);
        buf[100] = 42;
        seal(&mut buf);
        assert_eq!(verify(PageId(9), &buf).ok(), Some(PageType::Leaf));
        assert!(verify(PageId(10), &buf).is_err());
        buf[2000] ^= 1;
        assert!(verify(PageId(9), &buf).is_err());
    }
}
