//! The graph read transaction: a snapshot and every query on it.

use pagegraph_storage::{Tree, TreeHandle};
use serde_json::Value;

use crate::adjacency;
use crate::edges;
use crate::error::{GraphError, Result};
use crate::glob;
use crate::ids::{Direction, EdgeId, NodeId};
use crate::index::{Condition, IndexDef, IndexInfo};
use crate::lookup::{self, EdgeIds, NodeIds, Source};
use crate::props;
use crate::record::INDEXES;
use crate::record::{
    self, COUNTS, EDGES, EdgeRecord, IN, IN_DEG, IN_DELTA, KIND, NAME, NODE_DATA, NODES, OUT,
    OUT_DEG, OUT_DELTA, STR, STR_ID, decode_data, decode_id_key, decode_kind_key, decode_name_key,
    decode_node, kind_prefix, node_key,
};
use crate::strings::StringCache;
use crate::value::PropertyRef;
use crate::write::{EdgeProps, NodeProps};

mod edge_scan;
mod scans;

pub use scans::{NodeDegree, TwoStepWalks};

/// A node as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Its id.
    pub id: NodeId,
    /// Its kind.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Its data.
    pub data: Value,
}

/// A node with its data as JSON text: for callers that deserialize the data into their
/// own types (`serde_json::from_str::<T>(&node.data)`), skipping the `Value` tree that
/// [`ReadTxn::node`] builds, which costs more than the lookup itself. (Data stored as JSON
/// text, by graph format 6 and before, is handed over as it is; a binary object is written
/// out as text field by field.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawNode {
    /// Its id.
    pub id: NodeId,
    /// Its kind.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Its data, as JSON text.
    pub data: String,
}

/// An edge as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// Its id.
    pub id: EdgeId,
    /// Source node.
    pub from: NodeId,
    /// Target node.
    pub to: NodeId,
    /// Its type.
    pub edge_type: String,
    /// Its data.
    pub data: Value,
}

impl Edge {
    /// The edge's properties in the labels/properties view (as [`ReadTxn::edge_props`] has
    /// them), from the data it holds, without reading the edge again.
    pub fn properties(&self) -> Result<crate::Properties> {
        props::to_properties("edge data", "", &self.data)
    }
}

/// The trees of the graph, resolved once per snapshot.
#[derive(Clone, Copy, Default)]
pub(crate) struct Handles {
    pub(crate) nodes: Option<TreeHandle>,
    pub(crate) node_data: Option<TreeHandle>,
    pub(crate) edges: Option<TreeHandle>,
    pub(crate) out: Option<TreeHandle>,
    pub(crate) inc: Option<TreeHandle>,
    pub(crate) kind: Option<TreeHandle>,
    pub(crate) name: Option<TreeHandle>,
    pub(crate) str: Option<TreeHandle>,
    pub(crate) str_id: Option<TreeHandle>,
    pub(crate) counts: Option<TreeHandle>,
    /// The degree trees, when the graph's format keeps them (`degrees`).
    pub(crate) out_deg: Option<TreeHandle>,
    pub(crate) in_deg: Option<TreeHandle>,
    /// The adjacency delta trees (`adjacency/delta.rs`), when they exist.
    pub(crate) out_delta: Option<TreeHandle>,
    pub(crate) in_delta: Option<TreeHandle>,
    /// The format keeps degree trees: degrees are read from them (an absent tree has no
    /// entries), else counted from the adjacency's chunks.
    pub(crate) degrees: bool,
}

/// A consistent snapshot of the graph. Many may be alive at once, on any threads; each sees
/// exactly the transactions committed before it began.
pub struct ReadTxn {
    r: pagegraph_storage::ReadTxn,
    pub(crate) h: Handles,
    strings: StringCache,
    /// The index catalog, read on first use.
    catalog: std::sync::OnceLock<Vec<IndexDef>>,
    /// The entry trees of the catalog's indexes, by index id, resolved on first use: a
    /// lookup then starts at the tree's root, without finding the tree by name.
    index_trees: std::sync::OnceLock<Vec<IndexHandles>>,
}

