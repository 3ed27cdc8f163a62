//! Ordered iteration over a tree, forward and backward, between bounds.
//!
//! A cursor is a stack of `(page, index)` from the root to a leaf. It holds `Arc` page
//! images, so it stays valid while the cache evicts; a read snapshot's pages never change
//! (copy-on-write), so the cursor sees one consistent tree. Every step that follows a child
//! pointer is bounded by `TREE_DEPTH_MAX`.

use std::ops::Bound;
use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::ids::PageId;
use crate::limits::TREE_DEPTH_MAX;
use crate::page::PageBuf;

use super::node::{Fences, Node, ValueRef};
use super::route::Route;
use super::{PageRead, expect_node, load_value};

/// Sibling leaves prefetched at a time while a cursor moves across leaves.
const PREFETCH_LEAVES: usize = 32;

/// The routing table of a branch a descent came through: borrowed from the view's pins,
/// or shared with the cache.
enum Via<'p> {
    None,
    Pinned(&'p Route),
    Cached(Arc<Route>),
}

impl Via<'_> {
    fn route(&self) -> Option<&Route> {
        match self {
            Via::None => None,
            Via::Pinned(r) => Some(r),
            Via::Cached(r) => Some(r),
        }
    }
}

/// A position in a tree. `stack.last()` is a leaf when the cursor is on an entry.
pub(crate) struct Cursor {
    root: PageId,
    stack: Vec<(PageBuf, usize)>,
}

impl Cursor {
    /// A cursor on the tree at `root`, not yet positioned.
    pub fn new(root: PageId) -> Cursor {
        Cursor {
            root,
            stack: Vec::new(),
        }
    }

    fn push(&mut self, p: &(impl PageRead + ?Sized), id: PageId) -> Result<()> {
        self.push_routed(p, id, false).map(drop)
    }

