//! The data of a node or an edge as stored: a JSON object in a binary form (graph format
//! 7), or any other JSON value as JSON text.
//!
//! Reading one or two properties of every node of a label is the inner loop of scans,
//! grouped counts and index builds, and finding a field in JSON text means going over
//! every byte before it (quotes, escapes, digits). The binary form gives each field's
//! length up front, keeps numbers as numbers, and is smaller.
//!
//! # Binary object
//!
//! | bytes | meaning |
//! |---|---|
//! | `01` | the form's mark (no JSON text starts with a byte below `09`) |
//! | `v(n)` | the number of fields |
//! | per field | `v(key length)`, the key (UTF-8), a tag, the value |
//!
//! | tag | value |
//! |---|---|
//! | `00` / `01` / `02` | `null` / `false` / `true` (nothing follows) |
//! | `03` | an integer in the `i64` range: `v(zigzag(n))` |
//! | `04` | an integer above `i64::MAX`: `v(n)` |
//! | `05` | a finite float: its 8 bytes, little-endian |
//! | `06` | a string: `v(length)`, UTF-8 |
//! | `07` | a list or a map: `v(length)`, its JSON text |
//!
//! `v(x)` is a LEB128 varint. Invariants, checked by [`decode`] (which `check` runs on
//! every record) and asserted in debug builds where data is written:
//! 1. the fields fill the value exactly, `n` of them;
//! 2. keys strictly ascend, bytewise (the order of a map: no key twice);
//! 3. every length stays inside the value; keys and strings are UTF-8; floats are finite;
//!    a tag `07` text is a JSON array or object.
//!
//! Data is written in this form exactly when it is a JSON object; any other value, and
//! `null` (an edge without data), stays JSON text. Graph format 6 and before wrote JSON
//! text only, which reads as it did, so a format 6 database is upgraded by writing the
//! version; records are rewritten in the binary form when they are next written.

use serde_json::{Map, Number, Value};

use crate::record::{get_varint, put_varint, unzigzag, zigzag};

/// The first byte of a binary object.
pub(crate) const MARK: u8 = 0x01;

const NULL: u8 = 0x00;
const FALSE: u8 = 0x01;
const TRUE: u8 = 0x02;
const INT: u8 = 0x03;
const BIG: u8 = 0x04;
const FLOAT: u8 = 0x05;
const STRING: u8 = 0x06;
const JSON: u8 = 0x07;

/// Whether stored data is a binary object (else it is JSON text).
#[inline]
pub(crate) fn is_binary(bytes: &[u8]) -> bool {
    bytes.first() == Some(&MARK)
}

/// Appends `data` as stored: a binary object when it is an object, else JSON text. An
/// error only from the JSON writer, which a `Value` does not give.
pub(crate) fn encode_into(out: &mut Vec<u8>, data: &Value) -> Result<(), String> {
    match data {
        Value::Object(map) => encode_sorted_into(out, map.iter().map(|(k, v)| (k.as_str(), v))),
        other => serde_json::to_writer(&mut *out, other).map_err(|e| e.to_string()),
    }
}

/// Appends the binary object of `entries`, whose keys must strictly ascend (as a map holds
/// them); an error naming the key when they do not.
pub(crate) fn encode_sorted_into<'a>(
    out: &mut Vec<u8>,
    entries: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Result<(), String> {
    let start = out.len();
    out.push(MARK);
    // The count is written once the fields are: reserve its usual one byte, and move the
    // fields along in the rare case it takes more.
    out.push(0);
    let fields_at = out.len();
    let mut n = 0u64;
    let mut last: Option<&str> = None;
    for (key, value) in entries {
        if last.is_some_and(|l| l >= key) {
            let reason = format!(
                "key {key:?} is not after {:?}: keys must ascend",
                last.unwrap_or_default()
            );
            out.truncate(start);
            return Err(reason);
        }
        last = Some(key);
        n += 1;
        put_varint(out, key.len() as u64);
        out.extend_from_slice(key.as_bytes());
        if let Err(e) = put_value(out, value) {
            out.truncate(start);
            return Err(e);
        }
    }
    if n < 0x80 {
        out[fields_at - 1] = n as u8;
    } else {
        let mut count = Vec::new();
        put_varint(&mut count, n);
        out.splice(fields_at - 1..fields_at, count);
    }
    debug_assert!(decode(&out[start..]).is_ok(), "binary data decodes");
    Ok(())
}

