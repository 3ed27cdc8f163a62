//! The labels/properties API of the write transaction: nodes with any number of labels,
//! typed properties, merge (get or create) by key, delete by key, and reads that see the
//! transaction's own writes. The mapping to kind/name/data is in `props.rs`.

use super::{EdgeSpec, NewNode, TypedEdge, WriteTxn, check_label};
use crate::error::{GraphError, Result};
use crate::ids::{Direction, EdgeId, NodeId};
use crate::index::Condition;
use crate::lookup::{self, EdgeIds, NodeIds, Source};
use crate::props::{self, Properties};
use crate::read::{Edge, Node};
use crate::record::OUT;
use crate::stage::Labels;
use crate::value::PropertyValue;

/// A node in the labels/properties view.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeProps {
    /// Its id.
    pub id: NodeId,
    /// Its labels; the first is its kind.
    pub labels: Vec<String>,
    /// Its properties.
    pub properties: Properties,
}

/// An edge in the labels/properties view.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeProps {
    /// Its id.
    pub id: EdgeId,
    /// Source node.
    pub from: NodeId,
    /// Target node.
    pub to: NodeId,
    /// Its type.
    pub edge_type: String,
    /// Its properties.
    pub properties: Properties,
}

/// What a merge found or made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Merged<T> {
    /// The element matched or created (the smallest id when several matched).
    pub id: T,
    /// True if it was created.
    pub created: bool,
}

/// Labels as given, checked, without repeats, in their first order.
fn checked_labels(labels: &[&str]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(labels.len());
    for l in labels {
        check_label("node label", l)?;
        if !out.iter().any(|o| o == l) {
            out.push((*l).to_string());
        }
    }
    Ok(out)
}

/// A node to insert from labels and properties.
fn new_node(labels: &[&str], properties: Properties) -> Result<NewNode> {
    let mut labels = checked_labels(labels)?;
    let (name, data) = props::from_properties("node properties", properties, true)?;
    let kind = if labels.is_empty() {
        String::new()
    } else {
        labels.remove(0)
    };
    Ok(NewNode {
        kind,
        more: labels,
        name,
        data,
    })
}

/// Key properties must all be non-null (openCypher refuses to merge on null).
fn check_key(key: &Properties) -> Result<()> {
    if let Some((k, _)) = key.iter().find(|(_, v)| matches!(v, PropertyValue::Null)) {
        return Err(GraphError::Invalid {
            field: "merge key",
            reason: format!("property {k} is null; a merge key needs values"),
        });
    }
    Ok(())
}

impl WriteTxn {
    /// Creates a node with these labels (none, one or more; the first is its kind) and
    /// properties; returns its id. A property that cannot be stored (a NaN or infinite
    /// float) is refused with `Invalid`, a unique constraint's duplicate with
    /// `ConstraintViolation`; either leaves the transaction as it was.
    pub fn create_node(&mut self, labels: &[&str], properties: Properties) -> Result<NodeId> {
        let node = new_node(labels, properties)?;
        Ok(self.insert_new_nodes([node], false)?[0])
    }

