//! `Database`: open (with recovery), transactions, checkpoint, statistics, close.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::btree::{self, pins::Pins};
use crate::cache::PageCache;
use crate::check::{self, CheckReport};
use crate::checkpoint;
use crate::error::{Result, StorageError};
use crate::file::{Create, Lock, OpenMode, StdVfs, Vfs};
use crate::freelist::{Allocator, bitmap_page};
use crate::ids::{PageId, TxId};
use crate::limits::{CACHE_PAGES_MAX, CACHE_PAGES_MIN};
use crate::meta::{self, FIRST_DATA_PAGE, Header, Meta, valid_page_size};
use crate::options::Options;
use crate::page;
use crate::pager::{SharedState, Store, WalIndex, Writer};
use crate::recovery;
use crate::txn::{ReadTxn, WriteTxn};
use crate::wal::{Wal, wal_path};

/// An open database. `Send + Sync`: share it between threads by reference or in an `Arc`.
pub struct Database {
    pub(crate) store: Arc<Store>,
    pub(crate) writer: Arc<Mutex<Writer>>,
    pub(crate) path: PathBuf,
    /// Set once the session has ended (closed, or replaced by compaction): `Drop` then does
    /// nothing more.
    pub(crate) closed: bool,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Numbers describing an open database.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Bytes per page.
    pub page_size: u32,
    /// Pages in the database, free ones included.
    pub page_count: u64,
    /// Pages free for reuse (including those waiting for old readers).
    pub free_pages: u64,
    /// Size of the database file in bytes.
    pub file_size_bytes: u64,
    /// Frames in the WAL.
    pub wal_frames: u64,
    /// Size of the WAL in bytes.
    pub wal_size_bytes: u64,
    /// Page cache hits since open.
    pub cache_hits: u64,
    /// Page cache misses since open.
    pub cache_misses: u64,
    /// Pages in the cache now.
    pub cache_pages: usize,
    /// The last committed transaction.
    pub last_txn: TxId,
}

/// Writes the first pages of a new database (region 0's bitmap, then the header) and syncs.
fn create_file(db: &dyn crate::file::DbFile, page_size: u32, db_id: u64) -> Result<()> {
    let meta = Meta {
        txn_id: TxId(0),
        page_count: FIRST_DATA_PAGE,
        catalog_root: PageId::NONE,
    };
    let mut bitmap = vec![0u8; page_size as usize];
    Allocator::new_empty(page_size).encode_region(0, &mut bitmap);
    page::seal(&mut bitmap);
    let io = StorageError::io("creating the database file");
    db.write_at(&bitmap, bitmap_page(page_size, 0).0 * u64::from(page_size))
        .map_err(io)?;
    let header = Header {
        page_size,
        seq: 1,
        meta,
        unclean: false,
        db_id,
        wal: None,
        version: meta::FORMAT_VERSION,
    };
    header.write_durable(db)
}

/// A fresh database id: random and never 0 (0 marks a format-1 file, which had none).
fn new_db_id() -> u64 {
    crate::file::random_u64().max(1)
}

/// Creates a new database at `path` so that it appears complete or not at all: it is built
/// under a scratch name, synced, given its name (never replacing a file that appeared
/// meanwhile) and the directory synced. Returns the new file, locked, or `None` if another
/// creator won the name (then open what it made).
fn create_database(
    vfs: &dyn Vfs,
    path: &Path,
    page_size: u32,
) -> Result<Option<Arc<dyn crate::file::DbFile>>> {
    let open_err = |op| {
        move |error| StorageError::Open {
            path: path.to_path_buf(),
            op,
            error,
        }
    };
    let (tmp, file) = create_scratch(vfs, path, page_size)?;
    let made = match vfs.rename_new(&tmp, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(open_err("naming the new database file")(e)),
    };
    match made {
        Ok(true) => {
            vfs.sync_dir(path)
                .map_err(open_err("syncing the database's directory"))?;
            Ok(Some(file))
        }
        Ok(false) => {
            let _ = vfs.remove(&tmp);
            Ok(None)
        }
        Err(e) => {
            let _ = vfs.remove(&tmp);
            Err(e)
        }
    }
}

