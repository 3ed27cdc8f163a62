//! Single lookups and edits: `node get|add|find`, `edge get|add`, `neighbors`.

use std::io::Read;

use anyhow::{Context, Result, anyhow, bail};
use pagegraph::{Direction, EdgeId, EdgeSpec, Graph, NodeId, NodeSpec, ReadTxn};
use serde_json::{Value, json};

use crate::input::{LINE_MAX, clip};
use crate::output::{emit, node_json, node_line, nodes_json, nothing_found};
use crate::parse::exact_json;

/// The node a command-line argument names: an internal id, or with `by_name` a node name
/// that exactly one node has.
pub fn resolve(r: &ReadTxn, arg: &str, by_name: bool) -> Result<NodeId> {
    if by_name {
        let ids = r.nodes_by_name(arg)?;
        return match ids.as_slice() {
            [id] => Ok(*id),
            [] => bail!("no node is named {:?}", clip(arg)),
            many => {
                let shown: Vec<String> = many.iter().take(10).map(ToString::to_string).collect();
                bail!(
                    "the name {:?} is ambiguous: {} nodes have it (ids {}{}); use an id",
                    clip(arg),
                    many.len(),
                    shown.join(", "),
                    if many.len() > 10 { ", ..." } else { "" }
                )
            }
        };
    }
    let id: u64 = arg.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
        anyhow!(
            "{:?} is not a node id (a positive integer); add --by-name to look it up by name",
            clip(arg)
        )
    })?;
    if r.node(NodeId(id))?.is_none() {
        bail!("node {id} not found");
    }
    Ok(NodeId(id))
}

/// Reads at most [`LINE_MAX`] bytes of text from `r` (`what` names it in errors).
fn read_text(r: impl Read, what: &str) -> Result<String> {
    let mut bytes = Vec::new();
    r.take(LINE_MAX as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("--data: cannot read {what}"))?;
    if bytes.len() > LINE_MAX {
        bail!("--data: {what} is longer than {} MiB", LINE_MAX >> 20);
    }
    String::from_utf8(bytes).map_err(|_| anyhow!("--data: {what} is not valid UTF-8 text"))
}

/// Parses a `--data` argument: JSON, `@FILE` for the JSON in a file, or `-` for the JSON
/// on stdin (an argument is limited by the OS to about 128 KiB, data to 16 MiB). Every
/// number must be kept exactly (see [`exact_json`]); errors echo at most a clipped part of
/// the argument.
pub fn parse_data(data: Option<&str>) -> Result<Value> {
    let Some(arg) = data else {
        return Ok(Value::Null);
    };
    let (text, from) = if arg == "-" {
        (
            read_text(std::io::stdin().lock(), "stdin")?,
            "stdin".to_string(),
        )
    } else if let Some(path) = arg.strip_prefix('@') {
        let file = std::fs::File::open(path)
            .with_context(|| format!("--data: {}: cannot open", clip(path)))?;
        (read_text(file, &clip(path))?, format!("@{}", clip(path)))
    } else {
        (arg.to_string(), format!("{:?}", clip(arg)))
    };
    exact_json(&text).map_err(|e| match e.strip_prefix("invalid JSON: ") {
        Some(why) => anyhow!("--data {from} is not valid JSON: {why}"),
        None => anyhow!("--data {from}: {e}"),
    })
}

/// `node get`.
pub fn node_get(g: &Graph, id: &str, by_name: bool, json_out: bool) -> Result<()> {
    let r = g.begin_read()?;
    let id = resolve(&r, id, by_name)?;
    let n = r.node(id)?.ok_or_else(|| anyhow!("node {id} not found"))?;
    emit(json_out, &node_json(&n), || {
        format!(
            "id:    {}\nkind:  {}\nname:  {}\ndata:  {}\nedges: {} out, {} in",
            n.id,
            n.kind,
            n.name,
            n.data,
            r.degree(id, Direction::Outgoing, None).unwrap_or(0),
            r.degree(id, Direction::Incoming, None).unwrap_or(0)
        )
    })
}

/// `node add`.
pub fn node_add(
    g: &Graph,
    kind: String,
    name: String,
    data: Option<&str>,
    json_out: bool,
) -> Result<()> {
    let data = parse_data(data)?;
    let mut tx = g.begin_write()?;
    let id = tx.insert_node(NodeSpec { kind, name, data })?;
    tx.commit()?;
    emit(json_out, &json!({"id": id.0}), || {
        format!("added node {id}")
    })
}

