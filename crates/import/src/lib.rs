//! Bulk import of nodes and edges into a [`pagegraph`] database: the parsers (JSONL, CSV,
//! edge lists; labelled CSV with Neo4j admin-import headers, [`run_csv`]; GML,
//! [`run_gml`]; GraphML, [`run_graphml`]), the bounded-memory external-id map, batching,
//! and the drivers that tie them together. The `pagegraph import` command is a thin layer
//! over them; other front ends (the Python package, the query engine) can load data
//! through the same code.
//!
//! Each batch of [`ImportOptions::batch`] lines is one transaction. Every node keeps its
//! id from the input file as a property (`id` by default) under a unique constraint per
//! label, so a node can be found by its file id, and a second run with
//! [`ImportOptions::upsert`] updates what the first made instead of duplicating it. Bad
//! input is an [`ImportError`] naming its `file:line`, or with [`ImportOptions::skip_bad`]
//! a line skipped, reported to the [`Progress`] and counted.
//!
//! ```
//! use std::sync::Arc;
//! use pagegraph::Graph;
//! use pagegraph_import::{ImportOptions, NoProgress};
//!
//! let dir = tempfile::tempdir()?;
//! let edges = dir.path().join("edges.txt");
//! std::fs::write(&edges, "# u v\n1 2\n2 3\n")?;
//! let db = dir.path().join("g.pgdb");
//! let graph = Graph::open(&db)?;
//! let summary = pagegraph_import::run(
//!     &graph,
//!     &db,
//!     None,
//!     Some(&edges),
//!     ImportOptions::default(),
//!     Arc::new(NoProgress),
//! )?;
//! assert_eq!((summary.nodes, summary.edges), (3, 2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bulk;
mod error;
pub mod gml;
mod graphfile;
pub mod graphml;
pub mod header;
mod idmap;
mod importer;
mod input;
mod keys;
pub mod labelled;
mod mapping;
mod parse;
mod progress;
#[cfg(feature = "tables")]
pub mod tables;

pub use error::{ImportError, Result};
pub use gml::run_gml;
pub use graphfile::FILE_SIZE_MAX;
pub use graphml::run_graphml;
pub use header::Element;
pub use importer::{Format, ImportOptions, ROWS_BATCH, SKIPPED_REPORTED, Summary, run};
pub use input::{LINE_MAX, clip};
pub use labelled::{CsvFiles, CsvImport, SpaceSpec, key_value, run_csv};
pub use mapping::Mapping;
pub use parse::{CsvDialect, DATA_COLUMN_PREFIX, DATA_JSON_COLUMN, cell_value, exact_json};
pub use progress::{NoProgress, Progress};
#[cfg(feature = "tables")]
pub use tables::{Exported, Subset, TableFormat, export_tables, run_tables};
