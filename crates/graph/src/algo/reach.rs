//! Reachability: can one node reach another, and which nodes can a node reach.

use super::{Adjacency, Result, bfs, shortest_path};
use crate::ids::{Direction, NodeId};

/// Whether `to` can be reached from `from` following edges in `dir` (a node reaches
/// itself). Breadth-first from both ends ([`shortest_path`]), stopping as soon as the two
/// searches meet or one runs out; reads the store through the view, so only the part of
/// the graph it must.
pub fn is_reachable(
    g: &(impl Adjacency + ?Sized),
    from: NodeId,
    to: NodeId,
    dir: Direction,
) -> Result<bool> {
    Ok(shortest_path(g, from, to, dir)?.is_some())
}

/// Every node reachable from `from` following edges in `dir`, itself included, in id order.
pub fn reachable(
    g: &(impl Adjacency + ?Sized),
    from: NodeId,
    dir: Direction,
) -> Result<Vec<NodeId>> {
    let mut nodes: Vec<NodeId> = bfs(g, from, dir, None)?
        .into_iter()
        .map(|v| v.node)
        .collect();
    nodes.sort_unstable();
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::{AlgoError, test_graph};

    #[test]
    fn reachability_by_hand() {
        // 1 -> 2 -> 3, 4 -> 3, 5 alone.
        let g = test_graph(5, &[(1, 2), (2, 3), (4, 3)]);
        let ids = |v: &[u64]| v.iter().copied().map(NodeId).collect::<Vec<_>>();
        assert_eq!(
            reachable(&g, NodeId(1), Direction::Outgoing).unwrap(),
            ids(&[1, 2, 3])
        );
        assert_eq!(
            reachable(&g, NodeId(3), Direction::Incoming).unwrap(),
            ids(&[1, 2, 3, 4])
        );
        assert_eq!(
            reachable(&g, NodeId(1), Direction::Both).unwrap(),
            ids(&[1, 2, 3, 4])
        );
        assert_eq!(
            reachable(&g, NodeId(5), Direction::Both).unwrap(),
            ids(&[5])
        );
        assert!(is_reachable(&g, NodeId(1), NodeId(3), Direction::Outgoing).unwrap());
        assert!(!is_reachable(&g, NodeId(3), NodeId(1), Direction::Outgoing).unwrap());
        assert!(is_reachable(&g, NodeId(5), NodeId(5), Direction::Outgoing).unwrap());
        assert!(matches!(
            is_reachable(&g, NodeId(1), NodeId(9), Direction::Outgoing),
            Err(AlgoError::NodeNotFound(NodeId(9)))
        ));
    }
}
