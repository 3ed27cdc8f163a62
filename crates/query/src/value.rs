//! Values of the query language: the property values, plus nodes, relationships and paths,
//! with openCypher equality, comparison and ordering over all of them.
//!
//! Property values compare as [`pagegraph::value`] defines (integers and floats exactly,
//! NaN unordered); graph elements are equal when their ids are, and order by id. The
//! orderability of type groups (`ORDER BY` over mixed types) is openCypher's: maps < nodes <
//! relationships < lists < paths < temporal values < strings < booleans < numbers < null.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use pagegraph::value::{self as pv, Temporal};
use pagegraph::{EdgeId, NodeId, PropertyValue};

/// A path: nodes and the relationships between them (`rels.len() + 1 == nodes.len()`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path {
    /// The nodes, in order.
    pub nodes: Vec<NodeId>,
    /// The relationships, in order.
    pub rels: Vec<EdgeId>,
}

/// A value of the query language.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A string.
    String(String),
    /// A list.
    List(Vec<Value>),
    /// A map (sorted by key).
    Map(BTreeMap<String, Value>),
    /// A node.
    Node(NodeId),
    /// A relationship.
    Rel(EdgeId),
    /// A path.
    Path(Box<Path>),
    /// A date, time, datetime or duration ([`pagegraph::value::Temporal`]).
    Temporal(Temporal),
}

impl Value {
    /// The openCypher name of the value's type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Bool(_) => "BOOLEAN",
            Value::Int(_) => "INTEGER",
            Value::Float(_) => "FLOAT",
            Value::String(_) => "STRING",
            Value::List(_) => "LIST",
            Value::Map(_) => "MAP",
            Value::Node(_) => "NODE",
            Value::Rel(_) => "RELATIONSHIP",
            Value::Path(_) => "PATH",
            Value::Temporal(t) => t.type_name(),
        }
    }

    /// The value as a property value, if it is one (no graph elements inside).
    pub fn to_property(&self) -> Option<PropertyValue> {
        Some(match self {
            Value::Null => PropertyValue::Null,
            Value::Bool(b) => PropertyValue::Bool(*b),
            Value::Int(i) => PropertyValue::Int(*i),
            Value::Float(f) => PropertyValue::Float(*f),
            Value::String(s) => PropertyValue::String(s.clone()),
            Value::List(items) => PropertyValue::List(
                items
                    .iter()
                    .map(Value::to_property)
                    .collect::<Option<_>>()?,
            ),
            Value::Map(m) => PropertyValue::Map(
                m.iter()
                    .map(|(k, v)| Some((k.clone(), v.to_property()?)))
                    .collect::<Option<_>>()?,
            ),
            Value::Temporal(t) => PropertyValue::Temporal(*t),
            Value::Node(_) | Value::Rel(_) | Value::Path(_) => return None,
        })
    }

    /// Whether the value is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl From<PropertyValue> for Value {
    fn from(v: PropertyValue) -> Value {
        match v {
            PropertyValue::Null => Value::Null,
            PropertyValue::Bool(b) => Value::Bool(b),
            PropertyValue::Int(i) => Value::Int(i),
            PropertyValue::Float(f) => Value::Float(f),
            PropertyValue::String(s) => Value::String(s),
            PropertyValue::List(items) => Value::List(items.into_iter().map(Value::from).collect()),
            PropertyValue::Temporal(t) => Value::Temporal(t),
            PropertyValue::Map(m) => {
                Value::Map(m.into_iter().map(|(k, v)| (k, v.into())).collect())
            }
        }
    }
}

fn number(v: &Value) -> Option<PropertyValue> {
    match v {
        Value::Int(i) => Some(PropertyValue::Int(*i)),
        Value::Float(f) => Some(PropertyValue::Float(*f)),
        _ => None,
    }
}

/// openCypher `a = b`: `None` for `null`.
pub fn equals(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        (Value::String(x), Value::String(y)) => Some(x == y),
        (Value::Node(x), Value::Node(y)) => Some(x == y),
        (Value::Rel(x), Value::Rel(y)) => Some(x == y),
        (Value::Path(x), Value::Path(y)) => Some(x == y),
        (Value::Temporal(x), Value::Temporal(y)) => Some(x == y),
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_equal(x.iter().zip(y))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.len() != y.len() || !x.keys().eq(y.keys()) {
                return Some(false);
            }
            all_equal(x.values().zip(y.values()))
        }
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => pv::equals(&x, &y),
            _ => Some(false),
        },
    }
}

