//! Labelled CSV read in place: node and edge files with Neo4j admin-import headers (see
//! [`crate::header`]), each with its label or type, dialect, and its header in the file
//! or given apart (for headerless part files), loaded by [`run_csv`].
//!
//! **Id spaces.** Each `:ID(Space)` names a key space. A node of space `S` carries the
//! label `S` (by default; [`SpaceSpec::label`] names another) besides its file's label and
//! its `:LABEL` cells, and keeps its id as a property under a unique index on that label:
//! the property the `:ID` column names (`id:ID(Person)` keeps `id`), else
//! [`SpaceSpec::key`], else [`ImportOptions::id_property`]. A decimal id up to `i64::MAX`
//! is kept as an integer, any other as its text. The same id in two spaces names two
//! nodes. An edge endpoint resolves in the space its column names
//! (`:START_ID(Person)`): among the nodes of this import, then by its key among the nodes
//! the database held before. One that no node has is a `file:line` error; with
//! [`ImportOptions::create_missing`] it creates a node with only its key, labelled by the
//! space; with [`ImportOptions::skip_bad`] its line is skipped and counted.
//!
//! **Nodes and edges.** A node's labels are its file's label (default: its space's), its
//! space's label, then its `:LABEL` cells (`;`-separated), each once; its properties are its
//! property columns plus its key; a non-empty string `name` property is the node's name (as
//! the properties view has it). An edge's type is its `:TYPE` cell, else its file's type.
//! All node files load before any edge file. With [`ImportOptions::upsert`] a node whose
//! key its space already has is updated (properties set, labels added), and an edge whose
//! (from, to, type) the database has is updated, so a second run changes no counts.
//!
//! Memory: each space's id map gets an equal share of [`ImportOptions::id_memory`]; past
//! it, ids spill to disk as in every import.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use pagegraph::{
    EncodedData, Graph, LABEL_SIZE_MAX, NAME_PROPERTY, NAME_SIZE_MAX, NodeId, NodeSpec,
    PropertyValue, ReadTxn, WriteTxn,
};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use crate::bulk::Batches;
use crate::error::{Context, ImportError, Result};
use crate::header::{Element, Header};
use crate::idmap::{ExtId, IdMap};
use crate::importer::{
    EdgeBody, End, ImportOptions, PendingEdge, SKIPPED_REPORTED, Summary, write_edges,
};
use crate::input::{Input, clip};
use crate::keys;
use crate::parse::{CsvDialect, CsvSource, csv_reader_with, csv_stop};
use crate::progress::{NoProgress, Progress};

/// One or more CSV files of one element kind, read alike.
#[derive(Clone, Debug)]
pub struct CsvFiles {
    /// Nodes or edges.
    pub element: Element,
    /// The files, read in order (plain or `.gz`).
    pub files: Vec<PathBuf>,
    /// The nodes' label (default: their id space's name) or the edges' type (default:
    /// each row's `:TYPE` cell; a file without either is refused).
    pub label: Option<String>,
    /// The header, when the files have no header row (LDBC's headerless part files): its
    /// text, in the files' dialect. `None`: each file's first row is its header.
    pub header: Option<String>,
    /// How the files are written.
    pub dialect: CsvDialect,
}

/// How an id space maps to the graph.
#[derive(Clone, Debug, Default)]
pub struct SpaceSpec {
    /// The space's name, as in `:ID(Name)`.
    pub name: String,
    /// The label its nodes carry and whose unique index keeps their ids (default: the
    /// space's name).
    pub label: Option<String>,
    /// The property that keeps its nodes' ids when the `:ID` column names none (default:
    /// [`ImportOptions::id_property`]).
    pub key: Option<String>,
}

/// A whole labelled import: the files, and how their id spaces map to labels.
#[derive(Clone, Debug, Default)]
pub struct CsvImport {
    /// The node and edge files (node files load first, each group in order).
    pub sources: Vec<CsvFiles>,
    /// Spaces that map to another label or key property than by default.
    pub spaces: Vec<SpaceSpec>,
}

/// A key space: the label and property that keep its ids, and its id map.
struct Space {
    name: String,
    label: String,
    key: String,
    map: IdMap,
    /// Whether its key index held entries when the import began (only then can a key be
    /// in the database and not in the map).
    had_keys: bool,
    /// Whether this import has made sure of its key index.
    indexed: bool,
}

