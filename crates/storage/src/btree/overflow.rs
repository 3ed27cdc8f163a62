//! Overflow chains: values too large for a leaf cell.
//!
//! # Format: overflow page
//!
//! | offset | size | field      | valid values                                          |
//! |-------:|-----:|------------|-------------------------------------------------------|
//! | 0      | 32   | page header| type 5 (overflow); bytes 16..32 as below               |
//! | 16     | 8    | next       | next page of the chain, 0 on the last page             |
//! | 24     | 4    | chunk len  | bytes of value in this page, `1..=page_size-32`        |
//! | 32     | ...  | chunk      | the bytes                                              |
//!
//! A chain for a value of `len` bytes has exactly `ceil(len / (page_size - 32))` pages, every
//! one full but the last. Readers stop with `Corrupted` at the first page that breaks this,
//! so a cycle or a lie about the length cannot make them loop or over-allocate.

use crate::error::{Result, StorageError};
use crate::ids::PageId;
use crate::limits::VALUE_SIZE_MAX;
use crate::page::{self, PAGE_HEADER_SIZE, PageType, get_u32, get_u64, put_u32, put_u64};
use crate::pager::PageWriter;

use super::PageRead;

const OFF_NEXT: usize = 16;
const OFF_LEN: usize = 24;

/// Writes `value` to a new chain; returns its first page.
pub(crate) fn write(w: &mut PageWriter<'_>, value: &[u8]) -> Result<PageId> {
    let payload = w.page_size() - PAGE_HEADER_SIZE;
    let mut next = PageId::NONE;
    // Built back to front so each page knows its successor when it is written.
    for chunk in value.chunks(payload).rev() {
        let succ = next;
        next = w.new_page(|buf, id| {
            page::init(buf, id, PageType::Overflow);
            put_u64(buf, OFF_NEXT, succ.0);
            put_u32(buf, OFF_LEN, chunk.len() as u32);
            buf[PAGE_HEADER_SIZE..PAGE_HEADER_SIZE + chunk.len()].copy_from_slice(chunk);
        })?;
    }
    Ok(next)
}

/// Visits the pages of the chain for a value of `len` bytes, checking its shape.
pub(crate) fn walk(
    p: &(impl PageRead + ?Sized),
    first: PageId,
    len: u64,
    mut visit: impl FnMut(PageId, &[u8]) -> Result<()>,
) -> Result<()> {
    if len > VALUE_SIZE_MAX as u64 {
        return Err(StorageError::corrupted(
            first,
            format!("overflow value of {len} bytes is over the limit"),
        ));
    }
    let payload = (p.page_size() - PAGE_HEADER_SIZE) as u64;
    let pages = len.div_ceil(payload);
    let mut id = first;
    for k in 0..pages {
        if id.is_none() {
            return Err(StorageError::corrupted(first, "overflow chain ends early"));
        }
        let buf = p.read_page(id)?;
        if page::page_type(&buf) != Some(PageType::Overflow) {
            return Err(StorageError::corrupted(id, "expected an overflow page"));
        }
        let chunk = u64::from(get_u32(&buf, OFF_LEN));
        let want = if k + 1 == pages {
            len - k * payload
        } else {
            payload
        };
        if chunk != want {
            return Err(StorageError::corrupted(
                id,
                format!("overflow chunk of {chunk} bytes, expected {want}"),
            ));
        }
        visit(
            id,
            &buf[PAGE_HEADER_SIZE..PAGE_HEADER_SIZE + chunk as usize],
        )?;
        id = PageId(get_u64(&buf, OFF_NEXT));
    }
    if !id.is_none() {
        return Err(StorageError::corrupted(
            first,
            "overflow chain is longer than its value",
        ));
    }
    Ok(())
}

/// Reads a whole value from its chain.
pub(crate) fn read(p: &(impl PageRead + ?Sized), first: PageId, len: u64) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(len.min(VALUE_SIZE_MAX as u64) as usize);
    walk(p, first, len, |_, chunk| {
        out.extend_from_slice(chunk);
        Ok(())
    })?;
    Ok(out)
}

/// Frees every page of a chain.
pub(crate) fn free(w: &mut PageWriter<'_>, first: PageId, len: u64) -> Result<()> {
    let mut ids = Vec::new();
    walk(&*w, first, len, |id, _| {
        ids.push(id);
        Ok(())
    })?;
    for id in ids {
        w.free(id);
    }
    Ok(())
}
