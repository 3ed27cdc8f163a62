//! The database header: two meta pages holding the same header (a mirror).
//!
//! A header is written to slot 0, synced, then written to slot 1 (and synced by the caller).
//! A torn write therefore damages at most one slot while the other holds the old or the
//! new header, and later damage to one slot loses nothing: the other is an identical copy.
//! Falling back to an *older* header happens only when a header write was interrupted, and
//! then the WAL (not yet reset) still holds everything newer (recovery.md invariant 5).
//! The checker reports a slot that fails validation.
//!
//! # Format: meta page (pages 0 and 1)
//!
//! | offset | size | field          | valid values                                        |
//! |-------:|-----:|----------------|-----------------------------------------------------|
//! | 0      | 32   | page header    | type 1 (meta), id 0 or 1                             |
//! | 32     | 8    | magic          | `b"PAGEGRPH"`                                        |
//! | 40     | 4    | format version | [`FORMAT_VERSION`]                                   |
//! | 44     | 4    | page size      | power of two, 4096..=65536                           |
//! | 48     | 8    | sequence       | +1 on every meta write; the valid page with the higher one wins |
//! | 56     | 8    | txn id         | last transaction whose pages the file holds          |
//! | 64     | 8    | page count     | pages in use by the database, including free ones    |
//! | 72     | 8    | catalog root   | root page of the catalog tree, 0 if no tree exists   |
//! | 80     | 4    | flags          | bit 0: unclean (being written with durability=off); bit 1: a WAL is live |
//! | 84     | 4    | reserved       | 0                                                    |
//! | 88     | 8    | database id    | random, set at creation, never 0 (format 2); the WAL carries it |
//! | 96     | 4    | WAL path length| bytes of the WAL path that follows, at most [`WAL_PATH_MAX`]; 0 unless bit 1 |
//! | 100    | ...  | WAL path       | the absolute path of the live WAL (bit 1), else nothing |
//! | ...    | ...  | reserved       | 0                                                    |
//!
//! Format 1 had no database id and no WAL fields (their bytes were 0). A format-1 file is
//! read as it is, and the first read-write open upgrades it in place: after recovery it
//! gets an id and a format-2 header (see `db.rs`). Read-only opens leave it as it is.
//!
//! Bit 1 and the WAL path are written before the first commit of a read-write session and
//! cleared by a clean close, which also removes the WAL. A database reached later by
//! another name (a hard link, or after a rename) thus still finds the WAL that holds its
//! last commits, and a database whose live WAL has vanished is refused instead of silently
//! losing them.
//!
//! The checksum covers the whole page, so the header is read in two steps: the first 4096
//! bytes (the smallest page) give the page size, then the full page is read and verified.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Result, StorageError};
use crate::file::DbFile;
use crate::ids::{PageId, TxId};
use crate::limits::{PAGE_SIZE_MAX, PAGE_SIZE_MIN};
use crate::page::{self, PageType, get_u32, get_u64, put_u32, put_u64};

/// The format version this build writes (and the newest it reads).
pub const FORMAT_VERSION: u32 = 2;
/// The oldest format version this build reads (and upgrades on the first read-write open).
pub const FORMAT_VERSION_MIN: u32 = 1;
/// Longest WAL path the header records, in bytes; a longer one is not recorded (the WAL is
/// then found by the database's own name only).
pub const WAL_PATH_MAX: usize = 3072;
/// The first page that is neither a header slot (pages 0 and 1) nor region 0's bitmap page
/// (page 2): a file-layout fact, so every layer from here up takes it from here.
pub const FIRST_DATA_PAGE: u64 = 3;
const MAGIC: &[u8; 8] = b"PAGEGRPH";
const OFF_MAGIC: usize = 32;
const OFF_VERSION: usize = 40;
const OFF_PAGE_SIZE: usize = 44;
const OFF_SEQ: usize = 48;
const OFF_TXN: usize = 56;
const OFF_PAGE_COUNT: usize = 64;
const OFF_CATALOG: usize = 72;
const OFF_FLAGS: usize = 80;
const OFF_DB_ID: usize = 88;
const OFF_WAL_LEN: usize = 96;
const OFF_WAL_PATH: usize = 100;
const FLAG_UNCLEAN: u32 = 1;
const FLAG_WAL_LIVE: u32 = 2;

