//! Running a parsed query: clause after clause over rows of variables, each clause
//! materializing its rows (the streaming planner replaces this). `MATCH` and `OPTIONAL
//! MATCH` bind patterns (`matcher.rs`); `CREATE`, `MERGE`, `SET`, `REMOVE` and `DELETE`
//! write through [`GraphWrite`]; `UNWIND`, `WITH`, `RETURN` (with `DISTINCT`, `ORDER BY`,
//! `SKIP`, `LIMIT` and aggregation) and `UNION` project. A clause it does not run yet
//! (`CALL`) is refused with `Unsupported`, never skipped.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::ast::{Clause, Query, SingleQuery, Statement};
use crate::budget::{MemoryBudget, default_memory_limit, row_size, rows_size};
use crate::columns::Column;
use crate::error::{QueryError, Result};
use crate::eval::{Ctx, GraphRead, Row, eval};
use crate::matcher::{Flow, for_each_match};
use crate::plan::Filter;
use crate::procedures::registry::Procedures;
use crate::project::Projector;
use crate::value::{GroupKey, Value};
use pagegraph::{EdgeId, NodeId, Properties};
use read_only::ReadOnly;

mod read_only;

/// A query's result: column names, rows of values, and what it changed.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct QueryResult {
    /// The columns, in order.
    pub columns: Vec<String>,
    /// The rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
    /// What the query wrote.
    pub stats: QueryStats,
    /// The values by column instead of `rows` (which is then empty), where the statement
    /// ran with [`QueryOptions::columnar`] and its result was made a column at a time; see
    /// [`QueryResult::take_columns`].
    pub table: Option<Vec<Column>>,
}

impl QueryResult {
    /// The result's values by column, in row order (one [`Column`] per column name),
    /// leaving `rows` and `table` empty: `table` as it is, else `rows` turned into columns
    /// in one pass.
    pub fn take_columns(&mut self) -> Vec<Column> {
        match self.table.take() {
            Some(table) => table,
            None => crate::columns::from_rows(std::mem::take(&mut self.rows), self.columns.len()),
        }
    }

    /// How many rows it holds, in `rows` or in `table`.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.table {
            Some(t) => t.first().map_or(0, Column::len),
            None => self.rows.len(),
        }
    }

    /// Whether it holds no row.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The nodes and relationships the answer names anywhere in its values: as values, in
    /// lists and maps, and along paths.
    pub fn graph_ids(
        &self,
    ) -> (
        std::collections::BTreeSet<NodeId>,
        std::collections::BTreeSet<EdgeId>,
    ) {
        fn walk(
            v: &Value,
            nodes: &mut std::collections::BTreeSet<NodeId>,
            edges: &mut std::collections::BTreeSet<EdgeId>,
        ) {
            match v {
                Value::Node(n) => {
                    nodes.insert(*n);
                }
                Value::Rel(e) => {
                    edges.insert(*e);
                }
                Value::Path(p) => {
                    nodes.extend(p.nodes.iter().copied());
                    edges.extend(p.rels.iter().copied());
                }
                Value::List(items) => items.iter().for_each(|i| walk(i, nodes, edges)),
                Value::Map(m) => m.values().for_each(|i| walk(i, nodes, edges)),
                _ => {}
            }
        }
        let mut nodes = std::collections::BTreeSet::new();
        let mut edges = std::collections::BTreeSet::new();
        for v in self.rows.iter().flatten() {
            walk(v, &mut nodes, &mut edges);
        }
        (nodes, edges)
    }
}

/// One line of a `PROFILE`: a clause's plan (as `EXPLAIN` gives it), the rows it handed on
/// and, for a clause that ends a run of streamed clauses or runs alone, the time of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileLine {
    /// The clause and its operators.
    pub plan: String,
    /// Rows out of it.
    pub rows: u64,
    /// Time, where it can be told apart (see above).
    pub time: Option<Duration>,
}

/// What `PROFILE` needs to describe clauses as `EXPLAIN` does.
struct PlanLines {
    indexes: Vec<pagegraph::IndexInfo>,
    scope: Vec<String>,
}

/// Stops a running query from another thread: clone it, hand one to the query
/// ([`execute_prepared`], [`run_prepared`]) and call [`Cancel::cancel`] on the other. The
/// query then fails with [`QueryError::Cancelled`] at its next row; a write it began is
/// discarded with its transaction.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A handle not yet cancelled.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks every query holding this handle to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn flag(&self) -> &AtomicBool {
        &self.0
    }
}

