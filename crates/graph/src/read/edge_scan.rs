//! Whole-graph scans of the edge records with chosen properties: every edge of some types,
//! its ends and the properties asked for, read in id order a leaf at a time (and, on a
//! large graph, in runs on several threads), with no lookup per edge.

use pagegraph_storage::{Tree, ValueRef};

use super::ReadTxn;
use crate::edges;
use crate::error::{GraphError, Result};
use crate::ids::{EdgeId, NodeId};
use crate::props;
use crate::value::PropertyRef;

/// One end of a run of keys (`None`: the tree's start or end).
type Bound<'k> = Option<&'k [u8]>;

impl ReadTxn {
    /// Calls `f(edge, from, to, values)` for every edge of one of `types` (any type when
    /// `None`), in id order, with its properties `keys` (in `keys` order, `None` for one it
    /// lacks), strings borrowed from the record where they can be: one sequential scan of
    /// the edge records, no lookup per edge. `f`'s error stops the scan and is returned;
    /// damage is an error, never a silent end.
    pub fn each_edge_property_refs<E: From<GraphError>>(
        &self,
        types: Option<&[&str]>,
        keys: &[&str],
        f: impl FnMut(EdgeId, NodeId, NodeId, &[Option<PropertyRef<'_>>]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let Some(tree) = self.tree(self.h.edges) else {
            return Ok(());
        };
        let wanted = self.type_ids(types)?;
        if wanted.as_ref().is_some_and(Vec::is_empty) {
            return Ok(());
        }
        edge_refs_between(&tree, None, None, wanted.as_deref(), keys, f)
    }

    /// [`ReadTxn::each_edge_property_refs`] on several threads: the edge records are cut
    /// into up to `sinks.len()` runs of about the same size, and run `i` goes to `sinks[i]`,
    /// in id order, on a thread of its own (the first on this one); every edge of a run is
    /// below every edge of the next. A small graph makes fewer runs (the later sinks are
    /// then not called). The first error stops its run and is returned once every run has
    /// ended (the first run's first).
    pub fn each_edge_property_refs_parted<E, F>(
        &self,
        types: Option<&[&str]>,
        keys: &[&str],
        sinks: &mut [F],
    ) -> std::result::Result<(), E>
    where
        E: From<GraphError> + Send,
        F: FnMut(EdgeId, NodeId, NodeId, &[Option<PropertyRef<'_>>]) -> std::result::Result<(), E>
            + Send,
    {
        let Some(tree) = self.tree(self.h.edges) else {
            return Ok(());
        };
        let wanted = self.type_ids(types)?;
        if wanted.as_ref().is_some_and(Vec::is_empty) {
            return Ok(());
        }
        let wanted = wanted.as_deref();
        let splits = tree
            .split_keys(sinks.len().max(1))
            .map_err(GraphError::from)?;
        // Run `t` is from split `t - 1` (included) to split `t` (excluded).
        let bounds: Vec<(Bound<'_>, Bound<'_>)> = (0..=splits.len())
            .map(|t| {
                let lo = t.checked_sub(1).map(|p| splits[p].as_slice());
                (lo, splits.get(t).map(Vec::as_slice))
            })
            .collect();
        // Each thread reads through a tree view of its own (views are not shared).
        super::on_runs(bounds, sinks, |(lo, hi), sink: &mut F| {
            match self.tree(self.h.edges) {
                Some(tree) => edge_refs_between(&tree, lo, hi, wanted, keys, sink),
                None => Ok(()),
            }
        })
    }
}

/// [`ReadTxn::each_edge_property_refs`] over the chunks keyed from `lo` (included) to `hi`
/// (excluded), `None` meaning the tree's start or end; `wanted` the type ids passed (any
/// when `None`).
fn edge_refs_between<E: From<GraphError>>(
    tree: &Tree<'_>,
    lo: Option<&[u8]>,
    hi: Option<&[u8]>,
    wanted: Option<&[u32]>,
    keys: &[&str],
    mut f: impl FnMut(EdgeId, NodeId, NodeId, &[Option<PropertyRef<'_>>]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    use std::ops::Bound as B;
    let lo = lo.map_or(B::Unbounded, B::Included);
    let hi = hi.map_or(B::Unbounded, B::Excluded);
    let mut range = tree.range(lo, hi);
    // The first error of `f` (the chunk decoder's callback can only return a graph error).
    let mut failed: Option<E> = None;
    let mut chunk = |first: EdgeId, value: &[u8]| -> Result<bool> {
        props::with_ref_slots(keys.len(), |out| {
            let mut go = true;
            edges::for_each_in_chunk(first, value, |id, rec| {
                if wanted.is_some_and(|w| !w.contains(&rec.edge_type)) {
                    return Ok(true);
                }
                props::property_refs_in_data("edge data", "edge", id, "", rec.data, keys, out)?;
                if let Err(e) = f(id, rec.from, rec.to, out) {
                    failed = Some(e);
                    go = false;
                }
                Ok(go)
            })?;
            Ok(go)
        })
    };
    loop {
        let step = range
            .next_run(|run| -> Result<bool> {
                run.touch();
                for (k, v) in run.entries() {
                    let first = edges::chunk_id(k)?;
                    let go = match v {
                        ValueRef::Inline(bytes) => chunk(first, bytes)?,
                        // A chunk too large for its leaf (an edge with large data): read whole.
                        ValueRef::Overflow { .. } => {
                            let bytes = tree
                                .get(k)?
                                .ok_or_else(|| GraphError::corrupt("edge", first, "missing"))?;
                            chunk(first, &bytes)?
                        }
                    };
                    if !go {
                        return Ok(false);
                    }
                }
                Ok(true)
            })
            .map_err(GraphError::from)?;
        match step {
            Some(Ok(true)) => {}
            Some(Ok(false)) => break,
            Some(Err(e)) => return Err(e.into()),
            None => return Ok(()),
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
