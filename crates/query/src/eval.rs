//! Expression evaluation with openCypher semantics: three-valued logic, `null` propagation,
//! exact integer arithmetic with overflow errors, comparisons across numeric types, and the
//! list, map, string and graph-element operators.

#![allow(
    clippy::many_single_char_names,
    clippy::cast_sign_loss,
    reason = "operands read best as a, b, x, y; indexes are checked non-negative first"
)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use pagegraph::value::{Inequality, Temporal};

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, MapProjectionItem, Quantifier, Span, UnaryOp};
use crate::error::{QueryError, Result};
use crate::functions;
use crate::value::{Value, equals, inequality};

mod graph;

pub use graph::{GraphRead, NoGraph, PropertyFn, PropertySink, RelPropertyFn, RelPropertySink};

/// The variables of one row, innermost last (comprehension variables are pushed and
/// popped around their use).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// Names and values.
    pub vars: Vec<(String, Value)>,
}

impl Row {
    /// The value of a variable, the innermost binding first.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Whether a variable is bound.
    pub fn has(&self, name: &str) -> bool {
        self.vars.iter().any(|(n, _)| n == name)
    }

    /// Binds or rebinds a variable.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.vars.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.vars.push((name.to_string(), value)),
        }
    }
}

/// What evaluation needs besides the row.
pub struct Ctx<'a> {
    /// Query parameters.
    pub params: &'a BTreeMap<String, Value>,
    /// The graph.
    pub graph: &'a dyn GraphRead,
    /// Results of aggregate calls, by the call's span, while a group is projected.
    pub aggregates: Option<&'a HashMap<(usize, usize), Value>>,
    /// Set from another thread to stop the query: checked as rows are produced.
    pub cancel: Option<&'a AtomicBool>,
    /// The memory the query may hold (see [`crate::MemoryBudget`]).
    pub budget: &'a crate::MemoryBudget,
}

impl Ctx<'_> {
    /// `Err(Cancelled)` once the query's cancel flag is set.
    pub fn check_cancel(&self) -> Result<()> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(QueryError::Cancelled);
        }
        Ok(())
    }
}

/// The aggregating functions.
pub const AGGREGATES: [&str; 10] = [
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "collect",
    "stdev",
    "stdevp",
    "percentilecont",
    "percentiledisc",
];

/// Whether a call is an aggregate.
pub fn is_aggregate(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::CountStar => true,
        ExprKind::Call { name, .. } => {
            name.len() == 1 && AGGREGATES.contains(&name[0].to_ascii_lowercase().as_str())
        }
        _ => false,
    }
}

fn type_error(what: &str, v: &Value) -> QueryError {
    QueryError::Type(format!("{what}, got {} {}", article(v), v.type_name()))
}

fn article(v: &Value) -> &'static str {
    match v.type_name().as_bytes().first() {
        Some(b'I' | b'N') if !matches!(v, Value::Node(_) | Value::Null) => "an",
        _ => "a",
    }
}

fn truth(v: &Value, op: &str) -> Result<Option<bool>> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        other => Err(type_error(&format!("`{op}` needs booleans"), other)),
    }
}

fn from_truth(t: Option<bool>) -> Value {
    t.map_or(Value::Null, Value::Bool)
}

/// The value a literal writes.
pub(crate) fn literal(l: &Literal) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::Int(*i),
        Literal::Float(f) => Value::Float(*f),
        Literal::String(s) => Value::String(s.clone()),
    }
}

/// Evaluates an expression in a row.
pub fn eval(e: &Expr, row: &mut Row, ctx: &Ctx<'_>) -> Result<Value> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || eval_inner(e, row, ctx))
}

