//! openCypher's temporal values: dates, times and durations ([`Temporal`]).
//!
//! | kind | held as | written as |
//! |---|---|---|
//! | `DATE` | days since 1970-01-01 | `1984-10-11` |
//! | `LOCAL TIME` | nanoseconds since midnight | `12:31:14.645876123` (`10:35` without seconds) |
//! | `ZONED TIME` | local nanoseconds since midnight and an offset in seconds | `12:31:14+01:00`, `10:35Z` |
//! | `LOCAL DATETIME` | seconds since 1970-01-01T00:00 and nanoseconds | `1984-10-11T12:31:14.000000012` |
//! | `ZONED DATETIME` | seconds since the epoch in UTC, nanoseconds and an offset | `1984-10-11T12:31:14+01:00` |
//! | `DURATION` | months, days, seconds and nanoseconds | `P1Y2M3DT4H5M6.5S` |
//!
//! Years run from -999,999,999 to 999,999,999 (the proleptic Gregorian calendar); years
//! outside 0..=9999 are written with a sign. Zones are offsets (`Z`, `+01:00`, `-0800`);
//! named zones (`Europe/Stockholm`) need a zone database and are refused. A fraction of a
//! second is written in groups of three digits, as many as it needs.
//!
//! Order: values of one kind compare chronologically (zoned times and datetimes by the
//! instant they stand for, then by offset so that equal instants in different zones still
//! have one order); durations, and values of two kinds, are not comparable (`null`), but
//! [`Temporal::order`] orders them all for `ORDER BY`.
//!
//! In JSON (node and edge data), a temporal value is an object with one reserved key that
//! starts with U+0000 and names its kind, holding the written form:
//! `{"\u0000date": "1984-10-11"}`. Maps whose keys start with U+0000 are refused as
//! property values, so the two cannot be confused (see `PropertyValue::to_json`).

#![allow(
    clippy::many_single_char_names,
    reason = "calendar arithmetic names year, month, day, hour, minute and second by letter"
)]

use std::cmp::Ordering;
use std::fmt;

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;
const NANOS_PER_DAY: u64 = 86_400 * 1_000_000_000;
/// The largest year magnitude.
pub const YEAR_MAX: i64 = 999_999_999;
/// Days from 1970-01-01 to the first day of year -[`YEAR_MAX`] and to the last of
/// [`YEAR_MAX`]: dates and datetimes stay between them.
const DAYS_MIN: i64 = -365_243_219_162;
const DAYS_MAX: i64 = 365_241_780_471;
/// The largest number of days, and of seconds, in a duration (so that every duration's
/// written form has at most 18 digits a number, and reads back exactly).
const DURATION_UNITS_MAX: i64 = 100_000_000_000_000_000;
/// The largest number of months in a duration (the years of its written form stay within
/// [`DURATION_UNITS_MAX`]).
const DURATION_MONTHS_MAX: i64 = 12 * DURATION_UNITS_MAX;
/// The largest offset from UTC, in seconds (±18:00).
const OFFSET_MAX: i32 = 18 * 3600;
/// Average Gregorian month in seconds, for fractions of months in durations.
const SECS_PER_MONTH: f64 = 2_629_746.0;

/// A temporal value (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Temporal {
    /// A date: days since 1970-01-01.
    Date(i64),
    /// A time of day without a zone: nanoseconds since midnight.
    LocalTime(u64),
    /// A time of day at an offset from UTC.
    Time {
        /// Local nanoseconds since midnight.
        nanos: u64,
        /// Offset from UTC in seconds.
        offset: i32,
    },
    /// A date and time without a zone.
    LocalDateTime {
        /// Seconds since 1970-01-01T00:00 (local).
        secs: i64,
        /// Nanoseconds within the second.
        nanos: u32,
    },
    /// An instant, shown at an offset from UTC.
    DateTime {
        /// Seconds since 1970-01-01T00:00Z.
        secs: i64,
        /// Nanoseconds within the second.
        nanos: u32,
        /// Offset from UTC in seconds.
        offset: i32,
    },
    /// An amount of time: months, days and seconds are kept apart, as their lengths vary.
    Duration {
        /// Months (years are twelve).
        months: i64,
        /// Days (weeks are seven).
        days: i64,
        /// Seconds.
        secs: i64,
        /// Nanoseconds, `0..1_000_000_000`, added to `secs`.
        nanos: i32,
    },
}

/// [`Temporal::order`]: a total order, equal only for equal values.
impl Ord for Temporal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order(other)
    }
}

impl PartialOrd for Temporal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Why a temporal value could not be made or read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporalError(pub String);

impl fmt::Display for TemporalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, TemporalError> {
    Err(TemporalError(msg.into()))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (no range check).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "1..=31 and 1..=12"
    )]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "1..=12"
    )]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// The components a temporal value is built from (`date({year: 1984, month: 10})`);
/// fields left `None` take their defaults (month and day 1, time fields 0).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields {
    /// Year.
    pub year: Option<i64>,
    /// Month, 1 to 12.
    pub month: Option<i64>,
    /// Day of month.
    pub day: Option<i64>,
    /// Hour, 0 to 23.
    pub hour: Option<i64>,
    /// Minute.
    pub minute: Option<i64>,
    /// Second.
    pub second: Option<i64>,
    /// Milliseconds (added to micro- and nanoseconds).
    pub millisecond: Option<i64>,
    /// Microseconds.
    pub microsecond: Option<i64>,
    /// Nanoseconds.
    pub nanosecond: Option<i64>,
    /// Offset from UTC in seconds (from `timezone`).
    pub offset: Option<i32>,
}

