//! `WriteTransaction` and `ReadTransaction`: the graph's transactions as Python objects.
//!
//! A write transaction is the database's one writer. It may be used from any thread, one
//! call at a time (a lock inside serializes them); while it is open, `write()` and writing
//! queries on other threads wait, with the GIL released, until it commits or rolls back.
//! The thread that opened it gets `pagegraph.Error` if it asks for a second one, instead of
//! waiting for itself forever. Dropping it without `commit()` rolls back.

use std::sync::Arc;
use std::thread::ThreadId;

use pagegraph::{EdgeId, IndexSpec, IndexTarget, NodeId, Properties, ReadTxn, WriteTxn};
use pagegraph_query::eval::GraphRead;
use parking_lot::{Mutex, RwLock};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::columns;
use crate::convert;
use crate::database::Shared;
use crate::errors::{Fail, finished, graph_error};
use crate::view::{self, Answer, Reader, View};

/// Items of a batch converted from Python before they are written with the GIL released:
/// memory stays bounded for an iterable of any length.
const BATCH_ITEMS_MAX: usize = 10_000;

/// The thread that opened the write transaction open through Python, if one is.
pub(crate) type WriterSlot = Mutex<Option<ThreadId>>;

/// The database's write transaction. Use it as a context manager: `with db.write() as tx:`
/// commits when the block ends normally and rolls back when it raises. Changes are visible
/// to this transaction at once and to others after `commit()`. It may be used from any
/// thread, one call at a time; other threads' writes wait for it to end, and the thread
/// that opened it gets `pagegraph.Error` if it starts a second write.
#[pyclass(module = "pagegraph", frozen)]
pub struct WriteTransaction {
    open: Mutex<Option<Open>>,
}

/// An open write transaction and its database, which stays open while the transaction is
/// (closing it waits for the writer, so a `Database` dropped first would hang); released
/// when the transaction ends.
struct Open {
    tx: WriteTxn,
    shared: Arc<Shared>,
}

impl Open {
    /// Ends the transaction: commits or rolls back, frees the writer, then lets go of the
    /// database (which may close it, if it was closed meanwhile).
    fn end(self, commit: bool) -> pagegraph::Result<()> {
        let Open { tx, shared } = self;
        let result = if commit {
            tx.commit().map(|_| ())
        } else {
            tx.abort();
            Ok(())
        };
        *shared.writer.lock() = None;
        drop(shared);
        result
    }
}

impl Drop for WriteTransaction {
    fn drop(&mut self) {
        // Still open: dropping the transaction rolls it back.
        if let Some(open) = self.open.get_mut().take() {
            let _ = open.end(false);
        }
    }
}

impl Reader for WriteTransaction {
    fn read<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&dyn View) -> Result<T, Fail> + Send,
    ) -> PyResult<T> {
        self.with(py, |tx| f(tx))
    }
}

/// The spec of an index on `target` by `properties` (a name or a list of them).
pub(crate) fn index_spec(
    target: IndexTarget,
    properties: &Bound<'_, PyAny>,
    unique: bool,
    name: Option<String>,
) -> PyResult<IndexSpec> {
    Ok(IndexSpec {
        name,
        target,
        properties: convert::names(properties, "properties")?,
        unique,
    })
}

/// A batch item as a tuple of `min..=max` fields.
fn fields<'py>(
    item: &Bound<'py, PyAny>,
    min: usize,
    max: usize,
    shape: &str,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let tuple = item.cast::<PyTuple>().ok();
    match tuple {
        Some(t) if (min..=max).contains(&t.len()) => Ok(t.iter().collect()),
        _ => Err(PyTypeError::new_err(format!(
            "each item must be a tuple {shape}, not {}",
            item.repr().map_or_else(|_| "?".into(), |r| r.to_string())
        ))),
    }
}

impl WriteTransaction {
    pub(crate) fn new(tx: WriteTxn, shared: Arc<Shared>) -> WriteTransaction {
        *shared.writer.lock() = Some(std::thread::current().id());
        WriteTransaction {
            open: Mutex::new(Some(Open { tx, shared })),
        }
    }

