//! Index seeks answer exactly as scans do: the same random graph is loaded twice, once
//! with property indexes and once without, and many generated queries whose `WHERE` (or
//! pattern properties) an index can serve must return the same rows from both. The values
//! mix every scalar type, `1` and `1.0`, missing properties and nulls, so that a seek that
//! found fewer (or other) nodes than the comparison admits shows up as a difference.
//! `EXPLAIN` shows that the indexed graph's plan seeks, so the comparison is not between
//! two scans. Not covered here: seeks inside write clauses other than `MERGE`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use pagegraph::Graph;
use pagegraph_query::{Value, execute};

fn rows(g: &Graph, text: &str, params: &BTreeMap<String, Value>) -> Vec<Vec<Value>> {
    execute(g, text, params)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .rows
}

/// A value of a random type, drawn from small ranges so that conditions hit.
fn value(rng: &mut fastrand::Rng) -> String {
    match rng.u8(0..10) {
        0 => "null".into(),
        1 => format!("{}.0", rng.i64(-3..20)),
        2 => format!("{}.5", rng.i64(-3..20)),
        3 => format!(
            "'{}'",
            ["a", "ab", "abc", "b", "ba", "", "10"][rng.usize(0..7)]
        ),
        4 => ["true", "false"][rng.usize(0..2)].into(),
        _ => rng.i64(-3..20).to_string(),
    }
}

fn load(g: &Graph, rng: &mut fastrand::Rng) {
    // One CREATE: its variables name the nodes for the relationships.
    let mut parts = Vec::new();
    for i in 0..240 {
        let label = ["Person", "Person", "Person:Extra", "Other"][rng.usize(0..4)];
        let mut props = vec![format!("i: {i}")];
        for p in ["age", "name"] {
            // Some nodes lack the property.
            if rng.u8(0..5) > 0 {
                props.push(format!("{p}: {}", value(rng)));
            }
        }
        parts.push(format!("(n{i}:{label} {{{}}})", props.join(", ")));
    }
    for _ in 0..400 {
        parts.push(format!(
            "(n{})-[:KNOWS]->(n{})",
            rng.usize(0..240),
            rng.usize(0..240)
        ));
    }
    rows(g, &format!("CREATE {}", parts.join(", ")), &BTreeMap::new());
}

fn condition(rng: &mut fastrand::Rng) -> String {
    let p = ["age", "name"][rng.usize(0..2)];
    match rng.u8(0..9) {
        0 => format!("n.{p} = {}", value(rng)),
        1 => format!("{} = n.{p}", value(rng)),
        2 => format!("n.{p} IN [{}, {}, {}]", value(rng), value(rng), value(rng)),
        3 => format!("n.{p} STARTS WITH {}", value(rng)),
        4 => format!(
            "n.{p} {} {}",
            [">", ">=", "<", "<="][rng.usize(0..4)],
            value(rng)
        ),
        5 => format!(
            "n.{p} {} {} AND n.{p} {} {}",
            [">", ">="][rng.usize(0..2)],
            value(rng),
            ["<", "<="][rng.usize(0..2)],
            value(rng)
        ),
        6 => format!("{} < n.{p}", value(rng)),
        7 => format!("n.{p} = $v AND n.i > 3"),
        _ => format!("n.{p} IN $list"),
    }
}

#[test]
fn seeks_find_what_scans_find() {
    for seed in 0..2u64 {
        let indexed = Graph::in_memory().unwrap();
        let plain = Graph::in_memory().unwrap();
        let mut r1 = fastrand::Rng::with_seed(seed);
        let mut r2 = fastrand::Rng::with_seed(seed);
        load(&indexed, &mut r1);
        load(&plain, &mut r2);
        for p in ["age", "name"] {
            rows(
                &indexed,
                &format!("CREATE INDEX FOR (n:Person) ON (n.{p})"),
                &BTreeMap::new(),
            );
        }
        let mut rng = fastrand::Rng::with_seed(seed + 100);
        for _ in 0..70 {
            let cond = condition(&mut rng);
            let mut params = BTreeMap::new();
            params.insert("v".into(), Value::Int(rng.i64(-3..20)));
            params.insert(
                "list".into(),
                Value::List(vec![
                    Value::Int(rng.i64(-3..20)),
                    Value::Float(2.0),
                    Value::String("ab".into()),
                    Value::Null,
                ]),
            );
            for text in [
                format!("MATCH (n:Person) WHERE {cond} RETURN n.i ORDER BY n.i"),
                format!("MATCH (n:Extra:Person) WHERE {cond} RETURN n.i ORDER BY n.i"),
                format!(
                    "MATCH (n:Person)-[:KNOWS]->(m) WHERE {cond} RETURN n.i, m.i ORDER BY n.i, m.i"
                ),
                format!(
                    "MATCH (m)-[:KNOWS]->(n:Person) WHERE {cond} RETURN count(*) AS c, min(n.i)"
                ),
                format!(
                    "UNWIND [1, 2] AS x MATCH (n:Person) WHERE {cond} AND x = 2 RETURN n.i ORDER BY n.i"
                ),
                format!(
                    "MATCH (n:Person {{age: {}}}) RETURN n.i ORDER BY n.i",
                    value(&mut rng)
                ),
            ] {
                assert_eq!(
                    rows(&indexed, &text, &params),
                    rows(&plain, &text, &params),
                    "seed {seed}: {text}"
                );
            }
        }
    }
}

#[test]
fn explain_names_the_index_a_match_seeks() {
    let g = Graph::in_memory().unwrap();
    let none = BTreeMap::new();
    rows(&g, "CREATE INDEX FOR (n:Person) ON (n.age)", &none);
    let plan = |text: &str| {
        rows(&g, &format!("EXPLAIN {text}"), &none)
            .into_iter()
            .map(|r| match &r[0] {
                Value::String(s) => s.clone(),
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let p = plan("MATCH (n:Person) WHERE n.age > 30 RETURN n");
    assert!(
        p.contains("NodeIndexSeek(n:Person(age) by index Person_age)"),
        "{p}"
    );
    let p = plan("MATCH (n:Person {age: 3}) RETURN n");
    assert!(
        p.contains("NodeIndexSeek(n:Person(age) by index Person_age)"),
        "{p}"
    );
    let p = plan("MATCH (n:Person) WHERE n.name = 'x' RETURN n");
    assert!(p.contains("NodeByLabelScan(n:Person)"), "{p}");
    let p = plan("MATCH (n) WHERE n.age = 3 RETURN n");
    assert!(p.contains("AllNodesScan(n)"), "{p}");
}

#[test]
fn merge_finds_its_node_through_the_index() {
    let g = Graph::in_memory().unwrap();
    let none = BTreeMap::new();
    rows(
        &g,
        "CREATE CONSTRAINT FOR (p:Person) REQUIRE p.key IS UNIQUE",
        &none,
    );
    rows(
        &g,
        "UNWIND range(1, 500) AS k CREATE (:Person {key: k})",
        &none,
    );
    // Half of these exist (as integers; 1.0 equals 1), half are new.
    let r = rows(
        &g,
        "UNWIND range(251, 750) AS k MERGE (p:Person {key: toFloat(k)}) \
         ON MATCH SET p.seen = true RETURN count(*)",
        &none,
    );
    assert_eq!(r, vec![vec![Value::Int(500)]]);
    assert_eq!(
        rows(&g, "MATCH (p:Person) RETURN count(*), count(p.seen)", &none),
        vec![vec![Value::Int(750), Value::Int(250)]]
    );
}
