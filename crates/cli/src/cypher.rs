//! `pagegraph query`: Cypher statements, one given or a `;`-separated script, with
//! parameters; results as a table, JSON or CSV.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use pagegraph::{Graph, Options, PropertyValue};
use pagegraph_query::eval::GraphRead;
use pagegraph_query::{QueryResult, QueryStats, Value};
use serde_json::{Map, json};

/// Arguments of `pagegraph query`.
#[derive(Args)]
pub struct QueryArgs {
    /// The database (created by a writing statement if it does not exist).
    pub db: PathBuf,
    /// The statement; or use -f.
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    pub text: Option<String>,
    /// Run the `;`-separated statements of a file, each in its own transaction.
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    /// A parameter, `name=value` (the value as JSON when it parses, else a string); repeat
    /// for more.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Print rows as CSV (header, then one line per row), each written as it is produced:
    /// a result of any size streams through bounded memory.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// With --json: print one JSON document (accepted here as well as before the command).
    #[arg(long)]
    pub json: bool,
    /// The most memory each statement may hold in rows it sorts, groups, deduplicates or
    /// returns (bytes, or with a K, M or G suffix); past it the statement fails with an
    /// error naming the limit. Default: half of the machine's memory.
    #[arg(long, value_name = "SIZE", value_parser = crate::parse_size)]
    pub memory_limit: Option<usize>,
}

/// An error whose text has several lines (a syntax error with its caret), printed as is.
#[derive(Debug)]
pub struct Multiline(pub String);

impl std::fmt::Display for Multiline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Multiline {}

pub(crate) fn query_error(e: pagegraph_query::QueryError) -> anyhow::Error {
    match e {
        pagegraph_query::QueryError::Syntax(s) => Multiline(s.to_string()).into(),
        other => other.into(),
    }
}

fn params(list: &[String]) -> Result<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for p in list {
        let Some((name, raw)) = p.split_once('=') else {
            bail!("--param {p}: expected NAME=VALUE");
        };
        let v = param_value(raw).with_context(|| format!("--param {name}"))?;
        out.insert(name.to_string(), v);
    }
    Ok(out)
}

/// A parameter's value from its text: JSON when it parses (`42`, `[1, 2]`, `"a b"`), else
/// the text itself as a string.
pub fn param_value(raw: &str) -> Result<Value> {
    let json: serde_json::Value =
        serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.into()));
    Ok(Value::from(PropertyValue::from_json(&json)?))
}

