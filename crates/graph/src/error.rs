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
