//! How nodes, edges and index entries are encoded in the storage engine's B+Trees.
//!
//! # Trees and keys
//! Ids in keys use an *ordered varint* (`o(x)`): one byte giving the number of significant
//! bytes (0 to 8), then those bytes big-endian. Byte order of encodings is numeric order and
//! no encoding is a prefix of another, so composite keys sort field by field and a node's
//! entries share the prefix `o(node)`. Records use LEB128 varints (`v(x)`), which are
//! smaller but not ordered. Fixed-width integers are big-endian.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `g.nodes` | `o(node)` | node record |
//! | `g.node_data` | `o(node)` | data (`data.rs`), when over 64 bytes |
//! | `g.edges` | `o(edge)` of a chunk's first edge | the chunk's edge records (`edges.rs`) |
//! | `g.out` | `o(from) o(type) o(to) o(edge)` of a chunk's first pair | the chunk's other pairs (`adjacency.rs`) |
//! | `g.in` | `o(to) o(type) o(from) o(edge)` of a chunk's first pair | the chunk's other pairs (`adjacency.rs`) |
//! | `g.kind` | `o(kind) o(node)` | empty |
//! | `g.name` | name bytes, `0x00`, `o(node)`, length byte of `o(node)` | empty |
//! | `g.str` | string bytes | string id (u32) |
//! | `g.str_id` | string id (u32) | string bytes |
//! | `g.counts` | `k` kind id (u32) / `t` type id (u32) | count (u64) |
//! | `g.meta` | `format`, `next_node`, `next_edge`, `next_str`, `next_index` | u64 |
//!
//! | `g.idx` | index id (u32) | index definition (see `index.rs`) |
//! | `g.ix.<id>` | an index's entries (see `index.rs`) | empty |
//! | `g.ix.<id>.d` | a non-unique index's recent entries, its delta tree (format 9) | empty |
//!
//! Node record: `v(kind)`, `v(name length)`, name, `u8 flags` (bit 0: data in
//! `g.node_data`, else inline; bit 1: more labels follow), then, with bit 1, `v(count)` and
//! `v(label)` for each further label, then the data if inline (a binary object or JSON
//! text, `data.rs`). The kind is the node's
//! first label, string id 0 meaning no label (ids start at 1). Graph format 1 wrote only
//! flags 0 and 1, which read the same in format 2. Edge records: `v(from)`, `v(to)`,
//! `v(type)`, then the data (format 3 and before: one edge per key); from format 4
//! consecutive edges without data share a chunk (`edges.rs`). A node's neighbors (optionally of one type) are one contiguous range of
//! `g.out`/`g.in`, in chunks of sorted (other, edge) pairs (graph format 3; format 2 wrote
//! one pair per key with an empty value, which reads as a chunk of one). Writing an edge touches `g.edges`, `g.out`, `g.in` and `g.counts`, never
//! a page of `g.nodes`: edges cannot damage node records. The name key ends with the length
//! of its id so it can be decoded from the end whatever bytes the name holds.

use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};

pub(crate) const NODES: &str = "g.nodes";
pub(crate) const NODE_DATA: &str = "g.node_data";
pub(crate) const EDGES: &str = "g.edges";
pub(crate) const OUT: &str = "g.out";
pub(crate) const IN: &str = "g.in";
pub(crate) const KIND: &str = "g.kind";
pub(crate) const NAME: &str = "g.name";
pub(crate) const STR: &str = "g.str";
pub(crate) const STR_ID: &str = "g.str_id";
pub(crate) const COUNTS: &str = "g.counts";
/// Per-node relationship counts of `g.out` (graph format 8, see `degrees.rs`).
pub(crate) const OUT_DEG: &str = "g.out_deg";
/// Per-node relationship counts of `g.in` (graph format 8, see `degrees.rs`).
pub(crate) const IN_DEG: &str = "g.in_deg";
/// Tag of the `g.counts` entries that keep the number of pairs of each adjacency delta tree
/// (ids 1 for `g.out.d`, 2 for `g.in.d`; see `adjacency/delta.rs`).
pub(crate) const DELTA_PAIRS: u8 = b'd';
/// Pairs of `g.out` written by batches small beside the graph, not yet merged into it
/// (graph format 10, see `adjacency/delta.rs`).
pub(crate) const OUT_DELTA: &str = "g.out.d";
/// Pairs of `g.in` not yet merged into it (graph format 10, see `adjacency/delta.rs`).
pub(crate) const IN_DELTA: &str = "g.in.d";
pub(crate) const META: &str = "g.meta";
pub(crate) const INDEXES: &str = "g.idx";

