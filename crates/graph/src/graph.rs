//! `Graph`: opening a database, transactions, check, statistics.

use std::path::Path;
use std::sync::Arc;

use pagegraph_storage::file::MemVfs;
use pagegraph_storage::{
    CheckReport, CompactStats, Database, Durability, Problem, Stats, TreePages,
};

use crate::error::{GraphError, Result};
use crate::read::ReadTxn;
use crate::record::GRAPH_FORMAT;
use crate::strings::StringCache;
use crate::write::WriteTxn;

/// How a graph database is opened. Build it with struct update syntax:
/// `Options { cache_pages: 16, ..Default::default() }`.
#[derive(Clone, Debug)]
pub struct Options {
    /// Page cache capacity, in pages (at least 16); see the storage engine's `Options`.
    pub cache_pages: usize,
    /// When a commit is durable; `Durability::Full` by default.
    pub durability: Durability,
    /// Page size for a new database: a power of two from 4096 to 65536.
    pub page_size: u32,
    /// Open read-only: nothing is written or created, a crash's WAL is replayed in memory,
    /// and any number of read-only handles (in any process) may share the database while
    /// no writer has it. Write transactions fail with `StorageError::ReadOnly`.
    pub read_only: bool,
    /// Open a database anyway that was not closed cleanly with `Durability::Off`, or whose
    /// live WAL is missing, to inspect and export what it holds (use with `read_only`).
    pub allow_unclean: bool,
    /// Create the database if the path holds no file (read-write opens; true by default).
    pub create: bool,
}

impl Default for Options {
    fn default() -> Self {
        let s = pagegraph_storage::Options::default();
        Options {
            cache_pages: s.cache_pages,
            durability: s.durability,
            page_size: s.page_size,
            read_only: s.read_only,
            allow_unclean: s.allow_unclean,
            create: s.create,
        }
    }
}

impl Options {
    fn storage(&self) -> pagegraph_storage::Options {
        pagegraph_storage::Options::default()
            .cache_pages(self.cache_pages)
            .durability(self.durability)
            .page_size(self.page_size)
            .read_only(self.read_only)
            .allow_unclean(self.allow_unclean)
            .create(self.create)
    }
}

/// An open graph database. `Send + Sync`: share it by reference or in an `Arc`.
#[derive(Debug)]
pub struct Graph {
    db: Database,
    strings: StringCache,
    /// The graph's format keeps degree trees (see `degrees.rs`): set by the format check.
    degrees: bool,
}

impl Graph {
    /// Opens (or creates) the graph at `path`, with the WAL on and `Durability::Full`.
    pub fn open(path: impl AsRef<Path>) -> Result<Graph> {
        Self::open_with(path, Options::default())
    }

