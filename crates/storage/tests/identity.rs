//! Which files a database is, and what the engine may write or refuse:
//! - the WAL is the same whatever name (symlink, hard link) the database is opened by;
//! - a WAL is bound to its database: another database's WAL, or an old copy of its own,
//!   is refused and never replayed;
//! - a new database appears complete or not at all, through failed writes and syncs and
//!   power cuts, and its creation and its WAL's survive a power cut once acknowledged;
//! - symbolic links planted at the WAL's path are not followed; empty files are not
//!   databases; read-only opens write nothing and share the file;
//! - counts read from a crafted header or WAL never make the engine allocate, seek or
//!   write beyond what the files hold; an absurd cache size is a bound, not an allocation;
//! - a clean close leaves no WAL behind.
//!
//! Crashes are real: a child process (this binary, re-run on the ignored `child_commits`
//! test) commits and then aborts without closing, so its WAL is left as a killed process
//! leaves it. Power cuts use `MemVfs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use pagegraph_storage::file::{FaultPlan, FaultVfs, MemVfs, Vfs};
use pagegraph_storage::{Database, Durability, Options, StorageError, wal_path};

fn get(db: &Database, key: &str) -> Option<Vec<u8>> {
    let r = db.begin_read().unwrap();
    r.tree("t").unwrap()?.get(key.as_bytes()).unwrap()
}

fn put(db: &Database, key: &str, value: &str) {
    let mut tx = db.begin_write().unwrap();
    tx.tree("t")
        .unwrap()
        .insert(key.as_bytes(), value.as_bytes())
        .unwrap();
    tx.commit().unwrap();
}

/// Runs a child process that opens `path`, commits `key`, and aborts before any close or
/// checkpoint: the commit is only in the WAL.
fn crash_after_commit(path: &Path, key: &str) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_commits", "--nocapture"])
        .env("PAGEGRAPH_CHILD_DB", path)
        .env("PAGEGRAPH_CHILD_KEY", key)
        .status()
        .unwrap();
    assert!(!status.success(), "the child was meant to abort");
    assert!(
        wal_path(&std::fs::canonicalize(path).unwrap()).exists(),
        "the child left its WAL"
    );
}

#[test]
#[ignore = "run by crash_after_commit in a child process"]
fn child_commits() {
    let (Some(path), Some(key)) = (
        std::env::var_os("PAGEGRAPH_CHILD_DB"),
        std::env::var("PAGEGRAPH_CHILD_KEY").ok(),
    ) else {
        return;
    };
    let db = Database::open(PathBuf::from(path), Options::default()).unwrap();
    put(&db, &key, "committed");
    std::process::abort();
}

#[test]
fn a_symlink_reaches_the_same_wal() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.pgdb");
    let link = dir.path().join("link.pgdb");
    Database::open(&real, Options::default())
        .unwrap()
        .close()
        .unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    crash_after_commit(&real, "before");
    {
        // Through the link: the commit still only in the real WAL is seen, and replayed.
        let db = Database::open(&link, Options::default()).unwrap();
        assert_eq!(get(&db, "before").as_deref(), Some(&b"committed"[..]));
        put(&db, "via-link", "yes");
        db.close().unwrap();
    }
    assert!(!wal_path(&link).exists(), "no WAL of the link's own name");
    crash_after_commit(&link, "crashed-via-link");
    let db = Database::open(&real, Options::default()).unwrap();
    for key in ["before", "via-link", "crashed-via-link"] {
        assert!(get(&db, key).is_some(), "{key} lost");
    }
    assert!(db.check().unwrap().is_clean());
}

#[test]
fn a_hard_link_finds_the_wal_the_header_names() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.pgdb");
    let hard = dir.path().join("hard.pgdb");
    Database::open(&real, Options::default())
        .unwrap()
        .close()
        .unwrap();
    std::fs::hard_link(&real, &hard).unwrap();
    crash_after_commit(&real, "before");
    {
        let db = Database::open(&hard, Options::default()).unwrap();
        assert_eq!(get(&db, "before").as_deref(), Some(&b"committed"[..]));
        put(&db, "via-hard-link", "yes");
        db.close().unwrap();
    }
    // The replayed WAL of the other name is gone: it can never be replayed over the
    // commits made since.
    assert!(!wal_path(&real).exists());
    let db = Database::open(&real, Options::default()).unwrap();
    assert!(get(&db, "before").is_some());
    assert!(get(&db, "via-hard-link").is_some());
    assert!(db.check().unwrap().is_clean());
}

