//! Model-based property test of the storage engine.
//!
//! Random sequences of insert, remove, get, range (both directions), commit, abort and
//! reopen over several trees, through a 16-page cache so pages are evicted and spilled
//! constantly, compared after every step with a `BTreeMap` model. Every few steps the
//! integrity checker must find nothing. Runs for each durability mode on an in-memory file
//! system; `PAGEGRAPH_STRESS=1` runs many more seeds and operations.
//! Not covered here: crashes and faults (see `crash.rs`, `faults.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use common::{Model, assert_clean, assert_snapshot_eq, random_key, random_value, scale};
use pagegraph_storage::file::{MemVfs, Vfs};
use pagegraph_storage::{Database, Durability, Options};

const TREES: [&str; 3] = ["alpha", "beta", "gamma"];

fn open(vfs: &MemVfs, durability: Durability) -> Database {
    let options = Options::default()
        .cache_pages(16)
        .durability(durability)
        .wal_auto_checkpoint_frames(200);
    Database::open_with_vfs(Arc::new(vfs.clone()), Path::new("/model.pgdb"), options).unwrap()
}

fn bound(rng: &mut fastrand::Rng, space: u64) -> Bound<Vec<u8>> {
    match rng.u8(0..3) {
        0 => Bound::Unbounded,
        1 => Bound::Included(random_key(rng, space)),
        _ => Bound::Excluded(random_key(rng, space)),
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k),
        Bound::Excluded(k) => Bound::Excluded(k),
        Bound::Unbounded => Bound::Unbounded,
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one match arm per operation, all against the same model, reads best in one place"
)]
fn run_seed(seed: u64, ops: u64, durability: Durability) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let vfs = MemVfs::new();
    let mut db = open(&vfs, durability);
    let mut committed: Model = BTreeMap::new();
    let space = rng.u64(50..3000);
    let mut step = 0;
    while step < ops {
        let mut working = committed.clone();
        let mut tx = db.begin_write().unwrap();
        let txn_ops = rng.u64(1..200);
        for _ in 0..txn_ops {
            step += 1;
            let name = TREES[rng.usize(0..TREES.len())];
            let ctx = format!("seed {seed} step {step}");
            match rng.u8(0..100) {
                0..=29 => {
                    let (k, v) = (random_key(&mut rng, space), random_value(&mut rng));
                    let replaced = tx.tree(name).unwrap().insert(&k, &v).unwrap();
                    let old = working.entry(name.to_string()).or_default().insert(k, v);
                    assert_eq!(replaced, old.is_some(), "{ctx}: insert replaced");
                }
                30..=44 => {
                    // Buffered, sorted puts: applied before the next read of the tree.
                    let (k, v) = (random_key(&mut rng, space), random_value(&mut rng));
                    tx.tree(name).unwrap().put(&k, &v).unwrap();
                    working.entry(name.to_string()).or_default().insert(k, v);
                }
                45..=54 => {
                    // A run through one remembered path: sorted (the fast path) or not,
                    // with repeated keys, sometimes after buffered puts of the same tree.
                    let mut run: Vec<(Vec<u8>, Vec<u8>)> = (0..rng.usize(1..300))
                        .map(|_| (random_key(&mut rng, space), random_value(&mut rng)))
                        .collect();
                    if rng.bool() {
                        run.sort();
                        if rng.bool() {
                            run.dedup_by(|a, b| a.0 == b.0);
                        }
                    }
                    // Or through `insert_sorted`, which rewrites the tree when the run is
                    // large against it (runs here often are) and is `insert_many` else.
                    let added = if rng.bool() {
                        tx.tree(name).unwrap().insert_sorted(&run).unwrap()
                    } else {
                        tx.tree(name).unwrap().insert_many(run.clone()).unwrap()
                    };
                    let model = working.entry(name.to_string()).or_default();
                    let before = model.len();
                    model.extend(run);
                    assert_eq!(added as usize, model.len() - before, "{ctx}: insert_many");
                }
                55..=79 => {
                    let k = random_key(&mut rng, space);
                    let removed = tx.tree(name).unwrap().remove(&k).unwrap();
                    let old = working.entry(name.to_string()).or_default().remove(&k);
                    assert_eq!(removed, old.is_some(), "{ctx}: remove");
                }
                80..=89 => {
                    let k = random_key(&mut rng, space);
                    let got = tx.read_tree(name).unwrap().and_then(|t| t.get(&k).unwrap());
                    let want = working.get(name).and_then(|t| t.get(&k)).cloned();
                    assert_eq!(got, want, "{ctx}: get");
                    // The floor: the greatest key at most `k`, in one descent where it can.
                    let got = tx
                        .read_tree(name)
                        .unwrap()
                        .and_then(|t| t.floor_with(&k, |k, v| (k.to_vec(), v.to_vec())).unwrap());
                    let want = working
                        .get(name)
                        .and_then(|t| t.range::<Vec<u8>, _>(..=k.clone()).next_back())
                        .map(|(k, v)| (k.clone(), v.clone()));
                    assert_eq!(got, want, "{ctx}: floor of {k:?}");
                }
                90..=97 => {
                    let (lo, hi) = (bound(&mut rng, space), bound(&mut rng, space));
                    let forward = rng.bool();
                    let got: Vec<(Vec<u8>, Vec<u8>)> = match tx.read_tree(name).unwrap() {
                        Some(t) if forward => t
                            .range(as_ref(&lo), as_ref(&hi))
                            .map(Result::unwrap)
                            .collect(),
                        Some(t) => t
                            .range_rev(as_ref(&lo), as_ref(&hi))
                            .map(Result::unwrap)
                            .collect(),
                        None => Vec::new(),
                    };
                    let empty = BTreeMap::new();
                    let tree = working.get(name).unwrap_or(&empty);
                    let valid = match (&lo, &hi) {
                        (
                            Bound::Included(a) | Bound::Excluded(a),
                            Bound::Included(b) | Bound::Excluded(b),
                        ) => {
                            a < b
                                || (a == b
                                    && matches!(
                                        (&lo, &hi),
                                        (Bound::Included(_), Bound::Included(_))
                                    ))
                        }
                        _ => true,
                    };
                    let mut want: Vec<(Vec<u8>, Vec<u8>)> = if valid {
                        tree.range::<Vec<u8>, _>((lo.clone(), hi.clone()))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    } else {
                        Vec::new()
                    };
                    if !forward {
                        want.reverse();
                    }
                    assert!(
                        got == want,
                        "{ctx}: range {lo:?}..{hi:?} forward={forward}: {} vs {}",
                        got.len(),
                        want.len()
                    );
                    // The key-only scan sees the same keys.
                    let mut keys: Vec<Vec<u8>> = Vec::new();
                    if let Some(t) = tx.read_tree(name).unwrap() {
                        let mut r = if forward {
                            t.range(as_ref(&lo), as_ref(&hi))
                        } else {
                            t.range_rev(as_ref(&lo), as_ref(&hi))
                        };
                        // Sometimes after taking the first entry the slow way.
                        if rng.bool()
                            && let Some(first) = r.next()
                        {
                            keys.push(first.unwrap().0);
                        }
                        r.for_each_key(|k| keys.push(k.to_vec())).unwrap();
                    }
                    let want_keys: Vec<Vec<u8>> = want.iter().map(|(k, _)| k.clone()).collect();
                    assert_eq!(keys, want_keys, "{ctx}: for_each_key {lo:?}..{hi:?}");
                }
                _ => {
                    // Prefixes from one key's worth to runs over many leaves.
                    let mut p =
                        format!("k{:04}", rng.u64(0..=((space / 10_000).max(1) * 10))).into_bytes();
                    p.truncate(rng.usize(1..=p.len()));
                    let want: Vec<Vec<u8>> = working.get(name).map_or(Vec::new(), |t| {
                        t.keys().filter(|k| k.starts_with(&p)).cloned().collect()
                    });
                    let got = tx
                        .read_tree(name)
                        .unwrap()
                        .map_or(0, |t| t.prefix(&p).count());
                    assert_eq!(got, want.len(), "{ctx}: prefix");
                    let mut keys: Vec<Vec<u8>> = Vec::new();
                    if let Some(t) = tx.read_tree(name).unwrap() {
                        t.for_each_key_with_prefix(&p, |k| keys.push(k.to_vec()))
                            .unwrap();
                    }
                    assert_eq!(keys, want, "{ctx}: for_each_key_with_prefix {p:?}");
                }
            }
        }
        match rng.u8(0..10) {
            0 => {
                tx.abort();
            }
            1 => {
                drop(tx);
            }
            _ => {
                tx.commit().unwrap();
                committed = working;
            }
        }
        let ctx = format!("seed {seed} after step {step}");
        assert_snapshot_eq(&db.begin_read().unwrap(), &committed, &ctx);
        if rng.u8(0..8) == 0 {
            assert_clean(&db, &ctx);
        }
        if rng.u8(0..10) == 0 {
            if rng.bool() {
                db.close().unwrap();
            } else {
                drop(db);
            }
            db = open(&vfs, durability);
            assert_snapshot_eq(
                &db.begin_read().unwrap(),
                &committed,
                &format!("{ctx} (reopened)"),
            );
        }
    }
    assert_clean(&db, &format!("seed {seed} end"));
}

