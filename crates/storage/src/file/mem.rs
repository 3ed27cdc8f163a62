//! In-memory files that model what a power cut does to unsynced writes.
//!
//! Each file keeps the bytes as the OS would show them (`current`) and a log of the writes
//! made since the last `sync`. [`MemVfs::power_cut`] rebuilds every file from its last synced
//! image plus a random subset of the logged writes, some kept whole, some dropped and some
//! torn at a 512-byte sector boundary, which is what a disk without a battery may do.
//! Names are modelled the same way: a file created, renamed or removed is so durably only
//! once its directory is synced ([`Vfs::sync_dir`]); a power cut before that restores the
//! directory as it was last synced.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{Create, DbFile, Lock, OpenMode, Vfs};

#[derive(Default)]
struct MemState {
    current: Vec<u8>,
    durable: Vec<u8>,
    /// Writes (and truncations, as `(len, None)`) since the last sync, in order.
    unsynced: Vec<(u64, Option<Vec<u8>>)>,
    /// Exclusive lock held.
    locked: bool,
    /// Shared locks held.
    shared: usize,
    /// Bumped when the process that opened the file is taken to have died (a power cut or
    /// [`MemVfs::release_locks`]): handles opened before then fail every later call, as a
    /// dead process's threads make no more writes.
    epoch: u64,
}

/// One in-memory file; clones share the same bytes.
#[derive(Clone, Default)]
pub(crate) struct MemFile(Arc<Mutex<MemState>>);

/// An open handle: the file, and the epoch it was opened in.
struct MemHandle {
    file: MemFile,
    epoch: u64,
}

impl MemHandle {
    /// The file's state, or an error if its opener has died since (see `MemState::epoch`).
    fn state(&self) -> io::Result<parking_lot::MutexGuard<'_, MemState>> {
        let st = self.file.0.lock();
        if st.epoch != self.epoch {
            return Err(io::Error::other(
                "the process that opened this file is gone (simulated power cut)",
            ));
        }
        Ok(st)
    }
}

impl DbFile for MemHandle {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let st = self.state()?;
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        if start >= st.current.len() {
            return Ok(0);
        }
        let n = buf.len().min(st.current.len() - start);
        buf[..n].copy_from_slice(&st.current[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let mut st = self.state()?;
        apply_write(&mut st.current, offset, buf);
        st.unsynced.push((offset, Some(buf.to_vec())));
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        let mut guard = self.state()?;
        let st = &mut *guard;
        st.durable.clone_from(&st.current);
        st.unsynced.clear();
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.state()?.current.len() as u64)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut st = self.state()?;
        st.current.resize(len as usize, 0);
        st.unsynced.push((len, None));
        Ok(())
    }
}

fn apply_write(bytes: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let start = offset as usize;
    let end = start + data.len();
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[start..end].copy_from_slice(data);
}

/// A file system held in memory. Clones share the same files, so a test can "reopen" a
/// database after dropping it, or after a simulated power cut.
#[derive(Clone, Default)]
pub struct MemVfs {
    files: Arc<Mutex<Names>>,
}

/// The directory entries: as they are now, and as the last directory sync left them.
#[derive(Default)]
struct Names {
    live: HashMap<PathBuf, MemFile>,
    durable: HashMap<PathBuf, MemFile>,
}

impl std::ops::Deref for Names {
    type Target = HashMap<PathBuf, MemFile>;
    fn deref(&self) -> &Self::Target {
        &self.live
    }
}

impl std::ops::DerefMut for Names {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.live
    }
}

fn dir_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}

impl MemVfs {
    /// An empty file system.
    pub fn new() -> Self {
        Self::default()
    }

    /// Simulates a power cut: every write not yet synced is kept, dropped or torn at random
    /// (driven by `rand`, a source of random `u64`s, so tests stay reproducible by seed).
    /// Locks are released, as they would be when the process dies.
    pub fn power_cut(&self, rand: &mut dyn FnMut() -> u64) {
        let mut guard = self.files.lock();
        let names = &mut *guard;
        names.live.clone_from(&names.durable);
        for file in names.live.values() {
            let mut st = file.0.lock();
            let mut bytes = st.durable.clone();
            for (offset, data) in std::mem::take(&mut st.unsynced) {
                match data {
                    None => {
                        if rand().is_multiple_of(2) {
                            bytes.resize(offset as usize, 0);
                        }
                    }
                    Some(data) => match rand() % 3 {
                        0 => {}
                        1 => apply_write(&mut bytes, offset, &data),
                        _ => {
                            let sectors = data.len().div_ceil(512).max(1) as u64;
                            let keep = ((rand() % sectors) * 512) as usize;
                            apply_write(&mut bytes, offset, &data[..keep.min(data.len())]);
                        }
                    },
                }
            }
            st.current.clone_from(&bytes);
            st.durable = bytes;
            st.locked = false;
            st.shared = 0;
            st.epoch += 1;
        }
    }

    /// Releases every lock, as the death of the owning process would.
    /// Handles opened before then fail every later call.
    pub fn release_locks(&self) {
        for file in self.files.lock().values() {
            let mut st = file.0.lock();
            st.locked = false;
            st.shared = 0;
            st.epoch += 1;
        }
    }

    /// A copy of a file's current bytes (for corruption tests).
    pub fn read_file(&self, path: &Path) -> Option<Vec<u8>> {
        self.files
            .lock()
            .get(path)
            .map(|f| f.0.lock().current.clone())
    }