impl Source for ReadTxn {
    fn view(&self, name: &str) -> Result<Option<Tree<'_>>> {
        // The graph's own trees were resolved when the snapshot began: no catalog lookup.
        let known = match name {
            NODES => self.h.nodes,
            NODE_DATA => self.h.node_data,
            EDGES => self.h.edges,
            OUT => self.h.out,
            IN => self.h.inc,
            KIND => self.h.kind,
            NAME => self.h.name,
            STR => self.h.str,
            STR_ID => self.h.str_id,
            COUNTS => self.h.counts,
            OUT_DEG => self.h.out_deg,
            IN_DEG => self.h.in_deg,
            OUT_DELTA => self.h.out_delta,
            IN_DELTA => self.h.in_delta,
            _ => return Ok(self.r.tree(name)?),
        };
        Ok(self.tree(known))
    }

    fn catalog(&self) -> Result<&[IndexDef]> {
        if let Some(c) = self.catalog.get() {
            return Ok(c);
        }
        let loaded = lookup::load_catalog(self.r.tree(INDEXES)?)?;
        Ok(self.catalog.get_or_init(|| loaded))
    }

    fn index_view(&self, def: &IndexDef) -> Result<Option<Tree<'_>>> {
        match self.index_handles(def.id)? {
            Some(h) => Ok(h.main.map(|h| self.r.view(h))),
            None => self.view(&def.tree()),
        }
    }

    fn delta_views(&self, def: &IndexDef) -> Result<[Option<Tree<'_>>; 2]> {
        if def.unique {
            return Ok([None, None]);
        }
        match self.index_handles(def.id)? {
            Some(h) => Ok(h.deltas.map(|d| d.map(|h| self.r.view(h)))),
            None => Ok([
                self.view(&def.delta_tree())?,
                self.view(&def.removed_tree())?,
            ]),
        }
    }

    fn string_id(&self, s: &str) -> Result<Option<u32>> {
        ReadTxn::string_id(self, s)
    }

    fn string(&self, id: u32) -> Result<String> {
        ReadTxn::string(self, id)
    }
}

/// The entry trees of one index in a snapshot, found once (see `ReadTxn::index_handles`).
#[derive(Clone, Copy)]
struct IndexHandles {
    id: u32,
    main: Option<TreeHandle>,
    /// The added and removed delta trees.
    deltas: [Option<TreeHandle>; 2],
}

impl ReadTxn {
    /// The entry trees of index `id`, looked up in the snapshot's catalog once for every
    /// index (lookups then skip the catalog descent); `None` if the catalog has no such id.
    fn index_handles(&self, id: u32) -> Result<Option<IndexHandles>> {
        let trees = if let Some(t) = self.index_trees.get() {
            t
        } else {
            let mut trees = Vec::new();
            for d in Source::catalog(self)? {
                trees.push(IndexHandles {
                    id: d.id,
                    main: self.r.handle(&d.tree())?,
                    deltas: if d.unique {
                        [None, None]
                    } else {
                        [
                            self.r.handle(&d.delta_tree())?,
                            self.r.handle(&d.removed_tree())?,
                        ]
                    },
                });
            }
            self.index_trees.get_or_init(|| trees)
        };
        Ok(trees.iter().find(|h| h.id == id).copied())
    }
}

impl std::fmt::Debug for ReadTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadTxn")
            .field("snapshot", &self.r.snapshot_id())
            .finish_non_exhaustive()
    }
}

fn u32_value(what: &'static str, v: &[u8]) -> Result<u32> {
    <[u8; 4]>::try_from(v)
        .map(u32::from_be_bytes)
        .map_err(|_| GraphError::corrupt(what, "", "bad length"))
}

