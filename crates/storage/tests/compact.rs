//! Compaction (`Database::compact`) against a model.
//!
//! - Random inserts, overwrites and deletes over several trees (values up to several
//!   overflow pages, an empty tree, a tree emptied by deletes), committed in many small
//!   transactions so the file is full of free pages, the last commits left in the WAL:
//!   after compaction every tree equals the model (and the catalog's names and counts are
//!   the old ones), `check()` is clean, no page is free, the file is smaller, no WAL and no
//!   scratch file is left, and the compacted database takes further writes.
//! - Failed writes and failed syncs at every I/O of a compaction, each followed by a power
//!   cut or not: the reopened database equals the model (old file or new, never a mix) and
//!   `check()` is clean.
//! - A read-only handle is refused; other opens fail with `Locked` while it runs; a real
//!   file reached through a symbolic link is replaced where it is, nothing else left.
//!
//! Not covered: process kills during a compaction (the CLI's `compact_crash.rs` kills the
//! `pagegraph compact` child).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{Model, assert_clean, assert_snapshot_eq, random_key, random_value, scale, seeds};
use pagegraph_storage::file::{FaultPlan, FaultVfs, MemVfs, Vfs};
use pagegraph_storage::{Database, Durability, Options, StorageError};

const PATH: &str = "/compact.pgdb";
const TREES: [&str; 4] = ["alpha", "beta", "gamma", "emptied"];

fn options(durability: Durability) -> Options {
    Options::default()
        .cache_pages(32)
        .durability(durability)
        .wal_auto_checkpoint_frames(1_000_000)
}

fn open(vfs: Arc<dyn Vfs>, durability: Durability) -> Result<Database, StorageError> {
    Database::open_with_vfs(vfs, Path::new(PATH), options(durability))
}

/// Fills a database with `commits` random transactions, applying them to the model too;
/// the tree `emptied` ends with no entries, the tree `empty` never had any.
fn fill(db: &Database, rng: &mut fastrand::Rng, commits: u64, model: &mut Model) {
    let space = rng.u64(200..3000);
    for _ in 0..commits {
        let mut tx = db.begin_write().unwrap();
        tx.tree("empty").unwrap();
        model.entry("empty".into()).or_default();
        for _ in 0..rng.usize(1..120) {
            let tree = TREES[rng.usize(0..TREES.len())];
            let key = random_key(rng, space);
            let m = model.entry(tree.to_string()).or_default();
            if rng.u8(0..3) == 0 {
                tx.tree(tree).unwrap().remove(&key).unwrap();
                m.remove(&key);
            } else {
                let value = random_value(rng);
                tx.tree(tree).unwrap().insert(&key, &value).unwrap();
                m.insert(key, value);
            }
        }
        tx.commit().unwrap();
    }
    let mut tx = db.begin_write().unwrap();
    let keys: Vec<Vec<u8>> = model
        .get("emptied")
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();
    for key in keys {
        tx.tree("emptied").unwrap().remove(&key).unwrap();
    }
    tx.tree("emptied").unwrap();
    model.entry("emptied".into()).or_default().clear();
    tx.commit().unwrap();
}

fn scratch_files(mem: &MemVfs) -> Vec<std::path::PathBuf> {
    mem.list_prefix(Path::new("/compact.pgdb.creating-"))
        .unwrap()
}

#[test]
fn compaction_keeps_every_entry_and_leaves_no_free_page() {
    for seed in seeds(0..scale(6, 100)) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let ctx = format!("seed {seed}");
        let mem = MemVfs::new();
        let durability = [Durability::Full, Durability::Normal, Durability::Off][seed as usize % 3];
        let db = open(Arc::new(mem.clone()), durability).unwrap();
        let mut model = Model::new();
        let commits = rng.u64(20..80);
        fill(&db, &mut rng, commits, &mut model);
        let before = db.begin_read().unwrap().trees().unwrap();
        let stats_before = db.stats().unwrap();
        let stats = db.compact().unwrap();
        assert_eq!(stats.page_count_before, stats_before.page_count, "{ctx}");
        assert_eq!(stats.free_pages_before, stats_before.free_pages, "{ctx}");
        assert_eq!(stats.trees, before.len() as u64, "{ctx}");
        assert_eq!(
            stats.entries,
            model.values().map(|t| t.len() as u64).sum::<u64>(),
            "{ctx}"
        );
        assert!(scratch_files(&mem).is_empty(), "{ctx}: scratch file left");
        assert!(
            !mem.exists(&pagegraph_storage::wal_path(Path::new(PATH))),
            "{ctx}: WAL left"
        );

        let db = open(Arc::new(mem.clone()), durability).unwrap();
        let r = db.begin_read().unwrap();
        assert_eq!(r.trees().unwrap(), before, "{ctx}: tree names and counts");
        assert_snapshot_eq(&r, &model, &ctx);
        drop(r);
        assert_clean(&db, &ctx);
        let after = db.stats().unwrap();
        assert_eq!(after.free_pages, 0, "{ctx}: free pages after compaction");
        assert_eq!(after.page_count, stats.page_count_after, "{ctx}");
        assert!(
            after.page_count < stats_before.page_count,
            "{ctx}: {} pages before, {} after",
            stats_before.page_count,
            after.page_count
        );
        // The compacted database goes on as any other.
        fill(&db, &mut rng, 3, &mut model);
        assert_snapshot_eq(&db.begin_read().unwrap(), &model, &ctx);
        assert_clean(&db, &ctx);
    }
}

