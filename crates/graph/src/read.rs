//! The graph read transaction: a snapshot and every query on it.

use std::ops::Bound;

use pagegraph_storage::{LeafKeys, Tree, TreeHandle, ValueRef};
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
    self, COUNTS, EDGES, EdgeRecord, IN, KIND, NAME, NODE_DATA, NODES, OUT, STR, STR_ID,
    decode_data, decode_id_key, decode_kind_key, decode_name_key, decode_node, kind_prefix,
    node_key,
};
use crate::strings::StringCache;
use crate::value::PropertyRef;
use crate::write::{EdgeProps, NodeProps};

/// A node's relationship count in one direction, from [`ReadTxn::degrees`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeDegree {
    /// The node.
    pub node: NodeId,
    /// How many relationships it has in the direction asked for.
    pub degree: u64,
    /// How many of those are self-loops.
    pub self_loops: u64,
}

/// The two-step walks through middle nodes of a graph, from [`ReadTxn::two_step_walks`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TwoStepWalks {
    /// First steps into middle nodes: the sum over middle nodes of their first degree.
    pub first_steps: u64,
    /// How many of those first steps are self-loops (counted only when asked for).
    pub first_self_loops: u64,
    /// Walks of a first step into a middle node and a second step out of it: the sum over
    /// middle nodes of first degree times second degree (saturating).
    pub walks: u64,
}

impl TwoStepWalks {
    fn add(&mut self, other: TwoStepWalks) {
        self.first_steps = self.first_steps.saturating_add(other.first_steps);
        self.first_self_loops = self.first_self_loops.saturating_add(other.first_self_loops);
        self.walks = self.walks.saturating_add(other.walks);
    }
}

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