#[allow(clippy::too_many_lines, reason = "one arm per kind of expression")]
fn eval_inner(e: &Expr, row: &mut Row, ctx: &Ctx<'_>) -> Result<Value> {
    Ok(match &e.kind {
        ExprKind::Literal(l) => literal(l),
        ExprKind::Param(p) => ctx
            .params
            .get(p)
            .cloned()
            .ok_or_else(|| QueryError::MissingParameter(p.clone()))?,
        ExprKind::Var(v) => row.get(v).cloned().ok_or_else(|| QueryError::Semantic {
            code: "UndefinedVariable",
            message: format!("variable `{v}` is not defined"),
        })?,
        ExprKind::Property(target, key) => {
            let t = eval(target, row, ctx)?;
            property(&t, key, ctx)?
        }
        ExprKind::List(items) => Value::List(
            items
                .iter()
                .map(|i| eval(i, row, ctx))
                .collect::<Result<_>>()?,
        ),
        ExprKind::Map(entries) => {
            let mut m = BTreeMap::new();
            for (k, v) in entries {
                m.insert(k.clone(), eval(v, row, ctx)?);
            }
            Value::Map(m)
        }
        ExprKind::Index(target, index) => {
            let t = eval(target, row, ctx)?;
            let i = eval(index, row, ctx)?;
            index_value(&t, &i, ctx)?
        }
        ExprKind::Slice(target, from, to) => {
            let t = eval(target, row, ctx)?;
            let from = from.as_ref().map(|f| eval(f, row, ctx)).transpose()?;
            let to = to.as_ref().map(|t| eval(t, row, ctx)).transpose()?;
            slice(&t, from, to)?
        }
        ExprKind::Unary(op, inner) => {
            let v = eval(inner, row, ctx)?;
            match op {
                UnaryOp::Not => from_truth(truth(&v, "NOT")?.map(|b| !b)),
                UnaryOp::Plus => match v {
                    Value::Null | Value::Int(_) | Value::Float(_) => v,
                    other => return Err(type_error("unary `+` needs a number", &other)),
                },
                UnaryOp::Neg => match v {
                    Value::Null => Value::Null,
                    Value::Int(i) => Value::Int(i.checked_neg().ok_or_else(|| {
                        QueryError::Arithmetic(format!("-({i}) overflows 64 bits"))
                    })?),
                    Value::Float(f) => Value::Float(-f),
                    other => return Err(type_error("unary `-` needs a number", &other)),
                },
            }
        }
        ExprKind::Binary(op, a, b) => binary(*op, a, b, row, ctx)?,
        ExprKind::IsNull(inner, not) => {
            let v = eval(inner, row, ctx)?;
            Value::Bool(v.is_null() != *not)
        }
        ExprKind::HasLabels(target, labels) => match eval(target, row, ctx)? {
            Value::Null => Value::Null,
            Value::Node(id) => {
                let n = ctx.graph.node(id)?;
                let have = n.map(|n| n.labels).unwrap_or_default();
                Value::Bool(labels.iter().all(|l| have.contains(l)))
            }
            other => return Err(type_error("a label check needs a node", &other)),
        },
        ExprKind::Call {
            name,
            distinct: _,
            args,
        } => {
            if is_aggregate(e) {
                return aggregate_result(e.span, ctx);
            }
            // exists((a)-->(b)): whether the pattern has a match.
            if let [arg] = args.as_slice()
                && let ExprKind::Pattern(el) = &arg.kind
                && name.len() == 1
                && name[0].eq_ignore_ascii_case("exists")
            {
                return Ok(Value::Bool(crate::matcher::pattern_exists(el, row, ctx)?));
            }
            let values = args
                .iter()
                .map(|a| eval(a, row, ctx))
                .collect::<Result<Vec<_>>>()?;
            functions::call(name, values, ctx)?
        }
        ExprKind::CountStar => return aggregate_result(e.span, ctx),
        ExprKind::Case {
            subject,
            whens,
            otherwise,
        } => {
            let subject = subject.as_ref().map(|s| eval(s, row, ctx)).transpose()?;
            for (w, then) in whens {
                let wv = eval(w, row, ctx)?;
                let hit = match &subject {
                    Some(s) => equals(s, &wv) == Some(true),
                    None => matches!(wv, Value::Bool(true)),
                };
                if hit {
                    return eval(then, row, ctx);
                }
            }
            match otherwise {
                Some(o) => eval(o, row, ctx)?,
                None => Value::Null,
            }
        }
        ExprKind::ListComprehension {
            var,
            list,
            filter,
            map,
        } => {
            let items = match eval(list, row, ctx)? {
                Value::Null => return Ok(Value::Null),
                Value::List(items) => items,
                other => return Err(type_error("a list comprehension needs a list", &other)),
            };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                row.vars.push((var.clone(), item));
                let r = (|| -> Result<Option<Value>> {
                    if let Some(f) = filter
                        && !matches!(eval(f, row, ctx)?, Value::Bool(true))
                    {
                        return Ok(None);
                    }
                    match map {
                        Some(m) => Ok(Some(eval(m, row, ctx)?)),
                        None => Ok(row.vars.last().map(|(_, v)| v.clone())),
                    }
                })();
                row.vars.pop();
                if let Some(v) = r? {
                    out.push(v);
                }
            }
            Value::List(out)
        }
        ExprKind::Quantified {
            quantifier,
            var,
            list,
            filter,
        } => {
            let items = match eval(list, row, ctx)? {
                Value::Null => return Ok(Value::Null),
                Value::List(items) => items,
                other => return Err(type_error("a quantifier needs a list", &other)),
            };
            let (mut yes, mut unknown) = (0usize, 0usize);
            let n = items.len();
            for item in items {
                row.vars.push((var.clone(), item));
                let r = match filter {
                    Some(f) => eval(f, row, ctx),
                    None => Ok(Value::Bool(true)),
                };
                row.vars.pop();
                match r? {
                    Value::Bool(true) => yes += 1,
                    Value::Bool(false) => {}
                    Value::Null => unknown += 1,
                    other => {
                        return Err(type_error(
                            "a quantifier's predicate must be boolean",
                            &other,
                        ));
                    }
                }
            }
            let no = n - yes - unknown;
            from_truth(match quantifier {
                Quantifier::All => {
                    if no > 0 {
                        Some(false)
                    } else if unknown > 0 {
                        None
                    } else {
                        Some(true)
                    }
                }
                Quantifier::Any => {
                    if yes > 0 {
                        Some(true)
                    } else if unknown > 0 {
                        None
                    } else {
                        Some(false)
                    }
                }
                Quantifier::None => {
                    if yes > 0 {
                        Some(false)
                    } else if unknown > 0 {
                        None
                    } else {
                        Some(true)
                    }
                }
                Quantifier::Single => {
                    if yes > 1 {
                        Some(false)
                    } else if unknown > 0 {
                        None
                    } else {
                        Some(yes == 1)
                    }
                }
            })
        }
        ExprKind::Reduce {
            acc,
            init,
            var,
            list,
            expr,
        } => {
            let mut value = eval(init, row, ctx)?;
            let items = match eval(list, row, ctx)? {
                Value::Null => return Ok(Value::Null),
                Value::List(items) => items,
                other => return Err(type_error("reduce needs a list", &other)),
            };
            for item in items {
                row.vars.push((acc.clone(), value));
                row.vars.push((var.clone(), item));
                let r = eval(expr, row, ctx);
                row.vars.pop();
                row.vars.pop();
                value = r?;
            }
            value
        }
        ExprKind::MapProjection(target, items) => {
            let base = eval(target, row, ctx)?;
            let props: BTreeMap<String, Value> = match &base {
                Value::Null => return Ok(Value::Null),
                Value::Map(m) => m.clone(),
                Value::Node(_) | Value::Rel(_) => match properties_of(&base, ctx)? {
                    Value::Map(m) => m,
                    _ => BTreeMap::new(),
                },
                other => {
                    return Err(type_error(
                        "a map projection needs a map, node or relationship",
                        other,
                    ));
                }
            };
            let mut out = BTreeMap::new();
            for item in items {
                match item {
                    MapProjectionItem::All => out.extend(props.clone()),
                    MapProjectionItem::Property(k) => {
                        out.insert(k.clone(), props.get(k).cloned().unwrap_or(Value::Null));
                    }
                    MapProjectionItem::Literal(k, v) => {
                        out.insert(k.clone(), eval(v, row, ctx)?);
                    }
                    MapProjectionItem::Variable(k) => {
                        let v = row.get(k).cloned().ok_or_else(|| QueryError::Semantic {
                            code: "UndefinedVariable",
                            message: format!("variable `{k}` is not defined"),
                        })?;
                        out.insert(k.clone(), v);
                    }
                }
            }
            Value::Map(out)
        }
        ExprKind::Pattern(el) => Value::Bool(crate::matcher::pattern_exists(el, row, ctx)?),
        ExprKind::PatternComprehension {
            var,
            pattern,
            filter,
            map,
        } => {
            let part = crate::ast::PatternPart {
                var: var.clone(),
                shortest: None,
                element: (**pattern).clone(),
            };
            let mut out = Vec::new();
            for mut r in crate::matcher::match_parts(std::slice::from_ref(&part), row, ctx)? {
                if let Some(f) = filter
                    && !matches!(eval(f, &mut r, ctx)?, Value::Bool(true))
                {
                    continue;
                }
                out.push(eval(map, &mut r, ctx)?);
            }
            Value::List(out)
        }
        ExprKind::ExistsSubquery(q) => {
            // The simple form: one MATCH (with its WHERE).
            match (q.unions.is_empty(), q.first.clauses.as_slice()) {
                (
                    true,
                    [
                        crate::ast::Clause::Match {
                            optional: false,
                            pattern,
                            filter,
                        },
                    ],
                ) => {
                    // The first match that passes the WHERE answers.
                    let mut found = false;
                    let split = crate::plan::Filter::new(filter.as_ref());
                    crate::matcher::for_each_match(
                        pattern,
                        row.clone(),
                        &split,
                        ctx,
                        &mut |mut r| {
                            let keep = match filter {
                                Some(f) => matches!(eval(f, &mut r, ctx)?, Value::Bool(true)),
                                None => true,
                            };
                            found |= keep;
                            Ok(if keep {
                                crate::matcher::Flow::Stop
                            } else {
                                crate::matcher::Flow::More
                            })
                        },
                    )?;
                    Value::Bool(found)
                }
                _ => {
                    return Err(QueryError::Unsupported(
                        "EXISTS { } with more than one MATCH".into(),
                    ));
                }
            }
        }
    })
}

