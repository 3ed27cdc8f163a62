//! The graph half of [`Graph::check`](crate::Graph::check): the invariants that tie the
//! trees together (the storage check has already proven each tree sound on its own).
//!
//! 1. Every node is in the name index under its name and in the kind index under its kind,
//!    and those indexes hold nothing else.
//! 2. Every edge's endpoints are nodes; the edge record chunks decode and their ids
//!    strictly increase across chunks (`edges.rs`).
//! 3. Every edge is in the outgoing adjacency under its source and in the incoming adjacency
//!    under its target, and those trees hold nothing else; their chunks decode, and a
//!    node's pairs strictly increase across its chunks (`adjacency.rs`).
//! 4. The kind (label), edge-type and self-loop counts match the nodes and edges.
//! 5. Every index in the catalog is ready, has its entry tree, and that tree holds exactly
//!    the entries the records give (`IndexDef::keys_of`); a unique index holds no two equal
//!    values; no entry tree is left without a catalog entry.
//!
//! A consistent graph is proven in one sequential scan of each tree, so checking a graph of
//! 100M edges reads each page about once instead of looking every edge up three times.
//! "Holds exactly these entries" is a comparison of multisets, each summarised by its size
//! and the sums of two independent 64-bit hashes of its members (an order-independent
//! fingerprint: a missing, extra or altered entry changes it except with probability about
//! 2^-128). Endpoints are tested against the set of node ids (a bitmap up to about twice the
//! node count, a sorted set beyond). When anything disagrees, the slower precise pass looks records up one by one
//! to name the nodes and edges at fault.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use crate::error::{GraphError, Result};
use crate::ids::{Direction, EdgeId, NodeId};
use crate::index::{IndexDef, IndexState, decode_entry, find_duplicate};
use crate::lookup::Source;
use crate::props;
use crate::read::ReadTxn;
use crate::record::{
    EdgeRecord, decode_data, decode_id_key, decode_kind_entry, decode_name_key, decode_node,
    kind_key, name_key, node_key,
};

/// An order-independent summary of a multiset of tuples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Multiset {
    len: u64,
    sum_a: u64,
    sum_b: u64,
}

/// The splitmix64 finaliser: a bijective mix of all 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Multiset {
    fn add(&mut self, parts: [u64; 4]) {
        let (mut a, mut b) = (0x243F_6A88_85A3_08D3_u64, 0x1319_8A2E_0370_7344_u64);
        for p in parts {
            a = mix(a ^ p);
            b = mix(b.wrapping_add(p).rotate_left(23) ^ 0x9E37_79B9_7F4A_7C15);
        }
        self.len += 1;
        self.sum_a = self.sum_a.wrapping_add(a);
        self.sum_b = self.sum_b.wrapping_add(b);
    }

    /// Takes one element out: `add` then `remove` of the same parts leaves the set as it was.
    fn remove(&mut self, parts: [u64; 4]) {
        let mut one = Multiset::default();
        one.add(parts);
        self.len = self.len.wrapping_sub(1);
        self.sum_a = self.sum_a.wrapping_sub(one.sum_a);
        self.sum_b = self.sum_b.wrapping_sub(one.sum_b);
    }
}

/// The fingerprint tuple of an index entry.
fn entry_tuple(def: &IndexDef, values: &[u8], id: u64) -> [u64; 4] {
    [u64::from(def.id), name_hash(values), id, 1]
}

/// A fixed (unkeyed) hash of a name, the same in every process.
fn name_hash(name: &[u8]) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(name)
}

/// The set of node ids: one bit per id up to `limit` (about the node count, so its memory
/// follows the graph's size whatever ids a damaged file holds), a sorted set beyond.
struct IdSet {
    bits: Vec<u64>,
    limit: u64,
    beyond: std::collections::BTreeSet<u64>,
}

