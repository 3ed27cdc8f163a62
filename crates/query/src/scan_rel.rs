//! `MATCH (a:Person)-[e:FOLLOWS]->(b:Person) RETURN a.id, b.id, e.since`: every match of
//! one relationship read in one scan of the relationship records, without a row or an
//! expression per match.
//!
//! When a `MATCH` is one directed relationship between two nodes (each node with a
//! variable of its own or none, at most one label and no properties; the relationship of
//! any types, of length one, without properties; no `WHERE`), none of its variables bound
//! before, and the projection after it reads only properties of those variables (see
//! [`Projector::plain_properties`]), each match matters only through those properties.
//! The ends' properties are then read first, each label's nodes in one scan, into a table
//! from node id to values; then the relationship records of the types, in id order
//! ([`GraphRead::scan_rel_properties`], on every core when the whole result is wanted and
//! no row is streamed): each relationship whose ends have the labels gives one projected
//! row, straight from the tables and its record, to [`Projector::push_values`].
//!
//! Rows come in relationship id order, where the row path gives them by start node:
//! Cypher leaves the order of rows without `ORDER BY` unspecified. The scan is chosen only
//! where it reads fewer records than the row path would look up (see
//! [`RelScan::worth_scanning`]), in a read-only query, and when its tables fit in half of
//! what the query may still hold.

use std::cell::Cell;

use pagegraph::{NodeId, PropertyRef};
use rustc_hash::FxHashMap;

use crate::ast::{Clause, Dir};
use crate::budget::MemoryBudget;
use crate::columns::Column;
use crate::error::{QueryError, Result};
use crate::eval::{Ctx, Row};
use crate::exec::{Emit, Emitted};
use crate::matcher::Flow;
use crate::project::Projector;
use crate::scan_agg::{cancelled, over_budget, value_of};
use crate::value::Value;

/// Relationships from which the scan runs on several threads: few in debug builds, so that
/// tests on small graphs take the parted path.
const PARALLEL_RELS_MIN: u64 = if cfg!(debug_assertions) { 16 } else { 1 << 15 };

/// Which element a column reads.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    /// The node the relationship leaves (its stored start).
    From,
    /// The node it arrives at.
    To,
    /// The relationship.
    Rel,
}

/// One end of the relationship: the label it must have and the properties read of it.
struct End<'a> {
    label: Option<&'a str>,
    keys: Vec<&'a str>,
}

/// A `MATCH` of one relationship and the projection after it, answered by one scan.
pub(crate) struct RelScan<'a> {
    /// The relationship's stored start and end: `[from, to]`.
    ends: [End<'a>; 2],
    /// Whether both ends have the same label (or none) and read their properties from one
    /// table (then `ends[0].keys` holds the keys of both).
    shared: bool,
    types: &'a [String],
    rel_keys: Vec<&'a str>,
    /// Each column's element and the index of its property in that element's keys.
    columns: Vec<(Side, usize)>,
}

/// The index of `key` in `keys`, added when it is new.
fn slot_of<'a>(keys: &mut Vec<&'a str>, key: &'a str) -> usize {
    if let Some(i) = keys.iter().position(|k| *k == key) {
        i
    } else {
        keys.push(key);
        keys.len() - 1
    }
}