#[test]
fn model_full() {
    for seed in 0..scale(12, 300) {
        run_seed(seed, scale(1500, 6000), Durability::Full);
    }
}

#[test]
fn model_normal() {
    for seed in 1000..1000 + scale(8, 200) {
        run_seed(seed, scale(1500, 6000), Durability::Normal);
    }
}

#[test]
fn model_off() {
    for seed in 2000..2000 + scale(8, 200) {
        run_seed(seed, scale(1500, 6000), Durability::Off);
    }
}

#[test]
fn delete_everything_returns_pages() {
    let vfs = MemVfs::new();
    let db = open(&vfs, Durability::Full);
    let mut tx = db.begin_write().unwrap();
    for i in 0..20_000u32 {
        tx.tree("t")
            .unwrap()
            .insert(&i.to_be_bytes(), &[7u8; 60])
            .unwrap();
    }
    tx.commit().unwrap();
    let mut tx = db.begin_write().unwrap();
    for i in 0..20_000u32 {
        assert!(tx.tree("t").unwrap().remove(&i.to_be_bytes()).unwrap());
    }
    tx.commit().unwrap();
    let stats = db.stats().unwrap();
    // Every data page is free again: only meta, bitmap and catalog pages remain in use.
    assert!(stats.page_count - stats.free_pages <= 5, "{stats:?}");
    assert_clean(&db, "after deleting everything");
    // And they are reused: the same load again does not grow the file. (The delete itself
    // grew it: copy-on-write copies are allocated before the old pages become free.)
    let grown = stats.page_count;
    let mut tx = db.begin_write().unwrap();
    for i in 0..20_000u32 {
        tx.tree("t")
            .unwrap()
            .insert(&i.to_be_bytes(), &[7u8; 60])
            .unwrap();
    }
    tx.commit().unwrap();
    assert!(db.stats().unwrap().page_count <= grown + 2);
    assert_clean(&db, "after reinserting");
}

