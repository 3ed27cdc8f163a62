//! The graph write transaction: inserts, updates and deletes of nodes and edges.

use std::collections::HashMap;

use pagegraph_storage::TxId;
use serde_json::Value;

use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};
use crate::record::{
    self, COUNTS, EDGES, IN, INLINE_DATA_MAX, KIND, META, NAME, NODE_DATA, NODES, OUT, STR, STR_ID,
    adjacency_key, count_key, decode_adjacency, decode_edge, decode_node, encode_data, encode_edge,
    encode_node, kind_key, name_key,
};

/// A node to insert.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSpec {
    /// Its kind (interned; non-empty).
    pub kind: String,
    /// Its name (any string; indexed for exact, prefix and glob lookups).
    pub name: String,
    /// Its data.
    pub data: Value,
}

/// An edge to insert.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeSpec {
    /// The source node; must exist.
    pub from: NodeId,
    /// The target node; must exist (may equal `from`).
    pub to: NodeId,
    /// The edge's type (interned; non-empty).
    pub edge_type: String,
    /// Its data.
    pub data: Value,
}

/// The graph's one write transaction. Dropping it without [`WriteTxn::commit`] rolls back.
///
/// After an error the transaction stays usable when the error was about the input (a missing
/// node, invalid data): nothing was changed. After a storage error it must be dropped.
pub struct WriteTxn {
    tx: pagegraph_storage::WriteTxn,
    next_node: u64,
    next_edge: u64,
    next_str: u32,
    strings: HashMap<String, u32>,
    count_deltas: HashMap<[u8; 5], i64>,
}

impl std::fmt::Debug for WriteTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn")
            .field("next_node", &self.next_node)
            .finish_non_exhaustive()
    }
}

fn counter(tx: &mut pagegraph_storage::WriteTxn, key: &[u8]) -> Result<u64> {
    let v = tx.tree(META)?.get(key)?;
    Ok(v.as_deref().and_then(|b| record::be_u64(b, 0)).unwrap_or(0))
}

fn non_empty(field: &'static str, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(GraphError::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    Ok(())
}

impl WriteTxn {
    pub(crate) fn new(mut tx: pagegraph_storage::WriteTxn) -> Result<WriteTxn> {
        let next_node = counter(&mut tx, b"next_node")?.max(1);
        let next_edge = counter(&mut tx, b"next_edge")?.max(1);
        let next_str = u32::try_from(counter(&mut tx, b"next_str")?.max(1))
            .map_err(|_| GraphError::corrupt("counter", "next_str", "out of range"))?;
        Ok(WriteTxn {
            tx,
            next_node,
            next_edge,
            next_str,
            strings: HashMap::new(),
            count_deltas: HashMap::new(),
        })
    }

    /// The id of a string in the string table, adding it if new.
    fn intern(&mut self, s: &str) -> Result<u32> {
        if let Some(&id) = self.strings.get(s) {
            return Ok(id);
        }
        let id = if let Some(v) = self.tx.tree(STR)?.get(s.as_bytes())? {
            <[u8; 4]>::try_from(v.as_slice())
                .map(u32::from_be_bytes)
                .map_err(|_| GraphError::corrupt("string", s, "bad id"))?
        } else {
            let id = self.next_str;
            self.next_str = id.checked_add(1).ok_or_else(|| GraphError::Invalid {
                field: "string table",
                reason: "full".into(),
            })?;
            self.tx.tree(STR)?.insert(s.as_bytes(), &id.to_be_bytes())?;
            self.tx
                .tree(STR_ID)?
                .insert(&id.to_be_bytes(), s.as_bytes())?;
            id
        };
        self.strings.insert(s.to_string(), id);
        Ok(id)
    }

    /// Writes one entry: a sorted, buffered `put` on the batch paths, an `insert` otherwise.
    fn write(&mut self, tree: &str, key: &[u8], value: &[u8], bulk: bool) -> Result<()> {
        let mut t = self.tx.tree(tree)?;
        if bulk {
            t.put(key, value)?;
        } else {
            t.insert(key, value)?;
        }
        Ok(())
    }

