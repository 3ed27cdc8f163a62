//! Yen's k shortest loopless paths.

use std::cmp::Ordering;

use rustc_hash::FxHashSet;

use super::dijkstra::{Bans, index, run};
use super::{AlgoError, Csr, Path, Result};
use crate::ids::{Direction, NodeId};

/// A path by index: its nodes and the positions of its edges.
#[derive(Clone, PartialEq)]
struct Found {
    cost: f64,
    nodes: Vec<u32>,
    positions: Vec<usize>,
}

impl Found {
    fn order(&self, other: &Found) -> Ordering {
        self.cost
            .total_cmp(&other.cost)
            .then_with(|| self.nodes.cmp(&other.nodes))
            .then_with(|| self.positions.cmp(&other.positions))
    }
}

/// The `k` cheapest loopless paths from `from` to `to` along edges in `dir`, cheapest
/// first (costs as in [`super::dijkstra`]); fewer if fewer exist. Paths are told apart by
/// their edges, so parallel edges make different paths; no path visits a node twice.
/// Equally cheap paths come in order of their node indices (= ids).
///
/// Yen's algorithm: each next path deviates from an earlier one at some node (the spur),
/// found by Dijkstra with the earlier paths' next edges and the root's nodes removed.
/// `O(k * n * (m + n log n))` time. Fails with [`AlgoError::InvalidArgument`] if `k` is 0.
pub fn k_shortest_paths(
    g: &Csr,
    from: NodeId,
    to: NodeId,
    k: usize,
    dir: Direction,
) -> Result<Vec<Path>> {
    if k == 0 {
        return Err(AlgoError::InvalidArgument {
            name: "k",
            reason: "must be at least 1".into(),
        });
    }
    let (source, target) = (index(g, from)?, index(g, to)?);
    let n = g.node_count();
    let no_nodes = vec![false; n];
    let no_positions = FxHashSet::default();
    let Some(first) = search(g, source, target, dir, &no_nodes, &no_positions) else {
        return Ok(Vec::new());
    };
    let mut accepted = vec![first];
    let mut candidates: Vec<Found> = Vec::new();
    let mut known: FxHashSet<Vec<usize>> = FxHashSet::default();
    known.insert(accepted[0].positions.clone());
    let mut banned_nodes = vec![false; n];
    let mut banned_positions = FxHashSet::default();
    while accepted.len() < k {
        let last = accepted[accepted.len() - 1].clone();
        for i in 0..last.positions.len() {
            let spur = last.nodes[i];
            let root = &last.positions[..i];
            banned_positions.clear();
            for p in &accepted {
                if p.positions.len() > i && &p.positions[..i] == root {
                    banned_positions.insert(p.positions[i]);
                }
            }
            for &v in &last.nodes[..i] {
                banned_nodes[v as usize] = true;
            }
            let found = search(g, spur, target, dir, &banned_nodes, &banned_positions);
            for &v in &last.nodes[..i] {
                banned_nodes[v as usize] = false;
            }
            let Some(tail) = found else { continue };
            let mut positions = root.to_vec();
            positions.extend_from_slice(&tail.positions);
            if !known.insert(positions.clone()) {
                continue;
            }
            let mut nodes = last.nodes[..i].to_vec();
            nodes.extend_from_slice(&tail.nodes);
            // Summed along the path, in order, so equal paths have equal costs.
            let cost = positions.iter().map(|&p| g.weight(p)).sum();
            candidates.push(Found {
                cost,
                nodes,
                positions,
            });
        }
        let Some(best) = (0..candidates.len()).min_by(|&a, &b| candidates[a].order(&candidates[b]))
        else {
            break;
        };
        accepted.push(candidates.swap_remove(best));
    }
    Ok(accepted
        .into_iter()
        .map(|f| Path {
            nodes: f.nodes.iter().map(|&v| g.id(v)).collect(),
            edges: f.positions.iter().map(|&p| g.edge_id(p)).collect(),
            cost: f.cost,
        })
        .collect())
}

