//! Planning a `MATCH`: which of its `WHERE` conditions can be checked early, and which can
//! choose the nodes a pattern starts from through a property index.
//!
//! A `WHERE` is split into its `AND`ed conjuncts. A conjunct is checked as soon as every
//! variable it names is bound while a pattern is walked (a filter pushed to where its
//! variables are bound), so a walk stops at the first step a condition rules out instead
//! of enumerating every longer path first. The whole `WHERE` is still evaluated on each
//! complete match, so an early check only ever removes rows the `WHERE` removes: a
//! conjunct whose early evaluation fails (a type error, say, on a row that another
//! conjunct rules out) keeps the row, and the final evaluation decides.
//!
//! A conjunct `n.p = e`, `n.p IN e`, `n.p STARTS WITH e` or a comparison `n.p < e` (either
//! way round, several bounds together), where `e` names only variables bound before the
//! match, becomes an index seek on the node `n` starts from when a ready index covers
//! (label of `n`, `p`): see [`Seek`]. The seek finds a superset of the nodes the conjunct
//! admits (the index answers by openCypher comparison), and the conjunct is still checked.

use std::ops::Bound;

use pagegraph::value::Inequality;
use pagegraph::{Condition, PropertyValue};

use crate::ast::{BinaryOp, Expr, ExprKind};
use crate::error::Result;
use crate::eval::{Ctx, Row, eval};
use crate::value::Value;

/// One `AND`ed part of a `WHERE`, with the variables it names.
#[derive(Debug)]
struct Conjunct<'q> {
    expr: &'q Expr,
    /// The variables it reads; `None` when it binds variables of its own (a comprehension,
    /// a pattern, a subquery), which it is then only checked on the complete match.
    vars: Option<Vec<&'q str>>,
}

/// A `MATCH`'s `WHERE`, split for early checks and index seeks.
#[derive(Debug, Default)]
pub struct Filter<'q> {
    conjuncts: Vec<Conjunct<'q>>,
}

/// How a conjunct restricts a property: the comparison and the expression compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SeekOp {
    Eq,
    In,
    StartsWith,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A condition on a property of one node variable that an index can serve.
#[derive(Debug, Clone)]
pub struct SeekPred<'q> {
    /// The property.
    pub property: &'q str,
    op: SeekOp,
    value: &'q Expr,
}

/// An index seek chosen for a node pattern: the property and the condition on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Seek {
    /// The property.
    pub property: String,
    /// The condition an index answers.
    pub condition: Condition,
}

impl<'q> Filter<'q> {
    /// Splits `filter` (a `WHERE`) into conjuncts.
    pub fn new(filter: Option<&'q Expr>) -> Filter<'q> {
        let mut conjuncts = Vec::new();
        if let Some(f) = filter {
            split_and(f, &mut conjuncts);
        }
        Filter { conjuncts }
    }

    /// Whether `row` may still lead to a match, after `bound` (variable names) were bound:
    /// false only when a conjunct that reads one of them, and nothing unbound, is false or
    /// null.
    pub fn admits(&self, bound: &[&str], row: &mut Row, ctx: &Ctx<'_>) -> bool {
        for c in &self.conjuncts {
            let Some(vars) = &c.vars else { continue };
            if !vars.iter().any(|v| bound.contains(v)) || !vars.iter().all(|v| row.has(v)) {
                continue;
            }
            // An error keeps the row: the whole WHERE, evaluated later, decides.
            if let Ok(v) = eval(c.expr, row, ctx)
                && !matches!(v, Value::Bool(true))
            {
                return false;
            }
        }
        true
    }

    /// The conditions on properties of `var` whose other side names only variables bound
    /// in `row`, in the order an index serves them best: equality, `IN`, prefix, ranges.
    pub fn seek_preds(&self, var: &str, row: &Row) -> Vec<SeekPred<'q>> {
        let mut out = Vec::new();
        for c in &self.conjuncts {
            if c.vars.is_none() {
                continue;
            }
            if let Some(p) = seek_pred(c.expr, var)
                && expr_vars(p.value).is_some_and(|vs| vs.iter().all(|v| row.has(v)))
            {
                out.push(p);
            }
        }
        out.sort_by_key(|p| match p.op {
            SeekOp::Eq => 0,
            SeekOp::In => 1,
            SeekOp::StartsWith => 2,
            _ => 3,
        });
        out
    }
}

