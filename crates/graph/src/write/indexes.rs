//! Index creation and drop, and the upkeep of index entries on every write.
//!
//! Each write computes the entries an element had and has (`IndexDef::keys_of` for every
//! index on its labels or type), checks the added ones against unique constraints, and only
//! then writes anything; so a violation leaves the transaction as it was. The entries a
//! write adds to a non-unique index are held in memory and written in key order later (see
//! [`super::pending`]), unless they come as a large sorted run (an import's batch), which
//! is written at once.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::ops::Bound;

use serde_json::Value;

use super::{NewNode, WriteTxn, check_label, check_len};
use crate::edges;
use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};
use crate::index::{
    IndexDef, IndexInfo, IndexKind, IndexSpec, IndexState, IndexTarget, PROPERTIES_MAX,
    entries_tree, entry_id_into, entry_key, entry_key_into, equal_ranges, find_duplicate,
    first_other, into_entry,
};
use crate::lookup::{self, NodeState, Source};
use crate::props;
use crate::record::{EDGES, INDEXES, KIND, LABEL_SIZE_MAX, decode_data, decode_kind_key, kind_key};
use crate::stage::{Later, PARALLEL_ITEMS_MIN, Staged};
use crate::value::PropertyValue;
use crate::value::key::{is_number_key, key_len};

/// Index entries of one element: (position in the catalog, key of its values).
pub(crate) type Entries = Vec<(usize, Vec<u8>)>;

/// Index entries of a batch: (position in the catalog, key of the values, element id).
pub(crate) type BatchEntries = Vec<(usize, Vec<u8>, u64)>;

/// Elements read per chunk while an index is built over existing data: bounds the memory
/// of the scan (the sorted entries themselves are bounded by the storage engine's `put`).
const BUILD_CHUNK: usize = 65_536;

/// A batch's run of entries for one index at least this long is written to the tree at
/// once (sorted, see `TreeMut::insert_sorted`) instead of being held (see [`super::pending`]).
pub(crate) const DIRECT_RUN_MIN: usize = 1024;

/// The key an element loses from an index and the key it gains (either may be none).
type KeyChange = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The keys index `def` loses and gains when an element that had (`had`) or has (`has`)
/// its label or type changes from the properties `old` gives to those `new` gives; `None`
/// when nothing changes, found without computing a key when every indexed property is
/// certainly the same (`same`).
fn entry_change(
    def: &IndexDef,
    (had, has): (bool, bool),
    same: impl Fn(&str) -> bool,
    old: impl FnMut(&str) -> Result<Option<PropertyValue>>,
    new: impl FnMut(&str) -> Result<Option<PropertyValue>>,
) -> Result<Option<KeyChange>> {
    if !had && !has || had && has && def.properties.iter().all(|p| same(p)) {
        return Ok(None);
    }
    let before = if had { def.keys_of(old)? } else { None };
    let after = if has { def.keys_of(new)? } else { None };
    Ok((before != after).then_some((before, after)))
}

/// Adds a change found by [`entry_change`] for the index at catalog position `i`.
fn push_change(removed: &mut Entries, added: &mut Entries, i: usize, change: Option<KeyChange>) {
    if let Some((before, after)) = change {
        removed.extend(before.map(|k| (i, k)));
        added.extend(after.map(|k| (i, k)));
    }
}

/// A key under which two values are equal exactly when openCypher says so: a number's key
/// with its type byte zeroed, so that `1` and `1.0` (whose keys differ only in that last
/// byte, see `value::key`) have one key; every other value's key as it is, copied without
/// being decoded (a batch has one per element).
#[cfg(test)]
fn canonical(values: &[u8], n: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(values.len());
    canonical_into(values, n, &mut out)?;
    Ok(out)
}

/// [`canonical`], written at the end of `out`.
fn canonical_into(values: &[u8], n: usize, out: &mut Vec<u8>) -> Result<()> {
    let bad = |e: crate::value::ValueError| GraphError::corrupt("index entry", "", e.to_string());
    let mut rest = values;
    for _ in 0..n {
        let len = key_len(rest).map_err(bad)?;
        let (key, tail) = rest.split_at(len);
        match key.split_last() {
            Some((_, body)) if is_number_key(key) => {
                out.extend_from_slice(body);
                out.push(0);
            }
            _ => out.extend_from_slice(key),
        }
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(GraphError::corrupt(
            "index entry",
            "",
            "bytes after the values",
        ));
    }
    Ok(())
}

/// The index entries of new nodes, computed from each node's parsed data as a batch stages
/// it (so the data is not parsed again): the indexes on each label are looked up once.
pub(crate) struct NodeEntries<'t> {
    tx: &'t WriteTxn,
    /// No index is on nodes: nothing to do.
    none: bool,
    /// Label name -> places in the catalog of the indexes on it.
    on_label: HashMap<String, Vec<usize>>,
}