/// What a file's rows become, from its header and its source.
struct Plan {
    header: Header,
    /// Nodes: the id's space; edges: the start's space.
    space: usize,
    /// Edges: the end's space.
    end_space: usize,
    /// Nodes: the labels every node of the file has (the first is its kind); edges: the
    /// type (one element) unless rows give theirs.
    labels: Vec<String>,
    /// Whether the file's first row is its header.
    header_row: bool,
}

/// A node row waiting for its batch to be written.
struct NodeLine {
    line: u64,
    space: usize,
    ext: ExtId,
    labels: Vec<String>,
    name: String,
    data: Map<String, Value>,
}

/// The edges of the batch being built, their endpoints resolved as they arrive.
#[derive(Default)]
struct EdgeLines {
    edges: Vec<PendingEdge>,
    /// Edge types named in the batch (slot = 1 + position).
    types: Vec<String>,
    type_index: FxHashMap<String, u32>,
    /// Endpoints this batch creates (`create_missing`), by space, and their position.
    new_nodes: Vec<(usize, ExtId)>,
    new_index: FxHashMap<(usize, ExtId), usize>,
    taken: usize,
    last_line: u64,
}

impl EdgeLines {
    fn type_slot(&mut self, t: &str) -> u32 {
        if let Some(&i) = self.type_index.get(t) {
            return i;
        }
        self.types.push(t.to_string());
        let i = self.types.len() as u32;
        self.type_index.insert(t.to_string(), i);
        i
    }
}

/// Why a line is skipped, as counted in [`Summary::skipped_by_reason`].
const BAD_RECORD: &str = "bad record";
const BAD_VALUE: &str = "bad value";
const DUPLICATE_ID: &str = "duplicate id";
const ID_IN_DATABASE: &str = "id in the database";
const MISSING_ENDPOINT: &str = "missing endpoint";

struct Loader<'g> {
    graph: &'g Graph,
    opts: ImportOptions,
    spaces: Vec<Space>,
    snapshot: Option<ReadTxn>,
    /// Each batch its own transaction, or all one bulk transaction (`bulk.rs`).
    batches: Batches,
    summary: Summary,
    progress: Arc<dyn Progress>,
}

/// Imports labelled CSV files (see the module doc) into `graph`, whose file is at
/// `db_path` (the id maps' spill files go next to it), reporting to `progress`. Every
/// file's header is read and checked before anything is written; then node files load,
/// then edge files, in batches of [`ImportOptions::batch`] rows, each committed whole.
pub fn run_csv(
    graph: &Graph,
    db_path: &Path,
    import: &CsvImport,
    opts: ImportOptions,
    progress: Arc<dyn Progress>,
) -> Result<Summary> {
    if import.sources.iter().all(|s| s.files.is_empty()) {
        return Err(ImportError::Options("nothing to import: no files".into()));
    }
    if opts.batch == 0 {
        return Err(ImportError::Options("--batch must be at least 1".into()));
    }
    keys::check_property(&opts.id_property)?;
    let start = Instant::now();
    crate::idmap::remove_stale_scratch(db_path);
    let mut names: Vec<(String, String, String)> = Vec::new();
    let mut plans = Vec::new();
    for (element, pass) in [(Element::Nodes, 0), (Element::Edges, 1)] {
        for src in import.sources.iter().filter(|s| s.element == element) {
            for file in &src.files {
                let plan = plan(src, file, import, &opts, &mut names)?;
                plans.push((pass, src, file, plan));
            }
        }
    }
    let budget = opts.id_memory / names.len().max(1);
    let spaces = {
        let r = graph.begin_read()?;
        let mut spaces = Vec::with_capacity(names.len());
        for (name, label, key) in names {
            spaces.push(Space {
                had_keys: keys::has_keys(&r, &label, &key)?,
                map: IdMap::new(db_path, budget),
                name,
                label,
                key,
                indexed: false,
            });
        }
        spaces
    };
    let batches = Batches::new(graph, opts.upsert)?;
    let mut loader = Loader {
        graph,
        opts,
        spaces,
        snapshot: None,
        batches,
        summary: Summary::default(),
        progress,
    };
    let read = plans
        .iter()
        .try_for_each(|(_, src, file, plan)| loader.file(src, file, plan));
    loader.batches.finish(read)?;
    loader.progress.finished();
    loader.summary.ids_spilled = loader.spaces.iter().map(|s| s.map.spilled()).sum();
    loader.summary.elapsed = start.elapsed();
    Ok(loader.summary)
}

