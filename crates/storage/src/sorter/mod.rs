//! An external merge sort for buffered `put`s: bounded memory, sorted output.
//!
//! `TreeMut::put` appends to a [`Sorter`] instead of descending the tree. When the buffer
//! passes its byte budget it is sorted and written as a *run* to a temporary file (through
//! the `Vfs`, next to the database). Draining merges the runs and the in-memory tail into one
//! stream in key order in which, for equal keys, the latest `put` wins. Inserting that stream
//! touches each leaf once instead of once per key, and an empty tree fills by appending.
//!
//! Run format (transient, never part of the database): per entry `u32 key_len`,
//! `u32 value_len`, key, value. Lengths are checked against the limits when read back.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::file::{DbFile, Vfs};
use crate::limits::{KEY_SIZE_MAX, VALUE_SIZE_MAX};

mod fixed;
pub use fixed::{FixedMerge, FixedRecord, FixedSorter};

/// The tag of sort files' names: `<db>-sort-<16 hex digits>`.
pub(crate) const SORT_TAG: &str = "-sort-";

/// Removes the sort files beside the database at `path` that no live transaction holds
/// (a process killed while sorting leaves its file, unlocked). Only names of the exact
/// scratch form are considered. Returns how many were removed; errors leave files alone.
pub(crate) fn remove_stale_sorts(vfs: &dyn Vfs, path: &Path) -> usize {
    let mut prefix = path.as_os_str().to_os_string();
    prefix.push(SORT_TAG);
    let prefix = PathBuf::from(prefix);
    let ours = |p: &PathBuf| {
        p.as_os_str()
            .as_encoded_bytes()
            .strip_prefix(prefix.as_os_str().as_encoded_bytes())
            .is_some_and(|rest| rest.len() == 16 && rest.iter().all(u8::is_ascii_hexdigit))
    };
    let mut removed = 0;
    for stale in vfs
        .list_prefix(&prefix)
        .unwrap_or_default()
        .into_iter()
        .filter(ours)
    {
        let mode = crate::file::OpenMode {
            write: true,
            create: crate::file::Create::No,
            lock: crate::file::Lock::Exclusive,
        };
        if let Ok(f) = vfs.open(&stale, mode) {
            if vfs.remove(&stale).is_ok() {
                removed += 1;
            }
            drop(f);
        }
    }
    removed
}

/// Creates a sort's temporary file at `path`, locked while it lives: a read-write open
/// removes only the sort files of transactions that died (`remove_stale_sorts`).
fn open_sort_file(vfs: &dyn Vfs, path: &Path) -> Result<Arc<dyn DbFile>> {
    vfs.open(
        path,
        crate::file::OpenMode {
            write: true,
            create: crate::file::Create::New,
            lock: crate::file::Lock::Exclusive,
        },
    )
    .map_err(StorageError::io("creating a sort file"))
}

/// Past this size a sort's buffer grows straight to its budget's bound (see `Sorter::grow`).
const GROW_STRAIGHT_BYTES: usize = 1 << 20;

/// Past `GROW_STRAIGHT_BYTES` a sort's buffer grows by this much or by its own size,
/// whichever is more, up to its budget's bound: a large budget (say half of a large page
/// cache) is reached in steps, not reserved whole.
const GROW_STEP_MAX_BYTES: usize = 64 << 20;

/// Bytes read from a run at a time while merging.
const RUN_READ_BYTES: usize = 256 * 1024;

#[derive(Clone, Copy)]
struct Entry {
    /// The key's first 16 bytes, big-endian, zero-padded: comparing these first orders most
    /// pairs without touching the arena. Equal prefixes fall back to the whole keys.
    prefix: u128,
    offset: usize,
    key_len: u32,
    value_len: u32,
}

fn key_prefix(key: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    let n = key.len().min(16);
    b[..n].copy_from_slice(&key[..n]);
    u128::from_be_bytes(b)
}

struct Run {
    offset: u64,
    len: u64,
}

/// An external sort of `(key, value)` entries in bounded memory: the buffered puts of one
/// tree, or any caller's entries (from [`crate::WriteTxn::sorter`]). Its temporary file is
/// removed when it (or the [`Merge`] that drains it) is dropped.
pub struct Sorter {
    arena: Vec<u8>,
    entries: Vec<Entry>,
    budget_bytes: usize,
    runs: Vec<Run>,
    vfs: Arc<dyn Vfs>,
    temp_path: PathBuf,
    temp: Option<Arc<dyn DbFile>>,
    temp_len: u64,
    /// The bytes of the run being written, kept between runs (as the entries' vector is)
    /// so that each run reuses memory already faulted in.
    run_buf: Vec<u8>,
}

