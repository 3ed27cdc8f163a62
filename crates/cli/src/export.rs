//! `pagegraph export`: the whole graph as JSONL or CSV (files `import` reads back), GraphML
//! or Graphviz DOT. Node ids are written as the external ids, so exporting a graph without
//! deleted nodes and importing it into an empty database gives the same ids.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use indicatif::ProgressBar;
use pagegraph::{Edge, Node, ReadTxn};
use serde_json::{Value, json};

use crate::parse::cell_value;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `nodes.jsonl` and `edges.jsonl` (or both, nodes first, on stdout).
    Jsonl,
    /// `nodes.csv` and `edges.csv` in the `--out` directory; data fields become columns.
    Csv,
    /// One GraphML document; data is kept as JSON text.
    Graphml,
    /// One Graphviz `digraph`.
    Dot,
}

/// What an export wrote.
#[derive(Debug, Default)]
pub struct Written {
    /// Nodes written.
    pub nodes: u64,
    /// Edges written.
    pub edges: u64,
    /// Files written (empty for stdout).
    pub files: Vec<PathBuf>,
    /// CSV cells whose string reads back as another type (a number, say).
    pub lossy_cells: u64,
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    let f = File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 16, f))
}

/// Exports the snapshot `r` in `format` to `out` (a directory for JSONL and CSV, a file
/// otherwise) or to stdout.
pub fn run(
    r: &ReadTxn,
    format: ExportFormat,
    out: Option<&Path>,
    pb: &ProgressBar,
) -> Result<Written> {
    let mut w = Written::default();
    match (format, out) {
        (ExportFormat::Jsonl | ExportFormat::Csv, Some(dir)) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the directory", dir.display()))?;
            let ext = if format == ExportFormat::Jsonl {
                "jsonl"
            } else {
                "csv"
            };
            let (np, ep) = (
                dir.join(format!("nodes.{ext}")),
                dir.join(format!("edges.{ext}")),
            );
            let (mut nf, mut ef) = (create(&np)?, create(&ep)?);
            if format == ExportFormat::Jsonl {
                jsonl_nodes(r, &mut nf, &mut w, pb)?;
                jsonl_edges(r, &mut ef, &mut w, pb)?;
            } else {
                csv_nodes(r, &mut nf, &mut w, pb)?;
                csv_edges(r, &mut ef, &mut w, pb)?;
            }
            nf.flush()
                .with_context(|| format!("{}: write failed", np.display()))?;
            ef.flush()
                .with_context(|| format!("{}: write failed", ep.display()))?;
            w.files = vec![np, ep];
        }
        (ExportFormat::Csv, None) => {
            bail!("CSV export writes two files (nodes.csv, edges.csv): give --out DIR")
        }
        (ExportFormat::Jsonl, None) => {
            let mut s = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            jsonl_nodes(r, &mut s, &mut w, pb)?;
            jsonl_edges(r, &mut s, &mut w, pb)?;
            s.flush()?;
        }
        (f, Some(path)) => {
            let mut file = create(path)?;
            single_file(r, f, &mut file, &mut w, pb)?;
            file.flush()
                .with_context(|| format!("{}: write failed", path.display()))?;
            w.files = vec![path.to_path_buf()];
        }
        (f, None) => {
            let mut s = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            single_file(r, f, &mut s, &mut w, pb)?;
            s.flush()?;
        }
    }
    Ok(w)
}

fn single_file(
    r: &ReadTxn,
    f: ExportFormat,
    out: &mut impl Write,
    w: &mut Written,
    pb: &ProgressBar,
) -> Result<()> {
    if f == ExportFormat::Graphml {
        graphml(r, out, w, pb)
    } else {
        dot(r, out, w, pb)
    }
}

fn jsonl_nodes(r: &ReadTxn, out: &mut impl Write, w: &mut Written, pb: &ProgressBar) -> Result<()> {
    for n in r.nodes() {
        let n = n?;
        let line = json!({"id": n.id.0, "kind": n.kind, "name": n.name, "data": n.data});
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
        w.nodes += 1;
        pb.inc(1);
    }
    Ok(())
}

fn jsonl_edges(r: &ReadTxn, out: &mut impl Write, w: &mut Written, pb: &ProgressBar) -> Result<()> {
    for e in r.edges() {
        let e = e?;
        let line = json!({"from": e.from.0, "to": e.to.0, "type": e.edge_type, "data": e.data});
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
        w.edges += 1;
        pb.inc(1);
    }
    Ok(())
}

/// The union of the data keys of all items; fails on data that is not an object (or null)
/// or a key that collides with a fixed column.
fn csv_columns<T>(
    items: impl Iterator<Item = pagegraph::Result<T>>,
    data: impl Fn(&T) -> (&Value, String),
    fixed: &[&str],
) -> Result<Vec<String>> {
    let mut keys = BTreeSet::new();
    for item in items {
        let item = item?;
        let (d, what) = data(&item);
        match d {
            Value::Null => {}
            Value::Object(m) => {
                for k in m.keys() {
                    if fixed.contains(&k.as_str()) {
                        bail!(
                            "{what} has a data field {k:?}, which is also a CSV column name; export as jsonl instead"
                        );
                    }
                    keys.insert(k.clone());
                }
            }
            _ => bail!(
                "{what} has data that is not a JSON object, which CSV cannot hold; export as jsonl instead"
            ),
        }
    }
    Ok(keys.into_iter().collect())
}

