//! Property indexes: the catalog, the entries, lookups, and the seam for other index kinds.
//!
//! # Catalog
//! `g.idx` maps an index id (`u32`, big-endian; ids are never reused, the next one is
//! `next_index` in `g.meta`) to its definition: `u8 version` (1), `u8 kind` (1: property),
//! `u8 target` (0: nodes of a label, 1: edges of a type), `u8 flags` (bit 0: unique),
//! `u8 state` (0: building, 1: ready), `v(label or type string id)`, `v(name length)`,
//! name, `v(property count)`, then each property as `v(length)` and its bytes.
//!
//! # Entries
//! A property index's entries are the keys of the tree `g.ix.<id>`, with empty values:
//! the key of each indexed property's value in the index's property order
//! (`value::encode_key`; keys are prefix-free, so they concatenate), then the element's id
//! as an ordered varint, then the length of that varint (one byte), so the id decodes from
//! the end. An element (a node with the label, an edge of the type) has an entry when every
//! indexed property is present with a scalar value (lists and maps have no key and are not
//! indexed). Entries sort by values in `ORDER BY` order, then by id.
//!
//! # Delta trees (format 9)
//! A non-unique index's entries are kept in three trees of the same keys: the main tree
//! `g.ix.<id>`, the delta of added entries `g.ix.<id>.d` and the delta of removed ones
//! `g.ix.<id>.r` (entries of the main tree that are gone). Small writes add their entries
//! to the added delta (held in key order until commit, see `write::pending`) and record a
//! removed main entry in the removed delta, where they share few, warm leaves, instead of
//! copying a cold leaf of the main tree for each. When the deltas together outgrow a
//! sixteenth of the main tree (at least [`DELTA_MIN`], at most [`DELTA_MAX`] entries) the
//! commit applies both to the main tree in key order, so each main leaf is copied once for
//! many entries, and deletes them. The index's entries are `(main - removed) + added`.
//! Invariants: `removed` is a subset of `main`; an entry of `added` is in `main` only if it
//! is in `removed` too (removed, then added back); a unique index has no delta trees (its
//! checks read the main tree alone); every read of an index merges the three in key order
//! (`IndexHits`, entry counts, `check`). Bulk writes (an index build, a large batch's
//! sorted run of new entries) go to the main tree directly.
//!
//! # State
//! An index is created, built over the existing data (keys buffered and sorted in bounded
//! memory by the storage engine's `put`) and marked ready in one transaction: it commits
//! ready or not at all, so a crash leaves it absent or exact. The `building` state is part
//! of the format for builds that will span transactions; this version never commits it,
//! and a catalog holding one is reported by `check` and never used for lookups.
//!
//! # Kinds
//! [`IndexKind`] is the seam: the write path asks each index on an element's label or type
//! for the keys that element contributes (`IndexDef::keys_of`), and the catalog, `drop`,
//! `check` and the entry trees are the same for every kind. A vector or full-text index is
//! one more variant with its own `keys_of` and lookups.

use std::ops::Bound;

use pagegraph_storage::{Range, Tree};

use crate::error::{GraphError, Result};
use crate::record::{get_ordered, get_varint, ordered_key, put_varint};
use crate::value::key::{KeyRange, equal_keys, is_number_key, prefix_range, range_cmp, range_eq};
use crate::value::{Inequality, PropertyValue, decode_key, encode_key, equals, inequality};

mod hits;
pub use hits::IndexHits;

/// What an index is on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IndexTarget {
    /// The nodes with this label.
    Label(String),
    /// The edges of this type.
    EdgeType(String),
}

impl std::fmt::Display for IndexTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexTarget::Label(l) => write!(f, ":{l}"),
            IndexTarget::EdgeType(t) => write!(f, "[:{t}]"),
        }
    }
}

/// The kind of an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IndexKind {
    /// A B+Tree over the values of one or more properties: equality, ranges, prefixes,
    /// `IN` lists, and unique constraints.
    Property,
}

/// Whether an index can serve lookups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndexState {
    /// Being built; not used for lookups (see the module doc).
    Building,
    /// Exact and used for lookups.
    Ready,
}

