//! A write transaction's deferred adjacency (`WriteTxn::defer_adjacency`): the adjacency
//! keys of the edges it inserts go to two external sorts instead of the trees, and are
//! written once, merged and packed on helpers, at flush or commit.

use std::sync::mpsc::sync_channel;

use super::{Adjacency, WriteTxn};
use crate::adjacency;
use crate::degrees;
use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};
use crate::record::{IN, OUT};
use pagegraph_storage::FixedSorter;

/// The adjacency entries of the edges inserted since [`WriteTxn::defer_adjacency`], in
/// external sorts (bounded memory), written by [`WriteTxn::flush_adjacency`].
pub(super) struct Deferred {
    out: SortWorker,
    inc: SortWorker,
    /// Both adjacency trees were empty when deferring began: the entries are appended.
    fresh: bool,
}

/// A batch's edges as the sort workers read them: ends, types, and the first of its
/// consecutive edge ids.
pub(super) struct DeferBatch {
    pub(super) ends: Vec<(NodeId, NodeId)>,
    pub(super) types: Vec<u32>,
    pub(super) first: EdgeId,
}

/// Batches a sort worker may hold queued: bounds the memory the overlap holds.
const BATCHES_QUEUED: usize = 1;

/// One direction's deferred sort on a thread of its own, so that a batch's sorting runs
/// while the writer goes on with the next batch (a helper joined at every batch made the
/// writer wait for each run's sort). Dropping it ends the thread, whose sorter removes
/// its file.
struct SortWorker {
    send: Option<std::sync::mpsc::SyncSender<std::sync::Arc<DeferBatch>>>,
    thread: Option<std::thread::JoinHandle<Result<FixedSorter<Sorted>>>>,
}

impl SortWorker {
    fn start(mut sorter: FixedSorter<Sorted>, outgoing: bool) -> Result<SortWorker> {
        let (send, batches) = sync_channel::<std::sync::Arc<DeferBatch>>(BATCHES_QUEUED);
        let thread = std::thread::Builder::new()
            .name("pagegraph-sort".into())
            .spawn(move || -> Result<FixedSorter<Sorted>> {
                for b in batches {
                    defer_entries(&mut sorter, &b, outgoing)?;
                }
                Ok(sorter)
            })
            .map_err(|e| {
                GraphError::Storage(pagegraph_storage::StorageError::Io {
                    op: "starting a sort thread",
                    source: e,
                })
            })?;
        Ok(SortWorker {
            send: Some(send),
            thread: Some(thread),
        })
    }

    /// Hands a batch over; a worker that stopped (it failed) gives its error.
    fn put(&mut self, batch: &std::sync::Arc<DeferBatch>) -> Result<()> {
        let sent = match &self.send {
            Some(s) => s.send(std::sync::Arc::clone(batch)).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        self.finish().map(|_| ())
    }

    /// Ends the worker: its sorter with every batch in it, or its error.
    fn finish(&mut self) -> Result<FixedSorter<Sorted>> {
        self.send = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(sort_thread_error("a sort thread panicked")),
            None => Err(sort_thread_error("the sort thread already ended")),
        }
    }
}

/// The error of a sort thread that is gone without its sorter (not damage to any file).
fn sort_thread_error(reason: &'static str) -> GraphError {
    GraphError::Storage(pagegraph_storage::StorageError::Io {
        op: "sorting deferred adjacency",
        source: std::io::Error::other(reason),
    })
}

