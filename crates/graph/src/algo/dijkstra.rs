//! Dijkstra's shortest paths over edge weights: point to point (bidirectional) and from one
//! source.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::bidirectional::{self, Weighted};
use super::{AlgoError, Csr, Path, Result};
use crate::ids::{Direction, NodeId};

/// A heap entry: a tentative distance; the heap pops the smallest first.
#[derive(Clone, Copy, PartialEq)]
pub(crate) struct Tentative(pub(crate) f64, pub(crate) u32);

impl Eq for Tentative {}

impl Ord for Tentative {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then_with(|| other.1.cmp(&self.1))
    }
}

impl PartialOrd for Tentative {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Distances and parents from one source, stopping early once `stop` is settled.
pub(crate) struct Run {
    pub(crate) dist: Vec<f64>,
    pub(crate) parent: Vec<Option<(u32, usize)>>,
}

/// Nodes and edge positions a search may not use (Yen's spur searches).
pub(crate) struct Bans<'a> {
    pub(crate) nodes: &'a [bool],
    pub(crate) positions: &'a rustc_hash::FxHashSet<usize>,
}

pub(crate) fn run(
    g: &Csr,
    source: u32,
    dir: Direction,
    stop: Option<u32>,
    bans: Option<&Bans<'_>>,
) -> Run {
    let n = g.node_count();
    let mut dist = vec![f64::INFINITY; n];
    let mut parent = vec![None; n];
    let mut done = vec![false; n];
    let mut heap = BinaryHeap::new();
    dist[source as usize] = 0.0;
    heap.push(Tentative(0.0, source));
    while let Some(Tentative(d, v)) = heap.pop() {
        if done[v as usize] {
            continue;
        }
        done[v as usize] = true;
        if stop == Some(v) {
            break;
        }
        g.each(v, dir, |w, pos| {
            if bans.is_some_and(|b| b.nodes[w as usize] || b.positions.contains(&pos)) {
                return;
            }
            let nd = d + g.weight(pos);
            if nd < dist[w as usize] {
                dist[w as usize] = nd;
                parent[w as usize] = Some((v, pos));
                heap.push(Tentative(nd, w));
            }
        });
    }
    Run { dist, parent }
}

pub(crate) fn index(g: &Csr, id: NodeId) -> Result<u32> {
    g.index(id).ok_or(AlgoError::NodeNotFound(id))
}

/// A cheapest path from `from` to `to` following edges in `dir`, where an edge costs its
/// weight ([`super::CsrOptions::weight_field`]; 1 when the snapshot has no weights); `None`
/// if `to` cannot be reached. Its `cost` is the sum of its edges' weights, in path order.
///
/// A bidirectional Dijkstra (the search is described, and its stop proven, in
/// `bidirectional.rs`): one search from `from` following `dir`, one from `to` against it,
/// stopping once the smallest distances queued on the two sides add up to at least the
/// cheapest path met. It settles about the nodes within half the distance of either end
/// instead of every node closer than `to`, and keeps them in hash maps, so a query costs
/// what it reads, not the size of the snapshot. With `Outgoing` or `Incoming` the
/// backward search reads the other side of the snapshot, built on its first use.
/// [`super::cheapest_path`] runs the same search straight from the store.
///
/// When several paths are equally cheap, which one is returned is not specified beyond
/// this: each side's queue pops the smallest distance, then the smallest node index, so
/// the same snapshot gives the same path.
pub fn dijkstra(g: &Csr, from: NodeId, to: NodeId, dir: Direction) -> Result<Option<Path>> {
    let (source, target) = (index(g, from)?, index(g, to)?);
    Ok(
        bidirectional::search(g, source, target, dir)?.map(|found| Path {
            cost: found.cost(),
            nodes: found.nodes.iter().map(|&n| g.id(n)).collect(),
            edges: found.edges.iter().map(|&(p, _)| g.edge_id(p)).collect(),
        }),
    )
}

/// A snapshot's nodes by index and edges by position, with the snapshot's weights.
impl Weighted for Csr {
    type Node = u32;
    type Edge = usize;

    fn each_weighted(
        &self,
        node: u32,
        dir: Direction,
        f: &mut dyn FnMut(u32, usize, f64),
    ) -> Result<()> {
        self.each(node, dir, |w, pos| f(w, pos, self.weight(pos)));
        Ok(())
    }
}

/// Single-source shortest paths: the cost of the cheapest path from `from` to every node
/// it reaches (itself at 0), in index (id) order.
pub fn sssp(g: &Csr, from: NodeId, dir: Direction) -> Result<Vec<(NodeId, f64)>> {
    let s = index(g, from)?;
    let r = run(g, s, dir, None, None);
    Ok(r.dist
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_finite())
        .map(|(i, &d)| (g.id(i as u32), d))
        .collect())
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "hand-computed values exact in binary")]
mod tests {
    use super::*;
    use crate::ids::EdgeId;

    #[test]
    fn cheapest_path_by_hand() {
        // 1 -> 2 (1), 2 -> 3 (1), 1 -> 3 (5), 3 -> 4 (2), 1 -> 4 (10); 5 unreachable.
        let nodes: Vec<NodeId> = (1..=5).map(NodeId).collect();
        let e = [
            (1, 2, 1.0),
            (2, 3, 1.0),
            (1, 3, 5.0),
            (3, 4, 2.0),
            (1, 4, 10.0),
        ];
        let edges: Vec<_> = e
            .iter()
            .map(|&(a, b, w)| (NodeId(a), NodeId(b), w))
            .collect();
        let g = Csr::from_weighted_edges(&nodes, &edges).unwrap();
        let p = dijkstra(&g, NodeId(1), NodeId(4), Direction::Outgoing)
            .unwrap()
            .unwrap();
        assert_eq!(p.nodes, vec![NodeId(1), NodeId(2), NodeId(3), NodeId(4)]);
        assert_eq!(p.edges, vec![EdgeId(1), EdgeId(2), EdgeId(4)]);
        assert_eq!(p.cost, 4.0);
        assert_eq!(
            dijkstra(&g, NodeId(1), NodeId(5), Direction::Outgoing).unwrap(),
            None
        );
        let all = sssp(&g, NodeId(1), Direction::Outgoing).unwrap();
        assert_eq!(
            all,
            vec![
                (NodeId(1), 0.0),
                (NodeId(2), 1.0),
                (NodeId(3), 2.0),
                (NodeId(4), 4.0)
            ]
        );
        let back = sssp(&g, NodeId(4), Direction::Incoming).unwrap();
        assert_eq!(back[0], (NodeId(1), 4.0));
    }
}
