//! Pattern matching: the rows of variables that bind a pattern in the graph, extending a
//! row whose variables are already bound. Relationships are unique within one pattern (the
//! whole `MATCH` clause): no relationship is bound twice in one match, as openCypher says.
//! Variable-length relationships (`*min..max`) are walked depth first without repeating a
//! relationship, so every walk ends.

use pagegraph::{Direction, EdgeId, NodeId, PropertyValue};

use crate::ast::{Dir, Expr, NodePattern, PatternElement, PatternPart, RelPattern, Shortest};
use crate::error::{QueryError, Result};
use crate::eval::{Ctx, Row, eval};
use crate::value::{Path, Value, equals};

/// Evaluated property constraints of a pattern element.
type Props = Vec<(String, Value)>;

fn props_of(e: Option<&Expr>, row: &mut Row, ctx: &Ctx<'_>) -> Result<Props> {
    let Some(e) = e else {
        return Ok(Vec::new());
    };
    match eval(e, row, ctx)? {
        Value::Map(m) => Ok(m.into_iter().collect()),
        Value::Null => Ok(Vec::new()),
        other => Err(QueryError::Type(format!(
            "pattern properties must be a map, got a {}",
            other.type_name()
        ))),
    }
}

fn props_hold(have: &pagegraph::Properties, want: &Props) -> bool {
    want.iter().all(|(k, v)| {
        have.get(k)
            .is_some_and(|h| equals(&Value::from(h.clone()), v) == Some(true))
    })
}

fn node_ok(id: NodeId, labels: &[String], props: &Props, ctx: &Ctx<'_>) -> Result<bool> {
    if labels.is_empty() && props.is_empty() {
        return Ok(true);
    }
    let Some(n) = ctx.graph.node(id)? else {
        return Ok(false);
    };
    Ok(labels.iter().all(|l| n.labels.contains(l)) && props_hold(&n.properties, props))
}

/// Every binding of `parts` extending `row`.
pub fn match_parts(parts: &[PatternPart], row: &Row, ctx: &Ctx<'_>) -> Result<Vec<Row>> {
    let mut rows = vec![(row.clone(), Vec::<EdgeId>::new())];
    for part in parts {
        let mut next = Vec::new();
        for (r, used) in rows {
            for (r2, used2) in match_part(part, r, used, ctx)? {
                next.push((r2, used2));
            }
        }
        rows = next;
    }
    Ok(rows.into_iter().map(|(r, _)| r).collect())
}

fn match_part(
    part: &PatternPart,
    row: Row,
    used: Vec<EdgeId>,
    ctx: &Ctx<'_>,
) -> Result<Vec<(Row, Vec<EdgeId>)>> {
    if part.shortest.is_some() {
        return shortest(part, row, used, ctx);
    }
    let mut out = Vec::new();
    let el = &part.element;
    let mut r = row;
    let start_props = props_of(el.start.props.as_ref(), &mut r, ctx)?;
    for start in candidates(&el.start, &start_props, &r, ctx)? {
        let mut r2 = r.clone();
        if let Some(v) = &el.start.var {
            r2.set(v, Value::Node(start));
        }
        let mut path = Path {
            nodes: vec![start],
            rels: Vec::new(),
        };
        walk(
            el,
            0,
            start,
            r2,
            used.clone(),
            &mut path,
            part.var.as_deref(),
            ctx,
            &mut out,
        )?;
    }
    Ok(out)
}

/// The nodes a node pattern can start at.
fn candidates(n: &NodePattern, props: &Props, row: &Row, ctx: &Ctx<'_>) -> Result<Vec<NodeId>> {
    if let Some(v) = &n.var
        && let Some(bound) = row.get(v)
    {
        return match bound {
            Value::Node(id) => Ok(if node_ok(*id, &n.labels, props, ctx)? {
                vec![*id]
            } else {
                Vec::new()
            }),
            Value::Null => Ok(Vec::new()),
            other => Err(QueryError::Type(format!(
                "`{v}` is a {}, not a node",
                other.type_name()
            ))),
        };
    }
    let ids = match n.labels.first() {
        Some(l) => ctx.graph.label_ids(l)?,
        None => ctx.graph.node_ids()?,
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if node_ok(id, n.labels.get(1..).unwrap_or_default(), props, ctx)? {
            out.push(id);
        }
    }
    Ok(out)
}