impl Fields {
    fn date_days(&self) -> Result<i64, TemporalError> {
        let Some(year) = self.year else {
            return err("a date needs a year");
        };
        if self.day.is_some() && self.month.is_none() {
            return err("a day needs a month");
        }
        date_days(year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    fn time_nanos(&self) -> Result<u64, TemporalError> {
        let Some(hour) = self.hour else {
            return err("a time needs an hour");
        };
        let ordered = [
            (self.minute, "minute"),
            (self.second, "second"),
            (
                self.millisecond.or(self.microsecond).or(self.nanosecond),
                "fraction of a second",
            ),
        ];
        let mut missing = None;
        for (v, name) in ordered {
            match (v, missing) {
                (None, None) => missing = Some(name),
                (Some(_), Some(m)) => return err(format!("a {name} needs a {m}")),
                _ => {}
            }
        }
        let in_range = |v: i64, max: i64, what: &str| {
            if (0..=max).contains(&v) {
                Ok(v)
            } else {
                err(format!("{what} {v} is out of range 0..={max}"))
            }
        };
        let h = in_range(hour, 23, "hour")?;
        let m = in_range(self.minute.unwrap_or(0), 59, "minute")?;
        let s = in_range(self.second.unwrap_or(0), 59, "second")?;
        let ms = in_range(self.millisecond.unwrap_or(0), 999, "millisecond")?;
        let us = in_range(
            self.microsecond.unwrap_or(0),
            if self.millisecond.is_some() {
                999
            } else {
                999_999
            },
            "microsecond",
        )?;
        let ns = in_range(
            self.nanosecond.unwrap_or(0),
            if self.millisecond.is_some() || self.microsecond.is_some() {
                999
            } else {
                999_999_999
            },
            "nanosecond",
        )?;
        let nanos = ((h * 60 + m) * 60 + s) * NANOS_PER_SEC + ms * 1_000_000 + us * 1000 + ns;
        Ok(u64::try_from(nanos).unwrap_or(0))
    }
}

fn date_days(year: i64, month: i64, day: i64) -> Result<i64, TemporalError> {
    if !(-YEAR_MAX..=YEAR_MAX).contains(&year) {
        return err(format!("year {year} is out of range"));
    }
    let Ok(m) = u32::try_from(month) else {
        return err(format!("month {month} is out of range 1..=12"));
    };
    if !(1..=12).contains(&m) {
        return err(format!("month {month} is out of range 1..=12"));
    }
    let max = days_in_month(year, m);
    let Some(d) = u32::try_from(day).ok().filter(|d| (1..=max).contains(d)) else {
        return err(format!(
            "day {day} is out of range 1..={max} for {year}-{m:02}"
        ));
    };
    Ok(days_from_civil(year, m, d))
}

fn split_nanos(n: u64) -> (i64, u32) {
    #[allow(clippy::cast_possible_truncation, reason = "below 10^9")]
    let sub = (n % 1_000_000_000) as u32;
    (i64::try_from(n / 1_000_000_000).unwrap_or(0), sub)
}

impl Temporal {
    /// A date from fields (year, month, day).
    ///
    /// # Errors
    /// A field out of range, or a day without a month.
    pub fn date(f: &Fields) -> Result<Temporal, TemporalError> {
        Ok(Temporal::Date(f.date_days()?))
    }

    /// A local time from fields (hour, minute, second and fractions).
    ///
    /// # Errors
    /// A field out of range or missing where a smaller one is given.
    pub fn local_time(f: &Fields) -> Result<Temporal, TemporalError> {
        Ok(Temporal::LocalTime(f.time_nanos()?))
    }

    /// A zoned time from fields; without an offset, UTC.
    ///
    /// # Errors
    /// As [`Temporal::local_time`].
    pub fn time(f: &Fields) -> Result<Temporal, TemporalError> {
        Ok(Temporal::Time {
            nanos: f.time_nanos()?,
            offset: f.offset.unwrap_or(0),
        })
    }

    /// A local datetime from fields (the date's and the time's; the hour may be left out
    /// for midnight).
    ///
    /// # Errors
    /// As [`Temporal::date`] and [`Temporal::local_time`].
    pub fn local_date_time(f: &Fields) -> Result<Temporal, TemporalError> {
        let days = f.date_days()?;
        let nanos = if f.hour.is_none() && f.minute.is_none() && f.second.is_none() {
            0
        } else {
            f.time_nanos()?
        };
        let (s, n) = split_nanos(nanos);
        Ok(Temporal::LocalDateTime {
            secs: days * SECS_PER_DAY + s,
            nanos: n,
        })
    }

    /// A zoned datetime from fields; without an offset, UTC.
    ///
    /// # Errors
    /// As [`Temporal::local_date_time`].
    pub fn date_time(f: &Fields) -> Result<Temporal, TemporalError> {
        let Temporal::LocalDateTime { secs, nanos } = Temporal::local_date_time(f)? else {
            return err("not a datetime");
        };
        let offset = f.offset.unwrap_or(0);
        Ok(Temporal::DateTime {
            secs: secs - i64::from(offset),
            nanos,
            offset,
        })
    }

    /// A duration from components that may have fractions: a fraction of a year goes to
    /// months, of a month to seconds (an average month, 30.436875 days), of a week or a
    /// day to days and seconds, the rest to seconds and nanoseconds.
    ///
    /// # Errors
    /// A component that is not finite or too large.
    #[allow(clippy::too_many_arguments, reason = "one per unit of a duration")]
    #[allow(
        clippy::cast_possible_truncation,
        reason = "every value is checked against the range it is cast to"
    )]
    pub fn duration(
        years: f64,
        months: f64,
        weeks: f64,
        days: f64,
        hours: f64,
        minutes: f64,
        seconds: f64,
        nanos: f64,
    ) -> Result<Temporal, TemporalError> {
        let all = [years, months, weeks, days, hours, minutes, seconds, nanos];
        if all.iter().any(|v| !v.is_finite() || v.abs() > 1e17) {
            return err("a duration component is out of range");
        }
        let total_months = years * 12.0 + months;
        let whole_months = total_months.trunc();
        let total_days = weeks * 7.0 + days;
        let whole_days = total_days.trunc();
        // Seconds as whole seconds plus nanoseconds, each fraction carried down.
        let secs_f = (total_months - whole_months) * SECS_PER_MONTH
            + (total_days - whole_days) * 86_400.0
            + hours * 3600.0
            + minutes * 60.0
            + seconds;
        let whole_secs = secs_f.trunc();
        let nanos_total = ((secs_f - whole_secs) * 1e9).round() + nanos;
        let extra_secs = (nanos_total / 1e9).floor();
        let n = nanos_total - extra_secs * 1e9;
        #[allow(clippy::cast_precision_loss, reason = "limits far below 2^63")]
        if whole_months.abs() > DURATION_MONTHS_MAX as f64
            || whole_days.abs() > DURATION_UNITS_MAX as f64
            || (whole_secs + extra_secs).abs() > DURATION_UNITS_MAX as f64
        {
            return err("a duration is out of range");
        }
        Ok(Temporal::Duration {
            months: whole_months as i64,
            days: whole_days as i64,
            secs: (whole_secs + extra_secs) as i64,
            nanos: (n as i32).clamp(0, 999_999_999),
        })
    }

