//! Some fields of stored data, read without building the rest: JSON text here, binary
//! objects (graph format 7) by `data.rs`, chosen by the data's first byte.
//!
//! Index upkeep needs one or two properties of each node it reads. Decoding the whole data
//! into a `serde_json::Value` (a map node, a `String` per key and per string value) costs
//! several times more than finding those fields, so [`data_fields`] runs the same parser as
//! `record::decode_data` over the text, builds the wanted fields' values exactly as a full
//! decode builds them, and only checks and skips the others.
//!
//! Most stored data is a flat object of ASCII text: plain keys, scalar values. A small
//! scanner reads that shape (`flat_fields`, about five times faster than the parser even
//! when the parser skips what it can) and hands anything else, well-formed or not, to the
//! parser, so the result and the errors are the parser's.
//!
//! Both accept what `decode_data` accepts, with one exception: a number in a skipped field
//! that is too large for a float (`1e400`) is skipped, where a full decode refuses it.
//! pagegraph never writes one (data is written from a `Value`, whose numbers are finite), so
//! only damage can show it, and `check` decodes every record whole.

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::error::{GraphError, Result};
use crate::value::{PropertyRef, PropertyValue};

/// The values of the fields `keys` of stored data (`bytes`, JSON text), in `keys` order,
/// `None` for a field the object lacks, when the data is a JSON object; `Ok(None)` when it
/// is another JSON value (decode that whole with `record::decode_data`). A repeated field
/// keeps its last value, as a full decode does. Damage is reported as `decode_data` reports
/// it, naming the record `what` `id`.
pub(crate) fn data_fields(
    what: &'static str,
    id: impl ToString,
    bytes: &[u8],
    keys: &[&str],
) -> Result<Option<Vec<Option<Value>>>> {
    if crate::data::is_binary(bytes) {
        let mut out = vec![None; keys.len()];
        let to_json = |f: crate::data::Field<'_>, slot: &mut Option<Value>| {
            *slot = Some(f.to_json()?);
            Some(())
        };
        return match crate::data::fields_into(bytes, keys, &mut out, to_json) {
            Some(()) => Ok(Some(out)),
            None => Err(GraphError::corrupt(
                what,
                id.to_string(),
                "binary data is damaged",
            )),
        };
    }
    if let Some(values) = flat_fields(bytes, keys) {
        return Ok(Some(values));
    }
    let not_json = |reason: String| {
        GraphError::corrupt(what, id.to_string(), format!("data is not JSON: {reason}"))
    };
    let text = std::str::from_utf8(bytes).map_err(|e| not_json(e.to_string()))?;
    if !text.trim_start().starts_with('{') {
        return Ok(None);
    }
    parsed_fields(text, keys)
        .map(Some)
        .map_err(|e| not_json(e.to_string()))
}

/// The fields `keys` of the JSON object `text`, read by the parser.
fn parsed_fields(text: &str, keys: &[&str]) -> serde_json::Result<Vec<Option<Value>>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let values = Fields { keys }.deserialize(&mut de)?;
    de.end()?;
    Ok(values)
}

/// The fields `keys` of `b` when it is a JSON object of ASCII text whose keys have no
/// escapes and whose values are scalars other than strings with `\u` escapes; `None` for
/// anything else, including every malformed text (which the parser then refuses). Wanted
/// values other than plain strings are parsed by the parser, from their own bytes.
fn flat_fields(b: &[u8], keys: &[&str]) -> Option<Vec<Option<Value>>> {
    let mut out = vec![None; keys.len()];
    flat_fields_as(b, keys, &mut out, |text, plain| {
        Some(if plain {
            let inner = text.get(1..text.len() - 1)?;
            Value::String(std::str::from_utf8(inner).ok()?.to_string())
        } else if let Some(n) = small_integer(text) {
            Value::from(n)
        } else {
            serde_json::from_slice(text).ok()?
        })
    })
    .map(|()| out)
}

