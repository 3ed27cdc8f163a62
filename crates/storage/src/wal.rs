//! The write-ahead log: a sidecar file `<db>-wal` of page images.
//!
//! # Format
//!
//! WAL header (32 bytes): `b"PGWALv01"` magic, `u32` format version, `u32` page size,
//! `u64` salt (random, new for every generation of the log), `u32` reserved,
//! `u32` CRC32C of bytes 0..28.
//!
//! Frame `i` starts at `32 + i * (64 + page_size)`: a 64-byte header, then the page image.
//!
//! | offset | size | field          | meaning                                                  |
//! |-------:|-----:|----------------|----------------------------------------------------------|
//! | 0      | 8    | page id        | where the image belongs in the database file              |
//! | 8      | 8    | frame number   | `i`; a frame found at another slot is invalid             |
//! | 16     | 8    | salt           | the header's salt; frames of an older generation mismatch |
//! | 24     | 8    | txn id         | the transaction the frame belongs to                      |
//! | 32     | 8    | page count     | commit frames: the committed `Meta::page_count`           |
//! | 40     | 8    | catalog root   | commit frames: the committed `Meta::catalog_root`         |
//! | 48     | 8    | attempt start  | frame number of the first frame its write transaction wrote |
//! | 56     | 4    | flags          | bit 0 commit; bit 1 written with `Durability::Full`       |
//! | 60     | 4    | header CRC     | CRC32C of bytes 0..60 followed by the page's checksum     |
//!
//! A frame is valid when its header CRC, salt and frame number match and its page image
//! passes the page checksum. The commit frame is the last frame of a transaction and
//! carries the new meta, so a commit is one append (plus one `fdatasync` in `Full` mode).
//!
//! # Recovery
//! Frames are read in order until the first invalid one. Everything up to the last valid
//! commit frame is replayed; what follows is a torn tail and is discarded. One case is
//! damage rather than a torn tail: a valid `Full` commit frame *after* the break, written
//! by a transaction that began after the broken frame (its attempt start is later). That
//! commit's `fdatasync` made the broken frame durable, so the break is corruption and
//! recovery stops with [`StorageError::WalCorrupted`] instead of dropping acknowledged
//! commits. See `docs/recovery.md`.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::file::{DbFile, read_exact_at};
use crate::ids::{PageId, TxId};
use crate::meta::Meta;
use crate::page::{self, get_u32, get_u64, put_u32, put_u64};

const MAGIC: &[u8; 8] = b"PGWALv01";
const VERSION: u32 = 1;
/// Size of the WAL file header.
pub const WAL_HEADER_SIZE: u64 = 32;
/// Size of a frame header.
pub const FRAME_HEADER_SIZE: usize = 64;
const FLAG_COMMIT: u32 = 1;
const FLAG_FULL: u32 = 2;
/// Frames read per I/O during recovery.
const RECOVERY_BATCH_FRAMES: u64 = 256;
/// The WAL grows in zero-filled steps of this size, and keeps its space across generations,
/// so a commit overwrites blocks that already exist: its `fdatasync` then has no file-size
/// change to journal, which is most of the cost of a small durable commit.
const WAL_GROW_BYTES: u64 = 4 << 20;
/// A reset shrinks a WAL larger than this (after a very large transaction) back to it.
const WAL_KEEP_BYTES: u64 = 64 << 20;

/// The writer's handle on the log: where the next frame goes.
pub(crate) struct Wal {
    /// Every page with a frame (committed or not) in this generation. Recovery replays
    /// every frame before the last commit, so such a page must never be written in place
    /// in the database file (a replayed older frame would overwrite it).
    pages: crate::cache::IdSet,
    file: Arc<dyn DbFile>,
    page_size: u32,
    salt: u64,
    /// Frames in this generation, committed or not.
    frame_count: u64,
    /// First frame of the open write transaction.
    attempt_start: u64,
    /// Bytes the file holds (frames, zero fill, or frames of older generations).
    allocated: u64,
}

