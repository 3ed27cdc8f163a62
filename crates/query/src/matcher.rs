//! Pattern matching: the rows of variables that bind a pattern in the graph, extending a
//! row whose variables are already bound. Relationships are unique within one pattern (the
//! whole `MATCH` clause): no relationship is bound twice in one match, as openCypher says.
//! Variable-length relationships (`*min..max`) are walked depth first without repeating a
//! relationship, so every walk ends.

use pagegraph::{Direction, EdgeId, NodeId, PropertyValue};

use pagegraph::Condition;

use crate::ast::{Dir, Expr, NodePattern, PatternElement, PatternPart, RelPattern, Shortest};
use crate::error::{QueryError, Result};
use crate::eval::{Ctx, Row, eval};
use crate::plan::{Filter, Seek, scalar, seeks};
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
    let has_labels = ctx.graph.has_labels(id, labels)?;
    if !has_labels || props.is_empty() {
        return Ok(has_labels);
    }
    // One property at a time: a read-only query's memo answers them from one record read.
    for (k, want) in props {
        let Some(have) = ctx.graph.node_property(id, k)? else {
            return Ok(false);
        };
        if equals(&Value::from(have), want) != Some(true) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What a consumer of rows answers to each: go on, or stop (a `LIMIT` has its rows, an
/// existence test has its answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Send more rows.
    More,
    /// Send no more.
    Stop,
}

/// A consumer of matches: the row and the relationships the match bound so far.
type Emit<'e> = dyn FnMut(Row, Vec<EdgeId>) -> Result<Flow> + 'e;

/// Every binding of `parts` extending `row`.
pub fn match_parts(parts: &[PatternPart], row: &Row, ctx: &Ctx<'_>) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for_each_match(parts, row.clone(), &Filter::default(), ctx, &mut |r| {
        out.push(r);
        Ok(Flow::More)
    })?;
    Ok(out)
}

/// Calls `emit` with every binding of `parts` extending `row`, until it answers
/// [`Flow::Stop`]. `filter` (the `MATCH`'s `WHERE`) prunes walks early and chooses index
/// seeks; the caller still evaluates the whole `WHERE` on each row it is given.
pub fn for_each_match(
    parts: &[PatternPart],
    row: Row,
    filter: &Filter<'_>,
    ctx: &Ctx<'_>,
    emit: &mut dyn FnMut(Row) -> Result<Flow>,
) -> Result<Flow> {
    parts_from(parts, row, Vec::new(), filter, ctx, emit)
}

fn parts_from(
    parts: &[PatternPart],
    row: Row,
    used: Vec<EdgeId>,
    filter: &Filter<'_>,
    ctx: &Ctx<'_>,
    emit: &mut dyn FnMut(Row) -> Result<Flow>,
) -> Result<Flow> {
    let Some((part, rest)) = parts.split_first() else {
        return emit(row);
    };
    match_part(part, row, used, filter, ctx, &mut |r, u| {
        parts_from(rest, r, u, filter, ctx, emit)
    })
}