/// Appends one field's tag and value.
fn put_value(out: &mut Vec<u8>, value: &Value) -> Result<(), String> {
    match value {
        Value::Null => out.push(NULL),
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push(INT);
                put_varint(out, zigzag(i.cast_unsigned()));
            } else if let Some(u) = n.as_u64() {
                out.push(BIG);
                put_varint(out, u);
            } else {
                // A `Number` that is neither integer holds a finite float.
                let x = n.as_f64().ok_or("a number that is no float")?;
                out.push(FLOAT);
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        Value::String(s) => {
            out.push(STRING);
            put_varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Array(_) | Value::Object(_) => {
            let text = serde_json::to_vec(value).map_err(|e| e.to_string())?;
            out.push(JSON);
            put_varint(out, text.len() as u64);
            out.extend_from_slice(&text);
        }
    }
    Ok(())
}

/// One field's value in a binary object, borrowed from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Field<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    Big(u64),
    Float(f64),
    Str(&'a str),
    /// A list or a map, as JSON text (checked to start as one, not parsed).
    Json(&'a [u8]),
}

impl Field<'_> {
    /// The value as JSON; `None` for a tag `07` text that does not parse.
    pub(crate) fn to_json(self) -> Option<Value> {
        Some(match self {
            Field::Null => Value::Null,
            Field::Bool(b) => Value::Bool(b),
            Field::Int(i) => Value::from(i),
            Field::Big(u) => Value::from(u),
            Field::Float(x) => Value::Number(Number::from_f64(x)?),
            Field::Str(s) => Value::String(s.to_string()),
            Field::Json(text) => serde_json::from_slice(text).ok()?,
        })
    }
}

/// Reads the value at `*at` (after its key), advancing past it; `None` if damaged. Strings
/// are checked as UTF-8 only when `check_text` (a reader that skips the value need not).
/// Always inlined: returned through memory, the field was copied through the stack in
/// halves that the next load straddled (a stall per field read).
#[expect(
    clippy::inline_always,
    reason = "measured: a stall per field read otherwise"
)]
#[inline(always)]
fn get_value<'a>(b: &'a [u8], at: &mut usize, check_text: bool) -> Option<Field<'a>> {
    let tag = *b.get(*at)?;
    *at += 1;
    Some(match tag {
        NULL => Field::Null,
        FALSE => Field::Bool(false),
        TRUE => Field::Bool(true),
        INT => Field::Int(unzigzag(get_varint(b, at)?).cast_signed()),
        BIG => {
            let u = get_varint(b, at)?;
            if i64::try_from(u).is_ok() {
                return None;
            }
            Field::Big(u)
        }
        FLOAT => {
            let bytes = b.get(*at..)?.first_chunk::<8>()?;
            *at += 8;
            let x = f64::from_le_bytes(*bytes);
            if !x.is_finite() {
                return None;
            }
            Field::Float(x)
        }
        STRING => {
            let s = get_slice(b, at)?;
            if check_text {
                Field::Str(std::str::from_utf8(s).ok()?)
            } else {
                Field::Str("")
            }
        }
        JSON => {
            let text = get_slice(b, at)?;
            if !matches!(text.first(), Some(b'[' | b'{')) {
                return None;
            }
            Field::Json(text)
        }
        _ => return None,
    })
}

/// Reads `v(length)` and that many bytes at `*at`, advancing past them.
#[inline]
fn get_slice<'a>(b: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let len = usize::try_from(get_varint(b, at)?).ok()?;
    let end = at.checked_add(len)?;
    let s = b.get(*at..end)?;
    *at = end;
    Some(s)
}

/// Calls `f(key, value)` for each field of the binary object `b`, in order; `None` if it
/// is damaged (the fields before the damage have been passed to `f`). Checks invariants 1
/// and 3 on every field and 2 when `check_order`; keys are checked as UTF-8 only then
/// (a reader compares them with the keys it wants, which are).
#[inline]
fn each_field<'a>(
    b: &'a [u8],
    check_order: bool,
    mut f: impl FnMut(&'a [u8], &mut usize) -> Option<()>,
) -> Option<()> {
    if b.first() != Some(&MARK) {
        return None;
    }
    let mut at = 1;
    let n = get_varint(b, &mut at)?;
    let mut last: Option<&[u8]> = None;
    for _ in 0..n {
        let key = get_slice(b, &mut at)?;
        if check_order {
            std::str::from_utf8(key).ok()?;
            if last.is_some_and(|l| l >= key) {
                return None;
            }
            last = Some(key);
        }
        f(key, &mut at)?;
    }
    (at == b.len()).then_some(())
}

