//! The pager: where a page image comes from and where it goes.
//!
//! ```text
//!  readers ──► cache ──miss──► WAL index ──hit──► WAL frame ──┐
//!                                  └─miss──► database file ───┴─► verify ─► cache
//!  writer  ──► dirty set ─► spilled set (WAL or file) ─► committed path above
//! ```
//!
//! Committed pages are shared by all readers through [`Store::read_committed`]. The write
//! transaction's pages live apart in [`Writer::dirty`] (bounded by `dirty_max`); when it
//! overflows, the least recently touched are *spilled*: sealed and appended to the WAL as
//! frames with no commit marker (in `Durability::Off`, written to their own place in the
//! file), and remembered in [`Writer::spilled`] so they can be read back. Pages that may be
//! written in place and sit idle are also *written behind* on a helper thread
//! ([`PageWriter::maybe_write_behind`], `behind.rs`): they stay in the dirty set, unchanged,
//! and are recorded as spilled to the file, so commit has nothing left to write for them.
//!
//! Why this is safe, by construction (see `docs/recovery.md`):
//! - Pages change copy-on-write: a page a committed snapshot can reach is never written
//!   again until no reader can reach it (`freelist` invariant 2). So the latest image of a
//!   page is the only one any live reader needs, and one shared cache and one WAL index
//!   serve every snapshot.
//! - A dirty page leaves memory only by being written where it can be read back, and its
//!   location is recorded before the in-memory copy is dropped (invariant 3 of recovery.md).
//!   No structure can point at a page that cannot be read back.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::behind::WriteBehind;
use crate::cache::PageCache;
use crate::error::{Result, StorageError};
use crate::file::DbFile;
use crate::freelist::Allocator;
use crate::ids::{IdMap, PageId, TxId};
use crate::meta::{Header, Meta};
use crate::options::Durability;
use crate::page::{self, PageBuf, PageType, Pages, write_runs};
use crate::wal::Wal;

/// What the layer that owns the structured page kinds (the B+Tree's leaves and branches)
/// adds to sealing and loading a page. The pager sits below that layer, so it is handed
/// these as plain functions when the database is opened (`btree::PAGE_KINDS`) and never
/// names a B+Tree type itself.
#[derive(Clone, Copy)]
pub(crate) struct PageKinds {
    /// Readies a page image for sealing: a node page's free gap is zeroed, so no stale
    /// bytes reach the disk and equal contents give equal images.
    pub before_seal: fn(&mut [u8]),
    /// The structural check of a page whose checksum verified, given its type: a page that
    /// passes can be walked without bounds surprises (recovery.md invariant 1).
    pub validate: fn(PageId, PageType, &[u8]) -> Result<()>,
}

/// Where a spilled page of the open transaction is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Location {
    /// In the WAL frame at this byte offset.
    Wal(u64),
    /// At its own place in the database file (`Durability::Off`).
    File,
}

/// The committed frames of the WAL, for readers.
pub(crate) struct WalIndex {
    /// Byte offset of the latest committed frame of each page in the WAL.
    pub map: IdMap<u64>,
    /// The WAL file (`None` in `Durability::Off`).
    pub file: Option<Arc<dyn DbFile>>,
}

/// State shared by every transaction, guarded by one mutex.
pub(crate) struct SharedState {
    /// The last committed meta: what a new reader sees.
    pub meta: Meta,
    /// Live readers by snapshot id, with counts.
    pub readers: BTreeMap<TxId, usize>,
    /// Set when a write failed part-way; writers are refused until reopen.
    pub poisoned: Option<String>,
}

impl SharedState {
    /// Snapshot of the oldest live reader.
    pub fn oldest_reader(&self) -> Option<TxId> {
        self.readers.keys().next().copied()
    }
}

/// Everything about an open database that readers share.
pub(crate) struct Store {
    pub vfs: Arc<dyn crate::file::Vfs>,
    /// The database file's resolved path (no symbolic link in it).
    pub path: std::path::PathBuf,
    /// The WAL this session writes: the resolved path plus `-wal`.
    pub wal_path: std::path::PathBuf,
    /// The database's identity, written in its header and in its WAL's.
    pub db_id: u64,
    /// Opened read-only: no writer, no checkpoint, nothing written.
    pub read_only: bool,
    pub page_size: u32,
    pub db: Arc<dyn DbFile>,
    pub wal_index: RwLock<WalIndex>,
    pub cache: PageCache,
    /// Branch pages each read snapshot may pin (see `btree::pins`).
    pub pinned_pages: usize,
    pub durability: Durability,
    pub state: Mutex<SharedState>,
    /// The page-kind hooks of the layer above (see [`PageKinds`]).
    pub kinds: PageKinds,
}

