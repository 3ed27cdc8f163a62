//! Real files through `std::fs`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Create, DbFile, Lock, OpenMode, Vfs};

/// The operating system's file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct StdVfs;

struct StdFile(File);

impl StdVfs {
    /// A file opened by the caller, as the engine's [`DbFile`]: for a file that must be
    /// created in a way of the caller's own (such as a scratch file made exclusively with
    /// owner-only permissions) and then handed to the engine.
    pub fn wrap(file: File) -> Arc<dyn DbFile> {
        Arc::new(StdFile(file))
    }
}

impl DbFile for StdFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.0.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.0.write_all_at(buf, offset)
    }

    fn sync(&self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
}

impl Vfs for StdVfs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn DbFile>> {
        let mut options = OpenOptions::new();
        options.read(true).write(mode.write);
        match mode.create {
            Create::No => {}
            Create::IfMissing => {
                options.create(true).truncate(false);
            }
            Create::New => {
                options.create_new(true);
            }
        }
        // Never through a symbolic link at the path itself: a planted link must not
        // redirect the engine's writes (the database path is resolved before this).
        options.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
        let file = options.open(path).map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "it is a symbolic link, which the engine does not follow here",
                )
            } else {
                e
            }
        })?;
        let locked = match mode.lock {
            Lock::None => Ok(()),
            Lock::Shared => file.try_lock_shared(),
            Lock::Exclusive => file.try_lock(),
        };
        match locked {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "locked by another process",
                ));
            }
            Err(TryLockError::Error(e)) => return Err(e),
        }
        Ok(Arc::new(StdFile(file)))
    }

    fn exists(&self, path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok()
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn rename_new(&self, from: &Path, to: &Path) -> io::Result<()> {
        // A hard link fails if `to` exists, so two creators cannot both win.
        match std::fs::hard_link(from, to) {
            Ok(()) => std::fs::remove_file(from),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
            Err(_) => {
                // A file system without hard links: check, then rename (a race with
                // another creator of the same path is then possible, as with any tool).
                if self.exists(to) {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "the file exists",
                    ));
                }
                std::fs::rename(from, to)
            }
        }
    }

    /// `rename(2)`: atomic, and a process that opens `to` meanwhile gets the old file or
    /// the new one. The new file first takes the replaced one's permissions.
    fn rename_replace(&self, from: &Path, to: &Path) -> io::Result<()> {
        if let Ok(meta) = std::fs::metadata(to) {
            std::fs::set_permissions(from, meta.permissions())?;
        }
        std::fs::rename(from, to)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }

    fn canonical(&self, path: &Path) -> io::Result<PathBuf> {
        match std::fs::canonicalize(path) {
            Ok(p) => Ok(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(path).is_ok() {
                    // A dangling link: refuse rather than create a file where it points.
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "it is a symbolic link to a file that does not exist",
                    ));
                }
                let name = path.file_name().ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "the path names no file")
                })?;
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                Ok(std::fs::canonicalize(dir)?.join(name))
            }
            Err(e) => Err(e),
        }
    }

    fn list_prefix(&self, prefix: &Path) -> io::Result<Vec<PathBuf>> {
        let dir = match prefix.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let Some(start) = prefix.file_name() else {
            return Ok(Vec::new());
        };
        let start = start.as_encoded_bytes();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_name().as_encoded_bytes().starts_with(start) {
                out.push(dir.join(entry.file_name()));
            }
        }
        Ok(out)
    }

    fn file_id(&self, path: &Path) -> Option<(u64, u64)> {
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
}
