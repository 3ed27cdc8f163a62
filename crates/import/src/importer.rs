//! The import driver: streams nodes and edges from JSONL, CSV or edge-list files into a
//! graph, in batches of [`ImportOptions::batch`] lines, each committed whole or not at all.
//! (The options are named below by the `pagegraph import` flags that set them.)
//!
//! External ids in the files map to the `NodeId`s the import hands out through an
//! [`IdMap`] (bounded memory, spills to disk). An edge endpoint names the node of this
//! import's node file with that id, or the node the database held before the import with
//! that name: exactly one node must match (an id that is also the name of an older node,
//! or the name of several, is an error, never a guess). Edge lists create endpoints that
//! match no node as new nodes instead; their endpoints are of one label (`--node-kind`),
//! so one that is not in the id map is first looked up by its key in the database.
//!
//! Every node keeps its external id as a property under a unique constraint per label
//! (see [`keys`]): a node whose id its label already has is a bad line, or with
//! `--upsert` an update of that node; with `--upsert` an edge whose (from, to, type) is
//! already in the database (or earlier in the batch) updates that edge instead of adding
//! another.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pagegraph::{
    EdgeData, EdgeSpec, EncodedBatch, EncodedData, Graph, NAME_SIZE_MAX, NodeId, NodeSpec,
    PropertyValue, ReadTxn, TypedEdge, WriteTxn,
};
use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::bulk::Batches;
use crate::error::{Context, ImportError, Result};
use crate::idmap::{ExtId, IdMap};
use crate::input::{self, Input, clip};
use crate::keys;
use crate::parse::{
    CsvHeader, EdgeRec, NodeRec, csv_reader, csv_stop, parse_edgelist, parse_jsonl_edge,
    parse_jsonl_node, parse_vertex,
};
use crate::progress::Progress;

/// Input file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// Bytes of memory for the external-id map before it spills to disk.
    pub id_memory: usize,
    /// The property that keeps each node's external id.
    pub id_property: String,
    /// Update the nodes (by label and id) and edges (by from, to and type) that exist
    /// instead of refusing or duplicating them.
    pub upsert: bool,
    /// Labelled CSV ([`crate::run_csv`]): an edge endpoint that no node has creates a node
    /// with only its key (labelled by its id space) instead of being a bad line.
    pub create_missing: bool,
}

/// The batch size for imports whose rows carry properties (labelled CSV, tables, graph
/// files), which the CLI and the Python package use by default: a row with properties
/// takes several times the memory of an edge-list line, and past this size larger batches
/// only add memory (and time, as their buffers are fresh pages each batch).
pub const ROWS_BATCH: usize = 200_000;

