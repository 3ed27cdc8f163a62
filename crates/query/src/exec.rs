//! Running a parsed query: clause after clause over rows of variables, each clause
//! materializing its rows (the streaming planner replaces this). `MATCH` and `OPTIONAL
//! MATCH` bind patterns (`matcher.rs`); `CREATE`, `MERGE`, `SET`, `REMOVE` and `DELETE`
//! write through [`GraphWrite`]; `UNWIND`, `WITH`, `RETURN` (with `DISTINCT`, `ORDER BY`,
//! `SKIP`, `LIMIT` and aggregation) and `UNION` project. A clause it does not run yet
//! (`CALL`) is refused with `Unsupported`, never skipped.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::aggregate::Accumulator;
use crate::ast::{Clause, Expr, ExprKind, Projection, Query, SingleQuery, Statement};
use crate::error::{QueryError, Result};
use crate::eval::{Ctx, GraphRead, Row, eval, is_aggregate};
use crate::value::{GroupKey, Value, order};
use pagegraph::{EdgeId, NodeId, Properties};

/// A query's result: column names, rows of values, and what it changed.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct QueryResult {
    /// The columns, in order.
    pub columns: Vec<String>,
    /// The rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
    /// What the query wrote.
    pub stats: QueryStats,
}

/// Counts of what a query wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct QueryStats {
    /// Nodes created.
    pub nodes_created: u64,
    /// Nodes deleted.
    pub nodes_deleted: u64,
    /// Relationships created.
    pub rels_created: u64,
    /// Relationships deleted.
    pub rels_deleted: u64,
    /// Labels added to nodes.
    pub labels_added: u64,
    /// Labels removed from nodes.
    pub labels_removed: u64,
    /// Properties set.
    pub props_set: u64,
    /// Properties removed.
    pub props_removed: u64,
}

/// Writes the query clauses make. A write transaction implements it; a snapshot refuses
/// every write.
pub trait GraphWrite: GraphRead {
    /// Creates a node.
    fn create_node(&mut self, labels: &[&str], props: Properties) -> Result<NodeId>;
    /// Creates a relationship.
    fn create_rel(
        &mut self,
        from: NodeId,
        to: NodeId,
        ty: &str,
        props: Properties,
    ) -> Result<EdgeId>;
    /// Replaces a node's properties.
    fn set_node_props(&mut self, id: NodeId, props: Properties) -> Result<()>;
    /// Replaces a relationship's properties.
    fn set_rel_props(&mut self, id: EdgeId, props: Properties) -> Result<()>;
    /// Adds a label; false if the node had it.
    fn add_label(&mut self, id: NodeId, label: &str) -> Result<bool>;
    /// Removes a label; false if the node did not have it.
    fn remove_label(&mut self, id: NodeId, label: &str) -> Result<bool>;
    /// Deletes a node and its relationships.
    fn delete_node(&mut self, id: NodeId) -> Result<()>;
    /// Deletes a relationship.
    fn delete_rel(&mut self, id: EdgeId) -> Result<()>;
    /// Creates an index (built over the existing data).
    fn create_index(&mut self, spec: pagegraph::IndexSpec) -> Result<()>;
    /// Drops an index; false if there was none of that name.
    fn drop_index(&mut self, name: &str) -> Result<bool>;
}

