//! Property values against independent references, on random values from a fixed seed.
//!
//! Covers: key encode/decode round trips (also with bytes after the key), that `memcmp` of
//! keys is the reference order (exact numeric comparison done here with `u128` arithmetic on
//! the integer mantissa and exponent of each number, strings by `char`s), composite keys,
//! equality/inequality/prefix/`IN` ranges against the reference predicate, `compare`,
//! `equals` and `order` on scalars against the reference, order laws (antisymmetry,
//! transitivity, agreement with `compare` and `equals`) on nested lists and maps, JSON round
//! trips, and that decoding random or damaged bytes fails without panicking and accepts only
//! canonical keys. The openCypher cases from the TCK are unit tests in `src/value/`.
//!
//! Not covered: strings with a `0xff` byte (UTF-8 has none; `\u{ff}` and `\u{10ffff}` are).

#![allow(
    clippy::expect_used,
    clippy::float_cmp,
    clippy::panic,
    reason = "tests: a failed step is a failed test"
)]

use std::cmp::Ordering;
use std::collections::BTreeMap;

use pagegraph::PropertyValue as V;
use pagegraph::value::key::{self, KeyRange};
use pagegraph::value::{self, Inequality, decode_key, encode_key};

const TWO_POW_53: i64 = 1 << 53;
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

fn special_ints() -> Vec<i64> {
    let mut ints = vec![
        0,
        1,
        -1,
        2,
        -2,
        10,
        i64::MIN,
        i64::MIN + 1,
        i64::MAX,
        i64::MAX - 1,
    ];
    for base in [TWO_POW_53, 1 << 62, 1 << 31] {
        for d in -2..=2 {
            ints.extend([base + d, -base + d]);
        }
    }
    ints
}

fn special_floats() -> Vec<f64> {
    let mut floats = vec![
        0.0,
        -0.0,
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::from_bits(1),
        -f64::from_bits(1),
        f64::from_bits((1 << 52) - 1),
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        0.5,
        -2.5,
        1.0,
        -1.0,
        2.5,
        10.0,
        TWO_POW_63,
        -TWO_POW_63,
        TWO_POW_63.next_down(),
        (-TWO_POW_63).next_down(),
        (-TWO_POW_63).next_up(),
        2.0 * TWO_POW_63,
    ];
    for base in [2f64.powi(53), 2f64.powi(62), 2f64.powi(31)] {
        floats.extend([
            base,
            base + 2.0,
            base - 1.0,
            -base,
            base.next_up(),
            base.next_down(),
        ]);
    }
    floats
}

const PIECES: [&str; 12] = [
    "",
    "\0",
    "\u{ff}",
    "a",
    "ab",
    "a\0",
    "b",
    "é",
    "€",
    "😀",
    "\u{7f}",
    "\u{10ffff}",
];

fn random_string(rng: &mut fastrand::Rng) -> String {
    (0..rng.usize(0..4))
        .map(|_| PIECES[rng.usize(..PIECES.len())])
        .collect()
}

fn random_scalar(rng: &mut fastrand::Rng) -> V {
    match rng.u8(0..20) {
        0 => V::Null,
        1 | 2 => V::Bool(rng.bool()),
        3 | 4 => V::Int(special_ints()[rng.usize(..special_ints().len())]),
        5 => V::Int(rng.i64(..)),
        6 => V::Int(rng.i64(-100..100)),
        7 | 8 => V::Float(special_floats()[rng.usize(..special_floats().len())]),
        9 => V::Float(f64::from_bits(rng.u64(..))),
        10 => V::Float(f64::from_bits(rng.u64(0..1 << 52))), // subnormal
        11 => V::Float(f64::from(rng.i32(-100..100)) / 4.0),
        12 => V::Float(f64::from(rng.i32(-100..100))),
        13 => V::Float(rng.f64() * 1e19 - 5e18),
        _ => V::String(random_string(rng)),
    }
}

