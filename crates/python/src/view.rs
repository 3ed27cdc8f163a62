//! The reads every handle offers (a database, a snapshot, a write transaction), written
//! once over [`Reader`]: each handle runs a closure on its transaction with the GIL
//! released, and the functions here turn the answer into Python objects.

use std::collections::BTreeMap;

use pagegraph::{Condition, Direction, EdgeId, IndexInfo, IndexTarget, NodeId, PropertyValue};
use pagegraph::{ReadTxn, WriteTxn};
use pagegraph_query::eval::GraphRead;
use pagegraph_query::{Column, QueryResult, Value};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyDict, PyList, PyType};

use crate::convert::{self, Elements};
use crate::errors::Fail;

/// What the reads need beyond [`GraphRead`]: lookups by property and counts.
pub(crate) trait View: GraphRead {
    /// Nodes of `label` whose `property` equals `value` (by an index when there is one).
    fn find(&self, label: &str, property: &str, value: PropertyValue) -> Result<Vec<NodeId>, Fail>;
    /// Numbers of nodes and of edges.
    fn counts(&self) -> Result<(u64, u64), Fail>;
}

impl View for ReadTxn {
    fn find(&self, label: &str, property: &str, value: PropertyValue) -> Result<Vec<NodeId>, Fail> {
        Ok(self
            .nodes_where(label, property, &Condition::Eq(value))?
            .collect::<pagegraph::Result<_>>()?)
    }
    fn counts(&self) -> Result<(u64, u64), Fail> {
        Ok((self.node_count()?, self.edge_count()?))
    }
}

impl View for WriteTxn {
    fn find(&self, label: &str, property: &str, value: PropertyValue) -> Result<Vec<NodeId>, Fail> {
        Ok(self
            .nodes_where(label, property, &Condition::Eq(value))?
            .collect::<pagegraph::Result<_>>()?)
    }
    fn counts(&self) -> Result<(u64, u64), Fail> {
        Ok(WriteTxn::counts(self)?)
    }
}

/// A handle that can run a read with the GIL released.
pub(crate) trait Reader {
    /// Runs `f` on the handle's view of the graph, with the GIL released.
    fn read<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&dyn View) -> Result<T, Fail> + Send,
    ) -> PyResult<T>;
}

/// A direction by name: `"out"`, `"in"` or `"both"`.
pub(crate) fn direction(name: &str) -> PyResult<Direction> {
    match name {
        "out" | "outgoing" => Ok(Direction::Outgoing),
        "in" | "incoming" => Ok(Direction::Incoming),
        "both" => Ok(Direction::Both),
        other => Err(PyValueError::new_err(format!(
            "direction must be \"out\", \"in\" or \"both\", not {other:?}"
        ))),
    }
}

pub(crate) fn node(r: &impl Reader, py: Python<'_>, id: u64) -> PyResult<Py<PyAny>> {
    let node = r.read(py, |g| Ok(g.node(NodeId(id))?))?;
    match node {
        Some(n) => Ok(convert::node_dict(py, n.id, Some(&n))?.into_any().unbind()),
        None => Ok(py.None()),
    }
}

pub(crate) fn edge(r: &impl Reader, py: Python<'_>, id: u64) -> PyResult<Py<PyAny>> {
    let rel = r.read(py, |g| Ok(g.rel(EdgeId(id))?))?;
    match rel {
        Some(e) => Ok(convert::rel_dict(py, e.id, Some(&e))?.into_any().unbind()),
        None => Ok(py.None()),
    }
}

pub(crate) fn neighbors(
    r: &impl Reader,
    py: Python<'_>,
    id: u64,
    dir: &str,
    edge_type: Option<&str>,
) -> PyResult<Vec<(u64, u64)>> {
    let dir = direction(dir)?;
    let pairs = r.read(py, |g| Ok(g.expand(NodeId(id), dir, edge_type)?))?;
    Ok(pairs.into_iter().map(|(e, n)| (e.0, n.0)).collect())
}

pub(crate) fn node_ids(r: &impl Reader, py: Python<'_>, label: Option<&str>) -> PyResult<Vec<u64>> {
    let ids = r.read(py, |g| match label {
        Some(l) => Ok(g.label_ids(l)?),
        None => Ok(g.node_ids()?),
    })?;
    Ok(ids.into_iter().map(|n| n.0).collect())
}

pub(crate) fn find_nodes(
    r: &impl Reader,
    py: Python<'_>,
    label: &str,
    property: &str,
    value: &Bound<'_, PyAny>,
) -> PyResult<Vec<u64>> {
    let value = convert::property(value, "value")?;
    let ids = r.read(py, |g| g.find(label, property, value))?;
    Ok(ids.into_iter().map(|n| n.0).collect())
}

pub(crate) fn counts(r: &impl Reader, py: Python<'_>) -> PyResult<(u64, u64)> {
    r.read(py, |g| g.counts())
}

pub(crate) fn indexes(r: &impl Reader, py: Python<'_>) -> PyResult<Vec<Py<PyDict>>> {
    let list = r.read(py, |g| Ok(g.indexes()?))?;
    list.iter().map(|i| index_dict(py, i)).collect()
}

/// An index as a dict: `name`, `label` or `edge_type` (the other None), `properties`,
/// `unique`, `ready`, `entries`.
pub(crate) fn index_dict(py: Python<'_>, i: &IndexInfo) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &i.name)?;
    let (label, edge_type) = match &i.target {
        IndexTarget::Label(l) => (Some(l), None),
        IndexTarget::EdgeType(t) => (None, Some(t)),
    };
    d.set_item("label", label)?;
    d.set_item("edge_type", edge_type)?;
    d.set_item("properties", &i.properties)?;
    d.set_item("unique", i.unique)?;
    d.set_item("ready", i.state == pagegraph::IndexState::Ready)?;
    d.set_item("entries", i.entries)?;
    Ok(d.unbind())
}

