//! Whole-graph scans of the adjacency: every relationship, every node's degree (counted
//! from the chunks without decoding them) and the two-step walks through middle nodes,
//! each tree read a leaf at a time and, on a large graph, in runs on several threads.

use std::ops::Bound;

use pagegraph_storage::{LeafKeys, ValueRef};

use super::ReadTxn;
use crate::adjacency;
use crate::degrees;
use crate::error::{GraphError, Result};
use crate::ids::{Direction, EdgeId, NodeId};
use crate::record::{self, node_key};

/// A node's relationship count in one direction, from [`ReadTxn::degrees`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeDegree {
    /// The node.
    pub node: NodeId,
    /// How many relationships it has in the direction asked for.
    pub degree: u64,
    /// How many of those are self-loops.
    pub self_loops: u64,
}

/// The two-step walks through middle nodes of a graph, from [`ReadTxn::two_step_walks`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TwoStepWalks {
    /// First steps into middle nodes: the sum over middle nodes of their first degree.
    pub first_steps: u64,
    /// How many of those first steps are self-loops (counted only when asked for).
    pub first_self_loops: u64,
    /// Walks of a first step into a middle node and a second step out of it: the sum over
    /// middle nodes of first degree times second degree (saturating).
    pub walks: u64,
}

impl TwoStepWalks {
    fn add(&mut self, other: TwoStepWalks) {
        self.first_steps = self.first_steps.saturating_add(other.first_steps);
        self.first_self_loops = self.first_self_loops.saturating_add(other.first_self_loops);
        self.walks = self.walks.saturating_add(other.walks);
    }
}

impl ReadTxn {
    /// Calls `f(node, other, edge)` for every relationship in the outgoing (`incoming`
    /// false) or incoming adjacency, of one of `types` (any type when `None`): one
    /// sequential scan, in order of `node`, then type, `other` and edge. For whole-graph
    /// counts that filter the ends by label (as sets of ids) without a lookup per node.
    pub fn for_each_relationship(
        &self,
        incoming: bool,
        types: Option<&[&str]>,
        mut f: impl FnMut(NodeId, NodeId, EdgeId),
    ) -> Result<()> {
        let wanted = self.type_ids(types)?;
        if wanted.as_ref().is_some_and(Vec::is_empty) {
            return Ok(());
        }
        self.each_adjacency(incoming, None, None, |node, ty, other, edge| {
            if wanted.as_ref().is_none_or(|w| w.contains(&ty)) {
                f(node, other, edge);
            }
        })
    }

    /// The ids of the named types that exist (`None`: no filter).
    pub(super) fn type_ids(&self, types: Option<&[&str]>) -> Result<Option<Vec<u32>>> {
        let Some(names) = types else {
            return Ok(None);
        };
        let mut ids = Vec::new();
        for name in names {
            if let Some(id) = self.string_id(name)? {
                ids.push(id);
            }
        }
        Ok(Some(ids))
    }

    /// Every node with relationships in `dir` (of one of `types`, or of any type when
    /// `types` is `None`), in id order, with how many it has and how many of those are
    /// self-loops: one sequential scan of the adjacency chunks, no lookup per node. The
    /// degrees behind whole-graph counts, such as the number of two-step paths (the sum over
    /// nodes of in-degree times out-degree). A self-loop counts once per direction, so
    /// twice (and as two self-loops) for [`Direction::Both`].
    pub fn degrees(&self, dir: Direction, types: Option<&[&str]>) -> Result<Vec<NodeDegree>> {
        self.degrees_counting(dir, types, true)
    }

    /// [`ReadTxn::degrees_counting`] in one direction (`incoming` or outgoing), handed to
    /// `f` node by node in id order instead of gathered into one vector.
    pub fn for_each_degree(
        &self,
        incoming: bool,
        types: Option<&[&str]>,
        self_loops: bool,
        mut f: impl FnMut(NodeDegree),
    ) -> Result<()> {
        let wanted = self.type_ids(types)?;
        if wanted.as_ref().is_some_and(Vec::is_empty) {
            return Ok(());
        }
        let threads = self.degree_threads()?;
        let mut pending: Option<NodeDegree> = None;
        for run in self.degree_runs(incoming, wanted.as_deref(), self_loops, threads)? {
            for d in run {
                match &mut pending {
                    // A node's chunks may straddle two runs.
                    Some(p) if p.node == d.node => {
                        p.degree += d.degree;
                        p.self_loops += d.self_loops;
                    }
                    _ => {
                        if let Some(p) = pending.replace(d) {
                            f(p);
                        }
                    }
                }
            }
        }
        if let Some(p) = pending {
            f(p);
        }
        Ok(())
    }

