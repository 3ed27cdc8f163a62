//! The write-ahead log: a sidecar file `<db>-wal` of page images.
//!
//! # Format
//!
//! WAL header (48 bytes, version 3):
//!
//! | offset | size | field       | meaning                                                   |
//! |-------:|-----:|-------------|-----------------------------------------------------------|
//! | 0      | 8    | magic       | `b"PGWALv03"`                                              |
//! | 8      | 4    | version     | 3                                                          |
//! | 12     | 4    | page size   | the database's                                             |
//! | 16     | 8    | salt        | random, new for every generation of the log                |
//! | 24     | 8    | database id | the id in the database header: a WAL replays only into its own database |
//! | 32     | 8    | base txn    | the database header's txn id when this generation began    |
//! | 40     | 4    | reserved    | 0                                                          |
//! | 44     | 4    | header CRC  | CRC32C of bytes 0..44                                      |
//!
//! Version 2 (format-1 databases) had a 32-byte header without the database id and base
//! (`b"PGWALv02"`, version, page size, salt, reserved, CRC of bytes 0..28); it is read for
//! recovery only, and the next generation is written as version 3.
//!
//! A WAL is *bound* to its database: recovery refuses (never replays) a WAL whose database
//! id differs from the header's, or whose commits cannot follow the header's state: the
//! header's txn id must lie between the generation's base and its last commit (equal to the
//! base before a checkpoint finished; equal to the last commit after one that finished
//! before the log was reset). See `docs/recovery.md`, "Recovery at open".
//!
//! Frames follow the header back to back, each at an offset that is a multiple of 8: a
//! 72-byte header, then the page image *without its hole*, the longest run of zero bytes in
//! the page (8-byte aligned, never inside the 32-byte page header; node pages have their free
//! gap zeroed before sealing so that it qualifies). A mostly empty page thus costs a few
//! hundred bytes, and a small commit touches one or two disk blocks instead of three pages.
//!
//! | offset | size | field          | meaning                                                  |
//! |-------:|-----:|----------------|----------------------------------------------------------|
//! | 0      | 8    | page id        | where the image belongs in the database file              |
//! | 8      | 8    | frame number   | `i`, counting from 0 in this generation                   |
//! | 16     | 8    | salt           | the header's salt; frames of an older generation mismatch |
//! | 24     | 8    | txn id         | the transaction the frame belongs to                      |
//! | 32     | 8    | page count     | commit frames: the committed `Meta::page_count`           |
//! | 40     | 8    | catalog root   | commit frames: the committed `Meta::catalog_root`         |
//! | 48     | 8    | attempt start  | frame number of the first frame its write transaction wrote |
//! | 56     | 4    | flags          | bit 0 commit; bit 1 written with `Durability::Full`       |
//! | 60     | 4    | hole start     | byte of the page where the left-out zeros begin (0: none) |
//! | 64     | 4    | hole length    | zeros left out; a multiple of 8                           |
//! | 68     | 4    | header CRC     | CRC32C of bytes 0..68 followed by the page's checksum     |
//!
//! The frame is `72 + page_size - hole_length` bytes. It is valid when its header CRC, salt
//! and frame number match, its hole lies inside the page, and the rebuilt page passes its
//! checksum. The commit frame is the last frame of a transaction and carries the new meta,
//! so a commit is one append (plus one `fdatasync` in `Full` mode).
//!
//! # Recovery
//! Frames are read in order until the first invalid one. Everything up to the last valid
//! commit frame is replayed; what follows is a torn tail and is discarded. One case is
//! damage rather than a torn tail: a valid `Full` commit frame *after* the break, written
//! by a transaction that began after the broken frame (its attempt start is later). That
//! commit's `fdatasync` made the broken frame durable, so the break is corruption and
//! recovery stops with [`StorageError::WalCorrupted`] instead of dropping acknowledged
//! commits. The length of a broken frame is unknown, so that search tries every 8-byte
//! aligned offset after it. See `docs/recovery.md`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::file::DbFile;
use crate::ids::{PageId, TxId};
use crate::meta::Meta;
use crate::page::{self, PAGE_HEADER_SIZE, get_u32, get_u64, put_u32, put_u64};

