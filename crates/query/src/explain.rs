//! `EXPLAIN`: the plan of a statement, one line per clause, naming the operators that run
//! it: how each pattern's first node is found (an index seek on a named index's label and
//! property, a label scan, every node, or a variable already bound), each expand, the
//! filters and how the projection is computed (aggregation, top-k for `ORDER BY` with
//! `LIMIT`, a stop after `LIMIT` rows). The choice of a seek is the one the executor makes
//! (`matcher.rs`): the first condition, in the order [`crate::plan`] ranks them, that a
//! ready index on one of the node's labels serves.

use pagegraph::{IndexInfo, IndexKind, IndexState, IndexTarget};

use crate::ast::{
    Clause, Dir, Expr, ExprKind, PatternPart, Projection, Query, RelPattern, SingleQuery, Statement,
};
use crate::eval::Row;
use crate::plan::Filter;
use crate::project::aggregates_in;
use crate::value::Value;

/// The plan lines of a statement.
pub(crate) fn explain(s: &Statement, indexes: &[IndexInfo]) -> Vec<String> {
    match s {
        Statement::Query(q) => query(q, indexes),
        Statement::Explain(inner) | Statement::Profile(inner) => explain(inner, indexes),
        Statement::CreateIndex { .. } => vec!["CreateIndex".into()],
        Statement::DropIndex { .. } => vec!["DropIndex".into()],
        Statement::DeclareTable { .. } => vec!["DeclareTable (nothing to do)".into()],
    }
}

fn query(q: &Query, indexes: &[IndexInfo]) -> Vec<String> {
    let mut out = single(&q.first, indexes);
    for (all, part) in &q.unions {
        out.push(
            if *all {
                "UnionAll"
            } else {
                "Union (distinct rows)"
            }
            .into(),
        );
        out.extend(single(part, indexes));
    }
    out
}

/// One line per clause of a query part.
pub(crate) fn single(q: &SingleQuery, indexes: &[IndexInfo]) -> Vec<String> {
    let mut scope: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for c in &q.clauses {
        out.push(clause(c, &mut scope, indexes));
    }
    out
}

/// The plan line of one clause, after clauses that bound `scope`, which it extends.
pub(crate) fn clause(c: &Clause, scope: &mut Vec<String>, indexes: &[IndexInfo]) -> String {
    let line = match c {
        Clause::Match {
            optional,
            pattern,
            filter,
        } => {
            let f = Filter::new(filter.as_ref());
            let mut ops: Vec<String> = Vec::new();
            let mut bound: Vec<String> = scope.clone();
            for part in pattern {
                ops.extend(part_ops(part, &bound, &f, indexes));
                bound.extend(crate::write::pattern_vars(std::slice::from_ref(part)));
            }
            if filter.is_some() {
                ops.push("Filter (each condition checked once its variables are bound)".into());
            }
            let head = if *optional { "OPTIONAL MATCH" } else { "MATCH" };
            format!("{head}: {}", ops.join(" -> "))
        }
        Clause::Unwind { alias, .. } => format!("UNWIND: Unwind({alias})"),
        Clause::With { projection, filter } => {
            let mut line = format!("WITH: {}", projection_ops(projection));
            if filter.is_some() {
                line.push_str(" -> Filter");
            }
            line
        }
        Clause::Return(p) => format!("RETURN: {}", projection_ops(p)),
        Clause::Create(_) => "CREATE: Create".into(),
        Clause::Merge { part, .. } => {
            let ops = part_ops(part, scope, &Filter::default(), indexes);
            format!(
                "MERGE: Merge({}; create when nothing matches)",
                ops.join(" -> ")
            )
        }
        Clause::Set(_) => "SET: SetProperties".into(),
        Clause::Remove(_) => "REMOVE: Remove".into(),
        Clause::Delete { detach, .. } => {
            if *detach {
                "DETACH DELETE: DetachDelete".into()
            } else {
                "DELETE: Delete".into()
            }
        }
        Clause::Call { name, .. } => format!("CALL: ProcedureCall({})", name.join(".")),
        Clause::Subquery(_) => "CALL { }: Apply".into(),
    };
    let added: Vec<String> = match c {
        Clause::Match { pattern, .. } | Clause::Create(pattern) => {
            crate::write::pattern_vars(pattern)
        }
        Clause::Merge { part, .. } => crate::write::pattern_vars(std::slice::from_ref(part)),
        Clause::Unwind { alias, .. } => vec![alias.clone()],
        Clause::With { projection, .. } => {
            scope.clear();
            projection
                .items
                .iter()
                .map(|i| i.alias.clone().unwrap_or_else(|| i.text.clone()))
                .collect()
        }
        _ => Vec::new(),
    };
    for v in added {
        if !scope.contains(&v) {
            scope.push(v);
        }
    }
    line
}

