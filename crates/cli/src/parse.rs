//! The import formats, one line (or CSV row) at a time: JSONL nodes and edges, vertex and
//! edge lists, CSV with a header. Each parser returns a record, `None` for a blank or comment
//! line, or why the line is bad (the caller adds the file and line number).

use std::path::Path;

use anyhow::{Context, Result, bail};
use pagegraph::{DATA_SIZE_MAX, LABEL_SIZE_MAX, NAME_SIZE_MAX};
use serde_json::{Map, Value};

use crate::idmap::ExtId;

/// A node read from an input line.
#[derive(Debug)]
pub struct NodeRec {
    /// Its line in the file (set by the caller).
    pub line: u64,
    /// Its external id.
    pub ext: ExtId,
    /// Its kind.
    pub kind: String,
    /// Its name; the external id when absent.
    pub name: Option<String>,
    /// Its data.
    pub data: Value,
}

/// An edge read from an input line.
#[derive(Debug)]
pub struct EdgeRec {
    /// Its line in the file (set by the caller).
    pub line: u64,
    /// Source, as an external id.
    pub from: ExtId,
    /// Target, as an external id.
    pub to: ExtId,
    /// Its type; the import's default when absent.
    pub edge_type: Option<String>,
    /// Its data.
    pub data: Value,
}

/// An external id from a JSON value: a string or an integer.
fn ext_from_json(field: &str, v: Option<Value>) -> Result<ExtId, String> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => Ok(ExtId::parse(&s)),
        Some(Value::Number(n)) => Ok(ExtId::parse(&n.to_string())),
        None => Err(format!("missing field {field:?}")),
        Some(_) => Err(format!(
            "field {field:?} must be a non-empty string or a number"
        )),
    }
}

fn string_field(
    m: &mut Map<String, Value>,
    field: &str,
    max: usize,
) -> Result<Option<String>, String> {
    match m.remove(field) {
        None => Ok(None),
        Some(Value::String(s)) if s.len() > max => Err(format!(
            "field {field:?} is {} bytes, more than the {max} allowed",
            s.len()
        )),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("field {field:?} must be a string")),
    }
}

fn label_field(m: &mut Map<String, Value>, field: &str) -> Result<String, String> {
    match string_field(m, field, LABEL_SIZE_MAX)? {
        Some(s) if !s.is_empty() => Ok(s),
        Some(_) => Err(format!("field {field:?} must not be empty")),
        None => Err(format!("missing field {field:?}")),
    }
}

