//! `bfs` and `path`: traversals from a node, read straight from the store.

use std::fmt::Write as _;

use anyhow::Result;
use pagegraph::Graph;
use pagegraph::algo::{self, CsrOptions, StoreView};
use serde_json::{Value, json};

use super::{Walk, name_of, snapshot};
use crate::output::emit;
use crate::query::resolve;

/// `pagegraph bfs`: every node reached from the start, with depth and parent.
pub fn bfs(
    graph: &Graph,
    start: &str,
    depth: Option<u32>,
    walk: &Walk<'_>,
    json_out: bool,
) -> Result<()> {
    let r = graph.begin_read()?;
    let start = resolve(&r, start, walk.by_name)?;
    let visits = algo::bfs(&StoreView::new(&r, walk.edge_type), start, walk.dir, depth)?;
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
    emit(json_out, &Value::Array(rows), || text)
}

/// `pagegraph path`: a shortest path (fewest edges, or cheapest by a weight field), or
/// with `k` the `k` cheapest loopless paths (Yen).
pub fn path(
    graph: &Graph,
    ends: (&str, &str),
    weight: Option<&str>,
    k: Option<usize>,
    walk: &Walk<'_>,
    json_out: bool,
) -> Result<()> {
    let r = graph.begin_read()?;
    let from = resolve(&r, ends.0, walk.by_name)?;
    let to = resolve(&r, ends.1, walk.by_name)?;
    let options = CsrOptions {
        edge_type: walk.edge_type.map(str::to_string),
        weight_field: weight.map(str::to_string),
    };
    let paths = match (k, weight) {
        (Some(k), _) => algo::k_shortest_paths(&snapshot(&r, &options)?, from, to, k, walk.dir)?,
        (None, None) => {
            let view = StoreView::new(&r, walk.edge_type);
            algo::shortest_path(&view, from, to, walk.dir)?
                .into_iter()
                .collect()
        }
        (None, Some(_)) => algo::dijkstra(&snapshot(&r, &options)?, from, to, walk.dir)?
            .into_iter()
            .collect(),
    };
    if paths.is_empty() {
        return emit(json_out, &Value::Null, || {
            format!("no path from {from} to {to}")
        });
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
    // One path (no --k) prints as an object, as before; --k prints a list.
    let value = if k.is_some() {
        Value::Array(values)
    } else {
        values.swap_remove(0)
    };
    emit(json_out, &value, || text)
}
