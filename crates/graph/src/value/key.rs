//! Order-preserving key encoding of scalar property values, and the key ranges of predicates.
//!
//! # Format
//! A key is one type tag byte, ordered as openCypher orders the type groups (strings <
//! booleans < numbers < null), followed by the value's bytes. Multi-byte integers are
//! big-endian, as in the graph's other keys, so that `memcmp` orders them.
//!
//! | tag | value | bytes after the tag |
//! |---|---|---|
//! | `0x00`..`0x1f`, `0x26`..`0x2f` | reserved (maps, lists and graph types have no key) | |
//! | `0x20`..`0x25` | temporal value: `0x20` + its kind's rank ([`super::Temporal::kind_rank`]) | four `i64`s with the sign bit flipped, big-endian (`Temporal::sort_key`) |
//! | `0x30` | string | UTF-8 bytes with `00` written `00 ff`, then `00 00` |
//! | `0x38` | `false` | none |
//! | `0x39` | `true` | none |
//! | `0x40` | -infinity | `t` |
//! | `0x41` | negative number | `!e(2)`, `!m(1..=9)`, `t` |
//! | `0x42` | zero (`0`, `0.0` and `-0.0`) | `t` |
//! | `0x43` | positive number | `e(2)`, `m(1..=9)`, `t` |
//! | `0x44` | +infinity | `t` |
//! | `0x45` | NaN (any payload) | `t` |
//! | `0x50` | null | none |
//!
//! A finite nonzero number, integer or float, is `±2^E × (1 + F / 2^63)` exactly, with
//! `-1074 <= E <= 1023` and a 63-bit fraction `F` (an `i64` needs at most 63 bits below its
//! leading one, an `f64` at most 52):
//! - `e`: `E + 1075` as a big-endian `u16` (1 to 2098);
//! - `m`: `F` in 7-bit groups from its most significant bit, each group `g` written as the
//!   byte `g << 1 | more`, where `more` is 1 when a nonzero bit of `F` follows; so at most 9
//!   bytes, only the last has `more` = 0, and only `F` = 0 ends with a zero group (`00`);
//!   small integers need one fraction byte (`1` is `43 04 33 00 00`);
//! - for a negative number, every byte of `e` and `m` is inverted (`!`), so larger
//!   magnitudes sort first;
//! - `t`: the numeric type, `00` for an integer, `01` for a float (infinities and NaN are
//!   floats).
//!
//! # Order
//! For two keys `a` and `b`, `memcmp(enc(a), enc(b))` is [`order(a, b)`](super::order) with
//! ties between an integer and a float of the same value broken by type: `1 < 1.0` in keys,
//! and the two keys share every byte but `t`. So the keys of one numeric value are one
//! contiguous range, integers and floats mix in one number range (`x >= 2.5` is one range),
//! and wherever [`compare`](super::compare) orders two values their keys are ordered the same
//! way. The type byte is there because a key must decode to the value as stored; a lookup
//! for `= 1` still finds both types in one range ([`range_eq`]), and a unique constraint
//! that treats `1` and `1.0` as the same value checks that range. Within strings the order is Unicode code point order; a string sorts before its
//! extensions (the terminator `00 00` is below any content byte pair).
//!
//! No key is a prefix of another key, so keys concatenate into composite keys (several
//! values, then perhaps an id) that sort component by component, and every [`KeyRange`]
//! holds the keys it describes whatever bytes follow them.
//!
//! # Decoding
//! Decoding is exact: an integer comes back as the same integer, a float as the same bits,
//! except that `-0.0` comes back as `0.0` and every NaN as `f64::NAN`. Only the canonical
//! encoding of a value decodes; anything else is [`ValueError::BadKey`].

use std::cmp::Ordering;

use super::cmp::{Inequality, Number};
use super::{PropertyValue as V, ValueError};

const TAG_TEMPORAL: u8 = 0x20;
const TAG_STRING: u8 = 0x30;
const TAG_FALSE: u8 = 0x38;
const TAG_TRUE: u8 = 0x39;
const TAG_NEG_INF: u8 = 0x40;
const TAG_NEGATIVE: u8 = 0x41;
const TAG_ZERO: u8 = 0x42;
const TAG_POSITIVE: u8 = 0x43;
const TAG_POS_INF: u8 = 0x44;
const TAG_NAN: u8 = 0x45;
const TAG_NULL: u8 = 0x50;

