//! Copy-on-write B+Trees with variable-length keys and values.
//!
//! A write never changes a page a committed snapshot can reach: the path from the root to
//! the changed leaf is copied first ([`PageWriter::cow`]), once per transaction, and later
//! changes in the same transaction edit the copies in place. Splits and merges are computed
//! on the cells and applied by rebuilding pages; see `node` for the page layout and its
//! invariants. Deletes merge underfull siblings, so freed pages go back to the allocator.
//!
//! - `node`: page layout and accessors; `overflow`: chains for large values;
//! - `cursor`: ordered iteration in both directions; `route`: in-memory routing tables of
//!   committed branch pages, for descents; `pins`: the branch pages a snapshot keeps;
//! - this file: reads (descents, point lookups, short prefix runs, split keys); `write`:
//!   inserts, deletes, splits, merges and freeing a tree.

pub(crate) mod cursor;
pub(crate) mod node;
pub(crate) mod overflow;
pub(crate) mod pins;
pub(crate) mod route;
mod write;

pub(crate) use write::{Inserter, free_tree, insert, remove};

use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::ids::PageId;
use crate::limits::{KEY_SIZE_MAX, TREE_DEPTH_MAX, VALUE_SIZE_MAX};
use crate::page::{self, PageBuf, PageType};
use crate::pager::{PageKinds, PageWriter};
use node::{Fences, Node, ValueRef};
use pins::Pinned;
use route::Route;

/// The pager's hooks for the page kinds this layer owns: leaves and branches are readied
/// for sealing and structurally validated after every read (recovery.md invariant 1). The
/// database hands these to the pager when it opens, so the pager never names a node type.
pub(crate) const PAGE_KINDS: PageKinds = PageKinds {
    before_seal,
    validate,
};

/// Zeroes a node page's free gap before it is sealed; other kinds are left as they are.
fn before_seal(buf: &mut [u8]) {
    if matches!(
        page::page_type(buf),
        Some(PageType::Leaf | PageType::Branch)
    ) {
        node::zero_free_gap(buf);
    }
}

/// The structural check of a verified page of type `ty`: nodes are validated, other kinds
/// need none beyond their checksum.
fn validate(id: PageId, ty: PageType, buf: &[u8]) -> Result<()> {
    match ty {
        PageType::Leaf | PageType::Branch => node::validate(id, buf),
        _ => Ok(()),
    }
}

/// Read access to pages, as one snapshot or one write transaction sees them.
pub(crate) trait PageRead {
    /// The page image, verified.
    fn read_page(&self, id: PageId) -> Result<PageBuf>;
    /// Page size in bytes.
    fn page_size(&self) -> usize;
    /// Hints that these pages, reachable in this view, are about to be read.
    fn prefetch(&self, _ids: &[PageId]) {}
    /// Branch page `id` if this view pinned it (see `pins`): its image and routing table,
    /// read without the shared cache. Only views whose pages cannot change pin anything.
    fn pinned(&self, _id: PageId) -> Option<&Pinned> {
        None
    }
    /// The routing table of branch page `id`, just read and validated as `buf`, where this
    /// view keeps them (views whose pages cannot change); such a view also pins the page.
    fn route(&self, _id: PageId, _buf: &PageBuf) -> Option<Arc<Route>> {
        None
    }
}

impl PageRead for PageWriter<'_> {
    fn read_page(&self, id: PageId) -> Result<PageBuf> {
        self.page(id)
    }
    fn page_size(&self) -> usize {
        self.store.page_size as usize
    }
}

/// Checks a key and value against the limits.
pub(crate) fn check_sizes(key: &[u8], value_len: usize) -> Result<()> {
    if key.len() > KEY_SIZE_MAX {
        return Err(StorageError::LimitExceeded {
            what: "key size in bytes",
            value: key.len() as u64,
            limit: KEY_SIZE_MAX as u64,
        });
    }
    if value_len > VALUE_SIZE_MAX {
        return Err(StorageError::LimitExceeded {
            what: "value size in bytes",
            value: value_len as u64,
            limit: VALUE_SIZE_MAX as u64,
        });
    }
    Ok(())
}

fn expect_node(id: PageId, buf: &[u8]) -> Result<Node<'_>> {
    match page::page_type(buf) {
        Some(PageType::Leaf | PageType::Branch) => Ok(Node::new(buf)),
        _ => Err(StorageError::corrupted(id, "expected a B+Tree page")),
    }
}

