//! In-memory files that model what a power cut does to unsynced writes.
//!
//! Each file keeps the bytes as the OS would show them (`current`) and a log of the writes
//! made since the last `sync`. [`MemVfs::power_cut`] rebuilds every file from its last synced
//! image plus a random subset of the logged writes, some kept whole, some dropped and some
//! torn at a 512-byte sector boundary, which is what a disk without a battery may do.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{DbFile, Vfs};

#[derive(Default)]
struct MemState {
    current: Vec<u8>,
    durable: Vec<u8>,
    /// Writes (and truncations, as `(len, None)`) since the last sync, in order.
    unsynced: Vec<(u64, Option<Vec<u8>>)>,
    locked: bool,
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
    files: Arc<Mutex<HashMap<PathBuf, MemFile>>>,
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
        for file in self.files.lock().values() {
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
            st.epoch += 1;
        }
    }

    /// Releases every lock, as the death of the owning process would.
    /// Handles opened before then fail every later call.
    pub fn release_locks(&self) {
        for file in self.files.lock().values() {
            let mut st = file.0.lock();
            st.locked = false;
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
        let file = self
            .files
            .lock()
            .entry(path.to_path_buf())
            .or_default()
            .clone();
        let mut st = file.0.lock();
        st.current.clone_from(&bytes);
        st.durable = bytes;
        st.unsynced.clear();
    }

    /// Releases the lock taken in `epoch` (a handle from before a power cut holds none).
    fn unlock(&self, path: &Path, epoch: u64) {
        if let Some(f) = self.files.lock().get(path) {
            let mut st = f.0.lock();
            if st.epoch == epoch {
                st.locked = false;
            }
        }
    }
}

/// A handle that releases the in-memory lock when the database drops its file.
struct LockedMemFile {
    file: MemHandle,
    vfs: MemVfs,
    path: PathBuf,
}

impl Drop for LockedMemFile {
    fn drop(&mut self) {
        self.vfs.unlock(&self.path, self.file.epoch);
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
    fn open(&self, path: &Path, lock: bool) -> io::Result<Arc<dyn DbFile>> {
        let file = self
            .files
            .lock()
            .entry(path.to_path_buf())
            .or_default()
            .clone();
        let epoch = {
            let mut st = file.0.lock();
            if lock && st.locked {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "locked by another handle",
                ));
            }
            st.locked |= lock;
            st.epoch
        };
        let file = MemHandle { file, epoch };
        if !lock {
            return Ok(Arc::new(file));
        }
        Ok(Arc::new(LockedMemFile {
            file,
            vfs: self.clone(),
            path: path.to_path_buf(),
        }))
    }

    fn exists(&self, path: &Path) -> bool {
        self.files.lock().contains_key(path)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.files.lock().remove(path);
        Ok(())
    }
}