    /// The two-step walks through the nodes that pass `middle`: a first step of one of
    /// `first_types` (any type when `None`) that arrives at the middle node (`first_incoming`:
    /// the node is the relationship's end; else its start), then a second step of one of
    /// `second_types` in the direction `second_incoming` says. Both degrees of each node come
    /// from the adjacency's chunk counts (no relationship decoded; self-loops decoded only
    /// when `first_self_loops`), and no array by node id is built: the graph is cut into
    /// runs of nodes, each read on a thread of its own (up to four on a large graph), both
    /// trees over the same nodes. This counts walks, not paths: a walk may take one
    /// relationship twice (see `first_self_loops` to take such walks off).
    pub fn two_step_walks(
        &self,
        first_incoming: bool,
        first_types: Option<&[&str]>,
        second_incoming: bool,
        second_types: Option<&[&str]>,
        first_self_loops: bool,
        middle: &(dyn Fn(NodeId) -> bool + Sync),
    ) -> Result<TwoStepWalks> {
        let (first, second) = (self.type_ids(first_types)?, self.type_ids(second_types)?);
        if first.as_ref().is_some_and(Vec::is_empty) {
            return Ok(TwoStepWalks::default());
        }
        let threads = self.degree_threads()?;
        let cuts: Vec<record::Key> = self
            .balanced_node_cuts(first_incoming, second_incoming, threads)?
            .into_iter()
            .map(node_key)
            .collect();
        let bound = |t: usize| -> Option<&[u8]> {
            t.checked_sub(1).and_then(|t| cuts.get(t)).map(|k| &k[..])
        };
        let (first, second) = (first.as_deref(), second.as_deref());
        let runs = crate::algo::parallel::on_threads(
            cuts.len() + 1,
            &mut |_| {},
            |t, _| -> Result<TwoStepWalks> {
                let range = (bound(t), bound(t + 1));
                // The first degrees of the run's middle nodes, in node order.
                let mut firsts: Vec<NodeDegree> = Vec::new();
                self.chunk_counts_in(first_incoming, range, first, first_self_loops, |c| {
                    if middle(c.node) {
                        add_degree(&mut firsts, c);
                    }
                })?;
                let mut walks = TwoStepWalks::default();
                for d in &firsts {
                    walks.first_steps = walks.first_steps.saturating_add(d.degree);
                    walks.first_self_loops = walks.first_self_loops.saturating_add(d.self_loops);
                }
                if second.as_ref().is_some_and(|s| s.is_empty()) {
                    return Ok(walks);
                }
                // Each chunk of the second tree times its node's first degree: the products
                // add up per node whatever the chunks.
                let mut at = 0;
                self.chunk_counts_in(second_incoming, range, second, false, |c| {
                    while firsts.get(at).is_some_and(|d| d.node < c.node) {
                        at += 1;
                    }
                    if let Some(d) = firsts.get(at).filter(|d| d.node == c.node) {
                        walks.walks = walks
                            .walks
                            .saturating_add(d.degree.saturating_mul(c.degree));
                    }
                })?;
                Ok(walks)
            },
        );
        let mut total = TwoStepWalks::default();
        for run in runs {
            total.add(run?);
        }
        Ok(total)
    }

