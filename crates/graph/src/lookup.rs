//! Reads shared by snapshots and the write transaction (which sees its own writes):
//! records in the labels/properties view, the index catalog, and property lookups.

use std::collections::BTreeSet;
use std::ops::Bound;

use pagegraph_storage::{Tree, ValueRef};
use serde_json::Value;

use crate::edges;
use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};
use crate::index::{Condition, IndexDef, IndexHits, IndexInfo, IndexKind, IndexState, IndexTarget};
use crate::props::{self, Properties};
use crate::record::{
    COUNTS, EDGES, KIND, NODE_DATA, NODES, STR, STR_ID, decode_data, decode_id_key,
    decode_kind_key, decode_node, kind_prefix, node_key,
};
use crate::value::PropertyValue;
use crate::value::key::{KeyRange, equal_keys};

/// Where reads come from: a snapshot, or the write transaction as it stands.
pub(crate) trait Source {
    /// A view of a graph tree, `None` if it does not exist.
    fn view(&self, name: &str) -> Result<Option<Tree<'_>>>;
    /// The index catalog.
    fn catalog(&self) -> Result<&[IndexDef]>;

    /// Edges added less edges removed by a write transaction and not yet in `g.counts`
    /// (counts are written at commit); 0 for a snapshot.
    fn pending_edge_delta(&self) -> i64 {
        0
    }

    /// A view of the entry tree of `def` (an index of this catalog), `None` if it does not
    /// exist.
    fn index_view(&self, def: &IndexDef) -> Result<Option<Tree<'_>>> {
        self.view(&def.tree())
    }

    /// Views of the delta trees of `def`, added and removed (see `index`, "Delta trees"),
    /// `None` where one does not exist; always `None` for a unique index, which never has
    /// them.
    fn delta_views(&self, def: &IndexDef) -> Result<[Option<Tree<'_>>; 2]> {
        if def.unique {
            return Ok([None, None]);
        }
        Ok([
            self.view(&def.delta_tree())?,
            self.view(&def.removed_tree())?,
        ])
    }

    /// The entries a write transaction holds for index `def` and has not yet written to
    /// its tree (see `write::pending`); `None` for a snapshot.
    fn pending(&self, _def: &IndexDef) -> Option<&BTreeSet<Vec<u8>>> {
        None
    }

    /// The hits of `ranges` in index `def`, as this source sees the index.
    fn index_hits(&self, def: &IndexDef, ranges: Vec<KeyRange>) -> Result<IndexHits<'_>> {
        Ok(IndexHits::new(
            def,
            self.index_view(def)?,
            self.delta_views(def)?,
            self.pending(def),
            ranges,
        ))
    }

    /// The id of an interned string, if it is interned.
    fn string_id(&self, s: &str) -> Result<Option<u32>> {
        if s.is_empty() {
            return Ok(Some(0));
        }
        let Some(t) = self.view(STR)? else {
            return Ok(None);
        };
        t.get(s.as_bytes())?
            .map(|v| {
                <[u8; 4]>::try_from(v.as_slice())
                    .map(u32::from_be_bytes)
                    .map_err(|_| GraphError::corrupt("string id", s, "bad length"))
            })
            .transpose()
    }

    /// The string with this id (0: the empty string).
    fn string(&self, id: u32) -> Result<String> {
        if id == 0 {
            return Ok(String::new());
        }
        let s = self
            .view(STR_ID)?
            .map(|t| t.get(&id.to_be_bytes()))
            .transpose()?
            .flatten()
            .ok_or_else(|| GraphError::corrupt("string", id, "missing from the string table"))?;
        String::from_utf8(s).map_err(|_| GraphError::corrupt("string", id, "not UTF-8"))
    }
}

/// Loads the index catalog from `g.idx`.
pub(crate) fn load_catalog(tree: Option<Tree<'_>>) -> Result<Vec<IndexDef>> {
    let mut out = Vec::new();
    if let Some(t) = tree {
        for entry in &t {
            let (k, v) = entry?;
            out.push(IndexDef::decode(&k, &v)?);
        }
    }
    Ok(out)
}

