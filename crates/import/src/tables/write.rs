//! Writing tables: the graph read twice (column types, then rows), each file built a
//! batch of rows at a time under a temporary name and renamed into place at the end.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use pagegraph::{NodeId, PropertyValue, ReadTxn};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::{BATCH_ROWS, Exported, JSON_METADATA, Subset, TableFormat, file_stem};
use crate::error::{ImportError, Result};
use crate::parse::DATA_COLUMN_PREFIX;

/// Rows per Parquet row group: bounds what the writer of each file holds in memory.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// The column type of a property in one file, widened as values arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Float,
    Str,
    /// A list whose elements are all of one scalar kind (`None`: only empty lists so far).
    List(Option<Scalar>),
    /// JSON text.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scalar {
    Bool,
    Int,
    Float,
    Str,
}

impl Scalar {
    fn of(v: &PropertyValue) -> Option<Scalar> {
        Some(match v {
            PropertyValue::Bool(_) => Scalar::Bool,
            PropertyValue::Int(_) => Scalar::Int,
            PropertyValue::Float(_) => Scalar::Float,
            PropertyValue::String(_) => Scalar::Str,
            _ => return None,
        })
    }

    fn data_type(self) -> DataType {
        match self {
            Scalar::Bool => DataType::Boolean,
            Scalar::Int => DataType::Int64,
            Scalar::Float => DataType::Float64,
            Scalar::Str => DataType::Utf8,
        }
    }
}

impl Kind {
    /// The kind of one value; `None` for null (no value).
    fn of(v: &PropertyValue) -> Option<Kind> {
        Some(match v {
            PropertyValue::Null => return None,
            PropertyValue::Bool(_) => Kind::Bool,
            PropertyValue::Int(_) => Kind::Int,
            PropertyValue::Float(_) => Kind::Float,
            // Temporal values are written as their ISO 8601 text.
            PropertyValue::String(_) | PropertyValue::Temporal(_) => Kind::Str,
            PropertyValue::List(items) => {
                let mut elem: Option<Scalar> = None;
                for item in items {
                    match (Scalar::of(item), elem) {
                        (Some(s), None) => elem = Some(s),
                        (Some(s), Some(e)) if s == e => {}
                        _ => return Some(Kind::Json),
                    }
                }
                Kind::List(elem)
            }
            PropertyValue::Map(_) => Kind::Json,
        })
    }

    fn widen(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::List(None), Kind::List(e)) | (Kind::List(e), Kind::List(None)) => Kind::List(e),
            _ => Kind::Json,
        }
    }

    fn field(self, name: &str) -> Field {
        match self {
            Kind::Bool => Field::new(name, DataType::Boolean, true),
            Kind::Int => Field::new(name, DataType::Int64, true),
            Kind::Float => Field::new(name, DataType::Float64, true),
            Kind::Str => Field::new(name, DataType::Utf8, true),
            Kind::List(e) => Field::new(
                name,
                DataType::new_list(e.unwrap_or(Scalar::Str).data_type(), true),
                true,
            ),
            Kind::Json => Field::new(name, DataType::Utf8, true).with_metadata(HashMap::from([(
                JSON_METADATA.to_string(),
                "true".to_string(),
            )])),
        }
    }

    fn builder(self) -> Column {
        match self {
            Kind::Bool => Column::Bool(BooleanBuilder::new()),
            Kind::Int => Column::Int(Int64Builder::new()),
            Kind::Float => Column::Float(Float64Builder::new()),
            Kind::Str | Kind::Json => Column::Str(StringBuilder::new()),
            Kind::List(Some(Scalar::Bool)) => {
                Column::Bools(ListBuilder::new(BooleanBuilder::new()))
            }
            Kind::List(Some(Scalar::Int)) => Column::Ints(ListBuilder::new(Int64Builder::new())),
            Kind::List(Some(Scalar::Float)) => {
                Column::Floats(ListBuilder::new(Float64Builder::new()))
            }
            Kind::List(Some(Scalar::Str) | None) => {
                Column::Strs(ListBuilder::new(StringBuilder::new()))
            }
        }
    }
}

/// A column being built.
enum Column {
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Str(StringBuilder),
    Bools(ListBuilder<BooleanBuilder>),
    Ints(ListBuilder<Int64Builder>),
    Floats(ListBuilder<Float64Builder>),
    Strs(ListBuilder<StringBuilder>),
}

