//! The degree trees `g.out_deg` and `g.in_deg` (graph format 8): how many relationships
//! each node has of each type in each direction, kept apart from the adjacency so that
//! whole-graph counts (every node's degree, the two-step walks through every node) read one
//! small entry per node and type instead of every adjacency chunk.
//!
//! # Layout
//! | part | encoding | meaning |
//! |---|---|---|
//! | key | `o(node) o(type)` | the adjacency's prefix of that node's chunks of that type |
//! | value | `v(count)` | how many pairs those chunks hold (at least 1) |
//!
//! `o(x)` is the ordered varint of `record.rs` and `v(x)` a LEB128 varint. `g.out_deg`
//! counts the pairs of `g.out`, `g.in_deg` those of `g.in`; keys are in the adjacency's
//! order, so a run of nodes of one tree is the same key range in the other.
//!
//! # Invariants
//! 1. A direction's degree tree has an entry exactly for each `(node, type)` that has pairs
//!    in that direction's adjacency tree, and its count is the number of those pairs
//!    (`check` recounts them from the chunks).
//! 2. Every write of adjacency pairs writes the counts in the same transaction: inserts
//!    add each batch's pairs per `(node, type)` ([`add`]), a removal takes one off
//!    ([`take_one`]), and a count that reaches 0 is deleted. Repacking moves pairs between
//!    chunks and leaves the counts as they are.
//! 3. Decoders bounds-check: a damaged key or value is an error, never a panic.
//!
//! A database of an earlier format has no degree trees: a read-write open builds them from
//! the chunks ([`crate::WriteTxn`]'s upgrade), a read-only one reads degrees from the chunks
//! as earlier formats did.

use std::ops::Bound;

use pagegraph_storage::{TreeMut, ValueRef};

use crate::adjacency::{self, Entry};
use crate::error::{GraphError, Result};
use crate::ids::NodeId;
use crate::record::{self, adjacency_prefix, get_varint, put_varint};

/// The degree tree that counts the pairs of adjacency tree `adjacency` (`g.out` or `g.in`).
pub(crate) fn tree_of(adjacency: &str) -> &'static str {
    if adjacency == record::OUT {
        record::OUT_DEG
    } else {
        debug_assert_eq!(adjacency, record::IN);
        record::IN_DEG
    }
}

/// A change of one `(node, type)`'s count: the node, the type and how many pairs.
pub(crate) type Group = (NodeId, u32, u64);

/// The key of `(node, edge_type)`'s count.
fn key(node: NodeId, edge_type: u32) -> record::Key {
    adjacency_prefix(node, Some(edge_type))
}

/// `(node, type)` of a degree key: `None` unless it is exactly two ordered varints, the
/// second a type id.
pub(crate) fn decode_key(k: &[u8]) -> Option<(NodeId, u32)> {
    let mut at = 0;
    let node = record::get_ordered(k, &mut at)?;
    let ty = u32::try_from(record::get_ordered(k, &mut at)?).ok()?;
    (at == k.len()).then_some((NodeId(node), ty))
}

/// The count of a degree value: `None` unless it is exactly one varint, above 0.
pub(crate) fn decode_count(v: &[u8]) -> Option<u64> {
    let mut at = 0;
    let n = get_varint(v, &mut at)?;
    (at == v.len() && n > 0).then_some(n)
}

fn value(count: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(4);
    put_varint(&mut v, count);
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

/// Adds `groups` (ascending by `(node, type)`, each once) to a degree tree. Groups past the
/// tree's last key are appended without a lookup (a fresh import's, slice after slice);
/// the others read their count first, by one ordered pass over the tree's entries in the
/// groups' span when the groups are many for the tree, else by a lookup each.
pub(crate) fn add(tree: &mut TreeMut<'_>, groups: &[Group]) -> Result<()> {
    let Some(&(first_node, first_ty, _)) = groups.first() else {
        return Ok(());
    };
    debug_assert!(
        groups
            .windows(2)
            .all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)),
        "degree groups ascend"
    );
    let keys: Vec<record::Key> = groups.iter().map(|&(n, t, _)| key(n, t)).collect();
    let mut counts: Vec<u64> = groups.iter().map(|g| g.2).collect();
    let view = tree.view()?;
    let last = match view.range_rev(Bound::Unbounded, Bound::Unbounded).next() {
        Some(entry) => Some(entry?.0),
        None => None,
    };
    // The groups at or below the tree's last key may have counts already.
    let old = match &last {
        Some(last) => keys.partition_point(|k| k.as_ref() <= last.as_slice()),
        None => 0,
    };
    if old > 0 {
        let damaged = || GraphError::corrupt("degree count", format!("{first_node:?}"), "bad");
        if (old as u64).saturating_mul(16) >= view.len() {
            let hi = keys[old - 1].as_ref().to_vec();
            let mut range = view.range(
                Bound::Included(&key(first_node, first_ty)[..]),
                Bound::Included(&hi[..]),
            );
            let mut at = 0;
            while let Some(entry) = range.next_ref() {
                let (k, v) = entry?;
                while at < old && keys[at].as_ref() < k {
                    at += 1;
                }
                if at < old && keys[at].as_ref() == k {
                    counts[at] = counts[at]
                        .checked_add(decode_count(&v).ok_or_else(damaged)?)
                        .ok_or_else(damaged)?;
                }
            }
        } else {
            for (k, count) in keys[..old].iter().zip(&mut counts) {
                if let Some(v) = view.get(k)? {
                    *count = count
                        .checked_add(decode_count(&v).ok_or_else(damaged)?)
                        .ok_or_else(damaged)?;
                }
            }
        }
    }
    let entries: Vec<(&[u8], Vec<u8>)> = keys
        .iter()
        .zip(&counts)
        .map(|(k, &c)| (k.as_ref(), value(c)))
        .collect();
    tree.insert_sorted(&entries)?;
    Ok(())
}