impl<'t> NodeEntries<'t> {
    pub(crate) fn new(tx: &'t WriteTxn) -> NodeEntries<'t> {
        NodeEntries {
            tx,
            none: !tx.catalog.iter().any(|d| !d.edges),
            on_label: HashMap::new(),
        }
    }

    /// Calls `entry(place in the catalog, key)` for each index entry of `node`, whose labels
    /// are its kind and `more`.
    pub(crate) fn of(
        &mut self,
        node: &NewNode,
        more: Option<&[String]>,
        mut entry: impl FnMut(usize, Vec<u8>),
    ) -> Result<()> {
        if self.none {
            return Ok(());
        }
        let labels = std::iter::once(&node.kind).chain(more.unwrap_or_default());
        for label in labels {
            let defs = if let Some(defs) = self.on_label.get(label) {
                defs
            } else {
                let id = Source::string_id(self.tx, label)?.filter(|&l| l != 0);
                let defs = (0..self.tx.catalog.len())
                    .filter(|&d| {
                        let def = &self.tx.catalog[d];
                        !def.edges && Some(def.target) == id
                    })
                    .collect();
                self.on_label.entry(label.clone()).or_insert(defs)
            };
            for &d in defs {
                let def = &self.tx.catalog[d];
                if let Some(k) =
                    def.keys_of(|p| props::property("node data", &node.name, &node.data, p))?
                {
                    entry(d, k);
                }
            }
        }
        Ok(())
    }
}

/// Byte strings of a batch (index keys) in one buffer, sorted through small fixed-size
/// records: by group (an index's place in the catalog), then by the first eight bytes,
/// then by the whole string, then by the order they were added. Sorting a million
/// separately allocated keys chases a pointer per comparison; this compares numbers in
/// one array and reads the buffer only on ties of the first eight bytes.
#[derive(Default)]
struct SortedKeys {
    arena: Vec<u8>,
    items: Vec<KeyItem>,
}

#[derive(Clone, Copy)]
struct KeyItem {
    group: usize,
    head: u64,
    start: usize,
    end: usize,
    /// Where the key came from (a position in the batch).
    at: usize,
}

impl SortedKeys {
    fn with_capacity(n: usize) -> SortedKeys {
        SortedKeys {
            arena: Vec::new(),
            items: Vec::with_capacity(n),
        }
    }

    /// Adds a key written by `write` at the buffer's end.
    fn push(
        &mut self,
        group: usize,
        at: usize,
        write: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        let start = self.arena.len();
        write(&mut self.arena)?;
        let end = self.arena.len();
        let mut head = [0u8; 8];
        let n = (end - start).min(8);
        head[..n].copy_from_slice(&self.arena[start..start + n]);
        self.items.push(KeyItem {
            group,
            head: u64::from_be_bytes(head),
            start,
            end,
            at,
        });
        Ok(())
    }

    fn key(&self, item: &KeyItem) -> &[u8] {
        &self.arena[item.start..item.end]
    }

    fn sort(&mut self) {
        let arena = &self.arena;
        self.items.sort_unstable_by(|a, b| {
            (a.group, a.head)
                .cmp(&(b.group, b.head))
                .then_with(|| arena[a.start..a.end].cmp(&arena[b.start..b.end]))
                .then(a.at.cmp(&b.at))
        });
    }
}

/// Chunks whose entries an index build computes on helpers at once, while it reads the
/// next: reading the indexed properties out of the data text costs about twice as much as
/// reading the records.
const BUILD_HELPERS: usize = 2;

/// Most bytes of sorted entries an index build holds in memory to write them in one
/// ordered pass at the end; past it, they go through the storage engine's `put`, which
/// sorts them in bounded memory (spilling sorted runs to a temporary file).
const BUILD_MEMORY_BYTES: usize = 64 << 20;

/// Nodes read for an index build: ids, and each node's name and data text back to back.
#[derive(Default)]
struct RawNodes {
    ids: Vec<NodeId>,
    bytes: Vec<u8>,
    /// Where each node's name and data end in `bytes`.
    ends: Vec<(usize, usize)>,
}

impl RawNodes {
    fn push(&mut self, id: NodeId, name: &str, data: &[u8]) {
        self.ids.push(id);
        self.bytes.extend_from_slice(name.as_bytes());
        let name_end = self.bytes.len();
        self.bytes.extend_from_slice(data);
        self.ends.push((name_end, self.bytes.len()));
    }

    /// Empties the buffers, keeping their memory for the next chunk.
    fn clear(&mut self) {
        self.ids.clear();
        self.bytes.clear();
        self.ends.clear();
    }

