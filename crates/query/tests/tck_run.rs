//! The openCypher TCK run against the executor: each scenario on a fresh in-memory graph,
//! its setup queries run and committed, then its query in a write transaction; the result
//! compared with the expected table (in order or in any order, lists ignoring order where
//! the scenario says so; nodes, relationships and paths by their labels, types and
//! properties), the side effects with the expected counts, or the error class with the
//! expected one (`SyntaxError`, `TypeError`, `ArgumentError`, ...). A scenario's procedures
//! (`there exists a procedure test.my.proc(in :: INTEGER?) :: (out :: STRING?)` with a
//! table of inputs and outputs) are registered as procedures that return the outputs of
//! the rows whose inputs equal the arguments; a control query after the query runs in the
//! same transaction and its result is checked as the query's is. Scenarios whose query
//! the executor refuses as unsupported are counted as not run.
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
use std::sync::Arc;

use pagegraph_query::eval::{GraphRead, NoGraph};
use pagegraph_query::{
    ProcedureSignature, Procedures, QueryError, QueryOptions, QueryResult, Value, execute, prepare,
    run, run_prepared, run_write,
};
use tck_support::values::{Expected, matches, parse_expected};
use tck_support::{Scenario, feature_files, scenarios};

fn error_class(e: &QueryError) -> &'static str {
    match e {
        QueryError::Semantic {
            code: "DeleteConnectedNode",
            ..
        } => "ConstraintVerificationFailed",
        QueryError::Semantic {
            code: "ProcedureNotFound",
            ..
        } => "ProcedureError",
        QueryError::Semantic {
            code: "MergeReadOwnWrites",
            ..
        } => "SemanticError",
        QueryError::Syntax(_) | QueryError::Semantic { .. } => "SyntaxError",
        QueryError::Type(_) => "TypeError",
        QueryError::Argument(_) => "ArgumentError",
        QueryError::Arithmetic(_) => "ArithmeticError",
        QueryError::MissingParameter(_) => "ParameterMissing",
        QueryError::Deleted(_) => "EntityNotFound",
        _ => "Other",
    }
}

enum Outcome {
    Pass,
    Fail(String),
    NotYet,
}

/// The side effects a scenario expects, in the order of `QueryStats`' fields.
fn expected_effects(s: &Scenario) -> Option<[u64; 8]> {
    if s.step("no side effects").is_some() {
        return Some([0; 8]);
    }
    let step = s.step("the side effects should be")?;
    let mut out = [0u64; 8];
    for row in &step.table {
        let [name, n] = row.as_slice() else { continue };
        let n: u64 = n.parse().ok()?;
        let at = match name.as_str() {
            "+nodes" => 0,
            "-nodes" => 1,
            "+relationships" => 2,
            "-relationships" => 3,
            "+labels" => 4,
            "-labels" => 5,
            "+properties" => 6,
            "-properties" => 7,
            _ => return None,
        };
        out[at] = n;
    }
    Some(out)
}

/// A graph's state, as sets of printable facts, for side effects by difference.
struct State {
    nodes: BTreeSet<String>,
    rels: BTreeSet<String>,
    labels: BTreeSet<String>,
    props: BTreeSet<String>,
}

impl State {
    fn of(g: &dyn GraphRead) -> State {
        let mut st = State {
            nodes: BTreeSet::new(),
            rels: BTreeSet::new(),
            labels: BTreeSet::new(),
            props: BTreeSet::new(),
        };
        for n in g.node_ids().unwrap_or_default() {
            st.nodes.insert(format!("n{}", n.0));
            let Ok(Some(node)) = g.node(n) else { continue };
            st.labels.extend(node.labels);
            for (k, v) in node.properties {
                st.props.insert(format!("n{} {k} {v:?}", n.0));
            }
            for (e, _) in g
                .expand(n, pagegraph::Direction::Outgoing, None)
                .unwrap_or_default()
            {
                st.rels.insert(format!("r{}", e.0));
                if let Ok(Some(r)) = g.rel(e) {
                    for (k, v) in r.properties {
                        st.props.insert(format!("r{} {k} {v:?}", e.0));
                    }
                }
            }
        }
        st
    }
}

/// The scenario's procedures: each answers from its table, giving the output cells of
/// every row whose input cells equal the arguments (`null` equal to `null`).
fn procedures(s: &Scenario) -> Result<Procedures, String> {
    let mut all = Procedures::new();
    for step in s
        .steps
        .iter()
        .filter(|st| st.text.contains("there exists a procedure"))
    {
        let text = step
            .text
            .split("there exists a procedure")
            .nth(1)
            .unwrap_or_default();
        let text = text.trim().trim_end_matches(':');
        let sig = ProcedureSignature::parse(text).map_err(|e| e.to_string())?;
        let inputs = sig.inputs.len();
        let mut rows: Vec<Vec<Value>> = Vec::new();
        for row in step.table.iter().skip(1) {
            let mut values = Vec::new();
            for cell in row {
                match parse_expected(cell) {
                    Some(Expected::Plain(v)) => values.push(v),
                    _ => return Err(format!("cannot read the procedure cell {cell}")),
                }
            }
            rows.push(values);
        }
        all.register(sig, move |args, _| {
            Ok(rows
                .iter()
                .filter(|r| r.len() >= inputs && r[..inputs] == *args)
                .map(|r| r[inputs..].to_vec())
                .collect())
        })
        .map_err(|e| e.to_string())?;
    }
    Ok(all)
}

