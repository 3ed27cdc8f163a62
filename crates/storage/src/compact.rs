//! Compaction: the database rewritten into a fresh file that holds only live pages, and
//! put in the old file's place in one atomic rename (recovery.md, invariant 9).
//!
//! ```text
//!  hold the writer ─► old session ─► scratch file ─► copy every tree ─► new file ─► rename,
//!  (no other writer;  ended as by    (created as a   of the last        synced,     directory
//!   other processes   a clean close  new database,   committed state,   clean       synced
//!   are locked out)   (WAL removed)  locked)         in key order)      header
//! ```
//!
//! Until the rename the database's name holds the old file, whole and closed cleanly: a
//! crash before it leaves the old database, with nothing to recover, and an unlocked scratch
//! file that the next creation or compaction removes. After it the name holds the new file,
//! complete and synced, with no WAL beside it. The new file gets a new database id, so a WAL
//! of the old one could never be replayed into it (recovery.md, "A WAL is bound to its
//! database"); none is left anyway.

use std::path::Path;
use std::sync::Arc;

use crate::db::{Database, create_scratch, end_session};
use crate::error::{Result, StorageError};
use crate::file::{DbFile, Vfs};
use crate::limits::{CACHE_PAGES_MAX, CACHE_PAGES_MIN};
use crate::options::{Durability, Options};
use crate::pager::Store;
use crate::txn::ReadTxn;
use crate::wal::Wal;

/// Entries handed to one `Batch::insert_all` call at most; progress is reported after each.
const CHUNK_ENTRIES_MAX: usize = 16_384;
/// Bytes of keys and values gathered for one `Batch::insert_all` call at most.
const CHUNK_BYTES_MAX: usize = 8 << 20;

/// What a compaction found and made: see [`Database::compact`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompactStats {
    /// Trees copied (the catalog's entries).
    pub trees: u64,
    /// Entries copied, over all trees.
    pub entries: u64,
    /// Pages of the old database, free ones included.
    pub page_count_before: u64,
    /// Free pages of the old database.
    pub free_pages_before: u64,
    /// Size of the old database file in bytes (before its WAL was checkpointed).
    pub file_size_before_bytes: u64,
    /// Size of the old WAL in bytes.
    pub wal_size_before_bytes: u64,
    /// Pages of the new database, free ones included.
    pub page_count_after: u64,
    /// Free pages of the new database.
    pub free_pages_after: u64,
    /// Size of the new database file in bytes (it has no WAL).
    pub file_size_after_bytes: u64,
}

impl Database {
    /// Rewrites the database into a fresh file with no free pages and puts it in this
    /// file's place atomically; see [`Database::compact_with`].
    pub fn compact(self) -> Result<CompactStats> {
        self.compact_with(&mut |_, _| {})
    }