#[test]
fn a_checkpoint_after_an_aborted_spill_copies_committed_images() {
    // A checkpoint copies cached images instead of reading frames back, so the cache must
    // hold nothing but committed images once no write is open. The case that could break
    // it: pages freed by commits (their frames still in the WAL), reused by a transaction
    // that spills them (more dirty pages than the cache holds) and aborts. Debug builds
    // compare every copied image with its frame; the data and the checker confirm it in
    // any build.
    let vfs = MemVfs::new();
    let options = Options::default()
        .cache_pages(64)
        .durability(Durability::Normal)
        .wal_auto_checkpoint_frames(1 << 20);
    let open = || {
        Database::open_with_vfs(Arc::new(vfs.clone()), Path::new("/a.pgdb"), options.clone())
            .unwrap()
    };
    let db = open();
    // Small commits (no spill): every page they write is a WAL frame.
    let put = |db: &Database, keys: std::ops::Range<u32>, value: u8, commit: bool| {
        let mut tx = db.begin_write().unwrap();
        for i in keys {
            tx.tree("t")
                .unwrap()
                .insert(&i.to_be_bytes(), &[value; 60])
                .unwrap();
        }
        if commit {
            tx.commit().unwrap();
        } else {
            tx.abort();
        }
    };
    for at in (0..5_000).step_by(250) {
        put(&db, at..at + 250, 1, true);
    }
    for at in (0..5_000u32).step_by(250) {
        let mut tx = db.begin_write().unwrap();
        for i in at..at + 250 {
            assert!(tx.tree("t").unwrap().remove(&i.to_be_bytes()).unwrap());
        }
        tx.commit().unwrap();
    }
    put(&db, 0..5_000, 2, false);
    db.checkpoint().unwrap();
    put(&db, 0..300, 3, true);
    db.checkpoint().unwrap();
    assert_clean(&db, "after the checkpoints");
    drop(db);
    let db = open();
    let r = db.begin_read().unwrap();
    let t = r.tree("t").unwrap().unwrap();
    assert_eq!(t.len(), 300);
    for i in 0..300u32 {
        assert_eq!(
            t.get(&i.to_be_bytes()).unwrap(),
            Some(vec![3u8; 60]),
            "key {i}"
        );
    }
    assert_clean(&db, "reopened");
}