impl IdSet {
    /// A set for a graph of about `nodes` nodes.
    fn for_nodes(nodes: u64) -> IdSet {
        IdSet {
            bits: Vec::new(),
            limit: nodes.saturating_mul(2).saturating_add(1 << 16),
            beyond: std::collections::BTreeSet::new(),
        }
    }

    fn insert(&mut self, id: NodeId) {
        if id.0 >= self.limit {
            self.beyond.insert(id.0);
            return;
        }
        let word = (id.0 / 64) as usize;
        if word >= self.bits.len() {
            self.bits.resize((word + 1).max(self.bits.len() * 2), 0);
        }
        self.bits[word] |= 1 << (id.0 % 64);
    }

    fn contains(&self, id: NodeId) -> bool {
        if id.0 >= self.limit {
            return self.beyond.contains(&id.0);
        }
        self.bits
            .get((id.0 / 64) as usize)
            .is_some_and(|w| w & (1 << (id.0 % 64)) != 0)
    }
}

impl ReadTxn {
    /// Checks the graph's own invariants (see the module docs); returns the problems found.
    pub(crate) fn graph_problems(&self) -> Result<Vec<String>> {
        let found = self.scan_problems()?;
        if found.is_empty() {
            return Ok(found);
        }
        let mut problems = self.precise_problems()?;
        for p in found {
            if !problems.contains(&p) {
                problems.push(p);
            }
        }
        Ok(problems)
    }