    /// [`Cursor::push`], returning the pushed branch's routing table where the view keeps
    /// them. `leaf_below` says the page is known to be a leaf (no pins to look in).
    fn push_routed<'p>(
        &mut self,
        p: &'p (impl PageRead + ?Sized),
        id: PageId,
        leaf_below: bool,
    ) -> Result<Via<'p>> {
        if self.stack.len() >= TREE_DEPTH_MAX {
            return Err(StorageError::corrupted(
                self.root,
                "tree deeper than the depth limit (a cycle?)",
            ));
        }
        if !leaf_below && let Some(pinned) = p.pinned(id) {
            self.stack.push((PageBuf::clone(&pinned.buf), 0));
            return Ok(Via::Pinned(&pinned.route));
        }
        let buf = p.read_page(id)?;
        let via = if expect_node(id, &buf)?.is_leaf() {
            Via::None
        } else {
            // Pins the branch where the view pins.
            p.route(id, &buf).map_or(Via::None, Via::Cached)
        };
        self.stack.push((buf, 0));
        Ok(via)
    }

    /// Positions on the first entry `>=` (or `>`) the bound; false if there is none.
    pub fn seek_forward(
        &mut self,
        p: &(impl PageRead + ?Sized),
        start: Bound<&[u8]>,
    ) -> Result<bool> {
        self.stack.clear();
        if self.root.is_none() {
            return Ok(false);
        }
        let mut via = self.push_routed(p, self.root, false)?;
        let mut fences = Fences::default();
        loop {
            let Some((buf, idx)) = self.stack.last_mut() else {
                return Ok(false);
            };
            let node = Node::new(buf);
            if node.is_leaf() {
                if let Some(route) = via.route() {
                    route.found_leaf_below();
                }
                *idx = match start {
                    Bound::Unbounded => 0,
                    Bound::Included(k) => node.search_fenced(k, fences).unwrap_or_else(|i| i),
                    Bound::Excluded(k) => {
                        node.search_fenced(k, fences).map_or_else(|i| i, |i| i + 1)
                    }
                };
                let at_end = *idx >= node.len();
                return if at_end {
                    self.next_leaf(p, true)
                } else {
                    Ok(true)
                };
            }
            let i = match (start, via.route()) {
                (Bound::Unbounded, _) => 0,
                // The table answers as the page does, from memory laid out for it.
                (Bound::Included(k) | Bound::Excluded(k), Some(route)) => {
                    route.child_index(node, k)
                }
                (Bound::Included(k) | Bound::Excluded(k), None) => {
                    node.child_index_fenced(k, fences)
                }
            };
            let child;
            (child, fences) = match via.route() {
                Some(route) => route.child_at(i, fences),
                None => (node.child(i), node.child_fences(i, fences)),
            };
            *idx = i;
            let leaf_below = via.route().is_some_and(Route::leads_to_leaves);
            via = self.push_routed(p, child, leaf_below)?;
        }
    }

    /// Positions on the last entry `<=` (or `<`) the bound; false if there is none.
    pub fn seek_backward(
        &mut self,
        p: &(impl PageRead + ?Sized),
        end: Bound<&[u8]>,
    ) -> Result<bool> {
        self.stack.clear();
        if self.root.is_none() {
            return Ok(false);
        }
        self.push(p, self.root)?;
        loop {
            let Some((buf, idx)) = self.stack.last_mut() else {
                return Ok(false);
            };
            let node = Node::new(buf);
            if node.is_leaf() {
                // Number of entries that qualify; the cursor sits on the last of them.
                let count = match end {
                    Bound::Unbounded => node.len(),
                    Bound::Included(k) => node.search(k).map_or_else(|i| i, |i| i + 1),
                    Bound::Excluded(k) => node.search(k).unwrap_or_else(|i| i),
                };
                if count == 0 {
                    *idx = 0;
                    return self.next_leaf(p, false);
                }
                *idx = count - 1;
                return Ok(true);
            }
            let i = match end {
                Bound::Unbounded => node.len(),
                Bound::Included(k) => node.child_index(k),
                Bound::Excluded(k) => node.search(k).unwrap_or_else(|i| i),
            };
            *idx = i;
            let child = node.child(i);
            self.push(p, child)?;
        }
    }

    /// Moves to the next (`forward`) or previous entry; false at the end.
    pub fn step(&mut self, p: &(impl PageRead + ?Sized), forward: bool) -> Result<bool> {
        let Some((buf, idx)) = self.stack.last_mut() else {
            return Ok(false);
        };
        let len = Node::new(buf).len();
        if forward && *idx + 1 < len {
            *idx += 1;
            return Ok(true);
        }
        if !forward && *idx > 0 && *idx <= len {
            *idx -= 1;
            return Ok(true);
        }
        self.next_leaf(p, forward)
    }

    /// Leaves the current leaf and moves to the first (or last) entry of the next non-empty
    /// leaf in that direction.
    fn next_leaf(&mut self, p: &(impl PageRead + ?Sized), forward: bool) -> Result<bool> {
        loop {
            self.stack.pop();
            // Climb to a branch with a sibling child in that direction.
            loop {
                let Some((buf, idx)) = self.stack.last_mut() else {
                    return Ok(false);
                };
                let len = Node::new(buf).len();
                if forward && *idx < len {
                    *idx += 1;
                    break;
                }
                if !forward && *idx > 0 {
                    *idx -= 1;
                    break;
                }
                self.stack.pop();
            }
            // Descend to the edge leaf of that subtree.
            loop {
                let Some((buf, idx)) = self.stack.last() else {
                    return Ok(false);
                };
                let node = Node::new(buf);
                if node.is_leaf() {
                    break;
                }
                let child = node.child(*idx);
                self.push(p, child)?;
                if let Some((buf, idx)) = self.stack.last_mut() {
                    let n = Node::new(buf);
                    *idx = if forward || n.is_leaf() && n.len() == 0 {
                        0
                    } else if n.is_leaf() {
                        n.len() - 1
                    } else {
                        n.len()
                    };
                }
            }
            self.prefetch_siblings(p, forward);
            if let Some((buf, _)) = self.stack.last()
                && Node::new(buf).len() > 0
            {
                return Ok(true);
            }
        }
    }

    /// When the cursor has just entered a leaf at a multiple of `PREFETCH_LEAVES` among its
    /// parent's children, asks for the next ones in the direction of travel.
    fn prefetch_siblings(&self, p: &(impl PageRead + ?Sized), forward: bool) {
        let depth = self.stack.len();
        let Some((parent, idx)) = depth.checked_sub(2).and_then(|d| self.stack.get(d)) else {
            return;
        };
        if idx % PREFETCH_LEAVES != 0 {
            return;
        }
        let node = Node::new(parent);
        let ids: Vec<PageId> = if forward {
            (idx + 1..=(idx + PREFETCH_LEAVES).min(node.len()))
                .map(|i| node.child(i))
                .collect()
        } else {
            (idx.saturating_sub(PREFETCH_LEAVES)..*idx)
                .map(|i| node.child(i))
                .collect()
        };
        p.prefetch(&ids);
    }

    /// Key and value reference at the current position.
    pub fn current(&self) -> Option<(&[u8], ValueRef<'_>)> {
        let (buf, idx) = self.stack.last()?;
        let node = Node::new(buf);
        if *idx >= node.len() || !node.is_leaf() {
            return None;
        }
        Some((node.key(*idx), node.value(*idx)))
    }
}