/// The fields `keys` of the binary object `b`, in `keys` order (`None` for one it lacks),
/// each made by `make` in its slot of `out` (`keys.len()` long, replacing what it held);
/// `None` if `b` is damaged or `make` gives up. Every field is gone over (so damage
/// anywhere is found); a field's value is checked whole only when it is wanted. (`make`
/// writes the slot itself: returning a value the size of a property through the closure
/// made the compiler copy it through the stack in halves that the next load straddled.)
#[inline]
pub(crate) fn fields_into<'a, T>(
    b: &'a [u8],
    keys: &[&str],
    out: &mut [Option<T>],
    make: impl Fn(Field<'a>, &mut Option<T>) -> Option<()>,
) -> Option<()> {
    debug_assert_eq!(out.len(), keys.len());
    for slot in out.iter_mut().filter(|s| s.is_some()) {
        *slot = None;
    }
    each_field(b, false, |key, at| {
        match keys.iter().position(|k| same_bytes(k.as_bytes(), key)) {
            Some(i) => make(get_value(b, at, true)?, out.get_mut(i)?)?,
            None => {
                get_value(b, at, false)?;
            }
        }
        Some(())
    })
}

/// Whether two keys are equal: a loop the compiler keeps inline (keys are short, and a
/// call to `memcmp` per field and wanted key cost more than the comparison).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Decodes stored data, binary or JSON text, checking it whole; the reason when it does
/// not decode.
pub(crate) fn decode(bytes: &[u8]) -> Result<Value, String> {
    if !is_binary(bytes) {
        return serde_json::from_slice(bytes).map_err(|e| format!("data is not JSON: {e}"));
    }
    let mut map = Map::new();
    each_field(bytes, true, |key, at| {
        let value = get_value(bytes, at, true)?.to_json()?;
        map.insert(std::str::from_utf8(key).ok()?.to_string(), value);
        Some(())
    })
    .ok_or_else(|| "binary data is damaged".to_string())?;
    Ok(Value::Object(map))
}

