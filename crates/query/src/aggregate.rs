//! Aggregate functions: `count` (with `*` and `DISTINCT`), `sum`, `avg`, `min`, `max`,
//! `collect`, `stDev`, `stDevP`, `percentileCont`, `percentileDisc`. Nulls are skipped;
//! `DISTINCT` keeps the first of equal values (`1` and `1.0` are equal).
//!
//! `count`, `sum`, `avg`, `min` and `max` keep a running total in constant memory, adding
//! values in the order rows arrive (so a float sum is the same as adding the values one by
//! one). `collect`, the percentiles and the deviations keep their values, and a `DISTINCT`
//! aggregate the values it has seen; those are charged to the query's
//! [`MemoryBudget`](crate::MemoryBudget).

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation,
    reason = "statistics over floats: counts and ranks are small and non-negative"
)]

use std::collections::HashSet;

use pagegraph::PropertyRef;

use crate::budget::{MemoryBudget, value_size};
use crate::error::{QueryError, Result};
use crate::value::{GroupKey, Value, order};

/// What one aggregate computes, with its running state.
#[derive(Debug)]
enum Kind {
    /// `count(*)`.
    CountStar(i64),
    /// `count(x)`.
    Count(i64),
    /// `collect(x)`.
    Collect(Vec<Value>),
    /// `sum(x)`: the integer total while every value is an integer (`None` once a partial
    /// sum overflowed), and the float total of every value.
    Sum {
        all_int: bool,
        int: Option<i64>,
        float: f64,
    },
    /// `avg(x)`: how many values, and their float total.
    Avg { n: u64, float: f64 },
    /// `min(x)` (`max` false) or `max(x)` (`max` true): the best value so far.
    Best { max: bool, best: Option<Value> },
    /// `stDev(x)` (`sample`) or `stDevP(x)`.
    StDev { sample: bool, values: Vec<f64> },
    /// `percentileDisc(x, p)` (`disc`) or `percentileCont(x, p)`.
    Percentile { disc: bool, values: Vec<Value> },
    /// A name that is no aggregate (refused when the group is finished).
    Unknown(String),
}

/// The running state of one aggregate call over one group.
#[derive(Debug)]
pub(crate) struct Accumulator {
    kind: Kind,
    /// `DISTINCT`: the values seen.
    seen: Option<HashSet<GroupKey>>,
    /// `percentileCont` / `percentileDisc`: the percentile, from the first row.
    percentile: Option<f64>,
}

/// The sum of no floats, as the standard library's `Sum` starts it.
fn float_zero() -> f64 {
    std::iter::empty::<f64>().sum()
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => 0.0,
    }
}

impl Accumulator {
    /// An accumulator for the function `name` (lower case; `count(*)` is `"count*"`).
    pub(crate) fn new(name: &str, distinct: bool) -> Accumulator {
        let kind = match name {
            "count*" => Kind::CountStar(0),
            "count" => Kind::Count(0),
            "collect" => Kind::Collect(Vec::new()),
            "sum" => Kind::Sum {
                all_int: true,
                int: Some(0),
                float: float_zero(),
            },
            "avg" => Kind::Avg {
                n: 0,
                float: float_zero(),
            },
            "min" | "max" => Kind::Best {
                max: name == "max",
                best: None,
            },
            "stdev" | "stdevp" => Kind::StDev {
                sample: name == "stdev",
                values: Vec::new(),
            },
            "percentilecont" | "percentiledisc" => Kind::Percentile {
                disc: name == "percentiledisc",
                values: Vec::new(),
            },
            other => Kind::Unknown(other.to_string()),
        };
        Accumulator {
            kind,
            seen: distinct.then(HashSet::new),
            percentile: None,
        }
    }