    /// The openCypher name of the value's type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Temporal::Date(_) => "DATE",
            Temporal::LocalTime(_) => "LOCAL TIME",
            Temporal::Time { .. } => "ZONED TIME",
            Temporal::LocalDateTime { .. } => "LOCAL DATETIME",
            Temporal::DateTime { .. } => "ZONED DATETIME",
            Temporal::Duration { .. } => "DURATION",
        }
    }

    /// The kind's name in JSON and in the written form's function (`date`, `localtime`,
    /// `time`, `localdatetime`, `datetime`, `duration`).
    pub fn kind(&self) -> &'static str {
        match self {
            Temporal::Date(_) => "date",
            Temporal::LocalTime(_) => "localtime",
            Temporal::Time { .. } => "time",
            Temporal::LocalDateTime { .. } => "localdatetime",
            Temporal::DateTime { .. } => "datetime",
            Temporal::Duration { .. } => "duration",
        }
    }

    /// The position of the kind among the others in `ORDER BY` (openCypher: datetimes,
    /// local datetimes, dates, times, local times, durations).
    pub fn kind_rank(&self) -> u8 {
        match self {
            Temporal::DateTime { .. } => 0,
            Temporal::LocalDateTime { .. } => 1,
            Temporal::Date(_) => 2,
            Temporal::Time { .. } => 3,
            Temporal::LocalTime(_) => 4,
            Temporal::Duration { .. } => 5,
        }
    }

    /// The chronological order of two values of one kind; `None` for two kinds or for
    /// durations (which have no chronological order).
    pub fn compare(&self, other: &Temporal) -> Option<Ordering> {
        if self.kind_rank() != other.kind_rank() || matches!(self, Temporal::Duration { .. }) {
            return None;
        }
        Some(self.order(other))
    }

    /// A total order for `ORDER BY`: by kind, then chronologically; durations by months,
    /// days, seconds and nanoseconds.
    pub fn order(&self, other: &Temporal) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }

    /// The value as its kind's rank and four integers whose order is [`Temporal::order`]
    /// (the index key encoding writes them; [`Temporal::from_sort_key`] reads them back).
    pub(crate) fn sort_key(&self) -> (u8, i64, i64, i64, i64) {
        let r = self.kind_rank();
        match *self {
            Temporal::Date(d) => (r, d, 0, 0, 0),
            Temporal::LocalTime(n) => (r, i64::try_from(n).unwrap_or(0), 0, 0, 0),
            Temporal::Time { nanos, offset } => (
                r,
                i64::try_from(nanos).unwrap_or(0) - i64::from(offset) * NANOS_PER_SEC,
                -i64::from(offset),
                0,
                0,
            ),
            Temporal::LocalDateTime { secs, nanos } => (r, secs, i64::from(nanos), 0, 0),
            Temporal::DateTime {
                secs,
                nanos,
                offset,
            } => (r, secs, i64::from(nanos), -i64::from(offset), 0),
            Temporal::Duration {
                months,
                days,
                secs,
                nanos,
            } => (r, months, days, secs, i64::from(nanos)),
        }
    }

    /// The value of a [`Temporal::sort_key`]; `None` unless the integers are exactly those
    /// of a valid value of the kind.
    pub(crate) fn from_sort_key(rank: u8, k: [i64; 4]) -> Option<Temporal> {
        let nanos_ok = |n: i64| (0..NANOS_PER_SEC).contains(&n);
        let day_ok = |n: i64| u64::try_from(n).is_ok_and(|n| n < NANOS_PER_DAY);
        let offset_ok = |o: i64| (-i64::from(OFFSET_MAX)..=i64::from(OFFSET_MAX)).contains(&o);
        // Seconds of a datetime within the dates' range (widened by a day for offsets).
        let secs_ok =
            |s: i64| ((DAYS_MIN - 1) * SECS_PER_DAY..=(DAYS_MAX + 2) * SECS_PER_DAY).contains(&s);
        let v = match (rank, k) {
            (0, [secs, n, neg_off, 0]) if nanos_ok(n) && offset_ok(neg_off) && secs_ok(secs) => {
                Temporal::DateTime {
                    secs,
                    nanos: u32::try_from(n).ok()?,
                    offset: i32::try_from(-neg_off).ok()?,
                }
            }
            (1, [secs, n, 0, 0]) if nanos_ok(n) && secs_ok(secs) => Temporal::LocalDateTime {
                secs,
                nanos: u32::try_from(n).ok()?,
            },
            (2, [d, 0, 0, 0]) if (DAYS_MIN..=DAYS_MAX).contains(&d) => Temporal::Date(d),
            (3, [utc, neg_off, 0, 0]) if offset_ok(neg_off) => {
                let local = utc.checked_sub(neg_off.checked_mul(NANOS_PER_SEC)?)?;
                if !day_ok(local) {
                    return None;
                }
                Temporal::Time {
                    nanos: u64::try_from(local).ok()?,
                    offset: i32::try_from(-neg_off).ok()?,
                }
            }
            (4, [n, 0, 0, 0]) if day_ok(n) => Temporal::LocalTime(u64::try_from(n).ok()?),
            (5, [months, days, secs, n])
                if nanos_ok(n)
                    && months.unsigned_abs() <= DURATION_MONTHS_MAX.unsigned_abs()
                    && days.unsigned_abs() <= DURATION_UNITS_MAX.unsigned_abs()
                    && secs.unsigned_abs() <= DURATION_UNITS_MAX.unsigned_abs() =>
            {
                Temporal::Duration {
                    months,
                    days,
                    secs,
                    nanos: i32::try_from(n).ok()?,
                }
            }
            _ => return None,
        };
        (v.sort_key() == (rank, k[0], k[1], k[2], k[3])).then_some(v)
    }

    /// `self + d` (or `self - d` with `negate`) for a duration `d`: months first (the day
    /// kept, or the month's last day where it has fewer), then days, then seconds and
    /// nanoseconds; a date ignores the duration's time part below a whole day, a time
    /// ignores its months and days and wraps around midnight. Two durations add
    /// component by component.
    ///
    /// # Errors
    /// `d` is not a duration, or the result is out of range.
    pub fn add_duration(&self, d: &Temporal, negate: bool) -> Result<Temporal, TemporalError> {
        let Temporal::Duration {
            months,
            days,
            secs,
            nanos,
        } = *d
        else {
            return err(format!(
                "cannot add a {} to a {}",
                d.type_name(),
                self.type_name()
            ));
        };
        let overflow = || TemporalError("the result is out of range".into());
        let (months, days, span) = if negate {
            (
                months.checked_neg().ok_or_else(overflow)?,
                days.checked_neg().ok_or_else(overflow)?,
                -(i128::from(secs) * 1_000_000_000 + i128::from(nanos)),
            )
        } else {
            (
                months,
                days,
                i128::from(secs) * 1_000_000_000 + i128::from(nanos),
            )
        };
        let shift_date = |day: i64| shift_date(day, months, days).ok_or_else(overflow);
        let day_nanos = i128::from(NANOS_PER_DAY);
        let wrap = |n: u64| -> u64 {
            u64::try_from((i128::from(n) + span).rem_euclid(day_nanos)).unwrap_or(0)
        };
        // Local seconds and nanoseconds plus the span, then the date shift.
        let shift_instant = |secs0: i64, nanos0: u32| -> Result<(i64, u32), TemporalError> {
            let day = secs0.div_euclid(SECS_PER_DAY);
            let within = secs0.rem_euclid(SECS_PER_DAY);
            let new_day = shift_date(day)?;
            let total = (i128::from(new_day) * i128::from(SECS_PER_DAY) + i128::from(within))
                * 1_000_000_000
                + i128::from(nanos0)
                + span;
            let secs = i64::try_from(total.div_euclid(1_000_000_000)).map_err(|_| overflow())?;
            let nanos = u32::try_from(total.rem_euclid(1_000_000_000)).map_err(|_| overflow())?;
            Ok((secs, nanos))
        };
        let out = match *self {
            Temporal::Date(day) => {
                let whole_days = i64::try_from(span / day_nanos).map_err(|_| overflow())?;
                Temporal::Date(
                    shift_date(day)?
                        .checked_add(whole_days)
                        .ok_or_else(overflow)?,
                )
            }
            Temporal::LocalTime(n) => Temporal::LocalTime(wrap(n)),
            Temporal::Time { nanos, offset } => Temporal::Time {
                nanos: wrap(nanos),
                offset,
            },
            Temporal::LocalDateTime { secs, nanos } => {
                let (secs, nanos) = shift_instant(secs, nanos)?;
                Temporal::LocalDateTime { secs, nanos }
            }
            Temporal::DateTime {
                secs,
                nanos,
                offset,
            } => {
                let o = i64::from(offset);
                let (local, nanos) = shift_instant(secs + o, nanos)?;
                Temporal::DateTime {
                    secs: local - o,
                    nanos,
                    offset,
                }
            }
            Temporal::Duration {
                months: m0,
                days: d0,
                secs: s0,
                nanos: n0,
            } => {
                let total = i128::from(s0) * 1_000_000_000 + i128::from(n0) + span;
                Temporal::Duration {
                    months: m0.checked_add(months).ok_or_else(overflow)?,
                    days: d0.checked_add(days).ok_or_else(overflow)?,
                    secs: i64::try_from(total.div_euclid(1_000_000_000)).map_err(|_| overflow())?,
                    nanos: i32::try_from(total.rem_euclid(1_000_000_000))
                        .map_err(|_| overflow())?,
                }
            }
        };
        if out.in_range() {
            Ok(out)
        } else {
            Err(overflow())
        }
    }

    /// Whether a date's year is within ±[`YEAR_MAX`] and a duration's parts within their
    /// range: every value made or decoded is, so that its written form reads back.
    fn in_range(&self) -> bool {
        match (self.date_parts(), *self) {
            (Some((y, _, _)), _) => (-YEAR_MAX..=YEAR_MAX).contains(&y),
            (
                _,
                Temporal::Duration {
                    months, days, secs, ..
                },
            ) => {
                months.unsigned_abs() <= DURATION_MONTHS_MAX.unsigned_abs()
                    && days.unsigned_abs() <= DURATION_UNITS_MAX.unsigned_abs()
                    && secs.unsigned_abs() <= DURATION_UNITS_MAX.unsigned_abs()
            }
            _ => true,
        }
    }

    /// The date part: (year, month, day), for values that have one.
    pub fn date_parts(&self) -> Option<(i64, u32, u32)> {
        match *self {
            Temporal::Date(d) => Some(civil_from_days(d)),
            Temporal::LocalDateTime { secs, .. } => {
                Some(civil_from_days(secs.div_euclid(SECS_PER_DAY)))
            }
            Temporal::DateTime { secs, offset, .. } => Some(civil_from_days(
                (secs + i64::from(offset)).div_euclid(SECS_PER_DAY),
            )),
            _ => None,
        }
    }

    /// Nanoseconds since local midnight, for values that have a time.
    pub fn time_of_day(&self) -> Option<u64> {
        let of = |secs: i64, nanos: u32| {
            u64::try_from(secs.rem_euclid(SECS_PER_DAY)).unwrap_or(0) * 1_000_000_000
                + u64::from(nanos)
        };
        match *self {
            Temporal::LocalTime(n) | Temporal::Time { nanos: n, .. } => Some(n),
            Temporal::LocalDateTime { secs, nanos } => Some(of(secs, nanos)),
            Temporal::DateTime {
                secs,
                nanos,
                offset,
            } => Some(of(secs + i64::from(offset), nanos)),
            _ => None,
        }
    }

    /// The offset from UTC in seconds, for zoned values.
    pub fn offset(&self) -> Option<i32> {
        match *self {
            Temporal::Time { offset, .. } | Temporal::DateTime { offset, .. } => Some(offset),
            _ => None,
        }
    }

    /// Reads the written form of a value of kind `kind` (see [`Temporal::kind`]): ISO
    /// 8601 dates `1984-10-11` (also `19841011`, `1984-10`, `1984`), times `12:31:14.5`
    /// (also `123114`, `12:31`, `12`) with an offset `Z`, `+01:00`, `+0100` or `+01`
    /// where zoned (UTC when left out), datetimes joined by `T` (or a space), durations
    /// `P1Y2M3W4DT5H6M7.5S`.
    ///
    /// # Errors
    /// Text that is not such a form, or a field out of range.
    pub fn parse(kind: &str, text: &str) -> Result<Temporal, TemporalError> {
        let bad = || TemporalError(format!("`{text}` is not a {kind}"));
        let t = text.trim();
        match kind {
            "date" => parse_date(t).ok_or_else(bad)?.map(Temporal::Date),
            "localtime" => {
                let (n, off) = parse_time(t).ok_or_else(bad)?;
                if off.is_some() {
                    return Err(bad());
                }
                Ok(Temporal::LocalTime(n))
            }
            "time" => {
                let (nanos, off) = parse_time(t).ok_or_else(bad)?;
                Ok(Temporal::Time {
                    nanos,
                    offset: off.unwrap_or(0),
                })
            }
            "localdatetime" | "datetime" => {
                let (d, rest) = t.split_once(['T', 't', ' ']).unwrap_or((t, ""));
                let days = parse_date(d).ok_or_else(bad)??;
                let (nanos, off) = if rest.is_empty() {
                    (0, None)
                } else {
                    parse_time(rest).ok_or_else(bad)?
                };
                let (s, n) = split_nanos(nanos);
                let local = days * SECS_PER_DAY + s;
                match (kind, off) {
                    ("localdatetime", None) => Ok(Temporal::LocalDateTime {
                        secs: local,
                        nanos: n,
                    }),
                    ("localdatetime", Some(_)) => Err(bad()),
                    (_, off) => {
                        let offset = off.unwrap_or(0);
                        Ok(Temporal::DateTime {
                            secs: local - i64::from(offset),
                            nanos: n,
                            offset,
                        })
                    }
                }
            }
            "duration" => parse_duration(t).ok_or_else(bad),
            _ => Err(bad()),
        }
    }

    /// Reads an offset: `Z`, `+01:00`, `+0100`, `+01`, `-08:00:30`.
    ///
    /// # Errors
    /// Anything else (named zones included), or an offset beyond ±18:00.
    pub fn parse_offset(text: &str) -> Result<i32, TemporalError> {
        match offset(text.trim()) {
            Some(o) => Ok(o),
            None if text.contains('/') || text.chars().all(char::is_alphabetic) => err(format!(
                "time zone `{text}`: named time zones are not supported; give an offset such as '+01:00'"
            )),
            None => err(format!("`{text}` is not a time zone offset")),
        }
    }
}

