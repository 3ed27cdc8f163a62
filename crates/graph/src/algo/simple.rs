//! A snapshot seen as a simple graph: each node's distinct neighbors in one direction (or
//! both), sorted, without the node itself. Triangle counts, clustering, cores and
//! betweenness count neighbors, not parallel edges or self-loops.

use super::Csr;
use crate::ids::Direction;

/// Each node's distinct neighbors in one direction, sorted, self-loops dropped.
pub(crate) struct Simple {
    start: Vec<usize>,
    adj: Vec<u32>,
}

impl Simple {
    /// The simple view of `g` in `dir` (`Both`: the undirected graph).
    pub(crate) fn new(g: &Csr, dir: Direction) -> Simple {
        let n = g.node_count();
        let mut start = Vec::with_capacity(n + 1);
        let mut adj = Vec::with_capacity(g.edge_count());
        let mut buf = Vec::new();
        start.push(0);
        for v in 0..n as u32 {
            buf.clear();
            g.each(v, dir, |w, _| {
                if w != v {
                    buf.push(w);
                }
            });
            buf.sort_unstable();
            buf.dedup();
            adj.extend_from_slice(&buf);
            start.push(adj.len());
        }
        Simple { start, adj }
    }

    /// The distinct neighbors of `v`, sorted.
    pub(crate) fn of(&self, v: u32) -> &[u32] {
        &self.adj[self.start[v as usize]..self.start[v as usize + 1]]
    }

    /// Number of nodes.
    pub(crate) fn len(&self) -> usize {
        self.start.len() - 1
    }
}

/// A small seeded generator (SplitMix64): the same seed gives the same run everywhere.
pub(crate) struct SplitMix(u64);

impl SplitMix {
    /// A generator started from `seed`.
    pub(crate) fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), without modulo bias worth caring about for `n < 2^32`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_graph;

    #[test]
    fn simple_view_drops_loops_and_parallel_edges() {
        let g = test_graph(3, &[(1, 2), (1, 2), (2, 1), (1, 1), (3, 1)]);
        let out = Simple::new(&g, Direction::Outgoing);
        assert_eq!(out.of(0), &[1]);
        assert_eq!(out.of(2), &[0]);
        let both = Simple::new(&g, Direction::Both);
        assert_eq!(both.of(0), &[1, 2]);
        assert_eq!(both.of(1), &[0]);
        assert_eq!(both.len(), 3);
    }

    #[test]
    fn generator_is_seeded_and_bounded() {
        let a: Vec<usize> = {
            let mut r = SplitMix::new(7);
            (0..100).map(|_| r.below(10)).collect()
        };
        let mut r = SplitMix::new(7);
        assert!(a.iter().all(|&x| x < 10 && x == r.below(10)));
        assert!((0..10).all(|d| a.contains(&d)));
    }
}