impl Sorter {
    pub(crate) fn new(vfs: Arc<dyn Vfs>, temp_path: PathBuf, budget_bytes: usize) -> Sorter {
        Sorter {
            arena: Vec::new(),
            entries: Vec::new(),
            budget_bytes: budget_bytes.max(1 << 16),
            runs: Vec::new(),
            vfs,
            temp_path,
            temp: None,
            temp_len: 0,
            run_buf: Vec::new(),
        }
    }

    /// True if nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.runs.is_empty()
    }

    /// Buffers one entry; writes a run when the buffer is over budget.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        if self.entries.len() == self.entries.capacity()
            || self.arena.capacity() - self.arena.len() < key.len() + value.len()
        {
            self.grow(key.len() + value.len());
        }
        let offset = self.arena.len();
        self.arena.extend_from_slice(key);
        self.arena.extend_from_slice(value);
        self.entries.push(Entry {
            prefix: key_prefix(key),
            offset,
            key_len: key.len() as u32,
            value_len: value.len() as u32,
        });
        if self.arena.len() + self.entries.len() * size_of::<Entry>() > self.budget_bytes {
            self.write_run()?;
        }
        Ok(())
    }

    /// Makes room for one more entry of `bytes` bytes. Small buffers double; once a buffer
    /// passes `GROW_STRAIGHT_BYTES` it is given at once the most the budget lets it hold,
    /// but no more than `GROW_STEP_MAX_BYTES` or its own size beyond what it has (address
    /// space: the pages are touched as entries arrive), so that a sort within 64 MiB does
    /// not copy its buffers into fresh memory at every doubling. A reservation the
    /// allocator refuses falls back to doubling.
    fn grow(&mut self, bytes: usize) {
        let entry = size_of::<Entry>();
        if self.entries.len() == self.entries.capacity() {
            let have = self.entries.capacity();
            let most = (self.budget_bytes / entry).saturating_add(1);
            let step = (GROW_STEP_MAX_BYTES / entry).max(have);
            let want = most.min(have.saturating_add(step));
            if have * entry < GROW_STRAIGHT_BYTES
                || want <= have
                || self
                    .entries
                    .try_reserve_exact(want - self.entries.len())
                    .is_err()
            {
                self.entries.reserve(1);
            }
        }
        if self.arena.capacity() - self.arena.len() < bytes {
            let have = self.arena.capacity();
            let most = self.budget_bytes.saturating_add(bytes);
            let want = most.min(have.saturating_add(GROW_STEP_MAX_BYTES.max(have)));
            let need = self.arena.len().saturating_add(bytes);
            if have < GROW_STRAIGHT_BYTES
                || want < need
                || self
                    .arena
                    .try_reserve_exact(want - self.arena.len())
                    .is_err()
            {
                self.arena.reserve(bytes);
            }
        }
    }

    /// Sorts the buffer by key, keeping only the latest entry of each key; takes the
    /// entries out of the buffer (the arena stays).
    fn sorted(&mut self) -> Vec<Entry> {
        let mut entries = std::mem::take(&mut self.entries);
        let arena = &self.arena;
        let key = |e: &Entry| &arena[e.offset..e.offset + e.key_len as usize];
        let cmp = |a: &Entry, b: &Entry| a.prefix.cmp(&b.prefix).then_with(|| key(a).cmp(key(b)));
        // Keys that arrive in strictly ascending order (ids, appends) need no sort at all.
        if entries.windows(2).all(|w| cmp(&w[0], &w[1]).is_lt()) {
            return entries;
        }
        // Among equal keys the arena offset is the insertion order, so the last one after
        // this sort is the latest put.
        entries.sort_unstable_by(|a, b| cmp(a, b).then(a.offset.cmp(&b.offset)));
        // In place (a second vector as large would be fresh memory, faulted in page by
        // page): of equal keys the last, the latest put, takes the first one's slot.
        entries.dedup_by(|later, kept| {
            let same = cmp(later, kept).is_eq();
            if same {
                *kept = *later;
            }
            same
        });
        entries
    }

    fn write_run(&mut self) -> Result<()> {
        if self.entries.is_empty() {
            return Ok(());
        }
        let mut sorted = self.sorted();
        let mut buf = std::mem::take(&mut self.run_buf);
        buf.clear();
        buf.reserve(self.arena.len() + sorted.len() * 8);
        for e in &sorted {
            buf.extend_from_slice(&e.key_len.to_le_bytes());
            buf.extend_from_slice(&e.value_len.to_le_bytes());
            buf.extend_from_slice(
                &self.arena[e.offset..e.offset + (e.key_len + e.value_len) as usize],
            );
        }
        if self.temp.is_none() {
            self.temp = Some(open_sort_file(&*self.vfs, &self.temp_path)?);
        }
        if let Some(file) = &self.temp {
            file.write_at(&buf, self.temp_len)
                .map_err(StorageError::io("writing a sort run"))?;
        }
        self.runs.push(Run {
            offset: self.temp_len,
            len: buf.len() as u64,
        });
        self.temp_len += buf.len() as u64;
        self.arena.clear();
        sorted.clear();
        self.entries = sorted;
        self.run_buf = buf;
        Ok(())
    }

    /// Calls `apply` for everything buffered, in key order (latest put wins), and empties
    /// the buffer. When nothing was written to a run (the common case) the entries are lent
    /// straight from the buffer, without a heap or any allocation.
    pub fn drain_into(&mut self, mut apply: impl FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        if self.runs.is_empty() {
            let sorted = self.sorted();
            for e in &sorted {
                let k_end = e.offset + e.key_len as usize;
                apply(
                    &self.arena[e.offset..k_end],
                    &self.arena[k_end..k_end + e.value_len as usize],
                )?;
            }
            self.arena.clear();
            self.entries.clear();
            return Ok(());
        }
        let mut merge = self.drain()?;
        while let Some((key, value)) = merge.next_entry()? {
            apply(&key, &value)?;
        }
        Ok(())
    }

    /// Everything buffered, merged into key order (latest put wins). Consumes the buffer.
    pub fn drain(&mut self) -> Result<Merge> {
        let tail_sorted = self.sorted();
        let tail = Source::Memory {
            arena: std::mem::take(&mut self.arena),
            entries: tail_sorted,
            next: 0,
        };
        self.entries.clear();
        let mut sources = Vec::with_capacity(self.runs.len() + 1);
        for run in self.runs.drain(..) {
            if let Some(file) = &self.temp {
                sources.push(Source::File(RunReader {
                    file: Arc::clone(file),
                    pos: run.offset,
                    end: run.offset + run.len,
                    buf: Vec::new(),
                    at: 0,
                }));
            }
        }
        // The in-memory tail holds the latest puts, so it gets the highest rank.
        sources.push(tail);
        self.temp_len = 0;
        Merge::new(
            sources,
            self.temp.take(),
            Arc::clone(&self.vfs),
            self.temp_path.clone(),
        )
    }

    /// Drops everything buffered and the temporary file.
    pub fn discard(&mut self) {
        self.arena.clear();
        self.entries.clear();
        self.runs.clear();
        if self.temp.take().is_some() {
            let _ = self.vfs.remove(&self.temp_path);
        }
        self.temp_len = 0;
    }
}