    /// Creates many nodes at once, all or nothing, as [`WriteTxn::insert_nodes`] does for
    /// `NodeSpec`s; returns their ids in order.
    pub fn create_nodes<'l>(
        &mut self,
        nodes: impl IntoIterator<Item = (&'l [&'l str], Properties)>,
    ) -> Result<Vec<NodeId>> {
        let nodes = nodes
            .into_iter()
            .map(|(l, p)| new_node(l, p))
            .collect::<Result<Vec<_>>>()?;
        self.insert_new_nodes(nodes, false)
    }

    /// Creates an edge with these properties; both endpoints must exist.
    pub fn create_edge(
        &mut self,
        from: NodeId,
        to: NodeId,
        edge_type: &str,
        properties: Properties,
    ) -> Result<EdgeId> {
        let (_, data) = props::from_properties("edge properties", properties, false)?;
        self.insert_edge(EdgeSpec {
            from,
            to,
            edge_type: edge_type.to_string(),
            data,
        })
    }

    /// Creates many edges at once, all or nothing, as [`WriteTxn::insert_edges`] does for
    /// `EdgeSpec`s: (from, to, type, properties) each; returns their ids in order.
    pub fn create_edges<T: AsRef<str>>(
        &mut self,
        edges: impl IntoIterator<Item = (NodeId, NodeId, T, Properties)>,
    ) -> Result<Vec<EdgeId>> {
        // Each type named once, not once per edge: batches repeat a few types.
        let mut types = Labels::default();
        let typed = edges
            .into_iter()
            .map(|(from, to, edge_type, properties)| {
                let (_, data) = props::from_properties("edge properties", properties, false)?;
                let edge_type = types.index_of(edge_type.as_ref());
                Ok(TypedEdge {
                    from,
                    to,
                    edge_type,
                    data: data.into(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.insert_typed_edges(types.distinct(), typed)
    }

    /// Sets one property of a node (a `Null` value removes it).
    pub fn set_node_property(&mut self, id: NodeId, key: &str, value: PropertyValue) -> Result<()> {
        self.change_node_properties(id, |p| {
            p.insert(key.to_string(), value);
        })
    }

    /// Replaces every property of a node (openCypher `SET n = {...}`).
    pub fn set_node_properties(&mut self, id: NodeId, properties: Properties) -> Result<()> {
        self.change_node_properties(id, |p| *p = properties)
    }

    /// Adds and replaces properties of a node, a `Null` value removing one (openCypher
    /// `SET n += {...}`).
    pub fn merge_node_properties(&mut self, id: NodeId, properties: Properties) -> Result<()> {
        self.change_node_properties(id, |p| p.extend(properties))
    }

    fn change_node_properties(
        &mut self,
        id: NodeId,
        change: impl FnOnce(&mut Properties),
    ) -> Result<()> {
        self.rewrite_node(id, |n| {
            let mut p = props::to_properties("node data", &n.name, &n.data)?;
            change(&mut p);
            let (name, data) = props::from_properties("node properties", p, true)?;
            n.name = name;
            n.data = data;
            Ok(())
        })
    }

    /// Adds a label to a node; false if it already had it. A node without labels gets it
    /// as its kind.
    pub fn add_label(&mut self, id: NodeId, label: &str) -> Result<bool> {
        check_label("node label", label)?;
        let l = self.intern(label)?;
        let mut added = false;
        self.rewrite_node(id, |n| {
            if !n.labels.contains(&l) {
                n.labels.push(l);
                added = true;
            }
            Ok(())
        })?;
        Ok(added)
    }

    /// Removes a label from a node; false if it did not have it. Removing the first label
    /// makes the next one the kind.
    pub fn remove_label(&mut self, id: NodeId, label: &str) -> Result<bool> {
        let Some(l) = Source::string_id(self, label)?.filter(|&l| l != 0) else {
            if lookup::node_state(self, id)?.is_none() {
                return Err(GraphError::NodeNotFound(id));
            }
            return Ok(false);
        };
        let mut removed = false;
        self.rewrite_node(id, |n| {
            let before = n.labels.len();
            n.labels.retain(|&x| x != l);
            removed = n.labels.len() != before;
            Ok(())
        })?;
        Ok(removed)
    }

    /// Sets one property of an edge (a `Null` value removes it).
    pub fn set_edge_property(&mut self, id: EdgeId, key: &str, value: PropertyValue) -> Result<()> {
        self.change_edge_properties(id, |p| {
            p.insert(key.to_string(), value);
        })
    }

    /// Replaces every property of an edge.
    pub fn set_edge_properties(&mut self, id: EdgeId, properties: Properties) -> Result<()> {
        self.change_edge_properties(id, |p| *p = properties)
    }

    /// Adds and replaces properties of an edge, a `Null` value removing one.
    pub fn merge_edge_properties(&mut self, id: EdgeId, properties: Properties) -> Result<()> {
        self.change_edge_properties(id, |p| p.extend(properties))
    }

    fn change_edge_properties(
        &mut self,
        id: EdgeId,
        change: impl FnOnce(&mut Properties),
    ) -> Result<()> {
        self.rewrite_edge(id, |data| {
            let mut p = props::to_properties("edge data", "", data)?;
            change(&mut p);
            *data = props::from_properties("edge properties", p, false)?.1;
            Ok(())
        })
    }

    /// Finds the nodes with every label of `labels` whose properties equal `key`, or
    /// creates one (openCypher `MERGE`): a created node gets the key's properties, then
    /// `on_create`'s; each matched node gets `on_match`'s (`+=`). Sees this transaction's
    /// own writes, and the graph has one writer at a time, so racing merges of one key
    /// from many threads create it once. Uses an index on the key when there is one (see
    /// [`WriteTxn::create_index`]); a unique constraint on it also guarantees one match.
    pub fn merge_node(
        &mut self,
        labels: &[&str],
        key: Properties,
        on_create: Properties,
        on_match: Properties,
    ) -> Result<Merged<NodeId>> {
        let names = checked_labels(labels)?;
        if names.is_empty() {
            return Err(GraphError::Invalid {
                field: "merge labels",
                reason: "a merge needs at least one label".into(),
            });
        }
        check_key(&key)?;
        let mut ids = Vec::with_capacity(names.len());
        for l in &names {
            if let Some(id) = Source::string_id(self, l)? {
                ids.push(id);
            } else {
                ids.clear();
                break;
            }
        }
        let found = if ids.len() == names.len() {
            lookup::nodes_matching(self, &ids, &key)?
        } else {
            Vec::new()
        };
        if let Some(&first) = found.first() {
            if !on_match.is_empty() {
                for &id in &found {
                    self.merge_node_properties(id, on_match.clone())?;
                }
            }
            return Ok(Merged {
                id: first,
                created: false,
            });
        }
        let mut props = key;
        props.extend(on_create);
        let id = self.create_node(labels, props)?;
        Ok(Merged { id, created: true })
    }

    /// Finds the edges of `edge_type` from `from` to `to` whose properties equal `key`, or
    /// creates one, as [`WriteTxn::merge_node`] does for nodes.
    pub fn merge_edge(
        &mut self,
        from: NodeId,
        to: NodeId,
        edge_type: &str,
        key: Properties,
        on_create: Properties,
        on_match: Properties,
    ) -> Result<Merged<EdgeId>> {
        check_label("edge type", edge_type)?;
        check_key(&key)?;
        let mut found = Vec::new();
        for e in self.edges_between(from, to, edge_type)? {
            let Some(edge) = lookup::edge_state(self, e)? else {
                continue;
            };
            let mut all = true;
            for (p, v) in &key {
                let x = edge.property(p)?;
                if x.as_ref()
                    .is_none_or(|x| crate::value::equals(x, v) != Some(true))
                {
                    all = false;
                    break;
                }
            }
            if all {
                found.push(e);
            }
        }
        if let Some(&first) = found.first() {
            if !on_match.is_empty() {
                for &e in &found {
                    self.merge_edge_properties(e, on_match.clone())?;
                }
            }
            return Ok(Merged {
                id: first,
                created: false,
            });
        }
        let mut props = key;
        props.extend(on_create);
        let id = self.create_edge(from, to, edge_type, props)?;
        Ok(Merged { id, created: true })
    }

    /// The edges of `edge_type` from `from` to `to`, in id order, as this transaction sees
    /// them: what [`WriteTxn::merge_edge`] matches before it compares properties. Reads only
    /// the adjacency entries of that (node, type, other node) triple, however many other
    /// edges `from` has.
    pub fn edges_between(&self, from: NodeId, to: NodeId, edge_type: &str) -> Result<Vec<EdgeId>> {
        let Some(ty) = Source::string_id(self, edge_type)?.filter(|&t| t != 0) else {
            return Ok(Vec::new());
        };
        let (out, delta) = (self.view(OUT)?, self.view(crate::record::OUT_DELTA)?);
        crate::adjacency::delta::edges_between(out.as_ref(), delta.as_ref(), from, ty, to)
    }

    /// Deletes every node of `label` whose `property` satisfies `cond`, with all their
    /// edges (openCypher `DETACH DELETE`); returns how many nodes were deleted. The
    /// re-index of a source file: delete what came from it, insert the new version, commit
    /// once.
    pub fn delete_nodes_where(
        &mut self,
        label: &str,
        property: &str,
        cond: &Condition,
    ) -> Result<u64> {
        let ids: Vec<NodeId> = self
            .nodes_where(label, property, cond)?
            .collect::<Result<_>>()?;
        for &id in &ids {
            self.delete_node(id)?;
        }
        Ok(ids.len() as u64)
    }

    /// Deletes every edge of `edge_type` whose `property` satisfies `cond`; returns how
    /// many.
    pub fn delete_edges_where(
        &mut self,
        edge_type: &str,
        property: &str,
        cond: &Condition,
    ) -> Result<u64> {
        let ids: Vec<EdgeId> = self
            .edges_where(edge_type, property, cond)?
            .collect::<Result<_>>()?;
        for &id in &ids {
            self.delete_edge(id)?;
        }
        Ok(ids.len() as u64)
    }

    /// A node's labels as this transaction sees them, reading its record but not its properties; `None` when there is
    /// no such node.
    pub fn node_labels(&self, id: NodeId) -> Result<Option<Vec<String>>> {
        lookup::node_labels(self, id)
    }

    /// One property of a node, reading only that field of its data: `None` when there is no
    /// such node or it lacks the property.
    pub fn node_property(&self, id: NodeId, key: &str) -> Result<Option<crate::PropertyValue>> {
        lookup::node_property(self, id, key)
    }

    /// Nodes of `label` whose `property` satisfies `cond`, as this transaction sees them;
    /// see [`crate::ReadTxn::nodes_where`] for the order.
    pub fn nodes_where(
        &self,
        label: &str,
        property: &str,
        cond: &Condition,
    ) -> Result<NodeIds<'_>> {
        lookup::nodes_where(self, label, property, cond)
    }

    /// The nodes [`crate::ReadTxn::nodes_by_index`] finds, as this transaction sees the
    /// graph: `None` when no ready index on exactly (`label`, `property`) serves `cond`.
    pub fn nodes_by_index(
        &self,
        label: &str,
        property: &str,
        cond: &Condition,
    ) -> Result<Option<NodeIds<'_>>> {
        lookup::nodes_by_index(self, label, property, cond)
    }

    /// Edges of `edge_type` whose `property` satisfies `cond`, as this transaction sees
    /// them; see [`crate::ReadTxn::edges_where`].
    pub fn edges_where(
        &self,
        edge_type: &str,
        property: &str,
        cond: &Condition,
    ) -> Result<EdgeIds<'_>> {
        lookup::edges_where(self, edge_type, property, cond)
    }

    /// Ids of the nodes with a label, in id order, as this transaction sees them.
    pub fn nodes_with_label(&self, label: &str) -> Result<NodeIds<'_>> {
        match Source::string_id(self, label)?.filter(|&l| l != 0) {
            Some(l) => lookup::label_ids(self, l),
            None => Ok(lookup::empty()),
        }
    }

    /// Every node id, in id order, as this transaction sees them.
    pub fn node_ids(&self) -> Result<NodeIds<'_>> {
        lookup::all_node_ids(self)
    }

    /// Number of nodes and of edges, as this transaction sees them.
    pub fn counts(&self) -> Result<(u64, u64)> {
        let nodes = self.view(crate::record::NODES)?.map_or(0, |t| t.len());
        let edges = crate::lookup::edge_total(self)?;
        Ok((nodes, edges))
    }

    /// The node with this id in the labels/properties view, as this transaction sees it.
    pub fn node_props(&self, id: NodeId) -> Result<Option<NodeProps>> {
        Ok(
            lookup::node_view(self, id)?.map(|(labels, properties)| NodeProps {
                id,
                labels,
                properties,
            }),
        )
    }

    /// One property of an edge as this transaction sees it, reading only that field of its
    /// data: `None` when there is no such edge or it lacks the property.
    pub fn edge_property(&self, id: EdgeId, key: &str) -> Result<Option<crate::PropertyValue>> {
        lookup::edge_property(self, id, key)
    }

    /// The edge with this id in the labels/properties view, as this transaction sees it.
    pub fn edge_props(&self, id: EdgeId) -> Result<Option<EdgeProps>> {
        let Some(e) = lookup::edge_state(self, id)? else {
            return Ok(None);
        };
        Ok(Some(EdgeProps {
            id,
            from: e.from,
            to: e.to,
            edge_type: Source::string(self, e.edge_type)?,
            properties: props::to_properties("edge data", "", &e.data)?,
        }))
    }

    /// The node with this id, as this transaction sees it.
    pub fn node(&self, id: NodeId) -> Result<Option<Node>> {
        let Some(n) = lookup::node_state(self, id)? else {
            return Ok(None);
        };
        Ok(Some(Node {
            id,
            kind: Source::string(self, n.labels.first().copied().unwrap_or(0))?,
            name: n.name,
            data: n.data,
        }))
    }

    /// The edge with this id, as this transaction sees it.
    pub fn edge(&self, id: EdgeId) -> Result<Option<Edge>> {
        let Some(e) = lookup::edge_state(self, id)? else {
            return Ok(None);
        };
        Ok(Some(Edge {
            id,
            from: e.from,
            to: e.to,
            edge_type: Source::string(self, e.edge_type)?,
            data: e.data,
        }))
    }

    /// `(edge, other node)` pairs of `id` in a direction, as this transaction sees them,
    /// in the order of [`crate::ReadTxn::neighbors`].
    pub fn neighbors(
        &self,
        id: NodeId,
        dir: Direction,
        edge_type: Option<&str>,
    ) -> Result<Vec<(EdgeId, NodeId)>> {
        let ty = match edge_type {
            Some(t) => match Source::string_id(self, t)? {
                Some(ty) => Some(ty),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        let trees: &[&str] = match dir {
            Direction::Outgoing => &[OUT],
            Direction::Incoming => &[crate::record::IN],
            Direction::Both => &[OUT, crate::record::IN],
        };
        let mut out = Vec::new();
        for t in trees {
            let main = self.view(t)?;
            let delta = self.view(crate::adjacency::delta::delta_of(t))?;
            crate::adjacency::delta::for_each_pair(
                main.as_ref(),
                delta.as_ref(),
                id,
                ty,
                |_, other, e| out.push((e, other)),
            )?;
        }
        Ok(out)
    }
}