#[test]
fn a_crash_after_recovering_through_a_hard_link_loses_nothing_under_either_name() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.pgdb");
    let hard = dir.path().join("hard.pgdb");
    Database::open(&real, Options::default())
        .unwrap()
        .close()
        .unwrap();
    std::fs::hard_link(&real, &hard).unwrap();
    crash_after_commit(&real, "first");
    // Through the other name: the first commit is recovered from the real name's WAL, a
    // second one goes to the hard link's WAL, and the process dies before any checkpoint.
    // The header must then name the WAL that holds the second commit, not the replayed
    // one, which is gone.
    crash_after_commit(&hard, "second");
    assert!(!wal_path(&real).exists(), "the replayed WAL was removed");
    for name in [&real, &hard] {
        let db = Database::open(name, Options::default().read_only(true))
            .unwrap_or_else(|e| panic!("read-only through {}: {e}", name.display()));
        for key in ["first", "second"] {
            assert!(get(&db, key).is_some(), "{key} through {}", name.display());
        }
    }
    let db = Database::open(&real, Options::default()).unwrap();
    for key in ["first", "second"] {
        assert!(get(&db, key).is_some(), "{key} lost");
    }
    assert!(db.check().unwrap().is_clean());
}

#[test]
fn a_durability_off_open_that_replayed_the_wal_leaves_no_header_naming_it() {
    let mem = MemVfs::new();
    let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
    let p = Path::new("/off.pgdb");
    let db = Database::open_with_vfs(Arc::clone(&vfs), p, Options::default()).unwrap();
    put(&db, "k", "in the WAL");
    std::mem::forget(db); // crash: the commit only in the WAL, which the header names
    mem.release_locks();
    let off = Options::default().durability(Durability::Off);
    let db = Database::open_with_vfs(Arc::clone(&vfs), p, off).unwrap();
    assert_eq!(get(&db, "k").as_deref(), Some(&b"in the WAL"[..]));
    assert!(
        !vfs.exists(&wal_path(p)),
        "a durability-off session keeps no WAL"
    );
    std::mem::forget(db); // killed before its first write: the file is not unclean
    mem.release_locks();
    let db = Database::open_with_vfs(vfs, p, Options::default())
        .unwrap_or_else(|e| panic!("the replayed commit is in the file: {e}"));
    assert_eq!(get(&db, "k").as_deref(), Some(&b"in the WAL"[..]));
    assert!(db.check().unwrap().is_clean());
}

#[test]
fn a_copy_never_replays_or_removes_its_originals_wal() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.pgdb");
    let copy = dir.path().join("copy.pgdb");
    crash_after_commit(&real, "in-wal");
    // A copy of the file alone: it lacks the commit in the WAL, and says so.
    std::fs::copy(&real, &copy).unwrap();
    let err = Database::open(&copy, Options::default()).unwrap_err();
    assert!(matches!(err, StorageError::WalMissing { .. }), "{err}");
    assert!(wal_path(&real).exists(), "the original's WAL was touched");
    // Read-only with allow_unclean shows what the copied file holds.
    let db = Database::open(
        &copy,
        Options::default().read_only(true).allow_unclean(true),
    )
    .unwrap();
    assert_eq!(get(&db, "in-wal"), None);
    drop(db);
    // The original still has its commit.
    let db = Database::open(&real, Options::default()).unwrap();
    assert!(get(&db, "in-wal").is_some());
}