/// The graph format this code writes: 2 added more labels per node, the index catalog
/// and property indexes; 3 packs adjacency into chunks of pairs (format 2 adjacency reads
/// as chunks of one pair, so 2 is upgraded by writing the version); 4 packs the records
/// of edges without data into chunks (a format 3 record reads as a chunk of one, so 3 is
/// upgraded the same way); 5 keeps the number of self-loops of each edge type in `g.counts`
/// (tag `l`; a type without self-loops has no entry), so earlier formats are upgraded by
/// counting them in one scan of the edge records; 6 holds temporal property values (a JSON
/// object of one key that starts with U+0000, see [`crate::value::temporal`]), which
/// format 5 never wrote, so 5 is upgraded by writing the version; 7 writes node and edge
/// data that is a JSON object as a binary object (`data.rs`), and reads the JSON text
/// earlier formats wrote as it did, so 6 is upgraded by writing the version; 8 keeps each
/// node's relationship count per type and direction in `g.out_deg` and `g.in_deg`
/// (`degrees.rs`), so 7 is upgraded by counting them from the adjacency's chunks; 9 keeps
/// part of a non-unique index's entries in a delta tree `g.ix.<id>.d` (see `index.rs`,
/// "Delta trees"), which format 8 never has, so 8 is upgraded by writing the version (an
/// older version reading a format 9 database would miss the delta's entries: it refuses
/// the newer format); 10 keeps part of the adjacency in delta trees `g.out.d` and
/// `g.in.d` (see `adjacency/delta.rs`), which format 9 never has, so 9 is upgraded by
/// writing the version. A database without a `format` key in `g.meta` is format 1.
pub const GRAPH_FORMAT: u64 = 10;

/// The first graph format that keeps degree trees (see [`GRAPH_FORMAT`]).
pub(crate) const DEGREES_SINCE: u64 = 8;

/// The first graph format that keeps self-loop counts (see [`GRAPH_FORMAT`]).
pub(crate) const SELF_LOOP_COUNTS_SINCE: u64 = 5;

/// Flag of a node record: the data is in `g.node_data`.
const DATA_OUTSIDE: u8 = 1;
/// Flag of a node record: more labels follow the flags.
const MORE_LABELS: u8 = 2;

/// Node data of at most this many encoded bytes is kept in the node record.
pub const INLINE_DATA_MAX: usize = 64;
/// Largest node or edge data, as encoded (`data.rs`).
pub const DATA_SIZE_MAX: usize = 16 << 20;
/// Longest node name, in bytes (names are keys of the name index).
pub const NAME_SIZE_MAX: usize = 512;
/// Longest node kind or edge type, in bytes (they are keys of the string table).
pub const LABEL_SIZE_MAX: usize = 255;

/// Longest ordered varint.
const ORDERED_MAX: usize = 9;

/// A key built on the stack: at most four ordered varints. Compares as its bytes.
#[derive(Clone, Copy)]
pub(crate) struct Key {
    len: u8,
    buf: [u8; 4 * ORDERED_MAX],
}

impl Key {
    fn new() -> Key {
        Key {
            len: 0,
            buf: [0; 4 * ORDERED_MAX],
        }
    }

    fn push(mut self, v: u64) -> Key {
        let n = 8 - (v.leading_zeros() / 8) as usize;
        let at = self.len as usize;
        self.buf[at] = n as u8;
        // One fixed 8-byte store of the value's significant bytes, left-aligned (no
        // variable-length copy); `at + 9 <= 4 * ORDERED_MAX` holds for up to four pushes.
        // For v = 0 (n = 0) the shift wraps to 0 and writes zeros past the end of the key.
        let shifted = v.wrapping_shl(8 * (8 - n as u32));
        self.buf[at + 1..at + 9].copy_from_slice(&shifted.to_be_bytes());
        self.len += 1 + n as u8;
        self
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_ref() == other.as_ref()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.as_ref().cmp(other.as_ref())
    }
}