fn aggregate_result(span: Span, ctx: &Ctx<'_>) -> Result<Value> {
    ctx.aggregates
        .and_then(|a| a.get(&(span.start, span.end)))
        .cloned()
        .ok_or_else(|| QueryError::Semantic {
            code: "InvalidAggregation",
            message: "an aggregate function is used where no aggregation is possible".into(),
        })
}

/// `v.key`.
pub fn property(v: &Value, key: &str, ctx: &Ctx<'_>) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Map(m) => m.get(key).cloned().unwrap_or(Value::Null),
        Value::Node(id) => ctx
            .graph
            .node_property(*id, key)?
            .map_or(Value::Null, Value::from),
        Value::Rel(id) => ctx
            .graph
            .rel_property(*id, key)?
            .map_or(Value::Null, Value::from),
        Value::Temporal(t) => crate::temporal::field(t, key)?,
        other => {
            return Err(type_error(
                &format!("`.{key}` needs a map, node or relationship"),
                other,
            ));
        }
    })
}

/// The properties of a node, relationship or map, as a map.
pub fn properties_of(v: &Value, ctx: &Ctx<'_>) -> Result<Value> {
    let props = match v {
        Value::Null => return Ok(Value::Null),
        Value::Map(m) => return Ok(Value::Map(m.clone())),
        Value::Node(id) => ctx.graph.node(*id)?.map(|n| n.properties),
        Value::Rel(id) => ctx.graph.rel(*id)?.map(|r| r.properties),
        other => {
            return Err(type_error(
                "properties() needs a node, relationship or map",
                other,
            ));
        }
    };
    Ok(Value::Map(
        props
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, Value::from(v)))
            .collect(),
    ))
}

