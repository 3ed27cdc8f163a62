//! `CALL` procedures: the catalog (`db.labels()`, `db.relationshipTypes()`,
//! `db.propertyKeys()`, `db.indexes()`) and graph algorithms over a projection chosen by a
//! label and a relationship type (`algo.pagerank`, `algo.wcc`, `algo.scc`,
//! `algo.labelPropagation`, `algo.louvain`, `algo.degree`), each yielding named columns.
//!
//! An algorithm's projection is every node with the label (all nodes when it is `null` or
//! left out) and every relationship of the type between two of them (any type when `null`).

use std::collections::{BTreeMap, BTreeSet};

use pagegraph::algo::{self, Csr};
use pagegraph::{Direction, NodeId};

use crate::error::{QueryError, Result};
use crate::eval::GraphRead;
use crate::value::Value;

pub(crate) mod registry;

/// A procedure's result: its columns and rows.
pub(crate) struct Output {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// The output columns of built-in procedure `name` (any case), if it is one.
pub(crate) fn builtin(name: &[String]) -> Option<&'static [&'static str]> {
    let full = name.join(".").to_ascii_lowercase();
    PROCEDURES.iter().find(|(n, _)| *n == full).map(|(_, c)| *c)
}

/// The procedures, with their output columns (for `YIELD` checks and `db.procedures`).
pub(crate) const PROCEDURES: [(&str, &[&str]); 10] = [
    ("db.labels", &["label"]),
    ("db.relationshiptypes", &["relationshipType"]),
    ("db.propertykeys", &["propertyKey"]),
    (
        "db.indexes",
        &["name", "target", "properties", "unique", "entries"],
    ),
    ("algo.pagerank", &["node", "score"]),
    ("algo.wcc", &["node", "component"]),
    ("algo.scc", &["node", "component"]),
    ("algo.labelpropagation", &["node", "community"]),
    ("algo.louvain", &["node", "community"]),
    ("algo.degree", &["node", "degree"]),
];

fn string_arg(args: &[Value], i: usize, what: &str) -> Result<Option<String>> {
    match args.get(i) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(QueryError::Argument(format!(
            "{what} must be a string, got a {}",
            other.type_name()
        ))),
    }
}

/// The projection of `args` = (label, type): its nodes and directed edges as a `Csr`.
fn projection(g: &dyn GraphRead, args: &[Value]) -> Result<Csr> {
    let label = string_arg(args, 0, "the label")?;
    let ty = string_arg(args, 1, "the relationship type")?;
    let nodes = match &label {
        Some(l) => g.label_ids(l)?,
        None => g.node_ids()?,
    };
    let set: BTreeSet<NodeId> = nodes.iter().copied().collect();
    let mut edges = Vec::new();
    for &n in &nodes {
        for (_, other) in g.expand(n, Direction::Outgoing, ty.as_deref())? {
            if set.contains(&other) {
                edges.push((n, other));
            }
        }
    }
    Csr::from_edges(&nodes, &edges).map_err(|e| QueryError::Argument(e.to_string()))
}

fn algo_error(e: &algo::AlgoError) -> QueryError {
    QueryError::Argument(e.to_string())
}

fn int_id(n: NodeId) -> Value {
    Value::Int(i64::try_from(n.0).unwrap_or(i64::MAX))
}

/// Runs procedure `name` (dotted, any case) with evaluated arguments.
#[allow(clippy::too_many_lines, reason = "one arm per procedure")]
pub(crate) fn call(name: &[String], args: &[Value], g: &dyn GraphRead) -> Result<Output> {
    let full = name.join(".").to_ascii_lowercase();
    let Some(columns) = builtin(name) else {
        return Err(registry::not_found(name));
    };
    let columns: Vec<String> = columns.iter().map(|c| (*c).to_string()).collect();
    let mut none = |_| {};
    let rows: Vec<Vec<Value>> = match full.as_str() {
        "db.labels" | "db.propertykeys" => {
            let mut seen = BTreeSet::new();
            for n in g.node_ids()? {
                if let Some(node) = g.node(n)? {
                    if full == "db.labels" {
                        seen.extend(node.labels);
                    } else {
                        seen.extend(node.properties.into_keys());
                        for (e, _) in g.expand(n, Direction::Outgoing, None)? {
                            if let Some(r) = g.rel(e)? {
                                seen.extend(r.properties.into_keys());
                            }
                        }
                    }
                }
            }
            seen.into_iter().map(|s| vec![Value::String(s)]).collect()
        }
        "db.relationshiptypes" => {
            let mut seen = BTreeSet::new();
            for n in g.node_ids()? {
                for (e, _) in g.expand(n, Direction::Outgoing, None)? {
                    if let Some(r) = g.rel(e)? {
                        seen.insert(r.edge_type);
                    }
                }
            }
            seen.into_iter().map(|s| vec![Value::String(s)]).collect()
        }
        "db.indexes" => g
            .indexes()?
            .into_iter()
            .map(|i| {
                vec![
                    Value::String(i.name),
                    Value::String(i.target.to_string()),
                    Value::List(i.properties.into_iter().map(Value::String).collect()),
                    Value::Bool(i.unique),
                    Value::Int(i64::try_from(i.entries).unwrap_or(i64::MAX)),
                ]
            })
            .collect(),
        "algo.pagerank" => {
            let csr = projection(g, args)?;
            algo::pagerank(&csr, algo::PageRank::default(), &mut none)
                .map_err(|e| algo_error(&e))?
                .into_iter()
                .map(|(n, s)| vec![Value::Node(n), Value::Float(s)])
                .collect()
        }
        "algo.wcc" => {
            let csr = projection(g, args)?;
            algo::wcc(&csr)
                .into_iter()
                .map(|(n, c)| vec![Value::Node(n), int_id(c)])
                .collect()
        }
        "algo.scc" => {
            let csr = projection(g, args)?;
            let mut rows = Vec::new();
            for component in algo::scc(&csr) {
                let id = component.iter().min().copied().unwrap_or(NodeId(0));
                rows.extend(
                    component
                        .into_iter()
                        .map(|n| vec![Value::Node(n), int_id(id)]),
                );
            }
            rows.sort_by_key(|r| match r[0] {
                Value::Node(n) => n,
                _ => NodeId(0),
            });
            rows
        }
        "algo.labelpropagation" => {
            let csr = projection(g, args)?;
            algo::label_propagation(&csr, &algo::LabelPropagation::default(), &mut none)
                .into_iter()
                .map(|(n, c)| vec![Value::Node(n), int_id(c)])
                .collect()
        }
        "algo.louvain" => {
            let csr = projection(g, args)?;
            let communities = algo::louvain(&csr, &algo::Louvain::default(), &mut none)
                .map_err(|e| algo_error(&e))?;
            communities
                .labels
                .into_iter()
                .map(|(n, c)| vec![Value::Node(n), int_id(c)])
                .collect()
        }
        "algo.degree" => {
            let csr = projection(g, args)?;
            let mut counts: BTreeMap<NodeId, i64> = BTreeMap::new();
            for i in 0..u32::try_from(csr.node_count()).unwrap_or(u32::MAX) {
                let d = i64::try_from(csr.out(i).len()).unwrap_or(i64::MAX);
                counts.insert(csr.id(i), d);
            }
            counts
                .into_iter()
                .map(|(n, d)| vec![Value::Node(n), Value::Int(d)])
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(Output { columns, rows })
}
