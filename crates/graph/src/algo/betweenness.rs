//! Betweenness centrality: Brandes' algorithm, exact or from sampled sources.

use std::collections::VecDeque;

use super::parallel::for_each_source;
use super::simple::{Simple, SplitMix};
use super::{AlgoError, Csr, ProgressFn, Result};
use crate::ids::{Direction, NodeId};

/// Betweenness parameters.
#[derive(Clone, Copy, Debug)]
pub struct Betweenness {
    /// `Outgoing` (or `Incoming`, the same values): directed paths. `Both`: the graph as
    /// undirected, each unordered pair counted once.
    pub dir: Direction,
    /// `None`: exact, every node a source. `Some(k)`: `k` distinct sources drawn at random
    /// (from `seed`), the sums scaled by `n / k`: an unbiased estimate, `k/n` of the work.
    pub samples: Option<usize>,
    /// Seed for the sampled sources.
    pub seed: u64,
    /// Divide by the number of pairs that do not include the node: `(n-1)(n-2)` for
    /// directed paths, `(n-1)(n-2)/2` for undirected.
    pub normalized: bool,
}

impl Default for Betweenness {
    fn default() -> Self {
        Betweenness {
            dir: Direction::Outgoing,
            samples: None,
            seed: 0,
            normalized: false,
        }
    }
}

/// Betweenness centrality of every node, `(node, score)` in id order: the sum over pairs
/// `s != v != t` of the fraction of shortest `s`-`t` paths (in hops) that pass through
/// `v`. Paths are sequences of distinct neighbors, so parallel edges and self-loops do not
/// count. Brandes' algorithm: one breadth-first search per source and a backward pass,
/// `O(n * m)` time exact; sources run in parallel on the machine's cores. `progress`
/// hears of the sources done. The same as NetworkX's `betweenness_centrality` (up to
/// rounding).
pub fn betweenness(
    g: &Csr,
    params: &Betweenness,
    progress: ProgressFn<'_>,
) -> Result<Vec<(NodeId, f64)>> {
    let n = g.node_count();
    let sources = pick_sources(n, params.samples, params.seed)?;
    let adj = Simple::new(g, params.dir);
    let states = for_each_source(
        &sources,
        "betweenness",
        progress,
        || Brandes::new(n),
        |b, s| b.source(&adj, s),
    );
    let mut score = vec![0.0; n];
    for b in states {
        for (acc, x) in score.iter_mut().zip(b.score) {
            *acc += x;
        }
    }
    let mut scale = if sources.is_empty() {
        1.0
    } else {
        n as f64 / sources.len() as f64
    };
    if params.dir == Direction::Both {
        scale /= 2.0;
    }
    if params.normalized && n > 2 {
        let pairs = ((n - 1) * (n - 2)) as f64;
        scale /= if params.dir == Direction::Both {
            pairs / 2.0
        } else {
            pairs
        };
    }
    Ok(score
        .into_iter()
        .enumerate()
        .map(|(v, x)| (g.id(v as u32), x * scale))
        .collect())
}

/// Every node, or `k` distinct nodes drawn from `seed` (a partial Fisher-Yates shuffle).
pub(crate) fn pick_sources(n: usize, samples: Option<usize>, seed: u64) -> Result<Vec<u32>> {
    let mut all: Vec<u32> = (0..n as u32).collect();
    let Some(k) = samples else {
        return Ok(all);
    };
    if k == 0 {
        return Err(AlgoError::InvalidArgument {
            name: "samples",
            reason: "must be at least 1".into(),
        });
    }
    if k >= n {
        return Ok(all);
    }
    let mut rng = SplitMix::new(seed);
    for i in 0..k {
        let j = i + rng.below(n - i);
        all.swap(i, j);
    }
    all.truncate(k);
    Ok(all)
}

/// One thread's working state: per-node vectors reused across sources.
struct Brandes {
    dist: Vec<u32>,
    sigma: Vec<f64>,
    delta: Vec<f64>,
    order: Vec<u32>,
    queue: VecDeque<u32>,
    score: Vec<f64>,
}

const FAR: u32 = u32::MAX;

impl Brandes {
    fn new(n: usize) -> Brandes {
        Brandes {
            dist: vec![FAR; n],
            sigma: vec![0.0; n],
            delta: vec![0.0; n],
            order: Vec::new(),
            queue: VecDeque::new(),
            score: vec![0.0; n],
        }
    }