const TYPE_INT: u8 = 0x00;
const TYPE_FLOAT: u8 = 0x01;

/// Added to the binary exponent so that the smallest, -1074, is stored as 1.
const EXP_BIAS: i32 = 1075;
/// Binary exponent of the smallest subnormal float and of the largest finite float.
const EXP_MIN: i32 = -1074;
const EXP_MAX: i32 = 1023;
/// Most bytes of the fraction: 9 groups of 7 bits hold 63 bits.
const FRACTION_BYTES_MAX: usize = 9;

/// Appends the key of `value` to `out`; returns false, leaving `out` unchanged, for a list
/// or a map (they have no key).
pub fn encode_key(value: &V, out: &mut Vec<u8>) -> bool {
    if !encode_prefix(value, out) {
        return false;
    }
    match value {
        V::Int(_) => out.push(TYPE_INT),
        V::Float(_) => out.push(TYPE_FLOAT),
        _ => {}
    }
    true
}

/// Whether `key` starts with the key of a number (its tag byte alone decides).
pub(crate) fn is_number_key(key: &[u8]) -> bool {
    key.first()
        .is_some_and(|tag| (TAG_NEG_INF..=TAG_NAN).contains(tag))
}

/// Appends every byte of the key but the numeric type byte: the prefix shared by the keys
/// of all values equal to `value`.
fn encode_prefix(value: &V, out: &mut Vec<u8>) -> bool {
    match value {
        V::Null => out.push(TAG_NULL),
        V::Bool(false) => out.push(TAG_FALSE),
        V::Bool(true) => out.push(TAG_TRUE),
        V::String(s) => {
            out.push(TAG_STRING);
            escape(s.as_bytes(), out);
            out.extend_from_slice(&[0, 0]);
        }
        V::Int(i) => encode_number(int_parts(*i), out),
        V::Float(f) => encode_number(float_parts(*f), out),
        V::Temporal(t) => {
            let (rank, first, second, third, fourth) = t.sort_key();
            out.push(TAG_TEMPORAL + rank);
            for x in [first, second, third, fourth] {
                out.extend_from_slice(&(x.cast_unsigned() ^ (1 << 63)).to_be_bytes());
            }
        }
        V::List(_) | V::Map(_) => return false,
    }
    true
}

/// About the length of `value`'s key prefix (exact for strings without zero bytes), so
/// it is encoded into one allocation.
fn encoded_len_hint(value: &V) -> usize {
    match value {
        V::String(s) => s.len() + 3,
        _ => 16,
    }
}

fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    if !bytes.contains(&0) {
        out.extend_from_slice(bytes);
        return;
    }
    for &b in bytes {
        if b == 0 {
            out.extend_from_slice(&[0, 0xff]);
        } else {
            out.push(b);
        }
    }
}

/// A number split for encoding.
enum Parts {
    NegInf,
    Zero,
    PosInf,
    NaN,
    /// `±2^exp × (1 + fraction / 2^64)`: `fraction` holds the 63 bits below the leading one
    /// in its top 63 bits (bit 0 is always clear).
    Finite {
        negative: bool,
        exp: i32,
        fraction: u64,
    },
}

fn int_parts(i: i64) -> Parts {
    let magnitude = i.unsigned_abs();
    if magnitude == 0 {
        return Parts::Zero;
    }
    let zeros = magnitude.leading_zeros();
    Parts::Finite {
        negative: i < 0,
        // `zeros` is at most 63.
        exp: 63 - zeros.cast_signed(),
        fraction: (magnitude << zeros) << 1,
    }
}

fn float_parts(f: f64) -> Parts {
    if f.is_nan() {
        return Parts::NaN;
    }
    if f.is_infinite() {
        return if f < 0.0 {
            Parts::NegInf
        } else {
            Parts::PosInf
        };
    }
    if f == 0.0 {
        return Parts::Zero;
    }
    let bits = f.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let field = bits & ((1 << 52) - 1);
    let (exp, mantissa) = if biased == 0 {
        // Subnormal: `field × 2^-1074`, `field` nonzero.
        let zeros = field.leading_zeros();
        (63 - zeros.cast_signed() + EXP_MIN, field << zeros)
    } else {
        (biased - 1023, (field | 1 << 52) << 11)
    };
    Parts::Finite {
        negative: f < 0.0,
        exp,
        fraction: mantissa << 1,
    }
}

