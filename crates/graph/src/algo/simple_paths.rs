//! All simple paths between two nodes, bounded in length and in number.

use rustc_hash::FxHashSet;

use super::{Adjacency, Path, Result, distinct_neighbors, require};
use crate::ids::{Direction, EdgeId, NodeId};

/// Every simple path (no node twice) from `from` to `to` of at most `max_edges` edges,
/// following edges in `dir`, stopping after `limit` paths. Parallel edges give one path
/// (through the first of them). Paths come in depth-first order. Iterative; the work is
/// bounded by the number of paths of at most `max_edges` edges from `from`, so keep
/// `max_edges` small on dense graphs.
pub fn simple_paths(
    g: &(impl Adjacency + ?Sized),
    from: NodeId,
    to: NodeId,
    dir: Direction,
    max_edges: usize,
    limit: usize,
) -> Result<Vec<Path>> {
    require(g, from)?;
    require(g, to)?;
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    if from == to || max_edges == 0 {
        if from != to {
            return Ok(out);
        }
        out.push(Path {
            nodes: vec![from],
            edges: Vec::new(),
            cost: 0.0,
        });
        return Ok(out);
    }
    let mut on_path: FxHashSet<NodeId> = FxHashSet::from_iter([from]);
    let mut nodes = vec![from];
    let mut edges: Vec<EdgeId> = Vec::new();
    // Frames parallel `nodes`: the neighbors of each node on the path, and the next to try.
    let mut frames = vec![(distinct_neighbors(g, from, dir)?, 0usize)];
    while let Some((next, tried)) = frames.last_mut() {
        let Some(&(e, n)) = next.get(*tried) else {
            frames.pop();
            if let Some(left) = nodes.pop() {
                on_path.remove(&left);
            }
            edges.pop();
            continue;
        };
        *tried += 1;
        if on_path.contains(&n) {
            continue;
        }
        if n == to {
            let mut p_nodes = nodes.clone();
            p_nodes.push(n);
            let mut p_edges = edges.clone();
            p_edges.push(e);
            let cost = p_edges.len() as f64;
            out.push(Path {
                nodes: p_nodes,
                edges: p_edges,
                cost,
            });
            if out.len() >= limit {
                break;
            }
            continue;
        }
        if edges.len() + 1 < max_edges {
            on_path.insert(n);
            nodes.push(n);
            edges.push(e);
            frames.push((distinct_neighbors(g, n, dir)?, 0));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::Csr;

    fn ids(p: &Path) -> Vec<u64> {
        p.nodes.iter().map(|n| n.0).collect()
    }

    #[test]
    fn every_path_by_hand() {
        // A diamond with a chord: 1 -> 2 -> 4, 1 -> 3 -> 4, 2 -> 3, and 4 -> 1 (a cycle).
        let nodes: Vec<NodeId> = (1..=4).map(NodeId).collect();
        let e = [(1, 2), (1, 3), (2, 4), (3, 4), (2, 3), (4, 1)];
        let edges: Vec<_> = e.iter().map(|&(a, b)| (NodeId(a), NodeId(b))).collect();
        let g = Csr::from_edges(&nodes, &edges).unwrap();
        let all = simple_paths(&g, NodeId(1), NodeId(4), Direction::Outgoing, 10, 100).unwrap();
        let got: Vec<Vec<u64>> = all.iter().map(ids).collect();
        assert_eq!(got, vec![vec![1, 2, 3, 4], vec![1, 2, 4], vec![1, 3, 4]]);
        let short = simple_paths(&g, NodeId(1), NodeId(4), Direction::Outgoing, 2, 100).unwrap();
        assert_eq!(
            short.iter().map(ids).collect::<Vec<_>>(),
            vec![vec![1, 2, 4], vec![1, 3, 4]]
        );
        let one = simple_paths(&g, NodeId(1), NodeId(4), Direction::Outgoing, 10, 1).unwrap();
        assert_eq!(one.len(), 1);
        let none = simple_paths(&g, NodeId(1), NodeId(4), Direction::Outgoing, 1, 100).unwrap();
        assert!(none.is_empty());
    }
}
