//! openCypher equality, comparability and orderability of [`PropertyValue`]s (openCypher 9,
//! "Comparability and equality" and "Orderability"; CIP2016-06-14).
//!
//! - **Equality** (`=`, [`equals`]) is three-valued: `null` on either side gives `None`.
//!   Integers and floats compare by value (`1 = 1.0`); NaN equals nothing, itself included;
//!   values of different types are unequal (`'1' = 1` is false). Lists are equal when they
//!   have the same length and their elements are pairwise equal; maps when they have the same
//!   keys and equal values. Inside lists and maps one `false` pair makes the result false,
//!   otherwise one unknown pair makes it unknown: `[1, 2] = [1, null]` is `null`,
//!   `[1] = [1, null]` is false.
//! - **Comparability** (`<`, `<=`, `>`, `>=`, [`compare`] and [`inequality`]): numbers with
//!   numbers, strings with strings (by Unicode code point, which is the byte order of UTF-8),
//!   booleans with booleans (`false < true`), temporal values of one kind with each other
//!   (chronologically; durations are not comparable, see [`super::temporal`]), lists with
//!   lists (lexicographically: the first
//!   element pair that is not equal decides, and a proper prefix is smaller). Everything else
//!   is incomparable and gives `null`: mixed types, maps, and `null` itself. A NaN is
//!   comparable with numbers but unordered: every inequality with it is *false*, not `null`
//!   (TCK `Comparison2.feature`, "Comparing NaN").
//! - **Orderability** ([`order`], used by `ORDER BY`) is a total preorder over all values:
//!   maps < lists < temporal values < strings < booleans < numbers < null (temporal values
//!   by kind, then in time: [`super::Temporal::order`]; openCypher also places nodes,
//!   relationships and paths, which are not property values). Numbers order by value with NaN
//!   after +infinity; `-0.0`, `0.0` and `0` are tied, as are `1` and `1.0`. Lists order
//!   lexicographically by orderability (so a `null` element sorts last), maps by their
//!   sorted entries: key, then value, entry after entry, a proper prefix first (the TCK has
//!   no scenario on maps; this is our choice).
//!
//! Integers and floats compare exactly: no integer is converted to `f64` (which would make
//! `2^53 + 1` equal to `2^53 as f64`).

use std::cmp::Ordering;

use super::PropertyValue as V;

/// One of the four inequality operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inequality {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Inequality {
    /// Whether the operator holds for two operands ordered as `ordering`.
    pub fn holds(self, ordering: Ordering) -> bool {
        match self {
            Self::Lt => ordering.is_lt(),
            Self::Le => ordering.is_le(),
            Self::Gt => ordering.is_gt(),
            Self::Ge => ordering.is_ge(),
        }
    }
}

/// openCypher `a = b`: `None` when the answer is `null` (see the module doc).
pub fn equals(a: &V, b: &V) -> Option<bool> {
    match (a, b) {
        (V::Null, _) | (_, V::Null) => None,
        (V::Bool(x), V::Bool(y)) => Some(x == y),
        (V::String(x), V::String(y)) => Some(x == y),
        (V::Temporal(x), V::Temporal(y)) => Some(x == y),
        (V::List(x), V::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_equal(x.iter().zip(y))
        }
        (V::Map(x), V::Map(y)) => {
            if x.len() != y.len() || !x.keys().eq(y.keys()) {
                return Some(false);
            }
            all_equal(x.values().zip(y.values()))
        }
        _ => match (Number::of(a), Number::of(b)) {
            (Some(x), Some(y)) => Some(x.cmp(y) == Some(Ordering::Equal)),
            _ => Some(false),
        },
    }
}

