//! The header of a labelled CSV file, in the Neo4j admin-import syntax, and the conversion
//! of its cells to property values.
//!
//! Each column of the header is `name`, `name:TYPE`, `name:TYPE[]` (an array, its elements
//! separated by the dialect's array delimiter) or one of the special columns:
//!
//! | column | meaning |
//! |---|---|
//! | `name:ID(Space)`, `:ID(Space)`, `:ID` | the node's id in the id space `Space` (default: the file's label); kept as the property `name` (default: the import's id property) |
//! | `:START_ID(Space)`, `:END_ID(Space)` | an edge's endpoints, by their id in `Space` |
//! | `:LABEL` | more labels of the node, `;`-separated (the array delimiter) |
//! | `:TYPE` | the edge's type (else the file's type) |
//! | `:IGNORE` (also `name:IGNORE`) | a column that is not read |
//!
//! Types (any case): `string`, `char`, and the temporal types `date`, `localdate`, `time`,
//! `localtime`, `datetime`, `localdatetime`, `timestamp`, `duration`, `interval`, `point`
//! are kept as the text written (a date is a string); `int`, `long`, `short`, `byte`,
//! `int8`..`int64`, `uint8`..`uint64`, `serial` are 64-bit integers; `float`, `double` are
//! 64-bit floats; `boolean`, `bool` are `true`/`false` (any case). A cell that its type
//! cannot hold is a bad line naming the column.
//!
//! An untyped column's cells are inferred without changing what they say: a cell that is a
//! 64-bit integer written as the integer prints (`12`, `-3`; not `007` or `+3`) is that
//! integer, a float written as the float prints (`2.5`; not `1e5`, `1.50` or a 23-digit
//! number) is that float, `true` and `false` are booleans, and anything else is the string
//! as written. An empty cell is no property, in typed and untyped columns alike.

use std::path::Path;

use pagegraph::EncodedData;
use serde_json::{Map, Number, Value};

use crate::error::{ImportError, Result};
use crate::input::clip;

/// What the cells of a typed column hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// Text as written (strings, and dates and times, which stay as their text).
    String,
    /// A 64-bit signed integer.
    Int,
    /// A 64-bit float.
    Float,
    /// `true` or `false`.
    Bool,
}

impl ValueType {
    /// The type a header names (any case), if it is one.
    fn named(name: &str) -> Option<ValueType> {
        let t = match name.to_ascii_lowercase().as_str() {
            "string" | "char" | "date" | "localdate" | "time" | "localtime" | "datetime"
            | "localdatetime" | "timestamp" | "duration" | "interval" | "point" => {
                ValueType::String
            }
            "int" | "long" | "short" | "byte" | "int8" | "int16" | "int32" | "int64" | "uint8"
            | "uint16" | "uint32" | "uint64" | "serial" => ValueType::Int,
            "float" | "double" => ValueType::Float,
            "boolean" | "bool" => ValueType::Bool,
            _ => return None,
        };
        Some(t)
    }

    /// A non-empty cell of this type as a JSON value, or why it is not one.
    fn convert(self, cell: &str) -> Result<Value, String> {
        match self {
            ValueType::String => Ok(Value::String(cell.to_string())),
            ValueType::Int => cell
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("{:?} is not a 64-bit integer", clip(cell))),
            ValueType::Float => cell
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("{:?} is not a finite number", clip(cell))),
            ValueType::Bool => match cell.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("{:?} is not a boolean (true or false)", clip(cell))),
            },
        }
    }
}

/// An untyped cell's value (see the module doc): it never changes what the text says.
pub fn infer_cell(cell: &str) -> Value {
    if let Ok(i) = cell.parse::<i64>()
        && i.to_string() == cell
    {
        return Value::from(i);
    }
    if let Ok(f) = cell.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
        && n.to_string() == cell
    {
        return Value::Number(n);
    }
    match cell {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(cell.to_string()),
    }
}

