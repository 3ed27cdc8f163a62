//! `MATCH (p:L) RETURN p.k, count(*), avg(p.x)`: grouped in one scan of the node records
//! (`scan_agg.rs`, on several threads once there are enough nodes; debug builds part small
//! graphs too), a `WHERE` on the node's properties included. Every answer must equal the
//! row-by-row path's, which the same query takes with `p IS NOT NULL` added to its `WHERE`
//! (a condition on the node itself, which the scan does not take): the same groups, in
//! the same first-seen order, with the same aggregates, and the same errors.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pagegraph::Graph;
use pagegraph_query::{QueryError, QueryOptions, QueryResult, Result, Value, execute_prepared};

fn run(g: &Graph, text: &str, limit: Option<usize>) -> Result<QueryResult> {
    let statement = pagegraph_query::StatementCache::default().prepare(text)?;
    let options = QueryOptions {
        cancel: None,
        memory_limit: limit,
        columnar: false,
        ..QueryOptions::default()
    };
    execute_prepared(g, &statement, &BTreeMap::new(), &options, |r, _| Ok(r))
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Nodes with every kind of property value, some missing, some null, under the labels
/// `A`, `B`, both, or none; a few with a name (kept apart from the data).
fn graph(nodes: usize, seed: u64) -> Graph {
    let g = Graph::in_memory().unwrap();
    let mut rng = Rng(seed);
    let mut script = String::new();
    for i in 0..nodes {
        let labels = [":A", ":B", ":A:B", ""][rng.below(4) as usize];
        let mut props = vec![format!("uniq: {i}")];
        match rng.below(6) {
            0 => {}
            1 => props.push("k: null".into()),
            2 => props.push(format!("k: {}", rng.below(3))),
            3 => props.push(format!("k: {}.0", rng.below(3))),
            _ => props.push(format!("k: 'k{}'", rng.below(4))),
        }
        if rng.below(5) > 0 {
            props.push(format!("n: {}", rng.below(1000).cast_signed() - 300));
        }
        if rng.below(4) > 0 {
            props.push(format!(
                "f: {}",
                f64::from(u32::try_from(rng.below(400)).unwrap()) / 2.0 - 50.0
            ));
        }
        if rng.below(3) == 0 {
            props.push(format!("s: 'w{}'", rng.below(20)));
        }
        if rng.below(7) == 0 {
            props.push(format!("l: [{}, 'x']", rng.below(2)));
        }
        if rng.below(5) == 0 {
            props.push(format!("name: 'name{}'", rng.below(3)));
        }
        writeln!(script, "CREATE (n{i}{labels} {{{}}})", props.join(", ")).unwrap();
        if i % 200 == 199 || i + 1 == nodes {
            run(&g, &script, None).unwrap();
            script.clear();
        }
    }
    g
}

/// The query with `p IS NOT NULL` added to its `MATCH`'s `WHERE`: true of every match, but
/// it reads the node itself, which the scan does not take, so the query takes the row path.
fn row_path(text: &str) -> String {
    // The clause after the MATCH: a RETURN, or a WITH that is not `STARTS WITH`/`ENDS WITH`.
    let end = [" RETURN ", " WITH "]
        .iter()
        .flat_map(|c| text.match_indices(c).map(|(i, _)| i))
        .filter(|&i| !text[..i].ends_with("STARTS") && !text[..i].ends_with("ENDS"))
        .min()
        .unwrap();
    let (head, tail) = text.split_at(end);
    match head.split_once(" WHERE ") {
        Some((m, w)) => format!("{m} WHERE p IS NOT NULL AND ({w}){tail}"),
        None => format!("{head} WHERE p IS NOT NULL{tail}"),
    }
}

const QUERIES: [&str; 17] = [
    "MATCH (p:A) WHERE p.n > 100 RETURN p.k AS k, count(*) AS c, avg(p.f) AS a",
    "MATCH (p) WHERE p.s STARTS WITH 'w1' OR p.k IS NULL RETURN p.s AS s, count(*) AS c",
    "MATCH (p:B) WHERE p.n % 2 = 0 AND p.f < 10.5 RETURN count(*) AS c, sum(p.n) AS s",
    "MATCH (p:A) WHERE true RETURN p.k AS k, count(*) AS c",
    "MATCH (p:A) RETURN p.k AS k, count(*) AS c, sum(p.n) AS s, avg(p.f) AS a, min(p.s) AS mi, max(p.n) AS ma",
    "MATCH (p) RETURN p.k, p.name, count(p.n) AS c, collect(p.n) AS ns",
    "MATCH (p:B) RETURN count(*) AS c, sum(p.f) AS s, stDev(p.n) AS d, stDevP(p.f) AS dp",
    "MATCH (p:B) RETURN min(p.k) AS lo, max(p.k) AS hi, min(p.l) AS l, max(p.f) AS f",
    "MATCH (p:Missing) RETURN count(*) AS c, sum(p.n) AS s",
    "MATCH (p:Missing) RETURN p.k AS k, count(*) AS c",
    "MATCH (p:A) RETURN p.l AS l, count(*) AS c, collect(p.s) AS ss",
    "MATCH (p:A) RETURN p.k AS k, count(*) AS c ORDER BY c DESC, k LIMIT 3",
    "MATCH (p:A) RETURN p.k AS k, p.s AS s, count(*) AS c ORDER BY k, s SKIP 2",
    "MATCH (p:A) WITH p.k AS k, count(*) AS c RETURN k, c",
    "MATCH (p) RETURN p.name AS name, avg(p.n) AS a, sum(p.n) AS s",
    "MATCH (p:A) RETURN DISTINCT p.k AS k, count(*) > 0 AS some",
    "MATCH (p:B) RETURN p.k AS k, count(p.k) AS c, sum(p.n) + 1 AS s1",
];

#[test]
fn scan_answers_as_the_row_path_does() {
    for (nodes, seed) in [(0, 1), (5, 2), (300, 3), (3000, 4)] {
        let g = graph(nodes, seed);
        for q in QUERIES {
            let scan = run(&g, q, None).unwrap();
            let rows = run(&g, &row_path(q), None).unwrap();
            assert_eq!(scan.columns, rows.columns, "{q}");
            assert_eq!(scan.rows, rows.rows, "{nodes} nodes: {q}");
        }
    }
}

/// A `WHERE` that an index could serve is left to the row path (which seeks): the answers
/// are the same with the index as without it.
#[test]
fn an_index_on_the_filtered_property_answers_the_same() {
    let g = graph(1500, 8);
    let q = "MATCH (p:A) WHERE p.n > 500 RETURN p.k AS k, count(*) AS c, sum(p.n) AS s";
    let before = run(&g, q, None).unwrap();
    run(&g, "CREATE INDEX FOR (p:A) ON (p.n)", None).unwrap();
    let after = run(&g, q, None).unwrap();
    let sorted = |r: &QueryResult| {
        let mut rows = r.rows.clone();
        rows.sort_by_key(|row| format!("{row:?}"));
        rows
    };
    assert_eq!(sorted(&before), sorted(&after));
    assert_eq!(
        sorted(&before),
        sorted(&run(&g, &row_path(q), None).unwrap())
    );
}

#[test]
fn scan_groups_are_those_counted_here() {
    let g = graph(2000, 9);
    // Count by hand, from the properties of every A node read one by one.
    let all = run(
        &g,
        "MATCH (p:A) WHERE true RETURN p.uniq AS u, p.s AS s",
        None,
    )
    .unwrap();
    let mut want: BTreeMap<String, i64> = BTreeMap::new();
    for r in &all.rows {
        let key = match &r[1] {
            Value::String(s) => s.clone(),
            _ => "-".into(),
        };
        *want.entry(key).or_default() += 1;
    }
    let got = run(&g, "MATCH (p:A) RETURN p.s AS s, count(*) AS c", None).unwrap();
    let got: BTreeMap<String, i64> = got
        .rows
        .iter()
        .map(|r| {
            let key = match &r[0] {
                Value::String(s) => s.clone(),
                _ => "-".into(),
            };
            let Value::Int(c) = r[1] else { panic!("count") };
            (key, c)
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn scan_errors_as_the_row_path_does() {
    let g = graph(500, 5);
    run(
        &g,
        "CREATE (:A {n: 9223372036854775000}), (:A {n: 9223372036854775000})",
        None,
    )
    .unwrap();
    for q in [
        "MATCH (p:A) RETURN sum(p.n) AS s",
        "MATCH (p:A) RETURN p.k AS k, sum(p.s) AS s",
        "MATCH (p) RETURN avg(p.l) AS a",
    ] {
        let scan = run(&g, q, None).unwrap_err();
        let rows = run(&g, &row_path(q), None).unwrap_err();
        assert_eq!(scan.to_string(), rows.to_string(), "{q}");
    }
}

#[test]
fn scan_groups_are_held_within_the_memory_limit() {
    let g = graph(3000, 6);
    let q = "MATCH (p) RETURN p.uniq AS u, count(*) AS c";
    let err = run(&g, q, Some(64 << 10)).unwrap_err();
    assert!(
        matches!(err, QueryError::MemoryLimit { limit } if limit == 64 << 10),
        "{err}"
    );
    let collected = "MATCH (p) RETURN size(collect(p.uniq)) AS c";
    assert!(run(&g, collected, Some(16 << 10)).is_err());
    let fine = run(&g, q, Some(1 << 30)).unwrap();
    assert_eq!(fine.rows.len(), 3000);
    assert_eq!(
        run(&g, collected, Some(1 << 30)).unwrap().rows[0][0],
        Value::Int(3000)
    );
}

/// A node record too large for its leaf (a long name, many labels) is read from its
/// overflow pages in the middle of a scan of dense ids.
#[test]
fn scan_reads_records_that_overflow_their_leaf() {
    let g = graph(400, 7);
    let mut labels = String::new();
    for i in 0..300 {
        write!(labels, ":Many{i}").unwrap();
    }
    let name = "n".repeat(500);
    for x in 0..3 {
        run(
            &g,
            &format!("CREATE (:A{labels} {{name: '{name}', k: 'big', n: {x}, f: 0.5}})"),
            None,
        )
        .unwrap();
    }
    graph_more(&g);
    for q in [
        "MATCH (p:A) RETURN p.k AS k, count(*) AS c, sum(p.n) AS s, max(p.name) AS m",
        "MATCH (p:Many7) RETURN p.k AS k, count(*) AS c, collect(p.n) AS ns",
    ] {
        let scan = run(&g, q, None).unwrap();
        let rows = run(&g, &row_path(q), None).unwrap();
        assert_eq!(scan.rows, rows.rows, "{q}");
        assert!(!scan.rows.is_empty(), "{q}");
    }
}

/// More ordinary nodes after the large ones, so that they sit between others.
fn graph_more(g: &Graph) {
    run(
        g,
        "UNWIND range(1, 300) AS i CREATE (:A {k: 'after', n: i})",
        None,
    )
    .unwrap();
}

/// A `WHERE` with parameters reads them in every run of the scan.
#[test]
fn scan_filters_with_parameters() {
    let g = graph(2000, 10);
    let params: BTreeMap<String, Value> = [
        ("lo".to_string(), Value::Int(100)),
        ("prefix".to_string(), Value::String("w1".into())),
    ]
    .into();
    let q = "MATCH (p) WHERE p.n >= $lo AND p.s STARTS WITH $prefix RETURN p.s AS s, count(*) AS c, min(p.n) AS m";
    let with = |text: &str| {
        let statement = pagegraph_query::StatementCache::default()
            .prepare(text)
            .unwrap();
        execute_prepared(&g, &statement, &params, &QueryOptions::default(), |r, _| {
            Ok(r)
        })
        .unwrap()
    };
    let scan = with(q);
    assert!(!scan.rows.is_empty());
    assert_eq!(scan.rows, with(&row_path(q)).rows);
}
