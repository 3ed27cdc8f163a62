//! The memory a query may hold, and what it holds.
//!
//! Rows that stream from `MATCH` to `RETURN` are not held: each is dropped once the
//! projection has taken what it needs. A query holds memory where its answer needs many rows
//! at once: the rows a `RETURN` returns or a `WITH` passes on, the rows an `ORDER BY` sorts
//! (all of them, or `2 * (SKIP + LIMIT)` with a `LIMIT`), one entry per group of an
//! aggregation and per row of a `DISTINCT`, the values of `collect`, `percentileCont`,
//! `percentileDisc`, `stDev` and of `DISTINCT` aggregates, the rows a write clause or a `CALL`
//! takes together, and lists a function builds (`range`, list concatenation).
//!
//! Every such place charges a [`MemoryBudget`] with an estimate of what it keeps (the
//! values' heap bytes and their slots, a little more than the allocator is given) and gives
//! it back when the memory is freed. A charge past the limit fails the query with
//! [`QueryError::MemoryLimit`], which names the limit, before the memory is taken: a query
//! too large for its budget ends with that error, never with the process killed for want
//! of memory. A write the query began is then discarded, as after any error.
//!
//! The default limit is half of the machine's physical memory ([`default_memory_limit`]);
//! [`crate::QueryOptions::memory_limit`] sets another per query.

use std::cell::Cell;
use std::sync::OnceLock;

use crate::error::{QueryError, Result};
use crate::eval::Row;
use crate::value::Value;

/// The limit when the machine's memory cannot be read (not Linux).
const FALLBACK_LIMIT: usize = 4 << 30;

/// The least default limit, for machines with very little memory.
const LEAST_DEFAULT_LIMIT: usize = 64 << 20;

/// Bytes of bookkeeping counted per hash-table entry or heap allocation besides its data.
const ENTRY_OVERHEAD: usize = 16;

/// The default memory limit of a query: half of the physical memory (`MemTotal` of
/// `/proc/meminfo`), at least 64 MiB; 4 GiB where that cannot be read.
pub fn default_memory_limit() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| mem_total(&text))
            .map_or(FALLBACK_LIMIT, |total| (total / 2).max(LEAST_DEFAULT_LIMIT))
    })
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
fn mem_total(meminfo: &str) -> Option<usize> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut words = line["MemTotal:".len()..].split_whitespace();
    let n: usize = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => n.checked_mul(1024),
        None => Some(n),
        Some(_) => None,
    }
}

/// A byte count as people read it (`1.5 GiB`).
pub(crate) fn human(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    #[allow(
        clippy::cast_precision_loss,
        reason = "a size shown to one decimal place"
    )]
    let b = bytes as f64;
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut v = b / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// How much memory one query may hold and holds now (see the module documentation). Not
/// shared between threads: a query runs on one.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: usize,
    used: Cell<usize>,
    peak: Cell<usize>,
}

impl MemoryBudget {
    /// A budget of `limit` bytes, none of them used.
    pub fn new(limit: usize) -> MemoryBudget {
        MemoryBudget {
            limit,
            used: Cell::new(0),
            peak: Cell::new(0),
        }
    }

    /// The limit, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The bytes held now.
    pub fn used(&self) -> usize {
        self.used.get()
    }

    /// The most bytes held at once so far.
    pub fn peak(&self) -> usize {
        self.peak.get()
    }

    /// Takes `bytes` more, or fails with [`QueryError::MemoryLimit`] (taking nothing) when
    /// that would pass the limit.
    pub fn charge(&self, bytes: usize) -> Result<()> {
        let used = self.used.get().saturating_add(bytes);
        if used > self.limit {
            return Err(QueryError::MemoryLimit { limit: self.limit });
        }
        self.used.set(used);
        if used > self.peak.get() {
            self.peak.set(used);
        }
        Ok(())
    }

    /// Gives back `bytes` taken by [`MemoryBudget::charge`].
    pub fn release(&self, bytes: usize) {
        debug_assert!(
            bytes <= self.used.get(),
            "released {bytes} bytes of {} held",
            self.used.get()
        );
        self.used.set(self.used.get().saturating_sub(bytes));
    }