fn list_position(len: usize, i: i64) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let at = if i < 0 { len + i } else { i };
    (0..len).contains(&at).then_some(at as usize)
}

fn index_value(t: &Value, i: &Value, ctx: &Ctx<'_>) -> Result<Value> {
    Ok(match (t, i) {
        (Value::Null, _) | (_, Value::Null) => Value::Null,
        (Value::List(items), Value::Int(i)) => {
            list_position(items.len(), *i).map_or(Value::Null, |at| items[at].clone())
        }
        (Value::List(_), other) => {
            return Err(type_error("a list index must be an integer", other));
        }
        (Value::Map(_) | Value::Node(_) | Value::Rel(_), Value::String(k)) => property(t, k, ctx)?,
        (Value::Map(_) | Value::Node(_) | Value::Rel(_), other) => {
            return Err(type_error("a map key must be a string", other));
        }
        (other, _) => return Err(type_error("indexing needs a list or a map", other)),
    })
}

fn slice(t: &Value, from: Option<Value>, to: Option<Value>) -> Result<Value> {
    let items = match t {
        Value::Null => return Ok(Value::Null),
        Value::List(items) => items,
        other => return Err(type_error("slicing needs a list", other)),
    };
    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let bound = |b: Option<Value>, default: i64| -> Result<Option<i64>> {
        match b {
            None => Ok(Some(default)),
            Some(Value::Null) => Ok(None),
            Some(Value::Int(i)) => Ok(Some(if i < 0 { (len + i).max(0) } else { i.min(len) })),
            Some(other) => Err(type_error("a slice bound must be an integer", &other)),
        }
    };
    let (Some(a), Some(b)) = (bound(from, 0)?, bound(to, len)?) else {
        return Ok(Value::Null);
    };
    if a >= b {
        return Ok(Value::List(Vec::new()));
    }
    Ok(Value::List(items[a as usize..b as usize].to_vec()))
}