fn too_deep(root: PageId) -> StorageError {
    StorageError::corrupted(
        root,
        format!("tree deeper than {TREE_DEPTH_MAX} levels (a cycle?)"),
    )
}

/// Descends to the leaf that may hold `key`.
pub(crate) fn find_leaf(
    p: &(impl PageRead + ?Sized),
    root: PageId,
    key: &[u8],
) -> Result<(PageId, PageBuf)> {
    find_leaf_fenced(p, root, key).map(|(id, buf, _)| (id, buf))
}

/// [`find_leaf`], also returning what the descent learnt about the leaf's keys.
pub(crate) fn find_leaf_fenced(
    p: &(impl PageRead + ?Sized),
    root: PageId,
    key: &[u8],
) -> Result<(PageId, PageBuf, Fences)> {
    let mut id = root;
    let mut fences = Fences::default();
    // The table the descent came through, if any: pinned (borrowed) or from the cache.
    let mut via_pinned: Option<&Route> = None;
    let mut via_cached: Option<Arc<Route>> = None;
    for _ in 0..TREE_DEPTH_MAX {
        let via = via_pinned.or(via_cached.as_deref());
        // Pins hold branches only: no use looking there for a page known to be a leaf.
        if !via.is_some_and(Route::leads_to_leaves)
            && let Some(pinned) = p.pinned(id)
        {
            // A branch validated when it was pinned.
            (id, fences) = pinned.route.child_for(Node::new(&pinned.buf), key, fences);
            via_pinned = Some(&pinned.route);
            via_cached = None;
            continue;
        }
        let buf = p.read_page(id)?;
        let node = expect_node(id, &buf)?;
        if node.is_leaf() {
            if let Some(route) = via {
                route.found_leaf_below();
            }
            return Ok((id, buf, fences));
        }
        via_pinned = None;
        via_cached = p.route(id, &buf);
        if let Some(route) = &via_cached {
            (id, fences) = route.child_for(node, key, fences);
        } else {
            let i = node.child_index_fenced(key, fences);
            fences = node.child_fences(i, fences);
            id = node.child(i);
        }
    }
    Err(too_deep(root))
}

/// Materialises a leaf value.
pub(crate) fn load_value(p: &(impl PageRead + ?Sized), v: ValueRef<'_>) -> Result<Vec<u8>> {
    match v {
        ValueRef::Inline(b) => Ok(b.to_vec()),
        ValueRef::Overflow { first, len } => overflow::read(p, first, len),
    }
}

/// The value stored under `key`.
pub(crate) fn get(
    p: &(impl PageRead + ?Sized),
    root: PageId,
    key: &[u8],
) -> Result<Option<Vec<u8>>> {
    get_with(p, root, key, <[u8]>::to_vec)
}

/// Calls `f` on the value stored under `key`, in place when it is inline in its leaf.
pub(crate) fn get_with<T>(
    p: &(impl PageRead + ?Sized),
    root: PageId,
    key: &[u8],
    f: impl FnOnce(&[u8]) -> T,
) -> Result<Option<T>> {
    if root.is_none() {
        return Ok(None);
    }
    let (_, buf, fences) = find_leaf_fenced(p, root, key)?;
    let node = Node::new(&buf);
    match node.search_fenced(key, fences) {
        Ok(i) => match node.value(i) {
            ValueRef::Inline(b) => Ok(Some(f(b))),
            ValueRef::Overflow { first, len } => Ok(Some(f(&overflow::read(p, first, len)?))),
        },
        Err(_) => Ok(None),
    }
}

/// Calls `f(key, value)` on the entry with the greatest key at most `key`, when the leaf
/// where `key` would be holds it; `Ok(Err(()))` when that leaf has no key at most `key`
/// (the entry, if any, ends an earlier leaf: the caller goes back with a reverse range).
pub(crate) fn floor_in_leaf_with<T>(
    p: &(impl PageRead + ?Sized),
    root: PageId,
    key: &[u8],
    f: impl FnOnce(&[u8], &[u8]) -> T,
) -> Result<std::result::Result<T, ()>> {
    if root.is_none() {
        return Ok(Err(()));
    }
    let (_, buf, fences) = find_leaf_fenced(p, root, key)?;
    let node = Node::new(&buf);
    let i = match node.search_fenced(key, fences) {
        Ok(i) => i,
        Err(0) => return Ok(Err(())),
        Err(i) => i - 1,
    };
    Ok(Ok(match node.value(i) {
        ValueRef::Inline(b) => f(node.key(i), b),
        ValueRef::Overflow { first, len } => f(node.key(i), &overflow::read(p, first, len)?),
    }))
}

