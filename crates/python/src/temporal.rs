//! Temporal values across the boundary, through Python's `datetime` module.
//!
//! | pagegraph | Python |
//! |---|---|
//! | `DATE` | `datetime.date` (years 1 to 9999; others as ISO text) |
//! | `LOCAL TIME` | `datetime.time` |
//! | `ZONED TIME` | `datetime.time` with a fixed-offset `tzinfo` |
//! | `LOCAL DATETIME` | `datetime.datetime` without `tzinfo` |
//! | `ZONED DATETIME` | `datetime.datetime` with a fixed-offset `tzinfo` |
//! | `DURATION` | `datetime.timedelta` when it has no months; else its ISO text (`'P1M2D'`) |
//!
//! Python's types hold microseconds: nanoseconds below them are dropped on the way out.
//! From Python, the same types come in (a `datetime` with a `tzinfo` as a zoned datetime at
//! its UTC offset, a `timedelta` as a duration of days and seconds).

use pagegraph::value::Temporal;
use pagegraph::value::temporal::{Fields, civil_from_days};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;

fn module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("datetime")
}

/// A fixed-offset `datetime.timezone`.
fn zone<'py>(dt: &Bound<'py, PyModule>, offset: i32) -> PyResult<Bound<'py, PyAny>> {
    let delta = dt.getattr("timedelta")?.call1((0, offset))?;
    dt.getattr("timezone")?.call1((delta,))
}

/// (hour, minute, second, microsecond) of nanoseconds since midnight.
fn clock(nanos: u64) -> (u64, u64, u64, u64) {
    let s = nanos / 1_000_000_000;
    (s / 3600, s / 60 % 60, s % 60, nanos % 1_000_000_000 / 1000)
}

/// A temporal value as a Python object.
#[allow(
    clippy::many_single_char_names,
    reason = "year, month, day, hour, minute, second by letter, as `datetime` takes them"
)]
pub(crate) fn to_py<'py>(py: Python<'py>, t: &Temporal) -> PyResult<Bound<'py, PyAny>> {
    let dt = module(py)?;
    let text = || PyString::new(py, &t.to_string()).into_any();
    let date = t.date_parts();
    if let Some((y, _, _)) = date
        && !(1..=9999).contains(&y)
    {
        return Ok(text());
    }
    Ok(match *t {
        Temporal::Date(d) => {
            let (y, m, d) = civil_from_days(d);
            dt.getattr("date")?.call1((y, m, d))?
        }
        Temporal::LocalTime(n) => {
            let (h, m, s, us) = clock(n);
            dt.getattr("time")?.call1((h, m, s, us))?
        }
        Temporal::Time { nanos, offset } => {
            let (h, m, s, us) = clock(nanos);
            dt.getattr("time")?
                .call1((h, m, s, us, zone(&dt, offset)?))?
        }
        Temporal::LocalDateTime { .. } | Temporal::DateTime { .. } => {
            let (y, mo, d) = date.unwrap_or((1970, 1, 1));
            let (h, mi, s, us) = clock(t.time_of_day().unwrap_or(0));
            let class = dt.getattr("datetime")?;
            match t.offset() {
                Some(o) => class.call1((y, mo, d, h, mi, s, us, zone(&dt, o)?))?,
                None => class.call1((y, mo, d, h, mi, s, us))?,
            }
        }
        Temporal::Duration {
            months: 0,
            days,
            secs,
            nanos,
        } => dt.getattr("timedelta")?.call1((days, secs, nanos / 1000))?,
        Temporal::Duration { .. } => text(),
    })
}

fn int(ob: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    ob.getattr(name)?.extract()
}

/// The UTC offset of a `date`/`time` with a `tzinfo`, in seconds; `None` without one.
fn utc_offset(ob: &Bound<'_, PyAny>) -> PyResult<Option<i32>> {
    let off = ob.call_method0("utcoffset")?;
    if off.is_none() {
        return Ok(None);
    }
    let secs: f64 = off.call_method0("total_seconds")?.extract()?;
    #[allow(clippy::cast_possible_truncation, reason = "offsets are within a day")]
    Ok(Some(secs.round() as i32))
}

/// A Python `datetime`, `date`, `time` or `timedelta` as a temporal value; `None` for any
/// other object.
pub(crate) fn from_py(ob: &Bound<'_, PyAny>) -> PyResult<Option<Temporal>> {
    let py = ob.py();
    let dt = module(py)?;
    let bad = |e: pagegraph::value::TemporalError| PyValueError::new_err(e.0);
    let time_fields = |f: &mut Fields| -> PyResult<()> {
        f.hour = Some(int(ob, "hour")?);
        f.minute = Some(int(ob, "minute")?);
        f.second = Some(int(ob, "second")?);
        f.microsecond = Some(int(ob, "microsecond")?);
        Ok(())
    };
    // `datetime` is a subclass of `date`: asked first.
    if ob.is_instance(&dt.getattr("datetime")?)? {
        let mut f = Fields {
            year: Some(int(ob, "year")?),
            month: Some(int(ob, "month")?),
            day: Some(int(ob, "day")?),
            ..Fields::default()
        };
        time_fields(&mut f)?;
        f.offset = utc_offset(ob)?;
        let t = if f.offset.is_some() {
            Temporal::date_time(&f)
        } else {
            Temporal::local_date_time(&f)
        };
        return t.map(Some).map_err(bad);
    }
    if ob.is_instance(&dt.getattr("date")?)? {
        let f = Fields {
            year: Some(int(ob, "year")?),
            month: Some(int(ob, "month")?),
            day: Some(int(ob, "day")?),
            ..Fields::default()
        };
        return Temporal::date(&f).map(Some).map_err(bad);
    }
    if ob.is_instance(&dt.getattr("time")?)? {
        let mut f = Fields::default();
        time_fields(&mut f)?;
        f.offset = utc_offset(ob)?;
        let t = if f.offset.is_some() {
            Temporal::time(&f)
        } else {
            Temporal::local_time(&f)
        };
        return t.map(Some).map_err(bad);
    }
    if ob.is_instance(&dt.getattr("timedelta")?)? {
        let days = int(ob, "days")?;
        let secs = int(ob, "seconds")?;
        let us = int(ob, "microseconds")?;
        return Ok(Some(Temporal::Duration {
            months: 0,
            days,
            secs,
            nanos: i32::try_from(us * 1000).unwrap_or(0),
        }));
    }
    Ok(None)
}