/// How a query runs: whether another thread can cancel it, and how much memory it may
/// hold (see [`MemoryBudget`]).
#[derive(Clone, Debug, Default)]
pub struct QueryOptions {
    /// A handle another thread can stop the query with (see [`Cancel`]).
    pub cancel: Option<Cancel>,
    /// The most memory, in bytes, the query may hold in rows it sorts, groups,
    /// deduplicates or returns and in lists it builds; past it the query fails with
    /// [`QueryError::MemoryLimit`]. `None`: [`default_memory_limit`].
    pub memory_limit: Option<usize>,
    /// Whether the result may come by columns ([`QueryResult::table`]) where the query
    /// makes it a column at a time, for callers that convert whole columns (data frames):
    /// `MATCH (a)-[e:R]->(b) RETURN a.x, e.y, b.z` without `DISTINCT`, `ORDER BY`, `SKIP`
    /// or `LIMIT` skips making a row per match. Off: the result is always rows.
    pub columnar: bool,
    /// Procedures the application registered, callable with `CALL` beside the built-in
    /// ones (see [`Procedures`]).
    pub procedures: Option<Arc<Procedures>>,
}

impl QueryOptions {
    /// Runs `f` under these options: their cancel flag, a fresh budget of their memory
    /// limit.
    fn run<T>(&self, f: impl FnOnce(Control<'_>) -> Result<T>) -> Result<T> {
        let budget = MemoryBudget::new(self.memory_limit.unwrap_or_else(default_memory_limit));
        f(Control {
            cancel: self.cancel.as_ref().map(Cancel::flag),
            budget: &budget,
            columnar: self.columnar,
            procedures: self.procedures.as_deref(),
        })
    }
}

/// What every part of a running query checks: its cancel flag and its memory budget.
#[derive(Clone, Copy)]
pub(crate) struct Control<'a> {
    pub(crate) cancel: Option<&'a AtomicBool>,
    pub(crate) budget: &'a MemoryBudget,
    /// Whether a `RETURN` may hand its result by columns (see [`QueryOptions::columnar`]).
    pub(crate) columnar: bool,
    /// The registered procedures (see [`QueryOptions::procedures`]).
    pub(crate) procedures: Option<&'a Procedures>,
}

/// Statements parsed, normalized and checked once, kept by their text: a repeated query
/// skips parsing and analysis. Holds at most `capacity` statements; past that, the one
/// used least recently makes room. Safe to share between threads.
#[derive(Debug)]
pub struct StatementCache {
    capacity: usize,
    inner: Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    /// Text -> (statement, last use).
    entries: HashMap<String, (Arc<Statement>, u64)>,
    tick: u64,
}

