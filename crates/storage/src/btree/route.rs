//! A branch page's routing table: 8 bytes of every separator, each beside the child to its
//! left, in one flat array, built once from a committed branch image and kept beside it in
//! memory (in the shared cache and in a snapshot's pins). Nothing here is on disk.
//!
//! A descent through a branch asks which child may hold a key. On the page that is a search
//! in which every probe follows a slot to its cell and decodes the key's length; here it is
//! a search over contiguous `u64`s, and the child id and the child's fences come from the
//! same cache line. Only separators whose 8 bytes equal the key's are compared in full, on
//! the page.
//!
//! The 8 bytes are those after the head all the branch's separators share (the table keeps
//! the head): index entries of strings such as `k000123...` or `src/main...` agree on their
//! first bytes, and their first 8 bytes alone would tie everywhere. A key that does not
//! start with the head is below or above every separator, which one comparison with the
//! head says. The children between two separators get that head as their `skip` (their keys
//! share it), so their searches read words past it too.
//!
//! Where the separators are spread evenly (node and edge ids, adjacency keys), the search
//! starts where a straight line through the first and the last prefix puts the key and
//! walks from there: one or two cache lines instead of a binary search's seven or eight,
//! each waiting for the one before. A table is given the line only if every one of its own
//! separators lies within [`WALK`] slots of it; others are searched by bisection.
//!
//! # Invariants
//! 1. A table is built from one page image and is used only with that image: committed
//!    images never change (writes copy pages), and the cache drops a page's table whenever
//!    it drops or replaces the image.
//! 2. A table exists only for a branch whose separators are strictly ascending (checked when
//!    it is built), so the words are non-decreasing; `head` is the first `head.len()` bytes
//!    every separator starts with (none with fewer than two separators); `seps[i]` holds
//!    the word after the head of separator `i` ([`word_at`]) and child `i`; `right` is the
//!    child after the last separator. Routing gives the same child as
//!    [`Node::child_index_fenced`].
//! 3. The line only picks where a search starts; the answer is the same with or without it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::node::{Fences, Node, cmp_keys, common_head, word_at};
use crate::ids::PageId;
use crate::page::PageBuf;
use crate::pager::Store;

/// The routing table of committed branch `id`, whose validated image is `buf`: the one
/// the shared cache keeps beside that image, or a new one, kept there for the next reader.
/// `None` for a branch whose separators are out of order (see `Route::build`).
pub(crate) fn shared(store: &Store, id: PageId, buf: &PageBuf) -> Option<Arc<Route>> {
    if let Some(route) = store.cache.side::<Route>(id, buf) {
        return Some(route);
    }
    let route = Arc::new(Route::build(Node::new(buf))?);
    store.cache.keep_side(id, buf, &route);
    Some(route)
}

/// A separator's prefix and the child to its left.
#[derive(Debug, Clone, Copy)]
struct Sep {
    prefix: u64,
    child: PageId,
}

/// The routing table of one branch image.
#[derive(Debug)]
pub struct Route {
    /// The bytes every separator starts with; the words in `seps` come after them.
    head: Box<[u8]>,
    seps: Box<[Sep]>,
    right: PageId,
    /// Set once a descent through this table found a leaf below it: later descents then
    /// skip the snapshot's pins (which hold only branches) for the next page. A hint only:
    /// in a well-formed tree all children of a branch are on one level, and a descent that
    /// finds a branch there after all routes it as usual.
    leaf_children: AtomicBool,
    /// Slots per unit of prefix on the line through the first and the last separator; 0
    /// when the table is searched by bisection.
    scale: f64,
}

/// Below this many separators a bisection is as quick as a guess and a walk.
const INTERPOLATE_MIN: usize = 16;

