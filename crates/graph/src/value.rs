//! Typed property values: [`PropertyValue`], its openCypher comparison and its index keys.
//!
//! The type is named `PropertyValue`, not `Value`, because `serde_json::Value` is the JSON
//! type used across the crate's API (node and edge data) and the two meet in conversions.
//!
//! - [`PropertyValue`] holds null, booleans, 64-bit integers, floats, strings, lists, maps
//!   and temporal values ([`temporal`]: dates, times, datetimes, durations).
//! - [`equals`], [`compare`], [`inequality`] and [`order`] (in `cmp.rs`) are openCypher's
//!   equality, comparability and orderability.
//! - [`key`] is the order-preserving byte encoding of scalar values for index keys, with the
//!   key ranges that answer `=`, `<`, `<=`, `>`, `>=`, `STARTS WITH` and `IN`.
//!
//! # JSON mapping
//! | JSON | `PropertyValue` | back to JSON |
//! |---|---|---|
//! | `null` | `Null` | `null` |
//! | `true` / `false` | `Bool` | the same |
//! | integer that fits `i64` | `Int` | the same integer |
//! | integer outside `i64` (above `i64::MAX`) | refused: [`ValueError::IntegerOutOfRange`] | |
//! | number with a fraction or exponent (`1.0`, `2.5e3`) | `Float` | a float (`1.0` stays `1.0`) |
//! | string | `String` | string |
//! | array | `List` | array |
//! | object | `Map` (keys sorted; a key may not start with U+0000) | object |
//! | object of one key `"\u0000<kind>"` holding a string | `Temporal` ([`temporal`]) | the same |
//!
//! No conversion rounds. `Float` NaN and ±infinity cannot come from JSON and cannot go back
//! ([`ValueError::NotFinite`]); `-0.0` goes to JSON as `-0.0`. One limit is `serde_json`'s, not
//! ours: without its `arbitrary_precision` feature (this workspace does not enable it) the JSON
//! *parser* already reads an integer below `i64::MIN` or above `u64::MAX` as a float, before
//! [`PropertyValue::from_json`] sees it; with the feature on, such integers are refused here
//! like any other integer outside `i64`.
//!
//! Values nest as deep as their input: comparison recurses once per level (`serde_json`'s parser
//! stops at 128 levels).

mod cmp;
pub mod key;
pub mod temporal;

use std::collections::BTreeMap;

use serde_json::Number;

pub use cmp::{Inequality, compare, equals, inequality, order};
pub use key::{decode_key, encode_key};
pub use temporal::{Temporal, TemporalError};

/// A property value as a scan read it from a record: scalars by value, a string borrowed
/// from the record's bytes, anything else owned. For scans that look at many values and
/// keep few of them (see [`crate::ReadTxn::each_node_property_refs`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyRef<'a> {
    /// The absent value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A string, borrowed.
    Str(&'a str),
    /// Any other value (a list, a map, or a string that had to be unescaped).
    Owned(PropertyValue),
}

impl PropertyRef<'_> {
    /// The value, owned.
    pub fn to_value(&self) -> PropertyValue {
        match self {
            PropertyRef::Null => PropertyValue::Null,
            PropertyRef::Bool(b) => PropertyValue::Bool(*b),
            PropertyRef::Int(i) => PropertyValue::Int(*i),
            PropertyRef::Float(f) => PropertyValue::Float(*f),
            PropertyRef::Str(s) => PropertyValue::String((*s).to_string()),
            PropertyRef::Owned(v) => v.clone(),
        }
    }

    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PropertyRef::Str(s) => Some(s),
            PropertyRef::Owned(PropertyValue::String(s)) => Some(s),
            _ => None,
        }
    }
}

impl From<PropertyValue> for PropertyRef<'_> {
    fn from(v: PropertyValue) -> Self {
        match v {
            PropertyValue::Null => PropertyRef::Null,
            PropertyValue::Bool(b) => PropertyRef::Bool(b),
            PropertyValue::Int(i) => PropertyRef::Int(i),
            PropertyValue::Float(f) => PropertyRef::Float(f),
            other => PropertyRef::Owned(other),
        }
    }
}

/// A typed property value of a node or an edge.
///
/// `==` on this type is Rust's structural equality: `Int(1) != Float(1.0)` and a NaN float is
/// not equal to itself. openCypher's equality, where `1 = 1.0` and `null = null` is unknown,
/// is [`equals`].
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// The absent value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float; may be NaN or infinite (openCypher can compute them), though such
    /// floats cannot be converted to JSON.
    Float(f64),
    /// A UTF-8 string.
    String(String),
    /// A list of values.
    List(Vec<PropertyValue>),
    /// A map from string keys to values, kept sorted by key.
    Map(BTreeMap<String, PropertyValue>),
    /// A date, time, datetime or duration (see [`temporal`]).
    Temporal(Temporal),
}