#[test]
fn puts_beyond_the_sort_budget_spill_runs_and_match_the_model() {
    // A 16-page cache gives a 32 KiB sort budget... raised to its 64 KiB floor: 30,000 puts
    // of ~60 bytes write many runs to the temporary file.
    let vfs = MemVfs::new();
    let db = open(&vfs, Durability::Full);
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut rng = fastrand::Rng::with_seed(99);
    let mut tx = db.begin_write().unwrap();
    for _ in 0..30_000 {
        let (k, v) = (random_key(&mut rng, 8000), random_value(&mut rng));
        tx.tree("t").unwrap().put(&k, &v).unwrap();
        model.insert(k, v);
    }
    assert_eq!(tx.tree("t").unwrap().len().unwrap(), model.len() as u64);
    tx.commit().unwrap();
    let mut want = BTreeMap::new();
    want.insert("t".to_string(), model);
    assert_snapshot_eq(&db.begin_read().unwrap(), &want, "after sorted puts");
    assert_clean(&db, "after sorted puts");
    assert!(
        vfs.list_prefix(Path::new("/model.pgdb-sort"))
            .unwrap()
            .is_empty(),
        "the sort file was left behind"
    );
}

/// Every prefix of every key, scanned with `for_each_key_with_prefix` in a snapshot with a
/// tiny cache, against the model, before and after deleting runs of keys: this puts the
/// start and the end of runs on every leaf boundary, including runs that start at a leaf's
/// first key while the descent for the prefix lands in the leaf before (a separator kept
/// from keys since deleted).
#[test]
fn prefix_scans_start_and_end_on_every_leaf_boundary() {
    let vfs = MemVfs::new();
    let db = open(&vfs, Durability::Normal);
    let mut rng = fastrand::Rng::with_seed(77);
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for round in 0..4 {
        let mut tx = db.begin_write().unwrap();
        {
            let mut t = tx.tree("alpha").unwrap();
            if round == 0 {
                for _ in 0..3000 {
                    let key = format!("k{:05}", rng.u32(0..40_000)).into_bytes();
                    let value = vec![7u8; rng.usize(0..40)];
                    t.put(&key, &value).unwrap();
                    model.insert(key, value);
                }
                // Keys with zero bytes, of lengths around 8: a short key reads as
                // zero-padded to 8 bytes, which a prefix test must not take for a match.
                for _ in 0..150 {
                    let len = rng.usize(1..13);
                    let key: Vec<u8> = (0..len).map(|_| rng.u8(0..2)).collect();
                    t.put(&key, b"z").unwrap();
                    model.insert(key, b"z".to_vec());
                }
            } else {
                // Delete runs of consecutive keys, leaving separators without their keys.
                let keys: Vec<Vec<u8>> = model.keys().cloned().collect();
                let mut i = 0;
                while i < keys.len() {
                    let run = rng.usize(1..30);
                    if rng.bool() {
                        for k in keys.iter().skip(i).take(run) {
                            assert!(t.remove(k).unwrap());
                            model.remove(k);
                        }
                    }
                    i += run;
                }
            }
        }
        tx.commit().unwrap();
        let r = db.begin_read().unwrap();
        let t = r.tree("alpha").unwrap().expect("tree");
        assert_splits_cover(&t, &model, &format!("round {round}"));
        for key in model.keys() {
            for len in 0..=key.len() + 1 {
                let mut p = key[..len.min(key.len())].to_vec();
                if len > key.len() {
                    p.push(0); // just past the key: an empty run between two keys
                }
                let want: Vec<&Vec<u8>> = model.keys().filter(|k| k.starts_with(&p)).collect();
                let mut got: Vec<Vec<u8>> = Vec::new();
                t.for_each_key_with_prefix(&p, |k| got.push(k.to_vec()))
                    .unwrap();
                assert!(
                    got.iter().eq(want.iter().copied()),
                    "round {round}, prefix {p:?}: {} keys, want {}",
                    got.len(),
                    want.len()
                );
            }
        }
        assert_leaf_runs_continue_as_ranges(&t, &model, &format!("round {round}"));
    }
}