/// The fields `keys` of `b` as borrowed property values, into `out` (`keys.len()` long,
/// replacing what it held), where [`flat_fields`] reads `b`; `None` (and `out`
/// unspecified) otherwise, and for a wanted value that is no property value. A field that
/// is JSON `null` is `Some(Null)`.
pub(crate) fn flat_property_refs<'a>(
    b: &'a [u8],
    keys: &[&str],
    out: &mut [Option<PropertyRef<'a>>],
) -> Option<()> {
    if crate::data::is_binary(b) {
        return crate::data::fields_into(b, keys, out, |field, slot| {
            use crate::data::Field;
            *slot = Some(match field {
                Field::Null => PropertyRef::Null,
                Field::Bool(b) => PropertyRef::Bool(b),
                Field::Int(i) => PropertyRef::Int(i),
                Field::Float(x) => PropertyRef::Float(x),
                Field::Str(s) => PropertyRef::Str(s),
                other => PropertyRef::from(PropertyValue::from_json(&other.to_json()?).ok()?),
            });
            Some(())
        });
    }
    flat_fields_as(b, keys, out, |text, plain| {
        Some(if plain {
            PropertyRef::Str(std::str::from_utf8(text.get(1..text.len() - 1)?).ok()?)
        } else if let Some(n) = small_integer(text) {
            PropertyRef::Int(n)
        } else if let Some(x) = plain_float(text) {
            PropertyRef::Float(x)
        } else {
            PropertyRef::from(PropertyValue::from_json(&serde_json::from_slice(text).ok()?).ok()?)
        })
    })
}

/// [`flat_fields`] into `out` (`keys.len()` long, replacing what it held), with each
/// wanted value made by `make(text, plain)` from its JSON text (`plain`: a string without
/// escapes, quotes included); `None` from `make` gives up, and then `out` is unspecified.
fn flat_fields_as<'a, T: Clone>(
    b: &'a [u8],
    keys: &[&str],
    out: &mut [Option<T>],
    make: impl Fn(&'a [u8], bool) -> Option<T>,
) -> Option<()> {
    debug_assert_eq!(out.len(), keys.len());
    // Cleared where filled (callers mostly pass fresh slots, and a `fill` writes each).
    for slot in out.iter_mut().filter(|s| s.is_some()) {
        *slot = None;
    }
    let mut at = skip_ws(b, 0);
    if *b.get(at)? != b'{' {
        return None;
    }
    at = skip_ws(b, at + 1);
    if *b.get(at)? == b'}' {
        return (skip_ws(b, at + 1) == b.len()).then_some(());
    }
    loop {
        let (key_end, escaped) = string_end(b, at)?;
        if escaped {
            return None;
        }
        let key = b.get(at + 1..key_end - 1)?;
        at = skip_ws(b, key_end);
        if *b.get(at)? != b':' {
            return None;
        }
        at = skip_ws(b, at + 1);
        let (end, plain) = scalar_end(b, at)?;
        if let Some(slot) = keys
            .iter()
            .position(|k| k.as_bytes() == key)
            .and_then(|i| out.get_mut(i))
        {
            *slot = Some(make(b.get(at..end)?, plain)?);
        }
        at = skip_ws(b, end);
        match *b.get(at)? {
            b',' => at = skip_ws(b, at + 1),
            b'}' => return (skip_ws(b, at + 1) == b.len()).then_some(()),
            _ => return None,
        }
    }
}

/// The value of `text` when it is a JSON integer of at most 18 digits other than `-0`, as the
/// parser reads it (a non-negative one as unsigned, `-0` as a float: left to the parser).
fn small_integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, text),
    };
    let leading_zero = digits.len() > 1 && digits[0] == b'0';
    if digits.is_empty()
        || digits.len() > 18
        || leading_zero
        || !digits.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    // At most 18 digits: below 2^63.
    let n = i64::try_from(n).ok()?;
    match (negative, n) {
        (false, n) => Some(n),
        (true, 0) => None,
        (true, n) => Some(-n),
    }
}

