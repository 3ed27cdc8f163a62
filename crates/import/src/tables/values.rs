//! Arrow cells as property values (JSON, as the importer's items hold them).

use arrow_array::Array;
use arrow_schema::{DataType, TimeUnit};
use serde_json::{Map, Number, Value};

use crate::parse::exact_json;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, DurationMicrosecondType,
    DurationMillisecondType, DurationNanosecondType, DurationSecondType, Float16Type, Float32Type,
    Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, Time32MillisecondType,
    Time32SecondType, Time64MicrosecondType, Time64NanosecondType, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
/// The value of a cell as a property's JSON, `None` for null; `Err` is why it is bad.
#[allow(clippy::too_many_lines)] // one arm per Arrow type
pub(super) fn cell(
    a: &dyn Array,
    i: usize,
    json_text: bool,
) -> std::result::Result<Option<Value>, String> {
    if a.is_null(i) {
        return Ok(None);
    }
    let int = |v: i64| Ok(Some(Value::Number(v.into())));
    let float = |v: f64| match Number::from_f64(v) {
        Some(n) => Ok(Some(Value::Number(n))),
        None => Err(format!(
            "{v} cannot be stored (NaN and infinities are not values)"
        )),
    };
    let text = |s: String| Ok(Some(Value::String(s)));
    match a.data_type() {
        DataType::Boolean => Ok(Some(Value::Bool(a.as_boolean().value(i)))),
        DataType::Int8 => int(a.as_primitive::<Int8Type>().value(i).into()),
        DataType::Int16 => int(a.as_primitive::<Int16Type>().value(i).into()),
        DataType::Int32 => int(a.as_primitive::<Int32Type>().value(i).into()),
        DataType::Int64 => int(a.as_primitive::<Int64Type>().value(i)),
        DataType::UInt8 => int(a.as_primitive::<UInt8Type>().value(i).into()),
        DataType::UInt16 => int(a.as_primitive::<UInt16Type>().value(i).into()),
        DataType::UInt32 => int(a.as_primitive::<UInt32Type>().value(i).into()),
        DataType::UInt64 => {
            let v = a.as_primitive::<UInt64Type>().value(i);
            match i64::try_from(v) {
                Ok(v) => int(v),
                Err(_) => Err(format!("{v} does not fit a 64-bit signed integer")),
            }
        }
        DataType::Float16 => float(a.as_primitive::<Float16Type>().value(i).to_f64()),
        DataType::Float32 => float(a.as_primitive::<Float32Type>().value(i).into()),
        DataType::Float64 => float(a.as_primitive::<Float64Type>().value(i)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let s = match a.data_type() {
                DataType::Utf8 => a.as_string::<i32>().value(i),
                DataType::LargeUtf8 => a.as_string::<i64>().value(i),
                _ => a.as_string_view().value(i),
            };
            if json_text {
                exact_json(s).map(Some)
            } else {
                text(s.to_string())
            }
        }
        DataType::Decimal128(_, scale) => {
            let v = a.as_primitive::<Decimal128Type>().value(i);
            text(decimal_text(&v.to_string(), *scale))
        }
        DataType::Decimal256(_, scale) => {
            let v = a.as_primitive::<Decimal256Type>().value(i);
            text(decimal_text(&v.to_string(), *scale))
        }
        DataType::Date32 => {
            let days = a.as_primitive::<Date32Type>().value(i);
            text(date_text(i64::from(days)))
        }
        DataType::Date64 => {
            let ms = a.as_primitive::<Date64Type>().value(i);
            text(date_text(ms.div_euclid(86_400_000)))
        }
        DataType::Timestamp(unit, tz) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(i),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(i),
            };
            let (secs, frac) = split_unit(v, *unit);
            let day = secs.div_euclid(86_400);
            let mut s = format!(
                "{}T{}",
                date_text(day),
                time_text(secs.rem_euclid(86_400), frac, *unit)
            );
            if tz.is_some() {
                s.push('Z');
            }
            text(s)
        }
        DataType::Time32(unit) | DataType::Time64(unit) => {
            let v: i64 = match unit {
                TimeUnit::Second => a.as_primitive::<Time32SecondType>().value(i).into(),
                TimeUnit::Millisecond => a.as_primitive::<Time32MillisecondType>().value(i).into(),
                TimeUnit::Microsecond => a.as_primitive::<Time64MicrosecondType>().value(i),
                TimeUnit::Nanosecond => a.as_primitive::<Time64NanosecondType>().value(i),
            };
            let (secs, frac) = split_unit(v, *unit);
            text(time_text(secs, frac, *unit))
        }
        DataType::Duration(unit) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<DurationSecondType>().value(i),
                TimeUnit::Millisecond => a.as_primitive::<DurationMillisecondType>().value(i),
                TimeUnit::Microsecond => a.as_primitive::<DurationMicrosecondType>().value(i),
                TimeUnit::Nanosecond => a.as_primitive::<DurationNanosecondType>().value(i),
            };
            let (secs, frac) = split_unit(v, *unit);
            text(format!("PT{secs}{}S", fraction(frac, *unit)))
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            let items = match a.data_type() {
                DataType::List(_) => a.as_list::<i32>().value(i),
                DataType::LargeList(_) => a.as_list::<i64>().value(i),
                _ => a.as_fixed_size_list().value(i),
            };
            let mut out = Vec::with_capacity(items.len());
            for j in 0..items.len() {
                out.push(cell(items.as_ref(), j, false)?.unwrap_or(Value::Null));
            }
            Ok(Some(Value::Array(out)))
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let mut m = Map::new();
            for (f, column) in fields.iter().zip(s.columns()) {
                if let Some(v) = cell(column.as_ref(), i, false)? {
                    m.insert(f.name().clone(), v);
                }
            }
            Ok(Some(Value::Object(m)))
        }
        DataType::Map(..) => {
            let entries = a.as_map().value(i);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut m = Map::new();
            for j in 0..entries.len() {
                let Some(Value::String(k)) = cell(keys.as_ref(), j, false)? else {
                    return Err("a map whose keys are not strings".into());
                };
                m.insert(k, cell(values.as_ref(), j, false)?.unwrap_or(Value::Null));
            }
            Ok(Some(Value::Object(m)))
        }
        DataType::Dictionary(..) => {
            let d = a.as_any_dictionary();
            let keys = d.normalized_keys();
            match keys.get(i) {
                Some(&k) => cell(d.values().as_ref(), k, json_text),
                None => Ok(None),
            }
        }
        DataType::Null => Ok(None),
        other => Err(format!("a value of Arrow type {other} cannot be stored")),
    }
}