/// An index to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSpec {
    /// Its name, unique among indexes; `None` names it after its target and properties
    /// (`Person_firstName`, `KNOWS_since`, `Person_first_last`).
    pub name: Option<String>,
    /// The label or edge type it covers.
    pub target: IndexTarget,
    /// The indexed properties, in key order (one or more, distinct).
    pub properties: Vec<String>,
    /// A unique constraint: no two elements with equal values (openCypher equality: `1`
    /// equals `1.0`) in every indexed property.
    pub unique: bool,
}

impl IndexSpec {
    /// A (non-unique) index on the nodes of `label` by `property`.
    pub fn on_label(label: impl Into<String>, property: impl Into<String>) -> IndexSpec {
        IndexSpec {
            name: None,
            target: IndexTarget::Label(label.into()),
            properties: vec![property.into()],
            unique: false,
        }
    }

    /// A (non-unique) index on the edges of `edge_type` by `property`.
    pub fn on_edge_type(edge_type: impl Into<String>, property: impl Into<String>) -> IndexSpec {
        IndexSpec {
            name: None,
            target: IndexTarget::EdgeType(edge_type.into()),
            properties: vec![property.into()],
            unique: false,
        }
    }

    /// The same index, as a unique constraint.
    #[must_use]
    pub fn unique(mut self) -> IndexSpec {
        self.unique = true;
        self
    }
}

/// An index as the catalog lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexInfo {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: IndexKind,
    /// What it covers.
    pub target: IndexTarget,
    /// The indexed properties, in key order.
    pub properties: Vec<String>,
    /// Whether it is a unique constraint.
    pub unique: bool,
    /// Whether it serves lookups.
    pub state: IndexState,
    /// Number of entries.
    pub entries: u64,
}

/// A condition on one property, for lookups ([`crate::ReadTxn::nodes_where`]) and
/// deletes by key. Evaluated as openCypher evaluates `n.prop <op> value`: a missing
/// property, a comparison across types or with null is not true.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `= value` (`1` equals `1.0`).
    Eq(PropertyValue),
    /// `< value`, `<= value`, `> value` or `>= value`.
    Cmp(Inequality, PropertyValue),
    /// Both bounds (each inclusive, exclusive or absent): `lower < x <= upper` and so on.
    Between(Bound<PropertyValue>, Bound<PropertyValue>),
    /// A string that starts with this prefix.
    StartsWith(String),
    /// Equal to one of the values.
    In(Vec<PropertyValue>),
}

fn bound_cmp(b: &Bound<PropertyValue>, lower: bool) -> Option<(Inequality, &PropertyValue)> {
    match (b, lower) {
        (Bound::Included(v), true) => Some((Inequality::Ge, v)),
        (Bound::Excluded(v), true) => Some((Inequality::Gt, v)),
        (Bound::Included(v), false) => Some((Inequality::Le, v)),
        (Bound::Excluded(v), false) => Some((Inequality::Lt, v)),
        (Bound::Unbounded, _) => None,
    }
}

impl Condition {
    /// Whether a property value (`None`: absent) satisfies the condition.
    pub fn holds(&self, value: Option<&PropertyValue>) -> bool {
        let Some(v) = value else {
            return false;
        };
        match self {
            Condition::Eq(x) => equals(v, x) == Some(true),
            Condition::Cmp(op, x) => inequality(*op, v, x) == Some(true),
            Condition::Between(lo, hi) => {
                [bound_cmp(lo, true), bound_cmp(hi, false)]
                .into_iter()
                .flatten()
                .all(|(op, x)| inequality(op, v, x) == Some(true))
                // With no bound at all, any comparable value: as `x >= -inf OR ...` would.
                && (!matches!((lo, hi), (Bound::Unbounded, Bound::Unbounded))
                    || v.is_indexable() && !matches!(v, PropertyValue::Null))
            }
            Condition::StartsWith(p) => {
                matches!(v, PropertyValue::String(s) if s.starts_with(p.as_str()))
            }
            Condition::In(xs) => xs.iter().any(|x| equals(v, x) == Some(true)),
        }
    }