/// The index of the space `name` in `names` (name, label, key), added if new.
fn space_of(
    name: &str,
    key: Option<&str>,
    file: &Path,
    import: &CsvImport,
    opts: &ImportOptions,
    names: &mut Vec<(String, String, String)>,
) -> Result<usize> {
    let spec = import.spaces.iter().find(|s| s.name == name);
    let key = key
        .or(spec.and_then(|s| s.key.as_deref()))
        .unwrap_or(&opts.id_property)
        .to_string();
    if let Some(i) = names.iter().position(|(n, ..)| n == name) {
        if names[i].2 != key {
            return Err(ImportError::line(
                file,
                1,
                format!(
                    "id space {:?} keeps its ids as {:?} in another file, and as {:?} here",
                    clip(name),
                    clip(&names[i].2),
                    clip(&key)
                ),
            ));
        }
        return Ok(i);
    }
    keys::check_property(&key).map_err(|e| ImportError::line(file, 1, e.to_string()))?;
    let label = spec
        .and_then(|s| s.label.clone())
        .unwrap_or_else(|| name.to_string());
    check_label(&label).map_err(|e| ImportError::line(file, 1, e))?;
    names.push((name.to_string(), label, key));
    Ok(names.len() - 1)
}

fn check_label(l: &str) -> Result<(), String> {
    if l.is_empty() {
        return Err("an empty label".into());
    }
    if l.len() > LABEL_SIZE_MAX {
        return Err(format!(
            "label {:?} is longer than {LABEL_SIZE_MAX} bytes",
            clip(l)
        ));
    }
    Ok(())
}

/// The header fields of `file` and the line they are on (0 for a header given apart);
/// the file is opened either way, so that a missing file fails before any write.
fn header_fields(src: &CsvFiles, file: &Path) -> Result<(csv::StringRecord, u64)> {
    let quiet: Arc<dyn Progress> = Arc::new(NoProgress);
    let input = Input::open(file, "header", &quiet)?;
    let mut rec = csv::StringRecord::new();
    if let Some(text) = &src.header {
        let bytes = std::io::Cursor::new(text.clone().into_bytes());
        let mut csv = csv_reader_with(Box::new(bytes), src.dialect);
        return match csv.read_record(&mut rec) {
            Ok(true) => Ok((rec, 0)),
            _ => Err(ImportError::file(
                file,
                "the given header is empty or unreadable",
            )),
        };
    }
    let mut csv = csv_reader_with(input.into_reader(), src.dialect);
    match csv.read_record(&mut rec) {
        Ok(true) => Ok((rec, 1)),
        Ok(false) => Err(ImportError::file(
            file,
            "empty file (a header row is needed)",
        )),
        Err(e) => Err(match csv_stop(&e) {
            Some(stop) => ImportError::line(file, stop.line, &stop.what),
            None => ImportError::line(file, 1, format!("cannot read the header row: {e}")),
        }),
    }
}