fn json_object(line: &str) -> Result<Option<Map<String, Value>>, String> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(t) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        Ok(_) => Err("expected a JSON object".into()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

fn data_field(m: &mut Map<String, Value>, line_len: usize) -> Result<Value, String> {
    let data = m.remove("data").unwrap_or(Value::Null);
    // Compact JSON is never longer than the text it was parsed from.
    if line_len > DATA_SIZE_MAX {
        let len = serde_json::to_vec(&data).map_or(usize::MAX, |v| v.len());
        if len > DATA_SIZE_MAX {
            return Err(format!(
                "field \"data\" is {len} bytes of JSON, more than the {DATA_SIZE_MAX} allowed"
            ));
        }
    }
    Ok(data)
}

fn no_other_fields(m: &Map<String, Value>, expected: &str) -> Result<(), String> {
    match m.keys().next() {
        Some(k) => Err(format!("unknown field {k:?} (expected {expected})")),
        None => Ok(()),
    }
}

/// A JSONL node line: `{"id", "kind", "name"?, "data"?}`.
pub fn parse_jsonl_node(line: &str) -> Result<Option<NodeRec>, String> {
    let Some(mut m) = json_object(line)? else {
        return Ok(None);
    };
    let ext = ext_from_json("id", m.remove("id"))?;
    let kind = label_field(&mut m, "kind")?;
    let name = string_field(&mut m, "name", NAME_SIZE_MAX)?;
    let data = data_field(&mut m, line.len())?;
    no_other_fields(&m, "id, kind, name, data")?;
    Ok(Some(NodeRec {
        line: 0,
        ext,
        kind,
        name,
        data,
    }))
}

/// A JSONL edge line: `{"from", "to", "type", "data"?}`.
pub fn parse_jsonl_edge(line: &str) -> Result<Option<EdgeRec>, String> {
    let Some(mut m) = json_object(line)? else {
        return Ok(None);
    };
    let from = ext_from_json("from", m.remove("from"))?;
    let to = ext_from_json("to", m.remove("to"))?;
    let edge_type = label_field(&mut m, "type")?;
    let data = data_field(&mut m, line.len())?;
    no_other_fields(&m, "from, to, type, data")?;
    Ok(Some(EdgeRec {
        line: 0,
        from,
        to,
        edge_type: Some(edge_type),
        data,
    }))
}

fn is_comment(t: &str) -> bool {
    t.is_empty() || t.starts_with('#') || t.starts_with('%')
}

/// A vertex-list line: one external id.
pub fn parse_vertex(line: &str, kind: &str) -> Result<Option<NodeRec>, String> {
    let t = line.trim();
    if is_comment(t) {
        return Ok(None);
    }
    let mut fields = t.split_ascii_whitespace();
    let (Some(id), None) = (fields.next(), fields.next()) else {
        return Err("expected one vertex id per line".into());
    };
    if id.len() > NAME_SIZE_MAX {
        return Err(format!("vertex id longer than {NAME_SIZE_MAX} bytes"));
    }
    Ok(Some(NodeRec {
        line: 0,
        ext: ExtId::parse(id),
        kind: kind.to_string(),
        name: None,
        data: Value::Null,
    }))
}

/// An edge-list line: `u v` or `u v weight`.
#[allow(clippy::many_single_char_names)]
pub fn parse_edgelist(line: &str) -> Result<Option<EdgeRec>, String> {
    let t = line.trim();
    if is_comment(t) {
        return Ok(None);
    }
    let mut fields = t.split_ascii_whitespace();
    let (Some(u), Some(v)) = (fields.next(), fields.next()) else {
        return Err("expected `u v` or `u v weight`".into());
    };
    let data = match (fields.next(), fields.next()) {
        (None, _) => Value::Null,
        (Some(w), None) => {
            let n: serde_json::Number = w
                .parse()
                .map_err(|_| format!("weight {w:?} is not a number"))?;
            let mut m = Map::new();
            m.insert("weight".into(), Value::Number(n));
            Value::Object(m)
        }
        (Some(_), Some(_)) => {
            return Err("expected `u v` or `u v weight`, found more fields".into());
        }
    };
    Ok(Some(EdgeRec {
        line: 0,
        from: ExtId::parse(u),
        to: ExtId::parse(v),
        edge_type: None,
        data,
    }))
}

/// A CSV reader whose first record is the header (read with [`CsvHeader::read`]).
pub fn csv_reader(
    reader: Box<dyn std::io::BufRead + Send>,
) -> csv::Reader<Box<dyn std::io::BufRead + Send>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(reader)
}