impl Drop for Sorter {
    fn drop(&mut self) {
        self.discard();
    }
}

struct RunReader {
    file: Arc<dyn DbFile>,
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    at: usize,
}

impl RunReader {
    /// Ensures `n` bytes are buffered; false at the end of the run.
    fn fill(&mut self, n: usize) -> Result<bool> {
        if self.buf.len() - self.at >= n {
            return Ok(true);
        }
        let have = self.buf.len() - self.at;
        let left = (self.end - self.pos) as usize;
        if have + left < n {
            if have == 0 && left == 0 {
                return Ok(false);
            }
            return Err(StorageError::Io {
                op: "reading a sort run",
                source: std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "sort run is truncated",
                ),
            });
        }
        let want = (n - have).max(RUN_READ_BYTES).min(left);
        let mut next = Vec::with_capacity(have + want);
        next.extend_from_slice(&self.buf[self.at..]);
        next.resize(have + want, 0);
        crate::file::read_exact_at(&*self.file, &mut next[have..], self.pos)
            .map_err(StorageError::io("reading a sort run"))?;
        self.pos += want as u64;
        self.buf = next;
        self.at = 0;
        Ok(true)
    }

    /// The next entry into `key` and `value` (their old contents replaced, their capacity
    /// reused); false at the end of the run.
    fn next_into(&mut self, key: &mut Vec<u8>, value: &mut Vec<u8>) -> Result<bool> {
        if !self.fill(8)? {
            return Ok(false);
        }
        let b = &self.buf[self.at..];
        let key_len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let value_len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        if key_len > KEY_SIZE_MAX || value_len > VALUE_SIZE_MAX {
            return Err(StorageError::Io {
                op: "reading a sort run",
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "sort run entry has impossible lengths",
                ),
            });
        }
        if !self.fill(8 + key_len + value_len)? {
            return Ok(false);
        }
        let start = self.at + 8;
        refill(key, &self.buf[start..start + key_len]);
        refill(
            value,
            &self.buf[start + key_len..start + key_len + value_len],
        );
        self.at = start + key_len + value_len;
        Ok(true)
    }
}