/// Day `day` moved by `months` (the day of the month kept, or the month's last day where
/// it has fewer), then by `days`; `None` out of range.
fn shift_date(day: i64, months: i64, days: i64) -> Option<i64> {
    let (y, m, dd) = civil_from_days(day);
    let total = (y * 12 + i64::from(m) - 1).checked_add(months)?;
    let (ny, nm) = (
        total.div_euclid(12),
        u32::try_from(total.rem_euclid(12) + 1).ok()?,
    );
    if !(-YEAR_MAX..=YEAR_MAX).contains(&ny) {
        return None;
    }
    days_from_civil(ny, nm, dd.min(days_in_month(ny, nm))).checked_add(days)
}

/// Digits only, as a number.
fn num(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `Some(Ok(days))`, `Some(Err(..))` for a well-formed date out of range, `None` when
/// the text is not a date.
fn parse_date(t: &str) -> Option<Result<i64, TemporalError>> {
    // Every form is ASCII; slicing below is then at character boundaries.
    if !t.is_ascii() {
        return None;
    }
    let (sign, body) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => (1, t),
    };
    let parts: Vec<&str> = body.split('-').collect();
    let (y, m, d) = match parts.as_slice() {
        [y] if y.len() == 8 && sign == 1 => (num(&y[..4])?, num(&y[4..6])?, num(&y[6..])?),
        [y] if y.len() >= 4 => (num(y)?, 1, 1),
        [y, m] if y.len() >= 4 && m.len() == 2 => (num(y)?, num(m)?, 1),
        [y, m, d] if y.len() >= 4 && m.len() == 2 && d.len() == 2 => (num(y)?, num(m)?, num(d)?),
        _ => return None,
    };
    Some(date_days(sign * y, m, d))
}

