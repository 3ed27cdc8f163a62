//! The adjacency trees `g.out` and `g.in`: a node's neighbors of one edge type, kept as
//! chunks of sorted `(other, edge)` pairs.
//!
//! # Layout (graph format 3)
//! Each entry of `g.out` (`g.in`) is one *chunk* of the pairs of one `(node, type)`:
//!
//! | part | encoding | meaning |
//! |---|---|---|
//! | key | `o(node) o(type) o(other) o(edge)` | the chunk's first (smallest) pair |
//! | value | per further pair: `v(other - previous other)`, `v(zigzag(edge - previous edge))` | the chunk's other pairs, in order |
//!
//! `o(x)` is the ordered varint of `record.rs` and `v(x)` a LEB128 varint; `zigzag` maps a
//! signed difference to an unsigned one (0, -1, 1, -2, ... to 0, 1, 2, 3, ...). For
//! `g.out`, `node` is the edge's source and `other` its target; for `g.in` the reverse.
//!
//! # Invariants
//! 1. In a chunk, pairs strictly increase, by `other` then `edge`: a zero `other`
//!    difference comes with a positive `edge` difference.
//! 2. Chunks of one `(node, type)` do not overlap: every pair of a chunk is below the next
//!    chunk's first pair. With 1, a node's pairs read in key order are sorted and distinct.
//! 3. A chunk's value is at most [`CHUNK_MAX`] bytes when written: [`pack`] measures each
//!    pair with the same encoder that writes it. Decoders accept any length and bounds-check
//!    every varint, so damage is an error, never a panic or a read past the value.
//! 4. An empty value is a chunk of one pair: graph format 2's trees (one key per edge, no
//!    value) are format 3 trees as they are.
//! 5. Every pair is exactly one edge record's entry in that direction, held by the main tree
//!    or by its delta tree (graph format 10, [`delta`]), never both (checked by `check`
//!    through multiset fingerprints of the two merged).
//!
//! An insert rewrites only the chunks its pairs fall into (a chunk that grows past
//! [`CHUNK_MAX`] is split), a removal only the chunk that held the pair (an emptied chunk
//! is deleted; chunks are not merged back, `compact` repacks them). So a write still
//! touches only adjacency pages, never a node record's page. A batch small beside the
//! graph goes to the delta tree instead, with the same layout ([`delta`]); the functions
//! here work on either tree.

pub(crate) mod delta;

use std::ops::Bound;

use pagegraph_storage::{Tree, TreeMut};

use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};
use crate::record::{
    Key, adjacency_between, adjacency_key, adjacency_prefix, decode_adjacency_full, get_varint,
    put_varint, unzigzag, zigzag,
};

/// Most value bytes a chunk is written with: small enough that an insert rewrites little,
/// large enough that the key and cell overhead are shared by dozens of pairs.
pub(crate) const CHUNK_MAX: usize = 240;

/// A neighbor and the edge to it.
pub(crate) type Pair = (NodeId, EdgeId);

/// An adjacency entry before encoding: (node, edge type, other end, edge).
pub(crate) type Entry = (NodeId, u32, NodeId, EdgeId);

/// Entries of a batch (or chunks of a repack) handled at once: bounds the memory of the
/// chunks rewritten. Small in unit tests, so that they cross slice boundaries.
pub(crate) const SLICE_ENTRIES: usize = if cfg!(test) { 64 } else { 1 << 18 };

/// Appends the encoding of `cur`, which follows `prev` in a chunk.
fn put_pair(out: &mut Vec<u8>, prev: Pair, cur: Pair) {
    debug_assert!(cur > prev, "chunk pairs must increase");
    put_varint(out, cur.0.0 - prev.0.0);
    put_varint(out, zigzag(cur.1.0.wrapping_sub(prev.1.0)));
}

/// Calls `f` with each pair of a chunk: `first` (from its key), then those of `value`.
/// `None` if the value is damaged: a truncated varint, pairs out of order, an id past
/// `u64::MAX`. Pairs before the damage have been passed to `f`.
#[inline]
pub(crate) fn decode_chunk(first: Pair, value: &[u8], mut f: impl FnMut(Pair)) -> Option<()> {
    f(first);
    let (mut other, mut edge, mut at) = (first.0.0, first.1.0, 0);
    while at < value.len() {
        let d_other = get_varint(value, &mut at)?;
        let d_edge = unzigzag(get_varint(value, &mut at)?);
        let next = edge.wrapping_add(d_edge);
        if d_other == 0 && next <= edge {
            return None;
        }
        other = other.checked_add(d_other)?;
        edge = next;
        f((NodeId(other), EdgeId(edge)));
    }
    Some(())
}

