//! Community detection by label propagation (LDBC Graphalytics' CDLP).

use super::simple::SplitMix;
use super::{Csr, Progress, ProgressFn};
use crate::ids::{Direction, NodeId};

/// Label propagation parameters.
#[derive(Clone, Copy, Debug)]
pub struct LabelPropagation {
    /// Whose labels a node looks at: `Both` (in- and out-neighbors, as Graphalytics does
    /// for directed graphs), `Outgoing` or `Incoming`.
    pub dir: Direction,
    /// Iterations at most (Graphalytics runs a fixed number; this stops early only at a
    /// fixed point, where more iterations would change nothing).
    pub iterations: u32,
    /// `None`: ties go to the smallest label (Graphalytics). `Some(seed)`: ties are broken
    /// by a pseudo-random order drawn from the seed: the same seed, the same answer.
    pub seed: Option<u64>,
}

impl Default for LabelPropagation {
    fn default() -> Self {
        LabelPropagation {
            dir: Direction::Both,
            iterations: 10,
            seed: None,
        }
    }
}

/// Each node's community label, `(node, label)` in id order, where labels are node ids.
///
/// Graphalytics' definition: every node starts with its own id as label; in each
/// iteration, all at once, every node takes the label that is most frequent among its
/// neighbors' labels of the previous iteration (each edge counts, so a neighbor linked both
/// ways counts twice, as does a parallel edge; a self-loop counts the node's own label),
/// ties broken as `seed` says. A node without neighbors keeps its label.
/// `O(iterations * m log d)` time; `progress` hears of every iteration.
pub fn label_propagation(
    g: &Csr,
    params: &LabelPropagation,
    progress: ProgressFn<'_>,
) -> Vec<(NodeId, NodeId)> {
    let n = g.node_count();
    let mut labels: Vec<u32> = (0..n as u32).collect();
    let mut next = labels.clone();
    let mut seen: Vec<u32> = Vec::new();
    for it in 0..params.iterations {
        let mut changed = false;
        for v in 0..n as u32 {
            seen.clear();
            g.each(v, params.dir, |w, _| seen.push(labels[w as usize]));
            let mut best = labels[v as usize];
            if !seen.is_empty() {
                seen.sort_unstable();
                best = most_frequent(&seen, |label| tie_rank(params.seed, it, v, label));
            }
            changed |= best != labels[v as usize];
            next[v as usize] = best;
        }
        std::mem::swap(&mut labels, &mut next);
        progress(Progress {
            stage: "label propagation",
            done: u64::from(it + 1),
            total: u64::from(params.iterations),
        });
        if !changed {
            break;
        }
    }
    labels
        .into_iter()
        .enumerate()
        .map(|(v, l)| (g.id(v as u32), g.id(l)))
        .collect()
}

/// Where `label` stands among tied labels: itself without a seed (the smallest wins),
/// else a hash of the seed, iteration, node and label.
fn tie_rank(seed: Option<u64>, iteration: u32, node: u32, label: u32) -> u64 {
    match seed {
        None => u64::from(label),
        Some(s) => {
            let mix = s
                ^ (u64::from(iteration) << 32 | u64::from(node)).rotate_left(17)
                ^ u64::from(label).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            SplitMix::new(mix).next_u64()
        }
    }
}

/// The most frequent value of a sorted, non-empty slice; among equally frequent values,
/// the one with the smallest `rank`.
fn most_frequent(sorted: &[u32], rank: impl Fn(u32) -> u64) -> u32 {
    let mut best = (0usize, 0u64, 0u32);
    let mut i = 0;
    while i < sorted.len() {
        let label = sorted[i];
        let run = sorted[i..].iter().take_while(|&&l| l == label).count();
        let r = rank(label);
        if run > best.0 || (run == best.0 && r < best.1) {
            best = (run, r, label);
        }
        i += run;
    }
    best.2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_graph;

    fn run(g: &Csr, p: &LabelPropagation) -> Vec<u64> {
        label_propagation(g, p, &mut |_| {})
            .into_iter()
            .map(|(_, l)| l.0)
            .collect()
    }

    #[test]
    fn label_propagation_by_hand() {
        // Two triangles {1,2,3}, {4,5,6} joined by 3 -> 4, and 7 alone.
        let g = test_graph(7, &[(1, 2), (2, 3), (3, 1), (4, 5), (5, 6), (6, 4), (3, 4)]);
        let p = LabelPropagation::default();
        // Iteration 1 (ties to the smallest): 1 sees {2,3} -> 2; 2 sees {1,3} -> 1;
        // 3 sees {1,2,4} -> 1; 4 sees {5,6,3} -> 3; 5 sees {4,6} -> 4; 6 sees {4,5} -> 4.
        let one = LabelPropagation { iterations: 1, ..p };
        assert_eq!(run(&g, &one), vec![2, 1, 1, 3, 4, 4, 7]);
        // Iteration 2: 1 sees {1,1} -> 1; 2 sees {2,1} -> 1; 3 sees {2,1,3} -> 1;
        // 4 sees {4,4,1} -> 4; 5 sees {3,4} -> 3; 6 sees {3,4} -> 3.
        let two = LabelPropagation { iterations: 2, ..p };
        assert_eq!(run(&g, &two), vec![1, 1, 1, 4, 3, 3, 7]);
        // Outgoing only: 1 sees {2} -> 2, 3 sees {1,4} -> 1, 6 sees {4} -> 4.
        let out = LabelPropagation {
            dir: Direction::Outgoing,
            iterations: 1,
            seed: None,
        };
        assert_eq!(run(&g, &out), vec![2, 3, 1, 5, 6, 4, 7]);
    }

    #[test]
    fn seeded_ties_repeat_and_stay_among_the_tied() {
        let g = test_graph(3, &[(1, 2), (1, 3)]);
        for seed in 0..20 {
            let p = LabelPropagation {
                iterations: 1,
                seed: Some(seed),
                ..LabelPropagation::default()
            };
            let a = run(&g, &p);
            assert_eq!(a, run(&g, &p));
            assert!(a[0] == 2 || a[0] == 3, "{a:?}");
        }
        assert_eq!(most_frequent(&[1, 2, 2, 3, 3], u64::from), 2);
        assert_eq!(most_frequent(&[5], u64::from), 5);
    }
}
