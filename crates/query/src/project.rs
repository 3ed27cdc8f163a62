//! `WITH` and `RETURN`: projection, aggregation, `DISTINCT`, `ORDER BY`, `SKIP` and
//! `LIMIT`, fed one row at a time.
//!
//! A [`Projector`] takes the rows of the clauses before it as they are produced and keeps
//! only what its answer needs:
//! - aggregating: one entry per group (its key, its accumulators and its first row);
//! - `ORDER BY` with `LIMIT`: the best `SKIP + LIMIT` rows so far (top-k: the kept rows
//!   are sorted and cut back whenever they reach twice that many, so memory stays within
//!   `2 * (SKIP + LIMIT)` rows);
//! - `LIMIT` without `ORDER BY`: at most `LIMIT` rows, then it answers [`Flow::Stop`] and
//!   the match that feeds it stops;
//! - otherwise every projected row (a `DISTINCT` keeps one key per distinct row).
//!
//! Ties of `ORDER BY` keep the order rows arrived in (the sorts are stable), with or
//! without a limit.
//!
//! What it keeps is charged to the query's [`MemoryBudget`](crate::MemoryBudget) as it is
//! kept and given back when the rows are handed on ([`Projector::finish`]).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use crate::aggregate::Accumulator;
use crate::ast::{Expr, ExprKind, Projection};
use crate::budget::{row_size, values_size};
use crate::columns::Column;
use crate::error::{QueryError, Result};
use crate::eval::{Ctx, Row, eval, is_aggregate};
use crate::matcher::Flow;
use crate::value::{GroupKey, Value, order};

/// Whether a `WITH`'s `WHERE` is checked on each input row as it is projected, seeing the
/// variables before the `WITH` as well as the projected ones (`WITH c WHERE r IS NULL`):
/// for a projection that neither aggregates nor removes duplicates nor pages, where
/// filtering before or after projecting keeps the same rows. Otherwise it filters the
/// projected rows and sees only them.
pub(crate) fn filters_on_input(p: &Projection) -> bool {
    let mut aggs = Vec::new();
    for i in &p.items {
        aggregates_in(&i.expr, &mut aggs);
    }
    aggs.is_empty() && !p.distinct && p.skip.is_none() && p.limit.is_none()
}

/// Rows kept beyond the top-k before they are sorted and cut back, at the least.
const TOP_K_SLACK_MIN: usize = 1024;

/// One group of an aggregating projection: its first input row, its key, its aggregates.
struct Group {
    first: Row,
    key_values: Vec<Value>,
    accs: Vec<Accumulator>,
}

/// What [`Projector::property_aggregate`] found: the node variable, the property each
/// grouping key reads, and each aggregate's function (lower case, `count*` for `count(*)`,
/// as [`Accumulator::new`] takes it) and the property it reads (`None`: `count(*)`).
pub(crate) struct PropertyAggregate<'p> {
    pub(crate) var: &'p str,
    pub(crate) keys: Vec<&'p str>,
    pub(crate) aggs: Vec<(String, Option<&'p str>)>,
}

/// A `WITH` or `RETURN` taking rows one at a time; see the module documentation.
pub(crate) struct Projector<'p> {
    p: &'p Projection,
    /// A `WITH`'s `WHERE` checked on each input row (see [`filters_on_input`]).
    input_filter: Option<&'p Expr>,
    /// Output names, with the expression of each (`None`: a variable taken by `*`).
    items: Vec<(String, Option<&'p Expr>)>,
    /// The aggregate calls of the items (and of `ORDER BY` when aggregating).
    aggs: Vec<&'p Expr>,
    /// Items that are grouping keys (when aggregating).
    keys: Vec<usize>,
    skip: usize,
    limit: Option<usize>,
    /// Aggregating: groups by key, and their keys in the order they first appeared.
    groups: HashMap<Vec<GroupKey>, Group>,
    order_of: Vec<Vec<GroupKey>>,
    /// Whether any row came in.
    any: bool,
    /// Not aggregating: the projected rows kept (their values in column order), with
    /// their sort keys (empty without `ORDER BY`).
    rows: Vec<(Vec<Value>, Vec<Value>)>,
    /// `DISTINCT` rows seen.
    seen: HashSet<Vec<GroupKey>>,
    /// Rows passed over for `SKIP` (without `ORDER BY`, where skipping is done on arrival).
    skipped: usize,
    /// Bytes charged to the query's budget for what is kept.
    held: usize,
    /// Rows kept without `ORDER BY` so far, taken or not (for `LIMIT`).
    passed: usize,
    /// Whether it may take its rows as columns ([`Projector::push_columns`]).
    columnar: bool,
    /// The rows taken as columns, and the bytes charged for them.
    table: Option<(Vec<Column>, usize)>,
}