/// A node in the labels/properties view, as stored.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NodeState {
    /// String ids; the first is the kind.
    pub labels: Vec<u32>,
    pub name: String,
    pub data: Value,
}

impl NodeState {
    /// One property (see `props`).
    pub(crate) fn property(&self, key: &str) -> Result<Option<PropertyValue>> {
        props::property("node data", &self.name, &self.data, key)
    }
}

/// An edge's type and data, as stored.
pub(crate) struct EdgeState {
    pub from: NodeId,
    pub to: NodeId,
    pub edge_type: u32,
    pub data: Value,
}

impl EdgeState {
    pub(crate) fn property(&self, key: &str) -> Result<Option<PropertyValue>> {
        props::property("edge data", "", &self.data, key)
    }
}

/// A node's record and outside data as stored: what a rewrite compares with, to leave a
/// tree whose bytes would not change untouched (a rewritten page is copied and logged).
pub(crate) struct StoredNode {
    pub record: Vec<u8>,
    /// The data in `g.node_data`, when it is there.
    pub outside: Option<Vec<u8>>,
}

/// The node `id` with its labels and decoded data, and its bytes as stored.
pub(crate) fn node_state_stored(
    src: &dyn Source,
    id: NodeId,
) -> Result<Option<(NodeState, StoredNode)>> {
    let Some(nodes) = src.view(NODES)? else {
        return Ok(None);
    };
    let key = node_key(id);
    let Some(record) = nodes.get(&key)? else {
        return Ok(None);
    };
    let (labels, name, inline) = {
        let rec = decode_node(id, &record)?;
        let data = rec.data.map(|d| decode_data("node", id, d)).transpose()?;
        (rec.labels(), rec.name.to_string(), data)
    };
    let (data, outside) = if let Some(d) = inline {
        (d, None)
    } else {
        let bytes = src
            .view(NODE_DATA)?
            .map(|t| t.get(&key))
            .transpose()?
            .flatten()
            .ok_or_else(|| GraphError::corrupt("node", id, "data missing from g.node_data"))?;
        (decode_data("node", id, &bytes)?, Some(bytes))
    };
    Ok(Some((
        NodeState { labels, name, data },
        StoredNode { record, outside },
    )))
}

/// The node `id` with its labels and decoded data.
pub(crate) fn node_state(src: &dyn Source, id: NodeId) -> Result<Option<NodeState>> {
    let Some(nodes) = src.view(NODES)? else {
        return Ok(None);
    };
    let key = node_key(id);
    let found = nodes.get_with(&key, |bytes| -> Result<_> {
        let rec = decode_node(id, bytes)?;
        let data = rec.data.map(|d| decode_data("node", id, d)).transpose()?;
        Ok((rec.labels(), rec.name.to_string(), data))
    })?;
    let Some((labels, name, data)) = found.transpose()? else {
        return Ok(None);
    };
    let data = match data {
        Some(d) => d,
        None => decode_data("node", id, &outside_data(src, id)?)?,
    };
    Ok(Some(NodeState { labels, name, data }))
}

/// The data of node `id` kept outside its record (in `g.node_data`); its absence is damage.
fn outside_data(src: &dyn Source, id: NodeId) -> Result<Vec<u8>> {
    src.view(NODE_DATA)?
        .map(|t| t.get(&node_key(id)))
        .transpose()?
        .flatten()
        .ok_or_else(|| GraphError::corrupt("node", id, "data missing from g.node_data"))
}

/// A node's labels, reading its record and no data; `None` when there is no such node.
pub(crate) fn node_labels(src: &dyn Source, id: NodeId) -> Result<Option<Vec<String>>> {
    let Some(nodes) = src.view(NODES)? else {
        return Ok(None);
    };
    let Some(ids) = nodes
        .get_with(&node_key(id), |bytes| {
            decode_node(id, bytes).map(|r| r.labels())
        })?
        .transpose()?
    else {
        return Ok(None);
    };
    Ok(Some(
        ids.iter()
            .map(|&l| src.string(l))
            .collect::<Result<Vec<_>>>()?,
    ))
}

