//! Scalar functions (aggregates are in `aggregate.rs`). Names are case-insensitive; a
//! `null` argument gives `null` unless the function says otherwise (`coalesce`, `size`...).

#![allow(
    clippy::cast_sign_loss,
    clippy::float_cmp,
    clippy::cast_precision_loss,
    reason = "lengths are checked non-negative first; a fraction of 0.5 is exact; 53-bit floats"
)]

use crate::error::{QueryError, Result};
use crate::eval::{Ctx, properties_of};
use crate::value::Value;

fn arity(name: &str, args: &[Value], n: usize) -> Result<()> {
    if args.len() == n {
        Ok(())
    } else {
        Err(QueryError::Semantic {
            code: "InvalidNumberOfArguments",
            message: format!("{name}() takes {n} argument(s), got {}", args.len()),
        })
    }
}

fn bad(name: &str, v: &Value) -> QueryError {
    QueryError::Type(format!(
        "{name}() does not take {} {}",
        if matches!(v.type_name().as_bytes()[0], b'I') {
            "an"
        } else {
            "a"
        },
        v.type_name()
    ))
}

/// A float as openCypher prints it: always with a fraction or exponent (`1.0`, `1.5e-7`).
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let s = format!("{f:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// `toString` of a number, string or boolean.
pub fn to_string_value(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float_text(*f),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn int_arg(name: &str, v: &Value) -> Result<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        Value::Int(i) => Ok(Some(*i)),
        other => Err(bad(name, other)),
    }
}

#[allow(
    clippy::cast_precision_loss,
    reason = "numbers given as integers to float functions"
)]
fn float_arg(name: &str, v: &Value) -> Result<Option<f64>> {
    match v {
        Value::Null => Ok(None),
        Value::Int(i) => Ok(Some(*i as f64)),
        Value::Float(f) => Ok(Some(*f)),
        other => Err(bad(name, other)),
    }
}

fn string_arg<'v>(name: &str, v: &'v Value) -> Result<Option<&'v str>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(bad(name, other)),
    }
}

/// Kùzu's `CAST(value AS type)` (also written `CAST(value, 'type')`) for the types that
/// have an openCypher counterpart: `STRING`; the integer types `INT64`, `INT32`, `INT16`,
/// `INT8`, `UINT64`, `UINT32`, `UINT16`, `UINT8`, `SERIAL` (a float is rounded to the
/// nearest integer, half away from zero; a value out of the type's range is an error);
/// `DOUBLE` and `FLOAT`; `BOOLEAN` / `BOOL`; and lists of them, `T[]`, or `T[n]` for a list
/// of exactly `n` items. `null` casts to `null`; a value that does not convert is an
/// argument error, a type this engine does not have (`DATE`, `TIMESTAMP`, ...) an
/// unsupported one.
fn cast(v: &Value, target: &str, ctx: &Ctx<'_>) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let failed = || QueryError::Argument(format!("cannot cast {} to {target}", v.type_name()));
    if let Some(inner) = target.strip_suffix(']') {
        let Some((element, len)) = inner.rsplit_once('[') else {
            return Err(QueryError::Unsupported(format!("cast to {target}")));
        };
        let Value::List(items) = v else {
            return Err(failed());
        };
        if !len.trim().is_empty() && len.trim().parse::<usize>().ok() != Some(items.len()) {
            return Err(QueryError::Argument(format!(
                "cannot cast a list of {} items to {target}",
                items.len()
            )));
        }
        let element = element.trim();
        return Ok(Value::List(
            items
                .iter()
                .map(|x| cast(x, element, ctx))
                .collect::<Result<_>>()?,
        ));
    }
    let one = |f: &str, x: Value| call(&[f.to_string()], vec![x], ctx);
    let range: Option<(i64, i64)> = match target {
        "INT64" | "INT" | "INTEGER" | "SERIAL" | "UINT64" => Some((i64::MIN, i64::MAX)),
        "INT32" => Some((i32::MIN.into(), i32::MAX.into())),
        "INT16" => Some((i16::MIN.into(), i16::MAX.into())),
        "INT8" => Some((i8::MIN.into(), i8::MAX.into())),
        "UINT32" => Some((0, u32::MAX.into())),
        "UINT16" => Some((0, u16::MAX.into())),
        "UINT8" => Some((0, u8::MAX.into())),
        _ => None,
    };
    let out = if let Some((lo, hi)) = range {
        let x = match v {
            Value::Float(f) => Value::Float(f.round()),
            Value::Bool(_) => return Err(failed()),
            other => other.clone(),
        };
        let low = if target == "UINT64" { 0 } else { lo };
        match one("tointeger", x)? {
            Value::Int(i) if (low..=hi).contains(&i) => Value::Int(i),
            _ => return Err(failed()),
        }
    } else {
        match target {
            "STRING" => match v {
                Value::List(_) | Value::Map(_) => return Err(failed()),
                other => one("tostring", other.clone())?,
            },
            "DOUBLE" | "FLOAT" => match v {
                Value::Bool(_) => return Err(failed()),
                other => one("tofloat", other.clone())?,
            },
            "BOOLEAN" | "BOOL" => match v {
                Value::Int(_) | Value::Float(_) => return Err(failed()),
                other => one("toboolean", other.clone())?,
            },
            _ => return Err(QueryError::Unsupported(format!("cast to {target}"))),
        }
    };
    if out.is_null() {
        return Err(failed());
    }
    Ok(out)
}