#[test]
fn another_databases_wal_is_refused() {
    let mem = MemVfs::new();
    let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
    let (a, b) = (Path::new("/a.pgdb"), Path::new("/b.pgdb"));
    let db = Database::open_with_vfs(Arc::clone(&vfs), a, Options::default()).unwrap();
    put(&db, "k", "from a");
    db.close().unwrap();
    let db = Database::open_with_vfs(Arc::clone(&vfs), b, Options::default()).unwrap();
    put(&db, "k", "from b");
    std::mem::forget(db); // crash: b's commit only in b's WAL
    mem.release_locks();
    let b_wal = mem.read_file(&wal_path(b)).unwrap();
    mem.write_file(&wal_path(a), b_wal);
    let a_before = mem.read_file(a).unwrap();
    let err = Database::open_with_vfs(Arc::clone(&vfs), a, Options::default()).unwrap_err();
    assert!(matches!(err, StorageError::ForeignWal { .. }), "{err}");
    assert!(err.to_string().contains("another database"), "{err}");
    assert_eq!(mem.read_file(a).unwrap(), a_before, "a was written");
    vfs.remove(&wal_path(a)).unwrap();
    let db = Database::open_with_vfs(Arc::clone(&vfs), a, Options::default()).unwrap();
    assert_eq!(get(&db, "k").as_deref(), Some(&b"from a"[..]));
}

#[test]
fn a_stale_copy_of_its_own_wal_is_refused() {
    let mem = MemVfs::new();
    let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
    let p = Path::new("/s.pgdb");
    let db = Database::open_with_vfs(Arc::clone(&vfs), p, Options::default()).unwrap();
    put(&db, "k", "old");
    let old_wal = mem.read_file(&wal_path(p)).unwrap();
    put(&db, "k", "new");
    db.checkpoint().unwrap();
    put(&db, "k2", "newer");
    db.close().unwrap();
    mem.write_file(&wal_path(p), old_wal);
    let err = Database::open_with_vfs(Arc::clone(&vfs), p, Options::default()).unwrap_err();
    assert!(matches!(err, StorageError::ForeignWal { .. }), "{err}");
    assert!(err.to_string().contains("stale"), "{err}");
    vfs.remove(&wal_path(p)).unwrap();
    let db = Database::open_with_vfs(Arc::clone(&vfs), p, Options::default()).unwrap();
    assert_eq!(get(&db, "k").as_deref(), Some(&b"new"[..]));
    assert_eq!(get(&db, "k2").as_deref(), Some(&b"newer"[..]));
}