    /// Runs `f` on the open transaction with the GIL released.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut WriteTxn) -> Result<T, Fail> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut guard = self.open.lock();
            let open = guard.as_mut().ok_or(Fail::Closed("write transaction"))?;
            f(&mut open.tx)
        })
        .map_err(|e| e.into_py(py))
    }

    /// Commits or rolls back, and frees the writer.
    fn finish(&self, py: Python<'_>, commit: bool) -> PyResult<()> {
        py.detach(|| {
            let open = self.open.lock().take();
            open.map(|o| o.end(commit))
        })
        .ok_or_else(|| finished("write transaction"))?
        .map_err(|e| graph_error(&e))
    }

    fn is_open(&self, py: Python<'_>) -> bool {
        py.detach(|| self.open.lock().is_some())
    }
}

#[pymethods]
impl WriteTransaction {
    /// Creates a node with `labels` (a str or a list of them; the first is its kind) and
    /// `properties`; returns its id.
    #[pyo3(signature = (labels, properties=None))]
    fn create_node(
        &self,
        py: Python<'_>,
        labels: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let labels = convert::names(labels, "labels")?;
        let props = convert::properties(properties, "properties")?;
        self.with(py, |tx| {
            let l: Vec<&str> = labels.iter().map(String::as_str).collect();
            Ok(tx.create_node(&l, props)?.0)
        })
    }

    /// Creates a node for each `(labels, properties)` tuple of any iterable (properties may
    /// be left out); returns their ids in order. Written in batches of 10,000; if one item
    /// fails, the batches before it stay in the transaction (roll back to undo them).
    fn create_nodes(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
        let mut ids = Vec::new();
        let mut batch: Vec<(Vec<String>, Properties)> = Vec::new();
        let flush = |batch: &mut Vec<(Vec<String>, Properties)>, ids: &mut Vec<u64>| {
            let items = std::mem::take(batch);
            let made = self.with(py, |tx| {
                let labels: Vec<Vec<&str>> = items
                    .iter()
                    .map(|(l, _)| l.iter().map(String::as_str).collect())
                    .collect();
                let nodes = labels
                    .iter()
                    .zip(&items)
                    .map(|(l, (_, p))| (l.as_slice(), p.clone()));
                Ok(tx.create_nodes(nodes)?)
            })?;
            ids.extend(made.into_iter().map(|n| n.0));
            PyResult::Ok(())
        };
        for item in items.try_iter()? {
            let f = fields(&item?, 1, 2, "(labels, properties)")?;
            let labels = convert::names(&f[0], "labels")?;
            let props = convert::properties(f.get(1), "properties")?;
            batch.push((labels, props));
            if batch.len() == BATCH_ITEMS_MAX {
                flush(&mut batch, &mut ids)?;
            }
        }
        if !batch.is_empty() {
            flush(&mut batch, &mut ids)?;
        }
        Ok(ids)
    }

    /// Creates an edge of `edge_type` from node `src` to node `dst`; returns its id.
    #[pyo3(signature = (src, dst, edge_type, properties=None))]
    fn create_edge(
        &self,
        py: Python<'_>,
        src: u64,
        dst: u64,
        edge_type: &str,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let props = convert::properties(properties, "properties")?;
        self.with(py, |tx| {
            Ok(tx
                .create_edge(NodeId(src), NodeId(dst), edge_type, props)?
                .0)
        })
    }

    /// Creates an edge for each `(src, dst, edge_type, properties)` tuple of any iterable
    /// (properties may be left out); returns their ids in order. Batches as `create_nodes`.
    fn create_edges(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
        let mut ids = Vec::new();
        let mut batch: Vec<(u64, u64, String, Properties)> = Vec::new();
        let flush = |batch: &mut Vec<(u64, u64, String, Properties)>, ids: &mut Vec<u64>| {
            let items = std::mem::take(batch);
            let made = self.with(py, |tx| {
                Ok(tx.create_edges(
                    items
                        .into_iter()
                        .map(|(src, dst, ty, props)| (NodeId(src), NodeId(dst), ty, props)),
                )?)
            })?;
            ids.extend(made.into_iter().map(|e| e.0));
            PyResult::Ok(())
        };
        for item in items.try_iter()? {
            let f = fields(&item?, 3, 4, "(src, dst, edge_type, properties)")?;
            let props = convert::properties(f.get(3), "properties")?;
            batch.push((f[0].extract()?, f[1].extract()?, f[2].extract()?, props));
            if batch.len() == BATCH_ITEMS_MAX {
                flush(&mut batch, &mut ids)?;
            }
        }
        if !batch.is_empty() {
            flush(&mut batch, &mut ids)?;
        }
        Ok(ids)
    }