    /// Opens (or creates) the graph at `path` with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<Graph> {
        Graph {
            db: Database::open(path, options.storage())?,
            strings: StringCache::default(),
            degrees: false,
        }
        .with_format(&options)
    }

    /// Checks the graph format: a newer one is refused (`UnsupportedFormat`); an older one
    /// is upgraded in place by a read-write open, and read as it is by a read-only one.
    /// Every upgrade but the last writes only the version: every format 1 record reads the
    /// same in format 2, format 2's adjacency keys (one pair each, no value) are format 3
    /// chunks of one pair, and format 3's edge records (one per key) are format 4 chunks of
    /// one edge (`compact` repacks both); format 5's self-loop counts are counted from the
    /// edge records, in the same transaction as the version; format 6 only adds temporal
    /// values, which no earlier format holds; format 7 writes binary objects beside the
    /// JSON text earlier formats wrote, which it reads as they did; format 8's degree trees
    /// are counted from the adjacency's chunks; format 9's index delta trees start empty
    /// (format 8 has none), and so do format 10's adjacency delta trees (format 9 has
    /// none). A read-only open of a format before 8 reads degrees from the chunks.
    fn with_format(mut self, options: &Options) -> Result<Graph> {
        let found = {
            let r = self.begin_read()?;
            r.graph_format()?
        };
        if found > GRAPH_FORMAT {
            return Err(GraphError::UnsupportedFormat {
                found,
                supported: GRAPH_FORMAT,
            });
        }
        if found < GRAPH_FORMAT && !options.read_only {
            let mut w = self.begin_write()?;
            if found < crate::record::SELF_LOOP_COUNTS_SINCE {
                w.count_self_loops()?;
            }
            if found < crate::record::DEGREES_SINCE {
                w.count_degrees()?;
            }
            w.set_graph_format()?;
            w.commit()?;
        }
        self.degrees = found >= crate::record::DEGREES_SINCE || !options.read_only;
        Ok(self)
    }

    /// Opens (or creates) the graph at `path` through a given file system: an in-memory
    /// one (`storage::file::MemVfs`) for tests and fuzzing, or a fault-injecting one.
    pub fn open_with_vfs(
        vfs: Arc<dyn pagegraph_storage::file::Vfs>,
        path: impl AsRef<Path>,
        options: Options,
    ) -> Result<Graph> {
        Graph {
            db: Database::open_with_vfs(vfs, path.as_ref(), options.storage())?,
            strings: StringCache::default(),
            degrees: false,
        }
        .with_format(&options)
    }

    /// A graph held in memory only, gone when dropped.
    pub fn in_memory() -> Result<Graph> {
        let options = Options {
            durability: Durability::Normal,
            ..Options::default()
        };
        Graph {
            db: Database::open_with_vfs(
                Arc::new(MemVfs::new()),
                Path::new("/in-memory.pgdb"),
                options.storage(),
            )?,
            strings: StringCache::default(),
            degrees: false,
        }
        .with_format(&options)
    }

    /// Starts the write transaction, waiting for the current one to finish.
    pub fn begin_write(&self) -> Result<WriteTxn> {
        WriteTxn::new(self.db.begin_write()?)
    }

    /// Starts a snapshot read transaction.
    pub fn begin_read(&self) -> Result<ReadTxn> {
        ReadTxn::new(self.db.begin_read()?, self.strings.clone(), self.degrees)
    }

    /// The storage integrity check plus the graph's own invariants (every edge's endpoints
    /// exist and its adjacency entries are present, indexes and counts agree with records).
    pub fn check(&self) -> Result<CheckReport> {
        let mut report = self.db.check()?;
        if report.is_clean() {
            let r = self.begin_read()?;
            for message in r.graph_problems()? {
                report.problems.push(Problem {
                    page: None,
                    message,
                });
            }
        }
        Ok(report)
    }

    /// Pages by use: each tree's branch, leaf and overflow pages. Walks every page of the
    /// last committed state (as the storage check does), so it costs a full read.
    pub fn page_usage(&self) -> Result<Vec<TreePages>> {
        Ok(self.db.check()?.tree_pages)
    }

    /// Copies the WAL into the database file.
    pub fn checkpoint(&self) -> Result<()> {
        Ok(self.db.checkpoint()?)
    }

    /// Storage statistics: pages, file and WAL sizes, cache hit rate.
    pub fn stats(&self) -> Result<Stats> {
        Ok(self.db.stats()?)
    }

    /// Rewrites the database into a fresh file with no free pages and puts it in this
    /// file's place atomically; see [`Graph::compact_with`].
    pub fn compact(self) -> Result<CompactStats> {
        self.compact_with(&mut |_, _| {})
    }

    /// Rewrites the database into a fresh file with no free pages (every tree copied in key
    /// order: records, adjacency, label and name indexes, the string table, counters, the
    /// index catalog and every property index), so that a file grown by large batches or
    /// deletes shrinks to its live size; then puts it in this file's place in one atomic
    /// rename. Every node and edge keeps its id and content; the id counters are kept, so
    /// new ids continue where they were. Calls `progress(entries_copied, entries_total)`
    /// as it goes. Before the copy, each node's adjacency of one type is repacked into as
    /// few chunks as it fits ([`WriteTxn::repack_adjacency`]), and so are the records of
    /// edges without data ([`WriteTxn::repack_edges`]).
    ///
    /// Consumes the graph: open it again to go on. No writer can run meanwhile, and other
    /// processes cannot open the database (this handle holds it exclusively); a crash or
    /// an error before the rename leaves the database as it was. Read-only graphs are
    /// refused (`StorageError::ReadOnly`); a graph from [`Graph::in_memory`] has no file
    /// to reopen, so compacting it only discards it. See `Database::compact_with` in the
    /// storage engine.
    pub fn compact_with(self, progress: &mut dyn FnMut(u64, u64)) -> Result<CompactStats> {
        // Adjacency and edge records first packed into as few chunks as each run needs
        // (one pair or edge per key of older formats, chunks split by inserts or thinned
        // by deletes), in its own transaction: a crash after it leaves a valid, repacked
        // database.
        let mut w = self.begin_write()?;
        if w.repack_adjacency()? + w.repack_edges()? > 0 {
            w.commit()?;
        } else {
            w.abort();
        }
        Ok(self.db.compact_with(progress)?)
    }

    /// Checkpoints and closes, reporting any error (dropping does the same silently).
    pub fn close(self) -> Result<()> {
        Ok(self.db.close()?)
    }
}
