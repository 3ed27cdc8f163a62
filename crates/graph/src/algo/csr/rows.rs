//! The outgoing rows of a snapshot ([`super::Csr::build`]): the adjacency tree read in key
//! order on up to four threads, each run's rows laid out as they are read, with the pairs
//! of the adjacency delta tree (`adjacency/delta.rs`) merged in.

use super::{Indexer, PROGRESS_EVERY};
use crate::adjacency;
use crate::algo::parallel::on_threads;
use crate::algo::{Progress, ProgressFn, Result};
use crate::ids::{EdgeId, NodeId};
use crate::read::ReadTxn;
use crate::record::decode_adjacency_full;
use pagegraph_storage::ValueRef;

/// Edges from which a build scans the adjacency tree on several threads.
const PARALLEL_EDGES_MIN: usize = 1 << 16;

/// Marks an `out_start` entry not yet set while the runs are joined.
const UNSET: usize = usize::MAX;

/// Most threads a build uses.
const BUILD_THREADS_MAX: usize = 4;

/// The most rows a run reserves room for before it reads them (2^26: 768 MiB of rows; a
/// larger graph's rows grow past it).
const CAPACITY_HINT_MAX: usize = 1 << 26;

/// One run of the outgoing adjacency tree as one thread read it: rows in key order.
#[derive(Default)]
struct Rows {
    /// Source index of the run's first entry.
    first: u32,
    /// Where each source index from `first` starts in `to`; a source without entries
    /// starts where the next one does.
    starts: Vec<usize>,
    to: Vec<u32>,
    edge: Vec<EdgeId>,
    /// An edge with an endpoint that is not a node.
    missing: Option<EdgeId>,
    /// An entry whose source comes before the previous entry's.
    unordered: bool,
}

impl Rows {
    /// Opens the row of source index `a` at position `at` of `to`, after the row of
    /// `row_now` if `had_row`; false (and `unordered` set) if `a` does not come after it.
    fn open_row(&mut self, had_row: bool, row_now: u32, a: u32, at: usize) -> bool {
        if !had_row {
            self.first = a;
        } else if a <= row_now {
            self.unordered = true;
            return false;
        }
        self.starts.resize((a - self.first) as usize + 1, at);
        true
    }
}

/// Appends an entry to `target` through `edge` to a run's rows; false if the target is not
/// a node. The body of the build's hot loop, so marked for inlining.
#[inline]
fn push_entry(
    index: Indexer,
    ids: &[NodeId],
    (to, edges): (&mut Vec<u32>, &mut Vec<EdgeId>),
    target: NodeId,
    edge: EdgeId,
) -> bool {
    let Some(b) = index.get(ids, target) else {
        return false;
    };
    to.push(b);
    edges.push(edge);
    true
}

/// What [`read_rows`] needs to add pairs one at a time: the snapshot's ids and the type
/// kept.
#[derive(Clone, Copy)]
struct Pairs<'a> {
    index: Indexer,
    ids: &'a [NodeId],
    type_filter: Option<u32>,
}

