//! The graph a read-only query runs on: a snapshot (or any [`GraphRead`]) that refuses
//! every write and, since nothing changes it while the query runs, remembers what it read
//! lately (node properties, label sets).

use std::collections::HashMap;

use pagegraph::{EdgeId, NodeId, Properties, PropertyValue};

use super::GraphWrite;
use crate::error::{QueryError, Result};
use crate::eval::GraphRead;

/// A read-only graph as a [`GraphWrite`] that refuses every write. Nothing changes the
/// graph under it, so it remembers the node properties it read last ([`PropertyMemo`]) and
/// answers many tests of one label from the label's node set ([`LabelMemo`]).
pub(super) struct ReadOnly<'a>(&'a dyn GraphRead, PropertyMemo, LabelMemo);

impl<'a> ReadOnly<'a> {
    pub(super) fn new(graph: &'a dyn GraphRead) -> ReadOnly<'a> {
        ReadOnly(graph, PropertyMemo::default(), LabelMemo::default())
    }
}

/// Tests of one label a read-only query makes by reading node records before it reads the
/// label's node set once and answers the rest from it: this many, or one per
/// [`LABEL_NODES_PER_TEST`] nodes of the graph if that is more (a test reads a record at
/// random; the set reads the label's index in order, at most every node).
const LABEL_TESTS_BEFORE_SET: u64 = 1024;

/// See [`LABEL_TESTS_BEFORE_SET`].
const LABEL_NODES_PER_TEST: u64 = 256;

/// Label tests of a read-only query: `(b:Person)` at the far end of an expansion tests a
/// node the previous row did not touch, a random record read each; past a number of tests
/// of a label ([`LABEL_TESTS_BEFORE_SET`]), its nodes are read in one scan of the label
/// index into a set (a bitmap by id) that answers every later test. Only for a graph
/// nothing writes to while the memo lives.
#[derive(Default)]
struct LabelMemo {
    labels: std::cell::RefCell<HashMap<String, LabelTests>>,
}

/// What a [`LabelMemo`] knows of one label.
enum LabelTests {
    /// Tests made so far by reading records, and how many to make before the set.
    Counted(u64, u64),
    /// The label's nodes.
    Nodes(crate::count::IdSet),
}

impl LabelMemo {
    /// Whether `id` has `label`, from the label's node set once it is worth reading
    /// (`read_ids`); `None` while tests are still answered from records. `nodes` is the
    /// graph's node count, where it is known.
    fn has(
        &self,
        label: &str,
        id: NodeId,
        nodes: impl FnOnce() -> Result<Option<u64>>,
        read_ids: impl FnOnce() -> Result<Vec<NodeId>>,
    ) -> Result<Option<bool>> {
        let mut labels = self.labels.borrow_mut();
        let tests = match labels.entry(label.to_string()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let per_nodes = nodes()?.unwrap_or(0) / LABEL_NODES_PER_TEST;
                e.insert(LabelTests::Counted(
                    0,
                    LABEL_TESTS_BEFORE_SET.max(per_nodes),
                ))
            }
        };
        match tests {
            LabelTests::Nodes(set) => Ok(Some(set.contains(id))),
            LabelTests::Counted(n, before) if *n < *before => {
                *n += 1;
                Ok(None)
            }
            LabelTests::Counted(..) => {
                let set = crate::count::IdSet::of(&read_ids()?);
                let has = set.contains(id);
                *tests = LabelTests::Nodes(set);
                Ok(Some(has))
            }
        }
    }
}

/// Slots of a [`PropertyMemo`] (a power of two).
const MEMO_SLOTS: usize = 64;

/// The node properties a read-only query read last, in a small direct-mapped table:
/// `a.id` of a node expanded to many neighbours is read once, not once per row. A read
/// also takes the other properties asked for lately ([`MEMO_KEYS`] names) from the same
/// record, so `p.city` and then `p.age` read `p`'s record once. Only for a graph nothing
/// writes to while the memo lives.
#[derive(Default)]
struct PropertyMemo {
    slots: std::cell::RefCell<Vec<Option<MemoEntry>>>,
    /// Property names asked for lately, the newest replacing the oldest.
    keys: std::cell::RefCell<(Vec<Box<str>>, usize)>,
}