/// An offset `Z`, `+HH:MM[:SS]`, `+HHMM`, `+HH`: seconds east of UTC.
fn offset(t: &str) -> Option<i32> {
    if !t.is_ascii() {
        return None;
    }
    if t == "Z" || t == "z" {
        return Some(0);
    }
    let sign = match t.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let b = &t[1..];
    let (h, m, s) = match b.len() {
        2 => (num(b)?, 0, 0),
        4 => (num(&b[..2])?, num(&b[2..])?, 0),
        5 if &b[2..3] == ":" => (num(&b[..2])?, num(&b[3..])?, 0),
        8 if &b[2..3] == ":" && &b[5..6] == ":" => (num(&b[..2])?, num(&b[3..5])?, num(&b[6..])?),
        _ => return None,
    };
    if m > 59 || s > 59 {
        return None;
    }
    let secs = i32::try_from(h * 3600 + m * 60 + s).ok()?;
    (secs <= OFFSET_MAX).then_some(sign * secs)
}

/// A time with an optional offset: (nanoseconds since midnight, offset).
fn parse_time(t: &str) -> Option<(u64, Option<i32>)> {
    if !t.is_ascii() {
        return None;
    }
    let cut = t.find(['Z', 'z', '+', '-']).unwrap_or(t.len());
    let (time, zone) = t.split_at(cut);
    let zone = zone.split('[').next().unwrap_or("");
    let off = if zone.is_empty() {
        None
    } else {
        Some(offset(zone)?)
    };
    let (whole, frac) = match time.split_once(['.', ',']) {
        Some((w, f)) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            (w, f)
        }
        Some(_) => return None,
        None => (time, ""),
    };
    let fields: Vec<&str> = if whole.contains(':') {
        whole.split(':').collect()
    } else {
        whole
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap_or("x"))
            .collect()
    };
    if fields.is_empty() || fields.len() > 3 || fields.iter().any(|f| f.len() != 2) {
        return None;
    }
    if !frac.is_empty() && fields.len() != 3 {
        return None;
    }
    let h = num(fields[0])?;
    let m = fields.get(1).map_or(Some(0), |f| num(f))?;
    let s = fields.get(2).map_or(Some(0), |f| num(f))?;
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let frac_nanos = if frac.is_empty() {
        0
    } else {
        num(frac)? * 10_i64.pow(9 - u32::try_from(frac.len()).ok()?)
    };
    let n = ((h * 60 + m) * 60 + s) * NANOS_PER_SEC + frac_nanos;
    Some((u64::try_from(n).ok()?, off))
}