    /// Rewrites the database into a fresh file and puts it in this file's place atomically,
    /// calling `progress(entries_copied, entries_total)` as it goes. Every tree of the last
    /// committed state (WAL included) is copied in key order, so every key and value is
    /// kept and the leaves come out full; the new file has no free pages, the same page
    /// size, and a new database id. Consumes the handle: open the database again to use it.
    ///
    /// The writer is held throughout, so no commit is lost or half-copied; other processes
    /// cannot open the database meanwhile (this handle's exclusive lock: their opens fail
    /// with `Locked`, read-only ones too), and snapshots already open on this handle keep
    /// reading the old file. The session first ends as a clean close does (checkpoint, WAL
    /// removed), so if anything fails, or the process dies, before the final rename, the
    /// database is the old one, unchanged and with nothing to recover. Other hard links to
    /// the file keep naming the old file.
    ///
    /// Errors: `ReadOnly` for a read-only handle, `Poisoned` after an earlier failed write,
    /// `TreeCountMismatch` if a tree's pages disagree with the catalog, I/O errors (a full
    /// disk: the new file needs about the live size again).
    pub fn compact_with(mut self, progress: &mut dyn FnMut(u64, u64)) -> Result<CompactStats> {
        if self.store.read_only {
            return Err(StorageError::ReadOnly);
        }
        let writer = Arc::clone(&self.writer);
        let mut w = writer.lock();
        if let Some(reason) = &self.store.state.lock().poisoned {
            return Err(StorageError::Poisoned(reason.clone()));
        }
        let mut stats = CompactStats {
            page_count_before: w.alloc.page_count(),
            free_pages_before: w.alloc.free_page_count(),
            file_size_before_bytes: self
                .store
                .db
                .len()
                .map_err(StorageError::io("reading the database file size"))?,
            wal_size_before_bytes: w.wal.as_ref().map_or(0, Wal::size_bytes),
            ..CompactStats::default()
        };
        let cache_pages = w.dirty_max.clamp(CACHE_PAGES_MIN, CACHE_PAGES_MAX);
        // First the old session ends as a clean close does (checkpoint, a header naming no
        // WAL, the WAL removed): from here to the rename the file is complete on its own,
        // so a crash leaves nothing to recover, and no WAL is left beside the name that is
        // about to hold the new file. Reads then come from the file.
        if let Err(e) = end_session(&self.store, &mut w) {
            self.store.poison(&e);
            return Err(e);
        }
        let vfs = Arc::clone(&self.store.vfs);
        let (scratch, file) = create_scratch(&*vfs, &self.path, self.store.page_size)?;
        let new = match copy_into(
            &self.store,
            Arc::clone(&vfs),
            file,
            &scratch,
            cache_pages,
            &mut stats,
            progress,
        ) {
            Ok(new) => new,
            Err(e) => {
                let _ = vfs.remove(&scratch);
                return Err(e);
            }
        };
        self.closed = true;
        let path = self.path.clone();
        let open_err = |op| {
            let path = path.clone();
            move |error| StorageError::Open { path, op, error }
        };
        if let Err(e) = vfs.rename_replace(&scratch, &path) {
            let _ = vfs.remove(&scratch);
            return Err(open_err("replacing the database with its compacted copy")(
                e,
            ));
        }
        vfs.sync_dir(&path)
            .map_err(open_err("syncing the database's directory"))?;
        drop(new);
        Ok(stats)
    }
}

/// Builds the compacted copy in the scratch file `file` (at `scratch`): every tree of the
/// last committed snapshot of `old`, in one transaction of a `Durability::Off` session, then
/// that session ended cleanly (file synced, header clean). Returns the new database, still
/// holding the scratch file's lock.
fn copy_into(
    old: &Arc<Store>,
    vfs: Arc<dyn Vfs>,
    file: Arc<dyn DbFile>,
    scratch: &Path,
    cache_pages: usize,
    stats: &mut CompactStats,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Database> {
    let options = Options::default()
        .page_size(old.page_size)
        .durability(Durability::Off)
        .cache_pages(cache_pages);
    let mut new = Database::open_file(vfs, file, scratch, &options)?;
    let snapshot = ReadTxn::new(Arc::clone(old));
    let trees = snapshot.trees()?;
    let total: u64 = trees.iter().map(|(_, n)| n).sum();
    let mut tx = new.begin_write()?;
    let mut done = 0;
    progress(0, total);
    for (name, counted) in &trees {
        let mut dst = tx.tree(name)?;
        let mut batch = dst.batch()?;
        let mut found = 0;
        let mut chunk = Vec::new();
        let mut chunk_bytes = 0;
        if let Some(src) = snapshot.tree(name)? {
            for entry in &src {
                let (key, value) = entry?;
                chunk_bytes += key.len() + value.len();
                chunk.push((key, value));
                if chunk.len() >= CHUNK_ENTRIES_MAX || chunk_bytes >= CHUNK_BYTES_MAX {
                    found += batch.insert_all(chunk.drain(..))?;
                    chunk_bytes = 0;
                    progress(done + found, total);
                }
            }
        }
        found += batch.insert_all(chunk.drain(..))?;
        if found != *counted {
            return Err(StorageError::TreeCountMismatch {
                tree: name.clone(),
                counted: *counted,
                found,
            });
        }
        done += found;
        stats.trees += 1;
        progress(done, total);
    }
    stats.entries = done;
    tx.commit()?;
    drop(snapshot);
    {
        let mut w = new.writer.lock();
        stats.page_count_after = w.alloc.page_count();
        stats.free_pages_after = w.alloc.free_page_count();
        end_session(&new.store, &mut w)?;
    }
    new.closed = true;
    stats.file_size_after_bytes = new
        .store
        .db
        .len()
        .map_err(StorageError::io("reading the database file size"))?;
    Ok(new)
}
