//! Databases written by earlier releases, committed under `tests/fixtures/`, open with their
//! content intact. Each fixture is a database file plus a WAL holding commits that were never
//! checkpointed (the state a killed process leaves), so both the page format and the WAL
//! format of that release are read.
//!
//! `v1/`: format version 1 (WAL version 2): 20 nodes (`n0`..`n19`, kinds alternating
//! `Person`, `City`, data `{"i": i, "sq": i*i}`) in a chain of 19 `NEXT` edges (data
//! `{"w": i}`), checkpointed; then, only in the WAL, a node `in-wal-1` with a `KNOWS` edge
//! to `n0`, and a node `in-wal-2`.
//!
//! A format change must keep these tests passing (by upgrading the file) or make them
//! assert a clear refusal; it never misreads them.

use std::path::Path;

use pagegraph::{Direction, Graph};
use serde_json::json;

/// Copies fixture `name` (database and WAL) into a fresh directory and returns its path.
fn fixture(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dir = tempfile::tempdir().expect("tempdir");
    for file in ["graph.pgdb", "graph.pgdb-wal"] {
        std::fs::copy(src.join(file), dir.path().join(file)).expect("copy fixture");
    }
    let path = dir.path().join("graph.pgdb");
    (dir, path)
}

fn assert_v1_content(g: &Graph) {
    let r = g.begin_read().expect("read");
    assert_eq!(r.node_count().expect("count"), 22);
    assert_eq!(r.edge_count().expect("count"), 20);
    assert_eq!(
        r.kinds().expect("kinds"),
        vec![("City".to_string(), 11), ("Person".to_string(), 11)]
    );
    for i in 0..20u64 {
        let ids = r.nodes_by_name(&format!("n{i}")).expect("by name");
        assert_eq!(ids.len(), 1, "n{i}");
        let n = r.node(ids[0]).expect("node").expect("exists");
        assert_eq!(n.kind, if i % 2 == 0 { "Person" } else { "City" });
        assert_eq!(n.data, json!({"i": i, "sq": i * i}));
        let out = r
            .neighbors(ids[0], Direction::Outgoing, Some("NEXT"))
            .expect("neighbors");
        if i < 19 {
            assert_eq!(out.len(), 1, "n{i}");
            let next = r.node(out[0].1).expect("node").expect("exists");
            assert_eq!(next.name, format!("n{}", i + 1));
            let e = r.edge(out[0].0).expect("edge").expect("exists");
            assert_eq!(e.data, json!({"w": i}));
        } else {
            assert!(out.is_empty());
        }
    }
    let w1 = r.nodes_by_name("in-wal-1").expect("by name");
    assert_eq!(w1.len(), 1);
    let n = r.node(w1[0]).expect("node").expect("exists");
    assert_eq!(n.data, json!({"note": "only in the WAL"}));
    let knows = r
        .neighbors(w1[0], Direction::Outgoing, Some("KNOWS"))
        .expect("neighbors");
    assert_eq!(knows.len(), 1);
    assert_eq!(
        r.node(knows[0].1).expect("node").expect("exists").name,
        "n0"
    );
    assert_eq!(r.nodes_by_name("in-wal-2").expect("by name").len(), 1);
}

#[test]
fn v1_fixture_opens_with_its_wal_replayed() {
    let (_dir, path) = fixture("v1");
    let g = Graph::open(&path).expect("open v1 fixture");
    assert_v1_content(&g);
    assert!(g.check().expect("check").is_clean());
    g.close().expect("close");
    // Reopened after the upgrade and checkpoint, the content is the same.
    let g = Graph::open(&path).expect("reopen");
    assert_v1_content(&g);
    assert!(g.check().expect("check").is_clean());
}
