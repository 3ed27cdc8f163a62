//! Changes to a B+Tree: copy-on-write descents, inserts (one at a time or as a sorted
//! stream), splits, deletes with merges, and freeing a whole tree. The module doc of
//! `btree` says how copy-on-write keeps committed snapshots intact.

use super::node::{
    LEAF_CELL_HEADER, Node, NodeMut, ValueRef, branch_cell_len, cmp_keys, encode_branch_cell,
    encode_leaf_cell, leaf_cell_len, max_cell_len,
};
use super::{check_sizes, expect_node, find_leaf, overflow, too_deep};
use crate::error::{Result, StorageError};
use crate::ids::PageId;
use crate::limits::{KEY_SIZE_MAX, TREE_DEPTH_MAX, VALUE_SIZE_MAX};
use crate::page::{self, PAGE_HEADER_SIZE};
use crate::pager::PageWriter;

/// One level of a copy-on-write descent.
#[derive(Clone, Copy)]
struct Step {
    id: PageId,
    idx: usize,
    /// `idx` was the last child of the node.
    last: bool,
}

/// Copies the path to the leaf for `key` (once per transaction) and returns it.
fn descend_cow(
    w: &mut PageWriter<'_>,
    root: &mut PageId,
    key: &[u8],
) -> Result<(Vec<Step>, PageId)> {
    let mut id = w.cow(*root)?;
    *root = id;
    let mut path = Vec::new();
    for _ in 0..TREE_DEPTH_MAX {
        let (idx, child, last) = {
            let buf = w.page(id)?;
            let node = expect_node(id, &buf)?;
            if node.is_leaf() {
                return Ok((path, id));
            }
            let idx = node.child_index(key);
            (idx, node.child(idx), idx == node.len())
        };
        let new_child = w.cow(child)?;
        if new_child != child {
            NodeMut::new(w.page_mut(id)?).set_child(idx, new_child);
        }
        path.push(Step { id, idx, last });
        id = new_child;
    }
    Err(too_deep(*root))
}

fn leaf_cell_key(cell: &[u8]) -> &[u8] {
    let len = usize::from(page::get_u16(cell, 0));
    &cell[LEAF_CELL_HEADER..LEAF_CELL_HEADER + len]
}

/// The shortest key `s` with `left < s <= right` (suffix truncation of separators).
fn separator(left: &[u8], right: &[u8]) -> Vec<u8> {
    let common = left.iter().zip(right).take_while(|(a, b)| a == b).count();
    right[..(common + 1).min(right.len())].to_vec()
}

/// Where to split `sizes` (bytes per cell, slots included) so both halves fit `usable`.
fn split_point(sizes: &[usize], usable: usize) -> usize {
    let total: usize = sizes.iter().sum();
    let mut acc = 0;
    for (k, s) in sizes.iter().enumerate() {
        if k > 0 && (acc + s > usable || acc * 2 >= total) {
            return k;
        }
        acc += s;
    }
    sizes.len() - 1
}

/// Inserts or replaces `key`. Returns true if it replaced an existing value.
pub(crate) fn insert(
    w: &mut PageWriter<'_>,
    root: &mut PageId,
    key: &[u8],
    value: &[u8],
) -> Result<bool> {
    check_sizes(key, value.len())?;
    let ps = w.page_size();
    // A value goes to an overflow chain exactly when its inline cell would exceed the
    // largest cell a page accepts (node invariant 3).
    let overflow = leaf_cell_len(key.len(), value.len(), false) > max_cell_len(ps);
    let vref = if overflow {
        ValueRef::Overflow {
            first: overflow::write(w, value)?,
            len: value.len() as u64,
        }
    } else {
        ValueRef::Inline(value)
    };
    let cell_len = leaf_cell_len(key.len(), value.len(), overflow);
    if root.is_none() {
        let id = w.new_page(|buf, id| {
            let mut n = NodeMut::init(buf, id, true);
            n.insert_with(0, cell_len, |d| encode_leaf_cell(d, key, vref));
        })?;
        *root = id;
        return Ok(false);
    }
    let (path, leaf) = descend_cow(w, root, key)?;
    let (replaced, _) = insert_in_leaf(w, root, &path, leaf, key, vref, cell_len)?;
    Ok(replaced)
}