fn run_scenario(s: &Scenario) -> Outcome {
    let Some(query) = s.docs("executing query").into_iter().next() else {
        return Outcome::NotYet;
    };
    let Ok(graph) = pagegraph::Graph::in_memory() else {
        return Outcome::Fail("no in-memory graph".into());
    };
    // A named graph of the TCK (`Given the binary-tree-1 graph`): its creating script.
    if let Some(step) = s
        .steps
        .iter()
        .find(|st| st.text.starts_with("Given the ") && st.text.trim_end().ends_with(" graph"))
    {
        let name = step.text["Given the ".len()..]
            .trim_end()
            .trim_end_matches(" graph")
            .to_string();
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/tck/graphs")
            .join(&name)
            .join(format!("{name}.cypher"));
        let Ok(text) = std::fs::read_to_string(&script) else {
            return Outcome::Fail(format!("no script for the {name} graph"));
        };
        if let Err(e) = execute(&graph, &text, &BTreeMap::new()) {
            return Outcome::Fail(format!("the {name} graph: {e}"));
        }
    }
    for setup in s.docs("having executed") {
        match execute(&graph, &setup, &BTreeMap::new()) {
            Ok(_) => {}
            Err(QueryError::Unsupported(_)) => return Outcome::NotYet,
            Err(e) => return Outcome::Fail(format!("setup failed: {e}")),
        }
    }
    let mut params = BTreeMap::new();
    if let Some(p) = s.step("parameters are") {
        for row in &p.table {
            let [name, value] = row.as_slice() else {
                return Outcome::NotYet;
            };
            let Some(Expected::Plain(v)) = parse_expected(value) else {
                // Parameters holding lists or maps: through the evaluator.
                match run(&format!("RETURN {value} AS v"), &BTreeMap::new(), &NoGraph) {
                    Ok(r) if r.rows.len() == 1 => {
                        params.insert(name.clone(), r.rows[0][0].clone());
                        continue;
                    }
                    _ => return Outcome::NotYet,
                }
            };
            params.insert(name.clone(), v);
        }
    }
    let before = match graph.begin_read() {
        Ok(r) => State::of(&r),
        Err(_) => return Outcome::Fail("no snapshot".into()),
    };
    let Ok(mut tx) = graph.begin_write() else {
        return Outcome::Fail("no write transaction".into());
    };
    let options = match procedures(s) {
        Ok(p) => QueryOptions {
            procedures: Some(Arc::new(p)),
            ..QueryOptions::default()
        },
        Err(why) => return Outcome::Fail(why),
    };
    let result = pagegraph_query::parse(&query)
        .map_err(QueryError::from)
        .and_then(prepare)
        .and_then(|st| run_prepared(&st, &params, &mut tx, &options));
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
    if let Some(want) = expected_effects(s) {
        // Side effects are the difference between the graph before and after.
        let after = State::of(&tx);
        let diff = |a: &BTreeSet<String>, b: &BTreeSet<String>| a.difference(b).count() as u64;
        let got = [
            diff(&after.nodes, &before.nodes),
            diff(&before.nodes, &after.nodes),
            diff(&after.rels, &before.rels),
            diff(&before.rels, &after.rels),
            diff(&after.labels, &before.labels),
            diff(&before.labels, &after.labels),
            diff(&after.props, &before.props),
            diff(&before.props, &after.props),
        ];
        if got != want {
            return Outcome::Fail(format!("side effects {got:?}, expected {want:?}"));
        }
    }
    // The expected results: the query's, then a control query's after it.
    let control = s
        .steps
        .iter()
        .position(|st| st.text.contains("executing control query"));
    let expected_after = |from: usize| {
        s.steps[from..]
            .iter()
            .find(|st| st.text.contains("the result should be"))
    };
    let Some(expect) = s
        .steps
        .iter()
        .position(|st| st.text.contains("executing query"))
        .and_then(expected_after)
    else {
        return Outcome::NotYet;
    };
    let outcome = check_result(&r, expect, &tx);
    let Some(at) = control else {
        return outcome;
    };
    if !matches!(outcome, Outcome::Pass) {
        return outcome;
    }
    let (Some(text), Some(expect)) = (&s.steps[at].doc, expected_after(at)) else {
        return Outcome::Fail("a control query without a query or a result".into());
    };
    match run_write(text, &BTreeMap::new(), &mut tx) {
        Ok(r) => check_result(&r, expect, &tx),
        Err(e) => Outcome::Fail(format!("control query: {e}")),
    }
}

/// `r` against an expected result step.
fn check_result(r: &QueryResult, expect: &tck_support::Step, g: &dyn GraphRead) -> Outcome {
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
    let mut want: Vec<Vec<Expected>> = Vec::new();
    for row in body {
        let mut vals = Vec::new();
        for cell in row {
            match parse_expected(cell) {
                Some(v) => vals.push(v),
                None => return Outcome::Fail(format!("cannot read the expected value {cell}")),
            }
        }
        want.push(vals);
    }
    if &r.columns != header {
        return Outcome::Fail(format!("columns {:?}, expected {header:?}", r.columns));
    }
    let unordered = expect.text.contains("ignoring element order for lists");
    let row_ok = |a: &Vec<Value>, b: &Vec<Expected>| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| matches(x, y, g, unordered))
    };
    let ok = if expect.text.contains("in order") {
        r.rows.len() == want.len() && r.rows.iter().zip(&want).all(|(a, b)| row_ok(a, b))
    } else {
        let mut used = vec![false; want.len()];
        r.rows.len() == want.len()
            && r.rows.iter().all(|a| {
                (0..want.len()).any(|i| {
                    let hit = !used[i] && row_ok(a, &want[i]);
                    if hit {
                        used[i] = true;
                    }
                    hit
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
fn the_tck_scenarios_pass_or_are_listed() {
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
        "TCK run: {} passed, {} failed, {} not run yet (unsupported clauses)",
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