/// Makes `buf` hold `bytes`, reusing its capacity.
fn refill(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.clear();
    buf.extend_from_slice(bytes);
}

enum Source {
    File(RunReader),
    Memory {
        arena: Vec<u8>,
        entries: Vec<Entry>,
        next: usize,
    },
}

impl Source {
    /// The next entry into `key` and `value` (see [`RunReader::next_into`]); false at the
    /// end.
    fn next_into(&mut self, key: &mut Vec<u8>, value: &mut Vec<u8>) -> Result<bool> {
        match self {
            Source::File(r) => r.next_into(key, value),
            Source::Memory {
                arena,
                entries,
                next,
            } => {
                let Some(e) = entries.get(*next) else {
                    return Ok(false);
                };
                *next += 1;
                let key_len = e.key_len as usize;
                let k_end = e.offset + key_len;
                // A key of at most 16 bytes is its prefix: the sorted entries are read in
                // order without a jump into the arena (which holds them as they came).
                match e.prefix.to_be_bytes().get(..key_len) {
                    Some(whole) => refill(key, whole),
                    None => refill(key, &arena[e.offset..k_end]),
                }
                match e.value_len {
                    0 => value.clear(),
                    n => refill(value, &arena[k_end..k_end + n as usize]),
                }
                Ok(true)
            }
        }
    }
}

/// A heap item: the next entry of source `rank`. Ordered so the heap pops the smallest key
/// first and, among equal keys, the highest rank (the latest put) first.
struct Head {
    /// The key's first 16 bytes as in [`Entry`]: most comparisons end here.
    prefix: u128,
    key: Vec<u8>,
    value: Vec<u8>,
    rank: usize,
}

impl Head {
    fn new(key: Vec<u8>, value: Vec<u8>, rank: usize) -> Head {
        Head {
            prefix: key_prefix(&key),
            key,
            value,
            rank,
        }
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .prefix
            .cmp(&self.prefix)
            .then_with(|| other.key.cmp(&self.key))
            .then(self.rank.cmp(&other.rank))
    }
}

/// The merged stream of a drained [`Sorter`]. Removes the temporary file when dropped.
/// The entries of a drained [`Sorter`], merged into key order.
pub struct Merge {
    sources: Vec<Source>,
    heap: BinaryHeap<Head>,
    temp: Option<(Arc<dyn Vfs>, PathBuf)>,
    /// Where superseded entries are read to (their buffers reused).
    scratch: (Vec<u8>, Vec<u8>),
}

impl Merge {
    fn new(
        mut sources: Vec<Source>,
        temp: Option<Arc<dyn DbFile>>,
        vfs: Arc<dyn Vfs>,
        path: PathBuf,
    ) -> Result<Merge> {
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (rank, s) in sources.iter_mut().enumerate() {
            let (mut key, mut value) = (Vec::new(), Vec::new());
            if s.next_into(&mut key, &mut value)? {
                heap.push(Head::new(key, value, rank));
            }
        }
        Ok(Merge {
            sources,
            heap,
            temp: temp.map(|_| (vfs, path)),
            scratch: (Vec::new(), Vec::new()),
        })
    }