/// What recovery found in the log.
pub(crate) struct Recovered {
    /// Latest committed frame of each page.
    pub frames: HashMap<PageId, u64>,
    /// Meta of the last commit, if any.
    pub meta: Option<Meta>,
    /// Frames after the last commit that were discarded.
    pub discarded_frames: u64,
}

fn random_salt() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

fn frame_crc(header: &[u8], page_checksum: u32) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&header[..60]), &page_checksum.to_le_bytes())
}

impl Wal {
    fn frame_size(&self) -> u64 {
        FRAME_HEADER_SIZE as u64 + u64::from(self.page_size)
    }

    fn frame_offset(&self, frame: u64) -> u64 {
        WAL_HEADER_SIZE + frame * self.frame_size()
    }

    /// Starts a new, empty generation: truncate, write a header with a fresh salt, sync.
    pub fn create(file: Arc<dyn DbFile>, page_size: u32) -> Result<Wal> {
        let mut wal = Wal {
            pages: crate::cache::IdSet::default(),
            file,
            page_size,
            salt: 0,
            frame_count: 0,
            attempt_start: 0,
            allocated: 0,
        };
        wal.reset()?;
        Ok(wal)
    }

    /// Empties the log (after a checkpoint) and starts a new generation.
    pub fn reset(&mut self) -> Result<()> {
        self.salt = random_salt();
        self.frame_count = 0;
        self.pages.clear();
        self.attempt_start = 0;
        let mut h = [0u8; WAL_HEADER_SIZE as usize];
        h[..8].copy_from_slice(MAGIC);
        put_u32(&mut h, 8, VERSION);
        put_u32(&mut h, 12, self.page_size);
        put_u64(&mut h, 16, self.salt);
        let crc = crc32c::crc32c(&h[..28]);
        put_u32(&mut h, 28, crc);
        // The space is kept: frames of the old generation carry the old salt and can never
        // validate again. The 32-byte header lies in one sector, so it is written whole.
        let len = self
            .file
            .len()
            .map_err(StorageError::io("resetting the WAL"))?;
        if len > WAL_KEEP_BYTES {
            self.file
                .set_len(WAL_KEEP_BYTES)
                .map_err(StorageError::io("resetting the WAL"))?;
        }
        self.file
            .write_at(&h, 0)
            .map_err(StorageError::io("resetting the WAL"))?;
        self.allocated = len.clamp(WAL_HEADER_SIZE, WAL_KEEP_BYTES);
        self.file
            .sync()
            .map_err(StorageError::io("syncing the WAL"))
    }

    /// Frames in the current generation.
    pub fn frame_count(&self) -> u64 {
        self.frame_count
    }

    /// Bytes the log occupies.
    pub fn size_bytes(&self) -> u64 {
        self.frame_offset(self.frame_count)
    }

    /// Marks the start of a write transaction (for the attempt-start field).
    pub fn begin_attempt(&mut self) {
        self.attempt_start = self.frame_count;
    }

    /// The file, for readers.
    pub fn file(&self) -> &Arc<dyn DbFile> {
        &self.file
    }