/// Whether `key` is inside the bound a range moves towards (the end going forward).
fn within(forward: bool, start: &Bound<Vec<u8>>, end: &Bound<Vec<u8>>, key: &[u8]) -> bool {
    if forward {
        match end {
            Bound::Unbounded => true,
            Bound::Included(e) => key <= e.as_slice(),
            Bound::Excluded(e) => key < e.as_slice(),
        }
    } else {
        match start {
            Bound::Unbounded => true,
            Bound::Included(s) => key >= s.as_slice(),
            Bound::Excluded(s) => key > s.as_slice(),
        }
    }
}

/// A key and value lent by [`Range::next_ref`]: the key borrowed from its page, the value
/// borrowed too unless it lives in an overflow chain.
pub type EntryRef<'a> = (&'a [u8], std::borrow::Cow<'a, [u8]>);

/// An iterator over `(key, value)` pairs between two bounds, in either direction.
///
/// A storage error is yielded as an `Err` item, after which the iterator ends: corruption
/// is never mistaken for the end of the data.
pub struct Range<'a> {
    src: &'a dyn PageRead,
    cursor: Cursor,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    forward: bool,
    started: bool,
    done: bool,
}

impl std::fmt::Debug for Range<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Range")
            .field("forward", &self.forward)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

fn owned(b: Bound<&[u8]>) -> Bound<Vec<u8>> {
    match b {
        Bound::Included(k) => Bound::Included(k.to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k),
        Bound::Excluded(k) => Bound::Excluded(k),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Consecutive keys of one leaf page, all inside the range that produced them, in the
/// range's order (see [`Range::for_each_run`]).
pub struct LeafKeys<'a> {
    node: Node<'a>,
    start: usize,
    end: usize,
}

impl<'a> LeafKeys<'a> {
    /// Keys in the run (at least one).
    #[inline]
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Always false: a run holds at least one key.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The run's keys, in order.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        let node = self.node;
        (self.start..self.end).map(move |i| node.key(i))
    }

    /// Reads one byte of every cache line of the run's page, so that the loads overlap
    /// (they do not depend on each other) and a pass over the run's cells then finds them in
    /// the processor's cache. For scans that read every cell of a large tree: cells lie
    /// anywhere in their page, in the order they were written, and reading them one after
    /// the other waits for each in turn.
    #[inline]
    pub fn touch(&self) {
        /// Bytes of a cache line (of the processors this runs on, or fewer).
        const LINE: usize = 64;
        let folded = self.node.buf.iter().step_by(LINE).fold(0u8, |x, b| x ^ b);
        std::hint::black_box(folded);
    }

    /// The run's keys with their values, in order. A value in an overflow chain comes as
    /// [`ValueRef::Overflow`]: tree layouts that keep their values small never see one,
    /// and can treat it as damage.
    #[inline]
    pub fn entries(&self) -> impl Iterator<Item = (&'a [u8], ValueRef<'a>)> + use<'a> {
        let node = self.node;
        (self.start..self.end).map(move |i| (node.key(i), node.value(i)))
    }
}

impl<'a> Range<'a> {
    pub(crate) fn new(
        src: &'a dyn PageRead,
        root: PageId,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        forward: bool,
    ) -> Self {
        Self::with_bounds(src, root, owned(start), owned(end), forward)
    }

    /// [`Range::new`] over owned bounds.
    pub(crate) fn with_bounds(
        src: &'a dyn PageRead,
        root: PageId,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        forward: bool,
    ) -> Self {
        Range {
            src,
            cursor: Cursor::new(root),
            start,
            end,
            forward,
            started: false,
            done: false,
        }
    }

    fn within(&self, key: &[u8]) -> bool {
        within(self.forward, &self.start, &self.end, key)
    }