impl AsRef<[u8]> for Key {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

impl std::ops::Deref for Key {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_ref()
    }
}

/// A difference of two `u64`s (wrapping, so two's complement) as an unsigned number that
/// is small when the difference is small either way: 0, -1, 1, -2, ... become 0, 1, 2, 3.
pub(crate) fn zigzag(d: u64) -> u64 {
    (d << 1) ^ (d.cast_signed() >> 63).cast_unsigned()
}

/// The inverse of [`zigzag`], as a wrapping difference.
pub(crate) fn unzigzag(z: u64) -> u64 {
    (z >> 1) ^ (z & 1).wrapping_neg()
}

/// Reads an ordered varint at `*at`, advancing it: a length byte `n <= 8`, then `n`
/// big-endian bytes. Decoded with one 8-byte load ending at the value's last byte when the
/// key is long enough (hot in every adjacency scan), byte by byte otherwise.
#[inline]
pub(crate) fn get_ordered(b: &[u8], at: &mut usize) -> Option<u64> {
    let n = *b.get(*at)? as usize;
    if n > 8 {
        return None;
    }
    let start = *at + 1;
    let end = start + n;
    if end > b.len() {
        return None;
    }
    *at = end;
    if n == 0 {
        return Some(0);
    }
    // One 8-byte load where the key allows: from the value's start when 8 bytes follow it
    // (every value but the last ones of a key), else ending at its end.
    if let Some(word) = b.get(start..).and_then(<[u8]>::first_chunk::<8>) {
        return Some(u64::from_be_bytes(*word) >> (64 - 8 * n));
    }
    if let Some(word) = b[..end].last_chunk::<8>() {
        return Some(u64::from_be_bytes(*word) & (u64::MAX >> (64 - 8 * n)));
    }
    Some(
        b[start..end]
            .iter()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
    )
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[inline]
pub(crate) fn get_varint(b: &[u8], at: &mut usize) -> Option<u64> {
    // One byte: most deltas in an adjacency chunk.
    if let Some(&byte) = b.get(*at)
        && byte < 0x80
    {
        *at += 1;
        return Some(u64::from(byte));
    }
    // Up to 8 bytes with 8 readable: one load, the end found by the first clear high bit,
    // the 7-bit groups gathered without a loop.
    if let Some(word) = b.get(*at..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*word);
        let stops = !w & 0x8080_8080_8080_8080;
        if stops != 0 {
            let len = stops.trailing_zeros() / 8 + 1;
            let v = (w & 0x7f)
                | ((w >> 1) & (0x7f << 7))
                | ((w >> 2) & (0x7f << 14))
                | ((w >> 3) & (0x7f << 21))
                | ((w >> 4) & (0x7f << 28))
                | ((w >> 5) & (0x7f << 35))
                | ((w >> 6) & (0x7f << 42))
                | ((w >> 7) & (0x7f << 49));
            *at += len as usize;
            return Some(v & (u64::MAX >> (64 - 7 * len)));
        }
    }
    get_varint_slow(b, at)
}

/// [`get_varint`] a byte at a time: the reference, and the path near a buffer's end.
fn get_varint_slow(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Key of a node in `g.nodes` and `g.node_data`.
pub(crate) fn node_key(id: NodeId) -> Key {
    Key::new().push(id.0)
}

/// Key of a degree tree's entry (`degrees.rs`): a block of nodes, then an edge type; the
/// block alone is the prefix of all its types.
pub(crate) fn degree_key(block: u64, edge_type: Option<u32>) -> Key {
    let k = Key::new().push(block);
    match edge_type {
        Some(t) => k.push(u64::from(t)),
        None => k,
    }
}

/// An id as an ordered varint.
pub(crate) fn ordered_key(id: u64) -> Key {
    Key::new().push(id)
}

/// Key of an edge in `g.edges`.
pub(crate) fn edge_key(id: EdgeId) -> Key {
    Key::new().push(id.0)
}

/// Decodes a `g.nodes` or `g.edges` key.
pub(crate) fn decode_id_key(k: &[u8]) -> Option<u64> {
    let mut at = 0;
    let id = get_ordered(k, &mut at)?;
    (at == k.len()).then_some(id)
}

/// A decoded node record. Its inline data is left as stored (a binary object or JSON
/// text, see `data.rs`), not checked: the data readers check what they read, and `check`
/// decodes every record whole.
pub(crate) struct NodeRecord<'a> {
    pub kind: u32,
    /// The labels after the first (the kind), encoded; see [`NodeRecord::more_labels`].
    more: &'a [u8],
    pub name: &'a str,
    /// `Some(data)` when inline, `None` when in `g.node_data`.
    pub data: Option<&'a [u8]>,
}

