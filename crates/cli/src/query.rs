//! Single lookups and additions: `node get|add|find`, `edge get|add`, `neighbors`, and the
//! resolution of node arguments (ids, names, keys) that every command shares.

use std::io::{Read, Write};

use anyhow::{Context, Result, anyhow, bail};
use pagegraph::{
    Direction, EdgeId, EdgeSpec, Graph, IndexState, IndexTarget, NodeId, NodeSpec, Properties,
    ReadTxn,
};
use serde_json::{Value, json};

use crate::filter::{Where, parse_key};
use crate::output::{NothingFound, emit, node_json, node_line, nothing_found};
use pagegraph_import::exact_json;
use pagegraph_import::{LINE_MAX, clip};

/// How a command-line node argument names its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// An internal id.
    Id,
    /// A name that exactly one node has.
    Name,
    /// A key, `Label.property=value`, that exactly one node matches.
    Key,
}

/// The `--by-name` and `--key` flags of the commands that take node arguments.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct NamingArgs {
    /// Node arguments are names (an error if several nodes have one).
    #[arg(long, conflicts_with = "key")]
    pub by_name: bool,
    /// Node arguments are keys, LABEL.PROPERTY=VALUE (such as Person.id=42; the value is
    /// JSON when it parses, else text): the node with that label whose property equals the
    /// value (exit 3 if there is none, an error if several).
    #[arg(long)]
    pub key: bool,
}

impl NamingArgs {
    /// How node arguments name their nodes.
    pub fn naming(self) -> Naming {
        if self.key {
            Naming::Key
        } else if self.by_name {
            Naming::Name
        } else {
            Naming::Id
        }
    }
}

/// The node a command-line argument names: an internal id, a node name that exactly one
/// node has, or a key (`Label.property=value`) that exactly one node matches, which is
/// looked up through an index on the label's property when there is one. A key that no
/// node matches is a [`NothingFound`] error.
pub fn resolve(r: &ReadTxn, arg: &str, naming: Naming) -> Result<NodeId> {
    match naming {
        Naming::Id => {}
        Naming::Name => {
            let ids = r.nodes_by_name(arg)?;
            return match ids.as_slice() {
                [id] => Ok(*id),
                [] => bail!("no node is named {:?}", clip(arg)),
                many => Err(ambiguous(&format!("the name {:?}", clip(arg)), many)),
            };
        }
        Naming::Key => {
            let key = parse_key(arg)?;
            let mut props = Properties::new();
            props.insert(key.property.clone(), key.value.clone());
            let ids = r.nodes_matching(&[key.label.as_str()], &props)?;
            return match ids.as_slice() {
                [id] => Ok(*id),
                [] => Err(
                    NothingFound(format!("no node has the key {}", clip(&key.to_string()))).into(),
                ),
                many => Err(ambiguous(
                    &format!("the key {}", clip(&key.to_string())),
                    many,
                )),
            };
        }
    }
    let id: u64 = arg.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
        anyhow!(
            "{:?} is not a node id (a positive integer); add --by-name to look it up by name, \
             or --key for a LABEL.PROPERTY=VALUE key",
            clip(arg)
        )
    })?;
    if r.node(NodeId(id))?.is_none() {
        bail!("node {id} not found");
    }
    Ok(NodeId(id))
}

