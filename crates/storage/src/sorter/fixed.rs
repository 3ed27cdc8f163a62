//! An external merge sort of fixed-width records: bounded memory, sorted output.
//!
//! [`FixedSorter`] is the typed sibling of [`super::Sorter`] for callers whose entries are
//! records of one fixed width with an order of their own (the adjacency entries of a bulk
//! load: `(node, type, neighbor, edge)`). It holds the records themselves, not encoded keys
//! in an arena: a buffer sorts by the record's `Ord` (no key bytes compared, no per-entry
//! header), a run is the records' encodings back to back, and the merge compares records.
//! Unlike [`super::Sorter`] it keeps every record: equal ones are all returned.
//!
//! Run format (transient, never part of the database): `T::SIZE` bytes a record, in order.
//! A run whose length is not a whole number of records is an I/O error when read back.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::path::PathBuf;
use std::sync::Arc;

use super::{GROW_STEP_MAX_BYTES, GROW_STRAIGHT_BYTES, RUN_READ_BYTES, Run, open_sort_file};
use crate::error::{Result, StorageError};
use crate::file::{DbFile, Vfs};

/// A record a [`FixedSorter`] sorts: `SIZE` bytes when encoded, ordered by `Ord`.
pub trait FixedRecord: Copy + Ord + Send {
    /// Bytes of one encoded record (at least 1).
    const SIZE: usize;
    /// Writes the record into `out`, which is exactly `SIZE` bytes long.
    fn encode(&self, out: &mut [u8]);
    /// Reads a record from `bytes` (exactly `SIZE` bytes, as `encode` wrote them).
    fn decode(bytes: &[u8]) -> Self;
    /// Sorts a run's records into their order; a type may know a faster way than the
    /// default comparison sort (the order must be the same).
    fn sort(records: &mut [Self]) {
        records.sort_unstable();
    }
}

/// Bytes of a run encoded at a time before they are written.
const WRITE_PIECE_BYTES: usize = 1 << 20;

/// An external sort of fixed-width records in bounded memory (from
/// [`crate::WriteTxn::fixed_sorter`]). Its temporary file is removed when it (or the
/// [`FixedMerge`] that drains it) is dropped.
pub struct FixedSorter<T: FixedRecord> {
    buf: Vec<T>,
    /// Records buffered before the buffer is sorted and written as a run.
    per_run: usize,
    runs: Vec<Run>,
    vfs: Arc<dyn Vfs>,
    temp_path: PathBuf,
    temp: Option<Arc<dyn DbFile>>,
    temp_len: u64,
}

impl<T: FixedRecord> FixedSorter<T> {
    /// A sorter holding about `budget_bytes` of records in memory (at least 64 KiB' worth).
    pub(crate) fn new(vfs: Arc<dyn Vfs>, temp_path: PathBuf, budget_bytes: usize) -> Self {
        let per_run = budget_bytes.max(1 << 16) / size_of::<T>().max(1);
        FixedSorter {
            buf: Vec::new(),
            per_run: per_run.max(1),
            runs: Vec::new(),
            vfs,
            temp_path,
            temp: None,
            temp_len: 0,
        }
    }

    /// Buffers one record; writes a run when the buffer holds its budget's worth.
    pub fn put(&mut self, record: T) -> Result<()> {
        if self.buf.len() == self.buf.capacity() {
            self.grow();
        }
        self.buf.push(record);
        if self.buf.len() >= self.per_run {
            self.write_run()?;
        }
        Ok(())
    }

    /// Makes room for one more record: a small buffer doubles; past `GROW_STRAIGHT_BYTES`
    /// it grows by its own size or `GROW_STEP_MAX_BYTES`, whichever is more, up to the run
    /// size, so a large sort does not copy its buffer at every doubling. A reservation the
    /// allocator refuses falls back to doubling.
    fn grow(&mut self) {
        let size = size_of::<T>().max(1);
        let have = self.buf.capacity();
        let want = self
            .per_run
            .min(have.saturating_add((GROW_STEP_MAX_BYTES / size).max(have)));
        if have * size < GROW_STRAIGHT_BYTES
            || want <= have
            || self.buf.try_reserve_exact(want - self.buf.len()).is_err()
        {
            self.buf.reserve(1);
        }
    }