/// The root of everything: what a committed state consists of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meta {
    /// The last committed transaction.
    pub txn_id: TxId,
    /// Pages in the database, free ones included.
    pub page_count: u64,
    /// Root of the catalog tree, or `PageId::NONE`.
    pub catalog_root: PageId,
}

/// A meta page as read from or written to the file.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    pub page_size: u32,
    pub seq: u64,
    pub meta: Meta,
    pub unclean: bool,
    /// The database's random identity (0 in a format-1 file).
    pub db_id: u64,
    /// The live WAL's path while a read-write session has one (bit 1 of the flags).
    pub wal: Option<PathBuf>,
    /// The format version the header was read with (written headers are always the newest).
    pub version: u32,
}

impl Header {
    /// Encodes into a page image for slot `slot` (0 or 1), sealed.
    pub fn encode(&self, slot: u64) -> Vec<u8> {
        let mut buf = vec![0u8; self.page_size as usize];
        page::init(&mut buf, PageId(slot), PageType::Meta);
        buf[OFF_MAGIC..OFF_MAGIC + 8].copy_from_slice(MAGIC);
        put_u32(&mut buf, OFF_VERSION, FORMAT_VERSION);
        put_u32(&mut buf, OFF_PAGE_SIZE, self.page_size);
        put_u64(&mut buf, OFF_SEQ, self.seq);
        put_u64(&mut buf, OFF_TXN, self.meta.txn_id.0);
        put_u64(&mut buf, OFF_PAGE_COUNT, self.meta.page_count);
        put_u64(&mut buf, OFF_CATALOG, self.meta.catalog_root.0);
        let wal = self
            .wal
            .as_ref()
            .map(|p| p.as_os_str().as_bytes())
            .filter(|b| b.len() <= WAL_PATH_MAX);
        let flags = if self.unclean { FLAG_UNCLEAN } else { 0 }
            | if self.wal.is_some() { FLAG_WAL_LIVE } else { 0 };
        put_u32(&mut buf, OFF_FLAGS, flags);
        put_u64(&mut buf, OFF_DB_ID, self.db_id);
        if let Some(bytes) = wal {
            put_u32(&mut buf, OFF_WAL_LEN, bytes.len() as u32);
            buf[OFF_WAL_PATH..OFF_WAL_PATH + bytes.len()].copy_from_slice(bytes);
        }
        page::seal(&mut buf);
        buf
    }

    /// Writes this header to slot 0, syncs, then writes it to slot 1. The caller syncs
    /// afterwards when the header must be durable.
    pub fn write(&self, file: &dyn DbFile) -> Result<()> {
        let io = || StorageError::io("writing the database header");
        file.write_at(&self.encode(0), 0).map_err(io())?;
        file.sync().map_err(io())?;
        file.write_at(&self.encode(1), u64::from(self.page_size))
            .map_err(io())
    }

    /// [`Header::write`], then a sync: the header is durable when this returns.
    pub fn write_durable(&self, file: &dyn DbFile) -> Result<()> {
        self.write(file)?;
        file.sync()
            .map_err(StorageError::io("syncing the database file"))
    }
}

/// True for the page sizes a database may use.
pub fn valid_page_size(size: u32) -> bool {
    size.is_power_of_two() && (PAGE_SIZE_MIN..=PAGE_SIZE_MAX).contains(&size)
}

/// Why a header slot was rejected.
enum SlotError {
    Missing,
    Bad(StorageError),
}

/// Validates header slot `slot` of a database with the given page size (for the checker).
pub(crate) fn check_slot(file: &dyn DbFile, slot: u64, page_size: u32) -> Result<()> {
    match read_slot(file, Path::new(""), slot, page_size) {
        Ok(_) => Ok(()),
        Err(SlotError::Missing) => Err(StorageError::corrupted(
            PageId(slot),
            "header page is missing",
        )),
        Err(SlotError::Bad(e)) => Err(e),
    }
}

fn read_slot(
    file: &dyn DbFile,
    path: &Path,
    slot: u64,
    page_size: u32,
) -> Result<Header, SlotError> {
    let mut buf = vec![0u8; page_size as usize];
    let n = file
        .read_at(&mut buf, slot * u64::from(page_size))
        .map_err(|e| SlotError::Bad(StorageError::io("reading the database header")(e)))?;
    if n < buf.len() {
        return Err(SlotError::Missing);
    }
    decode(path, slot, &buf).map_err(SlotError::Bad)
}

