//! Core decomposition (k-cores).

use super::Csr;
use super::simple::Simple;
use crate::ids::{Direction, NodeId};

/// The core number of every node, `(node, core)` in id order, with the graph taken as
/// simple and undirected: the largest `k` such that the node is in the `k`-core, the
/// largest subgraph in which every node has at least `k` neighbors. Batagelj and
/// Zaversnik's bucket algorithm, `O(n + m)`. As NetworkX's `core_number` on the
/// undirected graph.
pub fn core_numbers(g: &Csr) -> Vec<(NodeId, u32)> {
    let adj = Simple::new(g, Direction::Both);
    let count = adj.len();
    let mut deg: Vec<usize> = (0..count as u32).map(|v| adj.of(v).len()).collect();
    let max = deg.iter().copied().max().unwrap_or(0);
    // Nodes sorted by degree (counting sort): bin[d] is where degree d starts in vert.
    let mut bin = vec![0usize; max + 2];
    for &d in &deg {
        bin[d + 1] += 1;
    }
    for d in 1..bin.len() {
        bin[d] += bin[d - 1];
    }
    let mut pos = vec![0usize; count];
    let mut vert = vec![0u32; count];
    {
        let mut next = bin.clone();
        for v in 0..count {
            pos[v] = next[deg[v]];
            vert[pos[v]] = v as u32;
            next[deg[v]] += 1;
        }
    }
    for i in 0..count {
        let v = vert[i] as usize;
        for &u in adj.of(v as u32) {
            let u = u as usize;
            if deg[u] > deg[v] {
                // Move u to the front of its bin, then shrink its degree by one.
                let du = deg[u];
                let (pu, pw) = (pos[u], bin[du]);
                let w = vert[pw] as usize;
                if u != w {
                    vert.swap(pu, pw);
                    pos[u] = pw;
                    pos[w] = pu;
                }
                bin[du] += 1;
                deg[u] -= 1;
            }
        }
    }
    deg.into_iter()
        .enumerate()
        .map(|(v, d)| (g.id(v as u32), d as u32))
        .collect()
}

/// The nodes of the `k`-core (core number at least `k`), in id order.
pub fn k_core(g: &Csr, k: u32) -> Vec<NodeId> {
    core_numbers(g)
        .into_iter()
        .filter(|&(_, c)| c >= k)
        .map(|(v, _)| v)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_graph;

    #[test]
    fn cores_by_hand() {
        // K4 {1..4} (core 3), a triangle 5-6-7 hanging off 4 by 4-5 (core 2), a path
        // 7-8-9 (core 1), 10 alone (core 0); parallel edges and a self-loop change nothing.
        let g = test_graph(
            10,
            &[
                (1, 2),
                (1, 3),
                (1, 4),
                (2, 3),
                (2, 4),
                (3, 4),
                (4, 5),
                (5, 6),
                (6, 7),
                (7, 5),
                (7, 8),
                (8, 9),
                (1, 2),
                (2, 1),
                (9, 9),
            ],
        );
        let cores: Vec<u32> = core_numbers(&g).into_iter().map(|(_, c)| c).collect();
        assert_eq!(cores, vec![3, 3, 3, 3, 2, 2, 2, 1, 1, 0]);
        assert_eq!(k_core(&g, 3), (1..=4).map(NodeId).collect::<Vec<_>>());
        assert_eq!(k_core(&g, 2).len(), 7);
    }
}
