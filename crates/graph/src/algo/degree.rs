//! Degree centrality.

use super::Csr;
use crate::ids::{Direction, NodeId};

/// The degree of every node in `dir`, `(node, degree)` in id order. Edges count with
/// their multiplicity; a self-loop counts once per side, so twice with `Both`.
pub fn degree(g: &Csr, dir: Direction) -> Vec<(NodeId, usize)> {
    (0..g.node_count() as u32)
        .map(|v| {
            let d = match dir {
                Direction::Outgoing => g.out_degree(v),
                Direction::Incoming => g.in_degree(v),
                Direction::Both => g.out_degree(v) + g.in_degree(v),
            };
            (g.id(v), d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_graph;

    #[test]
    fn degrees_by_hand() {
        // A star 1 -> {2, 3, 4}, a parallel edge 1 -> 2, a self-loop on 4.
        let g = test_graph(4, &[(1, 2), (1, 3), (1, 4), (1, 2), (4, 4)]);
        let d = |dir| -> Vec<usize> { degree(&g, dir).into_iter().map(|(_, d)| d).collect() };
        assert_eq!(d(Direction::Outgoing), vec![4, 0, 0, 1]);
        assert_eq!(d(Direction::Incoming), vec![0, 2, 1, 2]);
        assert_eq!(d(Direction::Both), vec![4, 2, 1, 3]);
    }
}
