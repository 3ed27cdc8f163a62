//! Snapshot isolation: reader threads keep a stable snapshot while a writer commits, and
//! never see part of a transaction. Each transaction writes the same counter into two trees
//! and adds one key; a reader checks the trees agree with each other and with the number of
//! keys, then re-reads its snapshot after the writer has moved on and requires the same
//! answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pagegraph_storage::{Database, Durability, Options, ReadTxn, StorageError};

fn read_state(r: &ReadTxn) -> (u64, u64, u64) {
    let get = |name: &str| -> u64 {
        r.tree(name)
            .unwrap()
            .and_then(|t| t.get(b"counter").unwrap())
            .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()))
    };
    let keys = r
        .tree("keys")
        .unwrap()
        .map_or(0, |t| t.iter().count() as u64);
    (get("left"), get("right"), keys)
}

#[test]
fn readers_see_whole_transactions_and_stable_snapshots() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Database>();
    assert_send_sync::<ReadTxn>();

    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(
        Database::open(
            dir.path().join("c.pgdb"),
            Options::default()
                .cache_pages(64)
                .durability(Durability::Normal),
        )
        .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (db, stop) = (Arc::clone(&db), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut checks = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let r = db.begin_read().unwrap();
                    let first = read_state(&r);
                    assert_eq!(first.0, first.1, "a reader saw half a transaction");
                    assert_eq!(first.0, first.2, "keys and counter disagree");
                    std::thread::sleep(std::time::Duration::from_micros(300));
                    assert_eq!(read_state(&r), first, "a snapshot changed under its reader");
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    for n in 1..=400u64 {
        let mut tx = db.begin_write().unwrap();
        tx.tree("left")
            .unwrap()
            .insert(b"counter", &n.to_be_bytes())
            .unwrap();
        tx.tree("keys")
            .unwrap()
            .insert(&n.to_be_bytes(), &[1u8; 300])
            .unwrap();
        // Churn: rewrite many keys so pages are copied and freed while readers hold them.
        for k in 0..20u64 {
            let key = ((n * 7 + k) % 50 + 1_000_000).to_be_bytes();
            tx.tree("churn")
                .unwrap()
                .insert(&key, &[n as u8; 200])
                .unwrap();
        }
        tx.tree("right")
            .unwrap()
            .insert(b"counter", &n.to_be_bytes())
            .unwrap();
        tx.commit().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let checks: u64 = readers.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(checks > 10, "readers ran only {checks} checks");
    assert!(db.check().unwrap().is_clean());
}

#[test]
fn second_writer_waits_or_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("w.pgdb"), Options::default()).unwrap();
    let tx = db.begin_write().unwrap();
    assert!(matches!(
        db.try_begin_write(),
        Err(StorageError::WriterBusy)
    ));
    drop(tx);
    assert!(db.try_begin_write().is_ok());
    // A second handle on the same file (another process, in effect) is refused clearly.
    let err = Database::open(dir.path().join("w.pgdb"), Options::default()).unwrap_err();
    assert!(matches!(err, StorageError::Locked { .. }), "{err}");
}

#[test]
fn dropped_or_aborted_transactions_leave_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(
        dir.path().join("a.pgdb"),
        Options::default().cache_pages(16),
    )
    .unwrap();
    let mut tx = db.begin_write().unwrap();
    tx.tree("t").unwrap().insert(b"kept", b"1").unwrap();
    tx.commit().unwrap();
    let before = db.stats().unwrap().page_count;
    for abort in [true, false] {
        let mut tx = db.begin_write().unwrap();
        for i in 0..5000u32 {
            tx.tree("t")
                .unwrap()
                .insert(&i.to_be_bytes(), &[0u8; 100])
                .unwrap();
        }
        tx.tree("other").unwrap().insert(b"x", b"y").unwrap();
        if abort {
            tx.abort();
        } else {
            drop(tx);
        }
    }
    let r = db.begin_read().unwrap();
    assert_eq!(r.trees().unwrap(), vec![("t".to_string(), 1)]);
    assert_eq!(db.stats().unwrap().page_count, before);
    assert!(db.check().unwrap().is_clean());
}

