//! Shared helpers for the storage integration tests: a model of the committed state and
//! comparisons against it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use pagegraph_storage::{Database, ReadTxn};

/// Tree name -> key -> value: the independent truth the engine is compared with.
pub type Model = BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

/// How many seeds / operations to run: small in CI, large with `PAGEGRAPH_STRESS=1`.
pub fn scale(ci: u64, stress: u64) -> u64 {
    if std::env::var_os("PAGEGRAPH_STRESS").is_some() {
        stress
    } else {
        ci
    }
}

/// The seeds to run: `range`, or only `PAGEGRAPH_SEED` when it is set (to replay a failure).
pub fn seeds(range: std::ops::Range<u64>) -> Vec<u64> {
    match std::env::var("PAGEGRAPH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) => vec![seed],
        None => range.collect(),
    }
}

/// Asserts that a snapshot holds exactly `model` (every tree, every entry, in order).
pub fn assert_snapshot_eq(r: &ReadTxn, model: &Model, ctx: &str) {
    let names: Vec<String> = r
        .trees()
        .unwrap()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(n, _)| n)
        .collect();
    let want: Vec<String> = model
        .iter()
        .filter(|(_, t)| !t.is_empty())
        .map(|(n, _)| n.clone())
        .collect();
    assert_eq!(names, want, "{ctx}: tree names");
    for (name, entries) in model {
        let Some(tree) = r.tree(name).unwrap() else {
            assert!(entries.is_empty(), "{ctx}: tree {name} missing");
            continue;
        };
        assert_eq!(tree.len(), entries.len() as u64, "{ctx}: len of {name}");
        let got: Vec<(Vec<u8>, Vec<u8>)> = tree.iter().map(Result::unwrap).collect();
        let want: Vec<(Vec<u8>, Vec<u8>)> = entries
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert!(
            got == want,
            "{ctx}: contents of {name} differ ({} vs {} entries)",
            got.len(),
            want.len()
        );
    }
}

/// Asserts `db.check()` is clean, printing the problems if not.
pub fn assert_clean(db: &Database, ctx: &str) {
    let report = db.check().unwrap();
    assert!(
        report.is_clean(),
        "{ctx}: check found problems: {:#?}",
        report.problems
    );
}

/// A key from a small space (so inserts overwrite and deletes hit), of varied length.
pub fn random_key(rng: &mut fastrand::Rng, space: u64) -> Vec<u8> {
    let n = rng.u64(0..space);
    let mut k = format!("k{n:08}").into_bytes();
    // Some long keys, to exercise deep trees and big separators.
    if n.is_multiple_of(17) {
        k.extend(std::iter::repeat_n(b'x', (n % 900) as usize));
    }
    k
}

/// A value: mostly small, sometimes around the inline limit, rarely several pages.
pub fn random_value(rng: &mut fastrand::Rng) -> Vec<u8> {
    let len = match rng.u8(0..100) {
        0..=79 => rng.usize(0..120),
        80..=95 => rng.usize(900..1100),
        _ => rng.usize(3000..20_000),
    };
    let b = rng.u8(..);
    (0..len).map(|i| b.wrapping_add(i as u8)).collect()
}
