//! `pagegraph import`: streams nodes and edges from JSONL, CSV or edge-list files into a
//! graph, in batches of `--batch` lines, each committed whole or not at all.
//!
//! External ids in the files map to the `NodeId`s the import hands out through an
//! [`IdMap`] (bounded memory, spills to disk). An edge endpoint that is not in this import's
//! node file is looked up by name among the nodes the database held before the import
//! (exactly one must match); edge lists create missing endpoints as new nodes instead.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use indicatif::ProgressBar;
use pagegraph::{
    DATA_SIZE_MAX, EdgeSpec, Graph, LABEL_SIZE_MAX, NAME_SIZE_MAX, NodeId, NodeSpec, ReadTxn,
    WriteTxn,
};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use crate::idmap::{ExtId, IdMap};
use crate::input::Input;

/// Input file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated, with a header row.
    Csv,
    /// Whitespace-separated `u v [weight]` lines, `#` comments (SNAP, Graphalytics).
    Edgelist,
}

impl Format {
    /// The format a file name suggests (`.jsonl`, `.ndjson`, `.csv`; anything else is an
    /// edge list), looking through a `.gz` suffix.
    #[allow(clippy::case_sensitive_file_extension_comparisons)] // lowercased first
    pub fn infer(path: &Path) -> Format {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json") {
            Format::Jsonl
        } else if name.ends_with(".csv") {
            Format::Csv
        } else {
            Format::Edgelist
        }
    }
}

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The format of both files; `None` infers it from each file's name.
    pub format: Option<Format>,
    /// Lines per transaction.
    pub batch: usize,
    /// Skip and count bad lines instead of stopping at the first.
    pub skip_bad: bool,
    /// Kind of the nodes an edge list creates.
    pub node_kind: String,
    /// Type of edges whose input gives none (edge lists; CSV without a `type` column).
    pub edge_type: String,
    /// External ids kept in memory before the map spills to disk.
    pub id_memory: usize,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Nodes created (including edge-list endpoints created on first sight).
    pub nodes: u64,
    /// Edges created.
    pub edges: u64,
    /// Bad lines skipped (with `--skip-bad`).
    pub skipped: u64,
    /// Transactions committed.
    pub batches: u64,
    /// External ids that spilled from memory to disk.
    pub ids_spilled: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// Skipped lines reported one by one on stderr before the rest are only counted.
const SKIPPED_SHOWN: u64 = 10;

#[derive(Debug)]
struct NodeRec {
    line: u64,
    ext: ExtId,
    kind: String,
    name: Option<String>,
    data: Value,
}

#[derive(Debug)]
struct EdgeRec {
    line: u64,
    from: ExtId,
    to: ExtId,
    edge_type: Option<String>,
    data: Value,
}

/// An endpoint of an edge in the batch being built.
#[derive(Clone, Copy)]
enum End {
    Known(NodeId),
    /// The i-th node this batch creates.
    New(usize),
}

struct Importer<'g> {
    graph: &'g Graph,
    opts: ImportOptions,
    map: IdMap,
    /// The graph as it was before the import, when it had nodes (for name lookups).
    before: Option<ReadTxn>,
    summary: Summary,
    pb: ProgressBar,
}

/// Imports `nodes` then `edges` into `graph` (at `db_path`, for the id spill file).
pub fn run(
    graph: &Graph,
    db_path: &Path,
    nodes: Option<&Path>,
    edges: Option<&Path>,
    opts: ImportOptions,
    pb: ProgressBar,
) -> Result<Summary> {
    if nodes.is_none() && edges.is_none() {
        bail!("nothing to import: give --nodes FILE, --edges FILE or both");
    }
    if opts.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let start = Instant::now();
    let r = graph.begin_read()?;
    let before = if r.node_count()? > 0 { Some(r) } else { None };
    let mut imp = Importer {
        graph,
        map: IdMap::new(db_path, opts.id_memory),
        opts,
        before,
        summary: Summary::default(),
        pb,
    };
    if let Some(path) = nodes {
        imp.nodes_file(path)?;
    }
    if let Some(path) = edges {
        imp.edges_file(path)?;
    }
    imp.pb.finish_and_clear();
    imp.summary.ids_spilled = imp.map.spilled();
    imp.summary.elapsed = start.elapsed();
    Ok(imp.summary)
}