/// An empty database, synced, under a new scratch name beside `path`
/// (`<path>.creating-<random>`), created exclusively and locked: nobody else can open it,
/// and a creator that dies leaves it unlocked, so the next creation removes it. Scratch
/// files of earlier creators that died are removed first. Returns the scratch path and the
/// locked file; on error nothing is left behind.
pub(crate) fn create_scratch(
    vfs: &dyn Vfs,
    path: &Path,
    page_size: u32,
) -> Result<(PathBuf, Arc<dyn crate::file::DbFile>)> {
    let open_err = |op| {
        move |error| StorageError::Open {
            path: path.to_path_buf(),
            op,
            error,
        }
    };
    let prefix = scratch_path_prefix(path);
    // Scratch files of creations that were cut short: a live creator holds its lock. Only
    // names of the scratch form: another file that merely starts like one is not ours.
    let ours = |p: &PathBuf| {
        p.as_os_str()
            .as_encoded_bytes()
            .strip_prefix(prefix.as_os_str().as_encoded_bytes())
            .is_some_and(|rest| rest.len() == 16 && rest.iter().all(u8::is_ascii_hexdigit))
    };
    let listed = vfs.list_prefix(&prefix).unwrap_or_default();
    for stale in listed.into_iter().filter(ours) {
        if let Ok(f) = vfs.open(
            &stale,
            OpenMode {
                write: true,
                create: Create::No,
                lock: Lock::Exclusive,
            },
        ) {
            let _ = vfs.remove(&stale);
            drop(f);
        }
    }
    let tmp = crate::file::scratch_path(path, CREATING_TAG);
    let file = vfs
        .open(
            &tmp,
            OpenMode {
                write: true,
                create: Create::New,
                lock: Lock::Exclusive,
            },
        )
        .map_err(open_err("creating the database file"))?;
    match create_file(&*file, page_size, new_db_id()) {
        Ok(()) => Ok((tmp, file)),
        Err(e) => {
            let _ = vfs.remove(&tmp);
            Err(e)
        }
    }
}

/// The name under which a database is built before it gets its own: `<db>.creating-`.
const CREATING_TAG: &str = ".creating-";

fn scratch_path_prefix(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(CREATING_TAG);
    PathBuf::from(s)
}

