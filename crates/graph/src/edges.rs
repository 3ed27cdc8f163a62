//! The edge records tree `g.edges`: records of consecutive edges without data packed
//! into chunks.
//!
//! # Layout (graph format 4)
//! Each entry of `g.edges` is a *chunk* of one or more edge records, in id order:
//!
//! | part | encoding | meaning |
//! |---|---|---|
//! | key | `o(first)` | the chunk's first (smallest) edge id |
//! | head | `v(from) v(to) v(type)` | the first edge's ends and type |
//! | tail | nothing | the chunk is that edge alone, without data |
//! | | data: a binary object (`01` ...) or JSON text (`data.rs`) | the chunk is that edge alone, with this data |
//! | | `0x00`, then per further edge: `v(gap << 1 \| new type)`, `v(zigzag(from - previous from))`, `v(zigzag(to - previous to))`, and `v(type)` if new type | the first edge and the further ones have no data |
//!
//! `o(x)` is the ordered varint and `v(x)` the LEB128 varint of `record.rs`; `gap` is the
//! number of ids skipped since the previous edge (0 for consecutive ids, which import
//! batches hand out); `zigzag` is that of `record.rs`. An edge "without data" is one whose
//! data is JSON `null`: it is read back as `null`.
//!
//! # Invariants
//! 1. Ids strictly increase within a chunk, and every id of a chunk is below the next
//!    chunk's key: chunks do not overlap, so the last chunk whose key is at most an id is
//!    the only one that can hold that edge (one descent, [`with_edge`]).
//! 2. Only a chunk of one edge carries data. Neither JSON text nor a binary object starts
//!    with `0x00`, so the three tails are told apart by their first byte.
//! 3. A chunk of several edges is at most [`CHUNK_MAX`] value bytes when written: [`pack`]
//!    measures each record with the encoder that writes it. A chunk of one may be larger
//!    (its data). Decoders bounds-check every varint, so damage is a typed error, never a
//!    panic or a read past the value.
//! 4. Graph format 3 wrote one edge per key, `v(from) v(to) v(type)` then its JSON data
//!    (`null` included): a chunk of one, so format 3 trees are format 4 trees as they are.
//! 5. Every record has exactly one pair in `g.out` and one in `g.in` (checked by `check`
//!    through multiset fingerprints).
//!
//! An insert appends chunks after the last one (extending it when it holds edges without
//! data and has room); a delete or a data change rewrites the one chunk that holds the
//! edge (an edge given data leaves its chunk, splitting it). `compact` repacks runs of
//! chunks that would fit in fewer ([`repack`]).

use std::collections::VecDeque;
use std::ops::Bound;

use pagegraph_storage::{Tree, TreeMut};

use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};
use crate::record::{
    EdgeRecord, decode_id_key, edge_key, get_varint, put_varint, unzigzag, zigzag,
};

/// Most value bytes a chunk of several edges is written with.
pub(crate) const CHUNK_MAX: usize = 240;

/// The stored data of an edge without data: JSON `null`.
pub(crate) const NO_DATA: &[u8] = b"null";

/// Tail byte that starts the further records of a chunk.
const MORE: u8 = 0;

/// Chunks a repack reads before writing what it rewrote: bounds its memory.
const SLICE_CHUNKS: usize = if cfg!(test) { 16 } else { 1 << 14 };

/// An edge record with its id.
pub(crate) type Rec<'a> = (EdgeId, EdgeRecord<'a>);

fn damaged(id: impl ToString, what: &str) -> GraphError {
    GraphError::corrupt("edge", id, what)
}

/// The id of a chunk's key.
pub(crate) fn chunk_id(key: &[u8]) -> Result<EdgeId> {
    decode_id_key(key)
        .map(EdgeId)
        .ok_or_else(|| GraphError::corrupt("edge key", "", "bad"))
}

