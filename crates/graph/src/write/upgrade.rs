//! The steps of a graph format upgrade (`Graph`'s format check runs them in one
//! transaction): counts that older formats did not keep, computed from what they did keep,
//! and the version itself.

use std::collections::BTreeMap;

use super::WriteTxn;
use crate::adjacency;
use crate::degrees;
use crate::edges;
use crate::error::Result;
use crate::ids::EdgeId;
use crate::record::{self, EDGES, IN, META, OUT};

impl WriteTxn {
    /// Counts the self-loops of each edge type from the edge records (one scan), for the
    /// upgrade of a graph format that did not keep them: the counts are added to those
    /// kept, so it runs once, on a graph that has none.
    pub(crate) fn count_self_loops(&mut self) -> Result<()> {
        let mut loops: BTreeMap<u32, i64> = BTreeMap::new();
        if let Some(tree) = self.tx.view_tree(EDGES)? {
            edges::each_from(&tree, EdgeId(0), |_, rec| {
                if rec.from == rec.to {
                    *loops.entry(rec.edge_type).or_default() += 1;
                }
                Ok(true)
            })?;
        }
        for (ty, n) in loops {
            self.count(b'l', ty, n);
        }
        Ok(())
    }

    /// Counts every node's pairs per type in each direction from the adjacency's chunks
    /// into the degree trees, for the upgrade of a graph format that did not keep them (the
    /// trees are empty): a slice of counts at a time, so memory stays bounded.
    pub(crate) fn count_degrees(&mut self) -> Result<()> {
        for tree in [OUT, IN] {
            let mut from: Option<record::Key> = None;
            loop {
                let mut groups = Vec::new();
                let next = match self.tx.view_tree(tree)? {
                    Some(view) => degrees::count_chunks(&view, from.as_deref(), |g| {
                        groups.push(g);
                        groups.len() < adjacency::SLICE_ENTRIES
                    })?,
                    None => None,
                };
                degrees::add(&mut self.tx.tree(degrees::tree_of(tree))?, &groups)?;
                match next {
                    Some(k) => from = Some(k),
                    None => break,
                }
            }
        }
        Ok(())
    }

    /// Records that the database is in this code's graph format.
    pub(crate) fn set_graph_format(&mut self) -> Result<()> {
        self.tx
            .tree(META)?
            .insert(b"format", &record::GRAPH_FORMAT.to_be_bytes())?;
        Ok(())
    }
}