impl Store {
    /// Seals a page that is about to be written, readied by its kind first (a node page's
    /// free gap is zeroed). Only a page that would pass the checks of a read leaves memory
    /// (recovery.md invariant 1): checked here in debug builds.
    pub fn seal_for_write(&self, buf: &mut [u8]) {
        (self.kinds.before_seal)(buf);
        page::seal(buf);
        debug_assert!(
            self.validate_loaded(page::page_id(buf), buf).is_ok(),
            "sealing an invalid page {:?}",
            page::page_id(buf)
        );
    }

    /// Verifies a page just read from disk, then checks its structure by its kind.
    fn validate_loaded(&self, id: PageId, buf: &[u8]) -> Result<()> {
        let ty = page::verify(id, buf)?;
        (self.kinds.validate)(id, ty, buf)
    }

    /// A header of this database with sequence number `seq` for the committed `meta`;
    /// `wal_live` records this session's WAL in it (see `meta`).
    pub fn header(&self, seq: u64, meta: Meta, unclean: bool, wal_live: bool) -> Header {
        Header {
            page_size: self.page_size,
            seq,
            meta,
            unclean,
            db_id: self.db_id,
            wal: wal_live.then(|| self.wal_path.clone()),
            version: crate::meta::FORMAT_VERSION,
        }
    }

    /// A committed page, from the cache or from disk (verified, then cached).
    pub fn read_committed(&self, id: PageId) -> Result<PageBuf> {
        if let Some(buf) = self.cache.get(id) {
            return Ok(buf);
        }
        let buf = self.load(id)?;
        self.cache.insert(id, Arc::clone(&buf));
        Ok(buf)
    }

    /// Reads and verifies a committed page without caching it.
    pub fn load(&self, id: PageId) -> Result<PageBuf> {
        let mut page = page::zeroed(self.page_size as usize);
        let buf = Arc::make_mut(&mut page);
        {
            // Held across the read so a checkpoint cannot reset the WAL under us.
            let index = self.wal_index.read();
            match (index.map.get(&id), &index.file) {
                (Some(&frame), Some(file)) => {
                    Wal::read_page_at(&**file, self.page_size, frame, buf)?;
                }
                _ => self.read_from_file(id, buf)?,
            }
        }
        self.validate_loaded(id, buf)?;
        Ok(page)
    }

    /// Reads pages that a reader is about to need, in as few reads as possible: runs of
    /// consecutive ids become one read. Only for pages reachable in the caller's snapshot
    /// (so the file or WAL image is the one it will read anyway). Pages that have a WAL frame
    /// are left to the normal path, and so is anything that fails to verify: errors surface
    /// when the page is actually read, never here.
    pub fn prefetch(&self, ids: &[PageId]) {
        const RUN_PAGES_MAX: usize = 64;
        // Pages a few apart are read in the same run (the gap is read and ignored): one
        // larger read beats several small ones.
        const GAP_PAGES_MAX: u64 = 8;
        let index = self.wal_index.read();
        let mut want: Vec<PageId> = ids
            .iter()
            .copied()
            .filter(|id| !index.map.contains_key(id) && !self.cache.contains(*id))
            .collect();
        want.sort_unstable();
        want.dedup();
        let ps = self.page_size as usize;
        let mut i = 0;
        while i < want.len() {
            let first = want[i];
            let mut j = i + 1;
            while j < want.len()
                && want[j].0 - want[j - 1].0 <= GAP_PAGES_MAX
                && want[j].0 - first.0 < RUN_PAGES_MAX as u64
            {
                j += 1;
            }
            let span = (want[j - 1].0 - first.0 + 1) as usize;
            // Ids beyond any file are left to the normal read, which reports them.
            let Some(offset) = first.0.checked_mul(u64::from(self.page_size)) else {
                i = j;
                continue;
            };
            let mut run = vec![0u8; span * ps];
            let read = self.db.read_at(&mut run, offset);
            if read.ok() == Some(run.len()) {
                for &id in &want[i..j] {
                    let at = (id.0 - first.0) as usize * ps;
                    let chunk = &run[at..at + ps];
                    if self.validate_loaded(id, chunk).is_ok() {
                        self.cache.insert(id, Arc::from(chunk));
                    }
                }
            }
            i = j;
        }
    }

