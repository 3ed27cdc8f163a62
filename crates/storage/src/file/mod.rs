//! The file layer: every byte the engine reads or writes goes through [`DbFile`], and every
//! file is opened through a [`Vfs`]. Three implementations:
//!
//! - [`StdVfs`]: real files (`pread`/`pwrite`/`fdatasync`), with an exclusive lock per database;
//! - [`MemVfs`]: in-memory files that model the OS page cache, so tests can simulate a power
//!   cut that drops or tears every write not yet synced;
//! - [`FaultVfs`]: wraps a `MemVfs` and fails the Nth write or sync, or writes only part of a
//!   buffer, on demand.
//!
//! Nothing above this module touches `std::fs` (`SQLite`'s btree never sees a file handle either).

mod fault;
mod mem;
mod std_file;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use fault::{FaultPlan, FaultVfs};
pub use mem::MemVfs;
pub use std_file::StdVfs;

/// A file of bytes addressed by offset. Implementations must be safe to call from many threads.
pub trait DbFile: Send + Sync {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (fewer only at the
    /// end of the file).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Writes all of `buf` at `offset`, extending the file if needed.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Makes every completed write durable (`fdatasync`).
    fn sync(&self) -> io::Result<()>;
    /// The file's length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Truncates or extends the file.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// True if the file has no bytes.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// Whether and how [`Vfs::open`] creates the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Create {
    /// The file must exist (an error of kind [`io::ErrorKind::NotFound`] otherwise).
    No,
    /// Create the file if it does not exist.
    IfMissing,
    /// Create the file; an error of kind [`io::ErrorKind::AlreadyExists`] if it exists.
    New,
}

/// Which advisory lock [`Vfs::open`] takes on the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    /// None.
    None,
    /// Shared: any number of shared holders, no exclusive one.
    Shared,
    /// Exclusive: one holder, no shared ones.
    Exclusive,
}

/// How to open a file: for writing or not, created or not, locked or not. A symbolic link at
/// the path itself is never followed (an error of kind [`io::ErrorKind::InvalidInput`]):
/// the engine resolves the database path once, and its WAL and scratch files are always the
/// files at their own names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenMode {
    /// Open for writing too (otherwise read-only).
    pub write: bool,
    /// Whether to create the file.
    pub create: Create,
    /// The lock to take; a conflicting lock held elsewhere gives an error of kind
    /// [`io::ErrorKind::WouldBlock`].
    pub lock: Lock,
}

impl OpenMode {
    /// Read and write, creating the file if missing, no lock (the WAL; scratch files use
    /// [`Create::New`]).
    pub const READ_WRITE: OpenMode = OpenMode {
        write: true,
        create: Create::IfMissing,
        lock: Lock::None,
    };
    /// Read only, the file must exist, no lock.
    pub const READ_ONLY: OpenMode = OpenMode {
        write: false,
        create: Create::No,
        lock: Lock::None,
    };
}

/// Opens, tests, renames and removes files by path.
pub trait Vfs: Send + Sync {
    /// Opens the file at `path` as `mode` says.
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn DbFile>>;
    /// True if a file exists at `path` (a symbolic link counts, whatever it points to).
    fn exists(&self, path: &Path) -> bool;
    /// Removes the file at `path` if it exists.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Gives the file at `from` the name `to`, which must not exist (an error of kind
    /// [`io::ErrorKind::AlreadyExists`] otherwise, and nothing changes); `from` is gone
    /// afterwards. Not durable until [`Vfs::sync_dir`].
    fn rename_new(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Gives the file at `from` the name `to` in one atomic step, replacing the file `to`
    /// names if there is one (which keeps its other names, if any); `from` is gone
    /// afterwards. Not durable until [`Vfs::sync_dir`]. File systems that cannot do this
    /// fail with [`io::ErrorKind::Unsupported`], the default.
    fn rename_replace(&self, from: &Path, to: &Path) -> io::Result<()> {
        let _ = (from, to);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this file system cannot replace a file atomically",
        ))
    }
    /// Makes the creations, renames and removals of files in the directory holding `path`
    /// durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// The path of the file `path` names with every symbolic link resolved, so that one
    /// file has one name whatever link it was reached by. A missing file resolves its
    /// directory.
    fn canonical(&self, path: &Path) -> io::Result<PathBuf>;
    /// Files in the directory of `prefix` whose name starts with `prefix`'s file name.
    fn list_prefix(&self, prefix: &Path) -> io::Result<Vec<PathBuf>>;
    /// A stable identity of the file at `path` (device and inode), if it exists, so two
    /// names of one file can be told apart from two files.
    fn file_id(&self, path: &Path) -> Option<(u64, u64)>;
}

/// A name for a scratch file beside `base` that no other process can predict:
/// `<base><tag><16 random hex digits>`.
pub fn scratch_path(base: &Path, tag: &str) -> PathBuf {
    let mut s = base.as_os_str().to_os_string();
    s.push(format!("{tag}{:016x}", random_u64()));
    PathBuf::from(s)
}

/// A random `u64` from the standard library's per-process random hasher keys, the time and
/// a counter (unpredictable to another process; not for cryptography).
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.finish()
}

/// Reads exactly `buf.len()` bytes at `offset`, or fails with `UnexpectedEof`.
pub(crate) fn read_exact_at(file: &dyn DbFile, buf: &mut [u8], offset: u64) -> io::Result<()> {
    let n = file.read_at(buf, offset)?;
    if n == buf.len() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "wanted {} bytes at offset {offset}, file has {n}",
                buf.len()
            ),
        ))
    }
}