/// The error for a node argument (`what`) that several nodes match.
fn ambiguous(what: &str, many: &[NodeId]) -> anyhow::Error {
    let shown: Vec<String> = many.iter().take(10).map(ToString::to_string).collect();
    anyhow!(
        "{what} is ambiguous: {} nodes have it (ids {}{}); use an id",
        many.len(),
        shown.join(", "),
        if many.len() > 10 { ", ..." } else { "" }
    )
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
pub fn node_get(g: &Graph, id: &str, naming: Naming, json_out: bool) -> Result<()> {
    let r = g.begin_read()?;
    let id = resolve(&r, id, naming)?;
    let n = r.node(id)?.ok_or_else(|| anyhow!("node {id} not found"))?;
    let labels = r.node_props(id)?.map(|p| p.labels).unwrap_or_default();
    emit(json_out, &node_json(&n), || {
        let mut t = format!("id:    {}\nkind:  {}\n", n.id, n.kind);
        // A node with labels beyond its kind lists them all.
        if labels.len() > 1 {
            t.push_str(&format!("labels: {}\n", labels.join(", ")));
        }
        t.push_str(&format!(
            "name:  {}\ndata:  {}\nedges: {} out, {} in",
            n.name,
            n.data,
            r.degree(id, Direction::Outgoing, None).unwrap_or(0),
            r.degree(id, Direction::Incoming, None).unwrap_or(0)
        ));
        t
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
    /// By kind (any label).
    Kind(String),
    /// By exact name.
    Name(String),
    /// By name prefix.
    Prefix(String),
    /// By name glob.
    Glob(String),
}

/// `node find`: the nodes found, streamed to stdout as they are read (a million matches
/// are never held at once), at most `limit` of them shown and all of them counted.
/// `wheres` (only with [`Find::Kind`]) keeps the nodes of the label whose properties
/// satisfy every condition: one condition is answered by an index on the label's property
/// when there is one (results then come in that property's order), the others are
/// checked on each node it yields.
pub fn node_find(
    g: &Graph,
    find: &Find,
    wheres: &[Where],
    limit: Option<usize>,
    json_out: bool,
) -> Result<()> {
    let r = g.begin_read()?;
    let ids: Box<dyn Iterator<Item = pagegraph::Result<NodeId>> + '_> = match (find, wheres) {
        (Find::Kind(k), []) => Box::new(r.nodes_with_label(k)?),
        (Find::Kind(label), _) => matching(&r, label, wheres)?,
        (Find::Name(n), _) => Box::new(r.nodes_by_name(n)?.into_iter().map(Ok)),
        (Find::Prefix(p), _) => Box::new(r.nodes_by_name_prefix(p)?.into_iter().map(Ok)),
        (Find::Glob(p), _) => Box::new(r.nodes_by_name_glob(p)?.into_iter().map(Ok)),
    };
    let mut out = NodeStream::new(json_out, limit);
    for id in ids {
        let id = id?;
        if out.wants_more() {
            let n = r
                .node(id)?
                .ok_or_else(|| anyhow!("index names node {id}, which does not exist"))?;
            out.node(&n)?;
        } else {
            out.count();
        }
    }
    if out.total == 0 {
        let value = json!({"total": 0, "nodes": []});
        return nothing_found(json_out, &value, "no nodes found".into());
    }
    out.finish()
}

/// The nodes of `label` whose properties satisfy every one of `wheres` (not empty).
fn matching<'r>(
    r: &'r ReadTxn,
    label: &str,
    wheres: &[Where],
) -> Result<Box<dyn Iterator<Item = pagegraph::Result<NodeId>> + 'r>> {
    // The condition an index answers, if one does; else the first.
    let indexed: Vec<String> = r
        .indexes()?
        .into_iter()
        .filter(|i| {
            i.target == IndexTarget::Label(label.to_string())
                && i.properties.len() == 1
                && i.state == IndexState::Ready
        })
        .flat_map(|i| i.properties)
        .collect();
    let lead = wheres
        .iter()
        .position(|w| indexed.contains(&w.property))
        .unwrap_or(0);
    let first = &wheres[lead];
    let rest: Vec<Where> = wheres
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != lead)
        .map(|(_, w)| w.clone())
        .collect();
    let ids = r.nodes_where(label, &first.property, &first.cond)?;
    if rest.is_empty() {
        return Ok(Box::new(ids));
    }
    Ok(Box::new(ids.filter_map(move |id| {
        let keep = id.and_then(|id| {
            let props = r.node_props(id)?.map(|n| n.properties).unwrap_or_default();
            Ok(rest
                .iter()
                .all(|w| w.cond.holds(props.get(&w.property)))
                .then_some(id))
        });
        keep.transpose()
    })))
}

/// Writes found nodes to stdout as they come, in the shape `emit` gives a found list:
/// text lines, or with `--json` `{"nodes": [...], "total": N}` (pretty-printed as `emit`
/// prints it).
struct NodeStream {
    json: bool,
    limit: usize,
    shown: usize,
    total: usize,
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
}

impl NodeStream {
    fn new(json: bool, limit: Option<usize>) -> NodeStream {
        NodeStream {
            json,
            limit: limit.unwrap_or(usize::MAX),
            shown: 0,
            total: 0,
            out: std::io::BufWriter::new(std::io::stdout().lock()),
        }
    }

    fn wants_more(&self) -> bool {
        self.shown < self.limit
    }

    /// Counts a node that is not shown.
    fn count(&mut self) {
        self.total += 1;
    }

    /// Shows a node (and counts it).
    fn node(&mut self, n: &pagegraph::Node) -> Result<()> {
        if self.json {
            self.out.write_all(if self.shown == 0 {
                b"{\n  \"nodes\": [\n"
            } else {
                b",\n"
            })?;
            let text = serde_json::to_string_pretty(&node_json(n))?;
            for (i, line) in text.lines().enumerate() {
                if i > 0 {
                    self.out.write_all(b"\n")?;
                }
                write!(self.out, "    {line}")?;
            }
        } else {
            writeln!(self.out, "{}", node_line(n))?;
        }
        self.shown += 1;
        self.total += 1;
        Ok(())
    }

    /// Ends the output: closes the JSON document, or says how many were not shown.
    fn finish(mut self) -> Result<()> {
        let total = self.total;
        if self.json {
            if self.shown == 0 {
                write!(self.out, "{{\n  \"nodes\": [],\n  \"total\": {total}\n}}\n")?;
            } else {
                write!(self.out, "\n  ],\n  \"total\": {total}\n}}\n")?;
            }
        } else if self.shown < total {
            writeln!(self.out, "({} of {total} shown)", self.shown)?;
        }
        self.out.flush()?;
        Ok(())
    }
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
    naming: Naming,
    json_out: bool,
) -> Result<()> {
    let data = parse_data(data)?;
    let (from, to) = {
        let r = g.begin_read()?;
        (resolve(&r, from, naming)?, resolve(&r, to, naming)?)
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
    naming: Naming,
    json_out: bool,
) -> Result<()> {
    let r = g.begin_read()?;
    let id = resolve(&r, id, naming)?;
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