    /// The entries of these nodes in `def`, sorted (so that the storage engine's sort of
    /// the whole build reads its buffer in long runs).
    fn entries(&self, def: &IndexDef) -> Result<KeyRun> {
        let keys: Vec<&str> = def.properties.iter().map(String::as_str).collect();
        let mut out = KeyRun::with_capacity(self.ids.len(), self.bytes.len() / 4);
        let mut start = 0;
        for (&id, &(name_end, data_end)) in self.ids.iter().zip(&self.ends) {
            let name = std::str::from_utf8(&self.bytes[start..name_end])
                .map_err(|_| GraphError::corrupt("node", id, "name is not UTF-8"))?;
            let data = &self.bytes[name_end..data_end];
            start = data_end;
            let values = props::properties_in_data("node data", "node", id, name, data, &keys)?;
            out.push_with(|arena| {
                let start = arena.len();
                if def.keys_of_into(taking(&keys, values), arena)? {
                    def.check_values_len(arena.len() - start)?;
                    entry_id_into(id.0, arena);
                    return Ok(true);
                }
                Ok(false)
            })?;
        }
        out.sort();
        Ok(out)
    }
}

/// Index entries built in one buffer and sorted by their first sixteen bytes (as a
/// number), then by the whole key: a build makes a million of them, and one allocation per entry
/// (and its free at the end) cost more than the sort; comparing numbers first keeps most
/// comparisons out of the buffer, in the sort and in the merge of the runs.
#[derive(Default)]
struct KeyRun {
    arena: Vec<u8>,
    /// (first sixteen bytes, start, end) of each key in `arena`.
    items: Vec<(u128, usize, usize)>,
}

impl KeyRun {
    fn with_capacity(entries: usize, bytes: usize) -> KeyRun {
        KeyRun {
            arena: Vec::with_capacity(bytes),
            items: Vec::with_capacity(entries),
        }
    }

    /// Adds the key `write` appends to the buffer, if it says it wrote one.
    fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>) -> Result<bool>) -> Result<()> {
        let start = self.arena.len();
        if !write(&mut self.arena)? {
            self.arena.truncate(start);
            return Ok(());
        }
        let end = self.arena.len();
        self.items
            .push((head_u128(&self.arena[start..end]), start, end));
        Ok(())
    }

    /// Sorts the keys, and rewrites the buffer in their order: the merge of the runs then
    /// reads each buffer front to back, where it would otherwise wait for memory on every
    /// key (a run's buffer fits in a cache while it is rewritten, not while all are merged).
    fn sort(&mut self) {
        let arena = &self.arena;
        self.items.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| arena[a.1..a.2].cmp(&arena[b.1..b.2]))
        });
        let mut sorted = Vec::with_capacity(self.arena.len());
        for item in &mut self.items {
            let start = sorted.len();
            sorted.extend_from_slice(&self.arena[item.1..item.2]);
            *item = (item.0, start, sorted.len());
        }
        self.arena = sorted;
    }

    fn key(&self, i: usize) -> Option<(u128, &[u8])> {
        let &(head, start, end) = self.items.get(i)?;
        Some((head, &self.arena[start..end]))
    }

    fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.items.iter().map(|&(_, s, e)| &self.arena[s..e])
    }

    fn bytes(&self) -> usize {
        self.arena.len() + self.items.len() * std::mem::size_of::<(u128, usize, usize)>()
    }
}

/// The first sixteen bytes of `key` as a big-endian number, zero-padded: numbers compare
/// as their keys' first sixteen bytes do. Sixteen, not eight: a number's key spends its
/// first byte on the type and most of the next on the sign and high bits, so eight bytes
/// tell few integers apart, and most entries (an integer and an id) fit in sixteen.
fn head_u128(key: &[u8]) -> u128 {
    let mut head = [0u8; 16];
    let n = key.len().min(16);
    head[..n].copy_from_slice(&key[..n]);
    u128::from_be_bytes(head)
}

/// The next key of a run in the merge: its first sixteen bytes, the key, the run and the
/// key's place in it.
type RunHead<'r> = (u128, &'r [u8], usize, usize);

/// The sorted chunks of an index build's entries, held until they can be merged into one
/// ordered pass (see `BUILD_MEMORY_BYTES`).
#[derive(Default)]
struct SortedRuns {
    runs: Vec<KeyRun>,
    bytes: usize,
    /// Past the memory bound: entries go to `put` as they come.
    put: bool,
}