    /// The function's name, for messages.
    fn name(&self) -> &str {
        match &self.kind {
            Kind::CountStar(_) | Kind::Count(_) => "count",
            Kind::Collect(_) => "collect",
            Kind::Sum { .. } => "sum",
            Kind::Avg { .. } => "avg",
            Kind::Best { max: false, .. } => "min",
            Kind::Best { max: true, .. } => "max",
            Kind::StDev { sample: true, .. } => "stdev",
            Kind::StDev { sample: false, .. } => "stdevp",
            Kind::Percentile { disc: true, .. } => "percentiledisc",
            Kind::Percentile { disc: false, .. } => "percentilecont",
            Kind::Unknown(name) => name,
        }
    }

    /// Adds `n` rows to a `count(*)`.
    pub(crate) fn add_count(&mut self, n: u64) {
        if let Kind::CountStar(count) = &mut self.kind {
            *count = count.saturating_add(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// Whether this is `count(*)`.
    pub(crate) fn is_count_star(&self) -> bool {
        matches!(self.kind, Kind::CountStar(_))
    }

    /// Adds one row's argument values (none for `count(*)`), charging `budget` for what it
    /// keeps.
    pub(crate) fn add(&mut self, args: Vec<Value>, budget: &MemoryBudget) -> Result<()> {
        let mut args = args.into_iter();
        let v = args.next().unwrap_or(Value::Null);
        if matches!(self.kind, Kind::Percentile { .. }) && self.percentile.is_none() {
            let p = match args.next() {
                Some(Value::Int(i)) => i as f64,
                Some(Value::Float(f)) => f,
                _ => {
                    return Err(QueryError::Argument(format!(
                        "{}() needs a percentile",
                        self.name()
                    )));
                }
            };
            if !(0.0..=1.0).contains(&p) {
                return Err(QueryError::Argument(format!(
                    "{}() percentile {p} is not within 0 and 1",
                    self.name()
                )));
            }
            self.percentile = Some(p);
        }
        self.add_value(v, budget)
    }

    /// Adds one row's value of a one-argument aggregate (any value for `count(*)`),
    /// charging `budget` for what it keeps.
    pub(crate) fn add_value(&mut self, v: Value, budget: &MemoryBudget) -> Result<()> {
        if let Kind::CountStar(count) = &mut self.kind {
            *count += 1;
            return Ok(());
        }
        if v.is_null() {
            return Ok(());
        }
        if let Some(seen) = &mut self.seen {
            let key = GroupKey::of(&v);
            if seen.contains(&key) {
                return Ok(());
            }
            budget.charge(value_size(&v))?;
            seen.insert(key);
        }
        let numeric = matches!(v, Value::Int(_) | Value::Float(_));
        let needs_number = matches!(
            self.kind,
            Kind::Sum { .. } | Kind::Avg { .. } | Kind::StDev { .. } | Kind::Percentile { .. }
        );
        if needs_number && !numeric {
            return Err(QueryError::Type(format!(
                "{}() needs numbers, got a {}",
                self.name(),
                v.type_name()
            )));
        }
        match &mut self.kind {
            Kind::CountStar(_) | Kind::Unknown(_) => {}
            Kind::Count(count) => *count += 1,
            Kind::Collect(values) | Kind::Percentile { values, .. } => {
                budget.charge(value_size(&v))?;
                values.push(v);
            }
            Kind::Sum {
                all_int,
                int,
                float,
            } => {
                match v {
                    Value::Int(i) => *int = int.and_then(|t| t.checked_add(i)),
                    _ => *all_int = false,
                }
                *float += number(&v);
            }
            Kind::Avg { n, float } => {
                *n += 1;
                *float += number(&v);
            }
            Kind::Best { max, best } => {
                let better = best.as_ref().is_none_or(|b| {
                    let o = order(&v, b);
                    if *max { o.is_gt() } else { o.is_lt() }
                });
                if better {
                    *best = Some(v);
                }
            }
            Kind::StDev { values, .. } => {
                budget.charge(size_of::<f64>())?;
                values.push(number(&v));
            }
        }
        Ok(())
    }

    /// [`Accumulator::add_value`] of a property value a scan read (`None`: absent): the
    /// same as `add_value` of its value, with `count(*)`, and counts, sums and averages
    /// of numbers, taken straight from the borrowed value instead of a value made for
    /// each node.
    pub(crate) fn add_property(
        &mut self,
        r: Option<&PropertyRef<'_>>,
        budget: &MemoryBudget,
    ) -> Result<()> {
        if self.seen.is_none() {
            let number = match r {
                Some(PropertyRef::Int(i)) => Some((Some(*i), *i as f64)),
                Some(PropertyRef::Float(x)) => Some((None, *x)),
                _ => None,
            };
            let present = matches!(
                r,
                Some(
                    PropertyRef::Int(_)
                        | PropertyRef::Float(_)
                        | PropertyRef::Bool(_)
                        | PropertyRef::Str(_)
                )
            );
            match (&mut self.kind, number) {
                (Kind::CountStar(count), _) => {
                    *count += 1;
                    return Ok(());
                }
                (Kind::Count(count), _) if present => {
                    *count += 1;
                    return Ok(());
                }
                (Kind::Avg { n, float }, Some((_, x))) => {
                    *n += 1;
                    *float += x;
                    return Ok(());
                }
                (
                    Kind::Sum {
                        all_int,
                        int,
                        float,
                    },
                    Some((i, x)),
                ) => {
                    match i {
                        Some(i) => *int = int.and_then(|t| t.checked_add(i)),
                        None => *all_int = false,
                    }
                    *float += x;
                    return Ok(());
                }
                _ => {}
            }
        }
        self.add_value(crate::scan_agg::value_of(r), budget)
    }

    /// Takes in `other`, an accumulator of the same call over rows that came after this
    /// one's (a later run of a parted scan). Not for `DISTINCT` (each run saw its own
    /// values) or the percentiles. Integer totals and counts are what one accumulator over
    /// all the rows gives; a float total adds the runs' totals, which may round
    /// differently from adding every value in turn.
    pub(crate) fn merge(&mut self, other: Accumulator) {
        debug_assert!(self.seen.is_none() && other.seen.is_none(), "no DISTINCT");
        match (&mut self.kind, other.kind) {
            (Kind::CountStar(a), Kind::CountStar(b)) | (Kind::Count(a), Kind::Count(b)) => {
                *a = a.saturating_add(b);
            }
            (Kind::Collect(a), Kind::Collect(b))
            | (Kind::Percentile { values: a, .. }, Kind::Percentile { values: b, .. }) => {
                a.extend(b);
            }
            (
                Kind::Sum {
                    all_int,
                    int,
                    float,
                },
                Kind::Sum {
                    all_int: all_int_b,
                    int: int_b,
                    float: float_b,
                },
            ) => {
                *all_int &= all_int_b;
                *int = int.zip(int_b).and_then(|(a, b)| a.checked_add(b));
                *float += float_b;
            }
            (
                Kind::Avg { n, float },
                Kind::Avg {
                    n: n_b,
                    float: float_b,
                },
            ) => {
                *n += n_b;
                *float += float_b;
            }
            (Kind::Best { max, best }, Kind::Best { best: Some(b), .. }) => {
                let better = best.as_ref().is_none_or(|a| {
                    let o = order(&b, a);
                    if *max { o.is_gt() } else { o.is_lt() }
                });
                if better {
                    *best = Some(b);
                }
            }
            (Kind::StDev { values: a, .. }, Kind::StDev { values: b, .. }) => a.extend(b),
            _ => {}
        }
    }

    /// The result for the group.
    pub(crate) fn finish(self) -> Result<Value> {
        Ok(match self.kind {
            Kind::CountStar(n) | Kind::Count(n) => Value::Int(n),
            Kind::Collect(values) => Value::List(values),
            Kind::Sum {
                all_int: true, int, ..
            } => Value::Int(
                int.ok_or_else(|| QueryError::Arithmetic("sum() overflows 64 bits".into()))?,
            ),
            Kind::Sum { float, .. } => Value::Float(float),
            Kind::Avg { n: 0, .. } => Value::Null,
            Kind::Avg { n, float } => Value::Float(float / n as f64),
            Kind::Best { best, .. } => best.unwrap_or(Value::Null),
            Kind::StDev { sample, values } => {
                let n = values.len();
                if n == 0 || (sample && n == 1) {
                    Value::Float(0.0)
                } else {
                    let mean = values.iter().sum::<f64>() / n as f64;
                    let ss: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
                    let d = if sample { n - 1 } else { n };
                    Value::Float((ss / d as f64).sqrt())
                }
            }
            Kind::Percentile { disc, values } => {
                if values.is_empty() {
                    return Ok(Value::Null);
                }
                let p = self.percentile.unwrap_or(0.5);
                if disc {
                    let n = values.len();
                    let idx = if p == 0.0 {
                        0
                    } else {
                        ((p * n as f64).ceil() as usize).saturating_sub(1)
                    };
                    let pick = idx.min(n - 1);
                    // The value as it was (an integer stays one).
                    let mut sorted = values;
                    sorted.sort_by(order);
                    sorted.swap_remove(pick)
                } else {
                    let mut f: Vec<f64> = values.iter().map(number).collect();
                    f.sort_by(f64::total_cmp);
                    let pos = p * (f.len() - 1) as f64;
                    let lo = pos.floor() as usize;
                    let hi = pos.ceil() as usize;
                    Value::Float(f[lo] + (f[hi] - f[lo]) * (pos - lo as f64))
                }
            }
            Kind::Unknown(other) => {
                return Err(QueryError::Semantic {
                    code: "UnknownFunction",
                    message: format!("unknown aggregate {other}()"),
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use pagegraph::{PropertyRef, PropertyValue};

    use super::Accumulator;
    use crate::budget::MemoryBudget;
    use crate::scan_agg::value_of;

    /// A property read by a scan gives every aggregate what its value gives it: the
    /// shortcut for counts, sums and averages of numbers changes nothing, and the other
    /// values and functions take the general path.
    #[test]
    fn properties_add_as_their_values_do() {
        let mut rng = fastrand::Rng::with_seed(17);
        let budget = MemoryBudget::new(1 << 30);
        let functions = [
            "count*", "count", "sum", "avg", "min", "max", "collect", "stdev",
        ];
        for round in 0..400 {
            let refs: Vec<Option<PropertyRef<'static>>> = (0..rng.usize(0..40))
                .map(|_| match rng.u8(0..8) {
                    0 => None,
                    1 => Some(PropertyRef::Null),
                    2 => Some(PropertyRef::Bool(rng.bool())),
                    3 => Some(PropertyRef::Int(rng.i64(..) >> rng.u32(0..64))),
                    4 => Some(PropertyRef::Float(rng.f64() * 1e6 - 5e5)),
                    5 => Some(PropertyRef::Str(["a", "b", ""][rng.usize(0..3)])),
                    6 => Some(PropertyRef::Owned(PropertyValue::List(vec![
                        PropertyValue::Int(1),
                    ]))),
                    // Integers only, in some rounds (the sums stay integers).
                    _ => Some(PropertyRef::Int(rng.i64(-1000..1000))),
                })
                .filter(|r| round % 2 == 0 || matches!(r, Some(PropertyRef::Int(_))))
                .collect();
            for f in functions {
                for distinct in [false, true] {
                    let (mut fast, mut slow) =
                        (Accumulator::new(f, distinct), Accumulator::new(f, distinct));
                    let (mut a, mut b) = (Ok(()), Ok(()));
                    for r in &refs {
                        if a.is_ok() {
                            a = fast.add_property(r.as_ref(), &budget);
                        }
                        if b.is_ok() {
                            b = slow.add_value(value_of(r.as_ref()), &budget);
                        }
                    }
                    assert_eq!(a.is_ok(), b.is_ok(), "{f} {refs:?}");
                    if a.is_ok() {
                        let (x, y) = (fast.finish(), slow.finish());
                        assert_eq!(format!("{x:?}"), format!("{y:?}"), "{f} {refs:?}");
                    }
                }
            }
        }
    }
}
