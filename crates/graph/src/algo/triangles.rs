//! Triangle counts and the local clustering coefficient (LDBC Graphalytics' LCC).

use super::parallel;
use super::simple::Simple;
use super::{Csr, ProgressFn};
use crate::ids::{Direction, NodeId};

/// The number of triangles each node is in, `(node, triangles)` in id order, with the
/// graph taken as simple and undirected (directions, parallel edges and self-loops do not
/// matter). The graph's total is the sum divided by 3 ([`triangle_count`]).
pub fn triangles(g: &Csr, progress: ProgressFn<'_>) -> Vec<(NodeId, u64)> {
    let undirected = Simple::new(g, Direction::Both);
    // Each triangle at v is seen twice: from each of its two other corners.
    count_pairs(
        g,
        &undirected,
        &undirected,
        "triangles",
        progress,
        |pairs, _| pairs / 2,
    )
}

/// The number of triangles in the graph taken as simple and undirected.
pub fn triangle_count(g: &Csr, progress: ProgressFn<'_>) -> u64 {
    triangles(g, progress).iter().map(|&(_, t)| t).sum::<u64>() / 3
}

/// The local clustering coefficient of every node, `(node, lcc)` in id order, as LDBC
/// Graphalytics defines it: with `N(v)` the distinct neighbors of `v` either way (itself
/// excluded) and `d = |N(v)|`, `lcc(v)` is the number of edges between nodes of `N(v)`
/// divided by `d (d - 1)`, and 0 when `d < 2`.
///
/// `directed = true` counts directed edges `u -> w` (each ordered pair at most once), as
/// for a directed graph; `false` takes the graph as undirected, where an edge counts both
/// ways, so the value is `2 T(v) / (d (d - 1))` with `T(v)` the triangles at `v`
/// (NetworkX's `clustering`).
pub fn lcc(g: &Csr, directed: bool, progress: ProgressFn<'_>) -> Vec<(NodeId, f64)> {
    let both = Simple::new(g, Direction::Both);
    let count = |pairs: u64, d: u64| {
        if d < 2 {
            0.0
        } else {
            pairs as f64 / (d * (d - 1)) as f64
        }
    };
    if directed {
        let out = Simple::new(g, Direction::Outgoing);
        count_pairs(g, &both, &out, "clustering", progress, count)
    } else {
        count_pairs(g, &both, &both, "clustering", progress, count)
    }
}

/// For every node `v`: `finish(pairs, d)`, where `pairs` counts `(u, w)` with `u, w` in
/// `around(v)` and `w` in `from(u)`, and `d = |around(v)|`.
fn count_pairs<T: Send + Copy + Default>(
    g: &Csr,
    around: &Simple,
    from: &Simple,
    stage: &'static str,
    progress: ProgressFn<'_>,
    finish: impl Fn(u64, u64) -> T + Sync,
) -> Vec<(NodeId, T)> {
    let n = g.node_count();
    parallel::per_node(
        g,
        stage,
        progress,
        || vec![u32::MAX; n],
        |mark, v| {
            let nv = around.of(v);
            for &u in nv {
                mark[u as usize] = v;
            }
            let mut pairs = 0u64;
            for &u in nv {
                pairs += from
                    .of(u)
                    .iter()
                    .filter(|&&w| mark[w as usize] == v)
                    .count() as u64;
            }
            finish(pairs, nv.len() as u64)
        },
    )
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "hand-computed values exact in binary")]
mod tests {
    use super::*;
    use crate::algo::test_graph;

    #[test]
    fn triangles_and_clustering_by_hand() {
        // A triangle 1-2-3 (with a parallel edge and a reversed duplicate), a pendant 3-4,
        // a self-loop on 4, and 5 alone.
        let g = test_graph(5, &[(1, 2), (2, 3), (3, 1), (1, 2), (2, 1), (3, 4), (4, 4)]);
        let t: Vec<u64> = triangles(&g, &mut |_| {})
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(t, vec![1, 1, 1, 0, 0]);
        assert_eq!(triangle_count(&g, &mut |_| {}), 1);
        let und: Vec<f64> = lcc(&g, false, &mut |_| {})
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        // Node 3 has neighbors {1, 2, 4}: one edge among them of 3 possible.
        assert_eq!(und, vec![1.0, 1.0, 1.0 / 3.0, 0.0, 0.0]);
        // Directed: between 1's neighbors {2, 3} the edges 2 -> 3 only (of 2 ordered
        // pairs); for 2 ({1, 3}): 3 -> 1; for 3 ({1, 2, 4}): 1 -> 2 and 2 -> 1, of 6.
        let dir: Vec<f64> = lcc(&g, true, &mut |_| {})
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        assert_eq!(dir, vec![0.5, 0.5, 2.0 / 6.0, 0.0, 0.0]);
        // K4 has 4 triangles, every node in 3, clustering 1.
        let k4 = test_graph(4, &[(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]);
        assert_eq!(triangle_count(&k4, &mut |_| {}), 4);
        assert!(lcc(&k4, false, &mut |_| {}).iter().all(|&(_, c)| c == 1.0));
    }
}
