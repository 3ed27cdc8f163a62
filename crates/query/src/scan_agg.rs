//! `MATCH (p:Person) RETURN p.city, count(*), avg(p.age)`: grouped in one pass over the
//! label's node records, without a row per node.
//!
//! When a `MATCH` is one node pattern with a variable and at most one label (no
//! properties, the variable not bound before, a `WHERE` if any that reads only properties
//! of the node, literals and parameters), and the projection after it reads only
//! properties of that node (see [`Projector::property_aggregate`]), each match matters
//! only through those properties. (A `WHERE` that a ready index could serve is left to
//! the row path, which seeks the index.) The nodes' records are then read in id order
//! ([`GraphRead::each_node_properties`]: one scan where the label's nodes are dense) and
//! each node's values go straight to its group's accumulators: no row is built and no
//! expression evaluated per node but the `WHERE`, on a map of the properties it reads. What the projection gets is what the row-by-row path
//! gives it: the same groups, each with its first node's row as its first row, in the
//! order they first appear (id order), and every aggregate fed the same values in the same
//! order.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};

use pagegraph::{NodeId, PropertyRef};
use rustc_hash::FxHashMap;

use crate::aggregate::Accumulator;
use crate::ast::{Clause, Expr, ExprKind};
use crate::budget::MemoryBudget;
use crate::error::{QueryError, Result};
use crate::eval::{Ctx, NoGraph, PropertySink, Row, eval, is_aggregate};
use crate::project::Projector;
use crate::value::{GroupKey, Value};

/// Records between two checks for cancellation (here and in `scan_rel.rs`).
const CANCEL_EVERY: u64 = 4096;

/// Whether the query was cancelled, checked when `seen` records have been read, every
/// [`CANCEL_EVERY`] (scans on several threads check their own counts).
pub(crate) fn cancelled(cancel: Option<&AtomicBool>, seen: u64) -> bool {
    seen.is_multiple_of(CANCEL_EVERY) && cancel.is_some_and(|c| c.load(Ordering::Relaxed))
}

/// A run's budget refusal (each run of a parted scan holds a share of the query's budget)
/// as the query's, naming the query's limit.
pub(crate) fn over_budget(e: QueryError, ctx: &Ctx<'_>) -> QueryError {
    match e {
        QueryError::MemoryLimit { .. } => QueryError::MemoryLimit {
            limit: ctx.budget.limit(),
        },
        other => other,
    }
}

/// A `MATCH` and the projection after it that can be grouped in one scan.
pub(crate) struct ScanAggregate<'a> {
    var: &'a str,
    label: Option<&'a str>,
    /// Every property read, once each.
    props: Vec<&'a str>,
    /// The property each grouping key reads (an index into `props`).
    keys: Vec<usize>,
    /// The property each aggregate reads (an index into `props`; `None`: `count(*)`).
    aggs: Vec<Option<usize>>,
    /// Each aggregate's function, as [`Accumulator::new`] takes it.
    functions: Vec<String>,
    /// The `WHERE` of the `MATCH`, reading only properties of the node (see
    /// [`on_properties_only`]), with each property it reads (and its index into `props`).
    filter: Option<(&'a Expr, Vec<(&'a str, usize)>)>,
}

/// Whether `e` reads no variable but `var`, and `var` only as `var.key` (each key read
/// goes to `keys`), with no pattern, subquery or aggregate: then it gives the same answer
/// evaluated on a map of those properties as on the node.
fn on_properties_only<'e>(e: &'e Expr, var: &str, keys: &mut Vec<&'e str>) -> bool {
    match &e.kind {
        ExprKind::Property(target, key) if matches!(&target.kind, ExprKind::Var(v) if v == var) => {
            keys.push(key);
            true
        }
        ExprKind::Var(_)
        | ExprKind::Pattern(_)
        | ExprKind::ExistsSubquery(_)
        | ExprKind::PatternComprehension { .. }
        | ExprKind::CountStar => false,
        _ if is_aggregate(e) => false,
        _ => {
            let mut ok = true;
            e.for_each_child(&mut |c| ok = ok && on_properties_only(c, var, keys));
            ok
        }
    }
}