/// Puts a cell into `leaf`, reached (already copied) by `path`, splitting up the path when
/// it does not fit. Returns whether the key was replaced and whether anything split (which
/// makes `path` stale).
fn insert_in_leaf(
    w: &mut PageWriter<'_>,
    root: &mut PageId,
    path: &[Step],
    leaf: PageId,
    key: &[u8],
    vref: ValueRef<'_>,
    cell_len: usize,
) -> Result<(bool, bool)> {
    let (replaced_old, pos, inserted, append) = {
        let mut node = NodeMut::new(w.page_mut(leaf)?);
        debug_assert!(
            node.as_node().is_leaf(),
            "page {leaf} on an insert path is a leaf"
        );
        let n = node.as_node().len();
        // Sorted bulk input lands past the last key: one comparison instead of a search.
        let past_end = n > 0 && node.as_node().key(n - 1) < key;
        let found = if past_end {
            Err(n)
        } else {
            node.as_node().search(key)
        };
        let (pos, old) = match found {
            Ok(i) => {
                let old = match node.as_node().value(i) {
                    ValueRef::Overflow { first, len } => Some(Some((first, len))),
                    ValueRef::Inline(_) => Some(None),
                };
                node.remove(i);
                (i, old)
            }
            Err(i) => (i, None),
        };
        let inserted = node.insert_with(pos, cell_len, |d| encode_leaf_cell(d, key, vref));
        let append = pos == n && path.iter().all(|s| s.last);
        (old, pos, inserted, append)
    };
    if let Some(Some((first, len))) = replaced_old {
        overflow::free(w, first, len)?;
    }
    if !inserted {
        let mut cell = vec![0u8; cell_len];
        encode_leaf_cell(&mut cell, key, vref);
        let (sep, right) = split_leaf(w, leaf, pos, cell, append)?;
        propagate_split(w, root, path.to_vec(), sep, leaf, right)?;
    }
    Ok((replaced_old.is_some(), !inserted))
}

/// Inserts a stream of entries into one tree, remembering the path to the last leaf it
/// wrote and that leaf's key range: a key inside the range goes straight to the leaf. Keys
/// in ascending order (the bulk-load path) thus descend once per leaf instead of once per
/// key. Any order is correct; the result is exactly that of [`insert`] for each entry.
///
/// Valid only while nothing else changes the tree: it lives for one run of inserts.
/// One side of a leaf's key range; `None` is unbounded.
type Bound = Option<Vec<u8>>;

#[derive(Default)]
pub(crate) struct Inserter {
    /// The copied path to the cached leaf, and the leaf; `None` after a split.
    at: Option<(Vec<Step>, PageId)>,
    /// The cached leaf holds exactly the keys with `lower <= key < upper` (`None`: no bound).
    lower: Bound,
    upper: Bound,
}

impl Inserter {
    fn covers(&self, key: &[u8]) -> bool {
        self.at.is_some()
            && self.lower.as_deref().is_none_or(|l| l <= key)
            && self.upper.as_deref().is_none_or(|u| key < u)
    }

    /// The key range of the leaf at the end of `path`: the nearest separators left and
    /// right of the path in its ancestors.
    fn bounds(w: &PageWriter<'_>, path: &[Step]) -> Result<(Bound, Bound)> {
        let (mut lower, mut upper) = (None, None);
        for step in path.iter().rev() {
            if lower.is_some() && upper.is_some() {
                break;
            }
            let buf = w.page(step.id)?;
            let node = expect_node(step.id, &buf)?;
            if upper.is_none() && step.idx < node.len() {
                upper = Some(node.key(step.idx).to_vec());
            }
            if lower.is_none() && step.idx > 0 {
                lower = Some(node.key(step.idx - 1).to_vec());
            }
        }
        Ok((lower, upper))
    }

    /// Inserts or replaces one entry; returns true if the key was present.
    pub fn insert(
        &mut self,
        w: &mut PageWriter<'_>,
        root: &mut PageId,
        key: &[u8],
        value: &[u8],
    ) -> Result<bool> {
        check_sizes(key, value.len())?;
        let overflow = leaf_cell_len(key.len(), value.len(), false) > max_cell_len(w.page_size());
        if overflow || root.is_none() {
            self.at = None;
            return insert(w, root, key, value);
        }
        if !self.covers(key) {
            let (path, leaf) = descend_cow(w, root, key)?;
            (self.lower, self.upper) = Self::bounds(w, &path)?;
            self.at = Some((path, leaf));
        }
        let Some((path, leaf)) = &self.at else {
            return insert(w, root, key, value);
        };
        let cell_len = leaf_cell_len(key.len(), value.len(), false);
        let (replaced, split) =
            insert_in_leaf(w, root, path, *leaf, key, ValueRef::Inline(value), cell_len)?;
        if split {
            self.at = None;
        }
        Ok(replaced)
    }

