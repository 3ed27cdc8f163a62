//! The import formats, one line (or CSV row) at a time: JSONL nodes and edges, vertex and
//! edge lists, CSV with a header. Each parser returns a record, `None` for a blank or comment
//! line, or why the line is bad (the caller adds the file and line number).

use std::collections::BTreeMap;
use std::path::Path;

use pagegraph::{DATA_SIZE_MAX, LABEL_SIZE_MAX, NAME_SIZE_MAX};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{ImportError, Result};
use crate::idmap::ExtId;
use crate::input::{LINE_MAX, clip};

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

/// A JSONL line's fields, each as its JSON text.
type Fields<'a> = BTreeMap<String, &'a RawValue>;

/// An external id from a JSON field: a non-empty string, or a number kept as written (two
/// numbers are the same id only if they are written the same).
fn ext_from_json(field: &str, v: Option<&RawValue>) -> Result<ExtId, String> {
    let Some(raw) = v else {
        return Err(format!("missing field {field:?}"));
    };
    let t = raw.get();
    if t.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Ok(ExtId::parse(t));
    }
    match serde_json::from_str::<String>(t) {
        Ok(s) if !s.is_empty() => Ok(ExtId::parse(&s)),
        _ => Err(format!(
            "field {field:?} must be a non-empty string or a number"
        )),
    }
}

fn string_field(m: &mut Fields<'_>, field: &str, max: usize) -> Result<Option<String>, String> {
    let Some(raw) = m.remove(field) else {
        return Ok(None);
    };
    match serde_json::from_str::<String>(raw.get()) {
        Ok(s) if s.len() > max => Err(format!(
            "field {field:?} is {} bytes, more than the {max} allowed",
            s.len()
        )),
        Ok(s) => Ok(Some(s)),
        Err(_) => Err(format!("field {field:?} must be a string")),
    }
}

fn label_field(m: &mut Fields<'_>, field: &str) -> Result<String, String> {
    match string_field(m, field, LABEL_SIZE_MAX)? {
        Some(s) if !s.is_empty() => Ok(s),
        Some(_) => Err(format!("field {field:?} must not be empty")),
        None => Err(format!("missing field {field:?}")),
    }
}

fn json_object(line: &str) -> Result<Option<Fields<'_>>, String> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Fields<'_>>(t) {
        Ok(m) => Ok(Some(m)),
        Err(e) => match serde_json::from_str::<&RawValue>(t) {
            Ok(_) => Err("expected a JSON object".into()),
            Err(_) => Err(format!("invalid JSON: {e}")),
        },
    }
}

/// The sign, significant digits and exponent of a decimal number's text (`-1.50e2` is
/// `(true, "15", 1)`); zero is `(false, "", 0)`. `None` for an exponent out of range.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (neg, t) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let mut exp = exp.checked_sub(i64::try_from(frac.len()).ok()?)?;
    let digits = digits.trim_start_matches('0');
    let trimmed = digits.trim_end_matches('0');
    exp = exp.checked_add(i64::try_from(digits.len() - trimmed.len()).ok()?)?;
    if trimmed.is_empty() {
        return Some((false, String::new(), 0));
    }
    Some((neg, trimmed.to_string(), exp))
}

/// Whether the JSON number `text` is read exactly: as an integer, or as a float that
/// prints back as the same number (so `0.1` and `1e5` are, and a 30-digit integer, which
/// a float would round, is not).
fn exact_number(text: &str) -> bool {
    let Ok(n) = serde_json::from_str::<serde_json::Number>(text) else {
        return false;
    };
    if n.is_u64() || n.is_i64() {
        return true;
    }
    n.as_f64()
        .is_some_and(|f| decimal(text).is_some() && decimal(text) == decimal(&format!("{f:e}")))
}

