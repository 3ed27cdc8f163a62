//! Breadth-first search and the k-hop neighborhood.

use rustc_hash::FxHashSet;

use super::dijkstra::index;
use super::{Adjacency, Csr, Result, require};
use crate::ids::{Direction, EdgeId, NodeId};

/// A node reached by a traversal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visit {
    /// The node.
    pub node: NodeId,
    /// Hops from the start (0 for the start itself).
    pub depth: u32,
    /// The node it was reached from and the edge followed; `None` for the start.
    pub parent: Option<(NodeId, EdgeId)>,
}

/// Breadth-first search from `start` along edges in `dir`, to at most `max_depth` hops
/// (no limit when `None`). Returns every reached node once, the start first, in the order
/// reached: by depth, and within a depth in the order the view lists edges. Each node's
/// parent is the first node (in that order) that reached it, so following parents gives a
/// shortest path back to the start.
///
/// Fails with [`super::AlgoError::NodeNotFound`] if `start` does not exist.
pub fn bfs(
    g: &(impl Adjacency + ?Sized),
    start: NodeId,
    dir: Direction,
    max_depth: Option<u32>,
) -> Result<Vec<Visit>> {
    require(g, start)?;
    let mut seen = FxHashSet::default();
    seen.insert(start);
    let mut out = vec![Visit {
        node: start,
        depth: 0,
        parent: None,
    }];
    // `out` is the queue: nodes are expanded in the order they were reached.
    let mut at = 0;
    while let Some(&Visit { node, depth, .. }) = out.get(at) {
        at += 1;
        if max_depth.is_some_and(|d| depth >= d) {
            continue;
        }
        g.for_each_edge(node, dir, &mut |edge, next| {
            // The first edge (in view order) to a node not seen yet is its parent edge.
            if seen.insert(next) {
                out.push(Visit {
                    node: next,
                    depth: depth + 1,
                    parent: Some((node, edge)),
                });
            }
        })?;
    }
    Ok(out)
}

/// Marks the start in [`bfs_csr`]'s work list.
const NO_PARENT: u32 = u32::MAX;

/// [`bfs`] on a snapshot: the same visits in the same order, with per-node vectors
/// instead of hash sets, for whole-graph use (Graphalytics' BFS is the depth of every
/// node).
pub fn bfs_csr(
    g: &Csr,
    start: NodeId,
    dir: Direction,
    max_depth: Option<u32>,
) -> Result<Vec<Visit>> {
    let s = index(g, start)?;
    let mut seen = vec![false; g.node_count()];
    seen[s as usize] = true;
    // (node, depth, parent or NO_PARENT, position of the edge from the parent)
    let mut order: Vec<(u32, u32, u32, usize)> = vec![(s, 0, NO_PARENT, 0)];
    let mut at = 0;
    while let Some(&(v, depth, _, _)) = order.get(at) {
        at += 1;
        if max_depth.is_some_and(|d| depth >= d) {
            continue;
        }
        g.each(v, dir, |w, pos| {
            if !seen[w as usize] {
                seen[w as usize] = true;
                order.push((w, depth + 1, v, pos));
            }
        });
    }
    Ok(order
        .into_iter()
        .map(|(v, depth, parent, pos)| Visit {
            node: g.id(v),
            depth,
            parent: (parent != NO_PARENT).then(|| (g.id(parent), g.edge_id(pos))),
        })
        .collect())
}

/// The nodes within `k` hops of `start` (not counting `start`), with their distance, in
/// BFS order.
pub fn k_hop(
    g: &(impl Adjacency + ?Sized),
    start: NodeId,
    dir: Direction,
    k: u32,
) -> Result<Vec<(NodeId, u32)>> {
    Ok(bfs(g, start, dir, Some(k))?
        .into_iter()
        .skip(1)
        .map(|v| (v.node, v.depth))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::AlgoError;

    use crate::algo::test_graph as graph;

    #[test]
    fn depths_and_parents_by_hand() {
        // 1 -> 2 -> 4, 1 -> 3 -> 4, 4 -> 5, 6 isolated, 5 -> 5 self-loop, 1 -> 2 twice.
        let g = graph(6, &[(1, 2), (1, 3), (2, 4), (3, 4), (4, 5), (5, 5), (1, 2)]);
        let got = bfs(&g, NodeId(1), Direction::Outgoing, None).unwrap();
        let summary: Vec<(u64, u32, Option<u64>)> = got
            .iter()
            .map(|v| (v.node.0, v.depth, v.parent.map(|p| p.0.0)))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, 0, None),
                (2, 1, Some(1)),
                (3, 1, Some(1)),
                (4, 2, Some(2)),
                (5, 3, Some(4))
            ]
        );
        let limited = bfs(&g, NodeId(1), Direction::Outgoing, Some(1)).unwrap();
        assert_eq!(limited.len(), 3);
        let back = bfs(&g, NodeId(4), Direction::Incoming, None).unwrap();
        let nodes: Vec<u64> = back.iter().map(|v| v.node.0).collect();
        assert_eq!(nodes, vec![4, 2, 3, 1]);
        assert_eq!(
            k_hop(&g, NodeId(5), Direction::Both, 2).unwrap(),
            vec![(NodeId(4), 1), (NodeId(2), 2), (NodeId(3), 2)]
        );
        assert!(matches!(
            bfs(&g, NodeId(9), Direction::Outgoing, None),
            Err(AlgoError::NodeNotFound(NodeId(9)))
        ));
        assert!(bfs_csr(&g, NodeId(9), Direction::Outgoing, None).is_err());
        // The snapshot BFS gives the very same visits, for every start, direction, limit.
        for start in 1..=6 {
            for dir in [Direction::Outgoing, Direction::Incoming, Direction::Both] {
                for limit in [None, Some(0), Some(1), Some(2)] {
                    assert_eq!(
                        bfs_csr(&g, NodeId(start), dir, limit).unwrap(),
                        bfs(&g, NodeId(start), dir, limit).unwrap()
                    );
                }
            }
        }
    }

    #[test]
    fn a_long_chain_does_not_recurse() {
        let n = 200_000u64;
        let edges: Vec<(u64, u64)> = (1..n).map(|i| (i, i + 1)).collect();
        let g = graph(n, &edges);
        let got = bfs(&g, NodeId(1), Direction::Outgoing, None).unwrap();
        assert_eq!(got.len(), n as usize);
        assert_eq!(got.last().map(|v| v.depth), Some(n as u32 - 1));
    }
}
