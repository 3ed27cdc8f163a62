//! The two views of a node or an edge, and the one mapping between them.
//!
//! The graph API began with nodes of a *kind*, a *name* and JSON *data*; openCypher sees
//! *labels* and *properties*. Both views read and write the same records:
//!
//! | record | labels/properties view |
//! |---|---|
//! | kind | the first label (`""` when the node has no label) |
//! | more labels | the other labels, in the order they were added |
//! | name (non-empty) | the string property `name` |
//! | data, a JSON object | one property per field whose value is not `null` |
//! | data, `null` | no more properties |
//! | data, any other JSON value | the one property `data` |
//!
//! Writing properties: a `name` property that is a non-empty string becomes the record's
//! name (so the name index serves it); every other property, and `name` when it is not a
//! non-empty string, is a field of the data object; no property gives `null` data. Null
//! properties are not stored (openCypher: setting a property to null removes it).
//!
//! Each view loses nothing through its own round trip: a node written as `NodeSpec` reads
//! back as the same `NodeSpec` (the record holds kind, name and data as given), and
//! properties written read back as the same properties. Two corners belong to one view
//! only, by construction: data that is not an object (`NodeSpec { data: json!(42), .. }`)
//! is the property `data` = 42, which written back through properties becomes the object
//! `{"data": 42}`; and a `NodeSpec` whose data object has a `name` field beside a non-empty
//! name shows the record's name as the property (the data field stays in the data).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{GraphError, Result};
use crate::value::{PropertyRef, PropertyValue};
use crate::{fields, record};

/// Properties of a node or an edge: names to values, sorted by name.
pub type Properties = BTreeMap<String, PropertyValue>;

/// The property a node's name is seen as.
pub const NAME_PROPERTY: &str = "name";

/// The property that data which is not a JSON object is seen as.
pub const DATA_PROPERTY: &str = "data";

/// The properties of a record with this name (empty for edges) and data.
pub(crate) fn to_properties(field: &'static str, name: &str, data: &Value) -> Result<Properties> {
    let mut out = Properties::new();
    let convert = |v: &Value| {
        PropertyValue::from_json(v).map_err(|e| GraphError::Invalid {
            field,
            reason: e.to_string(),
        })
    };
    match data {
        Value::Null => {}
        Value::Object(fields) => {
            for (k, v) in fields {
                if !v.is_null() {
                    out.insert(k.clone(), convert(v)?);
                }
            }
        }
        other => {
            out.insert(DATA_PROPERTY.to_string(), convert(other)?);
        }
    }
    if !name.is_empty() {
        out.insert(
            NAME_PROPERTY.to_string(),
            PropertyValue::String(name.to_string()),
        );
    }
    Ok(out)
}

/// One property of a record, without converting the others; `None` when absent or null.
pub(crate) fn property(
    field: &'static str,
    name: &str,
    data: &Value,
    key: &str,
) -> Result<Option<PropertyValue>> {
    if key == NAME_PROPERTY && !name.is_empty() {
        return Ok(Some(PropertyValue::String(name.to_string())));
    }
    match stored_field(data, key) {
        None => Ok(None),
        Some(v) => PropertyValue::from_json(v)
            .map(Some)
            .map_err(|e| GraphError::Invalid {
                field,
                reason: e.to_string(),
            }),
    }
}

/// The stored field behind property `key` of `data` (not the name), `None` when absent or
/// null.
fn stored_field<'v>(data: &'v Value, key: &str) -> Option<&'v Value> {
    match data {
        Value::Object(fields) => fields.get(key).filter(|v| !v.is_null()),
        Value::Null => None,
        other => (key == DATA_PROPERTY).then_some(other),
    }
}

/// Whether property `key` is certainly the same in two records (`(name, data)` each): the
/// same name, for `name`, and the same stored value. False may still be equal values (`1`
/// against `1.0`); callers then compare the values themselves.
pub(crate) fn same_property(a: (&str, &Value), b: (&str, &Value), key: &str) -> bool {
    (key != NAME_PROPERTY || a.0 == b.0) && stored_field(a.1, key) == stored_field(b.1, key)
}

/// The properties `keys` of a record with this name and stored data (JSON text), each as
/// [`property`] gives it, reading only those fields of the data (see `fields`). Damage is
/// reported naming the record `what` `id`, as `record::decode_data` does.
pub(crate) fn properties_in_data(
    field: &'static str,
    what: &'static str,
    id: impl std::fmt::Display,
    name: &str,
    data: &[u8],
    keys: &[&str],
) -> Result<Vec<Option<PropertyValue>>> {
    let mut refs = vec![None; keys.len()];
    property_refs_in_data(field, what, id, name, data, keys, &mut refs)?;
    Ok(refs
        .into_iter()
        .map(|r| {
            r.map(|r| match r {
                PropertyRef::Owned(v) => v,
                r => r.to_value(),
            })
        })
        .collect())
}

