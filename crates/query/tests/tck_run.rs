//! The openCypher TCK run against the executor, for the scenarios it can run today: those
//! that need no graph (no setup queries, no `MATCH` or writes; expected values with no
//! nodes, relationships or paths). Each is run and its result compared with the expected
//! table (in order or in any order, lists ignoring order where the scenario says so), or
//! its error class with the expected one (`SyntaxError`, `TypeError`, `ArgumentError`,
//! ...).
//!
//! Counts per folder are printed (`cargo test -p pagegraph-query --test tck_run --
//! --nocapture`): passed, failed, and not run yet (they need the graph). The test fails when
//! a scenario fails that is not on `tests/tck_run_expected_failures.txt`, so nothing that
//! passes may regress; `TCK_LIST=1` lists the failures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::float_cmp,
    reason = "a test; results are compared exactly"
)]

mod tck_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pagegraph_query::eval::NoGraph;
use pagegraph_query::{QueryError, Value, run};
use tck_support::{Scenario, feature_files, scenarios};

/// A TCK value cell as a value, through the parser and evaluator (`RETURN <cell>`); `None`
/// for values that need a graph (nodes, relationships, paths).
fn cell_value(cell: &str) -> Option<Value> {
    let t = cell.trim();
    match t {
        "NaN" => return Some(Value::Float(f64::NAN)),
        "Infinity" | "inf" => return Some(Value::Float(f64::INFINITY)),
        "-Infinity" | "-inf" => return Some(Value::Float(f64::NEG_INFINITY)),
        _ => {}
    }
    if t.starts_with('(')
        || t.starts_with("[:")
        || t.starts_with('<')
        || t.contains("(:")
        || t.contains("[:")
    {
        return None;
    }
    let r = run(&format!("RETURN {t} AS v"), &BTreeMap::new(), &NoGraph).ok()?;
    r.rows.into_iter().next()?.into_iter().next()
}

/// Exact sameness for result checking: NaN is NaN, `1` is not `1.0`.
fn same(a: &Value, b: &Value, unordered_lists: bool) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return false;
            }
            if unordered_lists {
                let mut used = vec![false; y.len()];
                x.iter().all(|p| {
                    (0..y.len()).any(|i| {
                        if !used[i] && same(p, &y[i], true) {
                            used[i] = true;
                            true
                        } else {
                            false
                        }
                    })
                })
            } else {
                x.iter().zip(y).all(|(p, q)| same(p, q, false))
            }
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2, unordered_lists))
        }
        _ => a == b,
    }
}

fn error_class(e: &QueryError) -> &'static str {
    match e {
        QueryError::Syntax(_) | QueryError::Semantic { .. } => "SyntaxError",
        QueryError::Type(_) => "TypeError",
        QueryError::Argument(_) => "ArgumentError",
        QueryError::Arithmetic(_) => "ArithmeticError",
        QueryError::MissingParameter(_) => "ParameterMissing",
        _ => "Other",
    }
}

enum Outcome {
    Pass,
    Fail(String),
    NotYet,
}