/// One property of a node, reading only that field of its data (see `fields`); `None` when
/// there is no such node or it lacks the property (or holds null).
pub(crate) fn node_property(
    src: &dyn Source,
    id: NodeId,
    key: &str,
) -> Result<Option<PropertyValue>> {
    Ok(node_properties(src, id, &[key])?.and_then(|mut v| v.pop().flatten()))
}

/// Properties `keys` of a node from one read of its record, in `keys` order (`None` for
/// one it lacks or holds null), reading only those fields of its data; `None` when there is
/// no such node.
pub(crate) fn node_properties(
    src: &dyn Source,
    id: NodeId,
    keys: &[&str],
) -> Result<Option<Vec<Option<PropertyValue>>>> {
    let Some(nodes) = src.view(NODES)? else {
        return Ok(None);
    };
    // The name is copied only for data kept outside the record, read after this.
    let found = nodes.get_with(&node_key(id), |bytes| -> Result<_> {
        let rec = decode_node(id, bytes)?;
        Ok(match rec.data {
            Some(d) => Ok(props::properties_in_data(
                "node data",
                "node",
                id,
                rec.name,
                d,
                keys,
            )?),
            None => Err(rec.name.to_string()),
        })
    })?;
    let Some(found) = found.transpose()? else {
        return Ok(None);
    };
    Ok(Some(match found {
        Ok(values) => values,
        Err(name) => props::properties_in_data(
            "node data",
            "node",
            id,
            &name,
            &outside_data(src, id)?,
            keys,
        )?,
    }))
}

/// A scan of the records between the first and the last of some ids reads this many
/// records per id at most; sparser ids are looked up one by one. A lookup descends the tree
/// and searches a leaf at each level; stepping to the next record of a leaf costs a small
/// fraction of that, so a scan wins well beyond one record in two.
const SCAN_SPAN_PER_ID_MAX: u64 = 8;

/// Calls `f(id, name, data)` for each node of `ids` (ascending, distinct, every one
/// existing), in order, with its name and its data as stored, not yet checked as UTF-8:
/// `f` reads it with a reader that checks what it reads (`fields.rs`, the JSON parser),
/// as the record decode would otherwise check it first (see `decode_node`). Dense ids are read
/// in one scan of the node records and of the outside data beside them, sparse ones by
/// lookups. A missing node is damage (the ids come from an index), reported as naming
/// `what`.
pub(crate) fn each_node_data<E: From<GraphError>>(
    src: &dyn Source,
    ids: &[NodeId],
    what: &'static str,
    mut f: impl FnMut(NodeId, &str, &[u8]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else {
        return Ok(());
    };
    let missing = |id: NodeId| GraphError::corrupt(what, id, "names a missing node");
    let Some(nodes) = src.view(NODES)? else {
        return Err(missing(first).into());
    };
    let outside = src.view(NODE_DATA)?;
    let no_data = |id: NodeId| GraphError::corrupt("node", id, "data missing from g.node_data");
    let bad_key = || GraphError::corrupt("node key", "", "bad");
    let span = last.0.saturating_sub(first.0).saturating_add(1);
    if span > (ids.len() as u64).saturating_mul(SCAN_SPAN_PER_ID_MAX) {
        for &id in ids {
            let key = node_key(id);
            let inline = nodes
                .get_with(&key, |bytes| -> std::result::Result<_, E> {
                    let rec = decode_node(id, bytes)?;
                    match rec.data {
                        Some(d) => f(id, rec.name, d).map(|()| None),
                        None => Ok(Some(rec.name.to_string())),
                    }
                })
                .map_err(GraphError::from)?;
            if let Some(name) = inline.ok_or_else(|| missing(id))?? {
                let tree = outside.as_ref().ok_or_else(|| no_data(id))?;
                tree.get_with(&key, |d| f(id, &name, d))
                    .map_err(GraphError::from)?
                    .ok_or_else(|| no_data(id))??;
            }
        }
        return Ok(());
    }
    let (lo, hi) = (node_key(first), node_key(last));
    let bounds = (Bound::Included(&lo[..]), Bound::Included(&hi[..]));
    let mut records = nodes.range(bounds.0, bounds.1);
    let mut datas = outside.as_ref().map(|t| t.range(bounds.0, bounds.1));
    // The next wanted id; the records are read a leaf at a time, each leaf touched first
    // (its cells lie in the page in the order they were written).
    let mut wanted = ids.iter().copied().peekable();
    let mut one =
        |want: NodeId, rec: crate::record::NodeRecord<'_>| -> std::result::Result<(), E> {
            if let Some(d) = rec.data {
                return f(want, rec.name, d);
            }
            // The outside data of the nodes between two wanted ones is stepped over.
            let datas = datas.as_mut().ok_or_else(|| no_data(want))?;
            loop {
                let (dk, dv) = datas
                    .next_ref()
                    .ok_or_else(|| no_data(want))?
                    .map_err(GraphError::from)?;
                let did = decode_id_key(dk).ok_or_else(bad_key)?;
                if did < want.0 {
                    continue;
                }
                if did > want.0 {
                    return Err(no_data(want).into());
                }
                return f(want, rec.name, &dv);
            }
        };
    loop {
        let done = records
            .next_run(|run| -> std::result::Result<bool, E> {
                run.touch();
                for (k, v) in run.entries() {
                    let Some(&want) = wanted.peek() else {
                        return Ok(true);
                    };
                    let id = decode_id_key(k).ok_or_else(bad_key)?;
                    if id < want.0 {
                        continue;
                    }
                    if id > want.0 {
                        return Err(missing(want).into());
                    }
                    wanted.next();
                    match v {
                        ValueRef::Inline(bytes) => one(want, decode_node(want, bytes)?)?,
                        // A record too large for its leaf: read it whole.
                        ValueRef::Overflow { .. } => {
                            let bytes = nodes
                                .get(k)
                                .map_err(GraphError::from)?
                                .ok_or_else(|| missing(want))?;
                            one(want, decode_node(want, &bytes)?)?;
                        }
                    }
                }
                Ok(wanted.peek().is_none())
            })
            .map_err(GraphError::from)?;
        match done {
            Some(Ok(false)) => {}
            Some(Ok(true)) => return Ok(()),
            Some(Err(e)) => return Err(e),
            None => break,
        }
    }
    match wanted.next() {
        Some(want) => Err(missing(want).into()),
        None => Ok(()),
    }
}