impl Importer<'_> {
    fn format(&self, path: &Path) -> Format {
        self.opts.format.unwrap_or_else(|| Format::infer(path))
    }

    /// A bad line: an error, or (with `--skip-bad`) a warning and a count.
    fn bad(&mut self, path: &Path, line: u64, reason: &str) -> Result<()> {
        if !self.opts.skip_bad {
            bail!("{}:{line}: {reason}", path.display());
        }
        self.summary.skipped += 1;
        if self.summary.skipped <= SKIPPED_SHOWN {
            self.pb
                .suspend(|| eprintln!("{}:{line}: {reason} (skipped)", path.display()));
        }
        Ok(())
    }

    fn start_file(&self, input: &Input, what: &str) {
        self.pb.set_length(input.size);
        self.pb.set_position(0);
        self.pb.set_message(what.to_string());
    }

    fn nodes_file(&mut self, path: &Path) -> Result<()> {
        let format = self.format(path);
        let input = Input::open(path)?;
        self.start_file(&input, "nodes");
        if format == Format::Csv {
            return self.nodes_csv(input);
        }
        let kind = self.opts.node_kind.clone();
        let parse = move |line: &str| match format {
            Format::Jsonl => parse_jsonl_node(line),
            _ => parse_vertex(line, &kind),
        };
        let mut batch = Vec::new();
        parse_in_background(input, parse, |chunk, read| {
            for (line, parsed) in chunk {
                match parsed {
                    Ok(mut rec) => {
                        rec.line = line;
                        batch.push(rec);
                    }
                    Err(reason) => self.bad(path, line, &reason)?,
                }
                if batch.len() >= self.opts.batch {
                    self.flush_nodes(path, &mut batch)?;
                    self.pb.set_position(read);
                }
            }
            Ok(())
        })?;
        self.flush_nodes(path, &mut batch)
    }

    fn nodes_csv(&mut self, input: Input) -> Result<()> {
        let path = input.path.clone();
        let read = input.read.clone();
        let mut csv = csv_reader(input.into_reader());
        let header = CsvHeader::read(&mut csv, &path, &["id", "kind"], &["name"])?;
        let mut batch = Vec::new();
        let mut record = csv::StringRecord::new();
        loop {
            let line = csv.position().line() + 1;
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => match header.node(&record) {
                    Ok(mut rec) => {
                        rec.line = record.position().map_or(line, csv::Position::line);
                        batch.push(rec);
                    }
                    Err(reason) => {
                        let at = record.position().map_or(line, csv::Position::line);
                        self.bad(&path, at, &reason)?;
                    }
                },
                Err(e) => self.csv_error(&path, line, &e)?,
            }
            if batch.len() >= self.opts.batch {
                self.flush_nodes(&path, &mut batch)?;
                self.pb.set_position(read.load(Ordering::Relaxed));
            }
        }
        self.flush_nodes(&path, &mut batch)
    }

    fn csv_error(&mut self, path: &Path, line: u64, e: &csv::Error) -> Result<()> {
        let at = e.position().map_or(line, csv::Position::line);
        match e.kind() {
            csv::ErrorKind::Io(_) => bail!("{}:{at}: read failed: {e}", path.display()),
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => self.bad(
                path,
                at,
                &format!("{len} fields, the header has {expected_len}"),
            ),
            csv::ErrorKind::Utf8 { .. } => self.bad(path, at, "not valid UTF-8 text"),
            _ => self.bad(path, at, &e.to_string()),
        }
    }

    fn flush_nodes(&mut self, path: &Path, batch: &mut Vec<NodeRec>) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut specs = Vec::with_capacity(batch.len());
        let mut exts = Vec::with_capacity(batch.len());
        let mut in_batch: FxHashMap<ExtId, u64> = FxHashMap::default();
        for rec in batch.drain(..) {
            if self.map.get(&rec.ext)?.is_some() {
                let reason = format!(
                    "duplicate node id {:?} (an earlier line has it)",
                    rec.ext.to_string()
                );
                self.bad(path, rec.line, &reason)?;
                continue;
            }
            if let Some(first) = in_batch.get(&rec.ext) {
                let reason = format!(
                    "duplicate node id {:?} (first on line {first})",
                    rec.ext.to_string()
                );
                self.bad(path, rec.line, &reason)?;
                continue;
            }
            in_batch.insert(rec.ext.clone(), rec.line);
            specs.push(NodeSpec {
                kind: rec.kind,
                name: rec.name.unwrap_or_else(|| rec.ext.to_string()),
                data: rec.data,
            });
            exts.push(rec.ext);
        }
        let mut tx = self.graph.begin_write()?;
        let ids = tx.insert_nodes(specs).with_context(|| {
            format!(
                "{}: batch ending at line {}",
                path.display(),
                in_batch.values().max().copied().unwrap_or(0)
            )
        })?;
        self.commit(tx)?;
        self.summary.nodes += ids.len() as u64;
        for (ext, id) in exts.into_iter().zip(ids) {
            self.map.insert(ext, id)?;
        }
        Ok(())
    }

    fn commit(&mut self, tx: WriteTxn) -> Result<()> {
        tx.commit()
            .context("commit failed; the batches committed before this one are kept")?;
        self.summary.batches += 1;
        Ok(())
    }

    fn edges_file(&mut self, path: &Path) -> Result<()> {
        let format = self.format(path);
        let input = Input::open(path)?;
        self.start_file(&input, "edges");
        if format == Format::Csv {
            return self.edges_csv(input);
        }
        // The default type is filled in on the parsing thread, which has time to spare.
        let default_type = self.opts.edge_type.clone();
        let parse = move |line: &str| match format {
            Format::Jsonl => parse_jsonl_edge(line),
            _ => parse_edgelist(line).map(|r| {
                r.map(|mut r| {
                    r.edge_type = Some(default_type.clone());
                    r
                })
            }),
        };
        let create = format == Format::Edgelist;
        let mut batch = Vec::new();
        parse_in_background(input, parse, |chunk, read| {
            for (line, parsed) in chunk {
                match parsed {
                    Ok(mut rec) => {
                        rec.line = line;
                        batch.push(rec);
                    }
                    Err(reason) => self.bad(path, line, &reason)?,
                }
                if batch.len() >= self.opts.batch {
                    self.flush_edges(path, &mut batch, create)?;
                    self.pb.set_position(read);
                }
            }
            Ok(())
        })?;
        self.flush_edges(path, &mut batch, create)
    }

    fn edges_csv(&mut self, input: Input) -> Result<()> {
        let path = input.path.clone();
        let read = input.read.clone();
        let mut csv = csv_reader(input.into_reader());
        let header = CsvHeader::read(&mut csv, &path, &["from", "to"], &["type"])?;
        let mut batch = Vec::new();
        let mut record = csv::StringRecord::new();
        loop {
            let line = csv.position().line() + 1;
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let at = record.position().map_or(line, csv::Position::line);
                    match header.edge(&record) {
                        Ok(mut rec) => {
                            rec.line = at;
                            batch.push(rec);
                        }
                        Err(reason) => self.bad(&path, at, &reason)?,
                    }
                }
                Err(e) => self.csv_error(&path, line, &e)?,
            }
            if batch.len() >= self.opts.batch {
                self.flush_edges(&path, &mut batch, false)?;
                self.pb.set_position(read.load(Ordering::Relaxed));
            }
        }
        self.flush_edges(&path, &mut batch, false)
    }

    /// The node of an endpoint: seen in this import, created earlier in this batch, or
    /// (by name) in the graph as it was; else created (`create`) or an error message.
    fn resolve(
        &mut self,
        ext: &ExtId,
        create: bool,
        new_nodes: &mut Vec<NodeSpec>,
        new_index: &mut FxHashMap<ExtId, usize>,
    ) -> Result<Result<End, String>> {
        if let Some(id) = self.map.get(ext)? {
            return Ok(Ok(End::Known(id)));
        }
        if let Some(&i) = new_index.get(ext) {
            return Ok(Ok(End::New(i)));
        }
        if let Some(r) = &self.before {
            let name = ext.to_string();
            let found = r.nodes_by_name(&name)?;
            match found.as_slice() {
                [id] => {
                    let id = *id;
                    self.map.insert(ext.clone(), id)?;
                    return Ok(Ok(End::Known(id)));
                }
                [] => {}
                many => {
                    return Ok(Err(format!(
                        "node {name:?} is ambiguous: {} nodes have that name",
                        many.len()
                    )));
                }
            }
        }
        if !create {
            return Ok(Err(format!(
                "unknown node {:?} (not in this import's nodes, and no node has that name)",
                ext.to_string()
            )));
        }
        let name = ext.to_string();
        if name.len() > NAME_SIZE_MAX {
            return Ok(Err(format!("node id longer than {NAME_SIZE_MAX} bytes")));
        }
        new_nodes.push(NodeSpec {
            kind: self.opts.node_kind.clone(),
            name,
            data: Value::Null,
        });
        new_index.insert(ext.clone(), new_nodes.len() - 1);
        Ok(Ok(End::New(new_nodes.len() - 1)))
    }

    fn flush_edges(&mut self, path: &Path, batch: &mut Vec<EdgeRec>, create: bool) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut new_nodes = Vec::new();
        let mut new_index = FxHashMap::default();
        let mut resolved = Vec::with_capacity(batch.len());
        let last_line = batch.last().map_or(0, |r| r.line);
        for rec in batch.drain(..) {
            let from = self.resolve(&rec.from, create, &mut new_nodes, &mut new_index)?;
            let to = self.resolve(&rec.to, create, &mut new_nodes, &mut new_index)?;
            match (from, to) {
                (Ok(a), Ok(b)) => resolved.push((a, b, rec.edge_type, rec.data)),
                (Err(reason), _) | (_, Err(reason)) => self.bad(path, rec.line, &reason)?,
            }
        }
        let mut tx = self.graph.begin_write()?;
        let new_ids = if new_nodes.is_empty() {
            Vec::new()
        } else {
            tx.insert_nodes(new_nodes)?
        };
        for (ext, &i) in &new_index {
            self.map.insert(ext.clone(), new_ids[i])?;
        }
        let id = |e: End| match e {
            End::Known(id) => id,
            End::New(i) => new_ids[i],
        };
        let default_type = &self.opts.edge_type;
        let specs: Vec<EdgeSpec> = resolved
            .into_iter()
            .map(|(a, b, ty, data)| EdgeSpec {
                from: id(a),
                to: id(b),
                edge_type: ty.unwrap_or_else(|| default_type.clone()),
                data,
            })
            .collect();
        let n = specs.len() as u64;
        tx.insert_edges(specs)
            .with_context(|| format!("{}: batch ending at line {last_line}", path.display()))?;
        self.commit(tx)?;
        self.summary.nodes += new_ids.len() as u64;
        self.summary.edges += n;
        Ok(())
    }
}