/// Extends a match from step `i` of `el` at node `at`.
#[allow(
    clippy::too_many_arguments,
    clippy::too_many_lines,
    reason = "the walk's state, passed down the recursion; fixed and variable length side by side"
)]
fn walk(
    el: &PatternElement,
    i: usize,
    at: NodeId,
    row: Row,
    used: Vec<EdgeId>,
    path: &mut Path,
    path_var: Option<&str>,
    ctx: &Ctx<'_>,
    out: &mut Vec<(Row, Vec<EdgeId>)>,
) -> Result<()> {
    let Some((rel, node)) = el.chain.get(i) else {
        let mut row = row;
        if let Some(p) = path_var {
            row.set(p, Value::Path(Box::new(path.clone())));
        }
        out.push((row, used));
        return Ok(());
    };
    let mut row = row;
    let rel_props = props_of(rel.props.as_ref(), &mut row, ctx)?;
    let node_props = props_of(node.props.as_ref(), &mut row, ctx)?;
    let bound_rel = match rel.var.as_ref().and_then(|v| row.get(v)) {
        Some(Value::Rel(e)) => Some(vec![*e]),
        Some(Value::List(items)) if rel.length.is_some() => Some(
            items
                .iter()
                .filter_map(|v| {
                    if let Value::Rel(e) = v {
                        Some(*e)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        Some(Value::Null) => return Ok(()),
        _ => None,
    };
    let target_ok = |id: NodeId, row: &Row| -> Result<bool> {
        if let Some(v) = &node.var
            && let Some(b) = row.get(v)
        {
            return Ok(matches!(b, Value::Node(x) if *x == id)
                && node_ok(id, &node.labels, &node_props, ctx)?);
        }
        node_ok(id, &node.labels, &node_props, ctx)
    };
    match rel.length {
        None => {
            for (edge, other) in steps(at, rel, ctx)? {
                if used.contains(&edge) || !rel_ok(edge, &rel_props, ctx)? {
                    continue;
                }
                if bound_rel.as_ref().is_some_and(|b| b != &vec![edge]) {
                    continue;
                }
                if !target_ok(other, &row)? {
                    continue;
                }
                let mut r = row.clone();
                if let Some(v) = &rel.var {
                    r.set(v, Value::Rel(edge));
                }
                if let Some(v) = &node.var {
                    r.set(v, Value::Node(other));
                }
                let mut u = used.clone();
                u.push(edge);
                path.nodes.push(other);
                path.rels.push(edge);
                let result = walk(el, i + 1, other, r, u, path, path_var, ctx, out);
                path.nodes.pop();
                path.rels.pop();
                result?;
            }
        }
        Some((min, max)) => {
            let min = min.unwrap_or(1);
            let max = max.unwrap_or(u64::MAX);
            // Depth-first over trails (no relationship twice).
            let mut stack: Vec<(NodeId, Vec<EdgeId>, Vec<NodeId>)> =
                vec![(at, Vec::new(), Vec::new())];
            while let Some((node_at, trail, nodes)) = stack.pop() {
                let depth = trail.len() as u64;
                if depth >= min && target_ok(node_at, &row)? {
                    let fits = bound_rel.as_ref().is_none_or(|b| *b == trail);
                    if fits {
                        let mut r = row.clone();
                        if let Some(v) = &rel.var {
                            r.set(
                                v,
                                Value::List(trail.iter().map(|&e| Value::Rel(e)).collect()),
                            );
                        }
                        if let Some(v) = &node.var {
                            r.set(v, Value::Node(node_at));
                        }
                        let mut u = used.clone();
                        u.extend(&trail);
                        let before = path.nodes.len();
                        path.nodes.extend(&nodes);
                        path.rels.extend(&trail);
                        let result = walk(el, i + 1, node_at, r, u, path, path_var, ctx, out);
                        path.nodes.truncate(before);
                        path.rels.truncate(before - 1);
                        result?;
                    }
                }
                if depth >= max {
                    continue;
                }
                let mut next = steps(node_at, rel, ctx)?;
                next.reverse();
                for (edge, other) in next {
                    if trail.contains(&edge)
                        || used.contains(&edge)
                        || !rel_ok(edge, &rel_props, ctx)?
                    {
                        continue;
                    }
                    let mut t = trail.clone();
                    t.push(edge);
                    let mut ns = nodes.clone();
                    ns.push(other);
                    stack.push((other, t, ns));
                }
            }
        }
    }
    Ok(())
}

fn rel_ok(edge: EdgeId, props: &Props, ctx: &Ctx<'_>) -> Result<bool> {
    if props.is_empty() {
        return Ok(true);
    }
    Ok(ctx
        .graph
        .rel(edge)?
        .is_some_and(|r| props_hold(&r.properties, props)))
}

/// The relationships a step can take from `at`: (edge, the node it leads to).
fn steps(at: NodeId, rel: &RelPattern, ctx: &Ctx<'_>) -> Result<Vec<(EdgeId, NodeId)>> {
    let dir = match rel.dir {
        Dir::Right => Direction::Outgoing,
        Dir::Left => Direction::Incoming,
        Dir::Both => Direction::Both,
    };
    let mut out = Vec::new();
    if rel.types.is_empty() {
        out = ctx.graph.expand(at, dir, None)?;
    } else {
        for t in &rel.types {
            out.extend(ctx.graph.expand(at, dir, Some(t))?);
        }
    }
    if dir == Direction::Both {
        // A self-loop is listed both ways: once is the one relationship.
        let mut seen = std::collections::HashSet::new();
        out.retain(|(e, other)| *other != at || seen.insert(*e));
    }
    Ok(out)
}

/// `shortestPath` / `allShortestPaths` between two bound-or-matched ends: breadth-first
/// from the start, keeping every shortest path (or one).
fn shortest(
    part: &PatternPart,
    row: Row,
    used: Vec<EdgeId>,
    ctx: &Ctx<'_>,
) -> Result<Vec<(Row, Vec<EdgeId>)>> {
    let el = &part.element;
    let [(rel, end)] = el.chain.as_slice() else {
        return Err(QueryError::Semantic {
            code: "InvalidArgumentType",
            message: "shortestPath needs a pattern of one relationship".into(),
        });
    };
    let mut row = row;
    let sp = props_of(el.start.props.as_ref(), &mut row, ctx)?;
    let ep = props_of(end.props.as_ref(), &mut row, ctx)?;
    let rel_props = props_of(rel.props.as_ref(), &mut row, ctx)?;
    let (min, max) = rel.length.unwrap_or((Some(1), Some(1)));
    let (min, max) = (min.unwrap_or(1), max.unwrap_or(u64::MAX));
    let starts = candidates(&el.start, &sp, &row, ctx)?;
    let ends = candidates(end, &ep, &row, ctx)?;
    let mut out = Vec::new();
    for &s in &starts {
        for &t in &ends {
            // Breadth-first over trails, level by level, until the target is reached.
            let mut level: Vec<(NodeId, Vec<EdgeId>, Vec<NodeId>)> = vec![(s, Vec::new(), vec![s])];
            let mut found: Vec<(Vec<EdgeId>, Vec<NodeId>)> = Vec::new();
            let mut depth = 0u64;
            loop {
                for (n, trail, nodes) in &level {
                    if *n == t && depth >= min {
                        found.push((trail.clone(), nodes.clone()));
                    }
                }
                if !found.is_empty() || depth >= max || level.is_empty() || depth > 64 {
                    break;
                }
                let mut next = Vec::new();
                for (n, trail, nodes) in &level {
                    for (e, o) in steps(*n, rel, ctx)? {
                        if trail.contains(&e)
                            || used.contains(&e)
                            || nodes.contains(&o) && o != t
                            || !rel_ok(e, &rel_props, ctx)?
                        {
                            continue;
                        }
                        let mut tr = trail.clone();
                        tr.push(e);
                        let mut ns = nodes.clone();
                        ns.push(o);
                        next.push((o, tr, ns));
                    }
                }
                level = next;
                depth += 1;
            }
            if part.shortest == Some(Shortest::One) {
                found.truncate(1);
            }
            for (trail, nodes) in found {
                let mut r = row.clone();
                if let Some(v) = &el.start.var {
                    r.set(v, Value::Node(s));
                }
                if let Some(v) = &end.var {
                    r.set(v, Value::Node(t));
                }
                if let Some(v) = &rel.var {
                    r.set(
                        v,
                        Value::List(trail.iter().map(|&e| Value::Rel(e)).collect()),
                    );
                }
                if let Some(p) = &part.var {
                    r.set(
                        p,
                        Value::Path(Box::new(Path {
                            nodes,
                            rels: trail.clone(),
                        })),
                    );
                }
                let mut u = used.clone();
                u.extend(trail);
                out.push((r, u));
            }
        }
    }
    Ok(out)
}

/// Whether a pattern (a predicate in an expression) has at least one match.
pub fn pattern_exists(el: &PatternElement, row: &Row, ctx: &Ctx<'_>) -> Result<bool> {
    let part = PatternPart {
        var: None,
        shortest: None,
        element: el.clone(),
    };
    Ok(!match_parts(std::slice::from_ref(&part), row, ctx)?.is_empty())
}

/// A property map of a pattern, evaluated, as stored properties (null values left out).
pub fn stored_props(
    e: Option<&Expr>,
    row: &mut Row,
    ctx: &Ctx<'_>,
) -> Result<pagegraph::Properties> {
    let mut out = pagegraph::Properties::new();
    for (k, v) in props_of(e, row, ctx)? {
        if v.is_null() {
            continue;
        }
        let p = v.to_property().ok_or_else(|| {
            QueryError::Type(format!("property {k} cannot hold a {}", v.type_name()))
        })?;
        check_storable(&k, &p)?;
        out.insert(k, p);
    }
    Ok(out)
}

/// openCypher stores scalars and lists of scalars, not maps or nested lists.
pub fn check_storable(key: &str, v: &PropertyValue) -> Result<()> {
    match v {
        PropertyValue::Map(_) => Err(QueryError::Type(format!(
            "property {key} cannot hold a map"
        ))),
        PropertyValue::List(items)
            if items
                .iter()
                .any(|i| matches!(i, PropertyValue::Map(_) | PropertyValue::List(_))) =>
        {
            Err(QueryError::Type(format!(
                "property {key} cannot hold nested collections"
            )))
        }
        _ => Ok(()),
    }
}