/// Calls `f(id, record)` for the edges of the chunk keyed `first`, in id order, until `f`
/// returns `false` or fails. A damaged value is an error naming the last edge read.
#[inline]
pub(crate) fn for_each_in_chunk<'v>(
    first: EdgeId,
    value: &'v [u8],
    mut f: impl FnMut(EdgeId, &EdgeRecord<'v>) -> Result<bool>,
) -> Result<()> {
    let mut at = 0;
    let head = |at: &mut usize| -> Option<(u64, u64, u32)> {
        let from = get_varint(value, at)?;
        let to = get_varint(value, at)?;
        let ty = u32::try_from(get_varint(value, at)?).ok()?;
        Some((from, to, ty))
    };
    let (mut from, mut to, mut ty) =
        head(&mut at).ok_or_else(|| damaged(first, "bad record header"))?;
    let rest = &value[at..];
    let data = match rest.first() {
        None | Some(&MORE) => NO_DATA,
        Some(_) => rest,
    };
    let record = |from, to, ty, data| EdgeRecord {
        from: NodeId(from),
        to: NodeId(to),
        edge_type: ty,
        data,
    };
    if !f(first, &record(from, to, ty, data))? || rest.first() != Some(&MORE) {
        return Ok(());
    }
    at += 1;
    let mut id = first.0;
    while at < value.len() {
        let next = (|| {
            let tag = get_varint(value, &mut at)?;
            let id = id.checked_add(tag >> 1)?.checked_add(1)?;
            let from = from.wrapping_add(unzigzag(get_varint(value, &mut at)?));
            let to = to.wrapping_add(unzigzag(get_varint(value, &mut at)?));
            let ty = match tag & 1 {
                0 => ty,
                _ => u32::try_from(get_varint(value, &mut at)?).ok()?,
            };
            Some((id, from, to, ty))
        })();
        (id, from, to, ty) = next.ok_or_else(|| damaged(id, "damaged chunk after this edge"))?;
        if !f(EdgeId(id), &record(from, to, ty, NO_DATA))? {
            break;
        }
    }
    Ok(())
}

/// Packs records, given in strictly increasing id order, into chunks; calls
/// `emit(first id, value)` for each, in order.
pub(crate) fn pack<'a>(
    records: impl IntoIterator<Item = Rec<'a>>,
    mut emit: impl FnMut(EdgeId, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut records = records.into_iter().peekable();
    let mut buf = Vec::with_capacity(CHUNK_MAX + 40);
    while let Some((first, rec)) = records.next() {
        buf.clear();
        put_varint(&mut buf, rec.from.0);
        put_varint(&mut buf, rec.to.0);
        put_varint(&mut buf, u64::from(rec.edge_type));
        if rec.data != NO_DATA {
            debug_assert!(
                rec.data.first().is_some_and(|&b| b != MORE),
                "data, not a chunk"
            );
            buf.extend_from_slice(rec.data);
            emit(first, &buf)?;
            continue;
        }
        let alone = buf.len();
        buf.push(MORE);
        let mut prev = (first, rec.from, rec.to, rec.edge_type);
        while let Some((id, next)) = records.peek() {
            if next.data != NO_DATA {
                break;
            }
            debug_assert!(*id > prev.0, "edge ids must increase");
            let mark = buf.len();
            let new_type = next.edge_type != prev.3;
            put_varint(&mut buf, ((id.0 - prev.0.0 - 1) << 1) | u64::from(new_type));
            put_varint(&mut buf, zigzag(next.from.0.wrapping_sub(prev.1.0)));
            put_varint(&mut buf, zigzag(next.to.0.wrapping_sub(prev.2.0)));
            if new_type {
                put_varint(&mut buf, u64::from(next.edge_type));
            }
            if buf.len() > CHUNK_MAX {
                buf.truncate(mark);
                break;
            }
            prev = (*id, next.from, next.to, next.edge_type);
            records.next();
        }
        if buf.len() == alone + 1 {
            buf.truncate(alone);
        }
        emit(first, &buf)?;
    }
    Ok(())
}

/// The edge records of one chunk, owned.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Owned {
    pub id: EdgeId,
    pub from: NodeId,
    pub to: NodeId,
    pub edge_type: u32,
    pub data: Vec<u8>,
}

impl Owned {
    fn of(id: EdgeId, rec: &EdgeRecord<'_>) -> Owned {
        Owned {
            id,
            from: rec.from,
            to: rec.to,
            edge_type: rec.edge_type,
            data: rec.data.to_vec(),
        }
    }

    pub(crate) fn as_rec(&self) -> Rec<'_> {
        (
            self.id,
            EdgeRecord {
                from: self.from,
                to: self.to,
                edge_type: self.edge_type,
                data: &self.data,
            },
        )
    }
}

