//! Reading tables: every file opened (schema, layout, row count), rows converted a batch
//! at a time and merged across files by id, then written as a graph file's items.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use arrow_array::{Array, RecordBatch};
use arrow_schema::{Schema, SchemaRef};
use pagegraph::Graph;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Map, Value};

use super::values::{cell, readable};
use super::{BATCH_ROWS, JSON_METADATA, TableFormat, name_of_stem};
use crate::error::{ImportError, Result};
use crate::graphfile::{self, EdgeItem, Item, NodeItem, Place, table_line};
use crate::idmap::{ExtId, IdMap};
use crate::importer::{ImportOptions, Summary};
use crate::input::clip;
use crate::parse::DATA_COLUMN_PREFIX;
use crate::progress::Progress;

/// Record batches of one table file.
type Batches = Box<dyn Iterator<Item = std::result::Result<RecordBatch, String>>>;

/// Opens a table file for reading: its schema, its rows (if the format says), and its
/// batches.
fn open_table(path: &Path) -> Result<(SchemaRef, Option<u64>, Batches)> {
    let io = |doing: &str| {
        let context = format!("{}: {doing}", path.display());
        move |source| ImportError::Io { context, source }
    };
    let file = File::open(path).map_err(io("cannot open"))?;
    let file_len = file.metadata().map_err(io("cannot open"))?.len();
    let bad = |e: &dyn std::fmt::Display| ImportError::file(path, e.to_string());
    match TableFormat::of_path(path) {
        Some(TableFormat::Parquet) => {
            let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(&e))?;
            check_parquet_ranges(builder.metadata(), file_len).map_err(|e| bad(&e))?;
            let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).ok();
            let schema = builder.schema().clone();
            let reader = builder
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| bad(&e))?;
            Ok((
                schema,
                rows,
                Box::new(reader.map(|b| b.map_err(|e| e.to_string()))),
            ))
        }
        Some(TableFormat::Arrow) => {
            let mut magic = [0u8; 6];
            let mut probe = File::open(path).map_err(io("cannot open"))?;
            let is_file = probe.read_exact(&mut magic).is_ok() && &magic == b"ARROW1";
            check_arrow_blocks(&mut probe, file_len, is_file).map_err(|e| bad(&e))?;
            if is_file {
                let reader = arrow_ipc::reader::FileReader::try_new(BufReader::new(file), None)
                    .map_err(|e| bad(&e))?;
                let schema = reader.schema();
                let rows = None;
                Ok((
                    schema,
                    rows,
                    Box::new(reader.map(|b| b.map_err(|e| e.to_string()))),
                ))
            } else {
                let reader = arrow_ipc::reader::StreamReader::try_new(BufReader::new(file), None)
                    .map_err(|e| bad(&e))?;
                let schema = reader.schema();
                Ok((
                    schema,
                    None,
                    Box::new(reader.map(|b| b.map_err(|e| e.to_string()))),
                ))
            }
        }
        None => Err(ImportError::file(
            path,
            "not a table file (.parquet, .parq, .pq, .arrow, .feather, .ipc)",
        )),
    }
}

/// Checks that every column chunk of a Parquet file lies within its `len` bytes: the
/// reader allocates a chunk's declared size before it reads it, and a damaged size would
/// ask for more memory than there is (an abort, not an error).
fn check_parquet_ranges(
    meta: &parquet::file::metadata::ParquetMetaData,
    len: u64,
) -> std::result::Result<(), String> {
    for group in meta.row_groups() {
        for column in group.columns() {
            let (start, size) = column.byte_range();
            if start.checked_add(size).is_none_or(|end| end > len) {
                return Err(format!(
                    "damaged Parquet file: a column chunk of {size} bytes at {start} is past \
                     its end ({len} bytes)"
                ));
            }
        }
    }
    Ok(())
}

