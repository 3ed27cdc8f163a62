//! The degree trees `g.out_deg` and `g.in_deg` (graph format 8): how many relationships
//! each node has of each type in each direction, kept apart from the adjacency so that
//! whole-graph counts (every node's degree, the two-step walks through every node) read a
//! few bytes per node and type instead of every adjacency chunk.
//!
//! # Layout
//! Nodes are taken in *blocks* of [`BLOCK`] consecutive ids; an entry holds the counts of
//! one block's nodes for one edge type:
//!
//! | part | encoding | meaning |
//! |---|---|---|
//! | key | `o(node / 64) o(type)` | the block and the type |
//! | value | per node with pairs of that type: `u8(node % 64)`, `v(count)` | the nodes by ascending offset, each with how many pairs the direction's adjacency holds |
//!
//! `o(x)` is the ordered varint of `record.rs` and `v(x)` a LEB128 varint. `g.out_deg`
//! counts the pairs of `g.out`, `g.in_deg` those of `g.in`. A value holds at most 64 nodes,
//! so it stays under 704 bytes whatever the graph.
//!
//! # Invariants
//! 1. A direction's degree tree counts exactly the `(node, type)`s that have pairs in that
//!    direction's adjacency tree, each with the number of those pairs (`check` recounts
//!    them from the chunks).
//! 2. In a value, offsets are below 64 and strictly ascend, every count is above 0, and
//!    the value is not empty (an entry whose last count reaches 0 is deleted).
//! 3. Every write of adjacency pairs writes the counts in the same transaction: inserts
//!    add each batch's pairs per `(node, type)` ([`add`]), a removal takes one off
//!    ([`take_one`]). Repacking moves pairs between chunks and leaves the counts alone.
//! 4. Decoders bounds-check: a damaged key or value is an error, never a panic.
//!
//! A database of an earlier format has no degree trees: a read-write open builds them from
//! the chunks (the upgrade in `graph.rs`), a read-only one reads degrees from the chunks as
//! earlier formats did.

use std::ops::Bound;

use pagegraph_storage::{Tree, TreeMut};

use crate::adjacency::{self, Entry};
use crate::error::{GraphError, Result};
use crate::ids::NodeId;
use crate::record::{self, Key, get_varint, put_varint};

/// Nodes per block: one entry of a degree tree counts one block's nodes of one type.
pub(crate) const BLOCK: u64 = 64;

/// A `(node, type)`'s count (or the change to it): the node, the type, how many pairs.
pub(crate) type Group = (NodeId, u32, u64);

/// The degree tree that counts the pairs of adjacency tree `adjacency` (`g.out` or `g.in`).
pub(crate) fn tree_of(adjacency: &str) -> &'static str {
    if adjacency == record::OUT {
        record::OUT_DEG
    } else {
        debug_assert_eq!(adjacency, record::IN);
        record::IN_DEG
    }
}

/// The key of block `block`'s counts of `edge_type`.
fn key(block: u64, edge_type: u32) -> Key {
    record::degree_key(block, Some(edge_type))
}

/// The first key of block `block` (of any type).
fn block_key(block: u64) -> Key {
    record::degree_key(block, None)
}

/// `(block, type)` of a degree key: `None` unless it is exactly two ordered varints, the
/// second a type id.
pub(crate) fn decode_key(k: &[u8]) -> Option<(u64, u32)> {
    let mut at = 0;
    let block = record::get_ordered(k, &mut at)?;
    let ty = u32::try_from(record::get_ordered(k, &mut at)?).ok()?;
    (at == k.len() && block <= u64::MAX / BLOCK).then_some((block, ty))
}

/// Calls `f(offset, count)` for each node of a degree value, in order; `None` (after the
/// nodes before it) if the value breaks invariant 2.
pub(crate) fn decode_value(v: &[u8], mut f: impl FnMut(u64, u64)) -> Option<()> {
    if v.is_empty() {
        return None;
    }
    let (mut at, mut last) = (0, None);
    while at < v.len() {
        let offset = u64::from(v[at]);
        at += 1;
        let count = get_varint(v, &mut at)?;
        if offset >= BLOCK || count == 0 || last.is_some_and(|l| l >= offset) {
            return None;
        }
        last = Some(offset);
        f(offset, count);
    }
    Some(())
}