impl Drop for SortWorker {
    fn drop(&mut self) {
        self.send = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Memory each deferred adjacency direction holds before it writes a sorted run (64 KiB,
/// about 2,000 entries, in unit tests, so that they merge many runs).
const DEFERRED_BUDGET_BYTES: usize = if cfg!(test) { 1 << 16 } else { 64 << 20 };

impl WriteTxn {
    /// Holds back the adjacency of the edges this transaction inserts from now on: their
    /// entries go to two external sorts, one per direction, each on a thread of its own
    /// (bounded memory, sorted runs in a temporary file beside the database; a batch is
    /// sorted while the caller goes on with the next) and are written once, in key order, by
    /// [`WriteTxn::flush_adjacency`] or at commit. Into a graph without edges they are
    /// packed and appended (each adjacency page written once, none left free); otherwise
    /// they are merged into the chunks as batches are. The way to load many batches of
    /// edges in one transaction, where writing each batch's adjacency would rewrite most of
    /// the adjacency every time.
    ///
    /// Meanwhile nothing in this transaction may read or change adjacency: neighbors,
    /// degrees, edge and node deletes, merges of edges and repacks fail with
    /// `AdjacencyDeferred` and change nothing. Records, indexes and counts are written as
    /// usual. Calling it again while deferring does nothing.
    pub fn defer_adjacency(&mut self) -> Result<()> {
        if self.deferred.is_some() {
            return Ok(());
        }
        let fresh = self.tx.tree(OUT)?.is_empty()? && self.tx.tree(IN)?.is_empty()?;
        self.deferred = Some(Deferred {
            out: SortWorker::start(self.tx.fixed_sorter(DEFERRED_BUDGET_BYTES), true)?,
            inc: SortWorker::start(self.tx.fixed_sorter(DEFERRED_BUDGET_BYTES), false)?,
            fresh,
        });
        Ok(())
    }

    /// Hands a batch's adjacency to the deferred sorts (when deferring); true if it did.
    pub(super) fn defer_batch(&mut self, batch: impl FnOnce() -> DeferBatch) -> Result<bool> {
        let Some(d) = self.deferred.as_mut() else {
            return Ok(false);
        };
        let batch = std::sync::Arc::new(batch());
        d.out.put(&batch)?;
        d.inc.put(&batch)?;
        Ok(true)
    }

    /// Writes the adjacency held back since [`WriteTxn::defer_adjacency`] and ends that
    /// mode (nothing to do when not deferring). Commit calls it.
    pub fn flush_adjacency(&mut self) -> Result<()> {
        let Some(mut d) = self.deferred.take() else {
            return Ok(());
        };
        let fresh = d.fresh;
        let (out, inc) = (d.out.finish()?, d.inc.finish()?);
        std::thread::scope(|scope| -> Result<()> {
            // Each direction is merged (and, into empty trees, packed) on a helper, a slice
            // at a time, while this thread writes the slices of both in turn, so that the
            // two merges run side by side.
            let (out_send, out_slices) = sync_channel(SLICES_IN_FLIGHT);
            let (in_send, in_slices) = sync_channel(SLICES_IN_FLIGHT);
            scope.spawn(move || merge_slices(out, fresh, &out_send));
            scope.spawn(move || merge_slices(inc, fresh, &in_send));
            let mut open = [(OUT, Some(out_slices)), (IN, Some(in_slices))];
            while open.iter().any(|(_, s)| s.is_some()) {
                for (name, slices) in &mut open {
                    let Some(rx) = slices else { continue };
                    let Ok(slice) = rx.recv() else {
                        // That direction is done.
                        *slices = None;
                        continue;
                    };
                    let mut tree = self.tx.tree(name)?;
                    let (slice, groups) = slice?;
                    match slice {
                        Slice::Packed(chunks) => chunks.append(&mut tree)?,
                        Slice::Entries(entries) => adjacency::insert_sorted(&mut tree, &entries)?,
                    }
                    degrees::add(&mut self.tx.tree(degrees::tree_of(name))?, &groups)?;
                }
            }
            Ok(())
        })
    }

    /// Fails with `AdjacencyDeferred` while adjacency is held back: for the writes that read
    /// or change adjacency, before they change anything.
    pub(super) fn adjacency_not_deferred(&self) -> Result<()> {
        match self.deferred {
            Some(_) => Err(GraphError::AdjacencyDeferred),
            None => Ok(()),
        }
    }
}

/// Slices of one direction's deferred adjacency between its merging helper and the
/// writer: bounds the memory the overlap holds.
const SLICES_IN_FLIGHT: usize = 2;

/// A slice of merged deferred adjacency: packed chunks to append (the trees were empty),
/// or sorted entries to merge into the chunks.
enum Slice {
    Packed(adjacency::Chunks),
    Entries(Vec<Adjacency>),
}

/// A slice and its pairs per `(node, type)`, for the degree tree.
type CountedSlice = (Slice, Vec<degrees::Group>);

/// Drains one direction's deferred sort into `out` in slices of whole `(node, type)`
/// groups, packed when `fresh`. Stops quietly when the writer hangs up (it failed); an
/// error of its own is the last item sent.
fn merge_slices(
    sorter: FixedSorter<Sorted>,
    fresh: bool,
    out: &std::sync::mpsc::SyncSender<Result<CountedSlice>>,
) {
    let slice_of = |entries: Vec<Adjacency>| {
        let groups = degrees::groups(&entries);
        let slice = if fresh {
            Slice::Packed(adjacency::pack_entries(&entries))
        } else {
            Slice::Entries(entries)
        };
        (slice, groups)
    };
    let merged = (|| -> Result<()> {
        let mut merged = sorter.drain()?;
        let mut slice: Vec<Adjacency> = Vec::with_capacity(adjacency::SLICE_ENTRIES);
        while let Some(Sorted(e)) = merged.next_record()? {
            // Slices end between groups: a group is packed whole.
            if slice.len() >= adjacency::SLICE_ENTRIES
                && slice.last().is_some_and(|l| (l.0, l.1) != (e.0, e.1))
            {
                let full =
                    std::mem::replace(&mut slice, Vec::with_capacity(adjacency::SLICE_ENTRIES));
                if out.send(Ok(slice_of(full))).is_err() {
                    return Ok(());
                }
            }
            slice.push(e);
        }
        if !slice.is_empty() {
            let _ = out.send(Ok(slice_of(slice)));
        }
        Ok(())
    })();
    if let Err(e) = merged {
        let _ = out.send(Err(e));
    }
}

/// Puts a batch's adjacency entries of one direction into a deferred sort.
fn defer_entries(sorter: &mut FixedSorter<Sorted>, b: &DeferBatch, outgoing: bool) -> Result<()> {
    for (i, (&(from, to), &ty)) in b.ends.iter().zip(&b.types).enumerate() {
        let (node, other) = if outgoing { (from, to) } else { (to, from) };
        sorter.put(Sorted((node, ty, other, EdgeId(b.first.0 + i as u64))))?;
    }
    Ok(())
}

/// An adjacency entry `(node, type, neighbor, edge)` in a deferred sort: ordered as the
/// adjacency trees' keys are, 28 bytes a record in a run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Sorted(Adjacency);

impl pagegraph_storage::FixedRecord for Sorted {
    const SIZE: usize = 28;

    fn encode(&self, out: &mut [u8]) {
        let (node, ty, other, edge) = self.0;
        out[..8].copy_from_slice(&node.0.to_le_bytes());
        out[8..12].copy_from_slice(&ty.to_le_bytes());
        out[12..20].copy_from_slice(&other.0.to_le_bytes());
        out[20..28].copy_from_slice(&edge.0.to_le_bytes());
    }

    fn decode(b: &[u8]) -> Self {
        let u64_at = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let mut t = [0u8; 4];
        t.copy_from_slice(&b[8..12]);
        Sorted((
            NodeId(u64_at(0)),
            u32::from_le_bytes(t),
            NodeId(u64_at(12)),
            EdgeId(u64_at(20)),
        ))
    }

    /// Buckets the records by their node's high bits (one counting pass, then one pass of
    /// swaps in place: no second buffer), then sorts each bucket: the comparisons stay
    /// within small buckets that fit in the processor's caches. A run of one node, or a
    /// small run, is sorted whole.
    fn sort(records: &mut [Self]) {
        const BUCKET_BITS: u32 = 11;
        if records.len() < 1 << 14 {
            records.sort_unstable();
            return;
        }
        let node = |r: &Sorted| r.0.0.0;
        let (lo, hi) = records.iter().fold((u64::MAX, 0), |(lo, hi), r| {
            (lo.min(node(r)), hi.max(node(r)))
        });
        let span = hi - lo;
        let shift = (u64::BITS - span.leading_zeros()).saturating_sub(BUCKET_BITS);
        let bucket = |r: &Sorted| ((node(r) - lo) >> shift) as usize;
        // `span >> shift` is below 2^BUCKET_BITS, so the buckets are few.
        let mut ends = vec![0usize; (span >> shift) as usize + 1];
        for r in records.iter() {
            ends[bucket(r)] += 1;
        }
        let mut sum = 0;
        for e in &mut ends {
            sum += *e;
            *e = sum;
        }
        let mut starts: Vec<usize> = Vec::with_capacity(ends.len());
        starts.push(0);
        starts.extend_from_slice(&ends[..ends.len() - 1]);
        // `heads[b]`: the first slot of bucket `b` not yet known to hold one of its own.
        let mut heads = starts.clone();
        for b in 0..ends.len() {
            while heads[b] < ends[b] {
                let d = bucket(&records[heads[b]]);
                if d != b {
                    records.swap(heads[b], heads[d]);
                }
                heads[d] += 1;
            }
        }
        for (&s, &e) in starts.iter().zip(&ends) {
            records[s..e].sort_unstable();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::record;
    use crate::{Direction, Graph, NodeSpec, TypedEdge};
    use pagegraph_storage::FixedRecord;

    /// A record reads back as written, extremes included, and records order as the
    /// adjacency keys of their tuples do.
    #[test]
    fn sorted_records_round_trip_in_key_order() {
        let records = [
            (0, 0, 0, 0),
            (u64::MAX, u32::MAX, u64::MAX, u64::MAX),
            (1 << 40, 7, 3, 1 << 33),
            (1 << 40, 7, 3, (1 << 33) + 1),
            (1 << 40, 8, 0, 0),
        ]
        .map(|(n, t, o, e)| Sorted((NodeId(n), t, NodeId(o), EdgeId(e))));
        for r in records {
            let mut b = [0u8; Sorted::SIZE];
            r.encode(&mut b);
            assert!(Sorted::decode(&b) == r);
        }
        for a in records {
            for b in records {
                let key = |r: Sorted| record::adjacency_key(r.0.0, r.0.1, r.0.2, r.0.3);
                assert_eq!(a.cmp(&b), key(a).as_ref().cmp(key(b).as_ref()));
            }
        }
    }

    /// The bucketed sort gives the comparison sort's order: uniform nodes, a hub, a
    /// narrow span (fewer buckets than bits), ids near the top of the range, one node.
    #[test]
    fn bucketed_sort_orders_as_the_comparison_sort() {
        let mut rng = fastrand::Rng::with_seed(11);
        let shapes: [(u64, u64); 5] = [
            (0, 1_000_000),
            (5, 6),
            (1 << 40, (1 << 40) + 900),
            (u64::MAX - 5_000_000, u64::MAX),
            (7, 7),
        ];
        for (lo, hi) in shapes {
            let mut records: Vec<Sorted> = (0..40_000)
                .map(|i| {
                    let node = if i % 5 == 0 { lo } else { rng.u64(lo..=hi) };
                    Sorted((
                        NodeId(node),
                        rng.u32(0..3),
                        NodeId(rng.u64(..)),
                        EdgeId(rng.u64(0..100)),
                    ))
                })
                .collect();
            let mut want = records.clone();
            want.sort_unstable();
            <Sorted as FixedRecord>::sort(&mut records);
            assert!(records == want, "nodes {lo}..={hi}");
        }
    }

    /// A sort run whose write fails (on its sort thread) fails the transaction with an
    /// error, at a later batch or at commit, never a panic; what was committed before
    /// stays, and no sort file is left.
    #[test]
    fn a_failed_run_write_fails_the_transaction_and_keeps_the_committed_graph() {
        use pagegraph_storage::file::{FaultPlan, FaultVfs, MemVfs, Vfs};
        use std::sync::Arc;
        let path = std::path::Path::new("/g.pgdb");
        let nodes = 500u64;
        let mut rng = fastrand::Rng::with_seed(5);
        let mut edges = |n: usize| -> Vec<TypedEdge> {
            (0..n)
                .map(|_| TypedEdge {
                    from: NodeId(rng.u64(1..=nodes)),
                    to: NodeId(rng.u64(1..=nodes)),
                    edge_type: 0,
                    data: serde_json::Value::Null.into(),
                })
                .collect()
        };
        for n in [1u64, 2, 5, 11] {
            let mem = MemVfs::new();
            let faulty = FaultVfs::new(mem.clone());
            let g = Graph::open_with_vfs(Arc::new(faulty.clone()), path, crate::Options::default())
                .unwrap();
            let mut tx = g.begin_write().unwrap();
            tx.insert_nodes((1..=nodes).map(|i| NodeSpec::new("n", format!("n{i}"))))
                .unwrap();
            tx.insert_typed_edges(&["A"], edges(100)).unwrap();
            tx.commit().unwrap();
            let mut tx = g.begin_write().unwrap();
            tx.defer_adjacency().unwrap();
            let mut plan = FaultPlan::default();
            plan.fail_write = Some(n);
            faulty.set_plan(plan);
            let mut result = Ok(());
            for _ in 0..6 {
                if result.is_ok() {
                    result = tx.insert_typed_edges(&["A"], edges(5_000)).map(|_| ());
                }
            }
            let result = result.and_then(|()| tx.commit());
            assert!(faulty.fired(), "write {n}: the fault fired");
            assert!(result.is_err(), "write {n}: the failure is reported");
            drop(g);
            let g = Graph::open_with_vfs(Arc::new(mem.clone()), path, crate::Options::default())
                .unwrap();
            assert_eq!(
                g.begin_read().unwrap().edge_count().unwrap(),
                100,
                "write {n}"
            );
            assert!(g.check().unwrap().is_clean(), "write {n}");
            let mut prefix = path.as_os_str().to_os_string();
            prefix.push("-sort-");
            let left = mem.list_prefix(std::path::Path::new(&prefix)).unwrap();
            assert!(left.is_empty(), "write {n}: {left:?}");
        }
    }

    /// With the unit-test budget a deferred transaction of 30,000 edges spills about
    /// fifteen runs a direction; the merged adjacency is what the same edges written
    /// without deferring give, in an empty graph and in one with edges.
    #[test]
    fn spilled_runs_merge_into_the_plain_adjacency() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = fastrand::Rng::with_seed(3);
        let nodes = 500u64;
        let mut edges = |n: usize| -> Vec<TypedEdge> {
            (0..n)
                .map(|_| TypedEdge {
                    from: NodeId(rng.u64(1..=nodes)),
                    to: NodeId(rng.u64(1..=nodes)),
                    edge_type: rng.u32(0..3),
                    data: serde_json::Value::Null.into(),
                })
                .collect()
        };
        let early = edges(2_000);
        let batches = [edges(12_000), edges(18_000)];
        for grown in [false, true] {
            let mut shapes = Vec::new();
            for defer in [false, true] {
                let g = Graph::open(dir.path().join(format!("{grown}-{defer}.pgdb"))).unwrap();
                let mut tx = g.begin_write().unwrap();
                tx.insert_nodes((1..=nodes).map(|i| NodeSpec::new("n", format!("n{i}"))))
                    .unwrap();
                if grown {
                    tx.insert_typed_edges(&["A", "B", "C"], early.clone())
                        .unwrap();
                }
                tx.commit().unwrap();
                let mut tx = g.begin_write().unwrap();
                if defer {
                    tx.defer_adjacency().unwrap();
                }
                for b in &batches {
                    tx.insert_typed_edges(&["A", "B", "C"], b.clone()).unwrap();
                }
                tx.commit().unwrap();
                assert!(g.check().unwrap().is_clean());
                let r = g.begin_read().unwrap();
                let mut shape = Vec::new();
                for n in 1..=nodes {
                    for dir in [Direction::Outgoing, Direction::Incoming] {
                        shape.push(r.neighbors(NodeId(n), dir, None).unwrap());
                    }
                }
                shapes.push(shape);
            }
            assert!(
                shapes[0] == shapes[1],
                "grown {grown}: the adjacency differs"
            );
        }
    }
}