/// The scan that answers `clause` and `projector` together, if they allow it (see the
/// module documentation), for the input row `row`.
pub(crate) fn plan<'a>(
    clause: &'a Clause,
    projector: &Projector<'a>,
    row: &Row,
) -> Option<ScanAggregate<'a>> {
    let (part, filter) = crate::count::sole_pattern_where(clause)?;
    let node = &part.element.start;
    if part.var.is_some()
        || part.shortest.is_some()
        || !part.element.chain.is_empty()
        || node.props.is_some()
        || node.labels.len() > 1
    {
        return None;
    }
    let read = projector.property_aggregate()?;
    let var = node.var.as_deref()?;
    if read.var != var || row.get(var).is_some() {
        return None;
    }
    let mut props: Vec<&str> = Vec::new();
    let mut index_of = |p: &'a str| {
        if let Some(i) = props.iter().position(|q| *q == p) {
            i
        } else {
            props.push(p);
            props.len() - 1
        }
    };
    let keys = read.keys.iter().map(|p| index_of(p)).collect();
    let aggs = read
        .aggs
        .iter()
        .map(|(_, a)| a.map(&mut index_of))
        .collect();
    let filter = match filter {
        None => None,
        Some(f) => {
            let mut read_keys = Vec::new();
            if !on_properties_only(f, var, &mut read_keys) {
                return None;
            }
            read_keys.sort_unstable();
            read_keys.dedup();
            let at = read_keys.iter().map(|k| (*k, index_of(k))).collect();
            Some((f, at))
        }
    };
    Some(ScanAggregate {
        var,
        label: node.labels.first().map(String::as_str),
        props,
        keys,
        aggs,
        functions: read.aggs.into_iter().map(|(f, _)| f).collect(),
        filter,
    })
}

/// One group while the scan runs.
struct Group {
    first: NodeId,
    key_values: Vec<Value>,
    accs: Vec<Accumulator>,
    /// The hash of its key ([`key_hash`]).
    hash: u64,
    /// The group before it whose key has the same hash, if any.
    same_hash: Option<usize>,
}

/// A value as the query sees it.
pub(crate) fn value_of(r: Option<&PropertyRef<'_>>) -> Value {
    r.map_or(Value::Null, |r| Value::from(r.to_value()))
}

/// Adds a grouping key value to a hash under which values of one group hash alike (`1`
/// and `1.0`, as [`GroupKey`] has it): `string` when it is a string (hashed in place),
/// else `other()`.
fn hash_key_value(
    h: &mut rustc_hash::FxHasher,
    string: Option<&str>,
    other: impl FnOnce() -> Value,
) {
    if let Some(s) = string {
        h.write_u8(0xff);
        s.hash(h);
    } else {
        GroupKey::of(&other()).hash(h);
    }
}

/// The hash of a group's key values (checked against [`refs_hash`] in debug builds).
#[cfg_attr(not(debug_assertions), allow(dead_code, reason = "a debug check"))]
fn values_hash(values: &[Value]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for v in values {
        let string = match v {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        };
        hash_key_value(&mut h, string, || v.clone());
    }
    h.finish()
}

/// The hash of the key values a node read, the same as [`values_hash`] of them.
fn refs_hash<'r, 'a: 'r>(refs: impl Iterator<Item = Option<&'r PropertyRef<'a>>>) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for r in refs {
        hash_key_value(&mut h, r.and_then(PropertyRef::as_str), || value_of(r));
    }
    h.finish()
}

/// Whether a value a node read and a group's key value are the same grouping key value
/// (as their [`GroupKey`]s are equal), comparing strings in place.
fn same_key(r: Option<&PropertyRef<'_>>, v: &Value) -> bool {
    match (r.and_then(PropertyRef::as_str), v) {
        (Some(x), Value::String(y)) => x == y,
        (Some(_), _) | (None, Value::String(_)) => false,
        (None, _) => GroupKey::of(&value_of(r)) == GroupKey::of(v),
    }
}

/// The groups of one run of the scan, in the order they first appeared, with what they
/// hold charged to `budget`. Aligned to two cache lines: the runs sit side by side in a
/// vector, each written by its own thread for every node, and sharing a line would make
/// the cores pass it back and forth.
#[repr(align(128))]
struct Partial {
    /// The last group whose key has a hash (earlier ones follow `same_hash`).
    index: FxHashMap<u64, usize>,
    groups: Vec<Group>,
    /// Nodes read.
    seen: u64,
    /// Nodes that passed the `WHERE` (all of them without one).
    matched: u64,
    budget: MemoryBudget,
}