    /// Moves to the next entry in range; false at the end.
    fn step_in_range(&mut self) -> Result<bool> {
        let positioned = if self.started {
            self.cursor.step(self.src, self.forward)?
        } else {
            self.started = true;
            if self.forward {
                self.cursor.seek_forward(self.src, as_ref(&self.start))?
            } else {
                self.cursor.seek_backward(self.src, as_ref(&self.end))?
            }
        };
        Ok(positioned
            && self
                .cursor
                .current()
                .is_some_and(|(key, _)| self.within(key)))
    }

    /// The next entry, borrowed from the page it lives on: no allocation unless the value
    /// is in an overflow chain. A lending alternative to [`Iterator::next`] for hot loops:
    ///
    /// ```ignore
    /// while let Some(entry) = range.next_ref() {
    ///     let (key, value) = entry?;
    /// }
    /// ```
    pub fn next_ref(&mut self) -> Option<Result<EntryRef<'_>>> {
        if self.done {
            return None;
        }
        match self.step_in_range() {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        }
        let (key, value) = self.cursor.current()?;
        let value = match value {
            ValueRef::Inline(v) => Ok(std::borrow::Cow::Borrowed(v)),
            overflow @ ValueRef::Overflow { .. } => {
                load_value(self.src, overflow).map(std::borrow::Cow::Owned)
            }
        };
        match value {
            Ok(v) => Some(Ok((key, v))),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    /// Calls `f(key)` for every remaining key in range, without reading values: the fast
    /// way to scan a tree's keys. Forward ranges run through each leaf's keys in a tight
    /// loop (the end bound is checked once per leaf when the leaf's last key is inside
    /// it). A storage error ends the scan and is returned; the range is then done.
    pub fn for_each_key(&mut self, mut f: impl FnMut(&[u8])) -> Result<()> {
        self.for_each_run(|run| run.iter().for_each(&mut f))
    }

    /// Calls `f(run)` with the remaining keys in range, a leaf's worth at a time: each
    /// run holds consecutive keys of one leaf, all in range, in the range's order. For
    /// loops whose state is cheaper kept in locals across a run than across calls of a
    /// closure per key. Backward ranges give runs of one key. A storage error ends the
    /// scan and is returned; the range is then done.
    pub fn for_each_run(&mut self, mut f: impl FnMut(&LeafKeys<'_>)) -> Result<()> {
        while self.next_run(&mut f)?.is_some() {}
        Ok(())
    }

    /// Calls `f(run)` with the next run of keys in range (consecutive keys of one leaf, as
    /// for [`Range::for_each_run`]) and returns what it returned; `None` at the end. For
    /// iterators that hand out a leaf's worth of entries at a time. A storage error is
    /// returned, and the range is then done.
    pub fn next_run<R>(&mut self, f: impl FnOnce(&LeafKeys<'_>) -> R) -> Result<Option<R>> {
        if self.done {
            return Ok(None);
        }
        match self.step_in_range() {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        }
        let Some((buf, idx)) = self.cursor.stack.last_mut() else {
            self.done = true;
            return Ok(None);
        };
        let node = Node::new(buf);
        let len = node.len();
        debug_assert!(
            node.is_leaf() && *idx < len,
            "step_in_range leaves us on an entry"
        );
        if !self.forward {
            return Ok(Some(f(&LeafKeys {
                node,
                start: *idx,
                end: *idx + 1,
            })));
        }
        let start = *idx;
        let end = if within(true, &self.start, &self.end, node.key(len - 1)) {
            len
        } else {
            // The range ends in this leaf: its keys up to the first one past the end.
            let mut end = start + 1;
            while end < len && within(true, &self.start, &self.end, node.key(end)) {
                end += 1;
            }
            self.done = true;
            end
        };
        let out = f(&LeafKeys { node, start, end });
        // The next step leaves this leaf.
        *idx = len - 1;
        Ok(Some(out))
    }

    fn advance(&mut self) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        if !self.step_in_range()? {
            return Ok(None);
        }
        let Some((key, value)) = self.cursor.current() else {
            return Ok(None);
        };
        Ok(Some((key.to_vec(), load_value(self.src, value)?)))
    }
}

impl Iterator for Range<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.advance() {
            Ok(Some(kv)) => Some(Ok(kv)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for Range<'_> {}