/// The value of `text` when it is a JSON number with a fraction or an exponent whose value
/// is finite, as the parser reads it: both round correctly to the nearest float. (`1e400`
/// and other numbers out of range are left to the parser, which refuses them.)
fn plain_float(text: &[u8]) -> Option<f64> {
    if !text.iter().any(|c| matches!(c, b'.' | b'e' | b'E')) {
        return None;
    }
    let x: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    x.is_finite().then_some(x)
}

/// The first position at or after `at` that is not JSON whitespace.
fn skip_ws(b: &[u8], mut at: usize) -> usize {
    while matches!(b.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The end of the scalar at `at` (exclusive) and whether it is a string without escapes;
/// `None` for a container or anything the fast path leaves to the parser.
fn scalar_end(b: &[u8], at: usize) -> Option<(usize, bool)> {
    match *b.get(at)? {
        b'"' => string_end(b, at).map(|(end, escaped)| (end, !escaped)),
        b't' => literal_end(b, at, b"true"),
        b'f' => literal_end(b, at, b"false"),
        b'n' => literal_end(b, at, b"null"),
        _ => number_end(b, at).map(|end| (end, false)),
    }
}

fn literal_end(b: &[u8], at: usize, word: &[u8]) -> Option<(usize, bool)> {
    let end = at + word.len();
    (b.get(at..end)? == word).then_some((end, false))
}

/// The end of the string whose opening quote is at `at` (past the closing quote), and
/// whether it has escapes. Only ASCII text without control characters, and the escapes
/// that stand for one character (`\n`, `\"`, ...; not `\u`, whose surrogates the parser
/// checks).
fn string_end(b: &[u8], at: usize) -> Option<(usize, bool)> {
    if *b.get(at)? != b'"' {
        return None;
    }
    let mut escaped = false;
    let mut i = at + 1;
    loop {
        i += plain_run(b.get(i..)?);
        match *b.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => {
                if !matches!(
                    b.get(i + 1)?,
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't'
                ) {
                    return None;
                }
                escaped = true;
                i += 2;
            }
            0x20..=0x7f => i += 1,
            _ => return None,
        }
    }
}

/// How many bytes `b` starts with that a string holds as they are: ASCII from space up,
/// other than `"` and `\`. Eight bytes at a time: a byte is flagged when it is below
/// `0x20`, has its high bit set, or equals one of the two (the lowest flagged byte of a word
/// is exact; borrows only flag bytes above it).
fn plain_run(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_in = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut n = 0;
    while let Some(chunk) = b.get(n..).and_then(<[u8]>::first_chunk::<8>) {
        let x = u64::from_le_bytes(*chunk);
        let flagged = zero_in(x ^ (ONES * u64::from(b'"')))
            | zero_in(x ^ (ONES * u64::from(b'\\')))
            | x.wrapping_sub(ONES * 0x20) & !x & HIGH
            | x & HIGH;
        if flagged != 0 {
            return n + (flagged.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n
}

/// The end of the JSON number at `at`: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn number_end(b: &[u8], at: usize) -> Option<usize> {
    let digits = |from: usize| {
        let mut i = from;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > from).then_some(i)
    };
    let mut i = at;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match *b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i)?,
        _ => return None,
    };
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(i)?;
    }
    Some(i)
}

/// Reads a JSON object, keeping the values of `keys`.
struct Fields<'k> {
    keys: &'k [&'k str],
}

