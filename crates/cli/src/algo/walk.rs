//! `bfs` and `path`: traversals from a node, read straight from the store.

use std::fmt::Write as _;

use anyhow::Result;
use pagegraph::Graph;
use pagegraph::algo::{self, CsrOptions, StoreView};
use serde_json::{Value, json};

use super::{Walk, name_of, snapshot};
use crate::output::{emit, nothing_found};
use crate::query::resolve;

/// `pagegraph bfs`: every node reached from the start, with depth and parent; with `all`
/// then every node not reached, at depth infinity (as LDBC Graphalytics prints them).
pub fn bfs(
    graph: &Graph,
    start: &str,
    (depth, all): (Option<u32>, bool),
    walk: &Walk<'_>,
    json_out: bool,
) -> Result<()> {
    let r = graph.begin_read()?;
    let start = resolve(&r, start, walk.naming)?;
    let visits = algo::bfs(&StoreView::new(&r, walk.edge_type), start, walk.dir, depth)?;
    let reached: std::collections::HashSet<pagegraph::NodeId> =
        visits.iter().map(|v| v.node).collect();
    let mut rows = Vec::with_capacity(visits.len());
    let mut text = String::from("depth\tnode\tname\tparent\tedge\n");
    for v in &visits {
        let name = name_of(&r, v.node)?;
        let (parent, edge) = match v.parent {
            Some((p, e)) => (json!(p.0), json!(e.0)),
            None => (Value::Null, Value::Null),
        };
        if json_out {
            rows.push(json!({"node": v.node.0, "name": name, "depth": v.depth,
                "parent": parent, "edge": edge}));
        } else {
            let _ = writeln!(
                text,
                "{}\t{}\t{}\t{}\t{}",
                v.depth,
                v.node,
                name,
                v.parent.map_or("-".into(), |p| p.0.to_string()),
                v.parent.map_or("-".into(), |p| p.1.to_string()),
            );
        }
    }
    if all {
        for n in r.nodes() {
            let n = n?;
            if reached.contains(&n.id) {
                continue;
            }
            if json_out {
                rows.push(json!({"node": n.id.0, "name": n.name, "depth": INFINITY,
                    "parent": Value::Null, "edge": Value::Null}));
            } else {
                let _ = writeln!(text, "{INFINITY}\t{}\t{}\t-\t-", n.id, n.name);
            }
        }
    }
    emit(json_out, &Value::Array(rows), || text)
}

/// The depth or distance of a node not reached, in text and JSON (LDBC Graphalytics'
/// word for it).
pub const INFINITY: &str = "infinity";

/// `pagegraph path`: a shortest path (fewest edges, or cheapest by a weight field), with
/// `k` the `k` cheapest loopless paths (Yen), or with `astar` an A* search guided by
/// straight-line distances from two node-data fields. The first two search from both ends
/// straight from the store (`algo::shortest_path`, `algo::cheapest_path`), reading only
/// what they reach; the other two run on a snapshot of the whole graph.
pub fn path(
    graph: &Graph,
    ends: (&str, &str),
    weight: Option<&str>,
    (k, astar): (Option<usize>, Option<&str>),
    walk: &Walk<'_>,
    json_out: bool,
) -> Result<()> {
    let r = graph.begin_read()?;
    let from = resolve(&r, ends.0, walk.naming)?;
    let to = resolve(&r, ends.1, walk.naming)?;
    let options = CsrOptions {
        edge_type: walk.edge_type.map(str::to_string),
        weight_field: weight.map(str::to_string),
    };
    let paths: Vec<algo::Path> = match (astar, k, weight) {
        (Some(fields), _, _) => {
            let csr = snapshot(&r, &options)?;
            astar_path(&r, &csr, (from, to), fields, walk.dir)?
                .into_iter()
                .collect()
        }
        (None, Some(k), _) => {
            algo::k_shortest_paths(&snapshot(&r, &options)?, from, to, k, walk.dir)?
        }
        (None, None, None) => {
            let view = StoreView::new(&r, walk.edge_type);
            algo::shortest_path(&view, from, to, walk.dir)?
                .into_iter()
                .collect()
        }
        (None, None, Some(field)) => {
            let view = StoreView::new(&r, walk.edge_type);
            algo::cheapest_path(&view, field, from, to, walk.dir)?
                .into_iter()
                .collect()
        }
    };
    if paths.is_empty() {
        return nothing_found(
            json_out,
            &json!({"paths": []}),
            format!("no path from {from} to {to}"),
        );
    }
    let mut values = Vec::with_capacity(paths.len());
    let mut text = String::new();
    for p in &paths {
        let mut names = Vec::with_capacity(p.nodes.len());
        for &n in &p.nodes {
            names.push(name_of(&r, n)?);
        }
        values.push(json!({
            "cost": p.cost,
            "nodes": p.nodes.iter().zip(&names)
                .map(|(n, name)| json!({"id": n.0, "name": name})).collect::<Vec<_>>(),
            "edges": p.edges.iter().map(|e| e.0).collect::<Vec<_>>(),
        }));
        if !text.is_empty() {
            text.push('\n');
        }
        let _ = writeln!(text, "cost {}, {} edges", p.cost, p.edges.len());
        for (i, (n, name)) in p.nodes.iter().zip(&names).enumerate() {
            let _ = match p.edges.get(i) {
                Some(e) => writeln!(text, "{n}\t{name}\tvia edge {e}"),
                None => writeln!(text, "{n}\t{name}"),
            };
        }
    }
    // One shape with or without --k: the paths found, cheapest first.
    emit(json_out, &json!({"paths": values}), || text)
}

/// A* with the straight-line distance between the `X,Y` data fields of a node and of the
/// target as the heuristic.
fn astar_path(
    r: &pagegraph::ReadTxn,
    csr: &pagegraph::algo::Csr,
    (from, to): (pagegraph::NodeId, pagegraph::NodeId),
    fields: &str,
    dir: pagegraph::Direction,
) -> Result<Option<algo::Path>> {
    let Some((fx, fy)) = fields.split_once(',') else {
        anyhow::bail!("--astar takes two node-data fields, as X,Y (got {fields:?})");
    };
    let coords = |id| -> Result<Option<(f64, f64)>> {
        Ok(r.node(id)?
            .and_then(|n| Some((n.data.get(fx)?.as_f64()?, n.data.get(fy)?.as_f64()?))))
    };
    let Some(goal) = coords(to)? else {
        anyhow::bail!("node {to} has no numeric {fx:?} and {fy:?} data fields for --astar");
    };
    let mut failure = None;
    let found = algo::astar(csr, from, to, dir, |id| match coords(id) {
        Ok(Some((x, y))) => (x - goal.0).hypot(y - goal.1),
        Ok(None) => 0.0,
        Err(e) => {
            failure.get_or_insert(e);
            0.0
        }
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(found),
    }
}