/// Lines parsed per message from the parsing thread.
const PARSE_CHUNK: usize = 16 * 1024;

/// A parsed line: its number and the record or why it is bad. Blank and comment lines are
/// left out.
type ParsedLine<T> = (u64, Result<T, String>);

/// Reads and parses `input` on a second thread while `consume` (on this one) writes what
/// was parsed, chunk by chunk, with the input bytes read so far. Stops at the first read
/// error or at the first error `consume` returns.
fn parse_in_background<T: Send>(
    mut input: Input,
    parse: impl Fn(&str) -> Result<Option<T>, String> + Send,
    mut consume: impl FnMut(Vec<ParsedLine<T>>, u64) -> Result<()>,
) -> Result<()> {
    let read = input.read.clone();
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<ParsedLine<T>>>>(4);
        s.spawn(move || {
            let mut line = String::new();
            let mut chunk = Vec::with_capacity(PARSE_CHUNK);
            loop {
                match input.next_line(&mut line) {
                    Ok(true) => match parse(&line) {
                        Ok(None) => {}
                        Ok(Some(rec)) => chunk.push((input.line(), Ok(rec))),
                        Err(reason) => chunk.push((input.line(), Err(reason))),
                    },
                    Ok(false) => break,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
                if chunk.len() >= PARSE_CHUNK
                    && tx
                        .send(Ok(std::mem::replace(
                            &mut chunk,
                            Vec::with_capacity(PARSE_CHUNK),
                        )))
                        .is_err()
                {
                    return; // the consumer stopped
                }
            }
            if !chunk.is_empty() {
                let _ = tx.send(Ok(chunk));
            }
        });
        for msg in rx {
            consume(msg?, read.load(Ordering::Relaxed))?;
        }
        Ok(())
    })
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