impl StatementCache {
    /// A cache of at most `capacity` statements (at least one).
    pub fn new(capacity: usize) -> StatementCache {
        StatementCache {
            capacity: capacity.max(1),
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// The statement of `text`, from the cache or parsed and checked now (an error is not
    /// cached).
    pub fn prepare(&self, text: &str) -> Result<Arc<Statement>> {
        {
            let mut inner = self
                .inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            inner.tick += 1;
            let tick = inner.tick;
            if let Some((s, used)) = inner.entries.get_mut(text) {
                *used = tick;
                return Ok(Arc::clone(s));
            }
        }
        let statement = Arc::new(checked(text)?);
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if inner.entries.len() >= self.capacity
            && let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
        {
            inner.entries.remove(&oldest);
        }
        let tick = inner.tick;
        inner
            .entries
            .insert(text.to_string(), (Arc::clone(&statement), tick));
        Ok(statement)
    }

    /// How many statements it holds.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entries
            .len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for StatementCache {
    /// A cache of 256 statements.
    fn default() -> StatementCache {
        StatementCache::new(256)
    }
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

/// Parses and runs a reading query on `graph` (a snapshot, or [`crate::eval::NoGraph`]). A
/// query that writes fails with `Unsupported`; use [`run_write`].
pub fn run(
    text: &str,
    params: &BTreeMap<String, Value>,
    graph: &dyn GraphRead,
) -> Result<QueryResult> {
    run_write(text, params, &mut ReadOnly::new(graph))
}

/// Parses and runs a query, reads and writes, on a write transaction (or any
/// [`GraphWrite`]). The caller commits; after an error, drop the transaction to discard a
/// partial write.
pub fn run_write(
    text: &str,
    params: &BTreeMap<String, Value>,
    graph: &mut dyn GraphWrite,
) -> Result<QueryResult> {
    let statement = checked(text)?;
    QueryOptions::default().run(|ctl| run_statement(&statement, params, graph, ctl))
}

/// Runs a prepared statement (see [`StatementCache`]) on a write transaction or a
/// snapshot wrapped by [`crate::eval::GraphRead`], with `options` (a cancel handle, a
/// memory limit).
pub fn run_prepared(
    statement: &Statement,
    params: &BTreeMap<String, Value>,
    graph: &mut dyn GraphWrite,
    options: &QueryOptions,
) -> Result<QueryResult> {
    options.run(|ctl| run_statement(statement, params, graph, ctl))
}

/// Runs a checked statement of any kind.
fn run_statement(
    statement: &Statement,
    params: &BTreeMap<String, Value>,
    graph: &mut dyn GraphWrite,
    ctl: Control<'_>,
) -> Result<QueryResult> {
    run_statement_to(statement, params, graph, ctl, None)
}

/// [`run_statement`], handing a reading query's columns and rows to `out` as they are
/// produced (its result then has no rows) when `out` is given.
fn run_statement_to(
    statement: &Statement,
    params: &BTreeMap<String, Value>,
    graph: &mut dyn GraphWrite,
    ctl: Control<'_>,
    out: Option<&mut Emit<'_>>,
) -> Result<QueryResult> {
    match statement {
        Statement::Query(q) if writes(q) => run_query(
            q,
            params,
            &mut crate::write::KeepDeleted::new(graph),
            ctl,
            None,
            None,
        ),
        Statement::Query(q) => run_query(q, params, graph, ctl, None, out),
        Statement::Explain(inner) => {
            let lines = crate::explain::explain(inner, &graph.indexes()?);
            Ok(QueryResult {
                columns: vec!["plan".into()],
                rows: lines.into_iter().map(|l| vec![Value::String(l)]).collect(),
                stats: QueryStats::default(),
                table: None,
            })
        }
        Statement::Profile(inner) => match &**inner {
            Statement::Query(q) => {
                let mut lines = Vec::new();
                let r = run_query(q, params, graph, ctl, Some(&mut lines), None)?;
                Ok(QueryResult {
                    columns: vec!["plan".into(), "rows".into(), "time_ms".into()],
                    rows: lines
                        .into_iter()
                        .map(|l| {
                            vec![
                                Value::String(l.plan),
                                Value::Int(i64::try_from(l.rows).unwrap_or(i64::MAX)),
                                l.time
                                    .map_or(Value::Null, |t| Value::Float(t.as_secs_f64() * 1e3)),
                            ]
                        })
                        .collect(),
                    stats: r.stats,
                    table: None,
                })
            }
            other => run_statement(other, params, graph, ctl),
        },
        Statement::CreateIndex { .. } | Statement::DropIndex { .. } => schema(statement, graph),
        Statement::DeclareTable { .. } => Ok(QueryResult::default()),
    }
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
    execute_prepared(
        graph,
        &checked(text)?,
        params,
        &QueryOptions::default(),
        finish,
    )
}

/// [`execute_with`] of a prepared statement (see [`StatementCache`]) with `options`: a
/// cancel handle that stops it from another thread (the write it began is then
/// discarded), a memory limit.
pub fn execute_prepared<T>(
    graph: &pagegraph::Graph,
    statement: &Statement,
    params: &BTreeMap<String, Value>,
    options: &QueryOptions,
    finish: impl FnOnce(QueryResult, &dyn GraphRead) -> Result<T>,
) -> Result<T> {
    options.run(|ctl| {
        if !is_write(statement) {
            let snapshot = graph.begin_read()?;
            let r = run_statement(statement, params, &mut ReadOnly::new(&snapshot), ctl)?;
            return finish(r, &snapshot);
        }
        let mut tx = graph.begin_write()?;
        let r = run_statement(statement, params, &mut tx, ctl)?;
        let out = finish(r, &tx)?;
        tx.commit()?;
        Ok(out)
    })
}

/// Receives a statement's result as it is produced (see [`execute_streaming`]).
pub trait RowSink {
    /// The column names, once, before any row (empty for a statement that returns none).
    fn columns(&mut self, columns: &[String], graph: &dyn GraphRead) -> Result<()>;
    /// One row, in column order. `graph` is the snapshot (or the write transaction) the
    /// statement runs in, where the nodes and relationships the row names can be read.
    fn row(&mut self, row: Vec<Value>, graph: &dyn GraphRead) -> Result<()>;
}

/// Runs a statement as [`execute_prepared`] does, handing its columns and rows to `sink`
/// instead of collecting them. A reading query's rows that need no sorting or grouping
/// reach `sink` while the match goes on, so a result of any size passes through bounded
/// memory (sorted and grouped rows are held, within the memory limit, until the last input
/// row is in). A writing statement's rows reach `sink` after it has run and before it
/// commits (its writes are visible in the graph `sink` is given), as do the rows of a
/// `UNION`, `EXPLAIN` and `PROFILE`. An error from `sink` stops the statement, discarding
/// a write it began. Returns the statement's write counts.
pub fn execute_streaming(
    graph: &pagegraph::Graph,
    statement: &Statement,
    params: &BTreeMap<String, Value>,
    options: &QueryOptions,
    sink: &mut dyn RowSink,
) -> Result<QueryStats> {
    options.run(|ctl| stream_statement(graph, statement, params, ctl, sink))
}

/// [`execute_streaming`] under `ctl`.
fn stream_statement(
    graph: &pagegraph::Graph,
    statement: &Statement,
    params: &BTreeMap<String, Value>,
    ctl: Control<'_>,
    sink: &mut dyn RowSink,
) -> Result<QueryStats> {
    let replay =
        |r: QueryResult, sink: &mut dyn RowSink, g: &dyn GraphRead| -> Result<QueryStats> {
            sink.columns(&r.columns, g)?;
            for row in r.rows {
                sink.row(row, g)?;
            }
            Ok(r.stats)
        };
    if is_write(statement) {
        let mut tx = graph.begin_write()?;
        let r = run_statement(statement, params, &mut tx, ctl)?;
        let stats = replay(r, sink, &tx)?;
        tx.commit()?;
        return Ok(stats);
    }
    let snapshot = graph.begin_read()?;
    let g: &dyn GraphRead = &snapshot;
    let mut streamed = false;
    let mut out = |e: Emitted<'_>| match e {
        Emitted::Columns(c) => {
            streamed = true;
            sink.columns(c, g)
        }
        Emitted::Row(r) => sink.row(r, g),
    };
    let r = run_statement_to(
        statement,
        params,
        &mut ReadOnly::new(&snapshot),
        ctl,
        Some(&mut out),
    )?;
    if streamed {
        return Ok(r.stats);
    }
    replay(r, sink, g)
}

/// Whether a statement writes (a write clause, or a schema command such as `CREATE
/// INDEX`): [`execute`] runs it in a write transaction (see [`is_write`]). Parses and
/// checks the text, so a statement that would fail to compile fails here the same way.
pub fn statement_writes(text: &str) -> Result<bool> {
    Ok(is_write(&checked(text)?))
}

/// Whether a parsed statement writes (a write clause or a schema command).
pub fn is_write(s: &Statement) -> bool {
    match s {
        Statement::Query(q) => writes(q),
        // A declared table changes nothing.
        Statement::Explain(_) | Statement::DeclareTable { .. } => false,
        Statement::Profile(inner) => is_write(inner),
        Statement::CreateIndex { .. } | Statement::DropIndex { .. } => true,
    }
}

/// Runs a script of `;`-separated statements, each as [`execute_prepared`] runs one with
/// `options` (its own transaction, its own memory budget); stops at the first error, with
/// the statements before it committed. Returns each statement's result.
pub fn execute_script(
    graph: &pagegraph::Graph,
    text: &str,
    params: &BTreeMap<String, Value>,
    options: &QueryOptions,
) -> Result<Vec<QueryResult>> {
    let mut out = Vec::new();
    for statement in crate::parse_script(text)? {
        out.push(execute_prepared(
            graph,
            &prepared(statement)?,
            params,
            options,
            |r, _| Ok(r),
        )?);
    }
    Ok(out)
}

/// A statement of [`parse_script`](crate::parse_script) made ready to run (normalized and
/// checked), as [`StatementCache::prepare`] makes one from text; it fails as that would.
pub fn prepare(statement: Statement) -> Result<Statement> {
    prepared(statement)
}

/// The statement of `text`, parsed, normalized and checked.
fn checked(text: &str) -> Result<Statement> {
    prepared(crate::parse(text)?)
}

/// A parsed statement, normalized and checked.
pub(crate) fn prepared(mut statement: Statement) -> Result<Statement> {
    normalize(&mut statement);
    crate::semantic::check(&statement)?;
    Ok(statement)
}

fn normalize(statement: &mut Statement) {
    match statement {
        Statement::Query(q) => crate::semantic::normalize(q),
        Statement::Explain(inner) | Statement::Profile(inner) => normalize(inner),
        Statement::CreateIndex { .. }
        | Statement::DropIndex { .. }
        | Statement::DeclareTable { .. } => {}
    }
}

/// Runs a schema command: `CREATE INDEX`, `CREATE CONSTRAINT ... IS UNIQUE`, `DROP
/// INDEX` / `DROP CONSTRAINT`.
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
        Statement::Explain(_)
        | Statement::Profile(_)
        | Statement::Query(_)
        | Statement::DeclareTable { .. } => {
            QueryOptions::default().run(|ctl| run_statement(s, &BTreeMap::new(), graph, ctl))
        }
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
    ctl: Control<'_>,
    mut profile: Option<&mut Vec<ProfileLine>>,
    out: Option<&mut Emit<'_>>,
) -> Result<QueryResult> {
    // The parts of a UNION are returned together (a plain UNION removes duplicates), as
    // rows.
    let out = if q.unions.is_empty() { out } else { None };
    let ctl = Control {
        columnar: ctl.columnar && q.unions.is_empty(),
        ..ctl
    };
    crate::procedures::registry::check_calls(q, ctl.procedures, params)?;
    let mut result = run_single(&q.first, params, graph, ctl, profile.as_deref_mut(), out)?;
    let mut distinct = false;
    for (all, part) in &q.unions {
        if let Some(p) = profile.as_deref_mut() {
            p.push(ProfileLine {
                plan: if *all {
                    "UnionAll"
                } else {
                    "Union (distinct rows)"
                }
                .into(),
                rows: 0,
                time: None,
            });
        }
        let next = run_single(part, params, graph, ctl, profile.as_deref_mut(), None)?;
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

/// A `MATCH` or `UNWIND` of a streaming run, with what it needs prepared once.
struct Stage<'q> {
    clause: &'q Clause,
    /// Rows it handed on (for `PROFILE`).
    rows: Cell<u64>,
    /// A `MATCH`'s `WHERE`, split for early checks and index seeks.
    filter: Filter<'q>,
    /// Variables an `OPTIONAL MATCH` binds to null when nothing matches.
    new_vars: Vec<String>,
    /// A `WITH` that hands each row on as it comes ([`Projector::passes_rows_on`]).
    project: Option<Projector<'q>>,
}

impl<'q> Stage<'q> {
    fn new(clause: &'q Clause) -> Stage<'q> {
        match clause {
            Clause::Match {
                pattern, filter, ..
            } => Stage {
                clause,
                rows: Cell::new(0),
                filter: Filter::new(filter.as_ref()),
                new_vars: crate::write::pattern_vars(pattern),
                project: None,
            },
            _ => Stage {
                clause,
                rows: Cell::new(0),
                filter: Filter::default(),
                new_vars: Vec::new(),
                project: None,
            },
        }
    }
}

/// The stages of the clauses from `clauses[0]` that stream into one another: `MATCH`,
/// `UNWIND`, and `WITH`s that hand each row on as it comes (no aggregate, `DISTINCT`,
/// `ORDER BY`, `SKIP` or `LIMIT`); `scope` goes from the variables before them to those
/// after. Stops at the first other clause.
fn streaming_stages<'q>(
    clauses: &'q [Clause],
    scope: &mut Vec<String>,
    ctx: &Ctx<'_>,
) -> Result<Vec<Stage<'q>>> {
    let mut stages = Vec::new();
    for clause in clauses {
        let mut stage = Stage::new(clause);
        match clause {
            Clause::Match { .. } => {
                for v in &stage.new_vars {
                    if !scope.contains(v) {
                        scope.push(v.clone());
                    }
                }
            }
            Clause::Unwind { alias, .. } => {
                if !scope.contains(alias) {
                    scope.push(alias.clone());
                }
            }
            Clause::With { projection, filter } => {
                let mut projector = Projector::new(projection, scope, true, ctx)?;
                if !projector.passes_rows_on() {
                    break;
                }
                if let Some(f) = filter {
                    projector.take_filter(f);
                }
                *scope = projector.columns();
                stage.project = Some(projector);
            }
            _ => break,
        }
        stages.push(stage);
    }
    Ok(stages)
}

/// Runs one query part (no `UNION`).
///
/// Reading clauses stream: each run of `MATCH` and `UNWIND` clauses, and of `WITH`s that
/// only project and filter, hands every row it produces straight to the `WITH` or `RETURN`
/// after it (a [`Projector`]), which keeps only what its answer needs and can stop the run
/// early (a `LIMIT`). Only where a write clause
/// or a `CALL` follows are the rows of a run collected first; the rows between clauses are
/// those a `WITH` returns.
#[allow(
    clippy::too_many_lines,
    reason = "one arm per kind of clause run, with the PROFILE notes beside each"
)]
fn run_single(
    q: &SingleQuery,
    params: &BTreeMap<String, Value>,
    graph: &mut dyn GraphWrite,
    ctl: Control<'_>,
    mut profile: Option<&mut Vec<ProfileLine>>,
    mut out: Option<&mut Emit<'_>>,
) -> Result<QueryResult> {
    let Control {
        cancel,
        budget,
        columnar,
        procedures,
    } = ctl;
    let mut rows = vec![Row::default()];
    // The bytes of `rows` charged to the budget (see `hold`).
    let mut held = 0;
    let mut scope: Vec<String> = Vec::new();
    let mut stats = QueryStats::default();
    let clauses = &q.clauses;
    // PROFILE: the plan line of each clause, computed as EXPLAIN computes it.
    let mut plan = match profile {
        Some(_) => Some(PlanLines {
            indexes: graph.indexes()?,
            scope: Vec::new(),
        }),
        None => None,
    };
    let mut note = |c: &Clause, rows: u64, time: Option<Duration>| {
        if let (Some(p), Some(lines)) = (plan.as_mut(), profile.as_deref_mut()) {
            lines.push(ProfileLine {
                plan: crate::explain::clause(c, &mut p.scope, &p.indexes),
                rows,
                time,
            });
        }
    };
    let mut i = 0;
    while let Some(clause) = clauses.get(i) {
        let started = Instant::now();
        if let Some(new_rows) =
            crate::write::clause(clause, &rows, &mut scope, params, graph, &mut stats, budget)?
        {
            rows = new_rows;
            hold(budget, &mut held, &rows)?;
            note(clause, rows.len() as u64, Some(started.elapsed()));
            i += 1;
            continue;
        }
        let reader: &dyn GraphRead = &*graph;
        let ctx = &Ctx {
            params,
            graph: reader,
            aggregates: None,
            cancel,
            budget,
        };
        ctx.check_cancel()?;
        if let Clause::Call { .. } = clause {
            rows = call(clause, rows, &mut scope, procedures, ctx)?;
            hold(budget, &mut held, &rows)?;
            note(clause, rows.len() as u64, Some(started.elapsed()));
            // A query that is only the call returns its columns; one of a procedure that
            // yields nothing returns no rows.
            if clauses.len() == 1 {
                let rows = if scope.is_empty() {
                    Vec::new()
                } else {
                    table(rows, &scope)
                };
                if let Some(out) = out {
                    out(Emitted::Columns(&scope))?;
                    for r in rows {
                        out(Emitted::Row(r))?;
                    }
                    return Ok(QueryResult {
                        columns: scope,
                        rows: Vec::new(),
                        stats,
                        table: None,
                    });
                }
                return Ok(QueryResult {
                    rows,
                    columns: scope,
                    stats,
                    table: None,
                });
            }
            i += 1;
            continue;
        }
        if let Clause::Subquery(_) = clause {
            return Err(QueryError::Unsupported("CALL { }".into()));
        }
        let stages = streaming_stages(&clauses[i..], &mut scope, ctx)?;
        let end = i + stages.len();
        match clauses.get(end) {
            Some(Clause::With { projection, filter }) => {
                let mut projector = Projector::new(projection, &scope, true, ctx)?;
                let filtered = filter.as_ref().is_some_and(|f| projector.take_filter(f));
                feed(&stages, rows, &mut projector, ctx, None)?;
                scope = projector.columns();
                rows = projector.finish(ctx)?;
                hold(budget, &mut held, &rows)?;
                for s in &stages {
                    note(s.clause, s.rows.get(), None);
                }
                if let Some(f) = filter.as_ref().filter(|_| !filtered) {
                    let mut kept = Vec::with_capacity(rows.len());
                    for mut r in rows {
                        if matches!(eval(f, &mut r, ctx)?, Value::Bool(true)) {
                            kept.push(r);
                        }
                    }
                    rows = kept;
                    hold(budget, &mut held, &rows)?;
                }
                note(&clauses[end], rows.len() as u64, Some(started.elapsed()));
                i = end + 1;
            }
            Some(Clause::Return(projection)) => {
                let mut projector = Projector::new(projection, &scope, false, ctx)?;
                if columnar && out.is_none() {
                    projector.allow_columns();
                }
                let columns = projector.columns();
                if let Some(out) = out.as_deref_mut() {
                    out(Emitted::Columns(&columns))?;
                }
                feed(&stages, rows, &mut projector, ctx, out.as_deref_mut())?;
                if let Some((table, bytes)) = projector.take_columns() {
                    for s in &stages {
                        note(s.clause, s.rows.get(), None);
                    }
                    let n = table.first().map_or(0, Column::len);
                    note(&clauses[end], n as u64, Some(started.elapsed()));
                    budget.release(held + bytes);
                    return Ok(QueryResult {
                        columns,
                        rows: Vec::new(),
                        stats,
                        table: Some(table),
                    });
                }
                let rows = projector.finish_values(ctx)?;
                for s in &stages {
                    note(s.clause, s.rows.get(), None);
                }
                note(&clauses[end], rows.len() as u64, Some(started.elapsed()));
                // The result is charged while it is held.
                budget.release(held);
                held = rows.iter().map(|r| crate::budget::values_size(r)).sum();
                budget.charge(held)?;
                if let Some(out) = out {
                    // Rows held to the end (sorted, grouped) go out now, one at a time.
                    for r in rows {
                        let bytes = crate::budget::values_size(&r);
                        out(Emitted::Row(r))?;
                        budget.release(bytes);
                    }
                    return Ok(QueryResult {
                        columns,
                        rows: Vec::new(),
                        stats,
                        table: None,
                    });
                }
                return Ok(QueryResult {
                    columns,
                    rows,
                    stats,
                    table: None,
                });
            }
            _ if end > i => {
                // A write clause, a CALL or the end follows: it takes the rows together.
                let mut out = Vec::new();
                let mut out_bytes = 0;
                for row in rows {
                    stream(&stages, row, ctx, &mut |r| {
                        let bytes = row_size(&r);
                        budget.charge(bytes)?;
                        out_bytes += bytes;
                        out.push(r);
                        Ok(Flow::More)
                    })?;
                }
                rows = out;
                budget.release(held);
                held = out_bytes;
                let last = stages.len().saturating_sub(1);
                for (k, s) in stages.iter().enumerate() {
                    note(
                        s.clause,
                        s.rows.get(),
                        (k == last).then(|| started.elapsed()),
                    );
                }
                i = end;
            }
            _ => {
                return Err(QueryError::Unsupported(
                    "a clause this version does not run".into(),
                ));
            }
        }
    }
    // A query without RETURN returns no columns.
    Ok(QueryResult {
        columns: Vec::new(),
        rows: Vec::new(),
        stats,
        table: None,
    })
}