#[allow(clippy::too_many_lines, reason = "one arm per operator")]
fn binary(op: BinaryOp, a: &Expr, b: &Expr, row: &mut Row, ctx: &Ctx<'_>) -> Result<Value> {
    // Three-valued logic, evaluating both sides (errors on either side surface).
    match op {
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => {
            let name = match op {
                BinaryOp::And => "AND",
                BinaryOp::Or => "OR",
                _ => "XOR",
            };
            let x = truth(&eval(a, row, ctx)?, name)?;
            let y = truth(&eval(b, row, ctx)?, name)?;
            return Ok(from_truth(match op {
                BinaryOp::And => match (x, y) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                },
                BinaryOp::Or => match (x, y) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                },
                _ => match (x, y) {
                    (Some(p), Some(q)) => Some(p != q),
                    _ => None,
                },
            }));
        }
        _ => {}
    }
    let x = eval(a, row, ctx)?;
    let y = eval(b, row, ctx)?;
    Ok(match op {
        BinaryOp::Eq => from_truth(equals(&x, &y)),
        BinaryOp::Ne => from_truth(equals(&x, &y).map(|t| !t)),
        BinaryOp::Lt => from_truth(inequality(Inequality::Lt, &x, &y)),
        BinaryOp::Le => from_truth(inequality(Inequality::Le, &x, &y)),
        BinaryOp::Gt => from_truth(inequality(Inequality::Gt, &x, &y)),
        BinaryOp::Ge => from_truth(inequality(Inequality::Ge, &x, &y)),
        BinaryOp::In => match (&x, &y) {
            (_, Value::Null) => Value::Null,
            (_, Value::List(items)) => {
                let mut unknown = false;
                for item in items {
                    match equals(&x, item) {
                        Some(true) => return Ok(Value::Bool(true)),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown {
                    Value::Null
                } else {
                    Value::Bool(false)
                }
            }
            (_, other) => return Err(type_error("`IN` needs a list on its right", other)),
        },
        BinaryOp::StartsWith | BinaryOp::EndsWith | BinaryOp::Contains => match (&x, &y) {
            (Value::String(s), Value::String(t)) => Value::Bool(match op {
                BinaryOp::StartsWith => s.starts_with(t.as_str()),
                BinaryOp::EndsWith => s.ends_with(t.as_str()),
                _ => s.contains(t.as_str()),
            }),
            _ => Value::Null,
        },
        BinaryOp::Regex => match (&x, &y) {
            (Value::String(s), Value::String(pattern)) => {
                let re = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                    QueryError::Argument(format!("invalid regular expression: {e}"))
                })?;
                Value::Bool(re.is_match(s))
            }
            _ => Value::Null,
        },
        BinaryOp::Add => add(x, y, ctx.budget)?,
        BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::Pow => {
            arithmetic(op, &x, &y)?
        }
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => Value::Null,
    })
}