fn parse_jsonl_node(line: &str) -> Result<Option<NodeRec>, String> {
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

fn parse_jsonl_edge(line: &str) -> Result<Option<EdgeRec>, String> {
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
fn parse_vertex(line: &str, kind: &str) -> Result<Option<NodeRec>, String> {
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
fn parse_edgelist(line: &str) -> Result<Option<EdgeRec>, String> {
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

fn csv_reader(
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
struct CsvHeader {
    /// Positions of the required columns, then of the optional ones.
    required: Vec<usize>,
    optional: Vec<Option<usize>>,
    /// The other columns, which go into `data`.
    data: Vec<(usize, String)>,
}

impl CsvHeader {
    fn read(
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
        let data = names
            .iter()
            .enumerate()
            .filter(|(_, n)| !required.contains(n) && !optional.contains(n))
            .map(|(i, n)| (i, (*n).to_string()))
            .collect();
        Ok(CsvHeader {
            required: req,
            optional: opt,
            data,
        })
    }

    fn data(&self, r: &csv::StringRecord) -> Value {
        if self.data.is_empty() {
            return Value::Null;
        }
        let mut m = Map::new();
        for (i, name) in &self.data {
            if let Some(v) = r.get(*i).and_then(cell_value) {
                m.insert(name.clone(), v);
            }
        }
        Value::Object(m)
    }

    fn field<'r>(r: &'r csv::StringRecord, i: usize, name: &str) -> Result<&'r str, String> {
        match r.get(i) {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(format!("column {name:?} is empty")),
        }
    }

    fn node(&self, r: &csv::StringRecord) -> Result<NodeRec, String> {
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
            data: self.data(r),
        })
    }

    fn edge(&self, r: &csv::StringRecord) -> Result<EdgeRec, String> {
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
            data: self.data(r),
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

    #[test]
    fn formats_from_file_names() {
        assert_eq!(Format::infer(Path::new("a/nodes.jsonl")), Format::Jsonl);
        assert_eq!(Format::infer(Path::new("e.NDJSON.gz")), Format::Jsonl);
        assert_eq!(Format::infer(Path::new("e.csv.gz")), Format::Csv);
        assert_eq!(Format::infer(Path::new("wiki-Vote.txt")), Format::Edgelist);
        assert_eq!(Format::infer(Path::new("g.e")), Format::Edgelist);
    }
}