/// `leaf_run` and the range it says is left give the keys of the whole range: for ranges
/// from each key and from just past it (the last key of a leaf, a key after a leaf's
/// last), up to no bound, the next key, a few keys on, and past the end.
fn assert_leaf_runs_continue_as_ranges(
    t: &pagegraph_storage::Tree<'_>,
    model: &BTreeMap<Vec<u8>, Vec<u8>>,
    ctx: &str,
) {
    let keys: Vec<&Vec<u8>> = model.keys().collect();
    let past_end = vec![0xffu8; 16];
    for (i, key) in keys.iter().enumerate() {
        let mut after = (*key).clone();
        after.push(0);
        for lower in [(*key).clone(), after] {
            let uppers = [
                None,
                keys.get(i + 1).map(|k| k.as_slice()),
                keys.get(i + 7).map(|k| k.as_slice()),
                Some(past_end.as_slice()),
            ];
            for upper in uppers {
                let mut got: Vec<Vec<u8>> = Vec::new();
                let more = t.leaf_run(&lower, upper, |k| got.push(k.to_vec())).unwrap();
                let in_leaf = got.len();
                if let Some(last) = &more {
                    // A few keys of what is left are enough to show where it starts.
                    let hi = upper.map_or(Bound::Unbounded, Bound::Excluded);
                    for entry in t.range(Bound::Excluded(last), hi).take(5) {
                        got.push(entry.unwrap().0);
                    }
                }
                let hi = upper.map_or(Bound::Unbounded, |u| Bound::Excluded(u.to_vec()));
                let mut want_all = model.range((Bound::Included(lower.clone()), hi));
                let want: Vec<&Vec<u8>> =
                    want_all.by_ref().take(got.len()).map(|(k, _)| k).collect();
                // A run that says it ended in its leaf left nothing out.
                assert!(
                    more.is_some() || want_all.next().is_none(),
                    "{ctx}, {lower:?}..{upper:?}: ended after {in_leaf} keys, more wanted"
                );
                assert!(
                    got.iter().eq(want.iter().copied()),
                    "{ctx}, {lower:?}..{upper:?}: {} keys, want {}",
                    got.len(),
                    want.len()
                );
            }
        }
    }
}