/// The scan that answers `clause` and `projector` together, if they allow it (see the
/// module documentation), for the input row `row`.
pub(crate) fn plan<'a>(
    clause: &'a Clause,
    projector: &Projector<'a>,
    row: &Row,
) -> Option<RelScan<'a>> {
    let (part, filter) = crate::count::sole_pattern_where(clause)?;
    if filter.is_some() || part.var.is_some() || part.shortest.is_some() {
        return None;
    }
    let start = &part.element.start;
    let [(rel, end)] = part.element.chain.as_slice() else {
        return None;
    };
    if rel.length.is_some()
        || rel.props.is_some()
        || rel.dir == Dir::Both
        || [start, end]
            .iter()
            .any(|n| n.props.is_some() || n.labels.len() > 1)
    {
        return None;
    }
    let vars = [start.var.as_deref(), rel.var.as_deref(), end.var.as_deref()];
    for (i, v) in vars.iter().enumerate() {
        if let Some(v) = v
            && (row.get(v).is_some() || vars[..i].contains(&Some(v)))
        {
            return None;
        }
    }
    let read = projector.plain_properties()?;
    let (from, to) = match rel.dir {
        Dir::Right => (start, end),
        _ => (end, start),
    };
    let label = |n: &'a crate::ast::NodePattern| n.labels.first().map(String::as_str);
    let shared = label(from) == label(to);
    let mut ends = [
        End {
            label: label(from),
            keys: Vec::new(),
        },
        End {
            label: label(to),
            keys: Vec::new(),
        },
    ];
    let mut rel_keys = Vec::new();
    let mut columns = Vec::with_capacity(read.len());
    for (var, key) in read {
        let is = |v: &Option<String>| v.as_deref() == Some(var);
        let column = if is(&from.var) {
            (Side::From, slot_of(&mut ends[0].keys, key))
        } else if is(&to.var) {
            let keys = usize::from(!shared);
            (Side::To, slot_of(&mut ends[keys].keys, key))
        } else if is(&rel.var) {
            (Side::Rel, slot_of(&mut rel_keys, key))
        } else {
            return None;
        };
        columns.push(column);
    }
    Some(RelScan {
        ends,
        shared,
        types: &rel.types,
        rel_keys,
        columns,
    })
}

/// The ids of the nodes of each end whose table is read, `[from, to]` (see
/// [`RelScan::ids_if_worth`]).
type EndIds = [Option<Vec<NodeId>>; 2];

/// The properties of the nodes of one end (a label's nodes, or every node), by node id.
struct NodeTable {
    /// Where the ids are every id from `base` on: the slot of each is its id minus `base`
    /// (`dense` and `sparse` are then empty), how many there are.
    run: Option<usize>,
    /// The nodes' slots by id minus `base` (`u32::MAX`: not in the table), where the ids
    /// are dense; else empty and `sparse` holds them.
    dense: Vec<u32>,
    base: u64,
    sparse: FxHashMap<u64, u32>,
    /// Each property's values, by slot (a machine array where they are all numbers of one
    /// type: compact, for reads at random slots).
    columns: Vec<Column>,
}

impl NodeTable {
    /// The slot of node `id`, if it is in the table.
    fn slot(&self, id: NodeId) -> Option<usize> {
        if let Some(n) = self.run {
            let at = usize::try_from(id.0.checked_sub(self.base)?).ok()?;
            return (at < n).then_some(at);
        }
        if self.dense.is_empty() {
            return self.sparse.get(&id.0).map(|&s| s as usize);
        }
        let at = usize::try_from(id.0.checked_sub(self.base)?).ok()?;
        match self.dense.get(at) {
            Some(&s) if s != u32::MAX => Some(s as usize),
            _ => None,
        }
    }

    /// Property `k` of the node in `slot`.
    fn value(&self, slot: usize, k: usize) -> Value {
        self.columns
            .get(k)
            .and_then(|c| c.get(slot))
            .unwrap_or(Value::Null)
    }
}