impl GraphWrite for pagegraph::WriteTxn {
    fn create_node(&mut self, labels: &[&str], props: Properties) -> Result<NodeId> {
        Ok(pagegraph::WriteTxn::create_node(self, labels, props)?)
    }
    fn create_rel(
        &mut self,
        from: NodeId,
        to: NodeId,
        ty: &str,
        props: Properties,
    ) -> Result<EdgeId> {
        Ok(self.create_edge(from, to, ty, props)?)
    }
    fn set_node_props(&mut self, id: NodeId, props: Properties) -> Result<()> {
        Ok(self.set_node_properties(id, props)?)
    }
    fn set_rel_props(&mut self, id: EdgeId, props: Properties) -> Result<()> {
        Ok(self.set_edge_properties(id, props)?)
    }
    fn add_label(&mut self, id: NodeId, label: &str) -> Result<bool> {
        Ok(pagegraph::WriteTxn::add_label(self, id, label)?)
    }
    fn remove_label(&mut self, id: NodeId, label: &str) -> Result<bool> {
        Ok(pagegraph::WriteTxn::remove_label(self, id, label)?)
    }
    fn delete_node(&mut self, id: NodeId) -> Result<()> {
        Ok(pagegraph::WriteTxn::delete_node(self, id)?)
    }
    fn delete_rel(&mut self, id: EdgeId) -> Result<()> {
        Ok(self.delete_edge(id)?)
    }
    fn create_index(&mut self, spec: pagegraph::IndexSpec) -> Result<()> {
        pagegraph::WriteTxn::create_index(self, spec)?;
        Ok(())
    }
    fn drop_index(&mut self, name: &str) -> Result<bool> {
        match pagegraph::WriteTxn::drop_index(self, name) {
            Ok(()) => Ok(true),
            Err(pagegraph::GraphError::IndexNotFound(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// A read-only graph as a [`GraphWrite`] that refuses every write.
struct ReadOnly<'a>(&'a dyn GraphRead);

fn read_only<T>() -> Result<T> {
    Err(QueryError::Unsupported(
        "writing in a read transaction: run the query in a write transaction".into(),
    ))
}

impl GraphRead for ReadOnly<'_> {
    fn node(&self, id: NodeId) -> Result<Option<pagegraph::NodeProps>> {
        self.0.node(id)
    }
    fn rel(&self, id: EdgeId) -> Result<Option<pagegraph::EdgeProps>> {
        self.0.rel(id)
    }
    fn node_ids(&self) -> Result<Vec<NodeId>> {
        self.0.node_ids()
    }
    fn label_ids(&self, label: &str) -> Result<Vec<NodeId>> {
        self.0.label_ids(label)
    }
    fn expand(
        &self,
        node: NodeId,
        dir: pagegraph::Direction,
        ty: Option<&str>,
    ) -> Result<Vec<(EdgeId, NodeId)>> {
        self.0.expand(node, dir, ty)
    }
    fn indexes(&self) -> Result<Vec<pagegraph::IndexInfo>> {
        self.0.indexes()
    }
}

impl GraphWrite for ReadOnly<'_> {
    fn create_node(&mut self, _: &[&str], _: Properties) -> Result<NodeId> {
        read_only()
    }
    fn create_rel(&mut self, _: NodeId, _: NodeId, _: &str, _: Properties) -> Result<EdgeId> {
        read_only()
    }
    fn set_node_props(&mut self, _: NodeId, _: Properties) -> Result<()> {
        read_only()
    }
    fn set_rel_props(&mut self, _: EdgeId, _: Properties) -> Result<()> {
        read_only()
    }
    fn add_label(&mut self, _: NodeId, _: &str) -> Result<bool> {
        read_only()
    }
    fn remove_label(&mut self, _: NodeId, _: &str) -> Result<bool> {
        read_only()
    }
    fn delete_node(&mut self, _: NodeId) -> Result<()> {
        read_only()
    }
    fn delete_rel(&mut self, _: EdgeId) -> Result<()> {
        read_only()
    }
    fn create_index(&mut self, _: pagegraph::IndexSpec) -> Result<()> {
        read_only()
    }
    fn drop_index(&mut self, _: &str) -> Result<bool> {
        read_only()
    }
}

/// Parses and runs a reading query on `graph` (a snapshot, or [`crate::eval::NoGraph`]). A
/// query that writes fails with `Unsupported`; use [`run_write`].
pub fn run(
    text: &str,
    params: &BTreeMap<String, Value>,
    graph: &dyn GraphRead,
) -> Result<QueryResult> {
    run_write(text, params, &mut ReadOnly(graph))
}

/// Parses and runs a query, reads and writes, on a write transaction (or any
/// [`GraphWrite`]). The caller commits; after an error, drop the transaction to discard a
/// partial write.
pub fn run_write(
    text: &str,
    params: &BTreeMap<String, Value>,
    graph: &mut dyn GraphWrite,
) -> Result<QueryResult> {
    let q = match checked(text)? {
        Statement::Query(q) => q,
        other => return schema(&other, graph),
    };
    run_query(&q, params, graph)
}

/// Runs a statement on `graph`: a query that writes in a write transaction of its own,
/// committed when it succeeds (dropped, changing nothing, when it fails); a reading query
/// on a snapshot.
pub fn execute(
    graph: &pagegraph::Graph,
    text: &str,
    params: &BTreeMap<String, Value>,
) -> Result<QueryResult> {
    execute_with(graph, text, params, |r, _| Ok(r))
}

/// Runs a statement as [`execute`] does, then hands its result to `finish` together with
/// the transaction it ran in: the write transaction before it commits, or the snapshot. A
/// caller reads there the nodes and relationships the result names, as the query saw them
/// (the Python binding turns them into dicts this way). An error from `finish` discards the
/// write.
pub fn execute_with<T>(
    graph: &pagegraph::Graph,
    text: &str,
    params: &BTreeMap<String, Value>,
    finish: impl FnOnce(QueryResult, &dyn GraphRead) -> Result<T>,
) -> Result<T> {
    execute_checked(graph, checked(text)?, params, finish)
}

/// [`execute_with`] of a checked statement.
fn execute_checked<T>(
    graph: &pagegraph::Graph,
    statement: Statement,
    params: &BTreeMap<String, Value>,
    finish: impl FnOnce(QueryResult, &dyn GraphRead) -> Result<T>,
) -> Result<T> {
    let q = match statement {
        Statement::Query(q) if !writes(&q) => {
            let snapshot = graph.begin_read()?;
            let r = run_query(&q, params, &mut ReadOnly(&snapshot))?;
            return finish(r, &snapshot);
        }
        Statement::Query(q) => q,
        other => {
            let mut tx = graph.begin_write()?;
            let r = schema(&other, &mut tx)?;
            let out = finish(r, &tx)?;
            tx.commit()?;
            return Ok(out);
        }
    };
    let mut tx = graph.begin_write()?;
    let r = run_query(&q, params, &mut tx)?;
    let out = finish(r, &tx)?;
    tx.commit()?;
    Ok(out)
}

/// Whether a statement writes (a write clause, or a schema command such as `CREATE
/// INDEX`): [`execute`] runs it in a write transaction. Parses and checks the text, so a
/// statement that would fail to compile fails here the same way.
pub fn statement_writes(text: &str) -> Result<bool> {
    Ok(match checked(text)? {
        Statement::Query(q) => writes(&q),
        _ => true,
    })
}

/// Whether a parsed statement writes (a write clause or a schema command).
pub fn is_write(s: &Statement) -> bool {
    match s {
        Statement::Query(q) => writes(q),
        Statement::Explain(_) => false,
        Statement::Profile(inner) => is_write(inner),
        Statement::CreateIndex { .. } | Statement::DropIndex { .. } => true,
    }
}

/// Runs a script of `;`-separated statements, each as [`execute`] runs one (its own
/// transaction); stops at the first error, with the statements before it committed.
/// Returns each statement's result.
pub fn execute_script(
    graph: &pagegraph::Graph,
    text: &str,
    params: &BTreeMap<String, Value>,
) -> Result<Vec<QueryResult>> {
    let mut out = Vec::new();
    for statement in crate::parse_script(text)? {
        out.push(execute_checked(
            graph,
            prepared(statement)?,
            params,
            |r, _| Ok(r),
        )?);
    }
    Ok(out)
}

/// The statement of `text`, parsed, normalized and checked.
fn checked(text: &str) -> Result<Statement> {
    prepared(crate::parse(text)?)
}

/// A parsed statement, normalized and checked.
fn prepared(mut statement: Statement) -> Result<Statement> {
    if let Statement::Query(q) = &mut statement {
        crate::semantic::normalize(q);
    }
    crate::semantic::check(&statement)?;
    Ok(statement)
}

/// Runs a schema command: `CREATE INDEX`, `CREATE CONSTRAINT ... IS UNIQUE`, `DROP
/// INDEX` / `DROP CONSTRAINT`. `EXPLAIN` and `PROFILE` wait for the planner.
fn schema(s: &Statement, graph: &mut dyn GraphWrite) -> Result<QueryResult> {
    match s {
        Statement::CreateIndex {
            name,
            relationship,
            target,
            properties,
            unique,
            if_not_exists,
        } => {
            let spec = pagegraph::IndexSpec {
                name: name.clone(),
                target: if *relationship {
                    pagegraph::IndexTarget::EdgeType(target.clone())
                } else {
                    pagegraph::IndexTarget::Label(target.clone())
                },
                properties: properties.clone(),
                unique: *unique,
            };
            match graph.create_index(spec) {
                Err(QueryError::Graph(pagegraph::GraphError::IndexExists(_))) if *if_not_exists => {
                }
                other => other?,
            }
            Ok(QueryResult::default())
        }
        Statement::DropIndex { name, if_exists } => {
            if !graph.drop_index(name)? && !if_exists {
                return Err(QueryError::Graph(pagegraph::GraphError::IndexNotFound(
                    name.clone(),
                )));
            }
            Ok(QueryResult::default())
        }
        Statement::Explain(_) | Statement::Profile(_) => {
            Err(QueryError::Unsupported("EXPLAIN and PROFILE".into()))
        }
        Statement::Query(q) => run_query(q, &BTreeMap::new(), graph),
    }
}

/// Whether a query has a write clause.
pub fn writes(q: &Query) -> bool {
    std::iter::once(&q.first)
        .chain(q.unions.iter().map(|(_, s)| s))
        .flat_map(|s| &s.clauses)
        .any(|c| {
            matches!(
                c,
                Clause::Create(_)
                    | Clause::Merge { .. }
                    | Clause::Set(_)
                    | Clause::Remove(_)
                    | Clause::Delete { .. }
            )
        })
}

fn run_query(
    q: &Query,
    params: &BTreeMap<String, Value>,
    graph: &mut dyn GraphWrite,
) -> Result<QueryResult> {
    let mut result = run_single(&q.first, params, graph)?;
    let mut distinct = false;
    for (all, part) in &q.unions {
        let next = run_single(part, params, graph)?;
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
        add_stats(&mut result.stats, next.stats);
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

fn add_stats(a: &mut QueryStats, b: QueryStats) {
    a.nodes_created += b.nodes_created;
    a.nodes_deleted += b.nodes_deleted;
    a.rels_created += b.rels_created;
    a.rels_deleted += b.rels_deleted;
    a.labels_added += b.labels_added;
    a.labels_removed += b.labels_removed;
    a.props_set += b.props_set;
    a.props_removed += b.props_removed;
}

#[allow(clippy::too_many_lines, reason = "one arm per clause")]
fn run_single(
    q: &SingleQuery,
    params: &BTreeMap<String, Value>,
    graph: &mut dyn GraphWrite,
) -> Result<QueryResult> {
    let mut rows = vec![Row::default()];
    let mut scope: Vec<String> = Vec::new();
    let mut stats = QueryStats::default();
    for clause in &q.clauses {
        if let Some(new_rows) =
            crate::write::clause(clause, &rows, &mut scope, params, graph, &mut stats)?
        {
            rows = new_rows;
            continue;
        }
        let reader: &dyn GraphRead = &*graph;
        let ctx = &Ctx {
            params,
            graph: reader,
            aggregates: None,
        };
        match clause {
            Clause::Match {
                optional,
                pattern,
                filter,
            } => {
                let new_vars = crate::write::pattern_vars(pattern);
                let mut out = Vec::new();
                for row in &rows {
                    let mut found = false;
                    for mut r in crate::matcher::match_parts(pattern, row, ctx)? {
                        let keep = match filter {
                            Some(f) => matches!(eval(f, &mut r, ctx)?, Value::Bool(true)),
                            None => true,
                        };
                        if keep {
                            found = true;
                            out.push(r);
                        }
                    }
                    if *optional && !found {
                        let mut r = row.clone();
                        for v in &new_vars {
                            if r.get(v).is_none() {
                                r.set(v, Value::Null);
                            }
                        }
                        out.push(r);
                    }
                }
                rows = out;
                for v in new_vars {
                    if !scope.contains(&v) {
                        scope.push(v);
                    }
                }
            }
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
                let (columns, projected) = project(rows, &scope, projection, true, ctx)?;
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
                let (columns, projected) = project(rows, &scope, projection, false, ctx)?;
                let rows = projected
                    .into_iter()
                    .map(|r| {
                        columns
                            .iter()
                            .map(|c| r.get(c).cloned().unwrap_or(Value::Null))
                            .collect()
                    })
                    .collect();
                return Ok(QueryResult {
                    columns,
                    rows,
                    stats,
                });
            }
            Clause::Call {
                name,
                args,
                yields,
                filter,
                ..
            } => {
                let mut out = Vec::new();
                for row in &rows {
                    let mut r = row.clone();
                    let arg_values = match args {
                        Some(a) => a
                            .iter()
                            .map(|x| eval(x, &mut r, ctx))
                            .collect::<Result<Vec<_>>>()?,
                        None => Vec::new(),
                    };
                    let output = crate::procedures::call(name, &arg_values, reader)?;
                    // YIELD picks and renames columns; without it (or with `*`), all.
                    let picks: Vec<(usize, String)> = match yields {
                        Some(items) if !items.is_empty() => items
                            .iter()
                            .map(|(field, alias)| {
                                output
                                    .columns
                                    .iter()
                                    .position(|c| c == field)
                                    .map(|i| (i, alias.clone().unwrap_or_else(|| field.clone())))
                                    .ok_or_else(|| QueryError::Semantic {
                                        code: "UndefinedVariable",
                                        message: format!("the procedure yields no `{field}`"),
                                    })
                            })
                            .collect::<Result<_>>()?,
                        _ => output
                            .columns
                            .iter()
                            .enumerate()
                            .map(|(i, c)| (i, (*c).to_string()))
                            .collect(),
                    };
                    for values in output.rows {
                        let mut nr = r.clone();
                        for (i, n) in &picks {
                            nr.set(n, values.get(*i).cloned().unwrap_or(Value::Null));
                        }
                        if let Some(f) = filter
                            && !matches!(eval(f, &mut nr, ctx)?, Value::Bool(true))
                        {
                            continue;
                        }
                        out.push(nr);
                    }
                    for (_, n) in &picks {
                        if !scope.contains(n) {
                            scope.push(n.clone());
                        }
                    }
                }
                rows = out;
                // A query that is only the call returns its columns.
                if q.clauses.len() == 1 {
                    let columns: Vec<String> = scope.clone();
                    let rows = rows
                        .iter()
                        .map(|r| {
                            columns
                                .iter()
                                .map(|c| r.get(c).cloned().unwrap_or(Value::Null))
                                .collect()
                        })
                        .collect();
                    return Ok(QueryResult {
                        columns,
                        rows,
                        stats,
                    });
                }
            }
            Clause::Subquery(_) => return Err(QueryError::Unsupported("CALL { }".into())),
            // Writes were run above.
            Clause::Create(_)
            | Clause::Merge { .. }
            | Clause::Set(_)
            | Clause::Remove(_)
            | Clause::Delete { .. } => {}
        }
    }
    // A query without RETURN returns no columns.
    Ok(QueryResult {
        columns: Vec::new(),
        rows: Vec::new(),
        stats,
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
        Value::Int(i) => Err(QueryError::Semantic {
            code: "NegativeIntegerArgument",
            message: format!("{what} must not be negative, got {i}"),
        }),
        other => Err(QueryError::Semantic {
            code: "InvalidArgumentType",
            message: format!("{what} must be an integer, got a {}", other.type_name()),
        }),
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
    is_with: bool,
    ctx: &Ctx<'_>,
) -> Result<(Vec<String>, Vec<Row>)> {
    // The columns: `*` (the variables in scope, by name), then the items.
    let mut items: Vec<(String, Option<&Expr>)> = Vec::new();
    if p.star {
        if scope.is_empty() && !is_with {
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
    // An aggregating projection also computes the aggregates its ORDER BY uses.
    if !aggs.is_empty() {
        for (e, _) in &p.order {
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
            // ORDER BY after aggregation sees the group's first input row (grouping keys),
            // the projected names and the aggregates; its keys take the place of the row.
            let mut keys_v = Vec::new();
            if !p.order.is_empty() {
                let mut scope_row = first.clone();
                for (n, v) in &new.vars {
                    scope_row.set(n, v.clone());
                }
                for (e, _) in &p.order {
                    let projected = items
                        .iter()
                        .position(|(_, it)| it.is_some_and(|it| it == e));
                    keys_v.push(match projected {
                        Some(i) => new.vars[i].1.clone(),
                        None => eval(e, &mut scope_row, &actx)?,
                    });
                }
            }
            out.push((
                new,
                Row {
                    vars: keys_v.into_iter().map(|v| (String::new(), v)).collect(),
                },
            ));
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