/// Checks that every message of an Arrow IPC file (`file`: the footer's blocks) or stream
/// (the messages one after another) lies within its `len` bytes, for the reason of
/// [`check_parquet_ranges`]: the reader allocates each declared body before reading it.
fn check_arrow_blocks(f: &mut File, len: u64, file: bool) -> std::result::Result<(), String> {
    use std::io::{Seek, SeekFrom};
    let damaged = |what: &str| format!("damaged Arrow IPC file: {what}");
    let io = |e: std::io::Error| damaged(&e.to_string());
    let read_at = |f: &mut File, at: u64, n: u64| -> std::result::Result<Vec<u8>, String> {
        if at.checked_add(n).is_none_or(|end| end > len) {
            return Err(damaged("a length past the end of the file"));
        }
        f.seek(SeekFrom::Start(at)).map_err(io)?;
        let mut buf = vec![0; usize::try_from(n).map_err(|e| damaged(&e.to_string()))?];
        f.read_exact(&mut buf).map_err(io)?;
        Ok(buf)
    };
    let within = |offset: i64, meta: i64, body: i64| {
        let (Ok(o), Ok(m), Ok(b)) = (
            u64::try_from(offset),
            u64::try_from(meta),
            u64::try_from(body),
        ) else {
            return false;
        };
        o.checked_add(m)
            .and_then(|x| x.checked_add(b))
            .is_some_and(|end| end <= len)
    };
    if file {
        let tail: [u8; 10] = read_at(f, len.saturating_sub(10), 10.min(len))?
            .try_into()
            .map_err(|_| damaged("no footer"))?;
        let footer_len =
            arrow_ipc::reader::read_footer_length(tail).map_err(|e| damaged(&e.to_string()))?;
        let footer_len = footer_len as u64;
        let footer = read_at(
            f,
            len.saturating_sub(10).saturating_sub(footer_len),
            footer_len,
        )?;
        let footer = arrow_ipc::root_as_footer(&footer).map_err(|e| damaged(&e.to_string()))?;
        for blocks in [footer.dictionaries(), footer.recordBatches()]
            .into_iter()
            .flatten()
        {
            for b in blocks {
                if !within(b.offset(), i64::from(b.metaDataLength()), b.bodyLength()) {
                    return Err(damaged("a block past the end of the file"));
                }
            }
        }
        return Ok(());
    }
    // A stream: [0xFFFFFFFF] length, message, body; a length of 0 ends it.
    let mut at = 0u64;
    while at < len {
        let mut word = read_at(f, at, 4.min(len - at))?;
        at += 4;
        if word == [0xFF; 4] {
            word = read_at(f, at, 4.min(len.saturating_sub(at)))?;
            at += 4;
        }
        let Ok(bytes) = <[u8; 4]>::try_from(word.as_slice()) else {
            return Err(damaged("a message length cut short"));
        };
        let meta_len = u64::from(u32::from_le_bytes(bytes));
        if meta_len == 0 {
            break;
        }
        let meta = read_at(f, at, meta_len)?;
        let message = arrow_ipc::root_as_message(&meta).map_err(|e| damaged(&e.to_string()))?;
        let meta_len = i64::try_from(meta_len).unwrap_or(i64::MAX);
        let at_i = i64::try_from(at).unwrap_or(i64::MAX);
        if !within(at_i, meta_len, message.bodyLength()) {
            return Err(damaged("a message body past the end of the file"));
        }
        at += meta_len.unsigned_abs() + message.bodyLength().unsigned_abs();
    }
    Ok(())
}

/// Runs `f`, a call into the Arrow or Parquet readers, turning a panic of theirs (some
/// damaged files make them panic rather than fail) into an error naming `path`.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("the reader failed");
        Err(ImportError::file(
            path,
            format!("damaged table file: {}", clip(why)),
        ))
    })
}

/// The table files of `dir` (sorted by name), or none if it does not exist.
fn table_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ImportError::Io {
                context: format!("{}: cannot list", dir.display()),
                source,
            });
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ImportError::Io {
            context: format!("{}: cannot list", dir.display()),
            source,
        })?;
        let path = entry.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !hidden && path.is_file() && TableFormat::of_path(&path).is_some() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// What a table's columns are, found from its schema.
struct Layout {
    /// The `id` column.
    id: Option<usize>,
    /// `labels` (nodes) or `type` (edges).
    tag: Option<usize>,
    /// `src` and `dst` (edges).
    ends: Option<(usize, usize)>,
    /// The property columns: index, property name, whether the cells are JSON text.
    props: Vec<(usize, String, bool)>,
}