/// The number of pairs of a chunk whose value is `value`: its first pair (in the key) and
/// one per two varints of the value, counted from the varints' last bytes (the bytes below
/// 0x80) eight at a time, without decoding them. `None` if the value does not end a pair:
/// a truncated last varint, or an odd number of varints. (Damage that keeps the varints
/// whole, such as pairs out of order, is found by a decode or by `check`, not here.)
#[inline]
pub(crate) fn chunk_len(value: &[u8]) -> Option<u64> {
    if value.last().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let mut ends = 0u64;
    let mut words = value.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().ok()?);
        // One per byte below 0x80, summed into the top byte by one multiplication (at most
        // 8: no carry between bytes), which is cheaper than a population count on targets
        // built without the instruction.
        let ones = (!x & 0x8080_8080_8080_8080) >> 7;
        ends += ones.wrapping_mul(0x0101_0101_0101_0101) >> 56;
    }
    for b in words.remainder() {
        ends += u64::from(*b < 0x80);
    }
    ends.is_multiple_of(2).then_some(1 + ends / 2)
}

/// How many pairs of `node`'s chunk (first pair `first`, then `value`) have `node` itself
/// as their other end: its self-loops there. Pairs are sorted by other end, so only those
/// up to `node` are decoded. `None` if what it decodes is damaged.
#[inline]
pub(crate) fn self_loops_in(node: NodeId, first: Pair, value: &[u8]) -> Option<u64> {
    if first.0 > node {
        return Some(0);
    }
    let mut loops = u64::from(first.0 == node);
    let (mut other, mut at) = (first.0.0, 0);
    while at < value.len() {
        let d_other = get_varint(value, &mut at)?;
        get_varint(value, &mut at)?;
        other = other.checked_add(d_other)?;
        if other > node.0 {
            break;
        }
        loops += u64::from(other == node.0);
    }
    Some(loops)
}

/// Decodes one chunk (its key and value) into `f(node, type, other, edge)` calls; `None`
/// if the key or the value is damaged.
#[inline]
pub(crate) fn decode_entry(
    key: &[u8],
    value: &[u8],
    mut f: impl FnMut(NodeId, u32, NodeId, EdgeId),
) -> Option<()> {
    let (node, ty, other, edge) = decode_adjacency_full(key)?;
    decode_chunk((other, edge), value, |(o, e)| f(node, ty, o, e))
}

/// Packs sorted, distinct pairs into chunks of at most [`CHUNK_MAX`] value bytes, calling
/// `f(first pair, value)` for each, in order.
pub(crate) fn pack(pairs: &[Pair], mut f: impl FnMut(Pair, &[u8])) {
    let mut buf = Vec::with_capacity(CHUNK_MAX + 20);
    let mut i = 0;
    while let Some(&first) = pairs.get(i) {
        buf.clear();
        let mut prev = first;
        i += 1;
        while let Some(&cur) = pairs.get(i) {
            let mark = buf.len();
            put_pair(&mut buf, prev, cur);
            if buf.len() > CHUNK_MAX {
                buf.truncate(mark);
                break;
            }
            prev = cur;
            i += 1;
        }
        debug_assert!(buf.len() <= CHUNK_MAX);
        f(first, &buf);
    }
}

fn damaged(node: NodeId) -> GraphError {
    GraphError::corrupt("adjacency chunk", node, "bad entry")
}

/// Calls `f(type, other, edge)` for each of `node`'s pairs in `tree` (of one type if
/// given), in order: one descent, then the chunks in the leaf.
pub(crate) fn for_each_pair(
    tree: &Tree<'_>,
    node: NodeId,
    ty: Option<u32>,
    mut f: impl FnMut(u32, NodeId, EdgeId),
) -> Result<()> {
    let mut bad = false;
    tree.for_each_entry_with_prefix(&adjacency_prefix(node, ty), |k, v| {
        if !bad && decode_entry(k, v, |_, t, o, e| f(t, o, e)).is_none() {
            bad = true;
        }
    })?;
    if bad {
        return Err(damaged(node));
    }
    Ok(())
}