/// `split_keys` cuts the tree into ascending, non-empty parts that together hold every entry
/// once, none more than three times its fair share in a tree of many leaves.
fn assert_splits_cover(
    t: &pagegraph_storage::Tree<'_>,
    model: &BTreeMap<Vec<u8>, Vec<u8>>,
    ctx: &str,
) {
    for parts in [2, 3, 4, 8] {
        let keys = t.split_keys(parts).unwrap();
        assert!(
            keys.len() < parts,
            "{ctx}: {} keys for {parts} parts",
            keys.len()
        );
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{ctx}: not ascending");
        if model.len() > 1000 {
            assert_eq!(keys.len(), parts - 1, "{ctx}: a large tree gets every cut");
        }
        let mut bounds: Vec<Bound<&[u8]>> = vec![Bound::Unbounded];
        bounds.extend(keys.iter().map(|k| Bound::Included(k.as_slice())));
        let mut ends: Vec<Bound<&[u8]>> =
            keys.iter().map(|k| Bound::Excluded(k.as_slice())).collect();
        ends.push(Bound::Unbounded);
        let mut seen = Vec::new();
        for (lo, hi) in bounds.into_iter().zip(ends) {
            let part: Vec<Vec<u8>> = t.range(lo, hi).map(|e| e.unwrap().0).collect();
            assert!(!part.is_empty(), "{ctx}: an empty part of {parts}");
            assert!(
                model.len() <= 1000 || part.len() <= 3 * model.len() / parts,
                "{ctx}: a part of {} entries out of {} in {parts} parts",
                part.len(),
                model.len()
            );
            seen.extend(part);
        }
        assert!(
            seen.iter().eq(model.keys()),
            "{ctx}: the parts are not the tree"
        );
    }
}

#[test]
fn sorted_runs_large_against_a_tree_rewrite_it_full() {
    // A tree of 40,000 entries, then a sorted run of 5,000 new keys spread over its range:
    // inserted, most leaves split into half-full pages; rewritten, every leaf but the last
    // is full. The two trees hold the same entries, and neither leaks a page.
    let key = |n: u64| format!("k{n:09}").into_bytes();
    let mut leaves = Vec::new();
    for rewrite in [false, true] {
        let vfs = MemVfs::new();
        let db = open(&vfs, Durability::Normal);
        let mut tx = db.begin_write().unwrap();
        let base: Vec<(Vec<u8>, Vec<u8>)> = (0..40_000).map(|n| (key(n * 8), vec![7; 9])).collect();
        tx.tree("t").unwrap().insert_many(base).unwrap();
        tx.commit().unwrap();
        let mut rng = fastrand::Rng::with_seed(3);
        let mut run: Vec<(Vec<u8>, Vec<u8>)> = (0..5_000)
            .map(|_| (key(rng.u64(0..320_000)), vec![1; 9]))
            .collect();
        run.sort();
        run.dedup_by(|a, b| a.0 == b.0);
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> =
            (0..40_000).map(|n| (key(n * 8), vec![7; 9])).collect();
        let before = model.len();
        model.extend(run.iter().cloned());
        let mut tx = db.begin_write().unwrap();
        let added = if rewrite {
            tx.tree("t").unwrap().insert_sorted(&run).unwrap()
        } else {
            tx.tree("t").unwrap().insert_many(run.clone()).unwrap()
        };
        assert_eq!(added as usize, model.len() - before);
        tx.commit().unwrap();
        let r = db.begin_read().unwrap();
        let t = r.tree("t").unwrap().unwrap();
        assert_eq!(t.len(), model.len() as u64);
        let got: Vec<(Vec<u8>, Vec<u8>)> = t.iter().map(Result::unwrap).collect();
        assert!(
            got.iter().eq(model
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
                .iter())
        );
        drop(r);
        assert_clean(&db, "after the run");
        let report = db.check().unwrap();
        let pages = report.tree_pages.iter().find(|p| p.name == "t").unwrap();
        leaves.push(pages.leaf);
    }
    // Cells of 2 + 7 + 10 + 9 bytes in 4,064 usable bytes: 145 a page.
    let full = 45_000u64.div_ceil(4064 / 28);
    assert!(
        leaves[1] <= full + 1,
        "rewritten: {} leaves, {full} full",
        leaves[1]
    );
    assert!(leaves[0] > full * 3 / 2, "inserted: {} leaves", leaves[0]);
}

