//! The graph write transaction: inserts, updates and deletes of nodes and edges, with every
//! index kept exact in the same transaction.
//!
//! `mod.rs` holds the record paths (batches, updates, deletes); `model.rs` the
//! labels/properties API (labels, properties, merge, delete by key); `indexes.rs` index
//! creation, drop and the upkeep of index entries on every write.

mod adjacency_writes;
mod deferred;
mod encoded;
mod indexes;
mod model;
mod pending;
mod upgrade;

pub use encoded::{EncodedBatch, EncodedData};
pub use model::{EdgeProps, Merged, NodeProps};

use std::collections::{BTreeSet, HashMap};

use pagegraph_storage::TxId;
use serde_json::Value;

use crate::adjacency;
use crate::degrees;
use crate::edges;
use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};
use crate::index::IndexDef;
use crate::lookup::{self, NodeState, Source};
use crate::props::{self, Properties};
use crate::record::{
    self, COUNTS, EDGES, EdgeRecord, IN, IN_DEG, IN_DELTA, INDEXES, INLINE_DATA_MAX, KIND,
    LABEL_SIZE_MAX, META, NAME, NAME_SIZE_MAX, NODE_DATA, NODES, OUT, OUT_DEG, OUT_DELTA, STR,
    STR_ID, count_key, edge_key, encode_data, encode_node, kind_key, name_key, node_key,
};
use crate::stage::{DataRef, Later, PARALLEL_ITEMS_MIN, Packed, Staged};

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

impl NodeSpec {
    /// A node of `kind` named `name`, with no data (JSON `null`).
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> NodeSpec {
        NodeSpec {
            kind: kind.into(),
            name: name.into(),
            data: Value::Null,
        }
    }

    /// The node's properties in the labels/properties view: the name (when not empty) as
    /// `name`, then each non-null field of object data, or data that is not an object as
    /// the one property `data`. `Invalid` for data a property cannot hold (an integer
    /// outside `i64`).
    pub fn properties(&self) -> Result<Properties> {
        props::to_properties("node data", &self.name, &self.data)
    }
}

impl EdgeSpec {
    /// An edge of `edge_type` from `from` to `to`, with no data (JSON `null`).
    pub fn new(from: NodeId, to: NodeId, edge_type: impl Into<String>) -> EdgeSpec {
        EdgeSpec {
            from,
            to,
            edge_type: edge_type.into(),
            data: Value::Null,
        }
    }

    /// The edge's properties in the labels/properties view: its data as
    /// [`NodeSpec::properties`] maps it (an edge has no name).
    pub fn properties(&self) -> Result<Properties> {
        props::to_properties("edge data", "", &self.data)
    }
}

/// An edge to insert with [`WriteTxn::insert_typed_edges`]: its type is an index into the
/// batch's list of types, so a batch of millions of edges names each type once.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedEdge {
    /// Source node (must exist).
    pub from: NodeId,
    /// Target node (must exist).
    pub to: NodeId,
    /// Its type: an index into the batch's types.
    pub edge_type: u32,
    /// Its data.
    pub data: EdgeData,
}

/// The data of a [`TypedEdge`]: a JSON value, or one already encoded (by a loader's
/// parsing thread, say, so that a batch holds bytes instead of a tree of values).
#[derive(Clone, Debug, PartialEq)]
pub enum EdgeData {
    /// JSON data (`Value::Null` for none, which costs no allocation).
    Value(Value),
    /// Data encoded by [`EncodedData::new`] or [`EncodedData::from_sorted`].
    Encoded(EncodedData),
}

impl From<Value> for EdgeData {
    fn from(v: Value) -> EdgeData {
        EdgeData::Value(v)
    }
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
    next_index: u32,
    strings: HashMap<String, u32>,
    count_deltas: HashMap<[u8; 5], i64>,
    /// The index catalog as this transaction sees it.
    catalog: Vec<IndexDef>,
    /// Adjacency entries held back by [`WriteTxn::defer_adjacency`].
    deferred: Option<deferred::Deferred>,
    /// Index entries added and not yet written to their trees.
    pending: pending::Pending,
}