/// The JSON text of stored data: JSON text as it is (checked as UTF-8, not parsed), a
/// binary object written out field by field (no `Value` built), checked whole as
/// [`decode`] checks it.
pub(crate) fn to_json_text(bytes: &[u8]) -> Result<String, String> {
    if !is_binary(bytes) {
        return String::from_utf8(bytes.to_vec()).map_err(|_| "data is not UTF-8".to_string());
    }
    let damaged = || "binary data is damaged".to_string();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + bytes.len() / 2);
    out.push(b'{');
    each_field(bytes, true, |key, at| {
        if out.len() > 1 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, std::str::from_utf8(key).ok()?).ok()?;
        out.push(b':');
        match get_value(bytes, at, true)? {
            Field::Json(text) => {
                // Checked to parse, as a full decode checks it.
                serde_json::from_slice::<serde::de::IgnoredAny>(text).ok()?;
                out.extend_from_slice(text);
            }
            field => serde_json::to_writer(&mut out, &field.to_json()?).ok()?,
        }
        Some(())
    })
    .ok_or_else(damaged)?;
    out.push(b'}');
    String::from_utf8(out).map_err(|_| damaged())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn to_json_in(f: Field<'_>, slot: &mut Option<Value>) -> Option<()> {
        *slot = Some(f.to_json()?);
        Some(())
    }

    fn encoded(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode_into(&mut out, v).expect("encodes");
        out
    }

    /// A random JSON value: scalars of every kind at the top of objects, lists and maps
    /// below, keys with escapes and non-ASCII text.
    fn random_value(rng: &mut fastrand::Rng, depth: u32) -> Value {
        match rng.u8(0..10) {
            0 => Value::Null,
            1 => Value::Bool(rng.bool()),
            2 => Value::from(rng.i64(..) >> rng.u32(0..64)),
            3 => Value::from(u64::MAX - rng.u64(0..1000)),
            4 => Value::from(f64::from_bits(rng.u64(..)).clamp(-1e300, 1e300)),
            5 => Value::from(["", "a", "é\"\\\n", "x".repeat(200).as_str()][rng.usize(0..4)]),
            6 if depth < 3 => Value::Array(
                (0..rng.usize(0..4))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
            ),
            7 if depth < 3 => random_object(rng, depth + 1),
            _ => Value::from(rng.f64()),
        }
    }

    fn random_object(rng: &mut fastrand::Rng, depth: u32) -> Value {
        let keys = ["", "a", "b", "age", "city", "\u{0}date", "ключ", "k\"q"];
        Value::Object(
            (0..rng.usize(0..12))
                .map(|i| {
                    let key = format!("{}{}", keys[rng.usize(0..keys.len())], i % 3);
                    (key, random_value(rng, depth))
                })
                .collect(),
        )
    }

    #[test]
    fn objects_are_binary_and_everything_round_trips() {
        let mut rng = fastrand::Rng::with_seed(23);
        for _ in 0..3000 {
            let v = if rng.bool() {
                random_object(&mut rng, 0)
            } else {
                random_value(&mut rng, 0)
            };
            let b = encoded(&v);
            assert_eq!(is_binary(&b), v.is_object(), "{v}");
            assert_eq!(decode(&b).as_ref(), Ok(&v));
            assert_eq!(
                serde_json::from_str::<Value>(&to_json_text(&b).expect("text")).ok(),
                Some(v.clone())
            );
            // Every field read alone, and two together, as the full decode has them.
            if let Value::Object(map) = &v {
                let keys: Vec<&str> = map.keys().map(String::as_str).chain(["absent"]).collect();
                let mut out = vec![None; keys.len()];
                fields_into(&b, &keys, &mut out, to_json_in).expect("fields");
                for (k, got) in keys.iter().zip(&out) {
                    assert_eq!(got.as_ref(), map.get(*k), "{k}");
                }
            }
        }
        // JSON text stays as it was written (format 6 data).
        let text = br#"{"b": 1, "a": [1, 2]}"#;
        assert_eq!(decode(text), Ok(json!({"a": [1, 2], "b": 1})));
        assert_eq!(encoded(&Value::Null), b"null");
        assert_eq!(encoded(&json!({})), [MARK, 0]);
        // A count of over 127 fields takes two bytes.
        let many: Map<String, Value> = (0..300).map(|i| (format!("{i:04}"), json!(i))).collect();
        let b = encoded(&Value::Object(many.clone()));
        assert_eq!(decode(&b), Ok(Value::Object(many)));
    }

    #[test]
    fn keys_out_of_order_are_refused_on_write() {
        let (one, two) = (json!(1), json!(2));
        let mut out = vec![9];
        assert!(encode_sorted_into(&mut out, [("b", &one), ("a", &two)]).is_err());
        assert!(encode_sorted_into(&mut out, [("a", &one), ("a", &two)]).is_err());
        assert_eq!(out, [9], "nothing left behind");
        encode_sorted_into(&mut out, [("a", &one), ("b", &two)]).expect("ascending");
        assert_eq!(decode(&out[1..]), Ok(json!({"a": 1, "b": 2})));
    }

    /// Damage never panics, and whatever decodes is what the bytes say: a full decode
    /// refuses repeated or misordered keys, non-UTF-8 keys and strings, non-finite floats,
    /// small integers tagged big, tag 7 texts that are not lists or maps, lengths past the
    /// end and bytes after the last field; a field read finds damage in any field.
    #[test]
    fn damaged_binary_data_is_refused_not_misread() {
        let mut rng = fastrand::Rng::with_seed(29);
        let crafted: Vec<Vec<u8>> = vec![
            vec![MARK, 2, 1, b'a', NULL, 1, b'a', NULL],
            vec![MARK, 2, 1, b'b', NULL, 1, b'a', NULL],
            vec![MARK, 1, 1, 0xff, NULL],
            vec![MARK, 1, 1, b'a', STRING, 1, 0xff],
            vec![MARK, 1, 1, b'a', FLOAT, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f],
            vec![MARK, 1, 1, b'a', BIG, 5],
            vec![MARK, 1, 1, b'a', JSON, 1, b'1'],
            vec![MARK, 1, 1, b'a', JSON, 9, b'['],
            vec![MARK, 1, 1, b'a', NULL, 0],
            vec![MARK, 2, 1, b'a', NULL],
            vec![MARK, 1, 1, b'a', 0x08],
            vec![MARK, 0x80],
        ];
        for b in &crafted {
            assert!(decode(b).is_err(), "{b:?}");
        }
        // Bit flips, cuts and insertions in valid objects.
        for _ in 0..20_000 {
            let v = random_object(&mut rng, 1);
            let mut b = encoded(&v);
            match rng.u8(0..3) {
                0 => {
                    let at = rng.usize(..b.len());
                    b[at] ^= 1 << rng.u32(0..8);
                }
                1 => b.truncate(rng.usize(..b.len())),
                _ => b.insert(rng.usize(..=b.len()), rng.u8(..)),
            }
            let whole = decode(&b);
            let keys = ["a0", "b1", "age2"];
            let mut out = vec![None; keys.len()];
            let read = fields_into(&b, &keys, &mut out, to_json_in);
            if let Ok(Value::Object(map)) = &whole {
                // Still well formed: the read agrees with the decode.
                if is_binary(&b) {
                    assert!(read.is_some());
                    for (k, got) in keys.iter().zip(&out) {
                        assert_eq!(got.as_ref(), map.get(*k));
                    }
                }
            }
        }
    }
}
