//! The temporal functions (`date`, `localtime`, `time`, `localdatetime`, `datetime`,
//! `duration`) and the fields of temporal values (`d.year`, `t.hour`, `dur.days`).
//!
//! Each constructor takes a map of components (`date({year: 1984, month: 10, day: 11})`,
//! `time({hour: 12, minute: 31, timezone: '+01:00'})`, `duration({days: 14, hours: 16})`),
//! a string in ISO 8601 form (`date('1984-10-11')`, `duration('P14DT16H')`), another
//! temporal value to take a part of (`date(datetime(...))` is its date), or nothing (the
//! current date or time, in UTC). `null` gives `null`. Kùzu's `timestamp(text)`,
//! `current_timestamp()` and `current_date()` are read as a UTC datetime, `datetime()` and
//! `date()`. Zones are offsets (see
//! [`pagegraph::value::temporal`]). Week, quarter and ordinal-day components, and the
//! truncation and epoch functions, are not supported yet.

use std::collections::BTreeMap;

use pagegraph::value::temporal::{Fields, days_from_civil, offset_text};
use pagegraph::value::{Temporal, TemporalError};

use crate::error::{QueryError, Result};
use crate::value::Value;

fn arg_error(name: &str, e: &TemporalError) -> QueryError {
    QueryError::Argument(format!("{name}(): {e}"))
}

/// `name(args)` for a temporal constructor (lower-case `name`).
pub(crate) fn construct(name: &str, args: &[Value]) -> Result<Value> {
    let arg = match args {
        [] => None,
        [a] => Some(a),
        _ => {
            return Err(QueryError::Argument(format!(
                "{name}() takes at most one argument, {} given",
                args.len()
            )));
        }
    };
    let t = match arg {
        Some(Value::Null) => return Ok(Value::Null),
        None if name == "duration" => {
            return Err(QueryError::Argument(
                "duration() needs a map or a string".into(),
            ));
        }
        None => now(name),
        Some(Value::String(s)) => Temporal::parse(name, s).map_err(|e| arg_error(name, &e))?,
        Some(Value::Map(m)) if name == "duration" => duration_of(m)?,
        Some(Value::Map(m)) => {
            let f = fields_of(name, m)?;
            match name {
                "date" => Temporal::date(&f),
                "localtime" => Temporal::local_time(&f),
                "time" => Temporal::time(&f),
                "localdatetime" => Temporal::local_date_time(&f),
                _ => Temporal::date_time(&f),
            }
            .map_err(|e| arg_error(name, &e))?
        }
        Some(Value::Temporal(t)) if name != "duration" => convert(name, t)?,
        Some(other) => {
            return Err(QueryError::Type(format!(
                "{name}() needs a map, a string or a temporal value, got {}",
                other.type_name()
            )));
        }
    };
    Ok(Value::Temporal(t))
}

/// Kùzu's `timestamp(text)`: the datetime the text writes (`2024-03-01 09:00:00`, a `T`
/// for the space, an offset if any), moved to UTC, as Kùzu's TIMESTAMP keeps it; a
/// datetime of another offset is moved to UTC too.
pub(crate) fn kuzu_timestamp(arg: &Value) -> Result<Value> {
    let t = match arg {
        Value::Null => return Ok(Value::Null),
        Value::String(s) => {
            Temporal::parse("datetime", s).map_err(|e| arg_error("timestamp", &e))?
        }
        Value::Temporal(t @ Temporal::DateTime { .. }) => *t,
        other => {
            return Err(QueryError::Type(format!(
                "timestamp() needs a string or a datetime, got {}",
                other.type_name()
            )));
        }
    };
    let Temporal::DateTime { secs, nanos, .. } = t else {
        return Err(QueryError::Type("timestamp() needs a datetime".into()));
    };
    Ok(Value::Temporal(Temporal::DateTime {
        secs,
        nanos,
        offset: 0,
    }))
}

/// The current date or time (UTC) as kind `name`.
fn now(name: &str) -> Temporal {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(0);
    let nanos = d.subsec_nanos();
    let utc = Temporal::DateTime {
        secs,
        nanos,
        offset: 0,
    };
    convert(name, &utc).unwrap_or(utc)
}

/// Part of `t` as kind `name`: a date's midnight, a datetime's date or time of day, ...
fn convert(name: &str, t: &Temporal) -> Result<Temporal> {
    let date = t.date_parts().map(|(y, m, d)| days_from_civil(y, m, d));
    let time = t.time_of_day();
    let offset = t.offset().unwrap_or(0);
    let split = |n: u64| {
        (
            i64::try_from(n / 1_000_000_000).unwrap_or(0),
            u32::try_from(n % 1_000_000_000).unwrap_or(0),
        )
    };
    let out = match name {
        "date" => date.map(Temporal::Date),
        "localtime" => time.map(Temporal::LocalTime),
        "time" => time.map(|nanos| Temporal::Time { nanos, offset }),
        "localdatetime" | "datetime" => date.map(|d| {
            let (s, nanos) = split(time.unwrap_or(0));
            let local = d * 86_400 + s;
            if name == "localdatetime" {
                Temporal::LocalDateTime { secs: local, nanos }
            } else {
                Temporal::DateTime {
                    secs: local - i64::from(offset),
                    nanos,
                    offset,
                }
            }
        }),
        _ => None,
    };
    out.ok_or_else(|| {
        QueryError::Argument(format!("{name}() cannot be made from a {}", t.type_name()))
    })
}