fn random_value(rng: &mut fastrand::Rng, depth: u32) -> V {
    match rng.u8(0..8) {
        0 if depth > 0 => V::List(
            (0..rng.usize(0..4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        1 if depth > 0 => V::Map(
            (0..rng.usize(0..3))
                .map(|_| {
                    (
                        ["k", "l", "m"][rng.usize(0..3)].to_owned(),
                        random_value(rng, depth - 1),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
        ),
        _ => random_scalar(rng),
    }
}

fn key_of(v: &V) -> Vec<u8> {
    let mut out = Vec::new();
    assert!(encode_key(v, &mut out), "{v:?} has no key");
    out
}

// ---- the reference ----

/// A number as `negative`, `mantissa × 2^exp`, or infinite, or NaN.
#[derive(Clone, Copy, Debug)]
enum Exact {
    Finite {
        negative: bool,
        mantissa: u64,
        exp: i32,
    },
    Inf(bool),
    NaN,
}

fn exact(v: &V) -> Exact {
    match v {
        V::Int(i) => Exact::Finite {
            negative: *i < 0,
            mantissa: i.unsigned_abs(),
            exp: 0,
        },
        V::Float(f) if f.is_nan() => Exact::NaN,
        V::Float(f) if f.is_infinite() => Exact::Inf(*f < 0.0),
        V::Float(f) => {
            let bits = f.to_bits();
            let biased = ((bits >> 52) & 0x7ff) as i32;
            let field = bits & ((1 << 52) - 1);
            let (mantissa, exp) = if biased == 0 {
                (field, -1074)
            } else {
                (field | 1 << 52, biased - 1075)
            };
            Exact::Finite {
                negative: bits >> 63 == 1,
                mantissa,
                exp,
            }
        }
        _ => panic!("not a number"),
    }
}

/// Compares magnitudes `m1 × 2^e1` and `m2 × 2^e2` exactly.
fn magnitude_cmp(m1: u64, e1: i32, m2: u64, e2: i32) -> Ordering {
    match (m1, m2) {
        (0, 0) => return Ordering::Equal,
        (0, _) => return Ordering::Less,
        (_, 0) => return Ordering::Greater,
        _ => {}
    }
    // Position of the leading one: bit length plus exponent.
    let top1 = 64 - m1.leading_zeros().cast_signed() + e1;
    let top2 = 64 - m2.leading_zeros().cast_signed() + e2;
    if top1 != top2 {
        return top1.cmp(&top2);
    }
    // Same leading position: align both to the smaller exponent; each fits in 128 bits
    // because the shift is at most the other's bit length.
    let e = e1.min(e2);
    (u128::from(m1) << (e1 - e)).cmp(&(u128::from(m2) << (e2 - e)))
}

/// Exact numeric order; `None` with a NaN.
fn ref_numeric(a: &V, b: &V) -> Option<Ordering> {
    let signed = |x: Exact| match x {
        Exact::Inf(neg) => Some((if neg { -2 } else { 2 }, 0, 0)),
        Exact::Finite { mantissa: 0, .. } => Some((0, 0, 0)),
        Exact::Finite {
            negative,
            mantissa,
            exp,
        } => Some((if negative { -1 } else { 1 }, mantissa, exp)),
        Exact::NaN => None,
    };
    let (s1, m1, e1) = signed(exact(a))?;
    let (s2, m2, e2) = signed(exact(b))?;
    Some(s1.cmp(&s2).then_with(|| match s1 {
        1 => magnitude_cmp(m1, e1, m2, e2),
        -1 => magnitude_cmp(m2, e2, m1, e1),
        _ => Ordering::Equal,
    }))
}

fn group(v: &V) -> u8 {
    match v {
        V::String(_) => 0,
        V::Bool(_) => 1,
        V::Int(_) | V::Float(_) => 2,
        V::Null => 3,
        _ => panic!("not a scalar"),
    }
}

/// openCypher comparability on scalars.
fn ref_compare(a: &V, b: &V) -> Option<Ordering> {
    match (a, b) {
        (V::String(x), V::String(y)) => Some(x.chars().cmp(y.chars())),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        _ if group(a) == 2 && group(b) == 2 => ref_numeric(a, b),
        _ => None,
    }
}

/// openCypher equality on scalars.
fn ref_equals(a: &V, b: &V) -> Option<bool> {
    if matches!(a, V::Null) || matches!(b, V::Null) {
        return None;
    }
    Some(ref_compare(a, b) == Some(Ordering::Equal))
}

/// openCypher orderability on scalars.
fn ref_order(a: &V, b: &V) -> Ordering {
    group(a).cmp(&group(b)).then_with(|| {
        ref_compare(a, b).unwrap_or_else(|| {
            let nan = |v: &V| matches!(v, V::Float(f) if f.is_nan());
            nan(a).cmp(&nan(b))
        })
    })
}

/// The order of keys: orderability, integers before floats of the same value.
fn ref_key_order(a: &V, b: &V) -> Ordering {
    let is_float = |v: &V| matches!(v, V::Float(_));
    ref_order(a, b).then_with(|| is_float(a).cmp(&is_float(b)))
}

/// What a key decodes to: the value with `-0.0` as `0.0` (NaN is compared with `is_nan`).
fn normalized(v: &V) -> V {
    match v {
        V::Float(f) if *f == 0.0 => V::Float(0.0),
        other => other.clone(),
    }
}

fn same(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Float(x), V::Float(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

// ---- the tests ----

#[test]
fn keys_round_trip() {
    let mut rng = fastrand::Rng::with_seed(1);
    for _ in 0..20_000 {
        let v = random_scalar(&mut rng);
        let k = key_of(&v);
        let suffix: Vec<u8> = (0..rng.usize(0..4)).map(|_| rng.u8(..)).collect();
        let input = [k.as_slice(), &suffix].concat();
        let (decoded, rest) = decode_key(&input).expect("a key decodes");
        assert!(
            same(&decoded, &normalized(&v)),
            "{v:?} came back as {decoded:?}"
        );
        assert_eq!(rest, suffix.as_slice());
        if !matches!(v, V::String(_)) {
            assert!(k.len() <= 13, "{v:?}: {} bytes", k.len());
        }
    }
}

#[test]
fn key_order_is_the_reference_order() {
    let mut rng = fastrand::Rng::with_seed(2);
    let values: Vec<V> = (0..700).map(|_| random_scalar(&mut rng)).collect();
    let keys: Vec<Vec<u8>> = values.iter().map(key_of).collect();
    for (a, ka) in values.iter().zip(&keys) {
        for (b, kb) in values.iter().zip(&keys) {
            assert_eq!(ka.cmp(kb), ref_key_order(a, b), "keys of {a:?} and {b:?}");
            assert_eq!(
                value::compare(a, b),
                ref_compare(a, b),
                "compare({a:?}, {b:?})"
            );
            assert_eq!(value::equals(a, b), ref_equals(a, b), "{a:?} = {b:?}");
            assert_eq!(value::order(a, b), ref_order(a, b), "order({a:?}, {b:?})");
        }
    }
}

#[test]
fn composite_keys_sort_component_by_component() {
    let mut rng = fastrand::Rng::with_seed(3);
    let tuples: Vec<(V, V)> = (0..400)
        .map(|_| (random_scalar(&mut rng), random_scalar(&mut rng)))
        .collect();
    let keys: Vec<Vec<u8>> = tuples
        .iter()
        .map(|(x, y)| [key_of(x), key_of(y)].concat())
        .collect();
    for ((a1, a2), ka) in tuples.iter().zip(&keys) {
        for ((b1, b2), kb) in tuples.iter().zip(&keys) {
            let want = ref_key_order(a1, b1).then_with(|| ref_key_order(a2, b2));
            assert_eq!(ka.cmp(kb), want, "({a1:?}, {a2:?}) vs ({b1:?}, {b2:?})");
        }
        let (first, rest) = decode_key(ka).expect("decodes");
        let (second, end) = decode_key(rest).expect("decodes");
        assert!(same(&first, &normalized(a1)) && same(&second, &normalized(a2)));
        assert!(end.is_empty());
    }
}

/// Checks that `range` holds exactly the keys of `values` for which `pred` is true, with
/// and without bytes following the key.
fn check_range(range: &KeyRange, values: &[V], pred: impl Fn(&V) -> bool, what: &str) {
    for v in values {
        let k = key_of(v);
        let want = pred(v);
        assert_eq!(range.contains(&k), want, "{what}: {v:?}");
        assert_eq!(
            range.contains(&[k.as_slice(), &[0xff, 0xff]].concat()),
            want,
            "{what}: {v:?}"
        );
        assert_eq!(
            range.contains(&[k.as_slice(), &[0]].concat()),
            want,
            "{what}: {v:?}"
        );
    }
}

#[test]
fn ranges_hold_exactly_the_matching_keys() {
    let mut rng = fastrand::Rng::with_seed(4);
    let values: Vec<V> = (0..400).map(|_| random_scalar(&mut rng)).collect();
    let ops = [
        Inequality::Lt,
        Inequality::Le,
        Inequality::Gt,
        Inequality::Ge,
    ];
    for x in values.iter().take(150) {
        let eq = key::range_eq(x);
        check_range(
            &eq,
            &values,
            |v| ref_equals(v, x) == Some(true),
            &format!("= {x:?}"),
        );
        for op in ops {
            let range = key::range_cmp(op, x);
            let pred = |v: &V| ref_compare(v, x).is_some_and(|o| op.holds(o));
            check_range(&range, &values, pred, &format!("{op:?} {x:?}"));
            assert_eq!(
                value::inequality(op, x, x),
                ref_compare(x, x).map(|o| op.holds(o)).or(match x {
                    V::Float(f) if f.is_nan() => Some(false),
                    _ => None,
                })
            );
        }
        // Every key of a value equal to `x`, and nothing else.
        let equal = key::equal_keys(x);
        for v in &values {
            let listed = equal.contains(&key_of(v));
            assert_eq!(
                listed,
                ref_equals(v, x) == Some(true),
                "equal_keys({x:?}) vs {v:?}"
            );
        }
        assert!(equal.windows(2).all(|w| w[0] < w[1]));
    }
    // `IN`: the union of the equality ranges.
    for _ in 0..100 {
        let list: Vec<V> = (0..rng.usize(0..5))
            .map(|_| values[rng.usize(..values.len())].clone())
            .collect();
        let ranges = key::range_in(&list);
        assert!(
            ranges
                .windows(2)
                .all(|w| w[0].upper.as_ref().is_some_and(|u| *u <= w[1].lower))
        );
        for v in &values {
            let k = key_of(v);
            let want = list.iter().any(|x| ref_equals(v, x) == Some(true));
            assert_eq!(
                ranges.iter().any(|r| r.contains(&k)),
                want,
                "{v:?} IN {list:?}"
            );
        }
    }
}

#[test]
fn prefix_ranges_hold_exactly_the_prefixed_strings() {
    let mut rng = fastrand::Rng::with_seed(5);
    let values: Vec<V> = (0..400)
        .map(|i| {
            if i % 4 == 0 {
                random_scalar(&mut rng)
            } else {
                V::String(random_string(&mut rng))
            }
        })
        .collect();
    for _ in 0..200 {
        let prefix = random_string(&mut rng);
        let range = key::prefix_range(&prefix);
        let pred = |v: &V| matches!(v, V::String(s) if s.chars().take(prefix.chars().count()).eq(prefix.chars()));
        check_range(&range, &values, pred, &format!("STARTS WITH {prefix:?}"));
    }
}

#[test]
fn composite_ranges() {
    let mut rng = fastrand::Rng::with_seed(6);
    let tuples: Vec<(V, V)> = (0..300)
        .map(|_| (random_scalar(&mut rng), random_scalar(&mut rng)))
        .collect();
    for (x, y) in tuples.iter().take(60) {
        for op in [Inequality::Lt, Inequality::Ge] {
            // a = x AND b op y: one range per key equal to x.
            let ranges: Vec<KeyRange> = key::equal_keys(x)
                .iter()
                .map(|k| key::range_cmp(op, y).within(k))
                .collect();
            for (a, b) in &tuples {
                let k = [key_of(a), key_of(b), vec![7]].concat();
                let want = ref_equals(a, x) == Some(true)
                    && ref_compare(b, y).is_some_and(|o| op.holds(o));
                assert_eq!(
                    ranges.iter().any(|r| r.contains(&k)),
                    want,
                    "({a:?}, {b:?})"
                );
            }
        }
    }
}

#[test]
fn order_laws_on_nested_values() {
    let mut rng = fastrand::Rng::with_seed(7);
    let values: Vec<V> = (0..250).map(|_| random_value(&mut rng, 3)).collect();
    for a in &values {
        for b in &values {
            let ab = value::order(a, b);
            assert_eq!(ab, value::order(b, a).reverse(), "{a:?} vs {b:?}");
            if let Some(o) = value::compare(a, b) {
                assert_eq!(o, ab, "compare and order disagree on {a:?} vs {b:?}");
            }
            assert_eq!(value::equals(a, b), value::equals(b, a));
            if value::equals(a, b) == Some(true) {
                assert_eq!(ab, Ordering::Equal, "{a:?} = {b:?} but ordered apart");
                // Maps are equal or not, but never ordered by `compare`.
                assert_ne!(value::compare(a, b).map(Ordering::is_ne), Some(true));
            }
        }
    }
    // Transitivity: sorting by `order` leaves every pair ordered.
    let mut sorted = values.clone();
    sorted.sort_by(value::order);
    for (i, a) in sorted.iter().enumerate() {
        for b in &sorted[i..] {
            assert_ne!(value::order(a, b), Ordering::Greater, "{a:?} after {b:?}");
        }
    }
}

#[test]
fn json_round_trips() {
    let mut rng = fastrand::Rng::with_seed(8);
    let mut checked = 0;
    for _ in 0..3_000 {
        let v = random_value(&mut rng, 3);
        match v.to_json() {
            Ok(json) => {
                let back = V::from_json(&json).expect("JSON from a value converts back");
                assert_eq!(key_or_debug(&back), key_or_debug(&v));
                checked += 1;
            }
            Err(_) => assert!(format!("{v:?}").contains("NaN") || format!("{v:?}").contains("inf")),
        }
    }
    assert!(checked > 1_000);
}

/// Structural identity, floats by bits (so `-0.0` differs from `0.0`).
fn key_or_debug(v: &V) -> String {
    match v {
        V::Float(f) => format!("F{:x}", f.to_bits()),
        V::List(items) => format!(
            "[{}]",
            items.iter().map(key_or_debug).collect::<Vec<_>>().join(",")
        ),
        V::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k:?}:{}", key_or_debug(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => format!("{other:?}"),
    }
}

#[test]
fn decoding_bad_bytes_fails_cleanly() {
    let mut rng = fastrand::Rng::with_seed(9);
    let check = |input: &[u8]| {
        if let Ok((v, rest)) = decode_key(input) {
            // Only canonical keys decode: re-encoding gives the bytes consumed.
            let consumed = &input[..input.len() - rest.len()];
            assert_eq!(key_of(&v), consumed, "{input:x?} decoded to {v:?}");
        }
    };
    for _ in 0..100_000 {
        let len = rng.usize(0..16);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        // Aim half the inputs at the interesting tags.
        if let Some(first) = bytes.first_mut()
            && rng.bool()
        {
            *first = [0x30, 0x38, 0x39, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x50][rng.usize(0..10)];
        }
        check(&bytes);
    }
    for _ in 0..20_000 {
        let mut k = key_of(&random_scalar(&mut rng));
        match rng.u8(0..3) {
            0 => k.truncate(rng.usize(0..k.len())),
            1 => {
                let i = rng.usize(0..k.len());
                k[i] ^= 1 << rng.u8(0..8);
            }
            _ => {
                let i = rng.usize(0..k.len());
                k[i] = rng.u8(..);
            }
        }
        check(&k);
    }
}

/// Every float written as JSON text reads back as the same bits: the property values the
/// importer and `--data` parse from text keep their exact value (`serde_json`'s default fast
/// path can be one unit in the last place off; the workspace turns on `float_roundtrip`).
#[test]
fn floats_in_json_text_parse_to_exactly_the_value_written() {
    let mut rng = fastrand::Rng::with_seed(0x5eed_f10a);
    for i in 0..200_000u32 {
        let f = if i % 2 == 0 {
            f64::from_bits(rng.u64(..))
        } else {
            // Decimal-looking values with many digits, where the fast path is weakest.
            rng.f64() * 10f64.powi(rng.i32(-300..300))
        };
        if !f.is_finite() {
            continue;
        }
        for text in [format!("{f:?}"), format!("{f:e}"), format!("{f:.17e}")] {
            let back: f64 = serde_json::from_str(&text).unwrap_or(f64::NAN);
            assert_eq!(back.to_bits(), f.to_bits(), "{text}");
        }
    }
}

// ---- temporal values ----

/// A random temporal value of a random kind, in years 1000..=9999 so that the written
/// form of a local kind sorts as text in time order (an independent reference).
fn random_temporal(rng: &mut fastrand::Rng) -> V {
    let date = format!(
        "{:04}-{:02}-{:02}",
        rng.i32(1000..=9999),
        rng.u32(1..=12),
        rng.u32(1..=28)
    );
    let frac = match rng.u8(0..3) {
        0 => String::new(),
        1 => format!(".{:03}", rng.u32(1..1000)),
        _ => format!(".{:09}", rng.u32(1..1_000_000_000)),
    };
    let time = format!(
        "{:02}:{:02}:{:02}{frac}",
        rng.u32(0..24),
        rng.u32(0..60),
        rng.u32(0..60)
    );
    let offset = ["Z", "+01:00", "-08:00", "+05:45", "-11:59"][rng.usize(0..5)];
    let (kind, text) = match rng.u8(0..6) {
        0 => ("date", date),
        1 => ("localtime", time),
        2 => ("time", format!("{time}{offset}")),
        3 => ("localdatetime", format!("{date}T{time}")),
        4 => ("datetime", format!("{date}T{time}{offset}")),
        _ => (
            "duration",
            format!(
                "P{}M{}DT{}S",
                rng.i32(-30..30),
                rng.i32(-40..40),
                rng.i32(-1000..1000)
            ),
        ),
    };
    V::Temporal(value::Temporal::parse(kind, &text).expect(&text))
}

#[test]
fn temporal_keys_round_trip_and_sort_in_time_order() {
    let mut rng = fastrand::Rng::with_seed(11);
    let values: Vec<V> = (0..3000).map(|_| random_temporal(&mut rng)).collect();
    for v in &values {
        let k = key_of(v);
        let (back, rest) = decode_key(&k).expect("decodes");
        assert!(rest.is_empty());
        assert_eq!(&back, v);
        // Every key is rejected when cut short or altered to a non-canonical form.
        assert!(decode_key(&k[..k.len() - 1]).is_err());
    }
    for pair in values.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert_eq!(key_of(a).cmp(&key_of(b)), value::order(a, b), "{a:?} {b:?}");
        let (V::Temporal(x), V::Temporal(y)) = (a, b) else {
            unreachable!()
        };
        // Local kinds: their text order is their time order.
        if x.kind() == y.kind() && ["date", "localtime", "localdatetime"].contains(&x.kind()) {
            assert_eq!(
                value::compare(a, b),
                Some(x.to_string().cmp(&y.to_string())),
                "{x} {y}"
            );
        }
        // Zoned kinds: the UTC instant orders them, then the offset (east first).
        if x.kind() == y.kind() && x.kind() == "datetime" {
            let utc = |t: &value::Temporal| {
                let value::Temporal::DateTime {
                    secs,
                    nanos,
                    offset,
                } = *t
                else {
                    unreachable!()
                };
                (secs, nanos, -offset)
            };
            assert_eq!(value::compare(a, b), Some(utc(x).cmp(&utc(y))), "{x} {y}");
        }
    }
    // Ranges hold exactly the values the comparison puts on their side.
    for probe in values.iter().take(60) {
        for op in [
            Inequality::Lt,
            Inequality::Le,
            Inequality::Gt,
            Inequality::Ge,
        ] {
            check_range(
                &key::range_cmp(op, probe),
                &values,
                |v| value::inequality(op, v, probe) == Some(true),
                "temporal range",
            );
        }
        check_range(
            &key::range_eq(probe),
            &values,
            |v| value::equals(v, probe) == Some(true),
            "temporal equality",
        );
    }
    // A non-canonical key (a date with a non-zero unused field) is refused.
    let mut k = key_of(&V::Temporal(value::Temporal::Date(5)));
    let last = k.len() - 1;
    k[last] ^= 1;
    assert!(decode_key(&k).is_err());
}

#[test]
fn temporal_values_have_one_reserved_json_form() {
    let d = V::Temporal(value::Temporal::parse("datetime", "1984-10-11T12:31:14.5+01:00").unwrap());
    let json = d.to_json().unwrap();
    assert_eq!(
        json,
        serde_json::json!({"\u{0}datetime": "1984-10-11T12:31:14.500+01:00"})
    );
    assert_eq!(V::from_json(&json).unwrap(), d);
    // Inside lists and maps too.
    let nested = V::List(vec![V::Map(BTreeMap::from([(
        "at".to_string(),
        d.clone(),
    )]))]);
    assert_eq!(V::from_json(&nested.to_json().unwrap()).unwrap(), nested);
    // A map may not use the reserved key, so no map reads back as a temporal value.
    let sneaky = V::Map(BTreeMap::from([(
        "\u{0}date".to_string(),
        V::String("2020-01-01".into()),
    )]));
    assert!(matches!(
        sneaky.to_json(),
        Err(value::ValueError::ReservedKey(_))
    ));
    // A reserved object that is not a valid value is an error, not a map.
    for bad in [
        serde_json::json!({"\u{0}date": "2020-13-01"}),
        serde_json::json!({"\u{0}date": 5}),
        serde_json::json!({"\u{0}weekday": "Monday"}),
    ] {
        assert!(
            matches!(V::from_json(&bad), Err(value::ValueError::BadTemporal(_))),
            "{bad}"
        );
    }
    // Objects of other shapes stay maps.
    let two = serde_json::json!({"\u{0}date": "2020-01-01", "x": 1});
    assert!(matches!(V::from_json(&two), Ok(V::Map(_))));
}

#[test]
fn temporal_text_and_keys_of_any_shape_are_values_or_errors_and_round_trip() {
    let mut rng = fastrand::Rng::with_seed(23);
    let alphabet: Vec<char> = "0123456789-+:.,TtZPYMWDHS é[]/ ".chars().collect();
    let kinds = [
        "date",
        "localtime",
        "time",
        "localdatetime",
        "datetime",
        "duration",
    ];
    let mut parsed = 0;
    for i in 0..200_000 {
        // Text near the forms (a valid one mutated) or any mix of their characters.
        let text: String = if i % 2 == 0 {
            let mut t: Vec<char> = match random_temporal(&mut rng) {
                V::Temporal(t) => t.to_string().chars().collect(),
                _ => unreachable!(),
            };
            for _ in 0..rng.usize(0..3) {
                let at = rng.usize(0..=t.len());
                match rng.u8(0..3) {
                    0 if at < t.len() => {
                        t.remove(at);
                    }
                    1 => t.insert(at, alphabet[rng.usize(0..alphabet.len())]),
                    _ if at < t.len() => t[at] = alphabet[rng.usize(0..alphabet.len())],
                    _ => {}
                }
            }
            t.into_iter().collect()
        } else {
            (0..rng.usize(0..24))
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect()
        };
        for kind in kinds {
            if let Ok(t) = value::Temporal::parse(kind, &text) {
                parsed += 1;
                let back = value::Temporal::parse(kind, &t.to_string());
                assert_eq!(back, Ok(t), "{kind} {text:?} wrote {t}");
            }
        }
    }
    assert!(
        parsed > 20_000,
        "the generator should reach valid forms: {parsed}"
    );
    // Any bytes after a temporal tag: a value whose key is those bytes, or an error.
    for _ in 0..200_000 {
        let mut k = vec![0x20 + rng.u8(0..6)];
        k.extend((0..rng.usize(0..40)).map(|_| rng.u8(..)));
        if let Ok((v, rest)) = decode_key(&k) {
            assert_eq!(key_of(&v), k[..k.len() - rest.len()]);
        }
    }
}