impl Column {
    /// Appends `v` (a value of the column's kind, or absent), as JSON text in a string
    /// column of a kind other than `Str`.
    fn append(&mut self, v: Option<&PropertyValue>, json: bool) -> Result<()> {
        use PropertyValue as P;
        fn items(v: Option<&PropertyValue>) -> Option<&[PropertyValue]> {
            match v {
                Some(PropertyValue::List(items)) => Some(items),
                _ => None,
            }
        }
        match self {
            Column::Bool(b) => b.append_option(match v {
                Some(P::Bool(x)) => Some(*x),
                _ => None,
            }),
            Column::Int(b) => b.append_option(match v {
                Some(P::Int(x)) => Some(*x),
                _ => None,
            }),
            Column::Float(b) => b.append_option(match v {
                Some(P::Float(x)) => Some(*x),
                _ => None,
            }),
            Column::Str(b) => match v {
                None | Some(P::Null) => b.append_null(),
                Some(P::String(s)) if !json => b.append_value(s),
                Some(P::Temporal(t)) if !json => b.append_value(t.to_string()),
                Some(other) => {
                    let text = other
                        .to_json()
                        .map_err(|e| ImportError::Options(format!("a value to export: {e}")))?;
                    b.append_value(text.to_string());
                }
            },
            Column::Bools(b) => b.append_option(items(v).map(|xs| {
                xs.iter().map(|x| match x {
                    P::Bool(x) => Some(*x),
                    _ => None,
                })
            })),
            Column::Ints(b) => b.append_option(items(v).map(|xs| {
                xs.iter().map(|x| match x {
                    P::Int(x) => Some(*x),
                    _ => None,
                })
            })),
            Column::Floats(b) => b.append_option(items(v).map(|xs| {
                xs.iter().map(|x| match x {
                    P::Float(x) => Some(*x),
                    _ => None,
                })
            })),
            Column::Strs(b) => b.append_option(items(v).map(|xs| {
                xs.iter().map(|x| match x {
                    P::String(x) => Some(x.as_str()),
                    _ => None,
                })
            })),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Int(b) => Arc::new(b.finish()),
            Column::Float(b) => Arc::new(b.finish()),
            Column::Str(b) => Arc::new(b.finish()),
            Column::Bools(b) => Arc::new(b.finish()),
            Column::Ints(b) => Arc::new(b.finish()),
            Column::Floats(b) => Arc::new(b.finish()),
            Column::Strs(b) => Arc::new(b.finish()),
        }
    }
}

/// A table file's writer.
enum Sink {
    Parquet(ArrowWriter<File>),
    Arrow(arrow_ipc::writer::FileWriter<File>),
}

/// One output file: its columns being built, written every [`BATCH_ROWS`] rows to a file
/// under a temporary name.
struct Table {
    schema: SchemaRef,
    /// The fixed columns (`id`, then `labels` or `src`, `dst`), then the properties'.
    fixed: Vec<Column>,
    labels: Option<ListBuilder<StringBuilder>>,
    props: Vec<(String, Kind, Column)>,
    rows: usize,
    sink: Option<Sink>,
    temp: PathBuf,
    path: PathBuf,
}

fn table_error(path: &Path, e: impl std::fmt::Display) -> ImportError {
    ImportError::file(path, e.to_string())
}

