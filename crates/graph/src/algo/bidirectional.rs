//! Bidirectional Dijkstra: a cheapest path between two nodes, searched from both ends, over
//! a snapshot ([`super::dijkstra`]) or straight from the store ([`cheapest_path`]).
//!
//! One search runs from the start following the direction asked, one from the end against
//! it. Each step settles the next node of the side with fewer queued entries (the forward
//! side on a tie). Every edge a side relaxes into a node the other side has a distance for
//! offers a path (`best` keeps the cheapest); the search stops once the smallest queued
//! distances of the two sides add up to at least `best`.
//!
//! Why that stop is right, with non-negative weights: say a path `P` of cost `L < best`
//! remained. Every node `x` of `P` has `d_f(x) + d_b(x) = L < top_f + top_b`, so
//! `d_f(x) < top_f` (settled forward) or `d_b(x) < top_b` (settled backward). If both
//! tops are positive, the end is settled backward; take the first node `y` of `P` that
//! is. If `y` is the start, the relaxation that gave it its final backward distance `L`
//! saw its forward distance 0 and offered `L`. Otherwise the node `x` before it is settled
//! forward, and whichever of the two was settled second relaxed the edge between them
//! while the other's distance was final, and offered `L`. If one top is 0, the other is
//! above `L`, so the other side settled all of `P`, and the relaxation that gave this
//! side's root its final distance saw the root's distance 0 and offered `L`. Either way
//! `best <= L`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::hash::Hash;

use rustc_hash::FxHashMap;
use serde_json::Value;

use super::shortest_path::against;
use super::{AlgoError, Path, Result, StoreView, require};
use crate::ids::{Direction, EdgeId, NodeId};

/// What the search needs of a weighted graph: each edge of a node in a direction, with
/// the node at its other end and its weight (finite, not negative).
pub(crate) trait Weighted {
    /// A node, as the graph names it.
    type Node: Copy + Eq + Hash + Ord;
    /// An edge, as the graph names it.
    type Edge: Copy;

    /// Calls `f(other end, edge, weight)` for every edge of `node` in `dir`.
    fn each_weighted(
        &self,
        node: Self::Node,
        dir: Direction,
        f: &mut dyn FnMut(Self::Node, Self::Edge, f64),
    ) -> Result<()>;
}

/// A cheapest path found: its nodes, and each edge with its weight.
pub(crate) struct Found<N, E> {
    pub(crate) nodes: Vec<N>,
    pub(crate) edges: Vec<(E, f64)>,
}

impl<N, E> Found<N, E> {
    /// The sum of the weights, in path order.
    pub(crate) fn cost(&self) -> f64 {
        self.edges.iter().map(|&(_, w)| w).sum()
    }
}

/// A cheapest path from `source` to `target` following edges in `dir` (see the module
/// documentation); `None` if there is none.
pub(crate) fn search<G: Weighted>(
    g: &G,
    source: G::Node,
    target: G::Node,
    dir: Direction,
) -> Result<Option<Found<G::Node, G::Edge>>> {
    if source == target {
        return Ok(Some(Found {
            nodes: vec![source],
            edges: Vec::new(),
        }));
    }
    let mut forward = Side::new(source, dir);
    let mut backward = Side::new(target, against(dir));
    let mut best = f64::INFINITY;
    // The cheapest path offered: (node of the forward side, edge, node of the backward
    // side).
    let mut meeting = None;
    while let (Some(f), Some(b)) = (forward.top(), backward.top()) {
        if f + b >= best {
            break;
        }
        if forward.heap.len() <= backward.heap.len() {
            if let Some(m) = forward.settle_next(g, &backward, &mut best)? {
                meeting = Some(m);
            }
        } else if let Some((b, e, f)) = backward.settle_next(g, &forward, &mut best)? {
            meeting = Some((f, e, b));
        }
    }
    let Some((near, (edge, weight), far)) = meeting else {
        return Ok(None);
    };
    // Both halves, each node with the edge that joins it to the next one toward its root.
    let head = forward.chain(near);
    let tail = backward.chain(far);
    let mut nodes: Vec<G::Node> = head.iter().rev().map(|&(n, _)| n).collect();
    let mut edges: Vec<(G::Edge, f64)> = head.iter().rev().filter_map(|&(_, e)| e).collect();
    edges.push((edge, weight));
    nodes.extend(tail.iter().map(|&(n, _)| n));
    edges.extend(tail.iter().filter_map(|&(_, e)| e));
    Ok(Some(Found { nodes, edges }))
}

/// A heap entry: a tentative distance; the heap pops the smallest first, then the
/// smallest node.
#[derive(Clone, Copy, PartialEq)]
struct Queued<N>(f64, N);

impl<N: PartialEq + Ord> Eq for Queued<N> {}

impl<N: Ord> Ord for Queued<N> {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then_with(|| other.1.cmp(&self.1))
    }
}

impl<N: Ord> PartialOrd for Queued<N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A node's label on one side.
#[derive(Clone, Copy)]
struct Label<N, E> {
    /// The cheapest distance from the side's root found so far.
    dist: f64,
    /// The node before it toward the root, and the edge joining them with its weight.
    parent: Option<(N, (E, f64))>,
    /// Whether `dist` is final.
    settled: bool,
}

/// The edge a side relaxed into a node the other side reached: `(this side's node,
/// (edge, weight), the other side's node)`.
type Meeting<N, E> = (N, (E, f64), N);

/// One side of the search: labels of the nodes it reached and its queue.
struct Side<N, E> {
    dir: Direction,
    labels: FxHashMap<N, Label<N, E>>,
    heap: BinaryHeap<Queued<N>>,
}