/// The edge `id`, decoded.
pub(crate) fn edge_state(src: &dyn Source, id: EdgeId) -> Result<Option<EdgeState>> {
    let Some(edges) = src.view(EDGES)? else {
        return Ok(None);
    };
    edges::with_edge(&edges, id, |rec| {
        Ok(EdgeState {
            from: rec.from,
            to: rec.to,
            edge_type: rec.edge_type,
            data: decode_data("edge", id, rec.data)?,
        })
    })
}

/// One property of edge `id`, reading only that field of its data: `None` when there is no
/// such edge or it lacks the property (the same value [`props::to_properties`] gives it).
pub(crate) fn edge_property(
    src: &dyn Source,
    id: EdgeId,
    key: &str,
) -> Result<Option<PropertyValue>> {
    let Some(edges) = src.view(EDGES)? else {
        return Ok(None);
    };
    let found = edges::with_edge(&edges, id, |rec| {
        props::properties_in_data("edge data", "edge", id, "", rec.data, &[key])
    })?;
    Ok(found.and_then(|mut values| values.pop().flatten()))
}

/// The number of edges: the sum of the per-type counts (edge records are chunks, so the
/// tree's entry count is not it), with a write transaction's pending changes.
pub(crate) fn edge_total(src: &dyn Source) -> Result<u64> {
    let mut total: u64 = 0;
    if let Some(t) = src.view(COUNTS)? {
        for entry in t.prefix(b"t") {
            let (k, v) = entry?;
            let n = crate::record::be_u64(&v, 0)
                .filter(|_| v.len() == 8)
                .ok_or_else(|| GraphError::corrupt("count", format!("{k:?}"), "bad value"))?;
            total = total.saturating_add(n);
        }
    }
    Ok(total.saturating_add_signed(src.pending_edge_delta()))
}

