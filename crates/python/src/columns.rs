//! Columns of a table (pandas, polars or pyarrow data frame) read for batch inserts: integer
//! id columns, and numeric and boolean property columns without nulls, through their memory
//! (`to_numpy().astype(...).tobytes()`: one Python call per column, not per row), other
//! columns as lists converted value by value in Rust.

use pagegraph::{EncodedBatch, Properties, PropertyValue};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use serde_json::Value;

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
fn values<'py>(col: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyList>> {
    for method in ["tolist", "to_list", "to_pylist"] {
        if col.hasattr(method)? {
            return Ok(col.call_method0(method)?.cast_into::<PyList>()?);
        }
    }
    Err(PyTypeError::new_err(format!(
        "column {name:?} cannot be read as a list"
    )))
}

/// One property column: its name and each row's value (`None` where it is missing).
pub(crate) struct Column {
    name: String,
    cells: Cells,
}

/// A column's values: numbers and booleans read from a table's memory stay machine
/// arrays (no value per cell until one is asked for); others are converted values.
enum Cells {
    /// Floats; NaN marks a missing value (as pandas does).
    Floats(Vec<f64>),
    Ints(Vec<i64>),
    Bools(Vec<bool>),
    Values(Vec<Option<PropertyValue>>),
}

impl Cells {
    fn len(&self) -> usize {
        match self {
            Cells::Floats(v) => v.len(),
            Cells::Ints(v) => v.len(),
            Cells::Bools(v) => v.len(),
            Cells::Values(v) => v.len(),
        }
    }
}

impl Column {
    /// The value in row `row`, None when it is missing (or past the end).
    fn value(&self, row: usize) -> Option<PropertyValue> {
        match &self.cells {
            Cells::Floats(v) => v
                .get(row)
                .filter(|f| !f.is_nan())
                .map(|&f| PropertyValue::Float(f)),
            Cells::Ints(v) => v.get(row).map(|&i| PropertyValue::Int(i)),
            Cells::Bools(v) => v.get(row).map(|&b| PropertyValue::Bool(b)),
            Cells::Values(v) => v.get(row).cloned().flatten(),
        }
    }

    /// The value in row `row`, None when it is missing (or past the end); a converted
    /// value is moved out, not cloned (each row is taken once).
    fn take(&mut self, row: usize) -> Option<PropertyValue> {
        match &mut self.cells {
            Cells::Values(v) => v.get_mut(row).and_then(Option::take),
            _ => self.value(row),
        }
    }

    /// The value in row `row` as stored data, None when it is missing (or past the end).
    fn json(&self, row: usize) -> Result<Option<Value>, String> {
        let json = |p: &PropertyValue| p.to_json().map_err(|e| e.to_string());
        match &self.cells {
            Cells::Values(v) => match v.get(row) {
                Some(Some(p)) if !matches!(p, PropertyValue::Null) => json(p).map(Some),
                _ => Ok(None),
            },
            // Numbers and booleans: nothing to clone.
            _ => self.value(row).as_ref().map(json).transpose(),
        }
    }
}

/// The columns `names` of a table of `rows` rows, each name once, in name order (the
/// order a record's properties are encoded in). A missing value is None, NaN (how pandas
/// marks a missing value in a float column) or pandas' `NA`. Numeric and boolean columns without
/// nulls are read from their memory; others as lists converted value by value.
pub(crate) fn property_columns(
    table: &Bound<'_, PyAny>,
    names: &[String],
    rows: usize,
) -> PyResult<Vec<Column>> {
    let mut names: Vec<&String> = names.iter().collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let col = column(table, name)?;
            let cells = match numeric(&col, name)? {
                Some(cells) => cells,
                None => Cells::Values(listed(&col, name)?),
            };
            if cells.len() != rows {
                return Err(PyValueError::new_err(format!(
                    "column {name:?} has {} values for {rows} rows",
                    cells.len()
                )));
            }
            Ok(Column {
                name: name.clone(),
                cells,
            })
        })
        .collect()
}

