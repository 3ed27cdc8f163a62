//! A file system that fails on demand, for fault-injection tests.
//!
//! A [`FaultPlan`] counts writes and syncs across every file of a [`FaultVfs`] and fails the
//! one it was told to, once. A failed write may first write part of its buffer (a short
//! write), which is what a full disk or a dying device looks like to the engine.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{DbFile, MemVfs, OpenMode, Vfs};

/// Which operation fails next. Counts start at 1; `None` never fails.
#[derive(Debug, Default, Clone)]
pub struct FaultPlan {
    /// Fail the Nth write from now.
    pub fail_write: Option<u64>,
    /// Fail the Nth sync from now.
    pub fail_sync: Option<u64>,
    /// When a write fails, first write this fraction (0..=100 %) of its buffer.
    pub short_write_percent: u8,
    /// Sleep this many microseconds before each write: writes made on a helper thread then
    /// land late, which tests that nothing reads or overwrites a page before they do.
    pub write_delay_micros: u32,
    writes_seen: u64,
    syncs_seen: u64,
    /// Set once a planned fault has fired.
    pub fired: bool,
}

impl FaultPlan {
    fn on_write(&mut self) -> bool {
        self.writes_seen += 1;
        if self.fail_write == Some(self.writes_seen) {
            self.fired = true;
            return true;
        }
        false
    }

    fn on_sync(&mut self) -> bool {
        self.syncs_seen += 1;
        if self.fail_sync == Some(self.syncs_seen) {
            self.fired = true;
            return true;
        }
        false
    }
}

/// A [`MemVfs`] whose files fail as the shared [`FaultPlan`] says.
#[derive(Clone, Default)]
pub struct FaultVfs {
    /// The files underneath; use it to power-cut or reopen without faults.
    pub inner: MemVfs,
    plan: Arc<Mutex<FaultPlan>>,
}

impl FaultVfs {
    /// A fault-injecting file system over `inner`.
    pub fn new(inner: MemVfs) -> Self {
        FaultVfs {
            inner,
            plan: Arc::default(),
        }
    }

    /// Replaces the plan and resets its counters.
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.plan.lock() = plan;
    }

    /// True once the planned fault has fired.
    pub fn fired(&self) -> bool {
        self.plan.lock().fired
    }
}

fn injected(what: &str) -> io::Error {
    io::Error::other(format!("injected {what} failure"))
}

struct FaultFile {
    inner: Arc<dyn DbFile>,
    plan: Arc<Mutex<FaultPlan>>,
}

impl DbFile for FaultFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let (fail, percent, delay) = {
            let mut plan = self.plan.lock();
            (
                plan.on_write(),
                plan.short_write_percent,
                plan.write_delay_micros,
            )
        };
        if delay > 0 {
            std::thread::sleep(std::time::Duration::from_micros(u64::from(delay)));
        }
        if fail {
            let keep = buf.len() * usize::from(percent.min(100)) / 100;
            if keep > 0 {
                self.inner.write_at(&buf[..keep], offset)?;
            }
            return Err(injected("write"));
        }
        self.inner.write_at(buf, offset)
    }

    fn sync(&self) -> io::Result<()> {
        if self.plan.lock().on_sync() {
            return Err(injected("sync"));
        }
        self.inner.sync()
    }

    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
}

impl Vfs for FaultVfs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn DbFile>> {
        Ok(Arc::new(FaultFile {
            inner: self.inner.open(path, mode)?,
            plan: Arc::clone(&self.plan),
        }))
    }

    fn exists(&self, path: &Path) -> bool {
        self.inner.exists(path)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.inner.remove(path)
    }

    fn rename_new(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename_new(from, to)
    }

    fn rename_replace(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename_replace(from, to)
    }

    /// Counts as a sync of the plan: a directory sync can fail as a file sync can.
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        if self.plan.lock().on_sync() {
            return Err(injected("directory sync"));
        }
        self.inner.sync_dir(path)
    }

    fn canonical(&self, path: &Path) -> io::Result<PathBuf> {
        self.inner.canonical(path)
    }

    fn list_prefix(&self, prefix: &Path) -> io::Result<Vec<PathBuf>> {
        self.inner.list_prefix(prefix)
    }

    fn file_id(&self, path: &Path) -> Option<(u64, u64)> {
        self.inner.file_id(path)
    }
}
