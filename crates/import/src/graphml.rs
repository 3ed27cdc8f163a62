//! GraphML import: the XML format networkx, Gephi, yEd and igraph write, and that
//! `pagegraph export --format graphml` writes, loaded by [`run_graphml`].
//!
//! Each `<key>` declares an attribute (`attr.name`, `attr.type`, an optional `<default>`);
//! each `<data>` of a node or edge becomes a property of that type: `boolean` (`true`,
//! `false`, any case, or `1`/`0`), `int` and `long` as 64-bit integers, `float` and
//! `double` as floats, `string` (and any other type) as text. A value its type cannot
//! hold is a bad line; an integer beyond 64 bits stays text. A key's default applies to the
//! elements of its domain that have no value for it, as the GraphML primer says.
//!
//! Labels and types follow Neo4j's APOC convention, which the export writes too: a node
//! attribute `labels` written `:A:B` gives the node the labels `A` and `B` (without it, the
//! node is of [`ImportOptions::node_kind`]), and an edge attribute `label` is the edge's
//! type (without it, [`ImportOptions::edge_type`]). A node's key is its `id` property when
//! its data has one (an export of an imported graph keeps it there), else its GraphML id;
//! edges name their endpoints by GraphML id. `edgedefault` and `directed` are not kept:
//! edges are stored from `source` to `target`. Nested graphs, hyperedges and ports are
//! refused with their `file:line`. The rest is as for GML (see [`crate::gml`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use pagegraph::Graph;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Number, Value};

use crate::error::{ImportError, Result};
use crate::graphfile::{self, EdgeItem, Item, NodeItem};
use crate::idmap::ExtId;
use crate::importer::{ImportOptions, Summary};
use crate::input::clip;
use crate::progress::Progress;

/// A declared attribute.
struct Key {
    name: String,
    /// `node`, `edge`, `graph` or `all`.
    domain: String,
    ty: String,
    default: Option<Value>,
}

/// A value of a key's type, or why the text is not one.
fn typed(text: &str, ty: &str) -> std::result::Result<Value, String> {
    let t = text.trim();
    match ty {
        "boolean" => match t.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("{:?} is not a boolean", clip(text))),
        },
        "int" | "long" => {
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{:?} is not an integer", clip(text)));
            }
            Ok(t.parse::<i64>()
                .map_or_else(|_| Value::String(t.to_string()), Value::from))
        }
        "float" | "double" => t
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("{:?} is not a finite number", clip(text))),
        _ => Ok(Value::String(text.to_string())),
    }
}

/// The element being read.
enum Open {
    Node(NodeItem),
    Edge(EdgeItem),
    /// A `<key>`, its `<default>` text gathered.
    Key(String, Key),
}

/// Reads a GraphML document into node and edge items.
struct Reader<'t> {
    text: &'t [u8],
    /// Where line counting stands: the line at byte `counted`.
    counted: usize,
    line: u64,
    keys: HashMap<String, Key>,
    nodes: Vec<Item<NodeItem>>,
    edges: Vec<Item<EdgeItem>>,
}