/// A relationship's type, also of one the running query deleted; `null` for one that
/// does not exist.
fn rel_type(id: pagegraph::EdgeId, ctx: &Ctx<'_>) -> Result<Value> {
    Ok(match ctx.graph.rel(id)? {
        Some(r) => Value::String(r.edge_type),
        None => ctx
            .graph
            .deleted_rel_type(id)
            .map_or(Value::Null, Value::String),
    })
}

/// The numbers of a vector argument (a list of numbers); `None` for `null` or for a list
/// holding a `null`.
fn vector_arg(name: &str, v: &Value) -> Result<Option<Vec<f64>>> {
    match v {
        Value::Null => Ok(None),
        Value::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for x in items {
                match float_arg(name, x)? {
                    Some(f) => out.push(f),
                    None => return Ok(None),
                }
            }
            Ok(Some(out))
        }
        other => Err(bad(name, other)),
    }
}

/// The vector functions of Kùzu (`array_cosine_similarity`, `array_inner_product` or
/// `array_dot_product`, `array_distance`, `array_squared_distance`) and of Neo4j
/// (`vector.similarity.cosine`, `(1 + cosine) / 2`, and `vector.similarity.euclidean`,
/// `1 / (1 + squared distance)`) on two lists of numbers of the same length. A `null`
/// argument or element gives `null`, and so does a cosine with a zero vector.
fn vector_fn(name: &str, args: &[Value]) -> Result<Value> {
    arity(name, args, 2)?;
    let (Some(x), Some(y)) = (vector_arg(name, &args[0])?, vector_arg(name, &args[1])?) else {
        return Ok(Value::Null);
    };
    if x.len() != y.len() {
        return Err(QueryError::Argument(format!(
            "{name}() takes two vectors of the same length, got {} and {}",
            x.len(),
            y.len()
        )));
    }
    let dot: f64 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
    let squared: f64 = x.iter().zip(&y).map(|(a, b)| (a - b) * (a - b)).sum();
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let norms = norm(&x) * norm(&y);
    let cosine = (norms > 0.0).then(|| (dot / norms).clamp(-1.0, 1.0));
    Ok(match name {
        "array_cosine_similarity" => cosine.map_or(Value::Null, Value::Float),
        "vector.similarity.cosine" => {
            cosine.map_or(Value::Null, |c| Value::Float(f64::midpoint(1.0, c)))
        }
        "array_inner_product" | "array_dot_product" => Value::Float(dot),
        "array_distance" => Value::Float(squared.sqrt()),
        "array_squared_distance" => Value::Float(squared),
        _ => Value::Float(1.0 / (1.0 + squared)),
    })
}

