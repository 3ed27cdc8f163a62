//! Unweighted shortest path (fewest edges): a bidirectional breadth-first search.
//!
//! Two searches grow one level at a time, one from the start following `dir`, one from the
//! end following the opposite direction, each remembering the edge that reached every node
//! it found. The smaller frontier is expanded each step (the forward one on a tie). The
//! first edge to reach a node the other side already found closes a path, and that path has
//! the fewest edges: before the step no node was found by both sides, so the distance is
//! more than the sum of the two depths, and the step adds one edge to one of them.
//!
//! On a graph that branches out (a social network, a random graph) each side reads about
//! the square root of what a one-sided search would, and an end with no edges in the right
//! direction ends the search at once.

use std::collections::hash_map::Entry;

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

    /// The path of one node and no edge.
    pub(crate) fn single(node: NodeId) -> Path {
        Path {
            nodes: vec![node],
            edges: Vec::new(),
            cost: 0.0,
        }
    }

    /// Appends `edge` and then the nodes and edges found by following `next` links from
    /// `node` (the links of a search grown from the far end).
    pub(crate) fn extend_by_links(
        &mut self,
        edge: EdgeId,
        node: NodeId,
        next: impl Fn(NodeId) -> Option<(NodeId, EdgeId)>,
    ) {
        self.edges.push(edge);
        self.nodes.push(node);
        let mut at = node;
        while let Some((n, e)) = next(at) {
            self.edges.push(e);
            self.nodes.push(n);
            at = n;
        }
    }
}

/// The direction that walks back along edges followed in `dir`.
pub(crate) fn against(dir: Direction) -> Direction {
    match dir {
        Direction::Outgoing => Direction::Incoming,
        Direction::Incoming => Direction::Outgoing,
        Direction::Both => Direction::Both,
    }
}

/// A path from `from` to `to` with the fewest edges, following edges in `dir`; `None` if
/// `to` cannot be reached. Its `cost` is its number of edges.
///
/// The search runs from both ends at once (see the module documentation), so it reads
/// only a small part of a large graph: `from`'s edges in `dir` and `to`'s in the opposite
/// direction, level by level, until the two meet or one side runs out. When several paths
/// are shortest, the one returned depends on the order the view gives each node's edges
/// in: the same graph gives the same path.
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
        return Ok(Some(Path::single(from)));
    }
    let mut forward = Side::new(from, dir);
    let mut backward = Side::new(to, against(dir));
    loop {
        if forward.frontier.is_empty() || backward.frontier.is_empty() {
            return Ok(None);
        }
        let meeting = if forward.frontier.len() <= backward.frontier.len() {
            forward.expand(g, &backward)?
        } else {
            backward.expand(g, &forward)?.map(|(b, e, f)| (f, e, b))
        };
        if let Some((near, edge, far)) = meeting {
            let mut path = Path::from_parents(near, 0.0, |n| forward.link(n));
            path.extend_by_links(edge, far, |n| backward.link(n));
            path.cost = path.edges.len() as f64;
            return Ok(Some(path));
        }
    }
}

/// One side of the search: the nodes it reached, each with the link toward its root
/// (`None` for the root), and the nodes of its last level.
struct Side {
    dir: Direction,
    reached: FxHashMap<NodeId, Option<(NodeId, EdgeId)>>,
    frontier: Vec<NodeId>,
}

impl Side {
    fn new(root: NodeId, dir: Direction) -> Side {
        let mut reached = FxHashMap::default();
        reached.insert(root, None);
        Side {
            dir,
            reached,
            frontier: vec![root],
        }
    }

    /// The link from `node` toward the root, if it was reached and is not the root.
    fn link(&self, node: NodeId) -> Option<(NodeId, EdgeId)> {
        self.reached.get(&node).copied().flatten()
    }

    /// Grows the search by one level. Stops at the first edge from a node of this side
    /// (`near`) to one the other side reached (`far`), and returns `(near, edge, far)`.
    fn expand(
        &mut self,
        g: &(impl Adjacency + ?Sized),
        other: &Side,
    ) -> Result<Option<(NodeId, EdgeId, NodeId)>> {
        let mut next = Vec::new();
        let mut meeting = None;
        for &node in &self.frontier {
            let reached = &mut self.reached;
            g.for_each_edge(node, self.dir, &mut |edge, to| {
                if meeting.is_some() {
                    return;
                }
                if other.reached.contains_key(&to) {
                    meeting = Some((node, edge, to));
                } else if let Entry::Vacant(slot) = reached.entry(to) {
                    slot.insert(Some((node, edge)));
                    next.push(to);
                }
            })?;
            if meeting.is_some() {
                return Ok(meeting);
            }
        }
        self.frontier = next;
        Ok(None)
    }
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
        assert_eq!(back.nodes, vec![NodeId(4), NodeId(5), NodeId(1)]);
        assert_eq!(back.edges, vec![EdgeId(5), EdgeId(4)]);
        let same = shortest_path(&g, NodeId(3), NodeId(3), Direction::Outgoing).unwrap();
        assert_eq!(same.map(|p| p.nodes), Some(vec![NodeId(3)]));
    }

    #[test]
    fn meets_in_the_middle_of_a_long_chain() {
        // A chain 1 -> 2 -> ... -> 9, walked forward and, as undirected, backward.
        let nodes: Vec<NodeId> = (1..=9).map(NodeId).collect();
        let edges: Vec<_> = (1..9).map(|i| (NodeId(i), NodeId(i + 1))).collect();
        let g = Csr::from_edges(&nodes, &edges).unwrap();
        let p = shortest_path(&g, NodeId(1), NodeId(9), Direction::Outgoing)
            .unwrap()
            .unwrap();
        assert_eq!(p.nodes, nodes);
        assert_eq!(p.edges, (1..9).map(EdgeId).collect::<Vec<_>>());
        assert_eq!(p.cost, 8.0);
        let back = shortest_path(&g, NodeId(9), NodeId(1), Direction::Both)
            .unwrap()
            .unwrap();
        assert_eq!(back.nodes, nodes.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(back.edges, (1..9).rev().map(EdgeId).collect::<Vec<_>>());
    }
}