impl<'de> DeserializeSeed<'de> for Fields<'_> {
    type Value = Vec<Option<Value>>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Fields<'_> {
    type Value = Vec<Option<Value>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = vec![None; self.keys.len()];
        while let Some(slot) = map.next_key_seed(Slot { keys: self.keys })? {
            match slot.and_then(|i| out.get_mut(i)) {
                Some(value) => *value = Some(map.next_value::<Value>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// Reads an object's key: its position in `keys`, if it is one of them.
struct Slot<'k> {
    keys: &'k [&'k str],
}

impl<'de> DeserializeSeed<'de> for Slot<'_> {
    type Value = Option<usize>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Slot<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(self.keys.iter().position(|k| *k == s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::decode_data;

    /// The fields as a full decode gives them.
    fn full(text: &str, keys: &[&str]) -> Option<Vec<Option<Value>>> {
        let v = decode_data("node", 1, text.as_bytes()).ok()?;
        let obj = v.as_object()?;
        Some(keys.iter().map(|k| obj.get(*k).cloned()).collect())
    }

    #[test]
    fn fields_read_as_a_full_decode_reads_them() {
        let keys = ["a", "b", "c\"q", "missing"];
        let texts = [
            r#"{"a": 1, "b": [1, {"x": "y"}], "c\"q": 2.5, "z": null}"#,
            r#"{"a": 1, "a": "two", "b": null}"#,
            r#" { "z": {"a": 3}, "b": "\u00e9\n", "a": -0.0 } "#,
            r#"{"big": 18446744073709551615, "a": 12345678901234567890, "b": 1e-320}"#,
            "{}",
        ];
        for text in texts {
            let got = data_fields("node", 1, text.as_bytes(), &keys).unwrap();
            assert_eq!(got, full(text, &keys), "{text}");
        }
        for other in ["42", "null", "[1]", "\"s\"", " true"] {
            assert_eq!(
                data_fields("node", 1, other.as_bytes(), &keys).unwrap(),
                None
            );
        }
    }

    /// [`flat_property_refs`] answers only where [`flat_fields`] does, and then with its
    /// values converted; it gives up where a wanted value is no property value.
    fn check_properties(b: &[u8], keys: &[&str]) {
        let mut refs = vec![None; keys.len()];
        let props: Option<Vec<Option<PropertyValue>>> =
            flat_property_refs(b, keys, &mut refs).map(|()| {
                refs.iter()
                    .map(|r| r.as_ref().map(PropertyRef::to_value))
                    .collect()
            });
        let Some(fields) = flat_fields(b, keys) else {
            assert!(props.is_none(), "{}", String::from_utf8_lossy(b));
            return;
        };
        let converted: Option<Vec<Option<PropertyValue>>> = fields
            .iter()
            .map(|f| match f {
                None => Some(None),
                Some(v) => PropertyValue::from_json(v).ok().map(Some),
            })
            .collect();
        // It may give up where a later field replaces the value that is no property value.
        if props.is_some() || converted.is_none() {
            assert_eq!(props, converted, "{}", String::from_utf8_lossy(b));
        }
    }

    /// The fast path agrees with the parser wherever it answers, on valid texts and on
    /// texts damaged a byte at a time.
    #[test]
    fn the_fast_path_answers_as_the_parser_does() {
        let keys = ["a", "b", "c", ""];
        let bases = [
            r#"{"a": 1, "b": "x\ny", "c": -0, "d": 1.5e-3, "": true, "e": null, "a": -12}"#,
            r#"{"a":"k000123456","b":0,"c":1e400,"z":false,"y":"\u00e9","q":123456789012345678901}"#,
            r#"{"b": [1, 2], "a": {"x": 1}, "c": "\"q\""}"#,
            r#"{"a": 0.1, "b": 18446744073709551615, "c": -9223372036854775808}"#,
        ];
        let alphabet = b"{}[]\":,.-+eE0123456789 \t\\ntrufalsebx\x01\x7f\xc3\xa9";
        let mut rng = fastrand::Rng::with_seed(11);
        let mut answered = 0;
        for base in bases {
            if let Some(fast) = flat_fields(base.as_bytes(), &keys) {
                assert_eq!(Some(fast), parsed_fields(base, &keys).ok(), "{base}");
            }
            check_properties(base.as_bytes(), &keys);
            for _ in 0..20_000 {
                let mut b = base.as_bytes().to_vec();
                for _ in 0..rng.usize(1..3) {
                    let at = rng.usize(..b.len());
                    let c = alphabet[rng.usize(..alphabet.len())];
                    match rng.u8(0..3) {
                        0 => b[at] = c,
                        1 => b.insert(at, c),
                        _ => {
                            b.remove(at);
                        }
                    }
                }
                if let Some(fast) = flat_fields(&b, &keys) {
                    answered += 1;
                    let text = std::str::from_utf8(&b).unwrap();
                    assert_eq!(
                        Some(&fast),
                        parsed_fields(text, &keys).ok().as_ref(),
                        "{text}"
                    );
                }
                check_properties(&b, &keys);
            }
        }
        assert!(
            answered > 5_000,
            "the fast path answered only {answered} texts"
        );
    }

    #[test]
    fn plain_runs_and_small_integers_agree_with_their_definitions() {
        let mut rng = fastrand::Rng::with_seed(5);
        let alphabet = b"ab \x1f\x20\x7f\x80\xff\"\\\x00z9";
        for _ in 0..20_000 {
            let b: Vec<u8> = (0..rng.usize(0..40))
                .map(|_| {
                    if rng.bool() {
                        alphabet[rng.usize(..alphabet.len())]
                    } else {
                        rng.u8(..)
                    }
                })
                .collect();
            let expect = b
                .iter()
                .position(|&c| !(0x20..=0x7f).contains(&c) || c == b'"' || c == b'\\')
                .unwrap_or(b.len());
            let got = plain_run(&b);
            // The word loop stops at the last whole word: the rest is the caller's.
            assert!(
                got <= expect && expect - got < 8,
                "{b:?}: {got} vs {expect}"
            );
            if expect < b.len() / 8 * 8 {
                assert_eq!(got, expect, "{b:?}");
            }
        }
        for text in [
            "0",
            "-0",
            "7",
            "-7",
            "123456789012345678",
            "-123456789012345678",
            "1234567890123456789",
            "9223372036854775807",
            "-9223372036854775808",
            "01",
            "-",
            "1.5",
            "1e3",
            "",
        ] {
            if let Some(v) = small_integer(text.as_bytes()) {
                assert_eq!(Some(v), serde_json::from_str(text).ok(), "{text}");
            }
        }
        assert!(small_integer(b"-0").is_none());
        assert_eq!(small_integer(b"-42"), Some(-42));
    }

    /// Floats read without the parser have the parser's value, or are left to it.
    #[test]
    fn plain_floats_are_the_parsers() {
        let mut texts: Vec<String> = [
            "0.1",
            "-0.0",
            "1e-7",
            "1E5",
            "2.5e+3",
            "0.30000000000000004",
            "4.9e-324",
            "2.4703282292062328e-324",
            "2.4703282292062327e-324",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "1e400",
            "-1e400",
            "9007199254740993.0",
            "123456789012345678901234567890.5",
            "1",
            "-12",
            "0",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..20_000 {
            let x = f64::from_bits(rng.u64(..));
            if x.is_finite() {
                texts.push(format!("{x:?}"));
                texts.push(format!("{x:e}"));
                texts.push(format!("{x:.3e}"));
            }
        }
        for t in &texts {
            let parsed: Option<f64> = serde_json::from_str::<serde_json::Value>(t)
                .ok()
                .and_then(|v| v.as_f64().filter(|_| v.is_f64()));
            match plain_float(t.as_bytes()) {
                Some(x) => assert_eq!(Some(x.to_bits()), parsed.map(f64::to_bits), "{t}"),
                None => assert!(
                    parsed.is_none() || !t.contains(['.', 'e', 'E']),
                    "{t} left to the parser"
                ),
            }
        }
    }

    #[test]
    fn damage_is_refused() {
        for bad in [
            &b"{\"a\": 1"[..],
            b"{\"a\": 1} x",
            b"{\"z\": [1, 2}",
            b"{\"z\": \"\xff\"}",
            b"{\"z\": tru}",
            b"{\"a\" 1}",
        ] {
            assert!(data_fields("node", 1, bad, &["a"]).is_err(), "{bad:?}");
        }
    }
}