fn all_equal<'a>(pairs: impl Iterator<Item = (&'a Value, &'a Value)>) -> Option<bool> {
    let mut unknown = false;
    for (x, y) in pairs {
        match equals(x, y) {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

/// openCypher comparison for `<`, `<=`, `>`, `>=`: `None` when incomparable (mixed types,
/// maps, graph elements, null).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Temporal(x), Value::Temporal(y)) => x.compare(y),
        (Value::List(x), Value::List(y)) => {
            for (p, q) in x.iter().zip(y) {
                match compare(p, q) {
                    Some(Ordering::Equal) => {}
                    other => {
                        // Equal-but-not-comparable pairs (nulls) make the result unknown.
                        if other.is_none() && equals(p, q) == Some(true) {
                            continue;
                        }
                        return other;
                    }
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => pv::compare(&x, &y),
            _ => None,
        },
    }
}

/// A comparison operator applied: `None` for null (incomparable), and false for any
/// inequality with NaN.
pub fn inequality(op: pv::Inequality, a: &Value, b: &Value) -> Option<bool> {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return pv::inequality(op, &x, &y);
    }
    compare(a, b).map(|o| op.holds(o))
}

/// `ORDER BY` order: a total order over all values.
pub fn order(a: &Value, b: &Value) -> Ordering {
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Node(x), Value::Node(y)) => x.cmp(y),
        (Value::Rel(x), Value::Rel(y)) => x.cmp(y),
        (Value::Path(x), Value::Path(y)) => x.cmp(y),
        (Value::Temporal(x), Value::Temporal(y)) => x.order(y),
        (Value::List(x), Value::List(y)) => x
            .iter()
            .zip(y)
            .map(|(p, q)| order(p, q))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        (Value::Map(x), Value::Map(y)) => x
            .iter()
            .zip(y)
            .map(|((kx, vx), (ky, vy))| kx.cmp(ky).then_with(|| order(vx, vy)))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => pv::order(&x, &y),
            _ => Ordering::Equal,
        },
    })
}

fn rank(v: &Value) -> u8 {
    match v {
        Value::Map(_) => 0,
        Value::Node(_) => 1,
        Value::Rel(_) => 2,
        Value::List(_) => 3,
        Value::Path(_) => 4,
        Value::Temporal(_) => 5,
        Value::String(_) => 6,
        Value::Bool(_) => 7,
        Value::Int(_) | Value::Float(_) => 8,
        Value::Null => 9,
    }
}

/// A key under which values that `DISTINCT`, grouping and `UNION` treat as the same are
/// equal: like equality, but `null` is the same as `null`, and `1` the same as `1.0`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKey {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number: an integer, or a float's bits (integral floats in range become integers).
    Int(i64),
    /// A float that is not an integer.
    Float(u64),
    /// A string.
    String(String),
    /// A list.
    List(Vec<GroupKey>),
    /// A map.
    Map(Vec<(String, GroupKey)>),
    /// A node.
    Node(u64),
    /// A relationship.
    Rel(u64),
    /// A path.
    Path(Vec<u64>, Vec<u64>),
    /// A temporal value.
    Temporal(Temporal),
}

impl GroupKey {
    /// The key of a value.
    pub fn of(v: &Value) -> GroupKey {
        match v {
            Value::Null => GroupKey::Null,
            Value::Bool(b) => GroupKey::Bool(*b),
            Value::Int(i) => GroupKey::Int(*i),
            #[allow(
                clippy::cast_precision_loss,
                clippy::float_cmp,
                reason = "checked to round-trip exactly"
            )]
            Value::Float(f) => {
                let i = *f as i64;
                if i as f64 == *f && f.fract() == 0.0 && f.abs() < 9.2e18 {
                    GroupKey::Int(i)
                } else if f.is_nan() {
                    GroupKey::Float(f64::NAN.to_bits())
                } else {
                    GroupKey::Float(f.to_bits())
                }
            }
            Value::String(s) => GroupKey::String(s.clone()),
            Value::Temporal(t) => GroupKey::Temporal(*t),
            Value::List(items) => GroupKey::List(items.iter().map(GroupKey::of).collect()),
            Value::Map(m) => GroupKey::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), GroupKey::of(v)))
                    .collect(),
            ),
            Value::Node(n) => GroupKey::Node(n.0),
            Value::Rel(r) => GroupKey::Rel(r.0),
            Value::Path(p) => GroupKey::Path(
                p.nodes.iter().map(|n| n.0).collect(),
                p.rels.iter().map(|r| r.0).collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_comparison_and_order_follow_opencypher() {
        let l = |v: Vec<Value>| Value::List(v);
        assert_eq!(equals(&Value::Int(1), &Value::Float(1.0)), Some(true));
        assert_eq!(
            equals(
                &l(vec![Value::Int(1), Value::Null]),
                &l(vec![Value::Int(1), Value::Int(2)])
            ),
            None
        );
        assert_eq!(
            equals(
                &l(vec![Value::Int(1)]),
                &l(vec![Value::Int(1), Value::Null])
            ),
            Some(false)
        );
        assert_eq!(
            equals(&Value::Node(NodeId(1)), &Value::Node(NodeId(1))),
            Some(true)
        );
        assert_eq!(compare(&Value::Int(1), &Value::String("a".into())), None);
        assert_eq!(
            inequality(pv::Inequality::Lt, &Value::Float(f64::NAN), &Value::Int(1)),
            Some(false)
        );
        let mut vs = [
            Value::Null,
            Value::Int(2),
            Value::String("a".into()),
            Value::Map(BTreeMap::new()),
            Value::Node(NodeId(3)),
            Value::Bool(true),
            l(vec![]),
        ];
        vs.sort_by(order);
        let names: Vec<&str> = vs.iter().map(Value::type_name).collect();
        assert_eq!(
            names,
            [
                "MAP", "NODE", "LIST", "STRING", "BOOLEAN", "INTEGER", "NULL"
            ]
        );
        assert_eq!(
            GroupKey::of(&Value::Int(1)),
            GroupKey::of(&Value::Float(1.0))
        );
        assert_ne!(
            GroupKey::of(&Value::Float(1.5)),
            GroupKey::of(&Value::Int(1))
        );
    }
}