impl Reader<'_> {
    /// The line of byte `pos`.
    fn line_at(&mut self, pos: usize) -> u64 {
        let pos = pos.min(self.text.len());
        if pos > self.counted {
            let ends = self.text[self.counted..pos].split(|&b| b == b'\n').count() - 1;
            self.line += ends as u64;
            self.counted = pos;
        }
        self.line
    }

    fn attrs(
        e: &BytesStart<'_>,
        line: u64,
    ) -> std::result::Result<HashMap<String, String>, (u64, String)> {
        let mut out = HashMap::new();
        for a in e.attributes() {
            let a = a.map_err(|err| (line, format!("a bad attribute: {err}")))?;
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
            let value = a
                .unescape_value()
                .map_err(|err| (line, format!("a bad attribute value: {err}")))?;
            out.insert(key, value.into_owned());
        }
        Ok(out)
    }

    /// Reads the whole document.
    fn read(&mut self) -> std::result::Result<(), (u64, String)> {
        let mut xml = quick_xml::Reader::from_reader(self.text);
        let mut buf = Vec::new();
        let mut open: Option<Open> = None;
        // The `<data>` being read: its key and its text.
        let mut data: Option<(String, String)> = None;
        let mut graphs = 0;
        loop {
            let pos = usize::try_from(xml.buffer_position()).unwrap_or(usize::MAX);
            let event = xml.read_event_into(&mut buf);
            let line = self.line_at(pos);
            let event = event.map_err(|e| {
                let at = usize::try_from(xml.error_position()).unwrap_or(usize::MAX);
                (self.line_at(at), format!("not well-formed XML: {e}"))
            })?;
            match event {
                Event::Eof => break,
                Event::Start(ref e) | Event::Empty(ref e) if data.is_none() => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    let a = Self::attrs(e, line)?;
                    self.start(&name, a, line, &mut open, &mut data, &mut graphs)?;
                    // An empty element ends where it starts.
                    if matches!(event, Event::Empty(_)) {
                        self.end(&name, line, &mut open, &mut data)?;
                    }
                }
                Event::Start(_) | Event::Empty(_) => {
                    return Err((line, "an element inside <data>".into()));
                }
                Event::Text(t) => {
                    if let Some((_, text)) = data.as_mut() {
                        let s = t.xml_content().map_err(|e| (line, e.to_string()))?;
                        text.push_str(&s);
                    }
                }
                Event::CData(t) => {
                    if let Some((_, text)) = data.as_mut() {
                        text.push_str(&String::from_utf8_lossy(&t.into_inner()));
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some((_, text)) = data.as_mut() {
                        let c = if let Ok(Some(c)) = r.resolve_char_ref() {
                            c.to_string()
                        } else {
                            let name = r.decode().map_err(|e| (line, e.to_string()))?;
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .ok_or_else(|| (line, format!("unknown entity &{name};")))?
                                .to_string()
                        };
                        text.push_str(&c);
                    }
                }
                Event::End(e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    self.end(&name, line, &mut open, &mut data)?;
                }
                _ => {}
            }
            buf.clear();
        }
        if graphs == 0 {
            return Err((1, "no <graph> element".into()));
        }
        Ok(())
    }

    fn start(
        &mut self,
        name: &str,
        mut a: HashMap<String, String>,
        line: u64,
        open: &mut Option<Open>,
        data: &mut Option<(String, String)>,
        graphs: &mut u32,
    ) -> std::result::Result<(), (u64, String)> {
        if matches!(name, "key" | "node" | "edge") && open.is_some() {
            return Err((line, format!("a <{name}> inside another element")));
        }
        match name {
            "graph" => {
                *graphs += 1;
                if open.is_some() || *graphs > 1 {
                    return Err((line, "nested or second graphs are not read".into()));
                }
            }
            "key" => {
                let id = a
                    .remove("id")
                    .ok_or((line, "a <key> without an id".to_string()))?;
                let key = Key {
                    name: a.remove("attr.name").unwrap_or_else(|| id.clone()),
                    domain: a.remove("for").unwrap_or_else(|| "all".into()),
                    ty: a.remove("attr.type").unwrap_or_else(|| "string".into()),
                    default: None,
                };
                *open = Some(Open::Key(id, key));
            }
            "default" => {
                if let Some(Open::Key(id, _)) = open {
                    *data = Some((id.clone(), String::new()));
                }
            }
            "node" => {
                let Some(id) = a.remove("id") else {
                    self.nodes
                        .push(Err((line, "a <node> without an id".into())));
                    return Ok(());
                };
                *open = Some(Open::Node(NodeItem {
                    line,
                    id: ExtId::parse(&id),
                    labels: Vec::new(),
                    data: Map::new(),
                }));
            }
            "edge" => {
                let (Some(s), Some(t)) = (a.remove("source"), a.remove("target")) else {
                    self.edges
                        .push(Err((line, "an <edge> without a source or target".into())));
                    return Ok(());
                };
                *open = Some(Open::Edge(EdgeItem {
                    line,
                    source: ExtId::parse(&s),
                    target: ExtId::parse(&t),
                    edge_type: None,
                    data: Map::new(),
                }));
            }
            "data" => {
                let key = a
                    .remove("key")
                    .ok_or((line, "a <data> without a key".to_string()))?;
                *data = Some((key, String::new()));
            }
            "hyperedge" | "port" | "endpoint" => {
                return Err((line, format!("<{name}> is not read (hyperedges and ports)")));
            }
            _ => {}
        }
        Ok(())
    }

    fn end(
        &mut self,
        name: &str,
        line: u64,
        open: &mut Option<Open>,
        data: &mut Option<(String, String)>,
    ) -> std::result::Result<(), (u64, String)> {
        match name {
            "default" => {
                if let (Some((_, text)), Some(Open::Key(_, key))) = (data.take(), open.as_mut()) {
                    key.default = Some(typed(&text, &key.ty).map_err(|e| {
                        (
                            line,
                            format!("the default of key {:?}: {e}", clip(&key.name)),
                        )
                    })?);
                }
            }
            "key" => {
                if let Some(Open::Key(id, key)) = open.take() {
                    self.keys.insert(id, key);
                }
            }
            "data" => {
                let Some((key_id, text)) = data.take() else {
                    return Ok(());
                };
                let (domain, fields) = match open.as_mut() {
                    Some(Open::Node(n)) => ("node", &mut n.data),
                    Some(Open::Edge(e)) => ("edge", &mut e.data),
                    // Data of the graph itself is not kept.
                    _ => return Ok(()),
                };
                let Some(key) = self
                    .keys
                    .get(&key_id)
                    .filter(|k| k.domain == domain || k.domain == "all")
                else {
                    return Err((
                        line,
                        format!(
                            "<data key={:?}> names no {domain} key declared before it",
                            clip(&key_id)
                        ),
                    ));
                };
                let v = typed(&text, &key.ty)
                    .map_err(|e| (line, format!("attribute {:?}: {e}", clip(&key.name))))?;
                fields.insert(key.name.clone(), v);
            }
            "node" => {
                if let Some(Open::Node(mut n)) = open.take() {
                    self.defaults("node", &mut n.data);
                    n.labels = labels(&mut n.data);
                    self.nodes.push(Ok(n));
                }
            }
            "edge" => {
                if let Some(Open::Edge(mut e)) = open.take() {
                    self.defaults("edge", &mut e.data);
                    e.edge_type = match e.data.remove("label") {
                        Some(Value::String(t)) if !t.is_empty() => Some(t),
                        Some(other) => {
                            e.data.insert("label".into(), other);
                            None
                        }
                        None => None,
                    };
                    self.edges.push(Ok(e));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Fills in the defaults of `domain`'s keys that `fields` has no value for.
    fn defaults(&self, domain: &str, fields: &mut Map<String, Value>) {
        for k in self.keys.values() {
            if (k.domain == domain || k.domain == "all")
                && let Some(d) = &k.default
            {
                fields.entry(k.name.clone()).or_insert_with(|| d.clone());
            }
        }
    }
}

/// The labels of a node's `labels` attribute (`:A:B`), taken out of its data; none when
/// it has no such string.
fn labels(data: &mut Map<String, Value>) -> Vec<String> {
    match data.get("labels") {
        Some(Value::String(s)) if s.starts_with(':') => {
            let out: Vec<String> = s
                .split(':')
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            data.remove("labels");
            out
        }
        _ => Vec::new(),
    }
}

/// Imports the GraphML file at `path` into `graph` (see the module doc).
pub fn run_graphml(
    graph: &Graph,
    path: &Path,
    opts: ImportOptions,
    progress: Arc<dyn Progress>,
) -> Result<Summary> {
    let start = graphfile::check_options(&opts)?;
    let bytes = graphfile::read(path, "GraphML", &progress)?;
    let mut r = Reader {
        text: &bytes,
        counted: 0,
        line: 1,
        keys: HashMap::new(),
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    r.read()
        .map_err(|(line, reason)| ImportError::line(path, line, reason))?;
    let (nodes, edges) = (std::mem::take(&mut r.nodes), std::mem::take(&mut r.edges));
    let ids = graphfile::scratch_ids(opts.id_memory);
    graphfile::write(
        graph,
        graphfile::Place::File(path),
        nodes,
        edges,
        opts,
        progress,
        start,
        &|| false,
        ids,
    )
}
