//! What GML and GraphML imports share: a graph file read whole (within [`FILE_SIZE_MAX`])
//! into node and edge items, then written in batches. A node's key is its own key
//! property when its data holds one (as an export of an imported graph does), else its id
//! in the file; its labels are the file's (GraphML `labels`) or the import's node kind.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use pagegraph::{Graph, NAME_PROPERTY, NAME_SIZE_MAX, NodeId, NodeSpec, PropertyValue, WriteTxn};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use crate::error::{Context, ImportError, Result};
use crate::idmap::{ExtId, IdMap};
use crate::importer::{
    EdgeBody, End, ImportOptions, PendingEdge, SKIPPED_REPORTED, Summary, write_edges,
};
use crate::input::clip;
use crate::keys;
use crate::progress::Progress;

/// The largest graph file (GML, GraphML) read, in bytes: the file is parsed whole.
pub const FILE_SIZE_MAX: u64 = 1 << 30;

/// A node of a graph file: the line it starts on, its id in the file, its labels (none:
/// the import's node kind) and its properties.
pub(crate) struct NodeItem {
    pub line: u64,
    pub id: ExtId,
    pub labels: Vec<String>,
    pub data: Map<String, Value>,
}

/// An edge of a graph file: its line, its endpoints' ids in the file, its type (none: the
/// import's edge type) and its properties.
pub(crate) struct EdgeItem {
    pub line: u64,
    pub source: ExtId,
    pub target: ExtId,
    pub edge_type: Option<String>,
    pub data: Map<String, Value>,
}

/// An item, or the line it is on and why it is bad.
pub(crate) type Item<T> = std::result::Result<T, (u64, String)>;