/// Calls `f` on the keys starting with `prefix` in the leaf where `prefix` would be. Returns
/// the leaf's last key if every key from the first match to the leaf's end matched (the run
/// may go on in the next leaf), `None` if the run ended in this leaf.
pub(crate) fn for_each_key_in_leaf(
    p: &(impl PageRead + ?Sized),
    root: PageId,
    prefix: &[u8],
    f: &mut impl FnMut(&[u8]),
) -> Result<Option<Vec<u8>>> {
    for_each_entry_in_leaf(p, root, prefix, &mut |node, i| f(node.key(i)))
}

/// As [`for_each_key_in_leaf`], calling `f(leaf, index)` for each cell in the run so the
/// caller reads what it needs of it (key, value).
pub(crate) fn for_each_entry_in_leaf(
    p: &(impl PageRead + ?Sized),
    root: PageId,
    prefix: &[u8],
    f: &mut impl FnMut(Node<'_>, usize),
) -> Result<Option<Vec<u8>>> {
    if root.is_none() {
        return Ok(None);
    }
    let (_, buf, fences) = find_leaf_fenced(p, root, prefix)?;
    let node = Node::new(&buf);
    let len = node.len();
    let first = node.search_fenced(prefix, fences).unwrap_or_else(|i| i);
    let run = PrefixTest::new(prefix);
    if first < len && run.matches(node.key(len - 1)) {
        // The whole rest of the leaf is in the run: no per-key check.
        for i in first..len {
            f(node, i);
        }
        return Ok(Some(node.key(len - 1).to_vec()));
    }
    for i in first..len {
        let key = node.key(i);
        if !run.matches(key) {
            return Ok(None);
        }
        f(node, i);
    }
    // Only reached when `first == len`: the keys `>= prefix`, if any, start in a later leaf.
    Ok((first == len && len > 0).then(|| node.key(len - 1).to_vec()))
}

/// Calls `f(leaf, index)` for the cells with `lower <= key < upper` (no upper bound for
/// `None`) in the leaf where `lower` would be. Returns the leaf's last key if every key from
/// the first in range to the leaf's end is in range (the range may go on in the next
/// leaf), `None` if the range ended in this leaf.
pub(crate) fn for_each_entry_in_leaf_range(
    p: &(impl PageRead + ?Sized),
    root: PageId,
    lower: &[u8],
    upper: Option<&[u8]>,
    f: &mut impl FnMut(Node<'_>, usize),
) -> Result<Option<Vec<u8>>> {
    if root.is_none() {
        return Ok(None);
    }
    let (_, buf, fences) = find_leaf_fenced(p, root, lower)?;
    let node = Node::new(&buf);
    let len = node.len();
    let first = node.search_fenced(lower, fences).unwrap_or_else(|i| i);
    if first == len {
        // The keys `>= lower`, if any, start in a later leaf.
        return Ok((len > 0).then(|| node.key(len - 1).to_vec()));
    }
    // Keys are checked one by one: the runs this serves are short.
    let below = |key: &[u8]| upper.is_none_or(|u| node::cmp_keys(key, u).is_lt());
    for i in first..len {
        if !below(node.key(i)) {
            return Ok(None);
        }
        f(node, i);
    }
    Ok(Some(node.key(len - 1).to_vec()))
}

/// Whether a key starts with a prefix: for a prefix of at most 8 bytes and a key of at least
/// 8, one masked compare of the key's first 8 bytes instead of a byte comparison.
struct PrefixTest<'p> {
    prefix: &'p [u8],
    /// `(mask, value)` when the prefix has at most 8 bytes.
    word: Option<(u64, u64)>,
}

impl<'p> PrefixTest<'p> {
    fn new(prefix: &'p [u8]) -> PrefixTest<'p> {
        let word = (prefix.len() <= 8).then(|| {
            let mask = u64::MAX
                .checked_shl(64 - 8 * prefix.len() as u32)
                .unwrap_or(0);
            (mask, node::prefix_u64(prefix))
        });
        PrefixTest { prefix, word }
    }

    fn matches(&self, key: &[u8]) -> bool {
        match (self.word, key.first_chunk::<8>()) {
            (Some((mask, value)), Some(head)) => u64::from_be_bytes(*head) & mask == value,
            _ => key.starts_with(self.prefix),
        }
    }
}

/// Pages of one level a split may read before settling for that level's separators.
const SPLIT_LEVEL_PAGES: usize = 16;

/// Up to `parts - 1` ascending keys that cut the tree into about equal runs of leaves, for
/// scanning it in parallel: separators of the highest level with at least
/// `SPLIT_LEVEL_PAGES * parts` pages (or of the leaves' parents). Reads only branch pages;
/// empty for a tree of one leaf.
pub(crate) fn split_keys(
    p: &(impl PageRead + ?Sized),
    root: PageId,
    parts: usize,
) -> Result<Vec<Vec<u8>>> {
    if root.is_none() || parts < 2 {
        return Ok(Vec::new());
    }
    // `level` holds the pages of one level in key order; `seps[j]` lies between page j and
    // page j + 1.
    let mut level = vec![root];
    let mut seps: Vec<Vec<u8>> = Vec::new();
    let mut depth = 0;
    'levels: while level.len() < SPLIT_LEVEL_PAGES * parts {
        depth += 1;
        if depth > TREE_DEPTH_MAX {
            return Err(too_deep(root));
        }
        let mut next = Vec::new();
        let mut next_seps = Vec::new();
        for (j, &id) in level.iter().enumerate() {
            let buf = p.read_page(id)?;
            let node = expect_node(id, &buf)?;
            if node.is_leaf() {
                // The level is the leaves (a balanced tree): cut between them.
                break 'levels;
            }
            if j > 0 {
                next_seps.push(seps[j - 1].clone());
            }
            for c in 0..node.len() {
                next.push(node.child(c));
                next_seps.push(node.key(c).to_vec());
            }
            next.push(node.child(node.len()));
        }
        level = next;
        seps = next_seps;
    }
    let mut keys: Vec<Vec<u8>> = Vec::with_capacity(parts - 1);
    for t in 1..parts {
        // Page `t * pages / parts` starts part `t`.
        let Some(sep) = (t * level.len() / parts)
            .checked_sub(1)
            .and_then(|j| seps.get(j))
        else {
            continue;
        };
        if keys.last().is_none_or(|last| last < sep) {
            keys.push(sep.clone());
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::path::Path;

    use super::*;
    use crate::file::MemVfs;
    use crate::{Database, Options};

    /// The leaf hint a routing table keeps only says where descents need not look; set
    /// wrongly (on a table whose children are branches), it must change no answer.
    #[test]
    fn a_wrong_leaf_hint_changes_no_answer() {
        let db = Database::open_with_vfs(
            Arc::new(MemVfs::new()),
            Path::new("hint.db"),
            Options {
                cache_pages: 1024,
                ..Options::default()
            },
        )
        .unwrap();
        // Long keys: few per page, so the tree has three levels.
        let key = |i: u32| format!("{i:08}-{}", "k".repeat(40)).into_bytes();
        let mut w = db.begin_write().unwrap();
        {
            let mut t = w.tree("t").unwrap();
            for i in (0..30_000u32).step_by(2) {
                t.insert(&key(i), &i.to_le_bytes()).unwrap();
            }
        }
        w.commit().unwrap();
        let r = db.begin_read().unwrap();
        let t = r.tree("t").unwrap().unwrap();
        let root = r.read_page(t.root()).unwrap();
        let below = Node::new(&root).child(0);
        assert!(
            !Node::new(&r.read_page(below).unwrap()).is_leaf(),
            "the root's children are branches"
        );
        let route = r.route(t.root(), &root).expect("a table for the root");
        route.found_leaf_below();
        for i in 0..30_000u32 {
            let want = (i % 2 == 0).then(|| i.to_le_bytes().to_vec());
            assert_eq!(t.get(&key(i)).unwrap(), want, "key {i}");
        }
        // And the descents went through the hinted table: it is still the one for the root.
        assert!(r.route(t.root(), &root).unwrap().leads_to_leaves());
    }

    #[test]
    fn prefix_test_agrees_with_starts_with() {
        let mut rng = fastrand::Rng::with_seed(5);
        // Few distinct bytes, zeros among them, lengths on both sides of 8.
        let bytes = |rng: &mut fastrand::Rng, max: usize| -> Vec<u8> {
            (0..rng.usize(0..=max)).map(|_| rng.u8(0..3)).collect()
        };
        for _ in 0..20_000 {
            let prefix = bytes(&mut rng, 10);
            let mut key = if rng.bool() {
                prefix.clone()
            } else {
                bytes(&mut rng, 12)
            };
            key.extend(bytes(&mut rng, 6));
            assert_eq!(
                PrefixTest::new(&prefix).matches(&key),
                key.starts_with(&prefix),
                "{prefix:?} {key:?}"
            );
        }
    }
}