    /// Appends sealed page images as consecutive frames with one write. If `commit` is
    /// given, the last frame is the commit frame carrying that meta. Returns the frame
    /// number of the first frame.
    pub fn append(
        &mut self,
        txn: TxId,
        pages: &[(PageId, &[u8])],
        commit: Option<(Meta, bool)>,
    ) -> Result<u64> {
        let first = self.frame_count;
        let fsize = self.frame_size() as usize;
        let mut out = vec![0u8; fsize * pages.len()];
        for (k, (id, img)) in pages.iter().enumerate() {
            self.pages.insert(*id);
            debug_assert_eq!(img.len(), self.page_size as usize);
            debug_assert!(
                page::verify(*id, img).is_ok(),
                "appending an unsealed page {id}"
            );
            let frame = &mut out[k * fsize..(k + 1) * fsize];
            let (h, body) = frame.split_at_mut(FRAME_HEADER_SIZE);
            put_u64(h, 0, id.0);
            put_u64(h, 8, first + k as u64);
            put_u64(h, 16, self.salt);
            put_u64(h, 24, txn.0);
            put_u64(h, 48, self.attempt_start);
            if k + 1 == pages.len()
                && let Some((meta, full)) = commit
            {
                put_u64(h, 32, meta.page_count);
                put_u64(h, 40, meta.catalog_root.0);
                put_u32(h, 56, FLAG_COMMIT | if full { FLAG_FULL } else { 0 });
            }
            let crc = frame_crc(h, page::stored_checksum(img));
            put_u32(h, 60, crc);
            body.copy_from_slice(img);
        }
        let at = self.frame_offset(first);
        self.file
            .write_at(&out, at)
            .map_err(StorageError::io("writing WAL frames"))?;
        let end = at + out.len() as u64;
        if end > self.allocated {
            let grown = end.next_multiple_of(WAL_GROW_BYTES);
            self.file
                .write_at(&vec![0u8; (grown - end) as usize], end)
                .map_err(StorageError::io("growing the WAL"))?;
            self.allocated = grown;
        }
        self.frame_count += pages.len() as u64;
        Ok(first)
    }

    /// True if page `id` has any frame, committed or not, in this generation.
    pub fn has_page(&self, id: PageId) -> bool {
        self.pages.contains(&id)
    }

    /// `fdatasync` the log.
    pub fn sync(&self) -> Result<()> {
        self.file
            .sync()
            .map_err(StorageError::io("syncing the WAL"))
    }

    /// Reads the page image of `frame` into `buf` (not verified: the caller verifies).
    pub fn read_page_at(
        file: &dyn DbFile,
        page_size: u32,
        frame: u64,
        buf: &mut [u8],
    ) -> Result<()> {
        let off = WAL_HEADER_SIZE
            + frame * (FRAME_HEADER_SIZE as u64 + u64::from(page_size))
            + FRAME_HEADER_SIZE as u64;
        read_exact_at(file, buf, off).map_err(StorageError::io("reading a WAL frame"))
    }

    /// Opens an existing log and recovers its committed frames; see the module doc.
    pub fn recover(file: Arc<dyn DbFile>, page_size: u32) -> Result<(Wal, Recovered)> {
        let len = file.len().map_err(StorageError::io("reading the WAL"))?;
        let empty = Recovered {
            frames: HashMap::new(),
            meta: None,
            discarded_frames: 0,
        };
        let mut h = [0u8; WAL_HEADER_SIZE as usize];
        let n = file
            .read_at(&mut h, 0)
            .map_err(StorageError::io("reading the WAL"))?;
        let header_ok =
            n == h.len() && &h[..8] == MAGIC && get_u32(&h, 28) == crc32c::crc32c(&h[..28]);
        if !header_ok {
            // A reset writes the header and syncs before any frame, so a bad header with
            // nothing behind it is a torn reset; with frames behind it, it is damage.
            if len > WAL_HEADER_SIZE {
                return Err(StorageError::WalCorrupted {
                    frame: 0,
                    reason: "the WAL header is damaged but frames follow it".into(),
                });
            }
            return Ok((Wal::create(file, page_size)?, empty));
        }
        if get_u32(&h, 8) != VERSION {
            return Err(StorageError::UnsupportedVersion {
                found: get_u32(&h, 8),
                supported: VERSION,
            });
        }
        if get_u32(&h, 12) != page_size {
            return Err(StorageError::WalCorrupted {
                frame: 0,
                reason: format!(
                    "WAL page size {} differs from the database's {page_size}",
                    get_u32(&h, 12)
                ),
            });
        }
        let mut wal = Wal {
            pages: crate::cache::IdSet::default(),
            file,
            page_size,
            salt: get_u64(&h, 16),
            frame_count: 0,
            attempt_start: 0,
            allocated: len,
        };
        let rec = wal.scan(len)?;
        Ok((wal, rec))
    }