impl RelScan<'_> {
    /// The ids of each end's nodes (`None`: any node will do, or, for the end, the start's
    /// table serves), with how many relationships the graph has, where the scan is the
    /// better plan for them. The row path looks up each start
    /// node's relationships (about 1 us each) and each match's records (about 1.4 us);
    /// the scan reads every record of the graph (about 0.1 us each). The matches are
    /// estimated from the types' counts and the share of nodes each label has.
    #[allow(clippy::cast_precision_loss, reason = "an estimate")]
    fn ids_if_worth(&self, ctx: &Ctx<'_>) -> Result<Option<(EndIds, u64)>> {
        let Some(counts) = ctx.graph.rel_type_counts()? else {
            return Ok(None);
        };
        let Some(nodes) = ctx.graph.node_count()? else {
            return Ok(None);
        };
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        let matching: u64 = counts
            .iter()
            .filter(|(t, _)| self.types.is_empty() || self.types.contains(t))
            .map(|(_, n)| n)
            .sum();
        let mut ids: EndIds = [None, None];
        for (i, end) in self.ends.iter().enumerate() {
            ids[i] = match end.label {
                _ if i == 1 && self.shared => None,
                Some(l) => Some(ctx.graph.label_ids(l)?),
                None if !end.keys.is_empty() => Some(ctx.graph.node_ids()?),
                None => None,
            };
        }
        let nodes = nodes.max(1) as f64;
        let share =
            |ids: &Option<Vec<NodeId>>| ids.as_ref().map_or(1.0, |v| v.len() as f64 / nodes);
        let to_ids = if self.shared { &ids[0] } else { &ids[1] };
        let estimate = matching as f64 * share(&ids[0]) * share(to_ids);
        let starts = ids
            .iter()
            .flatten()
            .map(Vec::len)
            .min()
            .map_or(nodes, |n| n as f64);
        let worth = (total as f64) <= 10.0 * starts + 14.0 * estimate;
        Ok(worth.then_some((ids, total)))
    }

    /// Reads the properties `keys` of the nodes `ids` into a table; `None` when the table
    /// would take more than `room` bytes. Charged to the query's budget.
    fn table(
        ids: &[NodeId],
        keys: &[&str],
        room: usize,
        ctx: &Ctx<'_>,
    ) -> Result<Option<NodeTable>> {
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            return Ok(Some(NodeTable {
                run: None,
                dense: Vec::new(),
                base: 0,
                sparse: FxHashMap::default(),
                columns: Vec::new(),
            }));
        };
        let Ok(count) = u32::try_from(ids.len()) else {
            return Ok(None);
        };
        let span = usize::try_from(last.0 - first.0).map_or(usize::MAX, |s| s.saturating_add(1));
        // Ascending and distinct: as many as their span only when they are all of it.
        let run = (span == ids.len()).then_some(span);
        let dense = run.is_none() && span <= ids.len().saturating_mul(4).saturating_add(1024);
        let index_bytes = if dense {
            span * 4
        } else if run.is_none() {
            ids.len() * 24
        } else {
            0
        };
        // Values at the size of a number; strings and containers are charged as they come.
        if index_bytes + ids.len() * keys.len() * size_of::<i64>() > room {
            return Ok(None);
        }
        ctx.budget.charge(index_bytes)?;
        let mut table = NodeTable {
            run,
            dense: if dense {
                vec![u32::MAX; span]
            } else {
                Vec::new()
            },
            base: first.0,
            sparse: FxHashMap::default(),
            columns: keys.iter().map(|_| Column::default()).collect(),
        };
        if !dense && run.is_none() {
            table.sparse.reserve(ids.len());
        }
        let mut slot: u32 = 0;
        let mut add = |id: NodeId, slot: u32| {
            if run.is_some() {
                debug_assert_eq!(id.0 - first.0, u64::from(slot), "a run of ids");
            } else if dense {
                if let Some(at) = table.dense.get_mut((id.0 - first.0) as usize) {
                    *at = slot;
                }
            } else {
                table.sparse.insert(id.0, slot);
            }
        };
        if keys.is_empty() {
            for &id in ids {
                add(id, slot);
                slot += 1;
            }
            return Ok(Some(table));
        }
        let columns = &mut table.columns;
        let mut seen: u64 = 0;
        ctx.graph.each_node_properties(ids, keys, &mut |id, vals| {
            seen += 1;
            if cancelled(ctx.cancel, seen) {
                return Err(QueryError::Cancelled);
            }
            let mut bytes = 0;
            for (c, v) in columns.iter_mut().zip(vals) {
                bytes += c.push(value_of(v.as_ref()));
            }
            ctx.budget.charge(bytes)?;
            add(id, slot);
            slot += 1;
            Ok(())
        })?;
        debug_assert!(slot <= count);
        // Every id must have its slot (a graph that passed over one would shift a run's).
        Ok((slot as usize == ids.len()).then_some(table))
    }

    /// Scans the relationships and hands their rows to `projector` (and on to `out` as they
    /// come, where the projection passes rows on); `matched` counts the matches (for
    /// `PROFILE`). Returns false, having taken no row, where the row path is the better
    /// plan or the tables do not fit (see the module documentation).
    pub(crate) fn run(
        &self,
        projector: &mut Projector<'_>,
        matched: &Cell<u64>,
        ctx: &Ctx<'_>,
        mut out: Option<&mut Emit<'_>>,
    ) -> Result<bool> {
        let Some((ids, total)) = self.ids_if_worth(ctx)? else {
            return Ok(false);
        };
        let room = ctx.budget.limit().saturating_sub(ctx.budget.used()) / 2;
        let before = ctx.budget.used();
        let mut tables: [Option<NodeTable>; 2] = [None, None];
        for (i, end) in self.ends.iter().enumerate() {
            let Some(ids) = &ids[i] else {
                continue;
            };
            let room = room.saturating_sub(ctx.budget.used() - before);
            let Some(t) = Self::table(ids, &end.keys, room, ctx)? else {
                ctx.budget.release(ctx.budget.used() - before);
                return Ok(false);
            };
            tables[i] = Some(t);
        }
        let tables_bytes = ctx.budget.used() - before;
        let to = usize::from(!self.shared);
        let make = Make {
            from: tables[0].as_ref(),
            to: tables[to].as_ref(),
            columns: &self.columns,
        };
        let cancel = ctx.cancel;
        let threads = if out.is_some() || projector.stops_early() || total < PARALLEL_RELS_MIN {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |t| t.get().min(4))
        };
        let result = if projector.takes_columns() || threads > 1 {
            self.run_columns(&make, threads, projector, matched, ctx)
        } else {
            let mut seen: u64 = 0;
            let mut stopped = false;
            let scanned = ctx.graph.scan_rel_properties(
                self.types,
                &self.rel_keys,
                &mut |_, from, to, vals| {
                    seen += 1;
                    if cancelled(cancel, seen) {
                        return Err(QueryError::Cancelled);
                    }
                    let Some(row) = make.row(from, to, vals) else {
                        return Ok(());
                    };
                    matched.set(matched.get() + 1);
                    let flow = projector.push_values(row, ctx)?;
                    if let Some(out) = out.as_deref_mut() {
                        projector.take_passed(ctx, |r| out(Emitted::Row(r)))?;
                    }
                    if flow == Flow::Stop {
                        stopped = true;
                        // Ends the scan; told apart from a cancellation by `stopped`.
                        return Err(QueryError::Cancelled);
                    }
                    Ok(())
                },
            );
            match scanned {
                Err(QueryError::Cancelled) if stopped => Ok(true),
                other => other,
            }
        };
        ctx.budget.release(tables_bytes);
        let done = result?;
        debug_assert!(done, "a snapshot scans relationships");
        Ok(done)
    }
}

