//! The exception hierarchy, and the one mapping from the Rust errors to it.
//!
//! ```text
//! Exception
//! └── pagegraph.Error                 every failure of the database
//!     ├── QueryError                  a query that does not parse, compile or run;
//!     │                               `line` and `column` (1-based) for syntax errors
//!     ├── ConstraintError             a unique constraint would be broken
//!     ├── CorruptionError             the bytes on disk are damaged
//!     └── LockedError                 another handle or process has the database open
//! ```
//!
//! Values that cannot cross into the database raise Python's own `TypeError` (no mapping
//! for the type), `OverflowError` (an int outside 64 bits) or `ValueError` (nesting too
//! deep, a bad argument such as a damping factor above 1): the mistake is in the caller's
//! data, as with `json.dumps`.

use pagegraph::GraphError;
use pagegraph::algo::AlgoError;
use pagegraph::storage::StorageError;
use pagegraph_import::ImportError;
use pagegraph_query::QueryError as RustQueryError;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    pagegraph,
    Error,
    PyException,
    "The base class of every error pagegraph raises."
);
pyo3::create_exception!(
    pagegraph,
    QueryError,
    Error,
    "A query that does not parse, compile or run. For a syntax error, `line` and `column` \
     (1-based, in characters) say where; they are None for other query errors."
);
pyo3::create_exception!(
    pagegraph,
    ConstraintError,
    Error,
    "A write would give two nodes (or edges) equal values under a unique constraint. \
     Nothing of that write was applied."
);
pyo3::create_exception!(
    pagegraph,
    CorruptionError,
    Error,
    "The database's bytes are damaged (a bad checksum, a record that does not decode)."
);
pyo3::create_exception!(
    pagegraph,
    LockedError,
    Error,
    "Another handle, in this process or another, has the database open for writing."
);

/// Adds the exception classes to the module, with `line` and `column` defaulting to None
/// on the class so every `QueryError` has them.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    let query = py.get_type::<QueryError>();
    query.setattr("line", py.None())?;
    query.setattr("column", py.None())?;
    m.add("QueryError", query)?;
    m.add("ConstraintError", py.get_type::<ConstraintError>())?;
    m.add("CorruptionError", py.get_type::<CorruptionError>())?;
    m.add("LockedError", py.get_type::<LockedError>())?;
    Ok(())
}

/// A Python exception for a graph error.
pub(crate) fn graph_error(e: &GraphError) -> PyErr {
    graph_error_saying(e, e.to_string())
}

/// The Python exception of a graph error's class, with `message`.
fn graph_error_saying(e: &GraphError, message: String) -> PyErr {
    match e {
        GraphError::ConstraintViolation { .. } => ConstraintError::new_err(message),
        GraphError::Corrupt { .. } => CorruptionError::new_err(message),
        GraphError::Storage(s) => storage_error(s, message),
        _ => Error::new_err(message),
    }
}

fn storage_error(e: &StorageError, message: String) -> PyErr {
    match e {
        StorageError::Locked { .. } => LockedError::new_err(message),
        e if e.is_corruption() => CorruptionError::new_err(message),
        _ => Error::new_err(message),
    }
}

/// A Python exception for an import's or export's error: bad input (its `file:line`) and
/// failed file operations are `pagegraph.Error`, options that cannot work `ValueError`,
/// and a failure of the database the class a graph error gets. The message names every
/// layer (where the import was, then what failed there).
pub(crate) fn import_error(e: &ImportError) -> PyErr {
    let mut message = e.to_string();
    let mut root = e;
    while let ImportError::Context { source, .. } = root {
        message.push_str(": ");
        message.push_str(&source.to_string());
        root = source;
    }
    match root {
        ImportError::Graph(g) => graph_error_saying(g, message),
        ImportError::Storage(s) => storage_error(s, message),
        ImportError::Options(_) => PyValueError::new_err(message),
        _ => Error::new_err(message),
    }
}

/// A Python exception for a query error: a syntax error carries its position.
pub(crate) fn query_error(py: Python<'_>, e: &RustQueryError) -> PyErr {
    match e {
        RustQueryError::Graph(g) => graph_error(g),
        RustQueryError::Syntax(s) => {
            let err = QueryError::new_err(s.to_string());
            let value = err.value(py);
            // Setting attributes on a fresh exception instance does not fail; if it ever
            // did, the error without its position is still the right error to raise.
            let _ = value.setattr("line", s.position.line);
            let _ = value.setattr("column", s.position.column);
            err
        }
        other => QueryError::new_err(other.to_string()),
    }
}

/// A Python exception for an algorithm's error.
pub(crate) fn algo_error(e: &AlgoError) -> PyErr {
    match e {
        AlgoError::Graph(g) => graph_error(g),
        // A bad parameter, or a graph the algorithm cannot order (a cycle for toposort).
        AlgoError::InvalidArgument { .. } | AlgoError::Cycle(_) => {
            PyValueError::new_err(e.to_string())
        }
        other => Error::new_err(other.to_string()),
    }
}

/// The error for a transaction used after `commit` or `rollback`, or a closed database.
pub(crate) fn finished(what: &str) -> PyErr {
    Error::new_err(format!("the {what} is closed"))
}

/// A failure met with the GIL released, raised once it is held again.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The graph layer failed.
    Graph(GraphError),
    /// A query failed.
    Query(RustQueryError),
    /// An algorithm failed.
    Algo(AlgoError),
    /// An import or export failed.
    Import(ImportError),
    /// The transaction or database was closed before this call.
    Closed(&'static str),
}

impl From<ImportError> for Fail {
    fn from(e: ImportError) -> Fail {
        Fail::Import(e)
    }
}

impl From<GraphError> for Fail {
    fn from(e: GraphError) -> Fail {
        Fail::Graph(e)
    }
}

impl From<RustQueryError> for Fail {
    fn from(e: RustQueryError) -> Fail {
        Fail::Query(e)
    }
}

impl From<AlgoError> for Fail {
    fn from(e: AlgoError) -> Fail {
        Fail::Algo(e)
    }
}

impl Fail {
    /// The Python exception.
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Fail::Graph(e) => graph_error(&e),
            Fail::Query(e) => query_error(py, &e),
            Fail::Algo(e) => algo_error(&e),
            Fail::Import(e) => import_error(&e),
            Fail::Closed(what) => finished(what),
        }
    }
}