/// A node's labels (as names) and properties.
pub(crate) fn node_view(src: &dyn Source, id: NodeId) -> Result<Option<(Vec<String>, Properties)>> {
    let Some(n) = node_state(src, id)? else {
        return Ok(None);
    };
    let labels = n
        .labels
        .iter()
        .map(|&l| src.string(l))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some((
        labels,
        props::to_properties("node data", &n.name, &n.data)?,
    )))
}

/// The catalog as listed to users.
pub(crate) fn index_infos(src: &dyn Source) -> Result<Vec<IndexInfo>> {
    let mut out = Vec::new();
    for def in src.catalog()? {
        out.push(info_of(src, def)?);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

pub(crate) fn info_of(src: &dyn Source, def: &IndexDef) -> Result<IndexInfo> {
    let target = src.string(def.target)?;
    Ok(IndexInfo {
        name: def.name.clone(),
        kind: def.kind,
        target: if def.edges {
            IndexTarget::EdgeType(target)
        } else {
            IndexTarget::Label(target)
        },
        properties: def.properties.clone(),
        unique: def.unique,
        state: def.state,
        entries: {
            let [added, removed] = src.delta_views(def)?;
            (src.index_view(def)?.map_or(0, |t| t.len())
                + added.map_or(0, |t| t.len())
                + src.pending(def).map_or(0, |s| s.len() as u64))
            .saturating_sub(removed.map_or(0, |t| t.len()))
        },
    })
}

/// The ready property index on exactly these properties of this target, if any.
pub(crate) fn index_on<'s>(
    src: &'s dyn Source,
    edges: bool,
    target: u32,
    properties: &[&str],
) -> Result<Option<&'s IndexDef>> {
    Ok(src.catalog()?.iter().find(|d| {
        d.kind == IndexKind::Property
            && d.state == IndexState::Ready
            && d.edges == edges
            && d.target == target
            && d.properties.len() == properties.len()
            && d.properties.iter().zip(properties).all(|(a, b)| a == b)
    }))
}

/// Ids streamed from a lookup; damage arrives as an `Err` item, after which it ends.
pub struct Ids<'a, T> {
    inner: Box<dyn Iterator<Item = Result<T>> + 'a>,
}

impl<T> Iterator for Ids<'_, T> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        self.inner.next()
    }
}

impl<T> std::fmt::Debug for Ids<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ids").finish_non_exhaustive()
    }
}

/// Node ids from a lookup: see [`crate::ReadTxn::nodes_where`].
pub type NodeIds<'a> = Ids<'a, NodeId>;
/// Edge ids from a lookup: see [`crate::ReadTxn::edges_where`].
pub type EdgeIds<'a> = Ids<'a, EdgeId>;

pub(crate) fn empty<'a, T: 'a>() -> Ids<'a, T> {
    Ids {
        inner: Box::new(std::iter::empty()),
    }
}

/// The ids of the nodes of a label, in id order, from the label index.
pub(crate) fn label_ids(src: &dyn Source, label: u32) -> Result<Ids<'_, NodeId>> {
    let Some(t) = src.view(KIND)? else {
        return Ok(empty());
    };
    let mut range = t.prefix(&kind_prefix(label));
    let mut done = false;
    Ok(Ids {
        inner: Box::new(std::iter::from_fn(move || {
            if done {
                return None;
            }
            match range.next_ref()? {
                Ok((k, _)) => Some(decode_kind_key(k).ok_or_else(|| {
                    done = true;
                    GraphError::corrupt("label index entry", label, "bad key")
                })),
                Err(e) => {
                    done = true;
                    Some(Err(e.into()))
                }
            }
        })),
    })
}

/// Every node id in id order, from the keys of `g.nodes`.
pub(crate) fn all_node_ids(src: &dyn Source) -> Result<Ids<'_, NodeId>> {
    let Some(t) = src.view(NODES)? else {
        return Ok(empty());
    };
    let mut range = t.iter();
    let mut done = false;
    Ok(Ids {
        inner: Box::new(std::iter::from_fn(move || {
            if done {
                return None;
            }
            match range.next_ref()? {
                Ok((k, _)) => Some(decode_id_key(k).map(NodeId).ok_or_else(|| {
                    done = true;
                    GraphError::corrupt("node key", "", "bad")
                })),
                Err(e) => {
                    done = true;
                    Some(Err(e.into()))
                }
            }
        })),
    })
}

