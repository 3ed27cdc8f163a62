//! # pagegraph-python
//!
//! The native module `pagegraph._pagegraph` of the Python package `pagegraph`, thin over the
//! Rust API: [`Database`](database::Database) (open, snapshot and write transactions,
//! Cypher, indexes, `check`, `stats`, algorithms), the transactions in `txn`, value
//! conversion in `convert`, and the exception hierarchy in `errors`. The pure-Python part
//! of the package (`python/pagegraph`) adds `Connection` and `QueryResult` with its
//! pandas, polars, pyarrow and networkx conversions.
//!
//! Every call that reads or writes the database releases the GIL (`Python::detach`), so
//! threads sharing a `Database` run their queries in parallel, and a long query or commit
//! does not stop the interpreter.

mod algo;
mod columns;
mod convert;
mod database;
mod errors;
mod temporal;
mod txn;
mod view;

use pyo3::prelude::*;

/// The native half of the `pagegraph` package; import `pagegraph` instead.
#[pymodule]
fn _pagegraph(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<database::Database>()?;
    m.add_class::<txn::WriteTransaction>()?;
    m.add_class::<txn::ReadTransaction>()?;
    m.add_class::<view::Rows>()?;
    m.add("VALUE_DEPTH_MAX", convert::VALUE_DEPTH_MAX)?;
    Ok(())
}