/// Which index `node find` asks.
pub enum Find {
    /// By kind.
    Kind(String),
    /// By exact name.
    Name(String),
    /// By name prefix.
    Prefix(String),
    /// By name glob.
    Glob(String),
}

/// `node find`.
pub fn node_find(g: &Graph, find: &Find, limit: Option<usize>, json_out: bool) -> Result<()> {
    let r = g.begin_read()?;
    let mut ids = match find {
        Find::Kind(k) => r.nodes_by_kind(k)?,
        Find::Name(n) => r.nodes_by_name(n)?,
        Find::Prefix(p) => r.nodes_by_name_prefix(p)?,
        Find::Glob(p) => r.nodes_by_name_glob(p)?,
    };
    let total = ids.len();
    if let Some(l) = limit {
        ids.truncate(l);
    }
    let nodes = nodes_json(&r, &ids)?;
    let value = json!({"total": total, "nodes": nodes});
    if total == 0 {
        return nothing_found(json_out, &value, "no nodes found".into());
    }
    emit(json_out, &value, || {
        let mut t = String::new();
        for id in &ids {
            if let Ok(Some(n)) = r.node(*id) {
                t.push_str(&node_line(&n));
                t.push('\n');
            }
        }
        if ids.len() < total {
            t.push_str(&format!("({} of {total} shown)\n", ids.len()));
        }
        t
    })
}

/// `edge get`.
pub fn edge_get(g: &Graph, id: u64, json_out: bool) -> Result<()> {
    let r = g.begin_read()?;
    let e = r
        .edge(EdgeId(id))?
        .ok_or_else(|| anyhow!("edge {id} not found"))?;
    emit(
        json_out,
        &json!({"id": e.id.0, "from": e.from.0, "to": e.to.0, "type": e.edge_type, "data": e.data}),
        || {
            format!(
                "{}\t{} -> {}\t{}\t{}",
                e.id, e.from, e.to, e.edge_type, e.data
            )
        },
    )
}

/// `edge add`.
pub fn edge_add(
    g: &Graph,
    from: &str,
    to: &str,
    edge_type: String,
    data: Option<&str>,
    by_name: bool,
    json_out: bool,
) -> Result<()> {
    let data = parse_data(data)?;
    let (from, to) = {
        let r = g.begin_read()?;
        (resolve(&r, from, by_name)?, resolve(&r, to, by_name)?)
    };
    let mut tx = g.begin_write()?;
    let id = tx.insert_edge(EdgeSpec {
        from,
        to,
        edge_type,
        data,
    })?;
    tx.commit()?;
    emit(
        json_out,
        &json!({"id": id.0, "from": from.0, "to": to.0}),
        || format!("added edge {id}: {from} -> {to}"),
    )
}

/// `neighbors`.
pub fn neighbors(
    g: &Graph,
    id: &str,
    dir: Direction,
    edge_type: Option<&str>,
    by_name: bool,
    json_out: bool,
) -> Result<()> {
    let r = g.begin_read()?;
    let id = resolve(&r, id, by_name)?;
    let mut rows = Vec::new();
    let mut lines = String::new();
    for (e, n) in r.neighbors(id, dir, edge_type)? {
        let edge = r
            .edge(e)?
            .ok_or_else(|| anyhow!("adjacency names edge {e}, which does not exist"))?;
        let node = r
            .node(n)?
            .ok_or_else(|| anyhow!("edge {e} names node {n}, which does not exist"))?;
        let out = edge.from == id && (dir != Direction::Incoming);
        let arrow = if out { "->" } else { "<-" };
        lines.push_str(&format!(
            "{e}\t{arrow}\t{}\t{}\t{}\t{}\n",
            edge.edge_type, n, node.kind, node.name
        ));
        rows.push(json!({
            "edge": e.0,
            "direction": if out { "out" } else { "in" },
            "type": edge.edge_type,
            "node": node_json(&node),
        }));
    }
    let count = rows.len();
    let value = json!({"node": id.0, "count": count, "neighbors": rows});
    if count == 0 {
        return nothing_found(json_out, &value, format!("node {id} has no such neighbors"));
    }
    emit(json_out, &value, || lines)
}