/// Appends `(offset, count)` pairs, ascending by offset, counts above 0, as a value.
fn encode_value(pairs: &[(u64, u64)]) -> Vec<u8> {
    let mut v = Vec::with_capacity(pairs.len() * 2);
    for &(offset, count) in pairs {
        debug_assert!(offset < BLOCK && count > 0, "a degree value's invariant 2");
        v.push(offset as u8);
        put_varint(&mut v, count);
    }
    v
}

/// The pairs of sorted adjacency `entries` per `(node, type)`, in order.
pub(crate) fn groups(entries: &[Entry]) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for &(node, ty, _, _) in entries {
        match out.last_mut() {
            Some(g) if g.0 == node && g.1 == ty => g.2 += 1,
            _ => out.push((node, ty, 1)),
        }
    }
    out
}

fn damaged(what: impl std::fmt::Display) -> GraphError {
    GraphError::corrupt("degree count", what, "damaged key or value")
}

/// Adds `groups` (each `(node, type)` once) to a degree tree: per `(block, type)`, the
/// entry is read (when it may exist), the counts merged and the entry written again.
/// Entries past the tree's last key are appended without a lookup (a fresh import's,
/// slice after slice); the others are read by one ordered pass over the tree's entries in
/// their span when they are many for the tree, else by a lookup each.
pub(crate) fn add(tree: &mut TreeMut<'_>, groups: &[Group]) -> Result<()> {
    if groups.is_empty() {
        return Ok(());
    }
    // (block, type, offset, count), by block, type, then offset.
    let mut items: Vec<(u64, u32, u64, u64)> = groups
        .iter()
        .map(|&(n, t, c)| (n.0 / BLOCK, t, n.0 % BLOCK, c))
        .collect();
    if !items.is_sorted() {
        items.sort_unstable();
    }
    // One entry per (block, type): its key and its items' span.
    let mut runs: Vec<(Key, std::ops::Range<usize>)> = Vec::new();
    let mut start = 0;
    for i in 1..=items.len() {
        if i == items.len() || (items[i].0, items[i].1) != (items[start].0, items[start].1) {
            runs.push((key(items[start].0, items[start].1), start..i));
            start = i;
        }
    }
    let view = tree.view()?;
    let last = match view.range_rev(Bound::Unbounded, Bound::Unbounded).next() {
        Some(entry) => Some(entry?.0),
        None => None,
    };
    // The runs at or below the tree's last key may have an entry already.
    let old = last.map_or(0, |last| {
        runs.partition_point(|(k, _)| k.as_ref() <= last.as_slice())
    });
    let mut olds: Vec<Option<Vec<u8>>> = vec![None; old];
    if old > 0 {
        if (old as u64).saturating_mul(16) >= view.len() {
            let hi = runs[old - 1].0.as_ref().to_vec();
            let mut range = view.range(
                Bound::Included(runs[0].0.as_ref()),
                Bound::Included(&hi[..]),
            );
            let mut at = 0;
            while let Some(entry) = range.next_ref() {
                let (k, v) = entry?;
                while at < old && runs[at].0.as_ref() < k {
                    at += 1;
                }
                if at < old && runs[at].0.as_ref() == k {
                    olds[at] = Some(v.into_owned());
                }
            }
        } else {
            for ((k, _), slot) in runs[..old].iter().zip(&mut olds) {
                *slot = view.get(k)?;
            }
        }
    }
    let mut entries: Vec<(&[u8], Vec<u8>)> = Vec::with_capacity(runs.len());
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (i, (k, span)) in runs.iter().enumerate() {
        merged.clear();
        if let Some(Some(v)) = olds.get(i) {
            decode_value(v, |offset, count| merged.push((offset, count)))
                .ok_or_else(|| damaged(format!("block {}", items[span.start].0)))?;
        }
        for &(block, _, offset, count) in &items[span.clone()] {
            match merged.binary_search_by_key(&offset, |&(o, _)| o) {
                Ok(j) => {
                    merged[j].1 = merged[j]
                        .1
                        .checked_add(count)
                        .ok_or_else(|| damaged(format!("block {block}")))?;
                }
                Err(j) => merged.insert(j, (offset, count)),
            }
        }
        entries.push((k.as_ref(), encode_value(&merged)));
    }
    tree.insert_sorted(&entries)?;
    Ok(())
}