    /// Up to `parts - 1` ascending nodes that cut both adjacency trees (`a_incoming`'s
    /// direction and `b_incoming`'s, perhaps the same) into runs of about equal work, the
    /// leaves of the two trees together: each tree's quantiles by leaves (its split keys,
    /// eight per part, cut at the node; a split too short to name a node is passed over)
    /// estimate the share of its leaves below a node, and each cut is the quantile node
    /// where the two shares together come nearest the run's end. (A graph whose edges
    /// point at a few popular nodes has one tree crowded at their ids and the other spread
    /// evenly: cutting by one tree alone left one run with twice the other's work.)
    fn balanced_node_cuts(
        &self,
        a_incoming: bool,
        b_incoming: bool,
        parts: usize,
    ) -> Result<Vec<NodeId>> {
        if parts < 2 {
            return Ok(Vec::new());
        }
        let quantiles = |incoming: bool| -> Result<Vec<u64>> {
            let mut nodes: Vec<u64> = self
                .adjacency_splits(incoming, parts * 8)?
                .iter()
                .filter_map(|k| record::get_ordered(k, &mut 0))
                .collect();
            nodes.dedup();
            Ok(nodes)
        };
        let a = quantiles(a_incoming)?;
        let b = if b_incoming == a_incoming {
            a.clone()
        } else {
            quantiles(b_incoming)?
        };
        // The share of a tree's leaves below node `n` is the quantiles at or below it over
        // their number plus one (a tree without splits, one leaf, counts as all at its
        // first node). Compared in integers: how far `parts` times the two shares' sum is
        // from `2 t`, all over (a + 1)(b + 1).
        let (da, db) = (a.len() as i128 + 1, b.len() as i128 + 1);
        let below = |q: &[u64], n: u64| q.partition_point(|&x| x <= n) as i128;
        let mut candidates: Vec<u64> = a.iter().chain(&b).copied().collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut cuts: Vec<NodeId> = Vec::new();
        for t in 1..parts {
            let off = |n: u64| {
                let sum = below(&a, n) * db + below(&b, n) * da;
                (parts as i128 * sum - 2 * t as i128 * da * db).abs()
            };
            let best = candidates.iter().copied().min_by_key(|&n| off(n));
            if let Some(n) = best
                && cuts.last().is_none_or(|last| last.0 < n)
            {
                cuts.push(NodeId(n));
            }
        }
        Ok(cuts)
    }

    /// Threads for a whole-graph degree scan: up to four on a large graph, else one.
    fn degree_threads(&self) -> Result<usize> {
        Ok(if self.edge_count()? >= DEGREE_THREADS_EDGES_MIN {
            std::thread::available_parallelism().map_or(1, |t| t.get().min(4))
        } else {
            1
        })
    }

    /// The per-chunk degrees of one adjacency direction (types `wanted`, any when `None`),
    /// read on `threads` threads, each a run of the tree: the runs in key order, each in
    /// key order, a node's chunks possibly split between the end of one and the start of
    /// the next.
    fn degree_runs(
        &self,
        incoming: bool,
        wanted: Option<&[u32]>,
        self_loops: bool,
        threads: usize,
    ) -> Result<Vec<Vec<NodeDegree>>> {
        let splits = self.adjacency_splits(incoming, threads)?;
        let bound = |t: usize| -> Option<&[u8]> {
            t.checked_sub(1)
                .and_then(|t| splits.get(t))
                .map(Vec::as_slice)
        };
        // A node's chunks come together: about one entry per node of the run. A hint only,
        // bounded: the count comes from the file, and a damaged one must not ask for an
        // allocation the process cannot have (the vector grows as it needs).
        let per_run =
            (usize::try_from(self.node_count()?).unwrap_or(0) / (splits.len() + 1)).min(1 << 20);
        crate::algo::parallel::on_threads(splits.len() + 1, &mut |_| {}, |t, _| {
            let mut out: Vec<NodeDegree> = Vec::with_capacity(per_run + per_run / 8);
            let range = (bound(t), bound(t + 1));
            self.chunk_counts_in(incoming, range, wanted, self_loops, |c| {
                add_degree(&mut out, c);
            })?;
            Ok(out)
        })
        .into_iter()
        .collect()
    }

    /// [`ReadTxn::degrees`], counting self-loops only when `self_loops` is true (else
    /// they are 0): finding them decodes part of every chunk, counting relationships does
    /// not. A large graph is scanned on up to four threads, each reading a run of the
    /// adjacency.
    pub fn degrees_counting(
        &self,
        dir: Direction,
        types: Option<&[&str]>,
        self_loops: bool,
    ) -> Result<Vec<NodeDegree>> {
        let one = |incoming: bool| -> Result<Vec<NodeDegree>> {
            let mut out: Vec<NodeDegree> = Vec::new();
            self.for_each_degree(incoming, types, self_loops, |d| out.push(d))?;
            Ok(out)
        };
        match dir {
            Direction::Outgoing => one(false),
            Direction::Incoming => one(true),
            Direction::Both => {
                let (outs, ins) = (one(false)?, one(true)?);
                let mut out = Vec::with_capacity(outs.len().max(ins.len()));
                let (mut at_out, mut at_in) = (0, 0);
                loop {
                    let next = match (outs.get(at_out), ins.get(at_in)) {
                        (Some(x), Some(y)) if x.node == y.node => {
                            at_out += 1;
                            at_in += 1;
                            NodeDegree {
                                node: x.node,
                                degree: x.degree + y.degree,
                                self_loops: x.self_loops + y.self_loops,
                            }
                        }
                        (Some(x), Some(y)) if x.node < y.node => {
                            at_out += 1;
                            *x
                        }
                        (Some(x), None) => {
                            at_out += 1;
                            *x
                        }
                        (_, Some(y)) => {
                            at_in += 1;
                            *y
                        }
                        (None, None) => break,
                    };
                    out.push(next);
                }
                Ok(out)
            }
        }
    }