    /// The next entry in key order, or `None` at the end.
    pub fn next_entry(&mut self) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let (mut key, mut value) = (Vec::new(), Vec::new());
        Ok(self
            .next_entry_into(&mut key, &mut value)?
            .then_some((key, value)))
    }

    /// The next entry in key order into `key` and `value` (their old contents replaced,
    /// their buffers reused for later entries: a merge of many entries allocates none per
    /// entry); false at the end.
    pub fn next_entry_into(&mut self, key: &mut Vec<u8>, value: &mut Vec<u8>) -> Result<bool> {
        if !self.take_top_into(key, value)? {
            return Ok(false);
        }
        // Older entries of the same key are superseded.
        let mut scratch = std::mem::take(&mut self.scratch);
        while self.heap.peek().is_some_and(|h| h.key == *key) {
            self.take_top_into(&mut scratch.0, &mut scratch.1)?;
        }
        self.scratch = scratch;
        Ok(true)
    }

    /// Takes the smallest entry into `key` and `value` and reads its source's next one in
    /// its place, into the buffers `key` and `value` held: one sift of the heap instead of
    /// a pop and a push, and no allocation once the buffers are large enough.
    fn take_top_into(&mut self, key: &mut Vec<u8>, value: &mut Vec<u8>) -> Result<bool> {
        let Some(mut top) = self.heap.peek_mut() else {
            return Ok(false);
        };
        std::mem::swap(&mut top.key, key);
        std::mem::swap(&mut top.value, value);
        let rank = top.rank;
        let more = match self.sources.get_mut(rank) {
            Some(s) => {
                let head = &mut *top;
                s.next_into(&mut head.key, &mut head.value)?
            }
            None => false,
        };
        if more {
            top.prefix = key_prefix(&top.key);
        } else {
            PeekMut::pop(top);
        }
        Ok(true)
    }
}