    /// The key ranges of an index on this property that hold exactly the values for which
    /// the condition holds, sorted and disjoint; `None` when an index cannot answer (a
    /// list or map to compare with, which has no key).
    pub(crate) fn ranges(&self) -> Option<Vec<KeyRange>> {
        let scalar = |v: &PropertyValue| v.is_indexable();
        let nonempty = |r: KeyRange| if r.is_empty() { vec![] } else { vec![r] };
        Some(match self {
            Condition::Eq(x) => {
                if !scalar(x) {
                    return None;
                }
                nonempty(range_eq(x))
            }
            Condition::Cmp(op, x) => {
                if !scalar(x) {
                    return None;
                }
                nonempty(range_cmp(*op, x))
            }
            Condition::Between(lo, hi) => {
                let parts: Vec<KeyRange> = [bound_cmp(lo, true), bound_cmp(hi, false)]
                    .into_iter()
                    .flatten()
                    .map(|(op, x)| scalar(x).then(|| range_cmp(op, x)))
                    .collect::<Option<_>>()?;
                let mut r = KeyRange {
                    lower: Vec::new(),
                    upper: None,
                };
                if parts.is_empty() {
                    // Every scalar but null: the keys below null's tag.
                    r.upper = Some(vec![NULL_TAG]);
                }
                for p in parts {
                    if p.lower > r.lower {
                        r.lower = p.lower;
                    }
                    r.upper = match (r.upper, p.upper) {
                        (None, u) | (u, None) => u,
                        (Some(a), Some(b)) => Some(a.min(b)),
                    };
                }
                nonempty(r)
            }
            Condition::StartsWith(p) => nonempty(prefix_range(p)),
            Condition::In(xs) => {
                if !xs.iter().all(scalar) {
                    return None;
                }
                crate::value::key::range_in(xs)
            }
        })
    }
}

/// The key tag of null (the last type group), below which every other scalar's key sorts.
const NULL_TAG: u8 = 0x50;

/// An index as stored in the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IndexDef {
    pub id: u32,
    pub name: String,
    pub kind: IndexKind,
    /// On edges of a type, else on nodes of a label.
    pub edges: bool,
    /// The label's or type's string id.
    pub target: u32,
    pub properties: Vec<String>,
    pub unique: bool,
    pub state: IndexState,
}

/// Most bytes an entry's values take as a key: the entry's id (at most 9 bytes) and its
/// length byte complete the entry within the storage engine's key limit.
pub(crate) const VALUES_KEY_MAX: usize = pagegraph_storage::limits::KEY_SIZE_MAX - 10;

impl IndexDef {
    /// Fails with `Invalid`, naming this index, when values whose key takes `len` bytes
    /// cannot be an entry of it (a long string, a list of them): checked before anything
    /// of the write is done, so that the transaction stays as it was.
    pub(crate) fn check_values_len(&self, len: usize) -> Result<()> {
        if len <= VALUES_KEY_MAX {
            return Ok(());
        }
        Err(GraphError::Invalid {
            field: "indexed value",
            reason: format!(
                "index {} on {} cannot hold a value of {len} bytes as a key (at most \
                 {VALUES_KEY_MAX}); drop the index or shorten the value",
                self.name,
                self.properties.join(", ")
            ),
        })
    }

    /// The tree holding the entries.
    pub(crate) fn tree(&self) -> String {
        entries_tree(self.id)
    }

    /// The added delta tree of a non-unique index (see "Delta trees" above).
    pub(crate) fn delta_tree(&self) -> String {
        delta_tree(self.id)
    }

    /// The removed delta tree of a non-unique index (see "Delta trees" above).
    pub(crate) fn removed_tree(&self) -> String {
        removed_tree(self.id)
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = vec![
            1,
            match self.kind {
                IndexKind::Property => 1,
            },
            u8::from(self.edges),
            u8::from(self.unique),
            match self.state {
                IndexState::Building => 0,
                IndexState::Ready => 1,
            },
        ];
        put_varint(&mut out, u64::from(self.target));
        put_varint(&mut out, self.name.len() as u64);
        out.extend_from_slice(self.name.as_bytes());
        put_varint(&mut out, self.properties.len() as u64);
        for p in &self.properties {
            put_varint(&mut out, p.len() as u64);
            out.extend_from_slice(p.as_bytes());
        }
        out
    }