    /// Reads page `id` from its place in the database file.
    pub fn read_from_file(&self, id: PageId, buf: &mut [u8]) -> Result<()> {
        // A crafted id can lie beyond any file: an error, not an overflow.
        let off = id.0.checked_mul(u64::from(self.page_size)).ok_or_else(|| {
            StorageError::corrupted(id, "page lies beyond the end of the database file")
        })?;
        let n = self
            .db
            .read_at(buf, off)
            .map_err(StorageError::io("reading a page"))?;
        if n < buf.len() {
            return Err(StorageError::corrupted(
                id,
                "page lies beyond the end of the database file",
            ));
        }
        Ok(())
    }

    /// Refuses writers from now on (after a failed write), keeping the first reason.
    pub fn poison(&self, err: &StorageError) {
        let mut st = self.state.lock();
        if st.poisoned.is_none() {
            st.poisoned = Some(err.to_string());
        }
    }
}

/// A page of the open write transaction held in memory.
pub(crate) struct Dirty {
    pub buf: PageBuf,
    /// Changed since it was last written out (a reloaded spilled page is not).
    pub modified: bool,
    touched: u64,
}

impl Dirty {
    /// A changed page image, to be written at commit.
    pub fn new(buf: PageBuf) -> Dirty {
        Dirty {
            buf,
            modified: true,
            touched: 0,
        }
    }
}

/// The writer's state: one per database, behind the writer lock.
pub(crate) struct Writer {
    pub alloc: Allocator,
    pub wal: Option<Wal>,
    pub dirty: IdMap<Dirty>,
    pub spilled: IdMap<Location>,
    clock: u64,
    pub dirty_max: usize,
    /// Sequence number of the newest header written to the file.
    pub header_seq: u64,
    /// `Durability::Off`: the header has been marked unclean since the last clean point.
    pub unclean_marked: bool,
    /// WAL modes: the header records this session's WAL as live (set before the first
    /// commit, cleared by a clean close).
    pub wal_marked: bool,
    pub wal_auto_checkpoint_frames: u64,
    /// The open transaction wrote pages straight to the database file (WAL mode); the file
    /// must be synced before its commit frame is written (recovery.md invariant 3).
    pub direct_written: bool,
    /// Writes pages of the open transaction to the file on a helper thread.
    pub behind: WriteBehind,
    /// Pages changed since the last write-behind pass.
    fresh: usize,
}

impl Writer {
    pub fn new(
        alloc: Allocator,
        wal: Option<Wal>,
        dirty_max: usize,
        header_seq: u64,
        auto: u64,
    ) -> Self {
        Writer {
            alloc,
            wal,
            dirty: IdMap::default(),
            spilled: IdMap::default(),
            clock: 0,
            dirty_max,
            header_seq,
            unclean_marked: false,
            wal_marked: false,
            direct_written: false,
            wal_auto_checkpoint_frames: auto,
            behind: WriteBehind::default(),
            fresh: 0,
        }
    }

    /// The pages written behind and unchanged since (in the file once `behind` is drained),
    /// with their images.
    pub fn written_behind(&self) -> Pages {
        self.dirty
            .iter()
            .filter(|(id, d)| !d.modified && self.spilled.contains_key(id))
            .map(|(id, d)| (*id, Arc::clone(&d.buf)))
            .collect()
    }

    /// Forgets the open transaction's pages (after commit or abort).
    pub fn clear_txn(&mut self) {
        debug_assert!(!self.behind.pending(), "pages still being written behind");
        self.direct_written = false;
        self.fresh = 0;
        self.dirty.clear();
        self.spilled.clear();
    }
}

/// Reads a page as the open write transaction sees it.
pub(crate) fn writer_page(store: &Store, w: &Writer, id: PageId) -> Result<PageBuf> {
    if let Some(d) = w.dirty.get(&id) {
        return Ok(Arc::clone(&d.buf));
    }
    match w.spilled.get(&id) {
        Some(&loc) => read_spilled(store, w, id, loc),
        None => store.read_committed(id),
    }
}