/// The edges of type `ty` from `node` to `other` in `tree`, in id order: the chunks whose
/// key names `other`, and the one before them, which may hold its first pairs.
pub(crate) fn edges_between(
    tree: &Tree<'_>,
    node: NodeId,
    ty: u32,
    other: NodeId,
) -> Result<Vec<EdgeId>> {
    let between = adjacency_between(node, ty, other);
    let prefix = adjacency_prefix(node, Some(ty));
    let mut found = Vec::new();
    let mut keep = |_, _, o: NodeId, e| {
        if o == other {
            found.push(e);
        }
    };
    let mut back = tree.range_rev(Bound::Excluded(&prefix), Bound::Excluded(&between));
    if let Some(entry) = back.next_ref() {
        let (k, v) = entry?;
        decode_entry(k, &v, &mut keep).ok_or_else(|| damaged(node))?;
    }
    let mut bad = false;
    tree.for_each_entry_with_prefix(&between, |k, v| {
        if !bad && decode_entry(k, v, &mut keep).is_none() {
            bad = true;
        }
    })?;
    if bad {
        return Err(damaged(node));
    }
    Ok(found)
}

/// A chunk read for a rewrite: its key, first pair and value.
struct Chunk {
    key: Vec<u8>,
    first: Pair,
    value: Vec<u8>,
}

impl Chunk {
    /// Decodes the chunk's pairs into `out` (cleared first).
    fn pairs_into(&self, node: NodeId, out: &mut Vec<Pair>) -> Result<()> {
        out.clear();
        decode_chunk(self.first, &self.value, |p| out.push(p)).ok_or_else(|| damaged(node))
    }
}

/// Buffers a batch reuses from one group to the next.
#[derive(Default)]
struct Scratch {
    old: Vec<Pair>,
    merged: Vec<Pair>,
}

/// The chunks of `(node, ty)` that pairs from `min` to `max` fall into, ascending: those
/// with a first pair up to `max`, back to the last one whose first pair is at most `min`
/// (or the node's first chunk). One descent, then steps back.
fn chunks_around(
    tree: &Tree<'_>,
    node: NodeId,
    ty: u32,
    min: Pair,
    max: Pair,
) -> Result<Vec<Chunk>> {
    let prefix = adjacency_prefix(node, Some(ty));
    let hi = adjacency_key(node, ty, max.0, max.1);
    let mut back = tree.range_rev(Bound::Excluded(&prefix), Bound::Included(&hi));
    let mut out = Vec::new();
    while let Some(entry) = back.next_ref() {
        let (k, v) = entry?;
        let (_, _, o, e) = decode_adjacency_full(k).ok_or_else(|| damaged(node))?;
        out.push(Chunk {
            key: k.to_vec(),
            first: (o, e),
            value: v.into_owned(),
        });
        if (o, e) <= min {
            break;
        }
    }
    out.reverse();
    Ok(out)
}

/// Merges two sorted lists of pairs into `out` (cleared first), dropping duplicates.
fn merge_into(a: &[Pair], b: &[Pair], out: &mut Vec<Pair>) {
    out.clear();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
}

/// Chunks to write, in key order: keys with their values' spans in one byte buffer (no
/// allocation per chunk).
#[derive(Default)]
struct Puts {
    entries: Vec<(Key, usize, usize)>,
    bytes: Vec<u8>,
}

impl Puts {
    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The key of the `i`-th chunk.
    fn key(&self, i: usize) -> Option<&[u8]> {
        self.entries.get(i).map(|(k, _, _)| k.as_ref())
    }

    /// Writes the chunks into `tree` in one pass.
    fn write(&self, tree: &mut TreeMut<'_>) -> Result<()> {
        tree.insert_many(
            self.entries
                .iter()
                .map(|(k, a, b)| (k.as_ref(), &self.bytes[*a..*b])),
        )?;
        Ok(())
    }
}

/// The chunks of `pairs` of `(node, ty)` as tree entries.
fn packed(node: NodeId, ty: u32, pairs: &[Pair], puts: &mut Puts) {
    pack(pairs, |(o, e), v| {
        let at = puts.bytes.len();
        puts.bytes.extend_from_slice(v);
        puts.entries
            .push((adjacency_key(node, ty, o, e), at, puts.bytes.len()));
    });
}