fn decode(path: &Path, slot: u64, buf: &[u8]) -> Result<Header> {
    let not_db = |reason: &str| StorageError::NotADatabase {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    if &buf[OFF_MAGIC..OFF_MAGIC + 8] != MAGIC {
        return Err(not_db("bad magic bytes"));
    }
    let version = get_u32(buf, OFF_VERSION);
    if !(FORMAT_VERSION_MIN..=FORMAT_VERSION).contains(&version) {
        return Err(StorageError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let page_size = get_u32(buf, OFF_PAGE_SIZE);
    if !valid_page_size(page_size) || page_size as usize != buf.len() {
        return Err(not_db("invalid page size in header"));
    }
    let ty = page::verify(PageId(slot), buf)?;
    if ty != PageType::Meta {
        return Err(StorageError::corrupted(
            PageId(slot),
            "header page has wrong type",
        ));
    }
    let meta = Meta {
        txn_id: TxId(get_u64(buf, OFF_TXN)),
        page_count: get_u64(buf, OFF_PAGE_COUNT),
        catalog_root: PageId(get_u64(buf, OFF_CATALOG)),
    };
    if meta.page_count < FIRST_DATA_PAGE
        || meta.page_count > crate::limits::PAGE_COUNT_MAX
        || meta.catalog_root.0 >= meta.page_count
    {
        return Err(StorageError::corrupted(
            PageId(slot),
            "header counters out of range",
        ));
    }
    let flags = get_u32(buf, OFF_FLAGS);
    let db_id = get_u64(buf, OFF_DB_ID);
    let wal_len = get_u32(buf, OFF_WAL_LEN) as usize;
    if wal_len > WAL_PATH_MAX || (version >= 2 && db_id == 0) {
        return Err(StorageError::corrupted(
            PageId(slot),
            "header identity fields out of range",
        ));
    }
    let wal = (flags & FLAG_WAL_LIVE != 0).then(|| {
        PathBuf::from(std::ffi::OsStr::from_bytes(
            &buf[OFF_WAL_PATH..OFF_WAL_PATH + wal_len],
        ))
    });
    Ok(Header {
        page_size,
        seq: get_u64(buf, OFF_SEQ),
        meta,
        unclean: flags & FLAG_UNCLEAN != 0,
        db_id,
        wal,
        version,
    })
}

/// Reads both header slots and returns the valid one with the higher sequence number.
/// Fails if neither is valid, with the error of slot 0.
pub(crate) fn read_header(file: &dyn DbFile, path: &Path) -> Result<Header> {
    let mut probe = vec![0u8; PAGE_SIZE_MIN as usize];
    let n = file
        .read_at(&mut probe, 0)
        .map_err(StorageError::io("reading the database header"))?;
    // Slot 0 tells us the page size; if it is damaged, try slot 1 at every legal size.
    let mut sizes: Vec<u32> = Vec::new();
    if n >= OFF_PAGE_SIZE + 4 && &probe[OFF_MAGIC..OFF_MAGIC + 8] == MAGIC {
        let size = get_u32(&probe, OFF_PAGE_SIZE);
        if valid_page_size(size) {
            sizes.push(size);
        }
    }
    let mut size = PAGE_SIZE_MIN;
    while size <= PAGE_SIZE_MAX {
        if !sizes.contains(&size) {
            sizes.push(size);
        }
        size *= 2;
    }
    let mut first_err = None;
    for &size in &sizes {
        let a = read_slot(file, path, 0, size);
        let b = read_slot(file, path, 1, size);
        match (a, b) {
            (Ok(a), Ok(b)) => return Ok(if b.seq > a.seq { b } else { a }),
            (Ok(h), Err(_)) | (Err(_), Ok(h)) => return Ok(h),
            (Err(ea), Err(_)) => {
                if first_err.is_none()
                    && let SlotError::Bad(e) = ea
                {
                    first_err = Some(e);
                }
            }
        }
    }
    Err(first_err.unwrap_or_else(|| StorageError::NotADatabase {
        path: path.to_path_buf(),
        reason: "file too short to hold a header".to_string(),
    }))
}