/// Most slots a search walks from its guess (four separators share a cache line).
const WALK: usize = 8;

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
        let head = match n {
            0 | 1 => &[][..],
            _ => {
                let first = node.key(0);
                &first[..common_head(first, node.key(n - 1))]
            }
        };
        let skip = head.len();
        let mut route = Route {
            head: head.into(),
            seps: (0..n)
                .map(|i| Sep {
                    prefix: node.key_word(i, skip),
                    child: node.child(i),
                })
                .collect(),
            right: node.child(n),
            leaf_children: AtomicBool::new(false),
            scale: 0.0,
        };
        route.fit();
        Some(route)
    }

    /// Gives the table the line through its first and last prefix (sets `scale`) if every
    /// separator lies less than [`WALK`] slots from where the line puts it; leaves it to
    /// bisection (`scale` 0) otherwise.
    ///
    /// The guess rises with the key, so a key between two separators is guessed between
    /// their guesses: at most [`WALK`] slots from its answer, where the walk reaches it.
    fn fit(&mut self) {
        self.scale = 0.0;
        let n = self.seps.len();
        let (Some(first), Some(last)) = (self.seps.first(), self.seps.last()) else {
            return;
        };
        if n < INTERPOLATE_MIN || last.prefix == first.prefix {
            return;
        }
        // Precision does not matter: a guess only picks where the search starts.
        #[allow(clippy::cast_precision_loss)]
        let slope = (n - 1) as f64 / (last.prefix - first.prefix) as f64;
        self.scale = slope;
        let fits = self
            .seps
            .iter()
            .enumerate()
            .all(|(i, s)| self.guess(s.prefix).is_some_and(|g| g.abs_diff(i) < WALK));
        if !fits {
            self.scale = 0.0;
        }
    }

    /// Where the line puts `target`, clamped to the table; `None` for bisection.
    fn guess(&self, target: u64) -> Option<usize> {
        if self.scale == 0.0 {
            return None;
        }
        let first = self.seps.first()?.prefix;
        // The cast saturates and `min` clamps: a float's rounding cannot index out of bounds.
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let at = (target.saturating_sub(first) as f64 * self.scale) as usize;
        Some(at.min(self.seps.len() - 1))
    }

    /// Whether a descent found a leaf below this branch (see `leaf_children`).
    pub fn leads_to_leaves(&self) -> bool {
        self.leaf_children.load(Ordering::Relaxed)
    }

    /// Records that a descent found a leaf below this branch.
    pub fn found_leaf_below(&self) {
        if !self.leads_to_leaves() {
            self.leaf_children.store(true, Ordering::Relaxed);
        }
    }

    /// How many separators have a prefix below `target` (what `partition_point` says).
    fn lower_bound(&self, target: u64) -> usize {
        let p = &self.seps[..];
        let below = |s: &Sep| s.prefix < target;
        let Some(mut i) = self.guess(target) else {
            return p.partition_point(below);
        };
        if below(&p[i]) {
            // The answer is after `i`: walk right to the first prefix >= target.
            let end = (i + WALK).min(p.len());
            i += 1;
            while i < end && below(&p[i]) {
                i += 1;
            }
            if i == end {
                // Past the walk (only a rounding surprise gets here): search the rest.
                return end + p[end..].partition_point(below);
            }
        } else {
            // The answer is `i` or before: walk left while the prefix before is >= target.
            let start = i.saturating_sub(WALK);
            while i > start && !below(&p[i - 1]) {
                i -= 1;
            }
            if i == start {
                return p[..start].partition_point(below);
            }
        }
        i
    }

    /// The child of the branch `node` (the image this table was built from) that may hold
    /// `key`, with that child's fences given the branch's own `fences`.
    pub fn child_for(&self, node: Node<'_>, key: &[u8], fences: Fences) -> (PageId, Fences) {
        self.child_at(self.child_index(node, key), fences)
    }

    /// Which child of the branch `node` (the image this table was built from) may hold
    /// `key`: what [`Node::child_index`] says, found in the table.
    pub fn child_index(&self, node: Node<'_>, key: &[u8]) -> usize {
        let skip = self.head.len();
        if skip > 0 {
            // Every separator starts with the head: a key that does not is below or above
            // them all.
            let k = &key[..key.len().min(skip)];
            match cmp_keys(k, &self.head[..k.len()]) {
                std::cmp::Ordering::Less => return 0,
                std::cmp::Ordering::Greater => return self.seps.len(),
                // A proper prefix of the head is below it.
                std::cmp::Ordering::Equal if k.len() < skip => return 0,
                std::cmp::Ordering::Equal => {}
            }
        }
        let target = word_at(key, skip);
        // Separators with a smaller prefix are below the key, those with a larger one
        // above it; only equal prefixes need the whole key.
        let below = self.lower_bound(target);
        debug_assert_eq!(below, self.seps.partition_point(|s| s.prefix < target));
        // Ties are rare and few (distinct keys rarely share 8 bytes): counted one by one.
        let ties = self.seps[below..]
            .iter()
            .take_while(|s| s.prefix == target)
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
        i
    }

    /// Child `i` of the branch and its fences, given the branch's own `fences`.
    pub fn child_at(&self, i: usize, fences: Fences) -> (PageId, Fences) {
        let skip = self.head.len();
        let below = i.checked_sub(1).and_then(|j| self.seps.get(j));
        let above = self.seps.get(i);
        if skip > 0
            && let (Some(below), Some(above)) = (below, above)
        {
            // Between two separators: the child's keys share their head.
            return (
                above.child,
                Fences::past_head(skip, Some(below.prefix), Some(above.prefix)),
            );
        }
        // The first or last child: its keys share what the branch's keys share; the
        // table's words bound them only when read after the same head.
        let same = fences.skip() == skip;
        let lo = match below {
            Some(s) => same.then_some(s.prefix),
            None => fences.lo(),
        };
        let (child, hi) = match above {
            Some(s) => (s.child, same.then_some(s.prefix)),
            None => (self.right, fences.hi()),
        };
        (child, Fences::past_head(fences.skip(), lo, hi))
    }
}