impl NodeRecord<'_> {
    /// The node's labels after the first, as string ids.
    pub(crate) fn more_labels(&self) -> Vec<u32> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(v) = get_varint(self.more, &mut at) {
            out.push(v as u32);
        }
        out
    }

    /// Every label of the node, as string ids: none when the kind is 0.
    pub(crate) fn labels(&self) -> Vec<u32> {
        if self.kind == 0 {
            return Vec::new();
        }
        let mut all = vec![self.kind];
        all.extend(self.more_labels());
        all
    }
}

/// Appends a node record to `out`: `labels[0]` is the kind (none: kind 0).
pub(crate) fn encode_node(out: &mut Vec<u8>, labels: &[u32], name: &str, data: &[u8]) {
    put_varint(out, u64::from(labels.first().copied().unwrap_or(0)));
    put_varint(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
    let outside = data.len() > INLINE_DATA_MAX;
    let more = labels.get(1..).unwrap_or_default();
    let mut flags = if outside { DATA_OUTSIDE } else { 0 };
    if !more.is_empty() {
        flags |= MORE_LABELS;
    }
    out.push(flags);
    if !more.is_empty() {
        put_varint(out, more.len() as u64);
        for &l in more {
            put_varint(out, u64::from(l));
        }
    }
    if !outside {
        out.extend_from_slice(data);
    }
}

/// The node record `b`: its structure and name checked, its data left as stored (see
/// [`NodeRecord`]).
pub(crate) fn decode_node(id: NodeId, b: &[u8]) -> Result<NodeRecord<'_>> {
    let bad = |r: &str| GraphError::corrupt("node", id, r);
    let mut at = 0;
    let kind = get_varint(b, &mut at)
        .and_then(|k| u32::try_from(k).ok())
        .ok_or_else(|| bad("bad kind"))?;
    let name_len = get_varint(b, &mut at).ok_or_else(|| bad("bad name length"))? as usize;
    let rest = b.get(at..).unwrap_or_default();
    let Some(&flags) = rest.get(name_len) else {
        return Err(bad("name runs past the record"));
    };
    if flags & !(DATA_OUTSIDE | MORE_LABELS) != 0 {
        return Err(bad("bad data place"));
    }
    let name = std::str::from_utf8(&rest[..name_len]).map_err(|_| bad("name is not UTF-8"))?;
    let mut at = name_len + 1;
    let mut more: &[u8] = &[];
    if flags & MORE_LABELS != 0 {
        if kind == 0 {
            return Err(bad("more labels without a first"));
        }
        let start_count = at;
        let n = get_varint(rest, &mut at).ok_or_else(|| bad("bad label count"))?;
        let start = at;
        for _ in 0..n {
            get_varint(rest, &mut at)
                .and_then(|l| u32::try_from(l).ok())
                .filter(|&l| l != 0)
                .ok_or_else(|| bad("bad label"))?;
        }
        if n == 0 || at == start_count {
            return Err(bad("bad label count"));
        }
        more = &rest[start..at];
    }
    let tail = &rest[at..];
    let data = if flags & DATA_OUTSIDE != 0 {
        if !tail.is_empty() {
            return Err(bad("bytes after an outside record"));
        }
        None
    } else {
        Some(tail)
    };
    Ok(NodeRecord {
        kind,
        more,
        name,
        data,
    })
}

/// A decoded edge record.
pub(crate) struct EdgeRecord<'a> {
    pub from: NodeId,
    pub to: NodeId,
    pub edge_type: u32,
    pub data: &'a [u8],
}

/// Prefix of a node's adjacency entries, optionally of one edge type.
pub(crate) fn adjacency_prefix(node: NodeId, edge_type: Option<u32>) -> Key {
    let k = Key::new().push(node.0);
    match edge_type {
        Some(t) => k.push(u64::from(t)),
        None => k,
    }
}