impl ReadTxn {
    pub(crate) fn new(
        r: pagegraph_storage::ReadTxn,
        strings: StringCache,
        degrees: bool,
    ) -> Result<ReadTxn> {
        let h = Handles {
            nodes: r.handle(NODES)?,
            node_data: r.handle(NODE_DATA)?,
            edges: r.handle(EDGES)?,
            out: r.handle(OUT)?,
            inc: r.handle(IN)?,
            kind: r.handle(KIND)?,
            name: r.handle(NAME)?,
            str: r.handle(STR)?,
            str_id: r.handle(STR_ID)?,
            counts: r.handle(COUNTS)?,
            out_deg: r.handle(OUT_DEG)?,
            in_deg: r.handle(IN_DEG)?,
            out_delta: r.handle(OUT_DELTA)?,
            in_delta: r.handle(IN_DELTA)?,
            degrees,
        };
        Ok(ReadTxn {
            r,
            h,
            strings,
            catalog: std::sync::OnceLock::new(),
            index_trees: std::sync::OnceLock::new(),
        })
    }

    pub(crate) fn tree(&self, h: Option<TreeHandle>) -> Option<Tree<'_>> {
        h.map(|h| self.r.view(h))
    }

    pub(crate) fn string(&self, id: u32) -> Result<String> {
        if id == 0 {
            return Ok(String::new());
        }
        if let Some(s) = self.strings.name(id) {
            return Ok(s);
        }
        let s = self
            .tree(self.h.str_id)
            .map(|t| t.get(&id.to_be_bytes()))
            .transpose()?
            .flatten()
            .ok_or_else(|| GraphError::corrupt("string", id, "missing from the string table"))?;
        let s = String::from_utf8(s).map_err(|_| GraphError::corrupt("string", id, "not UTF-8"))?;
        self.strings.insert(id, &s);
        Ok(s)
    }

    pub(crate) fn string_id(&self, s: &str) -> Result<Option<u32>> {
        if s.is_empty() {
            return Ok(Some(0));
        }
        if let Some(id) = self.strings.id(s) {
            return Ok(Some(id));
        }
        match self
            .tree(self.h.str)
            .map(|t| t.get(s.as_bytes()))
            .transpose()?
            .flatten()
        {
            Some(v) => {
                let id = u32_value("string id", &v)?;
                self.strings.insert(id, s);
                Ok(Some(id))
            }
            None => Ok(None),
        }
    }

    /// The node with this id, if it exists.
    pub fn node(&self, id: NodeId) -> Result<Option<Node>> {
        let found = self.node_with(id, |d| decode_data("node", id, d))?;
        let Some((kind, name, data)) = found else {
            return Ok(None);
        };
        Ok(Some(Node {
            id,
            kind: self.string(kind)?,
            name,
            data: data?,
        }))
    }

    /// Whether a node with this id exists (reads no record).
    pub fn contains_node(&self, id: NodeId) -> Result<bool> {
        match self.tree(self.h.nodes) {
            Some(t) => Ok(t.contains_key(&node_key(id))?),
            None => Ok(false),
        }
    }

    /// The node with this id with its data as JSON text, if it exists; see [`RawNode`].
    pub fn node_raw(&self, id: NodeId) -> Result<Option<RawNode>> {
        let found = self.node_with(id, |d| {
            crate::data::to_json_text(d).map_err(|reason| GraphError::corrupt("node", id, reason))
        })?;
        let Some((kind, name, data)) = found else {
            return Ok(None);
        };
        Ok(Some(RawNode {
            id,
            kind: self.string(kind)?,
            name,
            data: data?,
        }))
    }

    /// Looks a node up and hands its data as stored (not checked: `data` reads it with a
    /// reader that checks) to `data`, in place in the leaf (no copy of the record); returns
    /// the kind id, the name and what `data` returned.
    pub(crate) fn node_with<T>(
        &self,
        id: NodeId,
        data: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<Option<(u32, String, Result<T>)>> {
        let Some(nodes) = self.tree(self.h.nodes) else {
            return Ok(None);
        };
        let key = node_key(id);
        let mut data = Some(data);
        let found = nodes.get_with(&key, |bytes| -> Result<_> {
            let rec = decode_node(id, bytes)?;
            let inline = rec.data.and_then(|d| data.take().map(|f| f(d)));
            Ok((rec.kind, rec.name.to_string(), inline))
        })?;
        let Some((kind, name, inline)) = found.transpose()? else {
            return Ok(None);
        };
        let value = match (inline, data) {
            (Some(v), _) => v,
            (None, Some(f)) => self
                .tree(self.h.node_data)
                .map(|t| t.get_with(&key, f))
                .transpose()?
                .flatten()
                .ok_or_else(|| GraphError::corrupt("node", id, "data missing from g.node_data"))?,
            (None, None) => return Err(GraphError::corrupt("node", id, "data read twice")),
        };
        Ok(Some((kind, name, value)))
    }

    /// The edge with this id, if it exists.
    pub fn edge(&self, id: EdgeId) -> Result<Option<Edge>> {
        let Some(edges) = self.tree(self.h.edges) else {
            return Ok(None);
        };
        let found = edges::with_edge(&edges, id, |rec| {
            let data = decode_data("edge", id, rec.data)?;
            Ok((rec.from, rec.to, rec.edge_type, data))
        })?;
        let Some((from, to, ty, data)) = found else {
            return Ok(None);
        };
        Ok(Some(Edge {
            id,
            from,
            to,
            edge_type: self.string(ty)?,
            data,
        }))
    }

    /// `(edge, other node)` pairs of `id` in a direction, optionally of one edge type, in
    /// (type, other node, edge) order per direction; outgoing first for `Both`.
    pub fn neighbors(
        &self,
        id: NodeId,
        dir: Direction,
        edge_type: Option<&str>,
    ) -> Result<Vec<(EdgeId, NodeId)>> {
        // Room for most nodes' neighbors at once: growing 4 -> 8 -> 16 costs more than
        // the lookup.
        let mut out = Vec::with_capacity(16);
        self.for_each_neighbor(id, dir, edge_type, |e, n| out.push((e, n)))?;
        Ok(out)
    }

    /// Number of edges of `id` in a direction, optionally of one type.
    pub fn degree(&self, id: NodeId, dir: Direction, edge_type: Option<&str>) -> Result<u64> {
        if self.h.degrees {
            return self.kept_degree(id, dir, edge_type);
        }
        let mut n = 0;
        self.for_each_neighbor(id, dir, edge_type, |_, _| n += 1)?;
        Ok(n)
    }

    /// The degree tree of a direction (`None`: no relationship was ever counted that way,
    /// or the format keeps none).
    pub(crate) fn degree_tree(&self, incoming: bool) -> Option<Tree<'_>> {
        self.tree(if incoming {
            self.h.in_deg
        } else {
            self.h.out_deg
        })
    }

    /// [`ReadTxn::degree`] from the degree trees: one entry per type, no pair read.
    fn kept_degree(&self, id: NodeId, dir: Direction, edge_type: Option<&str>) -> Result<u64> {
        let ty = match edge_type {
            Some(t) => match self.string_id(t)? {
                Some(ty) => Some(ty),
                None => return Ok(0),
            },
            None => None,
        };
        let trees = match dir {
            Direction::Outgoing => [self.h.out_deg, None],
            Direction::Incoming => [self.h.in_deg, None],
            Direction::Both => [self.h.out_deg, self.h.in_deg],
        };
        let mut n = 0u64;
        for t in trees.into_iter().flatten() {
            n = n.saturating_add(crate::degrees::node_degree(&self.r.view(t), id, ty)?);
        }
        Ok(n)
    }

    pub(crate) fn for_each_neighbor(
        &self,
        id: NodeId,
        dir: Direction,
        edge_type: Option<&str>,
        mut f: impl FnMut(EdgeId, NodeId),
    ) -> Result<()> {
        let ty = match edge_type {
            Some(t) => match self.string_id(t)? {
                Some(ty) => Some(ty),
                None => return Ok(()),
            },
            None => None,
        };
        let trees = match dir {
            Direction::Outgoing => [Some(false), None],
            Direction::Incoming => [Some(true), None],
            Direction::Both => [Some(false), Some(true)],
        };
        for incoming in trees.into_iter().flatten() {
            let (main, delta) = self.adjacency_trees(incoming);
            adjacency::delta::for_each_pair(main.as_ref(), delta.as_ref(), id, ty, |_, o, e| {
                f(e, o);
            })?;
        }
        Ok(())
    }

    /// The outgoing (or incoming) adjacency tree and its delta, each `None` when absent.
    pub(crate) fn adjacency_trees(&self, incoming: bool) -> (Option<Tree<'_>>, Option<Tree<'_>>) {
        if incoming {
            (self.tree(self.h.inc), self.tree(self.h.in_delta))
        } else {
            (self.tree(self.h.out), self.tree(self.h.out_delta))
        }
    }

    /// A node's labels, reading its record but not its properties; `None` when there is
    /// no such node.
    pub fn node_labels(&self, id: NodeId) -> Result<Option<Vec<String>>> {
        lookup::node_labels(self, id)
    }

    /// One property of a node, reading only that field of its data: `None` when there is no
    /// such node or it lacks the property.
    pub fn node_property(&self, id: NodeId, key: &str) -> Result<Option<crate::PropertyValue>> {
        lookup::node_property(self, id, key)
    }

    /// Properties `keys` of a node from one read of its record, in `keys` order (`None`
    /// for one it lacks), reading only those fields of its data; `None` when there is no
    /// such node.
    pub fn node_properties(
        &self,
        id: NodeId,
        keys: &[&str],
    ) -> Result<Option<Vec<Option<crate::PropertyValue>>>> {
        lookup::node_properties(self, id, keys)
    }

    /// [`ReadTxn::each_node_property_refs`] on several threads: `ids` (ascending, distinct)
    /// are cut into `sinks.len()` runs of about the same length, and run `i` goes to
    /// `sinks[i]`, in order, on a thread of its own (the first on this one); every id of a
    /// run is below every id of the next. The first error stops its run and is returned
    /// once every run has ended (the first run's first).
    pub fn each_node_property_refs_parted<E, F>(
        &self,
        ids: &[NodeId],
        keys: &[&str],
        sinks: &mut [F],
    ) -> std::result::Result<(), E>
    where
        E: From<GraphError> + Send,
        F: FnMut(NodeId, &[Option<PropertyRef<'_>>]) -> std::result::Result<(), E> + Send,
    {
        let per = ids.len().div_ceil(sinks.len().max(1)).max(1);
        on_runs(ids.chunks(per), sinks, |run, sink| {
            self.each_node_property_refs(run, keys, sink)
        })
    }

    /// Calls `f(node, values)` for each node of `ids` with its properties `keys` (in `keys`
    /// order, `None` for one it lacks), strings borrowed from the record where they can be,
    /// in the order of `ids`. `ids` must be ascending and distinct, as
    /// [`ReadTxn::nodes_with_label`] and [`ReadTxn::node_ids`] give them; where they are
    /// dense the records are read in one scan instead of a lookup each. A node of `ids` that
    /// does not exist is reported as damage (the ids are meant to come from the graph's own
    /// indexes). `f`'s error stops the scan and is returned.
    pub fn each_node_property_refs<E: From<GraphError>>(
        &self,
        ids: &[NodeId],
        keys: &[&str],
        mut f: impl FnMut(NodeId, &[Option<PropertyRef<'_>>]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascending");
        lookup::each_node_data(self, ids, "node id", |id, name, data| {
            props::with_ref_slots(keys.len(), |out| {
                props::property_refs_in_data("node data", "node", id, name, data, keys, out)?;
                f(id, out)
            })
        })
    }

    /// The node with this id in the labels/properties view (see the crate docs for how
    /// kind, name and data map to labels and properties).
    pub fn node_props(&self, id: NodeId) -> Result<Option<NodeProps>> {
        Ok(
            lookup::node_view(self, id)?.map(|(labels, properties)| NodeProps {
                id,
                labels,
                properties,
            }),
        )
    }

    /// One property of an edge, reading only that field of its data: `None` when there is
    /// no such edge or it lacks the property.
    pub fn edge_property(&self, id: EdgeId, key: &str) -> Result<Option<crate::PropertyValue>> {
        lookup::edge_property(self, id, key)
    }

    /// The edge with this id in the labels/properties view.
    pub fn edge_props(&self, id: EdgeId) -> Result<Option<EdgeProps>> {
        let Some(e) = lookup::edge_state(self, id)? else {
            return Ok(None);
        };
        Ok(Some(EdgeProps {
            id,
            from: e.from,
            to: e.to,
            edge_type: self.string(e.edge_type)?,
            properties: props::to_properties("edge data", "", &e.data)?,
        }))
    }

    /// Ids of the nodes with a label, in id order (the same as [`ReadTxn::nodes_by_kind`]:
    /// a node's kind is its first label), streamed.
    pub fn nodes_with_label(&self, label: &str) -> Result<NodeIds<'_>> {
        match self.string_id(label)?.filter(|&l| l != 0) {
            Some(l) => lookup::label_ids(self, l),
            None => Ok(lookup::empty()),
        }
    }

    /// Nodes of `label` whose `property` satisfies `cond` (openCypher semantics: a missing
    /// property or a comparison across types is not a match), streamed. Served by a ready
    /// index on exactly (`label`, `property`) when there is one: ids then come in index
    /// order, by value (`ORDER BY` order) then id; otherwise every node of the label is
    /// read, and ids come in id order.
    pub fn nodes_where(
        &self,
        label: &str,
        property: &str,
        cond: &Condition,
    ) -> Result<NodeIds<'_>> {
        lookup::nodes_where(self, label, property, cond)
    }

    /// [`ReadTxn::nodes_where`] only when a ready index on exactly (`label`, `property`)
    /// serves `cond` (ids in index order); `None` otherwise, so that a query planner can
    /// choose between an index seek and a scan of its own.
    pub fn nodes_by_index(
        &self,
        label: &str,
        property: &str,
        cond: &Condition,
    ) -> Result<Option<NodeIds<'_>>> {
        lookup::nodes_by_index(self, label, property, cond)
    }

    /// Edges of `edge_type` whose `property` satisfies `cond`, streamed: by a ready index
    /// in index order, else by reading every edge in id order.
    pub fn edges_where(
        &self,
        edge_type: &str,
        property: &str,
        cond: &Condition,
    ) -> Result<EdgeIds<'_>> {
        lookup::edges_where(self, edge_type, property, cond)
    }

    /// Nodes with every label of `labels` whose properties equal all of `key`, in id
    /// order: what [`crate::WriteTxn::merge_node`] matches. Uses an index on the key's
    /// properties (or one of them) when there is one.
    pub fn nodes_matching(&self, labels: &[&str], key: &props::Properties) -> Result<Vec<NodeId>> {
        let mut ids = Vec::with_capacity(labels.len());
        for l in labels {
            match self.string_id(l)?.filter(|&l| l != 0) {
                Some(id) => ids.push(id),
                None => return Ok(Vec::new()),
            }
        }
        lookup::nodes_matching(self, &ids, key)
    }

    /// The graph format of this snapshot's database: 1 before labels and indexes
    /// existed (no `format` key), else the stored version.
    pub fn graph_format(&self) -> Result<u64> {
        let v = self
            .r
            .tree(record::META)?
            .map(|t| t.get(b"format"))
            .transpose()?
            .flatten();
        match v {
            None => Ok(1),
            Some(b) => record::be_u64(&b, 0)
                .filter(|_| b.len() == 8)
                .ok_or_else(|| GraphError::corrupt("graph format", "", "bad value")),
        }
    }

    /// Names and sizes of the storage trees whose names start with `prefix`.
    pub(crate) fn trees_named(&self, prefix: &str) -> Result<Vec<(String, u64)>> {
        let mut all = self.r.trees()?;
        all.retain(|(n, _)| n.starts_with(prefix));
        Ok(all)
    }

    /// Every index, by name.
    pub fn indexes(&self) -> Result<Vec<IndexInfo>> {
        lookup::index_infos(self)
    }

    /// Number of nodes.
    pub fn node_count(&self) -> Result<u64> {
        Ok(self.tree(self.h.nodes).map_or(0, |t| t.len()))
    }

    /// Number of edges.
    pub fn edge_count(&self) -> Result<u64> {
        lookup::edge_total(self)
    }

    /// Ids of the nodes of a kind, in id order.
    pub fn nodes_by_kind(&self, kind: &str) -> Result<Vec<NodeId>> {
        let (Some(t), Some(k)) = (self.tree(self.h.kind), self.string_id(kind)?) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut bad = false;
        t.prefix(&kind_prefix(k))
            .for_each_key(|key| match decode_kind_key(key) {
                Some(id) if !bad => out.push(id),
                _ => bad = true,
            })?;
        if bad {
            return Err(GraphError::corrupt("kind index entry", kind, "bad key"));
        }
        Ok(out)
    }

    fn names(&self, prefix: &[u8], mut keep: impl FnMut(&[u8]) -> bool) -> Result<Vec<NodeId>> {
        let Some(t) = self.tree(self.h.name) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut bad = false;
        t.prefix(prefix)
            .for_each_key(|key| match decode_name_key(key) {
                Some((name, id)) if !bad => {
                    if keep(name) {
                        out.push(id);
                    }
                }
                _ => bad = true,
            })?;
        if bad {
            return Err(GraphError::corrupt("name index entry", "", "short key"));
        }
        Ok(out)
    }

    /// Ids of the nodes with exactly this name, in id order.
    pub fn nodes_by_name(&self, name: &str) -> Result<Vec<NodeId>> {
        self.names(name.as_bytes(), |n| n == name.as_bytes())
    }

    /// Ids of the nodes whose name starts with `prefix`, in (name, id) order.
    pub fn nodes_by_name_prefix(&self, prefix: &str) -> Result<Vec<NodeId>> {
        self.names(prefix.as_bytes(), |_| true)
    }

    /// Ids of the nodes whose name matches a glob (`*` any run, `?` one character), in
    /// (name, id) order. Scans only the names that share the pattern's literal prefix.
    pub fn nodes_by_name_glob(&self, pattern: &str) -> Result<Vec<NodeId>> {
        let prefix = glob::literal_prefix(pattern);
        self.names(prefix.as_bytes(), |n| {
            std::str::from_utf8(n).is_ok_and(|n| glob::matches(pattern, n))
        })
    }

    fn counts(&self, tag: u8) -> Result<Vec<(String, u64)>> {
        let Some(t) = self.tree(self.h.counts) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in t.prefix(&[tag]) {
            let (k, v) = entry?;
            let id = u32_value("count key", k.get(1..).unwrap_or_default())?;
            let n = record::be_u64(&v, 0)
                .ok_or_else(|| GraphError::corrupt("count", id, "bad value"))?;
            out.push((self.string(id)?, n));
        }
        out.sort();
        Ok(out)
    }

    /// Every edge type that has self-loops (edges from a node to itself) with how many, by
    /// name; `None` for a graph of a format before they were counted (opened read-only,
    /// so not upgraded: see [`crate::GRAPH_FORMAT`]).
    pub fn self_loop_counts(&self) -> Result<Option<Vec<(String, u64)>>> {
        if self.graph_format()? < record::SELF_LOOP_COUNTS_SINCE {
            return Ok(None);
        }
        Ok(Some(self.counts(b'l')?))
    }

    /// Every node kind with its number of nodes, by name.
    pub fn kinds(&self) -> Result<Vec<(String, u64)>> {
        self.counts(b'k')
    }

    /// Every edge type with its number of edges, by name.
    pub fn edge_types(&self) -> Result<Vec<(String, u64)>> {
        self.counts(b't')
    }

    /// Every node, in id order. Errors (damage) arrive as `Err` items.
    pub fn nodes(&self) -> impl Iterator<Item = Result<Node>> + '_ {
        self.node_ids().map(move |id| {
            let id = id?;
            self.node(id)?
                .ok_or_else(|| GraphError::corrupt("node", id, "vanished"))
        })
    }

    /// Every node id, in order, from the keys alone (no record is read). Damage arrives as
    /// an `Err` item.
    pub fn node_ids(&self) -> impl Iterator<Item = Result<NodeId>> + '_ {
        let keys = self.tree(self.h.nodes).map(|t| t.iter());
        keys.into_iter().flatten().map(|entry| {
            let (k, _) = entry?;
            decode_id_key(&k)
                .map(NodeId)
                .ok_or_else(|| GraphError::corrupt("node key", "", "bad"))
        })
    }

    /// Calls `f` with every node id, in increasing order; reads keys only.
    pub(crate) fn each_node_id(&self, mut f: impl FnMut(NodeId)) -> Result<()> {
        let Some(tree) = self.tree(self.h.nodes) else {
            return Ok(());
        };
        let mut bad = false;
        tree.iter().for_each_key(|k| match decode_id_key(k) {
            Some(id) if !bad => f(NodeId(id)),
            _ => bad = true,
        })?;
        if bad {
            return Err(GraphError::corrupt("node key", "", "bad"));
        }
        Ok(())
    }

    /// Calls `f(edge, record)` for every edge in id order, its data left as stored JSON text.
    pub(crate) fn each_edge_record(
        &self,
        mut f: impl FnMut(EdgeId, &EdgeRecord<'_>) -> Result<()>,
    ) -> Result<()> {
        let Some(tree) = self.tree(self.h.edges) else {
            return Ok(());
        };
        edges::each_from(&tree, EdgeId(0), |id, rec| {
            f(id, rec)?;
            Ok(true)
        })
    }

    /// Every edge, in id order. Errors (damage) arrive as `Err` items.
    pub fn edges(&self) -> impl Iterator<Item = Result<Edge>> + '_ {
        let tree = self.tree(self.h.edges);
        edges::Records::new(tree.as_ref()).map(move |r| {
            let r = r?;
            Ok(Edge {
                id: r.id,
                from: r.from,
                to: r.to,
                edge_type: self.string(r.edge_type)?,
                data: decode_data("edge", r.id, &r.data)?,
            })
        })
    }
}