impl Layout {
    fn of(path: &Path, schema: &Schema, edges: bool) -> Result<Layout> {
        let find = |name: &str| schema.index_of(name).ok();
        let fixed: &[&str] = if edges {
            &["id", "src", "dst", "type"]
        } else {
            &["id", "labels"]
        };
        let mut props = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            if fixed.contains(&f.name().as_str()) {
                continue;
            }
            if !readable(f.data_type()) {
                return Err(ImportError::file(
                    path,
                    format!(
                        "column {:?} is of type {}, which is not read (binary data is not a \
                         property value)",
                        clip(f.name()),
                        f.data_type()
                    ),
                ));
            }
            let name = f
                .name()
                .strip_prefix(DATA_COLUMN_PREFIX)
                .unwrap_or(f.name())
                .to_string();
            let json = f.metadata().get(JSON_METADATA).is_some_and(|v| v == "true");
            props.push((i, name, json));
        }
        let layout = Layout {
            id: find("id"),
            tag: find(if edges { "type" } else { "labels" }),
            ends: find("src").zip(find("dst")),
            props,
        };
        if edges && layout.ends.is_none() {
            return Err(ImportError::file(
                path,
                "an edge table needs `src` and `dst` columns",
            ));
        }
        if !edges && layout.id.is_none() {
            return Err(ImportError::file(path, "a node table needs an `id` column"));
        }
        for i in [
            layout.id,
            layout.ends.map(|e| e.0),
            layout.ends.map(|e| e.1),
        ]
        .into_iter()
        .flatten()
        {
            if !readable(schema.field(i).data_type()) {
                return Err(ImportError::file(
                    path,
                    format!("column {:?} cannot hold ids", schema.field(i).name()),
                ));
            }
        }
        Ok(layout)
    }
}

/// An id cell as an external id (integers as numbers, text as in other files).
fn ext_id(a: &dyn Array, i: usize) -> std::result::Result<ExtId, String> {
    match cell(a, i, false)? {
        None => Err("the id is null".into()),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(u) => Ok(ExtId::Num(u)),
            None => Ok(ExtId::parse(&n.to_string())),
        },
        Some(Value::String(s)) => Ok(ExtId::parse(&s)),
        Some(other) => Err(format!("an id must be an integer or a string, not {other}")),
    }
}

/// A row of a table: its sort key (its `id`, when ids are integers) and its item.
type Row<T> = (i64, Item<T>);

/// The rows of one table file, a batch at a time.
struct Rows<T> {
    file: usize,
    path: PathBuf,
    /// Label (nodes) or type (edges) of the file.
    tag: String,
    layout: Layout,
    batches: Batches,
    batch: std::vec::IntoIter<Row<T>>,
    /// Rows read so far.
    row: u64,
    edges: bool,
    /// Set when the file cannot be read on: the import stops with it.
    fatal: Rc<RefCell<Option<ImportError>>>,
    progress: Rc<Counter>,
}

/// Rows read of all files, reported to the import's progress as a share of the files'
/// bytes.
struct Counter {
    progress: Arc<dyn Progress>,
    rows: std::cell::Cell<u64>,
    total_rows: u64,
    total_bytes: u64,
}

impl Counter {
    fn add(&self, n: u64) {
        let rows = self.rows.get() + n;
        self.rows.set(rows);
        if self.total_rows > 0 {
            // The bytes' share in the rows' proportion, in integers (no overflow: u128).
            let done = u128::from(rows.min(self.total_rows)) * u128::from(self.total_bytes)
                / u128::from(self.total_rows);
            self.progress.read(u64::try_from(done).unwrap_or(u64::MAX));
        }
    }
}

/// Converts a batch's rows into node or edge items.
trait FromRow: Sized {
    fn row(rows: &Rows<Self>, batch: &RecordBatch, i: usize, line: u64) -> Item<Self>;
}

/// The properties of row `i`.
fn properties(
    layout: &Layout,
    batch: &RecordBatch,
    i: usize,
    line: u64,
) -> std::result::Result<Map<String, Value>, (u64, String)> {
    let mut data = Map::new();
    for (c, name, json) in &layout.props {
        let v = cell(batch.column(*c).as_ref(), i, *json)
            .map_err(|e| (line, format!("column {:?}: {e}", clip(name))))?;
        if let Some(v) = v {
            data.insert(name.clone(), v);
        }
    }
    Ok(data)
}

impl FromRow for NodeItem {
    fn row(rows: &Rows<Self>, batch: &RecordBatch, i: usize, line: u64) -> Item<Self> {
        let id_col = rows.layout.id.map(|c| batch.column(c));
        let id = match id_col {
            Some(c) => ext_id(c.as_ref(), i).map_err(|e| (line, format!("column \"id\": {e}")))?,
            None => return Err((line, "no id".into())),
        };
        let labels = match rows.layout.tag {
            Some(c) => match cell(batch.column(c).as_ref(), i, false) {
                Ok(Some(Value::Array(items))) => {
                    let mut labels = Vec::with_capacity(items.len());
                    for l in items {
                        match l {
                            Value::String(s) if !s.is_empty() => labels.push(s),
                            other => {
                                return Err((line, format!("a label must be text, not {other}")));
                            }
                        }
                    }
                    labels
                }
                Ok(Some(Value::String(s))) => s
                    .split(';')
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
                Ok(None) => Vec::new(),
                Ok(Some(other)) => {
                    return Err((
                        line,
                        format!("`labels` must be a list of text, not {other}"),
                    ));
                }
                Err(e) => return Err((line, format!("column \"labels\": {e}"))),
            },
            None if rows.tag.is_empty() => Vec::new(),
            None => vec![rows.tag.clone()],
        };
        Ok(NodeItem {
            line,
            id,
            labels,
            data: properties(&rows.layout, batch, i, line)?,
        })
    }
}