/// Adds new pairs of one `(node, ty)` to the chunks they fall into (`existing`, from
/// [`chunks_around`]): the keys to remove and the chunks to write.
fn merge_group(
    node: NodeId,
    ty: u32,
    new: &[Pair],
    existing: &[Chunk],
    scratch: &mut Scratch,
    removes: &mut Vec<Vec<u8>>,
    puts: &mut Puts,
) -> Result<()> {
    if existing.is_empty() {
        packed(node, ty, new, puts);
        return Ok(());
    }
    let mut rest = new;
    for (i, chunk) in existing.iter().enumerate() {
        // Pairs below the next chunk's first belong to this one (the first chunk also
        // takes those below its own first pair).
        let take = match existing.get(i + 1) {
            Some(next) => rest.partition_point(|&p| p < next.first),
            None => rest.len(),
        };
        let (mine, later) = rest.split_at(take);
        rest = later;
        if mine.is_empty() {
            continue;
        }
        chunk.pairs_into(node, &mut scratch.old)?;
        merge_into(&scratch.old, mine, &mut scratch.merged);
        let at = puts.len();
        packed(node, ty, &scratch.merged, puts);
        if puts.key(at) != Some(chunk.key.as_slice()) {
            removes.push(chunk.key.clone());
        }
    }
    Ok(())
}

/// Adds `entries` (sorted by node, type, other, edge; pairs not in the tree yet) to
/// `tree`, rewriting only the chunks they fall into. Into an empty tree the chunks are
/// packed and appended without a read. Otherwise each slice of the batch finds its chunks
/// either by one descent per `(node, type)` (a sparse slice) or by one forward scan of the
/// key range it spans (a dense one, such as a batch of random edges over all nodes), then
/// removes the keys that changed and writes the new chunks in key order.
pub(crate) fn insert_sorted(tree: &mut TreeMut<'_>, entries: &[Entry]) -> Result<()> {
    insert_sorted_by(tree, entries, None)
}

/// The chunks of sorted entries, each `(node, type)` group packed whole, ready to be
/// appended ([`Chunks::append`]); no tree is read, so any thread can pack them.
pub(crate) fn pack_entries(entries: &[Entry]) -> Chunks {
    debug_assert!(entries.is_sorted(), "adjacency entries must come sorted");
    let mut puts = Puts::default();
    let mut pairs = Vec::new();
    for group in entries.chunk_by(same_group) {
        pairs.clear();
        pairs.extend(group.iter().map(|e| (e.2, e.3)));
        pairs.dedup();
        packed(group[0].0, group[0].1, &pairs, &mut puts);
    }
    Chunks(puts)
}

/// Packed chunks of whole `(node, type)` groups, from [`pack_entries`].
pub(crate) struct Chunks(Puts);

impl Chunks {
    /// Appends the chunks to a tree holding no key at or after their first (a bulk load
    /// into a tree that was empty, a slice at a time), in one pass.
    pub(crate) fn append(&self, tree: &mut TreeMut<'_>) -> Result<()> {
        self.0.write(tree)
    }
}

/// [`insert_sorted`], with the way each slice finds its chunks forced (`Some(true)`: the
/// scan; `Some(false)`: descents) or chosen by [`dense`] (`None`).
fn insert_sorted_by(tree: &mut TreeMut<'_>, entries: &[Entry], scan: Option<bool>) -> Result<()> {
    debug_assert!(entries.is_sorted(), "adjacency entries must come sorted");
    let fresh = tree.is_empty()?;
    let mut rest = entries;
    while !rest.is_empty() {
        // A slice of whole groups, so that its rewritten chunks stay bounded in memory.
        let mut end = SLICE_ENTRIES.min(rest.len());
        while end < rest.len() && same_group(&rest[end - 1], &rest[end]) {
            end += 1;
        }
        let (slice, tail) = rest.split_at(end);
        rest = tail;
        let mut removes = Vec::new();
        let mut puts = Puts::default();
        let mut scratch = Scratch::default();
        {
            let view = if fresh { None } else { Some(tree.view()?) };
            let mut scan = match &view {
                Some(v) if scan.map_or_else(|| dense(v, slice), Ok)? => Some(Scan::new(v, slice)),
                _ => None,
            };
            let mut new = Vec::new();
            for group in slice.chunk_by(same_group) {
                let (node, ty) = (group[0].0, group[0].1);
                new.clear();
                new.extend(group.iter().map(|e| (e.2, e.3)));
                new.dedup();
                let (min, max) = (new[0], new[new.len() - 1]);
                let existing = match (&view, &mut scan) {
                    (_, Some(scan)) => scan.chunks(node, ty, min, max)?,
                    (Some(v), None) => chunks_around(v, node, ty, min, max)?,
                    (None, None) => Vec::new(),
                };
                merge_group(
                    node,
                    ty,
                    &new,
                    &existing,
                    &mut scratch,
                    &mut removes,
                    &mut puts,
                )?;
            }
        }
        for k in &removes {
            tree.remove(k)?;
        }
        puts.write(tree)?;
    }
    Ok(())
}