/// A run of [`on_runs`] waiting for the pool, its sink, and its result once it ran.
type Later<'s, R, S, E> = (Option<R>, &'s mut S, Option<std::result::Result<(), E>>);

/// Calls `scan(run, sink)` for each run of `runs` with the sink of the same place in
/// `sinks` (the shorter of the two decides how many), the first on this thread and the
/// others on the worker pool (see `algo::parallel::on_threads`); waits for all. Returns
/// the first run's error, if any, then the second's, and so on. For the parted scans,
/// whose sinks each take one run in order.
pub(crate) fn on_runs<R, S, E>(
    runs: impl IntoIterator<Item = R>,
    sinks: &mut [S],
    scan: impl Fn(R, &mut S) -> std::result::Result<(), E> + Sync,
) -> std::result::Result<(), E>
where
    R: Send,
    S: Send,
    E: Send,
{
    let scan = &scan;
    let mut pairs = runs.into_iter().zip(sinks.iter_mut());
    let first = pairs.next();
    let mut later: Vec<Later<'_, R, S, E>> =
        pairs.map(|(run, sink)| (Some(run), sink, None)).collect();
    // The later runs on the worker pool (see `algo::parallel::on_threads`), the first here.
    let first = rayon_core::in_place_scope(|scope| {
        for (run, sink, out) in &mut later {
            if let Some(run) = run.take() {
                scope.spawn(move |_| *out = Some(scan(run, sink)));
            }
        }
        first.map(|(run, sink)| scan(run, sink))
    });
    first
        .into_iter()
        .chain(later.into_iter().filter_map(|(_, _, out)| out))
        .collect()
}
