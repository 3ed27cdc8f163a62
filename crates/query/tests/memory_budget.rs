//! A query's memory budget (`QueryOptions::memory_limit`, `budget.rs`): every place that
//! holds rows or builds values past the limit fails with `QueryError::MemoryLimit` naming
//! it, a write the query began is discarded, what streams is not held, and under a limit
//! large enough every answer equals the answer without one. The running aggregates are
//! checked against sums, averages and extremes computed here.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use pagegraph::Graph;
use pagegraph_query::{QueryError, QueryOptions, QueryResult, Result, Value, execute_prepared};

fn run(g: &Graph, text: &str, limit: Option<usize>) -> Result<QueryResult> {
    run_with(g, text, &BTreeMap::new(), limit)
}

fn run_with(
    g: &Graph,
    text: &str,
    params: &BTreeMap<String, Value>,
    limit: Option<usize>,
) -> Result<QueryResult> {
    let statement = pagegraph_query::StatementCache::default().prepare(text)?;
    let options = QueryOptions {
        cancel: None,
        memory_limit: limit,
        columnar: false,
        ..Default::default()
    };
    execute_prepared(g, &statement, params, &options, |r, _| Ok(r))
}

fn is_limit(e: &QueryError, limit: usize) -> bool {
    matches!(e, QueryError::MemoryLimit { limit: l } if *l == limit)
}

const MIB: usize = 1 << 20;

/// Each query holds several MiB in a different place; under 1 MiB each fails with the
/// limit's error, and under 1 GiB each gives the answer of an unlimited run.
#[test]
fn every_holding_place_fails_past_the_limit_and_answers_below_it() {
    let g = Graph::in_memory().unwrap();
    let queries = [
        // the rows returned
        "UNWIND range(1, 100000) AS x RETURN x",
        // ORDER BY without LIMIT
        "UNWIND range(1, 100000) AS x RETURN x ORDER BY -x",
        // one group per row
        "UNWIND range(1, 100000) AS x RETURN x % 50000 AS k, count(*) AS n",
        // DISTINCT
        "UNWIND range(1, 100000) AS x RETURN DISTINCT x",
        // collect()
        "UNWIND range(1, 100000) AS x RETURN size(collect(x)) AS n",
        // percentiles and DISTINCT aggregates keep their values
        "UNWIND range(1, 100000) AS x RETURN percentileDisc(x, 0.5) AS p",
        "UNWIND range(1, 100000) AS x RETURN count(DISTINCT x) AS n",
        // rows a WITH passes on
        "UNWIND range(1, 100000) AS x WITH x ORDER BY x DESC WITH x LIMIT 3 RETURN x",
        // a list built by a function
        "RETURN size(range(1, 1000000)) AS n",
        // a list built by concatenation
        "RETURN size(reduce(acc = [1], x IN range(1, 17) | acc + acc)) AS n",
        // a string built by replace()
        "WITH reduce(s = 'ab', x IN range(1, 15) | s + s) AS s RETURN size(replace(s, 'a', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')) AS n",
    ];
    for q in queries {
        let err = run(&g, q, Some(MIB)).expect_err(q);
        assert!(is_limit(&err, MIB), "{q}: {err}");
        let text = err.to_string();
        assert!(text.contains("memory limit of 1.0 MiB"), "{q}: {text}");
        let unlimited = run(&g, q, None).unwrap();
        let limited = run(&g, q, Some(1 << 30)).unwrap();
        assert_eq!(limited.rows, unlimited.rows, "{q}");
    }
}

/// Rows that stream from UNWIND and MATCH into an aggregate or a LIMIT are not held: the
/// same rows returned whole would pass the limit.
#[test]
fn streamed_rows_are_not_held() {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    pagegraph_query::run_write(
        "UNWIND range(1, 30000) AS i CREATE (:P {i: i, s: 'some text of a person'})",
        &BTreeMap::new(),
        &mut tx,
    )
    .unwrap();
    tx.commit().unwrap();
    let limit = 2 * MIB;
    for (q, answer) in [
        ("MATCH (p:P) RETURN count(*) AS n", Value::Int(30000)),
        (
            "MATCH (p:P) RETURN sum(p.i) AS n",
            Value::Int(30000 * 30001 / 2),
        ),
        (
            "MATCH (p:P) RETURN max(p.s + p.i) AS n",
            Value::String("some text of a person9999".into()),
        ),
        (
            "MATCH (p:P) WHERE p.i > 10 RETURN count(p) AS n",
            Value::Int(29990),
        ),
        // A WITH that neither aggregates, sorts, deduplicates nor pages hands rows on.
        (
            "MATCH (p:P) WITH p WHERE p.i > 10 RETURN count(p) AS n",
            Value::Int(29990),
        ),
        (
            "MATCH (p:P) WITH p.i AS i, p.s AS s WITH i WHERE i % 2 = 0 UNWIND [i, i] AS j \
             WITH j RETURN sum(j) AS n",
            Value::Int(2 * 15000 * 15001),
        ),
        (
            "MATCH (p:P) RETURN p.i AS n ORDER BY p.i DESC LIMIT 1",
            Value::Int(30000),
        ),
        ("MATCH (p:P) RETURN p.i AS n SKIP 29999", Value::Int(30000)),
        (
            "UNWIND range(1, 60000) AS x RETURN avg(x) AS n",
            Value::Float(30000.5),
        ),
    ] {
        let r = run(&g, q, Some(limit)).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(r.rows, vec![vec![answer]], "{q}");
    }
    // The same rows returned whole are held.
    let err = run(&g, "MATCH (p:P) RETURN p.s + p.i AS s", Some(limit)).unwrap_err();
    assert!(is_limit(&err, limit), "{err}");
}

