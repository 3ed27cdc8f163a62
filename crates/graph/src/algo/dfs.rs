//! Depth-first search, iterative.

use rustc_hash::FxHashSet;

use super::{Adjacency, Result, distinct_neighbors, require};
use crate::ids::{Direction, NodeId};

/// Depth-first search from `start` along edges in `dir`: the reached nodes in preorder
/// (a node is listed when first entered; its neighbors are entered in the order the view
/// lists them). Uses an explicit stack, never recursion.
///
/// Fails with [`super::AlgoError::NodeNotFound`] if `start` does not exist.
pub fn dfs(g: &(impl Adjacency + ?Sized), start: NodeId, dir: Direction) -> Result<Vec<NodeId>> {
    require(g, start)?;
    let mut seen = FxHashSet::default();
    let mut order = Vec::new();
    // Each frame: a node's neighbors and how many have been tried.
    let mut stack: Vec<(Vec<NodeId>, usize)> = Vec::new();
    seen.insert(start);
    order.push(start);
    stack.push((neighbors(g, start, dir)?, 0));
    while let Some((next, tried)) = stack.last_mut() {
        let Some(&n) = next.get(*tried) else {
            stack.pop();
            continue;
        };
        *tried += 1;
        if seen.insert(n) {
            order.push(n);
            let more = neighbors(g, n, dir)?;
            stack.push((more, 0));
        }
    }
    Ok(order)
}

fn neighbors(g: &(impl Adjacency + ?Sized), n: NodeId, dir: Direction) -> Result<Vec<NodeId>> {
    Ok(distinct_neighbors(g, n, dir)?
        .into_iter()
        .map(|(_, n)| n)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::Csr;

    #[test]
    fn preorder_by_hand() {
        // 1 -> 2 -> 4; 1 -> 3; 4 -> 1 (a cycle back); 3 -> 4.
        let nodes: Vec<NodeId> = (1..=5).map(NodeId).collect();
        let e = [(1, 2), (1, 3), (2, 4), (4, 1), (3, 4)];
        let edges: Vec<_> = e.iter().map(|&(a, b)| (NodeId(a), NodeId(b))).collect();
        let g = Csr::from_edges(&nodes, &edges).unwrap();
        let got: Vec<u64> = dfs(&g, NodeId(1), Direction::Outgoing)
            .unwrap()
            .iter()
            .map(|n| n.0)
            .collect();
        assert_eq!(got, vec![1, 2, 4, 3]);
        let back: Vec<u64> = dfs(&g, NodeId(4), Direction::Incoming)
            .unwrap()
            .iter()
            .map(|n| n.0)
            .collect();
        assert_eq!(back, vec![4, 2, 1, 3]);
    }
}