/// Takes one pair off `(node, edge_type)`'s count, deleting the node from its entry at 0
/// and the entry when it empties. A count that is not there is damage: the pair being
/// removed was counted when it was written.
pub(crate) fn take_one(tree: &mut TreeMut<'_>, node: NodeId, edge_type: u32) -> Result<()> {
    let (block, offset) = (node.0 / BLOCK, node.0 % BLOCK);
    let k = key(block, edge_type);
    let missing = || {
        GraphError::corrupt(
            "degree count",
            node,
            "missing for a relationship being removed",
        )
    };
    let mut pairs: Vec<(u64, u64)> = Vec::new();
    let v = tree.get(&k)?.ok_or_else(missing)?;
    decode_value(&v, |o, c| pairs.push((o, c))).ok_or_else(|| damaged(node))?;
    let j = pairs
        .binary_search_by_key(&offset, |&(o, _)| o)
        .map_err(|_| missing())?;
    if pairs[j].1 == 1 {
        pairs.remove(j);
    } else {
        pairs[j].1 -= 1;
    }
    if pairs.is_empty() {
        tree.remove(&k)?;
    } else {
        tree.insert(&k, &encode_value(&pairs))?;
    }
    Ok(())
}

/// A node's count in one degree tree: of `edge_type`, or of every type when `None`.
pub(crate) fn node_degree(tree: &Tree<'_>, node: NodeId, edge_type: Option<u32>) -> Result<u64> {
    let (block, offset) = (node.0 / BLOCK, node.0 % BLOCK);
    let mut total = 0u64;
    let mut add = |v: &[u8]| -> Result<()> {
        decode_value(v, |o, c| {
            if o == offset {
                total = total.saturating_add(c);
            }
        })
        .ok_or_else(|| damaged(node))
    };
    if let Some(t) = edge_type {
        if let Some(v) = tree.get(&key(block, t))? {
            add(&v)?;
        }
        return Ok(total);
    }
    let mut range = tree.prefix(&block_key(block));
    while let Some(entry) = range.next_ref() {
        let (k, v) = entry?;
        decode_key(k).ok_or_else(|| damaged(node))?;
        add(&v)?;
    }
    Ok(total)
}

/// Calls `f(node, count)` for every node from `lo` (included) to `hi` (excluded) with
/// pairs of one of the types `wanted` (any when `None`), its counts of those types added,
/// in node order. A block's entries (one per type) are gathered and sorted, so each node
/// comes once.
pub(crate) fn for_each_in(
    tree: &Tree<'_>,
    lo: Option<NodeId>,
    hi: Option<NodeId>,
    wanted: Option<&[u32]>,
    mut f: impl FnMut(NodeId, u64),
) -> Result<()> {
    let from = lo.map(|n| block_key(n.0 / BLOCK));
    let until = hi.map(|n| block_key(n.0 / BLOCK + 1));
    let mut range = tree.range(
        from.as_deref().map_or(Bound::Unbounded, Bound::Included),
        until.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
    );
    let inside = |n: u64| lo.is_none_or(|l| n >= l.0) && hi.is_none_or(|h| n < h.0);
    // The current block's (offset, count), over its types.
    let (mut block, mut counts): (Option<u64>, Vec<(u64, u64)>) = (None, Vec::new());
    let mut emit = |block: u64, counts: &mut Vec<(u64, u64)>| {
        counts.sort_unstable_by_key(|&(o, _)| o);
        let mut i = 0;
        while i < counts.len() {
            let (offset, mut sum) = counts[i];
            i += 1;
            while i < counts.len() && counts[i].0 == offset {
                sum = sum.saturating_add(counts[i].1);
                i += 1;
            }
            f(NodeId(block * BLOCK + offset), sum);
        }
        counts.clear();
    };
    while let Some(entry) = range.next_ref() {
        let (k, v) = entry?;
        let (b, ty) = decode_key(k).ok_or_else(|| damaged("a key"))?;
        if block != Some(b) {
            if let Some(done) = block {
                emit(done, &mut counts);
            }
            block = Some(b);
        }
        if wanted.is_some_and(|w| !w.contains(&ty)) {
            continue;
        }
        decode_value(&v, |offset, count| {
            if inside(b * BLOCK + offset) {
                counts.push((offset, count));
            }
        })
        .ok_or_else(|| damaged(format!("block {b}")))?;
    }
    if let Some(done) = block {
        emit(done, &mut counts);
    }
    Ok(())
}