impl<'p> Projector<'p> {
    /// A projector for `p`, after clauses that bound `scope` (what `*` expands to).
    pub(crate) fn new(
        p: &'p Projection,
        scope: &[String],
        is_with: bool,
        ctx: &Ctx<'_>,
    ) -> Result<Projector<'p>> {
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
        for e in items.iter().filter_map(|(_, e)| *e) {
            aggregates_in(e, &mut aggs);
        }
        // An aggregating projection also computes the aggregates its ORDER BY uses.
        if !aggs.is_empty() {
            for (e, _) in &p.order {
                aggregates_in(e, &mut aggs);
            }
        }
        let keys: Vec<usize> = if aggs.is_empty() {
            Vec::new()
        } else {
            (0..items.len())
                .filter(|&i| {
                    items[i].1.is_none_or(|e| {
                        let mut inner = Vec::new();
                        aggregates_in(e, &mut inner);
                        inner.is_empty()
                    })
                })
                .collect()
        };
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
        Ok(Projector {
            p,
            input_filter: None,
            items,
            aggs,
            keys,
            skip,
            limit,
            groups: HashMap::new(),
            order_of: Vec::new(),
            any: false,
            rows: Vec::new(),
            seen: HashSet::new(),
            skipped: 0,
            held: 0,
            passed: 0,
            columnar: false,
            table: None,
        })
    }

    /// Checks `filter` (a `WITH`'s `WHERE`) on each input row, if the projection allows
    /// (see [`filters_on_input`]); returns whether it took it.
    pub(crate) fn take_filter(&mut self, filter: &'p Expr) -> bool {
        if filters_on_input(self.p) {
            self.input_filter = Some(filter);
        }
        self.input_filter.is_some()
    }

    /// The output column names.
    pub(crate) fn columns(&self) -> Vec<String> {
        self.items.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Whether no row can change the answer any more (a `LIMIT 0`).
    pub(crate) fn is_full(&self) -> bool {
        self.aggs.is_empty() && self.limit == Some(0)
    }

    /// Whether every aggregate is `count(*)` and nothing is grouped: then only the number
    /// of input rows matters, and [`Projector::push_count`] can stand for them.
    pub(crate) fn counts_only(&self) -> bool {
        self.keys.is_empty()
            && !self.aggs.is_empty()
            && self
                .aggs
                .iter()
                .all(|a| matches!(a.kind, ExprKind::CountStar))
    }

    /// The one variable every grouping key reads, when there are keys, every aggregate is
    /// `count(*)` and the keys read nothing else: then the input rows matter only by how
    /// many bind each value of that variable, and [`Projector::push_counted`] can take
    /// them so many at a time.
    pub(crate) fn counts_per(&self) -> Option<&str> {
        if self.keys.is_empty()
            || self.aggs.is_empty()
            || !self
                .aggs
                .iter()
                .all(|a| matches!(a.kind, ExprKind::CountStar))
        {
            return None;
        }
        let mut var: Option<&str> = None;
        for &k in &self.keys {
            let (name, e) = &self.items[k];
            let vars = match e {
                Some(e) => crate::plan::expr_vars(e)?,
                None => vec![name.as_str()],
            };
            for v in vars {
                if var.is_some_and(|seen| seen != v) {
                    return None;
                }
                var = Some(v);
            }
        }
        var
    }

    /// What an aggregating projection reads, when it reads only properties of one node
    /// variable: every grouping key is `v.k`, every aggregate is `count(*)` or, without
    /// `DISTINCT`, one of `count`, `sum`, `avg`, `min`, `max`, `collect`, `stDev` and
    /// `stDevP` of a `v.k`, and no `WHERE` is checked on input rows. Then the input rows
    /// matter only through those properties, and [`Projector::push_group`] can take groups
    /// made without rows (see `scan_agg.rs`).
    pub(crate) fn property_aggregate(&self) -> Option<PropertyAggregate<'p>> {
        if self.aggs.is_empty() || self.input_filter.is_some() || self.any {
            return None;
        }
        let mut var: Option<&'p str> = None;
        let mut property_of = |e: &'p Expr| -> Option<&'p str> {
            let ExprKind::Property(target, key) = &e.kind else {
                return None;
            };
            let ExprKind::Var(v) = &target.kind else {
                return None;
            };
            if var.is_some_and(|seen| seen != v.as_str()) {
                return None;
            }
            var = Some(v.as_str());
            Some(key.as_str())
        };
        let mut keys = Vec::with_capacity(self.keys.len());
        for &k in &self.keys {
            keys.push(property_of(self.items[k].1?)?);
        }
        let mut aggs = Vec::with_capacity(self.aggs.len());
        for a in &self.aggs {
            aggs.push(match &a.kind {
                ExprKind::CountStar => ("count*".to_string(), None),
                ExprKind::Call {
                    name,
                    distinct: false,
                    args,
                } => {
                    let [name] = name.as_slice() else {
                        return None;
                    };
                    let known = [
                        "count", "sum", "avg", "min", "max", "collect", "stdev", "stdevp",
                    ];
                    let name = name.to_ascii_lowercase();
                    if !known.contains(&name.as_str()) {
                        return None;
                    }
                    let [arg] = args.as_slice() else {
                        return None;
                    };
                    (name, Some(property_of(arg)?))
                }
                _ => return None,
            });
        }
        Some(PropertyAggregate {
            var: var?,
            keys,
            aggs,
        })
    }

    /// What a projection reads, when it neither aggregates nor checks a `WHERE` on input
    /// rows, every item is a property of a variable (`v.k`, no `*`) and every `ORDER BY`
    /// key is a column: each item's variable and property, in column order. Then rows
    /// made without input rows can be taken by [`Projector::push_values`] (see
    /// `scan_rel.rs`).
    pub(crate) fn plain_properties(&self) -> Option<Vec<(&'p str, &'p str)>> {
        if !self.aggs.is_empty() || self.input_filter.is_some() || self.any {
            return None;
        }
        if !self.orders_by_columns() {
            return None;
        }
        self.items
            .iter()
            .map(|(_, e)| match &(*e)?.kind {
                ExprKind::Property(target, key) => match &target.kind {
                    ExprKind::Var(v) => Some((v.as_str(), key.as_str())),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// Lets the projection take its rows as columns, where it keeps every row as it comes
    /// (see [`Projector::takes_columns`]): for a `RETURN` whose caller takes columns.
    pub(crate) fn allow_columns(&mut self) {
        self.columnar = true;
    }

    /// Whether [`Projector::push_columns`] may stand for every row: columns are allowed,
    /// nothing came in yet, and the projection keeps every row as it is projected (no
    /// aggregate, `DISTINCT`, `ORDER BY`, `SKIP`, `LIMIT` or `WHERE`).
    pub(crate) fn takes_columns(&self) -> bool {
        self.columnar
            && !self.any
            && self.aggs.is_empty()
            && self.input_filter.is_none()
            && !self.p.distinct
            && self.p.order.is_empty()
            && self.skip == 0
            && self.limit.is_none()
    }

    /// Takes every projected row at once, as columns (see [`Projector::takes_columns`]),
    /// for which `bytes` were charged to the query's budget (given back by the caller of
    /// [`Projector::take_columns`]).
    pub(crate) fn push_columns(&mut self, table: Vec<Column>, bytes: usize) {
        debug_assert!(self.takes_columns());
        debug_assert_eq!(table.len(), self.items.len());
        self.any = true;
        self.table = Some((table, bytes));
    }

    /// The rows taken as columns, and the bytes charged for them, if they came so.
    pub(crate) fn take_columns(&mut self) -> Option<(Vec<Column>, usize)> {
        self.table.take()
    }

    /// Whether the projection stops taking rows after its first `SKIP + LIMIT` (a `LIMIT`
    /// without `ORDER BY`): then rows are best made one at a time.
    pub(crate) fn stops_early(&self) -> bool {
        self.limit.is_some() && self.p.order.is_empty()
    }

    /// Takes a whole group made without rows (see [`Projector::property_aggregate`]):
    /// `first` its first input row, `key_values` its grouping keys in order, `accs` its
    /// aggregates, for which `held` bytes were charged to the query's budget. Groups are
    /// taken in the order they first appeared; each key once.
    pub(crate) fn push_group(
        &mut self,
        first: Row,
        key_values: Vec<Value>,
        accs: Vec<Accumulator>,
        held: usize,
        ctx: &Ctx<'_>,
    ) -> Result<()> {
        self.any = true;
        self.held += held;
        let gk: Vec<GroupKey> = key_values.iter().map(GroupKey::of).collect();
        debug_assert!(!self.groups.contains_key(&gk), "each group once");
        self.group(gk, first, key_values, ctx)?.accs = accs;
        Ok(())
    }

    /// Takes `n` input rows at once, all the same as `row` in what the grouping keys read
    /// (see [`Projector::counts_per`]).
    pub(crate) fn push_counted(&mut self, row: Row, n: u64, ctx: &Ctx<'_>) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.any = true;
        self.add_to_group(row, n, ctx)
    }

    /// Takes `n` input rows at once, of which `row` stands for all (see
    /// [`Projector::counts_only`]).
    pub(crate) fn push_count(&mut self, row: Row, n: u64, ctx: &Ctx<'_>) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.any = true;
        let group = self.group(Vec::new(), row, Vec::new(), ctx)?;
        for acc in &mut group.accs {
            if acc.is_count_star() {
                acc.add_count(n);
            }
        }
        Ok(())
    }

    /// Charges `bytes` more to the query's budget for what this projection keeps.
    fn hold(&mut self, bytes: usize, ctx: &Ctx<'_>) -> Result<()> {
        ctx.budget.charge(bytes)?;
        self.held += bytes;
        Ok(())
    }

    /// Takes one input row.
    pub(crate) fn push(&mut self, row: Row, ctx: &Ctx<'_>) -> Result<Flow> {
        self.any = true;
        if !self.aggs.is_empty() {
            self.add_to_group(row, 1, ctx)?;
            return Ok(Flow::More);
        }
        if self.is_full() {
            return Ok(Flow::Stop);
        }
        let Some((new, row)) = self.project_values(row, ctx)? else {
            return Ok(Flow::More);
        };
        self.keep(new, row, ctx)
    }

    /// Takes one row already projected: its values in column order. Only for a projection
    /// that neither aggregates nor checks a `WHERE` on input rows, and whose `ORDER BY`
    /// reads only the columns (see [`Projector::plain_properties`]).
    pub(crate) fn push_values(&mut self, values: Vec<Value>, ctx: &Ctx<'_>) -> Result<Flow> {
        debug_assert!(self.aggs.is_empty() && self.input_filter.is_none());
        self.any = true;
        if self.is_full() {
            return Ok(Flow::Stop);
        }
        self.keep(values, Row::default(), ctx)
    }

    /// Keeps projected row `new` (values in column order) of input row `row`, as
    /// `DISTINCT`, `ORDER BY`, `SKIP` and `LIMIT` say.
    fn keep(&mut self, new: Vec<Value>, row: Row, ctx: &Ctx<'_>) -> Result<Flow> {
        if self.p.distinct {
            let key: Vec<GroupKey> = new.iter().map(GroupKey::of).collect();
            if self.seen.contains(&key) {
                return Ok(Flow::More);
            }
            self.hold(values_size(&new), ctx)?;
            self.seen.insert(key);
        }
        if self.p.order.is_empty() {
            if self.skipped < self.skip {
                self.skipped += 1;
                return Ok(Flow::More);
            }
            self.hold(values_size(&new), ctx)?;
            self.rows.push((Vec::new(), new));
            self.passed += 1;
            return Ok(if self.limit.is_some_and(|l| self.passed >= l) {
                Flow::Stop
            } else {
                Flow::More
            });
        }
        // Sort keys see the projected names, then (unless DISTINCT) the earlier variables;
        // a key that is a projected item is taken from the row.
        let mut input = Some(row);
        let mut scope_row: Option<Row> = None;
        let mut ks = Vec::with_capacity(self.p.order.len());
        for (e, _) in &self.p.order {
            if let Some(i) = self.projected(e) {
                ks.push(new[i].clone());
                continue;
            }
            if scope_row.is_none() {
                let mut scope = match input.take() {
                    Some(row) if !self.p.distinct => row,
                    _ => Row::default(),
                };
                for ((n, _), v) in self.items.iter().zip(&new) {
                    scope.set(n, v.clone());
                }
                scope_row = Some(scope);
            }
            let Some(scope) = scope_row.as_mut() else {
                continue;
            };
            ks.push(eval(e, scope, ctx)?);
        }
        self.hold(values_size(&ks) + values_size(&new), ctx)?;
        self.rows.push((ks, new));
        if let Some(limit) = self.limit {
            let k = self.skip.saturating_add(limit);
            if self.rows.len() >= k.saturating_mul(2).max(TOP_K_SLACK_MIN) {
                self.sort_rows();
                let freed: usize = self.rows[k.min(self.rows.len())..]
                    .iter()
                    .map(|(ks, r)| values_size(ks) + values_size(r))
                    .sum();
                self.rows.truncate(k);
                ctx.budget.release(freed);
                self.held -= freed;
            }
        }
        Ok(Flow::More)
    }

    /// Hands `f` the rows kept so far, in column order, and gives them back to the query's
    /// budget, where the projection's rows are final as they arrive: no aggregate and no
    /// `ORDER BY` (`SKIP`, `LIMIT` and `DISTINCT` are applied on arrival). Otherwise hands
    /// it none.
    pub(crate) fn take_passed(
        &mut self,
        ctx: &Ctx<'_>,
        mut f: impl FnMut(Vec<Value>) -> Result<()>,
    ) -> Result<()> {
        if !self.aggs.is_empty() || !self.p.order.is_empty() {
            return Ok(());
        }
        for (_, r) in self.rows.drain(..) {
            let bytes = values_size(&r);
            ctx.budget.release(bytes);
            self.held -= bytes;
            f(r)?;
        }
        Ok(())
    }

    /// Whether this projection can hand each row on as it comes (a `WITH` that neither
    /// aggregates, nor removes duplicates, nor sorts, nor pages): then
    /// [`Projector::project_one`] is all it does.
    pub(crate) fn passes_rows_on(&self) -> bool {
        filters_on_input(self.p) && self.p.order.is_empty()
    }

    /// One input row projected (without aggregates): the projected row and the input row,
    /// or `None` when the `WHERE` checked on input rows drops it.
    pub(crate) fn project_one(&self, row: Row, ctx: &Ctx<'_>) -> Result<Option<(Row, Row)>> {
        Ok(self
            .project_values(row, ctx)?
            .map(|(values, row)| (self.named(values), row)))
    }

    /// [`Projector::project_one`] with the projected values in column order, unnamed.
    fn project_values(&self, mut row: Row, ctx: &Ctx<'_>) -> Result<Option<(Vec<Value>, Row)>> {
        let mut new = Vec::with_capacity(self.items.len());
        for (name, e) in &self.items {
            new.push(match e {
                Some(e) => eval(e, &mut row, ctx)?,
                None => row.get(name).cloned().unwrap_or(Value::Null),
            });
        }
        if let Some(f) = self.input_filter {
            let mut both = row.clone();
            for ((n, _), v) in self.items.iter().zip(&new) {
                both.set(n, v.clone());
            }
            if !matches!(eval(f, &mut both, ctx)?, Value::Bool(true)) {
                return Ok(None);
            }
        }
        Ok(Some((new, row)))
    }

    /// Projected values as a row of the output names.
    fn named(&self, values: Vec<Value>) -> Row {
        Row {
            vars: self
                .items
                .iter()
                .map(|(n, _)| n.clone())
                .zip(values)
                .collect(),
        }
    }

    /// The column whose value an `ORDER BY` key `e` is: the item `e` is written as, where
    /// no column name stands for a variable `e` reads (`RETURN a.x AS a ORDER BY a.x`
    /// reads the column `a`), or the column a variable `e` names.
    fn projected(&self, e: &Expr) -> Option<usize> {
        if let ExprKind::Var(v) = &e.kind {
            return self.items.iter().position(|(name, _)| name == v);
        }
        let vars = crate::plan::expr_vars(e)?;
        if self
            .items
            .iter()
            .any(|(name, _)| vars.contains(&name.as_str()))
        {
            return None;
        }
        self.items
            .iter()
            .position(|(_, it)| it.is_some_and(|it| it == e))
    }

    /// Whether every `ORDER BY` key is a column's value (see [`Projector::projected`]).
    fn orders_by_columns(&self) -> bool {
        self.p
            .order
            .iter()
            .all(|(e, _)| self.projected(e).is_some())
    }

    /// Adds `row` to its group; `weight` rows like it when every aggregate is `count(*)`
    /// (else 1).
    fn add_to_group(&mut self, mut row: Row, weight: u64, ctx: &Ctx<'_>) -> Result<()> {
        let mut key_values = Vec::with_capacity(self.keys.len());
        for &k in &self.keys {
            key_values.push(match self.items[k].1 {
                Some(e) => eval(e, &mut row, ctx)?,
                None => row.get(&self.items[k].0).cloned().unwrap_or(Value::Null),
            });
        }
        let gk: Vec<GroupKey> = key_values.iter().map(GroupKey::of).collect();
        let mut arg_values = Vec::with_capacity(self.aggs.len());
        for a in &self.aggs {
            arg_values.push(match &a.kind {
                ExprKind::Call { args, .. } => args
                    .iter()
                    .map(|x| eval(x, &mut row, ctx))
                    .collect::<Result<Vec<_>>>()?,
                _ => Vec::new(),
            });
        }
        let group = self.group(gk, row, key_values, ctx)?;
        let before = ctx.budget.used();
        for (acc, args) in group.accs.iter_mut().zip(arg_values) {
            if acc.is_count_star() {
                acc.add_count(weight);
            } else {
                acc.add(args, ctx.budget)?;
            }
        }
        // What the accumulators keep (collected values, DISTINCT sets) is theirs until
        // the group is finished.
        self.held += ctx.budget.used() - before;
        Ok(())
    }

    /// The group of key `gk`, made with `row` as its first row when it is new (charged to
    /// the query's budget).
    fn group(
        &mut self,
        gk: Vec<GroupKey>,
        row: Row,
        key_values: Vec<Value>,
        ctx: &Ctx<'_>,
    ) -> Result<&mut Group> {
        Ok(match self.groups.entry(gk) {
            Entry::Occupied(group) => group.into_mut(),
            Entry::Vacant(slot) => {
                // The key twice (the table's and the first-seen order's), the first row,
                // the key values and the accumulators.
                let bytes = 2 * values_size(&key_values)
                    + row_size(&row)
                    + size_of::<Group>()
                    + self.aggs.len() * size_of::<Accumulator>();
                ctx.budget.charge(bytes)?;
                self.held += bytes;
                self.order_of.push(slot.key().clone());
                slot.insert(Group {
                    first: row,
                    key_values,
                    accs: new_accs(&self.aggs),
                })
            }
        })
    }

    fn sort_rows(&mut self) {
        let order = &self.p.order;
        self.rows
            .sort_by(|(a, _), (b, _)| compare_keys(order, a, b));
    }

    /// The projected rows (holding exactly the output names), after every input row. What
    /// the projection kept is given back to the query's budget: the caller charges the rows
    /// it keeps.
    pub(crate) fn finish(self, ctx: &Ctx<'_>) -> Result<Vec<Row>> {
        if !self.aggs.is_empty() {
            let held = self.held;
            let rows = self.finish_groups(ctx)?;
            ctx.budget.release(held);
            return Ok(rows);
        }
        let names: Vec<String> = self.columns();
        let rows = self.finish_values(ctx)?;
        Ok(rows
            .into_iter()
            .map(|values| Row {
                vars: names.iter().cloned().zip(values).collect(),
            })
            .collect())
    }

    /// [`Projector::finish`] with each row's values in column order, unnamed.
    pub(crate) fn finish_values(mut self, ctx: &Ctx<'_>) -> Result<Vec<Vec<Value>>> {
        let held = self.held;
        let rows = if !self.aggs.is_empty() {
            let names = self.columns();
            self.finish_groups(ctx)?
                .into_iter()
                .map(|r| crate::exec::row_values(r, &names))
                .collect()
        } else if self.p.order.is_empty() {
            // SKIP and LIMIT were applied as rows arrived.
            self.rows.into_iter().map(|(_, r)| r).collect()
        } else {
            self.sort_rows();
            let rows = std::mem::take(&mut self.rows);
            self.page(rows.into_iter().map(|(_, r)| r))
        };
        ctx.budget.release(held);
        Ok(rows)
    }

    fn page<T>(&self, rows: impl Iterator<Item = T>) -> Vec<T> {
        rows.skip(self.skip)
            .take(self.limit.unwrap_or(usize::MAX))
            .collect()
    }

    fn finish_groups(mut self, ctx: &Ctx<'_>) -> Result<Vec<Row>> {
        /// A group's output row with its `ORDER BY` keys, after its first-seen position.
        type Ranked = (usize, (Vec<Value>, Row));
        if !self.any && self.keys.is_empty() {
            self.order_of.push(Vec::new());
            self.groups.insert(
                Vec::new(),
                Group {
                    first: Row::default(),
                    key_values: Vec::new(),
                    accs: new_accs(&self.aggs),
                },
            );
        }
        let mut out: Vec<(Vec<Value>, Row)> = Vec::with_capacity(self.order_of.len());
        for gk in std::mem::take(&mut self.order_of) {
            let Some(group) = self.groups.remove(&gk) else {
                continue;
            };
            out.push(self.group_row(group, ctx)?);
        }
        if self.p.distinct {
            let mut seen = HashSet::new();
            out.retain(|(_, r)| seen.insert(group_key(r)));
        }
        if !self.p.order.is_empty() {
            let order = &self.p.order;
            // Ties keep the groups' first-seen order (a stable sort), so the order is total.
            let cmp = |(i, (a, _)): &Ranked, (j, (b, _)): &Ranked| {
                compare_keys(order, a, b).then(i.cmp(j))
            };
            let mut ranked: Vec<Ranked> = out.into_iter().enumerate().collect();
            // Under a LIMIT only the first SKIP + LIMIT groups in order are kept: selected
            // in linear time, then only they are sorted.
            if let Some(limit) = self.limit {
                let n = self.skip.saturating_add(limit);
                if n == 0 {
                    ranked.clear();
                } else if n < ranked.len() {
                    ranked.select_nth_unstable_by(n - 1, cmp);
                    ranked.truncate(n);
                }
            }
            ranked.sort_by(cmp);
            out = ranked.into_iter().map(|(_, row)| row).collect();
        }
        Ok(self.page(out.into_iter().map(|(_, r)| r)))
    }

    /// One group's output row, with its `ORDER BY` keys.
    fn group_row(&self, group: Group, ctx: &Ctx<'_>) -> Result<(Vec<Value>, Row)> {
        let mut results = HashMap::new();
        for (a, acc) in self.aggs.iter().zip(group.accs) {
            results.insert((a.span.start, a.span.end), acc.finish()?);
        }
        let actx = Ctx {
            params: ctx.params,
            graph: ctx.graph,
            aggregates: Some(&results),
            cancel: ctx.cancel,
            budget: ctx.budget,
        };
        let mut first = group.first;
        let mut new = Row::default();
        let mut key_iter = group.key_values.into_iter();
        for (i, (name, e)) in self.items.iter().enumerate() {
            let v = if self.keys.contains(&i) {
                key_iter.next().unwrap_or(Value::Null)
            } else {
                match e {
                    Some(e) => eval(e, &mut first, &actx)?,
                    None => Value::Null,
                }
            };
            new.vars.push((name.clone(), v));
        }
        // ORDER BY after aggregation sees the group's first input row (grouping keys), the
        // projected names and the aggregates.
        let mut keys_v = Vec::new();
        if !self.p.order.is_empty() {
            let mut scope_row = first;
            for (n, v) in &new.vars {
                scope_row.set(n, v.clone());
            }
            for (e, _) in &self.p.order {
                let projected = self
                    .items
                    .iter()
                    .position(|(_, it)| it.is_some_and(|it| it == e));
                keys_v.push(match projected {
                    Some(i) => new.vars[i].1.clone(),
                    None => eval(e, &mut scope_row, &actx)?,
                });
            }
        }
        Ok((keys_v, new))
    }
}

fn new_accs(aggs: &[&Expr]) -> Vec<Accumulator> {
    aggs.iter()
        .map(|a| match &a.kind {
            ExprKind::Call { name, distinct, .. } => {
                Accumulator::new(&name[0].to_ascii_lowercase(), *distinct)
            }
            // count(*)
            _ => Accumulator::new("count*", false),
        })
        .collect()
}

fn group_key(r: &Row) -> Vec<GroupKey> {
    r.vars.iter().map(|(_, v)| GroupKey::of(v)).collect()
}

fn compare_keys(order_by: &[(Expr, bool)], left: &[Value], right: &[Value]) -> std::cmp::Ordering {
    for ((_, asc), (l, r)) in order_by.iter().zip(left.iter().zip(right)) {
        let ord = order(l, r);
        let ord = if *asc { ord } else { ord.reverse() };
        if ord.is_ne() {
            return ord;
        }
    }
    std::cmp::Ordering::Equal
}

/// Aggregate calls inside `e` (not inside other aggregates).
pub(crate) fn aggregates_in<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
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
