//! How nodes, edges and index entries are encoded in the storage engine's B+Trees.
//!
//! # Trees and keys
//! All integers big-endian, so byte order is numeric order.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `g.nodes` | node id (8) | node record |
//! | `g.node_data` | node id (8) | data JSON, when over 64 bytes |
//! | `g.edges` | edge id (8) | edge record |
//! | `g.out` | from (8), type (4), to (8), edge (8) | empty |
//! | `g.in` | to (8), type (4), from (8), edge (8) | empty |
//! | `g.kind` | kind (4), node (8) | empty |
//! | `g.name` | name bytes, 0x00, node (8) | empty |
//! | `g.str` | string bytes | string id (4) |
//! | `g.str_id` | string id (4) | string bytes |
//! | `g.counts` | `k` kind id (4) / `t` type id (4) | count (8) |
//! | `g.meta` | `next_node`, `next_edge`, `next_str` | u64 (8) |
//!
//! Node record: `u32 kind id`, `u32 name length`, name, `u8 data place` (0: inline, 1: in
//! `g.node_data`), then the data JSON if inline. Edge record: `u64 from`, `u64 to`,
//! `u32 type id`, data JSON. A node's neighbors (optionally of one type) are one contiguous
//! range of `g.out`/`g.in`. Writing an edge touches `g.edges`, `g.out`, `g.in` and `g.counts`,
//! never a page of `g.nodes`: edges cannot damage node records.

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
pub(crate) const META: &str = "g.meta";

/// Node data of at most this many encoded bytes is kept in the node record.
pub const INLINE_DATA_MAX: usize = 64;
/// Largest node or edge data, as encoded JSON.
pub const DATA_SIZE_MAX: usize = 16 << 20;

/// A decoded node record.
pub(crate) struct NodeRecord<'a> {
    pub kind: u32,
    pub name: &'a str,
    /// `Some(json)` when inline, `None` when in `g.node_data`.
    pub data: Option<&'a [u8]>,
}

pub(crate) fn encode_node(kind: u32, name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + name.len() + data.len().min(INLINE_DATA_MAX));
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&(name.len() as u32).to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    if data.len() <= INLINE_DATA_MAX {
        out.push(0);
        out.extend_from_slice(data);
    } else {
        out.push(1);
    }
    out
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads a big-endian `u64` at `at`.
pub(crate) fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_be_bytes)
}

pub(crate) fn decode_node(id: NodeId, b: &[u8]) -> Result<NodeRecord<'_>> {
    let bad = |r: &str| GraphError::corrupt("node", id, r);
    let kind = be_u32(b, 0).ok_or_else(|| bad("record too short"))?;
    let name_len = be_u32(b, 4).ok_or_else(|| bad("record too short"))? as usize;
    let name = b
        .get(8..8 + name_len)
        .ok_or_else(|| bad("name runs past the record"))?;
    let name = std::str::from_utf8(name).map_err(|_| bad("name is not UTF-8"))?;
    let data = match b.get(8 + name_len) {
        Some(0) => Some(&b[9 + name_len..]),
        Some(1) => None,
        _ => return Err(bad("bad data place")),
    };
    Ok(NodeRecord { kind, name, data })
}

/// A decoded edge record.
pub(crate) struct EdgeRecord<'a> {
    pub from: NodeId,
    pub to: NodeId,
    pub edge_type: u32,
    pub data: &'a [u8],
}

pub(crate) fn encode_edge(from: NodeId, to: NodeId, edge_type: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + data.len());
    out.extend_from_slice(&from.0.to_be_bytes());
    out.extend_from_slice(&to.0.to_be_bytes());
    out.extend_from_slice(&edge_type.to_be_bytes());
    out.extend_from_slice(data);
    out
}

pub(crate) fn decode_edge(id: EdgeId, b: &[u8]) -> Result<EdgeRecord<'_>> {
    let bad = || GraphError::corrupt("edge", id, "record too short");
    Ok(EdgeRecord {
        from: NodeId(be_u64(b, 0).ok_or_else(bad)?),
        to: NodeId(be_u64(b, 8).ok_or_else(bad)?),
        edge_type: be_u32(b, 16).ok_or_else(bad)?,
        data: b.get(20..).ok_or_else(bad)?,
    })
}

/// Adjacency key: `node, type, other, edge`.
pub(crate) fn adjacency_key(node: NodeId, edge_type: u32, other: NodeId, edge: EdgeId) -> [u8; 28] {
    let mut k = [0u8; 28];
    k[..8].copy_from_slice(&node.0.to_be_bytes());
    k[8..12].copy_from_slice(&edge_type.to_be_bytes());
    k[12..20].copy_from_slice(&other.0.to_be_bytes());
    k[20..].copy_from_slice(&edge.0.to_be_bytes());
    k
}

/// Decodes an adjacency key into `(type, other, edge)`.
pub(crate) fn decode_adjacency(k: &[u8]) -> Option<(u32, NodeId, EdgeId)> {
    Some((
        be_u32(k, 8)?,
        NodeId(be_u64(k, 12)?),
        EdgeId(be_u64(k, 20)?),
    ))
}

pub(crate) fn kind_key(kind: u32, node: NodeId) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&kind.to_be_bytes());
    k[4..].copy_from_slice(&node.0.to_be_bytes());
    k
}

pub(crate) fn name_key(name: &str, node: NodeId) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() + 9);
    k.extend_from_slice(name.as_bytes());
    k.push(0);
    k.extend_from_slice(&node.0.to_be_bytes());
    k
}

/// Splits a name-index key into `(name bytes, node)`.
pub(crate) fn decode_name_key(k: &[u8]) -> Option<(&[u8], NodeId)> {
    let split = k.len().checked_sub(9)?;
    Some((&k[..split], NodeId(be_u64(k, split + 1)?)))
}

pub(crate) fn count_key(tag: u8, id: u32) -> [u8; 5] {
    let mut k = [tag; 5];
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

/// Encodes JSON data, checking the size limit.
pub(crate) fn encode_data(field: &'static str, data: &serde_json::Value) -> Result<Vec<u8>> {
    let bytes = serde_json::to_vec(data).map_err(|e| GraphError::Invalid {
        field,
        reason: e.to_string(),
    })?;
    if bytes.len() > DATA_SIZE_MAX {
        return Err(GraphError::Invalid {
            field,
            reason: format!(
                "{} bytes encoded, over the limit of {DATA_SIZE_MAX}",
                bytes.len()
            ),
        });
    }
    Ok(bytes)
}

/// Decodes stored JSON data.
pub(crate) fn decode_data(
    what: &'static str,
    id: impl ToString,
    bytes: &[u8],
) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| GraphError::corrupt(what, id, format!("data is not JSON: {e}")))
}
