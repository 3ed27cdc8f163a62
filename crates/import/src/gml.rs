//! GML (Graph Modelling Language) import: one file holding a graph's nodes and edges, as
//! networkx, igraph, Gephi and yEd write it, loaded by [`run_gml`].
//!
//! ```text
//! graph [ directed 0  node [ id 1 label "a" ]  node [ id 2 ]  edge [ source 1 target 2 value 1.5 ] ]
//! ```
//!
//! The file is a list of `key value` pairs; a value is an integer, a real (`1.5`,
//! `-2E3`), a string in double quotes (HTML entities such as `&quot;` and `&amp;` decoded)
//! or a list in `[ ]`; lines starting with `#` are comments. The first `graph` list is
//! the graph: each `node` becomes a node of [`ImportOptions::node_kind`] whose `id` is its
//! key (kept as [`ImportOptions::id_property`] under the label's unique index, an integer
//! as an integer), each `edge` an edge of [`ImportOptions::edge_type`] from its `source`
//! to its `target` node. Every other attribute is a property: integers as integers (text
//! beyond 64 bits), reals as floats, strings as strings, lists as maps (a key that repeats
//! holds a list of its values). Attributes of the graph itself (`directed`, `Creator`)
//! are not kept: pagegraph's edges are directed, stored as the file lists them.
//!
//! Bad input names its `file:line`: a token that is not GML, a string or list that does
//! not close, a node without an id or with one an earlier node has, an edge without a
//! source or target or whose endpoint no node has (with
//! [`ImportOptions::create_missing`], that endpoint becomes a node with only its key; with
//! [`ImportOptions::skip_bad`], the node or edge is skipped and counted). Nodes and edges
//! are written in batches of [`ImportOptions::batch`], each committed whole; with
//! [`ImportOptions::upsert`], nodes are updated by their key and edges by (from, to,
//! type), so a second run changes no counts.

use std::path::Path;
use std::sync::Arc;

use pagegraph::Graph;
use serde_json::{Map, Number, Value};

use crate::error::{ImportError, Result};
use crate::graphfile::{self, EdgeItem, Item, NodeItem};
use crate::idmap::ExtId;
use crate::importer::{ImportOptions, Summary};
use crate::input::clip;
use crate::progress::Progress;

/// The deepest nesting of lists read.
pub const GML_DEPTH_MAX: usize = 64;

/// A GML value.
#[derive(Clone, Debug, PartialEq)]
enum Gml {
    Int(i64),
    /// An integer beyond 64 bits, kept as its text.
    BigInt(String),
    Real(f64),
    Str(String),
    List(Vec<Pair>),
}

/// A key, its value and the line the key is on.
type Pair = (String, Gml, u64);

