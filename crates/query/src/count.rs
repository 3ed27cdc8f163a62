//! `MATCH (a:A)-[:R]->(b:B)-[:S]->(c:C) RETURN count(*)`: the number of matches of a short
//! pattern, counted without enumerating them.
//!
//! A single node pattern is the count the graph keeps of its label (or of all nodes). A
//! pattern of one or two directed steps with labels and types only (no properties, no
//! `WHERE`, no path variable, no variable bound before) has as many matches as there are
//! walks through it whose two relationships differ. The walks are counted by levels: the
//! number of ways to reach each node after the first step, times the number of ways on from
//! it. A walk that takes the same relationship twice is a match of neither openCypher nor
//! Neo4j (relationships are unique within a pattern), and such walks are counted and taken
//! off: the second step can take the first step's relationship again only back the way it
//! came (the steps point opposite ways, and it ends where the walk began) or round a
//! self-loop.
//!
//! The count reads every relationship of the first step and, from each node it reaches,
//! those of the second: about twice the relationships, where enumerating reads a row per
//! match (a node of in-degree and out-degree 1000 alone makes a million). Unless the start
//! is a small label set, it reads them in two sequential scans of the adjacency (label
//! sets as bitmaps, ways into each middle node in an array by id) instead of a lookup per
//! node; else level by level from the start's nodes.

use std::collections::HashSet;

use pagegraph::{EdgeId, NodeId};
use rustc_hash::FxHashMap;

use crate::ast::{Clause, Dir, Expr, NodePattern, PatternElement, PatternPart, RelPattern};
use crate::error::Result;
use crate::eval::{Ctx, Row};
use crate::matcher::steps;

/// The one pattern of a `MATCH` without `OPTIONAL` and without `WHERE`, if it is one.
pub(crate) fn sole_pattern(clause: &Clause) -> Option<&PatternPart> {
    match sole_pattern_where(clause)? {
        (part, None) => Some(part),
        (_, Some(_)) => None,
    }
}

/// The one pattern of a `MATCH` without `OPTIONAL`, with its `WHERE`, if it is one.
pub(crate) fn sole_pattern_where(clause: &Clause) -> Option<(&PatternPart, Option<&Expr>)> {
    let Clause::Match {
        optional: false,
        pattern,
        filter,
    } = clause
    else {
        return None;
    };
    let [part] = pattern.as_slice() else {
        return None;
    };
    Some((part, filter.as_ref()))
}

/// The pattern of a `MATCH` whose matches can be counted this way, if it is one.
pub(crate) fn countable(clause: &Clause) -> Option<&PatternElement> {
    let part = sole_pattern(clause)?;
    let el = &part.element;
    if part.var.is_some() || part.shortest.is_some() || el.chain.len() > 2 {
        return None;
    }
    let plain_node = |n: &NodePattern| n.props.is_none();
    let plain_rel = |r: &RelPattern| r.props.is_none() && r.length.is_none() && r.dir != Dir::Both;
    if !plain_node(&el.start) || !el.chain.iter().all(|(r, n)| plain_rel(r) && plain_node(n)) {
        return None;
    }
    // Every variable once: a repeated one is a constraint this count does not make.
    let mut names = HashSet::new();
    let vars = std::iter::once(&el.start.var)
        .chain(el.chain.iter().flat_map(|(r, n)| [&r.var, &n.var]))
        .flatten();
    for v in vars {
        if !names.insert(v.as_str()) {
            return None;
        }
    }
    Some(el)
}

/// Whether none of the pattern's variables is bound in `row` (the count is then the same
/// for every such row).
pub(crate) fn unbound_in(el: &PatternElement, row: &Row) -> bool {
    std::iter::once(&el.start.var)
        .chain(el.chain.iter().flat_map(|(r, n)| [&r.var, &n.var]))
        .flatten()
        .all(|v| !row.has(v))
}

/// Ids above this are kept in a hash set rather than a bitmap (which would take a bit for
/// every id below the largest).
const BITMAP_IDS_MAX: u64 = 1 << 31;

/// A set of node ids: a bitmap over the ids (dense, as the graph hands them out), or a hash
/// set where the largest id would make the bitmap too large.
pub(crate) enum IdSet {
    Bits(Vec<u64>),
    Hashed(HashSet<NodeId>),
}