/// Whether a column of this type can be read (a binary column cannot).
pub(super) fn readable(t: &DataType) -> bool {
    match t {
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_)
        | DataType::Interval(_)
        | DataType::Union(..)
        | DataType::RunEndEncoded(..) => false,
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            readable(f.data_type())
        }
        DataType::Struct(fields) => fields.iter().all(|f| readable(f.data_type())),
        DataType::Map(f, _) => readable(f.data_type()),
        DataType::Dictionary(_, v) => readable(v),
        _ => true,
    }
}

fn decimal_text(digits: &str, scale: i8) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    if scale <= 0 {
        return format!(
            "{sign}{digits}{}",
            "0".repeat(usize::from(scale.unsigned_abs()))
        );
    }
    let scale = usize::from(scale.unsigned_abs());
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (proleptic Gregorian).
fn date_text(days: i64) -> String {
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn units_per_second(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    }
}

/// Whole seconds and the fraction (in `unit`s) of a count of `unit`s.
fn split_unit(v: i64, unit: TimeUnit) -> (i64, i64) {
    let per = units_per_second(unit);
    (v.div_euclid(per), v.rem_euclid(per))
}

fn fraction(frac: i64, unit: TimeUnit) -> String {
    let digits = match unit {
        TimeUnit::Second => return String::new(),
        TimeUnit::Millisecond => 3,
        TimeUnit::Microsecond => 6,
        TimeUnit::Nanosecond => 9,
    };
    if frac == 0 {
        String::new()
    } else {
        format!(".{frac:0digits$}")
    }
}

fn time_text(secs: i64, frac: i64, unit: TimeUnit) -> String {
    format!(
        "{:02}:{:02}:{:02}{}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        fraction(frac, unit)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporal_and_decimal_text() {
        assert_eq!(date_text(0), "1970-01-01");
        assert_eq!(date_text(-1), "1969-12-31");
        assert_eq!(date_text(19_723), "2024-01-01");
        assert_eq!(date_text(11_016), "2000-02-29");
        assert_eq!(time_text(3_723, 5, TimeUnit::Millisecond), "01:02:03.005");
        assert_eq!(time_text(0, 0, TimeUnit::Nanosecond), "00:00:00");
        assert_eq!(decimal_text("12345", 2), "123.45");
        assert_eq!(decimal_text("-5", 3), "-0.005");
        assert_eq!(decimal_text("7", -2), "700");
        assert_eq!(split_unit(-1, TimeUnit::Millisecond), (-1, 999));
    }
}