fn match_part(
    part: &PatternPart,
    row: Row,
    used: Vec<EdgeId>,
    filter: &Filter<'_>,
    ctx: &Ctx<'_>,
    out: &mut Emit<'_>,
) -> Result<Flow> {
    if part.shortest.is_some() {
        return shortest(part, row, used, filter, ctx, out);
    }
    let el = &part.element;
    let mut r = row;
    let start_props = props_of(el.start.props.as_ref(), &mut r, ctx)?;
    let start_var: Vec<&str> = el.start.var.as_deref().into_iter().collect();
    for start in candidates(&el.start, &start_props, &mut r, filter, ctx)? {
        ctx.check_cancel()?;
        let mut r2 = r.clone();
        if let Some(v) = &el.start.var {
            r2.set(v, Value::Node(start));
        }
        if !filter.admits(&start_var, &mut r2, ctx) {
            continue;
        }
        let mut path = Path {
            nodes: vec![start],
            rels: Vec::new(),
        };
        let flow = walk(
            el,
            0,
            start,
            r2,
            used.clone(),
            &mut path,
            part.var.as_deref(),
            filter,
            ctx,
            out,
        )?;
        if flow == Flow::Stop {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::More)
}

/// The nodes a node pattern can start at: the bound node; else the nodes an index seek
/// finds (from the pattern's properties or a `WHERE` condition on a property, where a
/// ready index covers one of its labels and that property); else the nodes of its first
/// label; else every node.
fn candidates(
    n: &NodePattern,
    props: &Props,
    row: &mut Row,
    filter: &Filter<'_>,
    ctx: &Ctx<'_>,
) -> Result<Vec<NodeId>> {
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
    if let Some(ids) = seek(n, props, row, filter, ctx)? {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if node_ok(id, &n.labels, props, ctx)? {
                out.push(id);
            }
        }
        return Ok(out);
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

/// The seeks a node pattern allows, best first: its own properties (equality), then the
/// conditions of the `WHERE` on its variable.
fn seeks_of(
    n: &NodePattern,
    props: &Props,
    row: &mut Row,
    filter: &Filter<'_>,
    ctx: &Ctx<'_>,
) -> Vec<Seek> {
    let mut out: Vec<Seek> = Vec::new();
    for (k, v) in props {
        let condition = match scalar(v) {
            Some(p) => Condition::Eq(p),
            // `{p: null}` matches nothing.
            None if v.is_null() => Condition::In(Vec::new()),
            None => continue,
        };
        out.push(Seek {
            property: k.clone(),
            condition,
        });
    }
    if let Some(var) = &n.var {
        let preds = filter.seek_preds(var, row);
        // A value that fails to evaluate here fails in the WHERE too; let it fail there.
        if let Ok(more) = seeks(&preds, row, ctx) {
            out.extend(more);
        }
    }
    out
}

/// The nodes of the first seek a ready index serves, on any label of the pattern.
fn seek(
    n: &NodePattern,
    props: &Props,
    row: &mut Row,
    filter: &Filter<'_>,
    ctx: &Ctx<'_>,
) -> Result<Option<Vec<NodeId>>> {
    if n.labels.is_empty() {
        return Ok(None);
    }
    for s in seeks_of(n, props, row, filter, ctx) {
        for l in &n.labels {
            if let Some(ids) = ctx.graph.seek(l, &s.property, &s.condition)? {
                return Ok(Some(ids));
            }
        }
    }
    Ok(None)
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
    filter: &Filter<'_>,
    ctx: &Ctx<'_>,
    out: &mut Emit<'_>,
) -> Result<Flow> {
    let Some((rel, node)) = el.chain.get(i) else {
        let mut row = row;
        if let Some(p) = path_var {
            row.set(p, Value::Path(Box::new(path.clone())));
        }
        return out(row, used);
    };
    let newly: Vec<&str> = rel
        .var
        .iter()
        .chain(&node.var)
        .map(String::as_str)
        .collect();
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
        Some(Value::Null) => return Ok(Flow::More),
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
                if !filter.admits(&newly, &mut r, ctx) {
                    continue;
                }
                let mut u = used.clone();
                u.push(edge);
                path.nodes.push(other);
                path.rels.push(edge);
                let result = walk(el, i + 1, other, r, u, path, path_var, filter, ctx, out);
                path.nodes.pop();
                path.rels.pop();
                if result? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
        }
        Some((min, max)) => {
            let min = min.unwrap_or(1);
            let max = max.unwrap_or(u64::MAX);
            // Depth-first over trails (no relationship twice).
            let mut stack: Vec<(NodeId, Vec<EdgeId>, Vec<NodeId>)> =
                vec![(at, Vec::new(), Vec::new())];
            while let Some((node_at, trail, nodes)) = stack.pop() {
                ctx.check_cancel()?;
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
                        if filter.admits(&newly, &mut r, ctx) {
                            let mut u = used.clone();
                            u.extend(&trail);
                            let before = path.nodes.len();
                            path.nodes.extend(&nodes);
                            path.rels.extend(&trail);
                            let result =
                                walk(el, i + 1, node_at, r, u, path, path_var, filter, ctx, out);
                            path.nodes.truncate(before);
                            path.rels.truncate(before - 1);
                            if result? == Flow::Stop {
                                return Ok(Flow::Stop);
                            }
                        }
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
    Ok(Flow::More)
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
pub(crate) fn steps(at: NodeId, rel: &RelPattern, ctx: &Ctx<'_>) -> Result<Vec<(EdgeId, NodeId)>> {
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

/// `shortestPath` / `allShortestPaths` between two bound-or-matched ends.
///
/// Between two different nodes with a minimum length of at most 1, a breadth-first search
/// that visits each node once: every shortest walk is a path (no node twice, so no
/// relationship twice), and the predecessors kept per node give every shortest path for
/// `allShortestPaths`. A start equal to the end, or a minimum length above 1, takes a
/// breadth-first search over trails instead (a cycle, or a longer path, is wanted there).
fn shortest(
    part: &PatternPart,
    row: Row,
    used: Vec<EdgeId>,
    filter: &Filter<'_>,
    ctx: &Ctx<'_>,
    out: &mut Emit<'_>,
) -> Result<Flow> {
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
    let all = part.shortest != Some(Shortest::One);
    let starts = candidates(&el.start, &sp, &mut row, filter, ctx)?;
    let ends = candidates(end, &ep, &mut row, filter, ctx)?;
    for &s in &starts {
        for &t in &ends {
            ctx.check_cancel()?;
            let found = if s != t && min <= 1 && !all {
                bidirectional_path(s, t, rel, &rel_props, &used, max, ctx)?
            } else if s != t && min <= 1 {
                bfs_paths(s, t, rel, &rel_props, &used, max, all, ctx)?
            } else {
                trail_paths(s, t, rel, &rel_props, &used, (min, max), all, ctx)?
            };
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
                if out(r, u)? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
        }
    }
    Ok(Flow::More)
}

/// A found path: its relationships and its nodes (one more).
type FoundPath = (Vec<EdgeId>, Vec<NodeId>);

/// The shortest paths from `s` to `t` (`s != t`) of at most `max` relationships, by a
/// breadth-first search that visits each node once: one, or every one when `all`.
#[allow(clippy::too_many_arguments, reason = "the search's inputs, each used")]
fn bfs_paths(
    s: NodeId,
    t: NodeId,
    rel: &RelPattern,
    rel_props: &Props,
    used: &[EdgeId],
    max: u64,
    all: bool,
    ctx: &Ctx<'_>,
) -> Result<Vec<FoundPath>> {
    use std::collections::HashMap;
    let mut depth_of: HashMap<NodeId, u64> = HashMap::from([(s, 0)]);
    let mut preds: HashMap<NodeId, Vec<(EdgeId, NodeId)>> = HashMap::new();
    let mut frontier = vec![s];
    let mut depth = 0u64;
    while !frontier.is_empty() && !depth_of.contains_key(&t) && depth < max {
        depth += 1;
        let mut next = Vec::new();
        for &n in &frontier {
            ctx.check_cancel()?;
            for (e, o) in steps(n, rel, ctx)? {
                if used.contains(&e) || !rel_ok(e, rel_props, ctx)? {
                    continue;
                }
                match depth_of.get(&o) {
                    None => {
                        depth_of.insert(o, depth);
                        preds.insert(o, vec![(e, n)]);
                        next.push(o);
                    }
                    Some(&d) if d == depth && all => {
                        preds.entry(o).or_default().push((e, n));
                    }
                    Some(_) => {}
                }
            }
        }
        frontier = next;
    }
    if !depth_of.contains_key(&t) {
        return Ok(Vec::new());
    }
    // Every path back from `t` through the predecessors, reversed.
    let mut out = Vec::new();
    let mut stack: Vec<(NodeId, Vec<EdgeId>, Vec<NodeId>)> = vec![(t, Vec::new(), vec![t])];
    while let Some((at, rels, nodes)) = stack.pop() {
        if at == s {
            let (mut rels, mut nodes) = (rels, nodes);
            rels.reverse();
            nodes.reverse();
            out.push((rels, nodes));
            if !all {
                break;
            }
            continue;
        }
        for &(e, p) in preds
            .get(&at)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .rev()
        {
            let mut r = rels.clone();
            r.push(e);
            let mut ns = nodes.clone();
            ns.push(p);
            stack.push((p, r, ns));
        }
    }
    Ok(out)
}

/// Nodes a breadth-first search reached: depth, and the step that reached each (edge and
/// previous node; none at the start).
type Reached = std::collections::HashMap<NodeId, (u64, Option<(EdgeId, NodeId)>)>;

/// One shortest path from `s` to `t` (`s != t`) of at most `max` relationships, by a
/// breadth-first search from both ends at once: each round grows the smaller frontier by
/// one level (the search from `t` walks the pattern backwards), and stops at the level
/// where the two searches first touch, keeping the meeting that makes the shortest path.
/// It visits about the square root of what a search from one end visits, on graphs whose
/// neighbourhoods grow fast.
fn bidirectional_path(
    s: NodeId,
    t: NodeId,
    rel: &RelPattern,
    rel_props: &Props,
    used: &[EdgeId],
    max: u64,
    ctx: &Ctx<'_>,
) -> Result<Vec<FoundPath>> {
    use std::collections::HashMap;
    let mut back = rel.clone();
    back.dir = match rel.dir {
        Dir::Right => Dir::Left,
        Dir::Left => Dir::Right,
        Dir::Both => Dir::Both,
    };
    // Node -> (depth, the step that reached it: edge and previous node).
    let mut seen: [Reached; 2] = [
        HashMap::from([(s, (0, None))]),
        HashMap::from([(t, (0, None))]),
    ];
    let mut frontier = [vec![s], vec![t]];
    let mut depth = [0u64, 0u64];
    while depth[0] + depth[1] < max && !frontier[0].is_empty() && !frontier[1].is_empty() {
        let side = usize::from(frontier[1].len() < frontier[0].len());
        let other = 1 - side;
        let pattern = if side == 0 { rel } else { &back };
        depth[side] += 1;
        let d = depth[side];
        let mut next = Vec::new();
        // The best meeting so far: (total length, node, the step that reached it).
        let mut best: Option<(u64, NodeId, (EdgeId, NodeId))> = None;
        for &n in &frontier[side] {
            ctx.check_cancel()?;
            for (e, o) in steps(n, pattern, ctx)? {
                if used.contains(&e) || !rel_ok(e, rel_props, ctx)? {
                    continue;
                }
                if let Some(&(od, _)) = seen[other].get(&o) {
                    let total = d + od;
                    if total <= max && best.is_none_or(|(b, _, _)| total < b) {
                        best = Some((total, o, (e, n)));
                    }
                }
                if let std::collections::hash_map::Entry::Vacant(v) = seen[side].entry(o) {
                    v.insert((d, Some((e, n))));
                    next.push(o);
                }
            }
        }
        if let Some((_, meet, step)) = best {
            // The half on this side ends with `step` into `meet`; the other side's parents
            // lead from `meet` to its end.
            let mut half = vec![step];
            let mut at = step.1;
            while let Some(&(_, Some(p))) = seen[side].get(&at) {
                half.push(p);
                at = p.1;
            }
            let mut rest = Vec::new();
            let mut at = meet;
            while let Some(&(_, Some(p))) = seen[other].get(&at) {
                rest.push(p);
                at = p.1;
            }
            // `half` runs from `meet` back to this side's end, `rest` from `meet` to the
            // other's: orient both from `s` to `t`.
            let (from_s, from_t) = if side == 0 {
                (half, rest)
            } else {
                (rest, half)
            };
            // Each entry of `from_s` is (edge, the node before it), nearest `meet` first.
            let mut rels: Vec<EdgeId> = from_s.iter().rev().map(|&(e, _)| e).collect();
            let mut nodes: Vec<NodeId> = from_s.iter().rev().map(|&(_, n)| n).collect();
            nodes.push(meet);
            for &(e, n) in &from_t {
                rels.push(e);
                nodes.push(n);
            }
            return Ok(vec![(rels, nodes)]);
        }
        frontier[side] = next;
    }
    Ok(Vec::new())
}

/// The shortest trails (no relationship twice) from `s` to `t` with a length in
/// `min..=max`, level by level: for a cycle (`s == t`) or a minimum above 1.
#[allow(clippy::too_many_arguments, reason = "the search's inputs, each used")]
fn trail_paths(
    s: NodeId,
    t: NodeId,
    rel: &RelPattern,
    rel_props: &Props,
    used: &[EdgeId],
    (min, max): (u64, u64),
    all: bool,
    ctx: &Ctx<'_>,
) -> Result<Vec<FoundPath>> {
    let mut level: Vec<(NodeId, Vec<EdgeId>, Vec<NodeId>)> = vec![(s, Vec::new(), vec![s])];
    let mut found: Vec<FoundPath> = Vec::new();
    let mut depth = 0u64;
    loop {
        for (n, trail, nodes) in &level {
            if *n == t && depth >= min {
                found.push((trail.clone(), nodes.clone()));
            }
        }
        if !found.is_empty() || depth >= max || level.is_empty() {
            break;
        }
        let mut next = Vec::new();
        for (n, trail, nodes) in &level {
            ctx.check_cancel()?;
            for (e, o) in steps(*n, rel, ctx)? {
                if trail.contains(&e)
                    || used.contains(&e)
                    || nodes.contains(&o) && o != t
                    || !rel_ok(e, rel_props, ctx)?
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
    if !all {
        found.truncate(1);
    }
    Ok(found)
}

/// Whether a pattern (a predicate in an expression) has at least one match.
pub fn pattern_exists(el: &PatternElement, row: &Row, ctx: &Ctx<'_>) -> Result<bool> {
    let part = PatternPart {
        var: None,
        shortest: None,
        element: el.clone(),
    };
    let mut found = false;
    for_each_match(
        std::slice::from_ref(&part),
        row.clone(),
        &Filter::default(),
        ctx,
        &mut |_| {
            found = true;
            Ok(Flow::Stop)
        },
    )?;
    Ok(found)
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