impl RelScan<'_> {
    /// The scan on `threads` threads (one or more), each run making its rows as columns
    /// (within its share of the query's budget); once every run has ended, the columns
    /// are joined in order and handed to `projector` as they are where it takes columns
    /// (see [`Projector::push_columns`]), else their rows, run after run, in order.
    fn run_columns(
        &self,
        make: &Make<'_>,
        threads: usize,
        projector: &mut Projector<'_>,
        matched: &Cell<u64>,
        ctx: &Ctx<'_>,
    ) -> Result<bool> {
        let share = ctx.budget.limit().saturating_sub(ctx.budget.used()) / threads;
        let width = self.columns.len();
        let mut runs: Vec<ColumnRun> = (0..threads)
            .map(|_| ColumnRun {
                columns: (0..width).map(|_| Column::default()).collect(),
                rows: 0,
                seen: 0,
                budget: MemoryBudget::new(share),
            })
            .collect();
        let cancel = ctx.cancel;
        let mut sinks: Vec<_> = runs
            .iter_mut()
            .map(|run| {
                move |_, from, to, vals: &[Option<PropertyRef<'_>>]| -> Result<()> {
                    run.seen += 1;
                    if cancelled(cancel, run.seen) {
                        return Err(QueryError::Cancelled);
                    }
                    let mut bytes = 0;
                    let mut columns = run.columns.iter_mut();
                    let kept = make.cells(from, to, vals, |v| {
                        if let Some(c) = columns.next() {
                            bytes += c.push(v);
                        }
                    });
                    if kept {
                        run.rows += 1;
                        run.budget.charge(bytes)?;
                    }
                    Ok(())
                }
            })
            .collect();
        let scanned = if let [sink] = sinks.as_mut_slice() {
            ctx.graph
                .scan_rel_properties(self.types, &self.rel_keys, sink)
        } else {
            let mut dyn_sinks: Vec<&mut crate::eval::RelPropertySink<'_>> = sinks
                .iter_mut()
                .map(|s| s as &mut crate::eval::RelPropertySink<'_>)
                .collect();
            ctx.graph
                .scan_rel_properties_parted(self.types, &self.rel_keys, &mut dyn_sinks)
        }
        .map_err(|e| over_budget(e, ctx))?;
        drop(sinks);
        if !scanned {
            return Ok(false);
        }
        let mut bytes: usize = runs.iter().map(|r| r.budget.used()).sum();
        ctx.budget.charge(bytes)?;
        if !projector.takes_columns() {
            // The runs' rows, each run given back once the projection has taken its rows.
            for run in runs {
                let run_bytes = run.budget.used();
                for i in 0..run.rows {
                    let row = run
                        .columns
                        .iter()
                        .map(|c| c.get(i).unwrap_or(Value::Null))
                        .collect();
                    matched.set(matched.get() + 1);
                    if projector.push_values(row, ctx)? == Flow::Stop {
                        ctx.budget.release(bytes);
                        return Ok(true);
                    }
                }
                ctx.budget.release(run_bytes);
                bytes -= run_bytes;
            }
            return Ok(true);
        }
        let mut runs = runs.into_iter();
        let Some(first) = runs.next() else {
            return Ok(false);
        };
        let mut rows = first.rows;
        let mut table = first.columns;
        for run in runs {
            rows += run.rows;
            for (all, c) in table.iter_mut().zip(run.columns) {
                let widened = all.append(c);
                ctx.budget.charge(widened)?;
                bytes += widened;
            }
        }
        matched.set(matched.get() + rows as u64);
        projector.push_columns(table, bytes);
        Ok(true)
    }
}