/// Three-valued AND of pairwise equality: false wins over unknown, unknown over true.
fn all_equal<'a>(pairs: impl Iterator<Item = (&'a V, &'a V)>) -> Option<bool> {
    let mut unknown = false;
    for (x, y) in pairs {
        match equals(x, y) {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

/// openCypher comparability: the order of `a` and `b`, or `None` when `a < b` is `null` or
/// when a NaN makes the pair unordered (use [`inequality`] to tell the two apart).
pub fn compare(a: &V, b: &V) -> Option<Ordering> {
    match comparison(a, b) {
        Comparison::Ordered(o) => Some(o),
        Comparison::Unordered | Comparison::Null => None,
    }
}

/// openCypher `a op b` for an inequality: `None` when the answer is `null` (incomparable
/// operands), `Some(false)` whenever a NaN decides the comparison.
pub fn inequality(op: Inequality, a: &V, b: &V) -> Option<bool> {
    match comparison(a, b) {
        Comparison::Ordered(o) => Some(op.holds(o)),
        Comparison::Unordered => Some(false),
        Comparison::Null => None,
    }
}

/// The outcome of comparing two values.
enum Comparison {
    Ordered(Ordering),
    /// Comparable, but a NaN is involved: every inequality is false.
    Unordered,
    /// Incomparable: every inequality is null.
    Null,
}

fn comparison(a: &V, b: &V) -> Comparison {
    match (a, b) {
        (V::Bool(x), V::Bool(y)) => Comparison::Ordered(x.cmp(y)),
        (V::String(x), V::String(y)) => Comparison::Ordered(x.cmp(y)),
        (V::Temporal(x), V::Temporal(y)) => {
            x.compare(y).map_or(Comparison::Null, Comparison::Ordered)
        }
        (V::List(x), V::List(y)) => {
            for (p, q) in x.iter().zip(y) {
                match comparison(p, q) {
                    Comparison::Ordered(Ordering::Equal) => {}
                    decided => return decided,
                }
            }
            Comparison::Ordered(x.len().cmp(&y.len()))
        }
        _ => match (Number::of(a), Number::of(b)) {
            (Some(x), Some(y)) => x.cmp(y).map_or(Comparison::Unordered, Comparison::Ordered),
            _ => Comparison::Null,
        },
    }
}

/// openCypher orderability (`ORDER BY`): a total preorder over all values (see the module
/// doc). Ties are values that are equal or equivalent: `1` and `1.0`, `0.0` and `-0.0`, two
/// NaNs, two nulls.
pub fn order(a: &V, b: &V) -> Ordering {
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (V::Bool(x), V::Bool(y)) => x.cmp(y),
        (V::String(x), V::String(y)) => x.cmp(y),
        (V::Temporal(x), V::Temporal(y)) => x.order(y),
        (V::List(x), V::List(y)) => x
            .iter()
            .zip(y)
            .map(|(p, q)| order(p, q))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        (V::Map(x), V::Map(y)) => x
            .iter()
            .zip(y)
            .map(|((kx, vx), (ky, vy))| kx.cmp(ky).then_with(|| order(vx, vy)))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        _ => match (Number::of(a), Number::of(b)) {
            (Some(x), Some(y)) => x.order(y),
            // Both null (equal ranks of any other pair are handled above).
            _ => Ordering::Equal,
        },
    })
}

/// Rank of a value's type group in orderability, with gaps where openCypher places nodes,
/// relationships and paths.
fn rank(v: &V) -> u8 {
    match v {
        V::Map(_) => 0,
        V::List(_) => 3,
        V::Temporal(_) => 5,
        V::String(_) => 6,
        V::Bool(_) => 7,
        V::Int(_) | V::Float(_) => 8,
        V::Null => 9,
    }
}

/// A number of either type, compared exactly.
#[derive(Clone, Copy)]
pub(super) enum Number {
    Int(i64),
    Float(f64),
}

/// 2^63 as a float: the first float above every `i64`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

impl Number {
    pub(super) fn of(v: &V) -> Option<Self> {
        match v {
            V::Int(i) => Some(Self::Int(*i)),
            V::Float(f) => Some(Self::Float(*f)),
            _ => None,
        }
    }

    /// Numeric comparison; `None` when either side is NaN.
    pub(super) fn cmp(self, other: Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Int(x), Self::Int(y)) => Some(x.cmp(&y)),
            (Self::Float(x), Self::Float(y)) => x.partial_cmp(&y),
            (Self::Int(x), Self::Float(y)) => int_float(x, y),
            (Self::Float(x), Self::Int(y)) => int_float(y, x).map(Ordering::reverse),
        }
    }

    /// Orderability: numeric, with NaN after everything else and tied with itself.
    fn order(self, other: Self) -> Ordering {
        self.cmp(other)
            .unwrap_or_else(|| self.is_nan().cmp(&other.is_nan()))
    }

    fn is_nan(self) -> bool {
        matches!(self, Self::Float(f) if f.is_nan())
    }
}