/// Checks that every number in valid JSON text is read exactly (see [`exact_number`]).
fn check_numbers(json: &str) -> Result<(), String> {
    let b = json.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let n = &json[start..i];
                if !exact_number(n) {
                    return Err(format!(
                        "the number {} cannot be stored exactly (a float would round it); write it as a string",
                        clip(n)
                    ));
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Parses JSON text whose numbers must all be kept exactly: an error (never a silently
/// rounded value) for one that a float would round.
pub fn exact_json(text: &str) -> Result<Value, String> {
    let v = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    check_numbers(text)?;
    Ok(v)
}

fn data_field(m: &mut Fields<'_>, line_len: usize) -> Result<Value, String> {
    let Some(raw) = m.remove("data") else {
        return Ok(Value::Null);
    };
    let data = exact_json(raw.get()).map_err(|e| format!("field \"data\": {e}"))?;
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

fn no_other_fields(m: &Fields<'_>, expected: &str) -> Result<(), String> {
    match m.keys().next() {
        Some(k) => Err(format!("unknown field {:?} (expected {expected})", clip(k))),
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
                .map_err(|_| format!("weight {:?} is not a number", clip(w)))?;
            if !exact_number(w) {
                return Err(format!(
                    "weight {} cannot be stored exactly (a float would round it)",
                    clip(w)
                ));
            }
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

/// The reader under a CSV parser.
pub type CsvSource = CsvGuard<Box<dyn std::io::BufRead + Send>>;

/// How a CSV file is written: its delimiter, quote and escape characters, and the
/// separator of array elements within a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvDialect {
    /// The field delimiter (`,` by default; LDBC's files use `|`).
    pub delimiter: u8,
    /// The quote character (`"` by default); `None` reads quotes as ordinary text.
    pub quote: Option<u8>,
    /// The escape character inside quoted fields (such as `\`); `None` (the default)
    /// escapes a quote by doubling it.
    pub escape: Option<u8>,
    /// What separates the elements of an array cell (`name:STRING[]`); `;` by default.
    pub array_delimiter: char,
}

impl Default for CsvDialect {
    fn default() -> Self {
        CsvDialect {
            delimiter: b',',
            quote: Some(b'"'),
            escape: None,
            array_delimiter: ';',
        }
    }
}

/// A CSV reader whose first record is the header (read with [`CsvHeader::read`]), its
/// input watched by a [`CsvGuard`].
pub fn csv_reader(reader: Box<dyn std::io::BufRead + Send>) -> csv::Reader<CsvSource> {
    csv_reader_with(reader, CsvDialect::default())
}

/// A CSV reader of `dialect` that reads every record (a header row included) as a record,
/// its input watched by a [`CsvGuard`].
pub fn csv_reader_with(
    reader: Box<dyn std::io::BufRead + Send>,
    dialect: CsvDialect,
) -> csv::Reader<CsvSource> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .delimiter(dialect.delimiter)
        .quote(dialect.quote.unwrap_or(b'"'))
        .quoting(dialect.quote.is_some())
        .escape(dialect.escape.filter(|&e| Some(e) != dialect.quote))
        .from_reader(CsvGuard::new(reader, dialect))
}

/// Where the bytes under a [`CsvGuard`] stand.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// At the start of a field.
    FieldStart,
    /// In a field that did not start with a quote.
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// Just after a quote in a quoted field: its end, or the first of two.
    QuoteInQuoted,
    /// Just after the escape character in a quoted field: the next byte is literal.
    EscapeInQuoted,
}

/// Why a [`CsvGuard`] stopped the input, and on which line.
#[derive(Debug)]
pub struct CsvStop {
    /// The line (1-based) at fault.
    pub line: u64,
    /// What is wrong there.
    pub what: String,
}

impl std::fmt::Display for CsvStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

impl std::error::Error for CsvStop {}

/// Follows the quoting of the bytes a CSV parser reads (as the `csv` crate's defaults
/// parse them) and fails the read, with a [`CsvStop`], on a record longer than
/// [`LINE_MAX`] (so the parser's memory stays bounded) and at the end of a file that ends
/// inside a quoted field (which the parser would silently close, having swallowed the rest
/// of the file into that field).
pub struct CsvGuard<R> {
    inner: R,
    /// The delimiter, quote (if quoting) and escape (if any) the parser uses.
    delimiter: u8,
    quote: Option<u8>,
    escape: Option<u8>,
    state: Quoting,
    /// The line being read (1-based).
    line: u64,
    /// Where the record being read started, and its bytes so far.
    record_line: u64,
    record_len: usize,
    /// Where the open quoted field started.
    quote_line: u64,
}

impl<R> CsvGuard<R> {
    fn new(inner: R, dialect: CsvDialect) -> CsvGuard<R> {
        CsvGuard {
            inner,
            delimiter: dialect.delimiter,
            quote: dialect.quote,
            // An escape that is the quote is the default doubling.
            escape: dialect.escape.filter(|&e| Some(e) != dialect.quote),
            state: Quoting::FieldStart,
            line: 1,
            record_line: 1,
            record_len: 0,
            quote_line: 0,
        }
    }

    fn stop(line: u64, what: String) -> std::io::Error {
        std::io::Error::other(CsvStop { line, what })
    }
}

impl<R: std::io::Read> std::io::Read for CsvGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && matches!(self.state, Quoting::Quoted | Quoting::EscapeInQuoted) {
            return Err(Self::stop(
                self.quote_line,
                "a quoted field starts here and is never closed".into(),
            ));
        }
        for &b in &buf[..n] {
            self.record_len += 1;
            let quote = Some(b) == self.quote;
            self.state = match (self.state, b) {
                (Quoting::Quoted, _) if Some(b) == self.escape => Quoting::EscapeInQuoted,
                (Quoting::Quoted, _) if quote => Quoting::QuoteInQuoted,
                // Inside quotes, an escaped byte, and the second of two quotes (one quote in
                // the field).
                (Quoting::Quoted | Quoting::EscapeInQuoted, _) => Quoting::Quoted,
                (Quoting::QuoteInQuoted, _) if quote => Quoting::Quoted,
                (Quoting::FieldStart, _) if quote => {
                    self.quote_line = self.line;
                    Quoting::Quoted
                }
                (_, _) if b == self.delimiter => Quoting::FieldStart,
                (_, b'\n' | b'\r') => {
                    self.record_len = 0;
                    self.record_line = self.line + u64::from(b == b'\n');
                    Quoting::FieldStart
                }
                _ => Quoting::Unquoted,
            };
            if b == b'\n' {
                self.line += 1;
            }
        }
        if self.record_len > LINE_MAX {
            return Err(Self::stop(
                self.record_line,
                format!(
                    "record longer than {} MiB (the longest record an import reads)",
                    LINE_MAX >> 20
                ),
            ));
        }
        Ok(n)
    }
}

/// The [`CsvStop`] inside a CSV error, if a [`CsvGuard`] stopped the input.
pub fn csv_stop(e: &csv::Error) -> Option<&CsvStop> {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.get_ref().and_then(|e| e.downcast_ref::<CsvStop>()),
        _ => None,
    }
}