/// `f(first id, key, value)` of the last chunk whose key is at most `id`, read in place
/// (one descent, nothing copied); `None` if there is none.
fn with_floor_chunk<T>(
    tree: &Tree<'_>,
    id: EdgeId,
    f: impl FnOnce(EdgeId, &[u8], &[u8]) -> Result<T>,
) -> Result<Option<T>> {
    let key = edge_key(id);
    tree.floor_with(&key, |k, v| f(chunk_id(k)?, k, v))?
        .transpose()
}

/// `f` of edge `id`'s record, `None` if there is no such edge.
pub(crate) fn with_edge<T>(
    tree: &Tree<'_>,
    id: EdgeId,
    f: impl FnOnce(&EdgeRecord<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let found = with_floor_chunk(tree, id, |first, _, value| {
        let mut f = Some(f);
        let mut out = None;
        for_each_in_chunk(first, value, |e, rec| {
            if e == id
                && let Some(f) = f.take()
            {
                out = Some(f(rec)?);
            }
            Ok(e < id)
        })?;
        Ok(out)
    })?;
    Ok(found.flatten())
}

/// Calls `f(id, record)` for every edge with an id of at least `from`, in id order, until
/// `f` returns `false` or fails.
pub(crate) fn each_from(
    tree: &Tree<'_>,
    from: EdgeId,
    mut f: impl FnMut(EdgeId, &EdgeRecord<'_>) -> Result<bool>,
) -> Result<()> {
    // Start at the chunk that may hold `from`, else at the first chunk after it.
    let start = with_floor_chunk(tree, from, |_, key, _| Ok(key.to_vec()))?
        .unwrap_or_else(|| edge_key(from).to_vec());
    let mut range = tree.range(Bound::Included(&start[..]), Bound::Unbounded);
    let mut go = true;
    while go && let Some(entry) = range.next_ref() {
        let (k, v) = entry?;
        for_each_in_chunk(chunk_id(k)?, &v, |id, rec| {
            if id < from {
                return Ok(true);
            }
            go = f(id, rec)?;
            Ok(go)
        })?;
    }
    Ok(())
}

/// Every edge record in id order, owned, as an iterator: a chunk is decoded at a time.
/// Damage arrives as an `Err` item, after which the iterator ends.
pub(crate) struct Records<'t> {
    range: Option<pagegraph_storage::Range<'t>>,
    ready: VecDeque<Owned>,
}

impl<'t> Records<'t> {
    /// The records of `tree` (none if there is no tree).
    pub(crate) fn new(tree: Option<&Tree<'t>>) -> Records<'t> {
        Records {
            range: tree.map(Tree::iter),
            ready: VecDeque::new(),
        }
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Owned>;

    fn next(&mut self) -> Option<Result<Owned>> {
        loop {
            if let Some(r) = self.ready.pop_front() {
                return Some(Ok(r));
            }
            let range = self.range.as_mut()?;
            let step = match range.next_ref()? {
                Ok((k, v)) => chunk_id(k).and_then(|first| {
                    for_each_in_chunk(first, &v, |id, rec| {
                        self.ready.push_back(Owned::of(id, rec));
                        Ok(true)
                    })
                }),
                Err(e) => Err(e.into()),
            };
            if let Err(e) = step {
                self.range = None;
                self.ready.clear();
                return Some(Err(e));
            }
        }
    }
}

/// Replaces edge `id`'s record with `new` (removes it when `None`), rewriting the chunk
/// that holds it; `false` if no chunk holds it. An edge given data leaves a chunk of
/// several, which splits around it.
pub(crate) fn replace(tree: &mut TreeMut<'_>, id: EdgeId, new: Option<Owned>) -> Result<bool> {
    // The chunk's key and records, decoded in place.
    let found = with_floor_chunk(&tree.view()?, id, |first, key, value| {
        let mut records = Vec::new();
        for_each_in_chunk(first, value, |e, rec| {
            records.push(Owned::of(e, rec));
            Ok(true)
        })?;
        Ok((first, key.to_vec(), records))
    })?;
    let Some((first, key, mut records)) = found else {
        return Ok(false);
    };
    let Some(at) = records.iter().position(|r| r.id == id) else {
        return Ok(false);
    };
    match new {
        Some(r) => records[at] = Owned { id, ..r },
        None => {
            records.remove(at);
        }
    }
    let mut puts: Vec<(EdgeId, Vec<u8>)> = Vec::new();
    pack(records.iter().map(Owned::as_rec), |k, v| {
        puts.push((k, v.to_vec()));
        Ok(())
    })?;
    if puts.first().map(|p| p.0) != Some(first) {
        tree.remove(&key)?;
    }
    for (k, v) in puts {
        tree.insert(&edge_key(k), &v)?;
    }
    Ok(true)
}

/// The records of the last chunk when it holds edges without data and has room for more:
/// an append packs new edges into it rather than starting a chunk beside it.
pub(crate) fn open_tail(tree: &Tree<'_>) -> Result<Vec<Owned>> {
    let mut back = tree.range_rev(Bound::Unbounded, Bound::Unbounded);
    let Some(entry) = back.next_ref() else {
        return Ok(Vec::new());
    };
    let (k, v) = entry?;
    let mut out = Vec::new();
    // Room for at least a few more records of typical size.
    if v.len() + 24 > CHUNK_MAX {
        return Ok(out);
    }
    for_each_in_chunk(chunk_id(k)?, &v, |id, rec| {
        out.push(Owned::of(id, rec));
        Ok(true)
    })?;
    if out.iter().any(|r| r.data != NO_DATA) {
        out.clear();
    }
    Ok(out)
}

/// Repacks `tree`: each run of chunks holding edges without data that would fit in fewer
/// chunks (chunks thinned by deletes, split by data changes, or graph format 3's one edge
/// per key) is rewritten as full chunks. Returns how many chunks were removed. Reads the
/// tree in order, a slice at a time, so memory stays bounded.
pub(crate) fn repack(tree: &mut TreeMut<'_>) -> Result<u64> {
    let mut saved = 0;
    let mut from: Option<Vec<u8>> = None;
    loop {
        let mut removes: Vec<Vec<u8>> = Vec::new();
        let mut puts: Vec<(EdgeId, Vec<u8>)> = Vec::new();
        let mut stopped_after = None;
        {
            let view = tree.view()?;
            let lo = from.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            let mut range = view.range(lo, Bound::Unbounded);
            let mut keys: Vec<Vec<u8>> = Vec::new();
            let mut run: Vec<Owned> = Vec::new();
            let mut read = 0;
            while let Some(entry) = range.next_ref() {
                let (k, v) = entry?;
                let mut chunk = Vec::new();
                for_each_in_chunk(chunk_id(k)?, &v, |id, rec| {
                    chunk.push(Owned::of(id, rec));
                    Ok(true)
                })?;
                read += 1;
                if chunk.iter().any(|r| r.data != NO_DATA) {
                    saved += finish_run(&mut keys, &mut run, &mut removes, &mut puts)?;
                } else {
                    keys.push(k.to_vec());
                    run.append(&mut chunk);
                }
                if read >= SLICE_CHUNKS {
                    stopped_after = Some(k.to_vec());
                    break;
                }
            }
            saved += finish_run(&mut keys, &mut run, &mut removes, &mut puts)?;
        }
        for k in &removes {
            tree.remove(k)?;
        }
        for (k, v) in &puts {
            tree.insert(&edge_key(*k), v)?;
        }
        match stopped_after {
            Some(k) => from = Some(k),
            None => return Ok(saved),
        }
    }
}

/// Ends a run of chunks without data: packed anew when that takes fewer chunks. Returns
/// how many fewer.
fn finish_run(
    keys: &mut Vec<Vec<u8>>,
    run: &mut Vec<Owned>,
    removes: &mut Vec<Vec<u8>>,
    puts: &mut Vec<(EdgeId, Vec<u8>)>,
) -> Result<u64> {
    let mut packed = Vec::new();
    pack(run.iter().map(Owned::as_rec), |k, v| {
        packed.push((k, v.to_vec()));
        Ok(())
    })?;
    let saved = keys.len().saturating_sub(packed.len()) as u64;
    if saved > 0 {
        removes.append(keys);
        puts.append(&mut packed);
    }
    keys.clear();
    run.clear();
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u64, from: u64, to: u64, ty: u32, data: &'static [u8]) -> Owned {
        Owned {
            id: EdgeId(id),
            from: NodeId(from),
            to: NodeId(to),
            edge_type: ty,
            data: data.to_vec(),
        }
    }

    fn chunks(records: &[Owned]) -> Vec<(EdgeId, Vec<u8>)> {
        let mut out = Vec::new();
        pack(records.iter().map(Owned::as_rec), |k, v| {
            out.push((k, v.to_vec()));
            Ok(())
        })
        .expect("pack");
        out
    }

    fn decoded(chunks: &[(EdgeId, Vec<u8>)]) -> Vec<Owned> {
        let mut out = Vec::new();
        for (k, v) in chunks {
            for_each_in_chunk(*k, v, |id, r| {
                out.push(Owned::of(id, r));
                Ok(true)
            })
            .expect("decode");
        }
        out
    }

    #[test]
    fn pack_and_decode_agree() {
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..300 {
            let n = rng.usize(0..400);
            let mut id = rng.u64(1..1000);
            let mut records = Vec::new();
            for _ in 0..n {
                let bits = rng.u32(1..40);
                id += if rng.u8(..) < 200 {
                    1
                } else {
                    rng.u64(1..1 << bits)
                };
                let big = 1u64 << rng.u32(0..63);
                let data: &'static [u8] = match rng.u8(..) {
                    0..=5 => br#"{"w":1}"#,
                    6 => b"[]",
                    _ => NO_DATA,
                };
                records.push(rec(
                    id,
                    rng.u64(..big),
                    rng.u64(..big),
                    if rng.bool() { 1 } else { rng.u32(..) },
                    data,
                ));
            }
            let c = chunks(&records);
            assert_eq!(decoded(&c), records, "round {round}");
            for (k, v) in &c {
                let mut count = 0;
                for_each_in_chunk(*k, v, |_, _| {
                    count += 1;
                    Ok(true)
                })
                .expect("decode");
                if count > 1 {
                    assert!(v.len() <= CHUNK_MAX, "{} bytes", v.len());
                }
            }
            // Chunks do not overlap and ascend.
            for w in c.windows(2) {
                assert!(w[0].0 < w[1].0);
            }
        }
    }

    #[test]
    fn consecutive_edges_without_data_take_few_bytes() {
        let records: Vec<Owned> = (1..=1000)
            .map(|i| rec(i, i % 97 + 1, i * 7 % 1000 + 1, 3, NO_DATA))
            .collect();
        let c = chunks(&records);
        let bytes: usize = c.iter().map(|(_, v)| v.len()).sum();
        assert!(bytes < 1000 * 6, "{bytes} bytes");
        assert_eq!(decoded(&c), records);
    }

    #[test]
    fn format_3_records_read_as_chunks_of_one() {
        // Format 3's record: v(from) v(to) v(type), then the data's JSON text.
        let old = |data: &[u8]| [&[5u8, 9, 2][..], data].concat();
        let with = br#"{"a":1}"#;
        assert_eq!(
            decoded(&[(EdgeId(4), old(with))]),
            vec![rec(4, 5, 9, 2, with)]
        );
        assert_eq!(
            decoded(&[(EdgeId(4), old(NO_DATA))]),
            vec![rec(4, 5, 9, 2, NO_DATA)]
        );
    }

    #[test]
    fn damaged_values_are_errors_not_panics() {
        let records: Vec<Owned> = (1..=60).map(|i| rec(i, i, i + 1, 1, NO_DATA)).collect();
        let c = chunks(&records);
        let (k, v) = &c[0];
        let mut rng = fastrand::Rng::with_seed(3);
        for cut in 0..v.len() {
            let _ = for_each_in_chunk(*k, &v[..cut], |_, _| Ok(true));
        }
        for _ in 0..5000 {
            let mut bad = v.clone();
            let at = rng.usize(..bad.len());
            bad[at] = rng.u8(..);
            let _ = for_each_in_chunk(*k, &bad, |_, _| Ok(true));
        }
        assert!(for_each_in_chunk(*k, &[], |_, _| Ok(true)).is_err());
        assert!(for_each_in_chunk(*k, &[1, 2, 3, 0, 0x80], |_, _| Ok(true)).is_err());
        let huge = [
            1, 2, 3, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0,
        ];
        assert!(for_each_in_chunk(EdgeId(u64::MAX - 1), &huge, |_, _| Ok(true)).is_err());
    }
}