    /// The invariants proven by sequential scans; an empty list when they hold.
    fn scan_problems(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut ids = IdSet::for_nodes(self.node_count()?);
        let (mut names, mut kinds) = (Multiset::default(), Multiset::default());
        // Counted by string id (as the records hold them), named once at the end.
        let mut kind_counts: BTreeMap<u32, u64> = BTreeMap::new();
        let catalog: Vec<IndexDef> = self.catalog()?.to_vec();
        let mut expected: Vec<Multiset> = vec![Multiset::default(); catalog.len()];
        let node_data = self.tree(self.h.node_data);
        if let Some(nodes) = self.tree(self.h.nodes) {
            let mut range = nodes.iter();
            while let Some(entry) = range.next_ref() {
                let (k, v) = entry?;
                let id = NodeId(
                    decode_id_key(k).ok_or_else(|| GraphError::corrupt("node key", "", "bad"))?,
                );
                let rec = decode_node(id, &v)?;
                let data = if let Some(d) = rec.data {
                    decode_data("node", id, d)?
                } else {
                    let bytes = node_data
                        .as_ref()
                        .map(|t| t.get(&node_key(id)))
                        .transpose()?
                        .flatten()
                        .ok_or_else(|| {
                            GraphError::corrupt("node", id, "data missing from g.node_data")
                        })?;
                    decode_data("node", id, &bytes)?
                };
                let labels = rec.labels();
                ids.insert(id);
                names.add([name_hash(rec.name.as_bytes()), id.0, 0, 0]);
                for &l in &labels {
                    kinds.add([u64::from(l), id.0, 0, 0]);
                    *kind_counts.entry(l).or_default() += 1;
                }
                for (i, def) in catalog.iter().enumerate() {
                    if !def.edges && labels.contains(&def.target) {
                        let keys =
                            def.keys_of(|p| props::property("node data", rec.name, &data, p));
                        match keys {
                            Ok(Some(values)) => expected[i].add(entry_tuple(def, &values, id.0)),
                            Ok(None) => {}
                            Err(e) => problems.push(format!("node {id}: {e}")),
                        }
                    }
                }
            }
        }
        self.compare_index(self.h.name, "name", &names, &mut problems, |k| {
            decode_name_key(k).map(|(name, id)| [name_hash(name), id.0, 0, 0])
        })?;
        self.compare_index(self.h.kind, "kind", &kinds, &mut problems, |k| {
            decode_kind_entry(k).map(|(kind, id)| [u64::from(kind), id.0, 0, 0])
        })?;
        let mut edges = Multiset::default();
        let mut type_counts: BTreeMap<u32, u64> = BTreeMap::new();
        let mut loop_counts: BTreeMap<u32, u64> = BTreeMap::new();
        let mut last_edge = None;
        // Damage inside a chunk is a problem naming the chunk; the scan goes on.
        let mut damaged_chunks = Vec::new();
        let mut record = |id: EdgeId, rec: &EdgeRecord<'_>| -> Result<bool> {
            // Chunks must not overlap (edges.rs invariant 1): ids strictly ascend.
            if last_edge >= Some(id) {
                problems.push(format!(
                    "edge {id} is out of order (edge record chunks overlap)"
                ));
            }
            last_edge = Some(id);
            let data = decode_data("edge", id, rec.data)?;
            for (i, def) in catalog.iter().enumerate() {
                if def.edges && def.target == rec.edge_type {
                    match def.keys_of(|p| props::property("edge data", "", &data, p)) {
                        Ok(Some(values)) => expected[i].add(entry_tuple(def, &values, id.0)),
                        Ok(None) => {}
                        Err(e) => problems.push(format!("edge {id}: {e}")),
                    }
                }
            }
            for end in [rec.from, rec.to] {
                if !ids.contains(end) {
                    problems.push(format!("edge {id} points at missing node {end}"));
                }
            }
            edges.add([rec.from.0, u64::from(rec.edge_type), rec.to.0, id.0]);
            *type_counts.entry(rec.edge_type).or_default() += 1;
            if rec.from == rec.to {
                *loop_counts.entry(rec.edge_type).or_default() += 1;
            }
            Ok(true)
        };
        self.each_edge_tolerant(&mut record, &mut damaged_chunks)?;
        problems.append(&mut damaged_chunks);
        self.adjacency_problems(&edges, &mut problems)?;
        self.count_problems([kind_counts, type_counts, loop_counts], &mut problems)?;
        self.index_problems(&catalog, &expected, &mut problems)?;
        Ok(problems)
    }

    /// Calls `f` with every edge record, chunk by chunk; a damaged chunk (or key) is added
    /// to `damaged` and the scan goes on with the next chunk.
    fn each_edge_tolerant(
        &self,
        f: &mut dyn FnMut(EdgeId, &EdgeRecord<'_>) -> Result<bool>,
        damaged: &mut Vec<String>,
    ) -> Result<()> {
        let Some(tree) = self.tree(self.h.edges) else {
            return Ok(());
        };
        let mut range = tree.iter();
        while let Some(entry) = range.next_ref() {
            let (k, v) = entry?;
            let outcome = crate::edges::chunk_id(k)
                .and_then(|first| crate::edges::for_each_in_chunk(first, &v, &mut *f));
            match outcome {
                Ok(()) => {}
                Err(e @ GraphError::Corrupt { .. }) => {
                    damaged.push(format!("the edge records chunk with key {k:02x?}: {e}"));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Compares each index's entries with what the records gave (`expected`, by catalog
    /// position); unique indexes are searched for equal values; entry trees without a
    /// catalog entry are reported.
    fn index_problems(
        &self,
        catalog: &[IndexDef],
        expected: &[Multiset],
        problems: &mut Vec<String>,
    ) -> Result<()> {
        for (def, want) in catalog.iter().zip(expected) {
            if def.state != IndexState::Ready {
                problems.push(format!("index {} is not ready", def.name));
            }
            let Some(tree) = self.view(&def.tree())? else {
                problems.push(format!("index {} has no entry tree", def.name));
                continue;
            };
            let mut found = Multiset::default();
            let mut bad = false;
            // The index's entries are the main tree's less the removed delta's, plus the added
            // delta's (see `index`, "Delta trees"): an added entry also in the main tree and
            // not removed counts twice, so the multisets disagree.
            let [added, removed] = self.delta_views(def)?;
            for t in std::iter::once(&tree).chain(added.as_ref()) {
                t.iter().for_each_key(|k| match decode_entry(k) {
                    Some((values, id)) => found.add(entry_tuple(def, values, id)),
                    None => bad = true,
                })?;
            }
            if let Some(removed) = &removed {
                let mut missing = false;
                removed.iter().for_each_key(|k| match decode_entry(k) {
                    Some((values, id)) => {
                        found.remove(entry_tuple(def, values, id));
                        missing |= !matches!(tree.get(k), Ok(Some(_)));
                    }
                    None => bad = true,
                })?;
                if missing {
                    problems.push(format!(
                        "index {} records as removed an entry its main tree does not hold",
                        def.name
                    ));
                }
            }
            if bad {
                problems.push(format!("index {} holds a malformed key", def.name));
            }
            if found != *want {
                problems.push(format!("index {} and the records disagree", def.name));
            }
            if def.unique && !bad {
                match find_duplicate(&tree, def.properties.len()) {
                    Ok(Some((_, a, b))) => problems.push(format!(
                        "unique index {} holds equal values for {a} and {b}",
                        def.name
                    )),
                    Ok(None) => {}
                    Err(e) => problems.push(format!("index {}: {e}", def.name)),
                }
            }
        }
        // A unique index has no delta trees: one under its id is reported.
        let listed: Vec<String> = catalog
            .iter()
            .flat_map(|d| {
                let deltas = (!d.unique).then(|| [d.delta_tree(), d.removed_tree()]);
                std::iter::once(d.tree()).chain(deltas.into_iter().flatten())
            })
            .collect();
        for (name, _) in self.trees_named("g.ix.")? {
            if !listed.contains(&name) {
                problems.push(format!("tree {name} belongs to no index in the catalog"));
            }
        }
        Ok(())
    }

    /// Counts by string id as `(string, count)` in string order, as [`ReadTxn::kinds`] lists
    /// them.
    /// Compares the kept counts with `[kinds, edge types, self-loops]` counted from the
    /// records (self-loops where the format keeps them).
    fn count_problems(
        &self,
        [kinds, types, loops]: [BTreeMap<u32, u64>; 3],
        problems: &mut Vec<String>,
    ) -> Result<()> {
        if self.kinds()? != self.named_counts(kinds)? {
            problems.push("kind counts disagree with the nodes".into());
        }
        if self.edge_types()? != self.named_counts(types)? {
            problems.push("edge type counts disagree with the edges".into());
        }
        if let Some(kept) = self.self_loop_counts()?
            && kept != self.named_counts(loops)?
        {
            problems.push("self-loop counts disagree with the edges".into());
        }
        Ok(())
    }

    fn named_counts(&self, counts: BTreeMap<u32, u64>) -> Result<Vec<(String, u64)>> {
        let mut named = counts
            .into_iter()
            .map(|(id, n)| Ok((self.string(id)?, n)))
            .collect::<Result<Vec<_>>>()?;
        named.sort_unstable();
        Ok(named)
    }

    /// Compares the keys of an index tree, each decoded to a tuple, with the tuples the
    /// records say it must hold; a problem for each disagreement or malformed key.
    fn compare_index(
        &self,
        tree: Option<pagegraph_storage::TreeHandle>,
        what: &str,
        expected: &Multiset,
        problems: &mut Vec<String>,
        decode: impl Fn(&[u8]) -> Option<[u64; 4]>,
    ) -> Result<()> {
        let mut indexed = Multiset::default();
        let mut bad = false;
        if let Some(t) = self.tree(tree) {
            t.iter().for_each_key(|k| match decode(k) {
                Some(tuple) => indexed.add(tuple),
                None => bad = true,
            })?;
        }
        if bad {
            problems.push(format!("the {what} index holds a malformed key"));
        }
        if indexed != *expected {
            problems.push(format!("the {what} index and the nodes disagree"));
        }
        Ok(())
    }

    /// Invariant 3: each adjacency tree, scanned once, holds exactly the multiset `edges`
    /// of `[from, type, to, edge]` (a damaged chunk is a problem, not a failure).
    fn adjacency_problems(&self, edges: &Multiset, problems: &mut Vec<String>) -> Result<()> {
        for (incoming, name) in [(false, "outgoing"), (true, "incoming")] {
            let mut listed = Multiset::default();
            // Each `(node, type)`'s pairs, counted as the scan passes them (in key order).
            let mut groups = Multiset::default();
            let mut group: Option<(NodeId, u32, u64)> = None;
            let scanned = self.each_adjacency(incoming, None, None, |node, ty, other, edge| {
                let (from, to) = if incoming {
                    (other, node)
                } else {
                    (node, other)
                };
                listed.add([from.0, u64::from(ty), to.0, edge.0]);
                match &mut group {
                    Some(g) if g.0 == node && g.1 == ty => g.2 += 1,
                    _ => {
                        if let Some((n, t, c)) = group.replace((node, ty, 1)) {
                            groups.add([n.0, u64::from(t), c, 0]);
                        }
                    }
                }
            });
            if let Some((n, t, c)) = group {
                groups.add([n.0, u64::from(t), c, 0]);
            }
            match scanned {
                // A damaged chunk ends the scan: a problem of this check, not its failure.
                Err(e @ GraphError::Corrupt { .. }) => {
                    problems.push(format!("the {name} adjacency: {e}"));
                    continue;
                }
                Err(e) => return Err(e),
                Ok(()) => {}
            }
            if listed != *edges {
                problems.push(format!("the {name} adjacency and the edges disagree"));
            }
            self.delta_count_problems(incoming, name, problems)?;
            if self.h.degrees {
                self.degree_problems(incoming, name, &groups, problems)?;
            }
        }
        Ok(())
    }

    /// Invariant 4 of `adjacency/delta.rs`: the pair count `g.counts` keeps for a
    /// direction's delta is the number of pairs the delta holds.
    fn delta_count_problems(
        &self,
        incoming: bool,
        name: &str,
        problems: &mut Vec<String>,
    ) -> Result<()> {
        let main = if incoming {
            crate::record::IN
        } else {
            crate::record::OUT
        };
        let key = crate::record::count_key(
            crate::record::DELTA_PAIRS,
            crate::adjacency::delta::count_id(main),
        );
        let value = match self.tree(self.h.counts) {
            Some(t) => t.get(&key)?,
            None => None,
        };
        let kept = match value {
            Some(v) => {
                let Some(n) = crate::record::be_u64(&v, 0).filter(|_| v.len() == 8) else {
                    problems.push(format!(
                        "the {name} adjacency delta's pair count is damaged"
                    ));
                    return Ok(());
                };
                n
            }
            None => 0,
        };
        let mut held = 0u64;
        if let Some(delta) = self.adjacency_trees(incoming).1 {
            let mut range = delta.iter();
            while let Some(entry) = range.next_ref() {
                let (_, v) = entry?;
                match crate::adjacency::chunk_len(&v) {
                    Some(n) => held += n,
                    // A damaged chunk is reported by the scan of the adjacency.
                    None => return Ok(()),
                }
            }
        }
        if held != kept {
            problems.push(format!(
                "the {name} adjacency delta holds {held} pairs, its count says {kept}"
            ));
        }
        Ok(())
    }

    /// Invariant 1 of `degrees.rs`: the degree tree of a direction holds exactly the counts
    /// `groups` of `[node, type, count]` the adjacency's scan found.
    fn degree_problems(
        &self,
        incoming: bool,
        name: &str,
        groups: &Multiset,
        problems: &mut Vec<String>,
    ) -> Result<()> {
        let mut kept = Multiset::default();
        if let Some(tree) = self.degree_tree(incoming) {
            let whole = crate::degrees::each_count(&tree, |node, ty, count| {
                kept.add([node.0, u64::from(ty), count, 0]);
            })?;
            if !whole {
                problems.push(format!("the {name} degree counts hold a damaged entry"));
                return Ok(());
            }
        }
        if kept != *groups {
            problems.push(format!(
                "the {name} degree counts disagree with the adjacency"
            ));
        }
        Ok(())
    }

    /// Looks each node and edge up in the indexes and adjacency to name the ones at fault.
    /// Costs a few random lookups per edge: only run when the scans found a problem.
    fn precise_problems(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for node in self.nodes() {
            let node = node?;
            let named = match self.tree(self.h.name) {
                Some(t) => t.contains_key(&name_key(&node.name, node.id))?,
                None => false,
            };
            if !named {
                problems.push(format!("node {} is missing from the name index", node.id));
            }
            let kinded = match (self.tree(self.h.kind), self.string_id(&node.kind)?) {
                (Some(t), Some(kind)) => t.contains_key(&kind_key(kind, node.id))?,
                _ => false,
            };
            if !kinded {
                problems.push(format!("node {} is missing from the kind index", node.id));
            }
        }
        for edge in self.edges() {
            let edge = match edge {
                Ok(edge) => edge,
                // A damaged chunk of edge records (already a problem of the scan) ends the
                // edges this pass can name.
                Err(GraphError::Corrupt { .. }) => break,
                Err(e) => return Err(e),
            };
            for end in [edge.from, edge.to] {
                if self.node(end)?.is_none() {
                    problems.push(format!("edge {} points at missing node {end}", edge.id));
                }
            }
            for (dir, at, other, name) in [
                (Direction::Outgoing, edge.from, edge.to, "outgoing"),
                (Direction::Incoming, edge.to, edge.from, "incoming"),
            ] {
                match self.neighbors(at, dir, Some(&edge.edge_type)) {
                    Ok(listed) if listed.contains(&(edge.id, other)) => {}
                    Ok(_) => problems.push(format!(
                        "edge {} is missing from the {name} adjacency",
                        edge.id
                    )),
                    Err(e @ GraphError::Corrupt { .. }) => {
                        problems.push(format!("edge {}: {e}", edge.id));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_ignores_order_and_sees_any_change() {
        let tuples: Vec<[u64; 4]> = (0..1000).map(|i| [i % 7, i, i * 3, 1]).collect();
        let (mut fwd, mut back) = (Multiset::default(), Multiset::default());
        for &t in &tuples {
            fwd.add(t);
        }
        for &t in tuples.iter().rev() {
            back.add(t);
        }
        assert_eq!(fwd, back);
        for (i, change) in [[0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]]
            .into_iter()
            .enumerate()
        {
            let mut other = Multiset::default();
            for (j, t) in tuples.iter().enumerate() {
                let mut t = *t;
                if j == 100 + i {
                    for (x, d) in t.iter_mut().zip(change) {
                        *x += d;
                    }
                }
                other.add(t);
            }
            assert_ne!(other, fwd, "a change in field {i}");
        }
        // Swapping fields between tuples (same values, other tuples) is seen too.
        let mut swapped = Multiset::default();
        let mut ts = tuples.clone();
        (ts[0][2], ts[1][2]) = (ts[1][2], ts[0][2]);
        for &t in &ts {
            swapped.add(t);
        }
        assert_ne!(swapped, fwd);
    }

    #[test]
    fn the_id_set_holds_exactly_what_went_in() {
        let ids = [1, 2, 63, 64, 65, 1000, 70_000, 100_000, u64::MAX - 1];
        let mut set = IdSet::for_nodes(ids.len() as u64);
        for id in ids {
            set.insert(NodeId(id));
        }
        for id in (0..100_010).chain([u64::MAX - 2, u64::MAX - 1, u64::MAX]) {
            assert_eq!(set.contains(NodeId(id)), ids.contains(&id), "{id}");
        }
        assert!(
            set.bits.len() * 64 <= 2 * (1 << 16),
            "bits only up to the limit"
        );
        assert_eq!(set.beyond.len(), 3, "70,000, 100,000 and the last one");
    }
}