impl<N: Copy + Eq + Hash + Ord, E: Copy> Side<N, E> {
    fn new(root: N, dir: Direction) -> Self {
        let mut labels = FxHashMap::default();
        labels.insert(
            root,
            Label {
                dist: 0.0,
                parent: None,
                settled: false,
            },
        );
        Side {
            dir,
            labels,
            heap: BinaryHeap::from([Queued(0.0, root)]),
        }
    }

    /// The smallest distance queued for a node not yet settled, dropping stale entries.
    fn top(&mut self) -> Option<f64> {
        while let Some(&Queued(d, v)) = self.heap.peek() {
            match self.labels.get(&v) {
                Some(l) if !l.settled && d <= l.dist => return Some(d),
                _ => {
                    self.heap.pop();
                }
            }
        }
        None
    }

    /// Settles the node at the top of the queue (after [`Side::top`]) and relaxes its
    /// edges. Returns the cheapest path offered through one of them into a node the other
    /// side reached, if it is cheaper than `best` (which it lowers).
    fn settle_next<G: Weighted<Node = N, Edge = E>>(
        &mut self,
        g: &G,
        other: &Side<N, E>,
        best: &mut f64,
    ) -> Result<Option<Meeting<N, E>>> {
        let Some(Queued(d, v)) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(l) = self.labels.get_mut(&v) {
            l.settled = true;
        }
        let mut meeting = None;
        let (labels, heap) = (&mut self.labels, &mut self.heap);
        g.each_weighted(v, self.dir, &mut |w, e, weight| {
            let nd = d + weight;
            let label = labels.entry(w).or_insert(Label {
                dist: f64::INFINITY,
                parent: None,
                settled: false,
            });
            if !label.settled && nd < label.dist {
                *label = Label {
                    dist: nd,
                    parent: Some((v, (e, weight))),
                    settled: false,
                };
                heap.push(Queued(nd, w));
            }
            if let Some(o) = other.labels.get(&w) {
                let through = nd + o.dist;
                if through < *best {
                    *best = through;
                    meeting = Some((v, (e, weight), w));
                }
            }
        })?;
        Ok(meeting)
    }

    /// `node`, then each node toward the root, each with the edge that joins it to the
    /// next one (`None` for the root).
    fn chain(&self, node: N) -> Vec<(N, Option<(E, f64)>)> {
        let mut out = Vec::new();
        let mut at = Some(node);
        while let Some(n) = at {
            let parent = self.labels.get(&n).and_then(|l| l.parent);
            out.push((n, parent.map(|(_, e)| e)));
            at = parent.map(|(p, _)| p);
        }
        out
    }
}

/// A read transaction's edges, weighted by a field of each edge's data.
struct StoreWeights<'v, 'r> {
    view: &'v StoreView<'r>,
    field: &'v str,
}

impl Weighted for StoreWeights<'_, '_> {
    type Node = NodeId;
    type Edge = EdgeId;

    fn each_weighted(
        &self,
        node: NodeId,
        dir: Direction,
        f: &mut dyn FnMut(NodeId, EdgeId, f64),
    ) -> Result<()> {
        let mut edges = Vec::new();
        super::Adjacency::for_each_edge(self.view, node, dir, &mut |e, n| edges.push((e, n)))?;
        for (e, n) in edges {
            let data = self.view.edge_data(e)?;
            f(n, e, weight_in(e, data.as_ref(), self.field)?);
        }
        Ok(())
    }
}

/// The weight in one edge's data, as [`super::CsrOptions::weight_field`] reads it: the
/// field's number, 1 when the edge has no data or no such field.
fn weight_in(edge: EdgeId, data: Option<&Value>, field: &str) -> Result<f64> {
    let bad = |reason: String| AlgoError::BadWeight {
        edge,
        field: field.to_string(),
        reason,
    };
    match data.and_then(|d| d.get(field)) {
        None => Ok(1.0),
        Some(Value::Number(n)) => {
            let w = n
                .as_f64()
                .ok_or_else(|| bad(format!("is {n}, not a finite number")))?;
            if !w.is_finite() || w < 0.0 {
                return Err(bad(format!(
                    "is {w}; weights must be finite and not negative"
                )));
            }
            Ok(w)
        }
        Some(other) => Err(bad(format!("is {other}, not a number"))),
    }
}

/// A cheapest path from `from` to `to` following edges in `dir`, where an edge costs the
/// number in its data's `weight_field` (1 when absent, as
/// [`super::CsrOptions::weight_field`]), read straight from the store: no snapshot is
/// built, so one query on a large graph reads only the part of it the search reaches,
/// an edge record per edge it relaxes. `None` if `to` cannot be reached; `cost` is the sum
/// of the path's weights in path order.
///
/// The same bidirectional Dijkstra as [`super::dijkstra`] (see its documentation for ties),
/// over the view's edges (of its edge type, if it has one). A weight that is not a
/// non-negative number fails with [`AlgoError::BadWeight`] when the search reads its edge;
/// unlike a snapshot, which reads every weight first, an edge the search never reaches is
/// not checked. Fails with [`AlgoError::NodeNotFound`] if either end does not exist.
pub fn cheapest_path(
    g: &StoreView<'_>,
    weight_field: &str,
    from: NodeId,
    to: NodeId,
    dir: Direction,
) -> Result<Option<Path>> {
    require(g, from)?;
    require(g, to)?;
    let weights = StoreWeights {
        view: g,
        field: weight_field,
    };
    Ok(search(&weights, from, to, dir)?.map(|found| Path {
        cost: found.cost(),
        edges: found.edges.iter().map(|&(e, _)| e).collect(),
        nodes: found.nodes,
    }))
}