/// Reads GML text into its top-level pairs.
struct Parser<'t> {
    text: &'t [u8],
    at: usize,
    line: u64,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while let Some(&b) = self.text.get(self.at) {
            match b {
                b'\n' => {
                    self.line += 1;
                    self.at += 1;
                }
                b' ' | b'\t' | b'\r' => self.at += 1,
                // A comment: to the end of the line.
                b'#' => {
                    while self.text.get(self.at).is_some_and(|&c| c != b'\n') {
                        self.at += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn word(&mut self) -> &str {
        let start = self.at;
        while self
            .text
            .get(self.at)
            .is_some_and(|&b| !b.is_ascii_whitespace() && b != b'[' && b != b']')
        {
            self.at += 1;
        }
        std::str::from_utf8(&self.text[start..self.at]).unwrap_or("")
    }

    /// The pairs up to a `]` (`depth` > 0) or the end of the text.
    fn pairs(&mut self, depth: usize) -> Result<Vec<Pair>, (u64, String)> {
        if depth > GML_DEPTH_MAX {
            return Err((
                self.line,
                format!("lists nested deeper than {GML_DEPTH_MAX}"),
            ));
        }
        let open_line = self.line;
        let mut out = Vec::new();
        loop {
            self.skip_space();
            match self.text.get(self.at) {
                None if depth == 0 => return Ok(out),
                None => {
                    return Err((open_line, "a list starts here and is never closed".into()));
                }
                Some(b']') if depth > 0 => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b']') => return Err((self.line, "a `]` that closes no list".into())),
                Some(_) => {}
            }
            let line = self.line;
            let key = self.word().to_string();
            let valid = key
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                return Err((line, format!("expected a key, found {:?}", clip(&key))));
            }
            self.skip_space();
            let value = self.value(depth, &key)?;
            out.push((key, value, line));
        }
    }

    fn value(&mut self, depth: usize, key: &str) -> Result<Gml, (u64, String)> {
        let line = self.line;
        match self.text.get(self.at) {
            None | Some(b']') => Err((line, format!("key {:?} has no value", clip(key)))),
            Some(b'[') => {
                self.at += 1;
                Ok(Gml::List(self.pairs(depth + 1)?))
            }
            Some(b'"') => {
                self.at += 1;
                let start = self.at;
                while self.text.get(self.at).is_some_and(|&b| b != b'"') {
                    if self.text[self.at] == b'\n' {
                        self.line += 1;
                    }
                    self.at += 1;
                }
                if self.at >= self.text.len() {
                    return Err((line, "a string starts here and is never closed".into()));
                }
                let raw = std::str::from_utf8(&self.text[start..self.at])
                    .map_err(|_| (line, "a string that is not UTF-8".to_string()))?;
                self.at += 1;
                Ok(Gml::Str(unescape(raw)))
            }
            Some(_) => {
                let w = self.word().to_string();
                number(&w).ok_or_else(|| {
                    (
                        line,
                        format!(
                            "value {:?} of {:?} is not a number, string or list",
                            clip(&w),
                            clip(key)
                        ),
                    )
                })
            }
        }
    }
}

/// An integer or real token, if it is one.
fn number(w: &str) -> Option<Gml> {
    let digits = w.strip_prefix(['+', '-']).unwrap_or(w);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(match w.parse::<i64>() {
            Ok(i) => Gml::Int(i),
            Err(_) => Gml::BigInt(w.to_string()),
        });
    }
    let looks_real = digits
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    match w.parse::<f64>() {
        Ok(f) if looks_real && f.is_finite() => Some(Gml::Real(f)),
        _ => None,
    }
}

/// A GML string's text with its HTML entities decoded (`&quot;`, `&amp;`, `&lt;`, `&gt;`,
/// `&apos;`, `&#NN;`, `&#xNN;`); anything else is kept as written.
fn unescape(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "quot" => Some('"'),
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        if let Some((c, end)) = decoded {
            out.push(c);
            rest = &rest[end + 1..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// A GML value as JSON: lists become objects, a repeated key a list of its values.
fn json(v: &Gml) -> Value {
    match v {
        Gml::Int(i) => Value::from(*i),
        Gml::BigInt(s) | Gml::Str(s) => Value::String(s.clone()),
        Gml::Real(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Gml::List(pairs) => Value::Object(object(pairs, &[])),
    }
}

/// The pairs as a JSON object, leaving out the keys in `skip`.
fn object(pairs: &[Pair], skip: &[&str]) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v, _) in pairs.iter().filter(|(k, ..)| !skip.contains(&k.as_str())) {
        let v = json(v);
        // A value is never an array itself, so an array is a key's repeats.
        match m.get_mut(k) {
            Some(Value::Array(list)) => list.push(v),
            Some(old) => *old = Value::Array(vec![old.take(), v]),
            None => {
                m.insert(k.clone(), v);
            }
        }
    }
    m
}

/// A node or edge's id, source or target as an external id.
fn ext(v: &Gml) -> Option<ExtId> {
    match v {
        Gml::Int(i) => Some(ExtId::parse(&i.to_string())),
        Gml::BigInt(s) | Gml::Str(s) => Some(ExtId::parse(s)),
        _ => None,
    }
}

fn get<'p>(pairs: &'p [Pair], key: &str) -> Option<&'p Gml> {
    pairs.iter().find(|(k, ..)| k == key).map(|(_, v, _)| v)
}