    pub(crate) fn decode(key: &[u8], b: &[u8]) -> Result<IndexDef> {
        let id = <[u8; 4]>::try_from(key)
            .map(u32::from_be_bytes)
            .map_err(|_| GraphError::corrupt("index catalog key", format!("{key:?}"), "bad"))?;
        let bad = |r: &str| GraphError::corrupt("index definition", id, r);
        let [version, kind, edges, flags, state, ..] = *b else {
            return Err(bad("short"));
        };
        if version != 1 {
            return Err(bad("unknown version"));
        }
        let kind = match kind {
            1 => IndexKind::Property,
            _ => return Err(bad("unknown kind")),
        };
        let edges = match edges {
            0 => false,
            1 => true,
            _ => return Err(bad("unknown target")),
        };
        if flags > 1 {
            return Err(bad("unknown flags"));
        }
        let state = match state {
            0 => IndexState::Building,
            1 => IndexState::Ready,
            _ => return Err(bad("unknown state")),
        };
        let mut at = 5;
        let target = get_varint(b, &mut at)
            .and_then(|t| u32::try_from(t).ok())
            .ok_or_else(|| bad("bad target"))?;
        let text = |at: &mut usize| -> Result<String> {
            let n = get_varint(b, at).ok_or_else(|| bad("bad length"))? as usize;
            let s = at
                .checked_add(n)
                .and_then(|end| b.get(*at..end))
                .ok_or_else(|| bad("runs past the end"))?;
            *at += n;
            String::from_utf8(s.to_vec()).map_err(|_| bad("not UTF-8"))
        };
        let name = text(&mut at)?;
        let count = get_varint(b, &mut at).ok_or_else(|| bad("bad property count"))?;
        if count == 0 || count > PROPERTIES_MAX as u64 {
            return Err(bad("bad property count"));
        }
        let properties = (0..count)
            .map(|_| text(&mut at))
            .collect::<Result<Vec<_>>>()?;
        if at != b.len() {
            return Err(bad("bytes after the end"));
        }
        Ok(IndexDef {
            id,
            name,
            kind,
            edges,
            target,
            properties,
            unique: flags & 1 != 0,
            state,
        })
    }

    /// The key of an element's values in this index (without its id), or `None` when the
    /// element has no entry. `get` reads one property of the element.
    pub(crate) fn keys_of(
        &self,
        get: impl FnMut(&str) -> Result<Option<PropertyValue>>,
    ) -> Result<Option<Vec<u8>>> {
        let mut key = Vec::new();
        Ok(self.keys_of_into(get, &mut key)?.then_some(key))
    }

    /// [`IndexDef::keys_of`], written at the end of `out`: true if the element has an
    /// entry, else false with `out` as it was.
    pub(crate) fn keys_of_into(
        &self,
        mut get: impl FnMut(&str) -> Result<Option<PropertyValue>>,
        out: &mut Vec<u8>,
    ) -> Result<bool> {
        let start = out.len();
        match self.kind {
            IndexKind::Property => {
                for p in &self.properties {
                    match get(p)? {
                        Some(v) if encode_key(&v, out) => {}
                        _ => {
                            out.truncate(start);
                            return Ok(false);
                        }
                    }
                }
                Ok(true)
            }
        }
    }