    /// Appends entries to the cached leaf for as long as each one goes right after the
    /// leaf's last key: its key above that key and below the leaf's upper bound, its value
    /// inline, its cell within the limits and the page's free space. Looks the leaf up once
    /// for the whole run, where [`Inserter::insert`] does per entry. Returns how many it
    /// appended and the first entry it did not take (for [`Inserter::insert`], which splits
    /// or reports an error as for any entry); `None` once `entries` ran out.
    pub fn append_run<K: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        w: &mut PageWriter<'_>,
        entries: &mut impl Iterator<Item = (K, V)>,
    ) -> Result<(u64, Option<(K, V)>)> {
        let Some((_, leaf)) = &self.at else {
            return Ok((0, entries.next()));
        };
        let max_cell = max_cell_len(w.page_size());
        let mut node = NodeMut::new(w.page_mut(*leaf)?);
        debug_assert!(node.as_node().is_leaf(), "page {leaf} cached as a leaf");
        let mut appended = 0;
        for (k, v) in entries.by_ref() {
            let (key, value) = (k.as_ref(), v.as_ref());
            let n = node.as_node().len();
            let cell_len = leaf_cell_len(key.len(), value.len(), false);
            let in_order = n > 0
                && cmp_keys(node.as_node().key(n - 1), key).is_lt()
                && self
                    .upper
                    .as_deref()
                    .is_none_or(|u| cmp_keys(key, u).is_lt());
            let takes = in_order
                && key.len() <= KEY_SIZE_MAX
                && value.len() <= VALUE_SIZE_MAX
                && cell_len <= max_cell
                && node.insert_with(n, cell_len, |d| {
                    encode_leaf_cell(d, key, ValueRef::Inline(value));
                });
            if !takes {
                return Ok((appended, Some((k, v))));
            }
            appended += 1;
        }
        Ok((appended, None))
    }
}

fn split_leaf(
    w: &mut PageWriter<'_>,
    id: PageId,
    pos: usize,
    cell: Vec<u8>,
    append: bool,
) -> Result<(Vec<u8>, PageId)> {
    let buf = w.page(id)?;
    let node = Node::new(&buf);
    let n = node.len();
    if append && pos == n && n > 0 {
        // Appending past the rightmost leaf: the new key starts a new page on its own and
        // the full left page stays as it is (sorted loads fill pages completely).
        let sep = separator(node.key(n - 1), leaf_cell_key(&cell));
        drop(buf);
        let right = w.new_page(|b, rid| {
            NodeMut::init(b, rid, true).rebuild(&[cell.as_slice()]);
        })?;
        return Ok((sep, right));
    }
    // One copy of the page (the cells are rewritten in place below), no copy per cell.
    let old = buf.to_vec();
    drop(buf);
    let node = Node::new(&old);
    let mut refs: Vec<&[u8]> = Vec::with_capacity(n + 1);
    refs.extend((0..pos).map(|i| node.cell(i)));
    refs.push(&cell);
    refs.extend((pos..n).map(|i| node.cell(i)));
    let usable = w.page_size() - PAGE_HEADER_SIZE;
    let k = if append {
        n
    } else {
        let sizes: Vec<usize> = refs.iter().map(|c| c.len() + 2).collect();
        split_point(&sizes, usable)
    };
    let sep = separator(leaf_cell_key(refs[k - 1]), leaf_cell_key(refs[k]));
    let right = w.new_page(|b, rid| NodeMut::init(b, rid, true).rebuild(&refs[k..]))?;
    NodeMut::new(w.page_mut(id)?).rebuild(&refs[..k]);
    Ok((sep, right))
}

