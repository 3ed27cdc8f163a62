//! # pagegraph-storage
//!
//! The storage engine under pagegraph: one database file of fixed-size pages, a bounded page
//! cache, copy-on-write B+Trees with overflow pages, a write-ahead log with recovery and
//! checkpoints, a free-page bitmap, checksums on every page, and an integrity checker.
//! One writer and any number of snapshot readers run at once.
//!
//! ```
//! use pagegraph_storage::{Database, Options};
//! # fn main() -> Result<(), pagegraph_storage::StorageError> {
//! # let dir = tempfile::tempdir().map_err(|e| pagegraph_storage::StorageError::InvalidArgument(e.to_string()))?;
//! let db = Database::open(dir.path().join("example.pgdb"), Options::default())?;
//!
//! let mut tx = db.begin_write()?;
//! tx.tree("people")?.insert(b"ada", b"lovelace")?;
//! tx.commit()?;
//!
//! let snapshot = db.begin_read()?;
//! let people = snapshot.tree("people")?.expect("created above");
//! assert_eq!(people.get(b"ada")?, Some(b"lovelace".to_vec()));
//! assert!(db.check()?.is_clean());
//! # Ok(()) }
//! ```
//!
//! Layers, lowest first; a module refers only to modules of its own layer and earlier ones
//! (`tests/layering.rs` checks it): `ids`, `error` → `file` → `page` → `limits`, `options`
//! → `meta` → `wal`, `freelist`, `cache`, `behind`, `sorter` → `pager` → `btree`, `catalog`
//! → `checkpoint` → `recovery` → `txn`, `batch` → `check` → `db`, `compact`. The pager
//! learns about the B+Tree's page kinds through hooks (`pager::PageKinds`) rather than naming
//! them, and the cache keeps the B+Tree's routing tables as opaque side values.
//! See `docs/ARCHITECTURE.md`, `docs/file-format.md` and `docs/recovery.md`.

mod batch;
mod behind;
mod btree;
mod cache;
mod catalog;
mod check;
mod checkpoint;
mod compact;
mod db;
mod error;
pub mod file;
mod freelist;
mod ids;
pub mod limits;
mod meta;
mod options;
mod page;
mod pager;
mod recovery;
mod sorter;
mod txn;
mod wal;

pub use batch::Batch;
pub use btree::cursor::{EntryRef, LeafKeys, Range};
pub use btree::node::ValueRef;
pub use check::{CheckReport, PROBLEMS_LISTED_MAX, Problem, TreePages};
pub use compact::CompactStats;
pub use db::{Database, Stats};
pub use error::{Result, StorageError};
pub use ids::{PageId, TxId};
pub use meta::FORMAT_VERSION;
pub use options::{Durability, Options};
pub use sorter::{FixedMerge, FixedRecord, FixedSorter, Merge, Sorter};
pub use txn::{ReadTxn, Tree, TreeHandle, TreeMut, WriteTxn};
pub use wal::wal_path;