/// Reads a page the open transaction spilled: from the shared cache if its image is still
/// there (see `maybe_spill`), else from where it was written.
fn read_spilled(store: &Store, w: &Writer, id: PageId, loc: Location) -> Result<PageBuf> {
    if let Some(buf) = store.cache.get(id) {
        return Ok(buf);
    }
    load_spilled(store, w, id, loc)
}

/// Reads a spilled page from where it was written, verified.
fn load_spilled(store: &Store, w: &Writer, id: PageId, loc: Location) -> Result<PageBuf> {
    let mut page = page::zeroed(store.page_size as usize);
    let buf = Arc::make_mut(&mut page);
    if let (Location::Wal(frame), Some(wal)) = (loc, &w.wal) {
        Wal::read_page_at(&**wal.file(), store.page_size, frame, buf)?;
    } else {
        // A page written behind may still be on its way to the file.
        w.behind.drain().inspect_err(|e| store.poison(e))?;
        store.read_from_file(id, buf)?;
    }
    store.validate_loaded(id, buf)?;
    Ok(page)
}

/// The write transaction's page operations: read, change in place, allocate, copy on
/// write, free, spill.
pub(crate) struct PageWriter<'a> {
    pub store: &'a Store,
    pub w: &'a mut Writer,
    pub txn: TxId,
}