fn encode_number(parts: Parts, out: &mut Vec<u8>) {
    match parts {
        Parts::NegInf => out.push(TAG_NEG_INF),
        Parts::Zero => out.push(TAG_ZERO),
        Parts::PosInf => out.push(TAG_POS_INF),
        Parts::NaN => out.push(TAG_NAN),
        Parts::Finite {
            negative,
            exp,
            fraction,
        } => {
            let flip = if negative { 0xff } else { 0 };
            out.push(if negative { TAG_NEGATIVE } else { TAG_POSITIVE });
            // In range: `exp` is within [EXP_MIN, EXP_MAX].
            let stored = (exp + EXP_BIAS).cast_unsigned() as u16;
            out.extend(stored.to_be_bytes().iter().map(|b| b ^ flip));
            let mut rest = fraction;
            loop {
                let group = (rest >> 57) as u8;
                rest <<= 7;
                let more = u8::from(rest != 0);
                out.push((group << 1 | more) ^ flip);
                if more == 0 {
                    break;
                }
            }
        }
    }
}

/// Decodes the key at the start of `bytes`; returns the value and the bytes after its key.
pub fn decode_key(bytes: &[u8]) -> Result<(V, &[u8]), ValueError> {
    let mut reader = Reader { bytes, pos: 0 };
    let value = match reader.byte()? {
        TAG_NULL => V::Null,
        TAG_FALSE => V::Bool(false),
        TAG_TRUE => V::Bool(true),
        TAG_STRING => V::String(reader.string()?),
        tag @ TAG_NEG_INF..=TAG_NAN => reader.number(tag)?,
        tag @ TAG_TEMPORAL..=0x25 => {
            let mut k = [0_i64; 4];
            for x in &mut k {
                let mut b = [0_u8; 8];
                for byte in &mut b {
                    *byte = reader.byte()?;
                }
                *x = (u64::from_be_bytes(b) ^ (1 << 63)).cast_signed();
            }
            V::Temporal(
                super::Temporal::from_sort_key(tag - TAG_TEMPORAL, k)
                    .ok_or_else(|| reader.error("not a temporal value's key"))?,
            )
        }
        _ => return Err(reader.error("unknown type tag")),
    };
    Ok((value, bytes.get(reader.pos..).unwrap_or_default()))
}