    /// Checks one frame's header; returns its fields if valid.
    fn frame_header_valid(&self, frame: u64, h: &[u8], img: &[u8]) -> bool {
        get_u64(h, 8) == frame
            && get_u64(h, 16) == self.salt
            && get_u32(h, 60) == frame_crc(h, page::stored_checksum(img))
            && page::verify(PageId(get_u64(h, 0)), img).is_ok()
    }

    fn scan(&mut self, len: u64) -> Result<Recovered> {
        let fsize = self.frame_size();
        let total = len.saturating_sub(WAL_HEADER_SIZE) / fsize;
        let mut frames: HashMap<PageId, u64> = HashMap::new();
        let mut pending: Vec<(PageId, u64)> = Vec::new();
        let mut meta = None;
        let mut committed = 0u64;
        let mut buf = vec![0u8; (fsize * RECOVERY_BATCH_FRAMES) as usize];
        let mut frame = 0u64;
        let mut broken_at = None;
        'outer: while frame < total {
            let batch = (total - frame).min(RECOVERY_BATCH_FRAMES);
            let bytes = &mut buf[..(batch * fsize) as usize];
            read_exact_at(&*self.file, bytes, self.frame_offset(frame))
                .map_err(StorageError::io("reading the WAL"))?;
            for k in 0..batch {
                let f = &bytes[(k * fsize) as usize..((k + 1) * fsize) as usize];
                let (h, img) = f.split_at(FRAME_HEADER_SIZE);
                if !self.frame_header_valid(frame, h, img) {
                    broken_at = Some(frame);
                    break 'outer;
                }
                let id = PageId(get_u64(h, 0));
                self.pages.insert(id);
                pending.push((id, frame));
                if get_u32(h, 56) & FLAG_COMMIT != 0 {
                    for (id, fr) in pending.drain(..) {
                        frames.insert(id, fr);
                    }
                    meta = Some(Meta {
                        txn_id: TxId(get_u64(h, 24)),
                        page_count: get_u64(h, 32),
                        catalog_root: PageId(get_u64(h, 40)),
                    });
                    committed = frame + 1;
                }
                frame += 1;
            }
        }
        if let Some(b) = broken_at {
            self.check_break_is_torn_tail(b, total)?;
        }
        if let Some(m) = &meta
            && (m.page_count < crate::freelist::FIRST_DATA_PAGE || m.catalog_root.0 >= m.page_count)
        {
            return Err(StorageError::WalCorrupted {
                frame: committed.saturating_sub(1),
                reason: "commit frame carries impossible counters".into(),
            });
        }
        self.frame_count = committed;
        Ok(Recovered {
            frames,
            meta,
            discarded_frames: total - committed,
        })
    }

    /// After a broken frame `b`, looks for a `Full` commit by a transaction that started
    /// after `b`: its sync made `b` durable, so `b` is damage, not a torn write.
    fn check_break_is_torn_tail(&self, b: u64, total: u64) -> Result<()> {
        let fsize = self.frame_size();
        let mut buf = vec![0u8; (fsize * RECOVERY_BATCH_FRAMES) as usize];
        let mut frame = b + 1;
        while frame < total {
            let batch = (total - frame).min(RECOVERY_BATCH_FRAMES);
            let bytes = &mut buf[..(batch * fsize) as usize];
            if read_exact_at(&*self.file, bytes, self.frame_offset(frame)).is_err() {
                break;
            }
            for k in 0..batch {
                let f = &bytes[(k * fsize) as usize..((k + 1) * fsize) as usize];
                let (h, img) = f.split_at(FRAME_HEADER_SIZE);
                let flags = get_u32(h, 56);
                // Cheap tests first: zero fill and older generations fail on the salt.
                if get_u64(h, 16) == self.salt
                    && flags & FLAG_COMMIT != 0
                    && flags & FLAG_FULL != 0
                    && get_u64(h, 48) > b
                    && self.frame_header_valid(frame + k, h, img)
                {
                    return Err(StorageError::WalCorrupted {
                        frame: b,
                        reason: format!(
                            "frame is damaged but a later durable commit (frame {}) depends on it",
                            frame + k
                        ),
                    });
                }
            }
            frame += batch;
        }
        Ok(())
    }
}
