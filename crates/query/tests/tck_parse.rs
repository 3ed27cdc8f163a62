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

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One scenario (one Examples row of an outline): its name, its setup and main queries, and
/// the error the main query must raise, if any.
struct Scenario {
    id: String,
    folder: String,
    setup: Vec<String>,
    queries: Vec<String>,
    error: Option<String>,
}

fn feature_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            feature_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "feature") {
            out.push(p);
        }
    }
}

fn table_row(line: &str) -> Vec<String> {
    let t = line.trim();
    let inner = t
        .strip_prefix('|')
        .and_then(|s| s.strip_suffix('|'))
        .unwrap_or(t);
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// Reads the scenarios of one feature file.
fn scenarios(root: &Path, path: &Path) -> Vec<Scenario> {
    let text = std::fs::read_to_string(path).unwrap();
    let rel = path.strip_prefix(root).unwrap();
    let folder = rel
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let file = rel.display().to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // The background's setup applies to every scenario of the file.
    let mut background: Vec<String> = Vec::new();
    while i < lines.len() {
        let line = lines[i].trim();
        let is_outline = line.starts_with("Scenario Outline:");
        let is_background = line.starts_with("Background:");
        if !(line.starts_with("Scenario:") || is_outline || is_background) {
            i += 1;
            continue;
        }
        let name = line
            .split_once(':')
            .map_or("", |(_, n)| n.trim())
            .to_string();
        i += 1;
        let (mut setup, mut queries, mut error) = (Vec::new(), Vec::new(), None);
        let mut examples: Vec<Vec<String>> = Vec::new();
        let mut last_step = String::new();
        while i < lines.len() {
            let l = lines[i].trim();
            if l.starts_with("Scenario")
                || l.starts_with("Background:")
                || l.starts_with('@')
                    && lines
                        .get(i + 1)
                        .is_some_and(|n| n.trim().starts_with("Scenario"))
            {
                break;
            }
            if l == "\"\"\"" {
                let mut doc = Vec::new();
                i += 1;
                while i < lines.len() && lines[i].trim() != "\"\"\"" {
                    doc.push(lines[i]);
                    i += 1;
                }
                let doc = doc.join("\n");
                if last_step.contains("having executed") {
                    setup.push(doc);
                } else if last_step.contains("executing query") {
                    queries.push(doc);
                }
            } else if l.starts_with("Examples") {
                i += 1;
                while i < lines.len() && lines[i].trim().starts_with('|') {
                    examples.push(table_row(lines[i]));
                    i += 1;
                }
                continue;
            } else if !l.is_empty() && !l.starts_with('|') && !l.starts_with('#') {
                last_step = l.to_string();
                if let Some(rest) = l.split_once("should be raised at ") {
                    error = Some(rest.1.to_string());
                }
            }
            i += 1;
        }
        if is_background {
            background = setup;
            continue;
        }
        let mut all_setup = background.clone();
        all_setup.extend(setup);
        let rows: Vec<BTreeMap<String, String>> = if is_outline && examples.len() > 1 {
            let head = &examples[0];
            examples[1..]
                .iter()
                .map(|r| head.iter().cloned().zip(r.iter().cloned()).collect())
                .collect()
        } else {
            vec![BTreeMap::new()]
        };
        for (n, row) in rows.iter().enumerate() {
            let fill = |q: &String| {
                let mut q = q.clone();
                for (k, v) in row {
                    q = q.replace(&format!("<{k}>"), v);
                }
                q
            };
            out.push(Scenario {
                id: if rows.len() > 1 {
                    format!("{file}: {name} [{}]", n + 1)
                } else {
                    format!("{file}: {name}")
                },
                folder: folder.clone(),
                setup: all_setup.iter().map(fill).collect(),
                queries: queries.iter().map(fill).collect(),
                error: error.as_ref().map(fill),
            });
        }
    }
    out
}

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
    let mut files = Vec::new();
    feature_files(&root, &mut files);
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
            // Semantic errors need the analysis that follows the parser: not counted.
            let must_fail = match &s.error {
                Some(e) if syntax_class(e) => true,
                Some(e) if e.starts_with("compile time") => continue,
                _ => false,
            };
            total += 1;
            assert!(!s.queries.is_empty(), "{}: no query read", s.id);
            let setup_ok = s
                .setup
                .iter()
                .all(|q| pagegraph_query::parse_script(q).is_ok());
            let main_ok = s.queries.iter().all(|q| pagegraph_query::parse(q).is_ok());
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