    /// Fails as [`MemoryBudget::charge`] would when `bytes` more would pass the limit,
    /// taking nothing: for a value about to be built whose memory is charged, if at all,
    /// where it is kept.
    pub fn check(&self, bytes: usize) -> Result<()> {
        if self.used.get().saturating_add(bytes) > self.limit {
            return Err(QueryError::MemoryLimit { limit: self.limit });
        }
        Ok(())
    }
}

impl Default for MemoryBudget {
    /// A budget of [`default_memory_limit`].
    fn default() -> MemoryBudget {
        MemoryBudget::new(default_memory_limit())
    }
}

/// The heap bytes of a value, estimated (see the module documentation); its own slot is
/// counted by whatever holds it.
pub(crate) fn value_heap(v: &Value) -> usize {
    match v {
        Value::Null
        | Value::Bool(_)
        | Value::Int(_)
        | Value::Float(_)
        | Value::Node(_)
        | Value::Rel(_)
        | Value::Temporal(_) => 0,
        Value::String(s) => string_heap(s),
        Value::List(items) => list_heap(items),
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| {
                ENTRY_OVERHEAD + size_of::<(String, Value)>() + string_heap(k) + value_heap(v)
            })
            .sum(),
        Value::Path(p) => {
            ENTRY_OVERHEAD
                + size_of::<crate::value::Path>()
                + 8 * (p.nodes.capacity() + p.rels.capacity())
        }
    }
}

/// The heap bytes of a list's items and their slots.
pub(crate) fn list_heap(items: &[Value]) -> usize {
    if items.is_empty() {
        return 0;
    }
    ENTRY_OVERHEAD + size_of_val(items) + items.iter().map(value_heap).sum::<usize>()
}

fn string_heap(s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        ENTRY_OVERHEAD + s.len()
    }
}

/// The bytes a held value takes: its slot and its heap.
pub(crate) fn value_size(v: &Value) -> usize {
    size_of::<Value>() + value_heap(v)
}

/// The bytes a held row takes: its slot, its variables' slots, names and values.
pub(crate) fn row_size(r: &Row) -> usize {
    size_of::<Row>()
        + ENTRY_OVERHEAD
        + r.vars
            .iter()
            .map(|(name, v)| size_of::<(String, Value)>() + string_heap(name) + value_heap(v))
            .sum::<usize>()
}

/// The bytes rows take held in a vector.
pub(crate) fn rows_size(rows: &[Row]) -> usize {
    rows.iter().map(row_size).sum()
}

/// The bytes of `values` held in a vector or a hash-table key (slots and heaps).
pub(crate) fn values_size(values: &[Value]) -> usize {
    ENTRY_OVERHEAD + values.iter().map(value_size).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_past_the_limit_fail_and_take_nothing() {
        let b = MemoryBudget::new(100);
        b.charge(60).unwrap();
        let err = b.charge(41).unwrap_err();
        assert!(matches!(err, QueryError::MemoryLimit { limit: 100 }));
        assert_eq!(b.used(), 60);
        b.check(40).unwrap();
        assert!(b.check(41).is_err());
        b.charge(40).unwrap();
        b.release(100);
        assert_eq!((b.used(), b.peak()), (0, 100));
        // A charge too large for any count fails too.
        assert!(b.charge(usize::MAX).is_err());
    }

    #[test]
    fn the_machine_memory_is_read_from_meminfo() {
        let text = "MemTotal:       24576000 kB\nMemFree:        1000 kB\n";
        assert_eq!(mem_total(text), Some(24_576_000 * 1024));
        assert_eq!(mem_total("MemFree: 5 kB\n"), None);
        assert_eq!(mem_total("MemTotal: x kB\n"), None);
        assert!(default_memory_limit() >= LEAST_DEFAULT_LIMIT);
    }

    #[test]
    fn sizes_grow_with_what_values_hold() {
        let small = value_size(&Value::Int(1));
        let s = value_size(&Value::String("x".repeat(1000)));
        assert!(s >= small + 1000);
        let list = Value::List(vec![Value::String("x".repeat(1000)); 10]);
        assert!(value_size(&list) >= 10 * 1000);
        let mut r = Row::default();
        r.vars.push(("a".into(), list));
        assert!(row_size(&r) >= 10 * 1000);
        assert_eq!(human(512), "512 bytes");
        assert_eq!(human(3 << 29), "1.5 GiB");
    }
}