/// Reads and checks the header of `file` and what its rows become.
fn plan(
    src: &CsvFiles,
    file: &Path,
    import: &CsvImport,
    opts: &ImportOptions,
    names: &mut Vec<(String, String, String)>,
) -> Result<Plan> {
    let (fields, line) = header_fields(src, file)?;
    let fields: Vec<&str> = fields.iter().collect();
    let header = Header::parse(&fields, src.element, file, line)?;
    let at = |reason: String| {
        if line == 0 {
            ImportError::file(file, format!("the given header: {reason}"))
        } else {
            ImportError::line(file, 1, reason)
        }
    };
    match src.element {
        Element::Nodes => {
            let key = match header.columns.get(header.id) {
                Some(crate::header::Column::Id { property, .. }) => property.as_deref(),
                _ => None,
            };
            let space_name = header
                .space(header.id)
                .or(src.label.as_deref())
                .ok_or_else(|| {
                    at("the :ID column names no id space, and the file has no label".into())
                })?
                .to_string();
            let space = space_of(&space_name, key, file, import, opts, names)?;
            let key = &names[space].2;
            let clash = header
                .columns
                .iter()
                .any(|c| matches!(c, crate::header::Column::Property { name, .. } if name == key));
            if clash {
                return Err(at(format!(
                    "column {:?} holds the property that keeps the ids of id space {:?}: \
                     name the :ID column (such as {key}:ID({})) or give the space another key",
                    clip(key),
                    clip(&space_name),
                    clip(&space_name)
                )));
            }
            let mut labels = Vec::new();
            if let Some(l) = &src.label {
                check_label(l).map_err(&at)?;
                labels.push(l.clone());
            }
            let space_label = names[space].1.clone();
            if !labels.contains(&space_label) {
                labels.push(space_label);
            }
            Ok(Plan {
                header,
                space,
                end_space: space,
                labels,
                header_row: line == 1,
            })
        }
        Element::Edges => {
            let mut ends = [0; 2];
            for (slot, col, what) in [(0, header.id, ":START_ID"), (1, header.end, ":END_ID")] {
                let name = header
                    .space(col)
                    .ok_or_else(|| {
                        at(format!(
                            "the {what} column names no id space: write {what}(Space)"
                        ))
                    })?
                    .to_string();
                ends[slot] = space_of(&name, None, file, import, opts, names)?;
            }
            let labels = match &src.label {
                Some(t) => {
                    check_label(t).map_err(&at)?;
                    vec![t.clone()]
                }
                None if header.labels.is_some() => Vec::new(),
                None => {
                    return Err(at(
                        "no edge type: give the files a type or a :TYPE column".into()
                    ));
                }
            };
            Ok(Plan {
                header,
                space: ends[0],
                end_space: ends[1],
                labels,
                header_row: line == 1,
            })
        }
    }
}