/// A cheapest path avoiding the banned nodes and edges, by index.
fn search(
    g: &Csr,
    source: u32,
    target: u32,
    dir: Direction,
    nodes: &[bool],
    positions: &FxHashSet<usize>,
) -> Option<Found> {
    let bans = Bans { nodes, positions };
    let r = run(g, source, dir, Some(target), Some(&bans));
    if r.dist[target as usize].is_infinite() {
        return None;
    }
    let mut path_nodes = vec![target];
    let mut path_positions = Vec::new();
    let mut at = target;
    while let Some((p, pos)) = r.parent[at as usize] {
        path_nodes.push(p);
        path_positions.push(pos);
        at = p;
    }
    path_nodes.reverse();
    path_positions.reverse();
    let cost = path_positions.iter().map(|&p| g.weight(p)).sum();
    Some(Found {
        cost,
        nodes: path_nodes,
        positions: path_positions,
    })
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "hand-computed values exact in binary")]
mod tests {
    use super::*;
    use crate::ids::EdgeId;

    #[test]
    fn k_shortest_by_hand() {
        // The classic example (Wikipedia's Yen's algorithm article), C=1 D=2 E=3 F=4 G=5
        // H=6: C->D 3, C->E 2, D->F 4, E->D 1, E->F 2, E->G 3, F->G 2, F->H 1, G->H 2.
        let nodes: Vec<NodeId> = (1..=6).map(NodeId).collect();
        let e = [
            (1, 2, 3.0),
            (1, 3, 2.0),
            (2, 4, 4.0),
            (3, 2, 1.0),
            (3, 4, 2.0),
            (3, 5, 3.0),
            (4, 5, 2.0),
            (4, 6, 1.0),
            (5, 6, 2.0),
        ];
        let edges: Vec<_> = e
            .iter()
            .map(|&(a, b, w)| (NodeId(a), NodeId(b), w))
            .collect();
        let g = Csr::from_weighted_edges(&nodes, &edges).unwrap();
        let paths = k_shortest_paths(&g, NodeId(1), NodeId(6), 3, Direction::Outgoing).unwrap();
        let got: Vec<(Vec<u64>, f64)> = paths
            .iter()
            .map(|p| (p.nodes.iter().map(|n| n.0).collect(), p.cost))
            .collect();
        // C-E-F-H 5; C-E-G-H 7; C-D-F-H 8 (ties with nothing).
        assert_eq!(
            got,
            vec![
                (vec![1, 3, 4, 6], 5.0),
                (vec![1, 3, 5, 6], 7.0),
                (vec![1, 2, 4, 6], 8.0)
            ]
        );
        // All of them: 7 loopless paths in this graph.
        let all = k_shortest_paths(&g, NodeId(1), NodeId(6), 100, Direction::Outgoing).unwrap();
        assert_eq!(all.len(), 7);
        assert!(all.windows(2).all(|w| w[0].cost <= w[1].cost));
        assert!(k_shortest_paths(&g, NodeId(1), NodeId(6), 0, Direction::Outgoing).is_err());
        assert!(
            k_shortest_paths(&g, NodeId(6), NodeId(1), 3, Direction::Outgoing)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn parallel_edges_are_different_paths() {
        let nodes = [NodeId(1), NodeId(2)];
        let edges = [(NodeId(1), NodeId(2), 2.0), (NodeId(1), NodeId(2), 1.0)];
        let g = Csr::from_weighted_edges(&nodes, &edges).unwrap();
        let p = k_shortest_paths(&g, NodeId(1), NodeId(2), 5, Direction::Outgoing).unwrap();
        let got: Vec<(Vec<EdgeId>, f64)> = p.iter().map(|p| (p.edges.clone(), p.cost)).collect();
        assert_eq!(got, vec![(vec![EdgeId(2)], 1.0), (vec![EdgeId(1)], 2.0)]);
    }
}