/// `[-]P[nY][nM][nW][nD][T[nH][nM][n[.f]S]]`; the last component given may have a fraction.
fn parse_duration(t: &str) -> Option<Temporal> {
    if !t.is_ascii() {
        return None;
    }
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let body = t.strip_prefix(['P', 'p'])?;
    if body.is_empty() {
        return None;
    }
    let (date, time) = match body.split_once(['T', 't']) {
        Some((d, tm)) if !tm.is_empty() => (d, Some(tm)),
        Some(_) => return None,
        None => (body, None),
    };
    // Each component's text: years, months, weeks, days, hours, minutes, seconds.
    let mut texts: [Option<&str>; 7] = [None; 7];
    duration_parts(date, &[('Y', 0), ('M', 1), ('W', 2), ('D', 3)], &mut texts)?;
    if let Some(tm) = time {
        duration_parts(tm, &[('H', 4), ('M', 5), ('S', 6)], &mut texts)?;
    }
    // Whole numbers but for the seconds: exactly (out of range is then an error).
    let fraction = |t: Option<&str>| t.is_some_and(|t| t.contains(['.', ',']));
    if !texts[..6].iter().copied().any(fraction) {
        return exact_duration(&texts, neg);
    }
    {
        // A fraction on a component other than seconds: carried down as floats.
        let mut v = [0.0_f64; 7];
        for (slot, text) in v.iter_mut().zip(texts) {
            if let Some(text) = text {
                *slot = text.replace(',', ".").parse().ok()?;
            }
        }
        let s = if neg { -1.0 } else { 1.0 };
        Temporal::duration(
            s * v[0],
            s * v[1],
            s * v[2],
            s * v[3],
            s * v[4],
            s * v[5],
            s * v[6],
            0.0,
        )
        .ok()
    }
}

/// Reads `part` of a duration (`1Y2M`, `3H4.5S`): each number into `texts` at its unit's
/// slot, the units in the order `units` lists them, each at most once.
fn duration_parts<'a>(
    part: &'a str,
    units: &[(char, usize)],
    texts: &mut [Option<&'a str>; 7],
) -> Option<()> {
    let mut rest = part;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let end = rest.find(|c: char| c.is_ascii_alphabetic())?;
        let (number, tail) = rest.split_at(end);
        let unit = tail.chars().next()?.to_ascii_uppercase();
        let pos = units[next_unit..].iter().position(|(u, _)| *u == unit)? + next_unit;
        let unsigned = number.strip_prefix('-').unwrap_or(number);
        if unsigned.is_empty()
            || !unsigned
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        {
            return None;
        }
        texts[units[pos].1] = Some(number);
        next_unit = pos + 1;
        rest = &tail[1..];
    }
    Some(())
}

/// A duration from components that are whole numbers but for the seconds, which may have
/// up to nine fraction digits: computed exactly in integers. `None` otherwise (or out of
/// range).
fn exact_duration(texts: &[Option<&str>; 7], neg: bool) -> Option<Temporal> {
    let whole = |t: Option<&str>| -> Option<i64> {
        match t {
            None => Some(0),
            Some(t) => {
                let (sign, digits) = match t.strip_prefix('-') {
                    Some(d) => (-1, d),
                    None => (1, t),
                };
                num(digits).map(|n| sign * n)
            }
        }
    };
    let [y, mo, w, d, h, mi, sec] = *texts;
    let (sec_whole, frac) = match sec {
        Some(t) => match t.split_once(['.', ',']) {
            Some((w, f)) if !f.is_empty() && f.len() <= 9 => (Some(w), Some(f)),
            Some(_) => return None,
            None => (Some(t), None),
        },
        None => (None, None),
    };
    let sign: i64 = if neg { -1 } else { 1 };
    let months = whole(y)?.checked_mul(12)?.checked_add(whole(mo)?)?;
    let days = whole(w)?.checked_mul(7)?.checked_add(whole(d)?)?;
    let secs_part = whole(sec_whole)?;
    let mut nanos = match frac {
        None => 0,
        Some(f) => num(f)? * 10_i64.pow(9 - u32::try_from(f.len()).ok()?),
    };
    // The fraction takes the seconds' sign (`PT-1.5S` is minus one and a half seconds).
    if sec_whole.is_some_and(|w| w.starts_with('-')) {
        nanos = -nanos;
    }
    let secs = whole(h)?
        .checked_mul(3600)?
        .checked_add(whole(mi)?.checked_mul(60)?)?
        .checked_add(secs_part)?;
    let total = (i128::from(secs) * 1_000_000_000 + i128::from(nanos)) * i128::from(sign);
    if total.abs() > i128::from(DURATION_UNITS_MAX) * 1_000_000_000
        || months.abs() > DURATION_MONTHS_MAX
        || days.abs() > DURATION_UNITS_MAX
    {
        return None;
    }
    Some(Temporal::Duration {
        months: months.checked_mul(sign)?,
        days: days.checked_mul(sign)?,
        secs: i64::try_from(total.div_euclid(1_000_000_000)).ok()?,
        nanos: i32::try_from(total.rem_euclid(1_000_000_000)).ok()?,
    })
}