/// [`nodes_where`] through a ready index on exactly (`label`, `property`), in index order;
/// `None` when there is no such index or the condition is not one an index range serves
/// (the caller then scans). A label no node has is an empty answer.
pub(crate) fn nodes_by_index<'s>(
    src: &'s dyn Source,
    label: &str,
    property: &str,
    cond: &Condition,
) -> Result<Option<NodeIds<'s>>> {
    let Some(label) = src.string_id(label)?.filter(|&l| l != 0) else {
        return Ok(Some(empty()));
    };
    if let Some(def) = index_on(src, false, label, &[property])?
        && let Some(ranges) = cond.ranges()
    {
        let hits = src.index_hits(def, ranges)?;
        return Ok(Some(Ids {
            inner: Box::new(hits.map(|r| r.map(NodeId))),
        }));
    }
    Ok(None)
}

/// Nodes of `label` whose `property` satisfies `cond`: through a ready single-property
/// index when there is one (ids by value, then id), else by reading every node of the label
/// (ids in id order).
pub(crate) fn nodes_where<'s>(
    src: &'s dyn Source,
    label: &str,
    property: &str,
    cond: &Condition,
) -> Result<NodeIds<'s>> {
    if let Some(hits) = nodes_by_index(src, label, property, cond)? {
        return Ok(hits);
    }
    let Some(label) = src.string_id(label)?.filter(|&l| l != 0) else {
        return Ok(empty());
    };
    let ids = label_ids(src, label)?;
    let property = property.to_string();
    let cond = cond.clone();
    Ok(Ids {
        inner: Box::new(ids.filter_map(move |id| {
            let id = match id {
                Ok(id) => id,
                Err(e) => return Some(Err(e)),
            };
            match node_state(src, id) {
                Ok(Some(n)) => match n.property(&property) {
                    Ok(v) => cond.holds(v.as_ref()).then_some(Ok(id)),
                    Err(e) => Some(Err(e)),
                },
                Ok(None) => Some(Err(GraphError::corrupt(
                    "label index entry",
                    id,
                    "names a missing node",
                ))),
                Err(e) => Some(Err(e)),
            }
        })),
    })
}

/// Edges of `edge_type` whose `property` satisfies `cond`: through a ready index when
/// there is one (by value, then id), else by reading every edge (id order).
pub(crate) fn edges_where<'s>(
    src: &'s dyn Source,
    edge_type: &str,
    property: &str,
    cond: &Condition,
) -> Result<EdgeIds<'s>> {
    let Some(ty) = src.string_id(edge_type)?.filter(|&t| t != 0) else {
        return Ok(empty());
    };
    if let Some(def) = index_on(src, true, ty, &[property])?
        && let Some(ranges) = cond.ranges()
    {
        let hits = src.index_hits(def, ranges)?;
        return Ok(Ids {
            inner: Box::new(hits.map(|r| r.map(EdgeId))),
        });
    }
    let Some(t) = src.view(EDGES)? else {
        return Ok(empty());
    };
    let mut records = edges::Records::new(Some(&t));
    let property = property.to_string();
    let cond = cond.clone();
    let mut done = false;
    Ok(Ids {
        inner: Box::new(std::iter::from_fn(move || {
            while !done {
                let item = (|| -> Result<Option<EdgeId>> {
                    let Some(rec) = records.next() else {
                        done = true;
                        return Ok(None);
                    };
                    let rec = rec?;
                    if rec.edge_type != ty {
                        return Ok(None);
                    }
                    let data = decode_data("edge", rec.id, &rec.data)?;
                    let value = props::property("edge data", "", &data, &property)?;
                    Ok(cond.holds(value.as_ref()).then_some(rec.id))
                })();
                match item {
                    Ok(Some(id)) => return Some(Ok(id)),
                    Ok(None) => {}
                    Err(e) => {
                        done = true;
                        return Some(Err(e));
                    }
                }
            }
            None
        })),
    })
}