/// Calls `f(node, type, count)` for every count of a degree tree, in key order; false if
/// an entry is damaged (the scan stops there). For `check`.
pub(crate) fn each_count(tree: &Tree<'_>, mut f: impl FnMut(NodeId, u32, u64)) -> Result<bool> {
    let mut range = tree.iter();
    while let Some(entry) = range.next_ref() {
        let (k, v) = entry?;
        let Some((block, ty)) = decode_key(k) else {
            return Ok(false);
        };
        if decode_value(&v, |offset, count| {
            f(NodeId(block * BLOCK + offset), ty, count);
        })
        .is_none()
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Calls `each` with the count of every `(node, type)` of an adjacency tree, counted from
/// its chunks, in key order, from `from` (a key, included) on, until `each` returns false;
/// returns the key of the group that stopped it (`None`: the tree ended). For the upgrade
/// that builds the degree trees.
pub(crate) fn count_chunks(
    tree: &Tree<'_>,
    from: Option<&[u8]>,
    mut each: impl FnMut(Group) -> bool,
) -> Result<Option<Key>> {
    let lo = from.map_or(Bound::Unbounded, Bound::Included);
    let mut range = tree.range(lo, Bound::Unbounded);
    let mut pending: Option<Group> = None;
    let bad_chunk = || {
        GraphError::corrupt(
            "adjacency chunk",
            "",
            "damaged (a varint cut short or a pair missing its edge)",
        )
    };
    while let Some(entry) = range.next_ref() {
        let (k, v) = entry?;
        let (node, ty) = record::decode_adjacency_head(k).ok_or_else(bad_chunk)?;
        let n = adjacency::chunk_len(&v).ok_or_else(bad_chunk)?;
        match &mut pending {
            Some(p) if p.0 == node && p.1 == ty => p.2 += n,
            _ => {
                if let Some(p) = pending.replace((node, ty, n))
                    && !each(p)
                {
                    return Ok(Some(record::adjacency_prefix(node, Some(ty))));
                }
            }
        }
    }
    if let Some(p) = pending {
        each(p);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EdgeId;

    #[test]
    fn keys_and_values_round_trip_and_reject_damage() {
        for (block, ty) in [(0, 0), (300, 7), (u64::MAX / BLOCK, u32::MAX)] {
            let k = key(block, ty);
            assert_eq!(decode_key(&k), Some((block, ty)));
            assert_eq!(decode_key(&k[..k.len() - 1]), None);
            let mut longer = k.to_vec();
            longer.push(0);
            assert_eq!(decode_key(&longer), None);
        }
        assert_eq!(
            decode_key(&key(u64::MAX / BLOCK + 1, 0)),
            None,
            "ids past u64"
        );
        let pairs = [(0, 1), (5, 127), (6, 128), (63, u64::MAX)];
        let v = encode_value(&pairs);
        let mut back = Vec::new();
        assert_eq!(decode_value(&v, |o, c| back.push((o, c))), Some(()));
        assert_eq!(back, pairs);
        for bad in [
            &[][..],        // empty
            &[0, 0][..],    // a zero count
            &[0, 0x80][..], // a varint cut short
            &[64, 1][..],   // an offset past the block
            &[3, 1, 3, 1][..],
            &[3, 1, 2, 1][..], // offsets not ascending
            &[3][..],          // an offset without its count
        ] {
            assert_eq!(decode_value(bad, |_, _| {}), None, "{bad:?}");
        }
    }

    #[test]
    fn groups_count_pairs_per_node_and_type() {
        let e = |n, t, o, id| (NodeId(n), t, NodeId(o), EdgeId(id));
        let entries = [e(1, 0, 2, 1), e(1, 0, 3, 2), e(1, 1, 3, 3), e(2, 0, 1, 4)];
        assert_eq!(
            groups(&entries),
            vec![(NodeId(1), 0, 2), (NodeId(1), 1, 1), (NodeId(2), 0, 1)]
        );
        assert!(groups(&[]).is_empty());
    }
}
