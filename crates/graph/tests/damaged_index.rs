//! Index entries that do not decode are reported as corruption, never skipped: a kind or name
//! query over a damaged entry returns an error, whichever position the entry has in its leaf.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use pagegraph::storage::{Database, Options as StorageOptions};
use pagegraph::{Graph, GraphError, NodeSpec};

#[test]
fn undecodable_kind_and_name_entries_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.pgdb");
    let g = Graph::open(&path).unwrap();
    let mut tx = g.begin_write().unwrap();
    // "person" is the first string interned: id 1, so its kind entries start [1, 1].
    tx.insert_nodes((0..500).map(|i| NodeSpec::new("person", format!("ab{i}"))))
        .unwrap();
    tx.commit().unwrap();
    {
        let r = g.begin_read().unwrap();
        assert_eq!(r.nodes_by_kind("person").unwrap().len(), 500);
        assert_eq!(r.nodes_by_name_prefix("ab").unwrap().len(), 500);
    }
    g.close().unwrap();

    let db = Database::open(&path, StorageOptions::default()).unwrap();
    let mut tx = db.begin_write().unwrap();
    // A node id "9 bytes long", and a name entry whose id length points before its start.
    tx.tree("g.kind")
        .unwrap()
        .insert(&[1, 1, 9, 0], &[])
        .unwrap();
    tx.tree("g.name")
        .unwrap()
        .insert(b"ab\x00\x05", &[])
        .unwrap();
    tx.commit().unwrap();
    db.close().unwrap();

    let g = Graph::open(&path).unwrap();
    let r = g.begin_read().unwrap();
    let err = r.nodes_by_kind("person").unwrap_err();
    assert!(matches!(err, GraphError::Corrupt { .. }), "{err:?}");
    let err = r.nodes_by_name_prefix("ab").unwrap_err();
    assert!(matches!(err, GraphError::Corrupt { .. }), "{err:?}");
    let err = r.nodes_by_name_glob("a*").unwrap_err();
    assert!(matches!(err, GraphError::Corrupt { .. }), "{err:?}");
    // Queries that do not reach the damaged entries still answer.
    assert_eq!(r.nodes_by_name("ab17").unwrap().len(), 1);
}
