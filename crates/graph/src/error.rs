//! `GraphError`: every way the graph layer can fail.

use pagegraph_storage::StorageError;

use crate::ids::{EdgeId, NodeId};

/// Result alias for the graph layer.
pub type Result<T, E = GraphError> = std::result::Result<T, E>;

/// An error from the graph layer. Storage errors are wrapped, not flattened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// The storage engine failed (I/O, corruption, limits, locking).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// No node has this id.
    #[error("node {0} not found")]
    NodeNotFound(NodeId),
    /// No edge has this id.
    #[error("edge {0} not found")]
    EdgeNotFound(EdgeId),
    /// A field's value is not acceptable (empty kind, data too large, ...).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field at fault, e.g. "node data".
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A write would give two elements equal values under a unique constraint. Nothing
    /// of the write was applied; the transaction stays usable.
    #[error(
        "unique constraint {index} on {target}({}) violated: {value} is already held by {} {existing}",
        properties.join(", "),
        if matches!(target, crate::index::IndexTarget::EdgeType(_)) { "edge" } else { "node" }
    )]
    ConstraintViolation {
        /// The constraint's index.
        index: String,
        /// Its label or edge type.
        target: crate::index::IndexTarget,
        /// Its properties.
        properties: Vec<String>,
        /// The values, as written in the error.
        value: String,
        /// The id of the node (or edge) that holds them.
        existing: u64,
    },
    /// No index has this name.
    #[error("no index named {0}")]
    IndexNotFound(String),
    /// An index with this name, or on the same target and properties, exists.
    #[error("index {0} already exists")]
    IndexExists(String),
    /// A write transaction holds its adjacency back (`WriteTxn::defer_adjacency`, a bulk
    /// load): reading or changing adjacency must wait for `flush_adjacency` or commit.
    #[error(
        "this transaction holds its edges' adjacency back for a bulk load: neighbors, degrees, edge and node deletes and merges of edges wait until flush_adjacency() or commit"
    )]
    AdjacencyDeferred,
    /// The database was written by a newer version of pagegraph.
    #[error(
        "graph format {found} is newer than this version of pagegraph reads (up to {supported}); upgrade pagegraph"
    )]
    UnsupportedFormat {
        /// The database's graph format.
        found: u64,
        /// The newest this build reads.
        supported: u64,
    },
    /// A stored record does not decode: the database is damaged.
    #[error("stored {what} {id} is damaged: {reason}")]
    Corrupt {
        /// The kind of record.
        what: &'static str,
        /// Its id or key.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

impl GraphError {
    pub(crate) fn corrupt(
        what: &'static str,
        id: impl ToString,
        reason: impl Into<String>,
    ) -> Self {
        GraphError::Corrupt {
            what,
            id: id.to_string(),
            reason: reason.into(),
        }
    }
}