    /// Replaces a file's bytes, as if synced (for corruption tests).
    pub fn write_file(&self, path: &Path, bytes: Vec<u8>) {
        let file = {
            let mut names = self.files.lock();
            let file = names.live.entry(path.to_path_buf()).or_default().clone();
            names.durable.insert(path.to_path_buf(), file.clone());
            file
        };
        let mut st = file.0.lock();
        st.current.clone_from(&bytes);
        st.durable = bytes;
        st.unsynced.clear();
    }

    /// Releases the lock taken in `epoch` (a handle from before a power cut holds none).
    fn unlock(file: &MemFile, lock: Lock, epoch: u64) {
        let mut st = file.0.lock();
        if st.epoch == epoch {
            match lock {
                Lock::Exclusive => st.locked = false,
                Lock::Shared => st.shared = st.shared.saturating_sub(1),
                Lock::None => {}
            }
        }
    }
}

/// A handle that releases the in-memory lock when the database drops its file.
struct LockedMemFile {
    file: MemHandle,
    lock: Lock,
}

impl Drop for LockedMemFile {
    fn drop(&mut self) {
        MemVfs::unlock(&self.file.file, self.lock, self.file.epoch);
    }
}

impl DbFile for LockedMemFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.file.read_at(buf, offset)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.file.write_at(buf, offset)
    }
    fn sync(&self) -> io::Result<()> {
        self.file.sync()
    }
    fn len(&self) -> io::Result<u64> {
        self.file.len()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
}

impl Vfs for MemVfs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn DbFile>> {
        let file = {
            let mut names = self.files.lock();
            match (names.live.get(path), mode.create) {
                (Some(_), Create::New) => {
                    return Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists"));
                }
                (Some(f), _) => f.clone(),
                (None, Create::No) => {
                    return Err(io::Error::new(io::ErrorKind::NotFound, "no such file"));
                }
                (None, _) => names.live.entry(path.to_path_buf()).or_default().clone(),
            }
        };
        let epoch = {
            let mut st = file.0.lock();
            let busy = match mode.lock {
                Lock::None => false,
                Lock::Shared => st.locked,
                Lock::Exclusive => st.locked || st.shared > 0,
            };
            if busy {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "locked by another handle",
                ));
            }
            match mode.lock {
                Lock::None => {}
                Lock::Shared => st.shared += 1,
                Lock::Exclusive => st.locked = true,
            }
            st.epoch
        };
        let handle = MemHandle { file, epoch };
        let handle: Arc<dyn DbFile> = if mode.lock == Lock::None {
            Arc::new(handle)
        } else {
            Arc::new(LockedMemFile {
                file: handle,
                lock: mode.lock,
            })
        };
        Ok(if mode.write {
            handle
        } else {
            Arc::new(ReadOnlyFile(handle))
        })
    }

    fn exists(&self, path: &Path) -> bool {
        self.files.lock().contains_key(path)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.files.lock().remove(path);
        Ok(())
    }

    fn rename_new(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut names = self.files.lock();
        if names.contains_key(to) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists"));
        }
        let file = names
            .remove(from)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))?;
        names.insert(to.to_path_buf(), file);
        Ok(())
    }

    fn rename_replace(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut names = self.files.lock();
        let file = names
            .remove(from)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))?;
        names.insert(to.to_path_buf(), file);
        Ok(())
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let dir = dir_of(path).to_path_buf();
        let mut names = self.files.lock();
        names.durable.retain(|p, _| dir_of(p) != dir);
        let entries: Vec<(PathBuf, MemFile)> = names
            .live
            .iter()
            .filter(|(p, _)| dir_of(p) == dir)
            .map(|(p, f)| (p.clone(), f.clone()))
            .collect();
        names.durable.extend(entries);
        Ok(())
    }

    fn canonical(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(path.to_path_buf())
    }

    fn list_prefix(&self, prefix: &Path) -> io::Result<Vec<PathBuf>> {
        let Some(start) = prefix.file_name().map(std::ffi::OsStr::as_encoded_bytes) else {
            return Ok(Vec::new());
        };
        let dir = dir_of(prefix);
        Ok(self
            .files
            .lock()
            .keys()
            .filter(|p| {
                dir_of(p) == dir
                    && p.file_name()
                        .is_some_and(|n| n.as_encoded_bytes().starts_with(start))
            })
            .cloned()
            .collect())
    }

    fn file_id(&self, path: &Path) -> Option<(u64, u64)> {
        self.files
            .lock()
            .get(path)
            .map(|f| (0, Arc::as_ptr(&f.0) as usize as u64))
    }
}

/// A handle opened without write access: every write fails, as on a read-only descriptor.
struct ReadOnlyFile(Arc<dyn DbFile>);

fn not_writable() -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        "the file was opened read-only",
    )
}

impl DbFile for ReadOnlyFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.0.read_at(buf, offset)
    }
    fn write_at(&self, _buf: &[u8], _offset: u64) -> io::Result<()> {
        Err(not_writable())
    }
    fn sync(&self) -> io::Result<()> {
        Ok(())
    }
    fn len(&self) -> io::Result<u64> {
        self.0.len()
    }
    fn set_len(&self, _len: u64) -> io::Result<()> {
        Err(not_writable())
    }
}