    fn write_run(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        T::sort(&mut self.buf);
        if self.temp.is_none() {
            self.temp = Some(open_sort_file(&*self.vfs, &self.temp_path)?);
        }
        let Some(file) = &self.temp else {
            return Ok(());
        };
        let start = self.temp_len;
        let per_piece = (WRITE_PIECE_BYTES / T::SIZE.max(1)).max(1);
        let mut piece = vec![0u8; per_piece.min(self.buf.len()) * T::SIZE];
        for records in self.buf.chunks(per_piece) {
            let bytes = &mut piece[..records.len() * T::SIZE];
            for (r, out) in records.iter().zip(bytes.chunks_exact_mut(T::SIZE)) {
                r.encode(out);
            }
            file.write_at(bytes, self.temp_len)
                .map_err(StorageError::io("writing a sort run"))?;
            self.temp_len += bytes.len() as u64;
        }
        self.runs.push(Run {
            offset: start,
            len: self.temp_len - start,
        });
        self.buf.clear();
        Ok(())
    }

    /// Everything put, merged into order (equal records all kept). Consumes the sorter;
    /// when nothing was written to a run the buffer is sorted and handed out as it is.
    pub fn drain(mut self) -> Result<FixedMerge<T>> {
        let mut tail = std::mem::take(&mut self.buf);
        T::sort(&mut tail);
        let mut readers = Vec::with_capacity(self.runs.len());
        if let Some(file) = &self.temp {
            for run in self.runs.drain(..) {
                readers.push(RunReader {
                    file: Arc::clone(file),
                    pos: run.offset,
                    end: run.offset + run.len,
                    buf: Vec::new(),
                    at: 0,
                });
            }
        }
        let temp = self
            .temp
            .take()
            .map(|_| (Arc::clone(&self.vfs), self.temp_path.clone()));
        FixedMerge::new(tail, readers, temp)
    }
}

impl<T: FixedRecord> Drop for FixedSorter<T> {
    fn drop(&mut self) {
        if self.temp.take().is_some() {
            let _ = self.vfs.remove(&self.temp_path);
        }
    }
}

/// One run of a [`FixedSorter`]'s file, read a piece at a time.
struct RunReader {
    file: Arc<dyn DbFile>,
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    at: usize,
}

impl RunReader {
    /// The next record, or `None` at the end of the run.
    fn next<T: FixedRecord>(&mut self) -> Result<Option<T>> {
        if self.at + T::SIZE > self.buf.len() {
            let left = self.end - self.pos;
            if left == 0 && self.at == self.buf.len() {
                return Ok(None);
            }
            if !left.is_multiple_of(T::SIZE as u64) || self.at != self.buf.len() {
                return Err(StorageError::Io {
                    op: "reading a sort run",
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "sort run is not a whole number of records",
                    ),
                });
            }
            let piece = (RUN_READ_BYTES / T::SIZE).max(1) * T::SIZE;
            let want = left.min(piece as u64) as usize;
            self.buf.resize(want, 0);
            crate::file::read_exact_at(&*self.file, &mut self.buf, self.pos)
                .map_err(StorageError::io("reading a sort run"))?;
            self.pos += want as u64;
            self.at = 0;
        }
        let record = T::decode(&self.buf[self.at..self.at + T::SIZE]);
        self.at += T::SIZE;
        Ok(Some(record))
    }
}

/// The records of a drained [`FixedSorter`], merged into order. Removes the temporary file
/// when dropped.
pub struct FixedMerge<T: FixedRecord> {
    /// The records that were still in memory, sorted.
    tail: std::vec::IntoIter<T>,
    readers: Vec<RunReader>,
    /// The next record of each source that has one (`readers.len()` is the tail).
    heap: BinaryHeap<Reverse<(T, usize)>>,
    temp: Option<(Arc<dyn Vfs>, PathBuf)>,
}

impl<T: FixedRecord> FixedMerge<T> {
    fn new(
        tail: Vec<T>,
        readers: Vec<RunReader>,
        temp: Option<(Arc<dyn Vfs>, PathBuf)>,
    ) -> Result<Self> {
        let mut merge = FixedMerge {
            tail: tail.into_iter(),
            heap: BinaryHeap::with_capacity(readers.len() + 1),
            readers,
            temp,
        };
        if !merge.readers.is_empty() {
            for source in 0..=merge.readers.len() {
                if let Some(r) = next_of(&mut merge.readers, &mut merge.tail, source)? {
                    merge.heap.push(Reverse((r, source)));
                }
            }
        }
        Ok(merge)
    }