impl Loader<'_> {
    /// A bad line: an error, or (with `skip_bad`) reported, and counted by `why`.
    fn bad(&mut self, path: &Path, line: u64, why: &str, reason: &str) -> Result<()> {
        if !self.opts.skip_bad {
            return Err(ImportError::line(path, line, reason));
        }
        self.summary.skipped += 1;
        *self
            .summary
            .skipped_by_reason
            .entry(why.to_string())
            .or_default() += 1;
        if self.summary.skipped <= SKIPPED_REPORTED {
            self.progress.skipped(path, line, reason);
        }
        Ok(())
    }

    /// Loads one file: a second thread reads and parses its rows (CSV, typed cells, ids)
    /// while this one resolves endpoints and writes the batches.
    fn file(&mut self, src: &CsvFiles, path: &Path, plan: &Plan) -> Result<()> {
        let what = match src.element {
            Element::Nodes => "nodes",
            Element::Edges => "edges",
        };
        let input = Input::open(path, what, &self.progress)?;
        let mut csv = csv_reader_with(input.into_reader(), src.dialect);
        let mut record = csv::StringRecord::new();
        if plan.header_row {
            // Checked when the import was planned.
            self.read(&mut csv, path, &mut record)?;
        }
        let key = self.spaces[plan.space].key.clone();
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Row>>>(ROW_CHUNKS);
            scope.spawn(move || parse_rows(csv, path, src, plan, &key, &tx));
            self.take_rows(path, plan, &rx)
        })
    }

    /// Takes the parsed rows of a file into batches, writing each when it is full.
    fn take_rows(
        &mut self,
        path: &Path,
        plan: &Plan,
        rows: &std::sync::mpsc::Receiver<Result<Vec<Row>>>,
    ) -> Result<()> {
        let mut nodes: Vec<NodeLine> = Vec::new();
        let mut edges = EdgeLines::default();
        // Records taken since the last flush, bad ones included: batch boundaries depend
        // on the file alone.
        let mut taken = 0;
        for chunk in rows {
            for row in chunk? {
                match row {
                    Row::Node(n) => nodes.push(n),
                    Row::Edge(e) => self.edge_line(e, plan, path, &mut edges)?,
                    Row::Bad {
                        line,
                        why,
                        reason,
                        edge,
                    } => {
                        if edge {
                            edges.taken += 1;
                            edges.last_line = line;
                        }
                        self.bad(path, line, why, &reason)?;
                    }
                }
                taken += 1;
                if taken >= self.opts.batch {
                    taken = 0;
                    self.flush(path, &mut nodes, &mut edges)?;
                }
            }
        }
        self.flush(path, &mut nodes, &mut edges)
    }

    /// Reads the next record on this thread: `None` at the end, `Some(true)` for a
    /// record, `Some(false)` for a bad one that was skipped.
    fn read(
        &mut self,
        csv: &mut csv::Reader<CsvSource>,
        path: &Path,
        record: &mut csv::StringRecord,
    ) -> Result<Option<bool>> {
        match read_record(csv, path, record)? {
            None => Ok(None),
            Some(Ok(())) => Ok(Some(true)),
            Some(Err((at, reason))) => {
                self.bad(path, at, BAD_RECORD, &reason)?;
                Ok(Some(false))
            }
        }
    }

    /// Writes the batch built so far.
    fn flush(
        &mut self,
        path: &Path,
        nodes: &mut Vec<NodeLine>,
        edges: &mut EdgeLines,
    ) -> Result<()> {
        if !nodes.is_empty() {
            self.flush_nodes(path, std::mem::take(nodes))?;
        }
        if edges.taken > 0 {
            self.flush_edges(path, std::mem::take(edges))?;
        }
        Ok(())
    }

    /// Takes a parsed edge row into the batch: its endpoints resolved, or a bad line.
    fn edge_line(
        &mut self,
        row: EdgeRow,
        plan: &Plan,
        path: &Path,
        batch: &mut EdgeLines,
    ) -> Result<()> {
        let line = row.line;
        batch.taken += 1;
        batch.last_line = line;
        let mut ends = [End(0), End(0)];
        for (slot, (ext, space)) in row.ends.iter().zip(row.spaces).enumerate() {
            let Some(end) = self.resolve(space, ext, batch)? else {
                let what = if slot == 0 { ":START_ID" } else { ":END_ID" };
                let reason = format!(
                    "unknown node {:?} in id space {:?} ({what}; --create-missing creates it)",
                    clip(&ext.to_string()),
                    clip(&self.spaces[space].name)
                );
                return self.bad(path, line, MISSING_ENDPOINT, &reason);
            };
            ends[slot] = end;
        }
        let edge_type = match &row.edge_type {
            Some(t) => batch.type_slot(t),
            None => batch.type_slot(plan.labels.first().map_or("", String::as_str)),
        };
        let [from, to] = ends;
        batch.edges.push(PendingEdge {
            from,
            to,
            edge_type,
            data: row.data.map(EdgeBody::Encoded),
        });
        Ok(())
    }

    /// The node of an endpoint: of this import, created earlier in this batch, or by its
    /// key in the database as it was; else created (`create_missing`) or `None`.
    fn resolve(&mut self, space: usize, ext: &ExtId, batch: &mut EdgeLines) -> Result<Option<End>> {
        if let Some(id) = self.spaces[space].map.get(ext)? {
            return Ok(Some(End::known(id)));
        }
        if let Some(&i) = batch.new_index.get(&(space, ext.clone())) {
            return Ok(Some(End::new(i)));
        }
        if self.spaces[space].had_keys {
            let (label, key) = (
                self.spaces[space].label.clone(),
                self.spaces[space].key.clone(),
            );
            let found =
                keys::node_with_key_in(self.reader()?, &label, &key, &keys::ext_value(ext))?;
            if let Some(id) = found {
                self.spaces[space].map.insert(ext.clone(), id)?;
                return Ok(Some(End::known(id)));
            }
        }
        if !self.opts.create_missing {
            return Ok(None);
        }
        batch.new_nodes.push((space, ext.clone()));
        let i = batch.new_nodes.len() - 1;
        batch.new_index.insert((space, ext.clone()), i);
        Ok(Some(End::new(i)))
    }

    /// The snapshot for key lookups, dropped before each batch is written (a snapshot held
    /// across commits keeps the pages they free from reuse).
    fn reader(&mut self) -> Result<&ReadTxn> {
        Ok(match self.snapshot {
            Some(ref r) => r,
            None => self.snapshot.insert(self.graph.begin_read()?),
        })
    }

    fn begin_write(&mut self) -> Result<WriteTxn> {
        let (tx, new) = self.batches.begin(self.graph)?;
        if new {
            self.snapshot = None;
        }
        Ok(tx)
    }

    /// Ends a batch: committed, or held for the next one in a bulk load.
    fn commit(&mut self, tx: WriteTxn) -> Result<()> {
        self.batches.end(tx)?;
        self.summary.batches += 1;
        Ok(())
    }

    /// Makes sure of a space's key index (created in `tx` if missing).
    fn key_index(&mut self, tx: &mut WriteTxn, space: usize) -> Result<()> {
        let s = &mut self.spaces[space];
        if !s.indexed {
            keys::ensure_index(tx, &s.label, &s.key)?;
            s.indexed = true;
        }
        Ok(())
    }

    fn flush_nodes(&mut self, path: &Path, batch: Vec<NodeLine>) -> Result<()> {
        let last_line = batch.last().map_or(0, |n| n.line);
        let mut tx = self.begin_write()?;
        let mut in_batch: FxHashMap<(usize, ExtId), u64> = FxHashMap::default();
        let mut create = Vec::with_capacity(batch.len());
        let mut updated = Vec::new();
        // Every row checked before the batch writes a node: a bad one stops the import
        // with the batches before it kept.
        let checked = (|| -> Result<()> {
            for row in batch {
                let dup = if let Some(first) = in_batch.get(&(row.space, row.ext.clone())) {
                    Some(format!("first on line {first}"))
                } else if self.spaces[row.space].map.get(&row.ext)?.is_some() {
                    Some("an earlier line has it".to_string())
                } else {
                    None
                };
                if let Some(why) = dup {
                    let reason = format!(
                        "duplicate node id {:?} in id space {:?} ({why})",
                        clip(&row.ext.to_string()),
                        clip(&self.spaces[row.space].name)
                    );
                    self.bad(path, row.line, DUPLICATE_ID, &reason)?;
                    continue;
                }
                in_batch.insert((row.space, row.ext.clone()), row.line);
                self.key_index(&mut tx, row.space)?;
                let s = &self.spaces[row.space];
                if s.had_keys
                    && let Some(id) =
                        keys::node_with_key(&tx, &s.label, &s.key, &keys::ext_value(&row.ext))?
                {
                    if self.opts.upsert {
                        updated.push((id, row));
                    } else {
                        let reason = format!(
                            "node id {:?} of id space {:?} is already in the database (node {id}); \
                             --upsert updates such nodes instead",
                            clip(&row.ext.to_string()),
                            clip(&s.name)
                        );
                        self.bad(path, row.line, ID_IN_DATABASE, &reason)?;
                    }
                    continue;
                }
                create.push(row);
            }
            Ok(())
        })();
        if let Err(e) = checked {
            self.batches.keep(tx);
            return Err(e);
        }
        for (id, row) in &updated {
            let props = NodeSpec {
                kind: String::new(),
                name: row.name.clone(),
                data: Value::Object(row.data.clone()),
            }
            .properties()
            .context_with(|| format!("{}:{}", path.display(), row.line))?;
            tx.merge_node_properties(*id, props)
                .context_with(|| format!("{}:{}", path.display(), row.line))?;
            for l in &row.labels {
                tx.add_label(*id, l)
                    .context_with(|| format!("{}:{}", path.display(), row.line))?;
            }
        }
        let mut made = Vec::with_capacity(create.len());
        let specs: Vec<NodeSpec> = create
            .into_iter()
            .map(|row| {
                let spec = NodeSpec {
                    kind: row.labels.first().cloned().unwrap_or_default(),
                    name: row.name,
                    data: Value::Object(row.data),
                };
                made.push((row.space, row.ext, row.labels));
                spec
            })
            .collect();
        let ids = tx
            .insert_nodes(specs)
            .context_with(|| format!("{}: batch ending at line {last_line}", path.display()))?;
        for ((_, _, labels), &id) in made.iter().zip(&ids) {
            for l in labels.iter().skip(1) {
                tx.add_label(id, l).context_with(|| {
                    format!("{}: batch ending at line {last_line}", path.display())
                })?;
            }
        }
        self.commit(tx)?;
        self.summary.nodes += ids.len() as u64;
        self.summary.nodes_updated += updated.len() as u64;
        for (id, row) in updated {
            self.spaces[row.space].map.insert(row.ext, id)?;
        }
        for ((space, ext, _), id) in made.into_iter().zip(ids) {
            self.spaces[space].map.insert(ext, id)?;
        }
        Ok(())
    }

    fn flush_edges(&mut self, path: &Path, batch: EdgeLines) -> Result<()> {
        let EdgeLines {
            edges,
            types,
            new_nodes,
            last_line,
            ..
        } = batch;
        let mut tx = self.begin_write()?;
        let mut specs = Vec::with_capacity(new_nodes.len());
        for (space, ext) in &new_nodes {
            self.key_index(&mut tx, *space)?;
            let s = &self.spaces[*space];
            let key = keys::ext_value(ext)
                .to_json()
                .map_err(|e| ImportError::line(path, last_line, e.to_string()))?;
            let mut data = Map::new();
            data.insert(s.key.clone(), key);
            specs.push(NodeSpec {
                kind: s.label.clone(),
                name: String::new(),
                data: Value::Object(data),
            });
        }
        let new_ids: Vec<NodeId> = if specs.is_empty() {
            Vec::new()
        } else {
            tx.insert_nodes(specs)
                .context_with(|| format!("{}: batch ending at line {last_line}", path.display()))?
        };
        let type_name = |slot: u32| types.get(slot as usize - 1).cloned().unwrap_or_default();
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
        for ((space, ext), &id) in new_nodes.into_iter().zip(&new_ids) {
            self.spaces[space].map.insert(ext, id)?;
        }
        self.summary.nodes += new_ids.len() as u64;
        self.summary.edges += n;
        Ok(())
    }
}