    fn count(&mut self, tag: u8, id: u32, delta: i64) {
        *self.count_deltas.entry(count_key(tag, id)).or_default() += delta;
    }

    fn node_exists(&mut self, id: NodeId) -> Result<bool> {
        Ok(self.tx.tree(NODES)?.get(&id.0.to_be_bytes())?.is_some())
    }

    /// Inserts a node; returns its new id.
    pub fn insert_node(&mut self, spec: NodeSpec) -> Result<NodeId> {
        self.insert_node_with(&spec, false)
    }

    fn insert_node_with(&mut self, spec: &NodeSpec, bulk: bool) -> Result<NodeId> {
        non_empty("node kind", &spec.kind)?;
        let data = encode_data("node data", &spec.data)?;
        let kind = self.intern(&spec.kind)?;
        let id = NodeId(self.next_node);
        self.next_node += 1;
        let key = id.0.to_be_bytes();
        let rec = encode_node(kind, &spec.name, &data);
        let name_key = name_key(&spec.name, id);
        self.write(NODES, &key, &rec, bulk)?;
        if data.len() > INLINE_DATA_MAX {
            self.write(NODE_DATA, &key, &data, bulk)?;
        }
        self.write(KIND, &kind_key(kind, id), &[], bulk)?;
        self.write(NAME, &name_key, &[], bulk)?;
        self.count(b'k', kind, 1);
        Ok(id)
    }

    /// Inserts many nodes, in order; returns their ids. Index entries are sorted in
    /// bounded memory and applied in key order, which is much faster per node.
    pub fn insert_nodes(
        &mut self,
        specs: impl IntoIterator<Item = NodeSpec>,
    ) -> Result<Vec<NodeId>> {
        specs
            .into_iter()
            .map(|s| self.insert_node_with(&s, true))
            .collect()
    }

    /// Inserts an edge; both endpoints must exist (`NodeNotFound` otherwise).
    pub fn insert_edge(&mut self, spec: EdgeSpec) -> Result<EdgeId> {
        self.insert_edge_with(&spec, false)
    }

    fn insert_edge_with(&mut self, spec: &EdgeSpec, bulk: bool) -> Result<EdgeId> {
        non_empty("edge type", &spec.edge_type)?;
        for end in [spec.from, spec.to] {
            if !self.node_exists(end)? {
                return Err(GraphError::NodeNotFound(end));
            }
        }
        let data = encode_data("edge data", &spec.data)?;
        let ty = self.intern(&spec.edge_type)?;
        let id = EdgeId(self.next_edge);
        self.next_edge += 1;
        let rec = encode_edge(spec.from, spec.to, ty, &data);
        let out = adjacency_key(spec.from, ty, spec.to, id);
        let inc = adjacency_key(spec.to, ty, spec.from, id);
        self.write(EDGES, &id.0.to_be_bytes(), &rec, bulk)?;
        self.write(OUT, &out, &[], bulk)?;
        self.write(IN, &inc, &[], bulk)?;
        self.count(b't', ty, 1);
        Ok(id)
    }

    /// Inserts many edges, in order; returns their ids. Endpoints are checked as for
    /// [`WriteTxn::insert_edge`]; adjacency entries are sorted and applied in key order.
    pub fn insert_edges(
        &mut self,
        specs: impl IntoIterator<Item = EdgeSpec>,
    ) -> Result<Vec<EdgeId>> {
        specs
            .into_iter()
            .map(|s| self.insert_edge_with(&s, true))
            .collect()
    }

    /// Replaces a node's data (`NodeNotFound` if it does not exist).
    pub fn update_node(&mut self, id: NodeId, data: Value) -> Result<()> {
        let key = id.0.to_be_bytes();
        let Some(old) = self.tx.tree(NODES)?.get(&key)? else {
            return Err(GraphError::NodeNotFound(id));
        };
        let data = encode_data("node data", &data)?;
        let (kind, name) = {
            let rec = decode_node(id, &old)?;
            (rec.kind, rec.name.to_string())
        };
        self.tx
            .tree(NODES)?
            .insert(&key, &encode_node(kind, &name, &data))?;
        if data.len() > INLINE_DATA_MAX {
            self.tx.tree(NODE_DATA)?.insert(&key, &data)?;
        } else {
            self.tx.tree(NODE_DATA)?.remove(&key)?;
        }
        Ok(())
    }

