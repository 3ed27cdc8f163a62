//! The reads of the graph that queries need ([`GraphRead`]), and their answers from a
//! snapshot, from a write transaction, and from no graph at all.

use pagegraph::{Condition, Direction, EdgeId, EdgeProps, NodeId, NodeProps};

use crate::error::Result;

/// Reads of the graph that queries need: elements, label scans, adjacency.
pub trait GraphRead {
    /// A node's labels and properties.
    fn node(&self, id: NodeId) -> Result<Option<NodeProps>>;
    /// A relationship's endpoints, type and properties.
    fn rel(&self, id: EdgeId) -> Result<Option<EdgeProps>>;
    /// Every node, in id order.
    fn node_ids(&self) -> Result<Vec<NodeId>>;
    /// The nodes with a label, in id order.
    fn label_ids(&self, label: &str) -> Result<Vec<NodeId>>;
    /// `(relationship, other node)` pairs of a node in a direction, optionally of a type.
    fn expand(
        &self,
        node: NodeId,
        dir: Direction,
        ty: Option<&str>,
    ) -> Result<Vec<(EdgeId, NodeId)>>;
    /// The index catalog (empty where there is none).
    fn indexes(&self) -> Result<Vec<pagegraph::IndexInfo>> {
        Ok(Vec::new())
    }
    /// The type of a relationship the running query deleted (`type(r)` after `DELETE r`
    /// still answers); `None` for any other.
    fn deleted_rel_type(&self, _id: EdgeId) -> Option<String> {
        None
    }
    /// A node's labels (`None`: no such node); reads no properties where it can.
    fn node_labels(&self, id: NodeId) -> Result<Option<Vec<String>>> {
        Ok(self.node(id)?.map(|n| n.labels))
    }
    /// Whether node `id` exists and has every label of `labels`.
    fn has_labels(&self, id: NodeId, labels: &[String]) -> Result<bool> {
        Ok(self
            .node_labels(id)?
            .is_some_and(|have| labels.iter().all(|l| have.contains(l))))
    }
    /// One property of a node (`None`: no such node or property); reads no other property
    /// where it can.
    fn node_property(&self, id: NodeId, key: &str) -> Result<Option<pagegraph::PropertyValue>> {
        Ok(self.node(id)?.and_then(|mut n| n.properties.remove(key)))
    }
    /// Properties `keys` of a node, in `keys` order (`None` for one it lacks), from one
    /// read of its record where the graph can; `None` when there is no such node.
    fn node_properties(
        &self,
        id: NodeId,
        keys: &[&str],
    ) -> Result<Option<Vec<Option<pagegraph::PropertyValue>>>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.node_property(id, k)?);
        }
        Ok(Some(out))
    }
    /// Calls `f(node, values)` for each node of `ids` with its properties `keys` (in `keys`
    /// order, `None` for one it lacks), in the order of `ids`, which are ascending and
    /// distinct (from [`GraphRead::label_ids`] or [`GraphRead::node_ids`]); in one scan of
    /// the records where the graph can. A node that does not exist is passed over.
    fn each_node_properties(
        &self,
        ids: &[NodeId],
        keys: &[&str],
        f: &mut PropertyFn<'_>,
    ) -> Result<()> {
        for &id in ids {
            if let Some(values) = self.node_properties(id, keys)? {
                let refs: Vec<Option<pagegraph::PropertyRef<'_>>> = values
                    .into_iter()
                    .map(|v| v.map(pagegraph::PropertyRef::from))
                    .collect();
                f(id, &refs)?;
            }
        }
        Ok(())
    }
    /// [`GraphRead::each_node_properties`] on several threads: `ids` cut into
    /// `sinks.len()` runs of about the same length, run `i` to `sinks[i]` (every id of a run
    /// below every id of the next); false where the graph cannot (then no sink is called).
    fn each_node_properties_parted(
        &self,
        _ids: &[NodeId],
        _keys: &[&str],
        _sinks: &mut [&mut PropertySink<'_>],
    ) -> Result<bool> {
        Ok(false)
    }
    /// One property of a relationship (`None`: no such relationship or property); reads no
    /// other property where it can.
    fn rel_property(&self, id: EdgeId, key: &str) -> Result<Option<pagegraph::PropertyValue>> {
        Ok(self.rel(id)?.and_then(|mut r| r.properties.remove(key)))
    }
    /// The nodes with `label` whose `property` satisfies `cond`, found through a ready
    /// index on exactly (`label`, `property`); `None` when there is no such index.
    fn seek(
        &self,
        _label: &str,
        _property: &str,
        _cond: &Condition,
    ) -> Result<Option<Vec<NodeId>>> {
        Ok(None)
    }
    /// Calls `f(node, other)` for every relationship of one of `types` (any when empty)
    /// in the outgoing (`incoming` false) or incoming adjacency, in one sequential scan
    /// (`pagegraph::ReadTxn::for_each_relationship`); false where the graph cannot (then
    /// counts expand node by node).
    fn scan_relationships(
        &self,
        _incoming: bool,
        _types: &[String],
        _f: &mut dyn FnMut(NodeId, NodeId),
    ) -> Result<bool> {
        Ok(false)
    }
    /// Calls `f(node, relationships, self_loops)` for every node with relationships of one
    /// of `types` (any when empty) in the outgoing (`incoming` false) or incoming
    /// adjacency, in id order, from a scan that counts them without decoding them
    /// (`pagegraph::ReadTxn::degrees_counting`; `self_loops` only when asked for, else 0);
    /// false where the graph cannot.
    fn scan_degrees(
        &self,
        _incoming: bool,
        _types: &[String],
        _self_loops: bool,
        _f: &mut dyn FnMut(NodeId, u64, u64),
    ) -> Result<bool> {
        Ok(false)
    }
    /// The two-step walks through the nodes that pass `middle`, from the adjacency's
    /// chunk counts (`pagegraph::ReadTxn::two_step_walks`: a first step of one of
    /// `first_types` arriving at the middle node when `first_incoming`, a second of one of
    /// `second_types` leaving or arriving as `second_incoming` says; any type when empty);
    /// `None` where the graph cannot.
    fn two_step_walks(
        &self,
        _first: (bool, &[String]),
        _second: (bool, &[String]),
        _first_self_loops: bool,
        _middle: &(dyn Fn(NodeId) -> bool + Sync),
    ) -> Result<Option<pagegraph::TwoStepWalks>> {
        Ok(None)
    }
    /// The number of nodes, where the graph knows it without a scan.
    fn node_count(&self) -> Result<Option<u64>> {
        Ok(None)
    }
    /// The number of nodes with `label`, where the graph knows it without a scan.
    fn label_count(&self, _label: &str) -> Result<Option<u64>> {
        Ok(None)
    }
    /// How many relationships of each type there are, where the graph knows it without a
    /// scan.
    fn rel_type_counts(&self) -> Result<Option<Vec<(String, u64)>>> {
        Ok(None)
    }
    /// How many self-loops (relationships from a node to itself) of one of `types` (any
    /// when empty) there are, where the graph knows it without a scan.
    fn self_loops(&self, _types: &[String]) -> Result<Option<u64>> {
        Ok(None)
    }
    /// Calls `f(relationship, start, end, values)` for every relationship of one of
    /// `types` (any when empty) with its properties `keys` (in `keys` order, `None` for one
    /// it lacks), in id order, from one scan of the relationship records; false where the
    /// graph cannot (then `f` is not called).
    fn scan_rel_properties(
        &self,
        _types: &[String],
        _keys: &[&str],
        _f: &mut RelPropertyFn<'_>,
    ) -> Result<bool> {
        Ok(false)
    }
    /// [`GraphRead::scan_rel_properties`] cut into up to `sinks.len()` runs, run `i` to
    /// `sinks[i]` on a thread of its own (every relationship of a run below every one of
    /// the next); false where the graph cannot (then no sink is called).
    fn scan_rel_properties_parted(
        &self,
        _types: &[String],
        _keys: &[&str],
        _sinks: &mut [&mut RelPropertySink<'_>],
    ) -> Result<bool> {
        Ok(false)
    }
}

/// Where a scan of node properties hands each node and its values (see
/// [`GraphRead::each_node_properties`]), strings borrowed where the graph can.
pub type PropertyFn<'a> =
    dyn FnMut(NodeId, &[Option<pagegraph::PropertyRef<'_>>]) -> Result<()> + 'a;

/// Where one run of a parted scan of node properties goes (see
/// [`GraphRead::each_node_properties_parted`]).
pub type PropertySink<'a> =
    dyn FnMut(NodeId, &[Option<pagegraph::PropertyRef<'_>>]) -> Result<()> + Send + 'a;

/// Where a scan of relationship properties hands each relationship, its start and end
/// nodes and the values (see [`GraphRead::scan_rel_properties`]).
pub type RelPropertyFn<'a> =
    dyn FnMut(EdgeId, NodeId, NodeId, &[Option<pagegraph::PropertyRef<'_>>]) -> Result<()> + 'a;

/// Where one run of a parted scan of relationship properties goes (see
/// [`GraphRead::scan_rel_properties_parted`]).
pub type RelPropertySink<'a> = dyn FnMut(EdgeId, NodeId, NodeId, &[Option<pagegraph::PropertyRef<'_>>]) -> Result<()>
    + Send
    + 'a;

/// No graph: every element is missing (for queries that touch none).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoGraph;

impl GraphRead for NoGraph {
    fn node(&self, _: NodeId) -> Result<Option<NodeProps>> {
        Ok(None)
    }
    fn rel(&self, _: EdgeId) -> Result<Option<EdgeProps>> {
        Ok(None)
    }
    fn node_ids(&self) -> Result<Vec<NodeId>> {
        Ok(Vec::new())
    }
    fn label_ids(&self, _: &str) -> Result<Vec<NodeId>> {
        Ok(Vec::new())
    }
    fn expand(&self, _: NodeId, _: Direction, _: Option<&str>) -> Result<Vec<(EdgeId, NodeId)>> {
        Ok(Vec::new())
    }
}

/// The reads that a snapshot and the write transaction answer the same way (the graph
/// crate gives both the same methods), written once for both impls below.
macro_rules! shared_reads {
    () => {
        fn node(&self, id: NodeId) -> Result<Option<NodeProps>> {
            Ok(self.node_props(id)?)
        }
        fn rel(&self, id: EdgeId) -> Result<Option<EdgeProps>> {
            Ok(self.edge_props(id)?)
        }
        fn expand(
            &self,
            node: NodeId,
            dir: Direction,
            ty: Option<&str>,
        ) -> Result<Vec<(EdgeId, NodeId)>> {
            Ok(self.neighbors(node, dir, ty)?)
        }
        fn node_labels(&self, id: NodeId) -> Result<Option<Vec<String>>> {
            Ok(Self::node_labels(self, id)?)
        }
        fn node_property(&self, id: NodeId, key: &str) -> Result<Option<pagegraph::PropertyValue>> {
            Ok(Self::node_property(self, id, key)?)
        }
        fn rel_property(&self, id: EdgeId, key: &str) -> Result<Option<pagegraph::PropertyValue>> {
            Ok(Self::edge_property(self, id, key)?)
        }
        fn seek(
            &self,
            label: &str,
            property: &str,
            cond: &Condition,
        ) -> Result<Option<Vec<NodeId>>> {
            match self.nodes_by_index(label, property, cond)? {
                Some(ids) => Ok(Some(ids.collect::<pagegraph::Result<_>>()?)),
                None => Ok(None),
            }
        }
        fn indexes(&self) -> Result<Vec<pagegraph::IndexInfo>> {
            Ok(Self::indexes(self)?)
        }
    };
}

/// Relationship type names as the graph API takes them.
fn type_names(types: &[String]) -> Vec<&str> {
    types.iter().map(String::as_str).collect()
}

/// A type filter as the graph API takes it: `None` (any type) for no names.
fn any_if_empty<'n>(names: &'n [&'n str]) -> Option<&'n [&'n str]> {
    (!names.is_empty()).then_some(names)
}

impl GraphRead for pagegraph::ReadTxn {
    shared_reads!();
    fn label_ids(&self, label: &str) -> Result<Vec<NodeId>> {
        // The label index read leaf by leaf (string id 0, the empty name, is no label).
        if label.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.nodes_by_kind(label)?)
    }
    fn node_properties(
        &self,
        id: NodeId,
        keys: &[&str],
    ) -> Result<Option<Vec<Option<pagegraph::PropertyValue>>>> {
        Ok(pagegraph::ReadTxn::node_properties(self, id, keys)?)
    }
    fn each_node_properties(
        &self,
        ids: &[NodeId],
        keys: &[&str],
        f: &mut PropertyFn<'_>,
    ) -> Result<()> {
        pagegraph::ReadTxn::each_node_property_refs(self, ids, keys, f)
    }
    fn each_node_properties_parted(
        &self,
        ids: &[NodeId],
        keys: &[&str],
        sinks: &mut [&mut PropertySink<'_>],
    ) -> Result<bool> {
        pagegraph::ReadTxn::each_node_property_refs_parted(self, ids, keys, sinks)?;
        Ok(true)
    }
    fn node_ids(&self) -> Result<Vec<NodeId>> {
        Ok(pagegraph::ReadTxn::node_ids(self).collect::<pagegraph::Result<_>>()?)
    }
    fn scan_relationships(
        &self,
        incoming: bool,
        types: &[String],
        f: &mut dyn FnMut(NodeId, NodeId),
    ) -> Result<bool> {
        let names = type_names(types);
        let types = any_if_empty(&names);
        self.for_each_relationship(incoming, types, |node, other, _| f(node, other))?;
        Ok(true)
    }
    fn scan_degrees(
        &self,
        incoming: bool,
        types: &[String],
        self_loops: bool,
        f: &mut dyn FnMut(NodeId, u64, u64),
    ) -> Result<bool> {
        let names = type_names(types);
        let types = any_if_empty(&names);
        self.for_each_degree(incoming, types, self_loops, |d| {
            f(d.node, d.degree, d.self_loops);
        })?;
        Ok(true)
    }
    fn node_count(&self) -> Result<Option<u64>> {
        Ok(Some(Self::node_count(self)?))
    }
    fn label_count(&self, label: &str) -> Result<Option<u64>> {
        // The label counts (`g.counts`), kept by every write; no entry is no node.
        Ok(Some(
            self.kinds()?
                .into_iter()
                .find(|(l, _)| l == label)
                .map_or(0, |(_, n)| n),
        ))
    }
    fn rel_type_counts(&self) -> Result<Option<Vec<(String, u64)>>> {
        Ok(Some(self.edge_types()?))
    }
    fn self_loops(&self, types: &[String]) -> Result<Option<u64>> {
        Ok(self.self_loop_counts()?.map(|counts| {
            counts
                .iter()
                .filter(|(t, _)| types.is_empty() || types.contains(t))
                .map(|(_, n)| n)
                .sum()
        }))
    }
    fn scan_rel_properties(
        &self,
        types: &[String],
        keys: &[&str],
        f: &mut RelPropertyFn<'_>,
    ) -> Result<bool> {
        let names = type_names(types);
        let types = any_if_empty(&names);
        self.each_edge_property_refs(types, keys, f)?;
        Ok(true)
    }
    fn scan_rel_properties_parted(
        &self,
        types: &[String],
        keys: &[&str],
        sinks: &mut [&mut RelPropertySink<'_>],
    ) -> Result<bool> {
        let names = type_names(types);
        let types = any_if_empty(&names);
        self.each_edge_property_refs_parted(types, keys, sinks)?;
        Ok(true)
    }
    fn two_step_walks(
        &self,
        first: (bool, &[String]),
        second: (bool, &[String]),
        first_self_loops: bool,
        middle: &(dyn Fn(NodeId) -> bool + Sync),
    ) -> Result<Option<pagegraph::TwoStepWalks>> {
        let (r1, r2) = (type_names(first.1), type_names(second.1));
        let (t1, t2) = (any_if_empty(&r1), any_if_empty(&r2));
        Ok(Some(Self::two_step_walks(
            self,
            first.0,
            t1,
            second.0,
            t2,
            first_self_loops,
            middle,
        )?))
    }
}

impl GraphRead for pagegraph::WriteTxn {
    fn label_ids(&self, label: &str) -> Result<Vec<NodeId>> {
        Ok(self
            .nodes_with_label(label)?
            .collect::<pagegraph::Result<_>>()?)
    }
    shared_reads!();
    fn node_ids(&self) -> Result<Vec<NodeId>> {
        Ok(pagegraph::WriteTxn::node_ids(self)?.collect::<pagegraph::Result<_>>()?)
    }
}
