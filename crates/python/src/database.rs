//! `Database`: an open graph, safe to share between threads.

use std::path::PathBuf;
use std::sync::Arc;

use pagegraph::{Durability, Graph, IndexTarget, NodeId, Options};
use parking_lot::{Mutex, RwLock};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::algo;
use crate::convert;
use crate::errors::{self, Error, Fail, graph_error};
use crate::txn::{ReadTransaction, WriteTransaction, WriterSlot, index_spec};
use crate::view::{self, Answer, Reader, View};

/// The open graph and who holds its writer.
pub(crate) struct Shared {
    pub(crate) graph: Graph,
    pub(crate) writer: WriterSlot,
    /// Statements parsed and checked once, by their text.
    pub(crate) statements: pagegraph_query::StatementCache,
    /// The handle the queries running now hold; `interrupt` cancels it and puts a fresh one
    /// in its place for the queries after.
    pub(crate) cancel: Mutex<pagegraph_query::Cancel>,
    /// The memory each statement `execute` runs may hold (`None`: the default, half of
    /// the machine's memory).
    pub(crate) memory_limit: Option<usize>,
}

/// A pagegraph database, opened (or created) at `path`, or held in memory when `path` is
/// None or ":memory:". Share one between threads freely: every call releases the GIL while
/// it reads or writes the database. Use it as a context manager, or `close()` it, to
/// checkpoint and release the file. `query_memory_limit` (bytes) bounds what each statement
/// `execute` runs may hold in rows it sorts, groups or returns; past it the statement raises
/// `QueryError` naming the limit (default: half of the machine's memory; a transaction's
/// own `execute` always uses the default).
#[pyclass(module = "pagegraph", frozen)]
pub struct Database {
    shared: RwLock<Option<Arc<Shared>>>,
    path: Option<PathBuf>,
    read_only: bool,
    /// How it was opened: `compact` reopens it the same way.
    options: Options,
}

fn durability(name: &str) -> PyResult<Durability> {
    match name {
        "full" => Ok(Durability::Full),
        "normal" => Ok(Durability::Normal),
        "off" => Ok(Durability::Off),
        other => Err(PyValueError::new_err(format!(
            "durability must be \"full\", \"normal\" or \"off\", not {other:?}"
        ))),
    }
}

impl Shared {
    fn new(graph: Graph, memory_limit: Option<usize>) -> Shared {
        Shared {
            graph,
            writer: Mutex::new(None),
            statements: pagegraph_query::StatementCache::default(),
            cancel: Mutex::new(pagegraph_query::Cancel::new()),
            memory_limit,
        }
    }
}

impl Database {
    fn shared(&self) -> PyResult<Arc<Shared>> {
        self.shared
            .read()
            .clone()
            .ok_or_else(|| Error::new_err("the database is closed"))
    }

    /// Fails if this thread holds the open write transaction: waiting for the writer (a
    /// second write, a checkpoint, the integrity check, the storage statistics) would wait
    /// for itself.
    fn check_writer(shared: &Shared) -> PyResult<()> {
        if *shared.writer.lock() == Some(std::thread::current().id()) {
            return Err(Error::new_err(
                "this thread has a write transaction open: commit or roll it back first, \
                 or run the query with its execute() (waiting for the writer here would \
                 wait forever)",
            ));
        }
        Ok(())
    }

    /// Where an import's id map spills: next to the database, or for an in-memory one in
    /// the temporary directory.
    fn spill_path(&self) -> PathBuf {
        self.path.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("pagegraph-{}.memory", std::process::id()))
        })
    }

    /// Opens the write transaction, waiting (with the GIL released) for the current one.
    fn begin_write(&self, py: Python<'_>) -> PyResult<(Arc<Shared>, pagegraph::WriteTxn)> {
        let shared = self.shared()?;
        Self::check_writer(&shared)?;
        let tx = py
            .detach(|| shared.graph.begin_write())
            .map_err(|e| graph_error(&e))?;
        Ok((shared, tx))
    }

    /// Runs `f` in a write transaction of its own and commits.
    fn write_with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut pagegraph::WriteTxn) -> Result<T, Fail> + Send,
    ) -> PyResult<T> {
        let (_shared, mut tx) = self.begin_write(py)?;
        py.detach(|| {
            let out = f(&mut tx)?;
            tx.commit()?;
            Ok(out)
        })
        .map_err(|e: Fail| e.into_py(py))
    }

    /// Runs `f` on a snapshot taken now.
    pub(crate) fn snapshot_with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&pagegraph::ReadTxn) -> Result<T, Fail> + Send,
    ) -> PyResult<T> {
        let shared = self.shared()?;
        py.detach(|| f(&shared.graph.begin_read()?))
            .map_err(|e| e.into_py(py))
    }
}