/// The components of a date or time map.
fn fields_of(name: &str, m: &BTreeMap<String, Value>) -> Result<Fields> {
    let mut f = Fields::default();
    for (k, v) in m {
        let key = k.to_ascii_lowercase();
        if key == "timezone" {
            match v {
                Value::String(s) => {
                    f.offset = Some(Temporal::parse_offset(s).map_err(|e| arg_error(name, &e))?);
                }
                other => {
                    return Err(QueryError::Type(format!(
                        "{name}(): timezone must be a string, got {}",
                        other.type_name()
                    )));
                }
            }
            continue;
        }
        let slot = match key.as_str() {
            "year" => &mut f.year,
            "month" => &mut f.month,
            "day" => &mut f.day,
            "hour" => &mut f.hour,
            "minute" => &mut f.minute,
            "second" => &mut f.second,
            "millisecond" => &mut f.millisecond,
            "microsecond" => &mut f.microsecond,
            "nanosecond" => &mut f.nanosecond,
            _ => {
                return Err(QueryError::Unsupported(format!(
                    "{name}() with the component `{k}`"
                )));
            }
        };
        match v {
            Value::Int(i) => *slot = Some(*i),
            Value::Null => {}
            other => {
                return Err(QueryError::Type(format!(
                    "{name}(): {k} must be an integer, got {}",
                    other.type_name()
                )));
            }
        }
    }
    if matches!(name, "localtime" | "time")
        && (f.year.is_some() || f.month.is_some() || f.day.is_some())
    {
        return Err(QueryError::Argument(format!(
            "{name}() takes no year, month or day"
        )));
    }
    if name == "date" && (f.hour.is_some() || f.minute.is_some() || f.second.is_some()) {
        return Err(QueryError::Argument("date() takes no time of day".into()));
    }
    if !matches!(name, "time" | "datetime") && f.offset.is_some() {
        return Err(QueryError::Argument(format!("{name}() takes no timezone")));
    }
    Ok(f)
}

/// A duration from a map of numbers.
fn duration_of(m: &BTreeMap<String, Value>) -> Result<Temporal> {
    let mut v = [0.0_f64; 10];
    for (k, val) in m {
        let i = match k.to_ascii_lowercase().as_str() {
            "years" => 0,
            "months" => 1,
            "weeks" => 2,
            "days" => 3,
            "hours" => 4,
            "minutes" => 5,
            "seconds" => 6,
            "milliseconds" => 7,
            "microseconds" => 8,
            "nanoseconds" => 9,
            _ => {
                return Err(QueryError::Argument(format!(
                    "duration(): unknown component `{k}`"
                )));
            }
        };
        #[allow(clippy::cast_precision_loss, reason = "components are far below 2^53")]
        match val {
            Value::Int(x) => v[i] = *x as f64,
            Value::Float(x) => v[i] = *x,
            Value::Null => {}
            other => {
                return Err(QueryError::Type(format!(
                    "duration(): {k} must be a number, got {}",
                    other.type_name()
                )));
            }
        }
    }
    Temporal::duration(
        v[0],
        v[1],
        v[2],
        v[3],
        v[4],
        v[5],
        v[6],
        v[7] * 1e6 + v[8] * 1e3 + v[9],
    )
    .map_err(|e| arg_error("duration", &e))
}

