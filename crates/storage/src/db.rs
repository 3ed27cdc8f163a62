//! `Database`: open (with recovery), transactions, checkpoint, statistics, close.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::cache::{IdMap, PageCache};
use crate::check::{self, CheckReport};
use crate::error::{Result, StorageError};
use crate::file::{StdVfs, Vfs};
use crate::freelist::{Allocator, FIRST_DATA_PAGE, bitmap_page};
use crate::ids::{PageId, TxId};
use crate::limits::CACHE_PAGES_MIN;
use crate::meta::{self, Header, Meta, valid_page_size};
use crate::options::{Durability, Options};
use crate::page::{self, PageBuf};
use crate::pager::{SharedState, Store, WalIndex, Writer, write_runs};
use crate::pins::Pins;
use crate::txn::{ReadTxn, WriteTxn};
use crate::wal::Wal;

/// An open database. `Send + Sync`: share it between threads by reference or in an `Arc`.
pub struct Database {
    store: Arc<Store>,
    writer: Arc<Mutex<Writer>>,
    path: PathBuf,
    closed: bool,
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

/// The WAL's path for a database path: `<db>-wal`.
pub fn wal_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push("-wal");
    PathBuf::from(s)
}

fn create_file(db: &dyn crate::file::DbFile, page_size: u32) -> Result<Header> {
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
    };
    header.write(db)?;
    db.sync()
        .map_err(StorageError::io("syncing the database file"))?;
    Ok(header)
}

/// Copies the WAL's committed frames into the database file, syncs, writes the header and
/// syncs again (recovery.md invariants 4 and 5). Leaves the WAL as it is.
fn copy_frames(
    db: &dyn crate::file::DbFile,
    wal_file: &dyn crate::file::DbFile,
    page_size: u32,
    frames: &IdMap<u64>,
    header: &Header,
) -> Result<()> {
    let mut entries: Vec<(PageId, u64)> = frames.iter().map(|(p, f)| (*p, *f)).collect();
    entries.sort_unstable();
    for chunk in entries.chunks(256) {
        let mut pages: Vec<(PageId, PageBuf)> = Vec::with_capacity(chunk.len());
        for &(id, frame) in chunk {
            let mut buf = vec![0u8; page_size as usize];
            Wal::read_page_at(wal_file, page_size, frame, &mut buf)?;
            page::verify(id, &buf)?;
            pages.push((id, Arc::from(buf)));
        }
        write_runs(db, page_size, &pages)?;
    }
    db.sync()
        .map_err(StorageError::io("syncing the database file"))?;
    header.write(db)?;
    db.sync()
        .map_err(StorageError::io("syncing the database file"))
}

/// Checkpoint: copy the WAL into the file, then start a new WAL generation.
/// Runs with the writer lock held, so no frame is appended meanwhile.
pub(crate) fn checkpoint(store: &Store, w: &mut Writer) -> Result<()> {
    let Some(wal) = w.wal.as_mut() else {
        return Ok(());
    };
    if wal.frame_count() == 0 {
        return Ok(());
    }
    let frames = store.wal_index.read().map.clone();
    let meta = store.state.lock().meta;
    let header = Header {
        page_size: store.page_size,
        seq: w.header_seq + 1,
        meta,
        unclean: false,
    };
    copy_frames(&*store.db, &**wal.file(), store.page_size, &frames, &header)?;
    w.header_seq += 1;
    let mut index = store.wal_index.write();
    wal.reset()?;
    index.map.clear();
    Ok(())
}

impl Database {
    /// Opens the database at `path`, creating it if it does not exist, and recovers from
    /// the WAL if the last session did not close cleanly.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Database> {
        Self::open_with_vfs(Arc::new(StdVfs), path.as_ref(), options)
    }

    /// Like [`Database::open`], through a given file system (tests use `MemVfs`/`FaultVfs`).
    pub fn open_with_vfs(vfs: Arc<dyn Vfs>, path: &Path, options: Options) -> Result<Database> {
        if options.cache_pages < CACHE_PAGES_MIN {
            return Err(StorageError::InvalidArgument(format!(
                "cache_pages must be at least {CACHE_PAGES_MIN}, got {}",
                options.cache_pages
            )));
        }
        if !valid_page_size(options.page_size) {
            return Err(StorageError::InvalidArgument(format!(
                "page size must be a power of two from 4096 to 65536, got {}",
                options.page_size
            )));
        }
        let db = vfs.open(path, true).map_err(|e| {
            if e.kind() == std::io::ErrorKind::WouldBlock {
                StorageError::Locked {
                    path: path.to_path_buf(),
                }
            } else {
                StorageError::io("opening the database file")(e)
            }
        })?;
        let len = db
            .len()
            .map_err(StorageError::io("reading the database file"))?;
        let mut header = if len == 0 {
            create_file(&*db, options.page_size)?
        } else {
            meta::read_header(&*db, path)?
        };
        if header.unclean && !options.allow_unclean {
            return Err(StorageError::UncleanShutdown);
        }
        let page_size = header.page_size;
        let wal_path = wal_path(path);
        let mut wal = None;
        if options.durability != Durability::Off || vfs.exists(&wal_path) {
            let file = vfs
                .open(&wal_path, false)
                .map_err(StorageError::io("opening the WAL"))?;
            let (mut log, rec) = Wal::recover(file, page_size)?;
            if let Some(m) = rec.meta {
                header = Header {
                    page_size,
                    seq: header.seq + 1,
                    meta: m,
                    unclean: header.unclean,
                };
                copy_frames(&*db, &**log.file(), page_size, &rec.frames, &header)?;
            }
            if log.frame_count() > 0 || rec.discarded_frames > 0 {
                log.reset()?;
            }
            if options.durability == Durability::Off {
                drop(log);
                vfs.remove(&wal_path)
                    .map_err(StorageError::io("removing the WAL"))?;
            } else {
                wal = Some(log);
            }
        }
        let store = Arc::new(Store {
            vfs: Arc::clone(&vfs),
            path: path.to_path_buf(),
            page_size,
            db,
            wal_index: RwLock::new(WalIndex {
                map: IdMap::default(),
                file: wal.as_ref().map(|w| Arc::clone(w.file())),
            }),
            cache: PageCache::new(options.cache_pages),
            pinned_pages: Pins::slots_for(options.cache_pages),
            durability: options.durability,
            state: Mutex::new(SharedState {
                meta: header.meta,
                readers: std::collections::BTreeMap::new(),
                poisoned: None,
            }),
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
        let mut w = self.writer.lock();
        checkpoint(&self.store, &mut w).inspect_err(|e| self.store.poison(e))
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
        if w.wal.is_some() {
            checkpoint(&self.store, &mut w)?;
        } else if w.unclean_marked {
            let db = &*self.store.db;
            db.sync()
                .map_err(StorageError::io("syncing the database file"))?;
            w.header_seq += 1;
            let meta = self.store.state.lock().meta;
            Header {
                page_size: self.store.page_size,
                seq: w.header_seq,
                meta,
                unclean: false,
            }
            .write(db)?;
            db.sync()
                .map_err(StorageError::io("syncing the database file"))?;
            w.unclean_marked = false;
        }
        Ok(())
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