    /// The error for a write that would give `existing`'s values to another element.
    pub(crate) fn violation(&self, target: &str, values: &[u8], existing: u64) -> GraphError {
        let shown = decode_values(values, self.properties.len()).map_or_else(
            |_| format!("{values:?}"),
            |vs| {
                vs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        );
        GraphError::ConstraintViolation {
            index: self.name.clone(),
            target: if self.edges {
                IndexTarget::EdgeType(target.to_string())
            } else {
                IndexTarget::Label(target.to_string())
            },
            properties: self.properties.clone(),
            value: shown,
            existing,
        }
    }
}

/// Most properties in one index.
pub const PROPERTIES_MAX: usize = 16;

/// The tree of index `id`'s entries.
pub(crate) fn entries_tree(id: u32) -> String {
    format!("g.ix.{id}")
}

/// The delta tree of entries added to index `id` (see "Delta trees" above).
pub(crate) fn delta_tree(id: u32) -> String {
    format!("g.ix.{id}.d")
}

/// The delta tree of entries removed from index `id`'s main tree (see "Delta trees").
pub(crate) fn removed_tree(id: u32) -> String {
    format!("g.ix.{id}.r")
}

/// The delta trees are applied to their main tree once they hold more than a sixteenth of
/// the main tree's entries, clamped to [`DELTA_MIN`]..=[`DELTA_MAX`].
const DELTA_RATIO: u64 = 16;
/// Entries the delta trees may always hold before they are applied (small indexes).
pub(crate) const DELTA_MIN: u64 = 256;
/// Entries the delta trees may hold before they are applied, however large the main tree:
/// bounds the work of one application (beyond what one transaction itself writes).
pub(crate) const DELTA_MAX: u64 = 1 << 18;

/// True when delta trees of `delta` entries in all beside a main tree of `main` entries are
/// due to be applied to it.
pub(crate) fn delta_due(delta: u64, main: u64) -> bool {
    delta > (main / DELTA_RATIO).clamp(DELTA_MIN, DELTA_MAX)
}

/// An entry: the values' key, then the id and its length.
pub(crate) fn entry_key(values: &[u8], id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(values.len() + 10);
    entry_key_into(values, id, &mut k);
    k
}

/// [`entry_key`], written at the end of `out`.
pub(crate) fn entry_key_into(values: &[u8], id: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(values);
    entry_id_into(id, out);
}

/// The part of an entry after its values' key: `id`, written at the end of `out`.
pub(crate) fn entry_id_into(id: u64, out: &mut Vec<u8>) {
    let idk = ordered_key(id);
    out.extend_from_slice(&idk);
    out.push(idk.len() as u8);
}

/// The entry of `id` with these values' key, made from the key's own buffer.
pub(crate) fn into_entry(mut values: Vec<u8>, id: u64) -> Vec<u8> {
    let idk = ordered_key(id);
    values.reserve_exact(idk.len() + 1);
    values.extend_from_slice(&idk);
    values.push(idk.len() as u8);
    values
}

/// Splits an entry into its values' key and its id.
pub(crate) fn decode_entry(k: &[u8]) -> Option<(&[u8], u64)> {
    let n = usize::from(*k.last()?);
    let at = k.len().checked_sub(1 + n)?;
    if !(1..=9).contains(&n) {
        return None;
    }
    let mut pos = at;
    let id = get_ordered(&k[..k.len() - 1], &mut pos)?;
    (pos == k.len() - 1).then_some((&k[..at], id))
}

/// Decodes `n` concatenated value keys.
pub(crate) fn decode_values(mut b: &[u8], n: usize) -> Result<Vec<PropertyValue>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (v, rest) =
            decode_key(b).map_err(|e| GraphError::corrupt("index entry", "", e.to_string()))?;
        out.push(v);
        b = rest;
    }
    if !b.is_empty() {
        return Err(GraphError::corrupt(
            "index entry",
            "",
            "bytes after the values",
        ));
    }
    Ok(out)
}

/// The ranges of entries whose values equal (openCypher equality) the values of `values`:
/// each combination of the keys of equal numbers (`1` and `1.0`).
pub(crate) fn equal_ranges(values: &[u8], n: usize) -> Result<Vec<KeyRange>> {
    let decoded = decode_values(values, n)?;
    let mut combos: Vec<Vec<u8>> = vec![Vec::new()];
    for v in &decoded {
        let keys = equal_keys(v);
        let keys = if keys.is_empty() {
            // Null and NaN equal nothing, but a stored NaN is still one value for a unique
            // constraint: its own key.
            let mut k = Vec::new();
            encode_key(v, &mut k);
            vec![k]
        } else {
            keys
        };
        combos = combos
            .iter()
            .flat_map(|c| keys.iter().map(move |k| [c.as_slice(), k].concat()))
            .collect();
    }
    Ok(combos.into_iter().map(KeyRange::prefixed).collect())
}

