//! Running a parsed query: clause after clause over rows of variables.
//!
//! This first executor runs the clauses that need no pattern matching (`UNWIND`, `WITH`,
//! `RETURN` with `DISTINCT`, `ORDER BY`, `SKIP`, `LIMIT` and aggregation, and `UNION`),
//! each clause materializing its rows; `MATCH` and the write clauses come with the planner,
//! which streams. A clause it does not run yet is refused with `Unsupported`, never
//! skipped.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::aggregate::Accumulator;
use crate::ast::{Clause, Expr, ExprKind, Projection, Query, SingleQuery, Statement};
use crate::error::{QueryError, Result};
use crate::eval::{Ctx, GraphRead, Row, eval, is_aggregate};
use crate::value::{GroupKey, Value, order};

/// A query's result: column names and rows of values.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    /// The columns, in order.
    pub columns: Vec<String>,
    /// The rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
}

/// Parses and runs `text` with `params` against `graph` (reads only).
pub fn run(
    text: &str,
    params: &BTreeMap<String, Value>,
    graph: &dyn GraphRead,
) -> Result<QueryResult> {
    let statement = crate::parse(text)?;
    crate::semantic::check(&statement)?;
    let Statement::Query(q) = statement else {
        return Err(QueryError::Unsupported(
            "schema commands, EXPLAIN and PROFILE".into(),
        ));
    };
    let ctx = Ctx {
        params,
        graph,
        aggregates: None,
    };
    run_query(&q, &ctx)
}

fn run_query(q: &Query, ctx: &Ctx<'_>) -> Result<QueryResult> {
    let mut result = run_single(&q.first, ctx)?;
    let mut distinct = false;
    for (all, part) in &q.unions {
        let next = run_single(part, ctx)?;
        if next.columns != result.columns {
            return Err(QueryError::Semantic {
                code: "DifferentColumnsInUnion",
                message: format!(
                    "all parts of a UNION must return the same columns: {:?} and {:?}",
                    result.columns, next.columns
                ),
            });
        }
        result.rows.extend(next.rows);
        distinct |= !all;
    }
    if distinct {
        let mut seen = HashSet::new();
        result
            .rows
            .retain(|r| seen.insert(r.iter().map(GroupKey::of).collect::<Vec<_>>()));
    }
    Ok(result)
}

fn run_single(q: &SingleQuery, ctx: &Ctx<'_>) -> Result<QueryResult> {
    let mut rows = vec![Row::default()];
    let mut scope: Vec<String> = Vec::new();
    for clause in &q.clauses {
        match clause {
            Clause::Unwind { expr, alias } => {
                let mut out = Vec::new();
                for mut row in rows {
                    match eval(expr, &mut row, ctx)? {
                        Value::Null => {}
                        Value::List(items) => {
                            for item in items {
                                let mut r = row.clone();
                                r.set(alias, item);
                                out.push(r);
                            }
                        }
                        other => {
                            row.set(alias, other);
                            out.push(row);
                        }
                    }
                }
                rows = out;
                if !scope.contains(alias) {
                    scope.push(alias.clone());
                }
            }
            Clause::With { projection, filter } => {
                let (columns, projected) = project(rows, &scope, projection, ctx)?;
                rows = projected;
                scope = columns;
                if let Some(f) = filter {
                    let mut kept = Vec::with_capacity(rows.len());
                    for mut r in rows {
                        if matches!(eval(f, &mut r, ctx)?, Value::Bool(true)) {
                            kept.push(r);
                        }
                    }
                    rows = kept;
                }
            }
            Clause::Return(projection) => {
                let (columns, projected) = project(rows, &scope, projection, ctx)?;
                let rows = projected
                    .into_iter()
                    .map(|r| {
                        columns
                            .iter()
                            .map(|c| r.get(c).cloned().unwrap_or(Value::Null))
                            .collect()
                    })
                    .collect();
                return Ok(QueryResult { columns, rows });
            }
            Clause::Match { .. } => return Err(QueryError::Unsupported("MATCH".into())),
            Clause::Create(_) => return Err(QueryError::Unsupported("CREATE".into())),
            Clause::Merge { .. } => return Err(QueryError::Unsupported("MERGE".into())),
            Clause::Set(_) => return Err(QueryError::Unsupported("SET".into())),
            Clause::Remove(_) => return Err(QueryError::Unsupported("REMOVE".into())),
            Clause::Delete { .. } => return Err(QueryError::Unsupported("DELETE".into())),
            Clause::Call { .. } => return Err(QueryError::Unsupported("CALL".into())),
            Clause::Subquery(_) => return Err(QueryError::Unsupported("CALL { }".into())),
        }
    }
    // A query without RETURN returns no columns.
    Ok(QueryResult {
        columns: Vec::new(),
        rows: Vec::new(),
    })
}