/// Calls `f` with `n` empty property slots, for [`property_refs_in_data`] to fill: an
/// array on the stack for up to eight, no longer than needed (scans of a few properties
/// make one per record, and each slot is cleared and dropped), else a vector.
pub(crate) fn with_ref_slots<'a, R>(
    n: usize,
    f: impl FnOnce(&mut [Option<PropertyRef<'a>>]) -> R,
) -> R {
    fn on_stack<'a, R, const N: usize>(
        n: usize,
        f: impl FnOnce(&mut [Option<PropertyRef<'a>>]) -> R,
    ) -> R {
        let mut stack: [Option<PropertyRef<'a>>; N] = [const { None }; N];
        match stack.get_mut(..n) {
            Some(slots) => f(slots),
            None => f(&mut vec![None; n]),
        }
    }
    match n {
        0..=2 => on_stack::<R, 2>(n, f),
        3..=4 => on_stack::<R, 4>(n, f),
        5..=8 => on_stack::<R, 8>(n, f),
        _ => f(&mut vec![None; n]),
    }
}

/// [`properties_in_data`] into `out` (`keys.len()` long, replacing what it held), with
/// strings borrowed from `name` and `data` where the data is flat (see `fields.rs`).
pub(crate) fn property_refs_in_data<'a>(
    field: &'static str,
    what: &'static str,
    id: impl std::fmt::Display,
    name: &'a str,
    data: &'a [u8],
    keys: &[&str],
    out: &mut [Option<PropertyRef<'a>>],
) -> Result<()> {
    debug_assert_eq!(out.len(), keys.len());
    if fields::flat_property_refs(data, keys, out).is_some() {
        for (key, v) in keys.iter().zip(out.iter_mut()) {
            if *key == NAME_PROPERTY && !name.is_empty() {
                *v = Some(PropertyRef::Str(name));
            } else if matches!(v, Some(PropertyRef::Null)) {
                *v = None;
            }
        }
        return Ok(());
    }
    let owned = properties_slowly(field, what, id, name, data, keys)?;
    for (slot, v) in out.iter_mut().zip(owned) {
        *slot = v.map(PropertyRef::from);
    }
    Ok(())
}

/// [`properties_in_data`] where the data is not flat (see `fields.rs`).
fn properties_slowly(
    field: &'static str,
    what: &'static str,
    id: impl std::fmt::Display,
    name: &str,
    data: &[u8],
    keys: &[&str],
) -> Result<Vec<Option<PropertyValue>>> {
    let Some(values) = fields::data_fields(what, &id, data, keys)? else {
        let data = record::decode_data(what, id, data)?;
        return keys
            .iter()
            .map(|k| property(field, name, &data, k))
            .collect();
    };
    keys.iter()
        .zip(values)
        .map(|(&key, v)| {
            if key == NAME_PROPERTY && !name.is_empty() {
                return Ok(Some(PropertyValue::String(name.to_string())));
            }
            let value = match v {
                None | Some(Value::Null) => return Ok(None),
                // The same conversion as `from_json`, without copying the string.
                Some(Value::String(s)) => Ok(PropertyValue::String(s)),
                Some(v) => PropertyValue::from_json(&v),
            };
            value.map(Some).map_err(|e| GraphError::Invalid {
                field,
                reason: e.to_string(),
            })
        })
        .collect()
}

/// The name and data that store `props` (see the module doc). `with_name` is false for
/// edges, which have no name: every property goes to the data.
pub(crate) fn from_properties(
    field: &'static str,
    mut props: Properties,
    with_name: bool,
) -> Result<(String, Value)> {
    let takes_name = with_name
        && matches!(props.get(NAME_PROPERTY), Some(PropertyValue::String(s)) if !s.is_empty());
    let name = match props.remove(NAME_PROPERTY) {
        Some(PropertyValue::String(s)) if takes_name => s,
        Some(other) => {
            props.insert(NAME_PROPERTY.to_string(), other);
            String::new()
        }
        None => String::new(),
    };
    props.retain(|_, v| !matches!(v, PropertyValue::Null));
    if props.is_empty() {
        return Ok((name, Value::Null));
    }
    let mut fields = serde_json::Map::new();
    for (k, v) in props {
        let json = v.to_json().map_err(|e| GraphError::Invalid {
            field,
            reason: format!("property {k}: {e}"),
        })?;
        fields.insert(k, json);
    }
    Ok((name, Value::Object(fields)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(pairs: &[(&str, PropertyValue)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn properties_round_trip_through_records() {
        let cases = [
            props(&[]),
            props(&[("name", "ada".into())]),
            props(&[("name", "".into())]),
            props(&[("name", 7i64.into())]),
            props(&[("data", 42i64.into()), ("x", 1.0f64.into())]),
            props(&[
                ("name", "n".into()),
                ("l", PropertyValue::List(vec![1i64.into(), "a".into()])),
                ("f", 1.0f64.into()),
                ("i", i64::MAX.into()),
            ]),
        ];
        for p in cases {
            let (name, data) = from_properties("node properties", p.clone(), true).unwrap();
            assert_eq!(to_properties("node data", &name, &data).unwrap(), p);
            for (k, v) in &p {
                assert_eq!(
                    property("node data", &name, &data, k).unwrap().as_ref(),
                    Some(v)
                );
            }
        }
    }

    #[test]
    fn node_spec_data_is_seen_as_documented() {
        let p = to_properties("node data", "a", &json!({"x": null, "y": [1]})).unwrap();
        assert_eq!(
            p,
            props(&[
                ("name", "a".into()),
                ("y", PropertyValue::List(vec![1i64.into()]))
            ])
        );
        let p = to_properties("node data", "", &json!(42)).unwrap();
        assert_eq!(p, props(&[("data", 42i64.into())]));
        assert_eq!(
            property("d", "", &json!(42), "data").unwrap(),
            Some(42i64.into())
        );
        assert!(to_properties("node data", "", &json!({"big": u64::MAX})).is_err());
        let nan = props(&[("x", f64::NAN.into())]);
        assert!(from_properties("node properties", nan, true).is_err());
        let (name, data) =
            from_properties("edge properties", props(&[("name", "x".into())]), false).unwrap();
        assert_eq!((name.as_str(), data), ("", json!({"name": "x"})));
    }
}