/// The scalar functions, by lower-case name.
const KNOWN: [&str; 80] = [
    "label",
    "cast",
    "lower",
    "upper",
    "array_cosine_similarity",
    "array_inner_product",
    "array_dot_product",
    "array_distance",
    "array_squared_distance",
    "vector.similarity.cosine",
    "vector.similarity.euclidean",
    "coalesce",
    "id",
    "elementid",
    "labels",
    "type",
    "properties",
    "keys",
    "startnode",
    "endnode",
    "nodes",
    "relationships",
    "rels",
    "length",
    "size",
    "head",
    "last",
    "tail",
    "reverse",
    "range",
    "tointeger",
    "tofloat",
    "tostring",
    "toboolean",
    "tolower",
    "toupper",
    "trim",
    "ltrim",
    "rtrim",
    "substring",
    "left",
    "right",
    "replace",
    "split",
    "abs",
    "sign",
    "ceil",
    "floor",
    "round",
    "sqrt",
    "exp",
    "log",
    "log10",
    "sin",
    "cos",
    "tan",
    "cot",
    "asin",
    "acos",
    "atan",
    "degrees",
    "radians",
    "haversin",
    "atan2",
    "pi",
    "e",
    "rand",
    "exists",
    "isempty",
    "timestamp",
    "current_timestamp",
    "current_date",
    "date",
    "time",
    "localtime",
    "datetime",
    "localdatetime",
    "duration",
    "tointegerornull",
    "tofloatornull",
];

/// Whether a (lower-case) name is a scalar function, known at compile time.
pub fn known(name: &str) -> bool {
    KNOWN.contains(&name)
}