/// The node and edge items of the graph's pairs.
fn items(graph: &[Pair]) -> (Vec<Item<NodeItem>>, Vec<Item<EdgeItem>>) {
    let (mut nodes, mut edges) = (Vec::new(), Vec::new());
    for (k, v, line) in graph {
        let line = *line;
        match (k.as_str(), v) {
            ("node", Gml::List(pairs)) => nodes.push(match get(pairs, "id").and_then(ext) {
                Some(id) => Ok(NodeItem {
                    line,
                    id,
                    labels: Vec::new(),
                    data: object(pairs, &["id"]),
                }),
                None => Err((line, "a node without an integer or string id".into())),
            }),
            ("edge", Gml::List(pairs)) => {
                let end = |what: &str| {
                    get(pairs, what).and_then(ext).ok_or_else(|| {
                        (line, format!("an edge without an integer or string {what}"))
                    })
                };
                edges.push(end("source").and_then(|source| {
                    Ok(EdgeItem {
                        line,
                        source,
                        target: end("target")?,
                        edge_type: None,
                        data: object(pairs, &["source", "target"]),
                    })
                }));
            }
            ("node", _) => nodes.push(Err((line, "`node` is not a list".into()))),
            ("edge", _) => edges.push(Err((line, "`edge` is not a list".into()))),
            // Attributes of the graph itself.
            _ => {}
        }
    }
    (nodes, edges)
}

/// Imports the GML file at `path` into `graph` (see the module doc).
pub fn run_gml(
    graph: &Graph,
    path: &Path,
    opts: ImportOptions,
    progress: Arc<dyn Progress>,
) -> Result<Summary> {
    let start = graphfile::check_options(&opts)?;
    let bytes = graphfile::read(path, "GML", &progress)?;
    let mut parser = Parser {
        text: &bytes,
        at: 0,
        line: 1,
    };
    let top = parser
        .pairs(0)
        .map_err(|(line, reason)| ImportError::line(path, line, reason))?;
    let Some(Gml::List(pairs)) = get(&top, "graph") else {
        return Err(ImportError::file(path, "no `graph [ ... ]` list"));
    };
    let (nodes, edges) = items(pairs);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(text: &str) -> Result<Vec<Pair>, (u64, String)> {
        Parser {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
        .pairs(0)
    }

    #[test]
    fn values_keep_their_kind() {
        let p = parse("# c\na 1 b -2.5 c \"x &quot;y&quot; &amp; &#65;&#x42; &bogus;\" d [ e 1E3 e 2 ] f 99999999999999999999").unwrap();
        let v: Vec<(&str, &Gml, u64)> = p.iter().map(|(k, v, l)| (k.as_str(), v, *l)).collect();
        assert_eq!(v[0], ("a", &Gml::Int(1), 2));
        assert_eq!(v[1], ("b", &Gml::Real(-2.5), 2));
        assert_eq!(v[2].1, &Gml::Str("x \"y\" & AB &bogus;".into()));
        assert_eq!(json(v[3].1), serde_json::json!({"e": [1000.0, 2]}));
        assert_eq!(v[4].1, &Gml::BigInt("99999999999999999999".into()));
    }

    #[test]
    fn bad_gml_names_its_line() {
        let err = |t: &str| parse(t).unwrap_err();
        assert_eq!(
            err("a [\n b 1\n"),
            (1, "a list starts here and is never closed".into())
        );
        assert_eq!(
            err("a 1\nb \"x\ny"),
            (2, "a string starts here and is never closed".into())
        );
        assert_eq!(err("a 1\n\n2 3"), (3, "expected a key, found \"2\"".into()));
        assert_eq!(
            err("a x1"),
            (
                1,
                "value \"x1\" of \"a\" is not a number, string or list".into()
            )
        );
        assert_eq!(err("a"), (1, "key \"a\" has no value".into()));
        assert_eq!(err("a 1 ]"), (1, "a `]` that closes no list".into()));
        let deep = "a [ ".repeat(GML_DEPTH_MAX + 1);
        assert!(err(&deep).1.contains("nested deeper"));
    }
}