impl IdSet {
    pub(crate) fn of(ids: &[NodeId]) -> IdSet {
        let max = ids.iter().map(|n| n.0).max().unwrap_or(0);
        if max >= BITMAP_IDS_MAX {
            return IdSet::Hashed(ids.iter().copied().collect());
        }
        let words = usize::try_from(max / 64 + 1).unwrap_or(0);
        let mut bits = vec![0u64; words];
        for n in ids {
            let (w, b) = (usize::try_from(n.0 / 64).unwrap_or(0), n.0 % 64);
            if let Some(word) = bits.get_mut(w) {
                *word |= 1 << b;
            }
        }
        IdSet::Bits(bits)
    }

    pub(crate) fn contains(&self, n: NodeId) -> bool {
        match self {
            IdSet::Bits(bits) => usize::try_from(n.0 / 64)
                .ok()
                .and_then(|w| bits.get(w))
                .is_some_and(|word| word & (1 << (n.0 % 64)) != 0),
            IdSet::Hashed(set) => set.contains(&n),
        }
    }
}

/// The nodes with every label of `labels`, or `None` for no labels (every node).
fn label_set(labels: &[String], ctx: &Ctx<'_>) -> Result<Option<(IdSet, Vec<NodeId>)>> {
    let mut ids: Option<Vec<NodeId>> = None;
    for l in labels {
        let with = ctx.graph.label_ids(l)?;
        ids = Some(match ids {
            None => with,
            Some(have) => {
                let set = IdSet::of(&with);
                have.into_iter().filter(|&n| set.contains(n)).collect()
            }
        });
    }
    Ok(ids.map(|ids| (IdSet::of(&ids), ids)))
}

/// Whether every node has every label of `labels`, known without reading the label index:
/// no labels, or one whose count (kept by the graph) is the graph's node count.
fn every_node_has(labels: &[String], ctx: &Ctx<'_>) -> Result<bool> {
    Ok(match labels {
        [] => true,
        [l] => matches!(
            (ctx.graph.label_count(l)?, ctx.graph.node_count()?),
            (Some(c), Some(n)) if c == n
        ),
        _ => false,
    })
}

fn within(set: Option<&(IdSet, Vec<NodeId>)>, id: NodeId) -> bool {
    set.is_none_or(|(s, _)| s.contains(id))
}

/// The number of matches of a [`countable`] pattern.
pub(crate) fn count(el: &PatternElement, ctx: &Ctx<'_>) -> Result<u64> {
    // One node pattern: the graph's count of its label, or of all nodes, where it keeps
    // one.
    if el.chain.is_empty() {
        let kept = match el.start.labels.as_slice() {
            [] => ctx.graph.node_count()?,
            [label] => ctx.graph.label_count(label)?,
            _ => None,
        };
        if let Some(n) = kept {
            return Ok(n);
        }
    }
    if let Some(n) = by_scan(el, ctx)? {
        return Ok(n);
    }
    let starts: Vec<NodeId> = match label_set(&el.start.labels, ctx)? {
        Some((_, ids)) => ids,
        None => ctx.graph.node_ids()?,
    };
    let Some((r1, n1)) = el.chain.first() else {
        return Ok(starts.len() as u64);
    };
    let l1 = label_set(&n1.labels, ctx)?;
    let second = el.chain.get(1);
    let l2 = match second {
        Some((_, n2)) => label_set(&n2.labels, ctx)?,
        None => None,
    };
    // Ways to reach each node after the first step, and walks that would take the first
    // step's relationship again as the second.
    let mut reach: FxHashMap<NodeId, u64> = FxHashMap::default();
    let mut again = 0u64;
    for &a in &starts {
        ctx.check_cancel()?;
        for (e, b) in steps(a, r1, ctx)? {
            if !within(l1.as_ref(), b) {
                continue;
            }
            *reach.entry(b).or_default() += 1;
            if let Some((r2, _)) = second
                && reused(a, b, e, r1, r2, l2.as_ref(), ctx)?
            {
                again += 1;
            }
        }
    }
    let Some((r2, _)) = second else {
        return Ok(reach.values().sum());
    };
    let mut total = 0u64;
    for (&b, &ways) in &reach {
        ctx.check_cancel()?;
        let on = steps(b, r2, ctx)?
            .into_iter()
            .filter(|&(_, c)| within(l2.as_ref(), c))
            .count() as u64;
        total = total.saturating_add(ways.saturating_mul(on));
    }
    Ok(total.saturating_sub(again))
}

