//! Dominators and post-dominators of a control-flow graph, and natural loops.

use super::dijkstra::index;
use super::{Csr, Result};
use crate::ids::{Direction, EdgeId, NodeId};

const NONE: u32 = u32::MAX;

/// The dominator tree of the nodes reachable from an entry: node `a` dominates `b` when
/// every path from the entry to `b` passes through `a` (post-dominators: every path from
/// `b` to the exit).
#[derive(Clone, Debug)]
pub struct Dominators {
    ids: Vec<NodeId>,
    root: u32,
    /// Immediate dominator by index; the root is its own; `NONE` if unreachable.
    idom: Vec<u32>,
    /// Pre- and post-order numbers in the dominator tree: `a` dominates `b` exactly when
    /// `pre[a] <= pre[b]` and `post[b] <= post[a]`.
    pre: Vec<u32>,
    post: Vec<u32>,
}

/// The dominators of every node reachable from `entry` along outgoing edges.
///
/// Cooper, Harvey and Kennedy's iterative algorithm ("A Simple, Fast Dominance
/// Algorithm", 2001) over reverse postorder, with an explicit stack: no recursion.
/// Fails with [`super::AlgoError::NodeNotFound`] if `entry` does not exist.
pub fn dominators(g: &Csr, entry: NodeId) -> Result<Dominators> {
    Ok(compute(g, index(g, entry)?, Direction::Outgoing))
}

/// The post-dominators of every node that reaches `exit` (the dominators of the reversed
/// graph from `exit`).
pub fn post_dominators(g: &Csr, exit: NodeId) -> Result<Dominators> {
    Ok(compute(g, index(g, exit)?, Direction::Incoming))
}

impl Dominators {
    /// The entry (for post-dominators, the exit).
    pub fn root(&self) -> NodeId {
        self.ids[self.root as usize]
    }

    fn at(&self, node: NodeId) -> Option<usize> {
        let i = self.ids.binary_search(&node).ok()?;
        (self.idom[i] != NONE).then_some(i)
    }

    /// The immediate dominator of `node`: its closest strict dominator. `None` for the root
    /// and for nodes not reached.
    pub fn immediate_dominator(&self, node: NodeId) -> Option<NodeId> {
        let i = self.at(node)?;
        (i != self.root as usize).then(|| self.ids[self.idom[i] as usize])
    }

    /// Every dominator of `node`, from the node itself up to the root; `None` if `node`
    /// was not reached.
    pub fn dominators_of(&self, node: NodeId) -> Option<Vec<NodeId>> {
        let mut i = self.at(node)?;
        let mut chain = vec![self.ids[i]];
        while i != self.root as usize {
            i = self.idom[i] as usize;
            chain.push(self.ids[i]);
        }
        Some(chain)
    }

    /// Whether `a` dominates `b` (every node dominates itself); false if either was not
    /// reached.
    pub fn dominates(&self, a: NodeId, b: NodeId) -> bool {
        match (self.at(a), self.at(b)) {
            (Some(a), Some(b)) => self.dominates_index(a as u32, b as u32),
            _ => false,
        }
    }

    fn dominates_index(&self, a: u32, b: u32) -> bool {
        let (a, b) = (a as usize, b as usize);
        self.pre[a] <= self.pre[b] && self.post[b] <= self.post[a]
    }

    /// Every reached node other than the root with its immediate dominator, in id order.
    pub fn immediate_dominators(&self) -> Vec<(NodeId, NodeId)> {
        (0..self.ids.len())
            .filter(|&i| self.idom[i] != NONE && i != self.root as usize)
            .map(|i| (self.ids[i], self.ids[self.idom[i] as usize]))
            .collect()
    }
}

fn reverse(dir: Direction) -> Direction {
    match dir {
        Direction::Outgoing => Direction::Incoming,
        Direction::Incoming => Direction::Outgoing,
        Direction::Both => Direction::Both,
    }
}