    /// Creates one edge per row of a table (a pandas, polars or pyarrow data frame, or
    /// anything whose `table[column]` has `to_numpy()`): node ids from the integer columns
    /// `src` and `dst`, the type `edge_type`, and the columns named in `properties` as
    /// properties (a missing value, None, NaN or pandas' NA, leaves a property out). The id
    /// columns, and numeric and boolean property columns without nulls, are read from their
    /// memory, with no Python object per row; returns the new edges' ids in row order. All
    /// or nothing per batch of rows, as `create_edges`.
    #[pyo3(signature = (table, *, src="src", dst="dst", edge_type="EDGE", properties=None))]
    fn create_edges_from(
        &self,
        py: Python<'_>,
        table: &Bound<'_, PyAny>,
        src: &str,
        dst: &str,
        edge_type: &str,
        properties: Option<Vec<String>>,
    ) -> PyResult<Vec<u64>> {
        let froms = columns::ids(table, src)?;
        let tos = columns::ids(table, dst)?;
        let props = columns::property_columns(
            table,
            properties.as_deref().unwrap_or_default(),
            froms.len(),
        )?;
        if tos.len() != froms.len() {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "columns {src} and {dst} differ in length ({} and {})",
                froms.len(),
                tos.len()
            )));
        }
        let mut ids = Vec::with_capacity(froms.len());
        let rows = BATCH_ITEMS_MAX * 10;
        // A table of several batches holds its adjacency back and writes it once, after
        // the last batch, rather than rewriting the adjacency chunks at every batch.
        let several = froms.len() > rows;
        if several {
            self.with(py, |tx| Ok(tx.defer_adjacency()?))?;
        }
        // One batch's data is encoded on a helper thread while the batch before it is
        // inserted (encoding is most of a batch's work outside the storage engine).
        let inserted = self.with(py, |tx| {
            std::thread::scope(|scope| {
                let (send, batches) = std::sync::mpsc::sync_channel(1);
                let props = &props;
                let total = froms.len();
                scope.spawn(move || {
                    for start in (0..total).step_by(rows) {
                        let end = (start + rows).min(total);
                        let data = columns::edge_data(props, start..end);
                        let failed = data.is_err();
                        if send.send((start..end, data)).is_err() || failed {
                            return;
                        }
                    }
                });
                for (span, data) in batches {
                    let ends: Vec<(NodeId, NodeId)> = froms[span.clone()]
                        .iter()
                        .zip(&tos[span])
                        .map(|(&a, &b)| (NodeId(a), NodeId(b)))
                        .collect();
                    let made = tx.insert_edges_encoded(edge_type, &ends, data?)?;
                    ids.extend(made.into_iter().map(|e| e.0));
                }
                Ok(())
            })
        });
        // Written whatever happened, so that the transaction reads its adjacency again.
        let flushed = if several {
            self.with(py, |tx| Ok(tx.flush_adjacency()?))
        } else {
            Ok(())
        };
        inserted?;
        flushed?;
        Ok(ids)
    }

    /// Creates one node per row of a table (as `create_edges_from` reads tables) with the
    /// labels `labels` and the columns named in `properties` (every column when None) as
    /// properties; returns the new nodes' ids in row order.
    #[pyo3(signature = (table, labels, *, properties=None))]
    fn create_nodes_from(
        &self,
        py: Python<'_>,
        table: &Bound<'_, PyAny>,
        labels: &Bound<'_, PyAny>,
        properties: Option<Vec<String>>,
    ) -> PyResult<Vec<u64>> {
        let labels = convert::names(labels, "labels")?;
        let names = match properties {
            Some(p) => p,
            None => columns::names(table)?,
        };
        let rows = columns::rows(table)?;
        let props = columns::properties(table, &names, rows)?;
        let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let mut ids = Vec::with_capacity(rows);
        let mut props = props.into_iter().peekable();
        while props.peek().is_some() {
            let batch: Vec<(&[&str], Properties)> = props
                .by_ref()
                .take(BATCH_ITEMS_MAX * 10)
                .map(|p| (label_refs.as_slice(), p))
                .collect();
            let made = self.with(py, |tx| Ok(tx.create_nodes(batch)?))?;
            ids.extend(made.into_iter().map(|n| n.0));
        }
        Ok(ids)
    }

    /// Sets properties of node `id`: merged into its properties (a None value removes
    /// one), or replacing them all with `replace=True`.
    #[pyo3(signature = (id, properties, *, replace=false))]
    fn update_node(
        &self,
        py: Python<'_>,
        id: u64,
        properties: &Bound<'_, PyAny>,
        replace: bool,
    ) -> PyResult<()> {
        let props = convert::properties(Some(properties), "properties")?;
        self.with(py, |tx| {
            if replace {
                tx.set_node_properties(NodeId(id), props)?;
            } else {
                tx.merge_node_properties(NodeId(id), props)?;
            }
            Ok(())
        })
    }

    /// Sets properties of edge `id`, as `update_node` does for nodes.
    #[pyo3(signature = (id, properties, *, replace=false))]
    fn update_edge(
        &self,
        py: Python<'_>,
        id: u64,
        properties: &Bound<'_, PyAny>,
        replace: bool,
    ) -> PyResult<()> {
        let props = convert::properties(Some(properties), "properties")?;
        self.with(py, |tx| {
            if replace {
                tx.set_edge_properties(EdgeId(id), props)?;
            } else {
                tx.merge_edge_properties(EdgeId(id), props)?;
            }
            Ok(())
        })
    }

    /// Adds a label to node `id`; False if it had it.
    fn add_label(&self, py: Python<'_>, id: u64, label: &str) -> PyResult<bool> {
        self.with(py, |tx| Ok(tx.add_label(NodeId(id), label)?))
    }

    /// Removes a label from node `id`; False if it did not have it.
    fn remove_label(&self, py: Python<'_>, id: u64, label: &str) -> PyResult<bool> {
        self.with(py, |tx| Ok(tx.remove_label(NodeId(id), label)?))
    }

    /// Deletes node `id` and all its edges.
    fn delete_node(&self, py: Python<'_>, id: u64) -> PyResult<()> {
        self.with(py, |tx| Ok(tx.delete_node(NodeId(id))?))
    }

    /// Deletes edge `id`.
    fn delete_edge(&self, py: Python<'_>, id: u64) -> PyResult<()> {
        self.with(py, |tx| Ok(tx.delete_edge(EdgeId(id))?))
    }

    /// Finds the nodes with every label of `labels` whose properties equal `key`, or
    /// creates one with the key's properties and `on_create`'s (Cypher `MERGE`); matched
    /// nodes get `on_match`'s. Returns `(id, created)`: the smallest matching id.
    #[pyo3(signature = (labels, key, on_create=None, on_match=None))]
    fn merge_node(
        &self,
        py: Python<'_>,
        labels: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
        on_create: Option<&Bound<'_, PyAny>>,
        on_match: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(u64, bool)> {
        let labels = convert::names(labels, "labels")?;
        let key = convert::properties(Some(key), "key")?;
        let on_create = convert::properties(on_create, "on_create")?;
        let on_match = convert::properties(on_match, "on_match")?;
        self.with(py, |tx| {
            let l: Vec<&str> = labels.iter().map(String::as_str).collect();
            let m = tx.merge_node(&l, key, on_create, on_match)?;
            Ok((m.id.0, m.created))
        })
    }

    /// Finds the edges of `edge_type` from `src` to `dst` whose properties equal `key`
    /// (any such edge when `key` is None), or creates one; as `merge_node`.
    #[pyo3(signature = (src, dst, edge_type, key=None, on_create=None, on_match=None))]
    #[expect(
        clippy::too_many_arguments,
        reason = "Cypher MERGE's parts, by keyword"
    )]
    fn merge_edge(
        &self,
        py: Python<'_>,
        src: u64,
        dst: u64,
        edge_type: &str,
        key: Option<&Bound<'_, PyAny>>,
        on_create: Option<&Bound<'_, PyAny>>,
        on_match: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(u64, bool)> {
        let key = convert::properties(key, "key")?;
        let on_create = convert::properties(on_create, "on_create")?;
        let on_match = convert::properties(on_match, "on_match")?;
        self.with(py, |tx| {
            let m = tx.merge_edge(
                NodeId(src),
                NodeId(dst),
                edge_type,
                key,
                on_create,
                on_match,
            )?;
            Ok((m.id.0, m.created))
        })
    }

    /// Creates an index on the nodes of `label` by `properties` (a name or a list), built
    /// over the existing nodes; `unique=True` makes it a unique constraint. Returns the
    /// index as `indexes()` lists it.
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
        let info = self.with(py, |tx| Ok(tx.create_index(spec)?))?;
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
        let info = self.with(py, |tx| Ok(tx.create_index(spec)?))?;
        view::index_dict(py, &info)
    }

    /// Drops the index (or unique constraint) named `name`.
    fn drop_index(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        self.with(py, |tx| Ok(tx.drop_index(name)?))
    }

    /// Runs a Cypher query in this transaction (reads see its writes); returns a
    /// `QueryResult`.
    #[pyo3(signature = (query, parameters=None))]
    fn execute(
        &self,
        py: Python<'_>,
        query: &str,
        parameters: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let params = convert::parameters(parameters)?;
        let answer = self.with(py, |tx| {
            let result = pagegraph_query::run_write(query, &params, tx)?;
            let g: &dyn GraphRead = tx;
            Ok(Answer::new(result, g)?)
        })?;
        answer.into_py(py)
    }

    /// The node with this id as a dict, or None.
    fn node(&self, py: Python<'_>, id: u64) -> PyResult<Py<PyAny>> {
        view::node(self, py, id)
    }

    /// The edge with this id as a dict, or None.
    fn edge(&self, py: Python<'_>, id: u64) -> PyResult<Py<PyAny>> {
        view::edge(self, py, id)
    }

    /// `(edge id, node id)` pairs of node `id`'s edges in `direction` ("out", "in" or
    /// "both"), optionally of one type.
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

    /// The indexes, as dicts.
    fn indexes(&self, py: Python<'_>) -> PyResult<Vec<Py<PyDict>>> {
        view::indexes(self, py)
    }

    /// Makes the changes durable and visible to others.
    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        self.finish(py, true)
    }

    /// Discards every change.
    fn rollback(&self, py: Python<'_>) -> PyResult<()> {
        self.finish(py, false)
    }

    /// True once committed or rolled back.
    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        !self.is_open(py)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Commits if the block ended normally, rolls back if it raised (and lets the
    /// exception through); nothing if the block already committed or rolled back.
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        if self.is_open(py) {
            self.finish(py, exc_type.is_none_or(PyAnyMethods::is_none))?;
        }
        Ok(false)
    }

    fn __repr__(&self, py: Python<'_>) -> &'static str {
        if self.is_open(py) {
            "<pagegraph.WriteTransaction open>"
        } else {
            "<pagegraph.WriteTransaction closed>"
        }
    }
}