    /// Replaces an edge's data (`EdgeNotFound` if it does not exist).
    pub fn update_edge(&mut self, id: EdgeId, data: Value) -> Result<()> {
        let key = id.0.to_be_bytes();
        let Some(old) = self.tx.tree(EDGES)?.get(&key)? else {
            return Err(GraphError::EdgeNotFound(id));
        };
        let data = encode_data("edge data", &data)?;
        let rec = decode_edge(id, &old)?;
        let new = encode_edge(rec.from, rec.to, rec.edge_type, &data);
        self.tx.tree(EDGES)?.insert(&key, &new)?;
        Ok(())
    }

    /// Deletes an edge (`EdgeNotFound` if it does not exist).
    pub fn delete_edge(&mut self, id: EdgeId) -> Result<()> {
        let key = id.0.to_be_bytes();
        let Some(old) = self.tx.tree(EDGES)?.get(&key)? else {
            return Err(GraphError::EdgeNotFound(id));
        };
        let rec = decode_edge(id, &old)?;
        let (from, to, ty) = (rec.from, rec.to, rec.edge_type);
        self.tx
            .tree(OUT)?
            .remove(&adjacency_key(from, ty, to, id))?;
        self.tx.tree(IN)?.remove(&adjacency_key(to, ty, from, id))?;
        self.tx.tree(EDGES)?.remove(&key)?;
        self.count(b't', ty, -1);
        Ok(())
    }

    /// Deletes a node and every edge from or to it (`NodeNotFound` if it does not exist).
    pub fn delete_node(&mut self, id: NodeId) -> Result<()> {
        let key = id.0.to_be_bytes();
        let Some(old) = self.tx.tree(NODES)?.get(&key)? else {
            return Err(GraphError::NodeNotFound(id));
        };
        let (kind, name) = {
            let rec = decode_node(id, &old)?;
            (rec.kind, rec.name.to_string())
        };
        let mut edges = Vec::new();
        for tree in [OUT, IN] {
            let mut t = self.tx.tree(tree)?;
            let view = t.view()?;
            let mut range = view.prefix(&key);
            while let Some(entry) = range.next_ref() {
                let (k, _) = entry?;
                let (_, _, e) = decode_adjacency(k)
                    .ok_or_else(|| GraphError::corrupt("adjacency entry", id, "short key"))?;
                edges.push(e);
            }
        }
        edges.sort_unstable();
        edges.dedup();
        for e in edges {
            self.delete_edge(e)?;
        }
        self.tx.tree(KIND)?.remove(&kind_key(kind, id))?;
        self.tx.tree(NAME)?.remove(&name_key(&name, id))?;
        self.tx.tree(NODE_DATA)?.remove(&key)?;
        self.tx.tree(NODES)?.remove(&key)?;
        self.count(b'k', kind, -1);
        Ok(())
    }

    /// Makes the changes durable and visible; returns the storage transaction id.
    pub fn commit(mut self) -> Result<TxId> {
        for (name, value) in [
            (&b"next_node"[..], self.next_node),
            (b"next_edge", self.next_edge),
            (b"next_str", u64::from(self.next_str)),
        ] {
            self.tx.tree(META)?.insert(name, &value.to_be_bytes())?;
        }
        let deltas: Vec<([u8; 5], i64)> =
            self.count_deltas.drain().filter(|(_, d)| *d != 0).collect();
        for (key, delta) in deltas {
            let mut t = self.tx.tree(COUNTS)?;
            let now = t
                .get(&key)?
                .as_deref()
                .and_then(|b| record::be_u64(b, 0))
                .unwrap_or(0);
            let new = now
                .checked_add_signed(delta)
                .ok_or_else(|| GraphError::corrupt("count", format!("{key:?}"), "negative"))?;
            if new == 0 {
                t.remove(&key)?;
            } else {
                t.insert(&key, &new.to_be_bytes())?;
            }
        }
        Ok(self.tx.commit()?)
    }

    /// Discards every change (the same as dropping the transaction).
    pub fn abort(self) {
        self.tx.abort();
    }
}