impl Table {
    fn create(
        path: PathBuf,
        format: TableFormat,
        fixed: &[&str],
        with_labels: bool,
        kinds: BTreeMap<String, Kind>,
    ) -> Result<Table> {
        let mut fields: Vec<Field> = fixed
            .iter()
            .map(|f| Field::new(*f, DataType::Int64, false))
            .collect();
        if with_labels {
            fields.push(Field::new(
                "labels",
                DataType::new_list(DataType::Utf8, true),
                false,
            ));
        }
        let reserved: Vec<&str> = fixed
            .iter()
            .copied()
            .chain(with_labels.then_some("labels"))
            .collect();
        let mut props = Vec::with_capacity(kinds.len());
        for (name, kind) in kinds {
            let column =
                if reserved.contains(&name.as_str()) || name.starts_with(DATA_COLUMN_PREFIX) {
                    format!("{DATA_COLUMN_PREFIX}{name}")
                } else {
                    name.clone()
                };
            fields.push(kind.field(&column));
            props.push((name, kind, kind.builder()));
        }
        let schema = Arc::new(Schema::new(fields));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|source| ImportError::Io {
                context: format!("{}: cannot create", temp.display()),
                source,
            })?;
        let sink = match format {
            TableFormat::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                    .build();
                Sink::Parquet(
                    ArrowWriter::try_new(file, schema.clone(), Some(props))
                        .map_err(|e| table_error(&path, e))?,
                )
            }
            TableFormat::Arrow => Sink::Arrow(
                arrow_ipc::writer::FileWriter::try_new(file, &schema)
                    .map_err(|e| table_error(&path, e))?,
            ),
        };
        Ok(Table {
            schema,
            fixed: fixed
                .iter()
                .map(|_| Column::Int(Int64Builder::new()))
                .collect(),
            labels: with_labels.then(|| ListBuilder::new(StringBuilder::new())),
            props,
            rows: 0,
            sink: Some(sink),
            temp,
            path,
        })
    }

    /// Appends a row: its fixed cells, labels (for nodes) and properties.
    fn push(
        &mut self,
        fixed: &[i64],
        labels: &[String],
        props: &BTreeMap<String, PropertyValue>,
    ) -> Result<()> {
        for (c, &v) in self.fixed.iter_mut().zip(fixed) {
            c.append(Some(&PropertyValue::Int(v)), false)?;
        }
        if let Some(l) = &mut self.labels {
            l.append_value(labels.iter().map(Some));
        }
        for (name, kind, column) in &mut self.props {
            let json = !matches!(kind, Kind::Str);
            column.append(props.get(name.as_str()), json)?;
        }
        self.rows += 1;
        if self.rows.is_multiple_of(BATCH_ROWS) {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let mut columns: Vec<ArrayRef> = self.fixed.iter_mut().map(Column::finish).collect();
        if let Some(l) = &mut self.labels {
            columns.push(Arc::new(l.finish()));
        }
        columns.extend(self.props.iter_mut().map(|(_, _, c)| c.finish()));
        if columns.first().is_none_or(Array::is_empty) {
            return Ok(());
        }
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| table_error(&self.path, e))?;
        match &mut self.sink {
            Some(Sink::Parquet(w)) => w.write(&batch).map_err(|e| table_error(&self.path, e)),
            Some(Sink::Arrow(w)) => w.write(&batch).map_err(|e| table_error(&self.path, e)),
            None => Ok(()),
        }
    }

    /// Writes what is left and closes the file (still under its temporary name).
    fn close(&mut self) -> Result<()> {
        self.flush()?;
        let path = self.path.clone();
        let file = match self.sink.take() {
            Some(Sink::Parquet(w)) => w.into_inner().map_err(|e| table_error(&path, e))?,
            Some(Sink::Arrow(mut w)) => {
                w.finish().map_err(|e| table_error(&path, e))?;
                w.into_inner().map_err(|e| table_error(&path, e))?
            }
            None => return Ok(()),
        };
        file.sync_all().map_err(|source| ImportError::Io {
            context: format!("{}: cannot write", path.display()),
            source,
        })
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // Not renamed into place: the export failed, so its partial file goes.
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// A set of node ids, as bits.
#[derive(Default)]
struct NodeSet(Vec<u64>);

impl NodeSet {
    fn insert(&mut self, id: NodeId) {
        let word = usize::try_from(id.0 / 64).unwrap_or(usize::MAX);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (id.0 % 64);
    }

    fn has(&self, id: NodeId) -> bool {
        let word = usize::try_from(id.0 / 64).unwrap_or(usize::MAX);
        self.0
            .get(word)
            .is_some_and(|w| w & (1 << (id.0 % 64)) != 0)
    }
}

/// What the first pass over the graph finds: each file's column types, and the nodes
/// exported.
struct Plan {
    node_kinds: BTreeMap<String, BTreeMap<String, Kind>>,
    edge_kinds: BTreeMap<String, BTreeMap<String, Kind>>,
    nodes: NodeSet,
}

impl Plan {
    /// Whether an edge is exported: of a chosen type, between exported nodes.
    fn edge_kept(&self, e: &pagegraph::Edge, subset: &Subset) -> bool {
        subset
            .types
            .as_ref()
            .is_none_or(|k| k.contains(&e.edge_type))
            && subset.edges.as_ref().is_none_or(|k| k.contains(&e.id))
            && ((subset.labels.is_none() && subset.nodes.is_none())
                || (self.nodes.has(e.from) && self.nodes.has(e.to)))
    }

    fn of(r: &ReadTxn, subset: &Subset) -> Result<Plan> {
        fn note(kinds: &mut BTreeMap<String, Kind>, props: &BTreeMap<String, PropertyValue>) {
            for (k, v) in props {
                if let Some(kind) = Kind::of(v) {
                    kinds
                        .entry(k.clone())
                        .and_modify(|old| *old = old.widen(kind))
                        .or_insert(kind);
                }
            }
        }
        let mut plan = Plan {
            node_kinds: BTreeMap::new(),
            edge_kinds: BTreeMap::new(),
            nodes: NodeSet::default(),
        };
        // Chosen edges bring their ends to the chosen nodes.
        let mut with_ends = None;
        if let (Some(nodes), Some(edges)) = (&subset.nodes, &subset.edges) {
            let mut all = nodes.clone();
            for &e in edges {
                if let Some(e) = r.edge(e)? {
                    all.extend([e.from, e.to]);
                }
            }
            with_ends = Some(all);
        }
        let chosen = with_ends.as_ref().or(subset.nodes.as_ref());
        for id in r.node_ids() {
            let Some(n) = r.node_props(id?)? else {
                continue;
            };
            if chosen.is_some_and(|c| !c.contains(&n.id)) {
                continue;
            }
            let Some(file) = kept_labels(&n.labels, subset) else {
                continue;
            };
            plan.nodes.insert(n.id);
            let kinds = plan.node_kinds.entry(file.to_string()).or_default();
            note(kinds, &n.properties);
        }
        for e in r.edges() {
            let e = e?;
            if !plan.edge_kept(&e, subset) {
                continue;
            }
            let kinds = plan.edge_kinds.entry(e.edge_type.clone()).or_default();
            if !e.data.is_null() {
                note(kinds, &e.properties()?);
            }
        }
        Ok(plan)
    }
}

/// The labels of a node that a subset keeps (all of them without a label subset), first
/// the one whose file it goes to; empty if the node is not exported.
fn kept_labels<'l>(labels: &'l [String], subset: &Subset) -> Option<&'l str> {
    match &subset.labels {
        None => Some(labels.first().map_or("", String::as_str)),
        Some(keep) => labels
            .iter()
            .find(|l| keep.contains(l.as_str()))
            .map(String::as_str),
    }
}

