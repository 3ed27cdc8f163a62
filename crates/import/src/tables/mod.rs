//! Node and edge tables in Parquet or Arrow IPC files: [`export_tables`] writes a graph (or
//! a subset of its labels and types) as the tables `DuckDB`, Spark `GraphFrames`, pandas and
//! polars read, and [`run_tables`] loads such tables, ours or anyone's.
//!
//! **Layout.** A directory with `nodes/<label>.parquet` and `edges/<type>.parquet` (or
//! `.arrow`, the Arrow IPC file format, also read as `.feather` and `.ipc`):
//!
//! | table | columns |
//! |---|---|
//! | nodes | `id` (the node's id, int64), `labels` (list of strings: all its labels), then one column per property |
//! | edges | `id` (the edge's id, int64), `src`, `dst` (node ids, int64), then one column per property |
//!
//! A node is written to the file of its first label (of the chosen labels, for a subset);
//! unlabelled nodes go to `nodes/_unlabelled.parquet`. File names keep ASCII letters,
//! digits, `-`, `_` and `.`; any other byte of a label (and a leading `_` or `.`) is
//! written `%XX`, and read back the same way. A property named like a fixed column (`id`,
//! `labels`; `src`, `dst`) or starting with `data:` has the column `data:NAME`.
//!
//! **Column types** are the narrowest that hold every value of the property in the file
//! exactly: boolean, int64, float64 or string, a list of one of them, and otherwise (maps,
//! nested lists, integers mixed with floats, which openCypher tells apart) the value's JSON
//! text in a string column whose field metadata has `pagegraph:json = true`, which
//! [`run_tables`] parses back. A missing property is a null.
//!
//! **Import.** Node files are those under `nodes/`, edge files those under `edges/`, each
//! read whole in row batches (memory is bounded by a batch, not a file). A node row's
//! labels are its `labels` list when the table has that column, else the file's label (its
//! name); an edge's type is its `type` column when the table has one, else the file's
//! type. A node's key is its `id` property (the column `data:id`) when it has one, else
//! its `id` cell, as for GraphML ([`crate::graphml`]); edges name their endpoints by `id`
//! cell. When every node table's `id` column is an integer, nodes are loaded in `id` order
//! across the files (and edges likewise), so an export imported into an empty database
//! gives every node and edge its old id back. Arrow types map to properties as: integers
//! (an unsigned one beyond `i64::MAX` is a bad row), floats (NaN and infinities are bad
//! rows), booleans, strings, decimals (as their exact text), dates, times and timestamps
//! (as ISO 8601 text; timestamps with a time zone in UTC, with `Z`), lists, structs and
//! string-keyed maps (as maps), dictionary-encoded columns as their values. Binary columns
//! are refused with the file's name. Bad rows are reported as `file:row`.

mod read;
mod values;
mod write;

use std::collections::BTreeSet;

use pagegraph::{EdgeId, NodeId};
use std::path::{Path, PathBuf};

pub use read::run_tables;
pub use write::export_tables;

/// The field metadata key marking a string column of JSON text (see the module doc).
pub const JSON_METADATA: &str = "pagegraph:json";

/// The file name (without extension) of unlabelled nodes.
pub const UNLABELLED: &str = "_unlabelled";

/// Rows per record batch, written and read.
pub(crate) const BATCH_ROWS: usize = 8192;

/// A table file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    /// Apache Parquet (snappy-compressed when written).
    Parquet,
    /// The Arrow IPC file format (Feather v2), uncompressed.
    Arrow,
}

impl TableFormat {
    /// The extension files of this format are written with.
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Parquet => "parquet",
            TableFormat::Arrow => "arrow",
        }
    }

    /// The format of a file, by its extension: `.parquet`, `.parq` and `.pq` are Parquet;
    /// `.arrow`, `.feather` and `.ipc` are Arrow IPC.
    pub fn of_path(path: &Path) -> Option<TableFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" | "parq" | "pq" => Some(TableFormat::Parquet),
            "arrow" | "feather" | "ipc" => Some(TableFormat::Arrow),
            _ => None,
        }
    }
}

/// Which part of a graph to export: `None` is everything.
#[derive(Clone, Debug, Default)]
pub struct Subset {
    /// Only the nodes with at least one of these labels (and only the edges between two
    /// such nodes).
    pub labels: Option<BTreeSet<String>>,
    /// Only the edges of these types.
    pub types: Option<BTreeSet<String>>,
    /// Only these nodes (the nodes a query's answer names, say).
    pub nodes: Option<BTreeSet<NodeId>>,
    /// Only these edges (the relationships a query's answer names). With
    /// [`Subset::nodes`], their ends are exported too (an edge is exported only with both
    /// its ends).
    pub edges: Option<BTreeSet<EdgeId>>,
}

impl Subset {
    /// Whether a subset is asked for at all.
    pub fn is_all(&self) -> bool {
        self.labels.is_none()
            && self.types.is_none()
            && self.nodes.is_none()
            && self.edges.is_none()
    }
}

/// What [`export_tables`] wrote.
#[derive(Debug, Default)]
pub struct Exported {
    /// Nodes written.
    pub nodes: u64,
    /// Edges written.
    pub edges: u64,
    /// The files written, nodes first, each in name order.
    pub files: Vec<PathBuf>,
}

/// The file name of a label or type (see the module doc), without extension.
pub fn file_stem(name: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if name.is_empty() {
        return UNLABELLED.to_string();
    }
    let mut out = String::with_capacity(name.len());
    for (i, b) in name.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
        if plain && !(i == 0 && (b == b'_' || b == b'.')) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// The label or type a file stem names: the inverse of [`file_stem`], and for a stem that
/// [`file_stem`] would not write (a file another tool named), the stem itself.
pub fn name_of_stem(stem: &str) -> String {
    if stem == UNLABELLED {
        return String::new();
    }
    let bytes = stem.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| stem.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn file_stems_round_trip() {
        for name in [
            "Person", "has-part", "a b", "_x", ".hidden", "ünï", "a/b", "%41", "",
        ] {
            let stem = file_stem(name);
            assert!(
                stem.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.%".contains(&b)),
                "{stem}"
            );
            assert!(!stem.starts_with('.'), "{stem}");
            assert_eq!(name_of_stem(&stem), name, "{stem}");
        }
        assert_eq!(file_stem("Person"), "Person");
        assert_eq!(file_stem("a b"), "a%20b");
        // A stem another tool wrote is its own name.
        assert_eq!(name_of_stem("persons"), "persons");
    }
}