/// Why a value could not be converted or decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// A JSON integer outside the range of `i64`; it is not converted to a float, which would
    /// round it.
    #[error("integer {0} is outside the 64-bit signed range")]
    IntegerOutOfRange(String),
    /// A NaN or infinite float: JSON cannot hold one, and a JSON number beyond the range of
    /// `f64` is refused rather than read as infinity.
    #[error("float {0} has no JSON representation")]
    NotFinite(f64),
    /// A map key that starts with U+0000: such keys are reserved for temporal values in
    /// JSON (see [`temporal`]).
    #[error("map key {0:?} starts with U+0000, which is reserved")]
    ReservedKey(String),
    /// A reserved JSON object that is not a valid temporal value.
    #[error("invalid temporal value in JSON: {0}")]
    BadTemporal(String),
    /// Bytes that are not a valid key encoding.
    #[error("invalid value key at byte {offset}: {reason}")]
    BadKey {
        /// Offset of the byte at fault from the start of the decoded slice.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

impl PropertyValue {
    /// Converts JSON to a value (see the module doc's table); refuses integers outside `i64`.
    pub fn from_json(json: &serde_json::Value) -> Result<Self, ValueError> {
        Ok(match json {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(b) => Self::Bool(*b),
            serde_json::Value::Number(n) => Self::from_number(n)?,
            serde_json::Value::String(s) => Self::String(s.clone()),
            serde_json::Value::Array(items) => Self::List(
                items
                    .iter()
                    .map(Self::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            serde_json::Value::Object(fields) => {
                if let Some(t) = Self::temporal_of(fields)? {
                    return Ok(Self::Temporal(t));
                }
                Self::Map(
                    fields
                        .iter()
                        .map(|(k, v)| Ok((k.clone(), Self::from_json(v)?)))
                        .collect::<Result<_, ValueError>>()?,
                )
            }
        })
    }

    /// The temporal value a JSON object stands for: one key, U+0000 and the kind, holding
    /// the written form. `None` for any other object.
    fn temporal_of(
        fields: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Option<Temporal>, ValueError> {
        let mut it = fields.iter();
        let (Some((k, v)), None) = (it.next(), it.next()) else {
            return Ok(None);
        };
        let Some(kind) = k.strip_prefix('\0') else {
            return Ok(None);
        };
        let Some(text) = v.as_str() else {
            return Err(ValueError::BadTemporal(format!("{k:?} holds no string")));
        };
        Temporal::parse(kind, text)
            .map(Some)
            .map_err(|e| ValueError::BadTemporal(e.0))
    }

    fn from_number(n: &Number) -> Result<Self, ValueError> {
        if let Some(i) = n.as_i64() {
            return Ok(Self::Int(i));
        }
        if n.is_u64() {
            return Err(ValueError::IntegerOutOfRange(n.to_string()));
        }
        let f = match n.as_f64() {
            Some(f) if f.is_finite() => f,
            f => return Err(ValueError::NotFinite(f.unwrap_or(f64::INFINITY))),
        };
        // With serde_json's `arbitrary_precision`, an integer literal beyond 64 bits reaches
        // here too: its text has neither a fraction nor an exponent. Only a float of at least
        // 2^63 in magnitude can be one, so only those pay for the text.
        if f.abs() >= 9_223_372_036_854_775_808.0 {
            let text = n.to_string();
            if !text.contains(['.', 'e', 'E']) {
                return Err(ValueError::IntegerOutOfRange(text));
            }
        }
        Ok(Self::Float(f))
    }

    /// Converts the value to JSON (see the module doc's table); refuses NaN and infinities.
    pub fn to_json(&self) -> Result<serde_json::Value, ValueError> {
        Ok(match self {
            Self::Null => serde_json::Value::Null,
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Int(i) => serde_json::Value::Number((*i).into()),
            Self::Float(f) => {
                serde_json::Value::Number(Number::from_f64(*f).ok_or(ValueError::NotFinite(*f))?)
            }
            Self::String(s) => serde_json::Value::String(s.clone()),
            Self::List(items) => {
                serde_json::Value::Array(items.iter().map(Self::to_json).collect::<Result<_, _>>()?)
            }
            Self::Map(fields) => serde_json::Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| {
                        if k.starts_with('\0') {
                            return Err(ValueError::ReservedKey(k.clone()));
                        }
                        Ok((k.clone(), v.to_json()?))
                    })
                    .collect::<Result<_, ValueError>>()?,
            ),
            Self::Temporal(t) => {
                let mut m = serde_json::Map::new();
                m.insert(
                    format!("\0{}", t.kind()),
                    serde_json::Value::String(t.to_string()),
                );
                serde_json::Value::Object(m)
            }
        })
    }

    /// The openCypher name of the value's type: `NULL`, `BOOLEAN`, `INTEGER`, `FLOAT`,
    /// `STRING`, `LIST`, `MAP`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "NULL",
            Self::Bool(_) => "BOOLEAN",
            Self::Int(_) => "INTEGER",
            Self::Float(_) => "FLOAT",
            Self::String(_) => "STRING",
            Self::List(_) => "LIST",
            Self::Map(_) => "MAP",
            Self::Temporal(t) => t.type_name(),
        }
    }

    /// Whether the value has a key encoding (null, booleans, numbers, strings and
    /// temporal values do; lists and maps do not).
    pub fn is_indexable(&self) -> bool {
        !matches!(self, Self::List(_) | Self::Map(_))
    }
}

