//! Topological order and cycle detection.

use std::collections::VecDeque;

use super::{AlgoError, Csr, Result};
use crate::ids::NodeId;

/// The nodes in an order where every edge goes from an earlier node to a later one (Kahn's
/// algorithm: nodes that become ready are taken in the order they became ready, starting
/// with the sources in id order).
/// Fails with [`AlgoError::Cycle`], naming one cycle, if there is none (a self-loop is a
/// cycle).
pub fn toposort(g: &Csr) -> Result<Vec<NodeId>> {
    match topo_indices(g) {
        Some(order) => Ok(order.into_iter().map(|v| g.id(v)).collect()),
        None => Err(AlgoError::Cycle(find_cycle(g).unwrap_or_default())),
    }
}

/// [`toposort`] by index; `None` if the graph has a cycle.
pub(crate) fn topo_indices(g: &Csr) -> Option<Vec<u32>> {
    let n = g.node_count();
    let mut indegree: Vec<usize> = (0..n as u32).map(|v| g.in_degree(v)).collect();
    let mut ready: VecDeque<u32> = (0..n as u32)
        .filter(|&v| indegree[v as usize] == 0)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(v) = ready.pop_front() {
        order.push(v);
        for &w in g.out(v) {
            indegree[w as usize] -= 1;
            if indegree[w as usize] == 0 {
                ready.push_back(w);
            }
        }
    }
    (order.len() == n).then_some(order)
}

/// One directed cycle, as its nodes in edge order (the last has an edge to the first), or
/// `None` if the graph is acyclic. Iterative depth-first search with three colors.
pub fn find_cycle(g: &Csr) -> Option<Vec<NodeId>> {
    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let n = g.node_count();
    let mut color = vec![WHITE; n];
    let mut frames: Vec<(u32, usize)> = Vec::new();
    for root in 0..n as u32 {
        if color[root as usize] != WHITE {
            continue;
        }
        color[root as usize] = GREY;
        frames.push((root, 0));
        while let Some(&mut (v, ref mut k)) = frames.last_mut() {
            let Some(&w) = g.out(v).get(*k) else {
                color[v as usize] = BLACK;
                frames.pop();
                continue;
            };
            *k += 1;
            match color[w as usize] {
                WHITE => {
                    color[w as usize] = GREY;
                    frames.push((w, 0));
                }
                GREY => {
                    // A back edge v -> w: the cycle is w .. v on the current path.
                    let start = frames.iter().position(|&(u, _)| u == w).unwrap_or(0);
                    return Some(frames[start..].iter().map(|&(u, _)| g.id(u)).collect());
                }
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::algo::test_graph as graph;

    #[test]
    fn order_and_cycles_by_hand() {
        let dag = graph(5, &[(1, 3), (2, 3), (3, 4), (1, 4), (5, 1)]);
        let order: Vec<u64> = toposort(&dag).unwrap().iter().map(|n| n.0).collect();
        assert_eq!(order, vec![2, 5, 1, 3, 4]);
        assert_eq!(find_cycle(&dag), None);

        let cyclic = graph(4, &[(1, 2), (2, 3), (3, 4), (4, 2)]);
        let cycle: Vec<u64> = find_cycle(&cyclic).unwrap().iter().map(|n| n.0).collect();
        assert_eq!(cycle, vec![2, 3, 4]);
        match toposort(&cyclic) {
            Err(AlgoError::Cycle(c)) => assert_eq!(c.len(), 3),
            other => panic!("{other:?}"),
        }
        let self_loop = graph(2, &[(1, 2), (2, 2)]);
        assert_eq!(find_cycle(&self_loop), Some(vec![NodeId(2)]));
    }
}