impl Default for ImportOptions {
    /// The `pagegraph import` defaults: formats by file name, batches of 2,000,000 lines,
    /// bad lines stop the import, node kind `node`, edge type `edge`, 256 MiB for the id
    /// map, ids kept as the property `id`, no upsert, missing endpoints are bad lines.
    fn default() -> Self {
        ImportOptions {
            format: None,
            batch: 2_000_000,
            skip_bad: false,
            node_kind: "node".into(),
            edge_type: "edge".into(),
            id_memory: 256 << 20,
            id_property: "id".into(),
            upsert: false,
            create_missing: false,
        }
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Nodes created (including edge-list endpoints created on first sight).
    pub nodes: u64,
    /// Edges created.
    pub edges: u64,
    /// Nodes that existed and were updated (`--upsert`).
    pub nodes_updated: u64,
    /// Edges that existed, or came earlier in the input, and were updated (`--upsert`).
    pub edges_updated: u64,
    /// Bad lines skipped (with `--skip-bad`).
    pub skipped: u64,
    /// The skipped lines by reason (labelled CSV imports: "bad record", "bad value",
    /// "duplicate id", "id in the database", "missing endpoint").
    pub skipped_by_reason: std::collections::BTreeMap<String, u64>,
    /// Transactions committed.
    pub batches: u64,
    /// External ids that spilled from memory to disk.
    pub ids_spilled: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// Skipped lines reported one by one to [`Progress::skipped`] before the rest are only
/// counted.
pub const SKIPPED_REPORTED: u64 = 10;

/// Set in the id map's value for an id of this import's nodes that is also the name of a
/// node the database held before: as an endpoint, it names two nodes.
const SHADOWS_OLDER: u64 = 1 << 63;

/// A record that learns the line it came from.
trait Numbered {
    fn set_line(&mut self, line: u64);
}

impl Numbered for NodeRec {
    fn set_line(&mut self, line: u64) {
        self.line = line;
    }
}

impl Numbered for EdgeRec {
    fn set_line(&mut self, line: u64) {
        self.line = line;
    }
}

/// An endpoint of an edge in the batch being built: a node that exists, or (top bit set)
/// the i-th node this batch creates. Eight bytes: a batch holds millions.
#[derive(Clone, Copy)]
pub(crate) struct End(pub(crate) u64);

impl End {
    const NEW: u64 = 1 << 63;

    /// A node that exists (ids are counted from 1 and never reach 2^63).
    pub(crate) fn known(id: NodeId) -> End {
        debug_assert!(id.0 < End::NEW);
        End(id.0)
    }

    /// The i-th node this batch creates.
    pub(crate) fn new(i: usize) -> End {
        End(End::NEW | i as u64)
    }

    /// Whether this is a node the batch creates.
    fn is_new(self) -> bool {
        self.0 & End::NEW != 0
    }

    /// The node, given the ids the batch's new nodes got.
    pub(crate) fn node(self, new_ids: &[NodeId]) -> NodeId {
        if self.0 & End::NEW == 0 {
            NodeId(self.0)
        } else {
            new_ids[(self.0 & !End::NEW) as usize]
        }
    }
}

/// An edge of the batch being built, in 32 bytes (a parsed record takes 88).
pub(crate) struct PendingEdge {
    pub(crate) from: End,
    pub(crate) to: End,
    /// 0 for the import's default type, else 1 + an index into the batch's types.
    pub(crate) edge_type: u32,
    /// Its data, unless null.
    pub(crate) data: Option<EdgeBody>,
}

/// An edge's data in a batch: a value, or data already encoded (labelled CSV encodes it on
/// its parsing thread, so that a batch holds bytes instead of trees of values).
pub(crate) enum EdgeBody {
    Value(Box<Value>),
    Encoded(EncodedData),
}

impl EdgeBody {
    /// The data as a value (`--upsert` merges values).
    pub(crate) fn into_value(self) -> Result<Value> {
        match self {
            EdgeBody::Value(v) => Ok(*v),
            EdgeBody::Encoded(e) => e.to_value().map_err(|e| {
                ImportError::Options(format!("encoded edge data does not decode: {e}"))
            }),
        }
    }

    /// The data as the batch API takes it.
    fn into_edge_data(self) -> EdgeData {
        match self {
            EdgeBody::Value(v) => EdgeData::Value(*v),
            EdgeBody::Encoded(e) => EdgeData::Encoded(e),
        }
    }
}

/// A node of the batch being written: its line, external id and record. Its key is its
/// id's, added to the record's data as the node is written (so that a batch does not hold
/// a map per node), unless the data holds its own (`own_key`).
struct NodeRow {
    line: u64,
    ext: ExtId,
    spec: NodeSpec,
    own_key: Option<Box<PropertyValue>>,
}

impl NodeRow {
    /// The node's key.
    fn key(&self) -> PropertyValue {
        match &self.own_key {
            Some(k) => (**k).clone(),
            None => keys::ext_value(&self.ext),
        }
    }

    /// Takes the record to write, its key in its data (the row keeps an empty record).
    fn spec_with_key(&mut self, prop: &str) -> NodeSpec {
        let key = self.own_key.is_none().then(|| self.key());
        let mut spec = NodeSpec {
            kind: std::mem::take(&mut self.spec.kind),
            name: std::mem::take(&mut self.spec.name),
            data: self.spec.data.take(),
        };
        if let Some(k) = key {
            spec.data = keys::add_key(spec.data, prop, &k);
        }
        spec
    }
}

/// The batch being built from parsed records of type `T`, written by a flush when full.
trait Pending<T> {
    /// Takes one good record (its line set).
    fn push(&mut self, imp: &mut Importer<'_>, path: &Path, rec: T) -> Result<()>;
    /// Records taken since the last flush, bad endpoints included: the batch size counts
    /// lines, so batch boundaries do not depend on what the graph holds.
    fn len(&self) -> usize;
    /// Called with the records about to be taken (a batch's worth, in file order) before
    /// any of them is: a chance to do their lookups in a better order than the lines'.
    /// What it learns must be what taking them would learn (it only saves work).
    fn prefetch(&mut self, _: &mut Importer<'_>, _: &[Vec<ParsedLine<T>>]) -> Result<()> {
        Ok(())
    }
    /// Whether `prefetch` would do anything now: if not, parsed lines are taken as they
    /// come instead of held until a batch's worth has been parsed.
    fn prefetches(&self, _: &Importer<'_>) -> bool {
        false
    }
}

impl Pending<NodeRec> for Vec<NodeRec> {
    fn push(&mut self, _: &mut Importer<'_>, _: &Path, rec: NodeRec) -> Result<()> {
        Vec::push(self, rec);
        Ok(())
    }

    fn len(&self) -> usize {
        Vec::len(self)
    }
}

/// Edges of the batch being built, their endpoints resolved as each parsed chunk arrives
/// (so resolving overlaps parsing, and no parsed line is kept past its chunk).
#[derive(Default)]
struct EdgeBatch {
    /// Whether unknown endpoints become new nodes (edge lists) or bad lines.
    create: bool,
    edges: Vec<PendingEdge>,
    /// The edge types named in the batch, and where each is in `types`.
    types: Vec<String>,
    type_index: FxHashMap<String, u32>,
    /// The external ids of the nodes this batch creates (of the import's node kind), and
    /// where each is in that list.
    new_exts: Vec<ExtId>,
    new_index: FxHashMap<ExtId, usize>,
    taken: usize,
    last_line: u64,
}

impl EdgeBatch {
    fn new(create: bool) -> EdgeBatch {
        EdgeBatch {
            create,
            ..EdgeBatch::default()
        }
    }

    /// The `edge_type` field of a [`PendingEdge`] of this type.
    fn type_slot(&mut self, edge_type: Option<String>) -> u32 {
        let Some(t) = edge_type else {
            return 0;
        };
        if let Some(&i) = self.type_index.get(&t) {
            return i;
        }
        self.types.push(t.clone());
        let i = self.types.len() as u32;
        self.type_index.insert(t, i);
        i
    }
}

impl Pending<EdgeRec> for EdgeBatch {
    fn push(&mut self, imp: &mut Importer<'_>, path: &Path, rec: EdgeRec) -> Result<()> {
        self.taken += 1;
        self.last_line = rec.line;
        let from = imp.resolve(&rec.from, self)?;
        let to = imp.resolve(&rec.to, self)?;
        match (from, to) {
            (Ok(from), Ok(to)) => {
                let edge_type = self.type_slot(rec.edge_type);
                let data = (!rec.data.is_null()).then(|| EdgeBody::Value(Box::new(rec.data)));
                self.edges.push(PendingEdge {
                    from,
                    to,
                    edge_type,
                    data,
                });
            }
            (Err(reason), _) | (_, Err(reason)) => imp.bad(path, rec.line, &reason)?,
        }
        Ok(())
    }

    fn len(&self) -> usize {
        self.taken
    }

    /// Looks the endpoints of a batch's lines up by key in key order, before the lines
    /// resolve them one by one in file order: random ids against a large graph then read
    /// each leaf of the key index once instead of once per id.
    fn prefetch(
        &mut self,
        imp: &mut Importer<'_>,
        window: &[Vec<ParsedLine<EdgeRec>>],
    ) -> Result<()> {
        if !self.prefetches(imp) {
            return Ok(());
        }
        let mut ids: Vec<&ExtId> = window
            .iter()
            .flatten()
            .filter_map(|(_, parsed)| parsed.as_ref().ok())
            .flat_map(|rec| [&rec.from, &rec.to])
            .collect();
        ids.sort_unstable_by(|a, b| key_order(a, b));
        ids.dedup();
        for ext in ids {
            imp.prefetch_key(ext)?;
        }
        Ok(())
    }

    fn prefetches(&self, imp: &Importer<'_>) -> bool {
        imp.keyed_endpoints(self)
    }
}

/// External ids in the order of their keys in the index on the id property: numbers (keys
/// of integers) by value, before the other ids (keys of strings) by their text.
fn key_order(a: &ExtId, b: &ExtId) -> std::cmp::Ordering {
    let num = |e: &ExtId| match e {
        ExtId::Num(n) => i64::try_from(*n).ok(),
        ExtId::Text(_) => None,
    };
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.to_string().cmp(&b.to_string()),
    }
}

struct Importer<'g> {
    graph: &'g Graph,
    opts: ImportOptions,
    map: IdMap,
    /// Whether the graph had nodes before the import (then endpoints not in the id map are
    /// looked up by name among them).
    names_before: bool,
    /// The first node id this import made: the nodes the graph had before are below it.
    first_new: Option<NodeId>,
    /// The labels whose key index this import has made sure of, and whether it held
    /// entries then (only then can an id collide with a node from before the import).
    keyed: FxHashMap<String, bool>,
    /// Whether edge-list endpoints that are not in the id map can be looked up by key:
    /// the node kind had an index on the id property, with entries, when the import began.
    endpoint_keys: bool,
    /// A snapshot for name lookups, taken when one is needed and dropped before each batch
    /// is written: a snapshot held across commits would keep every page they free from
    /// reuse, and the file would grow by a copy of each tree a batch touches.
    snapshot: Option<ReadTxn>,
    /// Each batch its own transaction, or all one bulk transaction (`bulk.rs`).
    batches: Batches,
    summary: Summary,
    progress: Arc<dyn Progress>,
}

/// Imports `nodes` then `edges` into `graph`, whose file is at `db_path` (the id map's
/// spill file goes next to it), reporting to `progress`.
///
/// Into a graph with edges, or with `upsert`, each batch is committed whole or not at all.
/// Into a graph without edges the import is a bulk load: one transaction, its adjacency
/// sorted externally and written once at the end (`WriteTxn::defer_adjacency`), so a crash
/// leaves the graph as it was. Either way, when a bad line (found while reading or checking
/// a batch) stops the import, the batches before it are kept (the bulk load commits them);
/// a batch the database refuses as it writes it leaves a bulk load with nothing written.
pub fn run(
    graph: &Graph,
    db_path: &Path,
    nodes: Option<&Path>,
    edges: Option<&Path>,
    opts: ImportOptions,
    progress: Arc<dyn Progress>,
) -> Result<Summary> {
    if nodes.is_none() && edges.is_none() {
        return Err(ImportError::Options(
            "nothing to import: give --nodes FILE, --edges FILE or both".into(),
        ));
    }
    if opts.batch == 0 {
        return Err(ImportError::Options("--batch must be at least 1".into()));
    }
    keys::check_property(&opts.id_property)?;
    let start = Instant::now();
    // Scratch files of imports of this database that were killed (this process holds the
    // database, so no other import of it runs; their files are unlocked).
    crate::idmap::remove_stale_scratch(db_path);
    let (names_before, endpoint_keys) = {
        let r = graph.begin_read()?;
        let keys = keys::has_keys(&r, &opts.node_kind, &opts.id_property)?;
        (r.node_count()? > 0, keys)
    };
    let batches = Batches::new(graph, opts.upsert)?;
    let mut imp = Importer {
        graph,
        map: IdMap::new(db_path, opts.id_memory),
        opts,
        names_before,
        first_new: None,
        keyed: FxHashMap::default(),
        endpoint_keys,
        snapshot: None,
        batches,
        summary: Summary::default(),
        progress,
    };
    let mut read = Ok(());
    if let Some(path) = nodes {
        read = imp.nodes_file(path);
    }
    if let Some(path) = edges
        && read.is_ok()
    {
        read = imp.edges_file(path);
    }
    imp.batches.finish(read)?;
    imp.progress.finished();
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
            return Err(ImportError::line(path, line, reason));
        }
        self.summary.skipped += 1;
        if self.summary.skipped <= SKIPPED_REPORTED {
            self.progress.skipped(path, line, reason);
        }
        Ok(())
    }

    /// Opens an input file, its progress reported as `what`.
    fn open(&self, path: &Path, what: &str) -> Result<Input> {
        Input::open(path, what, &self.progress)
    }

    fn nodes_file(&mut self, path: &Path) -> Result<()> {
        let format = self.format(path);
        let input = self.open(path, "nodes")?;
        match format {
            Format::Csv => self.csv(
                input,
                &["id", "kind"],
                &["name"],
                CsvHeader::node,
                Vec::new(),
                Self::flush_nodes,
            ),
            Format::Jsonl => self.lines(input, parse_jsonl_node, Vec::new(), Self::flush_nodes),
            Format::Edgelist => {
                let kind = self.opts.node_kind.clone();
                self.lines(
                    input,
                    move |line| parse_vertex(line, &kind),
                    Vec::new(),
                    Self::flush_nodes,
                )
            }
        }
    }

    /// Takes one parsed record (or a bad line) into `batch`, writing the batch when full.
    fn take<T, B>(
        &mut self,
        path: &Path,
        batch: &mut B,
        line: u64,
        parsed: Result<T, String>,
        flush: &mut impl FnMut(&mut Self, &Path, &mut B) -> Result<()>,
    ) -> Result<()>
    where
        T: Numbered,
        B: Pending<T>,
    {
        match parsed {
            Ok(mut rec) => {
                rec.set_line(line);
                batch.push(self, path, rec)?;
            }
            Err(reason) => self.bad(path, line, &reason)?,
        }
        if batch.len() < self.opts.batch {
            return Ok(());
        }
        flush(self, path, batch)
    }

    /// Imports a line-based file, parsed on a second thread.
    fn lines<T: Numbered + Send, B: Pending<T>>(
        &mut self,
        input: Input,
        parse: impl Fn(&str) -> Result<Option<T>, String> + Send,
        mut batch: B,
        mut flush: impl FnMut(&mut Self, &Path, &mut B) -> Result<()>,
    ) -> Result<()> {
        let path = input.path.clone();
        // Parsed chunks are held until they make a batch's worth of lines, so that the
        // batch can do its lookups in one ordered pass first (`Pending::prefetch`); when it
        // has none to do (a fresh import) each chunk is taken as it comes, so that the
        // parser runs on while the batch is written.
        let mut window: Vec<Vec<ParsedLine<T>>> = Vec::new();
        let mut held = 0;
        parse_in_background(input, parse, |chunk| {
            held += chunk.len();
            window.push(chunk);
            if held >= self.opts.batch || !batch.prefetches(self) {
                held = 0;
                self.feed(&path, &mut batch, std::mem::take(&mut window), &mut flush)?;
            }
            Ok(())
        })?;
        self.feed(&path, &mut batch, window, &mut flush)?;
        flush(self, &path, &mut batch)
    }

    /// Takes the lines of `window` in order, after the batch's prefetch of them.
    fn feed<T: Numbered, B: Pending<T>>(
        &mut self,
        path: &Path,
        batch: &mut B,
        window: Vec<Vec<ParsedLine<T>>>,
        flush: &mut impl FnMut(&mut Self, &Path, &mut B) -> Result<()>,
    ) -> Result<()> {
        batch.prefetch(self, &window)?;
        for (line, parsed) in window.into_iter().flatten() {
            self.take(path, batch, line, parsed, flush)?;
        }
        Ok(())
    }

    /// Imports a CSV file with a header naming `required` and maybe `optional` columns.
    #[allow(clippy::too_many_arguments)] // the file's parts, then the batch and its flush
    fn csv<T: Numbered, B: Pending<T>>(
        &mut self,
        input: Input,
        required: &[&str],
        optional: &[&str],
        row: fn(&CsvHeader, &csv::StringRecord) -> Result<T, String>,
        mut batch: B,
        mut flush: impl FnMut(&mut Self, &Path, &mut B) -> Result<()>,
    ) -> Result<()> {
        let path = input.path.clone();
        let mut csv = csv_reader(input.into_reader());
        let header = CsvHeader::read(&mut csv, &path, required, optional)?;
        let mut record = csv::StringRecord::new();
        loop {
            let line = csv.position().line() + 1;
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let at = record.position().map_or(line, csv::Position::line);
                    self.take(&path, &mut batch, at, row(&header, &record), &mut flush)?;
                }
                Err(e) => self.csv_error(&path, line, &e)?,
            }
        }
        flush(self, &path, &mut batch)
    }

    fn csv_error(&mut self, path: &Path, line: u64, e: &csv::Error) -> Result<()> {
        let at = e.position().map_or(line, csv::Position::line);
        if let Some(stop) = csv_stop(e) {
            return Err(ImportError::line(path, stop.line, &stop.what));
        }
        match e.kind() {
            csv::ErrorKind::Io(_) => Err(ImportError::line(path, at, format!("read failed: {e}"))),
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
        let last_line = batch.last().map_or(0, |r| r.line);
        let mut rows = self.node_rows(path, batch)?;
        // The nodes the database held before the import with each id as their name (an
        // endpoint naming the id would name them too).
        let mut older = Vec::new();
        if self.names_before {
            for row in &rows {
                older.push(self.older_named(&row.ext.to_string())?);
            }
        }
        let mut tx = self.begin_write()?;
        let existing = self.existing_nodes(path, &mut tx, &rows)?;
        let prop = self.opts.id_property.clone();
        let mut found: Vec<(usize, NodeId)> = existing
            .iter()
            .filter_map(|(&i, found)| found.map(|id| (i, id)))
            .collect();
        found.sort_unstable();
        let mut updated = Vec::with_capacity(found.len());
        for (i, id) in found {
            let row = &mut rows[i];
            let line = row.line;
            let props = row.spec_with_key(&prop).properties()?;
            tx.merge_node_properties(id, props)
                .context_with(|| format!("{}:{line}", path.display()))?;
            updated.push((i, std::mem::replace(&mut row.ext, ExtId::Num(0)), id));
        }
        // Records are made as the batch API pulls them, not gathered first.
        let mut made = Vec::with_capacity(rows.len());
        let specs = rows
            .into_iter()
            .enumerate()
            .filter(|(i, _)| existing.is_empty() || !existing.contains_key(i))
            .map(|(i, mut r)| {
                let spec = r.spec_with_key(&prop);
                made.push((i, r.ext));
                spec
            });
        let ids = tx
            .insert_nodes(specs)
            .context_with(|| format!("{}: batch ending at line {last_line}", path.display()))?;
        self.commit(tx)?;
        self.note_new(&ids);
        self.summary.nodes += ids.len() as u64;
        self.summary.nodes_updated += updated.len() as u64;
        let made = made.into_iter().zip(ids).map(|((i, ext), id)| (i, ext, id));
        for (i, ext, id) in updated.into_iter().chain(made) {
            // An id that is also the name of another node from before the import.
            let shadows = older.get(i).is_some_and(|o| o.iter().any(|&n| n != id));
            let tag = if shadows { SHADOWS_OLDER } else { 0 };
            self.map.insert(ext, NodeId(id.0 | tag))?;
        }
        Ok(())
    }

    /// The good records of a batch as nodes to write, each with its key property; the
    /// others (a repeated id, data that cannot hold the key) are bad lines.
    fn node_rows(&mut self, path: &Path, batch: &mut Vec<NodeRec>) -> Result<Vec<NodeRow>> {
        let prop = self.opts.id_property.clone();
        let mut rows = Vec::with_capacity(batch.len());
        let mut in_batch: FxHashMap<ExtId, u64> = FxHashMap::default();
        for rec in batch.drain(..) {
            if self.map.get(&rec.ext)?.is_some() {
                let reason = format!(
                    "duplicate node id {:?} (an earlier line has it)",
                    clip(&rec.ext.to_string())
                );
                self.bad(path, rec.line, &reason)?;
                continue;
            }
            if let Some(first) = in_batch.get(&rec.ext) {
                let reason = format!(
                    "duplicate node id {:?} (first on line {first})",
                    clip(&rec.ext.to_string())
                );
                self.bad(path, rec.line, &reason)?;
                continue;
            }
            let own_key = match keys::own_key(&rec.data, &prop) {
                Ok(k) => k.map(Box::new),
                Err(reason) => {
                    self.bad(path, rec.line, &reason)?;
                    continue;
                }
            };
            in_batch.insert(rec.ext.clone(), rec.line);
            rows.push(NodeRow {
                line: rec.line,
                spec: NodeSpec {
                    kind: rec.kind,
                    name: rec.name.unwrap_or_else(|| rec.ext.to_string()),
                    data: rec.data,
                },
                own_key,
                ext: rec.ext,
            });
        }
        Ok(rows)
    }

    /// Makes sure each label of `rows` has its key index (created in `tx` if missing) and
    /// finds the rows whose key the database already has, by position: with `--upsert`
    /// the node to update; without, `None`: those rows are bad lines (skipped with
    /// `--skip-bad`).
    fn existing_nodes(
        &mut self,
        path: &Path,
        tx: &mut WriteTxn,
        rows: &[NodeRow],
    ) -> Result<FxHashMap<usize, Option<NodeId>>> {
        let prop = self.opts.id_property.clone();
        let mut existing = FxHashMap::default();
        for (i, row) in rows.iter().enumerate() {
            if !self.key_index(tx, &row.spec.kind)? {
                continue;
            }
            let key = row.key();
            let Some(id) = keys::node_with_key(tx, &row.spec.kind, &prop, &key)? else {
                continue;
            };
            if self.opts.upsert {
                existing.insert(i, Some(id));
            } else {
                let reason = format!(
                    "node id {} of kind {:?} is already in the database (node {id}, property \
                     {prop:?}); --upsert updates such nodes instead",
                    clip(&key.to_string()),
                    clip(&row.spec.kind)
                );
                self.bad(path, row.line, &reason)?;
                existing.insert(i, None);
            }
        }
        Ok(existing)
    }

    /// Whether nodes of `label` may already hold ids (see `keyed`); makes sure of its key
    /// index the first time the import meets the label.
    fn key_index(&mut self, tx: &mut WriteTxn, label: &str) -> Result<bool> {
        if let Some(&had) = self.keyed.get(label) {
            return Ok(had);
        }
        let had = keys::ensure_index(tx, label, &self.opts.id_property)?;
        self.keyed.insert(label.to_string(), had);
        Ok(had)
    }

    /// The snapshot for name lookups (see `snapshot`).
    fn reader(&mut self) -> Result<&ReadTxn> {
        Ok(match self.snapshot {
            Some(ref r) => r,
            None => self.snapshot.insert(self.graph.begin_read()?),
        })
    }

    /// The nodes the database held before the import with this name.
    fn older_named(&mut self, name: &str) -> Result<Vec<NodeId>> {
        let first_new = self.first_new;
        Ok(self
            .reader()?
            .nodes_by_name(name)?
            .into_iter()
            .filter(|&id| first_new.is_none_or(|f| id < f))
            .collect())
    }

    /// Why an endpoint is ambiguous: this import's node with that id (if any) and the
    /// older nodes with that name, by kind.
    fn ambiguous(&mut self, ext: &ExtId, mine: Option<NodeId>) -> Result<String> {
        let name = ext.to_string();
        let mut nodes = self.older_named(&name)?;
        nodes.extend(mine);
        let mut kinds = Vec::new();
        for &id in &nodes {
            // This import's nodes are in the held transaction of a bulk load, not yet in
            // the snapshot.
            let held = match self.batches.held() {
                Some(tx) => tx.node(id)?,
                None => None,
            };
            let node = match held {
                Some(n) => Some(n),
                None => self.reader()?.node(id)?,
            };
            if let Some(n) = node {
                kinds.push(n.kind);
            }
        }
        kinds.sort();
        kinds.dedup();
        let shown: Vec<String> = kinds.iter().take(10).map(|k| clip(k)).collect();
        Ok(format!(
            "id {:?} names {} nodes ({} {}{})",
            clip(&name),
            nodes.len(),
            if kinds.len() == 1 { "kind" } else { "kinds" },
            shown.join(", "),
            if kinds.len() > 10 { ", ..." } else { "" }
        ))
    }

    /// Starts a batch's transaction, with no snapshot of this import held (see `snapshot`).
    fn begin_write(&mut self) -> Result<WriteTxn> {
        let (tx, new) = self.batches.begin(self.graph)?;
        if new {
            self.snapshot = None;
        }
        Ok(tx)
    }

    /// Notes ids this import made (they ascend): name lookups leave them out.
    fn note_new(&mut self, ids: &[NodeId]) {
        if let Some(&first) = ids.first() {
            self.first_new.get_or_insert(first);
        }
    }

    /// Ends a batch: committed, or held for the next one in a bulk load.
    fn commit(&mut self, tx: WriteTxn) -> Result<()> {
        self.batches.end(tx)?;
        self.summary.batches += 1;
        Ok(())
    }

    fn edges_file(&mut self, path: &Path) -> Result<()> {
        let format = self.format(path);
        let input = self.open(path, "edges")?;
        match format {
            Format::Csv => self.csv(
                input,
                &["from", "to"],
                &["type"],
                CsvHeader::edge,
                EdgeBatch::new(false),
                Self::flush_edges,
            ),
            Format::Jsonl => self.lines(
                input,
                parse_jsonl_edge,
                EdgeBatch::new(false),
                Self::flush_edges,
            ),
            Format::Edgelist => {
                // No type on the line: the batch's slot 0, the import's default type.
                self.lines(
                    input,
                    parse_edgelist,
                    EdgeBatch::new(true),
                    Self::flush_edges,
                )
            }
        }
    }

    /// Whether the endpoints of `batch` not in the id map are looked up by key (an edge list
    /// whose node kind has an index on the id property holding entries).
    fn keyed_endpoints(&self, batch: &EdgeBatch) -> bool {
        batch.create && (self.endpoint_keys || self.keyed.get(&self.opts.node_kind) == Some(&true))
    }

    /// Looks `ext` up by key, as [`Importer::resolve`] would, and keeps what it finds in
    /// the id map (an id already there, or not found, is left to `resolve`).
    fn prefetch_key(&mut self, ext: &ExtId) -> Result<()> {
        if self.map.get(ext)?.is_some() {
            return Ok(());
        }
        let (kind, prop) = (self.opts.node_kind.clone(), self.opts.id_property.clone());
        if let Some(id) =
            keys::node_with_key_in(self.reader()?, &kind, &prop, &keys::ext_value(ext))?
        {
            self.map.insert(ext.clone(), id)?;
        }
        Ok(())
    }

    /// The node of an endpoint: seen in this import, created earlier in this batch, or
    /// (by name) in the graph as it was; else created (if the batch creates endpoints) or
    /// an error message.
    fn resolve(&mut self, ext: &ExtId, batch: &mut EdgeBatch) -> Result<Result<End, String>> {
        if let Some(id) = self.map.get(ext)? {
            if id.0 & SHADOWS_OLDER != 0 {
                let mine = NodeId(id.0 & !SHADOWS_OLDER);
                return Ok(Err(self.ambiguous(ext, Some(mine))?));
            }
            return Ok(Ok(End::known(id)));
        }
        if let Some(&i) = batch.new_index.get(ext) {
            return Ok(Ok(End::new(i)));
        }
        // An edge list's endpoints are of the node kind: look the id up as its key.
        if self.keyed_endpoints(batch) {
            let kind = &self.opts.node_kind;
            let (kind, prop) = (kind.clone(), self.opts.id_property.clone());
            let found =
                keys::node_with_key_in(self.reader()?, &kind, &prop, &keys::ext_value(ext))?;
            if let Some(id) = found {
                self.map.insert(ext.clone(), id)?;
                return Ok(Ok(End::known(id)));
            }
        }
        if self.names_before {
            // Only the nodes the graph had before the import count.
            match self.older_named(&ext.to_string())?.as_slice() {
                [id] => {
                    let id = *id;
                    self.map.insert(ext.clone(), id)?;
                    return Ok(Ok(End::known(id)));
                }
                [] => {}
                _ => return Ok(Err(self.ambiguous(ext, None)?)),
            }
        }
        if !batch.create {
            return Ok(Err(format!(
                "unknown node {:?} (not in this import's nodes, and no node has that name)",
                clip(&ext.to_string())
            )));
        }
        if ext.to_string().len() > NAME_SIZE_MAX {
            return Ok(Err(format!("node id longer than {NAME_SIZE_MAX} bytes")));
        }
        batch.new_exts.push(ext.clone());
        let i = batch.new_exts.len() - 1;
        batch.new_index.insert(ext.clone(), i);
        Ok(Ok(End::new(i)))
    }

    fn flush_edges(&mut self, path: &Path, batch: &mut EdgeBatch) -> Result<()> {
        if batch.taken == 0 {
            return Ok(());
        }
        let EdgeBatch {
            edges,
            types,
            new_exts,
            new_index,
            last_line,
            ..
        } = std::mem::replace(batch, EdgeBatch::new(batch.create));
        let mut tx = self.begin_write()?;
        let new_ids = if new_exts.is_empty() {
            Vec::new()
        } else {
            let kind = self.opts.node_kind.clone();
            self.key_index(&mut tx, &kind)?;
            let prop = &self.opts.id_property;
            tx.insert_nodes(new_exts.into_iter().map(|ext| NodeSpec {
                kind: kind.clone(),
                name: ext.to_string(),
                data: keys::add_key(Value::Null, prop, &keys::ext_value(&ext)),
            }))?
        };
        self.note_new(&new_ids);
        for (ext, i) in new_index {
            self.map.insert(ext, new_ids[i])?;
        }
        let default_type = self.opts.edge_type.clone();
        let type_name = |slot: u32| match slot {
            0 => default_type.clone(),
            i => types[i as usize - 1].clone(),
        };
        let (n, updated) = write_edges(
            &mut tx,
            edges,
            &new_ids,
            &type_name,
            self.opts.upsert,
            || format!("{}: batch ending at line {last_line}", path.display()),
        )?;
        self.commit(tx)?;
        self.summary.edges_updated += updated;
        self.summary.nodes += new_ids.len() as u64;
        self.summary.edges += n;
        Ok(())
    }
}