impl SortedRuns {
    fn add(&mut self, txn: &mut WriteTxn, tree: &str, run: KeyRun) -> Result<()> {
        if self.put {
            return txn.put_entries(tree, run.keys());
        }
        self.bytes += run.bytes();
        self.runs.push(run);
        if self.bytes > BUILD_MEMORY_BYTES {
            self.put = true;
            for run in std::mem::take(&mut self.runs) {
                txn.put_entries(tree, run.keys())?;
            }
        }
        Ok(())
    }

    /// Writes the runs held, merged into key order, in one pass.
    fn finish(self, txn: &mut WriteTxn, tree: &str) -> Result<()> {
        if self.runs.is_empty() {
            return Ok(());
        }
        let mut heads: BinaryHeap<Reverse<RunHead<'_>>> = self
            .runs
            .iter()
            .enumerate()
            .filter_map(|(r, run)| {
                let (head, key) = run.key(0)?;
                Some(Reverse((head, key, r, 0)))
            })
            .collect();
        let merged = std::iter::from_fn(|| {
            let Reverse((_, key, r, i)) = heads.pop()?;
            if let Some((head, next)) = self.runs.get(r).and_then(|run| run.key(i + 1)) {
                heads.push(Reverse((head, next, r, i + 1)));
            }
            Some((key, []))
        });
        txn.tx.tree(tree)?.insert_many(merged)?;
        Ok(())
    }
}

/// The property getter for `IndexDef::keys_of` over values read for `keys`, in order.
fn taking<'k>(
    keys: &'k [&str],
    mut values: Vec<Option<PropertyValue>>,
) -> impl FnMut(&str) -> Result<Option<PropertyValue>> + 'k {
    move |p| {
        let at = keys.iter().position(|k| *k == p);
        Ok(at.and_then(|at| values.get_mut(at)).and_then(Option::take))
    }
}

impl WriteTxn {
    /// The name of a string id, for errors and listings.
    fn name_of(&self, id: u32) -> Result<String> {
        Source::string(self, id)
    }

    /// The entries of a node in the indexes on its labels.
    pub(crate) fn node_entries(&self, n: &NodeState) -> Result<Entries> {
        let mut out = Vec::new();
        for (i, def) in self.catalog.iter().enumerate() {
            if !def.edges
                && n.labels.contains(&def.target)
                && let Some(k) = def.keys_of(|p| n.property(p))?
            {
                out.push((i, k));
            }
        }
        Ok(out)
    }

    /// The entries a node loses and gains when it changes from `old` to `new`, in the
    /// indexes on the labels it had or has. An index whose properties keep their stored
    /// values, on a label the node keeps, is not looked at: an update of one property
    /// computes the keys of the indexes on that property alone.
    pub(crate) fn node_entry_changes(
        &self,
        old: &NodeState,
        new: &NodeState,
    ) -> Result<(Entries, Entries)> {
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        for (i, def) in self.catalog.iter().enumerate() {
            if def.edges {
                continue;
            }
            let had = old.labels.contains(&def.target);
            let has = new.labels.contains(&def.target);
            let same =
                |p: &str| props::same_property((&old.name, &old.data), (&new.name, &new.data), p);
            let change = entry_change(
                def,
                (had, has),
                same,
                |p| old.property(p),
                |p| new.property(p),
            )?;
            push_change(&mut removed, &mut added, i, change);
        }
        Ok((removed, added))
    }

    /// [`WriteTxn::node_entry_changes`] for an edge of type `ty` whose data changes from
    /// `old` to `new`.
    pub(crate) fn edge_entry_changes(
        &self,
        ty: u32,
        old: &Value,
        new: &Value,
    ) -> Result<(Entries, Entries)> {
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        for (i, def) in self.catalog.iter().enumerate() {
            if !def.edges || def.target != ty {
                continue;
            }
            let same = |p: &str| props::same_property(("", old), ("", new), p);
            let get = |data: &Value, p: &str| props::property("edge data", "", data, p);
            let change = entry_change(def, (true, true), same, |p| get(old, p), |p| get(new, p))?;
            push_change(&mut removed, &mut added, i, change);
        }
        Ok((removed, added))
    }

    /// The entries of an edge of type `ty` with `data` in the indexes on its type.
    pub(crate) fn edge_entries(&self, ty: u32, data: &Value) -> Result<Entries> {
        let mut out = Vec::new();
        for (i, def) in self.catalog.iter().enumerate() {
            if def.edges
                && def.target == ty
                && let Some(k) = def.keys_of(|p| props::property("edge data", "", data, p))?
            {
                out.push((i, k));
            }
        }
        Ok(out)
    }

