//! Values across the boundary: Python objects to property values, and stored values,
//! nodes, relationships and paths back to Python objects.
//!
//! | Python | pagegraph | back to Python |
//! |---|---|---|
//! | `None` | null | `None` |
//! | `bool` | boolean | `bool` |
//! | `int` from -2**63 to 2**63-1 | 64-bit integer | `int` |
//! | `float` | 64-bit float | `float` |
//! | `str` | string | `str` |
//! | `list`, `tuple` | list | `list` |
//! | `dict` with `str` keys | map | `dict` |
//! | `datetime.date`, `.time`, `.datetime`, `.timedelta` | temporal value | the same (see `temporal.rs`) |
//! | a `numpy` scalar | its `.item()`, as above | |
//! | anything else | `TypeError` | |
//!
//! An `int` outside 64 bits raises `OverflowError`, nesting deeper than
//! [`VALUE_DEPTH_MAX`] raises `ValueError` (this also stops a list that contains itself).
//! Nodes come back as dicts (of the subclasses `pagegraph.Node`, `Relationship`, `Path`):
//! `{"_id", "_label", "_labels", ...properties}`, relationships as
//! `{"_id", "_src", "_dst", "_label", ...properties}` and paths as `{"_nodes", "_rels"}`.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use pagegraph::{EdgeId, EdgeProps, NodeId, NodeProps, Properties, PropertyValue};
use pagegraph_query::Value;
use pagegraph_query::eval::GraphRead;
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

/// Deepest nesting of lists and dicts taken from Python (`serde_json`'s limit, so any
/// value taken can also be exported as JSON).
pub(crate) const VALUE_DEPTH_MAX: usize = 128;

/// Keys of a node's or relationship's dict that name it rather than a property; a property
/// of the same name is left out of the dict (Cypher still reads it).
const SYSTEM_KEYS: [&str; 5] = ["_id", "_label", "_labels", "_src", "_dst"];

/// A Python object as a property value; `what` names it in errors ("property 'age'").
pub(crate) fn property(ob: &Bound<'_, PyAny>, what: &str) -> PyResult<PropertyValue> {
    value_at(ob, what, 0)
}

fn value_at(ob: &Bound<'_, PyAny>, what: &str, depth: usize) -> PyResult<PropertyValue> {
    if depth > VALUE_DEPTH_MAX {
        return Err(PyValueError::new_err(format!(
            "{what}: nested deeper than {VALUE_DEPTH_MAX} levels (or contains itself)"
        )));
    }
    if ob.is_none() {
        return Ok(PropertyValue::Null);
    }
    if let Ok(b) = ob.cast::<PyBool>() {
        return Ok(PropertyValue::Bool(b.is_true()));
    }
    if ob.is_instance_of::<PyInt>() {
        return ob.extract::<i64>().map(PropertyValue::Int).map_err(|_| {
            PyOverflowError::new_err(format!(
                "{what}: int {} is outside the 64-bit signed range (-2**63 to 2**63-1) that \
                 pagegraph stores",
                ob.str().map_or_else(|_| "?".into(), |s| s.to_string())
            ))
        });
    }
    if let Ok(f) = ob.cast::<PyFloat>() {
        return Ok(PropertyValue::Float(f.value()));
    }
    if ob.is_instance_of::<PyString>() {
        return Ok(PropertyValue::String(ob.extract::<String>()?));
    }
    if let Ok(d) = ob.cast::<PyDict>() {
        let mut map = BTreeMap::new();
        for (k, v) in d.iter() {
            let Ok(key) = k.extract::<String>() else {
                return Err(PyTypeError::new_err(format!(
                    "{what}: a dict key must be a str, not {}",
                    type_name(&k)
                )));
            };
            let inner = value_at(&v, what, depth + 1)?;
            map.insert(key, inner);
        }
        return Ok(PropertyValue::Map(map));
    }
    if ob.is_instance_of::<PyList>() || ob.is_instance_of::<PyTuple>() {
        let items = ob
            .try_iter()?
            .map(|item| value_at(&item?, what, depth + 1))
            .collect::<PyResult<_>>()?;
        return Ok(PropertyValue::List(items));
    }
    if is_numpy_scalar(ob) {
        return value_at(&ob.call_method0("item")?, what, depth + 1);
    }
    if let Some(t) =
        crate::temporal::from_py(ob).map_err(|e| PyValueError::new_err(format!("{what}: {e}")))?
    {
        return Ok(PropertyValue::Temporal(t));
    }
    Err(PyTypeError::new_err(format!(
        "{what}: a {} cannot be stored (pagegraph stores None, bool, int, float, str, \
         datetime values, and lists and dicts of them)",
        type_name(ob)
    )))
}