#[test]
fn a_wal_newer_than_the_file_is_refused_saying_the_file_is_the_old_one() {
    let mem = MemVfs::new();
    let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
    let p = Path::new("/o.pgdb");
    let db = Database::open_with_vfs(Arc::clone(&vfs), p, Options::default()).unwrap();
    put(&db, "k", "old");
    db.close().unwrap();
    let old_file = mem.read_file(p).unwrap();
    let db = Database::open_with_vfs(Arc::clone(&vfs), p, Options::default()).unwrap();
    put(&db, "k", "new");
    db.checkpoint().unwrap();
    put(&db, "k2", "in the WAL");
    std::mem::forget(db); // crash: k2 only in the WAL, whose generation began after "new"
    mem.release_locks();
    mem.write_file(p, old_file.clone()); // an older copy of the file put back
    let err = Database::open_with_vfs(Arc::clone(&vfs), p, Options::default()).unwrap_err();
    assert!(matches!(err, StorageError::ForeignWal { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("older"), "{msg}");
    assert!(!msg.contains("stale"), "the WAL is the newer one: {msg}");
    assert_eq!(mem.read_file(p).unwrap(), old_file, "the file was written");
}

#[test]
fn creation_is_all_or_nothing_under_faults_and_power_cuts() {
    let p = Path::new("/new.pgdb");
    for n in 1..12 {
        for fail_sync in [false, true] {
            let mem = MemVfs::new();
            let faulty = FaultVfs::new(mem.clone());
            let mut plan = FaultPlan::default();
            if fail_sync {
                plan.fail_sync = Some(n);
            } else {
                plan.fail_write = Some(n);
                plan.short_write_percent = 50;
            }
            faulty.set_plan(plan);
            let opened = Database::open_with_vfs(Arc::new(faulty.clone()), p, Options::default());
            let ctx = format!("fail {} #{n}", if fail_sync { "sync" } else { "write" });
            drop(opened);
            for cut in [false, true] {
                let mem = mem.clone();
                if cut {
                    let mut seed = n;
                    mem.power_cut(&mut || {
                        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        seed >> 11
                    });
                } else {
                    mem.release_locks();
                }
                // Whatever happened, the path holds a whole database or nothing, and a
                // retry (without faults) opens or creates it.
                if let Some(bytes) = mem.read_file(p) {
                    assert!(!bytes.is_empty(), "{ctx}: an empty database file was left");
                }
                let db = Database::open_with_vfs(Arc::new(mem.clone()), p, Options::default())
                    .unwrap_or_else(|e| panic!("{ctx}, power cut {cut}: {e}"));
                assert!(db.check().unwrap().is_clean(), "{ctx}");
                put(&db, "k", "v");
                db.close().unwrap();
            }
        }
    }
}

#[test]
fn an_acknowledged_commit_in_a_new_database_survives_a_power_cut() {
    for seed in 0..40u64 {
        let mem = MemVfs::new();
        let p = Path::new("/fresh.pgdb");
        let db = Database::open_with_vfs(Arc::new(mem.clone()), p, Options::default()).unwrap();
        put(&db, "k", "durable");
        std::mem::forget(db);
        let mut s = seed;
        mem.power_cut(&mut || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            s >> 11
        });
        let db = Database::open_with_vfs(Arc::new(mem.clone()), p, Options::default())
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(
            get(&db, "k").as_deref(),
            Some(&b"durable"[..]),
            "seed {seed}"
        );
    }
}

#[test]
fn creation_leaves_no_scratch_file_and_clears_those_of_killed_creators() {
    let mem = MemVfs::new();
    let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
    // A creator killed after making its scratch file (not locked any more).
    mem.write_file(
        Path::new("/g.pgdb.creating-0123456789abcdef"),
        vec![1, 2, 3],
    );
    // A file of the user's that only starts like a scratch name is not one.
    let notes = Path::new("/g.pgdb.creating-notes.txt");
    mem.write_file(notes, b"mine".to_vec());
    Database::open_with_vfs(Arc::clone(&vfs), Path::new("/g.pgdb"), Options::default())
        .unwrap()
        .close()
        .unwrap();
    assert_eq!(
        vfs.list_prefix(Path::new("/g.pgdb.")).unwrap(),
        [notes.to_path_buf()],
        "scratch files left, or another file removed"
    );
    assert_eq!(mem.read_file(notes).unwrap(), b"mine");
}

#[test]
fn a_symlink_planted_at_the_wal_path_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    Database::open(&db, Options::default())
        .unwrap()
        .close()
        .unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    std::os::unix::fs::symlink(&victim, wal_path(&db)).unwrap();
    let err = Database::open(&db, Options::default()).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    // A dangling link at the WAL path creates nothing where it points.
    std::fs::remove_file(wal_path(&db)).unwrap();
    let nowhere = dir.path().join("created-anywhere");
    std::os::unix::fs::symlink(&nowhere, wal_path(&db)).unwrap();
    assert!(Database::open(&db, Options::default()).is_err());
    assert!(!nowhere.exists());
}

#[test]
fn an_empty_file_is_not_a_database_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.txt");
    std::fs::write(&p, b"").unwrap();
    for options in [Options::default(), Options::default().read_only(true)] {
        let err = Database::open(&p, options).unwrap_err();
        assert!(matches!(err, StorageError::NotADatabase { .. }), "{err}");
        assert!(err.to_string().contains("empty file"), "{err}");
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 0);
        assert!(!wal_path(&p).exists());
    }
    // Read-only or `create(false)` on a missing path creates nothing.
    let missing = dir.path().join("missing.pgdb");
    for options in [
        Options::default().read_only(true),
        Options::default().create(false),
    ] {
        let err = Database::open(&missing, options).unwrap_err();
        assert!(matches!(err, StorageError::NoDatabase { .. }), "{err}");
        assert!(!missing.exists());
    }
}