/// A CSV cell as a JSON value: a number written as the number prints (`12`, `2.5`) is
/// that number, `true`/`false` are booleans, cells holding a JSON object or array (whose
/// numbers are all kept exactly) are that value, anything else is a string (`1e5`, `007`,
/// `1.50`, a 23-digit number); an empty cell is no value. No cell's value changes.
pub fn cell_value(s: &str) -> Option<Value> {
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<serde_json::Number>()
        && n.to_string() == s
    {
        return Some(Value::Number(n));
    }
    match s {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    if (s.starts_with('{') || s.starts_with('['))
        && let Ok(v) = exact_json(s)
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

/// What a CSV column's name starts with when it holds a data field whose name is taken by
/// a fixed column (`data:id` holds the field `id`) or starts with this itself.
pub const DATA_COLUMN_PREFIX: &str = "data:";

/// The data field a CSV column other than the fixed ones and [`DATA_JSON_COLUMN`] holds.
pub fn data_field_of(column: &str) -> &str {
    column.strip_prefix(DATA_COLUMN_PREFIX).unwrap_or(column)
}

impl CsvHeader {
    /// Reads the header row; fails naming a missing required column.
    pub fn read(
        csv: &mut csv::Reader<CsvSource>,
        path: &Path,
        required: &[&str],
        optional: &[&str],
    ) -> Result<CsvHeader> {
        let mut header = csv::StringRecord::new();
        let found = match csv.read_record(&mut header) {
            Ok(found) => found,
            Err(e) => match csv_stop(&e) {
                Some(stop) => return Err(ImportError::line(path, stop.line, &stop.what)),
                None => {
                    return Err(ImportError::line(
                        path,
                        1,
                        format!("cannot read the header row: {e}"),
                    ));
                }
            },
        };
        if !found {
            return Err(ImportError::file(
                path,
                "empty file (a header row is needed)",
            ));
        }
        let names: Vec<&str> = header.iter().map(str::trim).collect();
        let find = |c: &str| names.iter().position(|n| *n == c);
        let mut req = Vec::new();
        for c in required {
            match find(c) {
                Some(i) => req.push(i),
                None => {
                    return Err(ImportError::line(
                        path,
                        1,
                        format!(
                            "the header has no {c:?} column (found: {})",
                            clip(&names.join(","))
                        ),
                    ));
                }
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
        for (_, n) in &mut data {
            if n != DATA_JSON_COLUMN {
                *n = data_field_of(n).to_string();
            }
        }
        if data_json.is_some() {
            if data.len() > 1 {
                return Err(ImportError::line(
                    path,
                    1,
                    format!(
                        "a {DATA_JSON_COLUMN:?} column holds the whole data, so it cannot go with other data columns"
                    ),
                ));
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
        assert_eq!(cell_value("2.5"), Some(json!(2.5)));
        assert_eq!(cell_value("-7"), Some(json!(-7)));
        assert_eq!(cell_value("007"), Some(json!("007")));
        assert_eq!(cell_value("true"), Some(json!(true)));
        assert_eq!(cell_value("[1,2]"), Some(json!([1, 2])));
        assert_eq!(cell_value("{oops"), Some(json!("{oops")));
        assert_eq!(cell_value("hello, world"), Some(json!("hello, world")));
    }

    #[test]
    fn no_csv_cell_changes_its_value() {
        // Text that a number would print differently stays text.
        for s in [
            "1e5",
            "-1.5e3",
            "1.50",
            "12345678901234567890123",
            "123456789012345678901234567890",
            "1E400",
            "-0",
            "0.0000000000000000000000000000001234567890123456789",
        ] {
            assert_eq!(cell_value(s), Some(json!(s)), "{s}");
        }
        // Up to u64::MAX an integer is exact.
        assert_eq!(
            cell_value("18446744073709551615"),
            Some(json!(18_446_744_073_709_551_615_u64))
        );
        // JSON in a cell is taken only when its numbers are exact.
        assert_eq!(cell_value("[1e5, 2]"), Some(json!([100_000.0, 2])));
        assert_eq!(
            cell_value("[123456789012345678901234567890]"),
            Some(json!("[123456789012345678901234567890]"))
        );
    }

    #[test]
    fn numbers_are_kept_exactly_or_refused() {
        for ok in [
            "0",
            "-0",
            "1",
            "-9223372036854775808",
            "18446744073709551615",
            "0.1",
            "2.5e-3",
            "1e5",
            "1E+5",
            "100000000000000000000",
            "3.6e6",
            "-1.5",
            "1.7976931348623157e308",
            "5e-324",
        ] {
            assert!(exact_number(ok), "{ok}");
        }
        for bad in [
            "123456789012345678901234567890",
            "18446744073709551617",
            "-9223372036854775809",
            "0.30000000000000000000000001",
            "1e-400",
            "9007199254740993.0",
        ] {
            assert!(!exact_number(bad), "{bad}");
        }
        // 2^53 + 1 is a u64, exact as an integer (as a float above, it rounds).
        assert!(exact_number("9007199254740993"));
        assert_eq!(
            exact_json(r#"{"a": [1, {"b": "123456789012345678901234567890"}], "c": -2.5}"#),
            Ok(json!({"a": [1, {"b": "123456789012345678901234567890"}], "c": -2.5}))
        );
        let err = exact_json(r#"{"a\"1": 123456789012345678901234567890}"#).unwrap_err();
        assert!(
            err.contains("123456789012345678901234567890 cannot be stored exactly"),
            "{err}"
        );
        assert_eq!(decimal("-1.50e2"), Some((true, "15".to_string(), 1)));
        assert_eq!(decimal("0.000"), Some((false, String::new(), 0)));
    }

    #[test]
    fn jsonl_ids_keep_their_exact_text_and_data_numbers_their_value() {
        let a = parse_jsonl_node(r#"{"id": 123456789012345678901234567890, "kind": "K"}"#)
            .unwrap()
            .unwrap();
        let b = parse_jsonl_node(r#"{"id": 123456789012345678901234567891, "kind": "K"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(a.ext, ExtId::Text("123456789012345678901234567890".into()));
        assert_ne!(a.ext, b.ext);
        let e = parse_jsonl_edge(r#"{"from": 1e2, "to": -0.50, "type": "T"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (e.from, e.to),
            (ExtId::Text("1e2".into()), ExtId::Text("-0.50".into()))
        );
        let err = parse_jsonl_node(
            r#"{"id": 1, "kind": "K", "data": {"big": 123456789012345678901234567890}}"#,
        )
        .unwrap_err();
        assert!(
            err.starts_with("field \"data\": the number 123456789012345678901234567890"),
            "{err}"
        );
        let err = parse_edgelist("1 2 123456789012345678901234567890").unwrap_err();
        assert!(err.contains("cannot be stored exactly"), "{err}");
    }
}
