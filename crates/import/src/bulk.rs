//! How an import's batches become transactions: each batch its own (into a graph with
//! edges, or with `--upsert`), or all of them one bulk transaction whose adjacency is held
//! back and written once at commit (`WriteTxn::defer_adjacency`), into a graph without
//! edges. A bulk load that a bad line stops (found while reading or checking a batch,
//! before the batch writes anything) commits the batches before it, as batch by batch;
//! one stopped by a batch the database refuses while writing it, by a storage error or by
//! a crash leaves the graph as it was.

use pagegraph::{Graph, GraphError, WriteTxn};

use crate::error::{Context, ImportError, Result};

/// The transactions of one import's batches.
pub(crate) struct Batches {
    /// A bulk load: one transaction for every batch, its adjacency deferred.
    bulk: bool,
    /// The bulk load's transaction between batches.
    held: Option<WriteTxn>,
}

impl Batches {
    /// Batch by batch with `upsert` (it reads adjacency) or into a graph with edges; else a
    /// bulk load.
    pub(crate) fn new(graph: &Graph, upsert: bool) -> Result<Batches> {
        let bulk = !upsert && graph.begin_read()?.edge_count()? == 0;
        Ok(Batches { bulk, held: None })
    }

    /// The transaction for the next batch, and whether it is a new one (then a snapshot
    /// the caller holds should be dropped first: see the importers' `snapshot`).
    pub(crate) fn begin(&mut self, graph: &Graph) -> Result<(WriteTxn, bool)> {
        if let Some(tx) = self.held.take() {
            return Ok((tx, false));
        }
        let mut tx = graph.begin_write()?;
        if self.bulk {
            tx.defer_adjacency()?;
        }
        Ok((tx, true))
    }

    /// Ends a batch: committed, or held for the next one in a bulk load.
    pub(crate) fn end(&mut self, tx: WriteTxn) -> Result<()> {
        if self.bulk {
            self.held = Some(tx);
            return Ok(());
        }
        tx.commit().context_with(|| {
            "commit failed; the batches committed before this one are kept".to_string()
        })?;
        Ok(())
    }

    /// Takes back the transaction of a batch that stopped before writing anything of its
    /// own (a bad line found while checking it): a bulk load keeps the batches before it;
    /// batch by batch, the transaction is dropped.
    pub(crate) fn keep(&mut self, tx: WriteTxn) {
        if self.bulk {
            self.held = Some(tx);
        }
    }

    /// The bulk load's transaction, between batches.
    pub(crate) fn held(&self) -> Option<&WriteTxn> {
        self.held.as_ref()
    }

    /// Ends the import whose reading ended with `read`: a bulk load commits its batches
    /// (all of them, or those before a bad input, which left the transaction as it was)
    /// and is dropped after any other error. Returns `read`'s error, or the commit's.
    pub(crate) fn finish(&mut self, read: Result<()>) -> Result<()> {
        if let Some(tx) = self.held.take()
            && read
                .as_ref()
                .map_or_else(leaves_transaction_usable, |()| true)
        {
            tx.commit()
                .context_with(|| "commit failed; nothing was imported".to_string())?;
        }
        read
    }
}

/// Whether an error left the transaction it happened in as it was: a bad input found
/// before anything was written, or refused whole by the graph; not a storage failure.
fn leaves_transaction_usable(e: &ImportError) -> bool {
    match e {
        ImportError::Line { .. }
        | ImportError::File { .. }
        | ImportError::Io { .. }
        | ImportError::Options(_) => true,
        ImportError::Graph(g) => !matches!(g, GraphError::Storage(_) | GraphError::Corrupt { .. }),
        ImportError::Storage(_) => false,
        ImportError::Context { source, .. } => leaves_transaction_usable(source),
    }
}
