//! Closeness centrality.

use std::collections::VecDeque;

use super::Csr;
use super::ProgressFn;
use super::parallel::per_node;
use super::simple::Simple;
use crate::ids::{Direction, NodeId};

/// Closeness centrality of every node, `(node, score)` in id order, from hop distances
/// along `dir`: for a node that reaches `r - 1` others at total distance `D`,
/// `(r - 1) / D * (r - 1) / (n - 1)` (Wasserman and Faust's form, which stays meaningful
/// when the graph is not connected), and 0 for a node that reaches none.
///
/// NetworkX's `closeness_centrality` on a directed graph measures distances *to* a node:
/// that is `dir = Incoming` here; `Both` treats the graph as undirected. One breadth-first
/// search per node, `O(n * m)`, in parallel on the machine's cores; `progress` hears of
/// the nodes done.
pub fn closeness(g: &Csr, dir: Direction, progress: ProgressFn<'_>) -> Vec<(NodeId, f64)> {
    let n = g.node_count();
    let adj = Simple::new(g, dir);
    per_node(
        g,
        "closeness",
        progress,
        || Sweep {
            dist: vec![u32::MAX; n],
            seen: Vec::new(),
            queue: VecDeque::new(),
        },
        |s, v| s.from(&adj, v),
    )
}

struct Sweep {
    dist: Vec<u32>,
    seen: Vec<u32>,
    queue: VecDeque<u32>,
}

impl Sweep {
    /// The closeness of `s`.
    fn from(&mut self, adj: &Simple, s: u32) -> f64 {
        self.dist[s as usize] = 0;
        self.seen.push(s);
        self.queue.push_back(s);
        let mut total = 0u64;
        while let Some(v) = self.queue.pop_front() {
            let d = self.dist[v as usize];
            total += u64::from(d);
            for &w in adj.of(v) {
                if self.dist[w as usize] == u32::MAX {
                    self.dist[w as usize] = d + 1;
                    self.seen.push(w);
                    self.queue.push_back(w);
                }
            }
        }
        let reached = (self.seen.len() - 1) as f64;
        let n = adj.len();
        let score = if total == 0 || n < 2 {
            0.0
        } else {
            reached / total as f64 * reached / (n - 1) as f64
        };
        for &v in &self.seen {
            self.dist[v as usize] = u32::MAX;
        }
        self.seen.clear();
        score
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "hand-computed values exact in binary")]
mod tests {
    use super::*;
    use crate::algo::test_graph;

    #[test]
    fn closeness_by_hand() {
        // Undirected path 1 - 2 - 3: the middle reaches both at distance 1 (score 1), the
        // ends reach 2 nodes at total distance 3 (score 2/3).
        let path = test_graph(3, &[(1, 2), (2, 3), (2, 3), (1, 1)]);
        let c: Vec<f64> = closeness(&path, Direction::Both, &mut |_| {})
            .into_iter()
            .map(|(_, x)| x)
            .collect();
        assert_eq!(c, vec![2.0 / 3.0, 1.0, 2.0 / 3.0]);
        // Directed, distances out: 1 reaches 2 and 3 (total 3); 2 reaches 3 (r-1 = 1,
        // D = 1, scaled by 1/2); 3 reaches none.
        let out: Vec<f64> = closeness(&path, Direction::Outgoing, &mut |_| {})
            .into_iter()
            .map(|(_, x)| x)
            .collect();
        assert_eq!(out, vec![2.0 / 3.0, 0.5, 0.0]);
        // Two pieces {1,2} and {3}: each of 1, 2 reaches one node at distance 1 of n-1 = 2.
        let two = test_graph(3, &[(1, 2)]);
        let c: Vec<f64> = closeness(&two, Direction::Both, &mut |_| {})
            .into_iter()
            .map(|(_, x)| x)
            .collect();
        assert_eq!(c, vec![0.5, 0.5, 0.0]);
    }
}