/// The values of a column of numbers or booleans without nulls, read from its memory
/// (`to_numpy().astype(...).tobytes()`); `None` for any other column (strings, objects,
/// dates, unsigned integers past `i64`, or a column with nulls, whose `to_numpy` would
/// turn integers into floats), which is then read as a list.
fn numeric(col: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<Cells>> {
    if col.hasattr("null_count")? {
        let nulls = col.getattr("null_count")?;
        let nulls = if nulls.is_callable() {
            nulls.call0()?
        } else {
            nulls
        };
        if nulls.extract::<u64>().map_or(true, |n| n > 0) {
            return Ok(None);
        }
    }
    let Ok(array) = col.call_method0("to_numpy") else {
        return Ok(None);
    };
    let dtype = array.getattr("dtype")?;
    let kind: String = dtype.getattr("kind")?.extract()?;
    // A column whose own type is not the array's (pandas' nullable `Int64` with a missing
    // value comes out as floats) is read value by value.
    if let Ok(own) = col.getattr("dtype").and_then(|d| d.getattr("kind"))
        && own.extract::<String>().ok().as_deref() != Some(kind.as_str())
    {
        return Ok(None);
    }
    let size: usize = dtype.getattr("itemsize")?.extract()?;
    let (target, width) = match kind.as_str() {
        "f" => ("<f8", 8),
        "i" => ("<i8", 8),
        "u" if size <= 4 => ("<i8", 8),
        "b" => ("|u1", 1),
        _ => return Ok(None),
    };
    let bytes = array
        .call_method1("astype", (target,))?
        .call_method0("tobytes")?;
    let bytes = bytes.cast::<PyBytes>()?.as_bytes();
    if bytes.len() % width != 0 {
        return Err(PyValueError::new_err(format!(
            "column {name:?}: its memory is not a whole number of values"
        )));
    }
    let word = |chunk: &[u8]| {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        b
    };
    let words = bytes.chunks_exact(width);
    Ok(Some(match kind.as_str() {
        "f" => Cells::Floats(words.map(|c| f64::from_le_bytes(word(c))).collect()),
        "b" => Cells::Bools(words.map(|c| c[0] != 0).collect()),
        _ => Cells::Ints(words.map(|c| i64::from_le_bytes(word(c))).collect()),
    }))
}

/// Whether a table cell is a missing value: None, NaN, or pandas' `NA` (nullable columns).
fn is_missing(v: &Bound<'_, PyAny>) -> bool {
    v.is_none()
        || v.extract::<f64>().is_ok_and(f64::is_nan)
        || v.get_type().name().is_ok_and(|n| n == "NAType")
}

/// A column's values converted one by one from its Python list.
fn listed(col: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<Option<PropertyValue>>> {
    let list = values(col, name)?;
    list.iter()
        .enumerate()
        .map(|(row, v)| {
            if is_missing(&v) {
                return Ok(None);
            }
            convert::property(&v, &format!("column {name:?} row {row}")).map(Some)
        })
        .collect()
}

/// The properties of each of `rows` rows from the columns `names` (see
/// [`property_columns`]).
pub(crate) fn properties(
    table: &Bound<'_, PyAny>,
    names: &[String],
    rows: usize,
) -> PyResult<Vec<Properties>> {
    let columns = property_columns(table, names, rows)?;
    let mut out = vec![Properties::new(); rows];
    for mut col in columns {
        for (row, props) in out.iter_mut().enumerate() {
            if let Some(v) = col.take(row) {
                props.insert(col.name.clone(), v);
            }
        }
    }
    Ok(out)
}

/// The data of the edges in rows `rows` of `columns`, encoded straight from the values
/// into one buffer (no map of properties or allocation per row): what `create_edges` would
/// store for them.
pub(crate) fn edge_data(
    columns: &[Column],
    rows: std::ops::Range<usize>,
) -> pagegraph::Result<EncodedBatch> {
    let mut batch = EncodedBatch::new();
    let mut fields: Vec<(&str, Value)> = Vec::with_capacity(columns.len());
    for row in rows {
        fields.clear();
        for col in columns {
            let json = col.json(row).map_err(|e| pagegraph::GraphError::Invalid {
                field: "edge properties",
                reason: format!("property {}: {e}", col.name),
            })?;
            if let Some(json) = json {
                fields.push((&col.name, json));
            }
        }
        if fields.is_empty() {
            batch.push(&Value::Null)?;
        } else {
            batch.push_sorted(fields.iter().map(|(k, v)| (*k, v)))?;
        }
    }
    Ok(batch)
}
