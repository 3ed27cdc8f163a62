//! `StorageError`: every way the storage layer can fail, as one enum.
//!
//! Bad input (bytes from disk, user keys and values, I/O failures) is an error value;
//! programmer mistakes are assertions. Messages name the page, frame or field at fault.

use std::io;
use std::path::PathBuf;

use crate::ids::PageId;

/// Result alias for the storage layer.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// An error from the storage engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The operating system refused an I/O operation (this includes a full disk).
    #[error("I/O error while {op}: {source}")]
    Io {
        /// What the engine was doing, e.g. "writing WAL frames".
        op: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A page failed validation: bad checksum, wrong type, impossible layout.
    #[error("page {page} is corrupted: {reason}")]
    Corrupted {
        /// The page at fault.
        page: PageId,
        /// What is wrong with it.
        reason: String,
    },
    /// The write-ahead log is damaged in a way recovery cannot safely discard.
    #[error("WAL frame {frame} is corrupted: {reason}")]
    WalCorrupted {
        /// Index of the frame at fault within the WAL.
        frame: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The file is not a pagegraph database (bad magic, impossible header).
    #[error("{path}: not a pagegraph database: {reason}")]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// The file was written by a format version this build does not read.
    #[error("unsupported file format version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        /// Version found in the header.
        found: u32,
        /// Version this build reads and writes.
        supported: u32,
    },
    /// The database was being written with `Durability::Off` and was not closed cleanly.
    #[error(
        "the database was written with durability=off and not closed cleanly, so it may be \
         inconsistent; rebuild it, or open it read-only with `Options::allow_unclean` \
         (CLI: --allow-unclean) to inspect and export what it holds"
    )]
    UncleanShutdown,
    /// Another process has the database open.
    #[error("{path}: the database is in use by another process")]
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// No database exists at the path, and the open was not one that creates.
    #[error("{path}: no such database")]
    NoDatabase {
        /// The path.
        path: PathBuf,
    },
    /// A file of the database could not be opened, created or resolved.
    #[error("{path}: {op}: {error}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What the engine was doing, e.g. "opening the WAL".
        op: &'static str,
        /// The underlying error (in the message, so not also a `source`).
        error: io::Error,
    },
    /// The WAL beside the database belongs to another database, or to an older state of
    /// this one; replaying it would replace committed data, so it is refused.
    #[error("{wal}: refusing to replay this WAL: {reason}; move it away to open the database")]
    ForeignWal {
        /// The WAL file.
        wal: PathBuf,
        /// Why it does not belong.
        reason: String,
    },
    /// The header says a WAL holds commits not yet copied into the file, and it is gone.
    #[error(
        "{path}: the database was not closed cleanly and its WAL {wal} is missing, so the \
         commits since its last checkpoint are not in the file; put the WAL back, or open \
         read-only with `Options::allow_unclean` (CLI: --allow-unclean) to read what the \
         file holds"
    )]
    WalMissing {
        /// The database.
        path: PathBuf,
        /// Where its WAL was.
        wal: PathBuf,
    },
    /// The database was opened read-only and a write was asked for.
    #[error("the database was opened read-only")]
    ReadOnly,
    /// Writing or syncing a commit failed after its commit record may have reached the
    /// disk: the commit may or may not have been made. Reopening runs recovery, which keeps
    /// it if it is complete on disk.
    #[error(
        "the commit may or may not have been made ({cause}); reopen the database to see: \
         recovery keeps it if it reached the disk"
    )]
    CommitOutcomeUnknown {
        /// The error that interrupted the commit (in the message, so not also a `source`).
        cause: Box<StorageError>,
    },
    /// A write transaction is already active and the caller asked not to wait.
    #[error("another write transaction is active")]
    WriterBusy,
    /// An earlier write failed part-way; the database refuses further writes until reopened,
    /// which runs recovery and restores the last committed state.
    #[error("an earlier write failed ({0}); reopen the database to recover")]
    Poisoned(String),
    /// This transaction hit an error part-way through a change and can only be dropped.
    #[error("the transaction failed earlier and must be dropped (nothing of it was committed)")]
    TransactionFailed,
    /// A size or count is beyond a named limit.
    #[error("{what} is {value}, over the limit of {limit}")]
    LimitExceeded {
        /// What was measured.
        what: &'static str,
        /// The value found.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// An argument is invalid (bad page size, empty tree name, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A tree's entry count in the catalog disagrees with the entries its pages hold: found
    /// by compaction, which copies every entry, and refused there (`check` reports it too).
    #[error("tree {tree}: the catalog counts {counted} entries but its pages hold {found}")]
    TreeCountMismatch {
        /// The tree.
        tree: String,
        /// Its entry count in the catalog.
        counted: u64,
        /// The entries read from its pages.
        found: u64,
    },
}

impl StorageError {
    /// Shorthand for [`StorageError::Corrupted`].
    pub(crate) fn corrupted(page: PageId, reason: impl Into<String>) -> Self {
        StorageError::Corrupted {
            page,
            reason: reason.into(),
        }
    }

    /// Wraps an error of a commit's last step: its outcome is unknown.
    pub(crate) fn outcome_unknown(source: StorageError) -> Self {
        match source {
            e @ StorageError::CommitOutcomeUnknown { .. } => e,
            e => StorageError::CommitOutcomeUnknown { cause: Box::new(e) },
        }
    }

    /// Wraps an I/O error with what the engine was doing.
    pub(crate) fn io(op: &'static str) -> impl FnOnce(io::Error) -> Self {
        move |source| StorageError::Io { op, source }
    }

    /// True if the message begins with the path of the file at fault, so a caller need
    /// not add it again.
    pub fn names_a_file(&self) -> bool {
        matches!(
            self,
            StorageError::NotADatabase { .. }
                | StorageError::Locked { .. }
                | StorageError::NoDatabase { .. }
                | StorageError::Open { .. }
                | StorageError::ForeignWal { .. }
                | StorageError::WalMissing { .. }
        )
    }

    /// True if this error means the bytes on disk are damaged.
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            StorageError::Corrupted { .. }
                | StorageError::WalCorrupted { .. }
                | StorageError::NotADatabase { .. }
                | StorageError::ForeignWal { .. }
        )
    }
}