    fn source(&mut self, adj: &Simple, s: u32) {
        let (dist, sigma, delta) = (&mut self.dist, &mut self.sigma, &mut self.delta);
        dist[s as usize] = 0;
        sigma[s as usize] = 1.0;
        self.queue.push_back(s);
        while let Some(v) = self.queue.pop_front() {
            self.order.push(v);
            let dv = dist[v as usize];
            for &w in adj.of(v) {
                let w = w as usize;
                if dist[w] == FAR {
                    dist[w] = dv + 1;
                    self.queue.push_back(w as u32);
                }
                if dist[w] == dv + 1 {
                    sigma[w] += sigma[v as usize];
                }
            }
        }
        // Backward: successors of w are the neighbors one hop further.
        for &w in self.order.iter().rev() {
            let wi = w as usize;
            let mut d = 0.0;
            for &x in adj.of(w) {
                let x = x as usize;
                if dist[x] == dist[wi] + 1 {
                    d += sigma[wi] / sigma[x] * (1.0 + delta[x]);
                }
            }
            delta[wi] = d;
            if w != s {
                self.score[wi] += d;
            }
        }
        for &v in &self.order {
            dist[v as usize] = FAR;
            sigma[v as usize] = 0.0;
            delta[v as usize] = 0.0;
        }
        self.order.clear();
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "hand-computed values exact in binary")]
mod tests {
    use super::*;
    use crate::algo::test_graph;

    fn scores(g: &Csr, params: &Betweenness) -> Vec<f64> {
        betweenness(g, params, &mut |_| {})
            .unwrap()
            .into_iter()
            .map(|(_, x)| x)
            .collect()
    }

    #[test]
    fn betweenness_by_hand() {
        // Directed path 1 -> 2 -> 3 -> 4: node 2 is on (1,3), (1,4); node 3 on (1,4), (2,4).
        let path = test_graph(4, &[(1, 2), (2, 3), (3, 4)]);
        assert_eq!(
            scores(&path, &Betweenness::default()),
            vec![0.0, 2.0, 2.0, 0.0]
        );
        // Undirected: the same pairs, each once.
        let both = Betweenness {
            dir: Direction::Both,
            ..Betweenness::default()
        };
        assert_eq!(scores(&path, &both), vec![0.0, 2.0, 2.0, 0.0]);
        // A star with centre 1 and 4 leaves, undirected: C(4,2) = 6 pairs through 1;
        // parallel edges and a self-loop change nothing.
        let star = test_graph(5, &[(1, 2), (1, 3), (1, 4), (1, 5), (1, 2), (3, 3)]);
        assert_eq!(scores(&star, &both), vec![6.0, 0.0, 0.0, 0.0, 0.0]);
        let norm = Betweenness {
            normalized: true,
            ..both
        };
        assert_eq!(scores(&star, &norm)[0], 1.0);
        // A 4-cycle, undirected: two shortest paths between opposite corners, each middle
        // node on half of them: 0.5 each.
        let square = test_graph(4, &[(1, 2), (2, 3), (3, 4), (4, 1)]);
        assert_eq!(scores(&square, &both), vec![0.5; 4]);
        // Disconnected pieces add nothing.
        let two = test_graph(6, &[(1, 2), (2, 3), (4, 5), (5, 6)]);
        assert_eq!(scores(&two, &both), vec![0.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn sampling_all_sources_is_exact_and_seeds_repeat() {
        let edges: Vec<(u64, u64)> = (1..40).map(|i| (i, (i * 7) % 40 + 1)).collect();
        let g = test_graph(40, &edges);
        let exact = scores(&g, &Betweenness::default());
        let all = Betweenness {
            samples: Some(40),
            ..Betweenness::default()
        };
        assert_eq!(scores(&g, &all), exact);
        let some = Betweenness {
            samples: Some(10),
            seed: 3,
            ..Betweenness::default()
        };
        assert_eq!(scores(&g, &some), scores(&g, &some));
        let zero = Betweenness {
            samples: Some(0),
            ..Betweenness::default()
        };
        assert!(betweenness(&g, &zero, &mut |_| {}).is_err());
        let picked = pick_sources(100, Some(30), 9).unwrap();
        let mut uniq = picked.clone();
        uniq.sort_unstable();
        uniq.dedup();
        assert_eq!(uniq.len(), 30);
    }
}