    /// Fails with `ConstraintViolation` if an entry of `added` would give an element other
    /// than `me` the values another element holds under a unique constraint.
    ///
    /// Also fails with `Invalid` if an entry's values are too long to be a key.
    pub(crate) fn check_unique(&self, added: &[(usize, Vec<u8>)], me: u64) -> Result<()> {
        for (d, values) in added {
            self.catalog[*d].check_values_len(values.len())?;
            self.check_unique_one(*d, values, me)?;
        }
        Ok(())
    }

    /// `check_unique` for one entry: index `d` of the catalog, these values.
    fn check_unique_one(&self, d: usize, values: &[u8], me: u64) -> Result<()> {
        let def = &self.catalog[d];
        if !def.unique {
            return Ok(());
        }
        debug_assert!(
            self.pending.get(def.id).is_none(),
            "unique entries are never held"
        );
        let Some(tree) = self.view(&def.tree())? else {
            return Ok(());
        };
        let ranges = equal_ranges(values, def.properties.len())?;
        if let Some(other) = first_other(&tree, ranges, me)? {
            return Err(def.violation(&self.name_of(def.target)?, values, other));
        }
        Ok(())
    }

    /// Removes and adds an element's entries.
    pub(crate) fn apply_entries(
        &mut self,
        id: u64,
        removed: &[(usize, Vec<u8>)],
        added: &[(usize, Vec<u8>)],
    ) -> Result<()> {
        for (d, values) in removed {
            let def = &self.catalog[*d];
            let key = entry_key(values, id);
            if self.pending.remove(def.id, &key) {
                continue;
            }
            if def.unique {
                let tree = def.tree();
                self.tx.tree(&tree)?.remove(&key)?;
                continue;
            }
            // Else from the added delta when it holds the entry, else it is in the main tree:
            // recorded in the removed delta (see `index`, "Delta trees").
            let delta = def.delta_tree();
            let in_delta =
                self.tx.view_tree(&delta)?.is_some() && self.tx.tree(&delta)?.remove(&key)?;
            if !in_delta {
                let removed = def.removed_tree();
                self.tx.tree(&removed)?.insert(&key, &[])?;
            }
            self.pending.touch(def.id);
        }
        for (d, values) in added {
            let def = &self.catalog[*d];
            if def.unique {
                // Written now: the unique check has just read the leaf it goes into.
                let tree = def.tree();
                self.tx.tree(&tree)?.insert(&entry_key(values, id), &[])?;
            } else {
                self.pending.add(def.id, entry_key(values, id));
            }
        }
        self.flush_pending_if_full()
    }

    /// The index entries of a batch of new edges.
    pub(crate) fn batch_edge_entries(
        &self,
        ids: &[EdgeId],
        types: &[u32],
        batch: &Staged,
    ) -> Result<BatchEntries> {
        let mut out = Vec::new();
        if !self.catalog.iter().any(|d| d.edges) {
            return Ok(out);
        }
        for (i, &id) in ids.iter().enumerate() {
            if !self.catalog.iter().any(|d| d.edges && d.target == types[i]) {
                continue;
            }
            let data = decode_data("edge", id, batch.data(i))?;
            for (d, k) in self.edge_entries(types[i], &data)? {
                out.push((d, k, id.0));
            }
        }
        Ok(out)
    }