/// Runs the command.
pub fn run(
    a: &QueryArgs,
    json_out: bool,
    open: impl Fn(&Path, Options) -> Result<Graph>,
) -> Result<()> {
    let json_out = json_out || a.json;
    let text = match (&a.text, &a.file) {
        (Some(t), _) => t.clone(),
        (None, Some(f)) => {
            std::fs::read_to_string(f).with_context(|| format!("{}", f.display()))?
        }
        (None, None) => bail!("give a statement or -f FILE"),
    };
    let statements = pagegraph_query::parse_script(&text).map_err(|e| Multiline(e.to_string()))?;
    if statements.is_empty() {
        bail!("no statement to run");
    }
    let writes = statements.iter().any(pagegraph_query::is_write);
    let graph = if writes {
        open(&a.db, Options::default())?
    } else {
        open(
            &a.db,
            Options {
                read_only: true,
                create: false,
                ..Options::default()
            },
        )?
    };
    let params = params(&a.params)?;
    let options = pagegraph_query::QueryOptions {
        cancel: None,
        memory_limit: a.memory_limit,
        columnar: false,
        ..Default::default()
    };
    if a.csv && !json_out {
        // CSV streams: each statement's rows are written as they are produced.
        let mut out = std::io::stdout().lock();
        for statement in statements {
            let statement = pagegraph_query::prepare(statement).map_err(query_error)?;
            let mut sink = CsvSink {
                w: csv::Writer::from_writer(&mut out),
            };
            let stats = pagegraph_query::execute_streaming(
                &graph, &statement, &params, &options, &mut sink,
            )
            .map_err(query_error)?;
            sink.w.flush()?;
            drop(sink);
            let summary = stats_text(&stats);
            if !summary.is_empty() {
                eprintln!("{summary}");
            }
        }
        out.flush()?;
        graph.close()?;
        return Ok(());
    }
    let results =
        pagegraph_query::execute_script(&graph, &text, &params, &options).map_err(query_error)?;
    let snapshot = graph.begin_read()?;
    let mut out = std::io::stdout().lock();
    if json_out {
        let docs: Vec<serde_json::Value> =
            results.iter().map(|r| result_json(r, &snapshot)).collect();
        let doc = if docs.len() == 1 {
            docs.into_iter().next().unwrap_or_default()
        } else {
            serde_json::Value::Array(docs)
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        for r in &results {
            if a.csv {
                write_csv(&mut out, r, &snapshot)?;
            } else {
                write_table(&mut out, r, &snapshot, None)?;
            }
            let summary = stats_text(&r.stats);
            if !summary.is_empty() {
                eprintln!("{summary}");
            }
        }
    }
    out.flush()?;
    drop(snapshot);
    graph.close()?;
    Ok(())
}

fn stats_json(s: &QueryStats) -> serde_json::Value {
    json!({
        "nodes_created": s.nodes_created, "nodes_deleted": s.nodes_deleted,
        "relationships_created": s.rels_created, "relationships_deleted": s.rels_deleted,
        "labels_added": s.labels_added, "labels_removed": s.labels_removed,
        "properties_set": s.props_set, "properties_removed": s.props_removed,
    })
}

/// What a statement wrote, as text (`2 nodes created, 1 relationships created`); empty when
/// it wrote nothing.
pub fn stats_text(s: &QueryStats) -> String {
    let parts: Vec<String> = [
        (s.nodes_created, "nodes created"),
        (s.nodes_deleted, "nodes deleted"),
        (s.rels_created, "relationships created"),
        (s.rels_deleted, "relationships deleted"),
        (s.labels_added, "labels added"),
        (s.labels_removed, "labels removed"),
        (s.props_set, "properties set"),
        (s.props_removed, "properties removed"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    parts.join(", ")
}

/// A value as JSON; nodes and relationships as Kùzu shapes them (`_id`, `_label`,
/// properties; `_src`, `_dst`), paths as their nodes and relationships.
fn to_json(v: &Value, r: &dyn GraphRead) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or_else(|| json!(f.to_string()), serde_json::Value::Number),
        Value::String(s) => json!(s),
        // A temporal value as its ISO 8601 text.
        Value::Temporal(t) => json!(t.to_string()),
        Value::List(items) => {
            serde_json::Value::Array(items.iter().map(|i| to_json(i, r)).collect())
        }
        Value::Map(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v, r))).collect())
        }
        Value::Node(id) => {
            let mut m = Map::new();
            m.insert("_id".into(), json!(id.0));
            if let Ok(Some(n)) = r.node(*id) {
                m.insert("_label".into(), json!(n.labels.first()));
                m.insert("_labels".into(), json!(n.labels));
                for (k, p) in n.properties {
                    m.insert(k, to_json(&Value::from(p), r));
                }
            }
            serde_json::Value::Object(m)
        }
        Value::Rel(id) => {
            let mut m = Map::new();
            m.insert("_id".into(), json!(id.0));
            if let Ok(Some(e)) = r.rel(*id) {
                m.insert("_label".into(), json!(e.edge_type));
                m.insert("_src".into(), json!(e.from.0));
                m.insert("_dst".into(), json!(e.to.0));
                for (k, p) in e.properties {
                    m.insert(k, to_json(&Value::from(p), r));
                }
            }
            serde_json::Value::Object(m)
        }
        Value::Path(p) => json!({
            "_nodes": p.nodes.iter().map(|n| to_json(&Value::Node(*n), r)).collect::<Vec<_>>(),
            "_rels": p.rels.iter().map(|e| to_json(&Value::Rel(*e), r)).collect::<Vec<_>>(),
        }),
    }
}

