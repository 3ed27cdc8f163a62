//! Weakly connected components (edge directions ignored), by union-find.

use super::Csr;
use crate::ids::NodeId;

/// The weakly connected component of every node: `(node, label)` in id order, where the
/// label is the smallest node id in the component (as in LDBC Graphalytics' WCC).
/// Union-find with path halving and union by smaller root: no recursion, near-linear time.
pub fn wcc(g: &Csr) -> Vec<(NodeId, NodeId)> {
    let n = g.node_count();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let find = |parent: &mut Vec<u32>, mut x: u32| {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    };
    for v in 0..n as u32 {
        for &w in g.out(v) {
            let (a, b) = (find(&mut parent, v), find(&mut parent, w));
            // The smaller index (= the smaller id) becomes the root: roots are labels.
            if a < b {
                parent[b as usize] = a;
            } else if b < a {
                parent[a as usize] = b;
            }
        }
    }
    (0..n as u32)
        .map(|v| (g.id(v), g.id(find(&mut parent, v))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_by_hand() {
        // {1,2,3} through 3 -> 1 and 2 -> 3; {4,5}; {6} with a self-loop; {7} alone.
        let nodes: Vec<NodeId> = (1..=7).map(NodeId).collect();
        let e = [(3, 1), (2, 3), (5, 4), (6, 6)];
        let edges: Vec<_> = e.iter().map(|&(a, b)| (NodeId(a), NodeId(b))).collect();
        let g = Csr::from_edges(&nodes, &edges).unwrap();
        let labels: Vec<u64> = wcc(&g).iter().map(|(_, l)| l.0).collect();
        assert_eq!(labels, vec![1, 1, 1, 4, 4, 6, 7]);
    }
}
