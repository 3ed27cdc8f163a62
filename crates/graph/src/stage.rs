//! Staging a batch of inserts: every spec checked and its data encoded before anything is
//! written, with the encoding (and the dropping of the specs) overlapped on a helper thread
//! for large batches.
//!
//! The calling thread pulls the specs in order (the iterator need not be `Send`), checks each
//! one, keeps what the batch needs (endpoints, names, each item's label) and hands the spec on
//! in chunks; a helper encodes the chunks' JSON data back to back, in order, and drops them.
//! Errors keep their order: the calling thread stops at its first bad spec and has handed on
//! only the specs before it, so an encoding error the helper finds always comes first.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use serde_json::Value;

use crate::error::Result;
use crate::record;
use crate::write::WriteTxn;

/// Specs per chunk handed to the helper. A batch of one chunk or less is encoded on the
/// calling thread, with no helper started.
const CHUNK: usize = 4096;

/// Chunks in flight between the threads: bounds the memory the overlap holds.
const CHUNKS_IN_FLIGHT: usize = 4;

/// A batch's labels (kinds or edge types) and encoded data, checked before anything is
/// written.
#[derive(Default)]
pub(crate) struct Staged {
    /// Encoded data of every item.
    data: Packed,
    labels: Labels,
}

/// Each item's label, as an index into the batch's distinct labels.
#[derive(Default)]
pub(crate) struct Labels {
    label_of: Vec<u32>,
    distinct: Vec<String>,
    index: HashMap<String, u32>,
    /// The label looked up last.
    last: Option<u32>,
}

impl Labels {
    /// Records the next item's label.
    pub(crate) fn push(&mut self, s: &str) {
        let i = self.index_of(s);
        self.label_of.push(i);
    }

    /// The index of `s` among the distinct labels, added if new.
    pub(crate) fn index_of(&mut self, s: &str) -> u32 {
        // Batches usually repeat one kind or type many times in a row: compare with the last
        // one before hashing.
        let i = if let Some(i) = self.last.filter(|&i| self.distinct[i as usize] == s) {
            i
        } else if let Some(&i) = self.index.get(s) {
            i
        } else {
            let next = self.distinct.len() as u32;
            self.index.insert(s.to_string(), next);
            self.distinct.push(s.to_string());
            next
        };
        self.last = Some(i);
        i
    }

    /// `n` items, every one labelled `s`.
    pub(crate) fn repeat(s: &str, n: usize) -> Labels {
        let mut labels = Labels::default();
        let i = labels.index_of(s);
        labels.label_of = vec![i; n];
        labels
    }

    /// The distinct labels, in the order first seen.
    pub(crate) fn distinct(&self) -> &[String] {
        &self.distinct
    }
}

/// An item's data as a batch stages it: a value to encode, or bytes encoded already.
pub(crate) enum DataRef<'a> {
    Value(&'a Value),
    Encoded(&'a [u8]),
}

/// Byte strings of a run of items (encoded data, records) back to back in one buffer: one
/// allocation for a whole batch instead of one per item.
#[derive(Default)]
pub(crate) struct Packed {
    arena: Vec<u8>,
    /// `ends[i]` is where item `i` ends in `arena`.
    ends: Vec<usize>,
}

impl Packed {
    /// `n` items, item `i` written by `encode(i, buffer)` at the buffer's end.
    pub(crate) fn encode(n: usize, mut encode: impl FnMut(usize, &mut Vec<u8>)) -> Packed {
        let mut p = Packed {
            arena: Vec::new(),
            ends: Vec::with_capacity(n),
        };
        for i in 0..n {
            encode(i, &mut p.arena);
            p.ends.push(p.arena.len());
        }
        p
    }

    /// Item `i`.
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.arena[start..self.ends[i]]
    }

    /// The items in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.arena[start..end])
    }

    /// Items held.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Appends the binary object of `entries` (keys strictly ascending) as the next item,
    /// its size checked; nothing is appended on an error.
    pub(crate) fn push_sorted<'a>(
        &mut self,
        field: &'static str,
        entries: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) -> Result<()> {
        let start = self.arena.len();
        crate::data::encode_sorted_into(&mut self.arena, entries)
            .map_err(|reason| crate::error::GraphError::Invalid { field, reason })?;
        if let Err(e) = record::check_data_size(field, self.arena.len() - start) {
            self.arena.truncate(start);
            return Err(e);
        }
        self.ends.push(self.arena.len());
        Ok(())
    }

    /// Appends `data` as the next item, encoded as stored; nothing is appended on an error.
    pub(crate) fn push_data(&mut self, field: &'static str, data: DataRef<'_>) -> Result<()> {
        match data {
            DataRef::Value(v) => record::append_data(&mut self.arena, field, v)?,
            // Encoded from a value, its size checked (`EncodedData::new`).
            DataRef::Encoded(bytes) => self.arena.extend_from_slice(bytes),
        }
        self.ends.push(self.arena.len());
        Ok(())
    }

    /// Encodes every chunk received, in order, until the sender hangs up or an item fails.
    fn encode_all<S>(
        chunks: &Receiver<Vec<S>>,
        field: &'static str,
        data: fn(&S) -> DataRef<'_>,
    ) -> Result<Packed> {
        let mut enc = Packed::default();
        for chunk in chunks {
            for spec in chunk {
                enc.push_data(field, data(&spec))?;
            }
        }
        Ok(enc)
    }
}