/// One run of a scan made by columns: its rows' values, charged to its own budget.
/// Aligned to two cache lines: the runs sit side by side in a vector, each written by its
/// own thread for every relationship (see `scan_agg.rs`'s `Partial`).
#[repr(align(128))]
struct ColumnRun {
    columns: Vec<Column>,
    rows: usize,
    seen: u64,
    budget: MemoryBudget,
}

/// Makes a match's row from the end tables and the relationship's values.
struct Make<'t> {
    from: Option<&'t NodeTable>,
    to: Option<&'t NodeTable>,
    columns: &'t [(Side, usize)],
}

/// Where a relationship's end is in its end's table.
#[derive(Clone, Copy)]
enum EndAt<'t> {
    /// There is no table: any node will do, and no property is read.
    Any,
    /// In this slot of this table.
    At(&'t NodeTable, usize),
    /// Not in the table: the node lacks the label.
    Missing,
}

/// Where node `id` is in `table`, if there is one.
fn end_at(table: Option<&NodeTable>, id: NodeId) -> EndAt<'_> {
    match table {
        None => EndAt::Any,
        Some(t) => t.slot(id).map_or(EndAt::Missing, |s| EndAt::At(t, s)),
    }
}

impl Make<'_> {
    /// Hands `put` the values of the row of the relationship from `from` to `to` with
    /// properties `vals`, in column order; false (and no value) when an end lacks its
    /// label (is not in its table).
    fn cells(
        &self,
        from: NodeId,
        to: NodeId,
        vals: &[Option<PropertyRef<'_>>],
        mut put: impl FnMut(Value),
    ) -> bool {
        let (from, to) = (end_at(self.from, from), end_at(self.to, to));
        if matches!(from, EndAt::Missing) || matches!(to, EndAt::Missing) {
            return false;
        }
        let pick = |end: EndAt<'_>, k: usize| match end {
            EndAt::At(t, slot) => t.value(slot, k),
            EndAt::Any | EndAt::Missing => Value::Null,
        };
        for &(side, k) in self.columns {
            put(match side {
                Side::From => pick(from, k),
                Side::To => pick(to, k),
                Side::Rel => value_of(vals.get(k).and_then(Option::as_ref)),
            });
        }
        true
    }

    /// The row of the relationship (see [`Make::cells`]), or `None`.
    fn row(
        &self,
        from: NodeId,
        to: NodeId,
        vals: &[Option<PropertyRef<'_>>],
    ) -> Option<Vec<Value>> {
        let mut row = Vec::with_capacity(self.columns.len());
        self.cells(from, to, vals, |v| row.push(v)).then_some(row)
    }
}
