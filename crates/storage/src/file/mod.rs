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
use std::path::Path;
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

/// Opens, tests and removes files by path.
pub trait Vfs: Send + Sync {
    /// Opens a file for reading and writing, creating it if it does not exist.
    /// `lock` asks for an exclusive advisory lock; a file locked elsewhere gives
    /// an error of kind [`io::ErrorKind::WouldBlock`].
    fn open(&self, path: &Path, lock: bool) -> io::Result<Arc<dyn DbFile>>;
    /// True if a file exists at `path`.
    fn exists(&self, path: &Path) -> bool;
    /// Removes the file at `path` if it exists.
    fn remove(&self, path: &Path) -> io::Result<()>;
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
