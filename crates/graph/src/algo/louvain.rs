//! Community detection by modularity: the Louvain method.

use rustc_hash::FxHashMap;

use super::simple::SplitMix;
use super::{AlgoError, Csr, Progress, ProgressFn, Result};
use crate::ids::NodeId;

/// Louvain parameters.
#[derive(Clone, Copy, Debug)]
pub struct Louvain {
    /// Modularity's resolution `gamma`: above 1 favours smaller communities; 1 by default.
    pub resolution: f64,
    /// `None`: nodes are visited in id order. `Some(seed)`: in an order shuffled from the
    /// seed at every level (the same seed, the same answer).
    pub seed: Option<u64>,
    /// Levels (move then aggregate) at most; 32 by default.
    pub max_levels: u32,
}

impl Default for Louvain {
    fn default() -> Self {
        Louvain {
            resolution: 1.0,
            seed: None,
            max_levels: 32,
        }
    }
}

/// A partition of the nodes into communities.
#[derive(Clone, Debug)]
pub struct Communities {
    /// `(node, label)` in id order; a label is the smallest node id of its community.
    pub labels: Vec<(NodeId, NodeId)>,
    /// Number of communities.
    pub count: usize,
    /// The partition's modularity.
    pub modularity: f64,
}

/// Communities of high modularity, by the Louvain method (Blondel et al. 2008): move
/// single nodes to the neighboring community that raises modularity most until none
/// does, merge each community into one node, and repeat on the smaller graph until a
/// level changes nothing.
///
/// The graph is taken as undirected; an edge weighs its weight (1 without weights);
/// parallel edges add up. Modularity is
/// `Q = sum over communities c of [ L_c / m - gamma * (d_c / 2m)^2 ]`, with `m` the total
/// edge weight, `L_c` the weight of edges inside `c` and `d_c` the sum of its nodes'
/// weighted degrees (a self-loop counts twice in a degree and once in `L_c`), as NetworkX
/// defines it. `progress` hears of every level.
pub fn louvain(g: &Csr, params: &Louvain, progress: ProgressFn<'_>) -> Result<Communities> {
    if !(params.resolution.is_finite() && params.resolution > 0.0) {
        return Err(AlgoError::InvalidArgument {
            name: "resolution",
            reason: format!("{} is not a positive number", params.resolution),
        });
    }
    let n = g.node_count();
    let mut level = Level::from_csr(g);
    // member[v]: the node of the current level that original node v belongs to.
    let mut member: Vec<u32> = (0..n as u32).collect();
    let mut rng = params.seed.map(SplitMix::new);
    for round in 0..params.max_levels {
        let (community, moved) = level.move_nodes(params.resolution, rng.as_mut());
        progress(Progress {
            stage: "louvain levels",
            done: u64::from(round + 1),
            total: u64::from(params.max_levels),
        });
        if !moved {
            break;
        }
        let (next, renumber) = level.aggregate(&community);
        if next.len() == level.len() {
            break;
        }
        for m in &mut member {
            *m = renumber[community[*m as usize] as usize];
        }
        level = next;
    }
    // Label each community by its smallest node (the first in index order).
    let mut label_of: Vec<u32> = vec![u32::MAX; level.len()];
    let labels = (0..n)
        .map(|v| {
            let c = member[v] as usize;
            if label_of[c] == u32::MAX {
                label_of[c] = v as u32;
            }
            (g.id(v as u32), g.id(label_of[c]))
        })
        .collect();
    Ok(Communities {
        labels,
        count: level.len(),
        // Each final community is one node of the last level, its inside weight a loop.
        modularity: level.modularity(
            &(0..level.len() as u32).collect::<Vec<_>>(),
            params.resolution,
        ),
    })
}