impl Partial {
    fn new(limit: usize) -> Partial {
        Partial {
            index: FxHashMap::default(),
            groups: Vec::new(),
            seen: 0,
            matched: 0,
            budget: MemoryBudget::new(limit),
        }
    }

    /// The group of key hash `hash` whose key values satisfy `is_key`, if there is one.
    fn find(&self, hash: u64, is_key: impl Fn(&[Value]) -> bool) -> Option<usize> {
        let mut at = self.index.get(&hash).copied();
        while let Some(i) = at {
            let g = &self.groups[i];
            if is_key(&g.key_values) {
                return Some(i);
            }
            at = g.same_hash;
        }
        None
    }

    /// Adds `group` as a new group.
    fn push(&mut self, mut group: Group) -> usize {
        debug_assert_eq!(group.hash, values_hash(&group.key_values), "hashed alike");
        let at = self.groups.len();
        group.same_hash = self.index.insert(group.hash, at);
        self.groups.push(group);
        at
    }

    /// Adds node `id`, whose properties are `values` (in `scan.props` order).
    fn add(
        &mut self,
        scan: &ScanAggregate<'_>,
        env: &Env<'_>,
        id: NodeId,
        values: &[Option<PropertyRef<'_>>],
    ) -> Result<()> {
        self.seen += 1;
        if env.cancelled(self.seen) {
            return Err(QueryError::Cancelled);
        }
        let read = |k: usize| values.get(k).and_then(Option::as_ref);
        if let Some((filter, keys)) = &scan.filter {
            // The node as a map of the properties the filter reads.
            let map = keys
                .iter()
                .map(|&(k, at)| (k.to_string(), value_of(read(at))))
                .collect();
            let mut row = Row::default();
            row.set(scan.var, Value::Map(map));
            let ctx = Ctx {
                params: env.params,
                graph: &NoGraph,
                aggregates: None,
                cancel: env.cancel,
                budget: &self.budget,
            };
            if !matches!(eval(filter, &mut row, &ctx)?, Value::Bool(true)) {
                return Ok(());
            }
        }
        self.matched += 1;
        let hash = refs_hash(scan.keys.iter().map(|&k| read(k)));
        // Without keys every node is in the one group, once it is made.
        let found = if scan.keys.is_empty() && !self.groups.is_empty() {
            Some(0)
        } else {
            self.find(hash, |key| {
                scan.keys
                    .iter()
                    .zip(key)
                    .all(|(&k, v)| same_key(read(k), v))
            })
        };
        let at = if let Some(at) = found {
            at
        } else {
            let key_values: Vec<Value> = scan.keys.iter().map(|&k| value_of(read(k))).collect();
            self.budget
                .charge(group_bytes(&key_values, scan.aggs.len()))?;
            self.push(Group {
                first: id,
                key_values,
                accs: scan.accumulators(),
                hash,
                same_hash: None,
            })
        };
        for (acc, arg) in self.groups[at].accs.iter_mut().zip(&scan.aggs) {
            acc.add_property(arg.and_then(read), &self.budget)?;
        }
        Ok(())
    }

    /// Takes in the groups of `later`, a run of later nodes.
    fn merge(&mut self, later: Partial) -> Result<()> {
        self.seen += later.seen;
        self.matched += later.matched;
        self.budget.charge(later.budget.used())?;
        for group in later.groups {
            let found = self.find(group.hash, |key| {
                key.iter()
                    .zip(&group.key_values)
                    .all(|(a, b)| GroupKey::of(a) == GroupKey::of(b))
            });
            if let Some(at) = found {
                for (a, b) in self.groups[at].accs.iter_mut().zip(group.accs) {
                    a.merge(b);
                }
            } else {
                self.push(group);
            }
        }
        Ok(())
    }
}

/// What every run of the scan reads besides the nodes: the query's parameters (for the
/// `WHERE`) and its cancel flag.
struct Env<'a> {
    params: &'a BTreeMap<String, Value>,
    cancel: Option<&'a AtomicBool>,
}

impl Env<'_> {
    /// Whether the query was cancelled (see [`cancelled`]).
    fn cancelled(&self, seen: u64) -> bool {
        cancelled(self.cancel, seen)
    }
}

/// The bytes a group takes, as the projection charges it: its key twice, its values and
/// its accumulators (its first row is charged when it is handed over).
fn group_bytes(key_values: &[Value], aggs: usize) -> usize {
    2 * crate::budget::values_size(key_values)
        + size_of::<Group>()
        + aggs * size_of::<Accumulator>()
}