/// The second step of a pattern of one or two ([`by_scan`]): `Ok(None)` for none, `Err`
/// when there are more, or when whether a first step's relationship can be taken again
/// depends on its type (as `reused` decides).
fn second_step<'p>(
    r1: &RelPattern,
    rest: &'p [(RelPattern, NodePattern)],
) -> std::result::Result<Option<(&'p RelPattern, &'p NodePattern)>, ()> {
    match rest {
        [] => Ok(None),
        [(r2, n2)] => {
            let any_type_again = r2.types.is_empty()
                || (!r1.types.is_empty() && r1.types.iter().all(|t| r2.types.contains(t)));
            if any_type_again {
                Ok(Some((r2, n2)))
            } else {
                Err(())
            }
        }
        _ => Err(()),
    }
}

/// Node ids up to this are counted in a dense array (4 bytes per id) by [`by_scan`]; a
/// graph with larger ids is counted level by level.
const DENSE_IDS_MAX: u64 = 1 << 26;

/// The entry of node `id` in an array by id, grown (doubling) to hold it; `None` for an
/// id past [`DENSE_IDS_MAX`].
fn dense_slot<T: Copy + Default>(array: &mut Vec<T>, id: NodeId) -> Option<&mut T> {
    let i = usize::try_from(id.0)
        .ok()
        .filter(|_| id.0 <= DENSE_IDS_MAX)?;
    if i >= array.len() {
        let cap = usize::try_from(DENSE_IDS_MAX).unwrap_or(usize::MAX) + 1;
        array.resize((i + 1).max(array.len() * 2).min(cap), T::default());
    }
    array.get_mut(i)
}

/// The count from one or two sequential scans of the adjacency, without a lookup per node:
/// every first step whose ends pass the label sets adds one way into its middle node (an
/// array by node id); every second step then adds the ways into its start. Less the walks
/// that take one relationship twice: a first step is also a second step back the way it
/// came (steps pointing opposite ways: when its start passes the last label set) or round
/// a self-loop (the same way). `None` when the pattern or the graph does not allow it (a
/// relationship whose type decides whether it can be taken twice, a graph without scans,
/// ids too large for the array, over 4G ways into one node), or when the start is a label
/// set of under a quarter of the nodes, cheaper level by level: the caller then counts
/// that way.
fn by_scan(el: &PatternElement, ctx: &Ctx<'_>) -> Result<Option<u64>> {
    let [(r1, n1), rest @ ..] = el.chain.as_slice() else {
        return Ok(None);
    };
    let Ok(second) = second_step(r1, rest) else {
        return Ok(None);
    };
    // Where every node passes every label list of the pattern, the chunk counts answer
    // without a set of ids read from the label index.
    let everyone = |labels: &[String]| every_node_has(labels, ctx);
    if everyone(&el.start.labels)?
        && everyone(&n1.labels)?
        && second.map_or(Ok(true), |(_, n2)| everyone(&n2.labels))?
        && let Some(n) = by_chunk_counts(r1, second.map(|(r2, _)| r2), [None; 3], ctx)?
    {
        return Ok(Some(n));
    }
    let l0 = label_set(&el.start.labels, ctx)?;
    // A start label set of under a quarter of the nodes is cheaper level by level, which
    // reads only its nodes' relationships.
    if let Some((_, ids)) = &l0 {
        match ctx.graph.node_count()? {
            Some(n) if ids.len() as u64 * 4 >= n => {}
            _ => return Ok(None),
        }
    }
    // A label list repeated along the pattern (`(:Person)-->(:Person)`) is read once.
    let own1 = if n1.labels == el.start.labels {
        None
    } else {
        Some(label_set(&n1.labels, ctx)?)
    };
    let l1 = own1.as_ref().map_or(l0.as_ref(), Option::as_ref);
    let own2 = match second {
        Some((_, n2)) if n2.labels != el.start.labels && n2.labels != n1.labels => {
            Some(label_set(&n2.labels, ctx)?)
        }
        _ => None,
    };
    let l2 = match (second, &own2) {
        (None, _) => None,
        (Some(_), Some(own)) => own.as_ref(),
        (Some((_, n2)), None) if n2.labels == el.start.labels => l0.as_ref(),
        (Some(_), None) => l1,
    };
    if let Some(n) = by_chunk_counts(r1, second.map(|(r2, _)| r2), [l0.as_ref(), l1, l2], ctx)? {
        return Ok(Some(n));
    }
    // The scan giving a first step as (middle node, start node): the incoming adjacency
    // for `(a)-->(b)`, the outgoing one for `(a)<--(b)`.
    let into_middle = |d: Dir| d == Dir::Right;
    let mut reach: Vec<u32> = Vec::new();
    let mut first_steps = 0u64;
    let mut again = 0u64;
    let mut too_large = false;
    let scanned = ctx
        .graph
        .scan_relationships(into_middle(r1.dir), &r1.types, &mut |b, a| {
            if too_large || !within(l1, b) || !within(l0.as_ref(), a) {
                return;
            }
            let Some(ways) = dense_slot(&mut reach, b) else {
                too_large = true;
                return;
            };
            let Some(more) = ways.checked_add(1) else {
                too_large = true;
                return;
            };
            *ways = more;
            first_steps += 1;
            if let Some((r2, _)) = second {
                let end = if r1.dir == r2.dir {
                    (a == b).then_some(b)
                } else {
                    Some(a)
                };
                if end.is_some_and(|e| within(l2, e)) {
                    again += 1;
                }
            }
        })?;
    if !scanned || too_large {
        return Ok(None);
    }
    ctx.check_cancel()?;
    let Some((r2, _)) = second else {
        return Ok(Some(first_steps));
    };
    // The scan giving a second step as (middle node, end node): the outgoing adjacency for
    // `(b)-->(c)`, the incoming one for `(b)<--(c)`.
    let mut total = 0u64;
    let scanned = ctx
        .graph
        .scan_relationships(!into_middle(r2.dir), &r2.types, &mut |b, c| {
            if !within(l2, c) {
                return;
            }
            let ways = usize::try_from(b.0)
                .ok()
                .and_then(|i| reach.get(i))
                .copied()
                .unwrap_or(0);
            total = total.saturating_add(u64::from(ways));
        })?;
    if !scanned {
        return Ok(None);
    }
    Ok(Some(total.saturating_sub(again)))
}

