//! Corruption: random byte flips in a closed database file and in a WAL left by a crash.
//!
//! Every flip must be reported by open, by a read (as an `Err` item, never a silent end of
//! the data) or by `check()`, except where it cannot matter. Nothing may panic, hang or
//! allocate without bound. The database used has no free pages (one insert-only
//! transaction), so every byte of the main file belongs to a page in use.
//! Not covered: damage to the last transaction's WAL frames, which is indistinguishable
//! from a torn write and is discarded like one (see docs/recovery.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names
)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::scale;
use pagegraph_storage::file::{MemVfs, Vfs};
use pagegraph_storage::{Database, Durability, Options};

const PATH: &str = "/corrupt.pgdb";
const WAL: &str = "/corrupt.pgdb-wal";

fn options() -> Options {
    Options::default()
        .cache_pages(16)
        .durability(Durability::Full)
}

fn open(mem: &MemVfs) -> Result<Database, pagegraph_storage::StorageError> {
    Database::open_with_vfs(Arc::new(mem.clone()), Path::new(PATH), options())
}

fn value(i: u32) -> Vec<u8> {
    let len = if i.is_multiple_of(50) {
        5000
    } else {
        40 + (i % 90) as usize
    };
    vec![(i % 256) as u8; len]
}

/// Reads everything; returns false if any damage surfaced (an error or a wrong value).
fn read_all_ok(db: &Database, trees: &[&str], n: u32) -> bool {
    let Ok(r) = db.begin_read() else { return false };
    for name in trees {
        let Ok(Some(t)) = r.tree(name) else {
            return false;
        };
        let mut count = 0;
        for item in &t {
            let Ok((k, v)) = item else { return false };
            let i = u32::from_be_bytes(k.try_into().unwrap());
            if v != value(i) {
                return false;
            }
            count += 1;
        }
        if count != n || t.len() != u64::from(n) {
            return false;
        }
    }
    true
}