    /// Checks a batch's entries against unique constraints: against each other and against
    /// the indexes as they are. The error names the first entry, in batch order, that
    /// repeats an earlier one's values or an indexed element's. An entry whose values are
    /// too long to be a key fails the batch with `Invalid` first.
    ///
    /// Repeats inside the batch are found by sorting each index's canonical keys, so that
    /// equal values are neighbours (no hash map of a million keys); the index is searched
    /// once per entry, and not at all while it is empty (a label's first import).
    pub(crate) fn check_batch_unique(&self, entries: &BatchEntries) -> Result<()> {
        let mut keys = SortedKeys::with_capacity(entries.len());
        for (at, (d, values, _)) in entries.iter().enumerate() {
            let def = &self.catalog[*d];
            def.check_values_len(values.len())?;
            if def.unique {
                let n = def.properties.len();
                keys.push(*d, at, |out| canonical_into(values, n, out))?;
            }
        }
        if keys.items.is_empty() {
            return Ok(());
        }
        keys.sort();
        // The first violation: (position of the later entry, the id holding the values).
        let mut first: Option<(usize, u64)> = None;
        for pair in keys.items.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            // Equal keys are sorted by position: `a` came first in the batch.
            if a.group == b.group
                && a.head == b.head
                && keys.key(a) == keys.key(b)
                && first.is_none_or(|(f, _)| b.at < f)
            {
                first = Some((b.at, entries[a.at].2));
            }
        }
        for group in keys.items.chunk_by(|a, b| a.group == b.group) {
            let def = &self.catalog[group[0].group];
            debug_assert!(
                self.pending.get(def.id).is_none(),
                "unique entries are never held"
            );
            let Some(tree) = self.view(&def.tree())?.filter(|t| !t.is_empty()) else {
                continue;
            };
            let mut positions: Vec<usize> = group.iter().map(|k| k.at).collect();
            positions.sort_unstable();
            for at in positions {
                if first.is_some_and(|(f, _)| at >= f) {
                    break;
                }
                let (_, values, id) = &entries[at];
                let ranges = equal_ranges(values, def.properties.len())?;
                if let Some(other) = first_other(&tree, ranges, *id)? {
                    first = Some((at, other));
                    break;
                }
            }
        }
        match first {
            None => Ok(()),
            Some((at, holder)) => {
                let (d, values, _) = &entries[at];
                let def = &self.catalog[*d];
                Err(def.violation(&self.name_of(def.target)?, values, holder))
            }
        }
    }

    /// Writes a batch's entries, each index's sorted and in one pass.
    pub(crate) fn insert_entries(&mut self, entries: BatchEntries) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        // An entry's key is its values then its id, so sorting keys sorts (values, id).
        let mut keys = SortedKeys::with_capacity(entries.len());
        for (at, (d, values, id)) in entries.iter().enumerate() {
            keys.push(*d, at, |out| {
                entry_key_into(values, *id, out);
                Ok(())
            })?;
        }
        drop(entries);
        keys.sort();
        for run in keys.items.chunk_by(|a, b| a.group == b.group) {
            let def = &self.catalog[run[0].group];
            let id = def.id;
            if run.len() < DIRECT_RUN_MIN && !def.unique {
                // A small write's entries are held and written with the others in key
                // order (see `pending`); a unique index's are written now, since its check
                // has just read the leaves they go into.
                for k in run {
                    self.pending.add(id, keys.key(k).to_vec());
                }
                continue;
            }
            // Sorted: a run large against the index rewrites it full (see `insert_sorted`),
            // after the entries held for it, so that the tree holds them all.
            self.flush_index(id)?;
            let run: Vec<(&[u8], [u8; 0])> = run.iter().map(|k| (keys.key(k), [])).collect();
            self.tx.tree(&entries_tree(id))?.insert_sorted(&run)?;
        }
        self.flush_pending_if_full()
    }

    /// Creates an index and builds it over the existing data, in this transaction: lookups
    /// in this transaction use it at once, and other transactions once it commits. For a
    /// unique constraint, existing duplicates fail the creation with `ConstraintViolation`
    /// and leave the transaction as it was.
    ///
    /// The build reads the label's nodes (or every edge, for an edge type) in chunks and
    /// sorts the entries in bounded memory (spilling to a temporary file beside the
    /// database), then writes the tree in key order.
    pub fn create_index(&mut self, spec: IndexSpec) -> Result<IndexInfo> {
        let (edges, target_name) = match &spec.target {
            IndexTarget::Label(l) => (false, l.as_str()),
            IndexTarget::EdgeType(t) => (true, t.as_str()),
        };
        check_label(if edges { "edge type" } else { "node label" }, target_name)?;
        if spec.properties.is_empty() || spec.properties.len() > PROPERTIES_MAX {
            return Err(GraphError::Invalid {
                field: "index properties",
                reason: format!("between 1 and {PROPERTIES_MAX} are needed"),
            });
        }
        for (i, p) in spec.properties.iter().enumerate() {
            check_label("index property", p)?;
            if spec.properties[..i].contains(p) {
                return Err(GraphError::Invalid {
                    field: "index properties",
                    reason: format!("{p} is listed twice"),
                });
            }
        }
        let name = spec
            .name
            .clone()
            .unwrap_or_else(|| format!("{target_name}_{}", spec.properties.join("_")));
        check_label("index name", &name)?;
        check_len("index name", &name, LABEL_SIZE_MAX)?;
        if self.catalog.iter().any(|d| d.name == name) {
            return Err(GraphError::IndexExists(name));
        }
        let target = self.intern(target_name)?;
        if let Some(same) = self.catalog.iter().find(|d| {
            d.kind == IndexKind::Property
                && d.edges == edges
                && d.target == target
                && d.properties == spec.properties
        }) {
            return Err(GraphError::IndexExists(same.name.clone()));
        }
        let def = IndexDef {
            id: self.next_index,
            name,
            kind: IndexKind::Property,
            edges,
            target,
            properties: spec.properties,
            unique: spec.unique,
            state: IndexState::Ready,
        };
        let tree = def.tree();
        // A tree under the new id can only be left by damage; start from nothing.
        self.tx.delete_tree(&tree)?;
        self.tx.delete_tree(&def.delta_tree())?;
        self.tx.delete_tree(&def.removed_tree())?;
        if let Err(e) = self.build(&def) {
            self.tx.delete_tree(&tree)?;
            return Err(e);
        }
        self.next_index = self
            .next_index
            .checked_add(1)
            .ok_or_else(|| GraphError::Invalid {
                field: "index catalog",
                reason: "no index id left".into(),
            })?;
        self.tx
            .tree(INDEXES)?
            .insert(&def.id.to_be_bytes(), &def.encode())?;
        // An empty index still has its tree, so that `check` can tell it from a lost one.
        self.tx.tree(&tree)?;
        self.catalog.push(def);
        let def = self.catalog.last().ok_or_else(|| {
            GraphError::corrupt("index catalog", "", "lost the index just created")
        })?;
        lookup::info_of(self, def)
    }

    /// Fills `def`'s tree from the records; checks its unique constraint.
    fn build(&mut self, def: &IndexDef) -> Result<()> {
        let tree = def.tree();
        if def.edges {
            let mut after = 0u64;
            while let Some((last, entries)) = self.edge_chunk(def, after)? {
                after = last;
                self.put_entries(&tree, entries)?;
            }
        } else {
            self.build_nodes(def, &tree)?;
        }
        self.tx.apply_puts()?;
        if def.unique {
            self.check_built_unique(def)?;
        }
        Ok(())
    }

    /// Puts entries into the index tree `tree` (buffered and sorted by the storage engine).
    fn put_entries(
        &mut self,
        tree: &str,
        entries: impl IntoIterator<Item = impl AsRef<[u8]>>,
    ) -> Result<()> {
        let mut t = self.tx.tree(tree)?;
        for k in entries {
            t.put(k.as_ref(), &[])?;
        }
        Ok(())
    }

    /// The node half of `build`: this thread reads the label's nodes a chunk at a time,
    /// while a helper computes and sorts the entries of the chunk read before (reading the
    /// indexed properties out of the data text costs about as much as reading the
    /// records, so the two overlap). The sorted chunks are then merged and written in one
    /// ordered pass, or, past `BUILD_MEMORY_BYTES`, put as they come.
    fn build_nodes(&mut self, def: &IndexDef, tree: &str) -> Result<()> {
        let runs = std::thread::scope(|scope| -> Result<SortedRuns> {
            let mut runs = SortedRuns::default();
            let mut after = 0u64;
            let mut pending = VecDeque::new();
            // Buffers of chunks already computed, reused: fresh ones of this size cost the
            // kernel's zeroing of their pages and the copies of their growth.
            let mut spare: Vec<RawNodes> = Vec::new();
            loop {
                let nodes = spare.pop().unwrap_or_default();
                let next = self.node_chunk(def, after, nodes)?.map(|(last, nodes)| {
                    after = last;
                    let parallel = nodes.ids.len() >= PARALLEL_ITEMS_MIN;
                    Later::start(scope, parallel, move || {
                        let entries = nodes.entries(def);
                        (entries, nodes)
                    })
                });
                let done = next.is_none();
                pending.extend(next);
                while pending.len() > BUILD_HELPERS || done && !pending.is_empty() {
                    if let Some((entries, mut nodes)) = pending.pop_front().map(Later::get) {
                        runs.add(self, tree, entries?)?;
                        nodes.clear();
                        spare.push(nodes);
                    }
                }
                if done {
                    return Ok(runs);
                }
            }
        })?;
        runs.finish(self, tree)
    }

    /// The nodes of `def`'s label with ids in `after + 1 ..= after + BUILD_CHUNK` (at most
    /// `BUILD_CHUNK`), as stored, into the empty buffers `nodes`, and the last id of that
    /// span; `None` past the last node.
    fn node_chunk(
        &self,
        def: &IndexDef,
        after: u64,
        mut nodes: RawNodes,
    ) -> Result<Option<(u64, RawNodes)>> {
        if after >= self.next_node.saturating_sub(1) {
            return Ok(None);
        }
        let last = after.saturating_add(BUILD_CHUNK as u64);
        let Some(labels) = self.view(KIND)? else {
            return Ok(Some((last, nodes)));
        };
        let start = kind_key(def.target, NodeId(after.saturating_add(1)));
        let end = kind_key(def.target, NodeId(last));
        let mut ids = Vec::new();
        let mut bad = false;
        labels
            .range(Bound::Included(&start[..]), Bound::Included(&end[..]))
            .for_each_key(|k| match decode_kind_key(k) {
                Some(id) => ids.push(id),
                None => bad = true,
            })?;
        if bad {
            return Err(GraphError::corrupt(
                "label index entry",
                def.target,
                "bad key",
            ));
        }
        lookup::each_node_data(
            self,
            &ids,
            "label index entry",
            |id, name, data| -> Result<()> {
                nodes.push(id, name, data);
                Ok(())
            },
        )?;
        Ok(Some((last, nodes)))
    }

    /// As `node_chunk`, over every edge (edges have no type index), keeping `def`'s type,
    /// with each edge's entry.
    fn edge_chunk(&self, def: &IndexDef, after: u64) -> Result<Option<(u64, Vec<Vec<u8>>)>> {
        let Some(edges) = self.view(EDGES)? else {
            return Ok(None);
        };
        let keys: Vec<&str> = def.properties.iter().map(String::as_str).collect();
        let mut out = Vec::new();
        let mut last = None;
        let mut read = 0;
        edges::each_from(&edges, EdgeId(after.saturating_add(1)), |id, rec| {
            read += 1;
            last = Some(id.0);
            if rec.edge_type == def.target {
                let values =
                    props::properties_in_data("edge data", "edge", id, "", rec.data, &keys)?;
                if let Some(k) = def.keys_of(taking(&keys, values))? {
                    def.check_values_len(k.len())?;
                    out.push(into_entry(k, id.0));
                }
            }
            Ok(read < BUILD_CHUNK)
        })?;
        Ok(last.map(|l| (l, out)))
    }

    /// Proves a freshly built unique index holds no two equal values.
    fn check_built_unique(&self, def: &IndexDef) -> Result<()> {
        let Some(tree) = self.view(&def.tree())? else {
            return Ok(());
        };
        if let Some((values, _, existing)) = find_duplicate(&tree, def.properties.len())? {
            return Err(def.violation(&self.name_of(def.target)?, &values, existing));
        }
        Ok(())
    }

    /// Drops the index named `name` (`IndexNotFound` if there is none) and frees its pages.
    pub fn drop_index(&mut self, name: &str) -> Result<()> {
        let Some(pos) = self.catalog.iter().position(|d| d.name == name) else {
            return Err(GraphError::IndexNotFound(name.to_string()));
        };
        let def = self.catalog[pos].clone();
        self.pending.take(def.id);
        self.tx.delete_tree(&def.tree())?;
        self.tx.delete_tree(&def.delta_tree())?;
        self.tx.delete_tree(&def.removed_tree())?;
        self.tx.tree(INDEXES)?.remove(&def.id.to_be_bytes())?;
        self.catalog.remove(pos);
        Ok(())
    }

    /// Every index, by name, as this transaction sees the catalog.
    pub fn indexes(&self) -> Result<Vec<IndexInfo>> {
        lookup::index_infos(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::value::{PropertyValue as V, encode_key};

    fn keys(vs: &[V]) -> Vec<u8> {
        let mut k = Vec::new();
        for v in vs {
            assert!(encode_key(v, &mut k));
        }
        k
    }

    #[test]
    fn canonical_keys_are_equal_exactly_for_equal_values() {
        let cases = [
            (
                vec![V::String("a".into()), V::Int(1)],
                vec![V::String("a".into()), V::Float(1.0)],
                true,
            ),
            (vec![V::Int(7)], vec![V::Float(7.0)], true),
            (vec![V::Int(7)], vec![V::Float(7.5)], false),
            (
                vec![V::Float(0.5), V::Bool(true)],
                vec![V::Float(0.5), V::Bool(true)],
                true,
            ),
            (
                vec![V::String("x\u{0}".into())],
                vec![V::String("x".into())],
                false,
            ),
            (
                vec![V::Float(-2.0), V::Null],
                vec![V::Int(-2), V::Null],
                true,
            ),
            (vec![V::Float(-0.0)], vec![V::Int(0)], true),
            (vec![V::Float(1e300)], vec![V::Int(i64::MAX)], false),
            (vec![V::Float(2f64.powi(63))], vec![V::Int(i64::MAX)], false),
            (
                vec![V::Float(-(2f64.powi(63)))],
                vec![V::Int(i64::MIN)],
                true,
            ),
            (vec![V::Float(f64::NAN)], vec![V::Float(f64::NAN)], true),
            (
                vec![V::Float(f64::INFINITY)],
                vec![V::Float(f64::NEG_INFINITY)],
                false,
            ),
        ];
        for (a, b, equal) in cases {
            let (ka, kb) = (keys(&a), keys(&b));
            let (ca, cb) = (
                canonical(&ka, a.len()).unwrap(),
                canonical(&kb, b.len()).unwrap(),
            );
            assert_eq!(ca == cb, equal, "{a:?} {b:?}");
        }
        assert!(canonical(&keys(&[V::Int(1)]), 2).is_err());
        assert!(canonical(&keys(&[V::Int(1), V::Int(2)]), 1).is_err());
    }
}
