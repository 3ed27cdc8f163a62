//! Strongly connected components: Tarjan's algorithm with an explicit stack.

use super::Csr;
use crate::ids::NodeId;

const UNSEEN: u32 = u32::MAX;
/// `index` of a node already placed in a component (off the stack).
const PLACED: u32 = u32::MAX - 1;

/// One call frame of the search: the node and the span of its out-edges left to follow.
struct Frame<'g> {
    v: u32,
    targets: &'g [u32],
    next: usize,
    /// Length of the node stack before `v` was pushed: where `v`'s component starts.
    base: usize,
}

/// The strongly connected components, each as its node ids in increasing order; the
/// components in reverse topological order of the condensation (a component comes before
/// every component that has an edge into it), as Tarjan's algorithm finds them.
/// Iterative: no recursion, so a 10M-node chain is fine.
pub fn scc(g: &Csr) -> Vec<Vec<NodeId>> {
    let n = g.node_count();
    // Visit order of each node (`UNSEEN`, or `PLACED` once in a component: a node is on
    // the stack exactly while its index is neither), and the lowest index it reaches.
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut next_index = 0u32;
    let mut frames: Vec<Frame<'_>> = Vec::new();
    let mut marks = Marks::new(n);
    let mut open = |v: u32, stack: &mut Vec<u32>, index: &mut [u32], low: &mut [u32]| {
        index[v as usize] = next_index;
        low[v as usize] = next_index;
        next_index += 1;
        let frame = Frame {
            v,
            targets: g.out(v),
            next: 0,
            base: stack.len(),
        };
        stack.push(v);
        frame
    };
    for root in 0..n as u32 {
        if index[root as usize] != UNSEEN {
            continue;
        }
        frames.push(open(root, &mut stack, &mut index, &mut low));
        while let Some(frame) = frames.last_mut() {
            let vi = frame.v as usize;
            if let Some(&w) = frame.targets.get(frame.next) {
                frame.next += 1;
                match index[w as usize] {
                    UNSEEN => {
                        let child = open(w, &mut stack, &mut index, &mut low);
                        frames.push(child);
                    }
                    PLACED => {}
                    seen => low[vi] = low[vi].min(seen),
                }
                continue;
            }
            // Every edge followed: close v.
            let (v, base) = (frame.v, frame.base);
            frames.pop();
            if let Some(parent) = frames.last() {
                let pi = parent.v as usize;
                low[pi] = low[pi].min(low[vi]);
            }
            if low[vi] == index[vi] {
                let members = &stack[base..];
                for &w in members {
                    index[w as usize] = PLACED;
                }
                out.push(marks.sorted_ids(g, members));
                stack.truncate(base);
                debug_assert!(index[v as usize] == PLACED);
            }
        }
    }
    out
}

/// Puts a component's members in index order (which is id order): a sort when the
/// component is small, a pass over a bitmap of all nodes when it is large.
struct Marks {
    bits: Vec<u64>,
}

impl Marks {
    fn new(n: usize) -> Marks {
        Marks {
            bits: vec![0; n.div_ceil(64)],
        }
    }