/// Where the items' lines are: one graph file, or a set of table files, where an item's
/// line is its file's index in the set shifted up by [`TABLE_ROW_BITS`] plus its row
/// (counted from 1 over the whole file).
#[derive(Clone, Copy)]
pub(crate) enum Place<'a> {
    /// One file; lines are its lines.
    File(&'a Path),
    /// Table files (see [`crate::tables`]); lines are [`table_line`]s.
    Tables(&'a [std::path::PathBuf]),
}

/// The bits of a table item's line that hold its row.
pub(crate) const TABLE_ROW_BITS: u32 = 40;

/// The line of row `row` of table file `file` (see [`Place::Tables`]).
pub(crate) fn table_line(file: usize, row: u64) -> u64 {
    ((file as u64) << TABLE_ROW_BITS) | (row & ((1 << TABLE_ROW_BITS) - 1))
}

impl<'a> Place<'a> {
    /// The file and line (row, for tables) of an item's line.
    fn at(self, line: u64) -> (&'a Path, u64) {
        match self {
            Place::File(p) => (p, line),
            Place::Tables(files) => {
                let file = (line >> TABLE_ROW_BITS) as usize;
                let row = line & ((1 << TABLE_ROW_BITS) - 1);
                match files.get(file).or(files.first()) {
                    Some(p) => (p.as_path(), row),
                    None => (Path::new(""), row),
                }
            }
        }
    }
}

/// Reads a graph file whole, reporting it to `progress`.
pub(crate) fn read(path: &Path, what: &str, progress: &Arc<dyn Progress>) -> Result<Vec<u8>> {
    let io = |doing: &str| {
        let context = format!("{}: {doing}", path.display());
        move |source| ImportError::Io { context, source }
    };
    let size = std::fs::metadata(path).map_err(io("cannot open"))?.len();
    if size > FILE_SIZE_MAX {
        return Err(ImportError::file(
            path,
            format!(
                "larger than {} MiB, the largest {what} file read",
                FILE_SIZE_MAX >> 20
            ),
        ));
    }
    progress.file_started(path, "graph", size);
    let bytes = std::fs::read(path).map_err(io("cannot read"))?;
    progress.read(size);
    Ok(bytes)
}

/// Checks the options a graph-file or table import needs (a batch of at least one item,
/// a usable id property); returns when the import started.
pub(crate) fn check_options(opts: &ImportOptions) -> Result<Instant> {
    if opts.batch == 0 {
        return Err(ImportError::Options("--batch must be at least 1".into()));
    }
    keys::check_property(&opts.id_property)?;
    Ok(Instant::now())
}

/// An id map for a graph file's import, within `budget` bytes; past it, ids spill to a
/// scratch file in the temporary directory (a GML or GraphML file is read whole, so its
/// ids rarely do).
pub(crate) fn scratch_ids(budget: usize) -> IdMap {
    IdMap::new(&std::env::temp_dir().join("pagegraph-graph-file"), budget)
}

/// Writes the items of `place` into `graph`: nodes first, then edges, in batches, taking
/// each batch from the iterators as it is written. When `failed()` says the items stopped
/// on a fault, the batch being taken is not written and the summary so far is returned
/// (the caller has the fault). `ids` maps the items' file ids to their nodes.
#[allow(clippy::too_many_arguments)] // what each graph file import passes through
pub(crate) fn write(
    graph: &Graph,
    place: Place<'_>,
    nodes: impl IntoIterator<Item = Item<NodeItem>>,
    edges: impl IntoIterator<Item = Item<EdgeItem>>,
    opts: ImportOptions,
    progress: Arc<dyn Progress>,
    start: Instant,
    failed: &dyn Fn() -> bool,
    ids: IdMap,
) -> Result<Summary> {
    let mut w = Writer {
        graph,
        place,
        opts,
        ids,
        indexed: FxHashMap::default(),
        summary: Summary::default(),
        progress,
    };
    let batch = w.opts.batch;
    // A batch is written only if its items came whole: when reading stopped on a fault
    // (`failed`), the items read before it in that batch are dropped.
    let mut nodes = nodes.into_iter().peekable();
    while nodes.peek().is_some() {
        let chunk: Vec<_> = nodes.by_ref().take(batch).collect();
        if failed() {
            return Ok(w.summary);
        }
        w.nodes(chunk)?;
    }
    // Reading may stop on a fault when it looks past a whole batch: then no edges.
    if failed() {
        return Ok(w.summary);
    }
    let mut edges = edges.into_iter().peekable();
    while edges.peek().is_some() {
        let chunk: Vec<_> = edges.by_ref().take(batch).collect();
        if failed() {
            return Ok(w.summary);
        }
        w.edges(chunk)?;
    }
    w.progress.finished();
    w.summary.elapsed = start.elapsed();
    w.summary.ids_spilled = w.ids.spilled();
    Ok(w.summary)
}

/// `data` with a non-empty string `name` field that fits a name taken out, and the name.
fn split_name(mut data: Value) -> (String, Value) {
    if let Value::Object(m) = &mut data
        && let Some(Value::String(s)) = m.get(NAME_PROPERTY)
        && !s.is_empty()
        && s.len() <= NAME_SIZE_MAX
        && let Some(Value::String(name)) = m.remove(NAME_PROPERTY)
    {
        return (name, data);
    }
    (String::new(), data)
}

/// Writes a graph file's items in batches.
struct Writer<'g> {
    graph: &'g Graph,
    place: Place<'g>,
    opts: ImportOptions,
    /// Each file id's node.
    ids: IdMap,
    /// The labels whose key index this import has made sure of, and whether it held
    /// entries then (only then can a key be in the database already).
    indexed: FxHashMap<String, bool>,
    summary: Summary,
    progress: Arc<dyn Progress>,
}