fn run_scenario(s: &Scenario) -> Outcome {
    if !s.docs("having executed").is_empty()
        || s.step("there exists a procedure").is_some()
        || s.step("executing control query").is_some()
    {
        return Outcome::NotYet;
    }
    let Some(query) = s.docs("executing query").into_iter().next() else {
        return Outcome::NotYet;
    };
    let mut params = BTreeMap::new();
    if let Some(p) = s.step("parameters are") {
        for row in &p.table {
            let [name, value] = row.as_slice() else {
                return Outcome::NotYet;
            };
            let Some(v) = cell_value(value) else {
                return Outcome::NotYet;
            };
            params.insert(name.clone(), v);
        }
    }
    let result = run(&query, &params, &NoGraph);
    if let Err(QueryError::Unsupported(_)) = &result {
        return Outcome::NotYet;
    }
    if let Some(step) = s
        .steps
        .iter()
        .find(|st| st.text.contains("should be raised"))
    {
        let want = step
            .text
            .split_whitespace()
            .nth(2)
            .unwrap_or_default()
            .to_string();
        return match result {
            Err(e) if error_class(&e) == want => Outcome::Pass,
            Err(e) => Outcome::Fail(format!("expected {want}, got {}: {e}", error_class(&e))),
            Ok(r) => Outcome::Fail(format!("expected {want}, got rows {:?}", r.rows)),
        };
    }
    let r = match result {
        Ok(r) => r,
        Err(e) => return Outcome::Fail(format!("error: {e}")),
    };
    let Some(expect) = s.step("the result should be") else {
        return Outcome::NotYet;
    };
    if expect.text.contains("empty") {
        return if r.rows.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail(format!("expected no rows, got {:?}", r.rows))
        };
    }
    let Some((header, body)) = expect.table.split_first() else {
        return Outcome::Fail("no expected table".into());
    };
    let mut want: Vec<Vec<Value>> = Vec::new();
    for row in body {
        let mut vals = Vec::new();
        for cell in row {
            match cell_value(cell) {
                Some(v) => vals.push(v),
                None => return Outcome::NotYet,
            }
        }
        want.push(vals);
    }
    if &r.columns != header {
        return Outcome::Fail(format!("columns {:?}, expected {header:?}", r.columns));
    }
    let unordered_lists = expect.text.contains("ignoring element order for lists");
    let row_same = |a: &Vec<Value>, b: &Vec<Value>| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y, unordered_lists))
    };
    let ok = if expect.text.contains("in order") {
        r.rows.len() == want.len() && r.rows.iter().zip(&want).all(|(a, b)| row_same(a, b))
    } else {
        let mut used = vec![false; want.len()];
        r.rows.len() == want.len()
            && r.rows.iter().all(|a| {
                (0..want.len()).any(|i| {
                    if !used[i] && row_same(a, &want[i]) {
                        used[i] = true;
                        true
                    } else {
                        false
                    }
                })
            })
    };
    if ok {
        Outcome::Pass
    } else {
        Outcome::Fail(format!("rows {:?}, expected {want:?}", r.rows))
    }
}

#[test]
fn the_tck_scenarios_that_need_no_graph_pass() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = base.join("tests/tck/features");
    let expected: BTreeSet<String> =
        std::fs::read_to_string(base.join("tests/tck_run_expected_failures.txt"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
    let mut per_folder: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let mut failures: Vec<(String, String)> = Vec::new();
    for f in feature_files(&root) {
        for s in scenarios(&root, &f) {
            let outcome = std::panic::catch_unwind(|| run_scenario(&s))
                .unwrap_or_else(|_| Outcome::Fail("panicked".into()));
            let c = per_folder.entry(s.folder.clone()).or_default();
            match outcome {
                Outcome::Pass => c[0] += 1,
                Outcome::Fail(why) => {
                    c[1] += 1;
                    failures.push((s.id.clone(), why));
                }
                Outcome::NotYet => c[2] += 1,
            }
        }
    }
    let total = |i: usize| per_folder.values().map(|c| c[i]).sum::<usize>();
    println!(
        "TCK run: {} passed, {} failed, {} need the graph (not run yet)",
        total(0),
        total(1),
        total(2)
    );
    for (folder, c) in &per_folder {
        println!(
            "  {folder:<45} passed {:>5}  failed {:>4}  not run {:>5}",
            c[0], c[1], c[2]
        );
    }
    if std::env::var_os("TCK_LIST").is_some() {
        for (id, why) in &failures {
            println!("FAIL {id}\n     {why}");
        }
    }
    let regressions: Vec<&(String, String)> = failures
        .iter()
        .filter(|(id, _)| !expected.contains(id))
        .collect();
    assert!(
        regressions.is_empty(),
        "{} scenarios fail that are not on the expected-failure list:\n{}",
        regressions.len(),
        regressions
            .iter()
            .take(20)
            .map(|(id, why)| format!("{id}: {why}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