/// Writes the nodes and edges `r` sees (all, or `subset`) as tables of `format` under
/// `dir` (see the module doc), calling `tick` after each row. Every file is written under
/// a temporary name and renamed into place only when all are complete, so a failed export
/// leaves no table behind. `dir` is created if missing; its `nodes/` and `edges/` must be
/// absent or empty, so that no table of an earlier export is mistaken for part of this one.
/// The graph is read twice: once for the column types, once to write.
pub fn export_tables(
    r: &ReadTxn,
    dir: &Path,
    format: TableFormat,
    subset: &Subset,
    tick: &mut dyn FnMut(),
) -> Result<Exported> {
    let io = |path: &Path, doing: &str| {
        let context = format!("{}: {doing}", path.display());
        move |source| ImportError::Io { context, source }
    };
    let (nodes_dir, edges_dir) = (dir.join("nodes"), dir.join("edges"));
    for d in [&nodes_dir, &edges_dir] {
        if let Ok(mut entries) = std::fs::read_dir(d)
            && entries.next().is_some()
        {
            return Err(ImportError::file(
                d,
                "is not empty (it holds an earlier export?); export into an empty or new \
                 directory",
            ));
        }
        std::fs::create_dir_all(d).map_err(io(d, "cannot create"))?;
    }

    let mut plan = Plan::of(r, subset)?;
    let node_kinds = std::mem::take(&mut plan.node_kinds);
    let edge_kinds = std::mem::take(&mut plan.edge_kinds);

    // Pass 1 (the plan) found the files and their column types; pass 2 writes the rows.
    let ext = format.extension();
    let mut out = Exported::default();
    let mut node_tables: BTreeMap<String, Table> = BTreeMap::new();
    for (label, kinds) in node_kinds {
        let path = nodes_dir.join(format!("{}.{ext}", file_stem(&label)));
        node_tables.insert(label, Table::create(path, format, &["id"], true, kinds)?);
    }
    let mut edge_tables: BTreeMap<String, Table> = BTreeMap::new();
    for (t, kinds) in edge_kinds {
        let path = edges_dir.join(format!("{}.{ext}", file_stem(&t)));
        edge_tables.insert(
            t,
            Table::create(path, format, &["id", "src", "dst"], false, kinds)?,
        );
    }
    let as_i64 = |id: u64| i64::try_from(id).unwrap_or(i64::MAX);
    for id in r.node_ids() {
        let Some(n) = r.node_props(id?)? else {
            continue;
        };
        if !plan.nodes.has(n.id) {
            continue;
        }
        let Some(table) = kept_labels(&n.labels, subset).and_then(|l| node_tables.get_mut(l))
        else {
            continue;
        };
        table.push(&[as_i64(n.id.0)], &n.labels, &n.properties)?;
        out.nodes += 1;
        tick();
    }
    for e in r.edges() {
        let e = e?;
        if !plan.edge_kept(&e, subset) {
            continue;
        }
        let Some(table) = edge_tables.get_mut(&e.edge_type) else {
            continue;
        };
        let props = if e.data.is_null() {
            BTreeMap::new()
        } else {
            e.properties()?
        };
        let cells = [as_i64(e.id.0), as_i64(e.from.0), as_i64(e.to.0)];
        table.push(&cells, &[], &props)?;
        out.edges += 1;
        tick();
    }
    let mut tables: Vec<Table> = node_tables
        .into_values()
        .chain(edge_tables.into_values())
        .collect();
    for t in &mut tables {
        t.close()?;
    }
    for t in &tables {
        std::fs::rename(&t.temp, &t.path).map_err(io(&t.path, "cannot rename into place"))?;
        out.files.push(t.path.clone());
    }
    Ok(out)
}