/// The prefix of the adjacency keys of `node`'s edges of one type to (or from) `other`
/// (the fields are prefix-free, so this selects exactly that triple).
pub(crate) fn adjacency_between(node: NodeId, edge_type: u32, other: NodeId) -> Key {
    Key::new()
        .push(node.0)
        .push(u64::from(edge_type))
        .push(other.0)
}

/// Adjacency key: `node, type, other, edge`.
pub(crate) fn adjacency_key(node: NodeId, edge_type: u32, other: NodeId, edge: EdgeId) -> Key {
    Key::new()
        .push(node.0)
        .push(u64::from(edge_type))
        .push(other.0)
        .push(edge.0)
}

/// Decodes an adjacency key into `(node, type, other, edge)`.
pub(crate) fn decode_adjacency_full(k: &[u8]) -> Option<(NodeId, u32, NodeId, EdgeId)> {
    let mut at = 0;
    let node = get_ordered(k, &mut at)?;
    let ty = u32::try_from(get_ordered(k, &mut at)?).ok()?;
    let other = get_ordered(k, &mut at)?;
    let edge = get_ordered(k, &mut at)?;
    (at == k.len()).then_some((NodeId(node), ty, NodeId(other), EdgeId(edge)))
}

/// The node and type of an adjacency key, the key checked whole as
/// [`decode_adjacency_full`] checks it (every field at most 8 bytes, nothing after the
/// fourth) without assembling the other end and the edge: for scans that count.
#[inline]
pub(crate) fn decode_adjacency_head(k: &[u8]) -> Option<(NodeId, u32)> {
    let mut at = 0;
    let node = get_ordered(k, &mut at)?;
    let ty = u32::try_from(get_ordered(k, &mut at)?).ok()?;
    for _ in 0..2 {
        let n = usize::from(*k.get(at)?);
        if n > 8 {
            return None;
        }
        at += 1 + n;
    }
    (at == k.len()).then_some((NodeId(node), ty))
}

/// Prefix of a kind's entries in `g.kind`.
pub(crate) fn kind_prefix(kind: u32) -> Key {
    Key::new().push(u64::from(kind))
}

pub(crate) fn kind_key(kind: u32, node: NodeId) -> Key {
    Key::new().push(u64::from(kind)).push(node.0)
}

/// Decodes a `g.kind` key into its node.
pub(crate) fn decode_kind_key(k: &[u8]) -> Option<NodeId> {
    let mut at = 0;
    get_ordered(k, &mut at)?;
    let node = get_ordered(k, &mut at)?;
    (at == k.len()).then_some(NodeId(node))
}

/// Decodes a `g.kind` key into `(kind, node)`.
pub(crate) fn decode_kind_entry(k: &[u8]) -> Option<(u32, NodeId)> {
    let mut at = 0;
    let kind = u32::try_from(get_ordered(k, &mut at)?).ok()?;
    let node = get_ordered(k, &mut at)?;
    (at == k.len()).then_some((kind, NodeId(node)))
}

pub(crate) fn name_key(name: &str, node: NodeId) -> Vec<u8> {
    let id = Key::new().push(node.0);
    let mut k = Vec::with_capacity(name.len() + id.len() + 2);
    k.extend_from_slice(name.as_bytes());
    k.push(0);
    k.extend_from_slice(&id);
    k.push(id.len() as u8);
    k
}

/// Splits a name-index key into `(name bytes, node)`.
pub(crate) fn decode_name_key(k: &[u8]) -> Option<(&[u8], NodeId)> {
    let id_len = *k.last()? as usize;
    let id_at = k.len().checked_sub(1 + id_len)?;
    let name_end = id_at.checked_sub(1)?;
    if k[name_end] != 0 || !(2..=ORDERED_MAX).contains(&id_len) {
        return None;
    }
    let mut at = id_at;
    let node = get_ordered(&k[..k.len() - 1], &mut at)?;
    (at == k.len() - 1).then_some((&k[..name_end], NodeId(node)))
}

/// Reads a big-endian `u64` at `at`.
pub(crate) fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_be_bytes)
}