/// Aggregate calls inside `e` (not inside other aggregates).
fn aggregates_in<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if is_aggregate(e) {
        out.push(e);
        return;
    }
    e.for_each_child(&mut |c| aggregates_in(c, out));
}

/// A non-negative integer for `SKIP` or `LIMIT`, from an expression without variables.
fn count_of(e: &Expr, what: &str, ctx: &Ctx<'_>) -> Result<usize> {
    match eval(e, &mut Row::default(), ctx)? {
        Value::Int(i) if i >= 0 => Ok(usize::try_from(i).unwrap_or(usize::MAX)),
        Value::Int(i) => Err(QueryError::Argument(format!(
            "{what} must not be negative, got {i}"
        ))),
        other => Err(QueryError::Argument(format!(
            "{what} must be an integer, got a {}",
            other.type_name()
        ))),
    }
}

/// One group of an aggregating projection: its first input row, its key, its aggregates.
struct Group {
    first: Row,
    key_values: Vec<Value>,
    accs: Vec<Accumulator>,
}

/// Runs a projection: the new rows (holding exactly the projected names) and those names.
#[allow(
    clippy::too_many_lines,
    reason = "projection, aggregation, ordering and paging in one place"
)]
fn project(
    rows: Vec<Row>,
    scope: &[String],
    p: &Projection,
    ctx: &Ctx<'_>,
) -> Result<(Vec<String>, Vec<Row>)> {
    // The columns: `*` (the variables in scope, by name), then the items.
    let mut items: Vec<(String, Option<&Expr>)> = Vec::new();
    if p.star {
        if scope.is_empty() {
            return Err(QueryError::Semantic {
                code: "NoVariablesInScope",
                message: "`*` with no variables in scope".into(),
            });
        }
        let mut names = scope.to_vec();
        names.sort();
        items.extend(names.into_iter().map(|n| (n, None)));
    }
    for item in &p.items {
        let name = item.alias.clone().unwrap_or_else(|| item.text.clone());
        if items.iter().any(|(n, _)| *n == name) {
            return Err(QueryError::Semantic {
                code: "ColumnNameConflict",
                message: format!("column `{name}` appears twice"),
            });
        }
        items.push((name, Some(&item.expr)));
    }
    let mut aggs: Vec<&Expr> = Vec::new();
    for (_, e) in &items {
        if let Some(e) = e {
            aggregates_in(e, &mut aggs);
        }
    }
    // Each output row, with the input row it came from (for ORDER BY on earlier variables).
    let mut out: Vec<(Row, Row)> = Vec::new();
    if aggs.is_empty() {
        for mut row in rows {
            let mut new = Row::default();
            for (name, e) in &items {
                let v = match e {
                    Some(e) => eval(e, &mut row, ctx)?,
                    None => row.get(name).cloned().unwrap_or(Value::Null),
                };
                new.vars.push((name.clone(), v));
            }
            out.push((new, row));
        }
    } else {
        let keys: Vec<usize> = (0..items.len())
            .filter(|&i| {
                items[i].1.is_none_or(|e| {
                    let mut inner = Vec::new();
                    aggregates_in(e, &mut inner);
                    inner.is_empty()
                })
            })
            .collect();
        let mut order_of: Vec<Vec<GroupKey>> = Vec::new();
        let mut groups: HashMap<Vec<GroupKey>, Group> = HashMap::new();
        let new_accs = || -> Vec<Accumulator> {
            aggs.iter()
                .map(|a| match &a.kind {
                    ExprKind::Call { name, distinct, .. } => {
                        Accumulator::new(&name[0].to_ascii_lowercase(), *distinct)
                    }
                    // count(*)
                    _ => Accumulator::new("count*", false),
                })
                .collect()
        };
        let no_rows = rows.is_empty();
        for mut row in rows {
            let mut key_values = Vec::with_capacity(keys.len());
            for &k in &keys {
                key_values.push(match items[k].1 {
                    Some(e) => eval(e, &mut row, ctx)?,
                    None => row.get(&items[k].0).cloned().unwrap_or(Value::Null),
                });
            }
            let gk: Vec<GroupKey> = key_values.iter().map(GroupKey::of).collect();
            let mut arg_values = Vec::with_capacity(aggs.len());
            for a in &aggs {
                arg_values.push(match &a.kind {
                    ExprKind::Call { args, .. } => args
                        .iter()
                        .map(|x| eval(x, &mut row, ctx))
                        .collect::<Result<Vec<_>>>()?,
                    _ => Vec::new(),
                });
            }
            let group = if let Some(g) = groups.get_mut(&gk) {
                g
            } else {
                order_of.push(gk.clone());
                groups.entry(gk).or_insert(Group {
                    first: row,
                    key_values,
                    accs: new_accs(),
                })
            };
            for (acc, args) in group.accs.iter_mut().zip(arg_values) {
                acc.add(args)?;
            }
        }
        if no_rows && keys.is_empty() {
            order_of.push(Vec::new());
            groups.insert(
                Vec::new(),
                Group {
                    first: Row::default(),
                    key_values: Vec::new(),
                    accs: new_accs(),
                },
            );
        }
        for gk in order_of {
            let Some(group) = groups.remove(&gk) else {
                continue;
            };
            let mut results = HashMap::new();
            for (a, acc) in aggs.iter().zip(group.accs) {
                results.insert((a.span.start, a.span.end), acc.finish()?);
            }
            let actx = Ctx {
                params: ctx.params,
                graph: ctx.graph,
                aggregates: Some(&results),
            };
            let mut first = group.first;
            let mut new = Row::default();
            let mut key_iter = group.key_values.into_iter();
            for (i, (name, e)) in items.iter().enumerate() {
                let v = if keys.contains(&i) {
                    key_iter.next().unwrap_or(Value::Null)
                } else {
                    match e {
                        Some(e) => eval(e, &mut first, &actx)?,
                        None => Value::Null,
                    }
                };
                new.vars.push((name.clone(), v));
            }
            // ORDER BY after aggregation sees the projected names and the aggregates; its
            // keys take the place of the input row.
            out.push((new, first));
            if !p.order.is_empty() {
                let last = out.len() - 1;
                let (projected, _) = &out[last];
                let mut scope_row = projected.clone();
                let mut keys_v = Vec::new();
                for (e, _) in &p.order {
                    keys_v.push(eval(e, &mut scope_row, &actx)?);
                }
                out[last].1 = Row {
                    vars: keys_v
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (format!("\u{0}order{i}"), v))
                        .collect(),
                };
            }
        }
        if p.distinct {
            let mut seen = HashSet::new();
            out.retain(|(r, _)| {
                seen.insert(
                    r.vars
                        .iter()
                        .map(|(_, v)| GroupKey::of(v))
                        .collect::<Vec<_>>(),
                )
            });
        }
        if !p.order.is_empty() {
            out.sort_by(|(_, a), (_, b)| {
                for (i, (_, asc)) in p.order.iter().enumerate() {
                    let o = order(&a.vars[i].1, &b.vars[i].1);
                    let o = if *asc { o } else { o.reverse() };
                    if o.is_ne() {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
        }
        return page(out.into_iter().map(|(r, _)| r).collect(), items, p, ctx);
    }
    if p.distinct {
        let mut seen = HashSet::new();
        out.retain(|(r, _)| {
            seen.insert(
                r.vars
                    .iter()
                    .map(|(_, v)| GroupKey::of(v))
                    .collect::<Vec<_>>(),
            )
        });
    }
    if !p.order.is_empty() {
        // Sort keys see the projected names, then (unless DISTINCT) the earlier variables.
        let mut keyed = Vec::with_capacity(out.len());
        for (new, old) in out {
            let mut scope_row = if p.distinct { Row::default() } else { old };
            for (n, v) in &new.vars {
                scope_row.set(n, v.clone());
            }
            let mut ks = Vec::with_capacity(p.order.len());
            for (e, _) in &p.order {
                ks.push(eval(e, &mut scope_row, ctx)?);
            }
            keyed.push((ks, new));
        }
        keyed.sort_by(|(a, _), (b, _)| {
            for (i, (_, asc)) in p.order.iter().enumerate() {
                let o = order(&a[i], &b[i]);
                let o = if *asc { o } else { o.reverse() };
                if o.is_ne() {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
        return page(keyed.into_iter().map(|(_, r)| r).collect(), items, p, ctx);
    }
    page(out.into_iter().map(|(r, _)| r).collect(), items, p, ctx)
}

fn page(
    rows: Vec<Row>,
    items: Vec<(String, Option<&Expr>)>,
    p: &Projection,
    ctx: &Ctx<'_>,
) -> Result<(Vec<String>, Vec<Row>)> {
    let skip = p
        .skip
        .as_ref()
        .map(|e| count_of(e, "SKIP", ctx))
        .transpose()?
        .unwrap_or(0);
    let limit = p
        .limit
        .as_ref()
        .map(|e| count_of(e, "LIMIT", ctx))
        .transpose()?;
    let rows: Vec<Row> = rows
        .into_iter()
        .skip(skip)
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    Ok((items.into_iter().map(|(n, _)| n).collect(), rows))
}