/// `t.key`: a component of a temporal value; an error for a key it does not have.
pub(crate) fn field(t: &Temporal, key: &str) -> Result<Value> {
    let k = key.to_ascii_lowercase();
    let int = |x: i64| Ok(Value::Int(x));
    if let Temporal::Duration {
        months,
        days,
        secs,
        nanos,
    } = *t
    {
        let total_nanos = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
        let of = |div: i128| i64::try_from(total_nanos / div).unwrap_or(i64::MAX);
        return match k.as_str() {
            "years" => int(months / 12),
            "quarters" => int(months / 3),
            "months" => int(months),
            "monthsofyear" => int(months % 12),
            "monthsofquarter" => int(months % 3),
            "quartersofyear" => int(months / 3 % 4),
            "weeks" => int(days / 7),
            "days" => int(days),
            "daysofweek" => int(days % 7),
            "hours" => int(of(3_600_000_000_000)),
            "minutes" => int(of(60_000_000_000)),
            "seconds" => int(of(1_000_000_000)),
            "milliseconds" => int(of(1_000_000)),
            "microseconds" => int(of(1000)),
            "nanoseconds" => int(of(1)),
            "minutesofhour" => int(of(60_000_000_000) % 60),
            "secondsofminute" => int(of(1_000_000_000) % 60),
            "millisecondsofsecond" => int(of(1_000_000) % 1000),
            "microsecondsofsecond" => int(of(1000) % 1_000_000),
            "nanosecondsofsecond" => int(of(1) % 1_000_000_000),
            _ => Err(no_field(t, key)),
        };
    }
    if let Some((y, m, d)) = t.date_parts() {
        let days = days_from_civil(y, m, d);
        match k.as_str() {
            "year" => return int(y),
            "quarter" => return int(i64::from((m - 1) / 3 + 1)),
            "month" => return int(i64::from(m)),
            "day" => return int(i64::from(d)),
            "ordinalday" => return int(days - days_from_civil(y, 1, 1) + 1),
            // ISO weekday: Monday 1 .. Sunday 7 (1970-01-01 was a Thursday).
            "dayofweek" | "weekday" => return int((days + 3).rem_euclid(7) + 1),
            _ => {}
        }
    }
    if let Some(n) = t.time_of_day() {
        // Below a day's nanoseconds.
        let n = i64::try_from(n).unwrap_or(0);
        let secs = n / 1_000_000_000;
        match k.as_str() {
            "hour" => return int(secs / 3600),
            "minute" => return int(secs / 60 % 60),
            "second" => return int(secs % 60),
            "millisecond" => return int(n % 1_000_000_000 / 1_000_000),
            "microsecond" => return int(n % 1_000_000_000 / 1000),
            "nanosecond" => return int(n % 1_000_000_000),
            _ => {}
        }
    }
    if let Some(o) = t.offset() {
        match k.as_str() {
            "timezone" | "offset" => return Ok(Value::String(offset_text(o))),
            "offsetminutes" => return int(i64::from(o / 60)),
            "offsetseconds" => return int(i64::from(o)),
            _ => {}
        }
    }
    match (t, k.as_str()) {
        (Temporal::DateTime { secs, .. }, "epochseconds") => int(*secs),
        (Temporal::DateTime { secs, nanos, .. }, "epochmillis") => {
            int(secs.saturating_mul(1000) + i64::from(*nanos / 1_000_000))
        }
        _ => Err(no_field(t, key)),
    }
}

fn no_field(t: &Temporal, key: &str) -> QueryError {
    QueryError::Argument(format!("a {} has no field `{key}`", t.type_name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
        )
    }

    fn text(v: &Value) -> String {
        match v {
            Value::Temporal(t) => t.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn constructors_take_maps_strings_and_other_values() {
        let i = Value::Int;
        let dt = construct(
            "datetime",
            &[m(&[
                ("year", i(1984)),
                ("month", i(10)),
                ("day", i(11)),
                ("hour", i(12)),
                ("minute", i(31)),
                ("timezone", Value::String("+01:00".into())),
            ])],
        )
        .unwrap();
        assert_eq!(text(&dt), "1984-10-11T12:31+01:00");
        assert_eq!(
            text(&construct("date", std::slice::from_ref(&dt)).unwrap()),
            "1984-10-11"
        );
        assert_eq!(
            text(&construct("localtime", std::slice::from_ref(&dt)).unwrap()),
            "12:31"
        );
        assert_eq!(
            text(&construct("time", std::slice::from_ref(&dt)).unwrap()),
            "12:31+01:00"
        );
        let Value::Temporal(t) = dt else { panic!() };
        assert_eq!(field(&t, "year").unwrap(), Value::Int(1984));
        assert_eq!(field(&t, "dayOfWeek").unwrap(), Value::Int(4), "a Thursday");
        assert_eq!(
            field(&t, "timezone").unwrap(),
            Value::String("+01:00".into())
        );
        assert_eq!(field(&t, "epochSeconds").unwrap(), Value::Int(466_342_260));
        assert!(field(&t, "years").is_err());
        let d = construct("duration", &[Value::String("P1Y2M10DT12H45M30.5S".into())]).unwrap();
        let Value::Temporal(d) = d else { panic!() };
        assert_eq!(field(&d, "months").unwrap(), Value::Int(14));
        assert_eq!(field(&d, "minutes").unwrap(), Value::Int(765));
        assert_eq!(field(&d, "millisecondsOfSecond").unwrap(), Value::Int(500));
        assert_eq!(construct("date", &[Value::Null]).unwrap(), Value::Null);
        assert!(construct("date", &[m(&[("month", i(1))])]).is_err());
        assert!(construct("date", &[m(&[("year", i(1)), ("week", i(1))])]).is_err());
        assert!(
            construct(
                "time",
                &[m(&[
                    ("hour", i(1)),
                    ("timezone", Value::String("Europe/Paris".into()))
                ])]
            )
            .is_err()
        );
        assert!(matches!(
            construct("date", &[Value::Int(3)]),
            Err(QueryError::Type(_))
        ));
    }
}