impl Staged {
    /// Checks and stages `specs` in order. `front` runs on the calling thread for each spec:
    /// it checks it, takes what the batch keeps, and pushes its label; then `data` (named
    /// `field` in errors) is encoded. Fails with the first bad spec's error.
    pub(crate) fn stage<S: Send>(
        specs: impl IntoIterator<Item = S>,
        field: &'static str,
        data: fn(&S) -> DataRef<'_>,
        mut front: impl FnMut(&mut S, &mut Labels) -> Result<()>,
    ) -> Result<Staged> {
        let mut labels = Labels::default();
        let (front_result, encoded) = std::thread::scope(|scope| {
            let mut chunk: Vec<S> = Vec::new();
            let mut helper = None;
            let mut front_result = Ok(());
            for mut spec in specs {
                if let Err(e) = front(&mut spec, &mut labels) {
                    front_result = Err(e);
                    break;
                }
                chunk.push(spec);
                if chunk.len() == CHUNK {
                    let (sender, _) = helper.get_or_insert_with(|| {
                        let (sender, chunks) = sync_channel::<Vec<S>>(CHUNKS_IN_FLIGHT);
                        let h = scope.spawn(move || Packed::encode_all(&chunks, field, data));
                        (sender, h)
                    });
                    // A send fails only once the helper has stopped at a bad item; its error
                    // is the batch's.
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    if sender.send(full).is_err() {
                        break;
                    }
                }
            }
            // The specs before a bad one are encoded too: an error in their data comes first.
            let encoded = if let Some((sender, h)) = helper {
                if !chunk.is_empty() {
                    // Fails only if the helper already stopped at a bad item.
                    let _ = sender.send(chunk);
                }
                drop(sender);
                h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
            } else {
                let mut enc = Packed::default();
                chunk
                    .iter()
                    .try_for_each(|spec| enc.push_data(field, data(spec)))
                    .map(|()| enc)
            };
            (front_result, encoded)
        });
        let data = encoded?;
        front_result?;
        Ok(Staged { data, labels })
    }

    /// A batch staged already: `data` and `labels` hold one item each per item.
    pub(crate) fn from_parts(data: Packed, labels: Labels) -> Staged {
        debug_assert_eq!(data.len(), labels.label_of.len());
        Staged { data, labels }
    }

    /// Item `i`'s encoded data.
    pub(crate) fn data(&self, i: usize) -> &[u8] {
        self.data.get(i)
    }

    /// Interns the batch's labels; returns each item's string id.
    pub(crate) fn intern_labels(&self, tx: &mut WriteTxn) -> Result<Vec<u32>> {
        let ids = self
            .labels
            .distinct
            .iter()
            .map(|s| tx.intern(s))
            .collect::<Result<Vec<u32>>>()?;
        Ok(self
            .labels
            .label_of
            .iter()
            .map(|&i| ids[i as usize])
            .collect())
    }
}

/// Items from which a batch sorts its index entries on helper threads, overlapping the
/// writes of its records: below it, a thread costs more than it saves.
pub(crate) const PARALLEL_ITEMS_MIN: usize = 16_384;

/// A computation that runs on a scoped helper thread from the start, or on the calling
/// thread when its result is asked for (small batches, where a thread costs more).
pub(crate) enum Later<'scope, T, F> {
    /// Running on a helper.
    Running(ScopedJoinHandle<'scope, T>),
    /// Not started; runs in [`Later::get`].
    Waiting(F),
}

impl<'scope, T: Send + 'scope, F: FnOnce() -> T + Send + 'scope> Later<'scope, T, F> {
    /// Starts `f` on a helper of `scope` if `parallel`.
    pub(crate) fn start<'env>(scope: &'scope Scope<'scope, 'env>, parallel: bool, f: F) -> Self {
        if parallel {
            Later::Running(scope.spawn(f))
        } else {
            Later::Waiting(f)
        }
    }

    /// The result, waiting for the helper (a panic there resumes here).
    pub(crate) fn get(self) -> T {
        match self {
            Later::Running(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Later::Waiting(f) => f(),
        }
    }
}
