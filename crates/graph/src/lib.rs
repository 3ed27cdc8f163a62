//! # pagegraph
//!
//! An embedded property-graph database. The graph layer (nodes, edges, indexes) is being
//! built on the storage engine re-exported here as [`storage`].

pub use pagegraph_storage as storage;
