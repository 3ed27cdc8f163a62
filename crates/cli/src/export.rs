//! `pagegraph export`: the whole graph as JSONL or CSV (files `import` reads back), GraphML
//! or Graphviz DOT. Node ids are written as the external ids, so exporting a graph without
//! deleted nodes and importing it into an empty database gives the same ids.
//!
//! Every file is written under a temporary name in its directory and renamed into place
//! once complete, so a failed export leaves no partial file; no output may be the
//! database, its WAL, or either under another name.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use indicatif::ProgressBar;
use pagegraph::{Edge, EdgeId, Node, NodeId, ReadTxn};
use serde_json::{Value, json};

use pagegraph_import::{DATA_COLUMN_PREFIX, DATA_JSON_COLUMN, Subset, TableFormat, cell_value};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `nodes.jsonl` and `edges.jsonl` (or both, nodes first, on stdout).
    Jsonl,
    /// `nodes.csv` and `edges.csv` in the `--out` directory; data fields become columns.
    Csv,
    /// One GraphML document, one typed attribute per property.
    Graphml,
    /// One Graphviz `digraph`.
    Dot,
    /// Parquet tables in the `--out` directory: `nodes/<label>.parquet` and
    /// `edges/<type>.parquet`, one typed column per property.
    Parquet,
    /// Arrow IPC (Feather v2) tables, laid out as for parquet (`.arrow`).
    Arrow,
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
}

/// An output file being written under a temporary name beside its final path; removed
/// when dropped unless [`Pending::finish`] renamed it into place.
struct Pending {
    temp: PathBuf,
    path: PathBuf,
    out: Option<BufWriter<File>>,
}

impl Pending {
    fn create(path: &Path) -> Result<Pending> {
        let name = path
            .file_name()
            .ok_or_else(|| anyhow::anyhow!("{}: not a file name", path.display()))?;
        let mut temp_name = OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.partial", std::process::id()));
        let temp = path.with_file_name(temp_name);
        let f = File::options()
            .write(true)
            .create_new(true)
            .open(&temp)
            .with_context(|| format!("{}: cannot create", path.display()))?;
        Ok(Pending {
            temp,
            path: path.to_path_buf(),
            out: Some(BufWriter::with_capacity(1 << 16, f)),
        })
    }