/// The seeks `preds` allow, best first, with their values evaluated in `row`: each equality,
/// `IN` and prefix alone, and the bounds on one property together as one range. A value of
/// a type no index key orders (a map, a node) gives no seek; a null one gives the empty
/// condition `IN []` (nothing equals or compares with null).
pub fn seeks(preds: &[SeekPred<'_>], row: &mut Row, ctx: &Ctx<'_>) -> Result<Vec<Seek>> {
    let mut out = Vec::new();
    let mut ranges: Vec<(&str, Bound<PropertyValue>, Bound<PropertyValue>)> = Vec::new();
    for p in preds {
        let v = eval(p.value, row, ctx)?;
        let nothing = || Seek {
            property: p.property.to_string(),
            condition: Condition::In(Vec::new()),
        };
        if v.is_null() {
            out.push(nothing());
            continue;
        }
        let condition = match p.op {
            SeekOp::Eq => match scalar(&v) {
                Some(s) => Condition::Eq(s),
                None => continue,
            },
            SeekOp::In => {
                let Value::List(items) = v else { continue };
                // Nulls equal nothing; an item no index key orders (a list, a map) would
                // make the seek miss what the condition admits: no seek then.
                let values: Option<Vec<PropertyValue>> =
                    items.iter().filter(|i| !i.is_null()).map(scalar).collect();
                let Some(values) = values else { continue };
                Condition::In(values)
            }
            SeekOp::StartsWith => {
                let Value::String(s) = v else {
                    out.push(nothing());
                    continue;
                };
                Condition::StartsWith(s)
            }
            op => {
                let Some(s) = scalar(&v) else { continue };
                let at = ranges
                    .iter()
                    .position(|r| r.0 == p.property)
                    .unwrap_or_else(|| {
                        ranges.push((p.property, Bound::Unbounded, Bound::Unbounded));
                        ranges.len() - 1
                    });
                let r = &mut ranges[at];
                match op {
                    SeekOp::Gt if matches!(r.1, Bound::Unbounded) => r.1 = Bound::Excluded(s),
                    SeekOp::Ge if matches!(r.1, Bound::Unbounded) => r.1 = Bound::Included(s),
                    SeekOp::Lt if matches!(r.2, Bound::Unbounded) => r.2 = Bound::Excluded(s),
                    SeekOp::Le if matches!(r.2, Bound::Unbounded) => r.2 = Bound::Included(s),
                    _ => {}
                }
                continue;
            }
        };
        out.push(Seek {
            property: p.property.to_string(),
            condition,
        });
    }
    for (property, lower, upper) in ranges {
        let condition = match (lower, upper) {
            (Bound::Unbounded, Bound::Excluded(v)) => Condition::Cmp(Inequality::Lt, v),
            (Bound::Unbounded, Bound::Included(v)) => Condition::Cmp(Inequality::Le, v),
            (Bound::Excluded(v), Bound::Unbounded) => Condition::Cmp(Inequality::Gt, v),
            (Bound::Included(v), Bound::Unbounded) => Condition::Cmp(Inequality::Ge, v),
            (lower, upper) => Condition::Between(lower, upper),
        };
        out.push(Seek {
            property: property.to_string(),
            condition,
        });
    }
    Ok(out)
}

/// A value an index key orders: a boolean, a number or a string.
pub(crate) fn scalar(v: &Value) -> Option<PropertyValue> {
    match v {
        Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::String(_) => v.to_property(),
        _ => None,
    }
}

fn split_and<'q>(e: &'q Expr, out: &mut Vec<Conjunct<'q>>) {
    if let ExprKind::Binary(BinaryOp::And, a, b) = &e.kind {
        split_and(a, out);
        split_and(b, out);
        return;
    }
    out.push(Conjunct {
        expr: e,
        vars: expr_vars(e),
    });
}

/// `n.p <op> e` or `e <op> n.p` with `n` = `var`.
fn seek_pred<'q>(e: &'q Expr, var: &str) -> Option<SeekPred<'q>> {
    let ExprKind::Binary(op, a, b) = &e.kind else {
        return None;
    };
    let prop_of = |x: &'q Expr| match &x.kind {
        ExprKind::Property(base, p) if matches!(&base.kind, ExprKind::Var(v) if v == var) => {
            Some(p.as_str())
        }
        _ => None,
    };
    let names_var = |x: &Expr| expr_vars(x).is_none_or(|vs| vs.contains(&var));
    let pick = |op: SeekOp, property: &'q str, value: &'q Expr| {
        (!names_var(value)).then_some(SeekPred {
            property,
            op,
            value,
        })
    };
    let flipped = |op: SeekOp| match op {
        SeekOp::Lt => SeekOp::Gt,
        SeekOp::Le => SeekOp::Ge,
        SeekOp::Gt => SeekOp::Lt,
        SeekOp::Ge => SeekOp::Le,
        other => other,
    };
    let op = match op {
        BinaryOp::Eq => SeekOp::Eq,
        BinaryOp::In => SeekOp::In,
        BinaryOp::StartsWith => SeekOp::StartsWith,
        BinaryOp::Lt => SeekOp::Lt,
        BinaryOp::Le => SeekOp::Le,
        BinaryOp::Gt => SeekOp::Gt,
        BinaryOp::Ge => SeekOp::Ge,
        _ => return None,
    };
    if let Some(p) = prop_of(a) {
        return pick(op, p, b);
    }
    // Only symmetric and ordered operators turn round.
    if matches!(op, SeekOp::In | SeekOp::StartsWith) {
        return None;
    }
    prop_of(b).and_then(|p| pick(flipped(op), p, a))
}

/// The variables an expression reads, or `None` when it binds variables of its own (their
/// uses are not free) or reads a whole-pattern value.
pub fn expr_vars(e: &Expr) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    collect_vars(e, &mut out).then_some(out)
}

fn collect_vars<'e>(e: &'e Expr, out: &mut Vec<&'e str>) -> bool {
    match &e.kind {
        ExprKind::Var(v) => {
            if !out.contains(&v.as_str()) {
                out.push(v);
            }
            true
        }
        ExprKind::ListComprehension { .. }
        | ExprKind::PatternComprehension { .. }
        | ExprKind::Quantified { .. }
        | ExprKind::Reduce { .. }
        | ExprKind::Pattern(_)
        | ExprKind::ExistsSubquery(_)
        | ExprKind::CountStar => false,
        ExprKind::Call { name, .. } if crate::eval::is_aggregate(e) || name.len() > 1 => false,
        _ => {
            let mut ok = true;
            e.for_each_child(&mut |c| ok &= collect_vars(c, out));
            ok
        }
    }
}