/// Parsed rows handed from the reading thread at a time.
const ROW_CHUNK: usize = 4096;

/// Chunks of rows the reading thread may be ahead by.
const ROW_CHUNKS: usize = 8;

/// A row as the reading thread parsed it.
enum Row {
    Node(NodeLine),
    Edge(EdgeRow),
    /// A bad row (of an edge file when `edge`): why, for the count, and the reason.
    Bad {
        line: u64,
        why: &'static str,
        reason: String,
        edge: bool,
    },
}

/// An edge row with its cells parsed; its endpoints are resolved by the writing thread.
struct EdgeRow {
    line: u64,
    /// Its `:TYPE` cell; `None`: the file's type.
    edge_type: Option<String>,
    /// Its properties, encoded; `None` when it has none.
    data: Option<EncodedData>,
    ends: [ExtId; 2],
    spaces: [usize; 2],
}

/// Reads and parses the rows of a file, sending them in chunks; stops at the end, at a
/// fault that ends the file (sent as an error), or when the receiver is gone.
fn parse_rows(
    mut csv: csv::Reader<CsvSource>,
    path: &Path,
    src: &CsvFiles,
    plan: &Plan,
    key_property: &str,
    tx: &std::sync::mpsc::SyncSender<Result<Vec<Row>>>,
) {
    let mut record = csv::StringRecord::new();
    let mut chunk = Vec::with_capacity(ROW_CHUNK);
    let edge = matches!(src.element, Element::Edges);
    loop {
        let line = csv.position().line() + 1;
        let row = match read_record(&mut csv, path, &mut record) {
            Err(e) => {
                let _ = tx.send(Ok(std::mem::take(&mut chunk)));
                let _ = tx.send(Err(e));
                return;
            }
            Ok(None) => break,
            Ok(Some(Err((at, reason)))) => Row::Bad {
                line: at,
                why: BAD_RECORD,
                reason,
                edge,
            },
            Ok(Some(Ok(()))) => {
                let at = record.position().map_or(line, csv::Position::line);
                let parsed = if edge {
                    edge_row(plan, src, &record, at).map(Row::Edge)
                } else {
                    node_line(plan, src, key_property, &record, at).map(Row::Node)
                };
                parsed.unwrap_or_else(|reason| Row::Bad {
                    line: at,
                    why: BAD_VALUE,
                    reason,
                    edge,
                })
            }
        };
        chunk.push(row);
        if chunk.len() == ROW_CHUNK
            && tx
                .send(Ok(std::mem::replace(
                    &mut chunk,
                    Vec::with_capacity(ROW_CHUNK),
                )))
                .is_err()
        {
            return;
        }
    }
    if !chunk.is_empty() {
        let _ = tx.send(Ok(chunk));
    }
}