/// Calls the scalar function `name` (dotted parts) on evaluated arguments.
#[allow(clippy::too_many_lines, reason = "one arm per function")]
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    reason = "openCypher's numeric conversions"
)]
pub fn call(name: &[String], args: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value> {
    let full = name.join(".");
    let lower = full.to_ascii_lowercase();
    let n = lower.as_str();
    let a = &args;
    let float_fn = |f: fn(f64) -> f64| -> Result<Value> {
        arity(n, a, 1)?;
        Ok(float_arg(n, &a[0])?.map_or(Value::Null, |x| Value::Float(f(x))))
    };
    Ok(match n {
        "coalesce" => args
            .into_iter()
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null),
        "id" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Node(id) => Value::Int(id.0 as i64),
                Value::Rel(id) => Value::Int(id.0 as i64),
                other => return Err(bad(n, other)),
            }
        }
        "elementid" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Node(id) => Value::String(format!("n{}", id.0)),
                Value::Rel(id) => Value::String(format!("r{}", id.0)),
                other => return Err(bad(n, other)),
            }
        }
        "labels" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Node(id) => Value::List(
                    ctx.graph
                        .node_labels(*id)?
                        .unwrap_or_default()
                        .into_iter()
                        .map(Value::String)
                        .collect(),
                ),
                other => return Err(bad(n, other)),
            }
        }
        "label" => {
            // Kùzu's label(): a node's (first) label, a relationship's type.
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Node(id) => ctx
                    .graph
                    .node(*id)?
                    .and_then(|n| n.labels.into_iter().next())
                    .map_or(Value::Null, Value::String),
                Value::Rel(id) => rel_type(*id, ctx)?,
                other => return Err(bad(n, other)),
            }
        }
        "type" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Rel(id) => rel_type(*id, ctx)?,
                other => return Err(bad(n, other)),
            }
        }
        "properties" => {
            arity(n, a, 1)?;
            properties_of(&a[0], ctx)?
        }
        "keys" => {
            arity(n, a, 1)?;
            match properties_of(&a[0], ctx)? {
                Value::Map(m) => Value::List(
                    m.into_iter()
                        .filter(|(_, v)| !v.is_null() || matches!(a[0], Value::Map(_)))
                        .map(|(k, _)| Value::String(k))
                        .collect(),
                ),
                other => other,
            }
        }
        "startnode" | "endnode" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Rel(id) => ctx.graph.rel(*id)?.map_or(Value::Null, |r| {
                    Value::Node(if n == "startnode" { r.from } else { r.to })
                }),
                other => return Err(bad(n, other)),
            }
        }
        // `rels` is Kùzu's name of `relationships`.
        "nodes" | "relationships" | "rels" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Path(p) => {
                    if n == "nodes" {
                        Value::List(p.nodes.iter().map(|&x| Value::Node(x)).collect())
                    } else {
                        Value::List(p.rels.iter().map(|&x| Value::Rel(x)).collect())
                    }
                }
                other => return Err(bad(n, other)),
            }
        }
        "length" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Path(p) => Value::Int(p.rels.len() as i64),
                other => return Err(bad(n, other)),
            }
        }
        "size" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::List(l) => Value::Int(l.len() as i64),
                Value::String(s) => Value::Int(s.chars().count() as i64),
                other => return Err(bad(n, other)),
            }
        }
        "head" | "last" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::List(l) => (if n == "head" { l.first() } else { l.last() })
                    .cloned()
                    .unwrap_or(Value::Null),
                other => return Err(bad(n, other)),
            }
        }
        "tail" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::List(l) => Value::List(l.iter().skip(1).cloned().collect()),
                other => return Err(bad(n, other)),
            }
        }
        "reverse" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::List(l) => Value::List(l.iter().rev().cloned().collect()),
                Value::String(s) => Value::String(s.chars().rev().collect()),
                other => return Err(bad(n, other)),
            }
        }
        "range" => {
            if !(2..=3).contains(&a.len()) {
                return Err(QueryError::Semantic {
                    code: "InvalidNumberOfArguments",
                    message: "range() takes 2 or 3 arguments".into(),
                });
            }
            // A bound of another type is an argument error (openCypher's ArgumentError).
            let int = |v: &Value| int_arg(n, v).map_err(|e| QueryError::Argument(e.to_string()));
            let (Some(start), Some(end)) = (int(&a[0])?, int(&a[1])?) else {
                return Ok(Value::Null);
            };
            let step = match a.get(2) {
                Some(s) => match int(s)? {
                    Some(s) => s,
                    None => return Ok(Value::Null),
                },
                None => 1,
            };
            if step == 0 {
                return Err(QueryError::Argument("range() step must not be zero".into()));
            }
            let count = if (step > 0 && end < start) || (step < 0 && end > start) {
                0
            } else {
                (i128::from(end) - i128::from(start)) / i128::from(step) + 1
            };
            if count > 100_000_000 {
                return Err(QueryError::Argument(format!(
                    "range() of {count} elements is too long"
                )));
            }
            ctx.budget
                .check((count as usize).saturating_mul(size_of::<Value>()))?;
            let mut out = Vec::with_capacity(count as usize);
            let mut x = i128::from(start);
            for _ in 0..count {
                out.push(Value::Int(x as i64));
                x += i128::from(step);
            }
            Value::List(out)
        }
        "tointeger" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Int(i) => Value::Int(*i),
                Value::Float(f) => {
                    if f.is_finite() && f.abs() < 9.223_372_036_854_775e18 {
                        Value::Int(f.trunc() as i64)
                    } else {
                        Value::Null
                    }
                }
                Value::String(s) => parse_int(s.trim()).map_or(Value::Null, Value::Int),
                Value::Bool(b) => Value::Int(i64::from(*b)),
                other => return Err(bad(n, other)),
            }
        }
        "tofloat" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Int(i) => Value::Float(*i as f64),
                Value::Float(f) => Value::Float(*f),
                Value::String(s) => s.trim().parse::<f64>().map_or(Value::Null, Value::Float),
                other => return Err(bad(n, other)),
            }
        }
        "tostring" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                v @ (Value::Int(_) | Value::Float(_) | Value::String(_) | Value::Bool(_)) => {
                    Value::String(to_string_value(v))
                }
                Value::Temporal(t) => Value::String(t.to_string()),
                other => return Err(bad(n, other)),
            }
        }
        "toboolean" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Bool(b) => Value::Bool(*b),
                Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => Value::Null,
                },
                Value::Int(i) => Value::Bool(*i != 0),
                other => return Err(bad(n, other)),
            }
        }
        "tolower" | "toupper" | "lower" | "upper" | "trim" | "ltrim" | "rtrim" => {
            arity(n, a, 1)?;
            match string_arg(n, &a[0])? {
                None => Value::Null,
                Some(s) => Value::String(match n {
                    "tolower" | "lower" => s.to_lowercase(),
                    "toupper" | "upper" => s.to_uppercase(),
                    "trim" => s.trim().to_string(),
                    "ltrim" => s.trim_start().to_string(),
                    _ => s.trim_end().to_string(),
                }),
            }
        }
        "substring" => {
            if !(2..=3).contains(&a.len()) {
                return Err(QueryError::Semantic {
                    code: "InvalidNumberOfArguments",
                    message: "substring() takes 2 or 3 arguments".into(),
                });
            }
            let Some(s) = string_arg(n, &a[0])? else {
                return Ok(Value::Null);
            };
            let Some(start) = int_arg(n, &a[1])? else {
                return Ok(Value::Null);
            };
            let len = match a.get(2) {
                Some(l) => match int_arg(n, l)? {
                    Some(l) => Some(l),
                    None => return Ok(Value::Null),
                },
                None => None,
            };
            if start < 0 || len.is_some_and(|l| l < 0) {
                return Err(QueryError::Argument(
                    "substring() takes non-negative start and length".into(),
                ));
            }
            let chars = s.chars().skip(start as usize);
            Value::String(match len {
                Some(l) => chars.take(l as usize).collect(),
                None => chars.collect(),
            })
        }
        "left" | "right" => {
            arity(n, a, 2)?;
            let Some(s) = string_arg(n, &a[0])? else {
                return Ok(Value::Null);
            };
            let Some(k) = int_arg(n, &a[1])? else {
                return Err(QueryError::Argument(format!("{n}() needs a length")));
            };
            if k < 0 {
                return Err(QueryError::Argument(format!(
                    "{n}() takes a non-negative length"
                )));
            }
            let count = s.chars().count();
            let k = (k as usize).min(count);
            Value::String(if n == "left" {
                s.chars().take(k).collect()
            } else {
                s.chars().skip(count - k).collect()
            })
        }
        "replace" => {
            arity(n, a, 3)?;
            match (
                string_arg(n, &a[0])?,
                string_arg(n, &a[1])?,
                string_arg(n, &a[2])?,
            ) {
                (Some(s), Some(from), Some(to)) => {
                    // At most one replacement per `from` (per character when it is empty).
                    let most = s.len() / from.len().max(1) + 1;
                    ctx.budget
                        .check(s.len().saturating_add(most.saturating_mul(to.len())))?;
                    Value::String(s.replace(from, to))
                }
                _ => Value::Null,
            }
        }
        "split" => {
            arity(n, a, 2)?;
            match (string_arg(n, &a[0])?, string_arg(n, &a[1])?) {
                (Some(s), Some(sep)) => Value::List(if sep.is_empty() {
                    ctx.budget
                        .check(s.len().saturating_mul(2 * size_of::<Value>()))?;
                    s.chars().map(|c| Value::String(c.to_string())).collect()
                } else {
                    s.split(sep).map(|p| Value::String(p.to_string())).collect()
                }),
                _ => Value::Null,
            }
        }
        "abs" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Int(i) => Value::Int(
                    i.checked_abs()
                        .ok_or_else(|| QueryError::Arithmetic(format!("abs({i}) overflows")))?,
                ),
                Value::Float(f) => Value::Float(f.abs()),
                other => return Err(bad(n, other)),
            }
        }
        "sign" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::Int(i) => Value::Int(i.signum()),
                Value::Float(f) => Value::Int(if *f > 0.0 {
                    1
                } else if *f < 0.0 {
                    -1
                } else {
                    0
                }),
                other => return Err(bad(n, other)),
            }
        }
        "ceil" => float_fn(f64::ceil)?,
        "floor" => float_fn(f64::floor)?,
        // Half up (towards +infinity), as Java's Math.round: round(-1.5) is -1.0.
        "round" if a.len() == 2 => {
            // round(x, precision): to `precision` decimal places, half away from zero.
            let (Some(x), p) = (float_arg(n, &a[0])?, &a[1]) else {
                return Ok(Value::Null);
            };
            match p {
                Value::Null => Value::Null,
                Value::Int(p) => {
                    let scale = 10f64.powi(i32::try_from((*p).clamp(-400, 400)).unwrap_or(0));
                    let scaled = x * scale;
                    Value::Float(if scale.is_infinite() || !scaled.is_finite() {
                        x
                    } else if scale.is_normal() {
                        scaled.round() / scale
                    } else {
                        0.0 * x.signum()
                    })
                }
                other => return Err(bad(n, other)),
            }
        }
        "round" => float_fn(|x| {
            if x.fract().abs() == 0.5 {
                (x + 0.5).floor()
            } else {
                x.round()
            }
        })?,
        "cast" => {
            arity(n, a, 2)?;
            let Value::String(target) = &a[1] else {
                return Err(QueryError::Type(format!(
                    "cast() takes a type name as a string, not {}",
                    a[1].type_name()
                )));
            };
            cast(&a[0], &target.trim().to_ascii_uppercase(), ctx)?
        }
        "array_cosine_similarity"
        | "array_inner_product"
        | "array_dot_product"
        | "array_distance"
        | "array_squared_distance"
        | "vector.similarity.cosine"
        | "vector.similarity.euclidean" => vector_fn(n, a)?,
        "sqrt" => float_fn(f64::sqrt)?,
        "exp" => float_fn(f64::exp)?,
        "log" => float_fn(f64::ln)?,
        "log10" => float_fn(f64::log10)?,
        "sin" => float_fn(f64::sin)?,
        "cos" => float_fn(f64::cos)?,
        "tan" => float_fn(f64::tan)?,
        "cot" => float_fn(|x| 1.0 / x.tan())?,
        "asin" => float_fn(f64::asin)?,
        "acos" => float_fn(f64::acos)?,
        "atan" => float_fn(f64::atan)?,
        "degrees" => float_fn(f64::to_degrees)?,
        "radians" => float_fn(f64::to_radians)?,
        "haversin" => float_fn(|x| (1.0 - x.cos()) / 2.0)?,
        "atan2" => {
            arity(n, a, 2)?;
            match (float_arg(n, &a[0])?, float_arg(n, &a[1])?) {
                (Some(y), Some(x)) => Value::Float(y.atan2(x)),
                _ => Value::Null,
            }
        }
        "pi" => {
            arity(n, a, 0)?;
            Value::Float(std::f64::consts::PI)
        }
        "e" => {
            arity(n, a, 0)?;
            Value::Float(std::f64::consts::E)
        }
        "rand" => {
            arity(n, a, 0)?;
            Value::Float(fastrand_f64())
        }
        "exists" => {
            arity(n, a, 1)?;
            Value::Bool(!a[0].is_null())
        }
        "isempty" => {
            arity(n, a, 1)?;
            match &a[0] {
                Value::Null => Value::Null,
                Value::List(l) => Value::Bool(l.is_empty()),
                Value::String(s) => Value::Bool(s.is_empty()),
                Value::Map(m) => Value::Bool(m.is_empty()),
                other => return Err(bad(n, other)),
            }
        }
        "date" | "time" | "localtime" | "datetime" | "localdatetime" | "duration" => {
            crate::temporal::construct(n, a)?
        }
        // Kùzu's: `timestamp('2024-03-01 09:00:00')` is a UTC datetime, and the current
        // time and date.
        "timestamp" if a.len() == 1 => crate::temporal::kuzu_timestamp(&a[0])?,
        "current_timestamp" => {
            arity(n, a, 0)?;
            crate::temporal::construct("datetime", &[])?
        }
        "current_date" => {
            arity(n, a, 0)?;
            crate::temporal::construct("date", &[])?
        }
        "timestamp" => {
            arity(n, a, 0)?;
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            Value::Int(i64::try_from(ms).unwrap_or(i64::MAX))
        }
        _ => {
            return Err(QueryError::Semantic {
                code: "UnknownFunction",
                message: format!("unknown function {full}()"),
            });
        }
    })
}

/// A decimal, `0x` or `0o` integer.
fn parse_int(s: &str) -> Option<i64> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(i);
    }
    // "1.5" -> 1, as toInteger('1.5') is 1.
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && f.abs() < 9.2e18)
        .map(|f| f.trunc() as i64)
}

/// A uniform float in [0, 1) from a small thread-local generator (not for cryptography).
fn fastrand_f64() -> f64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64 | 1),
        );
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}