#[test]
fn flips_in_the_database_file_are_reported() {
    let mem = MemVfs::new();
    let n: u32 = 3000;
    {
        let db = open(&mem).unwrap();
        let mut tx = db.begin_write().unwrap();
        for name in ["one", "two"] {
            for i in 0..n {
                tx.tree(name)
                    .unwrap()
                    .insert(&i.to_be_bytes(), &value(i))
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        let stats = db.stats().unwrap();
        assert_eq!(stats.free_pages, 0);
        db.close().unwrap();
    }
    let pristine = mem.read_file(Path::new(PATH)).unwrap();
    let mut rng = fastrand::Rng::with_seed(42);
    let (mut at_open, mut at_read, mut at_check) = (0, 0, 0);
    for round in 0..scale(300, 5000) {
        let mut bytes = pristine.clone();
        let flips = rng.usize(1..4);
        for _ in 0..flips {
            let at = rng.usize(0..bytes.len());
            bytes[at] ^= 1 << rng.u8(0..8);
        }
        mem.write_file(Path::new(PATH), bytes);
        mem.remove(Path::new(WAL)).unwrap();
        let db = match open(&mem) {
            Err(e) => {
                assert!(!e.to_string().is_empty());
                at_open += 1;
                continue;
            }
            Ok(db) => db,
        };
        if !read_all_ok(&db, &["one", "two"], n) {
            at_read += 1;
        }
        let report = db.check().unwrap();
        assert!(
            !report.is_clean(),
            "round {round}: a flip went unreported by check()"
        );
        at_check += 1;
        std::mem::forget(db);
        mem.release_locks();
    }
    eprintln!("flips reported at open: {at_open}, by reads: {at_read}, by check: {at_check}");
}

#[test]
fn flips_in_the_wal_are_reported_or_harmless() {
    let mem = MemVfs::new();
    let commits = 12u32;
    let per = 200u32;
    {
        let db = open(&mem).unwrap();
        for c in 0..commits {
            let mut tx = db.begin_write().unwrap();
            for i in c * per..(c + 1) * per {
                tx.tree("t")
                    .unwrap()
                    .insert(&i.to_be_bytes(), &value(i))
                    .unwrap();
            }
            tx.commit().unwrap();
        }
        std::mem::forget(db); // a crash: the WAL keeps every commit
        mem.release_locks();
    }
    let db_bytes = mem.read_file(Path::new(PATH)).unwrap();
    let wal_bytes = mem.read_file(Path::new(WAL)).unwrap();
    // Frames per docs/file-format.md: after the 48-byte WAL header, a 72-byte header (page id, frame number, salt, txn id,
    // ..., hole length at 64), then the page without its hole. The WAL is preallocated:
    // after the last frame come zeros.
    let u64_at = |at: usize| u64::from_le_bytes(wal_bytes[at..at + 8].try_into().unwrap());
    let salt = u64_at(16);
    let mut frames: Vec<(usize, usize, u64)> = Vec::new(); // (start, length, txn)
    let mut at = 48;
    while at + 72 <= wal_bytes.len() && u64_at(at + 16) == salt && u64_at(at) != 0 {
        let hole = u32::from_le_bytes(wal_bytes[at + 64..at + 68].try_into().unwrap()) as usize;
        let len = 72 + 4096 - hole;
        frames.push((at, len, u64_at(at + 24)));
        at += len;
    }
    let last_txn = frames.last().unwrap().2;
    let mut rng = fastrand::Rng::with_seed(7);
    let (mut refused, mut prefix) = (0, 0);
    for round in 0..scale(300, 5000) {
        let mut wal = wal_bytes.clone();
        let at = rng.usize(0..wal.len());
        wal[at] ^= 1 << rng.u8(0..8);
        mem.write_file(Path::new(PATH), db_bytes.clone());
        mem.write_file(Path::new(WAL), wal);
        let hit = frames
            .iter()
            .find(|(start, len, _)| (*start..start + len).contains(&at));
        let must_refuse = if at < 48 {
            true // the WAL header, with frames behind it
        } else if let Some((_, _, txn)) = hit {
            *txn < last_txn // a frame under a later durable commit
        } else {
            false // zero fill past the last frame
        };
        match open(&mem) {
            Err(e) => {
                assert!(e.is_corruption(), "round {round}: {e}");
                refused += 1;
            }
            Ok(db) => {
                assert!(
                    !must_refuse,
                    "round {round}: damage at byte {at} (frame {hit:?}) was not reported"
                );
                // Otherwise the last transaction was discarded as a torn tail, or the flip
                // was harmless: either way a committed prefix, whole and consistent.
                let r = db.begin_read().unwrap();
                let t = r.tree("t").unwrap().unwrap();
                let count = t.iter().map(Result::unwrap).count() as u32;
                assert!(
                    count == commits * per || count == (commits - 1) * per,
                    "round {round}: {count} entries"
                );
                drop(r);
                assert!(db.check().unwrap().is_clean(), "round {round}");
                prefix += 1;
                std::mem::forget(db);
                mem.release_locks();
            }
        }
    }
    eprintln!("WAL flips refused: {refused}, recovered to a committed prefix: {prefix}");
}

#[test]
fn foreign_files_and_unknown_versions_are_refused_clearly() {
    let mem = MemVfs::new();
    mem.write_file(
        Path::new(PATH),
        b"SQLite format 3\0 and then some more bytes".repeat(200),
    );
    let err = open(&mem).unwrap_err();
    assert!(
        matches!(err, pagegraph_storage::StorageError::NotADatabase { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("not a pagegraph database"),
        "{err}"
    );

    // A valid database whose header claims a future format version (header re-sealed so
    // only the version is wrong).
    let mem = MemVfs::new();
    open(&mem).unwrap().close().unwrap();
    let mut bytes = mem.read_file(Path::new(PATH)).unwrap();
    for slot in 0..2 {
        let page = &mut bytes[slot * 4096..(slot + 1) * 4096];
        page[40..44].copy_from_slice(&3u32.to_le_bytes());
        let sum = crc32c::crc32c(&page[4..]);
        page[0..4].copy_from_slice(&sum.to_le_bytes());
    }
    mem.write_file(Path::new(PATH), bytes);
    let err = open(&mem).unwrap_err();
    assert!(
        matches!(
            err,
            pagegraph_storage::StorageError::UnsupportedVersion {
                found: 3,
                supported: 2
            }
        ),
        "{err}"
    );
}

/// Page ids far beyond any file, in a branch (a child) or in the catalog (a tree's root),
/// with checksums made valid as a crafted file would have them: every read that goes there,
/// and `check`, is an error naming the damage, never an overflow panic computing the page's
/// place in the file (the graph fuzz target found the catalog case).
#[test]
fn page_ids_beyond_any_file_are_errors() {
    let mem = MemVfs::new();
    let n: u32 = 3000;
    {
        let db = open(&mem).unwrap();
        let mut tx = db.begin_write().unwrap();
        for i in 0..n {
            tx.tree("one")
                .unwrap()
                .insert(&i.to_be_bytes(), &value(i))
                .unwrap();
        }
        tx.commit().unwrap();
        db.close().unwrap();
    }
    let pristine = mem.read_file(Path::new(PATH)).unwrap();
    let mut crafted = 0;
    for far in [u64::MAX, u64::MAX / 4096 + 1, 1 << 52] {
        let mut bytes = pristine.clone();
        for page in bytes.chunks_mut(4096) {
            // A branch page (type 4): its rightmost child id at byte 24, little-endian.
            if page.len() == 4096 && page[4] == 4 {
                page[24..32].copy_from_slice(&far.to_le_bytes());
                let sum = crc32c::crc32c(&page[4..]);
                page[..4].copy_from_slice(&sum.to_le_bytes());
                crafted += 1;
            }
        }
        mem.write_file(Path::new(PATH), bytes);
        let _ = mem.remove(Path::new(WAL));
        let db = open(&mem).unwrap();
        assert!(!read_all_ok(&db, &["one"], n), "child {far:#x}");
        let r = db.begin_read().unwrap();
        let t = r.tree("one").unwrap().unwrap();
        let last = (n - 1).to_be_bytes();
        assert!(t.get(&last).is_err(), "child {far:#x}");
        assert!(t.floor_with(&last, |_, _| ()).is_err(), "child {far:#x}");
        drop(r);
        let report = db.check().unwrap();
        assert!(!report.is_clean(), "child {far:#x}");
    }
    assert!(crafted >= 3, "the tree has a branch to craft");

    // The catalog's entry for the tree: its root id (8 bytes) before its length (3000).
    let mut bytes = pristine.clone();
    let len = u64::from(n).to_le_bytes();
    let mut found = false;
    for page in bytes.chunks_mut(4096) {
        if page.len() != 4096 || page[4] != 3 || !page.windows(3).any(|w| w == b"one") {
            continue;
        }
        if let Some(at) = page.windows(8).position(|w| w == len).filter(|&at| at >= 8) {
            page[at - 1] = 0x04; // the root id's high byte: far beyond any file
            let sum = crc32c::crc32c(&page[4..]);
            page[..4].copy_from_slice(&sum.to_le_bytes());
            found = true;
        }
    }
    assert!(found, "the catalog entry of the tree");
    mem.write_file(Path::new(PATH), bytes);
    let _ = mem.remove(Path::new(WAL));
    if let Ok(db) = open(&mem) {
        assert!(!read_all_ok(&db, &["one"], n));
        if let Ok(r) = db.begin_read() {
            assert!(r.tree("one").is_err());
        }
        assert!(db.check().map_or(true, |report| !report.is_clean()));
    }
}