/// Reads the next record: `None` at the end, `Some(Ok)` for a record, `Some(Err)` for a
/// bad one (its line and why); `Err` for a fault that ends the file.
fn read_record(
    csv: &mut csv::Reader<CsvSource>,
    path: &Path,
    record: &mut csv::StringRecord,
) -> Result<Option<std::result::Result<(), (u64, String)>>> {
    let line = csv.position().line() + 1;
    match csv.read_record(record) {
        Ok(false) => Ok(None),
        Ok(true) => Ok(Some(Ok(()))),
        Err(e) => {
            let at = e.position().map_or(line, csv::Position::line);
            if let Some(stop) = csv_stop(&e) {
                return Err(ImportError::line(path, stop.line, &stop.what));
            }
            let reason = match e.kind() {
                csv::ErrorKind::Io(_) => {
                    return Err(ImportError::line(path, at, format!("read failed: {e}")));
                }
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("{len} fields, the header has {expected_len}"),
                csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".to_string(),
                _ => e.to_string(),
            };
            Ok(Some(Err((at, reason))))
        }
    }
}

/// An edge row's cells: its type, properties and endpoint ids, or why it is bad.
fn edge_row(
    plan: &Plan,
    src: &CsvFiles,
    r: &csv::StringRecord,
    line: u64,
) -> std::result::Result<EdgeRow, String> {
    let edge_type = match plan
        .header
        .labels
        .and_then(|i| r.get(i))
        .filter(|t| !t.is_empty())
    {
        Some(t) => {
            check_label(t).map_err(|e| format!("column :TYPE: {e}"))?;
            Some(t.to_string())
        }
        None if plan.labels.is_empty() => return Err("the :TYPE column is empty".into()),
        // Checked when the import was planned.
        None => None,
    };
    let data = plan
        .header
        .encoded_properties(r, src.dialect.array_delimiter)?;
    let mut ends = [ExtId::Num(0), ExtId::Num(0)];
    for (slot, col, what) in [
        (0, plan.header.id, ":START_ID"),
        (1, plan.header.end, ":END_ID"),
    ] {
        let cell = r.get(col).unwrap_or_default();
        if cell.is_empty() {
            return Err(format!("the {what} column is empty"));
        }
        ends[slot] = ExtId::parse(cell);
    }
    Ok(EdgeRow {
        line,
        edge_type,
        data,
        ends,
        spaces: [plan.space, plan.end_space],
    })
}