/// `numpy`'s scalar types (`numpy.int64`, `numpy.bool_`, ...) are not subclasses of `int`
/// or `bool`; their `.item()` is the Python value, exactly.
fn is_numpy_scalar(ob: &Bound<'_, PyAny>) -> bool {
    let module = ob.get_type().module().map(|m| m.to_string());
    module.is_ok_and(|m| m == "numpy" || m.starts_with("numpy."))
        && ob.hasattr("item").unwrap_or(false)
}

fn type_name(ob: &Bound<'_, PyAny>) -> String {
    ob.get_type()
        .name()
        .map_or_else(|_| "value".into(), |n| n.to_string())
}

/// A dict of properties (`None` for none); `what` names the dict in errors.
pub(crate) fn properties(ob: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Properties> {
    let Some(ob) = ob.filter(|o| !o.is_none()) else {
        return Ok(Properties::new());
    };
    let Ok(d) = ob.cast::<PyDict>() else {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a dict, not {}",
            type_name(ob)
        )));
    };
    let mut out = Properties::new();
    for (k, v) in d.iter() {
        let Ok(key) = k.extract::<String>() else {
            return Err(PyTypeError::new_err(format!(
                "{what}: a property name must be a str, not {}",
                type_name(&k)
            )));
        };
        let value = property(&v, &format!("property {key:?}"))?;
        out.insert(key, value);
    }
    Ok(out)
}

/// Query parameters: a dict of names to values.
pub(crate) fn parameters(ob: Option<&Bound<'_, PyAny>>) -> PyResult<BTreeMap<String, Value>> {
    let Some(ob) = ob.filter(|o| !o.is_none()) else {
        return Ok(BTreeMap::new());
    };
    let Ok(d) = ob.cast::<PyDict>() else {
        return Err(PyTypeError::new_err(format!(
            "parameters must be a dict, not {}",
            type_name(ob)
        )));
    };
    let mut out = BTreeMap::new();
    for (k, v) in d.iter() {
        let Ok(key) = k.extract::<String>() else {
            return Err(PyTypeError::new_err(format!(
                "a parameter name must be a str, not {}",
                type_name(&k)
            )));
        };
        let value = property(&v, &format!("parameter {key:?}"))?;
        out.insert(key, Value::from(value));
    }
    Ok(out)
}

/// Names (labels, property names) given as one `str` or a sequence of them; `what` names
/// them in errors ("labels").
pub(crate) fn names(ob: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if ob.is_instance_of::<PyString>() {
        return Ok(vec![ob.extract()?]);
    }
    if ob.is_none() {
        return Ok(Vec::new());
    }
    ob.try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "{what} must be a str or a list of str, not {}",
                type_name(ob)
            ))
        })?
        .map(|l| {
            l?.extract::<String>()
                .map_err(|_| PyTypeError::new_err(format!("{what} must all be str")))
        })
        .collect()
}