/// Nodes from which the scan runs on every core (fewer: on one).
#[cfg(not(debug_assertions))]
const PARALLEL_NODES_MIN: usize = 1 << 15;
/// Small in debug builds, so that tests on small graphs take the parted path.
#[cfg(debug_assertions)]
const PARALLEL_NODES_MIN: usize = 64;

impl ScanAggregate<'_> {
    /// Fresh accumulators for one group.
    fn accumulators(&self) -> Vec<Accumulator> {
        self.functions
            .iter()
            .map(|f| Accumulator::new(f, false))
            .collect()
    }

    /// Whether the scan is the better plan: always without a `WHERE`; with one, unless a
    /// ready index on the label and a property the `WHERE` reads could serve it (the row
    /// path then seeks the index instead of reading every node).
    pub(crate) fn worth_scanning(&self, ctx: &Ctx<'_>) -> Result<bool> {
        let (Some((_, keys)), Some(label)) = (&self.filter, self.label) else {
            return Ok(true);
        };
        let indexed = ctx.graph.indexes()?.iter().any(|i| {
            i.state == pagegraph::IndexState::Ready
                && matches!(&i.target, pagegraph::IndexTarget::Label(l) if l == label)
                && i.properties
                    .first()
                    .is_some_and(|p| keys.iter().any(|(k, _)| k == p))
        });
        Ok(!indexed)
    }

    /// Scans the nodes, groups them, and hands the groups to `projector`; `matched` counts
    /// the matches (for `PROFILE`).
    pub(crate) fn run(
        &self,
        row: &Row,
        projector: &mut Projector<'_>,
        matched: &Cell<u64>,
        ctx: &Ctx<'_>,
    ) -> Result<()> {
        let ids = match self.label {
            Some(l) => ctx.graph.label_ids(l)?,
            None => ctx.graph.node_ids()?,
        };
        let threads = if ids.len() >= PARALLEL_NODES_MIN {
            std::thread::available_parallelism().map_or(1, |t| t.get().min(4))
        } else {
            1
        };
        // Each run may hold an equal share of what the query may still hold.
        let share = ctx.budget.limit().saturating_sub(ctx.budget.used()) / threads;
        let mut partials: Vec<Partial> = (0..threads).map(|_| Partial::new(share)).collect();
        let env = Env {
            params: ctx.params,
            cancel: ctx.cancel,
        };
        let env = &env;
        let parted = if threads > 1 {
            let mut sinks: Vec<_> = partials
                .iter_mut()
                .map(|part| {
                    move |id: NodeId, values: &[Option<PropertyRef<'_>>]| -> Result<()> {
                        part.add(self, env, id, values)
                    }
                })
                .collect();
            let mut dyn_sinks: Vec<&mut PropertySink<'_>> = sinks
                .iter_mut()
                .map(|s| s as &mut PropertySink<'_>)
                .collect();
            ctx.graph
                .each_node_properties_parted(&ids, &self.props, &mut dyn_sinks)
                .map_err(|e| over_budget(e, ctx))?
        } else {
            false
        };
        if !parted {
            partials.truncate(1);
            let part = &mut partials[0];
            ctx.graph
                .each_node_properties(&ids, &self.props, &mut |id, values| {
                    part.add(self, env, id, values)
                })
                .map_err(|e| over_budget(e, ctx))?;
        }
        let mut runs = partials.into_iter();
        let Some(mut all) = runs.next() else {
            return Ok(());
        };
        for later in runs {
            all.merge(later).map_err(|e| over_budget(e, ctx))?;
        }
        matched.set(matched.get() + all.matched);
        // What the accumulators keep (collected values) becomes the projection's, which
        // charges the groups themselves anew.
        let group_total: usize = all
            .groups
            .iter()
            .map(|g| group_bytes(&g.key_values, self.aggs.len()))
            .sum();
        let mut acc_bytes = all.budget.used().saturating_sub(group_total);
        ctx.budget.charge(acc_bytes)?;
        for g in all.groups {
            let mut first = row.clone();
            first.set(self.var, Value::Node(g.first));
            let held = std::mem::take(&mut acc_bytes);
            projector.push_group(first, g.key_values, g.accs, held, ctx)?;
        }
        Ok(())
    }
}