    /// Calls `f` for every chunk of the outgoing (or incoming) adjacency with a key from
    /// `range.0` (included) to `range.1` (excluded), of the type ids `wanted` (all when
    /// `None`), in key order, as a [`NodeDegree`] of its node: how many relationships the
    /// chunk holds, counted without decoding them, and how many of those lead back to the
    /// node when `self_loops` is asked for (else 0). A node's relationships may span
    /// several chunks.
    fn chunk_counts_in(
        &self,
        incoming: bool,
        range: (Option<&[u8]>, Option<&[u8]>),
        wanted: Option<&[u32]>,
        self_loops: bool,
        mut f: impl FnMut(NodeDegree),
    ) -> Result<()> {
        if self.h.degrees && !self_loops {
            // One entry per node and type, from the degree tree (`degrees.rs`).
            let Some(tree) = self.degree_tree(incoming) else {
                return Ok(());
            };
            // The run's bounds are adjacency keys: the nodes they start with bound it.
            let node_of = |k: Option<&[u8]>| -> Result<Option<NodeId>> {
                k.map(|k| {
                    record::get_ordered(k, &mut 0).map(NodeId).ok_or_else(|| {
                        GraphError::corrupt("adjacency key", "", "no node at its start")
                    })
                })
                .transpose()
            };
            let (lo, hi) = (node_of(range.0)?, node_of(range.1)?);
            degrees::for_each_in(&tree, lo, hi, wanted, |node, degree| {
                f(NodeDegree {
                    node,
                    degree,
                    self_loops: 0,
                });
            })?;
            return Ok(());
        }
        if self.delta_in(incoming, range.0, range.1)? {
            // Chunks of the main tree and of its delta interleave: counted pair by pair from
            // the two merged (each pair a count of one).
            return self.each_adjacency(incoming, range.0, range.1, |node, ty, other, _| {
                if wanted.is_none_or(|w| w.contains(&ty)) {
                    f(NodeDegree {
                        node,
                        degree: 1,
                        self_loops: u64::from(self_loops && other == node),
                    });
                }
            });
        }
        let mut bad = false;
        self.adjacency_runs(incoming, range.0, range.1, |run| {
            run.touch();
            for (k, v) in run.entries() {
                if bad {
                    return;
                }
                let (ValueRef::Inline(v), Some((node, ty))) = (v, record::decode_adjacency_head(k))
                else {
                    bad = true;
                    return;
                };
                if wanted.is_some_and(|w| !w.contains(&ty)) {
                    continue;
                }
                let loops = if self_loops {
                    record::decode_adjacency_full(k).and_then(|(_, _, other, edge)| {
                        adjacency::self_loops_in(node, (other, edge), v)
                    })
                } else {
                    Some(0)
                };
                match (adjacency::chunk_len(v), loops) {
                    (Some(degree), Some(self_loops)) => f(NodeDegree {
                        node,
                        degree,
                        self_loops,
                    }),
                    _ => bad = true,
                }
            }
        })?;
        if bad {
            return Err(GraphError::corrupt(
                "adjacency chunk",
                "",
                "damaged (a varint cut short or a pair missing its edge)",
            ));
        }
        Ok(())
    }

    /// Keys that cut the outgoing (or incoming) adjacency tree into up to `parts` runs of
    /// about equal size, for [`ReadTxn::each_adjacency`] on several threads.
    pub(crate) fn adjacency_splits(&self, incoming: bool, parts: usize) -> Result<Vec<Vec<u8>>> {
        match self.tree(if incoming { self.h.inc } else { self.h.out }) {
            Some(tree) => Ok(tree.split_keys(parts)?),
            None => Ok(Vec::new()),
        }
    }

