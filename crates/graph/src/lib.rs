//! # pagegraph
//!
//! An embedded property-graph database: nodes with labels and typed properties (or, in the
//! first API, a kind, a name and JSON data: the same records, see [`props`] for
//! the mapping); typed, directed edges with properties; label, name (exact, prefix, glob),
//! adjacency and property indexes with unique constraints; merge (get or create) by key;
//! snapshot reads beside one writer; all on the crash-safe page store `pagegraph-storage`.
//!
//! ```
//! use pagegraph::{Condition, Graph, IndexSpec, Properties, PropertyValue};
//! # fn main() -> pagegraph::Result<()> {
//! let graph = Graph::in_memory()?;
//! let mut tx = graph.begin_write()?;
//! tx.create_index(IndexSpec::on_label("File", "path").unique())?;
//! let key: Properties = [("path".to_string(), PropertyValue::from("src/main.rs"))].into();
//! let file = tx.merge_node(&["File"], key.clone(), Properties::new(), Properties::new())?;
//! assert!(file.created);
//! assert!(!tx.merge_node(&["File"], key, Properties::new(), Properties::new())?.created);
//! tx.commit()?;
//! let r = graph.begin_read()?;
//! let hits: Vec<_> = r
//!     .nodes_where("File", "path", &Condition::StartsWith("src/".into()))?
//!     .collect::<pagegraph::Result<_>>()?;
//! assert_eq!(hits, vec![file.id]);
//! # Ok(()) }
//! ```
//!
//! ```
//! use pagegraph::{Direction, EdgeSpec, Graph, NodeSpec};
//! use serde_json::json;
//! # fn main() -> pagegraph::Result<()> {
//! let graph = Graph::in_memory()?;
//! let mut tx = graph.begin_write()?;
//! let ada = tx.insert_node(NodeSpec { kind: "person".into(), name: "ada".into(), data: json!({"born": 1815}) })?;
//! let note = tx.insert_node(NodeSpec { kind: "paper".into(), name: "note_g".into(), data: json!(null) })?;
//! let e = tx.insert_edge(EdgeSpec { from: ada, to: note, edge_type: "WROTE".into(), data: json!({}) })?;
//! tx.commit()?;
//!
//! let r = graph.begin_read()?;
//! assert_eq!(r.node(ada)?.map(|n| n.data), Some(json!({"born": 1815})));
//! assert_eq!(r.neighbors(ada, Direction::Outgoing, Some("WROTE"))?, vec![(e, note)]);
//! assert_eq!(r.nodes_by_name_glob("no?e_*")?, vec![note]);
//! assert!(graph.check()?.is_clean());
//! # Ok(()) }
//! ```
//!
//! Layers: `record` (encodings and tree layout) → `write`/`read` (transactions) → `graph`.
//! The storage engine is re-exported as [`storage`]. Typed property values, their openCypher
//! comparison and their index key encoding are in [`value`].

mod adjacency;
pub mod algo;
mod check;
mod data;
mod degrees;
mod edges;
mod error;
mod fields;
mod glob;
mod graph;
mod ids;
pub mod index;
mod lookup;
pub mod props;
mod read;
mod record;
mod stage;
mod strings;
pub mod value;
mod write;

pub use error::{GraphError, Result};
pub use graph::{Graph, Options};
pub use ids::{Direction, EdgeId, NodeId};
pub use index::{Condition, IndexInfo, IndexKind, IndexSpec, IndexState, IndexTarget};
pub use lookup::{EdgeIds, Ids, NodeIds};
pub use pagegraph_storage as storage;
pub use pagegraph_storage::Durability;
pub use props::{DATA_PROPERTY, NAME_PROPERTY, Properties};
pub use read::{Edge, Node, NodeDegree, RawNode, ReadTxn, TwoStepWalks};
pub use record::{DATA_SIZE_MAX, GRAPH_FORMAT, INLINE_DATA_MAX, LABEL_SIZE_MAX, NAME_SIZE_MAX};
pub use value::{PropertyRef, PropertyValue};
pub use write::{
    EdgeData, EdgeProps, EdgeSpec, EncodedBatch, EncodedData, Merged, NodeProps, NodeSpec,
    TypedEdge, WriteTxn,
};