/// Takes one pair off `(node, edge_type)`'s count, deleting it at 0. A count that is not
/// there is damage: the pair being removed was counted when it was written.
pub(crate) fn take_one(tree: &mut TreeMut<'_>, node: NodeId, edge_type: u32) -> Result<()> {
    let k = key(node, edge_type);
    let damaged = |why| GraphError::corrupt("degree count", format!("{node:?}"), why);
    let count = match tree.get(&k)? {
        Some(v) => decode_count(&v).ok_or_else(|| damaged("bad value"))?,
        None => return Err(damaged("missing for a relationship being removed")),
    };
    if count == 1 {
        tree.remove(&k)?;
    } else {
        tree.insert(&k, &value(count - 1))?;
    }
    Ok(())
}

/// Calls `f` with the count of every `(node, type)` of an adjacency tree, counted from its
/// chunks, in key order, from `from` (a key, included) on, until `f` returns false; returns
/// the key of the group that stopped it (`None`: the tree ended). For the upgrade that
/// builds the degree trees and for `check`.
pub(crate) fn count_chunks(
    tree: &pagegraph_storage::Tree<'_>,
    from: Option<&[u8]>,
    mut each: impl FnMut(Group) -> bool,
) -> Result<Option<record::Key>> {
    let lo = from.map_or(Bound::Unbounded, Bound::Included);
    let mut range = tree.range(lo, Bound::Unbounded);
    let mut pending: Option<Group> = None;
    let damaged = || {
        GraphError::corrupt(
            "adjacency chunk",
            "",
            "damaged (a varint cut short or a pair missing its edge)",
        )
    };
    while let Some(entry) = range.next_ref() {
        let (k, v) = entry?;
        let (node, ty) = record::decode_adjacency_head(k).ok_or_else(damaged)?;
        let n = adjacency::chunk_len(&v).ok_or_else(damaged)?;
        match &mut pending {
            Some(p) if p.0 == node && p.1 == ty => p.2 += n,
            _ => {
                if let Some(p) = pending.replace((node, ty, n))
                    && !each(p)
                {
                    return Ok(Some(key(node, ty)));
                }
            }
        }
    }
    if let Some(p) = pending {
        each(p);
    }
    Ok(None)
}

/// How a value of a degree tree is read by scans: its count, or damage.
pub(crate) fn entry(k: &[u8], v: ValueRef<'_>) -> Option<Group> {
    let ValueRef::Inline(v) = v else {
        return None;
    };
    let (node, ty) = decode_key(k)?;
    Some((node, ty, decode_count(v)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EdgeId;

    #[test]
    fn keys_and_counts_round_trip_and_reject_damage() {
        for (node, ty) in [(1, 0), (300, 7), (u64::MAX, u32::MAX)] {
            let k = key(NodeId(node), ty);
            assert_eq!(decode_key(&k), Some((NodeId(node), ty)));
            assert_eq!(decode_key(&k[..k.len() - 1]), None);
            let mut longer = k.to_vec();
            longer.push(0);
            assert_eq!(decode_key(&longer), None);
        }
        for c in [1, 127, 128, 1 << 40, u64::MAX] {
            let v = value(c);
            assert_eq!(decode_count(&v), Some(c));
            assert_eq!(decode_count(&v[..v.len() - 1]), None);
        }
        assert_eq!(
            decode_count(&value(0)),
            None,
            "a zero count is never written"
        );
        assert_eq!(decode_count(&[1, 1]), None);
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