impl Drop for Merge {
    fn drop(&mut self) {
        self.sources.clear();
        if let Some((vfs, path)) = self.temp.take() {
            let _ = vfs.remove(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::MemVfs;
    use std::collections::BTreeMap;

    /// Sort files of live sorters stay; those of dead ones (unlocked) go, and so does
    /// nothing else beside the database.
    #[test]
    fn only_the_sort_files_of_dead_transactions_are_removed() {
        let mem = MemVfs::new();
        let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
        let db = PathBuf::from("/d/g.pgdb");
        let live_path = crate::file::scratch_path(&db, SORT_TAG);
        let mut live = Sorter::new(Arc::clone(&vfs), live_path.clone(), 1 << 16);
        for i in 0..20_000u32 {
            live.put(&i.to_be_bytes(), &[0; 8]).unwrap();
        }
        assert!(
            mem.read_file(&live_path).is_some(),
            "the live sorter spilled to its file"
        );
        let dead = PathBuf::from("/d/g.pgdb-sort-00000000deadbeef");
        let other = PathBuf::from("/d/g.pgdb-sort-notes.txt");
        for p in [&dead, &other] {
            mem.write_file(p, vec![1, 2, 3]);
        }
        assert_eq!(remove_stale_sorts(&*vfs, &db), 1);
        assert!(mem.read_file(&dead).is_none());
        assert!(mem.read_file(&other).is_some() && mem.read_file(&live_path).is_some());
        drop(live);
        assert!(
            mem.read_file(&live_path).is_none(),
            "a sorter removes its file when dropped"
        );
    }

    #[test]
    fn merges_runs_in_order_with_latest_put_winning() {
        let vfs: Arc<dyn Vfs> = Arc::new(MemVfs::new());
        // The same puts twice: merged entry by entry into fresh vectors, and into one pair
        // of buffers reused throughout (keys and values of every length, shrinking too).
        let mut sorters = [
            Sorter::new(vfs.clone(), PathBuf::from("/t-sort"), 1 << 16),
            Sorter::new(vfs, PathBuf::from("/t-sort-2"), 1 << 16),
        ];
        let mut model = BTreeMap::new();
        let mut rng = 12345u64;
        for i in 0..20_000u32 {
            rng = rng
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Keys of 2 to 6 bytes (read back from their prefix) and of 17 to 21 (from
            // the arena), and ones that differ only past 16 bytes.
            let mut key =
                format!("k{:0w$}", (rng >> 33) % 3000, w = 1 + (i % 5) as usize).into_bytes();
            if (rng >> 20).is_multiple_of(3) {
                key.splice(1..1, *b"long-key-pad-xx");
            }
            let value = i.to_le_bytes().repeat((i % 7) as usize);
            for s in &mut sorters {
                s.put(&key, &value).unwrap();
            }
            model.insert(key, value);
        }
        let want: Vec<(Vec<u8>, Vec<u8>)> = model.into_iter().collect();
        let [mut first, mut second] = sorters;
        assert!(first.runs.len() > 2, "the test should spill several runs");
        let mut merge = first.drain().unwrap();
        let mut got = Vec::new();
        while let Some(kv) = merge.next_entry().unwrap() {
            got.push(kv);
        }
        assert!(got == want);
        let mut merge = second.drain().unwrap();
        let (mut key, mut value) = (b"stale".to_vec(), b"stale".to_vec());
        let mut got = Vec::new();
        while merge.next_entry_into(&mut key, &mut value).unwrap() {
            got.push((key.clone(), value.clone()));
        }
        assert!(got == want);
    }

    /// Buffers past `GROW_STRAIGHT_BYTES` grow straight to the budget's bound, never past
    /// it (an entry beyond the bound is a run's last), and sort as small ones do: entries
    /// of every size, one larger than the whole budget among them, against a model.
    #[test]
    fn large_buffers_grow_to_the_budget_and_no_further() {
        let budget = 8 << 20;
        let vfs: Arc<dyn Vfs> = Arc::new(MemVfs::new());
        let mut sorter = Sorter::new(vfs, PathBuf::from("/t-large"), budget);
        let mut model = BTreeMap::new();
        let mut rng = 99u64;
        let mut grew_straight = false;
        let mut largest = 0;
        for i in 0..400_000u32 {
            rng = rng
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let key = format!("{:x}-{}", rng >> 40, "k".repeat((rng % 23) as usize)).into_bytes();
            let len = if i == 250_000 {
                budget + 4096
            } else {
                (rng >> 8) as usize % 41
            };
            let value = vec![(i % 251) as u8; len];
            largest = largest.max(key.len() + len);
            sorter.put(&key, &value).unwrap();
            // Doubling up to the threshold, then the budget's bound in one step (the
            // budget is below GROW_STEP_MAX_BYTES): no capacity in between.
            let entries = sorter.entries.capacity();
            assert!(
                entries * size_of::<Entry>() <= GROW_STRAIGHT_BYTES * 2
                    || entries == budget / size_of::<Entry>() + 1,
                "{entries} entries"
            );
            let arena = sorter.arena.capacity();
            assert!(
                arena <= GROW_STRAIGHT_BYTES * 2 || (budget..=budget + largest).contains(&arena),
                "{arena} arena bytes"
            );
            grew_straight |= entries * size_of::<Entry>() > GROW_STRAIGHT_BYTES * 2;
            model.insert(key, value);
        }
        assert!(
            grew_straight,
            "the buffers should have passed the doubling threshold"
        );
        assert!(sorter.runs.len() > 2, "the test should spill several runs");
        let want: Vec<(Vec<u8>, Vec<u8>)> = model.into_iter().collect();
        let mut merge = sorter.drain().unwrap();
        let mut got = Vec::new();
        while let Some(kv) = merge.next_entry().unwrap() {
            got.push(kv);
        }
        assert!(got == want);
    }

    /// A budget too large to reserve ("never spill") grows in steps (`GROW_STEP_MAX_BYTES`
    /// or the buffer's size), with no overflow and no absurd reservation.
    #[test]
    fn a_huge_budget_grows_in_bounded_steps() {
        let vfs: Arc<dyn Vfs> = Arc::new(MemVfs::new());
        let mut sorter = Sorter::new(vfs, PathBuf::from("/t-huge"), usize::MAX);
        for i in 0..200_000u32 {
            sorter.put(&i.to_be_bytes(), &[7; 12]).unwrap();
            assert!(sorter.entries.capacity() * size_of::<Entry>() <= 2 * GROW_STEP_MAX_BYTES);
            assert!(sorter.arena.capacity() <= 2 * GROW_STEP_MAX_BYTES);
        }
        assert!(sorter.runs.is_empty());
        let mut n = 0u32;
        sorter
            .drain_into(|k, v| {
                assert_eq!((k, v), (&n.to_be_bytes()[..], &[7u8; 12][..]));
                n += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(n, 200_000);
    }
}