/// Carries a split up the path: inserts `(sep -> left)` and points the next child at `right`.
fn propagate_split(
    w: &mut PageWriter<'_>,
    root: &mut PageId,
    mut path: Vec<Step>,
    mut sep: Vec<u8>,
    mut left: PageId,
    mut right: PageId,
) -> Result<()> {
    loop {
        let Some(step) = path.pop() else {
            let (l, r) = (left, right);
            let key = sep.clone();
            *root = w.new_page(|b, id| {
                let mut n = NodeMut::init(b, id, false);
                n.set_child(0, r);
                n.insert_with(0, branch_cell_len(key.len()), |d| {
                    encode_branch_cell(d, &key, l);
                });
            })?;
            return Ok(());
        };
        let append = step.last && path.iter().all(|s| s.last);
        let fitted = {
            let mut node = NodeMut::new(w.page_mut(step.id)?);
            let ok = node.insert_with(step.idx, branch_cell_len(sep.len()), |d| {
                encode_branch_cell(d, &sep, left);
            });
            if ok {
                node.set_child(step.idx + 1, right);
            }
            ok
        };
        if fitted {
            return Ok(());
        }
        let (up, new_right) = split_branch(w, step.id, step.idx, &sep, left, right, append)?;
        sep = up;
        left = step.id;
        right = new_right;
    }
}

/// Splits branch `id` after adding `(sep -> left)` at `idx` with child `idx+1` = `right`.
fn split_branch(
    w: &mut PageWriter<'_>,
    id: PageId,
    idx: usize,
    sep: &[u8],
    left: PageId,
    right: PageId,
    append: bool,
) -> Result<(Vec<u8>, PageId)> {
    let (mut cells, mut right_child) = {
        let buf = w.page(id)?;
        let node = Node::new(&buf);
        let cells: Vec<(Vec<u8>, PageId)> = (0..node.len())
            .map(|i| (node.key(i).to_vec(), node.child(i)))
            .collect();
        (cells, node.child(node.len()))
    };
    cells.insert(idx, (sep.to_vec(), left));
    if idx + 1 < cells.len() {
        cells[idx + 1].1 = right;
    } else {
        right_child = right;
    }
    let usable = w.page_size() - PAGE_HEADER_SIZE;
    let k = if append && cells.len() >= 3 {
        cells.len() - 2
    } else {
        let sizes: Vec<usize> = cells
            .iter()
            .map(|(key, _)| branch_cell_len(key.len()) + 2)
            .collect();
        split_point(&sizes, usable).clamp(1, cells.len() - 2)
    };
    let encode = |list: &[(Vec<u8>, PageId)]| -> Vec<Vec<u8>> {
        list.iter()
            .map(|(key, child)| {
                let mut c = vec![0u8; branch_cell_len(key.len())];
                encode_branch_cell(&mut c, key, *child);
                c
            })
            .collect()
    };
    let left_cells = encode(&cells[..k]);
    let right_cells = encode(&cells[k + 1..]);
    let (up, mid_child) = (cells[k].0.clone(), cells[k].1);
    let rrefs: Vec<&[u8]> = right_cells.iter().map(Vec::as_slice).collect();
    let new_right = w.new_page(|b, rid| {
        let mut n = NodeMut::init(b, rid, false);
        n.rebuild(&rrefs);
        n.set_child(rrefs.len(), right_child);
    })?;
    let lrefs: Vec<&[u8]> = left_cells.iter().map(Vec::as_slice).collect();
    let mut n = NodeMut::new(w.page_mut(id)?);
    n.rebuild(&lrefs);
    n.set_child(lrefs.len(), mid_child);
    Ok((up, new_right))
}

/// Removes `key`. Returns true if it was present.
pub(crate) fn remove(w: &mut PageWriter<'_>, root: &mut PageId, key: &[u8]) -> Result<bool> {
    if root.is_none() || key.len() > KEY_SIZE_MAX {
        return Ok(false);
    }
    {
        // Probe first, so removing an absent key copies nothing.
        let (_, buf) = find_leaf(&*w, *root, key)?;
        if Node::new(&buf).search(key).is_err() {
            return Ok(false);
        }
    }
    let (path, leaf) = descend_cow(w, root, key)?;
    let old = {
        let mut node = NodeMut::new(w.page_mut(leaf)?);
        let Ok(i) = node.as_node().search(key) else {
            return Err(StorageError::corrupted(
                leaf,
                "key vanished between probe and delete",
            ));
        };
        let old = node.as_node().value(i);
        let old = match old {
            ValueRef::Overflow { first, len } => Some((first, len)),
            ValueRef::Inline(_) => None,
        };
        node.remove(i);
        old
    };
    if let Some((first, len)) = old {
        overflow::free(w, first, len)?;
    }
    rebalance(w, root, path, leaf)?;
    Ok(true)
}