/// The length of the key at the start of `bytes`, found without building its value (a
/// string key is scanned, not copied).
pub(crate) fn key_len(bytes: &[u8]) -> Result<usize, ValueError> {
    if bytes.first() != Some(&TAG_STRING) {
        let (_, rest) = decode_key(bytes)?;
        return Ok(bytes.len() - rest.len());
    }
    let bad = |offset: usize, reason| ValueError::BadKey { offset, reason };
    let mut i = 1;
    loop {
        match bytes.get(i) {
            Some(0) => match bytes.get(i + 1) {
                Some(0) => return Ok(i + 2),
                Some(0xff) => i += 2,
                Some(_) => return Err(bad(i + 1, "bad escape in string")),
                None => return Err(bad(i, "key ends early")),
            },
            Some(_) => i += 1,
            None => return Err(bad(i.saturating_sub(1), "key ends early")),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, ValueError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.error("key ends early"))?;
        self.pos += 1;
        Ok(b)
    }

    /// An error about the byte last read.
    fn error(&self, reason: &'static str) -> ValueError {
        ValueError::BadKey {
            offset: self.pos.saturating_sub(1),
            reason,
        }
    }

    fn string(&mut self) -> Result<String, ValueError> {
        let start = self.pos;
        let mut text = Vec::new();
        loop {
            match self.byte()? {
                0 => match self.byte()? {
                    0 => break,
                    0xff => text.push(0),
                    _ => return Err(self.error("bad escape in string")),
                },
                b => text.push(b),
            }
        }
        String::from_utf8(text).map_err(|_| ValueError::BadKey {
            offset: start,
            reason: "string is not UTF-8",
        })
    }

    fn number(&mut self, tag: u8) -> Result<V, ValueError> {
        let parts = match tag {
            TAG_NEG_INF => Parts::NegInf,
            TAG_ZERO => Parts::Zero,
            TAG_POS_INF => Parts::PosInf,
            TAG_NAN => Parts::NaN,
            _ => self.finite(tag == TAG_NEGATIVE)?,
        };
        match (self.byte()?, parts) {
            (TYPE_FLOAT, parts) => self.float(parts),
            (TYPE_INT, Parts::Zero) => Ok(V::Int(0)),
            (
                TYPE_INT,
                Parts::Finite {
                    negative,
                    exp,
                    fraction,
                },
            ) => int_from(negative, exp, fraction)
                .map(V::Int)
                .ok_or_else(|| self.error("integer key out of range or not whole")),
            (TYPE_INT, _) => Err(self.error("infinite or NaN integer")),
            _ => Err(self.error("unknown numeric type")),
        }
    }

    fn finite(&mut self, negative: bool) -> Result<Parts, ValueError> {
        let flip = if negative { 0xff } else { 0 };
        let stored = u16::from_be_bytes([self.byte()? ^ flip, self.byte()? ^ flip]);
        let exp = i32::from(stored) - EXP_BIAS;
        if !(EXP_MIN..=EXP_MAX).contains(&exp) {
            return Err(self.error("exponent out of range"));
        }
        let mut fraction = 0_u64;
        for index in 0..FRACTION_BYTES_MAX {
            let b = self.byte()? ^ flip;
            let group = u64::from(b >> 1);
            // Group `index` holds bits 63 - 7 * index down to 57 - 7 * index.
            fraction |= group << (57 - 7 * index);
            if b & 1 == 0 {
                if group == 0 && index > 0 {
                    return Err(self.error("fraction ends in a zero group"));
                }
                return Ok(Parts::Finite {
                    negative,
                    exp,
                    fraction,
                });
            }
        }
        Err(self.error("fraction longer than 63 bits"))
    }

    fn float(&self, parts: Parts) -> Result<V, ValueError> {
        Ok(V::Float(match parts {
            Parts::NegInf => f64::NEG_INFINITY,
            Parts::Zero => 0.0,
            Parts::PosInf => f64::INFINITY,
            Parts::NaN => f64::NAN,
            Parts::Finite {
                negative,
                exp,
                fraction,
            } => float_from(negative, exp, fraction)
                .ok_or_else(|| self.error("float key has more precision than f64"))?,
        }))
    }
}

/// The leading one and the fraction as a 64-bit mantissa `1.f × 2^63`.
fn mantissa(fraction: u64) -> u64 {
    1 << 63 | fraction >> 1
}

/// The `i64` of exactly this value, if there is one.
fn int_from(negative: bool, exp: i32, fraction: u64) -> Option<i64> {
    let shift = u32::try_from(63 - exp).ok().filter(|s| *s < 64)?;
    let m = mantissa(fraction);
    if m.trailing_zeros() < shift {
        return None;
    }
    let magnitude = m >> shift;
    if negative {
        0_i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// The `f64` of exactly this value (`exp` already checked to be in range), if there is one.
fn float_from(negative: bool, exp: i32, fraction: u64) -> Option<f64> {
    let m = mantissa(fraction);
    let bits = if exp >= -1022 {
        // Normal: 53 significant bits, the leading one implicit.
        if m.trailing_zeros() < 11 {
            return None;
        }
        let biased = u64::try_from(exp + 1023).ok()?;
        biased << 52 | (m >> 11) & ((1 << 52) - 1)
    } else {
        // Subnormal: the value is `field × 2^-1074`.
        let shift = u32::try_from(-1011 - exp).ok()?;
        if m.trailing_zeros() < shift {
            return None;
        }
        m >> shift
    };
    let sign = if negative { 1 << 63 } else { 0 };
    Some(f64::from_bits(sign | bits))
}

/// The keys `k` with `lower <= k < upper` (no upper bound when `upper` is `None`), where `k`
/// may be followed by more bytes (the rest of a composite key, an id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange {
    /// Smallest key in the range, inclusive.
    pub lower: Vec<u8>,
    /// First key after the range, exclusive; `None` for no bound.
    pub upper: Option<Vec<u8>>,
}

impl KeyRange {
    /// A range that holds no key.
    pub fn empty() -> Self {
        Self {
            lower: Vec::new(),
            upper: Some(Vec::new()),
        }
    }

    /// The keys that start with `prefix`.
    pub fn prefixed(prefix: Vec<u8>) -> Self {
        Self {
            upper: successor(&prefix),
            lower: prefix,
        }
    }

    /// Whether the range is the keys that start with `lower` (as [`KeyRange::prefixed`]
    /// makes it): an equality's range.
    pub fn is_prefix(&self) -> bool {
        let Some(upper) = &self.upper else {
            return self.lower.iter().all(|&b| b == 0xff);
        };
        let Some((&last, head)) = upper.split_last() else {
            return false;
        };
        let rest = self.lower.get(head.len() + 1..).unwrap_or_default();
        self.lower.get(..head.len()) == Some(head)
            && self
                .lower
                .get(head.len())
                .is_some_and(|&b| b.wrapping_add(1) == last && b != 0xff)
            && rest.iter().all(|&b| b == 0xff)
    }

    /// Whether the range holds no key.
    pub fn is_empty(&self) -> bool {
        self.upper.as_ref().is_some_and(|u| *u <= self.lower)
    }

    /// Whether `key` (or a key that `key` continues) is in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.lower.as_slice() <= key && self.upper.as_ref().is_none_or(|u| key < u.as_slice())
    }

    /// The same range one level down in a composite key: keys `prefix` followed by a key in
    /// this range. For `a = x AND b < y` over an index on `(a, b)`, take
    /// `range_cmp(Lt, y).within(k)` for each `k` of [`equal_keys`]`(x)`.
    #[must_use]
    pub fn within(self, prefix: &[u8]) -> Self {
        let join = |bytes: Vec<u8>| [prefix, &bytes].concat();
        Self {
            lower: join(self.lower),
            upper: match self.upper {
                Some(upper) => Some(join(upper)),
                None => successor(prefix),
            },
        }
    }
}