/// The first entry in `ranges` of `tree` whose id is not `me`.
pub(crate) fn first_other(tree: &Tree<'_>, ranges: Vec<KeyRange>, me: u64) -> Result<Option<u64>> {
    for r in ranges {
        let mut it = range_of(tree, r);
        while let Some(entry) = it.next_ref() {
            let (k, _) = entry?;
            let (_, id) = decode_entry(k).ok_or_else(bad_entry)?;
            if id != me {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}

/// Two entries of `tree` (an index on `n` properties) with equal values (openCypher
/// equality), if any: `(values, the later id, the earlier id)`. Equal keys are neighbours
/// in the tree; equal numbers of the two types (`1`, `1.0`) are looked up.
pub(crate) fn find_duplicate(tree: &Tree<'_>, n: usize) -> Result<Option<(Vec<u8>, u64, u64)>> {
    let mut prev: Option<u64> = None;
    let mut prev_values = Vec::new();
    let mut range = tree.iter();
    while let Some(entry) = range.next_ref() {
        let (k, _) = entry?;
        let (values, id) = decode_entry(k).ok_or_else(bad_entry)?;
        if let Some(pid) = prev
            && prev_values.as_slice() == values
        {
            return Ok(Some((values.to_vec(), id, pid)));
        }
        // Only a number can equal a value of another type (`1` and `1.0`); a single
        // string or boolean, the usual unique key, needs no decoding.
        if n > 1 || is_number_key(values) {
            let decoded = decode_values(values, n)?;
            if decoded.iter().any(|v| equal_keys(v).len() > 1)
                && let Some(other) = first_other(tree, equal_ranges(values, n)?, id)?
            {
                return Ok(Some((values.to_vec(), id.max(other), id.min(other))));
            }
        }
        prev = Some(id);
        prev_values.clear();
        prev_values.extend_from_slice(values);
    }
    Ok(None)
}

pub(crate) fn bad_entry() -> GraphError {
    GraphError::corrupt("index entry", "", "malformed key")
}

pub(crate) fn range_of<'a>(tree: &Tree<'a>, r: KeyRange) -> Range<'a> {
    let hi = r.upper.map_or(Bound::Unbounded, Bound::Excluded);
    tree.range_owned(Bound::Included(r.lower), hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_and_entries_round_trip_and_reject_damage() {
        let def = IndexDef {
            id: 7,
            name: "Person_first_last".into(),
            kind: IndexKind::Property,
            edges: false,
            target: 3,
            properties: vec!["first".into(), "last".into()],
            unique: true,
            state: IndexState::Ready,
        };
        let b = def.encode();
        assert_eq!(IndexDef::decode(&7u32.to_be_bytes(), &b).unwrap(), def);
        for cut in 0..b.len() {
            assert!(IndexDef::decode(&7u32.to_be_bytes(), &b[..cut]).is_err());
        }
        let mut extra = b.clone();
        extra.push(0);
        assert!(IndexDef::decode(&7u32.to_be_bytes(), &extra).is_err());
        for id in [0u64, 1, 255, 256, u64::MAX] {
            let k = entry_key(b"vals", id);
            assert_eq!(decode_entry(&k), Some((&b"vals"[..], id)));
        }
        assert_eq!(decode_entry(&[]), None);
        assert_eq!(decode_entry(&[0]), None);
        assert_eq!(decode_entry(&[9, 1]), None);
    }

    #[test]
    fn conditions_and_their_ranges_agree() {
        use PropertyValue as V;
        let values = [
            V::Int(-3),
            V::Int(1),
            V::Float(1.0),
            V::Float(1.5),
            V::Int(2),
            V::String(String::new()),
            V::String("ab".into()),
            V::String("abc".into()),
            V::String("b".into()),
            V::Bool(false),
            V::Bool(true),
            V::Float(f64::NAN),
            V::Float(f64::INFINITY),
        ];
        let conds = [
            Condition::Eq(V::Int(1)),
            Condition::Eq(V::Float(1.0)),
            Condition::Eq(V::String("ab".into())),
            Condition::Cmp(Inequality::Lt, V::Int(2)),
            Condition::Cmp(Inequality::Ge, V::Float(1.0)),
            Condition::Cmp(Inequality::Gt, V::String("ab".into())),
            Condition::Between(Bound::Included(V::Int(1)), Bound::Excluded(V::Int(2))),
            Condition::Between(Bound::Excluded(V::Int(1)), Bound::Unbounded),
            Condition::Between(
                Bound::Included(V::Int(1)),
                Bound::Included(V::String("z".into())),
            ),
            Condition::Between(Bound::Unbounded, Bound::Unbounded),
            Condition::StartsWith("ab".into()),
            Condition::StartsWith(String::new()),
            Condition::In(vec![
                V::Int(2),
                V::String("b".into()),
                V::Float(1.0),
                V::Null,
            ]),
        ];
        for c in &conds {
            let ranges = c.ranges().unwrap();
            for v in &values {
                let mut k = Vec::new();
                assert!(encode_key(v, &mut k));
                let k = entry_key(&k, 5);
                let by_index = ranges.iter().any(|r| r.contains(&k));
                assert_eq!(by_index, c.holds(Some(v)), "{c:?} on {v:?}");
            }
        }
        assert_eq!(Condition::Eq(V::List(vec![])).ranges(), None);
    }
}