impl PageWriter<'_> {
    /// The page size in bytes.
    pub fn page_size(&self) -> usize {
        self.store.page_size as usize
    }

    /// Reads a page as this transaction sees it.
    pub fn page(&self, id: PageId) -> Result<PageBuf> {
        writer_page(self.store, self.w, id)
    }

    /// Mutable access to a page this transaction owns.
    pub fn page_mut(&mut self, id: PageId) -> Result<&mut [u8]> {
        debug_assert!(
            self.w.alloc.is_owned(id) || crate::freelist::is_fixed_page(self.store.page_size, id),
            "writing page {id} that the transaction does not own"
        );
        self.w.clock += 1;
        let clock = self.w.clock;
        if !self.w.dirty.contains_key(&id) {
            let buf = match self.w.spilled.get(&id) {
                // Take the cached image rather than share it: it is about to change, and a
                // unique `Arc` is changed in place instead of copied.
                Some(&loc) => match self.store.cache.take(id) {
                    Some(buf) => buf,
                    None => load_spilled(self.store, self.w, id, loc)?,
                },
                // Only the in-place bitmap pages have no copy of their own here.
                None if crate::freelist::is_fixed_page(self.store.page_size, id) => {
                    self.store.load(id)?
                }
                None => {
                    return Err(StorageError::corrupted(
                        id,
                        "page of the open transaction is neither dirty nor spilled",
                    ));
                }
            };
            self.w.dirty.insert(
                id,
                Dirty {
                    buf,
                    modified: false,
                    touched: clock,
                },
            );
        }
        let Some(d) = self.w.dirty.get_mut(&id) else {
            return Err(StorageError::corrupted(id, "dirty page vanished"));
        };
        if !d.modified {
            self.w.fresh += 1;
        }
        d.modified = true;
        d.touched = clock;
        Ok(Arc::make_mut(&mut d.buf))
    }

    /// Allocates a page, formatted by `init`, owned by this transaction.
    pub fn new_page(&mut self, init: impl FnOnce(&mut [u8], PageId)) -> Result<PageId> {
        let id = self.w.alloc.allocate()?;
        let mut buf = page::zeroed(self.page_size());
        if let Some(b) = Arc::get_mut(&mut buf) {
            init(b, id);
        }
        self.add_new(id, buf);
        Ok(id)
    }

    /// Records `buf` as the image of `id`, a page this transaction just allocated.
    fn add_new(&mut self, id: PageId, buf: PageBuf) {
        self.w.clock += 1;
        self.w.fresh += 1;
        self.w.spilled.remove(&id);
        self.w.dirty.insert(
            id,
            Dirty {
                buf,
                modified: true,
                touched: self.w.clock,
            },
        );
    }

    /// Frees a page: at once if this transaction made it, else once no reader can see it.
    pub fn free(&mut self, id: PageId) {
        self.w.dirty.remove(&id);
        if self.w.spilled.remove(&id).is_some() {
            self.store.cache.remove(id);
        }
        self.w.alloc.free(id);
    }

    /// Makes `id` writable: returns it if owned, else copies it to a new page, frees the
    /// old one (deferred) and returns the copy. The caller repoints the parent.
    pub fn cow(&mut self, id: PageId) -> Result<PageId> {
        if self.w.alloc.is_owned(id) {
            return Ok(id);
        }
        let old = self.page(id)?;
        let new = self.w.alloc.allocate()?;
        // One allocation and one copy: a zeroed page overwritten whole would write it twice.
        let mut buf: PageBuf = Arc::from(&old[..]);
        if let Some(b) = Arc::get_mut(&mut buf) {
            page::put_u64(b, 8, new.0);
        }
        self.add_new(new, buf);
        self.free(id);
        Ok(new)
    }

    /// If the dirty set is over its bound, writes out the least recently touched eighth;
    /// then hands idle changed pages to the write-behind helper if it is time
    /// ([`PageWriter::maybe_write_behind`]). Called between tree operations, never in the
    /// middle of one.
    pub fn maybe_spill(&mut self) -> Result<()> {
        if self.w.dirty.len() > self.w.dirty_max {
            self.spill()?;
        }
        self.maybe_write_behind()
    }

    /// Writes out the least recently touched eighth of the dirty set.
    fn spill(&mut self) -> Result<()> {
        let mut by_age: Vec<(u64, PageId)> = self
            .w
            .dirty
            .iter()
            .map(|(id, d)| (d.touched, *id))
            .collect();
        by_age.sort_unstable();
        // Spill an eighth at a time: the dirty set stays nearly full, so fewer pages are
        // reloaded than with larger batches.
        let keep = self.w.dirty_max - self.w.dirty_max / 8;
        let mut victims: Vec<PageId> = by_age[..by_age.len() - keep]
            .iter()
            .map(|&(_, id)| id)
            .collect();
        victims.sort_unstable();
        let mut out: Vec<(PageId, PageBuf)> = Vec::with_capacity(victims.len());
        for id in victims {
            match self.w.dirty.remove(&id) {
                Some(mut d) if d.modified => {
                    self.store.seal_for_write(Arc::make_mut(&mut d.buf));
                    out.push((id, d.buf));
                }
                // Written behind and unchanged since: it is in the file already (or on its
                // way there); keep its image in the cache as for the pages spilled below.
                Some(d) if self.w.spilled.contains_key(&id) => {
                    self.store.cache.insert(id, d.buf);
                }
                _ => {}
            }
        }
        // Frames are only ever appended, never rewritten: a rewrite lost in a power cut
        // would leave an older frame that is still valid (recovery.md invariant 2).
        let (direct, fresh) = self.split_direct(out);
        self.write_direct(&direct)?;
        let locations = self.write_out(&fresh, None)?;
        for ((id, _), loc) in fresh.iter().zip(locations) {
            self.w.spilled.insert(*id, loc);
        }
        // Keep the spilled images in the shared cache too, so a reload is usually a memory
        // hit. Safe by construction: a page this transaction owns is free in every live
        // snapshot, so no reader can reach its id; the writer consults the cache for an owned
        // page only through `read_spilled`, after its own maps; and commit replaces or drops
        // the entry of every page it wrote.
        for (id, buf) in direct.into_iter().chain(fresh) {
            self.store.cache.insert(id, buf);
        }
        Ok(())
    }

    /// True if page `id` may be written straight to its place in the database file in WAL
    /// mode: this transaction allocated it (so it is free in every committed state) and no
    /// frame of the current WAL generation holds it, committed or not (so neither recovery,
    /// which replays every frame before the last commit, nor a checkpoint will copy an older
    /// image over it).
    fn direct_ok(&self, id: PageId) -> bool {
        self.w.alloc.is_owned(id) && self.w.wal.as_ref().is_some_and(|wal| !wal.has_page(id))
    }

    /// Splits sealed pages into those that may be written straight to the file and the rest.
    pub fn split_direct(&self, pages: Pages) -> (Pages, Pages) {
        if self.w.wal.is_none() {
            return (Vec::new(), pages);
        }
        pages.into_iter().partition(|(id, _)| self.direct_ok(*id))
    }

    /// Writes pages straight to their places in the file and records them as spilled there.
    pub fn write_direct(&mut self, pages: &[(PageId, PageBuf)]) -> Result<()> {
        if pages.is_empty() {
            return Ok(());
        }
        // A page written behind earlier may have changed since: its older image must land
        // first.
        self.w
            .behind
            .drain()
            .inspect_err(|e| self.store.poison(e))?;
        self.before_direct_write()?;
        write_runs(&*self.store.db, self.store.page_size, pages)
            .inspect_err(|e| self.store.poison(e))?;
        for (id, _) in pages {
            self.w.spilled.insert(*id, Location::File);
        }
        Ok(())
    }

    /// Called before the transaction first writes a page straight to the file.
    fn before_direct_write(&mut self) -> Result<()> {
        if !self.w.direct_written
            && self.store.durability == Durability::Normal
            && let Some(wal) = self.w.wal.as_ref()
        {
            // Invariant 3: a page is written in place only if it is free in the *durable*
            // state. In Normal mode earlier commits may not be durable yet (a page one of them
            // freed is still reachable in the state a power cut would recover), so make them
            // durable first. Full mode commits are durable already.
            wal.sync().inspect_err(|e| self.store.poison(e))?;
        }
        self.w.direct_written = true;
        Ok(())
    }

    /// Past [`WRITE_BEHIND_EVERY`] pages changed since the last pass (or half the dirty
    /// bound, if less), hands every changed page not touched for half that many page
    /// changes to the write-behind helper, if it may be written in place. Such a page stays
    /// dirty but unchanged, recorded as spilled to the file: commit has nothing left to write
    /// for it unless it changes again. A bulk load's finished leaves go this way, written
    /// while the load goes on; a page still being filled, or a branch on the insert path,
    /// is touched too often to go.
    pub fn maybe_write_behind(&mut self) -> Result<()> {
        let every = WRITE_BEHIND_EVERY.min(self.w.dirty_max / 2).max(1);
        if self.w.fresh < every || self.w.wal.is_none() {
            return Ok(());
        }
        self.w.fresh = 0;
        let idle_before = self.w.clock.saturating_sub(every as u64 / 2);
        let mut ids: Vec<PageId> = self
            .w
            .dirty
            .iter()
            .filter(|(_, d)| d.modified && d.touched < idle_before)
            .map(|(id, _)| *id)
            .filter(|&id| self.direct_ok(id))
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        ids.sort_unstable();
        self.before_direct_write()?;
        let mut pages: Pages = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(d) = self.w.dirty.get_mut(&id) {
                self.store.seal_for_write(Arc::make_mut(&mut d.buf));
                d.modified = false;
                pages.push((id, Arc::clone(&d.buf)));
                self.w.spilled.insert(id, Location::File);
            }
        }
        self.w
            .behind
            .write(&self.store.db, self.store.page_size, pages)
            .inspect_err(|e| self.store.poison(e))
    }

    /// Writes sealed pages to the WAL (as frames; the last one a commit frame if `commit`)
    /// or, with no WAL, to their places in the file. Returns where each went.
    pub fn write_out(
        &mut self,
        pages: &[(PageId, PageBuf)],
        commit: Option<Meta>,
    ) -> Result<Vec<Location>> {
        if pages.is_empty() {
            return Ok(Vec::new());
        }
        let full = self.store.durability == Durability::Full;
        if let Some(wal) = self.w.wal.as_mut() {
            let refs: Vec<(PageId, &[u8])> = pages.iter().map(|(id, b)| (*id, &b[..])).collect();
            let offsets = wal
                .append(self.txn, &refs, commit.map(|m| (m, full)))
                .inspect_err(|e| self.store.poison(e))?;
            return Ok(offsets.into_iter().map(Location::Wal).collect());
        }
        write_runs(&*self.store.db, self.store.page_size, pages)
            .inspect_err(|e| self.store.poison(e))?;
        Ok(vec![Location::File; pages.len()])
    }
}

/// Changed pages between two write-behind passes, at most (see
/// [`PageWriter::maybe_write_behind`]).
const WRITE_BEHIND_EVERY: usize = 8192;