    fn writer(&mut self) -> Result<&mut BufWriter<File>> {
        self.out
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("{}: already closed", self.path.display()))
    }

    /// Flushes and syncs the file (the rename comes later, with [`Pending::finish`]).
    fn close(&mut self) -> Result<()> {
        let fail = || format!("{}: write failed", self.path.display());
        if let Some(out) = self.out.take() {
            let f = out
                .into_inner()
                .map_err(io::IntoInnerError::into_error)
                .with_context(fail)?;
            f.sync_all().with_context(fail)?;
        }
        Ok(())
    }

    /// Renames the complete file into place.
    fn finish(mut self) -> Result<PathBuf> {
        self.close()?;
        std::fs::rename(&self.temp, &self.path)
            .with_context(|| format!("{}: cannot rename into place", self.path.display()))?;
        Ok(std::mem::take(&mut self.path))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            self.out = None;
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// `path` with `-wal` appended: the database's write-ahead log.
fn wal_of(db: &Path) -> PathBuf {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

/// Dangling symbolic links followed by [`resolved`] before it gives up (a cycle of links
/// never resolves; Linux itself stops at 40).
const LINKS_FOLLOWED_MAX: usize = 40;

/// `path` made absolute with its directory resolved (the file itself need not exist).
fn resolved(path: &Path) -> Option<PathBuf> {
    resolved_within(path, LINKS_FOLLOWED_MAX)
}

fn resolved_within(path: &Path, links: usize) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    // A symlink whose target does not exist yet: where it points.
    if let Ok(target) = std::fs::read_link(path) {
        let base = path.parent().unwrap_or(Path::new("."));
        return resolved_within(&base.join(target), links.checked_sub(1)?);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.canonicalize().ok()?,
        _ => std::env::current_dir().ok()?,
    };
    Some(parent.join(path.file_name()?))
}

/// Fails if writing `out` would write the database `db` or its WAL: the same name, or the
/// same file under another name (a symlink or hard link: same device and inode). The WAL
/// is the one beside the file `db` resolves to (the engine's), and the one beside `db` as
/// given.
pub fn refuse_database(db: &Path, out: &Path) -> Result<()> {
    let out_meta = std::fs::metadata(out).ok();
    let out_name = resolved(out);
    let real_db = resolved(db).unwrap_or_else(|| db.to_path_buf());
    for (what, p) in [
        ("the database", db.to_path_buf()),
        ("the database's WAL", wal_of(db)),
        ("the database's WAL", wal_of(&real_db)),
    ] {
        let same_file = match (&out_meta, std::fs::metadata(&p)) {
            (Some(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        };
        let same_name = out_name.is_some() && out_name == resolved(&p);
        if same_file || same_name {
            bail!(
                "{}: refusing to write there: it is {what} ({}); choose another output path",
                out.display(),
                p.display()
            );
        }
    }
    // The WAL of any other name of the database file (a hard link): `<x>-wal` where `<x>`
    // is the database under another name. The engine may be using that WAL (its header
    // names it after a crash through that name).
    if let (Some(name), Ok(db_meta)) = (out.file_name(), std::fs::metadata(db)) {
        let bytes = name.as_encoded_bytes();
        if let Some(stem) = bytes.strip_suffix(b"-wal") {
            let sibling = out.with_file_name(std::ffi::OsStr::from_bytes(stem));
            if std::fs::metadata(&sibling)
                .is_ok_and(|m| m.dev() == db_meta.dev() && m.ino() == db_meta.ino())
            {
                bail!(
                    "{}: refusing to write there: it is the WAL of {}, another name of the \
                     database; choose another output path",
                    out.display(),
                    sibling.display()
                );
            }
        }
    }
    Ok(())
}

/// Exports the snapshot `r` of the database `db` in `format` to `out` (a directory for
/// JSONL and CSV, a file otherwise) or to stdout. Nothing is written if an output path is
/// the database or its WAL; a failed export leaves no output file behind.
pub fn run(
    r: &ReadTxn,
    db: &Path,
    format: ExportFormat,
    out: Option<&Path>,
    subset: &Subset,
    pb: &ProgressBar,
) -> Result<Written> {
    let mut w = Written::default();
    if let (ExportFormat::Parquet | ExportFormat::Arrow, Some(dir)) = (format, out) {
        refuse_database(db, dir)?;
        let table = if format == ExportFormat::Parquet {
            TableFormat::Parquet
        } else {
            TableFormat::Arrow
        };
        let done = pagegraph_import::export_tables(r, dir, table, subset, &mut || pb.inc(1))?;
        return Ok(Written {
            nodes: done.nodes,
            edges: done.edges,
            files: done.files,
        });
    }
    if !subset.is_all() {
        bail!("--labels, --types and --query go with --format parquet or arrow");
    }
    match (format, out) {
        (ExportFormat::Jsonl | ExportFormat::Csv, Some(dir)) => {
            let ext = if format == ExportFormat::Jsonl {
                "jsonl"
            } else {
                "csv"
            };
            let (np, ep) = (
                dir.join(format!("nodes.{ext}")),
                dir.join(format!("edges.{ext}")),
            );
            refuse_database(db, dir)?;
            refuse_database(db, &np)?;
            refuse_database(db, &ep)?;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the directory", dir.display()))?;
            let (mut nf, mut ef) = (Pending::create(&np)?, Pending::create(&ep)?);
            if format == ExportFormat::Jsonl {
                jsonl_nodes(r, nf.writer()?, &mut w, pb)?;
                jsonl_edges(r, ef.writer()?, &mut w, pb)?;
            } else {
                csv_nodes(r, nf.writer()?, &mut w, pb)?;
                csv_edges(r, ef.writer()?, &mut w, pb)?;
            }
            nf.close()?;
            ef.close()?;
            let nodes_file = nf.finish()?;
            match ef.finish() {
                Ok(edges_file) => w.files = vec![nodes_file, edges_file],
                Err(e) => {
                    // Not one file without the other.
                    let _ = std::fs::remove_file(&nodes_file);
                    return Err(e);
                }
            }
        }
        (ExportFormat::Parquet | ExportFormat::Arrow, None) => {
            bail!("table export writes a directory of files: give --out DIR")
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
            refuse_database(db, path)?;
            let mut file = Pending::create(path)?;
            single_file(r, f, file.writer()?, &mut w, pb)?;
            w.files = vec![file.finish()?];
        }
        (f, None) => {
            let mut s = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            single_file(r, f, &mut s, &mut w, pb)?;
            s.flush()?;
        }
    }
    Ok(w)
}

/// The nodes and relationships a read-only query's answer names (see
/// `QueryResult::graph_ids`).
pub fn query_subset(r: &ReadTxn, text: &str) -> Result<(BTreeSet<NodeId>, BTreeSet<EdgeId>)> {
    // `run` refuses a query that writes.
    let answer = pagegraph_query::run(text, &std::collections::BTreeMap::new(), r)
        .map_err(crate::cypher::query_error)?;
    Ok(answer.graph_ids())
}

fn single_file(
    r: &ReadTxn,
    f: ExportFormat,
    out: &mut impl Write,
    w: &mut Written,
    pb: &ProgressBar,
) -> Result<()> {
    if f == ExportFormat::Graphml {
        crate::graphml::write(r, out, w, pb)
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

/// How a CSV file holds the data of its rows.
enum CsvData {
    /// One column per data field (the union of the fields), each cell a value that
    /// `import` reads back exactly. A field named like a fixed column (as the `id` an
    /// import keeps) or starting with `data:` has the column `data:NAME`.
    Columns(Vec<String>),
    /// The whole data of each row as JSON text, in the [`DATA_JSON_COLUMN`] column: used
    /// when columns would not read back as the same data (a string that reads as a
    /// number, data that is not an object, a field name with spaces around it, ...).
    Json,
}

/// True if the CSV cell written for `v` reads back as `v`.
fn cell_round_trips(v: &Value) -> bool {
    let text = match v {
        Value::Null => return false,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    cell_value(&text).as_ref() == Some(v)
}

/// Chooses how the data of `items` goes into CSV: as columns when they read back as the
/// same data, else as JSON.
fn csv_data<T>(
    items: impl Iterator<Item = pagegraph::Result<T>>,
    data: impl Fn(&T) -> &Value,
) -> Result<CsvData> {
    let mut keys = BTreeSet::new();
    let (mut nulls, mut objects) = (false, false);
    for item in items {
        let item = item?;
        match data(&item) {
            Value::Null => nulls = true,
            Value::Object(m) => {
                objects = true;
                for (k, v) in m {
                    let column_ok = !k.is_empty() && k.trim() == k;
                    if !column_ok || !cell_round_trips(v) {
                        return Ok(CsvData::Json);
                    }
                    keys.insert(k.clone());
                }
            }
            _ => return Ok(CsvData::Json),
        }
    }
    // With no columns import gives null data; with some, an object for every row.
    if (keys.is_empty() && objects) || (!keys.is_empty() && nulls) {
        return Ok(CsvData::Json);
    }
    Ok(CsvData::Columns(keys.into_iter().collect()))
}

/// The CSV column of the data field `key` (see [`CsvData::Columns`]).
fn column_of<'k>(key: &'k str, fixed: &[&str]) -> std::borrow::Cow<'k, str> {
    if fixed.contains(&key) || key.starts_with(DATA_COLUMN_PREFIX) {
        format!("{DATA_COLUMN_PREFIX}{key}").into()
    } else {
        key.into()
    }
}

fn csv_cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Writes the header, then one row per item: the fixed cells, then the data.
fn csv_rows<T>(
    out: &mut impl Write,
    fixed: &[&str],
    layout: &CsvData,
    items: impl Iterator<Item = pagegraph::Result<T>>,
    row: fn(&T) -> (Vec<String>, &Value),
    mut done: impl FnMut(),
) -> Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    let mut header: Vec<std::borrow::Cow<'_, str>> = fixed.iter().map(|&f| f.into()).collect();
    match layout {
        CsvData::Columns(keys) => header.extend(keys.iter().map(|k| column_of(k, fixed))),
        CsvData::Json => header.push(DATA_JSON_COLUMN.into()),
    }
    let header: Vec<&str> = header.iter().map(AsRef::as_ref).collect();
    csv.write_record(&header)?;
    for item in items {
        let item = item?;
        let (mut cells, data) = row(&item);
        match layout {
            CsvData::Columns(keys) => cells.extend(keys.iter().map(|k| csv_cell(data.get(k)))),
            CsvData::Json => cells.push(data.to_string()),
        }
        csv.write_record(&cells)?;
        done();
    }
    csv.flush()?;
    Ok(())
}

fn csv_nodes(r: &ReadTxn, out: &mut impl Write, w: &mut Written, pb: &ProgressBar) -> Result<()> {
    fn row(n: &Node) -> (Vec<String>, &Value) {
        let cells = vec![n.id.0.to_string(), n.kind.clone(), n.name.clone()];
        (cells, &n.data)
    }
    let fixed = ["id", "kind", "name"];
    let layout = csv_data(r.nodes(), |n: &Node| &n.data)?;
    csv_rows(out, &fixed, &layout, r.nodes(), row, || {
        w.nodes += 1;
        pb.inc(1);
    })
}

fn csv_edges(r: &ReadTxn, out: &mut impl Write, w: &mut Written, pb: &ProgressBar) -> Result<()> {
    fn row(e: &Edge) -> (Vec<String>, &Value) {
        let cells = vec![
            e.from.0.to_string(),
            e.to.0.to_string(),
            e.edge_type.clone(),
        ];
        (cells, &e.data)
    }
    let fixed = ["from", "to", "type"];
    let layout = csv_data(r.edges(), |e: &Edge| &e.data)?;
    csv_rows(out, &fixed, &layout, r.edges(), row, || {
        w.edges += 1;
        pb.inc(1);
    })
}

/// Text escaped for XML 1.0; characters XML cannot hold at all become U+FFFD.
pub(crate) fn xml(s: &str) -> String {
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