/// The nodes that have every label of `labels` and whose properties equal every one of
/// `key` (openCypher equality), in id order. Uses an index of the first label on exactly
/// the key's properties (any order of them) when there is one, else a single-property index
/// on one of them, else reads every node of the first label.
pub(crate) fn nodes_matching(
    src: &dyn Source,
    labels: &[u32],
    key: &Properties,
) -> Result<Vec<NodeId>> {
    let Some(&first) = labels.first() else {
        return Err(GraphError::Invalid {
            field: "labels",
            reason: "a match by key needs at least one label".into(),
        });
    };
    let names: Vec<&str> = key.keys().map(String::as_str).collect();
    let candidates: Vec<NodeId> = if let Some(def) = composite_for(src, first, &names)? {
        // The index's property order, each property's equal keys.
        let values: Vec<PropertyValue> = def
            .properties
            .iter()
            .map(|p| key.get(p).cloned().unwrap_or(PropertyValue::Null))
            .collect();
        let mut enc = Vec::new();
        let all_scalar = values.iter().all(|v| crate::value::encode_key(v, &mut enc));
        if all_scalar {
            let ranges = crate::index::equal_ranges(&enc, values.len())?;
            let mut ids: Vec<NodeId> = src
                .index_hits(def, ranges)?
                .map(|r| r.map(NodeId))
                .collect::<Result<_>>()?;
            // The index is on exactly the key's properties: when every value equals
            // something (not null, not NaN, whose own key the ranges hold for unique
            // checks), its entries are exactly the label's nodes with equal values.
            let exact = values.iter().all(|v| !equal_keys(v).is_empty());
            if labels.len() == 1 && exact {
                ids.sort_unstable();
                ids.dedup();
                return Ok(ids);
            }
            ids
        } else {
            label_ids(src, first)?.collect::<Result<_>>()?
        }
    } else if let Some((def, v)) = single_index(src, first, key)? {
        let ranges = Condition::Eq(v.clone()).ranges().unwrap_or_default();
        let mut ids: Vec<NodeId> = src
            .index_hits(def, ranges)?
            .map(|r| r.map(NodeId))
            .collect::<Result<_>>()?;
        if labels.len() == 1 && key.len() == 1 {
            // The index answers exactly: its entries are the nodes of the label whose
            // property equals the value (openCypher equality: the range of `= v` holds
            // every equal number of either type, and nothing for null or NaN).
            ids.sort_unstable();
            ids.dedup();
            return Ok(ids);
        }
        ids
    } else {
        label_ids(src, first)?.collect::<Result<_>>()?
    };
    let mut out = Vec::new();
    for id in candidates {
        let Some(n) = node_state(src, id)? else {
            continue;
        };
        if !labels.iter().all(|l| n.labels.contains(l)) {
            continue;
        }
        let mut all = true;
        for (p, v) in key {
            if n.property(p)?
                .as_ref()
                .is_none_or(|x| crate::value::equals(x, v) != Some(true))
            {
                all = false;
                break;
            }
        }
        if all {
            out.push(id);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// A ready index of `label` on exactly the properties `names` (in any order).
fn composite_for<'s>(
    src: &'s dyn Source,
    label: u32,
    names: &[&str],
) -> Result<Option<&'s IndexDef>> {
    if names.is_empty() {
        return Ok(None);
    }
    Ok(src.catalog()?.iter().find(|d| {
        d.kind == IndexKind::Property
            && d.state == IndexState::Ready
            && !d.edges
            && d.target == label
            && d.properties.len() == names.len()
            && names.iter().all(|n| d.properties.iter().any(|p| p == n))
    }))
}

/// A ready single-property index of `label` on one of the key's properties with a scalar
/// value, and that value.
fn single_index<'s, 'k>(
    src: &'s dyn Source,
    label: u32,
    key: &'k Properties,
) -> Result<Option<(&'s IndexDef, &'k PropertyValue)>> {
    for (p, v) in key {
        if v.is_indexable()
            && let Some(def) = index_on(src, false, label, &[p.as_str()])?
        {
            return Ok(Some((def, v)));
        }
    }
    Ok(None)
}
