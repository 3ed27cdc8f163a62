//! Aggregate functions: `count` (with `*` and `DISTINCT`), `sum`, `avg`, `min`, `max`,
//! `collect`, `stDev`, `stDevP`, `percentileCont`, `percentileDisc`. Nulls are skipped;
//! `DISTINCT` keeps the first of equal values (`1` and `1.0` are equal).

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation,
    reason = "statistics over floats: counts and ranks are small and non-negative"
)]

use std::collections::HashSet;

use crate::error::{QueryError, Result};
use crate::value::{GroupKey, Value, order};

/// The running state of one aggregate call over one group.
#[derive(Debug)]
pub(crate) struct Accumulator {
    name: String,
    distinct: bool,
    seen: HashSet<GroupKey>,
    count: i64,
    values: Vec<Value>,
    /// `percentileCont` / `percentileDisc`: the percentile, from the first row.
    percentile: Option<f64>,
}

impl Accumulator {
    /// An accumulator for the function `name` (lower case; `count(*)` is `"count*"`).
    pub(crate) fn new(name: &str, distinct: bool) -> Accumulator {
        Accumulator {
            name: name.to_string(),
            distinct,
            seen: HashSet::new(),
            count: 0,
            values: Vec::new(),
            percentile: None,
        }
    }

    /// Adds `n` rows to a `count(*)`.
    pub(crate) fn add_count(&mut self, n: u64) {
        self.count = self
            .count
            .saturating_add(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// Whether this is `count(*)`.
    pub(crate) fn is_count_star(&self) -> bool {
        self.name == "count*"
    }

    /// Adds one row's argument values (none for `count(*)`).
    pub(crate) fn add(&mut self, args: Vec<Value>) -> Result<()> {
        if self.name == "count*" {
            self.count += 1;
            return Ok(());
        }
        let mut args = args.into_iter();
        let v = args.next().unwrap_or(Value::Null);
        if self.name.starts_with("percentile") && self.percentile.is_none() {
            let p = match args.next() {
                Some(Value::Int(i)) => i as f64,
                Some(Value::Float(f)) => f,
                _ => {
                    return Err(QueryError::Argument(format!(
                        "{}() needs a percentile",
                        self.name
                    )));
                }
            };
            if !(0.0..=1.0).contains(&p) {
                return Err(QueryError::Argument(format!(
                    "{}() percentile {p} is not within 0 and 1",
                    self.name
                )));
            }
            self.percentile = Some(p);
        }
        if v.is_null() {
            return Ok(());
        }
        if self.distinct && !self.seen.insert(GroupKey::of(&v)) {
            return Ok(());
        }
        match self.name.as_str() {
            "count" => self.count += 1,
            "sum" | "avg" | "stdev" | "stdevp" | "percentilecont" | "percentiledisc" => match v {
                Value::Int(_) | Value::Float(_) => self.values.push(v),
                other => {
                    return Err(QueryError::Type(format!(
                        "{}() needs numbers, got a {}",
                        self.name,
                        other.type_name()
                    )));
                }
            },
            _ => self.values.push(v),
        }
        Ok(())
    }

    /// The result for the group.
    #[allow(
        clippy::cast_precision_loss,
        reason = "averages and deviations are floats"
    )]
    pub(crate) fn finish(self) -> Result<Value> {
        let floats = || -> Vec<f64> {
            self.values
                .iter()
                .map(|v| match v {
                    Value::Int(i) => *i as f64,
                    Value::Float(f) => *f,
                    _ => 0.0,
                })
                .collect()
        };
        Ok(match self.name.as_str() {
            "count" | "count*" => Value::Int(self.count),
            "collect" => Value::List(self.values),
            "sum" => {
                if self.values.iter().all(|v| matches!(v, Value::Int(_))) {
                    let mut total: i64 = 0;
                    for v in &self.values {
                        if let Value::Int(i) = v {
                            total = total.checked_add(*i).ok_or_else(|| {
                                QueryError::Arithmetic("sum() overflows 64 bits".into())
                            })?;
                        }
                    }
                    Value::Int(total)
                } else {
                    Value::Float(floats().iter().sum())
                }
            }
            "avg" => {
                if self.values.is_empty() {
                    Value::Null
                } else {
                    let f = floats();
                    Value::Float(f.iter().sum::<f64>() / f.len() as f64)
                }
            }
            "min" | "max" => {
                let min = self.name == "min";
                let mut best: Option<Value> = None;
                for v in self.values {
                    best = Some(match best {
                        None => v,
                        Some(b) => {
                            let o = order(&v, &b);
                            if (min && o.is_lt()) || (!min && o.is_gt()) {
                                v
                            } else {
                                b
                            }
                        }
                    });
                }
                best.unwrap_or(Value::Null)
            }
            "stdev" | "stdevp" => {
                let f = floats();
                let n = f.len();
                let sample = self.name == "stdev";
                if n == 0 || (sample && n == 1) {
                    Value::Float(0.0)
                } else {
                    let mean = f.iter().sum::<f64>() / n as f64;
                    let ss: f64 = f.iter().map(|x| (x - mean) * (x - mean)).sum();
                    let d = if sample { n - 1 } else { n };
                    Value::Float((ss / d as f64).sqrt())
                }
            }
            "percentilecont" | "percentiledisc" => {
                let mut f = floats();
                if f.is_empty() {
                    return Ok(Value::Null);
                }
                f.sort_by(f64::total_cmp);
                let p = self.percentile.unwrap_or(0.5);
                if self.name == "percentiledisc" {
                    let n = f.len();
                    let idx = if p == 0.0 {
                        0
                    } else {
                        ((p * n as f64).ceil() as usize).saturating_sub(1)
                    };
                    let pick = idx.min(n - 1);
                    // The value as it was (an integer stays one).
                    let mut sorted = self.values.clone();
                    sorted.sort_by(order);
                    sorted.swap_remove(pick)
                } else {
                    let pos = p * (f.len() - 1) as f64;
                    let lo = pos.floor() as usize;
                    let hi = pos.ceil() as usize;
                    Value::Float(f[lo] + (f[hi] - f[lo]) * (pos - lo as f64))
                }
            }
            other => {
                return Err(QueryError::Semantic {
                    code: "UnknownFunction",
                    message: format!("unknown aggregate {other}()"),
                });
            }
        })
    }
}