fn compute(g: &Csr, root: u32, dir: Direction) -> Dominators {
    let n = g.node_count();
    // Postorder by iterative depth-first search.
    let mut post_num = vec![NONE; n];
    let mut postorder: Vec<u32> = Vec::new();
    let mut visited = vec![false; n];
    let mut frames: Vec<(u32, Vec<u32>, usize)> = Vec::new();
    let successors = |v: u32| {
        let mut s = Vec::new();
        g.each(v, dir, |w, _| s.push(w));
        s
    };
    visited[root as usize] = true;
    frames.push((root, successors(root), 0));
    while let Some((v, succ, k)) = frames.last_mut() {
        if let Some(&w) = succ.get(*k) {
            *k += 1;
            if !visited[w as usize] {
                visited[w as usize] = true;
                let s = successors(w);
                frames.push((w, s, 0));
            }
        } else {
            post_num[*v as usize] = postorder.len() as u32;
            postorder.push(*v);
            frames.pop();
        }
    }
    let mut idom = vec![NONE; n];
    idom[root as usize] = root;
    let back = reverse(dir);
    let mut changed = true;
    while changed {
        changed = false;
        for &v in postorder.iter().rev() {
            if v == root {
                continue;
            }
            let mut new = NONE;
            g.each(v, back, |p, _| {
                if idom[p as usize] == NONE {
                    return; // not reached, or not processed yet
                }
                new = if new == NONE {
                    p
                } else {
                    intersect(&idom, &post_num, p, new)
                };
            });
            if new != NONE && idom[v as usize] != new {
                idom[v as usize] = new;
                changed = true;
            }
        }
    }
    let (pre, post) = tree_order(&idom, root);
    Dominators {
        ids: g.ids().to_vec(),
        root,
        idom,
        pre,
        post,
    }
}

fn intersect(idom: &[u32], post_num: &[u32], mut a: u32, mut b: u32) -> u32 {
    while a != b {
        while post_num[a as usize] < post_num[b as usize] {
            a = idom[a as usize];
        }
        while post_num[b as usize] < post_num[a as usize] {
            b = idom[b as usize];
        }
    }
    a
}

/// Pre- and post-order numbers of the dominator tree, iteratively.
fn tree_order(idom: &[u32], root: u32) -> (Vec<u32>, Vec<u32>) {
    let n = idom.len();
    let mut start = vec![0usize; n + 1];
    for (v, &d) in idom.iter().enumerate() {
        if d != NONE && v as u32 != root {
            start[d as usize + 1] += 1;
        }
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut children = vec![0u32; start[n]];
    let mut fill = start.clone();
    for (v, &d) in idom.iter().enumerate() {
        if d != NONE && v as u32 != root {
            children[fill[d as usize]] = v as u32;
            fill[d as usize] += 1;
        }
    }
    let (mut pre, mut post) = (vec![NONE; n], vec![NONE; n]);
    let (mut next_pre, mut next_post) = (0u32, 0u32);
    let mut stack = vec![(root, start[root as usize])];
    pre[root as usize] = next_pre;
    next_pre += 1;
    while let Some((v, k)) = stack.last_mut() {
        if *k < start[*v as usize + 1] {
            let c = children[*k];
            *k += 1;
            pre[c as usize] = next_pre;
            next_pre += 1;
            stack.push((c, start[c as usize]));
        } else {
            post[*v as usize] = next_post;
            next_post += 1;
            stack.pop();
        }
    }
    (pre, post)
}

/// A natural loop: a header and the nodes that can reach one of its back edges without
/// passing through the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loop {
    /// The loop's header: it dominates every node of the loop.
    pub header: NodeId,
    /// The back edges into the header (their sources are in the loop, the header
    /// dominates them).
    pub back_edges: Vec<EdgeId>,
    /// The loop's nodes, the header included, in id order.
    pub body: Vec<NodeId>,
}