/// `x + y`. A list or string it builds must fit in what is left of `budget` (a list
/// doubled by `reduce` forty times would not fit in any memory).
fn add(x: Value, y: Value, budget: &crate::MemoryBudget) -> Result<Value> {
    let grown = match (&x, &y) {
        (Value::List(a), Value::List(b)) => (a.len() + b.len()) * size_of::<Value>(),
        (Value::List(a), _) | (_, Value::List(a)) => (a.len() + 1) * size_of::<Value>(),
        (Value::String(a), Value::String(b)) => a.len() + b.len(),
        _ => 0,
    };
    budget.check(grown)?;
    Ok(match (x, y) {
        (Value::Null, _) | (_, Value::Null) => Value::Null,
        (Value::List(mut a), Value::List(b)) => {
            a.extend(b);
            Value::List(a)
        }
        (Value::List(mut a), v) => {
            a.push(v);
            Value::List(a)
        }
        (v, Value::List(b)) => {
            let mut out = Vec::with_capacity(b.len() + 1);
            out.push(v);
            out.extend(b);
            Value::List(out)
        }
        (Value::String(a), Value::String(b)) => Value::String(a + &b),
        (Value::String(a), v @ (Value::Int(_) | Value::Float(_))) => {
            Value::String(a + &functions::to_string_value(&v))
        }
        (v @ (Value::Int(_) | Value::Float(_)), Value::String(b)) => {
            Value::String(functions::to_string_value(&v) + &b)
        }
        (x, y) => arithmetic(BinaryOp::Add, &x, &y)?,
    })
}

#[allow(
    clippy::cast_precision_loss,
    reason = "openCypher mixes integers and floats as floats"
)]
fn arithmetic(op: BinaryOp, x: &Value, y: &Value) -> Result<Value> {
    let sym = match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        _ => "^",
    };
    Ok(match (x, y) {
        (Value::Null, _) | (_, Value::Null) => Value::Null,
        (Value::Int(a), Value::Int(b)) => {
            let overflow = || QueryError::Arithmetic(format!("{a} {sym} {b} overflows 64 bits"));
            match op {
                BinaryOp::Add => Value::Int(a.checked_add(*b).ok_or_else(overflow)?),
                BinaryOp::Sub => Value::Int(a.checked_sub(*b).ok_or_else(overflow)?),
                BinaryOp::Mul => Value::Int(a.checked_mul(*b).ok_or_else(overflow)?),
                BinaryOp::Div => {
                    if *b == 0 {
                        return Err(QueryError::Arithmetic("division by zero".into()));
                    }
                    Value::Int(a.checked_div(*b).ok_or_else(overflow)?)
                }
                BinaryOp::Mod => {
                    if *b == 0 {
                        return Err(QueryError::Arithmetic("modulo by zero".into()));
                    }
                    Value::Int(a.checked_rem(*b).ok_or_else(overflow)?)
                }
                _ => Value::Float((*a as f64).powf(*b as f64)),
            }
        }
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            let f = |v: &Value| match v {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => f64::NAN,
            };
            let (a, b) = (f(x), f(y));
            Value::Float(match op {
                BinaryOp::Add => a + b,
                BinaryOp::Sub => a - b,
                BinaryOp::Mul => a * b,
                BinaryOp::Div => a / b,
                BinaryOp::Mod => a % b,
                _ => a.powf(b),
            })
        }
        (Value::Temporal(t), Value::Temporal(d @ Temporal::Duration { .. }))
            if matches!(op, BinaryOp::Add | BinaryOp::Sub) =>
        {
            Value::Temporal(
                t.add_duration(d, op == BinaryOp::Sub)
                    .map_err(|e| QueryError::Arithmetic(e.0))?,
            )
        }
        (Value::Temporal(d @ Temporal::Duration { .. }), Value::Temporal(t))
            if op == BinaryOp::Add =>
        {
            Value::Temporal(
                t.add_duration(d, false)
                    .map_err(|e| QueryError::Arithmetic(e.0))?,
            )
        }
        (a, b) => {
            return Err(QueryError::Type(format!(
                "cannot apply `{sym}` to {} {} and {} {}",
                article(a),
                a.type_name(),
                article(b),
                b.type_name()
            )));
        }
    })
}