/// A node with its data left as JSON text: for callers that deserialize the data into
/// their own types (`serde_json::from_str::<T>(&node.data)`), skipping the `Value` tree
/// that [`ReadTxn::node`] builds, which costs more than the lookup itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawNode {
    /// Its id.
    pub id: NodeId,
    /// Its kind.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Its data, as the JSON text it was stored as.
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
    index_trees: std::sync::OnceLock<Vec<(u32, Option<TreeHandle>)>>,
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
        let trees = if let Some(t) = self.index_trees.get() {
            t
        } else {
            let mut trees = Vec::new();
            for d in Source::catalog(self)? {
                trees.push((d.id, self.r.handle(&d.tree())?));
            }
            self.index_trees.get_or_init(|| trees)
        };
        match trees.iter().find(|(id, _)| *id == def.id) {
            Some((_, handle)) => Ok(handle.map(|h| self.r.view(h))),
            None => self.view(&def.tree()),
        }
    }

    fn string_id(&self, s: &str) -> Result<Option<u32>> {
        ReadTxn::string_id(self, s)
    }

    fn string(&self, id: u32) -> Result<String> {
        ReadTxn::string(self, id)
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
    pub(crate) fn new(r: pagegraph_storage::ReadTxn, strings: StringCache) -> Result<ReadTxn> {
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
        let found = self.node_with(id, |d| decode_data("node", id, d.as_bytes()))?;
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
        let found = self.node_with(id, |d| Ok(d.to_string()))?;
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

    /// Looks a node up and hands its data, checked to be UTF-8, to `data`, in place in the
    /// leaf (no copy of the record); returns the kind id, the name and what `data` returned.
    pub(crate) fn node_with<T>(
        &self,
        id: NodeId,
        data: impl FnOnce(&str) -> Result<T>,
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
                .map(|t| {
                    t.get_with(&key, |d| match std::str::from_utf8(d) {
                        Ok(text) => f(text),
                        Err(_) => Err(GraphError::corrupt("node", id, "data is not UTF-8")),
                    })
                })
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
        let mut n = 0;
        self.for_each_neighbor(id, dir, edge_type, |_, _| n += 1)?;
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
            Direction::Outgoing => [self.h.out, None],
            Direction::Incoming => [self.h.inc, None],
            Direction::Both => [self.h.out, self.h.inc],
        };
        for t in trees.into_iter().flatten() {
            let tree = self.r.view(t);
            adjacency::for_each_pair(&tree, id, ty, |_, other, edge| f(edge, other))?;
        }
        Ok(())
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
        let n = sinks.len().max(1);
        let per = ids.len().div_ceil(n).max(1);
        let mut runs = ids.chunks(per);
        let results: Vec<std::result::Result<(), E>> = std::thread::scope(|scope| {
            let mut sinks = sinks.iter_mut();
            let first = sinks.next().zip(runs.next());
            let helpers: Vec<_> = sinks
                .zip(runs)
                .map(|(sink, run)| {
                    scope.spawn(move || self.each_node_property_refs(run, keys, &mut *sink))
                })
                .collect();
            let mut out = Vec::with_capacity(n);
            if let Some((sink, run)) = first {
                out.push(self.each_node_property_refs(run, keys, &mut *sink));
            }
            for h in helpers {
                match h.join() {
                    Ok(r) => out.push(r),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            out
        });
        results.into_iter().collect()
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
        /// Properties read into an array on the stack, up to this many.
        const ON_STACK: usize = 8;
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascending");
        lookup::each_node_data(self, ids, "node id", |id, name, data| {
            let mut stack: [Option<PropertyRef<'_>>; ON_STACK] = Default::default();
            let mut heap = Vec::new();
            let out = if let Some(out) = stack.get_mut(..keys.len()) {
                out
            } else {
                heap.resize(keys.len(), None);
                &mut heap[..]
            };
            props::property_refs_in_data("node data", "node", id, name, data, keys, out)?;
            f(id, out)
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

    /// Ids of the nodes with a label, in id order, all at once: [`ReadTxn::nodes_with_label`]
    /// read in one pass over the label index's leaves, for callers that want them all.
    pub fn label_node_ids(&self, label: &str) -> Result<Vec<NodeId>> {
        let Some(l) = self.string_id(label)?.filter(|&l| l != 0) else {
            return Ok(Vec::new());
        };
        let Some(t) = self.tree(self.h.kind) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut bad = false;
        t.prefix(&record::kind_prefix(l))
            .for_each_key(|k| match decode_kind_key(k) {
                Some(id) if !bad => out.push(id),
                _ => bad = true,
            })?;
        if bad {
            return Err(GraphError::corrupt("label index entry", l, "bad key"));
        }
        Ok(out)
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

    /// Calls `f(node, other, edge)` for every relationship in the outgoing (`incoming`
    /// false) or incoming adjacency, of one of `types` (any type when `None`): one
    /// sequential scan, in order of `node`, then type, `other` and edge. For whole-graph
    /// counts that filter the ends by label (as sets of ids) without a lookup per node.
    pub fn for_each_relationship(
        &self,
        incoming: bool,
        types: Option<&[&str]>,
        mut f: impl FnMut(NodeId, NodeId, EdgeId),
    ) -> Result<()> {
        let wanted = self.type_ids(types)?;
        if wanted.as_ref().is_some_and(Vec::is_empty) {
            return Ok(());
        }
        self.each_adjacency(incoming, None, None, |node, ty, other, edge| {
            if wanted.as_ref().is_none_or(|w| w.contains(&ty)) {
                f(node, other, edge);
            }
        })
    }

    /// The ids of the named types that exist (`None`: no filter).
    fn type_ids(&self, types: Option<&[&str]>) -> Result<Option<Vec<u32>>> {
        let Some(names) = types else {
            return Ok(None);
        };
        let mut ids = Vec::new();
        for name in names {
            if let Some(id) = self.string_id(name)? {
                ids.push(id);
            }
        }
        Ok(Some(ids))
    }

    /// Every node with relationships in `dir` (of one of `types`, or of any type when
    /// `types` is `None`), in id order, with how many it has and how many of those are
    /// self-loops: one sequential scan of the adjacency chunks, no lookup per node. The
    /// degrees behind whole-graph counts, such as the number of two-step paths (the sum over
    /// nodes of in-degree times out-degree). A self-loop counts once per direction, so
    /// twice (and as two self-loops) for [`Direction::Both`].
    pub fn degrees(&self, dir: Direction, types: Option<&[&str]>) -> Result<Vec<NodeDegree>> {
        self.degrees_counting(dir, types, true)
    }

    /// [`ReadTxn::degrees_counting`] in one direction (`incoming` or outgoing), handed to
    /// `f` node by node in id order instead of gathered into one vector.
    pub fn for_each_degree(
        &self,
        incoming: bool,
        types: Option<&[&str]>,
        self_loops: bool,
        mut f: impl FnMut(NodeDegree),
    ) -> Result<()> {
        let wanted = self.type_ids(types)?;
        if wanted.as_ref().is_some_and(Vec::is_empty) {
            return Ok(());
        }
        let threads = self.degree_threads()?;
        let mut pending: Option<NodeDegree> = None;
        for run in self.degree_runs(incoming, wanted.as_deref(), self_loops, threads)? {
            for d in run {
                match &mut pending {
                    // A node's chunks may straddle two runs.
                    Some(p) if p.node == d.node => {
                        p.degree += d.degree;
                        p.self_loops += d.self_loops;
                    }
                    _ => {
                        if let Some(p) = pending.replace(d) {
                            f(p);
                        }
                    }
                }
            }
        }
        if let Some(p) = pending {
            f(p);
        }
        Ok(())
    }

    /// The two-step walks through the nodes that pass `middle`: a first step of one of
    /// `first_types` (any type when `None`) that arrives at the middle node (`first_incoming`:
    /// the node is the relationship's end; else its start), then a second step of one of
    /// `second_types` in the direction `second_incoming` says. Both degrees of each node come
    /// from the adjacency's chunk counts (no relationship decoded; self-loops decoded only
    /// when `first_self_loops`), and no array by node id is built: the graph is cut into
    /// runs of nodes, each read on a thread of its own (up to four on a large graph), both
    /// trees over the same nodes. This counts walks, not paths: a walk may take one
    /// relationship twice (see `first_self_loops` to take such walks off).
    pub fn two_step_walks(
        &self,
        first_incoming: bool,
        first_types: Option<&[&str]>,
        second_incoming: bool,
        second_types: Option<&[&str]>,
        first_self_loops: bool,
        middle: &(dyn Fn(NodeId) -> bool + Sync),
    ) -> Result<TwoStepWalks> {
        let (first, second) = (self.type_ids(first_types)?, self.type_ids(second_types)?);
        if first.as_ref().is_some_and(Vec::is_empty) {
            return Ok(TwoStepWalks::default());
        }
        let threads = self.degree_threads()?;
        // Node boundaries of the runs: where the first tree's splits fall, cut at the node
        // (a split is a separator, perhaps cut short: one too short to name a node is
        // passed over, and the runs are fewer).
        let mut cuts: Vec<record::Key> = Vec::new();
        for k in self.adjacency_splits(first_incoming, threads)? {
            let Some(node) = record::get_ordered(&k, &mut 0) else {
                continue;
            };
            let cut = node_key(NodeId(node));
            if cuts.last().is_none_or(|last| last[..] < cut[..]) {
                cuts.push(cut);
            }
        }
        let bound = |t: usize| -> Option<&[u8]> {
            t.checked_sub(1).and_then(|t| cuts.get(t)).map(|k| &k[..])
        };
        let (first, second) = (first.as_deref(), second.as_deref());
        let runs = crate::algo::parallel::on_threads(
            cuts.len() + 1,
            &mut |_| {},
            |t, _| -> Result<TwoStepWalks> {
                let range = (bound(t), bound(t + 1));
                // The first degrees of the run's middle nodes, in node order.
                let mut firsts: Vec<NodeDegree> = Vec::new();
                self.chunk_counts_in(first_incoming, range, first, first_self_loops, |c| {
                    if middle(c.node) {
                        add_degree(&mut firsts, c);
                    }
                })?;
                let mut walks = TwoStepWalks::default();
                for d in &firsts {
                    walks.first_steps = walks.first_steps.saturating_add(d.degree);
                    walks.first_self_loops = walks.first_self_loops.saturating_add(d.self_loops);
                }
                if second.as_ref().is_some_and(|s| s.is_empty()) {
                    return Ok(walks);
                }
                // Each chunk of the second tree times its node's first degree: the products
                // add up per node whatever the chunks.
                let mut at = 0;
                self.chunk_counts_in(second_incoming, range, second, false, |c| {
                    while firsts.get(at).is_some_and(|d| d.node < c.node) {
                        at += 1;
                    }
                    if let Some(d) = firsts.get(at).filter(|d| d.node == c.node) {
                        walks.walks = walks
                            .walks
                            .saturating_add(d.degree.saturating_mul(c.degree));
                    }
                })?;
                Ok(walks)
            },
        );
        let mut total = TwoStepWalks::default();
        for run in runs {
            total.add(run?);
        }
        Ok(total)
    }

    /// Threads for a whole-graph degree scan: up to four on a large graph, else one.
    fn degree_threads(&self) -> Result<usize> {
        Ok(if self.edge_count()? >= DEGREE_THREADS_EDGES_MIN {
            std::thread::available_parallelism().map_or(1, |t| t.get().min(4))
        } else {
            1
        })
    }

    /// The per-chunk degrees of one adjacency direction (types `wanted`, any when `None`),
    /// read on `threads` threads, each a run of the tree: the runs in key order, each in
    /// key order, a node's chunks possibly split between the end of one and the start of
    /// the next.
    fn degree_runs(
        &self,
        incoming: bool,
        wanted: Option<&[u32]>,
        self_loops: bool,
        threads: usize,
    ) -> Result<Vec<Vec<NodeDegree>>> {
        let splits = self.adjacency_splits(incoming, threads)?;
        let bound = |t: usize| -> Option<&[u8]> {
            t.checked_sub(1)
                .and_then(|t| splits.get(t))
                .map(Vec::as_slice)
        };
        // A node's chunks come together: about one entry per node of the run.
        let per_run = usize::try_from(self.node_count()?).unwrap_or(0) / (splits.len() + 1);
        crate::algo::parallel::on_threads(splits.len() + 1, &mut |_| {}, |t, _| {
            let mut out: Vec<NodeDegree> = Vec::with_capacity(per_run + per_run / 8);
            let range = (bound(t), bound(t + 1));
            self.chunk_counts_in(incoming, range, wanted, self_loops, |c| {
                add_degree(&mut out, c);
            })?;
            Ok(out)
        })
        .into_iter()
        .collect()
    }

    /// [`ReadTxn::degrees`], counting self-loops only when `self_loops` is true (else
    /// they are 0): finding them decodes part of every chunk, counting relationships does
    /// not. A large graph is scanned on up to four threads, each reading a run of the
    /// adjacency.
    pub fn degrees_counting(
        &self,
        dir: Direction,
        types: Option<&[&str]>,
        self_loops: bool,
    ) -> Result<Vec<NodeDegree>> {
        let wanted = self.type_ids(types)?;
        if wanted.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        let threads = self.degree_threads()?;
        let one = |incoming: bool| -> Result<Vec<NodeDegree>> {
            let mut out: Vec<NodeDegree> = Vec::new();
            for run in self.degree_runs(incoming, wanted.as_deref(), self_loops, threads)? {
                for d in run {
                    add_degree(&mut out, d);
                }
            }
            Ok(out)
        };
        match dir {
            Direction::Outgoing => one(false),
            Direction::Incoming => one(true),
            Direction::Both => {
                let (outs, ins) = (one(false)?, one(true)?);
                let mut out = Vec::with_capacity(outs.len().max(ins.len()));
                let (mut at_out, mut at_in) = (0, 0);
                loop {
                    let next = match (outs.get(at_out), ins.get(at_in)) {
                        (Some(x), Some(y)) if x.node == y.node => {
                            at_out += 1;
                            at_in += 1;
                            NodeDegree {
                                node: x.node,
                                degree: x.degree + y.degree,
                                self_loops: x.self_loops + y.self_loops,
                            }
                        }
                        (Some(x), Some(y)) if x.node < y.node => {
                            at_out += 1;
                            *x
                        }
                        (Some(x), None) => {
                            at_out += 1;
                            *x
                        }
                        (_, Some(y)) => {
                            at_in += 1;
                            *y
                        }
                        (None, None) => break,
                    };
                    out.push(next);
                }
                Ok(out)
            }
        }
    }

    /// Calls `f` for every chunk of the outgoing (or incoming) adjacency with a key from
    /// `range.0` (included) to `range.1` (excluded), of the type ids `wanted` (all when
    /// `None`), in key order, as a [`NodeDegree`] of its node: how many relationships the
    /// chunk holds, counted without decoding them, and how many of those lead back to the
    /// node when `self_loops` is asked for (else 0). A node's relationships may span
    /// several chunks.
    fn chunk_counts_in(
        &self,
        incoming: bool,
        range: (Option<&[u8]>, Option<&[u8]>),
        wanted: Option<&[u32]>,
        self_loops: bool,
        mut f: impl FnMut(NodeDegree),
    ) -> Result<()> {
        let mut bad = false;
        self.adjacency_runs(incoming, range.0, range.1, |run| {
            run.touch();
            for (k, v) in run.entries() {
                if bad {
                    return;
                }
                let (ValueRef::Inline(v), Some((node, ty, other, edge))) =
                    (v, record::decode_adjacency_full(k))
                else {
                    bad = true;
                    return;
                };
                if wanted.is_some_and(|w| !w.contains(&ty)) {
                    continue;
                }
                let loops = if self_loops {
                    adjacency::self_loops_in(node, (other, edge), v)
                } else {
                    Some(0)
                };
                match (adjacency::chunk_len(v), loops) {
                    (Some(degree), Some(self_loops)) => f(NodeDegree {
                        node,
                        degree,
                        self_loops,
                    }),
                    _ => bad = true,
                }
            }
        })?;
        if bad {
            return Err(GraphError::corrupt(
                "adjacency chunk",
                "",
                "damaged (a varint cut short or a pair missing its edge)",
            ));
        }
        Ok(())
    }

    /// Keys that cut the outgoing (or incoming) adjacency tree into up to `parts` runs of
    /// about equal size, for [`ReadTxn::each_adjacency`] on several threads.
    pub(crate) fn adjacency_splits(&self, incoming: bool, parts: usize) -> Result<Vec<Vec<u8>>> {
        match self.tree(if incoming { self.h.inc } else { self.h.out }) {
            Some(tree) => Ok(tree.split_keys(parts)?),
            None => Ok(Vec::new()),
        }
    }

    /// Calls `f(node, type, other, edge)` for every entry of the outgoing (or incoming)
    /// adjacency tree with a key from `from` (included) to `until` (excluded), `None`
    /// meaning the tree's start or end, in key order: by node, then type, then other end,
    /// then edge.
    pub(crate) fn each_adjacency(
        &self,
        incoming: bool,
        from: Option<&[u8]>,
        until: Option<&[u8]>,
        mut f: impl FnMut(NodeId, u32, NodeId, EdgeId),
    ) -> Result<()> {
        let mut bad = false;
        // The last entry passed on: entries must strictly increase (invariants 1 and 2 of
        // `adjacency.rs`), across chunks too.
        let mut last: Option<(NodeId, u32, NodeId, EdgeId)> = None;
        self.adjacency_runs(incoming, from, until, |run| {
            run.touch();
            for (k, v) in run.entries() {
                let ValueRef::Inline(v) = v else {
                    bad = true;
                    return;
                };
                let whole = adjacency::decode_entry(k, v, |node, ty, other, edge| {
                    let entry = (node, ty, other, edge);
                    if last.is_some_and(|l| l >= entry) {
                        bad = true;
                    }
                    last = Some(entry);
                    if !bad {
                        f(node, ty, other, edge);
                    }
                });
                if whole.is_none() || bad {
                    bad = true;
                    return;
                }
            }
        })?;
        if bad {
            return Err(GraphError::corrupt(
                "adjacency chunk",
                "",
                "damaged or out of order",
            ));
        }
        Ok(())
    }

    /// The raw keys of the outgoing (or incoming) adjacency tree from `from` (included) to
    /// `until` (excluded), a leaf's run at a time, for scans that decode them in their own
    /// tight loop (`record::decode_adjacency_full`); see [`ReadTxn::each_adjacency`].
    pub(crate) fn adjacency_runs(
        &self,
        incoming: bool,
        from: Option<&[u8]>,
        until: Option<&[u8]>,
        f: impl FnMut(&LeafKeys<'_>),
    ) -> Result<()> {
        let Some(tree) = self.tree(if incoming { self.h.inc } else { self.h.out }) else {
            return Ok(());
        };
        let lo = from.map_or(Bound::Unbounded, Bound::Included);
        let hi = until.map_or(Bound::Unbounded, Bound::Excluded);
        tree.range(lo, hi).for_each_run(f)?;
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

/// Edges from which [`ReadTxn::degrees_counting`] scans on several threads: few in debug
/// builds, so that tests of small graphs join runs that split a node's chunks.
const DEGREE_THREADS_EDGES_MIN: u64 = if cfg!(debug_assertions) { 64 } else { 1 << 18 };

/// Adds `d` to the degrees `out` ends with: to its last entry when that is `d`'s node.
fn add_degree(out: &mut Vec<NodeDegree>, d: NodeDegree) {
    match out.last_mut() {
        Some(last) if last.node == d.node => {
            last.degree += d.degree;
            last.self_loops += d.self_loops;
        }
        _ => out.push(d),
    }
}