/// A stored value as a Python object.
pub(crate) fn py_property<'py>(py: Python<'py>, v: &PropertyValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        PropertyValue::Null => py.None().into_bound(py),
        PropertyValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        PropertyValue::Int(i) => i.into_pyobject(py)?.into_any(),
        PropertyValue::Float(f) => PyFloat::new(py, *f).into_any(),
        PropertyValue::String(s) => PyString::new(py, s).into_any(),
        PropertyValue::Temporal(t) => crate::temporal::to_py(py, t)?,
        PropertyValue::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(py_property(py, item)?)?;
            }
            list.into_any()
        }
        PropertyValue::Map(m) => {
            let dict = PyDict::new(py);
            for (k, item) in m {
                dict.set_item(k, py_property(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

fn add_properties(dict: &Bound<'_, PyDict>, props: &Properties) -> PyResult<()> {
    for (k, v) in props {
        if !SYSTEM_KEYS.contains(&k.as_str()) {
            dict.set_item(k, py_property(dict.py(), v)?)?;
        }
    }
    Ok(())
}

/// A new, empty instance of one of the dict subclasses of `pagegraph._result`.
fn element<'py>(
    py: Python<'py>,
    class: &'static PyOnceLock<Py<PyType>>,
    name: &str,
) -> PyResult<Bound<'py, PyDict>> {
    Ok(class
        .import(py, "pagegraph._result", name)?
        .call0()?
        .cast_into::<PyDict>()?)
}

static NODE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static RELATIONSHIP: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static PATH: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A node as a dict (a `pagegraph.Node`): `_id`, `_label` (its first label, or None), `_labels`, then its
/// properties. A node that no longer exists (deleted by the query that returned it) has
/// its id only, with no labels.
pub(crate) fn node_dict<'py>(
    py: Python<'py>,
    id: NodeId,
    node: Option<&NodeProps>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = element(py, &NODE, "Node")?;
    d.set_item("_id", id.0)?;
    let labels: &[String] = node.map_or(&[], |n| &n.labels);
    d.set_item("_label", labels.first())?;
    d.set_item("_labels", labels)?;
    if let Some(n) = node {
        add_properties(&d, &n.properties)?;
    }
    Ok(d)
}

/// A relationship as a dict (a `pagegraph.Relationship`): `_id`, `_src`, `_dst`, `_label` (its type), then its
/// properties. One that no longer exists has its id only (endpoints and type None).
pub(crate) fn rel_dict<'py>(
    py: Python<'py>,
    id: EdgeId,
    rel: Option<&EdgeProps>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = element(py, &RELATIONSHIP, "Relationship")?;
    d.set_item("_id", id.0)?;
    d.set_item("_src", rel.map(|r| r.from.0))?;
    d.set_item("_dst", rel.map(|r| r.to.0))?;
    d.set_item("_label", rel.map(|r| r.edge_type.as_str()))?;
    if let Some(r) = rel {
        add_properties(&d, &r.properties)?;
    }
    Ok(d)
}

/// The nodes and relationships a query's rows name, read in the transaction the query ran
/// in, so that the rows turn into dicts without the database (and without the GIL held
/// while reading).
#[derive(Default)]
pub(crate) struct Elements {
    nodes: HashMap<NodeId, Option<NodeProps>>,
    rels: HashMap<EdgeId, Option<EdgeProps>>,
}