/// One level's graph: undirected, weighted, neighbors merged, self-loops apart.
struct Level {
    /// Neighbors other than the node itself, with the summed weight of the edges between.
    nbrs: Vec<Vec<(u32, f64)>>,
    /// `A_ii`: twice the weight of the node's self-loops.
    loops: Vec<f64>,
    /// Weighted degree: `loops + sum of nbrs weights`.
    degree: Vec<f64>,
    /// Twice the total edge weight: the sum of the degrees.
    two_m: f64,
}

impl Level {
    fn from_csr(g: &Csr) -> Level {
        let n = g.node_count();
        let mut nbrs: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
        let mut loops = vec![0.0; n];
        for v in 0..n as u32 {
            for (&w, pos) in g.out(v).iter().zip(g.out_positions(v)) {
                let weight = g.weight(pos);
                if w == v {
                    loops[v as usize] += 2.0 * weight;
                } else {
                    nbrs[v as usize].push((w, weight));
                    nbrs[w as usize].push((v, weight));
                }
            }
        }
        Level::new(nbrs, loops)
    }

    fn new(mut nbrs: Vec<Vec<(u32, f64)>>, loops: Vec<f64>) -> Level {
        for list in &mut nbrs {
            list.sort_unstable_by_key(|&(w, _)| w);
            list.dedup_by(|b, a| {
                if a.0 == b.0 {
                    a.1 += b.1;
                    true
                } else {
                    false
                }
            });
        }
        let degree: Vec<f64> = nbrs
            .iter()
            .zip(&loops)
            .map(|(list, l)| l + list.iter().map(|&(_, w)| w).sum::<f64>())
            .collect();
        let two_m = degree.iter().sum();
        Level {
            nbrs,
            loops,
            degree,
            two_m,
        }
    }

    fn len(&self) -> usize {
        self.loops.len()
    }

    /// Local moving until no node moves (or a sweep gains almost nothing); returns each
    /// node's community and whether any node moved.
    fn move_nodes(&self, gamma: f64, rng: Option<&mut SplitMix>) -> (Vec<u32>, bool) {
        let n = self.len();
        let mut community: Vec<u32> = (0..n as u32).collect();
        if self.two_m <= 0.0 {
            return (community, false);
        }
        let mut total: Vec<f64> = self.degree.clone();
        let mut order: Vec<u32> = (0..n as u32).collect();
        if let Some(rng) = rng {
            for i in (1..n).rev() {
                order.swap(i, rng.below(i + 1));
            }
        }
        let mut weight_to: FxHashMap<u32, f64> = FxHashMap::default();
        let mut moved_any = false;
        for _sweep in 0..1000 {
            let mut gain_sum = 0.0;
            let mut moves = 0usize;
            for &v in &order {
                let vi = v as usize;
                let own = community[vi];
                let k = self.degree[vi];
                weight_to.clear();
                for &(w, x) in &self.nbrs[vi] {
                    *weight_to.entry(community[w as usize]).or_default() += x;
                }
                total[own as usize] -= k;
                let gain = |c: u32, to: f64| to - gamma * total[c as usize] * k / self.two_m;
                let stay = gain(own, weight_to.get(&own).copied().unwrap_or(0.0));
                let (mut best, mut best_gain) = (own, stay);
                for &(w, _) in &self.nbrs[vi] {
                    let c = community[w as usize];
                    let g = gain(c, weight_to[&c]);
                    if g > best_gain {
                        (best, best_gain) = (c, g);
                    }
                }
                total[best as usize] += k;
                if best != own {
                    community[vi] = best;
                    gain_sum += best_gain - stay;
                    moves += 1;
                }
            }
            moved_any |= moves > 0;
            if moves == 0 || gain_sum / self.two_m < 1e-12 {
                break;
            }
        }
        (community, moved_any)
    }