/// A write that fails on the limit leaves the graph as it was.
#[test]
fn a_write_past_the_limit_is_discarded() {
    let g = Graph::in_memory().unwrap();
    run(&g, "CREATE (:Keep {i: 0})", None).unwrap();
    let q = "UNWIND range(1, 20000) AS i CREATE (n:New {i: i}) WITH n ORDER BY n.i DESC \
             RETURN collect(n.i) AS all";
    let err = run(&g, q, Some(MIB)).unwrap_err();
    assert!(is_limit(&err, MIB), "{err}");
    let count = run(&g, "MATCH (n) RETURN labels(n) AS l, count(*) AS c", None).unwrap();
    assert_eq!(
        count.rows,
        vec![vec![
            Value::List(vec![Value::String("Keep".into())]),
            Value::Int(1)
        ]]
    );
    // With room, the same statement writes.
    run(&g, q, Some(256 * MIB)).unwrap();
    let n = run(&g, "MATCH (n:New) RETURN count(*) AS c", None).unwrap();
    assert_eq!(n.rows, vec![vec![Value::Int(20000)]]);
}

/// A number's value as a float.
fn number(v: &Value) -> Option<f64> {
    #[allow(clippy::cast_precision_loss, reason = "the test's own float sums")]
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// `sum`, `avg`, `min`, `max`, `count` (plain and DISTINCT) keep running totals: checked
/// against totals computed here over random lists of integers, floats and nulls, in the
/// order the values arrive.
#[test]
fn running_aggregates_equal_totals_computed_here() {
    let graph = Graph::in_memory().unwrap();
    let g = &graph;
    let mut rng = fastrand::Rng::with_seed(11);
    for round in 0..200 {
        let len = rng.usize(0..40);
        let ints_only = round % 3 == 0;
        let xs: Vec<Value> = (0..len)
            .map(|_| match rng.u8(0..6) {
                0 => Value::Null,
                1 | 2 if !ints_only => Value::Float(f64::from(rng.i32(-1000..1000)) / 8.0),
                3 if !ints_only => Value::Float(f64::from(rng.i32(-3..3))),
                _ => Value::Int(rng.i64(-50..50)),
            })
            .collect();
        let params = BTreeMap::from([("xs".to_string(), Value::List(xs.clone()))]);
        let r = run_with(
            g,
            "UNWIND $xs AS x RETURN sum(x) AS s, avg(x) AS a, min(x) AS lo, max(x) AS hi, \
             count(x) AS c, count(DISTINCT x) AS d",
            &params,
            Some(MIB),
        )
        .unwrap();
        let present: Vec<&Value> = xs.iter().filter(|v| !matches!(v, Value::Null)).collect();
        let all_int = present.iter().all(|v| matches!(v, Value::Int(_)));
        let sum = if all_int {
            Value::Int(
                present
                    .iter()
                    .map(|v| if let Value::Int(i) = v { *i } else { 0 })
                    .sum(),
            )
        } else {
            Value::Float(present.iter().filter_map(|v| number(v)).sum())
        };
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        let avg = if present.is_empty() {
            Value::Null
        } else {
            Value::Float(
                present.iter().filter_map(|v| number(v)).sum::<f64>() / present.len() as f64,
            )
        };
        // The first of equal values (1 and 1.0 are equal) is the one kept.
        let best = |max: bool| {
            let mut best: Option<&&Value> = None;
            for v in &present {
                let x = number(v).unwrap();
                if best.is_none_or(|b| {
                    let y = number(b).unwrap();
                    if max { x > y } else { x < y }
                }) {
                    best = Some(v);
                }
            }
            best.map_or(Value::Null, |v| (*v).clone())
        };
        let mut distinct: Vec<f64> = Vec::new();
        for v in &present {
            let x = number(v).unwrap();
            if !distinct.contains(&x) {
                distinct.push(x);
            }
        }
        let expected = vec![
            sum,
            avg,
            best(false),
            best(true),
            Value::Int(i64::try_from(present.len()).unwrap()),
            Value::Int(i64::try_from(distinct.len()).unwrap()),
        ];
        assert_eq!(r.rows, vec![expected], "{xs:?}");
    }
    // An integer sum that overflows on the way fails, as the total of every value did.
    let err = run(
        g,
        "UNWIND [9223372036854775807, 1, -1] AS x RETURN sum(x) AS s",
        None,
    )
    .unwrap_err();
    assert!(matches!(err, QueryError::Arithmetic(_)), "{err}");
    // Mixed in with a float, the same values sum as floats.
    let r = run(
        g,
        "UNWIND [9223372036854775807, 1, -1, 0.5] AS x RETURN sum(x) AS s",
        None,
    )
    .unwrap();
    assert_eq!(r.rows, vec![vec![Value::Float(9.223_372_036_854_776e18)]]);
}