/// A node row, or why it is bad.
fn node_line(
    plan: &Plan,
    src: &CsvFiles,
    key_property: &str,
    r: &csv::StringRecord,
    line: u64,
) -> Result<NodeLine, String> {
    let id = r.get(plan.header.id).unwrap_or_default();
    if id.is_empty() {
        return Err("the :ID column is empty".into());
    }
    let ext = ExtId::parse(id);
    let mut data = plan.header.properties(r, src.dialect.array_delimiter)?;
    let key = keys::ext_value(&ext).to_json().map_err(|e| e.to_string())?;
    data.insert(key_property.to_string(), key);
    let mut labels = plan.labels.clone();
    if let Some(i) = plan.header.labels {
        for l in r
            .get(i)
            .unwrap_or_default()
            .split(src.dialect.array_delimiter)
        {
            let l = l.trim();
            if l.is_empty() || labels.iter().any(|x| x == l) {
                continue;
            }
            check_label(l).map_err(|e| format!("column :LABEL: {e}"))?;
            labels.push(l.to_string());
        }
    }
    let name = match data.get(NAME_PROPERTY) {
        Some(Value::String(s)) if !s.is_empty() => {
            if s.len() > NAME_SIZE_MAX {
                return Err(format!(
                    "column \"name\" is longer than {NAME_SIZE_MAX} bytes"
                ));
            }
            let s = s.clone();
            data.remove(NAME_PROPERTY);
            s
        }
        _ => String::new(),
    };
    Ok(NodeLine {
        line,
        space: plan.space,
        ext,
        labels,
        name,
        data,
    })
}

/// The key value of an id (for callers that look nodes up by the keys an import kept).
pub fn key_value(id: &str) -> PropertyValue {
    keys::ext_value(&ExtId::parse(id))
}
