//! Strongly connected components: Tarjan's algorithm with an explicit stack.

use super::Csr;
use crate::ids::NodeId;

const UNSEEN: u32 = u32::MAX;

/// The strongly connected components, each as its node ids in increasing order; the
/// components in reverse topological order of the condensation (a component comes before
/// every component that has an edge into it), as Tarjan's algorithm finds them.
/// Iterative: no recursion, so a 10M-node chain is fine.
pub fn scc(g: &Csr) -> Vec<Vec<NodeId>> {
    let n = g.node_count();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut next_index = 0u32;
    // Call frames: (node, how many of its out-edges have been followed).
    let mut frames: Vec<(u32, usize)> = Vec::new();
    for root in 0..n as u32 {
        if index[root as usize] != UNSEEN {
            continue;
        }
        frames.push((root, 0));
        while let Some(&mut (v, ref mut k)) = frames.last_mut() {
            let vi = v as usize;
            if *k == 0 && index[vi] == UNSEEN {
                index[vi] = next_index;
                low[vi] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[vi] = true;
            }
            let targets = g.out(v);
            if let Some(&w) = targets.get(*k) {
                *k += 1;
                let wi = w as usize;
                if index[wi] == UNSEEN {
                    frames.push((w, 0));
                } else if on_stack[wi] {
                    low[vi] = low[vi].min(index[wi]);
                }
                continue;
            }
            // Every edge followed: close v.
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                let pi = parent as usize;
                low[pi] = low[pi].min(low[vi]);
            }
            if low[vi] == index[vi] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    component.push(g.id(w));
                    if w == v {
                        break;
                    }
                }
                component.sort_unstable();
                out.push(component);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