impl FromRow for EdgeItem {
    fn row(rows: &Rows<Self>, batch: &RecordBatch, i: usize, line: u64) -> Item<Self> {
        let Some((src, dst)) = rows.layout.ends else {
            return Err((line, "no src and dst".into()));
        };
        let source = ext_id(batch.column(src).as_ref(), i)
            .map_err(|e| (line, format!("column \"src\": {e}")))?;
        let target = ext_id(batch.column(dst).as_ref(), i)
            .map_err(|e| (line, format!("column \"dst\": {e}")))?;
        let edge_type = match rows.layout.tag {
            Some(c) => match cell(batch.column(c).as_ref(), i, false) {
                Ok(Some(Value::String(t))) if !t.is_empty() => Some(t),
                Ok(_) => return Err((line, "column \"type\": not a type name".into())),
                Err(e) => return Err((line, format!("column \"type\": {e}"))),
            },
            None => Some(rows.tag.clone()),
        };
        Ok(EdgeItem {
            line,
            source,
            target,
            edge_type,
            data: properties(&rows.layout, batch, i, line)?,
        })
    }
}

impl<T: FromRow> Rows<T> {
    /// The sort key of row `i`: its id when ids are integers.
    fn key(&self, batch: &RecordBatch, i: usize) -> i64 {
        self.layout
            .id
            .and_then(|c| match cell(batch.column(c).as_ref(), i, false) {
                Ok(Some(Value::Number(n))) => n.as_i64(),
                _ => None,
            })
            .unwrap_or(i64::MIN)
    }

    /// The next row, reading the next batch when this one is done.
    fn next_row(&mut self) -> Option<Row<T>> {
        loop {
            if let Some(r) = self.batch.next() {
                return Some(r);
            }
            if self.fatal.borrow().is_some() {
                return None;
            }
            let path = self.path.clone();
            let what = if self.edges { "edges" } else { "nodes" };
            let read = guarded(&path, || {
                let batch = match self.batches.next() {
                    None => return Ok(None),
                    Some(Ok(b)) => b,
                    Some(Err(e)) => {
                        let why = format!("cannot read {what} after row {}: {e}", self.row);
                        return Err(ImportError::file(&self.path, why));
                    }
                };
                let mut out = Vec::with_capacity(batch.num_rows());
                for i in 0..batch.num_rows() {
                    self.row += 1;
                    let line = table_line(self.file, self.row);
                    out.push((self.key(&batch, i), T::row(self, &batch, i, line)));
                }
                Ok(Some(out))
            });
            match read {
                Ok(Some(rows)) => {
                    self.progress.add(rows.len() as u64);
                    self.batch = rows.into_iter();
                }
                Ok(None) => return None,
                Err(e) => {
                    *self.fatal.borrow_mut() = Some(e);
                    return None;
                }
            }
        }
    }
}

/// The rows of a set of files: merged by id when every file's ids are integers, else one
/// file after another.
fn merged<T: FromRow + 'static>(
    mut files: Vec<Rows<T>>,
    by_id: bool,
) -> Box<dyn Iterator<Item = Item<T>>> {
    if !by_id {
        return Box::new(
            files
                .into_iter()
                .flat_map(|mut f| std::iter::from_fn(move || f.next_row().map(|(_, item)| item))),
        );
    }
    let mut heads: Vec<Option<Row<T>>> = files.iter_mut().map(Rows::next_row).collect();
    let mut heap: BinaryHeap<Reverse<(i64, usize)>> = heads
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.as_ref().map(|(k, _)| Reverse((*k, i))))
        .collect();
    Box::new(std::iter::from_fn(move || {
        let Reverse((_, i)) = heap.pop()?;
        let (_, item) = heads[i].take()?;
        heads[i] = files[i].next_row();
        if let Some((k, _)) = &heads[i] {
            heap.push(Reverse((*k, i)));
        }
        Some(item)
    }))
}

/// An opened table file: its path, its label or type (by its name), layout and batches.
type Opened = (PathBuf, String, Layout, Batches);