/// Compares an integer with a float exactly: the float is split into its integer part, which
/// is exact as an `i64` once the float is known to lie in `[-2^63, 2^63)`, and its fraction.
fn int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f >= TWO_POW_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_POW_63 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // Exact: `whole` is an integer in [-2^63, 2^63).
    let whole_int = whole as i64;
    // Exact too: the fraction of a float is a float; it breaks a tie of the integer parts.
    let fraction = f - whole;
    let by_fraction = if fraction > 0.0 {
        Ordering::Less
    } else if fraction < 0.0 {
        Ordering::Greater
    } else {
        Ordering::Equal
    };
    Some(i.cmp(&whole_int).then(by_fraction))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn list(items: Vec<V>) -> V {
        V::List(items)
    }

    fn map(entries: &[(&str, V)]) -> V {
        V::Map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    const NAN: V = V::Float(f64::NAN);

    #[test]
    fn numbers_compare_exactly() {
        let two53 = 9_007_199_254_740_992_i64;
        assert_eq!(
            compare(&V::Int(two53 + 1), &V::Float(2f64.powi(53))),
            Some(Ordering::Greater)
        );
        assert_eq!(equals(&V::Int(two53), &V::Float(2f64.powi(53))), Some(true));
        assert_eq!(
            compare(&V::Int(i64::MAX), &V::Float(TWO_POW_63)),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(&V::Int(i64::MIN), &V::Float(-TWO_POW_63)),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(&V::Int(i64::MIN), &V::Float(-1.5 * TWO_POW_63)),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(&V::Int(-3), &V::Float(-2.5)), Some(Ordering::Less));
        assert_eq!(
            compare(&V::Int(-2), &V::Float(-2.5)),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(&V::Int(2), &V::Float(2.5)), Some(Ordering::Less));
        assert_eq!(compare(&V::Int(0), &V::Float(-0.0)), Some(Ordering::Equal));
        assert_eq!(
            compare(&V::Int(0), &V::Float(f64::MIN_POSITIVE / 4.0)),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(&V::Float(f64::NEG_INFINITY), &V::Int(i64::MIN)),
            Some(Ordering::Less)
        );
        assert_eq!(equals(&V::Float(-0.0), &V::Float(0.0)), Some(true));
    }

    // TCK expressions/comparison/Comparison1.feature, "[6] Comparing lists to lists".
    #[test]
    fn tck_list_equality() {
        let one = || list(vec![V::Int(1)]);
        let null1 = || list(vec![V::Null]);
        let cases = [
            (list(vec![V::Int(1), V::Int(2)]), one(), Some(false)),
            (null1(), one(), None),
            (list(vec!["a".into()]), one(), Some(false)),
            (list(vec![one()]), list(vec![one(), null1()]), Some(false)),
            (
                list(vec![one(), list(vec![V::Int(2)])]),
                list(vec![one(), null1()]),
                None,
            ),
            (
                list(vec![one(), list(vec![V::Int(2), V::Int(3)])]),
                list(vec![one(), null1()]),
                Some(false),
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(equals(&a, &b), want, "{a:?} = {b:?}");
        }
    }

    // TCK expressions/comparison/Comparison1.feature, "[7] Comparing maps to maps".
    #[test]
    fn tck_map_equality() {
        let t = Some(true);
        let f = Some(false);
        let k1 = || ("k", V::Int(1));
        let kn = || ("k", V::Null);
        let l1 = || ("l", V::Int(1));
        let ln = || ("l", V::Null);
        let cases = [
            (map(&[]), map(&[]), t),
            (map(&[("k", true.into())]), map(&[("k", true.into())]), t),
            (map(&[k1()]), map(&[k1()]), t),
            (map(&[("k", 1.0.into())]), map(&[("k", 1.0.into())]), t),
            (map(&[("k", "abc".into())]), map(&[("k", "abc".into())]), t),
            (
                map(&[("k", "a".into()), ("l", 2.into())]),
                map(&[("k", "a".into()), ("l", 2.into())]),
                t,
            ),
            (map(&[]), map(&[kn()]), f),
            (map(&[kn()]), map(&[]), f),
            (map(&[k1()]), map(&[k1(), ln()]), f),
            (map(&[kn(), l1()]), map(&[l1()]), f),
            (map(&[kn()]), map(&[kn(), ln()]), f),
            (map(&[kn()]), map(&[kn()]), None),
            (map(&[k1()]), map(&[kn()]), None),
            (map(&[k1(), ln()]), map(&[kn(), ln()]), None),
            (map(&[k1(), ln()]), map(&[kn(), l1()]), None),
            (map(&[k1(), ln()]), map(&[k1(), l1()]), None),
        ];
        for (a, b, want) in cases {
            assert_eq!(equals(&a, &b), want, "{a:?} = {b:?}");
        }
    }

    // TCK Comparison1.feature "[8] Equality and inequality of NaN", "[9] Equality between
    // strings and numbers", "[15] ... if a null is equal to a null".
    #[test]
    fn tck_scalar_equality() {
        for other in [V::Int(1), V::Float(1.0), NAN, "a".into()] {
            assert_eq!(equals(&NAN, &other), Some(false));
        }
        assert_eq!(equals(&V::Float(1.0), &V::Float(1.0)), Some(true));
        assert_eq!(equals(&V::Int(1), &V::Float(1.0)), Some(true));
        assert_eq!(equals(&"1.0".into(), &V::Float(1.0)), Some(false));
        assert_eq!(equals(&"1".into(), &V::Int(1)), Some(false));
        assert_eq!(equals(&V::Null, &V::Null), None);
        // "[10]".."[13] Handling ... equality of large integer".
        let big = V::Int(4_611_686_018_427_387_905);
        assert_eq!(equals(&big, &V::Int(4_611_686_018_427_387_905)), Some(true));
        assert_eq!(
            equals(&big, &V::Int(4_611_686_018_427_387_900)),
            Some(false)
        );
    }

    // TCK Comparison2.feature "[4] Comparing lists" (`>=`).
    #[test]
    fn tck_list_comparison() {
        let l = |items: &[V]| list(items.to_vec());
        let cases = [
            (l(&[V::Int(1), V::Int(0)]), l(&[V::Int(1)]), Some(true)),
            (l(&[V::Int(1), V::Null]), l(&[V::Int(1)]), Some(true)),
            (l(&[V::Int(1), V::Int(2)]), l(&[V::Int(1), V::Null]), None),
            (l(&[V::Int(1), "a".into()]), l(&[V::Int(1), V::Null]), None),
            (
                l(&[V::Int(1), V::Int(2)]),
                l(&[V::Int(3), V::Null]),
                Some(false),
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(inequality(Inequality::Ge, &a, &b), want, "{a:?} >= {b:?}");
        }
    }

    // TCK Comparison2.feature "[3] Comparing across types yields null, except numbers",
    // "[5] Comparing NaN", "[6] Comparability between numbers and strings".
    #[test]
    fn tck_scalar_comparison() {
        let types = [
            V::from(""),
            V::Int(1),
            // The TCK writes 3.14, which clippy mistakes for pi.
            V::Float(3.5),
            V::Bool(true),
            V::Null,
            list(vec![]),
            map(&[]),
        ];
        let ops = [
            Inequality::Lt,
            Inequality::Le,
            Inequality::Gt,
            Inequality::Ge,
        ];
        for (i, a) in types.iter().enumerate() {
            for (j, b) in types.iter().enumerate() {
                for op in ops {
                    let got = inequality(op, a, b) == Some(true);
                    let want = i != j
                        && matches!(
                            (i, j, op),
                            (1, 2, Inequality::Lt | Inequality::Le)
                                | (2, 1, Inequality::Gt | Inequality::Ge)
                        );
                    if i != j {
                        assert_eq!(got, want, "{a:?} {op:?} {b:?}");
                    }
                }
            }
        }
        for rhs in [V::Int(1), V::Float(1.0), NAN] {
            for op in ops {
                assert_eq!(inequality(op, &NAN, &rhs), Some(false));
            }
        }
        assert_eq!(inequality(Inequality::Gt, &NAN, &"a".into()), None);
        assert_eq!(
            inequality(Inequality::Lt, &V::Int(1), &V::Float(1.0)),
            Some(false)
        );
        assert_eq!(
            inequality(Inequality::Lt, &"1.0".into(), &V::Float(1.0)),
            None
        );
        assert_eq!(inequality(Inequality::Lt, &"1".into(), &V::Int(1)), None);
    }

    // TCK clauses/return-orderby/ReturnOrderBy1.feature "[9] ORDER BY should order lists in
    // the expected order" and "[11] ... distinct types in the expected order" (without nodes,
    // relationships and paths); "[1]", "[5]", "[7]" for booleans, ints and floats.
    #[test]
    fn tck_order_by() {
        let l = |items: &[V]| list(items.to_vec());
        let a = || V::from("a");
        let sorted = [
            l(&[]),
            l(&[a()]),
            l(&[a(), V::Int(1)]),
            l(&[V::Int(1)]),
            l(&[V::Int(1), a()]),
            l(&[V::Int(1), V::Null]),
            l(&[V::Null, V::Int(1)]),
            l(&[V::Null, V::Int(2)]),
        ];
        assert_sorted(&sorted);
        assert_sorted(&[
            map(&[("a", "map".into())]),
            l(&["list".into()]),
            "text".into(),
            false.into(),
            1.5.into(),
            NAN,
            V::Null,
        ]);
        assert_sorted(&[false.into(), true.into()]);
        assert_sorted(&[V::Int(-5), V::Int(1), V::Int(3), V::Int(7)]);
        assert_sorted(&[
            V::Float(f64::NEG_INFINITY),
            V::Float(-1.5),
            V::Float(1.3),
            V::Float(f64::INFINITY),
            NAN,
        ]);
        assert_eq!(order(&V::Int(1), &V::Float(1.0)), Ordering::Equal);
        assert_eq!(order(&V::Float(-0.0), &V::Float(0.0)), Ordering::Equal);
        assert_eq!(order(&NAN, &NAN), Ordering::Equal);
    }

    fn assert_sorted(values: &[V]) {
        for (i, a) in values.iter().enumerate() {
            for (j, b) in values.iter().enumerate() {
                assert_eq!(order(a, b), i.cmp(&j), "order({a:?}, {b:?})");
            }
        }
    }
}
