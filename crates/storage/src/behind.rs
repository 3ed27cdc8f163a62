//! Write-behind: pages of a large write transaction written to their places in the database
//! file on a helper thread while the transaction goes on, so that its commit has less left
//! to write.
//!
//! Which pages go, and why writing them early is safe, is the pager's business
//! (`PageWriter::maybe_write_behind`): only pages the transaction allocated and no frame of
//! the current WAL generation holds, written after the WAL sync that makes writing them in
//! place safe (recovery.md invariant 3). This module keeps the order and the errors:
//! - jobs are written one at a time in the order they were handed in, so a later image of a
//!   page always lands after an earlier one;
//! - [`WriteBehind::drain`] waits until every job handed in is written and returns the first
//!   error since the last drain. The writer drains before it reads a written page back from
//!   the file, before a commit writes anything, and before an aborted transaction's pages
//!   can be handed out again; so nothing ever reads or overwrites a page with a write to it
//!   still in flight.

use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

use crate::error::{Result, StorageError};
use crate::file::DbFile;
use crate::page::Pages;

/// How far the helper has got.
#[derive(Default)]
struct Progress {
    handed_in: u64,
    written: u64,
    /// The first failure since the last drain; later jobs are skipped until then.
    error: Option<StorageError>,
}

type Shared = Arc<(Mutex<Progress>, Condvar)>;

/// The helper thread (started on first use) and what it has done.
#[derive(Default)]
pub(crate) struct WriteBehind {
    jobs: Option<Sender<Pages>>,
    thread: Option<JoinHandle<()>>,
    progress: Shared,
}

impl WriteBehind {
    /// Hands sealed pages (sorted by id) to the helper, to be written to their places in
    /// `file`. Returns at once.
    pub fn write(&mut self, file: &Arc<dyn DbFile>, page_size: u32, pages: Pages) -> Result<()> {
        if pages.is_empty() {
            return Ok(());
        }
        if self.jobs.is_none() {
            let (sender, jobs) = channel::<Pages>();
            let progress = Arc::clone(&self.progress);
            let file = Arc::clone(file);
            let thread = std::thread::Builder::new()
                .name("pagegraph-write-behind".into())
                .spawn(move || {
                    for pages in jobs {
                        let skip = progress.0.lock().error.is_some();
                        let result = if skip {
                            Ok(())
                        } else {
                            crate::page::write_runs(&*file, page_size, &pages)
                        };
                        drop(pages);
                        let (state, done) = &*progress;
                        let mut p = state.lock();
                        p.written += 1;
                        if let Err(e) = result {
                            p.error.get_or_insert(e);
                        }
                        done.notify_all();
                    }
                })
                .map_err(StorageError::io("starting the write-behind thread"))?;
            self.jobs = Some(sender);
            self.thread = Some(thread);
        }
        self.progress.0.lock().handed_in += 1;
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(pages));
        if let Some(Err(_)) = sent {
            // The helper is gone (it cannot panic, but if it did): count the job as failed
            // rather than wait for it forever.
            let mut p = self.progress.0.lock();
            p.written += 1;
            p.error
                .get_or_insert(StorageError::io("writing pages behind")(
                    std::io::Error::other("the write-behind thread stopped"),
                ));
        }
        Ok(())
    }

    /// Waits until every page handed in is written; returns the first error since the last
    /// drain, if any.
    pub fn drain(&self) -> Result<()> {
        let (state, done) = &*self.progress;
        let mut p = state.lock();
        while p.written < p.handed_in {
            done.wait(&mut p);
        }
        p.error.take().map_or(Ok(()), Err)
    }

    /// True if pages were handed in since the last drain (or a drain is needed to clear an
    /// error).
    pub fn pending(&self) -> bool {
        let p = self.progress.0.lock();
        p.written < p.handed_in || p.error.is_some()
    }
}

impl Drop for WriteBehind {
    fn drop(&mut self) {
        // Hanging up ends the helper's loop once it has written what it was handed.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::{FaultPlan, FaultVfs, MemVfs, Vfs};
    use crate::ids::PageId;
    use std::path::Path;

    fn page(byte: u8) -> crate::page::PageBuf {
        Arc::from(vec![byte; 64])
    }

    #[test]
    fn jobs_land_in_order_and_drain_waits_for_them() {
        let vfs = MemVfs::new();
        let file = vfs
            .open(Path::new("/f"), crate::file::OpenMode::READ_WRITE)
            .unwrap();
        let mut behind = WriteBehind::default();
        assert!(!behind.pending());
        for round in 0..50u8 {
            // Every job rewrites page 3: only the last image may remain.
            let pages = vec![(PageId(1), page(round)), (PageId(3), page(round))];
            behind.write(&file, 64, pages).unwrap();
        }
        behind.drain().unwrap();
        assert!(!behind.pending());
        let mut buf = [0u8; 64];
        file.read_at(&mut buf, 3 * 64).unwrap();
        assert_eq!(buf, [49u8; 64]);
    }

    #[test]
    fn a_failed_write_is_reported_once_by_drain() {
        let mem = MemVfs::new();
        let faulty = FaultVfs::new(mem);
        let file = faulty
            .open(Path::new("/f"), crate::file::OpenMode::READ_WRITE)
            .unwrap();
        let mut plan = FaultPlan::default();
        plan.fail_write = Some(2);
        faulty.set_plan(plan);
        let mut behind = WriteBehind::default();
        for i in 0..5u64 {
            behind.write(&file, 64, vec![(PageId(i), page(1))]).unwrap();
        }
        assert!(behind.pending());
        assert!(matches!(behind.drain(), Err(StorageError::Io { .. })));
        assert!(!behind.pending());
        behind.drain().unwrap();
    }
}