/// The shortest byte string above every string that starts with `prefix`; `None` when
/// there is none (`prefix` is all `ff`).
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let keep = prefix.iter().rposition(|b| *b != 0xff)?;
    let mut next = prefix.get(..=keep)?.to_vec();
    let last = next.last_mut()?;
    *last += 1;
    Some(next)
}

/// The keys of the values `v` for which `v = value` is true: both numeric types for a
/// number (`1` and `1.0`); empty for null, NaN, lists and maps.
pub fn range_eq(value: &V) -> KeyRange {
    if !comparable(value) {
        return KeyRange::empty();
    }
    let mut prefix = Vec::with_capacity(encoded_len_hint(value));
    encode_prefix(value, &mut prefix);
    KeyRange::prefixed(prefix)
}

/// The keys of the values `v` for which `v op value` is true: numbers for a number (never
/// strings, never NaN), strings for a string, booleans for a boolean; empty for null, NaN,
/// lists and maps.
pub fn range_cmp(op: Inequality, value: &V) -> KeyRange {
    if !comparable(value) {
        return KeyRange::empty();
    }
    let mut at = Vec::with_capacity(encoded_len_hint(value));
    encode_prefix(value, &mut at);
    let (group_start, group_end) = match value {
        V::String(_) => (TAG_STRING, TAG_STRING + 1),
        // Durations have no chronological order.
        V::Temporal(super::Temporal::Duration { .. }) => return KeyRange::empty(),
        V::Temporal(t) => (
            TAG_TEMPORAL + t.kind_rank(),
            TAG_TEMPORAL + t.kind_rank() + 1,
        ),
        V::Bool(_) => (TAG_FALSE, TAG_TRUE + 1),
        // NaN is after `group_end`: it satisfies no inequality.
        _ => (TAG_NEG_INF, TAG_NAN),
    };
    let after = successor(&at);
    let (lower, upper) = match op {
        Inequality::Lt => (vec![group_start], Some(at)),
        Inequality::Le => (vec![group_start], after),
        Inequality::Gt => match after {
            Some(after) => (after, Some(vec![group_end])),
            None => return KeyRange::empty(),
        },
        Inequality::Ge => (at, Some(vec![group_end])),
    };
    KeyRange { lower, upper }
}

/// The keys of the strings that start with `prefix` (`STARTS WITH`).
pub fn prefix_range(prefix: &str) -> KeyRange {
    let mut key = vec![TAG_STRING];
    escape(prefix.as_bytes(), &mut key);
    KeyRange::prefixed(key)
}