/// [`by_scan`] where every node passes the label sets of the pattern's ends (none, or one
/// every node has): the first steps into each middle node, and the second steps out of it,
/// are counted per node from the adjacency's chunks (`GraphRead::scan_degrees`, no
/// relationship decoded) instead of one relationship at a time. The walks that take one
/// relationship twice are the self-loops (steps the same way) or every first step (steps
/// opposite ways: back the way it came). `labels` are the sets of the start, middle and
/// end nodes. `None` where a node may fail the start's or the end's set, else as for
/// [`by_scan`].
fn by_chunk_counts(
    r1: &RelPattern,
    r2: Option<&RelPattern>,
    labels: [Option<&(IdSet, Vec<NodeId>)>; 3],
    ctx: &Ctx<'_>,
) -> Result<Option<u64>> {
    let [l0, l1, l2] = labels;
    let node_count = ctx.graph.node_count()?;
    let everyone = |l: Option<&(IdSet, Vec<NodeId>)>| {
        l.is_none_or(|(_, ids)| node_count == Some(ids.len() as u64))
    };
    if !everyone(l0) || (r2.is_some() && !everyone(l2)) {
        return Ok(None);
    }
    let into_middle = |d: Dir| d == Dir::Right;
    let same_way = r2.is_some_and(|r2| r2.dir == r1.dir);
    // Two steps: both degrees of each middle node read together, on every core.
    if let Some(r2) = r2 {
        let middle = |b: NodeId| within(l1, b);
        // Steps the same way take a relationship twice round each self-loop of the middle
        // nodes: where every node is a middle node, the graph's count of them serves, and
        // no chunk is decoded to find them.
        let counted_loops = if same_way && everyone(l1) {
            ctx.graph.self_loops(&r1.types)?
        } else {
            None
        };
        if let Some(w) = ctx.graph.two_step_walks(
            (into_middle(r1.dir), &r1.types),
            (!into_middle(r2.dir), &r2.types),
            same_way && counted_loops.is_none(),
            &middle,
        )? {
            let again = match (same_way, counted_loops) {
                (true, Some(loops)) => loops,
                (true, None) => w.first_self_loops,
                (false, _) => w.first_steps,
            };
            return Ok(Some(w.walks.saturating_sub(again)));
        }
    }
    let mut reach: Vec<u64> = Vec::new();
    let (mut first_steps, mut again, mut too_large) = (0u64, 0u64, false);
    let scanned = ctx.graph.scan_degrees(
        into_middle(r1.dir),
        &r1.types,
        same_way,
        &mut |b, steps, self_loops| {
            if too_large || !within(l1, b) {
                return;
            }
            first_steps += steps;
            if r2.is_none() {
                return;
            }
            again += if same_way { self_loops } else { steps };
            let Some(ways) = dense_slot(&mut reach, b) else {
                too_large = true;
                return;
            };
            *ways += steps;
        },
    )?;
    if !scanned || too_large {
        return Ok(None);
    }
    ctx.check_cancel()?;
    let Some(r2) = r2 else {
        return Ok(Some(first_steps));
    };
    let mut total = 0u64;
    let scanned = ctx.graph.scan_degrees(
        !into_middle(r2.dir),
        &r2.types,
        false,
        &mut |b, steps, _| {
            let ways = usize::try_from(b.0)
                .ok()
                .and_then(|i| reach.get(i))
                .copied()
                .unwrap_or(0);
            total = total.saturating_add(ways.saturating_mul(steps));
        },
    )?;
    if !scanned {
        return Ok(None);
    }
    Ok(Some(total.saturating_sub(again)))
}