/// Writes a batch's edges, their endpoints resolved through `new_ids`; with `upsert`, an
/// edge whose (from, to, type) the database has (or an earlier line of the batch) updates
/// that edge instead (see [`upsert_edges`]). Returns (edges created, lines that updated an
/// edge); an error says where, `at()`.
pub(crate) fn write_edges(
    tx: &mut WriteTxn,
    edges: Vec<PendingEdge>,
    new_ids: &[NodeId],
    type_name: &impl Fn(u32) -> String,
    upsert: bool,
    at: impl Fn() -> String,
) -> Result<(u64, u64)> {
    let (edges, updated) = if upsert {
        upsert_edges(tx, edges, new_ids, type_name).context_with(&at)?
    } else {
        (edges, 0)
    };
    let created = edges.len() as u64;
    // Each type named once (slots are small and dense), not once per edge.
    let mut names: Vec<String> = Vec::new();
    let mut index_of: Vec<u32> = Vec::new();
    for e in &edges {
        let slot = e.edge_type as usize;
        if index_of.len() <= slot {
            index_of.resize(slot + 1, u32::MAX);
        }
        if index_of[slot] == u32::MAX {
            index_of[slot] = names.len() as u32;
            names.push(type_name(e.edge_type));
        }
    }
    // One type and no data still to encode (edge lists; labelled files, whose parsing
    // thread encoded it): the batch's data in one buffer, without a staging pass per edge.
    if names.len() == 1
        && edges
            .iter()
            .all(|e| !matches!(e.data, Some(EdgeBody::Value(_))))
    {
        let mut data = EncodedBatch::new();
        let mut ends = Vec::with_capacity(edges.len());
        for e in edges {
            ends.push((e.from.node(new_ids), e.to.node(new_ids)));
            match e.data {
                Some(EdgeBody::Encoded(d)) => data.push_encoded(&d),
                _ => data.push(&Value::Null).context_with(&at)?,
            }
        }
        tx.insert_edges_encoded(&names[0], &ends, data)
            .context_with(&at)?;
        return Ok((created, updated));
    }
    // Edges are made as the batch API pulls them, not gathered first.
    let typed = edges.into_iter().map(|e| TypedEdge {
        from: e.from.node(new_ids),
        to: e.to.node(new_ids),
        edge_type: index_of[e.edge_type as usize],
        data: e
            .data
            .map_or(EdgeData::Value(Value::Null), EdgeBody::into_edge_data),
    });
    tx.insert_typed_edges(&names, typed).context_with(&at)?;
    Ok((created, updated))
}