const MAGIC: &[u8; 8] = b"PGWALv03";
const VERSION: u32 = 3;
/// Size of the WAL file header.
pub const WAL_HEADER_SIZE: u64 = 48;
const MAGIC_V2: &[u8; 8] = b"PGWALv02";
const VERSION_V2: u32 = 2;
const WAL_HEADER_SIZE_V2: u64 = 32;
/// Size of a frame header.
pub const FRAME_HEADER_SIZE: usize = 72;
const FLAG_COMMIT: u32 = 1;
const FLAG_FULL: u32 = 2;
/// A run of zeros shorter than this is not worth leaving out.
const HOLE_MIN_BYTES: usize = 64;
/// Bytes read at a time during recovery.
const RECOVERY_WINDOW_BYTES: usize = 1 << 20;
/// The WAL grows in zero-filled steps, and keeps its space across generations, so a commit
/// overwrites blocks that already exist: its `fdatasync` then has no file-size change to
/// journal, which is most of the cost of a small durable commit. A step is the space it
/// has already (doubling), from [`WAL_GROW_MIN_BYTES`] up to this: a session that commits
/// once (a WAL is removed at close) zero-fills 64 KiB, not 4 MiB.
const WAL_GROW_BYTES: u64 = 4 << 20;
/// The first growth step of a new WAL.
const WAL_GROW_MIN_BYTES: u64 = 64 << 10;
/// A reset shrinks a WAL larger than this (after a very large transaction) back to it.
const WAL_KEEP_BYTES: u64 = 64 << 20;

/// The WAL's path for a database path: `<db>-wal`.
pub fn wal_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push("-wal");
    PathBuf::from(s)
}

/// The writer's handle on the log: where the next frame goes.
pub(crate) struct Wal {
    /// Every page with a frame (committed or not) in this generation. Recovery replays
    /// every frame before the last commit, so such a page must never be written in place
    /// in the database file (a replayed older frame would overwrite it).
    pages: crate::ids::IdSet,
    file: Arc<dyn DbFile>,
    page_size: u32,
    salt: u64,
    /// The database this log belongs to.
    db_id: u64,
    /// Where this generation's first frame goes (the header's size).
    frames_start: u64,
    /// Frames in this generation, committed or not.
    frame_count: u64,
    /// Byte offset where the next frame goes.
    end: u64,
    /// First frame of the open write transaction.
    attempt_start: u64,
    /// Bytes the file holds (frames, zero fill, or frames of older generations).
    allocated: u64,
}

/// What recovery found in the log.
pub(crate) struct Recovered {
    /// Latest committed frame (its byte offset) of each page.
    pub frames: crate::ids::IdMap<u64>,
    /// Meta of the last commit, if any.
    pub meta: Option<Meta>,
    /// Frames after the last commit that were discarded.
    pub discarded_frames: u64,
    /// The database id the header names (`None` for a version-2 log, which had none).
    pub db_id: Option<u64>,
    /// The database's txn id when this generation began (`None` for a version-2 log).
    pub base: Option<TxId>,
    /// The txn id of the first frame, if any (the base of a version-2 log is one less).
    pub first_txn: Option<TxId>,
}