/// The operators of one pattern part: how its first node is found, then each expand.
fn part_ops(
    part: &PatternPart,
    bound: &[String],
    filter: &Filter<'_>,
    indexes: &[IndexInfo],
) -> Vec<String> {
    let el = &part.element;
    let mut ops = vec![start_op(part, bound, filter, indexes)];
    if part.shortest.is_some() {
        let all = part.shortest == Some(crate::ast::Shortest::All);
        let what = if all {
            "AllShortestPaths"
        } else {
            "ShortestPath"
        };
        if let Some((rel, end)) = el.chain.first() {
            ops.push(format!(
                "{what}(breadth-first {})",
                step_text(rel, end.var.as_deref())
            ));
        }
        return ops;
    }
    for (rel, node) in &el.chain {
        let op = if rel.length.is_some() {
            "VarLengthExpand"
        } else {
            "Expand"
        };
        ops.push(format!("{op}({})", step_text(rel, node.var.as_deref())));
    }
    ops
}

fn step_text(rel: &RelPattern, to: Option<&str>) -> String {
    let types = if rel.types.is_empty() {
        String::new()
    } else {
        format!(":{}", rel.types.join("|"))
    };
    let var = rel.var.as_deref().unwrap_or("");
    let len = match rel.length {
        None => String::new(),
        Some((min, max)) => format!(
            "*{}..{}",
            min.map(|m| m.to_string()).unwrap_or_default(),
            max.map(|m| m.to_string()).unwrap_or_default()
        ),
    };
    let (l, r) = match rel.dir {
        Dir::Right => ("-", "->"),
        Dir::Left => ("<-", "-"),
        Dir::Both => ("-", "-"),
    };
    format!("{l}[{var}{types}{len}]{r}({})", to.unwrap_or(""))
}

/// How a part's first node is found.
fn start_op(
    part: &PatternPart,
    bound: &[String],
    filter: &Filter<'_>,
    indexes: &[IndexInfo],
) -> String {
    let n = &part.element.start;
    let var = n.var.as_deref().unwrap_or("");
    if n.var.as_ref().is_some_and(|v| bound.contains(v)) {
        return format!("Argument({var})");
    }
    let mut props: Vec<String> = Vec::new();
    if let Some(Expr {
        kind: ExprKind::Map(entries),
        ..
    }) = &n.props
    {
        props.extend(entries.iter().map(|(k, _)| k.clone()));
    }
    if let Some(v) = &n.var {
        // Conditions whose other side names only variables bound before this match.
        let mut row = Row::default();
        for b in bound {
            row.set(b, Value::Null);
        }
        props.extend(
            filter
                .seek_preds(v, &row)
                .into_iter()
                .map(|p| p.property.to_string()),
        );
    }
    for p in &props {
        for l in &n.labels {
            if let Some(ix) = ready_index(indexes, l, p) {
                return format!("NodeIndexSeek({var}:{l}({p}) by index {})", ix.name);
            }
        }
    }
    match n.labels.first() {
        Some(l) => format!("NodeByLabelScan({var}:{l})"),
        None => format!("AllNodesScan({var})"),
    }
}

fn ready_index<'i>(indexes: &'i [IndexInfo], label: &str, property: &str) -> Option<&'i IndexInfo> {
    indexes.iter().find(|ix| {
        ix.kind == IndexKind::Property
            && ix.state == IndexState::Ready
            && matches!(&ix.target, IndexTarget::Label(l) if l == label)
            && ix.properties.len() == 1
            && ix.properties[0] == property
    })
}

/// How a `WITH` or `RETURN` is computed.
fn projection_ops(p: &Projection) -> String {
    let mut aggs = Vec::new();
    for i in &p.items {
        aggregates_in(&i.expr, &mut aggs);
    }
    let mut ops = Vec::new();
    if aggs.is_empty() {
        ops.push("Projection".to_string());
    } else {
        let keys = p.items.iter().filter(|i| no_aggregate(&i.expr)).count();
        ops.push(format!(
            "HashAggregation ({keys} keys, {} aggregates)",
            aggs.len()
        ));
    }
    if p.distinct {
        ops.push("Distinct".into());
    }
    let top_k = aggs.is_empty() && !p.order.is_empty() && p.limit.is_some();
    if top_k {
        ops.push("TopK (keeps the best SKIP + LIMIT rows)".into());
    } else if !p.order.is_empty() {
        ops.push("Sort".into());
    }
    if p.skip.is_some() {
        ops.push("Skip".into());
    }
    if p.limit.is_some() {
        ops.push(if aggs.is_empty() && p.order.is_empty() {
            "Limit (stops the rows feeding it)".into()
        } else {
            "Limit".into()
        });
    }
    ops.join(" -> ")
}

fn no_aggregate(e: &Expr) -> bool {
    let mut inner = Vec::new();
    aggregates_in(e, &mut inner);
    inner.is_empty()
}
