//! How an import reports progress: a small trait the caller implements (a terminal bar, a
//! log, a Python callback), called from the import's threads.

use std::path::Path;

/// Receives an import's progress. Every method has a default that does nothing, so an
/// implementation overrides only what it shows. Calls come from the import's threads (the
/// bytes read from the parsing thread), so implementations are `Send + Sync` and should be
/// cheap: [`Progress::read`] is called for every block read.
pub trait Progress: Send + Sync {
    /// An input file is opened: `what` it holds (`"nodes"` or `"edges"`) and its size on
    /// disk in bytes (compressed size for `.gz`).
    fn file_started(&self, path: &Path, what: &str, size_bytes: u64) {
        let _ = (path, what, size_bytes);
    }

    /// Bytes of the current file read so far (from disk: compressed bytes for `.gz`).
    fn read(&self, bytes: u64) {
        let _ = bytes;
    }

    /// A bad line was skipped (with `skip_bad`): the first [`crate::SKIPPED_REPORTED`]
    /// are reported one by one, the rest only counted in the summary.
    fn skipped(&self, path: &Path, line: u64, reason: &str) {
        let _ = (path, line, reason);
    }

    /// The import has ended (called before the summary is returned).
    fn finished(&self) {}
}

/// Progress that is not shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