/// What one column of a labelled CSV file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    /// A property: its name, its type (`None`: inferred per cell) and whether it is an
    /// array.
    Property {
        /// The property's name.
        name: String,
        /// Its type; `None` infers each cell's.
        value_type: Option<ValueType>,
        /// Whether a cell holds an array, split at the array delimiter.
        array: bool,
    },
    /// The node's id: the property that keeps it (if the column names one) and its space.
    Id {
        /// The property the id is kept as, when the column is named.
        property: Option<String>,
        /// The id space, when the column names one.
        space: Option<String>,
    },
    /// An edge's source, by its id in a space.
    StartId(Option<String>),
    /// An edge's target, by its id in a space.
    EndId(Option<String>),
    /// More labels of the node.
    Label,
    /// The edge's type.
    Type,
    /// Not read.
    Ignore,
}

/// A `TYPE(Space)` suffix: the type and the space, if it has the form.
fn with_space(t: &str) -> (&str, Option<&str>) {
    match (t.find('('), t.strip_suffix(')')) {
        (Some(open), Some(inner)) => (&t[..open], Some(&inner[open + 1..])),
        _ => (t, None),
    }
}

/// One column of a header, or why it is not one.
fn column(spec: &str) -> Result<Column, String> {
    let spec = spec.trim();
    // The type follows the last ':' outside a `(Space)` suffix.
    let head = spec
        .rfind('(')
        .filter(|_| spec.ends_with(')'))
        .unwrap_or(spec.len());
    let Some(colon) = spec[..head].rfind(':') else {
        if spec.is_empty() {
            return Err("a column has no name (write :IGNORE to skip it)".into());
        }
        return Ok(Column::Property {
            name: spec.to_string(),
            value_type: None,
            array: false,
        });
    };
    let (name, t) = (&spec[..colon], &spec[colon + 1..]);
    let (t, space) = with_space(t);
    let space = match space {
        Some("") => return Err(format!("column {spec:?}: an empty id space")),
        s => s.map(str::to_string),
    };
    let upper = t.to_ascii_uppercase();
    let special = match upper.as_str() {
        "ID" => Some(Column::Id {
            property: (!name.is_empty()).then(|| name.to_string()),
            space: space.clone(),
        }),
        "START_ID" => Some(Column::StartId(space.clone())),
        "END_ID" => Some(Column::EndId(space.clone())),
        "LABEL" => Some(Column::Label),
        "TYPE" => Some(Column::Type),
        "IGNORE" => Some(Column::Ignore),
        _ => None,
    };
    if let Some(c) = special {
        return Ok(c);
    }
    if space.is_some() {
        return Err(format!(
            "column {spec:?}: only ID, START_ID and END_ID take an id space"
        ));
    }
    if name.is_empty() {
        return Err(format!("column {spec:?}: a property column needs a name"));
    }
    let (t, array) = match t.strip_suffix("[]") {
        Some(t) => (t, true),
        None => (t, false),
    };
    let Some(value_type) = ValueType::named(t) else {
        return Err(format!(
            "column {spec:?}: unknown type {t:?} (string, int, long, float, double, boolean, \
             date, ...; ID, START_ID, END_ID, LABEL, TYPE, IGNORE)"
        ));
    };
    Ok(Column::Property {
        name: name.to_string(),
        value_type: Some(value_type),
        array,
    })
}

/// Whether a header is of a node file or an edge file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Element {
    /// Nodes: one `:ID` column, no endpoints or type.
    Nodes,
    /// Edges: one `:START_ID` and one `:END_ID` column, no `:ID` or `:LABEL`.
    Edges,
}

/// The parsed header of a labelled CSV file.
#[derive(Clone, Debug)]
pub struct Header {
    /// Its columns, in order.
    pub columns: Vec<Column>,
    /// Where the id (nodes) or the endpoints (edges) are.
    pub id: usize,
    /// The end column of an edge file (unused for nodes).
    pub end: usize,
    /// Where the `:LABEL` or `:TYPE` column is, if any.
    pub labels: Option<usize>,
    /// The property columns in the order of their names.
    by_name: Vec<usize>,
}