fn same_group(a: &Entry, b: &Entry) -> bool {
    a.0 == b.0 && a.1 == b.1
}

/// Whether a slice's groups are many for the chunks of the node range they span, so that
/// scanning that range beats a descent per group. The tree's chunks are taken as spread
/// evenly over node ids up to its last key's node.
fn dense(tree: &Tree<'_>, slice: &[Entry]) -> Result<bool> {
    let (Some(first), Some(last)) = (slice.first(), slice.last()) else {
        return Ok(false);
    };
    let mut back = tree.range_rev(Bound::Unbounded, Bound::Unbounded);
    let Some(entry) = back.next_ref() else {
        return Ok(false);
    };
    let (key, _) = entry?;
    let top = decode_adjacency_full(key).map_or(1, |(n, ..)| n.0.max(1));
    let span = last
        .0
        .0
        .saturating_sub(first.0.0)
        .saturating_add(1)
        .min(top);
    let chunks_in_span = u128::from(tree.len()) * u128::from(span) / u128::from(top);
    let groups = slice.chunk_by(same_group).count() as u128;
    // A descent costs about as much as stepping over a few dozen chunks of a leaf.
    Ok(groups * 16 >= chunks_in_span)
}

/// A forward scan of the chunks of a slice's node range, handing each group the chunks it
/// falls into (as [`chunks_around`] would), in one pass.
struct Scan<'t> {
    range: pagegraph_storage::Range<'t>,
    /// A chunk read past the last group's chunks, for the next group.
    pending: Option<(NodeId, u32, Chunk)>,
    done: bool,
}