/// Opens the database file itself: read-only with a shared lock, or read-write with an
/// exclusive one, creating it (atomically) if asked and missing.
fn open_db_file(
    vfs: &dyn Vfs,
    path: &Path,
    options: &Options,
) -> Result<Arc<dyn crate::file::DbFile>> {
    let mode = OpenMode {
        write: !options.read_only,
        create: Create::No,
        lock: if options.read_only {
            Lock::Shared
        } else {
            Lock::Exclusive
        },
    };
    for _ in 0..3 {
        match vfs.open(path, mode) {
            Ok(f) => return Ok(f),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return Err(StorageError::Locked {
                    path: path.to_path_buf(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if options.read_only || !options.create {
                    return Err(StorageError::NoDatabase {
                        path: path.to_path_buf(),
                    });
                }
                if let Some(f) = create_database(vfs, path, options.page_size)? {
                    return Ok(f);
                }
            }
            Err(error) => {
                return Err(StorageError::Open {
                    path: path.to_path_buf(),
                    op: "opening the database file",
                    error,
                });
            }
        }
    }
    Err(StorageError::NoDatabase {
        path: path.to_path_buf(),
    })
}

/// The clean end of a WAL session: checkpoint, then a header that names no live WAL, then
/// the WAL removed (recovery.md, "Closing"). A crash at any step leaves a state the next
/// open recovers: the WAL is removed only once the header no longer needs it.
fn close_wal(store: &Store, w: &mut Writer) -> Result<()> {
    checkpoint::run(store, w)?;
    if w.wal_marked {
        w.header_seq += 1;
        let meta = store.state.lock().meta;
        let db = &*store.db;
        store
            .header(w.header_seq, meta, false, false)
            .write_durable(db)?;
        w.wal_marked = false;
    }
    store.wal_index.write().file = None;
    w.wal = None;
    store
        .vfs
        .remove(&store.wal_path)
        .map_err(StorageError::io("removing the WAL"))?;
    store
        .vfs
        .sync_dir(&store.wal_path)
        .map_err(StorageError::io("syncing the database's directory"))
}

/// Leaves the file complete and clean on its own, as a clean close does: with a WAL, a
/// checkpoint, a header naming no WAL, the WAL removed; with `Durability::Off`, a sync and
/// a clean header. Nothing to do for a read-only handle.
pub(crate) fn end_session(store: &Store, w: &mut Writer) -> Result<()> {
    if store.read_only {
        return Ok(());
    }
    if w.wal.is_some() {
        close_wal(store, w)?;
    } else if w.unclean_marked {
        let db = &*store.db;
        db.sync()
            .map_err(StorageError::io("syncing the database file"))?;
        w.header_seq += 1;
        let meta = store.state.lock().meta;
        store
            .header(w.header_seq, meta, false, false)
            .write_durable(db)?;
        w.unclean_marked = false;
    }
    Ok(())
}

impl Database {
    /// Opens the database at `path`, creating it if it does not exist, and recovers from
    /// the WAL if the last session did not close cleanly.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Database> {
        Self::open_with_vfs(Arc::new(StdVfs), path.as_ref(), options)
    }

    /// Like [`Database::open`], through a given file system (tests use `MemVfs`/`FaultVfs`).
    /// Errors name the database by the path given, even where it was reached by a link.
    pub fn open_with_vfs(vfs: Arc<dyn Vfs>, path: &Path, options: Options) -> Result<Database> {
        let given = path;
        Self::open_resolved(vfs, path, options).map_err(|e| match e {
            StorageError::NoDatabase { .. } => StorageError::NoDatabase {
                path: given.to_path_buf(),
            },
            StorageError::Locked { .. } => StorageError::Locked {
                path: given.to_path_buf(),
            },
            StorageError::NotADatabase { reason, .. } => StorageError::NotADatabase {
                path: given.to_path_buf(),
                reason,
            },
            StorageError::WalMissing { wal, .. } => StorageError::WalMissing {
                path: given.to_path_buf(),
                wal,
            },
            e => e,
        })
    }

    fn open_resolved(vfs: Arc<dyn Vfs>, path: &Path, options: Options) -> Result<Database> {
        if !(CACHE_PAGES_MIN..=CACHE_PAGES_MAX).contains(&options.cache_pages) {
            return Err(StorageError::InvalidArgument(format!(
                "cache_pages must be from {CACHE_PAGES_MIN} to {CACHE_PAGES_MAX}, got {}",
                options.cache_pages
            )));
        }
        if !valid_page_size(options.page_size) {
            return Err(StorageError::InvalidArgument(format!(
                "page size must be a power of two from 4096 to 65536, got {}",
                options.page_size
            )));
        }
        // One file, one name: whatever link the path goes through, the WAL is the one
        // beside the real file (recovery.md, "Which WAL").
        let path = vfs.canonical(path).map_err(|error| {
            if error.kind() == std::io::ErrorKind::NotFound
                && (options.read_only || !options.create)
            {
                StorageError::NoDatabase {
                    path: path.to_path_buf(),
                }
            } else {
                StorageError::Open {
                    path: path.to_path_buf(),
                    op: "resolving the database path",
                    error,
                }
            }
        })?;
        let path = path.as_path();
        let db = open_db_file(&*vfs, path, &options)?;
        Self::open_file(vfs, db, path, &options)
    }

    /// Opens the database in `db`, a file already opened (and locked) as `options` ask, at
    /// the resolved `path`: reads the header and recovers from the WAL.
    pub(crate) fn open_file(
        vfs: Arc<dyn Vfs>,
        db: Arc<dyn crate::file::DbFile>,
        path: &Path,
        options: &Options,
    ) -> Result<Database> {
        let writable = !options.read_only;
        let len = db
            .len()
            .map_err(StorageError::io("reading the database file"))?;
        if len == 0 {
            return Err(StorageError::NotADatabase {
                path: path.to_path_buf(),
                reason: "empty file".into(),
            });
        }
        let mut header = meta::read_header(&*db, path)?;
        if header.unclean && !options.allow_unclean {
            return Err(StorageError::UncleanShutdown);
        }
        if writable && header.db_id == 0 {
            // A format-1 file: it gets its identity now, written below (the upgrade).
            header.db_id = new_db_id();
        }
        let page_size = header.page_size;
        let derived = wal_path(path);
        let (wal, wal_frames) = recovery::recover(&*vfs, &db, path, &mut header, options)?;
        if writable && header.version < meta::FORMAT_VERSION {
            header.seq += 1;
            header.version = meta::FORMAT_VERSION;
            header.wal = None;
            header.write_durable(&*db)?;
        }
        let wal_file = wal_frames.as_ref().map(|(f, _)| Arc::clone(f));
        if writable {
            // This handle is the only writer: sort files nobody holds are a dead one's.
            crate::sorter::remove_stale_sorts(&*vfs, path);
        }
        let store = Arc::new(Store {
            vfs: Arc::clone(&vfs),
            path: path.to_path_buf(),
            wal_path: derived,
            db_id: header.db_id,
            read_only: !writable,
            page_size,
            db,
            wal_index: RwLock::new(WalIndex {
                map: wal_frames.map(|(_, m)| m).unwrap_or_default(),
                file: wal.as_ref().map(|w| Arc::clone(w.file())).or(wal_file),
            }),
            cache: PageCache::new(options.cache_pages),
            pinned_pages: Pins::slots_for(options.cache_pages),
            durability: options.durability,
            state: Mutex::new(SharedState {
                meta: header.meta,
                readers: std::collections::BTreeMap::new(),
                poisoned: None,
            }),
            kinds: btree::PAGE_KINDS,
        });
        let alloc = Allocator::load(page_size, header.meta.page_count, |id| store.load(id))?;
        let mut writer = Writer::new(
            alloc,
            wal,
            options.cache_pages,
            header.seq,
            options.wal_auto_checkpoint_frames.max(1),
        );
        writer.unclean_marked = header.unclean;
        // A header still naming a WAL (its own, after recovery) is cleared at close.
        writer.wal_marked = header.wal.is_some() && writable;
        Ok(Database {
            store,
            writer: Arc::new(Mutex::new(writer)),
            path: path.to_path_buf(),
            closed: false,
        })
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Page size in bytes.
    pub fn page_size(&self) -> u32 {
        self.store.page_size
    }

    /// Starts a snapshot read transaction.
    pub fn begin_read(&self) -> Result<ReadTxn> {
        Ok(ReadTxn::new(Arc::clone(&self.store)))
    }

    /// Starts the write transaction, waiting for the current one to finish.
    pub fn begin_write(&self) -> Result<WriteTxn> {
        WriteTxn::new(Arc::clone(&self.store), self.writer.lock_arc())
    }

    /// Starts the write transaction, or fails with [`StorageError::WriterBusy`] at once.
    pub fn try_begin_write(&self) -> Result<WriteTxn> {
        let guard = self.writer.try_lock_arc().ok_or(StorageError::WriterBusy)?;
        WriteTxn::new(Arc::clone(&self.store), guard)
    }

    /// Copies the WAL into the database file and empties it. Waits for the writer.
    pub fn checkpoint(&self) -> Result<()> {
        if self.store.read_only {
            return Ok(());
        }
        let mut w = self.writer.lock();
        checkpoint::run(&self.store, &mut w).inspect_err(|e| self.store.poison(e))
    }

    /// Walks every page and reports each problem found; see [`CheckReport`].
    /// Waits for the writer, so the state checked is the last committed one.
    pub fn check(&self) -> Result<CheckReport> {
        let w = self.writer.lock();
        Ok(check::run(&self.store, &w))
    }

    /// Counts and sizes.
    pub fn stats(&self) -> Result<Stats> {
        let w = self.writer.lock();
        let (hits, misses) = self.store.cache.hit_miss();
        Ok(Stats {
            page_size: self.store.page_size,
            page_count: w.alloc.page_count(),
            free_pages: w.alloc.free_page_count(),
            file_size_bytes: self
                .store
                .db
                .len()
                .map_err(StorageError::io("reading the database file size"))?,
            wal_frames: w.wal.as_ref().map_or(0, Wal::frame_count),
            wal_size_bytes: w.wal.as_ref().map_or(0, Wal::size_bytes),
            cache_hits: hits,
            cache_misses: misses,
            cache_pages: self.store.cache.len(),
            last_txn: self.store.state.lock().meta.txn_id,
        })
    }

    fn close_inner(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        let mut w = self.writer.lock();
        if self.store.state.lock().poisoned.is_some() {
            // Leave the WAL for recovery at the next open.
            return Ok(());
        }
        end_session(&self.store, &mut w)
    }

    /// Checkpoints (or, with `Durability::Off`, syncs and marks the file clean) and closes.
    /// Dropping a `Database` does the same but cannot report errors.
    pub fn close(mut self) -> Result<()> {
        self.close_inner()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = self.close_inner();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::file::MemVfs;
    use crate::page::PageType;

    /// A closed database at `/w.pgdb` and its id, then a WAL beside it holding one commit
    /// frame for page `page` that claims `page_count` pages: every checksum valid.
    fn with_crafted_frame(page: u64, page_count: u64) -> (MemVfs, Result<Database>) {
        let mem = MemVfs::new();
        let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
        let path = Path::new("/w.pgdb");
        let db = Database::open_with_vfs(Arc::clone(&vfs), path, Options::default()).unwrap();
        let (db_id, txn) = (db.store.db_id, db.store.state.lock().meta.txn_id);
        db.close().unwrap();
        let file = vfs.open(&wal_path(path), OpenMode::READ_WRITE).unwrap();
        let mut wal = Wal::create(file, 4096, db_id, txn).unwrap();
        let mut img = vec![0u8; 4096];
        page::init(&mut img, PageId(page), PageType::Overflow);
        page::seal(&mut img);
        let meta = Meta {
            txn_id: txn.next(),
            page_count,
            catalog_root: PageId::NONE,
        };
        wal.append(txn.next(), &[(PageId(page), &img[..])], Some((meta, true)))
            .unwrap();
        wal.sync().unwrap();
        drop(wal);
        let opened = Database::open_with_vfs(vfs, path, Options::default());
        (mem, opened)
    }

    #[test]
    fn a_crafted_wal_frame_far_beyond_the_file_is_refused_before_any_write() {
        // Page 10^9 (a 3.7 TiB sparse file once), and 2^52 + 5 (which wrapped onto page 5
        // when multiplied by the page size).
        for (page, count) in [
            (1_000_000_000, 1_000_000_001),
            ((1 << 52) + 5, (1 << 52) + 6),
            (1_000_000_000, 10),
        ] {
            let (mem, opened) = with_crafted_frame(page, count);
            let err = opened.unwrap_err();
            assert!(
                matches!(err, StorageError::WalCorrupted { .. }),
                "page {page}: {err}"
            );
            let len = mem.read_file(Path::new("/w.pgdb")).unwrap().len();
            assert!(len <= 4096 * 8, "page {page}: the file grew to {len} bytes");
        }
    }

    #[test]
    fn a_wal_frame_inside_the_first_region_is_replayed() {
        // The control: the same crafting with a plausible page is accepted, so the test
        // above fails for the bound it targets and not for the crafting.
        let (_mem, opened) = with_crafted_frame(20, 21);
        let db = opened.unwrap();
        assert_eq!(db.store.state.lock().meta.page_count, 21);
    }
}