/// A database filled by `seed`, its last commits left in the WAL as a crash leaves them.
fn crashed_database(seed: u64) -> (MemVfs, Model) {
    let mem = MemVfs::new();
    let mut model = Model::new();
    let db = open(Arc::new(mem.clone()), Durability::Full).unwrap();
    fill(&db, &mut fastrand::Rng::with_seed(seed), 25, &mut model);
    std::mem::forget(db);
    mem.release_locks();
    (mem, model)
}

#[test]
fn a_failed_or_cut_compaction_leaves_the_content_whole() {
    // Every I/O with PAGEGRAPH_STRESS=1; every third write (and every sync) in CI.
    let stride = scale(3, 1);
    for seed in seeds(0..scale(1, 10)) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let (mut writes_done, mut syncs_done) = (false, false);
        let (mut failed, mut cut) = (0, 0);
        let mut n = 0;
        while !(writes_done && syncs_done) {
            n += 1;
            for sync in [false, true] {
                if (sync && syncs_done) || (!sync && (writes_done || n % stride != 1 % stride)) {
                    continue;
                }
                let what = if sync { "sync" } else { "write" };
                let ctx = format!("seed {seed}, failing {what} {n}");
                let (mem, model) = crashed_database(seed);
                let vfs = FaultVfs::new(mem.clone());
                let db = open(Arc::new(vfs.clone()), Durability::Full).unwrap();
                let mut plan = FaultPlan::default();
                plan.fail_write = (!sync).then_some(n);
                plan.fail_sync = sync.then_some(n);
                plan.short_write_percent = 50;
                vfs.set_plan(plan);
                let result = db.compact();
                let fired = vfs.fired();
                assert_eq!(result.is_err(), fired, "{ctx}: {result:?}");
                failed += u64::from(fired);
                if !fired {
                    if sync {
                        syncs_done = true;
                    } else {
                        writes_done = true;
                    }
                }
                if rng.bool() {
                    cut += 1;
                    let mut cut_rng = fastrand::Rng::with_seed(seed ^ n);
                    mem.power_cut(&mut || cut_rng.u64(..));
                } else {
                    mem.release_locks();
                }
                let db = open(Arc::new(mem.clone()), Durability::Full).unwrap();
                assert_snapshot_eq(&db.begin_read().unwrap(), &model, &ctx);
                assert_clean(&db, &ctx);
            }
        }
        // Every write and sync of a compaction was failed in turn (or every third write).
        assert!(
            failed > 20 && cut > 5,
            "seed {seed}: {failed} failures, {cut} cuts"
        );
    }
}

#[test]
fn a_read_only_handle_is_refused() {
    let mem = MemVfs::new();
    let mut model = Model::new();
    let db = open(Arc::new(mem.clone()), Durability::Full).unwrap();
    fill(&db, &mut fastrand::Rng::with_seed(7), 5, &mut model);
    db.close().unwrap();
    let db = Database::open_with_vfs(
        Arc::new(mem.clone()),
        Path::new(PATH),
        options(Durability::Full).read_only(true),
    )
    .unwrap();
    assert!(matches!(db.compact(), Err(StorageError::ReadOnly)));
    assert!(scratch_files(&mem).is_empty());
    let db = open(Arc::new(mem), Durability::Full).unwrap();
    assert_snapshot_eq(&db.begin_read().unwrap(), &model, "after the refusal");
}

#[test]
fn nobody_else_opens_the_database_during_a_compaction() {
    let mem = MemVfs::new();
    let mut model = Model::new();
    let db = open(Arc::new(mem.clone()), Durability::Full).unwrap();
    fill(&db, &mut fastrand::Rng::with_seed(3), 30, &mut model);
    let mut tries = 0;
    db.compact_with(&mut |_, _| {
        for read_only in [false, true] {
            let other = Database::open_with_vfs(
                Arc::new(mem.clone()),
                Path::new(PATH),
                options(Durability::Full).read_only(read_only),
            );
            assert!(
                matches!(other, Err(StorageError::Locked { .. })),
                "{other:?}"
            );
            tries += 1;
        }
    })
    .unwrap();
    assert!(tries > 0);
    let db = open(Arc::new(mem), Durability::Full).unwrap();
    assert_snapshot_eq(&db.begin_read().unwrap(), &model, "after");
}

#[test]
fn compaction_of_a_real_file_replaces_it_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("real.pgdb");
    let mut model = Model::new();
    let db = Database::open(&path, options(Durability::Full)).unwrap();
    fill(&db, &mut fastrand::Rng::with_seed(11), 40, &mut model);
    db.close().unwrap();
    // Through a symbolic link, the file it points to is replaced and the link kept.
    let link = dir.path().join("link.pgdb");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let db = Database::open(&link, options(Durability::Full)).unwrap();
    let stats = db.compact().unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(stats.file_size_after_bytes < stats.file_size_before_bytes);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        ["link.pgdb", "real.pgdb"],
        "only the database is left"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        stats.file_size_after_bytes
    );
    let db = Database::open(&path, options(Durability::Full)).unwrap();
    assert_snapshot_eq(&db.begin_read().unwrap(), &model, "reopened");
    assert_clean(&db, "reopened");
    assert_eq!(db.stats().unwrap().free_pages, 0);
}