/// The matches of a [`countable`] pattern of one step, per node of `var` (its start or its
/// end), from one scan of the adjacency: `MATCH (a)-[:R]->(b) RETURN b.id, count(*)` groups
/// by `b` without a row per match. Nodes without a match are left out. `None` when `var`
/// is not an end of a one-step pattern, the graph cannot scan, or ids are too large for
/// an array (the caller then enumerates).
pub(crate) fn counts_by(
    el: &PatternElement,
    var: &str,
    ctx: &Ctx<'_>,
) -> Result<Option<Vec<(NodeId, u64)>>> {
    let [(r, end)] = el.chain.as_slice() else {
        return Ok(None);
    };
    let group_is_end = if end.var.as_deref() == Some(var) {
        true
    } else if el.start.var.as_deref() == Some(var) {
        false
    } else {
        return Ok(None);
    };
    let (group, other) = if group_is_end {
        (end, &el.start)
    } else {
        (&el.start, end)
    };
    let lg = label_set(&group.labels, ctx)?;
    let own = if other.labels == group.labels {
        None
    } else {
        Some(label_set(&other.labels, ctx)?)
    };
    let lo = own.as_ref().map_or(lg.as_ref(), Option::as_ref);
    // The scan gives (node, other end) of each relationship in the adjacency of one
    // direction: the incoming one groups the targets of `-->`, the outgoing one its sources.
    let incoming = (r.dir == Dir::Right) == group_is_end;
    let mut counts: Vec<u64> = Vec::new();
    let mut too_large = false;
    let scanned = ctx
        .graph
        .scan_relationships(incoming, &r.types, &mut |g, o| {
            if too_large || !within(lg.as_ref(), g) || !within(lo, o) {
                return;
            }
            let Some(i) = usize::try_from(g.0).ok().filter(|_| g.0 <= DENSE_IDS_MAX) else {
                too_large = true;
                return;
            };
            if i >= counts.len() {
                let cap = usize::try_from(DENSE_IDS_MAX).unwrap_or(usize::MAX) + 1;
                counts.resize((i + 1).max(counts.len() * 2).min(cap), 0);
            }
            counts[i] += 1;
        })?;
    if !scanned || too_large {
        return Ok(None);
    }
    Ok(Some(
        (0u64..)
            .zip(counts)
            .filter(|&(_, n)| n > 0)
            .map(|(i, n)| (NodeId(i), n))
            .collect(),
    ))
}

/// Whether relationship `e`, walked from `a` to `b` as the first step, is also a second
/// step from `b` that the pattern admits.
fn reused(
    a: NodeId,
    b: NodeId,
    e: EdgeId,
    r1: &RelPattern,
    r2: &RelPattern,
    l2: Option<&(IdSet, Vec<NodeId>)>,
    ctx: &Ctx<'_>,
) -> Result<bool> {
    // Back the way it came (to `a`) when the steps point opposite ways; a self-loop
    // (`a == b`) otherwise.
    let end = if r1.dir == r2.dir {
        if a != b {
            return Ok(false);
        }
        b
    } else {
        a
    };
    if !within(l2, end) {
        return Ok(false);
    }
    if r2.types.is_empty()
        || (!r1.types.is_empty() && r1.types.iter().all(|t| r2.types.contains(t)))
    {
        return Ok(true);
    }
    Ok(ctx
        .graph
        .rel(e)?
        .is_some_and(|r| r2.types.contains(&r.edge_type)))
}