    /// Whether the delta of the outgoing (or incoming) adjacency has chunks with keys from
    /// `from` (included) to `until` (excluded): scans that read the main tree's chunks as
    /// they are then merge the two pair by pair instead.
    pub(crate) fn delta_in(
        &self,
        incoming: bool,
        from: Option<&[u8]>,
        until: Option<&[u8]>,
    ) -> Result<bool> {
        match self.adjacency_trees(incoming).1 {
            Some(delta) => adjacency::delta::any_in(&delta, from, until),
            None => Ok(false),
        }
    }

    /// Calls `f(node, type, other, edge)` for every entry of the outgoing (or incoming)
    /// adjacency with a key from `from` (included) to `until` (excluded), `None` meaning
    /// the tree's start or end, in key order: by node, then type, then other end, then
    /// edge. The entries of the main tree and of its delta (`adjacency/delta.rs`) are
    /// merged; together they must strictly increase, so a pair in both trees, or either
    /// tree out of order, is a `Corrupt` error.
    pub(crate) fn each_adjacency(
        &self,
        incoming: bool,
        from: Option<&[u8]>,
        until: Option<&[u8]>,
        mut f: impl FnMut(NodeId, u32, NodeId, EdgeId),
    ) -> Result<()> {
        let mut bad = false;
        // The last entry passed on: entries must strictly increase (invariants 1 and 2 of
        // `adjacency.rs`), across chunks and trees too.
        let mut last: Option<(NodeId, u32, NodeId, EdgeId)> = None;
        let mut emit = |entry: (NodeId, u32, NodeId, EdgeId), bad: &mut bool| {
            if last.is_some_and(|l| l >= entry) {
                *bad = true;
            }
            last = Some(entry);
            if !*bad {
                f(entry.0, entry.1, entry.2, entry.3);
            }
        };
        let delta = self.adjacency_trees(incoming).1;
        let mut extra = delta
            .as_ref()
            .map(|d| adjacency::delta::Entries::new(d, from, until));
        let mut failed = None;
        self.adjacency_runs(incoming, from, until, |run| {
            run.touch();
            for (k, v) in run.entries() {
                let ValueRef::Inline(v) = v else {
                    bad = true;
                    return;
                };
                let whole = adjacency::decode_entry(k, v, |node, ty, other, edge| {
                    let entry = (node, ty, other, edge);
                    if let Some(x) = extra.as_mut()
                        && failed.is_none()
                        && let Err(e) = x.drain_below(Some(entry), &mut |d| emit(d, &mut bad))
                    {
                        failed = Some(e);
                    }
                    emit(entry, &mut bad);
                });
                if whole.is_none() || bad || failed.is_some() {
                    bad |= whole.is_none();
                    return;
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        if let Some(x) = extra.as_mut()
            && !bad
        {
            x.drain_below(None, &mut |d| emit(d, &mut bad))?;
        }
        if bad {
            return Err(GraphError::corrupt(
                "adjacency chunk",
                "",
                "damaged or out of order",
            ));
        }
        Ok(())
    }

    /// The raw keys of the outgoing (or incoming) adjacency tree from `from` (included) to
    /// `until` (excluded), a leaf's run at a time, for scans that decode them in their own
    /// tight loop (`record::decode_adjacency_full`); see [`ReadTxn::each_adjacency`].
    pub(crate) fn adjacency_runs(
        &self,
        incoming: bool,
        from: Option<&[u8]>,
        until: Option<&[u8]>,
        f: impl FnMut(&LeafKeys<'_>),
    ) -> Result<()> {
        let Some(tree) = self.tree(if incoming { self.h.inc } else { self.h.out }) else {
            return Ok(());
        };
        let lo = from.map_or(Bound::Unbounded, Bound::Included);
        let hi = until.map_or(Bound::Unbounded, Bound::Excluded);
        tree.range(lo, hi).for_each_run(f)?;
        Ok(())
    }
}

/// Edges from which [`ReadTxn::degrees_counting`] scans on several threads: few in debug
/// builds, so that tests of small graphs join runs that split a node's chunks.
const DEGREE_THREADS_EDGES_MIN: u64 = if cfg!(debug_assertions) { 64 } else { 1 << 18 };

/// Adds `d` to the degrees `out` ends with: to its last entry when that is `d`'s node.
fn add_degree(out: &mut Vec<NodeDegree>, d: NodeDegree) {
    match out.last_mut() {
        Some(last) if last.node == d.node => {
            last.degree += d.degree;
            last.self_loops += d.self_loops;
        }
        _ => out.push(d),
    }
}
