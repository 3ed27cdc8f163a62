//! Columns of a table (pandas, polars or pyarrow data frame) read for batch inserts: integer
//! id columns through their memory (`to_numpy().astype('<i8').tobytes()`: one Python call
//! per column, not per row), other columns as lists converted value by value in Rust.

use pagegraph::Properties;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::convert;

/// A column of `table`, by name.
fn column<'py>(table: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    table
        .get_item(name)
        .map_err(|_| PyValueError::new_err(format!("the table has no column {name:?}")))
}

/// The node ids of an integer column, non-negative, read from its memory.
pub(crate) fn ids(table: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<u64>> {
    let array = column(table, name)?.call_method0("to_numpy")?;
    let kind: String = array.getattr("dtype")?.getattr("kind")?.extract()?;
    if kind != "i" && kind != "u" {
        return Err(PyTypeError::new_err(format!(
            "column {name:?} must hold integers (node ids), not numpy kind {kind:?}"
        )));
    }
    let bytes = array
        .call_method1("astype", ("<i8",))?
        .call_method0("tobytes")?;
    let bytes = bytes.cast::<PyBytes>()?.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 8);
    for (row, chunk) in bytes.chunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        let v = i64::from_le_bytes(b);
        out.push(u64::try_from(v).map_err(|_| {
            PyValueError::new_err(format!("column {name:?} row {row}: {v} is not a node id"))
        })?);
    }
    Ok(out)
}

/// The column names of a table, in order.
pub(crate) fn names(table: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let cols = table.getattr("columns")?;
    // pyarrow's `column_names`; pandas' and polars' `columns`.
    let cols = if cols.is_callable() {
        table.getattr("column_names")?
    } else {
        cols
    };
    cols.try_iter()?
        .map(|c| c.and_then(|c| c.str().map(|s| s.to_string())))
        .collect()
}

/// The number of rows of a table.
pub(crate) fn rows(table: &Bound<'_, PyAny>) -> PyResult<usize> {
    table.len()
}

/// A column's values as a Python list (pandas `tolist`, polars `to_list`, pyarrow
/// `to_pylist`).
fn values<'py>(table: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyList>> {
    let col = column(table, name)?;
    for method in ["tolist", "to_list", "to_pylist"] {
        if col.hasattr(method)? {
            return Ok(col.call_method0(method)?.cast_into::<PyList>()?);
        }
    }
    Err(PyTypeError::new_err(format!(
        "column {name:?} cannot be read as a list"
    )))
}

/// The properties of each of `rows` rows from the columns `names`. A missing value leaves
/// the property out: None, and NaN (how pandas marks a missing value in a float column).
pub(crate) fn properties(
    table: &Bound<'_, PyAny>,
    names: &[String],
    rows: usize,
) -> PyResult<Vec<Properties>> {
    let mut out = vec![Properties::new(); rows];
    for name in names {
        let list = values(table, name)?;
        if list.len() != rows {
            return Err(PyValueError::new_err(format!(
                "column {name:?} has {} values for {rows} rows",
                list.len()
            )));
        }
        for (row, (props, v)) in out.iter_mut().zip(list.iter()).enumerate() {
            if v.is_none() || v.extract::<f64>().is_ok_and(f64::is_nan) {
                continue;
            }
            let value = convert::property(&v, &format!("column {name:?} row {row}"))?;
            props.insert(name.clone(), value);
        }
    }
    Ok(out)
}
