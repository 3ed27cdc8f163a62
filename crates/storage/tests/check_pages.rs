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
