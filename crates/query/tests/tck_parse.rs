//! The openCypher TCK (vendored under `tests/tck/`, Apache-2.0, see its SOURCE.md) as a test
//! of the parser: every query of every scenario that expects a result or side effects (and
//! every setup query) must parse, and every query that must fail with a syntax-class
//! `SyntaxError` (unexpected syntax, bad number literals, integer overflow, bad unicode)
//! must be refused. Errors that need names and types to find (an undefined variable, a type
//! conflict) are the semantic analysis's, not the parser's, and are not counted here.
//!
//! Each `Examples` row of a `Scenario Outline` counts as one scenario. The counts per folder
//! are printed (`cargo test -p pagegraph-query --test tck_parse -- --nocapture`); the test
//! fails if any query that parsed before stops parsing: `tests/tck_parse_expected_failures.txt`
//! lists the scenarios that do not pass yet, one per line, and a scenario not on the list
//! must pass.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "a test"
)]

mod tck_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use tck_support::{feature_files, scenarios};

/// Errors that the grammar alone decides.
fn syntax_class(error: &str) -> bool {
    error.starts_with("compile time:")
        && [
            "UnexpectedSyntax",
            "InvalidNumberLiteral",
            "IntegerOverflow",
            "InvalidUnicodeLiteral",
            "InvalidUnicodeCharacter",
        ]
        .iter()
        .any(|e| error.contains(e))
}

#[test]
fn the_tck_queries_parse_as_the_tck_expects() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tck/features");
    let files = feature_files(&root);
    let expected_failures: BTreeSet<String> = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tck_parse_expected_failures.txt"),
    )
    .unwrap_or_default()
    .lines()
    .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    .map(str::to_string)
    .collect();
    let mut per_folder: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failing = Vec::new();
    let mut total = 0;
    for f in &files {
        for s in scenarios(&root, f) {
            let error = s.steps.iter().find_map(|st| {
                st.text
                    .split_once("should be raised at ")
                    .map(|(_, e)| e.to_string())
            });
            let setup = s.docs("having executed");
            let queries = s.docs("executing query");
            // Semantic errors need the analysis that follows the parser: not counted.
            let must_fail = match &error {
                Some(e) if syntax_class(e) => true,
                Some(e) if e.starts_with("compile time") => continue,
                _ => false,
            };
            total += 1;
            assert!(!queries.is_empty(), "{}: no query read", s.id);
            let setup_ok = setup
                .iter()
                .all(|q| pagegraph_query::parse_script(q).is_ok());
            let main_ok = queries.iter().all(|q| pagegraph_query::parse(q).is_ok());
            let pass = setup_ok && if must_fail { !main_ok } else { main_ok };
            let e = per_folder.entry(s.folder.clone()).or_default();
            e.1 += 1;
            if pass {
                e.0 += 1;
            } else {
                failing.push(s.id.clone());
            }
        }
    }
    let passed: usize = per_folder.values().map(|v| v.0).sum();
    println!("TCK parse conformance: {passed} of {total} scenarios");
    for (folder, (p, n)) in &per_folder {
        println!("  {folder:<45} {p:>5} / {n:<5}");
    }
    let regressions: Vec<&String> = failing
        .iter()
        .filter(|id| !expected_failures.contains(*id))
        .collect();
    if std::env::var_os("TCK_LIST").is_some() {
        for id in &failing {
            println!("FAIL {id}");
        }
    }
    assert!(
        regressions.is_empty(),
        "{} scenarios that must parse do not (run with TCK_LIST=1 to list all failures):\n{}",
        regressions.len(),
        regressions
            .iter()
            .take(30)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let newly: usize = expected_failures
        .iter()
        .filter(|id| !failing.contains(id))
        .count();
    if newly > 0 {
        println!("{newly} scenarios on the expected-failure list now pass: update the list");
    }
}