/// Makes `rows` the rows between clauses: gives back the `held` bytes of the rows before
/// them and charges theirs.
fn hold(budget: &MemoryBudget, held: &mut usize, rows: &[Row]) -> Result<()> {
    budget.release(*held);
    *held = 0;
    let bytes = rows_size(rows);
    budget.charge(bytes)?;
    *held = bytes;
    Ok(())
}

/// Rows as a table of the named columns (the values moved, not copied).
fn table(rows: Vec<Row>, columns: &[String]) -> Vec<Vec<Value>> {
    rows.into_iter().map(|r| row_values(r, columns)).collect()
}

/// A row's values of the named columns, in their order (moved, not copied).
pub(crate) fn row_values(r: Row, columns: &[String]) -> Vec<Value> {
    let in_order =
        r.vars.len() == columns.len() && r.vars.iter().zip(columns).all(|((n, _), c)| n == c);
    if in_order {
        r.vars.into_iter().map(|(_, v)| v).collect()
    } else {
        columns
            .iter()
            .map(|c| r.get(c).cloned().unwrap_or(Value::Null))
            .collect()
    }
}

/// What a streamed statement hands out, in order: its columns once, then its rows.
pub(crate) enum Emitted<'c> {
    /// The column names.
    Columns(&'c [String]),
    /// One row, in column order.
    Row(Vec<Value>),
}