impl Elements {
    /// Reads every node and relationship `values` name, each once.
    pub(crate) fn read<'v>(
        values: impl Iterator<Item = &'v Value>,
        g: &dyn GraphRead,
    ) -> pagegraph_query::Result<Elements> {
        let mut e = Elements::default();
        // A work list, not recursion: a query can nest lists thousands deep (`reduce`).
        // Scalars (most cells) are passed over without being listed.
        let mut todo: Vec<&Value> = values
            .filter(|v| {
                matches!(
                    v,
                    Value::Node(_)
                        | Value::Rel(_)
                        | Value::Path(_)
                        | Value::List(_)
                        | Value::Map(_)
                )
            })
            .collect();
        while let Some(v) = todo.pop() {
            match v {
                Value::Node(id) => e.node(*id, g)?,
                Value::Rel(id) => e.rel(*id, g)?,
                Value::Path(p) => {
                    for &n in &p.nodes {
                        e.node(n, g)?;
                    }
                    for &r in &p.rels {
                        e.rel(r, g)?;
                    }
                }
                Value::List(items) => todo.extend(items),
                Value::Map(m) => todo.extend(m.values()),
                _ => {}
            }
        }
        Ok(e)
    }

    fn node(&mut self, id: NodeId, g: &dyn GraphRead) -> pagegraph_query::Result<()> {
        if let Entry::Vacant(slot) = self.nodes.entry(id) {
            slot.insert(g.node(id)?);
        }
        Ok(())
    }

    fn rel(&mut self, id: EdgeId, g: &dyn GraphRead) -> pagegraph_query::Result<()> {
        if let Entry::Vacant(slot) = self.rels.entry(id) {
            slot.insert(g.rel(id)?);
        }
        Ok(())
    }

    /// A query value as a Python object. Lists and maps are built with an explicit stack
    /// of the containers being filled, not by recursion, so no nesting overflows the
    /// thread's stack.
    pub(crate) fn py_value<'py>(&self, py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
        let mut open: Vec<Open<'_, 'py>> = Vec::new();
        let mut next = Some(v);
        loop {
            // Descend into `next`: a container opens, anything else is finished at once.
            let mut done = match next.take() {
                Some(Value::List(items)) => {
                    open.push(Open::List(items.iter(), PyList::empty(py)));
                    None
                }
                Some(Value::Map(m)) => {
                    open.push(Open::Map(m.iter(), PyDict::new(py), None));
                    None
                }
                Some(leaf) => Some(self.py_leaf(py, leaf)?),
                None => None,
            };
            // Hand a finished value to its container, closing the containers it fills.
            loop {
                let Some(top) = open.last_mut() else {
                    if let Some(value) = done {
                        return Ok(value);
                    }
                    break;
                };
                if let Some(value) = done.take() {
                    top.put(value)?;
                }
                match top.next_child() {
                    Some(child) => {
                        next = Some(child);
                        break;
                    }
                    None => done = open.pop().map(Open::into_any),
                }
            }
        }
    }

    /// A value that is not a list or a map.
    fn py_leaf<'py>(&self, py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
        Ok(match v {
            // Lists and maps never come here: `py_value` opens them.
            Value::Null | Value::List(_) | Value::Map(_) => py.None().into_bound(py),
            Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
            Value::Int(i) => i.into_pyobject(py)?.into_any(),
            Value::Float(f) => PyFloat::new(py, *f).into_any(),
            Value::String(s) => PyString::new(py, s).into_any(),
            Value::Temporal(t) => crate::temporal::to_py(py, t)?,
            Value::Node(id) => self.py_node(py, *id)?.into_any(),
            Value::Rel(id) => self.py_rel(py, *id)?.into_any(),
            Value::Path(p) => {
                let d = element(py, &PATH, "Path")?;
                let nodes = PyList::empty(py);
                for &n in &p.nodes {
                    nodes.append(self.py_node(py, n)?)?;
                }
                let rels = PyList::empty(py);
                for &r in &p.rels {
                    rels.append(self.py_rel(py, r)?)?;
                }
                d.set_item("_nodes", nodes)?;
                d.set_item("_rels", rels)?;
                d.into_any()
            }
        })
    }

    fn py_node<'py>(&self, py: Python<'py>, id: NodeId) -> PyResult<Bound<'py, PyDict>> {
        node_dict(py, id, self.nodes.get(&id).and_then(Option::as_ref))
    }

    fn py_rel<'py>(&self, py: Python<'py>, id: EdgeId) -> PyResult<Bound<'py, PyDict>> {
        rel_dict(py, id, self.rels.get(&id).and_then(Option::as_ref))
    }
}

/// A list or map being filled by [`Elements::py_value`]: the children left, and the Python
/// object so far (for a map, the key of the child being converted).
enum Open<'v, 'py> {
    List(std::slice::Iter<'v, Value>, Bound<'py, PyList>),
    Map(
        std::collections::btree_map::Iter<'v, String, Value>,
        Bound<'py, PyDict>,
        Option<&'v String>,
    ),
}

impl<'v, 'py> Open<'v, 'py> {
    /// The next child to convert, if any.
    fn next_child(&mut self) -> Option<&'v Value> {
        match self {
            Open::List(items, _) => items.next(),
            Open::Map(items, _, key) => items.next().map(|(k, v)| {
                *key = Some(k);
                v
            }),
        }
    }

    /// Adds the converted child.
    fn put(&mut self, value: Bound<'py, PyAny>) -> PyResult<()> {
        match self {
            Open::List(_, list) => list.append(value),
            Open::Map(_, dict, key) => dict.set_item(key.take().map_or("", String::as_str), value),
        }
    }

    fn into_any(self) -> Bound<'py, PyAny> {
        match self {
            Open::List(_, list) => list.into_any(),
            Open::Map(_, dict, _) => dict.into_any(),
        }
    }
}