/// The keys of the values equal to one of `values` (`IN`): sorted, disjoint, non-empty ranges.
pub fn range_in(values: &[V]) -> Vec<KeyRange> {
    let mut ranges: Vec<KeyRange> = values
        .iter()
        .map(range_eq)
        .filter(|r| !r.is_empty())
        .collect();
    ranges.sort_by(|a, b| a.lower.cmp(&b.lower));
    ranges.dedup();
    ranges
}

/// Every key of a value equal to `value`, in key order: for an integer that a float holds
/// exactly, or an integral float in `i64` range, the keys of both types. Empty for null,
/// NaN, lists and maps. Used to build composite ranges with [`KeyRange::within`].
pub fn equal_keys(value: &V) -> Vec<Vec<u8>> {
    if !comparable(value) {
        return Vec::new();
    }
    let twin = match value {
        #[expect(clippy::cast_precision_loss, reason = "checked exactly below")]
        V::Int(i) => Some(V::Float(*i as f64)),
        V::Float(f) => Some(V::Int(*f as i64)),
        _ => None,
    };
    let mut keys: Vec<Vec<u8>> = std::iter::once(value)
        .chain(twin.iter().filter(|t| numerically_equal(value, t)))
        .map(|v| {
            let mut key = Vec::new();
            encode_key(v, &mut key);
            key
        })
        .collect();
    keys.sort();
    keys
}

fn numerically_equal(a: &V, b: &V) -> bool {
    match (Number::of(a), Number::of(b)) {
        (Some(x), Some(y)) => x.cmp(y) == Some(Ordering::Equal),
        _ => false,
    }
}