impl Recovered {
    /// Checks that this log may be replayed into a database whose header says `db_id` and
    /// `header_txn`: the same database, and a state the log's commits continue. `db_id` is 0
    /// for a format-1 file, which has no id: an id-bound log beside it is then accepted only
    /// without commits (the first read-write open creates or resets the log with the id it
    /// is about to write, so a crash before the upgraded header is written leaves exactly
    /// that; a commit always follows the upgraded header).
    pub fn check_binding(&self, db_id: u64, header_txn: TxId) -> std::result::Result<(), String> {
        match self.db_id {
            Some(id) if db_id == 0 && self.meta.is_some() => {
                return Err(format!(
                    "it belongs to database {id:016x} and holds commits, but this database is \
                     of format 1, which has no id"
                ));
            }
            Some(id) if db_id != 0 && id != db_id => {
                return Err(format!(
                    "it belongs to another database (id {id:016x}; this database is {db_id:016x})"
                ));
            }
            _ => {}
        }
        let Some(meta) = &self.meta else {
            // No commit: nothing would be replayed.
            return Ok(());
        };
        let base = self
            .base
            .or_else(|| self.first_txn.map(|t| TxId(t.0.saturating_sub(1))))
            .unwrap_or(TxId(0));
        if header_txn < base {
            return Err(format!(
                "the database file is older than it: its commits continue the file from txn {}, \
                 but the file is at txn {} (an older copy of the file put back beside it?)",
                base.0, header_txn.0
            ));
        }
        if header_txn > meta.txn_id {
            return Err(format!(
                "it is stale: its commits run from txn {} to {}, but the database is at txn {}",
                base.0 + 1,
                meta.txn_id.0,
                header_txn.0
            ));
        }
        Ok(())
    }
}

fn frame_crc(header: &[u8], page_checksum: u32) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&header[..68]), &page_checksum.to_le_bytes())
}

/// The longest run of zero bytes after the page header, 8-byte aligned: `(start, len)`,
/// or `(0, 0)` if no run is worth leaving out. Reads the page a word at a time (it runs
/// on every page a commit writes).
fn find_hole(img: &[u8]) -> (usize, usize) {
    let (mut best, mut run_start, mut run_len) = ((0, 0), PAGE_HEADER_SIZE, 0);
    let mut at = PAGE_HEADER_SIZE;
    for word in img[PAGE_HEADER_SIZE..].chunks_exact(8) {
        if <[u8; 8]>::try_from(word).map_or(1, u64::from_ne_bytes) == 0 {
            if run_len == 0 {
                run_start = at;
            }
            run_len += 8;
        } else {
            if run_len > best.1 {
                best = (run_start, run_len);
            }
            run_len = 0;
        }
        at += 8;
    }
    if run_len > best.1 {
        best = (run_start, run_len);
    }
    if best.1 < HOLE_MIN_BYTES {
        (0, 0)
    } else {
        best
    }
}

/// Checks a frame's hole fields against the page size; returns `(start, len)`.
fn hole_of(h: &[u8], page_size: usize) -> Option<(usize, usize)> {
    let (start, len) = (get_u32(h, 60) as usize, get_u32(h, 64) as usize);
    let ok = len == 0 && start == 0
        || start >= PAGE_HEADER_SIZE && len % 8 == 0 && start % 8 == 0 && start + len <= page_size;
    ok.then_some((start, len))
}

/// Rebuilds a page from a frame body (the bytes after the header): `body` must hold at
/// least `page_size - hole_len` bytes.
fn rebuild(body: &[u8], hole: (usize, usize), out: &mut [u8]) -> bool {
    let (start, len) = hole;
    let tail = out.len() - start - len;
    if body.len() < start + tail {
        return false;
    }
    out[..start].copy_from_slice(&body[..start]);
    out[start..start + len].fill(0);
    out[start + len..].copy_from_slice(&body[start..start + tail]);
    true
}

impl Wal {
    /// A log over `file` with no generation yet (nothing written).
    fn blank(file: Arc<dyn DbFile>, page_size: u32, db_id: u64) -> Wal {
        Wal {
            pages: crate::ids::IdSet::default(),
            file,
            page_size,
            salt: 0,
            db_id,
            frames_start: WAL_HEADER_SIZE,
            frame_count: 0,
            end: WAL_HEADER_SIZE,
            attempt_start: 0,
            allocated: 0,
        }
    }