pub(crate) fn count_key(tag: u8, id: u32) -> [u8; 5] {
    let mut k = [tag; 5];
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

/// Encodes JSON data as stored (`data.rs`), checking the size limit.
pub(crate) fn encode_data(field: &'static str, data: &serde_json::Value) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    append_data(&mut out, field, data)?;
    Ok(out)
}

/// Appends JSON data as stored (`data.rs`) to `out`, checking the size limit; on error `out`
/// is as it was.
pub(crate) fn append_data(
    out: &mut Vec<u8>,
    field: &'static str,
    data: &serde_json::Value,
) -> Result<()> {
    let start = out.len();
    let result = crate::data::encode_into(out, data);
    let len = out.len() - start;
    if let Err(reason) = result {
        out.truncate(start);
        return Err(GraphError::Invalid { field, reason });
    }
    if let Err(e) = check_data_size(field, len) {
        out.truncate(start);
        return Err(e);
    }
    Ok(())
}

/// `Invalid` when `len` bytes of encoded data are over [`DATA_SIZE_MAX`].
pub(crate) fn check_data_size(field: &'static str, len: usize) -> Result<()> {
    if len > DATA_SIZE_MAX {
        return Err(GraphError::Invalid {
            field,
            reason: format!("{len} bytes encoded, over the limit of {DATA_SIZE_MAX}"),
        });
    }
    Ok(())
}

/// Decodes stored data (a binary object or JSON text, see `data.rs`), checking it whole.
pub(crate) fn decode_data(
    what: &'static str,
    id: impl ToString,
    bytes: &[u8],
) -> Result<serde_json::Value> {
    crate::data::decode(bytes).map_err(|reason| GraphError::corrupt(what, id, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_varints_sort_numerically_and_round_trip() {
        let mut values = vec![0u64, 1, 127, 128, 255, 256, 65535, 65536, 1 << 40, u64::MAX];
        let mut rng = fastrand::Rng::with_seed(7);
        values.extend((0..2000).map(|_| rng.u64(..) >> rng.u32(0..64)));
        let mut keys: Vec<(Key, u64)> = values.iter().map(|&v| (Key::new().push(v), v)).collect();
        keys.sort();
        for w in keys.windows(2) {
            assert!(w[0].1 <= w[1].1, "{} sorted after {}", w[0].1, w[1].1);
        }
        for (k, v) in &keys {
            assert_eq!(decode_id_key(k), Some(*v));
        }
    }

    /// The word-at-a-time varint decoder agrees with the byte loop on every encoding and
    /// on arbitrary bytes (same value, same length read, same refusals).
    #[test]
    fn varint_fast_path_agrees_with_the_byte_loop() {
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..200_000 {
            let mut bytes = Vec::new();
            if rng.bool() {
                put_varint(&mut bytes, rng.u64(..) >> rng.u32(0..64));
            }
            for _ in 0..rng.usize(0..12) {
                bytes.push(if rng.bool() {
                    rng.u8(0x80..)
                } else {
                    rng.u8(..)
                });
            }
            let start = rng.usize(0..=bytes.len());
            let (mut fast_at, mut slow_at) = (start, start);
            let fast = get_varint(&bytes, &mut fast_at);
            let slow = get_varint_slow(&bytes, &mut slow_at);
            assert_eq!(fast, slow, "{bytes:?} from {start}");
            if fast.is_some() {
                assert_eq!(fast_at, slow_at, "{bytes:?} from {start}");
            }
        }
    }

    #[test]
    fn composite_keys_decode_and_sort_field_by_field() {
        let a = adjacency_key(NodeId(300), 2, NodeId(5), EdgeId(1 << 33));
        assert_eq!(
            decode_adjacency_full(&a),
            Some((NodeId(300), 2, NodeId(5), EdgeId(1 << 33)))
        );
        assert!(a.starts_with(&adjacency_prefix(NodeId(300), Some(2))));
        assert!(!a.starts_with(&adjacency_prefix(NodeId(30), None)));
        let b = adjacency_key(NodeId(300), 10, NodeId(1), EdgeId(1));
        assert!(a < b, "type orders before other node");
        assert_eq!(decode_kind_key(&kind_key(7, NodeId(99))), Some(NodeId(99)));
        for name in ["", "a", "ab\0\u{1}\u{2}", "process_data_12"] {
            for id in [1, 255, 256, 1 << 50] {
                let k = name_key(name, NodeId(id));
                assert_eq!(decode_name_key(&k), Some((name.as_bytes(), NodeId(id))));
            }
        }
        assert!(name_key("ab", NodeId(9)) < name_key("ab", NodeId(300)));
        assert!(name_key("ab", NodeId(1 << 40)) < name_key("abc", NodeId(1)));
        // Every field width, short keys (byte-wise decoding) and long ones (word loads).
        let mut rng = fastrand::Rng::with_seed(3);
        let value = |rng: &mut fastrand::Rng| match rng.u8(0..4) {
            0 => 0,
            1 => rng.u64(..256),
            _ => rng.u64(..) >> rng.u32(0..64),
        };
        for _ in 0..20_000 {
            let (node, other, edge) = (value(&mut rng), value(&mut rng), value(&mut rng));
            let ty = u32::try_from(value(&mut rng) >> 32).unwrap_or(0);
            let key = adjacency_key(NodeId(node), ty, NodeId(other), EdgeId(edge));
            assert_eq!(
                decode_adjacency_full(&key),
                Some((NodeId(node), ty, NodeId(other), EdgeId(edge)))
            );
            assert_eq!(decode_adjacency_head(&key), Some((NodeId(node), ty)));
            assert_eq!(decode_id_key(&Key::new().push(node)), Some(node));
            // Cut short, lengthened, or a length byte changed: the head decode refuses
            // exactly what the full one refuses.
            let mut bad = key.to_vec();
            match rng.u8(0..3) {
                0 => bad.truncate(rng.usize(..bad.len())),
                1 => bad.push(rng.u8(..)),
                _ => {
                    let at = rng.usize(..bad.len());
                    bad[at] = rng.u8(..12);
                }
            }
            assert_eq!(
                decode_adjacency_head(&bad),
                decode_adjacency_full(&bad).map(|(n, t, _, _)| (n, t)),
                "{bad:?}"
            );
        }
        // Damage: a length past the end, or above 8.
        assert_eq!(decode_adjacency_head(&[1, 5, 1]), None);
        assert_eq!(decode_adjacency_full(&[1, 5, 1]), None);
        assert_eq!(decode_adjacency_full(&[9, 0, 0, 0, 0, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn records_round_trip_and_reject_damage() {
        let mut rec = Vec::new();
        encode_node(&mut rec, &[3], "n", br#"{"a":1}"#);
        let n = decode_node(NodeId(1), &rec)
            .map(|r| (r.kind, r.name, r.data))
            .ok();
        assert_eq!(n, Some((3, "n", Some(&br#"{"a":1}"#[..]))));
        assert!(decode_node(NodeId(1), &rec[..3]).is_err());
        assert!(decode_node(NodeId(1), &[0xff; 12]).is_err());
        // Bytes that are not UTF-8 in the name, a name that ends inside a character; data
        // that is not UTF-8 is left to the data's readers, which refuse it.
        let mut bad_name = Vec::new();
        encode_node(&mut bad_name, &[3], "né", b"1");
        let mut cut = bad_name.clone();
        cut[1] = 2; // the name's length now ends inside "é"; the place byte reads 0xa9
        assert!(decode_node(NodeId(1), &cut).is_err());
        *bad_name.last_mut().unwrap() = 0xff;
        let data = decode_node(NodeId(1), &bad_name).unwrap().data.unwrap();
        assert!(decode_data("node", 1, data).is_err());
        let mut big = Vec::new();
        encode_node(&mut big, &[3], "n", &[b'1'; 100]);
        let r = decode_node(NodeId(1), &big).map(|r| (r.name, r.data)).ok();
        assert_eq!(r, Some(("n", None)));
        // More labels, inline and outside data.
        for data in [&b"{}"[..], &[b'1'; 100][..]] {
            let mut multi = Vec::new();
            encode_node(&mut multi, &[3, 9, 300], "m", data);
            let r = decode_node(NodeId(1), &multi).unwrap();
            assert_eq!((r.labels(), r.name), (vec![3, 9, 300], "m"));
            assert_eq!(r.data.is_some(), data.len() <= INLINE_DATA_MAX);
            for cut in 0..multi.len().min(12) {
                if cut != multi.len() {
                    let _ = decode_node(NodeId(1), &multi[..cut]);
                }
            }
        }
        let mut none = Vec::new();
        encode_node(&mut none, &[], "", b"null");
        assert_eq!(
            decode_node(NodeId(1), &none).unwrap().labels(),
            Vec::<u32>::new()
        );
    }
}
