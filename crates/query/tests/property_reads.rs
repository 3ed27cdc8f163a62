//! Property reads in read-only queries go through a small memo of the node properties read
//! last (`exec.rs`, `PropertyMemo`), and relationship properties are read one field at a
//! time (`GraphRead::rel_property`). Both are checked here against `properties(x)`, which
//! reads the whole element without either: on random graphs with many nodes (so memo slots
//! are shared by many nodes and keys), properties of every kind, absent ones, nodes whose
//! `name` is their stored name, and relationships without data.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use pagegraph::{Graph, Properties, PropertyValue as V};
use pagegraph_query::{Value, execute};

const KEYS: [&str; 5] = ["x", "y", "name", "s", "absent"];

fn random_value(rng: &mut fastrand::Rng) -> V {
    match rng.u8(0..6) {
        0 => V::Int(rng.i64(-5..5)),
        1 => V::Float(f64::from(rng.i32(-100..100)) / 4.0),
        2 => V::String(format!("v{}", rng.u8(0..20))),
        3 => V::Bool(rng.bool()),
        4 => V::List(vec![V::Int(rng.i64(0..3)), V::String("l".into())]),
        _ => V::Map([("k".to_string(), V::Int(rng.i64(0..3)))].into()),
    }
}

fn random_props(rng: &mut fastrand::Rng) -> Properties {
    let mut props = Properties::new();
    for k in &KEYS[..4] {
        if rng.u8(0..3) != 0 {
            props.insert(k.to_string(), random_value(rng));
        }
    }
    props
}

/// The value of `key` in a `properties(x)` map (null when absent).
fn field(map: &Value, key: &str) -> Value {
    match map {
        Value::Map(m) => m.get(key).cloned().unwrap_or(Value::Null),
        other => panic!("properties() gave {other:?}"),
    }
}

#[test]
fn single_property_reads_equal_the_whole_element() {
    for seed in 0..3u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let g = Graph::in_memory().unwrap();
        let mut tx = g.begin_write().unwrap();
        let ids: Vec<_> = (0..400)
            .map(|_| tx.create_node(&["N"], random_props(&mut rng)).unwrap())
            .collect();
        for _ in 0..1500 {
            let (a, b) = (ids[rng.usize(..ids.len())], ids[rng.usize(..ids.len())]);
            let props = if rng.bool() {
                random_props(&mut rng)
            } else {
                Properties::new()
            };
            tx.create_edge(a, b, "R", props).unwrap();
        }
        tx.commit().unwrap();

        let mut columns = Vec::new();
        for v in ["a", "r", "b"] {
            for k in KEYS {
                columns.push(format!("{v}.{k}"));
            }
        }
        let text = format!(
            "MATCH (a)-[r]->(b) RETURN {}, properties(a), properties(r), properties(b)",
            columns.join(", ")
        );
        let result = execute(&g, &text, &BTreeMap::new()).unwrap();
        assert_eq!(result.rows.len(), 1500, "seed {seed}");
        for row in &result.rows {
            let whole = &row[columns.len()..];
            for (i, value) in row[..columns.len()].iter().enumerate() {
                let (element, key) = (i / KEYS.len(), KEYS[i % KEYS.len()]);
                assert_eq!(
                    value,
                    &field(&whole[element], key),
                    "seed {seed}: {}",
                    columns[i]
                );
            }
        }
    }
}

/// Past 1,024 tests of one label, a read-only query answers the rest from the label's node
/// set (`exec.rs`, `LabelMemo`). The matches must be those `labels(b)` gives, which reads
/// the record every time: for one label, two, a label no node has, and with properties.
#[test]
fn label_tests_from_the_label_set_equal_the_records() {
    for seed in 0..3u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let g = Graph::in_memory().unwrap();
        let mut tx = g.begin_write().unwrap();
        let ids: Vec<_> = (0..500)
            .map(|i| {
                let labels: &[&str] = [&["A"][..], &["B"], &["A", "B"], &[]][rng.usize(0..4)];
                let props: Properties = [("x".to_string(), V::Int(i % 3))].into();
                tx.create_node(labels, props).unwrap()
            })
            .collect();
        for _ in 0..4000 {
            let (a, b) = (ids[rng.usize(..ids.len())], ids[rng.usize(..ids.len())]);
            tx.create_edge(a, b, "R", Properties::new()).unwrap();
        }
        tx.commit().unwrap();
        let count = |text: &str| -> Value {
            execute(&g, text, &BTreeMap::new())
                .unwrap_or_else(|e| panic!("{text}: {e}"))
                .rows[0][0]
                .clone()
        };
        for (pattern, filter) in [
            ("(b:A)", "'A' IN labels(b)"),
            ("(b:A:B)", "'A' IN labels(b) AND 'B' IN labels(b)"),
            ("(b:B {x: 1})", "'B' IN labels(b) AND b.x = 1"),
            ("(b:Missing)", "'Missing' IN labels(b)"),
        ] {
            let tested = count(&format!("MATCH (a)-[r]->{pattern} RETURN count(1)"));
            let read = count(&format!(
                "MATCH (a)-[r]->(b) WHERE {filter} RETURN count(1)"
            ));
            assert_eq!(tested, read, "seed {seed}: {pattern}");
        }
    }
}