/// A query's answer, read to the end with the GIL released: its values by column.
pub(crate) struct Answer {
    result: QueryResult,
    len: usize,
    table: Vec<Column>,
    elements: Elements,
}

impl Answer {
    /// Takes `result`'s values as columns (see [`QueryResult::take_columns`]) and reads the
    /// elements they name in `g`, the transaction it ran in.
    pub(crate) fn new(
        mut result: QueryResult,
        g: &dyn GraphRead,
    ) -> pagegraph_query::Result<Answer> {
        let len = result.len();
        let table = result.take_columns();
        let elements = Elements::read(table.iter().flat_map(Column::values), g)?;
        Ok(Answer {
            result,
            len,
            table,
            elements,
        })
    }

    /// The Python `pagegraph.QueryResult`, over the rows kept in a [`Rows`].
    pub(crate) fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        let s = self.result.stats;
        let stats = PyDict::new(py);
        for (k, v) in [
            ("nodes_created", s.nodes_created),
            ("nodes_deleted", s.nodes_deleted),
            ("rels_created", s.rels_created),
            ("rels_deleted", s.rels_deleted),
            ("labels_added", s.labels_added),
            ("labels_removed", s.labels_removed),
            ("properties_set", s.props_set),
            ("properties_removed", s.props_removed),
        ] {
            stats.set_item(k, v)?;
        }
        let rows = Rows {
            len: self.len,
            table: self.table,
            elements: self.elements,
        };
        let class = CLASS.import(py, "pagegraph._result", "QueryResult")?;
        Ok(class
            .call1((self.result.columns, Py::new(py, rows)?, stats))?
            .unbind())
    }
}

/// The rows of a query result, kept as Rust values by column until Python asks for them:
/// a row at a time (iteration) or a column at a time, where a column of numbers or
/// booleans without nulls is a machine array handed over as its bytes (a `DataFrame` or an
/// Arrow table then needs no Python object per cell).
#[pyclass(module = "pagegraph._pagegraph", frozen)]
pub(crate) struct Rows {
    len: usize,
    table: Vec<Column>,
    elements: Elements,
}

impl Rows {
    fn py_row<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyList>> {
        let values = PyList::empty(py);
        for c in &self.table {
            let v = match c {
                Column::Int(xs) => xs.get(i).into_pyobject(py)?.into_any(),
                Column::Float(xs) => xs.get(i).into_pyobject(py)?.into_any(),
                Column::Bool(xs) => xs.get(i).into_pyobject(py)?.into_any(),
                Column::Values(vs) => match vs.get(i) {
                    Some(v) => self.elements.py_value(py, v)?,
                    None => py.None().into_bound(py),
                },
            };
            values.append(v)?;
        }
        Ok(values)
    }
}

#[pymethods]
impl Rows {
    /// The number of rows.
    fn __len__(&self) -> usize {
        self.len
    }

    /// Row `i` as a list of values (`IndexError` past the end).
    fn row<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyList>> {
        if i >= self.len {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "row {i} of {}",
                self.len
            )));
        }
        self.py_row(py, i)
    }

    /// The rows from `start` on, each a list of values.
    fn rows_from<'py>(&self, py: Python<'py>, start: usize) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for i in start..self.len {
            out.append(self.py_row(py, i)?)?;
        }
        Ok(out)
    }

    /// Column `i` as `(kind, values)`: `("int64" | "float64" | "bool", bytearray)` holding a
    /// native-endian machine array when every value is an integer, every one a float, or
    /// every one a boolean (one byte each); else `("object", list)` of the values.
    fn column<'py>(
        &self,
        py: Python<'py>,
        i: usize,
    ) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
        let Some(column) = self.table.get(i) else {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "column {i} of {}",
                self.table.len()
            )));
        };
        Ok(match column {
            Column::Int(xs) => ("int64", byte_array(py, xs, i64::to_ne_bytes)?),
            Column::Float(xs) => ("float64", byte_array(py, xs, f64::to_ne_bytes)?),
            Column::Bool(xs) => ("bool", byte_array(py, xs, |b| [u8::from(b)])?),
            Column::Values(vs) => {
                let out = PyList::empty(py);
                for v in vs {
                    out.append(self.elements.py_value(py, v)?)?;
                }
                ("object", out.into_any())
            }
        })
    }
}

/// A bytearray of `xs`' native-endian bytes, written in place.
fn byte_array<'py, const N: usize, T: Copy>(
    py: Python<'py>,
    xs: &[T],
    bytes_of: impl Fn(T) -> [u8; N],
) -> PyResult<Bound<'py, PyAny>> {
    let array = PyByteArray::new_with(py, xs.len() * N, |buf| {
        for (cell, &x) in buf.chunks_exact_mut(N).zip(xs) {
            cell.copy_from_slice(&bytes_of(x));
        }
        Ok(())
    })?;
    Ok(array.into_any())
}

/// A query that reads, on `r`'s view (a query that writes fails with `QueryError`).
pub(crate) fn execute_read(
    r: &impl Reader,
    py: Python<'_>,
    text: &str,
    params: BTreeMap<String, Value>,
) -> PyResult<Py<PyAny>> {
    let answer = r.read(py, |g| {
        let g: &dyn GraphRead = g;
        let result = pagegraph_query::run(text, &params, g)?;
        Ok(Answer::new(result, g)?)
    })?;
    answer.into_py(py)
}