#[cfg(test)]
impl Route {
    /// The table of a branch with no separators, for tests that tell tables apart only by
    /// identity.
    pub(crate) fn empty() -> Route {
        Route {
            head: Box::new([]),
            seps: Box::new([]),
            right: PageId(1),
            leaf_children: AtomicBool::new(false),
            scale: 0.0,
        }
    }

    /// Whether searches start from the line's guess.
    fn guided(&self) -> bool {
        self.scale > 0.0
    }

    /// A table over these prefixes (non-decreasing), children numbered from 100.
    fn from_prefixes(prefixes: &[u64]) -> Route {
        let mut route = Route {
            head: Box::new([]),
            seps: (100..)
                .zip(prefixes)
                .map(|(c, &prefix)| Sep {
                    prefix,
                    child: PageId(c),
                })
                .collect(),
            right: PageId(99),
            leaf_children: AtomicBool::new(false),
            scale: 0.0,
        };
        route.fit();
        route
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btree::node::{NodeMut, branch_cell_len, encode_branch_cell, prefix_u64};

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
    fn a_guided_search_finds_what_bisection_finds() {
        let mut rng = fastrand::Rng::with_seed(5);
        let (mut guided, mut bisected) = (0, 0);
        for round in 0..2000 {
            let n = rng.usize(0..300);
            let bits = rng.u32(1..40);
            let step = rng.u64(1..1 << bits);
            let mut p: Vec<u64> = match round % 4 {
                // Evenly spread, as node ids are.
                0 => (0..n as u64).map(|i| 1000 + i * step).collect(),
                // Evenly spread with a little jitter.
                1 => (0..n as u64)
                    .map(|i| 1000 + i * step + rng.u64(0..step))
                    .collect(),
                // Skewed: gaps that grow, and runs of equal prefixes.
                2 => (0..n as u32)
                    .map(|i| u64::from(i / 3).pow(3) + rng.u64(0..2))
                    .collect(),
                // Anything, including the ends of the range.
                _ => (0..n).map(|_| rng.u64(..)).collect(),
            };
            p.sort_unstable();
            let route = Route::from_prefixes(&p);
            if route.guided() {
                guided += 1;
            } else {
                bisected += 1;
            }
            let mut targets = vec![0, u64::MAX, rng.u64(..)];
            for _ in 0..50 {
                if let Some(&x) = p.get(rng.usize(0..n.max(1))) {
                    targets.extend([x, x.saturating_sub(1), x.saturating_add(1)]);
                }
                if let (Some(&a), Some(&b)) = (p.first(), p.last()) {
                    targets.push(rng.u64(a..=b));
                }
            }
            for t in targets {
                let want = p.partition_point(|&x| x < t);
                assert_eq!(route.lower_bound(t), want, "round {round}, target {t}");
            }
        }
        // Both searches were exercised.
        assert!(
            guided > 300 && bisected > 300,
            "{guided} guided, {bisected} bisected"
        );
    }

    #[test]
    fn any_guide_gives_the_same_answer() {
        // The guide only picks where the walk starts: a wrong one (as rounding might give)
        // must fall back to searching the rest, never answer wrongly.
        let mut rng = fastrand::Rng::with_seed(6);
        for round in 0..500 {
            let n = rng.usize(1..200);
            let mut p: Vec<u64> = (0..n).map(|_| rng.u64(..1 << 20)).collect();
            p.sort_unstable();
            let mut route = Route::from_prefixes(&p);
            route.scale = match round % 3 {
                0 => rng.f64() * 1e-3,
                1 => rng.f64() * 10.0,
                _ => f64::MAX,
            };
            for _ in 0..100 {
                let t = rng.u64(..1 << 21);
                let want = p.partition_point(|&x| x < t);
                assert_eq!(
                    route.lower_bound(t),
                    want,
                    "scale {}, target {t}",
                    route.scale
                );
            }
        }
    }

    #[test]
    fn evenly_spread_separators_get_a_guide_and_skewed_ones_do_not() {
        let even: Vec<u64> = (0..200).map(|i| 7 + i * 1000).collect();
        assert!(Route::from_prefixes(&even).guided());
        // One far outlier throws every guess off by more than a walk.
        let mut skewed = even.clone();
        skewed.push(u64::MAX / 2);
        assert!(!Route::from_prefixes(&skewed).guided());
        // Too few to bother, or all equal.
        assert!(!Route::from_prefixes(&even[..8]).guided());
        assert!(!Route::from_prefixes(&[5; 40]).guided());
    }

    #[test]
    fn the_leaf_hint_is_set_once_and_stays() {
        let route = Route::empty();
        assert!(!route.leads_to_leaves());
        route.found_leaf_below();
        route.found_leaf_below();
        assert!(route.leads_to_leaves());
    }

    #[test]
    fn routes_every_key_as_the_page_search_does() {
        let mut rng = fastrand::Rng::with_seed(21);
        for round in 0..300 {
            // Short keys (ties on zero padding), long keys sharing 8-byte prefixes, ids,
            // and strings with a common head (index entries of `k000123...`).
            let mut keys: Vec<Vec<u8>> = (0..rng.usize(1..150))
                .map(|_| match round % 4 {
                    0 => (0..rng.usize(0..5)).map(|_| rng.u8(0..3)).collect(),
                    1 => [&[7u8; 7][..], &[rng.u8(0..3)], &rng.u16(..).to_be_bytes()].concat(),
                    2 => format!("\u{5}k000{:06}", rng.u32(..1_000_000)).into_bytes(),
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
                    // Around the common head: cut inside it, changed in it, or past it.
                    2 => {
                        let mut k = format!("\u{5}k000{:06}", rng.u32(..1_000_000)).into_bytes();
                        match rng.u8(0..4) {
                            0 => k.truncate(rng.usize(0..k.len())),
                            1 => {
                                let at = rng.usize(0..5);
                                k[at] = rng.u8(..);
                            }
                            2 => k.extend((0..rng.usize(1..4)).map(|_| rng.u8(..))),
                            _ => {}
                        }
                        k
                    }
                    _ => rng.u64(..1 << 40).to_be_bytes().to_vec(),
                };
                // The model: the number of separators <= the key picks the child.
                let want = keys.partition_point(|k| k.as_slice() <= probe.as_slice());
                let lo = rng.bool().then_some(5);
                let (child, fences) = route.child_for(node, &probe, Fences::new(lo, None));
                assert_eq!(child, node.child(want), "{probe:?}");
                // The fences hold for the probe, which lies between the child's
                // separators: it shares `skip` bytes with them and its word is between
                // theirs.
                let skip = fences.skip();
                let word = word_at(&probe, skip);
                // A bound from the table is known unless the child is the first or last
                // and the table's words are read after a head the descent did not have.
                let known = skip == route.head.len();
                if want > 0 {
                    let below = &keys[want - 1];
                    assert!(common_head(below, &probe) >= skip, "{probe:?} {below:?}");
                    let from_table = known.then(|| word_at(below, skip));
                    assert_eq!(fences.lo(), from_table, "{probe:?}");
                } else {
                    assert_eq!((skip, fences.lo()), (0, lo));
                }
                if let Some(above) = keys.get(want) {
                    assert!(common_head(above, &probe) >= skip, "{probe:?} {above:?}");
                    let from_table = known.then(|| word_at(above, skip));
                    assert_eq!(fences.hi(), from_table, "{probe:?}");
                } else {
                    assert_eq!(fences.hi(), None);
                }
                // (The first child's lower fence is the made-up incoming one.)
                assert!(
                    want == 0 || fences.lo().is_none_or(|lo| lo <= word),
                    "{probe:?}"
                );
                assert!(fences.hi().is_none_or(|hi| word <= hi), "{probe:?}");
                // Between two separators with a common head, the head is skipped.
                if want > 0 && want < keys.len() && keys.len() > 1 {
                    let head = common_head(&keys[0], &keys[keys.len() - 1]);
                    assert_eq!(skip, head);
                }
                // The page gives the same child and fences that hold without a head.
                let page = node.child_fences(want, Fences::new(lo, None));
                assert_eq!(page.skip(), 0);
                if want > 0 {
                    assert_eq!(page.lo(), Some(prefix_u64(&keys[want - 1])));
                }
            }
        }
    }
}
