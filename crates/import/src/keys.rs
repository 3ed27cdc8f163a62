//! The external id of every imported node, kept as a property (`id` unless
//! `--id-property` says otherwise) under a unique constraint per label, and what it makes
//! possible: a re-run refused on its first duplicate, or with `--upsert` merged into the
//! nodes and edges it made before.
//!
//! A decimal id up to `i64::MAX` is stored as an integer, any other id as its text, so
//! `"7"` and `7` in a file are one id (as the id map already has them) and `--key
//! node.id=7` finds it. When a node's data already holds the property (as the export of an
//! imported graph does), that value is kept as the node's key instead.

use pagegraph::{
    Condition, DATA_PROPERTY, IndexSpec, IndexState, IndexTarget, NAME_PROPERTY, NodeId,
    PropertyValue, ReadTxn, WriteTxn,
};
use serde_json::Value;

use crate::error::{Context, ImportError, Result};
use crate::idmap::ExtId;
use crate::input::clip;

/// The property value of an external id (see the module doc).
pub fn ext_value(ext: &ExtId) -> PropertyValue {
    match ext {
        ExtId::Num(n) => match i64::try_from(*n) {
            Ok(i) => PropertyValue::Int(i),
            Err(_) => PropertyValue::String(n.to_string()),
        },
        ExtId::Text(s) => PropertyValue::String(s.to_string()),
    }
}

/// Checks a `--id-property` name: not empty, and not a property that maps to something
/// other than a data field (the name, or data that is not an object).
pub fn check_property(p: &str) -> Result<()> {
    if p.is_empty() {
        return Err(ImportError::Options(
            "--id-property must not be empty".into(),
        ));
    }
    if p == NAME_PROPERTY || p == DATA_PROPERTY {
        return Err(ImportError::Options(format!(
            "--id-property cannot be {p:?}: that property is the node's {}",
            if p == NAME_PROPERTY {
                "name"
            } else {
                "data when it is not a JSON object"
            }
        )));
    }
    Ok(())
}

/// The key a node's data holds itself, as the value of `prop` (a string, number or
/// boolean), if any; without one, the node's key is its external id's ([`ext_value`]),
/// added to its data as it is written ([`add_key`]). `Err` is why the line is bad.
pub fn own_key(data: &Value, prop: &str) -> Result<Option<PropertyValue>, String> {
    let own = match data {
        Value::Object(m) => m.get(prop).filter(|v| !v.is_null()),
        _ => None,
    };
    let Some(v) = own else {
        return Ok(None);
    };
    match PropertyValue::from_json(v) {
        Ok(
            key @ (PropertyValue::String(_)
            | PropertyValue::Int(_)
            | PropertyValue::Float(_)
            | PropertyValue::Bool(_)),
        ) => Ok(Some(key)),
        _ => Err(format!(
            "data field {:?} is the node's key (--id-property): it must be a string, a \
             number within 64 bits or a boolean",
            clip(prop)
        )),
    }
}

/// `data` with the key property `prop` set to `key` (an id's value: an integer or a
/// string): null data becomes `{prop: key}`, data that is not an object
/// `{"data": ..., prop: key}`.
pub fn add_key(data: Value, prop: &str, key: &PropertyValue) -> Value {
    let mut fields = match data {
        Value::Object(m) => m,
        Value::Null => serde_json::Map::new(),
        other => {
            let mut m = serde_json::Map::new();
            m.insert(DATA_PROPERTY.to_string(), other);
            m
        }
    };
    let json = match key {
        PropertyValue::Int(i) => Value::from(*i),
        PropertyValue::String(s) => Value::String(s.clone()),
        other => other.to_json().unwrap_or(Value::Null),
    };
    fields.insert(prop.to_string(), json);
    Value::Object(fields)
}

/// Makes sure `label` has the unique index on `prop` that keeps imported ids unique,
/// creating it in `tx` if it is missing; returns whether it held entries already (only
/// then can a node of this import collide with one that was there before).
pub fn ensure_index(tx: &mut WriteTxn, label: &str, prop: &str) -> Result<bool> {
    let target = IndexTarget::Label(label.to_string());
    let existing = tx
        .indexes()?
        .into_iter()
        .find(|i| i.target == target && i.properties.len() == 1 && i.properties[0] == prop);
    match existing {
        Some(i) if i.unique && i.state == IndexState::Ready => Ok(i.entries > 0),
        Some(i) => Err(ImportError::Options(format!(
            "index {} on :{}({}) is not a unique constraint, and the import keeps its ids \
             unique per label: drop it (pagegraph index drop) or choose another --id-property",
            i.name,
            clip(label),
            clip(prop)
        ))),
        None => {
            let info = tx
                .create_index(IndexSpec::on_label(label, prop).unique())
                .context_with(|| {
                    format!(
                        "creating the unique index on :{}({}) that keeps imported ids unique",
                        clip(label),
                        clip(prop)
                    )
                })?;
            Ok(info.entries > 0)
        }
    }
}