/// A value as text: Cypher literal syntax, nodes as `(:Label {k: v})`.
pub fn to_text(v: &Value, r: &dyn GraphRead) -> String {
    let props = |p: &pagegraph::Properties| -> String {
        if p.is_empty() {
            return String::new();
        }
        let inner: Vec<String> = p
            .iter()
            .map(|(k, v)| format!("{k}: {}", to_text(&Value::from(v.clone()), r)))
            .collect();
        format!(" {{{}}}", inner.join(", "))
    };
    match v {
        Value::Null => "null".into(),
        Value::Temporal(t) => t.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => {
            let s = format!("{f:?}");
            if s.contains(['.', 'e', 'N', 'i']) {
                s
            } else {
                format!("{s}.0")
            }
        }
        Value::String(s) => {
            let mut out = String::from("'");
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("\\'"),
                    c => push_escaped(&mut out, c),
                }
            }
            out.push('\'');
            out
        }
        Value::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| to_text(i, r))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}: {}", to_text(v, r)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Node(id) => match r.node(*id) {
            Ok(Some(n)) => {
                let labels: String = n.labels.iter().fold(String::new(), |mut s, l| {
                    s.push(':');
                    s.push_str(l);
                    s
                });
                format!("({labels}{})", props(&n.properties))
            }
            _ => format!("(#{})", id.0),
        },
        Value::Rel(id) => match r.rel(*id) {
            Ok(Some(e)) => format!("[:{}{}]", e.edge_type, props(&e.properties)),
            _ => format!("[#{}]", id.0),
        },
        Value::Path(p) => {
            let mut s = String::from("<");
            for (i, n) in p.nodes.iter().enumerate() {
                if i > 0 {
                    s.push_str(&format!("-{}->", to_text(&Value::Rel(p.rels[i - 1]), r)));
                }
                s.push_str(&to_text(&Value::Node(*n), r));
            }
            s.push('>');
            s
        }
    }
}

/// A result as one JSON document: `{"columns", "rows": [{column: value}...], "stats"}`.
pub fn result_json(q: &QueryResult, r: &dyn GraphRead) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = q
        .rows
        .iter()
        .map(|row| {
            let mut m = Map::new();
            for (c, v) in q.columns.iter().zip(row) {
                m.insert(c.clone(), to_json(v, r));
            }
            serde_json::Value::Object(m)
        })
        .collect();
    json!({"columns": q.columns, "rows": rows, "stats": stats_json(&q.stats)})
}

/// Widest a column grows when the table has no width to fit.
const COLUMN_MAX: usize = 80;
/// Narrowest a column is cut to when the table must fit a width.
const COLUMN_MIN: usize = 4;

/// Column widths that fit a table in `max` characters: the widest columns are cut to one
/// width, as large as fits (no narrower than [`COLUMN_MIN`], so a table of very many columns
/// may still overflow), the first of them a character wider where that fills the width, and
/// narrower ones keep theirs. Without `max`, each column is cut at
/// [`COLUMN_MAX`].
fn fit_widths(natural: &[usize], max: Option<usize>) -> Vec<usize> {
    let Some(max) = max else {
        return natural.iter().map(|w| (*w).min(COLUMN_MAX)).collect();
    };
    let separators = 3 * natural.len().saturating_sub(1);
    let total =
        |cap: usize| -> usize { natural.iter().map(|w| (*w).min(cap)).sum::<usize>() + separators };
    let widest = natural.iter().copied().max().unwrap_or(0);
    let mut cap = widest;
    while cap > COLUMN_MIN && total(cap) > max {
        cap -= 1;
    }
    let mut widths: Vec<usize> = natural.iter().map(|w| (*w).min(cap)).collect();
    // The width left over goes, a character each, to the columns that were cut.
    let mut spare = max.saturating_sub(total(cap));
    for (w, n) in widths.iter_mut().zip(natural) {
        if spare > 0 && *w < *n {
            *w += 1;
            spare -= 1;
        }
    }
    widths
}

/// `text` in exactly `width` columns of the terminal: cut with an ellipsis, or padded.
fn fit_cell(text: &str, width: usize) -> String {
    let n = console::measure_text_width(text);
    if n > width {
        console::truncate_str(text, width, "…").into_owned()
    } else {
        format!("{text}{}", " ".repeat(width - n))
    }
}

