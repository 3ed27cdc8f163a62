//! The reference system's failure scenarios, at the storage layer: 10,000 records (and
//! 50,000 more in a second tree, as edges beside nodes) through a 16-page cache, with the
//! WAL on and with it off, on real files. Close, reopen, read every record back, check.
//!
//! In the reference, pages were referenced before they existed on disk (lost on eviction),
//! size estimates disagreed with the encoder (page overflow), and edge writes corrupted node
//! pages. Here every record's value straddles the 64-byte inline threshold of the graph
//! layer and some overflow the page, and both trees commit in many small transactions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::assert_clean;
use pagegraph_storage::{Database, Durability, Options};

fn node_value(i: u32) -> Vec<u8> {
    // 20 to ~300 bytes, as in scenario C, and a few far larger than a page.
    let len = if i.is_multiple_of(997) {
        9000
    } else {
        20 + (i as usize * 37) % 280
    };
    (0..len).map(|k| (i as usize + k) as u8).collect()
}

fn run(durability: Durability) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.pgdb");
    let options = Options::default().cache_pages(16).durability(durability);
    let nodes = 10_000u32;
    let edges = 50_000u32;
    {
        let db = Database::open(&path, options.clone()).unwrap();
        for batch in 0..100u32 {
            let mut tx = db.begin_write().unwrap();
            for i in batch * 100..(batch + 1) * 100 {
                tx.tree("nodes")
                    .unwrap()
                    .insert(&i.to_be_bytes(), &node_value(i))
                    .unwrap();
            }
            for e in batch * 500..(batch + 1) * 500 {
                let mut rng = fastrand::Rng::with_seed(u64::from(e));
                let key = [rng.u32(0..nodes).to_be_bytes(), e.to_be_bytes()].concat();
                tx.tree("edges")
                    .unwrap()
                    .insert(&key, &rng.u32(0..nodes).to_be_bytes())
                    .unwrap();
            }
            tx.commit().unwrap();
        }
        db.close().unwrap();
    }
    let db = Database::open(&path, options).unwrap();
    let r = db.begin_read().unwrap();
    let t = r.tree("nodes").unwrap().unwrap();
    assert_eq!(t.len(), u64::from(nodes));
    for i in 0..nodes {
        assert_eq!(
            t.get(&i.to_be_bytes()).unwrap(),
            Some(node_value(i)),
            "node {i} ({durability:?})"
        );
    }
    let e = r.tree("edges").unwrap().unwrap();
    assert_eq!(e.iter().count() as u64, u64::from(edges));
    assert_eq!(e.len(), u64::from(edges));
    drop(r);
    assert_clean(&db, &format!("{durability:?}"));
}

#[test]
fn ten_thousand_records_tiny_cache_wal_on() {
    run(Durability::Full);
}

#[test]
fn ten_thousand_records_tiny_cache_wal_off() {
    run(Durability::Off);
}