/// Property names a [`PropertyMemo`] reads together.
const MEMO_KEYS: usize = 4;

/// A remembered read: node, property name, value (`None`: absent).
type MemoEntry = (NodeId, Box<str>, Option<PropertyValue>);

impl PropertyMemo {
    fn slot(id: NodeId, key: &str) -> usize {
        let mut h = id.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for &b in key.as_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
        // The top bits mix every input bit; a shift by 58 keeps six of them.
        usize::try_from(h >> 58).unwrap_or(0) & (MEMO_SLOTS - 1)
    }

    /// Property `key` of node `id` in `graph`, or the value remembered from the last read
    /// of it.
    fn get(&self, id: NodeId, key: &str, graph: &dyn GraphRead) -> Result<Option<PropertyValue>> {
        let at = Self::slot(id, key);
        if let Some(Some((n, k, v))) = self.slots.borrow().get(at)
            && *n == id
            && **k == *key
        {
            return Ok(v.clone());
        }
        // Read with the other names asked for lately.
        let mut keys = self.keys.borrow_mut();
        let (names, next) = &mut *keys;
        if !names.iter().any(|k| **k == *key) {
            if names.len() < MEMO_KEYS {
                names.push(key.into());
            } else {
                names[*next] = key.into();
                *next = (*next + 1) % MEMO_KEYS;
            }
        }
        let wanted: Vec<&str> = names.iter().map(|k| &**k).collect();
        let values = graph.node_properties(id, &wanted)?;
        let mut slots = self.slots.borrow_mut();
        if slots.is_empty() {
            slots.resize(MEMO_SLOTS, None);
        }
        let mut asked = None;
        for (i, name) in wanted.iter().enumerate() {
            let value = values.as_ref().and_then(|v| v.get(i).cloned().flatten());
            if *name == key {
                asked = Some(value.clone());
            }
            let s = Self::slot(id, name);
            match slots.get_mut(s) {
                Some(Some((n, k, v))) if **k == **name => {
                    *n = id;
                    *v = value;
                }
                Some(slot) => *slot = Some((id, (*name).into(), value)),
                None => {}
            }
        }
        Ok(asked.flatten())
    }
}

fn read_only<T>() -> Result<T> {
    Err(QueryError::Unsupported(
        "writing in a read transaction: run the query in a write transaction".into(),
    ))
}