/// `--upsert`'s one edge per (from, to, type): updates (`+=` of the line's properties) the
/// edges of a batch that the database has, folds the batch's repeats into their first
/// line, and returns the edges left to create with how many lines updated an edge.
pub(crate) fn upsert_edges(
    tx: &mut WriteTxn,
    edges: Vec<PendingEdge>,
    new_ids: &[NodeId],
    type_name: &impl Fn(u32) -> String,
) -> Result<(Vec<PendingEdge>, u64)> {
    let mut updated = 0;
    let mut first: FxHashMap<(u64, u64, u32), usize> = FxHashMap::default();
    let mut create: Vec<PendingEdge> = Vec::with_capacity(edges.len());
    for e in edges {
        let key = (e.from.0, e.to.0, e.edge_type);
        if let Some(&i) = first.get(&key) {
            let earlier: &mut PendingEdge = &mut create[i];
            let mut into = earlier
                .data
                .take()
                .map(EdgeBody::into_value)
                .transpose()?
                .map(Box::new);
            let later = e.data.map(EdgeBody::into_value).transpose()?.map(Box::new);
            keys::merge_data(&mut into, later);
            earlier.data = into.map(EdgeBody::Value);
            updated += 1;
            continue;
        }
        // Only an edge between two nodes that existed before the batch can be stored.
        if !e.from.is_new() && !e.to.is_new() {
            let (from, to) = (e.from.node(new_ids), e.to.node(new_ids));
            let edge_type = type_name(e.edge_type);
            if let Some(&id) = tx.edges_between(from, to, &edge_type)?.first() {
                let data = e.data.map_or(Ok(Value::Null), EdgeBody::into_value)?;
                let props = EdgeSpec {
                    from,
                    to,
                    edge_type,
                    data,
                }
                .properties()?;
                if !props.is_empty() {
                    tx.merge_edge_properties(id, props)?;
                }
                updated += 1;
                continue;
            }
        }
        first.insert(key, create.len());
        create.push(e);
    }
    Ok((create, updated))
}