/// Where a streamed statement's columns and rows go.
pub(crate) type Emit<'a> = dyn for<'c> FnMut(Emitted<'c>) -> Result<()> + 'a;

/// Streams every input row through `stages` into `projector`, until it is full.
/// With `out`, a projection that hands rows on as they come (see
/// [`Projector::take_passed`]) sends each to `out` at once instead of holding it.
fn feed(
    stages: &[Stage<'_>],
    rows: Vec<Row>,
    projector: &mut Projector<'_>,
    ctx: &Ctx<'_>,
    mut out: Option<&mut Emit<'_>>,
) -> Result<()> {
    if projector.is_full() {
        return Ok(());
    }
    // `MATCH <short pattern> RETURN count(*)`: counted, not enumerated (see `count.rs`).
    if let [stage] = stages
        && projector.counts_only()
        && let Some(el) = crate::count::countable(stage.clause)
        && rows.iter().all(|r| crate::count::unbound_in(el, r))
    {
        let mut n = None;
        for row in rows {
            let matches = match n {
                Some(n) => n,
                None => *n.insert(crate::count::count(el, ctx)?),
            };
            stage.rows.set(stage.rows.get() + matches);
            projector.push_count(row, matches, ctx)?;
        }
        return Ok(());
    }
    // `MATCH (a)-[:R]->(b) RETURN b.x, count(*)`: counted per `b`, not enumerated.
    if let [stage] = stages
        && let Some(var) = projector.counts_per()
        && let Some(el) = crate::count::countable(stage.clause)
        && let [row] = rows.as_slice()
        && crate::count::unbound_in(el, row)
        && let Some(counts) = crate::count::counts_by(el, var, ctx)?
    {
        let var = var.to_string();
        for (node, n) in counts {
            ctx.check_cancel()?;
            let mut r = row.clone();
            r.set(&var, Value::Node(node));
            stage.rows.set(stage.rows.get() + n);
            projector.push_counted(r, n, ctx)?;
        }
        return Ok(());
    }
    // `MATCH (a)-[e:R]->(b) RETURN a.x, e.y, b.z`: one scan of the relationship records
    // (see `scan_rel.rs`), unless the row path is the better plan.
    if let [stage] = stages
        && let [row] = rows.as_slice()
        && let Some(scan) = crate::scan_rel::plan(stage.clause, projector, row)
        && scan.run(projector, &stage.rows, ctx, out.as_deref_mut())?
    {
        return Ok(());
    }
    // `MATCH (p:Person) RETURN p.city, count(*)`: grouped in one scan (see `scan_agg.rs`).
    if let [stage] = stages
        && let [row] = rows.as_slice()
        && let Some(scan) = crate::scan_agg::plan(stage.clause, projector, row)
        && scan.worth_scanning(ctx)?
    {
        return scan.run(row, projector, &stage.rows, ctx);
    }
    for row in rows {
        let flow = stream(stages, row, ctx, &mut |r| {
            let flow = projector.push(r, ctx)?;
            if let Some(out) = out.as_deref_mut() {
                projector.take_passed(ctx, |r| out(Emitted::Row(r)))?;
            }
            Ok(flow)
        })?;
        if flow == Flow::Stop {
            break;
        }
    }
    Ok(())
}

/// Hands every row `stages` make from `row` to `sink`, until it answers [`Flow::Stop`].
fn stream(
    stages: &[Stage<'_>],
    row: Row,
    ctx: &Ctx<'_>,
    sink: &mut dyn FnMut(Row) -> Result<Flow>,
) -> Result<Flow> {
    let Some((stage, rest)) = stages.split_first() else {
        ctx.check_cancel()?;
        return sink(row);
    };
    let sink = &mut |r: Row| {
        stage.rows.set(stage.rows.get() + 1);
        stream(rest, r, ctx, sink)
    };
    match stage.clause {
        Clause::Match {
            optional,
            pattern,
            filter,
        } => {
            let base = optional.then(|| row.clone());
            let mut found = false;
            let flow = for_each_match(pattern, row, &stage.filter, ctx, &mut |mut r| {
                let keep = match filter {
                    Some(f) => matches!(eval(f, &mut r, ctx)?, Value::Bool(true)),
                    None => true,
                };
                if !keep {
                    return Ok(Flow::More);
                }
                found = true;
                sink(r)
            })?;
            if flow == Flow::Stop {
                return Ok(Flow::Stop);
            }
            match base {
                Some(mut r) if !found => {
                    for v in &stage.new_vars {
                        if r.get(v).is_none() {
                            r.set(v, Value::Null);
                        }
                    }
                    sink(r)
                }
                _ => Ok(Flow::More),
            }
        }
        Clause::With { .. } => {
            // Checked here too: a WHERE may drop every row before it reaches the end.
            ctx.check_cancel()?;
            let Some(p) = &stage.project else {
                return sink(row);
            };
            match p.project_one(row, ctx)? {
                Some((new, _)) => sink(new),
                None => Ok(Flow::More),
            }
        }
        Clause::Unwind { expr, alias } => {
            let mut row = row;
            match eval(expr, &mut row, ctx)? {
                Value::Null => Ok(Flow::More),
                Value::List(items) => {
                    for item in items {
                        let mut r = row.clone();
                        r.set(alias, item);
                        if sink(r)? == Flow::Stop {
                            return Ok(Flow::Stop);
                        }
                    }
                    Ok(Flow::More)
                }
                other => {
                    row.set(alias, other);
                    sink(row)
                }
            }
        }
        _ => sink(row),
    }
}

/// `CALL procedure(args) [YIELD ...] [WHERE ...]` for each row.
fn call(
    clause: &Clause,
    rows: Vec<Row>,
    scope: &mut Vec<String>,
    procedures: Option<&Procedures>,
    ctx: &Ctx<'_>,
) -> Result<Vec<Row>> {
    let Clause::Call {
        name,
        args,
        yields,
        filter,
        ..
    } = clause
    else {
        return Ok(rows);
    };
    let registered = match crate::procedures::builtin(name) {
        Some(_) => None,
        None => Some(
            procedures
                .and_then(|p| p.get(name))
                .ok_or_else(|| crate::procedures::registry::not_found(name))?,
        ),
    };
    let mut out = Vec::new();
    for row in &rows {
        let mut r = row.clone();
        let arg_values = match (args, registered) {
            (Some(a), _) => a
                .iter()
                .map(|x| eval(x, &mut r, ctx))
                .collect::<Result<Vec<_>>>()?,
            (None, Some(reg)) => {
                crate::procedures::registry::implicit_args(&reg.signature, ctx.params)?
            }
            (None, None) => Vec::new(),
        };
        let output = match registered {
            Some(reg) => reg.run(arg_values, ctx.graph)?,
            None => crate::procedures::call(name, &arg_values, ctx.graph)?,
        };
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
                .map(|(i, c)| (i, c.clone()))
                .collect(),
        };
        // A procedure declared to yield nothing (`:: ()`) leaves the row as it is.
        if registered.is_some_and(|reg| reg.signature.outputs.is_empty()) {
            out.push(r);
            continue;
        }
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
    Ok(out)
}