/// A consistent snapshot: it sees exactly the commits made before it began, however long
/// it is kept. Use it as a context manager, or `close()` it, to release its pages.
#[pyclass(module = "pagegraph", frozen)]
pub struct ReadTransaction {
    snapshot: RwLock<Option<ReadTxn>>,
}

impl ReadTransaction {
    pub(crate) fn new(snapshot: ReadTxn) -> ReadTransaction {
        ReadTransaction {
            snapshot: RwLock::new(Some(snapshot)),
        }
    }
}

impl Reader for ReadTransaction {
    fn read<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&dyn View) -> Result<T, Fail> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let guard = self.snapshot.read();
            let r = guard.as_ref().ok_or(Fail::Closed("read transaction"))?;
            f(r)
        })
        .map_err(|e| e.into_py(py))
    }
}

#[pymethods]
impl ReadTransaction {
    /// Runs a reading Cypher query on this snapshot; a query that writes raises
    /// `QueryError`.
    #[pyo3(signature = (query, parameters=None))]
    fn execute(
        &self,
        py: Python<'_>,
        query: &str,
        parameters: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let params = convert::parameters(parameters)?;
        view::execute_read(self, py, query, params)
    }

    /// The node with this id as a dict, or None.
    fn node(&self, py: Python<'_>, id: u64) -> PyResult<Py<PyAny>> {
        view::node(self, py, id)
    }

    /// The edge with this id as a dict, or None.
    fn edge(&self, py: Python<'_>, id: u64) -> PyResult<Py<PyAny>> {
        view::edge(self, py, id)
    }

    /// `(edge id, node id)` pairs of node `id`'s edges in `direction`.
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

    /// Ids of the nodes of `label` whose `property` equals `value`.
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

    /// The indexes, as dicts.
    fn indexes(&self, py: Python<'_>) -> PyResult<Vec<Py<PyDict>>> {
        view::indexes(self, py)
    }

    /// Releases the snapshot.
    fn close(&self, py: Python<'_>) {
        let snapshot = py.detach(|| self.snapshot.write().take());
        drop(snapshot);
    }

    /// True once closed.
    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        py.detach(|| self.snapshot.read().is_none())
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
    ) -> bool {
        self.close(py);
        false
    }
}