/// The node of `label` whose `prop` equals `key`, as the write transaction sees it.
pub fn node_with_key(
    tx: &WriteTxn,
    label: &str,
    prop: &str,
    key: &PropertyValue,
) -> Result<Option<NodeId>> {
    Ok(tx
        .nodes_where(label, prop, &Condition::Eq(key.clone()))?
        .next()
        .transpose()?)
}

/// As [`node_with_key`], in a snapshot.
pub fn node_with_key_in(
    r: &ReadTxn,
    label: &str,
    prop: &str,
    key: &PropertyValue,
) -> Result<Option<NodeId>> {
    Ok(r.nodes_where(label, prop, &Condition::Eq(key.clone()))?
        .next()
        .transpose()?)
}

/// Whether `label` has a ready index on `prop` that holds entries: then an endpoint can be
/// looked up by its key without reading every node of the label.
pub fn has_keys(r: &ReadTxn, label: &str, prop: &str) -> Result<bool> {
    let target = IndexTarget::Label(label.to_string());
    Ok(r.indexes()?.iter().any(|i| {
        i.target == target
            && i.properties.len() == 1
            && i.properties[0] == prop
            && i.state == IndexState::Ready
            && i.entries > 0
    }))
}

/// Folds a later line's edge data into an earlier one's, for `--upsert`'s one edge per
/// (from, to, type): object fields are added or replaced (a null field removes one), any
/// other data replaces what was there.
pub fn merge_data(into: &mut Option<Box<Value>>, later: Option<Box<Value>>) {
    let Some(later) = later else {
        return;
    };
    match (into.as_deref_mut(), *later) {
        (Some(Value::Object(old)), Value::Object(new)) => {
            for (k, v) in new {
                if v.is_null() {
                    old.remove(&k);
                } else {
                    old.insert(k, v);
                }
            }
        }
        (_, new) => *into = Some(Box::new(new)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_become_keys_in_the_data() {
        let n = ExtId::parse("7");
        let key = |data: Value, ext: &ExtId| match own_key(&data, "id").unwrap() {
            Some(k) => (data, k),
            None => (add_key(data, "id", &ext_value(ext)), ext_value(ext)),
        };
        assert_eq!(
            key(json!(null), &n),
            (json!({"id": 7}), PropertyValue::Int(7))
        );
        assert_eq!(
            key(json!({"a": 1}), &ExtId::parse("007")),
            (
                json!({"a": 1, "id": "007"}),
                PropertyValue::String("007".into())
            )
        );
        assert_eq!(key(json!([1]), &n).0, json!({"data": [1], "id": 7}));
        assert_eq!(key(json!({"id": null}), &n).0, json!({"id": 7}));
        assert_eq!(
            ext_value(&ExtId::parse("18446744073709551615")),
            PropertyValue::String("18446744073709551615".into())
        );
        // The data's own value is kept as the key.
        assert_eq!(
            key(json!({"id": "ann"}), &n),
            (json!({"id": "ann"}), PropertyValue::String("ann".into()))
        );
        assert!(own_key(&json!({"id": [1]}), "id").is_err());
        assert!(check_property("name").is_err());
        assert!(check_property("").is_err());
        assert!(check_property("ext_id").is_ok());
    }

    #[test]
    fn later_edge_data_is_folded_in() {
        let mut d = Some(Box::new(json!({"a": 1, "b": 2})));
        merge_data(&mut d, Some(Box::new(json!({"b": null, "c": 3}))));
        assert_eq!(d.as_deref(), Some(&json!({"a": 1, "c": 3})));
        merge_data(&mut d, None);
        assert_eq!(d.as_deref(), Some(&json!({"a": 1, "c": 3})));
        merge_data(&mut d, Some(Box::new(json!(5))));
        assert_eq!(d.as_deref(), Some(&json!(5)));
        let mut none = None;
        merge_data(&mut none, Some(Box::new(json!({"w": 1}))));
        assert_eq!(none.as_deref(), Some(&json!({"w": 1})));
    }
}