/// Whether `value` can be on either side of a true `=` or inequality with a key.
fn comparable(value: &V) -> bool {
    match value {
        V::Null | V::List(_) | V::Map(_) => false,
        V::Float(f) => !f.is_nan(),
        V::Bool(_) | V::Int(_) | V::String(_) | V::Temporal(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(v: &V) -> Vec<u8> {
        let mut out = Vec::new();
        assert!(encode_key(v, &mut out));
        out
    }

    #[test]
    fn prefix_ranges_are_told_from_others() {
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..2000 {
            // Bytes near the ends of the byte range, where carries happen.
            let lower: Vec<u8> = (0..rng.usize(0..5))
                .map(|_| *rng.choice(&[0u8, 1, 0xfe, 0xff]).unwrap_or(&0))
                .collect();
            let r = KeyRange::prefixed(lower.clone());
            assert!(r.is_prefix(), "{lower:?}");
            // Any other upper bound is not this prefix's range.
            let upper: Option<Vec<u8>> = (rng.u8(..) > 40).then(|| {
                (0..rng.usize(0..5))
                    .map(|_| *rng.choice(&[0u8, 1, 2, 0xfe, 0xff]).unwrap_or(&0))
                    .collect()
            });
            let other = KeyRange {
                lower: lower.clone(),
                upper: upper.clone(),
            };
            assert_eq!(other.is_prefix(), upper == r.upper, "{lower:?} {upper:?}");
        }
    }

    #[test]
    fn documented_bytes() {
        assert_eq!(key(&V::Int(1)), [0x43, 0x04, 0x33, 0x00, 0x00]);
        assert_eq!(key(&V::Float(1.0)), [0x43, 0x04, 0x33, 0x00, 0x01]);
        assert_eq!(key(&V::Int(0)), [0x42, 0x00]);
        assert_eq!(key(&V::Float(-0.0)), [0x42, 0x01]);
        assert_eq!(key(&V::Null), [0x50]);
        assert_eq!(key(&"a\0".into()), [0x30, b'a', 0x00, 0xff, 0x00, 0x00]);
        // -1: the exponent and fraction bytes of +1 inverted.
        assert_eq!(key(&V::Int(-1)), [0x41, 0xfb, 0xcc, 0xff, 0x00]);
        let mut out = Vec::new();
        assert!(!encode_key(&V::List(vec![]), &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn extremes_round_trip() {
        let values = [
            V::Int(i64::MIN),
            V::Int(i64::MAX),
            V::Float(f64::MIN_POSITIVE),
            V::Float(f64::from_bits(1)),
            V::Float(-f64::from_bits(1)),
            V::Float(f64::MAX),
            V::Float(f64::MIN),
            V::Float(f64::INFINITY),
            V::Float(f64::NEG_INFINITY),
        ];
        for v in values {
            let k = key(&v);
            assert!(k.len() <= 13, "{v:?}");
            assert_eq!(decode_key(&k), Ok((v, &[][..])));
        }
    }

    #[test]
    fn key_lengths_are_found_without_decoding() {
        let values = [
            V::String("a\u{0}b".into()),
            V::String(String::new()),
            V::Bool(true),
            V::Null,
            V::Int(-300),
            V::Float(2.5),
            V::Float(f64::NAN),
        ];
        for v in &values {
            let mut k = key(v);
            let len = k.len();
            k.extend_from_slice(&key(&V::Int(1)));
            assert_eq!(key_len(&k), Ok(len), "{v:?}");
            assert_eq!(is_number_key(&k), matches!(v, V::Int(_) | V::Float(_)));
        }
        assert!(key_len(&[TAG_STRING, b'a', 0]).is_err());
        assert!(key_len(&[TAG_STRING, 0, 7]).is_err());
        assert!(key_len(&[]).is_err());
    }

    #[test]
    fn non_canonical_keys_are_refused() {
        // `1` with a trailing zero group.
        assert!(decode_key(&[0x43, 0x04, 0x33, 0x01, 0x00, 0x00]).is_err());
        // 0.5 as an integer.
        assert!(decode_key(&[0x43, 0x04, 0x32, 0x00, 0x00]).is_err());
        // 2^63 as an integer; as a float it is fine.
        assert!(decode_key(&[0x43, 0x04, 0x72, 0x00, 0x00]).is_err());
        assert_eq!(
            decode_key(&[0x43, 0x04, 0x72, 0x00, 0x01]),
            Ok((V::Float(9_223_372_036_854_775_808.0), &[][..]))
        );
        // -2^63 as an integer is i64::MIN.
        assert_eq!(
            decode_key(&[0x41, 0xfb, 0x8d, 0xff, 0x00]),
            Ok((V::Int(i64::MIN), &[][..]))
        );
        assert!(decode_key(&[0x30, b'a', 0x00, 0x01]).is_err());
        assert!(decode_key(&[0x30, 0xc3, 0x00, 0x00]).is_err());
        assert!(decode_key(&[0x44, 0x00]).is_err());
        assert!(decode_key(&[]).is_err());
    }

    #[test]
    fn ranges() {
        let lt10 = range_cmp(Inequality::Lt, &V::Int(10));
        assert!(lt10.contains(&key(&V::Float(9.5))));
        assert!(lt10.contains(&key(&V::Float(f64::NEG_INFINITY))));
        assert!(!lt10.contains(&key(&V::Int(10))));
        assert!(!lt10.contains(&key(&"a".into())));
        let le10 = range_cmp(Inequality::Le, &V::Int(10));
        assert!(le10.contains(&key(&V::Float(10.0))));
        let gt = range_cmp(Inequality::Gt, &V::Float(2.5));
        assert!(gt.contains(&key(&V::Int(3))));
        assert!(gt.contains(&key(&V::Float(f64::INFINITY))));
        assert!(!gt.contains(&key(&V::Float(f64::NAN))));
        assert!(!gt.contains(&key(&V::Null)));
        let eq = range_eq(&V::Float(1.0));
        assert!(eq.contains(&key(&V::Int(1))) && eq.contains(&key(&V::Float(1.0))));
        assert!(range_eq(&V::Float(f64::NAN)).is_empty());
        assert!(range_cmp(Inequality::Ge, &V::Null).is_empty());
        assert_eq!(
            equal_keys(&V::Int(1)),
            vec![key(&V::Int(1)), key(&V::Float(1.0))]
        );
        assert_eq!(equal_keys(&V::Int(i64::MAX)), vec![key(&V::Int(i64::MAX))]);
        assert_eq!(equal_keys(&V::Float(0.5)), vec![key(&V::Float(0.5))]);
        assert_eq!(
            range_in(&[V::Int(2), V::Float(1.0), V::Int(1), V::Null]).len(),
            2
        );
        let ab = prefix_range("ab");
        assert!(ab.contains(&key(&"ab".into())) && ab.contains(&key(&"abc".into())));
        assert!(!ab.contains(&key(&"a".into())) && !ab.contains(&key(&"ac".into())));
    }
}