impl<'t> Scan<'t> {
    fn new(tree: &Tree<'t>, slice: &[Entry]) -> Scan<'t> {
        let lo = adjacency_prefix(slice[0].0, None);
        let last = slice[slice.len() - 1].0;
        let range = match last.0.checked_add(1) {
            Some(next) => tree.range(
                Bound::Included(&lo),
                Bound::Excluded(&adjacency_prefix(NodeId(next), None)),
            ),
            None => tree.range(Bound::Included(&lo), Bound::Unbounded),
        };
        Scan {
            range,
            pending: None,
            done: false,
        }
    }

    /// The chunks of `(node, ty)` that pairs from `min` to `max` fall into. Groups must be
    /// asked for in key order. Chunks of other runs are passed over without a copy.
    fn chunks(&mut self, node: NodeId, ty: u32, min: Pair, max: Pair) -> Result<Vec<Chunk>> {
        let mut base: Option<Chunk> = None;
        let mut out = Vec::new();
        loop {
            let (n, t, chunk) = if let Some(p) = self.pending.take() {
                p
            } else {
                if self.done {
                    break;
                }
                let Some(entry) = self.range.next_ref() else {
                    self.done = true;
                    break;
                };
                let (key, value) = entry?;
                let (n, t, other, edge) = decode_adjacency_full(key)
                    .ok_or_else(|| GraphError::corrupt("adjacency chunk", "", "bad key"))?;
                if (n, t) < (node, ty) || ((n, t) == (node, ty) && (other, edge) > max) {
                    // Another run's, or past this group's pairs: no copy.
                    continue;
                }
                let chunk = Chunk {
                    key: key.to_vec(),
                    first: (other, edge),
                    value: value.into_owned(),
                };
                (n, t, chunk)
            };
            if (n, t) > (node, ty) {
                self.pending = Some((n, t, chunk));
                break;
            }
            if (n, t) < (node, ty) {
                continue;
            }
            if chunk.first <= min {
                base = Some(chunk);
            } else if chunk.first <= max {
                out.push(chunk);
            }
        }
        if let Some(b) = base {
            out.insert(0, b);
        }
        Ok(out)
    }
}

/// Removes the pair `(other, edge)` from `node`'s chunks of type `ty`; false if it was not
/// there.
pub(crate) fn remove(
    tree: &mut TreeMut<'_>,
    node: NodeId,
    ty: u32,
    other: NodeId,
    edge: EdgeId,
) -> Result<bool> {
    let target = (other, edge);
    let chunk = {
        let view = tree.view()?;
        // The last chunk whose first pair is at most the target, if any.
        match chunks_around(&view, node, ty, target, target)?
            .into_iter()
            .next()
        {
            Some(c) if c.first <= target => c,
            _ => return Ok(false),
        }
    };
    let mut pairs = Vec::new();
    chunk.pairs_into(node, &mut pairs)?;
    let Ok(at) = pairs.binary_search(&target) else {
        return Ok(false);
    };
    pairs.remove(at);
    let mut puts = Puts::default();
    packed(node, ty, &pairs, &mut puts);
    if puts.key(0) != Some(chunk.key.as_slice()) {
        tree.remove(&chunk.key)?;
    }
    puts.write(tree)?;
    Ok(true)
}

/// Repacks `tree`: each `(node, type)` whose pairs would fit in fewer chunks than it has
/// (one-pair chunks of graph format 2, chunks split by inserts or thinned by removals) is
/// rewritten as full chunks. Returns how many runs were rewritten. Reads the tree in order,
/// a slice of runs at a time, so memory stays bounded.
pub(crate) fn repack(tree: &mut TreeMut<'_>) -> Result<u64> {
    let mut rewritten = 0;
    let mut from: Option<Vec<u8>> = None;
    loop {
        let mut out = Rewrite::default();
        // The last key of the slice's last whole run, if the slice stopped before the end.
        let mut stopped_after = None;
        {
            let view = tree.view()?;
            let lo = from.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            let mut range = view.range(lo, Bound::Unbounded);
            // The run being read: its node and type, keys and pairs.
            let mut run: Option<(NodeId, u32)> = None;
            let mut keys: Vec<Vec<u8>> = Vec::new();
            let mut pairs: Vec<Pair> = Vec::new();
            while let Some(entry) = range.next_ref() {
                let (key, value) = entry?;
                let (node, ty, other, edge) = decode_adjacency_full(key)
                    .ok_or_else(|| GraphError::corrupt("adjacency chunk", "", "bad key"))?;
                if let Some(r) = run.filter(|&r| r != (node, ty)) {
                    let last = keys.last().cloned();
                    rewritten += out.finish(r, &mut keys, &mut pairs);
                    // A slice ends between runs: written before reading on.
                    if out.len() >= SLICE_ENTRIES {
                        stopped_after = last;
                        run = None;
                        break;
                    }
                }
                run = Some((node, ty));
                keys.push(key.to_vec());
                decode_chunk((other, edge), &value, |p| pairs.push(p))
                    .ok_or_else(|| damaged(node))?;
            }
            if let Some(r) = run {
                rewritten += out.finish(r, &mut keys, &mut pairs);
            }
        }
        for k in &out.removes {
            tree.remove(k)?;
        }
        out.puts.write(tree)?;
        match stopped_after {
            Some(k) => from = Some(k),
            None => return Ok(rewritten),
        }
    }
}

/// The keys a repack removes and the chunks it writes.
#[derive(Default)]
struct Rewrite {
    removes: Vec<Vec<u8>>,
    puts: Puts,
}

impl Rewrite {
    fn len(&self) -> usize {
        self.removes.len() + self.puts.len()
    }

    /// Ends a run: rewritten (1 returned) if its pairs fit in fewer chunks than `keys`.
    fn finish(
        &mut self,
        run: (NodeId, u32),
        keys: &mut Vec<Vec<u8>>,
        pairs: &mut Vec<Pair>,
    ) -> u64 {
        // Packed once; taken back when it saves no chunk.
        let (at, bytes) = (self.puts.entries.len(), self.puts.bytes.len());
        packed(run.0, run.1, pairs, &mut self.puts);
        let fewer = self.puts.entries.len() - at < keys.len();
        if fewer {
            self.removes.append(keys);
        } else {
            self.puts.entries.truncate(at);
            self.puts.bytes.truncate(bytes);
        }
        keys.clear();
        pairs.clear();
        u64::from(fewer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(u64, u64)]) -> Vec<Pair> {
        v.iter().map(|&(o, e)| (NodeId(o), EdgeId(e))).collect()
    }