#[test]
fn insert_sorted_refuses_an_oversized_entry_before_writing() {
    let vfs = MemVfs::new();
    let db = open(&vfs, Durability::Normal);
    let mut tx = db.begin_write().unwrap();
    tx.tree("t")
        .unwrap()
        .insert_many((0..100u32).map(|n| (n.to_be_bytes(), [1u8])))
        .unwrap();
    let huge = vec![255u8; 1_000];
    let run: Vec<(Vec<u8>, Vec<u8>)> = vec![(vec![0, 0, 0, 200], vec![2]), (huge, vec![2])];
    assert!(tx.tree("t").unwrap().insert_sorted(&run).is_err());
    // Nothing written, and the transaction goes on.
    assert_eq!(tx.tree("t").unwrap().len().unwrap(), 100);
    let run: Vec<(Vec<u8>, Vec<u8>)> = (100..300u32)
        .map(|n| (n.to_be_bytes().to_vec(), vec![3]))
        .collect();
    assert_eq!(tx.tree("t").unwrap().insert_sorted(&run).unwrap(), 200);
    tx.commit().unwrap();
    assert_clean(&db, "after the refusal");
    assert_eq!(
        db.begin_read().unwrap().tree("t").unwrap().unwrap().len(),
        300
    );
}

#[test]
fn a_rewrite_reads_large_values_in_bounded_chunks() {
    // 60 values of 200 KB (12 MB: several chunks by bytes), then a sorted run of 100 small
    // entries between and over them: the rewrite keeps every value.
    let vfs = MemVfs::new();
    let db = open(&vfs, Durability::Normal);
    let big = |n: u32| (0..200_000u32).map(|i| (i ^ n) as u8).collect::<Vec<u8>>();
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut tx = db.begin_write().unwrap();
    for n in 0..60u32 {
        let k = (n * 10).to_be_bytes().to_vec();
        tx.tree("t").unwrap().insert(&k, &big(n)).unwrap();
        model.insert(k, big(n));
    }
    tx.commit().unwrap();
    let run: Vec<(Vec<u8>, Vec<u8>)> = (0..100u32)
        .map(|n| ((n * 7).to_be_bytes().to_vec(), vec![n as u8; 5]))
        .collect();
    let before = model.len();
    model.extend(run.iter().cloned());
    let mut tx = db.begin_write().unwrap();
    let added = tx.tree("t").unwrap().insert_sorted(&run).unwrap();
    assert_eq!(added as usize, model.len() - before);
    tx.commit().unwrap();
    let r = db.begin_read().unwrap();
    let got: BTreeMap<Vec<u8>, Vec<u8>> = r
        .tree("t")
        .unwrap()
        .unwrap()
        .iter()
        .map(Result::unwrap)
        .collect();
    assert!(got == model, "contents differ");
    drop(r);
    assert_clean(&db, "after the rewrite");
}
