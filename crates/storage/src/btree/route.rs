//! A branch page's routing table: the first 8 bytes of every separator and every child id,
//! in two flat arrays, built once from a committed branch image and kept beside it in
//! memory (in the shared cache and in a snapshot's pins). Nothing here is on disk.
//!
//! A descent through a branch asks which child may hold a key. On the page that is a search
//! in which every probe follows a slot to its cell and decodes the key's length; here it is
//! a binary search over contiguous `u64`s, and the child id and the child's fences come from
//! the same arrays. Only separators whose 8-byte prefix equals the key's are compared in
//! full, on the page.
//!
//! # Invariants
//! 1. A table is built from one page image and is used only with that image: committed
//!    images never change (writes copy pages), and the cache drops a page's table whenever
//!    it drops or replaces the image.
//! 2. A table exists only for a branch whose separators are strictly ascending (checked when
//!    it is built), so `prefixes` is non-decreasing; `prefixes[i]` is the prefix of separator `i`
//!    ([`super::node::prefix_u64`]); `children` has one more entry than `prefixes`, the
//!    right child last. Routing gives the same child as [`Node::child_index_fenced`].

use super::node::{Fences, Node, prefix_u64};
use crate::ids::PageId;

/// The routing table of one branch image.
#[derive(Debug)]
pub struct Route {
    prefixes: Box<[u64]>,
    children: Box<[PageId]>,
}

impl Route {
    /// The table of `node`, a validated branch, or `None` if its separators are not in
    /// strictly ascending order (a damaged page: descents then search the page itself, and
    /// the checker reports it). With the order checked here, routing through the table and
    /// searching the page agree on every key.
    pub fn build(node: Node<'_>) -> Option<Route> {
        debug_assert!(!node.is_leaf());
        let n = node.len();
        if (1..n).any(|i| node.key(i - 1) >= node.key(i)) {
            return None;
        }
        Some(Route {
            prefixes: (0..n).map(|i| node.key_prefix(i)).collect(),
            children: (0..=n).map(|i| node.child(i)).collect(),
        })
    }

    /// The child of the branch `node` (the image this table was built from) that may hold
    /// `key`, with that child's fences given the branch's own `fences`.
    pub fn child_for(&self, node: Node<'_>, key: &[u8], fences: Fences) -> (PageId, Fences) {
        let target = prefix_u64(key);
        // Separators with a smaller prefix are below the key, those with a larger one
        // above it; only equal prefixes need the whole key.
        let below = self.prefixes.partition_point(|&p| p < target);
        // Ties are rare and few (distinct keys rarely share 8 bytes): counted one by one.
        let ties = self.prefixes[below..]
            .iter()
            .take_while(|&&p| p == target)
            .count();
        let i = if ties == 0 {
            below
        } else {
            match node.binary_search(key, below, below + ties) {
                Ok(i) => i + 1,
                Err(i) => i,
            }
        };
        debug_assert_eq!(i, node.child_index(key));
        let n = self.prefixes.len();
        let child_fences = Fences::new(
            if i == 0 {
                fences.lo()
            } else {
                Some(self.prefixes[i - 1])
            },
            if i >= n {
                fences.hi()
            } else {
                Some(self.prefixes[i])
            },
        );
        (self.children[i.min(n)], child_fences)
    }
}

#[cfg(test)]
impl Route {
    /// The table of a branch with no separators, for tests that tell tables apart only by
    /// identity.
    pub(crate) fn empty() -> Route {
        Route {
            prefixes: Box::new([]),
            children: Box::new([PageId(1)]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btree::node::{NodeMut, branch_cell_len, encode_branch_cell};

    fn branch(keys: &[Vec<u8>]) -> Vec<u8> {
        let mut buf = vec![0u8; 4096];
        let mut node = NodeMut::init(&mut buf, PageId(9), false);
        for (i, k) in keys.iter().enumerate() {
            let at = node.as_node().len();
            assert!(node.insert_with(at, branch_cell_len(k.len()), |dst| {
                encode_branch_cell(dst, k, PageId(100 + i as u64));
            }));
        }
        let n = node.as_node().len();
        node.set_child(n, PageId(99));
        buf
    }

    #[test]
    fn a_branch_with_separators_out_of_order_gets_no_table() {
        let buf = branch(&[vec![5], vec![3], vec![9]]);
        assert!(Route::build(Node::new(&buf)).is_none());
        let buf = branch(&[vec![5], vec![5]]);
        assert!(Route::build(Node::new(&buf)).is_none());
        let buf = branch(&[vec![3], vec![5, 0], vec![9]]);
        assert!(Route::build(Node::new(&buf)).is_some());
    }

    #[test]
    fn routes_every_key_as_the_page_search_does() {
        let mut rng = fastrand::Rng::with_seed(21);
        for round in 0..300 {
            // Short keys (ties on zero padding), long keys sharing 8-byte prefixes, ids.
            let mut keys: Vec<Vec<u8>> = (0..rng.usize(1..150))
                .map(|_| match round % 3 {
                    0 => (0..rng.usize(0..5)).map(|_| rng.u8(0..3)).collect(),
                    1 => [&[7u8; 7][..], &[rng.u8(0..3)], &rng.u16(..).to_be_bytes()].concat(),
                    _ => rng.u64(..1 << 40).to_be_bytes().to_vec(),
                })
                .collect();
            keys.sort();
            keys.dedup();
            let buf = branch(&keys);
            let node = Node::new(&buf);
            let keys = &keys[..node.len()];
            let route = Route::build(node).expect("sorted separators");
            for _ in 0..200 {
                let probe: Vec<u8> = match rng.u8(0..3) {
                    0 => keys[rng.usize(..keys.len())].clone(),
                    1 => (0..rng.usize(0..12)).map(|_| rng.u8(0..8)).collect(),
                    _ => rng.u64(..1 << 40).to_be_bytes().to_vec(),
                };
                // The model: the number of separators <= the key picks the child.
                let want = keys.partition_point(|k| k.as_slice() <= probe.as_slice());
                let lo = rng.bool().then_some(5);
                let (child, fences) = route.child_for(node, &probe, Fences::new(lo, None));
                assert_eq!(child, node.child(want), "{probe:?}");
                let page = node.child_fences(want, Fences::new(lo, None));
                assert_eq!((fences.lo(), fences.hi()), (page.lo(), page.hi()));
            }
        }
    }
}