    /// The graph of communities: one node per community (numbered in order of first
    /// appearance), edge weights summed, inside weight as a self-loop. Also returns the
    /// renumbering from community to new node.
    fn aggregate(&self, community: &[u32]) -> (Level, Vec<u32>) {
        let mut renumber = vec![u32::MAX; self.len()];
        let mut count = 0u32;
        for &c in community {
            if renumber[c as usize] == u32::MAX {
                renumber[c as usize] = count;
                count += 1;
            }
        }
        let mut nbrs: Vec<Vec<(u32, f64)>> = vec![Vec::new(); count as usize];
        let mut loops = vec![0.0; count as usize];
        for v in 0..self.len() {
            let cv = renumber[community[v] as usize];
            loops[cv as usize] += self.loops[v];
            for &(w, x) in &self.nbrs[v] {
                let cw = renumber[community[w as usize] as usize];
                if cw == cv {
                    loops[cv as usize] += x;
                } else {
                    nbrs[cv as usize].push((cw, x));
                }
            }
        }
        (Level::new(nbrs, loops), renumber)
    }

    /// Modularity of the partition `community` of this level's nodes.
    fn modularity(&self, community: &[u32], gamma: f64) -> f64 {
        if self.two_m <= 0.0 {
            return 0.0;
        }
        let groups = community.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let mut inside = vec![0.0; groups];
        let mut total = vec![0.0; groups];
        for v in 0..self.len() {
            let c = community[v] as usize;
            total[c] += self.degree[v];
            inside[c] += self.loops[v];
            for &(w, x) in &self.nbrs[v] {
                if community[w as usize] as usize == c {
                    inside[c] += x;
                }
            }
        }
        inside
            .iter()
            .zip(&total)
            .map(|(i, t)| i / self.two_m - gamma * (t / self.two_m).powi(2))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_graph;

    #[test]
    fn two_cliques_joined_by_one_edge() {
        // K4 {1..4} and K4 {5..8}, bridge 4 - 5.
        let mut e = Vec::new();
        for group in [[1, 2, 3, 4], [5, 6, 7, 8]] {
            for (i, &a) in group.iter().enumerate() {
                for &b in &group[i + 1..] {
                    e.push((a, b));
                }
            }
        }
        e.push((4, 5));
        let g = test_graph(8, &e);
        let c = louvain(&g, &Louvain::default(), &mut |_| {}).unwrap();
        let labels: Vec<u64> = c.labels.iter().map(|(_, l)| l.0).collect();
        assert_eq!(labels, vec![1, 1, 1, 1, 5, 5, 5, 5]);
        assert_eq!(c.count, 2);
        // By hand: m = 13, each side has 6 inside edges and degree sum 13:
        // Q = 2 * (6/13 - (13/26)^2) = 12/13 - 1/2.
        assert!((c.modularity - (12.0 / 13.0 - 0.5)).abs() < 1e-12);
        for seed in 0..5 {
            let s = Louvain {
                seed: Some(seed),
                ..Louvain::default()
            };
            let again = louvain(&g, &s, &mut |_| {}).unwrap();
            assert_eq!(again.count, 2);
            assert!((again.modularity - c.modularity).abs() < 1e-12);
        }
    }

    #[test]
    fn edgeless_and_bad_arguments() {
        let g = test_graph(3, &[]);
        let c = louvain(&g, &Louvain::default(), &mut |_| {}).unwrap();
        assert_eq!(c.count, 3);
        assert!(c.modularity.abs() < 1e-15);
        let bad = Louvain {
            resolution: -1.0,
            ..Louvain::default()
        };
        assert!(louvain(&g, &bad, &mut |_| {}).is_err());
        // Self-loops only: each node is its own community, Q = sum (1/3 - (1/3)^2).
        let l = test_graph(3, &[(1, 1), (2, 2), (3, 3)]);
        let c = louvain(&l, &Louvain::default(), &mut |_| {}).unwrap();
        assert_eq!(c.count, 3);
        assert!((c.modularity - 3.0 * (1.0 / 3.0 - 1.0 / 9.0)).abs() < 1e-12);
    }
}