/// The value as an openCypher literal, for messages: `null`, `true`, `42`, `1.0`, `"text"`
/// (quoted and escaped as JSON strings are), `[1, "a"]`, `{k: 1}`. A float always shows a
/// fraction or an exponent, so `1.0` is told from `1`.
impl std::fmt::Display for PropertyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 => {
                write!(f, "{x:.1}")
            }
            Self::Float(x) => write!(f, "{x:?}"),
            Self::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            Self::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Self::Map(fields) => {
                f.write_str("{")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Self::Temporal(t) => write!(f, "{}('{t}')", t.kind()),
        }
    }
}

impl TryFrom<&serde_json::Value> for PropertyValue {
    type Error = ValueError;
    fn try_from(json: &serde_json::Value) -> Result<Self, ValueError> {
        Self::from_json(json)
    }
}

impl TryFrom<&PropertyValue> for serde_json::Value {
    type Error = ValueError;
    fn try_from(value: &PropertyValue) -> Result<Self, ValueError> {
        value.to_json()
    }
}

impl From<bool> for PropertyValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<i64> for PropertyValue {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl From<f64> for PropertyValue {
    fn from(f: f64) -> Self {
        Self::Float(f)
    }
}

impl From<&str> for PropertyValue {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for PropertyValue {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn from(json: &serde_json::Value) -> Result<PropertyValue, ValueError> {
        PropertyValue::from_json(json)
    }

    #[test]
    fn json_numbers_keep_their_type_and_value() {
        assert_eq!(from(&json!(1)), Ok(PropertyValue::Int(1)));
        assert_eq!(from(&json!(1.0)), Ok(PropertyValue::Float(1.0)));
        assert_eq!(from(&json!(i64::MIN)), Ok(PropertyValue::Int(i64::MIN)));
        assert_eq!(from(&json!(i64::MAX)), Ok(PropertyValue::Int(i64::MAX)));
        let too_big = json!(9_223_372_036_854_775_808_u64);
        assert_eq!(
            from(&too_big),
            Err(ValueError::IntegerOutOfRange(
                "9223372036854775808".to_owned()
            ))
        );
        let parsed: serde_json::Value =
            serde_json::from_str("[2.5e3, -0.0, 1e-320]").unwrap_or_default();
        assert_eq!(
            from(&parsed),
            Ok(PropertyValue::List(vec![
                PropertyValue::Float(2500.0),
                PropertyValue::Float(-0.0),
                PropertyValue::Float(1e-320),
            ]))
        );
    }

    #[test]
    fn json_round_trip() {
        let doc = json!({"a": [null, true, -7, 0.5, "x\u{0}y"], "b": {"c": 1.0}, "": []});
        let value = from(&doc);
        assert_eq!(value.as_ref().map(PropertyValue::type_name), Ok("MAP"));
        assert_eq!(value.and_then(|v| v.to_json()), Ok(doc));
    }

    #[test]
    fn values_display_as_literals() {
        let v =
            from(&json!({"a": [null, true, -7, 0.5, 2.0, "x\"y"]})).unwrap_or(PropertyValue::Null);
        assert_eq!(v.to_string(), r#"{a: [null, true, -7, 0.5, 2.0, "x\"y"]}"#);
        assert_eq!(PropertyValue::Float(1e300).to_string(), "1e300");
        assert_eq!(PropertyValue::Float(f64::NAN).to_string(), "NaN");
    }

    #[test]
    fn non_finite_floats_do_not_become_json() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let list = PropertyValue::List(vec![PropertyValue::Float(f)]);
            assert!(matches!(list.to_json(), Err(ValueError::NotFinite(_))));
        }
    }
}