impl Writer<'_> {
    fn bad(&mut self, line: u64, why: &str, reason: &str) -> Result<()> {
        let (path, line) = self.place.at(line);
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

    /// Whether `label`'s key index held entries before this import; makes sure of it.
    fn key_index(&mut self, tx: &mut WriteTxn, label: &str) -> Result<bool> {
        if let Some(&had) = self.indexed.get(label) {
            return Ok(had);
        }
        let had = keys::ensure_index(tx, label, &self.opts.id_property)?;
        self.indexed.insert(label.to_string(), had);
        Ok(had)
    }

    fn commit(&mut self, tx: WriteTxn) -> Result<()> {
        tx.commit().context_with(|| {
            "commit failed; the batches committed before this one are kept".to_string()
        })?;
        self.summary.batches += 1;
        Ok(())
    }

    /// A node's key: its data's own key property, else its file id's value; or why the
    /// data's own key cannot be one.
    fn key(&self, item: &NodeItem) -> std::result::Result<PropertyValue, String> {
        let data = Value::Object(item.data.clone());
        Ok(keys::own_key(&data, &self.opts.id_property)?
            .unwrap_or_else(|| keys::ext_value(&item.id)))
    }

    fn nodes(&mut self, chunk: Vec<Item<NodeItem>>) -> Result<()> {
        let mut tx = self.graph.begin_write()?;
        let mut specs = Vec::new();
        let mut made = Vec::new();
        let mut in_batch: FxHashMap<ExtId, u64> = FxHashMap::default();
        let mut updated = 0;
        let mut last = 0;
        for item in chunk {
            let mut item = match item {
                Ok(item) => item,
                Err((line, reason)) => {
                    self.bad(line, "bad value", &reason)?;
                    continue;
                }
            };
            last = item.line;
            let first = in_batch.get(&item.id).copied();
            if first.is_some() || self.ids.get(&item.id)?.is_some() {
                let at = first.map_or(String::new(), |l| format!(" (first on line {l})"));
                let reason = format!("duplicate node id {:?}{at}", clip(&item.id.to_string()));
                self.bad(item.line, "duplicate id", &reason)?;
                continue;
            }
            let key = match self.key(&item) {
                Ok(k) => k,
                Err(reason) => {
                    self.bad(item.line, "bad value", &reason)?;
                    continue;
                }
            };
            in_batch.insert(item.id.clone(), item.line);
            if item.labels.is_empty() {
                item.labels.push(self.opts.node_kind.clone());
            }
            let kind = item.labels[0].clone();
            let prop = self.opts.id_property.clone();
            let data = keys::add_key(Value::Object(std::mem::take(&mut item.data)), &prop, &key);
            if self.key_index(&mut tx, &kind)?
                && let Some(id) = keys::node_with_key(&tx, &kind, &prop, &key)?
            {
                if !self.opts.upsert {
                    let reason = format!(
                        "node id {:?} of kind {:?} is already in the database (node {id}); \
                         --upsert updates such nodes instead",
                        clip(&item.id.to_string()),
                        clip(&kind)
                    );
                    self.bad(item.line, "id in the database", &reason)?;
                    continue;
                }
                let props = NodeSpec {
                    kind: String::new(),
                    name: String::new(),
                    data,
                }
                .properties()?;
                let line = item.line;
                let (path, line) = self.place.at(line);
                let at = || format!("{}:{line}", path.display());
                tx.merge_node_properties(id, props).context_with(at)?;
                for l in &item.labels {
                    tx.add_label(id, l).context_with(at)?;
                }
                self.ids.insert(item.id, id)?;
                updated += 1;
                continue;
            }
            // A string `name` is the node's name, as the properties view has it (one too
            // long for a name stays a data field, which the view also reads as `name`).
            let (name, data) = split_name(data);
            specs.push(NodeSpec { kind, name, data });
            made.push((item.id, item.labels));
        }
        let (path, last) = self.place.at(last);
        let at = || format!("{}: batch ending at line {last}", path.display());
        let ids = tx.insert_nodes(specs).context_with(at)?;
        for ((_, labels), &id) in made.iter().zip(&ids) {
            for l in labels.iter().skip(1) {
                tx.add_label(id, l).context_with(at)?;
            }
        }
        self.commit(tx)?;
        self.summary.nodes += ids.len() as u64;
        self.summary.nodes_updated += updated;
        for ((ext, _), id) in made.into_iter().zip(ids) {
            self.ids.insert(ext, id)?;
        }
        Ok(())
    }

    fn edges(&mut self, chunk: Vec<Item<EdgeItem>>) -> Result<()> {
        let mut tx = self.graph.begin_write()?;
        let mut pending = Vec::with_capacity(chunk.len());
        let mut types: Vec<String> = Vec::new();
        let mut new_exts: Vec<ExtId> = Vec::new();
        let mut new_index: FxHashMap<ExtId, usize> = FxHashMap::default();
        let mut last = 0;
        'edges: for item in chunk {
            let item = match item {
                Ok(item) => item,
                Err((line, reason)) => {
                    self.bad(line, "bad value", &reason)?;
                    continue;
                }
            };
            last = item.line;
            let mut ends = [End(0), End(0)];
            for (slot, e, what) in [(0, &item.source, "source"), (1, &item.target, "target")] {
                ends[slot] = if let Some(id) = self.ids.get(e)? {
                    End::known(id)
                } else if let Some(&i) = new_index.get(e) {
                    End::new(i)
                } else if let Some(id) = self.lookup(&tx, e)? {
                    self.ids.insert(e.clone(), id)?;
                    End::known(id)
                } else if self.opts.create_missing {
                    new_exts.push(e.clone());
                    new_index.insert(e.clone(), new_exts.len() - 1);
                    End::new(new_exts.len() - 1)
                } else {
                    let reason = format!(
                        "unknown node {:?} ({what}; --create-missing creates it)",
                        clip(&e.to_string())
                    );
                    self.bad(item.line, "missing endpoint", &reason)?;
                    continue 'edges;
                };
            }
            let t = item
                .edge_type
                .unwrap_or_else(|| self.opts.edge_type.clone());
            let slot = types.iter().position(|x| *x == t).unwrap_or_else(|| {
                types.push(t);
                types.len() - 1
            });
            let [from, to] = ends;
            pending.push(PendingEdge {
                from,
                to,
                edge_type: slot as u32 + 1,
                data: (!item.data.is_empty())
                    .then(|| EdgeBody::Value(Box::new(Value::Object(item.data)))),
            });
        }
        let (path, last) = self.place.at(last);
        let at = || format!("{}: batch ending at line {last}", path.display());
        let kind = self.opts.node_kind.clone();
        if !new_exts.is_empty() {
            self.key_index(&mut tx, &kind)?;
        }
        let prop = self.opts.id_property.clone();
        let specs = new_exts.iter().map(|e| NodeSpec {
            kind: kind.clone(),
            name: String::new(),
            data: keys::add_key(Value::Null, &prop, &keys::ext_value(e)),
        });
        let new_ids = tx.insert_nodes(specs).context_with(at)?;
        let type_name = |slot: u32| types.get(slot as usize - 1).cloned().unwrap_or_default();
        let (n, updated) =
            write_edges(&mut tx, pending, &new_ids, &type_name, self.opts.upsert, at)?;
        self.commit(tx)?;
        self.summary.edges_updated += updated;
        self.summary.nodes += new_ids.len() as u64;
        self.summary.edges += n;
        for (ext, id) in new_exts.into_iter().zip(new_ids) {
            self.ids.insert(ext, id)?;
        }
        Ok(())
    }

    /// The node of the node kind that the database held before this import with the key
    /// of file id `e`, if the kind's key index had entries then.
    fn lookup(&self, tx: &WriteTxn, e: &ExtId) -> Result<Option<NodeId>> {
        if self.indexed.get(&self.opts.node_kind) != Some(&true) {
            return Ok(None);
        }
        keys::node_with_key(
            tx,
            &self.opts.node_kind,
            &self.opts.id_property,
            &keys::ext_value(e),
        )
    }
}