    /// The next record in order, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<T>> {
        if self.readers.is_empty() {
            return Ok(self.tail.next());
        }
        let Some(mut top) = self.heap.peek_mut() else {
            return Ok(None);
        };
        let Reverse((record, source)) = *top;
        // The source's next record takes the top's place: one sift, not a pop and a push.
        match next_of(&mut self.readers, &mut self.tail, source)? {
            Some(n) => *top = Reverse((n, source)),
            None => {
                PeekMut::pop(top);
            }
        }
        Ok(Some(record))
    }
}

/// The next record of source `source` of a merge: run `source`, or past the runs the tail.
fn next_of<T: FixedRecord>(
    readers: &mut [RunReader],
    tail: &mut std::vec::IntoIter<T>,
    source: usize,
) -> Result<Option<T>> {
    match readers.get_mut(source) {
        Some(reader) => reader.next(),
        None => Ok(tail.next()),
    }
}

impl<T: FixedRecord> Drop for FixedMerge<T> {
    fn drop(&mut self) {
        self.readers.clear();
        if let Some((vfs, path)) = self.temp.take() {
            let _ = vfs.remove(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::MemVfs;

    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
    struct Rec(u32, u64);

    impl FixedRecord for Rec {
        const SIZE: usize = 12;
        fn encode(&self, out: &mut [u8]) {
            out[..4].copy_from_slice(&self.0.to_le_bytes());
            out[4..].copy_from_slice(&self.1.to_le_bytes());
        }
        fn decode(b: &[u8]) -> Self {
            let mut a = [0u8; 4];
            a.copy_from_slice(&b[..4]);
            let mut c = [0u8; 8];
            c.copy_from_slice(&b[4..12]);
            Rec(u32::from_le_bytes(a), u64::from_le_bytes(c))
        }
    }

    fn drained(merge: &mut FixedMerge<Rec>) -> Vec<Rec> {
        let mut out = Vec::new();
        while let Some(r) = merge.next_record().unwrap() {
            out.push(r);
        }
        out
    }

    /// Random records with duplicates, across many runs and a tail, and fewer than one
    /// run's worth: each comes out as the model's sort, duplicates kept, and the file is
    /// gone once the merge is dropped.
    #[test]
    fn merges_runs_and_tail_in_order_keeping_duplicates() {
        let mem = MemVfs::new();
        let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for count in [0usize, 1, 5_000, 20_011, 70_000] {
            let path = PathBuf::from(format!("/d/g-sort-{count}"));
            let mut sorter = FixedSorter::<Rec>::new(Arc::clone(&vfs), path.clone(), 1 << 16);
            let mut model = Vec::new();
            for _ in 0..count {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let r = Rec((rng % 97) as u32, rng % 1_000);
                sorter.put(r).unwrap();
                model.push(r);
            }
            let spilled = mem.read_file(&path).is_some();
            assert_eq!(spilled, count * size_of::<Rec>() >= 1 << 16, "{count}");
            model.sort();
            let mut merge = sorter.drain().unwrap();
            assert_eq!(drained(&mut merge), model, "{count}");
            drop(merge);
            assert!(
                mem.read_file(&path).is_none(),
                "{count}: the file is removed"
            );
        }
    }

    /// A run file cut short (a record split) is an error from the merge, never a panic or
    /// a quiet end; a sorter dropped undrained removes its file.
    #[test]
    fn a_truncated_run_is_an_error_and_files_go_with_the_sorter() {
        let mem = MemVfs::new();
        let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
        let path = PathBuf::from("/d/g-sort-t");
        let mut sorter = FixedSorter::<Rec>::new(Arc::clone(&vfs), path.clone(), 1 << 16);
        for i in 0..10_000u64 {
            sorter.put(Rec((i % 7) as u32, i)).unwrap();
        }
        let mut bytes = mem.read_file(&path).unwrap();
        bytes.truncate(bytes.len() - 5);
        mem.write_file(&path, bytes);
        // The merge reads each run's first piece when it starts, the rest as it goes.
        let result = match sorter.drain() {
            Err(e) => Err(e),
            Ok(mut merge) => loop {
                match merge.next_record() {
                    Ok(Some(_)) => {}
                    other => break other.map(|_| ()),
                }
            },
        };
        assert!(result.is_err(), "a truncated run must be reported");

        let other = PathBuf::from("/d/g-sort-u");
        let mut sorter = FixedSorter::<Rec>::new(vfs, other.clone(), 1 << 16);
        for i in 0..10_000u64 {
            sorter.put(Rec(0, i)).unwrap();
        }
        assert!(mem.read_file(&other).is_some());
        drop(sorter);
        assert!(mem.read_file(&other).is_none());
    }
}
