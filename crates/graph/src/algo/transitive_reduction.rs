//! Transitive reduction of a directed acyclic graph.

use super::topo::topo_indices;
use super::{AlgoError, Csr, Result, find_cycle};
use crate::ids::EdgeId;

/// The transitive reduction of a DAG, as the edges to keep, in position (source id) order:
/// the fewest edges that leave every reachability relation as it was. An edge `u -> v` is
/// kept exactly when `v` cannot be reached from `u` along some other path; of parallel
/// edges, the first is kept.
///
/// For each node, its children are visited in topological order; a child not yet marked
/// keeps its edge and marks everything it reaches. `O(n * (n + m))` time in the worst case,
/// `O(n)` extra memory. Fails with [`AlgoError::Cycle`], naming one, if the graph has a
/// cycle (a self-loop is one): a cyclic graph has no unique transitive reduction.
pub fn transitive_reduction(g: &Csr) -> Result<Vec<EdgeId>> {
    let Some(order) = topo_indices(g) else {
        return Err(AlgoError::Cycle(find_cycle(g).unwrap_or_default()));
    };
    let n = g.node_count();
    let mut rank = vec![0u32; n];
    for (r, &v) in order.iter().enumerate() {
        rank[v as usize] = r as u32;
    }
    // mark[x] == stamp: x is reachable from the current node through a kept edge.
    let mut mark = vec![0u32; n];
    let mut kept = Vec::new();
    let mut children: Vec<(u32, usize)> = Vec::new();
    let mut stack: Vec<u32> = Vec::new();
    for u in 0..n as u32 {
        let stamp = u + 1;
        children.clear();
        children.extend(
            g.out(u)
                .iter()
                .zip(g.out_positions(u))
                .map(|(&v, p)| (v, p)),
        );
        children.sort_unstable_by_key(|&(v, p)| (rank[v as usize], p));
        for &(v, pos) in &children {
            if mark[v as usize] == stamp {
                continue;
            }
            kept.push(g.edge_id(pos));
            mark[v as usize] = stamp;
            stack.push(v);
            while let Some(x) = stack.pop() {
                for &y in g.out(x) {
                    if mark[y as usize] != stamp {
                        mark[y as usize] = stamp;
                        stack.push(y);
                    }
                }
            }
        }
    }
    kept.sort_unstable();
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_graph;

    #[test]
    fn reduction_by_hand() {
        // 1 -> 2 -> 3 -> 4 with shortcuts 1 -> 3 (e4), 1 -> 4 (e5), 2 -> 4 (e6), a parallel
        // 1 -> 2 (e7), and a separate 5 -> 6 (e8).
        let g = test_graph(
            6,
            &[
                (1, 2),
                (2, 3),
                (3, 4),
                (1, 3),
                (1, 4),
                (2, 4),
                (1, 2),
                (5, 6),
            ],
        );
        let kept = transitive_reduction(&g).unwrap();
        assert_eq!(kept, vec![EdgeId(1), EdgeId(2), EdgeId(3), EdgeId(8)]);
        // A diamond keeps all four edges.
        let d = test_graph(4, &[(1, 2), (1, 3), (2, 4), (3, 4)]);
        assert_eq!(transitive_reduction(&d).unwrap().len(), 4);
        // A cycle is an error naming it.
        let c = test_graph(3, &[(1, 2), (2, 3), (3, 1)]);
        match transitive_reduction(&c) {
            Err(AlgoError::Cycle(nodes)) => assert_eq!(nodes.len(), 3),
            other => panic!("expected a cycle, got {other:?}"),
        }
        let l = test_graph(1, &[(1, 1)]);
        assert!(matches!(transitive_reduction(&l), Err(AlgoError::Cycle(_))));
    }
}