#[test]
fn read_only_opens_write_nothing_and_share_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ro.pgdb");
    {
        let db = Database::open(&p, Options::default()).unwrap();
        put(&db, "a", "1");
        db.close().unwrap();
    }
    crash_after_commit(&p, "b");
    let snapshot = |path: &Path| {
        (
            std::fs::read(path).unwrap(),
            std::fs::read(wal_path(path)).unwrap(),
        )
    };
    let before = snapshot(&p);
    let ro = || Database::open(&p, Options::default().read_only(true)).unwrap();
    let (r1, r2) = (ro(), ro());
    // The crash's WAL is replayed in memory.
    assert_eq!(get(&r1, "a").as_deref(), Some(&b"1"[..]));
    assert_eq!(get(&r2, "b").as_deref(), Some(&b"committed"[..]));
    assert!(r1.check().unwrap().is_clean());
    assert!(matches!(r1.begin_write(), Err(StorageError::ReadOnly)));
    // A writer must wait for the readers (and a reader for a writer).
    assert!(matches!(
        Database::open(&p, Options::default()),
        Err(StorageError::Locked { .. })
    ));
    r1.close().unwrap();
    drop(r2);
    assert_eq!(snapshot(&p), before, "a read-only open wrote");
    let w = Database::open(&p, Options::default()).unwrap();
    assert!(matches!(
        Database::open(&p, Options::default().read_only(true)),
        Err(StorageError::Locked { .. })
    ));
    w.close().unwrap();
    // After a clean close there is no WAL, so read-only needs nothing but the file.
    assert!(!wal_path(&p).exists());
    let r = ro();
    assert_eq!(get(&r, "b").as_deref(), Some(&b"committed"[..]));
    assert!(!wal_path(&p).exists());
}

#[test]
fn a_clean_close_removes_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.pgdb");
    let db = Database::open(&p, Options::default()).unwrap();
    assert!(
        wal_path(&p).exists(),
        "the WAL lives while the handle is open"
    );
    put(&db, "k", "v");
    db.close().unwrap();
    assert!(!wal_path(&p).exists());
    // A handle dropped without close() does the same.
    let db = Database::open(&p, Options::default()).unwrap();
    put(&db, "k2", "v");
    drop(db);
    assert!(!wal_path(&p).exists());
    let db = Database::open(&p, Options::default()).unwrap();
    assert!(get(&db, "k2").is_some());
}

#[test]
fn a_crafted_page_count_in_the_header_is_an_error_not_an_abort() {
    let mem = MemVfs::new();
    let vfs: Arc<dyn Vfs> = Arc::new(mem.clone());
    let p = Path::new("/h.pgdb");
    Database::open_with_vfs(Arc::clone(&vfs), p, Options::default())
        .unwrap()
        .close()
        .unwrap();
    for count in [1u64 << 40, 1 << 36, 1_000_000_000, 40_000] {
        let mut bytes = mem.read_file(p).unwrap();
        for slot in 0..2 {
            // Header field "page count" at offset 64, re-sealed (CRC32C of bytes 4..).
            let page = &mut bytes[slot * 4096..(slot + 1) * 4096];
            page[64..72].copy_from_slice(&count.to_le_bytes());
            let sum = crc32c::crc32c(&page[4..]);
            page[0..4].copy_from_slice(&sum.to_le_bytes());
        }
        mem.write_file(p, bytes);
        let err = Database::open_with_vfs(Arc::clone(&vfs), p, Options::default()).unwrap_err();
        assert!(err.is_corruption(), "count {count}: {err}");
    }
}

#[test]
fn a_huge_cache_is_a_bound_not_an_allocation() {
    let mem = MemVfs::new();
    // 2^33 pages would be 32 TiB of cache and hundreds of GiB of table if allocated.
    let db = Database::open_with_vfs(
        Arc::new(mem),
        Path::new("/big-cache.pgdb"),
        Options::default().cache_pages(1 << 33),
    )
    .unwrap();
    for i in 0..2000 {
        put(&db, &format!("k{i}"), "v");
    }
    assert_eq!(get(&db, "k1999").as_deref(), Some(&b"v"[..]));
    let err = Database::open_with_vfs(
        Arc::new(MemVfs::new()),
        Path::new("/x.pgdb"),
        Options::default().cache_pages(usize::MAX),
    )
    .unwrap_err();
    assert!(matches!(err, StorageError::InvalidArgument(_)), "{err}");
}