impl Pairs<'_> {
    /// Adds one pair (a delta's, or one of a merged chunk) to the rows, unless of another
    /// type; false (with `rows` saying why) to stop.
    fn push(
        self,
        rows: &mut Rows,
        at: &mut RowAt,
        (to, edges): (&mut Vec<u32>, &mut Vec<EdgeId>),
        (source, ty, target, edge): adjacency::Entry,
        count: &mut u64,
    ) -> bool {
        if self.type_filter.is_some_and(|t| t != ty) {
            return true;
        }
        if !at.enter(rows, (self.index, self.ids), source, edge, to.len()) {
            return false;
        }
        *count += 1;
        if !push_entry(self.index, self.ids, (to, edges), target, edge) {
            rows.missing = Some(edge);
            return false;
        }
        true
    }

    /// Adds a chunk (first entry `first`, other pairs `value`) and the delta's pairs before
    /// it, merging them pair by pair when the delta holds pairs of its `(node, type)`;
    /// false (with `rows` saying why) to stop.
    #[allow(clippy::too_many_arguments)] // the chunk, the delta, and the rows being filled
    fn chunk(
        self,
        delta: &mut adjacency::delta::Entries<'_>,
        first: adjacency::Entry,
        value: &[u8],
        rows: &mut Rows,
        at: &mut RowAt,
        (to, edges): (&mut Vec<u32>, &mut Vec<EdgeId>),
        count: &mut u64,
    ) -> crate::Result<bool> {
        let Some(merge) = self.before(delta, first, rows, at, (&mut *to, &mut *edges), count)?
        else {
            return Ok(false);
        };
        let (source, ty, target, edge) = first;
        if self.type_filter.is_some_and(|t| t != ty) {
            return Ok(true);
        }
        if merge {
            return self.merge_chunk(delta, first, value, rows, at, (to, edges), count);
        }
        let mut ok = true;
        adjacency::decode_chunk((target, edge), value, |(t, e)| {
            ok = ok && self.push(rows, at, (&mut *to, &mut *edges), (source, ty, t, e), count);
        })
        .ok_or_else(|| crate::GraphError::corrupt("adjacency chunk", source, "damaged"))?;
        Ok(ok)
    }

    /// Adds the delta's pairs left after the last chunk.
    fn rest(
        self,
        delta: &mut adjacency::delta::Entries<'_>,
        rows: &mut Rows,
        at: &mut RowAt,
        count: &mut u64,
    ) -> crate::Result<()> {
        let (mut to, mut edges) = (std::mem::take(&mut rows.to), std::mem::take(&mut rows.edge));
        let mut ok = true;
        let drained = delta.drain_below(None, &mut |d| {
            ok = ok && self.push(rows, at, (&mut to, &mut edges), d, count);
        });
        (rows.to, rows.edge) = (to, edges);
        drained
    }

    /// Adds the delta's pairs below `first` (a chunk's first entry); then whether the
    /// delta's next pair is of the chunk's `(node, type)` (the chunk must then be merged
    /// pair by pair), or `None` (with `rows` saying why) to stop.
    fn before(
        self,
        delta: &mut adjacency::delta::Entries<'_>,
        first: adjacency::Entry,
        rows: &mut Rows,
        at: &mut RowAt,
        (to, edges): (&mut Vec<u32>, &mut Vec<EdgeId>),
        count: &mut u64,
    ) -> crate::Result<Option<bool>> {
        let mut ok = true;
        delta.drain_below(Some(first), &mut |d| {
            ok = ok && self.push(rows, at, (&mut *to, &mut *edges), d, count);
        })?;
        if !ok {
            return Ok(None);
        }
        Ok(Some(
            delta
                .peek()?
                .is_some_and(|n| (n.0, n.1) == (first.0, first.1)),
        ))
    }

    /// Adds a chunk whose first entry is `first` and other pairs `value`, merged pair by
    /// pair with the delta's pairs of its `(node, type)`; false (with `rows` saying why, or
    /// for a damaged chunk, with nothing set) to stop.
    #[allow(clippy::too_many_arguments)] // the chunk, the delta, and the rows being filled
    fn merge_chunk(
        self,
        delta: &mut adjacency::delta::Entries<'_>,
        first: adjacency::Entry,
        value: &[u8],
        rows: &mut Rows,
        at: &mut RowAt,
        (to, edges): (&mut Vec<u32>, &mut Vec<EdgeId>),
        count: &mut u64,
    ) -> crate::Result<bool> {
        let (source, ty, target, edge) = first;
        let mut pairs = Vec::new();
        if adjacency::decode_chunk((target, edge), value, |p| pairs.push(p)).is_none() {
            return Err(crate::GraphError::corrupt(
                "adjacency chunk",
                source,
                "damaged",
            ));
        }
        for (t, e) in pairs {
            let entry = (source, ty, t, e);
            let mut ok = true;
            delta.drain_below(Some(entry), &mut |d| {
                ok = ok && self.push(rows, at, (&mut *to, &mut *edges), d, count);
            })?;
            if !ok || !self.push(rows, at, (&mut *to, &mut *edges), entry, count) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The source whose row is being filled, for [`read_rows`].
#[derive(Clone, Copy, Default)]
struct RowAt {
    source: Option<NodeId>,
    row: u32,
}

impl RowAt {
    /// Makes `source`'s row the one being filled, opening it at position `at` when it is a
    /// new source; false (with `rows.missing` naming `edge`, or `rows.unordered` set) when
    /// the source is not a node or comes before the last one.
    #[inline]
    fn enter(
        &mut self,
        rows: &mut Rows,
        (index, ids): (Indexer, &[NodeId]),
        source: NodeId,
        edge: EdgeId,
        at: usize,
    ) -> bool {
        if self.source == Some(source) {
            return true;
        }
        let Some(a) = index.get(ids, source) else {
            rows.missing = Some(edge);
            return false;
        };
        if !rows.open_row(self.source.is_some(), self.row, a, at) {
            return false;
        }
        *self = RowAt {
            source: Some(source),
            row: a,
        };
        true
    }
}

/// Reads the outgoing adjacency entries with keys in `from..until` into rows. The tree is
/// in key order, by source id, so the rows are laid out as they are read: an entry with
/// the previous entry's source is one push of its target and edge (the hot path), a new
/// source opens a row. Keys are decoded a leaf's run at a time, with the rows moved into
/// locals for the run. Where the delta tree (`adjacency/delta.rs`) holds pairs, they are
/// merged in: those before a chunk are added before it, and a chunk of a `(node, type)`
/// the delta also holds is merged pair by pair; other chunks are decoded whole. `scanned`
/// hears the number of entries read so far, about every `PROGRESS_EVERY`.
fn read_rows(
    txn: &ReadTxn,
    ids: &[NodeId],
    index: Indexer,
    type_filter: Option<u32>,
    (from, until): (Option<&[u8]>, Option<&[u8]>),
    capacity: usize,
    scanned: &mut dyn FnMut(u64),
) -> Result<Rows> {
    let mut rows = Rows {
        to: Vec::with_capacity(capacity),
        edge: Vec::with_capacity(capacity),
        ..Rows::default()
    };
    let mut count = 0u64;
    let mut report_at = PROGRESS_EVERY;
    let mut bad_key = false;
    let mut stop = false;
    let mut failed = None;
    let mut at = RowAt::default();
    let delta = txn.adjacency_trees(false).1;
    let mut extra = delta
        .as_ref()
        .map(|d| adjacency::delta::Entries::new(d, from, until));
    let cx = Pairs {
        index,
        ids,
        type_filter,
    };
    txn.adjacency_runs(false, from, until, |run| {
        if stop {
            return;
        }
        // The run's loop works on locals, not on the closure's captures.
        let (index, ids, type_filter) = (index, ids, type_filter);
        let (mut to, mut edges) = (std::mem::take(&mut rows.to), std::mem::take(&mut rows.edge));
        for (key, value) in run.entries() {
            // One chunk: its key holds the (node, type) and the first pair, its value the
            // other pairs (see `adjacency.rs`).
            let (ValueRef::Inline(value), Some((source, ty, target, edge))) =
                (value, decode_adjacency_full(key))
            else {
                bad_key = true;
                stop = true;
                break;
            };
            if extra.as_mut().is_some_and(|x| matches!(x.peek(), Ok(None))) {
                // The delta has nothing further in this run's range.
                extra = None;
            }
            if let Some(x) = extra.as_mut() {
                // With the delta's pairs merged in.
                let first = (source, ty, target, edge);
                match cx.chunk(
                    x,
                    first,
                    value,
                    &mut rows,
                    &mut at,
                    (&mut to, &mut edges),
                    &mut count,
                ) {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) => failed = Some(e),
                }
                stop = true;
                break;
            }
            if type_filter.is_some_and(|t| t != ty) {
                continue;
            }
            if !at.enter(&mut rows, (index, ids), source, edge, to.len()) {
                stop = true;
                break;
            }
            let mut missing = None;
            let whole = adjacency::decode_chunk((target, edge), value, |(t, e)| {
                count += 1;
                if missing.is_none() && !push_entry(index, ids, (&mut to, &mut edges), t, e) {
                    missing = Some(e);
                }
            });
            if whole.is_none() {
                bad_key = true;
                stop = true;
                break;
            }
            if missing.is_some() {
                rows.missing = missing;
                stop = true;
                break;
            }
        }
        (rows.to, rows.edge) = (to, edges);
        if count >= report_at {
            scanned(count);
            report_at = count + PROGRESS_EVERY;
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    // The delta's pairs after the last chunk.
    if let Some(x) = extra.as_mut()
        && !stop
        && !bad_key
    {
        cx.rest(x, &mut rows, &mut at, &mut count)?;
    }
    if bad_key {
        return Err(crate::GraphError::corrupt("adjacency entry", "", "short key").into());
    }
    Ok(rows)
}

/// The outgoing rows of the snapshot (`out_start`, `out_to`, `out_edge`), from one scan of
/// the outgoing adjacency tree, cut into runs of about equal size read on up to
/// `BUILD_THREADS_MAX` threads when the graph is large. The calling thread reads the first
/// run and reports progress.
pub(super) fn scan_out_rows(
    txn: &ReadTxn,
    ids: &[NodeId],
    index: Indexer,
    type_filter: Option<u32>,
    entries: usize,
    progress: ProgressFn<'_>,
) -> Result<(Vec<usize>, Vec<u32>, Vec<EdgeId>)> {
    let threads = if entries >= PARALLEL_EDGES_MIN {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(BUILD_THREADS_MAX))
    } else {
        1
    };
    let mut splits = txn.adjacency_splits(false, threads)?;
    if txn.delta_in(false, None, None)? {
        // Runs that merge a delta pair by pair are cut between nodes, so that no row is
        // split between two runs (its pairs then come in key order from one merge).
        splits = node_cuts(&splits);
    }
    let parts = splits.len() + 1;
    let bound = |t: usize| -> Option<&[u8]> {
        t.checked_sub(1)
            .and_then(|t| splits.get(t))
            .map(Vec::as_slice)
    };
    // Room for a run's rows when all entries are kept: its share (with some slack), and
    // all of them for the first run, which the others are appended to.
    let share = entries.div_ceil(parts) + entries / 16;
    // Hints, bounded: `entries` is a count read from the file, and a damaged one must not
    // ask for an allocation the process cannot have (rows grow past a hint as needed).
    let capacity = |t: usize| {
        match (type_filter, t) {
            (Some(_), _) => 0,
            (None, 0) => entries,
            (None, _) => share,
        }
        .min(CAPACITY_HINT_MAX)
    };
    let total = entries as u64;
    let runs = on_threads(parts, progress, |t, report| {
        let mut scanned = |done: u64| {
            report(Progress {
                stage: "scanning edges",
                done: done * parts as u64,
                total,
            });
        };
        let range = (bound(t), bound(t + 1));
        read_rows(
            txn,
            ids,
            index,
            type_filter,
            range,
            capacity(t),
            &mut scanned,
        )
    });
    let runs = runs.into_iter().collect::<Result<Vec<Rows>>>()?;
    let n = ids.len();
    let mut out_start = vec![UNSET; n + 1];
    let mut runs = runs.into_iter();
    let Some(mut base) = runs.next() else {
        return Ok((vec![0; n + 1], Vec::new(), Vec::new()));
    };
    // The last source index with a row so far.
    let mut last: Option<usize> = None;
    let mut add = |rows: &Rows, offset: usize| -> Result<()> {
        if let Some(edge) = rows.missing {
            return Err(
                crate::GraphError::corrupt("edge", edge, "an endpoint is not a node").into(),
            );
        }
        let first = rows.first as usize;
        if rows.unordered || (!rows.starts.is_empty() && last.is_some_and(|l| first < l)) {
            return Err(crate::GraphError::corrupt(
                "adjacency tree",
                "",
                "entries out of source order",
            )
            .into());
        }
        for (i, &s) in rows.starts.iter().enumerate() {
            // A row cut between two runs starts where the earlier run put it.
            let slot = &mut out_start[first + i];
            if *slot == UNSET {
                *slot = offset + s;
            }
        }
        if !rows.starts.is_empty() {
            last = Some(first + rows.starts.len() - 1);
        }
        Ok(())
    };
    add(&base, 0)?;
    for rows in runs {
        add(&rows, base.to.len())?;
        base.to.extend_from_slice(&rows.to);
        base.edge.extend_from_slice(&rows.edge);
    }
    // Sources without a row (no entries) start where the next row does.
    out_start[n] = base.to.len();
    for i in (0..n).rev() {
        if out_start[i] == UNSET {
            out_start[i] = out_start[i + 1];
        }
    }
    Ok((out_start, base.to, base.edge))
}

/// Adjacency split keys moved back to the start of their node's keys, without repeats.
fn node_cuts(splits: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<Vec<u8>> = splits
        .iter()
        .filter_map(|k| crate::record::get_ordered(k, &mut 0))
        .map(|n| crate::record::adjacency_prefix(NodeId(n), None).to_vec())
        .collect();
    cuts.dedup();
    cuts
}