/// Merges underfull nodes into a sibling, bottom-up, then collapses a root with one child.
fn rebalance(
    w: &mut PageWriter<'_>,
    root: &mut PageId,
    mut path: Vec<Step>,
    mut node_id: PageId,
) -> Result<()> {
    let ps = w.page_size();
    while let Some(step) = path.pop() {
        let used = Node::new(&w.page(node_id)?).used_bytes();
        if used >= ps / 4 {
            break;
        }
        let (li, left, right, sep) = {
            let buf = w.page(step.id)?;
            let parent = Node::new(&buf);
            if parent.len() == 0 {
                node_id = step.id;
                continue;
            }
            let li = if step.idx < parent.len() {
                step.idx
            } else {
                step.idx - 1
            };
            (
                li,
                parent.child(li),
                parent.child(li + 1),
                parent.key(li).to_vec(),
            )
        };
        let (lbuf, rbuf) = (w.page(left)?, w.page(right)?);
        let (ln, rn) = (expect_node(left, &lbuf)?, expect_node(right, &rbuf)?);
        if ln.is_leaf() != rn.is_leaf() {
            return Err(StorageError::corrupted(
                step.id,
                "children at different depths",
            ));
        }
        let extra = if ln.is_leaf() {
            0
        } else {
            branch_cell_len(sep.len()) + 2
        };
        if ln.used_bytes() + rn.used_bytes() - PAGE_HEADER_SIZE + extra > ps {
            break;
        }
        let right_cells: Vec<Vec<u8>> = (0..rn.len()).map(|i| rn.cell(i).to_vec()).collect();
        let right_child = rn.child(rn.len());
        let is_leaf = ln.is_leaf();
        drop((lbuf, rbuf));
        let new_left = w.cow(left)?;
        {
            let mut lm = NodeMut::new(w.page_mut(new_left)?);
            if !is_leaf {
                let n = lm.as_node().len();
                let old_right = lm.as_node().child(n);
                lm.insert_with(n, branch_cell_len(sep.len()), |d| {
                    encode_branch_cell(d, &sep, old_right);
                });
                lm.set_child(n + 1, right_child);
            }
            for cell in &right_cells {
                let n = lm.as_node().len();
                if !lm.insert_raw(n, cell) {
                    return Err(StorageError::corrupted(new_left, "merge overflowed a page"));
                }
            }
        }
        w.free(right);
        {
            let mut pm = NodeMut::new(w.page_mut(step.id)?);
            pm.remove(li);
            pm.set_child(li, new_left);
        }
        node_id = step.id;
    }
    for _ in 0..TREE_DEPTH_MAX {
        let (is_leaf, len, only_child) = {
            let buf = w.page(*root)?;
            let node = expect_node(*root, &buf)?;
            (node.is_leaf(), node.len(), node.child(0))
        };
        if len > 0 {
            break;
        }
        w.free(*root);
        if is_leaf {
            *root = PageId::NONE;
            break;
        }
        *root = only_child;
    }
    Ok(())
}

/// Frees every page of the tree at `root`, overflow chains included.
pub(crate) fn free_tree(w: &mut PageWriter<'_>, root: PageId) -> Result<()> {
    if root.is_none() {
        return Ok(());
    }
    let mut stack = vec![(root, 0usize)];
    while let Some((id, depth)) = stack.pop() {
        if depth > TREE_DEPTH_MAX {
            return Err(too_deep(root));
        }
        let mut chains = Vec::new();
        {
            let buf = w.page(id)?;
            let node = expect_node(id, &buf)?;
            for i in 0..node.len() {
                if node.is_leaf() {
                    if let ValueRef::Overflow { first, len } = node.value(i) {
                        chains.push((first, len));
                    }
                } else {
                    stack.push((node.child(i), depth + 1));
                }
            }
            if !node.is_leaf() {
                stack.push((node.child(node.len()), depth + 1));
            }
        }
        for (first, len) in chains {
            overflow::free(w, first, len)?;
        }
        w.free(id);
    }
    Ok(())
}
