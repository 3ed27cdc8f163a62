//! Weakly connected components (edge directions ignored), by union-find.

use super::Csr;
use crate::ids::NodeId;

/// The weakly connected component of every node: `(node, label)` in id order, where the
/// label is the smallest node id in the component (as in LDBC Graphalytics' WCC).
///
/// Union-find in Rem's form: every node's parent has a smaller index than the node (so a
/// set's root is its smallest member, the label), and a union walks both paths up at once,
/// hanging each node it passes onto the other path's smaller parent (splicing), which
/// shortens the paths as it goes. No recursion; near-linear time; one `u32` per node.
pub fn wcc(g: &Csr) -> Vec<(NodeId, NodeId)> {
    let n = g.node_count();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    for v in 0..n as u32 {
        for &w in g.out(v) {
            unite(&mut parent, v, w);
        }
    }
    // Parents come before their children, so one pass in index order leaves every node
    // pointing at its root.
    for v in 0..n {
        parent[v] = parent[parent[v] as usize];
    }
    parent
        .iter()
        .enumerate()
        .map(|(v, &root)| (g.id(v as u32), g.id(root)))
        .collect()
}

/// Joins the sets of `x` and `y` (Rem's algorithm with splicing). Keeps `parent[v] <= v`
/// for every node.
fn unite(parent: &mut [u32], mut x: u32, mut y: u32) {
    loop {
        let (px, py) = (parent[x as usize], parent[y as usize]);
        if px == py {
            return;
        }
        // Walk up from the side whose parent is larger.
        let (hi, lo_parent) = if px > py { (x, py) } else { (y, px) };
        let up = parent[hi as usize];
        parent[hi as usize] = lo_parent;
        if up == hi {
            // `hi` was a root: its set now hangs below the smaller parent.
            return;
        }
        if px > py {
            x = up;
        } else {
            y = up;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::csr::random_graph;

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

    /// Random graphs against a plain breadth-first labelling of the undirected graph.
    #[test]
    fn agrees_with_a_search_on_random_graphs() {
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..200 {
            let n = rng.u64(1..60);
            let m = rng.usize(0..(n as usize) * 2);
            let (edges, g) = random_graph(&mut rng, n, m);
            let mut adj = vec![Vec::new(); n as usize + 1];
            for &(a, b) in &edges {
                adj[a.0 as usize].push(b.0);
                adj[b.0 as usize].push(a.0);
            }
            let mut label = vec![0u64; n as usize + 1];
            for s in 1..=n {
                if label[s as usize] != 0 {
                    continue;
                }
                label[s as usize] = s;
                let mut queue = vec![s];
                while let Some(v) = queue.pop() {
                    for &w in &adj[v as usize] {
                        if label[w as usize] == 0 {
                            label[w as usize] = s;
                            queue.push(w);
                        }
                    }
                }
            }
            for (node, l) in wcc(&g) {
                assert_eq!(l.0, label[node.0 as usize], "node {node:?}");
            }
        }
    }
}