/// Prints a result as a table: a header, a rule, one line per row and the row count. Cells
/// longer than their column end with an ellipsis; `max_width` is the width the table must
/// fit (the terminal's), else each column is cut at 80 characters.
pub fn write_table(
    out: &mut impl Write,
    q: &QueryResult,
    r: &dyn GraphRead,
    max_width: Option<usize>,
) -> Result<()> {
    if q.columns.is_empty() {
        return Ok(());
    }
    let cells: Vec<Vec<String>> = q
        .rows
        .iter()
        .map(|row| row.iter().map(|v| to_text(v, r)).collect())
        .collect();
    let header: Vec<String> = q.columns.iter().map(|c| printable(c)).collect();
    let mut natural: Vec<usize> = header
        .iter()
        .map(|c| console::measure_text_width(c))
        .collect();
    for row in &cells {
        for (w, c) in natural.iter_mut().zip(row) {
            *w = (*w).max(console::measure_text_width(c));
        }
    }
    let widths = fit_widths(&natural, max_width);
    let line = |out: &mut dyn Write, cells: &[String]| -> std::io::Result<()> {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| fit_cell(c, *w))
            .collect();
        writeln!(out, "{}", parts.join(" | ").trim_end())
    };
    line(out, &header)?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-")
    )?;
    for row in &cells {
        line(out, row)?;
    }
    writeln!(
        out,
        "({} row{})",
        q.rows.len(),
        if q.rows.len() == 1 { "" } else { "s" }
    )?;
    Ok(())
}

/// A name with its control characters escaped, to print on one line.
fn printable(text: &str) -> String {
    text.chars().fold(String::new(), |mut s, c| {
        push_escaped(&mut s, c);
        s
    })
}

/// Pushes `c`, escaped if it is a control character (`\n`, `\t`, `\r`, else `\uXXXX`).
fn push_escaped(s: &mut String, c: char) {
    match c {
        '\n' => s.push_str("\\n"),
        '\t' => s.push_str("\\t"),
        '\r' => s.push_str("\\r"),
        c if c.is_control() => s.push_str(&format!("\\u{:04X}", u32::from(c))),
        c => s.push(c),
    }
}

/// Prints a result as CSV: a header, then one record per row (strings as they are, other
/// values as in a table).
pub fn write_csv(out: &mut impl Write, q: &QueryResult, r: &dyn GraphRead) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(&q.columns)?;
    for row in &q.rows {
        w.write_record(row.iter().map(|v| csv_field(v, r)))?;
    }
    w.flush()?;
    Ok(())
}

/// A value as a CSV field: a string as it is, anything else as its text.
fn csv_field(v: &Value, r: &dyn GraphRead) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => to_text(other, r),
    }
}

/// Writes a streamed statement's rows as CSV as they come (see [`write_csv`]).
struct CsvSink<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> pagegraph_query::RowSink for CsvSink<W> {
    fn columns(&mut self, columns: &[String], _: &dyn GraphRead) -> pagegraph_query::Result<()> {
        self.w.write_record(columns).map_err(sink_error)
    }

    fn row(&mut self, row: Vec<Value>, g: &dyn GraphRead) -> pagegraph_query::Result<()> {
        self.w
            .write_record(row.iter().map(|v| csv_field(v, g)))
            .map_err(sink_error)
    }
}

/// A failed write of streamed output (a closed pipe, a full disk), as the error that
/// stops the statement.
fn sink_error(e: csv::Error) -> pagegraph_query::QueryError {
    pagegraph_query::QueryError::Sink(format!("writing the output: {e}"))
}

#[cfg(test)]
mod tests {
    use super::fit_widths;

    #[test]
    fn tables_fit_a_width_by_cutting_the_widest_columns() {
        // 6 characters of separators; 34 left: the two wide columns cut to 16 and 15.
        assert_eq!(fit_widths(&[3, 50, 20], Some(40)), [3, 16, 15]);
        // A table that fits is left alone.
        assert_eq!(fit_widths(&[3, 5], Some(40)), [3, 5]);
        // Too many columns: none narrower than 4, whatever the width.
        assert_eq!(fit_widths(&[30; 20], Some(40)), [4; 20]);
        // No width: each column at most 80.
        assert_eq!(fit_widths(&[100, 2], None), [80, 2]);
    }
}
