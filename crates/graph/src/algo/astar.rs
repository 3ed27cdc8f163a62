//! A* search: a cheapest path guided by a heuristic.

use std::collections::BinaryHeap;

use super::dijkstra::{Tentative, index};
use super::{AlgoError, Csr, Path, Result};
use crate::ids::{Direction, EdgeId, NodeId};

/// A cheapest path from `from` to `to` along edges in `dir` (costs as in
/// [`super::dijkstra`]), guided by `heuristic(node)`: an estimate of the cost still to go
/// from `node` to `to`. `None` if `to` cannot be reached.
///
/// The path is cheapest when the heuristic never overestimates (is admissible); a node
/// is searched again when a cheaper way to it turns up, so it need not be consistent.
/// A heuristic of 0 everywhere makes this Dijkstra's algorithm. Each node's estimate is
/// asked for once. Fails with [`AlgoError::InvalidArgument`] if the heuristic returns a
/// negative number or NaN, and with [`AlgoError::NodeNotFound`] for a missing end.
pub fn astar(
    g: &Csr,
    from: NodeId,
    to: NodeId,
    dir: Direction,
    mut heuristic: impl FnMut(NodeId) -> f64,
) -> Result<Option<Path>> {
    let (source, target) = (index(g, from)?, index(g, to)?);
    let n = g.node_count();
    let mut estimate = vec![f64::NAN; n];
    let mut h = |v: u32| -> Result<f64> {
        let e = &mut estimate[v as usize];
        if e.is_nan() {
            let x = heuristic(g.id(v));
            if x.is_nan() || x < 0.0 {
                return Err(AlgoError::InvalidArgument {
                    name: "heuristic",
                    reason: format!("{x} for node {} is not a number of at least 0", g.id(v)),
                });
            }
            *e = x;
        }
        Ok(*e)
    };
    let mut cost = vec![f64::INFINITY; n];
    let mut parent: Vec<Option<(u32, usize)>> = vec![None; n];
    let mut heap = BinaryHeap::new();
    cost[source as usize] = 0.0;
    heap.push(Tentative(h(source)?, source));
    let mut reached = false;
    let mut next = Vec::new();
    while let Some(Tentative(f, v)) = heap.pop() {
        let at = cost[v as usize];
        if f > at + h(v)? {
            continue; // a cheaper way to v was found after this entry was pushed
        }
        if v == target {
            reached = true;
            break;
        }
        g.each(v, dir, |w, pos| {
            let c = at + g.weight(pos);
            if c < cost[w as usize] {
                cost[w as usize] = c;
                parent[w as usize] = Some((v, pos));
                next.push(w);
            }
        });
        for w in next.drain(..) {
            heap.push(Tentative(cost[w as usize] + h(w)?, w));
        }
    }
    if !reached {
        return Ok(None);
    }
    let link = |node: NodeId| -> Option<(NodeId, EdgeId)> {
        let at = g.index(node)?;
        parent[at as usize].map(|(p, pos)| (g.id(p), g.edge_id(pos)))
    };
    Ok(Some(Path::from_parents(to, cost[target as usize], link)))
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "hand-computed values exact in binary")]
mod tests {
    use super::*;

    #[test]
    fn grid_path_by_hand() {
        // A 3x3 grid, node (r, c) = 3r + c + 1, edges right and down of weight 1, plus a
        // costly shortcut 1 -> 9 of weight 10. Manhattan distance is admissible.
        let mut edges = Vec::new();
        for r in 0..3u64 {
            for c in 0..3u64 {
                let v = 3 * r + c + 1;
                if c < 2 {
                    edges.push((NodeId(v), NodeId(v + 1), 1.0));
                }
                if r < 2 {
                    edges.push((NodeId(v), NodeId(v + 3), 1.0));
                }
            }
        }
        edges.push((NodeId(1), NodeId(9), 10.0));
        let nodes: Vec<NodeId> = (1..=9).map(NodeId).collect();
        let g = Csr::from_weighted_edges(&nodes, &edges).unwrap();
        let manhattan = |v: NodeId| {
            let i = v.0 - 1;
            ((2 - i / 3) + (2 - i % 3)) as f64
        };
        let p = astar(&g, NodeId(1), NodeId(9), Direction::Outgoing, manhattan)
            .unwrap()
            .unwrap();
        assert_eq!(p.cost, 4.0);
        assert_eq!(p.nodes.len(), 5);
        let zero = astar(&g, NodeId(1), NodeId(9), Direction::Outgoing, |_| 0.0)
            .unwrap()
            .unwrap();
        assert_eq!(zero.cost, 4.0);
        assert_eq!(
            astar(&g, NodeId(9), NodeId(1), Direction::Outgoing, |_| 0.0).unwrap(),
            None
        );
        let same = astar(&g, NodeId(5), NodeId(5), Direction::Outgoing, |_| 0.0).unwrap();
        assert_eq!(same.map(|p| p.nodes), Some(vec![NodeId(5)]));
        assert!(matches!(
            astar(&g, NodeId(1), NodeId(9), Direction::Outgoing, |_| -1.0),
            Err(AlgoError::InvalidArgument { .. })
        ));
        assert!(matches!(
            astar(&g, NodeId(1), NodeId(99), Direction::Outgoing, |_| 0.0),
            Err(AlgoError::NodeNotFound(NodeId(99)))
        ));
    }
}