fn csv_cell(v: Option<&Value>, w: &mut Written) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => {
            if cell_value(s)
                .as_ref()
                .is_some_and(|back| back != &Value::String(s.clone()))
                || s.is_empty()
            {
                w.lossy_cells += 1;
            }
            s.clone()
        }
        Some(other) => other.to_string(),
    }
}

fn csv_nodes(r: &ReadTxn, out: &mut impl Write, w: &mut Written, pb: &ProgressBar) -> Result<()> {
    let fixed = ["id", "kind", "name"];
    let keys = csv_columns(
        r.nodes(),
        |n: &Node| (&n.data, format!("node {}", n.id)),
        &fixed,
    )?;
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(fixed.iter().copied().chain(keys.iter().map(String::as_str)))?;
    for n in r.nodes() {
        let n = n?;
        let mut row = vec![n.id.0.to_string(), n.kind.clone(), n.name.clone()];
        for k in &keys {
            row.push(csv_cell(n.data.get(k), w));
        }
        csv.write_record(&row)?;
        w.nodes += 1;
        pb.inc(1);
    }
    csv.flush()?;
    Ok(())
}

fn csv_edges(r: &ReadTxn, out: &mut impl Write, w: &mut Written, pb: &ProgressBar) -> Result<()> {
    let fixed = ["from", "to", "type"];
    let keys = csv_columns(
        r.edges(),
        |e: &Edge| (&e.data, format!("edge {}", e.id)),
        &fixed,
    )?;
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(fixed.iter().copied().chain(keys.iter().map(String::as_str)))?;
    for e in r.edges() {
        let e = e?;
        let mut row = vec![
            e.from.0.to_string(),
            e.to.0.to_string(),
            e.edge_type.clone(),
        ];
        for k in &keys {
            row.push(csv_cell(e.data.get(k), w));
        }
        csv.write_record(&row)?;
        w.edges += 1;
        pb.inc(1);
    }
    csv.flush()?;
    Ok(())
}

/// Text escaped for XML 1.0; characters XML cannot hold at all become U+FFFD.
fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

fn graphml(r: &ReadTxn, out: &mut impl Write, w: &mut Written, pb: &ProgressBar) -> Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns">"#
    )?;
    for (id, what, name) in [
        ("kind", "node", "kind"),
        ("name", "node", "name"),
        ("ndata", "node", "data"),
        ("type", "edge", "type"),
        ("edata", "edge", "data"),
    ] {
        writeln!(
            out,
            r#"  <key id="{id}" for="{what}" attr.name="{name}" attr.type="string"/>"#
        )?;
    }
    writeln!(out, r#"  <graph id="G" edgedefault="directed">"#)?;
    for n in r.nodes() {
        let n = n?;
        writeln!(
            out,
            r#"    <node id="n{}"><data key="kind">{}</data><data key="name">{}</data><data key="ndata">{}</data></node>"#,
            n.id.0,
            xml(&n.kind),
            xml(&n.name),
            xml(&n.data.to_string())
        )?;
        w.nodes += 1;
        pb.inc(1);
    }
    for e in r.edges() {
        let e = e?;
        writeln!(
            out,
            r#"    <edge id="e{}" source="n{}" target="n{}"><data key="type">{}</data><data key="edata">{}</data></edge>"#,
            e.id.0,
            e.from.0,
            e.to.0,
            xml(&e.edge_type),
            xml(&e.data.to_string())
        )?;
        w.edges += 1;
        pb.inc(1);
    }
    writeln!(out, "  </graph>\n</graphml>")?;
    Ok(())
}

/// A DOT quoted string.
fn dot_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => {}
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn dot(r: &ReadTxn, out: &mut impl Write, w: &mut Written, pb: &ProgressBar) -> Result<()> {
    writeln!(out, "digraph pagegraph {{")?;
    for n in r.nodes() {
        let n = n?;
        writeln!(
            out,
            "  n{} [label={} kind={}];",
            n.id.0,
            dot_str(&n.name),
            dot_str(&n.kind)
        )?;
        w.nodes += 1;
        pb.inc(1);
    }
    for e in r.edges() {
        let e = e?;
        writeln!(
            out,
            "  n{} -> n{} [label={} id={}];",
            e.from.0,
            e.to.0,
            dot_str(&e.edge_type),
            e.id.0
        )?;
        w.edges += 1;
        pb.inc(1);
    }
    writeln!(out, "}}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            xml("a<b>&\"c'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{fffd}"
        );
        assert_eq!(dot_str("say \"hi\"\\\n"), r#""say \"hi\"\\\n""#);
    }
}