fn write_date(f: &mut fmt::Formatter<'_>, days: i64) -> fmt::Result {
    let (y, m, d) = civil_from_days(days);
    if (0..=9999).contains(&y) {
        write!(f, "{y:04}-{m:02}-{d:02}")
    } else {
        write!(f, "{y:+05}-{m:02}-{d:02}")
    }
}

/// `HH:MM`, with `:SS` when seconds or a fraction are not zero, and the fraction in
/// groups of three digits.
fn write_time(f: &mut fmt::Formatter<'_>, nanos: u64) -> fmt::Result {
    let secs = nanos / 1_000_000_000;
    let frac = nanos % 1_000_000_000;
    write!(f, "{:02}:{:02}", secs / 3600, secs / 60 % 60)?;
    if !secs.is_multiple_of(60) || frac != 0 {
        write!(f, ":{:02}", secs % 60)?;
    }
    write_fraction(f, frac)
}

fn write_fraction(f: &mut fmt::Formatter<'_>, frac: u64) -> fmt::Result {
    if frac == 0 {
        Ok(())
    } else if frac.is_multiple_of(1_000_000) {
        write!(f, ".{:03}", frac / 1_000_000)
    } else if frac.is_multiple_of(1000) {
        write!(f, ".{:06}", frac / 1000)
    } else {
        write!(f, ".{frac:09}")
    }
}

/// An offset from UTC as a zoned value writes it: `Z`, `+01:00`, `-08:00:30`.
pub fn offset_text(offset: i32) -> String {
    struct Offset(i32);
    impl fmt::Display for Offset {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_offset(f, self.0)
        }
    }
    Offset(offset).to_string()
}