impl Database {
    /// Runs a per-node algorithm on a snapshot and returns `{node id: value}`.
    fn per_node(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
        run: &algo::Run,
    ) -> PyResult<Py<PyDict>> {
        self.snapshot_with(py, |r| algo::per_node(r, label, edge_type, run))?
            .into_dict(py)
    }
}

impl Reader for Database {
    fn read<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&dyn View) -> Result<T, Fail> + Send,
    ) -> PyResult<T> {
        self.snapshot_with(py, |r| f(r))
    }
}

#[pymethods]
impl Database {
    #[new]
    #[pyo3(signature = (
        path=None, *, read_only=false, create=true, durability="full", cache_pages=None,
        page_size=None, query_memory_limit=None,
    ))]
    #[allow(
        clippy::too_many_arguments,
        reason = "the keyword arguments of the Python constructor"
    )]
    fn new(
        py: Python<'_>,
        path: Option<PathBuf>,
        read_only: bool,
        create: bool,
        durability: &str,
        cache_pages: Option<usize>,
        page_size: Option<u32>,
        query_memory_limit: Option<usize>,
    ) -> PyResult<Database> {
        if query_memory_limit == Some(0) {
            return Err(PyValueError::new_err(
                "query_memory_limit must be a positive number of bytes (or None)",
            ));
        }
        let path = path.filter(|p| p.as_os_str() != ":memory:" && !p.as_os_str().is_empty());
        let defaults = Options::default();
        let options = Options {
            read_only,
            create,
            durability: self::durability(durability)?,
            cache_pages: cache_pages.unwrap_or(defaults.cache_pages),
            page_size: page_size.unwrap_or(defaults.page_size),
            ..defaults
        };
        let graph = match &path {
            Some(p) => py.detach(|| Graph::open_with(p, options.clone())),
            None if read_only => {
                return Err(PyValueError::new_err(
                    "an in-memory database cannot be read-only",
                ));
            }
            None => Graph::in_memory(),
        }
        .map_err(|e| graph_error(&e))?;
        Ok(Database {
            shared: RwLock::new(Some(Arc::new(Shared::new(graph, query_memory_limit)))),
            path,
            read_only,
            options,
        })
    }

    /// The database's path, or None for an in-memory database.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.path.clone()
    }

    /// Whether it was opened read-only.
    #[getter]
    fn read_only(&self) -> bool {
        self.read_only
    }

    /// Starts the write transaction, waiting for the current one to finish. Use it as
    /// `with db.write() as tx:`.
    fn write(&self, py: Python<'_>) -> PyResult<WriteTransaction> {
        let (shared, tx) = self.begin_write(py)?;
        Ok(WriteTransaction::new(tx, shared))
    }

    /// Takes a snapshot for consistent reads. Use it as `with db.read() as r:`.
    fn read(&self, py: Python<'_>) -> PyResult<ReadTransaction> {
        let shared = self.shared()?;
        let snapshot = py
            .detach(|| shared.graph.begin_read())
            .map_err(|e| graph_error(&e))?;
        Ok(ReadTransaction::new(snapshot))
    }

    /// Runs a Cypher statement: a query that writes in a transaction of its own, committed
    /// when it succeeds; a reading query on a snapshot. `Connection.execute` calls this.
    #[pyo3(signature = (query, parameters=None))]
    fn execute(
        &self,
        py: Python<'_>,
        query: &str,
        parameters: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let params = convert::parameters(parameters)?;
        let shared = self.shared()?;
        let statement = py
            .detach(|| shared.statements.prepare(query))
            .map_err(|e| Fail::from(e).into_py(py))?;
        if *shared.writer.lock() == Some(std::thread::current().id())
            && pagegraph_query::is_write(&statement)
        {
            Self::check_writer(&shared)?;
        }
        let options = pagegraph_query::QueryOptions {
            cancel: Some(shared.cancel.lock().clone()),
            memory_limit: shared.memory_limit,
            columnar: true,
            ..Default::default()
        };
        let answer = py
            .detach(|| {
                pagegraph_query::execute_prepared(
                    &shared.graph,
                    &statement,
                    &params,
                    &options,
                    |r, g| Answer::new(r, g),
                )
            })
            .map_err(|e| Fail::from(e).into_py(py))?;
        answer.into_py(py)
    }

    /// Stops every statement `execute` is running on this database now (from any thread):
    /// each raises `QueryError` ("the query was cancelled"), and a write it began is rolled
    /// back. Statements started afterwards run normally.
    fn interrupt(&self) -> PyResult<()> {
        let shared = self.shared()?;
        let mut cancel = shared.cancel.lock();
        cancel.cancel();
        *cancel = pagegraph_query::Cancel::new();
        Ok(())
    }

    /// The node with this id as a dict (`_id`, `_label`, `_labels`, properties), or None.
    fn node(&self, py: Python<'_>, id: u64) -> PyResult<Py<PyAny>> {
        view::node(self, py, id)
    }

    /// The edge with this id as a dict (`_id`, `_src`, `_dst`, `_label`, properties), or
    /// None.
    fn edge(&self, py: Python<'_>, id: u64) -> PyResult<Py<PyAny>> {
        view::edge(self, py, id)
    }

    /// `(edge id, node id)` pairs of node `id`'s edges in `direction` ("out", "in" or
    /// "both"), optionally of one type: by type, then other node, then edge; outgoing
    /// first for "both".
    #[pyo3(signature = (id, direction="out", edge_type=None))]
    fn neighbors(
        &self,
        py: Python<'_>,
        id: u64,
        direction: &str,
        edge_type: Option<&str>,
    ) -> PyResult<Vec<(u64, u64)>> {
        view::neighbors(self, py, id, direction, edge_type)
    }

    /// Ids of every node, or of those with `label`, in id order.
    #[pyo3(signature = (label=None))]
    fn node_ids(&self, py: Python<'_>, label: Option<&str>) -> PyResult<Vec<u64>> {
        view::node_ids(self, py, label)
    }

    /// Ids of the nodes of `label` whose `property` equals `value` (by an index when there
    /// is one on exactly that label and property).
    fn find_nodes(
        &self,
        py: Python<'_>,
        label: &str,
        property: &str,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<u64>> {
        view::find_nodes(self, py, label, property, value)
    }

    /// Number of nodes.
    fn node_count(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(view::counts(self, py)?.0)
    }

    /// Number of edges.
    fn edge_count(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(view::counts(self, py)?.1)
    }

    /// The indexes and unique constraints, as dicts (`name`, `label`, `edge_type`,
    /// `properties`, `unique`, `ready`, `entries`).
    fn indexes(&self, py: Python<'_>) -> PyResult<Vec<Py<PyDict>>> {
        view::indexes(self, py)
    }

    /// Creates an index on the nodes of `label` by `properties` in a transaction of its
    /// own; `unique=True` makes it a unique constraint (raising `ConstraintError` if the
    /// nodes already break it). Returns the index as `indexes()` lists it.
    #[pyo3(signature = (label, properties, *, unique=false, name=None))]
    fn create_index(
        &self,
        py: Python<'_>,
        label: &str,
        properties: &Bound<'_, PyAny>,
        unique: bool,
        name: Option<String>,
    ) -> PyResult<Py<PyDict>> {
        let spec = index_spec(IndexTarget::Label(label.into()), properties, unique, name)?;
        let info = self.write_with(py, |tx| Ok(tx.create_index(spec)?))?;
        view::index_dict(py, &info)
    }

    /// Creates an index on the edges of `edge_type`, as `create_index` does for nodes.
    #[pyo3(signature = (edge_type, properties, *, unique=false, name=None))]
    fn create_edge_index(
        &self,
        py: Python<'_>,
        edge_type: &str,
        properties: &Bound<'_, PyAny>,
        unique: bool,
        name: Option<String>,
    ) -> PyResult<Py<PyDict>> {
        let target = IndexTarget::EdgeType(edge_type.into());
        let spec = index_spec(target, properties, unique, name)?;
        let info = self.write_with(py, |tx| Ok(tx.create_index(spec)?))?;
        view::index_dict(py, &info)
    }

    /// Drops the index (or unique constraint) named `name`.
    fn drop_index(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        self.write_with(py, |tx| Ok(tx.drop_index(name)?))
    }

    /// Checks the database's integrity: every page, tree and record, and the graph's own
    /// invariants. Returns `{"clean": bool, "problems": [str], ...}`.
    fn check(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let shared = self.shared()?;
        Self::check_writer(&shared)?;
        let report = py
            .detach(|| shared.graph.check())
            .map_err(|e| graph_error(&e))?;
        let d = PyDict::new(py);
        d.set_item("clean", report.is_clean())?;
        let problems: Vec<String> = report
            .problems
            .iter()
            .map(|p| match p.page {
                Some(page) => format!("page {page}: {}", p.message),
                None => p.message.clone(),
            })
            .collect();
        d.set_item("problems", problems)?;
        d.set_item("problems_unlisted", report.problems_unlisted)?;
        d.set_item("page_count", report.page_count)?;
        d.set_item("pages_in_use", report.pages_in_use)?;
        Ok(d.unbind())
    }

    /// Counts and storage statistics: `node_count`, `edge_count`, `page_size`,
    /// `page_count`, `free_pages`, `file_size_bytes`, `wal_frames`, `wal_size_bytes`,
    /// `cache_hits`, `cache_misses`, `cache_pages`, `last_txn`.
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let shared = self.shared()?;
        Self::check_writer(&shared)?;
        let (s, (nodes, edges)) = py
            .detach(|| -> Result<_, Fail> {
                let r = shared.graph.begin_read()?;
                Ok((shared.graph.stats()?, View::counts(&r)?))
            })
            .map_err(|e| e.into_py(py))?;
        let d = PyDict::new(py);
        d.set_item("node_count", nodes)?;
        d.set_item("edge_count", edges)?;
        d.set_item("page_size", s.page_size)?;
        d.set_item("page_count", s.page_count)?;
        d.set_item("free_pages", s.free_pages)?;
        d.set_item("file_size_bytes", s.file_size_bytes)?;
        d.set_item("wal_frames", s.wal_frames)?;
        d.set_item("wal_size_bytes", s.wal_size_bytes)?;
        d.set_item("cache_hits", s.cache_hits)?;
        d.set_item("cache_misses", s.cache_misses)?;
        d.set_item("cache_pages", s.cache_pages)?;
        d.set_item("last_txn", s.last_txn.0)?;
        Ok(d.unbind())
    }

    /// Rewrites the database into a fresh file with no free pages, every id, record and
    /// index kept (as `pagegraph compact`: adjacency and edge records repacked, the new
    /// file put in place by one atomic rename), then reopens it. Returns the sizes before
    /// and after, in bytes and pages. Nothing may be using the database meanwhile: an open
    /// transaction or a call running on another thread makes it raise `pagegraph.Error`
    /// without touching anything, and so do in-memory and read-only databases.
    fn compact(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let Some(path) = self.path.clone() else {
            return Err(Error::new_err(
                "an in-memory database has no file to compact",
            ));
        };
        if self.read_only {
            return Err(Error::new_err("a read-only database cannot be compacted"));
        }
        let shared = py
            .detach(|| self.shared.write().take())
            .ok_or_else(|| Error::new_err("the database is closed"))?;
        let shared = match Arc::try_unwrap(shared) {
            Ok(s) => s,
            Err(shared) => {
                py.detach(|| *self.shared.write() = Some(shared));
                return Err(Error::new_err(
                    "the database is in use (an open transaction, or a call on another \
                     thread): finish it before compacting",
                ));
            }
        };
        let options = self.options.clone();
        let memory_limit = shared.memory_limit;
        let (compacted, reopened) = py.detach(|| {
            let compacted = shared.graph.compact();
            // Reopened whatever the outcome: a failed compaction leaves the old file.
            (compacted, Graph::open_with(&path, options))
        });
        let reopened = reopened.map_err(|e| graph_error(&e))?;
        py.detach(|| *self.shared.write() = Some(Arc::new(Shared::new(reopened, memory_limit))));
        let s = compacted.map_err(|e| graph_error(&e))?;
        let d = PyDict::new(py);
        d.set_item(
            "bytes_before",
            s.file_size_before_bytes + s.wal_size_before_bytes,
        )?;
        d.set_item("bytes_after", s.file_size_after_bytes)?;
        d.set_item("pages_before", s.page_count_before)?;
        d.set_item("free_pages_before", s.free_pages_before)?;
        d.set_item("pages_after", s.page_count_after)?;
        d.set_item("entries", s.entries)?;
        Ok(d.unbind())
    }

    /// Loads the Parquet or Arrow IPC tables under the directory `path`, as
    /// `export_tables` writes them and as `DuckDB`, Spark, pandas or polars can: node tables
    /// in `path/nodes/` (an `id` column; a `labels` list column, or the label as the file
    /// name; one column per property), edge tables in `path/edges/` (`src` and `dst` naming
    /// node `id`s; a `type` column or the type as the file name; properties). Each node
    /// keeps its `id` as the property `id_property` (unless its `id` property is a column
    /// of its own) under a unique index per label. Loads in batches of `batch` rows, each
    /// its own transaction. A bad row raises `pagegraph.Error` naming its `file:row`, or
    /// with `skip_bad` is skipped and counted; `upsert` updates the nodes (by label and
    /// key) and edges (by endpoints and type) the database has; `create_missing` creates
    /// an endpoint that no node has. Returns the counts, as `pagegraph import` prints them.
    #[pyo3(signature = (path, *, batch = 200_000, skip_bad = false, upsert = false, create_missing = false, id_property = "id", node_label = "node"))]
    #[allow(clippy::too_many_arguments)] // keyword arguments, as Python callers pass them
    fn import_tables(
        &self,
        py: Python<'_>,
        path: PathBuf,
        batch: usize,
        skip_bad: bool,
        upsert: bool,
        create_missing: bool,
        id_property: &str,
        node_label: &str,
    ) -> PyResult<Py<PyDict>> {
        let shared = self.shared()?;
        Self::check_writer(&shared)?;
        let opts = pagegraph_import::ImportOptions {
            batch,
            skip_bad,
            upsert,
            create_missing,
            id_property: id_property.to_string(),
            node_kind: node_label.to_string(),
            ..pagegraph_import::ImportOptions::default()
        };
        let spill = self.spill_path();
        let summary = py
            .detach(|| {
                pagegraph_import::run_tables(
                    &shared.graph,
                    &spill,
                    &path,
                    opts,
                    Arc::new(pagegraph_import::NoProgress),
                )
            })
            .map_err(|e| errors::import_error(&e))?;
        summary_dict(py, &summary)
    }

    /// Loads a labelled CSV dataset described by the TOML mapping file `mapping` (node and
    /// edge files with Neo4j admin-import headers, their labels, types, id spaces and
    /// dialect; see `docs/import.md`), as `pagegraph import --mapping` does. Relative file
    /// paths are in `data_dir` (default: the mapping file's directory). Bad lines, `upsert`
    /// and `create_missing` are as for `import_tables`. Returns the counts.
    #[pyo3(signature = (mapping, *, data_dir = None, batch = 200_000, skip_bad = false, upsert = false, create_missing = false))]
    #[allow(clippy::too_many_arguments)] // keyword arguments, as Python callers pass them
    fn import_csv(
        &self,
        py: Python<'_>,
        mapping: PathBuf,
        data_dir: Option<PathBuf>,
        batch: usize,
        skip_bad: bool,
        upsert: bool,
        create_missing: bool,
    ) -> PyResult<Py<PyDict>> {
        let shared = self.shared()?;
        Self::check_writer(&shared)?;
        let spill = self.spill_path();
        let summary = py
            .detach(|| {
                let m = pagegraph_import::Mapping::load(&mapping, data_dir.as_deref())?;
                let opts = pagegraph_import::ImportOptions {
                    batch,
                    skip_bad,
                    upsert,
                    create_missing: create_missing || m.create_missing,
                    id_property: m.id_property.clone().unwrap_or_else(|| "id".into()),
                    ..pagegraph_import::ImportOptions::default()
                };
                pagegraph_import::run_csv(
                    &shared.graph,
                    &spill,
                    &m.import,
                    opts,
                    Arc::new(pagegraph_import::NoProgress),
                )
            })
            .map_err(|e| errors::import_error(&e))?;
        summary_dict(py, &summary)
    }

    /// Writes the graph as tables under the directory `path`: `nodes/<label>.parquet`
    /// (`id`, `labels`, one typed column per property) and `edges/<type>.parquet` (`id`,
    /// `src`, `dst`, properties), read as they are by `DuckDB`
    /// (`read_parquet('path/nodes/*.parquet', union_by_name=true)`), Spark `GraphFrames`,
    /// pandas, polars and pyarrow; `format="arrow"` writes Arrow IPC (`.arrow`) files
    /// instead. `labels` keeps only the nodes with one of those labels (and the edges
    /// between them), `types` only the edges of those types, and `query` (a read-only
    /// Cypher query, with `parameters`) only the nodes and relationships its answer names
    /// (a relationship brings its two nodes). Reads one snapshot; every file
    /// appears only when all are written. `path/nodes` and `path/edges` must be absent or
    /// empty. Returns `{"nodes": n, "edges": m, "files": [...]}`.
    #[pyo3(signature = (path, *, format = "parquet", labels = None, types = None, query = None, parameters = None))]
    #[allow(clippy::too_many_arguments)] // keyword arguments, as Python callers pass them
    fn export_tables(
        &self,
        py: Python<'_>,
        path: PathBuf,
        format: &str,
        labels: Option<Vec<String>>,
        types: Option<Vec<String>>,
        query: Option<String>,
        parameters: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyDict>> {
        let params = convert::parameters(parameters)?;
        let format = match format {
            "parquet" => pagegraph_import::TableFormat::Parquet,
            "arrow" => pagegraph_import::TableFormat::Arrow,
            other => {
                return Err(PyValueError::new_err(format!(
                    "format must be \"parquet\" or \"arrow\", not {other:?}"
                )));
            }
        };
        let mut subset = pagegraph_import::Subset {
            labels: labels.map(|l| l.into_iter().collect()),
            types: types.map(|t| t.into_iter().collect()),
            ..pagegraph_import::Subset::default()
        };
        let out = self.snapshot_with(py, |r| {
            if let Some(text) = &query {
                // `run` refuses a query that writes.
                let (nodes, edges) = pagegraph_query::run(text, &params, r)?.graph_ids();
                subset.nodes = Some(nodes);
                subset.edges = Some(edges);
            }
            Ok(pagegraph_import::export_tables(
                r,
                &path,
                format,
                &subset,
                &mut || {},
            )?)
        })?;
        let d = PyDict::new(py);
        d.set_item("nodes", out.nodes)?;
        d.set_item("edges", out.edges)?;
        let files: Vec<String> = out.files.iter().map(|f| f.display().to_string()).collect();
        d.set_item("files", files)?;
        Ok(d.unbind())
    }

    /// Copies the write-ahead log into the database file.
    fn checkpoint(&self, py: Python<'_>) -> PyResult<()> {
        let shared = self.shared()?;
        Self::check_writer(&shared)?;
        py.detach(|| shared.graph.checkpoint())
            .map_err(|e| graph_error(&e))
    }

    /// PageRank of every node (of `label`, over edges of `edge_type`, when given) as
    /// `{node id: rank}`; the ranks sum to 1. `direction` "out" lets rank flow from an
    /// edge's source to its target, "in" the other way, "both" both ways.
    #[pyo3(signature = (
        label=None, edge_type=None, *, damping=0.85, iterations=20, tolerance=0.0,
        direction="out",
    ))]
    #[expect(
        clippy::too_many_arguments,
        reason = "PageRank's parameters, by keyword"
    )]
    fn pagerank(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
        damping: f64,
        iterations: u32,
        tolerance: f64,
        direction: &str,
    ) -> PyResult<Py<PyDict>> {
        let params = pagegraph::algo::PageRank {
            damping,
            iterations,
            tolerance,
            dir: view::direction(direction)?,
        };
        let ranks = self.snapshot_with(py, |r| algo::pagerank(r, label, edge_type, params))?;
        algo::to_dict(py, ranks)
    }

    /// Weakly connected components (edge directions ignored) of every node (of `label`,
    /// over edges of `edge_type`, when given) as `{node id: component}`, where a
    /// component is named by its smallest node id.
    #[pyo3(signature = (label=None, edge_type=None))]
    fn wcc(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
    ) -> PyResult<Py<PyDict>> {
        let components = self.snapshot_with(py, |r| algo::wcc(r, label, edge_type))?;
        let components = components.into_iter().map(|(n, c)| (n, c.0)).collect();
        algo::to_dict(py, components)
    }

    /// Strongly connected components of every node (of `label`, over edges of
    /// `edge_type`, when given) as `{node id: component}`, a component named by its
    /// smallest node id.
    #[pyo3(signature = (label=None, edge_type=None))]
    fn scc(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
    ) -> PyResult<Py<PyDict>> {
        self.per_node(py, label, edge_type, &algo::Run::Scc)
    }

    /// Louvain communities (edge directions ignored) as `{node id: community}`, a
    /// community named by its smallest node id. `seed` fixes the order nodes are visited
    /// in (None: id order).
    #[pyo3(signature = (label=None, edge_type=None, *, resolution=1.0, seed=None, max_levels=32))]
    fn louvain(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
        resolution: f64,
        seed: Option<u64>,
        max_levels: u32,
    ) -> PyResult<Py<PyDict>> {
        let params = pagegraph::algo::Louvain {
            resolution,
            seed,
            max_levels,
        };
        self.per_node(py, label, edge_type, &algo::Run::Louvain(params))
    }

    /// Label propagation communities as `{node id: community}`, labels flowing along
    /// `direction` ("out", "in" or "both") for at most `iterations` rounds.
    #[pyo3(signature = (label=None, edge_type=None, *, direction="both", iterations=10, seed=None))]
    fn label_propagation(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
        direction: &str,
        iterations: u32,
        seed: Option<u64>,
    ) -> PyResult<Py<PyDict>> {
        let params = pagegraph::algo::LabelPropagation {
            dir: view::direction(direction)?,
            iterations,
            seed,
        };
        self.per_node(py, label, edge_type, &algo::Run::LabelPropagation(params))
    }

    /// Degree of every node in the projection as `{node id: degree}`, counting edges
    /// in `direction` ("out", "in" or "both").
    #[pyo3(signature = (label=None, edge_type=None, *, direction="both"))]
    fn degree(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
        direction: &str,
    ) -> PyResult<Py<PyDict>> {
        let run = algo::Run::Degree(view::direction(direction)?);
        self.per_node(py, label, edge_type, &run)
    }

    /// Betweenness centrality as `{node id: score}` (Brandes), along `direction`;
    /// `samples` source nodes picked with `seed` (None: every node), `normalized` divides
    /// by the number of pairs.
    #[pyo3(signature = (
        label=None, edge_type=None, *, direction="out", samples=None, seed=0, normalized=false,
    ))]
    #[expect(
        clippy::too_many_arguments,
        reason = "the algorithm's parameters, by keyword"
    )]
    fn betweenness(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
        direction: &str,
        samples: Option<usize>,
        seed: u64,
        normalized: bool,
    ) -> PyResult<Py<PyDict>> {
        let params = pagegraph::algo::Betweenness {
            dir: view::direction(direction)?,
            samples,
            seed,
            normalized,
        };
        self.per_node(py, label, edge_type, &algo::Run::Betweenness(params))
    }

    /// Closeness centrality as `{node id: score}` along `direction` (Wasserman-Faust
    /// for nodes that reach only part of the graph, as networkx computes it).
    #[pyo3(signature = (label=None, edge_type=None, *, direction="out"))]
    fn closeness(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
        direction: &str,
    ) -> PyResult<Py<PyDict>> {
        let run = algo::Run::Closeness(view::direction(direction)?);
        self.per_node(py, label, edge_type, &run)
    }

    /// The k-core number of every node (edge directions ignored, self-loops and repeated
    /// edges counted once) as `{node id: core}`.
    #[pyo3(signature = (label=None, edge_type=None))]
    fn core_numbers(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
    ) -> PyResult<Py<PyDict>> {
        self.per_node(py, label, edge_type, &algo::Run::CoreNumbers)
    }

    /// Triangles through every node (edge directions ignored) as `{node id: count}`.
    #[pyo3(signature = (label=None, edge_type=None))]
    fn triangles(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
    ) -> PyResult<Py<PyDict>> {
        self.per_node(py, label, edge_type, &algo::Run::Triangles)
    }

    /// Local clustering coefficient of every node as `{node id: coefficient}`, of the
    /// undirected graph, or of the directed one with `directed=True` (LDBC Graphalytics).
    #[pyo3(signature = (label=None, edge_type=None, *, directed=false))]
    fn clustering(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
        directed: bool,
    ) -> PyResult<Py<PyDict>> {
        self.per_node(py, label, edge_type, &algo::Run::Clustering(directed))
    }

    /// A shortest path from `source` to `target` along `direction`, over edges of
    /// `edge_type` (all when None): fewest edges, or least total `weight` (a numeric
    /// edge property, non-negative) when given. `{"nodes": [...], "edges": [...],
    /// "cost": float}`, or None when `target` cannot be reached.
    #[pyo3(signature = (source, target, *, edge_type=None, direction="out", weight=None))]
    fn shortest_path(
        &self,
        py: Python<'_>,
        source: u64,
        target: u64,
        edge_type: Option<&str>,
        direction: &str,
        weight: Option<&str>,
    ) -> PyResult<Option<Py<PyDict>>> {
        let dir = view::direction(direction)?;
        let path = self.snapshot_with(py, |r| {
            algo::shortest_path(r, NodeId(source), NodeId(target), edge_type, dir, weight)
        })?;
        path.map(|p| algo::path_dict(py, &p)).transpose()
    }

    /// Breadth-first search from `start` along `direction` over edges of `edge_type`
    /// (all when None), at most `max_depth` steps: `{node id: depth}` in the order the
    /// nodes are reached (`start` first, at depth 0).
    #[pyo3(signature = (start, *, edge_type=None, direction="out", max_depth=None))]
    fn bfs(
        &self,
        py: Python<'_>,
        start: u64,
        edge_type: Option<&str>,
        direction: &str,
        max_depth: Option<u32>,
    ) -> PyResult<Py<PyDict>> {
        let dir = view::direction(direction)?;
        let reached = self.snapshot_with(py, |r| {
            algo::bfs(r, NodeId(start), edge_type, dir, max_depth)
        })?;
        algo::to_dict(py, reached)
    }

    /// Distances from `source` to every node it reaches along `direction` over edges of
    /// `edge_type` (all when None): fewest edges, or least total `weight` (a numeric edge
    /// property) when given; `{node id: distance}`, nearest first.
    #[pyo3(signature = (source, *, edge_type=None, direction="out", weight=None))]
    fn sssp(
        &self,
        py: Python<'_>,
        source: u64,
        edge_type: Option<&str>,
        direction: &str,
        weight: Option<&str>,
    ) -> PyResult<Py<PyDict>> {
        let dir = view::direction(direction)?;
        let d = self.snapshot_with(py, |r| {
            algo::sssp(r, NodeId(source), edge_type, dir, weight)
        })?;
        algo::to_dict(py, d)
    }

    /// The `k` shortest paths without repeated nodes from `source` to `target` (Yen's
    /// method), shortest first, each as `shortest_path` gives it.
    #[pyo3(signature = (source, target, k, *, edge_type=None, direction="out", weight=None))]
    #[expect(
        clippy::too_many_arguments,
        reason = "the search's parameters, by keyword"
    )]
    fn k_shortest_paths(
        &self,
        py: Python<'_>,
        source: u64,
        target: u64,
        k: usize,
        edge_type: Option<&str>,
        direction: &str,
        weight: Option<&str>,
    ) -> PyResult<Vec<Py<PyDict>>> {
        let dir = view::direction(direction)?;
        let paths = self.snapshot_with(py, |r| {
            algo::k_shortest_paths(r, NodeId(source), NodeId(target), k, edge_type, dir, weight)
        })?;
        paths.iter().map(|p| algo::path_dict(py, p)).collect()
    }

    /// The immediate dominator of every node reached from `root` over edges of
    /// `edge_type` (all when None), `root` itself left out, as `{node id: dominator}`;
    /// with `post=True`, the immediate post-dominator of every node that reaches `root`.
    #[pyo3(signature = (root, *, edge_type=None, post=false))]
    fn dominators(
        &self,
        py: Python<'_>,
        root: u64,
        edge_type: Option<&str>,
        post: bool,
    ) -> PyResult<Py<PyDict>> {
        let d = self.snapshot_with(py, |r| algo::dominators(r, NodeId(root), edge_type, post))?;
        algo::to_dict(py, d)
    }

    /// The ids of the edges (of `edge_type`, all when None) a DAG keeps in its transitive
    /// reduction; raises `ValueError` naming a cycle when the graph has one.
    #[pyo3(signature = (edge_type=None))]
    fn transitive_reduction(&self, py: Python<'_>, edge_type: Option<&str>) -> PyResult<Vec<u64>> {
        self.snapshot_with(py, |r| algo::transitive_reduction(r, edge_type))
    }

    /// A directed cycle of the projection as its node ids, or None when it has none.
    #[pyo3(signature = (label=None, edge_type=None))]
    fn find_cycle(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
    ) -> PyResult<Option<Vec<u64>>> {
        self.snapshot_with(py, |r| algo::find_cycle(r, label, edge_type))
    }

    /// The projection's nodes in an order where every edge goes from an earlier node to
    /// a later one; raises `ValueError` naming a cycle when there is none.
    #[pyo3(signature = (label=None, edge_type=None))]
    fn toposort(
        &self,
        py: Python<'_>,
        label: Option<&str>,
        edge_type: Option<&str>,
    ) -> PyResult<Vec<u64>> {
        let order = self.snapshot_with(py, |r| algo::toposort(r, label, edge_type))?;
        Ok(order.into_iter().map(|n| n.0).collect())
    }

    /// Checkpoints and closes the database. Later calls raise `pagegraph.Error`. An open
    /// write transaction keeps it open until it commits or rolls back, and the file is
    /// released once every transaction taken from it is finished.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let Some(shared) = py.detach(|| self.shared.write().take()) else {
            return Ok(());
        };
        match Arc::try_unwrap(shared) {
            Ok(s) => py.detach(|| s.graph.close()).map_err(|e| graph_error(&e)),
            // A write transaction, or a call on another thread, still uses it: the last one
            // to finish closes it.
            Err(_) => Ok(()),
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        match &self.path {
            Some(p) => format!("<pagegraph.Database {}>", p.display()),
            None => "<pagegraph.Database :memory:>".to_string(),
        }
    }
}

/// An import's counts as a dict.
fn summary_dict(py: Python<'_>, s: &pagegraph_import::Summary) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    d.set_item("nodes", s.nodes)?;
    d.set_item("edges", s.edges)?;
    d.set_item("nodes_updated", s.nodes_updated)?;
    d.set_item("edges_updated", s.edges_updated)?;
    d.set_item("skipped", s.skipped)?;
    d.set_item("skipped_by_reason", s.skipped_by_reason.clone())?;
    d.set_item("batches", s.batches)?;
    d.set_item("seconds", s.elapsed.as_secs_f64())?;
    Ok(d.unbind())
}
