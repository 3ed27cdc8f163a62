//! The checker's pages-by-use count: every reachable page belongs to exactly one tree (or is
//! a header or bitmap page), and large values are counted as overflow pages.
#![allow(clippy::unwrap_used)]

use pagegraph_storage::{Database, Options};

#[test]
fn pages_by_use_add_up_to_the_pages_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(
        dir.path().join("p.pgdb"),
        Options::default().cache_pages(16),
    )
    .unwrap();
    let mut tx = db.begin_write().unwrap();
    for i in 0u32..3000 {
        tx.tree("small")
            .unwrap()
            .insert(&i.to_be_bytes(), b"v")
            .unwrap();
    }
    let big = vec![7u8; 20_000];
    for i in 0u32..10 {
        tx.tree("big")
            .unwrap()
            .insert(&i.to_be_bytes(), &big)
            .unwrap();
    }
    tx.commit().unwrap();
    let report = db.check().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    let by_name = |n: &str| {
        report
            .tree_pages
            .iter()
            .find(|t| t.name == n)
            .unwrap()
            .clone()
    };
    let small = by_name("small");
    assert!(
        small.leaf > 1 && small.branch >= 1 && small.overflow == 0,
        "{small:?}"
    );
    let big_pages = by_name("big");
    // 20,000 bytes need at least 5 pages of 4 KiB each, for each of the 10 values.
    assert!(big_pages.overflow >= 50, "{big_pages:?}");
    assert!(by_name("(catalog)").leaf >= 1);
    let counted: u64 = report
        .tree_pages
        .iter()
        .map(|t| t.branch + t.leaf + t.overflow)
        .sum();
    // Two header pages and one bitmap page are not in any tree.
    assert_eq!(counted + 3, report.pages_in_use);
}

/// Files of 16K pages and more are walked with read-ahead threads: the report is the same,
/// clean when the file is, and a damaged page is still reported (read-ahead ignores errors;
/// the walk's own read finds them).
#[test]
fn a_large_file_is_checked_with_read_ahead_and_damage_is_still_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.pgdb");
    let db = Database::open(&path, Options::default()).unwrap();
    let mut tx = db.begin_write().unwrap();
    // 17 values of 4 MiB: over 17K overflow pages, laid out first, from page 3 on.
    let big = vec![0xA5u8; 4 << 20];
    for i in 0u32..17 {
        tx.tree("big")
            .unwrap()
            .insert(&i.to_be_bytes(), &big)
            .unwrap();
    }
    tx.commit().unwrap();
    let mut tx = db.begin_write().unwrap();
    tx.tree("small")
        .unwrap()
        .insert_many((0u32..60_000).map(|i| (i.to_be_bytes(), [1u8; 8])))
        .unwrap();
    tx.commit().unwrap();
    let report = db.check().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert!(report.pages_in_use > 17_000, "{}", report.pages_in_use);
    let small = report
        .tree_pages
        .iter()
        .find(|t| t.name == "small")
        .unwrap();
    assert!(small.branch >= 1 && small.leaf > 100, "{small:?}");
    db.close().unwrap();

    let damaged = 9_000u64;
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[(damaged * 4096 + 1000) as usize] ^= 0xFF;
    std::fs::write(&path, &bytes).unwrap();
    let db = Database::open(&path, Options::default()).unwrap();
    let report = db.check().unwrap();
    // The damaged page is reported first; the rest of its overflow chain, no longer
    // reachable through it, is reported leaked, and nothing else is.
    let first = &report.problems[0];
    assert_eq!(
        first.page,
        Some(pagegraph_storage::PageId(damaged)),
        "{first}"
    );
    assert!(first.message.contains("checksum"), "{first}");
    for p in &report.problems[1..] {
        let page = p.page.unwrap().0;
        assert!(p.message.contains("leaked"), "{p}");
        assert!(
            page.abs_diff(damaged) <= 1100,
            "{p}: not in the damaged value's chain"
        );
    }
}