/// Lines parsed per message from the parsing thread.
const PARSE_CHUNK: usize = 16 * 1024;

/// A parsed line: its number and the record or why it is bad. Blank and comment lines are
/// left out.
type ParsedLine<T> = (u64, Result<T, String>);

/// Reads and parses `input` on a second thread while `consume` (on this one) writes what
/// was parsed, chunk by chunk. A line that is not UTF-8 is a bad line like any other.
/// Stops at the first read error (after the lines before it are consumed) or at the first
/// error `consume` returns.
fn parse_in_background<T: Send>(
    mut input: Input,
    parse: impl Fn(&str) -> Result<Option<T>, String> + Send,
    mut consume: impl FnMut(Vec<ParsedLine<T>>) -> Result<()>,
) -> Result<()> {
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<ParsedLine<T>>>>(4);
        s.spawn(move || {
            let mut line = Vec::new();
            let mut chunk = Vec::with_capacity(PARSE_CHUNK);
            loop {
                match input.next_line(&mut line) {
                    Ok(true) => match input::text(&line).and_then(&parse) {
                        Ok(None) => {}
                        Ok(Some(rec)) => chunk.push((input.line(), Ok(rec))),
                        Err(reason) => chunk.push((input.line(), Err(reason))),
                    },
                    Ok(false) => break,
                    Err(e) => {
                        if !chunk.is_empty() && tx.send(Ok(std::mem::take(&mut chunk))).is_err() {
                            return;
                        }
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
            consume(msg?)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_file_names() {
        assert_eq!(Format::infer(Path::new("a/nodes.jsonl")), Format::Jsonl);
        assert_eq!(Format::infer(Path::new("e.NDJSON.gz")), Format::Jsonl);
        assert_eq!(Format::infer(Path::new("e.csv.gz")), Format::Csv);
        assert_eq!(Format::infer(Path::new("wiki-Vote.txt")), Format::Edgelist);
        assert_eq!(Format::infer(Path::new("g.e")), Format::Edgelist);
    }
}