impl GraphRead for ReadOnly<'_> {
    fn node(&self, id: NodeId) -> Result<Option<pagegraph::NodeProps>> {
        self.0.node(id)
    }
    fn rel(&self, id: EdgeId) -> Result<Option<pagegraph::EdgeProps>> {
        self.0.rel(id)
    }
    fn node_ids(&self) -> Result<Vec<NodeId>> {
        self.0.node_ids()
    }
    fn label_ids(&self, label: &str) -> Result<Vec<NodeId>> {
        self.0.label_ids(label)
    }
    fn expand(
        &self,
        node: NodeId,
        dir: pagegraph::Direction,
        ty: Option<&str>,
    ) -> Result<Vec<(EdgeId, NodeId)>> {
        self.0.expand(node, dir, ty)
    }
    fn indexes(&self) -> Result<Vec<pagegraph::IndexInfo>> {
        self.0.indexes()
    }
    fn scan_relationships(
        &self,
        incoming: bool,
        types: &[String],
        f: &mut dyn FnMut(NodeId, NodeId),
    ) -> Result<bool> {
        self.0.scan_relationships(incoming, types, f)
    }
    fn scan_degrees(
        &self,
        incoming: bool,
        types: &[String],
        self_loops: bool,
        f: &mut dyn FnMut(NodeId, u64, u64),
    ) -> Result<bool> {
        self.0.scan_degrees(incoming, types, self_loops, f)
    }
    fn node_count(&self) -> Result<Option<u64>> {
        self.0.node_count()
    }
    fn label_count(&self, label: &str) -> Result<Option<u64>> {
        self.0.label_count(label)
    }
    fn rel_type_counts(&self) -> Result<Option<Vec<(String, u64)>>> {
        self.0.rel_type_counts()
    }
    fn self_loops(&self, types: &[String]) -> Result<Option<u64>> {
        self.0.self_loops(types)
    }
    fn scan_rel_properties(
        &self,
        types: &[String],
        keys: &[&str],
        f: &mut crate::eval::RelPropertyFn<'_>,
    ) -> Result<bool> {
        self.0.scan_rel_properties(types, keys, f)
    }
    fn scan_rel_properties_parted(
        &self,
        types: &[String],
        keys: &[&str],
        sinks: &mut [&mut crate::eval::RelPropertySink<'_>],
    ) -> Result<bool> {
        self.0.scan_rel_properties_parted(types, keys, sinks)
    }
    fn two_step_walks(
        &self,
        first: (bool, &[String]),
        second: (bool, &[String]),
        first_self_loops: bool,
        middle: &(dyn Fn(NodeId) -> bool + Sync),
    ) -> Result<Option<pagegraph::TwoStepWalks>> {
        self.0
            .two_step_walks(first, second, first_self_loops, middle)
    }
    fn seek(
        &self,
        label: &str,
        property: &str,
        cond: &pagegraph::Condition,
    ) -> Result<Option<Vec<NodeId>>> {
        self.0.seek(label, property, cond)
    }
    fn node_labels(&self, id: NodeId) -> Result<Option<Vec<String>>> {
        self.0.node_labels(id)
    }
    fn node_property(&self, id: NodeId, key: &str) -> Result<Option<pagegraph::PropertyValue>> {
        self.1.get(id, key, self.0)
    }
    fn each_node_properties(
        &self,
        ids: &[NodeId],
        keys: &[&str],
        f: &mut crate::eval::PropertyFn<'_>,
    ) -> Result<()> {
        self.0.each_node_properties(ids, keys, f)
    }
    fn each_node_properties_parted(
        &self,
        ids: &[NodeId],
        keys: &[&str],
        sinks: &mut [&mut crate::eval::PropertySink<'_>],
    ) -> Result<bool> {
        self.0.each_node_properties_parted(ids, keys, sinks)
    }
    fn has_labels(&self, id: NodeId, labels: &[String]) -> Result<bool> {
        let mut unknown = labels.is_empty();
        for l in labels {
            match self
                .2
                .has(l, id, || self.0.node_count(), || self.0.label_ids(l))?
            {
                Some(false) => return Ok(false),
                Some(true) => {}
                None => unknown = true,
            }
        }
        // A node in a label's set exists; without labels, or before the sets are read,
        // the record answers.
        if unknown {
            return self.0.has_labels(id, labels);
        }
        Ok(true)
    }
    fn rel_property(&self, id: EdgeId, key: &str) -> Result<Option<pagegraph::PropertyValue>> {
        self.0.rel_property(id, key)
    }
}

impl GraphWrite for ReadOnly<'_> {
    fn create_node(&mut self, _: &[&str], _: Properties) -> Result<NodeId> {
        read_only()
    }
    fn create_rel(&mut self, _: NodeId, _: NodeId, _: &str, _: Properties) -> Result<EdgeId> {
        read_only()
    }
    fn set_node_props(&mut self, _: NodeId, _: Properties) -> Result<()> {
        read_only()
    }
    fn set_rel_props(&mut self, _: EdgeId, _: Properties) -> Result<()> {
        read_only()
    }
    fn add_label(&mut self, _: NodeId, _: &str) -> Result<bool> {
        read_only()
    }
    fn remove_label(&mut self, _: NodeId, _: &str) -> Result<bool> {
        read_only()
    }
    fn delete_node(&mut self, _: NodeId) -> Result<()> {
        read_only()
    }
    fn delete_rel(&mut self, _: EdgeId) -> Result<()> {
        read_only()
    }
    fn create_index(&mut self, _: pagegraph::IndexSpec) -> Result<()> {
        read_only()
    }
    fn drop_index(&mut self, _: &str) -> Result<bool> {
        read_only()
    }
}