    fn sorted_ids(&mut self, g: &Csr, members: &[u32]) -> Vec<NodeId> {
        if members.len() == 1 {
            return vec![g.id(members[0])];
        }
        if members.len() * 8 < self.bits.len() {
            let mut sorted = members.to_vec();
            sorted.sort_unstable();
            return sorted.into_iter().map(|i| g.id(i)).collect();
        }
        for &w in members {
            self.bits[w as usize / 64] |= 1 << (w % 64);
        }
        let mut ids = Vec::with_capacity(members.len());
        for (word_at, word) in self.bits.iter_mut().enumerate() {
            let mut bits = std::mem::take(word);
            while bits != 0 {
                let i = word_at * 64 + bits.trailing_zeros() as usize;
                ids.push(g.id(i as u32));
                bits &= bits - 1;
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::csr::random_graph;

    #[test]
    fn components_by_hand() {
        // {1,2,3} a cycle; 3 -> 4; {4,5} a cycle; 6 with a self-loop; 7 alone.
        let nodes: Vec<NodeId> = (1..=7).map(NodeId).collect();
        let e = [(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 4), (6, 6)];
        let edges: Vec<_> = e.iter().map(|&(a, b)| (NodeId(a), NodeId(b))).collect();
        let g = Csr::from_edges(&nodes, &edges).unwrap();
        let got: Vec<Vec<u64>> = scc(&g)
            .iter()
            .map(|c| c.iter().map(|n| n.0).collect())
            .collect();
        assert_eq!(got, vec![vec![4, 5], vec![1, 2, 3], vec![6], vec![7]]);
    }

    #[test]
    fn a_long_cycle_does_not_recurse() {
        let n = 300_000u64;
        let nodes: Vec<NodeId> = (1..=n).map(NodeId).collect();
        let edges: Vec<_> = (1..=n).map(|i| (NodeId(i), NodeId(i % n + 1))).collect();
        let g = Csr::from_edges(&nodes, &edges).unwrap();
        let got = scc(&g);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].len(), n as usize);
    }

    /// On random graphs: the components partition the nodes, each in increasing id order,
    /// every edge between two components goes to an earlier one (reverse topological
    /// order), and two nodes share a component exactly when each reaches the other.
    #[test]
    fn random_graphs_against_reachability() {
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..150 {
            let n = rng.u64(1..40);
            let m = rng.usize(0..(n as usize) * 3);
            let (edges, g) = random_graph(&mut rng, n, m);
            let comps = scc(&g);
            let mut at = vec![usize::MAX; n as usize + 1];
            for (c, members) in comps.iter().enumerate() {
                assert!(members.windows(2).all(|w| w[0] < w[1]), "{members:?}");
                for v in members {
                    assert_eq!(at[v.0 as usize], usize::MAX, "{v:?} twice");
                    at[v.0 as usize] = c;
                }
            }
            assert!(
                at[1..].iter().all(|&c| c != usize::MAX),
                "every node placed"
            );
            for &(a, b) in &edges {
                assert!(at[b.0 as usize] <= at[a.0 as usize], "edge {a:?} -> {b:?}");
            }
            // Reachability by repeated relaxation (a closure over the edge list).
            let k = n as usize + 1;
            let mut reach = vec![false; k * k];
            for v in 1..k {
                reach[v * k + v] = true;
            }
            let mut changed = true;
            while changed {
                changed = false;
                for &(a, b) in &edges {
                    for s in 1..k {
                        if reach[s * k + a.0 as usize] && !reach[s * k + b.0 as usize] {
                            reach[s * k + b.0 as usize] = true;
                            changed = true;
                        }
                    }
                }
            }
            for x in 1..k {
                for y in 1..k {
                    let same = reach[x * k + y] && reach[y * k + x];
                    assert_eq!(same, at[x] == at[y], "{x} and {y}");
                }
            }
        }
    }

    /// A component large enough to be ordered through the bitmap, next to small ones.
    #[test]
    fn a_large_component_is_in_id_order() {
        let n = 2_000u64;
        let nodes: Vec<NodeId> = (1..=n).map(NodeId).collect();
        // A cycle through the even nodes in a scrambled order; odd nodes alone.
        let mut evens: Vec<u64> = (1..=n / 2).map(|i| i * 2).collect();
        fastrand::Rng::with_seed(2).shuffle(&mut evens);
        let mut edges: Vec<_> = (0..evens.len())
            .map(|i| (NodeId(evens[i]), NodeId(evens[(i + 1) % evens.len()])))
            .collect();
        // Small cycles, sorted rather than marked: 7 -> 5 -> 3 -> 7 and 11 <-> 9.
        edges.extend(
            [(7, 5), (5, 3), (3, 7), (11, 9), (9, 11)].map(|(a, b)| (NodeId(a), NodeId(b))),
        );
        let got = scc(&Csr::from_edges(&nodes, &edges).unwrap());
        evens.sort_unstable();
        let want_big: Vec<NodeId> = evens.into_iter().map(NodeId).collect();
        assert!(got.contains(&want_big));
        assert!(got.contains(&vec![NodeId(3), NodeId(5), NodeId(7)]));
        assert!(got.contains(&vec![NodeId(9), NodeId(11)]));
        assert_eq!(got.len(), 1 + n as usize / 2 - 3);
    }
}
