//! Unweighted shortest path (fewest edges).

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use super::{Adjacency, Result, require};
use crate::ids::{Direction, EdgeId, NodeId};

/// A path: `nodes[0]` to `nodes[last]`, `edges[i]` joining `nodes[i]` and `nodes[i + 1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// The nodes, from the start to the end.
    pub nodes: Vec<NodeId>,
    /// The edges followed, one fewer than the nodes.
    pub edges: Vec<EdgeId>,
    /// Its cost: the number of edges, or the sum of their weights.
    pub cost: f64,
}

impl Path {
    /// Walks `parent` links back from `to` and returns the path from the start.
    pub(crate) fn from_parents(
        to: NodeId,
        cost: f64,
        parent: impl Fn(NodeId) -> Option<(NodeId, EdgeId)>,
    ) -> Path {
        let mut nodes = vec![to];
        let mut edges = Vec::new();
        let mut at = to;
        while let Some((prev, e)) = parent(at) {
            nodes.push(prev);
            edges.push(e);
            at = prev;
        }
        nodes.reverse();
        edges.reverse();
        Path { nodes, edges, cost }
    }
}

/// A path from `from` to `to` with the fewest edges, following edges in `dir`; `None` if
/// `to` cannot be reached. Breadth-first, stopping as soon as `to` is reached, so it reads
/// only as much of the graph as it must.
///
/// Fails with [`super::AlgoError::NodeNotFound`] if either end does not exist.
pub fn shortest_path(
    g: &(impl Adjacency + ?Sized),
    from: NodeId,
    to: NodeId,
    dir: Direction,
) -> Result<Option<Path>> {
    require(g, from)?;
    require(g, to)?;
    if from == to {
        return Ok(Some(Path {
            nodes: vec![from],
            edges: Vec::new(),
            cost: 0.0,
        }));
    }
    let mut parent: FxHashMap<NodeId, (NodeId, EdgeId)> = FxHashMap::default();
    let mut queue = VecDeque::from([from]);
    while let Some(node) = queue.pop_front() {
        let mut found = false;
        g.for_each_edge(node, dir, &mut |e, next| {
            if found || next == from || parent.contains_key(&next) {
                return;
            }
            parent.insert(next, (node, e));
            found = next == to;
            queue.push_back(next);
        })?;
        if found {
            let cost = depth(&parent, to) as f64;
            return Ok(Some(Path::from_parents(to, cost, |n| {
                parent.get(&n).copied()
            })));
        }
    }
    Ok(None)
}

fn depth(parent: &FxHashMap<NodeId, (NodeId, EdgeId)>, mut at: NodeId) -> usize {
    let mut d = 0;
    while let Some(&(p, _)) = parent.get(&at) {
        d += 1;
        at = p;
    }
    d
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "hand-computed values exact in binary")]
mod tests {
    use super::*;
    use crate::algo::Csr;

    #[test]
    fn fewest_edges_by_hand() {
        // 1 -> 2 -> 3 -> 4 and a shortcut 1 -> 5 -> 4; 6 unreachable.
        let nodes: Vec<NodeId> = (1..=6).map(NodeId).collect();
        let e = [(1, 2), (2, 3), (3, 4), (1, 5), (5, 4)];
        let edges: Vec<_> = e.iter().map(|&(a, b)| (NodeId(a), NodeId(b))).collect();
        let g = Csr::from_edges(&nodes, &edges).unwrap();
        let p = shortest_path(&g, NodeId(1), NodeId(4), Direction::Outgoing)
            .unwrap()
            .unwrap();
        assert_eq!(p.nodes, vec![NodeId(1), NodeId(5), NodeId(4)]);
        assert_eq!(p.edges, vec![EdgeId(4), EdgeId(5)]);
        assert_eq!(p.cost, 2.0);
        assert_eq!(
            shortest_path(&g, NodeId(1), NodeId(6), Direction::Outgoing).unwrap(),
            None
        );
        assert_eq!(
            shortest_path(&g, NodeId(4), NodeId(1), Direction::Outgoing).unwrap(),
            None
        );
        let back = shortest_path(&g, NodeId(4), NodeId(1), Direction::Incoming)
            .unwrap()
            .unwrap();
        assert_eq!(back.nodes.len(), 3);
        let same = shortest_path(&g, NodeId(3), NodeId(3), Direction::Outgoing).unwrap();
        assert_eq!(same.map(|p| p.nodes), Some(vec![NodeId(3)]));
    }
}