fn write_offset(f: &mut fmt::Formatter<'_>, offset: i32) -> fmt::Result {
    if offset == 0 {
        return f.write_str("Z");
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    write!(f, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60)?;
    if !a.is_multiple_of(60) {
        write!(f, ":{:02}", a % 60)?;
    }
    Ok(())
}

impl fmt::Display for Temporal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Temporal::Date(d) => write_date(f, d),
            Temporal::LocalTime(n) => write_time(f, n),
            Temporal::Time { nanos, offset } => {
                write_time(f, nanos)?;
                write_offset(f, offset)
            }
            Temporal::LocalDateTime { .. } | Temporal::DateTime { .. } => {
                let (y, m, d) = self.date_parts().unwrap_or((1970, 1, 1));
                write_date(f, days_from_civil(y, m, d))?;
                f.write_str("T")?;
                write_time(f, self.time_of_day().unwrap_or(0))?;
                match self.offset() {
                    Some(o) => write_offset(f, o),
                    None => Ok(()),
                }
            }
            Temporal::Duration {
                months,
                days,
                secs,
                nanos,
            } => {
                f.write_str("P")?;
                let (y, mo) = (months / 12, months % 12);
                if y != 0 {
                    write!(f, "{y}Y")?;
                }
                if mo != 0 {
                    write!(f, "{mo}M")?;
                }
                if days != 0 {
                    write!(f, "{days}D")?;
                }
                let total = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
                if total == 0 {
                    return if months == 0 && days == 0 {
                        f.write_str("T0S")
                    } else {
                        Ok(())
                    };
                }
                f.write_str("T")?;
                let neg = total < 0;
                let a = total.unsigned_abs();
                let whole = a / 1_000_000_000;
                #[allow(clippy::cast_possible_truncation, reason = "below 10^9")]
                let frac = (a % 1_000_000_000) as u64;
                let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60);
                let sign = if neg { "-" } else { "" };
                if h != 0 {
                    write!(f, "{sign}{h}H")?;
                }
                if m != 0 {
                    write!(f, "{sign}{m}M")?;
                }
                if s != 0 || frac != 0 {
                    write!(f, "{sign}{s}")?;
                    if frac != 0 {
                        let digits = format!("{frac:09}");
                        write!(f, ".{}", digits.trim_end_matches('0'))?;
                    }
                    f.write_str("S")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_match_the_calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
            assert!(d >= 1 && d <= days_in_month(y, m));
        }
    }

    #[test]
    fn written_forms_read_back() {
        for (kind, text) in [
            ("date", "1984-10-11"),
            ("date", "0001-01-01"),
            ("date", "+10000-01-01"),
            ("date", "-0044-03-15"),
            ("localtime", "10:35"),
            ("localtime", "12:31:14.645876123"),
            ("localtime", "12:31:14.645"),
            ("localtime", "00:00:01"),
            ("time", "12:31:14.645876+01:00"),
            ("time", "10:35-08:00"),
            ("time", "10:35Z"),
            ("localdatetime", "1984-10-11T12:31:14.000000012"),
            ("datetime", "1984-10-11T12:31:14+00:15"),
            ("datetime", "0001-01-01T01:01:01.000000001-11:59"),
            ("duration", "P1Y2M3DT4H5M6.5S"),
            ("duration", "PT0S"),
            ("duration", "P14D"),
            ("duration", "PT-1.5S"),
        ] {
            let v = Temporal::parse(kind, text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(v.to_string(), text, "{kind}");
            assert_eq!(v.kind(), kind);
        }
        assert_eq!(
            Temporal::parse("date", "19841011").unwrap().to_string(),
            "1984-10-11"
        );
        assert_eq!(
            Temporal::parse("datetime", "1970-01-01 00:00:00")
                .unwrap()
                .to_string(),
            "1970-01-01T00:00Z"
        );
        assert_eq!(
            Temporal::parse("duration", "P1W").unwrap().to_string(),
            "P7D"
        );
        for (kind, text) in [
            ("date", "1984-13-01"),
            ("date", "1983-02-29"),
            ("date", "84-10-11"),
            ("localtime", "24:00"),
            ("localtime", "10:35+01:00"),
            ("time", "10:35 Europe/Stockholm"),
            ("localdatetime", "1984-10-11T10:00Z"),
            ("duration", "P"),
            ("duration", "1Y"),
            ("duration", "PT1S2M"),
        ] {
            assert!(Temporal::parse(kind, text).is_err(), "{kind} {text}");
        }
        assert!(Temporal::parse_offset("Europe/Stockholm").is_err());
        assert_eq!(Temporal::parse_offset("-08:00"), Ok(-8 * 3600));
        assert!(Temporal::parse_offset("+19:00").is_err());
    }

    #[test]
    fn values_of_a_kind_order_by_time_and_zoned_ones_by_instant() {
        let p = |k, t| Temporal::parse(k, t).unwrap();
        assert_eq!(
            p("time", "12:35:15+05:00").compare(&p("time", "12:30:14+01:01")),
            Some(Ordering::Less)
        );
        assert_eq!(
            p("datetime", "2000-01-01T00:00+01:00").compare(&p("datetime", "1999-12-31T23:30Z")),
            Some(Ordering::Less)
        );
        // The same instant in two zones: not equal, ordered by offset.
        let a = p("datetime", "2000-01-01T01:00+01:00");
        let b = p("datetime", "2000-01-01T00:00Z");
        assert_ne!(a, b);
        assert_eq!(a.compare(&b), Some(Ordering::Less));
        assert_eq!(
            p("date", "2000-01-01").compare(&p("localtime", "10:00")),
            None
        );
        assert_eq!(p("duration", "P1D").compare(&p("duration", "P2D")), None);
        assert_eq!(
            p("duration", "P1D").order(&p("duration", "P2D")),
            Ordering::Less
        );
    }

    #[test]
    fn durations_move_values_by_calendar_then_clock() {
        let p = |k: &str, t: &str| Temporal::parse(k, t).unwrap();
        let add = |a: Temporal, d: &str| {
            a.add_duration(&p("duration", d), false)
                .unwrap()
                .to_string()
        };
        assert_eq!(add(p("date", "2020-01-31"), "P1M"), "2020-02-29");
        assert_eq!(add(p("date", "2020-01-31"), "P1M1DT47H"), "2020-03-02");
        assert_eq!(add(p("localtime", "23:30"), "PT45M"), "00:15");
        assert_eq!(add(p("time", "00:15+01:00"), "-PT30M"), "23:45+01:00");
        assert_eq!(
            add(p("datetime", "2020-02-28T23:00-05:00"), "P1DT2H"),
            "2020-03-01T01:00-05:00"
        );
        assert_eq!(
            add(p("localdatetime", "1984-10-11T12:00"), "-P1Y"),
            "1983-10-11T12:00"
        );
        assert_eq!(add(p("duration", "P1M"), "PT-0.5S"), "P1MT-0.5S");
        assert!(
            p("date", "2020-01-01")
                .add_duration(&p("date", "2020-01-01"), false)
                .is_err()
        );
        assert!(
            p("date", "+999999999-12-31")
                .add_duration(&p("duration", "P1D"), false)
                .is_err()
        );
        assert!(
            p("duration", "P100000000000000000D")
                .add_duration(&p("duration", "P1D"), false)
                .is_err()
        );
        assert_eq!(days_from_civil(YEAR_MAX, 12, 31), DAYS_MAX);
        assert_eq!(days_from_civil(-YEAR_MAX, 1, 1), DAYS_MIN);
        // Found by fuzzing: durations near the range's end write text that reads back.
        for text in [
            "pt04220000000000010M,45S",
            "PT70333333333333.5H",
            "PT1666666666666666M",
            "p402686000000010000W",
            "P100000000000000000Y11M",
        ] {
            if let Ok(t) = Temporal::parse("duration", text) {
                assert_eq!(Temporal::parse("duration", &t.to_string()), Ok(t), "{text}");
            }
        }
        // Text that is not ASCII is no temporal value (and is not sliced inside a char).
        for (kind, text) in [
            ("time", "1é:00"),
            ("time", "10:00+1é1"),
            ("date", "2é20-01-01"),
        ] {
            assert!(Temporal::parse(kind, text).is_err(), "{text}");
        }
    }

    #[test]
    fn fields_are_checked() {
        let f = Fields {
            year: Some(1984),
            month: Some(2),
            day: Some(30),
            ..Fields::default()
        };
        assert!(Temporal::date(&f).is_err());
        let f = Fields {
            hour: Some(12),
            second: Some(3),
            ..Fields::default()
        };
        assert!(
            Temporal::local_time(&f).is_err(),
            "a second without a minute"
        );
        let f = Fields {
            hour: Some(12),
            minute: Some(31),
            second: Some(14),
            millisecond: Some(645),
            microsecond: Some(876),
            nanosecond: Some(123),
            offset: Some(3600),
            ..Fields::default()
        };
        assert_eq!(
            Temporal::time(&f).unwrap().to_string(),
            "12:31:14.645876123+01:00"
        );
        let d = Temporal::duration(1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0).unwrap();
        assert_eq!(d.to_string(), "P1Y6M");
    }
}
