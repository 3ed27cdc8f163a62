//! The write clauses: `CREATE`, `MERGE` (with `ON CREATE SET` / `ON MATCH SET`), `SET`,
//! `REMOVE`, `DELETE` and `DETACH DELETE`, row by row through [`GraphWrite`].

use std::collections::{BTreeMap, HashMap, HashSet};

use pagegraph::{EdgeId, NodeId, Properties, PropertyValue};

use crate::ast::{Clause, Dir, NodePattern, PatternPart, RemoveItem, SetItem};
use crate::error::{QueryError, Result};
use crate::eval::{Ctx, GraphRead, Row, eval, properties_of};
use crate::exec::{GraphWrite, QueryStats};
use crate::matcher::{check_storable, match_parts, stored_props};
use crate::value::{Path, Value};

/// Every variable a pattern names, in order of appearance.
pub(crate) fn pattern_vars(parts: &[PatternPart]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: &Option<String>| {
        if let Some(v) = v
            && !out.contains(v)
        {
            out.push(v.clone());
        }
    };
    for p in parts {
        add(&p.var);
        add(&p.element.start.var);
        for (r, n) in &p.element.chain {
            add(&r.var);
            add(&n.var);
        }
    }
    out
}

/// Runs a write clause over `rows`; `None` for a clause that is not a write.
pub(crate) fn clause(
    c: &Clause,
    rows: &[Row],
    scope: &mut Vec<String>,
    params: &BTreeMap<String, Value>,
    graph: &mut dyn GraphWrite,
    stats: &mut QueryStats,
    budget: &crate::MemoryBudget,
) -> Result<Option<Vec<Row>>> {
    let mut w = Writer {
        params,
        graph,
        stats,
        budget,
    };
    let out = match c {
        Clause::Create(parts) => {
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let mut r = row.clone();
                for part in parts {
                    w.create_part(part, &mut r, false)?;
                }
                out.push(r);
            }
            for v in pattern_vars(parts) {
                if !scope.contains(&v) {
                    scope.push(v);
                }
            }
            out
        }
        Clause::Merge {
            part,
            on_create,
            on_match,
        } => {
            let mut out = Vec::new();
            for row in rows {
                let found = {
                    let ctx = w.ctx();
                    match_parts(std::slice::from_ref(part), row, &ctx)?
                };
                if found.is_empty() {
                    let mut r = row.clone();
                    w.no_null_in_merge(part, &mut r)?;
                    w.create_part(part, &mut r, true)?;
                    w.set_items(on_create, &mut r)?;
                    out.push(r);
                } else {
                    for mut r in found {
                        w.set_items(on_match, &mut r)?;
                        out.push(r);
                    }
                }
            }
            for v in pattern_vars(std::slice::from_ref(part)) {
                if !scope.contains(&v) {
                    scope.push(v);
                }
            }
            out
        }
        Clause::Set(items) => {
            let mut out = rows.to_vec();
            for r in &mut out {
                w.set_items(items, r)?;
            }
            out
        }
        Clause::Remove(items) => {
            let mut out = rows.to_vec();
            for r in &mut out {
                for item in items {
                    w.remove_item(item, r)?;
                }
            }
            out
        }
        Clause::Delete { detach, exprs } => {
            let mut out = rows.to_vec();
            let (mut nodes, mut rels) = (Vec::new(), Vec::new());
            for r in &mut out {
                for e in exprs {
                    let v = {
                        let ctx = w.ctx();
                        eval(e, r, &ctx)?
                    };
                    collect_doomed(v, &mut nodes, &mut rels)?;
                }
            }
            w.delete(nodes, rels, *detach)?;
            out
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

fn collect_doomed(v: Value, nodes: &mut Vec<NodeId>, rels: &mut Vec<EdgeId>) -> Result<()> {
    match v {
        Value::Null => {}
        Value::Node(n) => nodes.push(n),
        Value::Rel(e) => rels.push(e),
        Value::Path(p) => {
            let Path {
                nodes: ns,
                rels: rs,
            } = *p;
            nodes.extend(ns);
            rels.extend(rs);
        }
        Value::List(items) => {
            for i in items {
                collect_doomed(i, nodes, rels)?;
            }
        }
        other => {
            return Err(QueryError::Type(format!(
                "DELETE needs nodes, relationships or paths, got a {}",
                other.type_name()
            )));
        }
    }
    Ok(())
}

struct Writer<'a> {
    params: &'a BTreeMap<String, Value>,
    graph: &'a mut dyn GraphWrite,
    stats: &'a mut QueryStats,
    budget: &'a crate::MemoryBudget,
}

impl Writer<'_> {
    fn ctx(&self) -> Ctx<'_> {
        let reader: &dyn GraphRead = &*self.graph;
        Ctx {
            params: self.params,
            graph: reader,
            aggregates: None,
            cancel: None,
            budget: self.budget,
        }
    }

    fn eval(&self, e: &crate::ast::Expr, row: &mut Row) -> Result<Value> {
        eval(e, row, &self.ctx())
    }

    /// The node a pattern node stands for: bound, or created now.
    fn node_for(&mut self, n: &NodePattern, row: &mut Row) -> Result<NodeId> {
        if let Some(v) = &n.var
            && let Some(bound) = row.get(v)
        {
            return match bound {
                Value::Node(id) => {
                    if !n.labels.is_empty() || n.props.is_some() {
                        return Err(QueryError::Semantic {
                            code: "VariableAlreadyBound",
                            message: format!("`{v}` is already bound and cannot be created"),
                        });
                    }
                    Ok(*id)
                }
                other => Err(QueryError::Type(format!(
                    "`{v}` is a {}, not a node",
                    other.type_name()
                ))),
            };
        }
        let props = {
            let ctx = self.ctx();
            stored_props(n.props.as_ref(), row, &ctx)?
        };
        let labels: Vec<&str> = n.labels.iter().map(String::as_str).collect();
        self.stats.props_set += props.len() as u64;
        self.stats.labels_added += labels.len() as u64;
        let id = self.graph.create_node(&labels, props)?;
        self.stats.nodes_created += 1;
        if let Some(v) = &n.var {
            row.set(v, Value::Node(id));
        }
        Ok(id)
    }

    /// A `MERGE` cannot create a property it would not find again: a null in its pattern's
    /// properties is an error (openCypher's `MergeReadOwnWrites`).
    fn no_null_in_merge(&self, part: &PatternPart, row: &mut Row) -> Result<()> {
        let el = &part.element;
        let maps = std::iter::once(&el.start.props)
            .chain(el.chain.iter().flat_map(|(r, n)| [&r.props, &n.props]))
            .flatten();
        let ctx = self.ctx();
        for m in maps {
            if let Value::Map(entries) = eval(m, row, &ctx)?
                && let Some((k, _)) = entries.iter().find(|(_, v)| v.is_null())
            {
                return Err(QueryError::Semantic {
                    code: "MergeReadOwnWrites",
                    message: format!("MERGE cannot create the property `{k}` as null"),
                });
            }
        }
        Ok(())
    }

    /// Creates the elements of a pattern part that `row` does not bind. `merging`: a
    /// relationship written without a direction is created outgoing, as `MERGE` does
    /// (`CREATE` refuses it).
    fn create_part(&mut self, part: &PatternPart, row: &mut Row, merging: bool) -> Result<()> {
        let el = &part.element;
        let first = self.node_for(&el.start, row)?;
        let mut path = Path {
            nodes: vec![first],
            rels: Vec::new(),
        };
        let mut at = first;
        for (rel, node) in &el.chain {
            let next = self.node_for(node, row)?;
            let [ty] = rel.types.as_slice() else {
                return Err(QueryError::Semantic {
                    code: "NoSingleRelationshipType",
                    message: "a created relationship needs exactly one type".into(),
                });
            };
            if rel.length.is_some() {
                return Err(QueryError::Semantic {
                    code: "CreatingVarLength",
                    message: "a variable-length relationship cannot be created".into(),
                });
            }
            if let Some(v) = &rel.var
                && row.get(v).is_some()
            {
                return Err(QueryError::Semantic {
                    code: "VariableAlreadyBound",
                    message: format!("`{v}` is already bound and cannot be created"),
                });
            }
            let (from, to) = match rel.dir {
                Dir::Right => (at, next),
                Dir::Left => (next, at),
                Dir::Both if merging => (at, next),
                Dir::Both => {
                    return Err(QueryError::Semantic {
                        code: "RequiresDirectedRelationship",
                        message: "a created relationship needs a direction".into(),
                    });
                }
            };
            let props = {
                let ctx = self.ctx();
                stored_props(rel.props.as_ref(), row, &ctx)?
            };
            self.stats.props_set += props.len() as u64;
            let e = self.graph.create_rel(from, to, ty, props)?;
            self.stats.rels_created += 1;
            if let Some(v) = &rel.var {
                row.set(v, Value::Rel(e));
            }
            path.nodes.push(next);
            path.rels.push(e);
            at = next;
        }
        if let Some(p) = &part.var {
            row.set(p, Value::Path(Box::new(path)));
        }
        Ok(())
    }

    fn props_of(&self, target: &Value) -> Result<Properties> {
        Ok(match target {
            Value::Node(id) => self
                .graph
                .node(*id)?
                .map(|n| n.properties)
                .unwrap_or_default(),
            Value::Rel(id) => self
                .graph
                .rel(*id)?
                .map(|r| r.properties)
                .unwrap_or_default(),
            _ => Properties::new(),
        })
    }

    fn write_props(&mut self, target: &Value, props: Properties) -> Result<()> {
        match target {
            Value::Node(id) => self.graph.set_node_props(*id, props),
            Value::Rel(id) => self.graph.set_rel_props(*id, props),
            other => Err(QueryError::Type(format!(
                "properties can be set on nodes and relationships, not on a {}",
                other.type_name()
            ))),
        }
    }

    /// Sets (or, for null, removes) one property; counts it.
    fn set_one(&mut self, target: &Value, key: &str, value: Value) -> Result<()> {
        if target.is_null() {
            return Ok(());
        }
        let mut props = self.props_of(target)?;
        if value.is_null() {
            if props.remove(key).is_some() {
                self.stats.props_removed += 1;
            }
        } else {
            let p = value.to_property().ok_or_else(|| {
                QueryError::Type(format!(
                    "property {key} cannot hold a {}",
                    value.type_name()
                ))
            })?;
            check_storable(key, &p)?;
            props.insert(key.to_string(), p);
            self.stats.props_set += 1;
        }
        self.write_props(target, props)
    }

    fn set_items(&mut self, items: &[SetItem], row: &mut Row) -> Result<()> {
        for item in items {
            match item {
                SetItem::Property { target, key, value } => {
                    let t = self.eval(target, row)?;
                    let v = self.eval(value, row)?;
                    self.set_one(&t, key, v)?;
                }
                SetItem::Properties {
                    var,
                    value,
                    replace,
                } => {
                    let target = row.get(var).cloned().unwrap_or(Value::Null);
                    if target.is_null() {
                        continue;
                    }
                    let v = self.eval(value, row)?;
                    let map = match &v {
                        Value::Map(m) => m.clone(),
                        Value::Node(_) | Value::Rel(_) => match properties_of(&v, &self.ctx())? {
                            Value::Map(m) => m,
                            _ => BTreeMap::new(),
                        },
                        Value::Null => BTreeMap::new(),
                        other => {
                            return Err(QueryError::Type(format!(
                                "SET {var} {} needs a map, got a {}",
                                if *replace { "=" } else { "+=" },
                                other.type_name()
                            )));
                        }
                    };
                    let mut props = if *replace {
                        let old = self.props_of(&target)?;
                        self.stats.props_removed +=
                            old.keys().filter(|k| !map.contains_key(*k)).count() as u64;
                        Properties::new()
                    } else {
                        self.props_of(&target)?
                    };
                    for (k, v) in map {
                        if v.is_null() {
                            if props.remove(&k).is_some() && !*replace {
                                self.stats.props_removed += 1;
                            }
                            continue;
                        }
                        let p: PropertyValue = v.to_property().ok_or_else(|| {
                            QueryError::Type(format!(
                                "property {k} cannot hold a {}",
                                v.type_name()
                            ))
                        })?;
                        check_storable(&k, &p)?;
                        props.insert(k, p);
                        self.stats.props_set += 1;
                    }
                    self.write_props(&target, props)?;
                }
                SetItem::Labels { var, labels } => match row.get(var).cloned() {
                    Some(Value::Node(id)) => {
                        for l in labels {
                            if self.graph.add_label(id, l)? {
                                self.stats.labels_added += 1;
                            }
                        }
                    }
                    Some(Value::Null) | None => {}
                    Some(other) => {
                        return Err(QueryError::Type(format!(
                            "labels can be set on nodes, not on a {}",
                            other.type_name()
                        )));
                    }
                },
            }
        }
        Ok(())
    }

    fn remove_item(&mut self, item: &RemoveItem, row: &mut Row) -> Result<()> {
        match item {
            RemoveItem::Property { target, key } => {
                let t = self.eval(target, row)?;
                if t.is_null() {
                    return Ok(());
                }
                let mut props = self.props_of(&t)?;
                if props.remove(key).is_some() {
                    self.stats.props_removed += 1;
                    self.write_props(&t, props)?;
                }
            }
            RemoveItem::Labels { var, labels } => {
                if let Some(Value::Node(id)) = row.get(var).cloned() {
                    for l in labels {
                        if self.graph.remove_label(id, l)? {
                            self.stats.labels_removed += 1;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn delete(
        &mut self,
        mut nodes: Vec<NodeId>,
        mut rels: Vec<EdgeId>,
        detach: bool,
    ) -> Result<()> {
        rels.sort_unstable();
        rels.dedup();
        nodes.sort_unstable();
        nodes.dedup();
        for e in rels {
            if let Some(r) = self.graph.rel(e)? {
                self.stats.props_removed += r.properties.len() as u64;
                self.graph.delete_rel(e)?;
                self.stats.rels_deleted += 1;
            }
        }
        for n in &nodes {
            let Some(node) = self.graph.node(*n)? else {
                continue;
            };
            let edges = self.graph.expand(*n, pagegraph::Direction::Both, None)?;
            if !edges.is_empty() && !detach {
                return Err(QueryError::Semantic {
                    code: "DeleteConnectedNode",
                    message: format!("node {n} still has relationships: use DETACH DELETE"),
                });
            }
            let mut distinct: Vec<EdgeId> = edges.into_iter().map(|(e, _)| e).collect();
            distinct.sort_unstable();
            distinct.dedup();
            for e in &distinct {
                if let Some(r) = self.graph.rel(*e)? {
                    self.stats.props_removed += r.properties.len() as u64;
                }
            }
            self.stats.rels_deleted += distinct.len() as u64;
            self.stats.props_removed += node.properties.len() as u64;
            self.graph.delete_node(*n)?;
            self.stats.nodes_deleted += 1;
        }
        Ok(())
    }
}

/// A graph that remembers the types of the relationships a query deletes, so that
/// `type(r)` after `DELETE r` still answers (see [`GraphRead::deleted_rel_type`]), and the
/// nodes it deletes, so that reading a deleted node's or relationship's properties or
/// labels is an error ([`QueryError::Deleted`]) rather than a `null`. Every other read and
/// write goes to the graph it wraps, and a deleted element is missing there as before.
pub(crate) struct KeepDeleted<'g> {
    graph: &'g mut dyn GraphWrite,
    types: HashMap<EdgeId, String>,
    nodes: HashSet<NodeId>,
}

impl<'g> KeepDeleted<'g> {
    /// Wraps `graph` for one query.
    pub(crate) fn new(graph: &'g mut dyn GraphWrite) -> KeepDeleted<'g> {
        KeepDeleted {
            graph,
            types: HashMap::new(),
            nodes: HashSet::new(),
        }
    }
}

impl GraphRead for KeepDeleted<'_> {
    fn node(&self, id: NodeId) -> Result<Option<pagegraph::NodeProps>> {
        self.graph.node(id)
    }
    fn rel(&self, id: EdgeId) -> Result<Option<pagegraph::EdgeProps>> {
        self.graph.rel(id)
    }
    fn node_ids(&self) -> Result<Vec<NodeId>> {
        self.graph.node_ids()
    }
    fn label_ids(&self, label: &str) -> Result<Vec<NodeId>> {
        self.graph.label_ids(label)
    }
    fn expand(
        &self,
        node: NodeId,
        dir: pagegraph::Direction,
        ty: Option<&str>,
    ) -> Result<Vec<(EdgeId, NodeId)>> {
        self.graph.expand(node, dir, ty)
    }
    fn indexes(&self) -> Result<Vec<pagegraph::IndexInfo>> {
        self.graph.indexes()
    }
    fn deleted_rel_type(&self, id: EdgeId) -> Option<String> {
        self.types
            .get(&id)
            .cloned()
            .or_else(|| self.graph.deleted_rel_type(id))
    }
    fn node_labels(&self, id: NodeId) -> Result<Option<Vec<String>>> {
        if self.nodes.contains(&id) {
            return Err(QueryError::Deleted(format!("node {}", id.0)));
        }
        self.graph.node_labels(id)
    }
    fn node_property(&self, id: NodeId, key: &str) -> Result<Option<PropertyValue>> {
        if self.nodes.contains(&id) {
            return Err(QueryError::Deleted(format!("node {}", id.0)));
        }
        self.graph.node_property(id, key)
    }
    fn rel_property(&self, id: EdgeId, key: &str) -> Result<Option<PropertyValue>> {
        if self.types.contains_key(&id) {
            return Err(QueryError::Deleted(format!("relationship {}", id.0)));
        }
        self.graph.rel_property(id, key)
    }
    fn seek(
        &self,
        label: &str,
        property: &str,
        cond: &pagegraph::Condition,
    ) -> Result<Option<Vec<NodeId>>> {
        self.graph.seek(label, property, cond)
    }
}

impl GraphWrite for KeepDeleted<'_> {
    fn create_node(&mut self, labels: &[&str], props: Properties) -> Result<NodeId> {
        self.graph.create_node(labels, props)
    }
    fn create_rel(
        &mut self,
        from: NodeId,
        to: NodeId,
        ty: &str,
        props: Properties,
    ) -> Result<EdgeId> {
        self.graph.create_rel(from, to, ty, props)
    }
    fn set_node_props(&mut self, id: NodeId, props: Properties) -> Result<()> {
        self.graph.set_node_props(id, props)
    }
    fn set_rel_props(&mut self, id: EdgeId, props: Properties) -> Result<()> {
        self.graph.set_rel_props(id, props)
    }
    fn add_label(&mut self, id: NodeId, label: &str) -> Result<bool> {
        self.graph.add_label(id, label)
    }
    fn remove_label(&mut self, id: NodeId, label: &str) -> Result<bool> {
        self.graph.remove_label(id, label)
    }
    fn delete_node(&mut self, id: NodeId) -> Result<()> {
        self.graph.delete_node(id)?;
        self.nodes.insert(id);
        Ok(())
    }
    fn delete_rel(&mut self, id: EdgeId) -> Result<()> {
        let ty = self.graph.rel(id)?.map(|r| r.edge_type);
        self.graph.delete_rel(id)?;
        if let Some(ty) = ty {
            self.types.insert(id, ty);
        }
        Ok(())
    }
    fn create_index(&mut self, spec: pagegraph::IndexSpec) -> Result<()> {
        self.graph.create_index(spec)
    }
    fn drop_index(&mut self, name: &str) -> Result<bool> {
        self.graph.drop_index(name)
    }
}