#[test]
fn limits_are_errors_and_keep_the_transaction_usable() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("l.pgdb"), Options::default()).unwrap();
    let mut tx = db.begin_write().unwrap();
    let big_key = vec![0u8; pagegraph_storage::limits::KEY_SIZE_MAX + 1];
    assert!(matches!(
        tx.tree("t").unwrap().insert(&big_key, b"v"),
        Err(StorageError::LimitExceeded { .. })
    ));
    assert!(tx.tree("").is_err());
    let big_value = vec![0u8; 3 << 20];
    tx.tree("t").unwrap().insert(b"large", &big_value).unwrap();
    tx.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(
        r.tree("t")
            .unwrap()
            .unwrap()
            .get(b"large")
            .unwrap()
            .map(|v| v.len()),
        Some(3 << 20)
    );
    assert!(matches!(
        Database::open(dir.path().join("x.pgdb"), Options::default().cache_pages(8)),
        Err(StorageError::InvalidArgument(_))
    ));
    assert!(matches!(
        Database::open(
            dir.path().join("y.pgdb"),
            Options::default().page_size(5000)
        ),
        Err(StorageError::InvalidArgument(_))
    ));
}

#[test]
fn a_sorted_run_stops_at_its_first_entry_over_the_limits() {
    // `insert_many` appends ascending entries to the cached leaf without a lookup per entry;
    // an entry that needs an overflow chain or breaks the limits leaves that fast path and
    // gets the same treatment as a single insert.
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(
        dir.path().join("r.pgdb"),
        Options::default().cache_pages(16),
    )
    .unwrap();
    let mut tx = db.begin_write().unwrap();
    let key = |i: u32| i.to_be_bytes().to_vec();
    let value = |i: u32| {
        if i == 700 {
            vec![9u8; 10_000] // an overflow chain in the middle of the run
        } else if i == 10 || i == 1200 {
            vec![8u8; 1500] // over the largest cell, though the leaf may have room for it
        } else {
            vec![(i % 251) as u8; (i % 40) as usize]
        }
    };
    let mut run: Vec<(Vec<u8>, Vec<u8>)> = (0..2000).map(|i| (key(i), value(i))).collect();
    run.insert(
        1500,
        (
            vec![1u8; pagegraph_storage::limits::KEY_SIZE_MAX + 1],
            Vec::new(),
        ),
    );
    assert!(matches!(
        tx.tree("t").unwrap().insert_many(run),
        Err(StorageError::LimitExceeded { .. })
    ));
    // The entries before the bad one are in, none after; the transaction goes on.
    let added = tx
        .tree("t")
        .unwrap()
        .insert_many((1000..3000).map(|i| (key(i), value(i))))
        .unwrap();
    assert_eq!(added, 1500);
    tx.commit().unwrap();
    let r = db.begin_read().unwrap();
    let t = r.tree("t").unwrap().unwrap();
    let got: Vec<(Vec<u8>, Vec<u8>)> = t.iter().map(Result::unwrap).collect();
    let want: Vec<(Vec<u8>, Vec<u8>)> = (0..3000).map(|i| (key(i), value(i))).collect();
    assert_eq!(got, want);
    drop(r);
    assert!(db.check().unwrap().is_clean());
}

#[test]
fn page_sizes_from_4k_to_64k_work_and_persist() {
    for size in [4096u32, 8192, 16384, 32768, 65536] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.pgdb");
        {
            let db =
                Database::open(&path, Options::default().page_size(size).cache_pages(16)).unwrap();
            let mut tx = db.begin_write().unwrap();
            for i in 0..3000u32 {
                tx.tree("t")
                    .unwrap()
                    .insert(&i.to_be_bytes(), &vec![7u8; (i % 700) as usize])
                    .unwrap();
            }
            tx.commit().unwrap();
        }
        let db = Database::open(&path, Options::default()).unwrap();
        assert_eq!(db.page_size(), size);
        let r = db.begin_read().unwrap();
        assert_eq!(r.tree("t").unwrap().unwrap().iter().count(), 3000);
        drop(r);
        assert!(db.check().unwrap().is_clean(), "page size {size}");
    }
}