    /// Starts a new, empty generation of database `db_id`'s log, whose file is at txn
    /// `base`: write a header with a fresh salt, sync.
    pub fn create(file: Arc<dyn DbFile>, page_size: u32, db_id: u64, base: TxId) -> Result<Wal> {
        let mut wal = Self::blank(file, page_size, db_id);
        wal.reset(base)?;
        Ok(wal)
    }

    /// Empties the log (after a checkpoint that left the database file at txn `base`) and
    /// starts a new generation.
    pub fn reset(&mut self, base: TxId) -> Result<()> {
        self.salt = crate::file::random_u64();
        self.frame_count = 0;
        self.frames_start = WAL_HEADER_SIZE;
        self.end = WAL_HEADER_SIZE;
        self.pages.clear();
        self.attempt_start = 0;
        let mut h = [0u8; WAL_HEADER_SIZE as usize];
        h[..8].copy_from_slice(MAGIC);
        put_u32(&mut h, 8, VERSION);
        put_u32(&mut h, 12, self.page_size);
        put_u64(&mut h, 16, self.salt);
        put_u64(&mut h, 24, self.db_id);
        put_u64(&mut h, 32, base.0);
        let crc = crc32c::crc32c(&h[..44]);
        put_u32(&mut h, 44, crc);
        // The space is kept: frames of the old generation carry the old salt and can never
        // validate again. The 48-byte header lies in one sector, so it is written whole.
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

    /// Bytes of frames in the current generation, header included.
    pub fn size_bytes(&self) -> u64 {
        self.end
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
    /// given, the last frame is the commit frame carrying that meta. Returns the byte offset
    /// of each frame.
    pub fn append(
        &mut self,
        txn: TxId,
        pages: &[(PageId, &[u8])],
        commit: Option<(Meta, bool)>,
    ) -> Result<Vec<u64>> {
        let mut out = Vec::with_capacity(pages.len() * (FRAME_HEADER_SIZE + 1024));
        let mut offsets = Vec::with_capacity(pages.len());
        for (k, (id, img)) in pages.iter().enumerate() {
            debug_assert_eq!(img.len(), self.page_size as usize);
            debug_assert!(
                page::verify(*id, img).is_ok(),
                "appending an unsealed page {id}"
            );
            self.pages.insert(*id);
            offsets.push(self.end + out.len() as u64);
            let (hole_start, hole_len) = find_hole(img);
            let mut h = [0u8; FRAME_HEADER_SIZE];
            put_u64(&mut h, 0, id.0);
            put_u64(&mut h, 8, self.frame_count + k as u64);
            put_u64(&mut h, 16, self.salt);
            put_u64(&mut h, 24, txn.0);
            put_u64(&mut h, 48, self.attempt_start);
            if k + 1 == pages.len()
                && let Some((meta, full)) = commit
            {
                put_u64(&mut h, 32, meta.page_count);
                put_u64(&mut h, 40, meta.catalog_root.0);
                put_u32(&mut h, 56, FLAG_COMMIT | if full { FLAG_FULL } else { 0 });
            }
            put_u32(&mut h, 60, hole_start as u32);
            put_u32(&mut h, 64, hole_len as u32);
            let crc = frame_crc(&h, page::stored_checksum(img));
            put_u32(&mut h, 68, crc);
            out.extend_from_slice(&h);
            out.extend_from_slice(&img[..hole_start]);
            out.extend_from_slice(&img[hole_start + hole_len..]);
        }
        self.file
            .write_at(&out, self.end)
            .map_err(StorageError::io("writing WAL frames"))?;
        let end = self.end + out.len() as u64;
        if end > self.allocated {
            let step = self
                .allocated
                .clamp(WAL_GROW_MIN_BYTES, WAL_GROW_BYTES)
                .next_power_of_two();
            let grown = end.next_multiple_of(step);
            self.file
                .write_at(&vec![0u8; (grown - end) as usize], end)
                .map_err(StorageError::io("growing the WAL"))?;
            self.allocated = grown;
        }
        self.end = end;
        self.frame_count += pages.len() as u64;
        Ok(offsets)
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

    /// Reads the page image of the frame at byte `offset` into `buf` (not verified: the
    /// caller verifies the page checksum).
    pub fn read_page_at(
        file: &dyn DbFile,
        page_size: u32,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<()> {
        let ps = page_size as usize;
        let mut frame = vec![0u8; FRAME_HEADER_SIZE + ps];
        let n = file
            .read_at(&mut frame, offset)
            .map_err(StorageError::io("reading a WAL frame"))?;
        let bad = |reason: &str| StorageError::WalCorrupted {
            frame: offset,
            reason: reason.to_string(),
        };
        if n < FRAME_HEADER_SIZE {
            return Err(bad("frame header cut short"));
        }
        let (h, body) = frame.split_at(FRAME_HEADER_SIZE);
        let hole = hole_of(h, ps).ok_or_else(|| bad("frame hole lies outside the page"))?;
        if !rebuild(&body[..n - FRAME_HEADER_SIZE], hole, buf) {
            return Err(bad("frame cut short"));
        }
        Ok(())
    }

    /// Opens an existing log and recovers its committed frames; see the module doc. A log
    /// whose creation was cut short is started afresh (for database `db_id` at txn `base`),
    /// unless `writable` is false: then it is taken as empty and nothing is written.
    pub fn recover(
        file: Arc<dyn DbFile>,
        page_size: u32,
        db_id: u64,
        base: TxId,
        writable: bool,
    ) -> Result<(Wal, Recovered)> {
        let len = file.len().map_err(StorageError::io("reading the WAL"))?;
        let empty = Recovered {
            frames: crate::ids::IdMap::default(),
            meta: None,
            discarded_frames: 0,
            db_id: None,
            base: None,
            first_txn: None,
        };
        let mut h = [0u8; WAL_HEADER_SIZE as usize];
        let n = file
            .read_at(&mut h, 0)
            .map_err(StorageError::io("reading the WAL"))?;
        let v3_ok = n == h.len() && &h[..8] == MAGIC && get_u32(&h, 44) == crc32c::crc32c(&h[..44]);
        let v2_ok = n >= WAL_HEADER_SIZE_V2 as usize
            && &h[..8] == MAGIC_V2
            && get_u32(&h, 28) == crc32c::crc32c(&h[..28]);
        if !v3_ok && !v2_ok {
            // A WAL is created by writing its header and syncing before any frame, and a
            // reset rewrites only the header (one sector): a bad header with nothing behind
            // it is a creation cut short; with anything behind it, it is damage.
            if len > WAL_HEADER_SIZE {
                return Err(StorageError::WalCorrupted {
                    frame: 0,
                    reason: "the WAL header is damaged but frames follow it".into(),
                });
            }
            if !writable {
                return Ok((Self::blank(file, page_size, db_id), empty));
            }
            return Ok((Wal::create(file, page_size, db_id, base)?, empty));
        }
        let (version, frames_start) = if v3_ok {
            (VERSION, WAL_HEADER_SIZE)
        } else {
            (VERSION_V2, WAL_HEADER_SIZE_V2)
        };
        if get_u32(&h, 8) != version {
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
            pages: crate::ids::IdSet::default(),
            file,
            page_size,
            salt: get_u64(&h, 16),
            db_id,
            frames_start,
            frame_count: 0,
            end: frames_start,
            attempt_start: 0,
            allocated: len,
        };
        let mut rec = wal.scan(len)?;
        if v3_ok {
            rec.db_id = Some(get_u64(&h, 24));
            rec.base = Some(TxId(get_u64(&h, 32)));
        }
        Ok((wal, rec))
    }

    /// Checks the frame at the start of `bytes` (numbered `frame`): header CRC, salt, frame
    /// number, hole, and the rebuilt page's checksum. Returns its header and length if valid.
    fn parse(&self, bytes: &[u8], frame: u64) -> Option<([u8; FRAME_HEADER_SIZE], usize)> {
        let ps = self.page_size as usize;
        let h = bytes.get(..FRAME_HEADER_SIZE)?;
        if get_u64(h, 16) != self.salt || get_u64(h, 8) != frame {
            return None;
        }
        let hole = hole_of(h, ps)?;
        let body_len = ps - hole.1;
        let body = bytes.get(FRAME_HEADER_SIZE..FRAME_HEADER_SIZE + body_len)?;
        let mut img = vec![0u8; ps];
        if !rebuild(body, hole, &mut img) {
            return None;
        }
        let id = PageId(get_u64(h, 0));
        if get_u32(h, 68) != frame_crc(h, page::stored_checksum(&img))
            || page::verify(id, &img).is_err()
        {
            return None;
        }
        let header = <[u8; FRAME_HEADER_SIZE]>::try_from(h).ok()?;
        Some((header, FRAME_HEADER_SIZE + body_len))
    }

    fn scan(&mut self, len: u64) -> Result<Recovered> {
        let mut window = Window::new(&*self.file, len);
        let mut frames = crate::ids::IdMap::default();
        let mut pending: Vec<(PageId, u64)> = Vec::new();
        let mut meta = None;
        let (mut committed_frames, mut committed_end) = (0u64, self.frames_start);
        let (mut frame, mut at) = (0u64, self.frames_start);
        let mut first_txn = None;
        let frame_max = FRAME_HEADER_SIZE + self.page_size as usize;
        loop {
            let bytes = window.get(at, frame_max)?;
            let Some((h, frame_len)) = self.parse(bytes, frame) else {
                break;
            };
            let id = PageId(get_u64(&h, 0));
            first_txn.get_or_insert(TxId(get_u64(&h, 24)));
            self.pages.insert(id);
            pending.push((id, at));
            if get_u32(&h, 56) & FLAG_COMMIT != 0 {
                for (id, off) in pending.drain(..) {
                    frames.insert(id, off);
                }
                meta = Some(Meta {
                    txn_id: TxId(get_u64(&h, 24)),
                    page_count: get_u64(&h, 32),
                    catalog_root: PageId(get_u64(&h, 40)),
                });
                committed_frames = frame + 1;
                committed_end = at + frame_len as u64;
            }
            frame += 1;
            at += frame_len as u64;
        }
        self.check_break_is_torn_tail(&mut window, frame, at, len)?;
        if let Some(m) = &meta
            && (m.page_count < crate::meta::FIRST_DATA_PAGE || m.catalog_root.0 >= m.page_count)
        {
            return Err(StorageError::WalCorrupted {
                frame: committed_frames.saturating_sub(1),
                reason: "commit frame carries impossible counters".into(),
            });
        }
        self.frame_count = committed_frames;
        self.end = committed_end;
        Ok(Recovered {
            frames,
            meta,
            discarded_frames: frame - committed_frames,
            db_id: None,
            base: None,
            first_txn,
        })
    }

    /// After the first invalid frame (number `b`, at byte `b_at`), looks for a `Full` commit
    /// by a transaction that started after it: that commit's sync made frame `b` durable, so
    /// `b` is damage, not a torn write. A broken frame's length is unknown, so every 8-byte
    /// aligned offset after it is tried (the salt check rejects almost all at once).
    fn check_break_is_torn_tail(
        &self,
        window: &mut Window<'_>,
        b: u64,
        b_at: u64,
        len: u64,
    ) -> Result<()> {
        let frame_max = FRAME_HEADER_SIZE + self.page_size as usize;
        let mut at = b_at + 8;
        while at + FRAME_HEADER_SIZE as u64 <= len {
            let bytes = window.get(at, frame_max)?;
            let Some(h) = bytes.get(..FRAME_HEADER_SIZE) else {
                break;
            };
            let flags = get_u32(h, 56);
            if get_u64(h, 16) == self.salt
                && flags & FLAG_COMMIT != 0
                && flags & FLAG_FULL != 0
                && get_u64(h, 48) > b
                && self.parse(bytes, get_u64(h, 8)).is_some()
            {
                return Err(StorageError::WalCorrupted {
                    frame: b,
                    reason: format!(
                        "frame is damaged but a later durable commit (frame {}) depends on it",
                        get_u64(h, 8)
                    ),
                });
            }
            at += 8;
        }
        Ok(())
    }
}

/// A sliding read window over the WAL for the sequential recovery scan.
struct Window<'a> {
    file: &'a dyn DbFile,
    len: u64,
    start: u64,
    buf: Vec<u8>,
}

impl<'a> Window<'a> {
    fn new(file: &'a dyn DbFile, len: u64) -> Window<'a> {
        Window {
            file,
            len,
            start: 0,
            buf: Vec::new(),
        }
    }

    /// Up to `want` bytes from `at` (fewer at the end of the file).
    fn get(&mut self, at: u64, want: usize) -> Result<&[u8]> {
        let have_end = self.start + self.buf.len() as u64;
        if at < self.start || at + want as u64 > have_end && have_end < self.len {
            let size = (RECOVERY_WINDOW_BYTES.max(want) as u64).min(self.len.saturating_sub(at));
            self.buf.resize(size as usize, 0);
            let n = self
                .file
                .read_at(&mut self.buf, at)
                .map_err(StorageError::io("reading the WAL"))?;
            self.buf.truncate(n);
            self.start = at;
        }
        let from = (at - self.start) as usize;
        let to = (from + want).min(self.buf.len());
        Ok(self.buf.get(from..to).unwrap_or(&[]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_found_and_pages_rebuild_exactly() {
        let mut img = vec![0u8; 4096];
        img[..40].fill(7);
        img[3000..].fill(9);
        let (start, len) = find_hole(&img);
        assert_eq!((start, len), (40, 2960));
        let mut body = img[..start].to_vec();
        body.extend_from_slice(&img[start + len..]);
        let mut out = vec![1u8; 4096];
        assert!(rebuild(&body, (start, len), &mut out));
        assert_eq!(out, img);
        let full = vec![3u8; 4096];
        assert_eq!(find_hole(&full), (0, 0));
    }

    /// The longest aligned zero run by the definition, a byte at a time.
    fn hole_by_bytes(img: &[u8]) -> (usize, usize) {
        let mut best = (0, 0);
        let mut start = PAGE_HEADER_SIZE;
        while start < img.len() {
            let mut end = start;
            while end + 8 <= img.len() && img[end..end + 8].iter().all(|&b| b == 0) {
                end += 8;
            }
            if end - start > best.1 {
                best = (start, end - start);
            }
            start = end.max(start + 8);
        }
        if best.1 < HOLE_MIN_BYTES {
            (0, 0)
        } else {
            best
        }
    }

    #[test]
    fn holes_are_the_longest_aligned_zero_runs() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..3_000 {
            let mut img = vec![0u8; 4096];
            // Random nonzero bytes and runs of them over a zeroed page: the longest run
            // lands anywhere (first, last, ties, none).
            for _ in 0..next() % 24 {
                let at = (next() % 4096) as usize;
                let len = (next() % if round % 3 == 0 { 2_000 } else { 40 }) as usize;
                let end = (at + len).min(4096);
                img[at..end].fill(((next() % 255) + 1) as u8);
            }
            assert_eq!(find_hole(&img), hole_by_bytes(&img), "round {round}");
        }
    }
}