    fn roundtrip(input: &[Pair]) -> Vec<Vec<Pair>> {
        let mut chunks = Vec::new();
        pack(input, |first, v| {
            assert!(v.len() <= CHUNK_MAX);
            let mut c = Vec::new();
            decode_chunk(first, v, |p| c.push(p)).unwrap();
            chunks.push(c);
        });
        chunks
    }

    /// Chunk counts without decoding equal the decoded chunk's length and self-loops, for
    /// chunks of small and large ids (one to ten varint bytes), repeated other ends and
    /// every node position; a value cut anywhere inside a varint is refused.
    #[test]
    fn chunk_counts_equal_decoded_chunks() {
        let mut rng = fastrand::Rng::with_seed(19);
        for round in 0..400 {
            let span = [1u64 << 3, 1 << 14, 1 << 40, u64::MAX / 4][round % 4];
            let mut input: Vec<Pair> = (0..rng.usize(1..300))
                .map(|_| (NodeId(rng.u64(0..span)), EdgeId(rng.u64(0..span))))
                .collect();
            input.sort_unstable();
            input.dedup();
            let node = match rng.u8(0..3) {
                0 => input[rng.usize(0..input.len())].0,
                1 => NodeId(rng.u64(0..span)),
                _ => NodeId(span),
            };
            pack(&input, |first, v| {
                let mut decoded = Vec::new();
                decode_chunk(first, v, |p| decoded.push(p)).unwrap();
                assert_eq!(chunk_len(v), Some(decoded.len() as u64));
                let loops = decoded.iter().filter(|p| p.0 == node).count() as u64;
                assert_eq!(self_loops_in(node, first, v), Some(loops));
                // Cut inside the last varint: refused by both.
                if v.last().is_some() {
                    let mut cut = v.to_vec();
                    *cut.last_mut().unwrap() |= 0x80;
                    assert_eq!(chunk_len(&cut), None);
                }
            });
        }
        // One varint alone is half a pair.
        assert_eq!(chunk_len(&[5]), None);
        assert_eq!(chunk_len(&[5, 0x81, 1]), Some(2));
        assert_eq!(chunk_len(&[]), Some(1));
    }

    #[test]
    fn pack_and_decode_agree() {
        let mut rng = fastrand::Rng::with_seed(7);
        for n in [0usize, 1, 2, 40, 41, 500, 10_000] {
            let mut input: Vec<Pair> = (0..n)
                .map(|_| {
                    (
                        NodeId(rng.u64(0..1 << 40)),
                        EdgeId(rng.u64(0..u64::MAX / 2)),
                    )
                })
                .collect();
            input.push((NodeId(5), EdgeId(u64::MAX / 2)));
            input.push((NodeId(5), EdgeId(1)));
            input.sort_unstable();
            input.dedup();
            let chunks = roundtrip(&input);
            let flat: Vec<Pair> = chunks.iter().flatten().copied().collect();
            assert_eq!(flat, input);
            // Chunks are full except the last: one more pair would not have fit.
            for c in chunks.iter().rev().skip(1) {
                assert!(c.len() > 1);
            }
        }
    }

    #[test]
    fn damaged_values_are_refused() {
        let first = (NodeId(10), EdgeId(10));
        let mut v = Vec::new();
        put_pair(&mut v, first, (NodeId(12), EdgeId(3)));
        // Truncated varint.
        assert!(decode_chunk(first, &[0x80], |_| {}).is_none());
        // A second pair with the same neighbor and a lower edge.
        assert!(decode_chunk(first, &[0, 1], |_| {}).is_none());
        // A neighbor past u64::MAX.
        let mut big = Vec::new();
        put_varint(&mut big, u64::MAX);
        put_varint(&mut big, 0);
        assert!(decode_chunk(first, &big, |_| {}).is_none());
        let mut seen = Vec::new();
        decode_chunk(first, &v, |p| seen.push(p)).unwrap();
        assert_eq!(seen, pairs(&[(10, 10), (12, 3)]));
    }