/// The natural loops of the control-flow graph reached from `entry`, one per header (the
/// loops of back edges into the same header merged), in header id order. A back edge is
/// an edge `t -> h` where `h` dominates `t` (a self-loop is one); the loop is `h` and
/// every node that reaches `t` without passing through `h`. A nested loop is listed on its
/// own and inside its outer loop's body.
pub fn natural_loops(g: &Csr, entry: NodeId) -> Result<Vec<Loop>> {
    let dom = dominators(g, entry)?;
    let n = g.node_count();
    let mut loops: Vec<Loop> = Vec::new();
    let mut in_body = vec![NONE; n];
    let mut stack = Vec::new();
    for h in 0..n as u32 {
        if dom.idom[h as usize] == NONE {
            continue;
        }
        let mut back_edges = Vec::new();
        let mut body = vec![h];
        in_body[h as usize] = h;
        for (&t, p) in g.inc(h).iter().zip(g.inc_positions(h)) {
            if dom.idom[t as usize] == NONE || !dom.dominates_index(h, t) {
                continue;
            }
            back_edges.push(g.edge_id(*p as usize));
            if in_body[t as usize] != h {
                in_body[t as usize] = h;
                body.push(t);
                stack.push(t);
            }
            while let Some(x) = stack.pop() {
                for &y in g.inc(x) {
                    if in_body[y as usize] != h && dom.idom[y as usize] != NONE {
                        in_body[y as usize] = h;
                        body.push(y);
                        stack.push(y);
                    }
                }
            }
        }
        if back_edges.is_empty() {
            continue;
        }
        body.sort_unstable();
        back_edges.sort_unstable();
        loops.push(Loop {
            header: g.id(h),
            back_edges,
            body: body.into_iter().map(|v| g.id(v)).collect(),
        });
    }
    Ok(loops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_graph;

    fn ids(v: &[u64]) -> Vec<NodeId> {
        v.iter().copied().map(NodeId).collect()
    }

    /// A CFG: 1 entry; 2 outer loop header; 3 inner header with body 4 (4 -> 3 back);
    /// 3 -> 5 -> 2 (outer back edge); 2 -> 6 exit; 5 -> 5 self-loop; 7 unreachable -> 3.
    fn cfg() -> Csr {
        test_graph(
            7,
            &[
                (1, 2),
                (2, 3),
                (3, 4),
                (4, 3),
                (3, 5),
                (5, 2),
                (2, 6),
                (5, 5),
                (7, 3),
            ],
        )
    }

    #[test]
    fn dominators_by_hand() {
        let g = cfg();
        let d = dominators(&g, NodeId(1)).unwrap();
        assert_eq!(d.root(), NodeId(1));
        assert_eq!(
            d.immediate_dominators(),
            vec![
                (NodeId(2), NodeId(1)),
                (NodeId(3), NodeId(2)),
                (NodeId(4), NodeId(3)),
                (NodeId(5), NodeId(3)),
                (NodeId(6), NodeId(2)),
            ]
        );
        assert_eq!(d.dominators_of(NodeId(5)), Some(ids(&[5, 3, 2, 1])));
        assert_eq!(d.dominators_of(NodeId(7)), None);
        assert_eq!(d.immediate_dominator(NodeId(1)), None);
        assert!(d.dominates(NodeId(2), NodeId(4)));
        assert!(d.dominates(NodeId(4), NodeId(4)));
        assert!(!d.dominates(NodeId(4), NodeId(5)));
        assert!(!d.dominates(NodeId(7), NodeId(3)));
        // Post-dominators towards exit 6: every path to 6 leaves through 2.
        let p = post_dominators(&g, NodeId(6)).unwrap();
        assert_eq!(p.immediate_dominator(NodeId(2)), Some(NodeId(6)));
        assert_eq!(p.immediate_dominator(NodeId(5)), Some(NodeId(2)));
        assert_eq!(p.immediate_dominator(NodeId(3)), Some(NodeId(5)));
        assert_eq!(p.immediate_dominator(NodeId(4)), Some(NodeId(3)));
        assert_eq!(p.immediate_dominator(NodeId(1)), Some(NodeId(2)));
        assert_eq!(p.immediate_dominator(NodeId(7)), Some(NodeId(3)));
    }

    #[test]
    fn natural_loops_by_hand() {
        let g = cfg();
        let loops = natural_loops(&g, NodeId(1)).unwrap();
        let got: Vec<(u64, Vec<u64>, Vec<NodeId>)> = loops
            .iter()
            .map(|l| {
                (
                    l.header.0,
                    l.back_edges.iter().map(|e| e.0).collect(),
                    l.body.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (2, vec![6], ids(&[2, 3, 4, 5])),
                (3, vec![4], ids(&[3, 4])),
                (5, vec![8], ids(&[5])),
            ]
        );
        // An irreducible region (two entries into a cycle) has no natural loop.
        let irr = test_graph(3, &[(1, 2), (1, 3), (2, 3), (3, 2)]);
        assert!(natural_loops(&irr, NodeId(1)).unwrap().is_empty());
    }
}