impl Header {
    /// Parses the header fields of `file` (`line` is where they are: 1 for a header row,
    /// 0 for a header given apart from the file) as a header of `element`s.
    pub fn parse(fields: &[&str], element: Element, file: &Path, line: u64) -> Result<Header> {
        let bad = |reason: String| {
            if line == 0 {
                ImportError::file(file, format!("the given header: {reason}"))
            } else {
                ImportError::line(file, line, reason)
            }
        };
        let mut columns = Vec::with_capacity(fields.len());
        for f in fields {
            columns.push(column(f).map_err(&bad)?);
        }
        let find = |what: &dyn Fn(&Column) -> bool| -> Vec<usize> {
            columns
                .iter()
                .enumerate()
                .filter(|(_, c)| what(c))
                .map(|(i, _)| i)
                .collect()
        };
        let one = |found: Vec<usize>, what: &str| -> Result<usize> {
            match found.as_slice() {
                [i] => Ok(*i),
                [] => Err(bad(format!("no {what} column"))),
                _ => Err(bad(format!("more than one {what} column"))),
            }
        };
        let at_most_one = |found: Vec<usize>, what: &str| -> Result<Option<usize>> {
            match found.as_slice() {
                [] => Ok(None),
                [i] => Ok(Some(*i)),
                _ => Err(bad(format!("more than one {what} column"))),
            }
        };
        let (id, end, labels) = match element {
            Element::Nodes => {
                let id = one(find(&|c| matches!(c, Column::Id { .. })), ":ID")?;
                let stray =
                    find(&|c| matches!(c, Column::StartId(_) | Column::EndId(_) | Column::Type));
                if !stray.is_empty() {
                    return Err(bad(
                        "a node file has no :START_ID, :END_ID or :TYPE column".into()
                    ));
                }
                let labels = at_most_one(find(&|c| matches!(c, Column::Label)), ":LABEL")?;
                (id, id, labels)
            }
            Element::Edges => {
                let start = one(find(&|c| matches!(c, Column::StartId(_))), ":START_ID")?;
                let end = one(find(&|c| matches!(c, Column::EndId(_))), ":END_ID")?;
                let stray = find(&|c| matches!(c, Column::Id { .. } | Column::Label));
                if !stray.is_empty() {
                    return Err(bad("an edge file has no :ID or :LABEL column".into()));
                }
                let labels = at_most_one(find(&|c| matches!(c, Column::Type)), ":TYPE")?;
                (start, end, labels)
            }
        };
        let mut names: Vec<&str> = columns
            .iter()
            .filter_map(|c| match c {
                Column::Property { name, .. }
                | Column::Id {
                    property: Some(name),
                    ..
                } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        names.sort_unstable();
        if let Some([a, _]) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(bad(format!("two columns hold the property {a:?}")));
        }
        let mut by_name: Vec<usize> = (0..columns.len())
            .filter(|&i| matches!(columns[i], Column::Property { .. }))
            .collect();
        by_name.sort_by(|&a, &b| property_name(&columns[a]).cmp(property_name(&columns[b])));
        Ok(Header {
            columns,
            id,
            end,
            labels,
            by_name,
        })
    }

    /// The properties of a record's cells (the id, endpoint, label, type and ignored
    /// columns left out), or why a cell is bad.
    pub fn properties(
        &self,
        record: &csv::StringRecord,
        array_delimiter: char,
    ) -> Result<Map<String, Value>, String> {
        let mut out = Map::new();
        for (col, cell) in self.columns.iter().zip(record.iter()) {
            let Column::Property {
                name,
                value_type,
                array,
            } = col
            else {
                continue;
            };
            if cell.is_empty() {
                continue;
            }
            let value = cell_value(cell, value_type.as_ref(), *array, array_delimiter, name)?;
            out.insert(name.clone(), value);
        }
        Ok(out)
    }

    /// The properties of a record's cells as [`Header::properties`] has them, encoded (as
    /// the graph stores them) without building a map; `None` when there are none.
    pub fn encoded_properties(
        &self,
        record: &csv::StringRecord,
        array_delimiter: char,
    ) -> Result<Option<EncodedData>, String> {
        let mut values: Vec<(&str, Value)> = Vec::with_capacity(self.by_name.len());
        for &col in &self.by_name {
            let (
                Some(Column::Property {
                    name,
                    value_type,
                    array,
                }),
                Some(cell),
            ) = (self.columns.get(col), record.get(col))
            else {
                continue;
            };
            if cell.is_empty() {
                continue;
            }
            values.push((
                name,
                cell_value(cell, value_type.as_ref(), *array, array_delimiter, name)?,
            ));
        }
        if values.is_empty() {
            return Ok(None);
        }
        EncodedData::from_sorted(values.iter().map(|(k, v)| (*k, v)))
            .map(Some)
            .map_err(|e| e.to_string())
    }

    /// The space a column names, if any (`Id`, `StartId` and `EndId` columns).
    pub fn space(&self, i: usize) -> Option<&str> {
        match self.columns.get(i) {
            Some(Column::Id { space, .. } | Column::StartId(space) | Column::EndId(space)) => {
                space.as_deref()
            }
            _ => None,
        }
    }
}

/// The name of a property column (empty for other columns).
fn property_name(c: &Column) -> &str {
    match c {
        Column::Property { name, .. } => name,
        _ => "",
    }
}

/// The value of a non-empty property cell of column `name`, or why it is bad.
fn cell_value(
    cell: &str,
    value_type: Option<&ValueType>,
    array: bool,
    array_delimiter: char,
    name: &str,
) -> Result<Value, String> {
    let one = |c: &str| match value_type {
        Some(t) => t.convert(c),
        None => Ok(infer_cell(c)),
    };
    let value = if array {
        cell.split(array_delimiter)
            .map(one)
            .collect::<Result<Vec<Value>, String>>()
            .map(Value::Array)
    } else {
        one(cell)
    };
    value.map_err(|e| format!("column {:?}: {e}", clip(name)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_of_the_neo4j_syntax() {
        let prop = |n: &str, t: Option<ValueType>, array| Column::Property {
            name: n.into(),
            value_type: t,
            array,
        };
        assert_eq!(
            column("firstName:STRING"),
            Ok(prop("firstName", Some(ValueType::String), false))
        );
        assert_eq!(column("age"), Ok(prop("age", None, false)));
        assert_eq!(
            column("w:double"),
            Ok(prop("w", Some(ValueType::Float), false))
        );
        assert_eq!(
            column("emails:string[]"),
            Ok(prop("emails", Some(ValueType::String), true))
        );
        assert_eq!(
            column("id:ID(Person)"),
            Ok(Column::Id {
                property: Some("id".into()),
                space: Some("Person".into())
            })
        );
        assert_eq!(
            column(":ID"),
            Ok(Column::Id {
                property: None,
                space: None
            })
        );
        assert_eq!(
            column(":START_ID(Post)"),
            Ok(Column::StartId(Some("Post".into())))
        );
        assert_eq!(column(":END_ID"), Ok(Column::EndId(None)));
        assert_eq!(column(":LABEL"), Ok(Column::Label));
        assert_eq!(column(":TYPE"), Ok(Column::Type));
        assert_eq!(column("x:IGNORE"), Ok(Column::Ignore));
        assert!(column("x:DECIMAL").unwrap_err().contains("unknown type"));
        assert!(column("x:int(P)").unwrap_err().contains("id space"));
        assert!(column(":int").unwrap_err().contains("needs a name"));
        assert!(column("").is_err());
        assert!(column(":ID()").unwrap_err().contains("empty id space"));
    }

    #[test]
    fn cells_keep_what_they_say() {
        assert_eq!(infer_cell("12"), json!(12));
        assert_eq!(infer_cell("-3"), json!(-3));
        assert_eq!(infer_cell("2.5"), json!(2.5));
        for text in [
            "1e5",
            "007",
            "+3",
            "1.50",
            "12345678901234567890123",
            "9223372036854775808",
            "abc",
            "True",
        ] {
            assert_eq!(infer_cell(text), json!(text), "{text}");
        }
        assert_eq!(infer_cell("true"), json!(true));
        assert_eq!(
            ValueType::Int.convert("20100214153210447"),
            Ok(json!(20_100_214_153_210_447_i64))
        );
        assert!(ValueType::Int.convert("9223372036854775808").is_err());
        assert_eq!(ValueType::Float.convert("1e5"), Ok(json!(100_000.0)));
        assert!(ValueType::Float.convert("NaN").is_err());
        assert_eq!(ValueType::Bool.convert("TRUE"), Ok(json!(true)));
        assert!(ValueType::Bool.convert("yes").is_err());
        assert_eq!(ValueType::String.convert("007"), Ok(json!("007")));
    }

    #[test]
    fn headers_are_checked_whole() {
        let p = Path::new("f.csv");
        let h = Header::parse(&["id:ID(P)", "name", ":LABEL"], Element::Nodes, p, 1).unwrap();
        assert_eq!((h.id, h.labels, h.space(0)), (0, Some(2), Some("P")));
        let h = Header::parse(
            &[":START_ID(A)", "w:int", ":END_ID(B)"],
            Element::Edges,
            p,
            1,
        )
        .unwrap();
        assert_eq!((h.id, h.end, h.space(2)), (0, 2, Some("B")));
        let err = |fields: &[&str], e| Header::parse(fields, e, p, 1).unwrap_err().to_string();
        assert_eq!(err(&["name"], Element::Nodes), "f.csv:1: no :ID column");
        assert_eq!(
            err(&[":ID", ":ID"], Element::Nodes),
            "f.csv:1: more than one :ID column"
        );
        assert_eq!(
            err(&[":START_ID"], Element::Edges),
            "f.csv:1: no :END_ID column"
        );
        assert!(err(&[":ID", ":TYPE"], Element::Nodes).contains("no :START_ID"));
        assert!(
            err(&[":START_ID", ":END_ID", ":LABEL"], Element::Edges).contains("no :ID or :LABEL")
        );
        assert!(
            err(&["id:ID", "id:int"], Element::Nodes)
                .contains("two columns hold the property \"id\"")
        );
        let given = Header::parse(&["x:blob"], Element::Nodes, p, 0)
            .unwrap_err()
            .to_string();
        assert!(
            given.starts_with("f.csv: the given header: column \"x:blob\""),
            "{given}"
        );
    }

    #[test]
    fn typed_and_array_cells() {
        let p = Path::new("f.csv");
        let h = Header::parse(
            &[":ID", "n:int", "tags:string[]", "s", "skip:IGNORE"],
            Element::Nodes,
            p,
            1,
        )
        .unwrap();
        let rec = csv::StringRecord::from(vec!["1", "42", "a;b", "", "zz"]);
        assert_eq!(
            Value::Object(h.properties(&rec, ';').unwrap()),
            json!({"n": 42, "tags": ["a", "b"]})
        );
        let rec = csv::StringRecord::from(vec!["1", "4x", "", "", ""]);
        assert_eq!(
            h.properties(&rec, ';').unwrap_err(),
            "column \"n\": \"4x\" is not a 64-bit integer"
        );
    }

    #[test]
    fn encoded_properties_are_the_encoding_of_the_properties() {
        let p = Path::new("f.csv");
        // Columns out of name order, typed, inferred, arrays, text needing escapes.
        let h = Header::parse(
            &[
                ":START_ID",
                "z:float",
                ":END_ID",
                "b",
                "a:int[]",
                "é:string",
                "m:boolean",
            ],
            Element::Edges,
            p,
            1,
        )
        .unwrap();
        for cells in [
            vec!["1", "2.5", "2", "x \"q\"\n", "1;2", "é", "true"],
            vec!["1", "", "2", "", "", "", ""],
            vec!["1", "1e300", "2", "007", "3", "", "false"],
            vec!["1", "-0.0", "2", "12345678901234567890123", "", "ü", ""],
        ] {
            let rec = csv::StringRecord::from(cells);
            let map = h.properties(&rec, ';').unwrap();
            let encoded = h.encoded_properties(&rec, ';').unwrap();
            if map.is_empty() {
                assert!(encoded.is_none());
            } else {
                let want = pagegraph::EncodedData::new(&Value::Object(map)).unwrap();
                assert_eq!(encoded.unwrap(), want);
            }
        }
        let rec = csv::StringRecord::from(vec!["1", "x", "2", "", "", "", ""]);
        assert_eq!(
            h.encoded_properties(&rec, ';').unwrap_err(),
            h.properties(&rec, ';').unwrap_err()
        );
    }
}