impl Source for WriteTxn {
    fn view(&self, name: &str) -> Result<Option<pagegraph_storage::Tree<'_>>> {
        if self.deferred.is_some() && [OUT, IN, OUT_DELTA, IN_DELTA].contains(&name) {
            return Err(GraphError::AdjacencyDeferred);
        }
        Ok(self.tx.view_tree(name)?)
    }

    fn catalog(&self) -> Result<&[IndexDef]> {
        Ok(&self.catalog)
    }

    fn pending(&self, def: &IndexDef) -> Option<&BTreeSet<Vec<u8>>> {
        self.pending.get(def.id)
    }

    fn pending_edge_delta(&self) -> i64 {
        self.count_deltas
            .iter()
            .filter(|(k, _)| k[0] == b't')
            .map(|(_, d)| d)
            .sum()
    }
}

/// A node to insert, in either view: the first label (the kind; empty for none), the
/// others, the name and the data.
pub(crate) struct NewNode {
    pub kind: String,
    pub more: Vec<String>,
    pub name: String,
    pub data: Value,
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

/// A kind or edge type must be non-empty and at most [`LABEL_SIZE_MAX`] bytes.
fn check_label(field: &'static str, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(GraphError::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    check_len(field, s, LABEL_SIZE_MAX)
}

fn check_len(field: &'static str, s: &str, max: usize) -> Result<()> {
    if s.len() > max {
        return Err(GraphError::Invalid {
            field,
            reason: format!("{} bytes, more than the {max} allowed", s.len()),
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
        let next_index = u32::try_from(counter(&mut tx, b"next_index")?.max(1))
            .map_err(|_| GraphError::corrupt("counter", "next_index", "out of range"))?;
        let catalog = lookup::load_catalog(tx.view_tree(INDEXES)?)?;
        Ok(WriteTxn {
            tx,
            next_node,
            next_edge,
            next_str,
            next_index,
            strings: HashMap::new(),
            count_deltas: HashMap::new(),
            catalog,
            deferred: None,
            pending: pending::Pending::default(),
        })
    }

    /// The id of a string in the string table, adding it if new.
    pub(crate) fn intern(&mut self, s: &str) -> Result<u32> {
        // The empty string is "no label": id 0, never in the table.
        if s.is_empty() {
            return Ok(0);
        }
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

    /// Counts one item for each of `ids`, a run of equal ids at a time (batches mostly repeat
    /// one kind or type).
    fn count_each(&mut self, tag: u8, ids: &[u32]) {
        for run in ids.chunk_by(|a, b| a == b) {
            self.count(tag, run[0], i64::try_from(run.len()).unwrap_or(i64::MAX));
        }
    }

    /// A count as `g.counts` holds it (0 when absent), without this transaction's changes.
    fn stored_count(&self, key: [u8; 5]) -> Result<u64> {
        Ok(match self.tx.view_tree(COUNTS)? {
            Some(t) => t
                .get(&key)?
                .as_deref()
                .and_then(|b| record::be_u64(b, 0))
                .unwrap_or(0),
            None => 0,
        })
    }

    fn count(&mut self, tag: u8, id: u32, delta: i64) {
        if id != 0 {
            *self.count_deltas.entry(count_key(tag, id)).or_default() += delta;
        }
    }

    fn node_exists(&mut self, id: NodeId) -> Result<bool> {
        Ok(self.tx.tree(NODES)?.get(&node_key(id))?.is_some())
    }

    /// Inserts a node; returns its new id.
    pub fn insert_node(&mut self, spec: NodeSpec) -> Result<NodeId> {
        Ok(self.insert_nodes([spec])?[0])
    }

    /// Inserts many nodes, in order; returns their ids.
    ///
    /// All or nothing: every spec is checked before anything is written, so an invalid one
    /// leaves the transaction as it was. Each tree's entries are sorted first and written in
    /// one pass, which is much faster per node than one [`WriteTxn::insert_node`] at a time.
    /// The batch (names and encoded data) is held in memory: bound a batch's size.
    pub fn insert_nodes(
        &mut self,
        specs: impl IntoIterator<Item = NodeSpec>,
    ) -> Result<Vec<NodeId>> {
        self.insert_new_nodes(
            specs.into_iter().map(|s| NewNode {
                kind: s.kind,
                more: Vec::new(),
                name: s.name,
                data: s.data,
            }),
            true,
        )
    }

    /// Checks and stages new nodes (see [`Staged::stage`]), keeping their names, their
    /// labels after the first, and their index entries, made while each node's data is
    /// still parsed.
    fn stage_nodes(
        &self,
        specs: impl IntoIterator<Item = NewNode>,
        kind_required: bool,
    ) -> Result<StagedNodes> {
        let mut names: Vec<String> = Vec::new();
        let mut mores: Vec<(usize, Vec<String>)> = Vec::new();
        let mut entries: Vec<(usize, usize, Vec<u8>)> = Vec::new();
        let mut index_entries = indexes::NodeEntries::new(self);
        let batch = Staged::stage(
            specs,
            "node data",
            |s: &NewNode| DataRef::Value(&s.data),
            |spec, labels| {
                let more = check_new_node(spec, kind_required)?;
                let at = names.len();
                index_entries.of(spec, more.as_deref(), |d, key| {
                    entries.push((at, d, key));
                })?;
                if let Some(more) = more {
                    mores.push((at, more));
                }
                labels.push(&spec.kind);
                names.push(std::mem::take(&mut spec.name));
                Ok(())
            },
        )?;
        Ok(StagedNodes {
            batch,
            names,
            mores,
            entries,
        })
    }

    /// Inserts nodes of either view; `kind_required` refuses nodes without a label (the
    /// `NodeSpec` API's rule).
    pub(crate) fn insert_new_nodes(
        &mut self,
        specs: impl IntoIterator<Item = NewNode>,
        kind_required: bool,
    ) -> Result<Vec<NodeId>> {
        let StagedNodes {
            batch,
            names,
            mores,
            entries: staged_entries,
        } = self.stage_nodes(specs, kind_required)?;
        let kinds = batch.intern_labels(self)?;
        let mut more_ids: Vec<(usize, Vec<u32>)> = Vec::with_capacity(mores.len());
        for (i, more) in &mores {
            let ids = more.iter().map(|l| self.intern(l)).collect::<Result<_>>()?;
            more_ids.push((*i, ids));
        }
        let first = self.next_node;
        let ids: Vec<NodeId> = (first..first + names.len() as u64).map(NodeId).collect();
        // Every label of node `i`: its kind, then the others.
        let mut full = HashMap::new();
        for (i, more) in &more_ids {
            let mut all = vec![kinds[*i]];
            all.extend_from_slice(more);
            full.insert(*i, all);
        }
        let labels = BatchLabels {
            kinds: &kinds,
            full,
        };
        let labels_of = |i: usize| labels.of(i);
        // Index entries, each checked against its unique constraint before anything is
        // written, so that a violation leaves the transaction as it was.
        let entries: indexes::BatchEntries = staged_entries
            .into_iter()
            .map(|(at, d, key)| (d, key, ids[at].0))
            .collect();
        self.check_batch_unique(&entries)?;
        self.next_node += names.len() as u64;
        std::thread::scope(|scope| -> Result<()> {
            // The index entries are sorted on helpers while the records are written.
            let parallel = ids.len() >= PARALLEL_ITEMS_MIN;
            let kind_keys = Later::start(scope, parallel, || {
                let mut keys: Vec<(u32, NodeId)> = kinds
                    .iter()
                    .copied()
                    .zip(ids.iter().copied())
                    .filter(|&(k, _)| k != 0)
                    .collect();
                for (i, more) in &more_ids {
                    keys.extend(more.iter().map(|&l| (l, ids[*i])));
                }
                keys.sort_unstable();
                keys
            });
            let name_keys = Later::start(scope, parallel, || {
                let mut keys: Vec<Vec<u8>> = names
                    .iter()
                    .zip(&ids)
                    .map(|(name, &id)| name_key(name, id))
                    .collect();
                keys.sort_unstable();
                keys
            });
            // Ids ascend, so the record trees are written in key order as they are.
            let records = Packed::encode(ids.len(), |i, out| {
                encode_node(out, labels_of(i), &names[i], batch.data(i));
            });
            self.tx.tree(NODES)?.insert_many(
                ids.iter()
                    .zip(records.iter())
                    .map(|(&id, r)| (node_key(id), r)),
            )?;
            drop(records);
            self.tx.tree(NODE_DATA)?.insert_many(
                ids.iter()
                    .enumerate()
                    .filter(|&(i, _)| batch.data(i).len() > INLINE_DATA_MAX)
                    .map(|(i, &id)| (node_key(id), batch.data(i))),
            )?;
            // Sorted runs: a run large against its tree rewrites it with full pages (see
            // `TreeMut::insert_sorted`) where inserting would leave most leaves half full.
            let kinds: Vec<(record::Key, [u8; 0])> = kind_keys
                .get()
                .iter()
                .map(|&(k, id)| (kind_key(k, id), []))
                .collect();
            self.tx.tree(KIND)?.insert_sorted(&kinds)?;
            drop(kinds);
            let name_keys = name_keys.get();
            let names: Vec<(&[u8], [u8; 0])> =
                name_keys.iter().map(|k| (k.as_slice(), [])).collect();
            self.tx.tree(NAME)?.insert_sorted(&names)?;
            Ok(())
        })?;
        self.insert_entries(entries)?;
        self.count_each(b'k', &kinds);
        for (_, more) in &more_ids {
            for &l in more {
                self.count(b'k', l, 1);
            }
        }
        Ok(ids)
    }

    /// Inserts an edge; both endpoints must exist (`NodeNotFound` otherwise).
    pub fn insert_edge(&mut self, spec: EdgeSpec) -> Result<EdgeId> {
        Ok(self.insert_edges([spec])?[0])
    }

    /// Inserts many edges, in order; returns their ids.
    ///
    /// All or nothing: every spec is checked (endpoints as for [`WriteTxn::insert_edge`],
    /// type, data) before anything is written, so an invalid one leaves the transaction as
    /// it was. Each tree's entries are sorted first and written in one pass, which is much
    /// faster per edge. The batch (endpoints and encoded data) is held in memory: bound a
    /// batch's size.
    pub fn insert_edges(
        &mut self,
        specs: impl IntoIterator<Item = EdgeSpec>,
    ) -> Result<Vec<EdgeId>> {
        let mut ends: Vec<(NodeId, NodeId)> = Vec::new();
        let batch = Staged::stage(
            specs,
            "edge data",
            |s: &EdgeSpec| DataRef::Value(&s.data),
            |spec, labels| {
                check_label("edge type", &spec.edge_type)?;
                labels.push(&spec.edge_type);
                ends.push((spec.from, spec.to));
                Ok(())
            },
        )?;
        self.write_new_edges(&ends, batch)
    }

    /// Inserts many edges whose types are indexes into `types`, in order; returns their
    /// ids. The same as [`WriteTxn::insert_edges`] (all or nothing, every edge checked
    /// first), without a type string per edge: the way to load millions of edges. An index
    /// past the end of `types` is `Invalid`.
    pub fn insert_typed_edges<T: AsRef<str>>(
        &mut self,
        types: &[T],
        edges: impl IntoIterator<Item = TypedEdge>,
    ) -> Result<Vec<EdgeId>> {
        for t in types {
            check_label("edge type", t.as_ref())?;
        }
        let mut ends: Vec<(NodeId, NodeId)> = Vec::new();
        let batch = Staged::stage(
            edges,
            "edge data",
            |e: &TypedEdge| match &e.data {
                EdgeData::Value(v) => DataRef::Value(v),
                EdgeData::Encoded(d) => DataRef::Encoded(d.as_bytes()),
            },
            |e, labels| {
                let Some(t) = types.get(e.edge_type as usize) else {
                    return Err(GraphError::Invalid {
                        field: "edge type",
                        reason: format!("type {} of a batch of {} types", e.edge_type, types.len()),
                    });
                };
                labels.push(t.as_ref());
                ends.push((e.from, e.to));
                Ok(())
            },
        )?;
        self.write_new_edges(&ends, batch)
    }

    /// Inserts edges of one type, edge `i` from `ends[i].0` to `ends[i].1` with the `i`-th
    /// data of `data`; returns their ids, in order. The same as
    /// [`WriteTxn::insert_typed_edges`] (all or nothing, every endpoint checked first) for
    /// data encoded ahead, by a loader's helper thread say: no value or allocation per edge.
    /// `Invalid` when `data` does not hold one item per edge.
    pub fn insert_edges_encoded(
        &mut self,
        edge_type: &str,
        ends: &[(NodeId, NodeId)],
        data: EncodedBatch,
    ) -> Result<Vec<EdgeId>> {
        check_label("edge type", edge_type)?;
        if data.len() != ends.len() {
            return Err(GraphError::Invalid {
                field: "edge data",
                reason: format!("{} items of data for {} edges", data.len(), ends.len()),
            });
        }
        if ends.is_empty() {
            return Ok(Vec::new());
        }
        let labels = crate::stage::Labels::repeat(edge_type, ends.len());
        self.write_new_edges(ends, Staged::from_parts(data.data, labels))
    }

    /// Writes a staged batch of new edges (`ends` and `batch` item by item): endpoints
    /// checked, types interned, records, adjacency, index entries and counts.
    fn write_new_edges(&mut self, ends: &[(NodeId, NodeId)], batch: Staged) -> Result<Vec<EdgeId>> {
        self.check_nodes_exist(ends.iter().flat_map(|&(a, b)| [a, b]))?;
        let types = batch.intern_labels(self)?;
        let first = self.next_edge;
        let ids: Vec<EdgeId> = (first..first + ends.len() as u64).map(EdgeId).collect();
        let entries = self.batch_edge_entries(&ids, &types, &batch)?;
        self.check_batch_unique(&entries)?;
        self.next_edge += ends.len() as u64;
        // Deferred: each direction's sort thread takes the batch and sorts it while this
        // thread writes the records and goes on with the next batch.
        let deferring = self.defer_batch(|| deferred::DeferBatch {
            ends: ends.to_vec(),
            types: types.clone(),
            first: EdgeId(first),
        })?;
        if deferring {
            self.append_edge_records(ends, &types, &ids, &batch)?;
        } else {
            self.write_edges_and_adjacency(ends, &types, &ids, &batch)?;
        }
        self.insert_entries(entries)?;
        self.count_each(b't', &types);
        for (&(from, to), &ty) in ends.iter().zip(&types) {
            if from == to {
                self.count(b'l', ty, 1);
            }
        }
        Ok(ids)
    }

    /// Writes a batch's records, and its adjacency sorted on helpers meanwhile.
    fn write_edges_and_adjacency(
        &mut self,
        ends: &[(NodeId, NodeId)],
        types: &[u32],
        ids: &[EdgeId],
        batch: &Staged,
    ) -> Result<()> {
        std::thread::scope(|scope| -> Result<()> {
            // Each direction's entries are sorted on a helper while the records are
            // written.
            let parallel = ids.len() >= PARALLEL_ITEMS_MIN;
            let outgoing =
                Later::start(scope, parallel, || adjacency_sorted(ends, types, ids, true));
            let incoming = Later::start(scope, parallel, || {
                adjacency_sorted(ends, types, ids, false)
            });
            self.append_edge_records(ends, types, ids, batch)?;
            self.insert_adjacency(OUT, &outgoing.get())?;
            self.insert_adjacency(IN, &incoming.get())
        })
    }

    /// Writes the records of a batch of new edges (ids above every existing one) as
    /// chunks after the last, packing edges without data into the last chunk while it has
    /// room (see `edges.rs`).
    fn append_edge_records(
        &mut self,
        ends: &[(NodeId, NodeId)],
        types: &[u32],
        ids: &[EdgeId],
        batch: &Staged,
    ) -> Result<()> {
        let mut tree = self.tx.tree(EDGES)?;
        let tail = edges::open_tail(&tree.view()?)?;
        let new = ids.iter().enumerate().map(|(i, &id)| {
            let (from, to) = ends[i];
            let rec = EdgeRecord {
                from,
                to,
                edge_type: types[i],
                data: batch.data(i),
            };
            (id, rec)
        });
        // Chunks kept in one buffer: `arena[ends[i - 1]..ends[i]]` is chunk `i`.
        let (mut keys, mut arena, mut chunk_ends) = (Vec::new(), Vec::new(), Vec::new());
        edges::pack(
            tail.iter().map(edges::Owned::as_rec).chain(new),
            |first, v| {
                keys.push(edge_key(first));
                arena.extend_from_slice(v);
                chunk_ends.push(arena.len());
                Ok(())
            },
        )?;
        let mut start = 0;
        // Keys ascend: the first may replace the tail chunk, the others are new.
        tree.insert_many(keys.iter().zip(&chunk_ends).map(|(k, &end)| {
            let v = &arena[start..end];
            start = end;
            (k, v)
        }))?;
        Ok(())
    }

    /// Fails with `NodeNotFound` naming the first of `ids` (in order) that does not exist.
    fn check_nodes_exist(&mut self, ids: impl Iterator<Item = NodeId> + Clone) -> Result<()> {
        // Ids are handed out in order and never reused: with no node ever deleted, exactly
        // the ids below `next_node` exist, and no lookup is needed.
        let dense = self.tx.tree(NODES)?.len()? == self.next_node - 1;
        let next = self.next_node;
        let in_range = |id: NodeId| id.0 != 0 && id.0 < next;
        if dense {
            return match ids.clone().find(|&id| !in_range(id)) {
                Some(id) => Err(GraphError::NodeNotFound(id)),
                None => Ok(()),
            };
        }
        let mut sorted: Vec<NodeId> = ids.clone().filter(|&id| in_range(id)).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut missing = std::collections::HashSet::new();
        for id in sorted {
            if !self.node_exists(id)? {
                missing.insert(id);
            }
        }
        match ids
            .clone()
            .find(|id| !in_range(*id) || missing.contains(id))
        {
            Some(id) => Err(GraphError::NodeNotFound(id)),
            None => Ok(()),
        }
    }

    /// Replaces a node's data (`NodeNotFound` if it does not exist).
    pub fn update_node(&mut self, id: NodeId, data: Value) -> Result<()> {
        self.rewrite_node(id, |n| {
            n.data = data;
            Ok(())
        })
    }

    /// Changes a node with `change` and writes it back: the record, the name and label
    /// indexes, the counts and every property index. Everything is checked (sizes, unique
    /// constraints) before anything is written; a change that leaves the node as it was
    /// writes nothing (a re-import that merges the values a node has).
    pub(crate) fn rewrite_node(
        &mut self,
        id: NodeId,
        change: impl FnOnce(&mut NodeState) -> Result<()>,
    ) -> Result<()> {
        let Some((old, stored)) = lookup::node_state_stored(self, id)? else {
            return Err(GraphError::NodeNotFound(id));
        };
        let mut new = old.clone();
        change(&mut new)?;
        if new == old {
            // Nothing changed (a merge of the values a node has): nothing to write.
            return Ok(());
        }
        check_len("node name", &new.name, NAME_SIZE_MAX)?;
        let data = encode_data("node data", &new.data)?;
        let (removed, added) = self.node_entry_changes(&old, &new)?;
        self.check_unique(&added, id.0)?;
        let key = node_key(id);
        let mut rec = Vec::new();
        encode_node(&mut rec, &new.labels, &new.name, &data);
        // A tree whose bytes stay the same is left alone: writing would copy its page.
        if rec != stored.record {
            self.tx.tree(NODES)?.insert(&key, &rec)?;
        }
        if data.len() > INLINE_DATA_MAX {
            if stored.outside.as_deref() != Some(data.as_slice()) {
                self.tx.tree(NODE_DATA)?.insert(&key, &data)?;
            }
        } else if stored.outside.is_some() {
            self.tx.tree(NODE_DATA)?.remove(&key)?;
        }
        if new.name != old.name {
            self.tx.tree(NAME)?.remove(&name_key(&old.name, id))?;
            self.tx.tree(NAME)?.insert(&name_key(&new.name, id), &[])?;
        }
        for &l in &old.labels {
            if !new.labels.contains(&l) {
                self.tx.tree(KIND)?.remove(&kind_key(l, id))?;
                self.count(b'k', l, -1);
            }
        }
        for &l in &new.labels {
            if !old.labels.contains(&l) {
                self.tx.tree(KIND)?.insert(&kind_key(l, id), &[])?;
                self.count(b'k', l, 1);
            }
        }
        self.apply_entries(id.0, &removed, &added)
    }

    /// Changes an edge's data with `change` and writes it back, keeping its indexes exact;
    /// nothing is written when the data stays as it was.
    pub(crate) fn rewrite_edge(
        &mut self,
        id: EdgeId,
        change: impl FnOnce(&mut Value) -> Result<()>,
    ) -> Result<()> {
        let Some(old) = lookup::edge_state(self, id)? else {
            return Err(GraphError::EdgeNotFound(id));
        };
        let mut new_data = old.data.clone();
        change(&mut new_data)?;
        if new_data == old.data {
            return Ok(());
        }
        let data = encode_data("edge data", &new_data)?;
        let (removed, added) = self.edge_entry_changes(old.edge_type, &old.data, &new_data)?;
        self.check_unique(&added, id.0)?;
        let rec = edges::Owned {
            id,
            from: old.from,
            to: old.to,
            edge_type: old.edge_type,
            data,
        };
        if !edges::replace(&mut self.tx.tree(EDGES)?, id, Some(rec))? {
            return Err(GraphError::corrupt("edge", id, "vanished from its chunk"));
        }
        self.apply_entries(id.0, &removed, &added)
    }

    /// Replaces an edge's data (`EdgeNotFound` if it does not exist).
    pub fn update_edge(&mut self, id: EdgeId, data: Value) -> Result<()> {
        self.rewrite_edge(id, |d| {
            *d = data;
            Ok(())
        })
    }

    /// Deletes an edge (`EdgeNotFound` if it does not exist).
    pub fn delete_edge(&mut self, id: EdgeId) -> Result<()> {
        self.adjacency_not_deferred()?;
        let Some(old) = lookup::edge_state(self, id)? else {
            return Err(GraphError::EdgeNotFound(id));
        };
        let (from, to, ty) = (old.from, old.to, old.edge_type);
        let entries = self.edge_entries(ty, &old.data)?;
        self.apply_entries(id.0, &entries, &[])?;
        self.remove_adjacency(OUT, from, ty, to, id)?;
        self.remove_adjacency(IN, to, ty, from, id)?;
        degrees::take_one(&mut self.tx.tree(OUT_DEG)?, from, ty)?;
        degrees::take_one(&mut self.tx.tree(IN_DEG)?, to, ty)?;
        if !edges::replace(&mut self.tx.tree(EDGES)?, id, None)? {
            return Err(GraphError::corrupt("edge", id, "vanished from its chunk"));
        }
        self.count(b't', ty, -1);
        if from == to {
            self.count(b'l', ty, -1);
        }
        Ok(())
    }

    /// Repacks both adjacency trees: each node's neighbors of one type that would fit in
    /// fewer chunks than they take (format 2's one chunk per edge, chunks split by inserts
    /// or thinned by deletes) are rewritten as full chunks; nothing else changes. Returns
    /// how many runs were rewritten, plus the delta chunks merged: the adjacency delta
    /// trees are merged into the main trees first ([`WriteTxn::merge_adjacency_deltas`]).
    /// `compact` runs it before copying the file.
    pub fn repack_adjacency(&mut self) -> Result<u64> {
        let merged = self.merge_adjacency_deltas()?;
        let out = merged + adjacency::repack(&mut self.tx.tree(OUT)?)?;
        Ok(out + adjacency::repack(&mut self.tx.tree(IN)?)?)
    }

    /// Repacks the edge records: runs of chunks of edges without data that would fit in
    /// fewer chunks (thinned by deletes, split by data changes, graph format 3's one edge
    /// per key) are rewritten as full chunks. Returns how many chunks fewer there are.
    /// `compact` runs it before copying the file.
    pub fn repack_edges(&mut self) -> Result<u64> {
        edges::repack(&mut self.tx.tree(EDGES)?)
    }

    /// Deletes a node and every edge from or to it (`NodeNotFound` if it does not exist).
    pub fn delete_node(&mut self, id: NodeId) -> Result<()> {
        self.adjacency_not_deferred()?;
        let key = node_key(id);
        let Some(old) = lookup::node_state(self, id)? else {
            return Err(GraphError::NodeNotFound(id));
        };
        let mut edges = Vec::new();
        for tree in [OUT, IN] {
            let main = self.tx.view_tree(tree)?;
            let delta = self.tx.view_tree(adjacency::delta::delta_of(tree))?;
            adjacency::delta::for_each_pair(main.as_ref(), delta.as_ref(), id, None, |_, _, e| {
                edges.push(e);
            })?;
        }
        edges.sort_unstable();
        edges.dedup();
        for e in edges {
            self.delete_edge(e)?;
        }
        let entries = self.node_entries(&old)?;
        self.apply_entries(id.0, &entries, &[])?;
        for &l in &old.labels {
            self.tx.tree(KIND)?.remove(&kind_key(l, id))?;
            self.count(b'k', l, -1);
        }
        self.tx.tree(NAME)?.remove(&name_key(&old.name, id))?;
        self.tx.tree(NODE_DATA)?.remove(&key)?;
        self.tx.tree(NODES)?.remove(&key)?;
        Ok(())
    }

    /// Makes the changes durable and visible; returns the storage transaction id.
    pub fn commit(mut self) -> Result<TxId> {
        self.flush_adjacency()?;
        self.merge_due_adjacency()?;
        self.flush_pending()?;
        for (name, value) in [
            (&b"next_node"[..], self.next_node),
            (b"next_edge", self.next_edge),
            (b"next_str", u64::from(self.next_str)),
            (b"next_index", u64::from(self.next_index)),
        ] {
            self.tx.tree(META)?.insert(name, &value.to_be_bytes())?;
        }
        let deltas: Vec<([u8; 5], i64)> =
            self.count_deltas.drain().filter(|(_, d)| *d != 0).collect();
        for (key, delta) in deltas {
            let now = self.stored_count(key)?;
            let mut t = self.tx.tree(COUNTS)?;
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

/// Checks a new node's labels and name; takes and returns its labels after the first,
/// without repeats, when it has any.
fn check_new_node(spec: &mut NewNode, kind_required: bool) -> Result<Option<Vec<String>>> {
    if kind_required || !spec.kind.is_empty() {
        check_label("node kind", &spec.kind)?;
    }
    check_len("node name", &spec.name, NAME_SIZE_MAX)?;
    if spec.more.is_empty() {
        return Ok(None);
    }
    if spec.kind.is_empty() {
        return Err(GraphError::Invalid {
            field: "node labels",
            reason: "more labels without a first".into(),
        });
    }
    let mut more = std::mem::take(&mut spec.more);
    for l in &more {
        check_label("node label", l)?;
    }
    let mut seen = vec![spec.kind.clone()];
    more.retain(|l| {
        let new = !seen.contains(l);
        if new {
            seen.push(l.clone());
        }
        new
    });
    Ok((!more.is_empty()).then_some(more))
}

/// A batch of new nodes, checked and staged.
struct StagedNodes {
    batch: Staged,
    names: Vec<String>,
    /// The nodes with more than one label: (position, the labels after the first).
    mores: Vec<(usize, Vec<String>)>,
    /// Index entries: (position, place of the index in the catalog, key of the values).
    entries: Vec<(usize, usize, Vec<u8>)>,
}

/// The labels of a batch's nodes: each one's kind, and all labels of those with more.
pub(crate) struct BatchLabels<'a> {
    kinds: &'a [u32],
    full: HashMap<usize, Vec<u32>>,
}

impl BatchLabels<'_> {
    /// Node `i`'s labels (none for kind 0).
    pub(crate) fn of(&self, i: usize) -> &[u32] {
        match self.full.get(&i) {
            Some(all) => all,
            None if self.kinds[i] == 0 => &[],
            None => std::slice::from_ref(&self.kinds[i]),
        }
    }
}

/// An adjacency entry before encoding: (node, edge type, other end, edge).
type Adjacency = adjacency::Entry;

/// A batch's adjacency entries for one direction, in key order.
fn adjacency_sorted(
    ends: &[(NodeId, NodeId)],
    types: &[u32],
    ids: &[EdgeId],
    outgoing: bool,
) -> Vec<Adjacency> {
    let mut entries: Vec<Adjacency> = ends
        .iter()
        .zip(types)
        .zip(ids)
        .map(|((&(from, to), &ty), &id)| {
            if outgoing {
                (from, ty, to, id)
            } else {
                (to, ty, from, id)
            }
        })
        .collect();
    // Ordered varints sort as the numbers do, so sorting the tuples sorts the keys.
    entries.sort_unstable();
    entries
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn encoded_data_from_sorted_entries_is_the_encoding_of_their_object() {
        let (a, b) = (json!(1.5), json!(["x", {"y": null}]));
        let got = EncodedData::from_sorted([("a", &a), ("b\"", &b)]).unwrap();
        let want = EncodedData::new(&json!({"b\"": b, "a": a})).unwrap();
        assert_eq!(got, want);
        assert_eq!(got.to_value().unwrap(), json!({"b\"": b, "a": a}));
        let empty = EncodedData::from_sorted([]).unwrap();
        assert_eq!(empty, EncodedData::new(&json!({})).unwrap());
        assert_eq!(empty.to_value().unwrap(), json!({}));
        for bad in [[("b", &a), ("a", &b)], [("a", &a), ("a", &b)]] {
            assert!(matches!(
                EncodedData::from_sorted(bad),
                Err(GraphError::Invalid { .. })
            ));
        }
        let big = json!("x".repeat(crate::DATA_SIZE_MAX));
        assert!(EncodedData::from_sorted([("k", &big)]).is_err());
        assert!(EncodedData::new(&big).is_err());
    }
}
