//! PageRank, as LDBC Graphalytics defines it.

use super::{AlgoError, Csr, Progress, ProgressFn, Result};
use crate::ids::{Direction, NodeId};

/// PageRank's parameters.
#[derive(Clone, Copy, Debug)]
pub struct PageRank {
    /// The damping factor `d`, in `0..=1`; 0.85 by default.
    pub damping: f64,
    /// Most iterations; 20 by default.
    pub iterations: u32,
    /// Stop early once the ranks change by less than this in total (L1 norm) over one
    /// iteration; 0 (run every iteration) by default.
    pub tolerance: f64,
    /// Which way rank flows along an edge: `Outgoing` (the default) from its source to
    /// its target; `Incoming` from its target to its source (the reversed graph); `Both`
    /// both ways, each edge an undirected link (PageRank of the undirected graph, as
    /// NetworkX computes it on a `Graph`).
    pub dir: Direction,
}

impl Default for PageRank {
    fn default() -> Self {
        PageRank {
            damping: 0.85,
            iterations: 20,
            tolerance: 0.0,
            dir: Direction::Outgoing,
        }
    }
}

impl PageRank {
    /// Checks the parameters: damping in `0..=1`, tolerance a number of at least 0.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.damping) {
            return Err(AlgoError::InvalidArgument {
                name: "damping",
                reason: format!("{} is not between 0 and 1", self.damping),
            });
        }
        if self.tolerance.is_nan() || self.tolerance < 0.0 {
            return Err(AlgoError::InvalidArgument {
                name: "tolerance",
                reason: format!("{} is not a number of at least 0", self.tolerance),
            });
        }
        Ok(())
    }
}

/// PageRank of every node, `(node, rank)` in id order; the ranks sum to 1.
///
/// The definition is LDBC Graphalytics' (and the common one): every rank starts at `1/n`;
/// each iteration sets
/// `PR(v) = (1 - d)/n + d * sum(PR(u)/outdeg(u) for each edge u -> v) + d/n * sum(PR(w) for dangling w)`,
/// where a dangling node has no outgoing edges and so spreads its rank over every node.
/// Parallel edges count once each, and so do self-loops. With `params.dir` `Both` every
/// edge is followed both ways (`outdeg` becomes the undirected degree, and a self-loop
/// counts once on each side); with `Incoming` the edges are reversed. `progress` hears of
/// every iteration.
pub fn pagerank(g: &Csr, params: PageRank, progress: ProgressFn<'_>) -> Result<Vec<(NodeId, f64)>> {
    params.validate()?;
    let n = g.node_count();
    if n == 0 {
        return Ok(Vec::new());
    }
    let d = params.damping;
    let nf = n as f64;
    let mut rank = vec![1.0 / nf; n];
    let mut next = vec![0.0; n];
    // Each node's share per out-edge, recomputed every iteration.
    let mut share = vec![0.0; n];
    // Rank flows along `dir`: a node gathers from its neighbors the other way.
    let gather = match params.dir {
        Direction::Outgoing => Direction::Incoming,
        Direction::Incoming => Direction::Outgoing,
        Direction::Both => Direction::Both,
    };
    let degree = |v: u32| match params.dir {
        Direction::Outgoing => g.out_degree(v),
        Direction::Incoming => g.in_degree(v),
        Direction::Both => g.out_degree(v) + g.in_degree(v),
    };
    for it in 0..params.iterations {
        let mut dangling = 0.0;
        for v in 0..n {
            let deg = degree(v as u32);
            if deg == 0 {
                dangling += rank[v];
                share[v] = 0.0;
            } else {
                share[v] = rank[v] / deg as f64;
            }
        }
        let base = (1.0 - d) / nf + d * dangling / nf;
        let mut change = 0.0;
        for v in 0..n {
            let incoming: f64 = if gather == Direction::Incoming {
                g.inc(v as u32).iter().map(|&u| share[u as usize]).sum()
            } else {
                let mut sum = 0.0;
                g.each(v as u32, gather, |u, _| sum += share[u as usize]);
                sum
            };
            next[v] = base + d * incoming;
            change += (next[v] - rank[v]).abs();
        }
        std::mem::swap(&mut rank, &mut next);
        progress(Progress {
            stage: "pagerank iterations",
            done: u64::from(it) + 1,
            total: u64::from(params.iterations),
        });
        if change < params.tolerance {
            break;
        }
    }
    Ok(rank
        .into_iter()
        .enumerate()
        .map(|(i, r)| (g.id(i as u32), r))
        .collect())
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "hand-computed values exact in binary")]
mod tests {
    use super::*;

    use crate::algo::test_graph as graph;

    #[test]
    fn symmetric_cycle_is_uniform_and_a_star_by_hand() {
        let cycle = graph(4, &[(1, 2), (2, 3), (3, 4), (4, 1)]);
        for (_, r) in pagerank(&cycle, PageRank::default(), &mut |_| {}).unwrap() {
            assert!((r - 0.25).abs() < 1e-12);
        }
        // Star: 2, 3 -> 1; node 1 dangling. One iteration from 1/3 each, d = 0.5:
        // base = 0.5/3 + 0.5 * (1/3) / 3 = 2/9; PR(1) = 2/9 + 0.5 * (1/3 + 1/3) = 5/9.
        let star = graph(3, &[(2, 1), (3, 1)]);
        let params = PageRank {
            damping: 0.5,
            iterations: 1,
            tolerance: 0.0,
            ..PageRank::default()
        };
        let r = pagerank(&star, params, &mut |_| {}).unwrap();
        assert!((r[0].1 - 5.0 / 9.0).abs() < 1e-12);
        assert!((r[1].1 - 2.0 / 9.0).abs() < 1e-12);
        let sum: f64 = r.iter().map(|x| x.1).sum();
        assert!((sum - 1.0).abs() < 1e-12);
        let bad = PageRank {
            damping: 1.5,
            ..PageRank::default()
        };
        assert!(pagerank(&star, bad, &mut |_| {}).is_err());
    }
}