/// A CSV cell as a JSON value: numbers stay numbers, `true`/`false` are booleans, cells
/// holding a JSON object or array are that value, anything else is a string; an empty
/// cell is no value.
pub fn cell_value(s: &str) -> Option<Value> {
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<serde_json::Number>() {
        return Some(Value::Number(n));
    }
    match s {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    if (s.starts_with('{') || s.starts_with('['))
        && let Ok(v) = serde_json::from_str(s)
    {
        return Some(v);
    }
    Some(Value::String(s.to_string()))
}

/// Column positions of a CSV file's header.
pub struct CsvHeader {
    /// Positions of the required columns, then of the optional ones.
    required: Vec<usize>,
    optional: Vec<Option<usize>>,
    /// The other columns, which go into `data`.
    data: Vec<(usize, String)>,
    /// The `data:json` column, which holds the whole data as JSON (then the only data
    /// column).
    data_json: Option<usize>,
}

/// The CSV column holding each row's whole data as JSON text (what `export` writes when
/// data fields cannot be columns).
pub const DATA_JSON_COLUMN: &str = "data:json";

impl CsvHeader {
    /// Reads the header row; fails naming a missing required column.
    pub fn read(
        csv: &mut csv::Reader<Box<dyn std::io::BufRead + Send>>,
        path: &Path,
        required: &[&str],
        optional: &[&str],
    ) -> Result<CsvHeader> {
        let mut header = csv::StringRecord::new();
        if !csv
            .read_record(&mut header)
            .with_context(|| format!("{}:1: cannot read the header row", path.display()))?
        {
            bail!("{}: empty file (a header row is needed)", path.display());
        }
        let names: Vec<&str> = header.iter().map(str::trim).collect();
        let find = |c: &str| names.iter().position(|n| *n == c);
        let mut req = Vec::new();
        for c in required {
            match find(c) {
                Some(i) => req.push(i),
                None => bail!(
                    "{}:1: the header has no {c:?} column (found: {})",
                    path.display(),
                    names.join(",")
                ),
            }
        }
        let opt: Vec<Option<usize>> = optional.iter().map(|c| find(c)).collect();
        let mut data: Vec<(usize, String)> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| !required.contains(n) && !optional.contains(n))
            .map(|(i, n)| (i, (*n).to_string()))
            .collect();
        let data_json = data
            .iter()
            .find(|(_, n)| n == DATA_JSON_COLUMN)
            .map(|&(i, _)| i);
        if data_json.is_some() {
            if data.len() > 1 {
                bail!(
                    "{}:1: a {DATA_JSON_COLUMN:?} column holds the whole data, so it cannot go with other data columns",
                    path.display()
                );
            }
            data.clear();
        }
        Ok(CsvHeader {
            required: req,
            optional: opt,
            data,
            data_json,
        })
    }

    fn data(&self, r: &csv::StringRecord) -> Result<Value, String> {
        if let Some(i) = self.data_json {
            return match r.get(i) {
                None | Some("") => Ok(Value::Null),
                Some(text) => serde_json::from_str(text)
                    .map_err(|e| format!("column {DATA_JSON_COLUMN:?} is not valid JSON: {e}")),
            };
        }
        if self.data.is_empty() {
            return Ok(Value::Null);
        }
        let mut m = Map::new();
        for (i, name) in &self.data {
            if let Some(v) = r.get(*i).and_then(cell_value) {
                m.insert(name.clone(), v);
            }
        }
        Ok(Value::Object(m))
    }

    fn field<'r>(r: &'r csv::StringRecord, i: usize, name: &str) -> Result<&'r str, String> {
        match r.get(i) {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(format!("column {name:?} is empty")),
        }
    }

    /// A node row.
    pub fn node(&self, r: &csv::StringRecord) -> Result<NodeRec, String> {
        let id = Self::field(r, self.required[0], "id")?;
        let kind = Self::field(r, self.required[1], "kind")?;
        if kind.len() > LABEL_SIZE_MAX {
            return Err(format!(
                "column \"kind\" is longer than {LABEL_SIZE_MAX} bytes"
            ));
        }
        let name = self.optional[0].and_then(|i| r.get(i)).map(str::to_string);
        if name.as_ref().is_some_and(|n| n.len() > NAME_SIZE_MAX) {
            return Err(format!(
                "column \"name\" is longer than {NAME_SIZE_MAX} bytes"
            ));
        }
        Ok(NodeRec {
            line: 0,
            ext: ExtId::parse(id),
            kind: kind.to_string(),
            name,
            data: self.data(r)?,
        })
    }

    /// An edge row.
    pub fn edge(&self, r: &csv::StringRecord) -> Result<EdgeRec, String> {
        let from = Self::field(r, self.required[0], "from")?;
        let to = Self::field(r, self.required[1], "to")?;
        let edge_type = match self.optional[0] {
            Some(i) => {
                let t = Self::field(r, i, "type")?;
                if t.len() > LABEL_SIZE_MAX {
                    return Err(format!(
                        "column \"type\" is longer than {LABEL_SIZE_MAX} bytes"
                    ));
                }
                Some(t.to_string())
            }
            None => None,
        };
        Ok(EdgeRec {
            line: 0,
            from: ExtId::parse(from),
            to: ExtId::parse(to),
            edge_type,
            data: self.data(r)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn edge_list_lines() {
        let e = parse_edgelist("  3\t4  ").unwrap().unwrap();
        assert_eq!(
            (e.from, e.to, e.data),
            (ExtId::Num(3), ExtId::Num(4), Value::Null)
        );
        let e = parse_edgelist("a b 2.5").unwrap().unwrap();
        assert_eq!(e.data, json!({"weight": 2.5}));
        let e = parse_edgelist("1 2 7").unwrap().unwrap();
        assert_eq!(e.data, json!({"weight": 7}));
        assert!(parse_edgelist("# comment").unwrap().is_none());
        assert!(parse_edgelist("").unwrap().is_none());
        assert!(parse_edgelist("1").unwrap_err().contains("expected"));
        assert!(
            parse_edgelist("1 2 x")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            parse_edgelist("1 2 3 4")
                .unwrap_err()
                .contains("more fields")
        );
    }

    #[test]
    fn jsonl_lines() {
        let n = parse_jsonl_node(r#"{"id": 7, "kind": "K", "name": "x", "data": {"a": 1}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (n.ext, n.kind, n.name, n.data),
            (ExtId::Num(7), "K".into(), Some("x".into()), json!({"a": 1}))
        );
        let n = parse_jsonl_node(r#"{"id": "p1", "kind": "K"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (n.ext, n.name, n.data),
            (ExtId::Text("p1".into()), None, Value::Null)
        );
        assert!(
            parse_jsonl_node("{")
                .unwrap_err()
                .starts_with("invalid JSON")
        );
        assert!(parse_jsonl_node("[1]").unwrap_err().contains("object"));
        assert!(
            parse_jsonl_node(r#"{"kind": "K"}"#)
                .unwrap_err()
                .contains("\"id\"")
        );
        assert!(
            parse_jsonl_node(r#"{"id": 1, "kind": ""}"#)
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            parse_jsonl_node(r#"{"id": 1, "kind": "K", "nmae": "x"}"#)
                .unwrap_err()
                .contains("\"nmae\"")
        );
        assert!(
            parse_jsonl_node(r#"{"id": true, "kind": "K"}"#)
                .unwrap_err()
                .contains("\"id\"")
        );
        let e = parse_jsonl_edge(r#"{"from": 1, "to": "b", "type": "T", "data": [1]}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (e.from, e.to, e.edge_type, e.data),
            (
                ExtId::Num(1),
                ExtId::Text("b".into()),
                Some("T".into()),
                json!([1])
            )
        );
        assert!(
            parse_jsonl_edge(r#"{"from": 1, "to": 2}"#)
                .unwrap_err()
                .contains("\"type\"")
        );
    }

    #[test]
    fn csv_cells() {
        assert_eq!(cell_value(""), None);
        assert_eq!(cell_value("12"), Some(json!(12)));
        assert_eq!(cell_value("-1.5e3"), Some(json!(-1500.0)));
        assert_eq!(cell_value("007"), Some(json!("007")));
        assert_eq!(cell_value("true"), Some(json!(true)));
        assert_eq!(cell_value("[1,2]"), Some(json!([1, 2])));
        assert_eq!(cell_value("{oops"), Some(json!("{oops")));
        assert_eq!(cell_value("hello, world"), Some(json!("hello, world")));
    }
}