    /// Both ways of finding a batch's chunks (a descent per group, one scan of the range)
    /// leave the tree holding exactly the model's pairs, across batches and removals.
    #[test]
    fn descents_and_scans_agree_with_a_model() {
        use std::collections::{BTreeMap, BTreeSet};
        use std::sync::Arc;

        use pagegraph_storage::file::MemVfs;
        use pagegraph_storage::{Database, Options};

        for (seed, mode) in [(1, Some(true)), (2, Some(false)), (3, None)] {
            let db = Database::open_with_vfs(
                Arc::new(MemVfs::new()),
                std::path::Path::new("/chunks.pgdb"),
                Options::default(),
            )
            .unwrap();
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut model: BTreeSet<Entry> = BTreeSet::new();
            let mut next_edge = 1;
            for round in 0..20 {
                let mut tx = db.begin_write().unwrap();
                let mut batch: Vec<Entry> = (0..rng.usize(1..2000))
                    .map(|_| {
                        next_edge += 1;
                        let node = if rng.u8(0..4) == 0 {
                            1
                        } else {
                            rng.u64(1..400)
                        };
                        (
                            NodeId(node),
                            rng.u32(1..3),
                            NodeId(rng.u64(1..400)),
                            EdgeId(next_edge),
                        )
                    })
                    .collect();
                batch.sort_unstable();
                insert_sorted_by(&mut tx.tree("adj").unwrap(), &batch, mode).unwrap();
                model.extend(batch);
                // Remove a few, some of them first pairs of their chunks.
                for _ in 0..rng.usize(0..200) {
                    let Some(&e) = model.iter().nth(rng.usize(0..model.len())) else {
                        break;
                    };
                    let mut t = tx.tree("adj").unwrap();
                    assert!(remove(&mut t, e.0, e.1, e.2, e.3).unwrap(), "round {round}");
                    assert!(!remove(&mut t, e.0, e.1, e.2, e.3).unwrap());
                    model.remove(&e);
                }
                tx.commit().unwrap();
                let r = db.begin_read().unwrap();
                let tree = r.tree("adj").unwrap().unwrap();
                let mut got = Vec::new();
                for entry in &tree {
                    let (k, v) = entry.unwrap();
                    assert!(v.len() <= CHUNK_MAX);
                    decode_entry(&k, &v, |n, t, o, e| got.push((n, t, o, e))).unwrap();
                }
                assert_eq!(
                    got,
                    model.iter().copied().collect::<Vec<_>>(),
                    "round {round}"
                );
            }
            // Format 2's one-pair chunks beside the packed ones, then a repack: the same
            // pairs, each run in as few chunks as `pack` makes.
            let mut tx = db.begin_write().unwrap();
            let mut t = tx.tree("adj").unwrap();
            for node in 500..520u64 {
                for k in 0..(node - 490) {
                    let e = (
                        NodeId(node),
                        1,
                        NodeId(k * 3),
                        EdgeId(1_000_000 + node * 100 + k),
                    );
                    t.insert(&adjacency_key(e.0, e.1, e.2, e.3), &[]).unwrap();
                    model.insert(e);
                }
            }
            assert!(repack(&mut t).unwrap() >= 20);
            assert_eq!(
                repack(&mut t).unwrap(),
                0,
                "a second repack finds nothing to do"
            );
            let mut chunks: BTreeMap<(NodeId, u32), usize> = BTreeMap::new();
            let mut got = Vec::new();
            for entry in &t.view().unwrap() {
                let (k, v) = entry.unwrap();
                decode_entry(&k, &v, |n, ty, o, e| got.push((n, ty, o, e))).unwrap();
                let (n, ty, ..) = decode_adjacency_full(&k).unwrap();
                *chunks.entry((n, ty)).or_default() += 1;
            }
            assert_eq!(got, model.iter().copied().collect::<Vec<_>>());
            for (&(n, ty), &have) in &chunks {
                let run: Vec<Pair> = model
                    .iter()
                    .filter(|e| e.0 == n && e.1 == ty)
                    .map(|e| (e.2, e.3))
                    .collect();
                let mut least = 0;
                pack(&run, |_, _| least += 1);
                assert_eq!(have, least, "node {n} type {ty}");
            }
        }
    }

    #[test]
    fn merge_keeps_order_and_drops_duplicates() {
        let a = pairs(&[(1, 1), (3, 3), (5, 5)]);
        let b = pairs(&[(2, 2), (3, 3), (6, 6)]);
        assert_eq!(
            {
                let mut out = Vec::new();
                merge_into(&a, &b, &mut out);
                out
            },
            pairs(&[(1, 1), (2, 2), (3, 3), (5, 5), (6, 6)])
        );
    }
}
