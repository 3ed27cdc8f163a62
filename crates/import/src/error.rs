//! `ImportError`: every way an import can fail. Bad input names its `file:line`; errors of
//! the layers below are wrapped, not flattened, so a caller can tell a storage failure
//! from bad input.

use std::path::PathBuf;

use pagegraph::GraphError;
use pagegraph::storage::StorageError;

/// Result alias for the import layer.
pub type Result<T, E = ImportError> = std::result::Result<T, E>;

/// An error of an import.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A line (or CSV record) of an input file is bad, and bad lines stop the import
    /// (they are skipped and counted with `skip_bad`, unless the fault is in the file as
    /// a whole, such as its header or an unclosed quote).
    #[error("{}:{line}: {reason}", file.display())]
    Line {
        /// The input file.
        file: PathBuf,
        /// The line (1-based) at fault.
        line: u64,
        /// What is wrong there.
        reason: String,
    },
    /// An input file cannot be used at all (it does not exist, is a directory, is empty
    /// where a header is needed, ...).
    #[error("{}: {reason}", file.display())]
    File {
        /// The input file.
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or creating a file failed; `context` says which and where.
    #[error("{context}")]
    Io {
        /// The file and what was being done with it.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The options cannot work (nothing to import, a batch of 0 lines, an id property
    /// that is not a data field, ...).
    #[error("{0}")]
    Options(String),
    /// The graph refused a write or a read failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The storage engine failed (the id map's spill file).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// An error of the layers below, with where the import was when it happened (the batch
    /// being written, the line being merged).
    #[error("{context}")]
    Context {
        /// Where the import was.
        context: String,
        /// What went wrong there.
        #[source]
        source: Box<ImportError>,
    },
}

impl ImportError {
    /// A bad line of `file`.
    pub(crate) fn line(file: impl Into<PathBuf>, line: u64, reason: impl Into<String>) -> Self {
        ImportError::Line {
            file: file.into(),
            line,
            reason: reason.into(),
        }
    }

    /// A file that cannot be used.
    pub(crate) fn file(file: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        ImportError::File {
            file: file.into(),
            reason: reason.into(),
        }
    }

    /// The storage error under this one, if the failure was the storage engine's (through
    /// the graph layer or directly): then the database, not the input, is at fault.
    pub fn storage_error(&self) -> Option<&StorageError> {
        match self {
            ImportError::Storage(e) | ImportError::Graph(GraphError::Storage(e)) => Some(e),
            ImportError::Context { source, .. } => source.storage_error(),
            _ => None,
        }
    }

    /// Where the input is at fault, as `(file, line)`, for a bad line.
    pub fn location(&self) -> Option<(&std::path::Path, u64)> {
        match self {
            ImportError::Line { file, line, .. } => Some((file, *line)),
            ImportError::Context { source, .. } => source.location(),
            _ => None,
        }
    }
}

/// Adds where the import was to an error of the layers below.
pub(crate) trait Context<T> {
    /// The error, if any, inside an [`ImportError::Context`] saying `context()`.
    fn context_with(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<ImportError>> Context<T> for std::result::Result<T, E> {
    fn context_with(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| ImportError::Context {
            context: context(),
            source: Box::new(e.into()),
        })
    }
}
