//! How a database is opened: durability mode, cache size, page size.

use crate::limits::{CACHE_PAGES_DEFAULT, PAGE_SIZE_DEFAULT, WAL_AUTO_CHECKPOINT_FRAMES_DEFAULT};

/// When a commit is durable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is `fdatasync`ed to the WAL before `commit` returns: it survives a
    /// power cut.
    #[default]
    Full,
    /// Commits are written to the WAL but synced only at checkpoints: a commit survives a
    /// process crash, and a power cut loses at most the commits since the last checkpoint.
    Normal,
    /// No WAL: pages are written straight to the database file and synced at close. For bulk
    /// loads. A crash leaves the file marked unclean, and the next open refuses it with
    /// [`StorageError::UncleanShutdown`](crate::StorageError::UncleanShutdown).
    Off,
}

/// Options for [`Database::open`](crate::Database::open).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// Capacity of the shared page cache, in pages (at least 16). A write transaction may
    /// hold as many dirty pages again before it spills the oldest to the WAL, so the page
    /// buffers in memory stay under `2 * cache_pages` plus the few in use by callers, plus
    /// the branch pages each live read snapshot pins (at most `cache_pages / 8` and at most
    /// 512 each).
    pub cache_pages: usize,
    /// Commit durability; see [`Durability`].
    pub durability: Durability,
    /// Page size for a new database (a power of two from 4096 to 65536). An existing
    /// database keeps the page size it was created with.
    pub page_size: u32,
    /// WAL length, in frames, past which a commit checkpoints automatically.
    pub wal_auto_checkpoint_frames: u64,
    /// Open a database that was not closed cleanly in `Durability::Off` mode anyway, or
    /// whose live WAL is missing, to inspect or check it (use it with `read_only`). Its
    /// contents may be inconsistent.
    pub allow_unclean: bool,
    /// Open read-only: nothing is ever written or created, not even the WAL; a WAL left
    /// by a crash is replayed in memory. Takes a shared lock, so any number of read-only
    /// handles (in any process) may open the database while no writer has it. Needs no
    /// write permission on the file or its directory.
    pub read_only: bool,
    /// Create the database if no file exists at the path (read-write opens only). When
    /// false, a missing database is [`StorageError::NoDatabase`](crate::StorageError::NoDatabase).
    pub create: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cache_pages: CACHE_PAGES_DEFAULT,
            durability: Durability::Full,
            page_size: PAGE_SIZE_DEFAULT,
            wal_auto_checkpoint_frames: WAL_AUTO_CHECKPOINT_FRAMES_DEFAULT,
            allow_unclean: false,
            read_only: false,
            create: true,
        }
    }
}

impl Options {
    /// Sets [`Options::cache_pages`].
    #[must_use]
    pub fn cache_pages(mut self, pages: usize) -> Self {
        self.cache_pages = pages;
        self
    }

    /// Sets [`Options::durability`].
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Sets [`Options::page_size`].
    #[must_use]
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Sets [`Options::wal_auto_checkpoint_frames`].
    #[must_use]
    pub fn wal_auto_checkpoint_frames(mut self, frames: u64) -> Self {
        self.wal_auto_checkpoint_frames = frames;
        self
    }

    /// Sets [`Options::read_only`].
    #[must_use]
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Sets [`Options::create`].
    #[must_use]
    pub fn create(mut self, create: bool) -> Self {
        self.create = create;
        self
    }

    /// Sets [`Options::allow_unclean`].
    #[must_use]
    pub fn allow_unclean(mut self, allow: bool) -> Self {
        self.allow_unclean = allow;
        self
    }
}