/// Opens `files`, adding their rows and bytes to `totals`; whether all have integer ids.
fn open_all(
    files: &[PathBuf],
    edges: bool,
    totals: &mut (u64, u64),
) -> Result<(Vec<Opened>, bool)> {
    let mut out = Vec::with_capacity(files.len());
    let mut by_id = true;
    for path in files {
        let (schema, rows, batches) = guarded(path, || open_table(path))?;
        let layout = Layout::of(path, &schema, edges)?;
        // Integer ids order rows: then rows merge across files by id.
        by_id &= layout
            .id
            .is_some_and(|c| schema.field(c).data_type().is_integer());
        totals.0 += rows.unwrap_or(0);
        totals.1 += std::fs::metadata(path).map_or(0, |m| m.len());
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((path.clone(), name_of_stem(&stem), layout, batches));
    }
    Ok((out, by_id))
}

/// The row readers of opened files, the first being file `first` of the import.
fn rows_of<T>(
    list: Vec<Opened>,
    first: usize,
    edges: bool,
    fatal: &Rc<RefCell<Option<ImportError>>>,
    counter: &Rc<Counter>,
) -> Vec<Rows<T>> {
    list.into_iter()
        .enumerate()
        .map(|(k, (path, tag, layout, batches))| Rows {
            file: first + k,
            path,
            tag,
            layout,
            batches,
            batch: Vec::new().into_iter(),
            row: 0,
            edges,
            fatal: fatal.clone(),
            progress: counter.clone(),
        })
        .collect()
}

/// Loads the node and edge tables under `dir` (`nodes/*`, `edges/*`; see the module doc)
/// into `graph`, in batches of [`ImportOptions::batch`] rows, each its own transaction, as
/// a GraphML import does: bad rows stop the import at `file:row` (or are skipped and
/// counted with [`ImportOptions::skip_bad`]), [`ImportOptions::upsert`] updates the nodes
/// whose key the database has and the edges it has, [`ImportOptions::create_missing`]
/// creates endpoints that no node has. A file that cannot be read on stops the import;
/// the batches committed before it are kept. The map from file ids to nodes keeps
/// [`ImportOptions::id_memory`] bytes in memory and spills the rest to a scratch file next
/// to `db_path`, the database's file.
pub fn run_tables(
    graph: &Graph,
    db_path: &Path,
    dir: &Path,
    opts: ImportOptions,
    progress: Arc<dyn Progress>,
) -> Result<Summary> {
    let start = graphfile::check_options(&opts)?;
    crate::idmap::remove_stale_scratch(db_path);
    let ids = IdMap::new(db_path, opts.id_memory);
    let node_files = table_files(&dir.join("nodes"))?;
    let edge_files = table_files(&dir.join("edges"))?;
    if node_files.is_empty() && edge_files.is_empty() {
        return Err(ImportError::file(
            dir,
            "holds no tables: node tables go in nodes/, edge tables in edges/ (.parquet or \
             .arrow)",
        ));
    }
    let all: Vec<PathBuf> = node_files.iter().chain(&edge_files).cloned().collect();
    let fatal = Rc::new(RefCell::new(None));
    let mut totals = (0, 0);
    let (nodes, nodes_by_id) = open_all(&node_files, false, &mut totals)?;
    let (edges, edges_by_id) = open_all(&edge_files, true, &mut totals)?;
    let (total_rows, total_bytes) = totals;
    let counter = Rc::new(Counter {
        progress: progress.clone(),
        rows: std::cell::Cell::new(0),
        total_rows,
        total_bytes,
    });
    progress.file_started(dir, "tables", total_bytes);
    let node_rows: Vec<Rows<NodeItem>> = rows_of(nodes, 0, false, &fatal, &counter);
    let edge_rows: Vec<Rows<EdgeItem>> = rows_of(edges, node_files.len(), true, &fatal, &counter);
    let node_items = merged(node_rows, nodes_by_id);
    // The edge files are read only once the nodes are written (`write` takes no edges
    // after a fault in the nodes).
    let mut edge_items = Some((edge_rows, edges_by_id));
    let mut edge_iter: Option<Box<dyn Iterator<Item = Item<EdgeItem>>>> = None;
    let edges = std::iter::from_fn(move || {
        if edge_iter.is_none() {
            let (list, by_id) = edge_items.take()?;
            edge_iter = Some(merged(list, by_id));
        }
        edge_iter.as_mut()?.next()
    });
    let summary = graphfile::write(
        graph,
        Place::Tables(&all),
        node_items,
        edges,
        opts,
        progress,
        start,
        &|| fatal.borrow().is_some(),
        ids,
    );
    if let Some(e) = fatal.borrow_mut().take() {
        return Err(e);
    }
    summary
}
