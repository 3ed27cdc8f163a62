//! Property indexes answer exactly what reading every node answers: indexes built over
//! existing nodes (labels dense in the id space and sparse, data inside the node record and
//! outside it, missing, null, list and non-object values, the `name` property, more than
//! one build chunk of nodes), then kept through updates and merges, are compared with
//! `Condition::holds` over every node's properties. Unique builds refuse duplicates,
//! `1` and `1.0` included. Not covered here: damaged files (see `damaged_index.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeSet;
use std::ops::Bound;

use pagegraph::{
    Condition, Graph, GraphError, IndexSpec, NodeId, NodeSpec, Properties, PropertyValue as V,
    ReadTxn,
};
use serde_json::{Value, json};

/// Nodes with more than one build chunk (65,536) of ids, so a build reads several.
const NODES: u64 = 70_000;

/// The data of node `i`: `n` an integer (or a float equal to one), `s` a string with shared
/// prefixes, sometimes missing, null, a list, or with a long field that moves the data out
/// of the node record.
fn data(i: u64) -> Value {
    let mut d = json!({"n": i % 97, "s": format!("p{}-{}", i % 13, i % 7)});
    match i % 11 {
        0 => d["n"] = json!(f64::from((i % 97) as u32)),
        1 => {
            d.as_object_mut().unwrap().remove("n");
        }
        2 => d["n"] = Value::Null,
        3 => d["n"] = json!([1, 2]),
        4 => d["pad"] = json!("x".repeat(80)),
        5 => d["s"] = json!(i % 5),
        _ => {}
    }
    if i % 1000 == 7 {
        // Data that is not an object: the one property `data`.
        return json!(i);
    }
    d
}

fn label(i: u64) -> &'static str {
    // "Every" holds every node (dense); "Few" every 40th (sparse: looked up one by one).
    if i.is_multiple_of(40) { "Few" } else { "Every" }
}

fn build_graph() -> Graph {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    tx.insert_nodes((1..=NODES).map(|i| NodeSpec {
        kind: label(i).into(),
        name: format!("name{}", i % 50),
        data: data(i),
    }))
    .unwrap();
    // Every node also gets the label "Every" (the sparse ones as their second label).
    for i in (40..=NODES).step_by(40) {
        tx.add_label(NodeId(i), "Every").unwrap();
    }
    tx.commit().unwrap();
    g
}

/// Every node of `label` with its properties, by reading every node.
fn read_all(r: &ReadTxn, label: &str) -> Vec<(u64, Properties)> {
    r.nodes_with_label(label)
        .unwrap()
        .map(|id| {
            let id = id.unwrap();
            (id.0, r.node_props(id).unwrap().unwrap().properties)
        })
        .collect()
}

fn by_index(r: &ReadTxn, label: &str, prop: &str, cond: &Condition) -> BTreeSet<u64> {
    r.nodes_where(label, prop, cond)
        .unwrap()
        .map(|id| id.unwrap().0)
        .collect()
}

fn conditions() -> Vec<(&'static str, Condition)> {
    vec![
        ("n", Condition::Eq(V::Int(5))),
        ("n", Condition::Eq(V::Float(11.0))),
        ("n", Condition::Eq(V::Int(0))),
        (
            "n",
            Condition::Between(Bound::Included(V::Int(10)), Bound::Excluded(V::Int(20))),
        ),
        ("s", Condition::StartsWith("p1".into())),
        ("s", Condition::StartsWith("p12-".into())),
        ("s", Condition::Eq(V::Int(3))),
        ("s", Condition::Eq(V::String("p3-4".into()))),
        ("name", Condition::Eq(V::String("name7".into()))),
        ("data", Condition::Eq(V::Int(1007))),
    ]
}

fn check_all(g: &Graph, ctx: &str) {
    let r = g.begin_read().unwrap();
    for label in ["Every", "Few"] {
        let nodes = read_all(&r, label);
        for (prop, cond) in conditions() {
            let want: BTreeSet<u64> = nodes
                .iter()
                .filter(|(_, p)| cond.holds(p.get(prop)))
                .map(|(id, _)| *id)
                .collect();
            let got = by_index(&r, label, prop, &cond);
            assert_eq!(got, want, "{ctx}: {label}.{prop} {cond:?}");
        }
    }
}

#[test]
fn built_indexes_answer_as_reading_every_node() {
    let g = build_graph();
    let mut tx = g.begin_write().unwrap();
    for label in ["Every", "Few"] {
        for prop in ["n", "s", "name", "data"] {
            let info = tx.create_index(IndexSpec::on_label(label, prop)).unwrap();
            assert_eq!(info.properties, vec![prop.to_string()]);
        }
    }
    tx.commit().unwrap();
    assert!(g.check().unwrap().is_clean());
    check_all(&g, "after the builds");

    // Updates and merges keep them exact.
    let mut tx = g.begin_write().unwrap();
    for i in (3..NODES).step_by(997) {
        tx.set_node_property(NodeId(i), "n", V::Int(5)).unwrap();
        tx.set_node_property(NodeId(i + 1), "s", V::String("p12-x".into()))
            .unwrap();
    }
    let key: Properties = [("s".to_string(), V::String("p12-new".into()))].into();
    let merged = tx
        .merge_node(
            &["Every"],
            key.clone(),
            Properties::new(),
            Properties::new(),
        )
        .unwrap();
    assert!(merged.created);
    let again = tx
        .merge_node(&["Every"], key, Properties::new(), Properties::new())
        .unwrap();
    assert_eq!((again.id, again.created), (merged.id, false));
    tx.commit().unwrap();
    assert!(g.check().unwrap().is_clean());
    check_all(&g, "after updates");
}

#[test]
fn unique_builds_refuse_equal_values() {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    tx.insert_nodes((0..200).map(|i| NodeSpec {
        kind: "K".into(),
        name: String::new(),
        data: json!({"u": format!("k{i}"), "v": i, "w": i % 199}),
    }))
    .unwrap();
    // Node 201 has `v` = 5.0: equal to node 6's 5.
    tx.insert_node(NodeSpec {
        kind: "K".into(),
        name: String::new(),
        data: json!({"u": "last", "v": 5.0}),
    })
    .unwrap();
    tx.create_index(IndexSpec::on_label("K", "u").unique())
        .unwrap();
    let err = tx
        .create_index(IndexSpec::on_label("K", "v").unique())
        .unwrap_err();
    assert!(
        matches!(err, GraphError::ConstraintViolation { existing: 6, .. }),
        "{err:?}"
    );
    let err = tx
        .create_index(IndexSpec::on_label("K", "w").unique())
        .unwrap_err();
    assert!(
        matches!(err, GraphError::ConstraintViolation { .. }),
        "{err:?}"
    );
    // The failed builds left nothing behind.
    assert_eq!(tx.indexes().unwrap().len(), 1);
    tx.commit().unwrap();
    assert!(g.check().unwrap().is_clean());
    let r = g.begin_read().unwrap();
    let hit: Vec<NodeId> = r
        .nodes_where("K", "u", &Condition::Eq(V::String("k7".into())))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(hit, vec![NodeId(8)]);
}

#[test]
fn merges_by_an_indexed_key_use_opencypher_equality() {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    tx.create_index(IndexSpec::on_label("K", "n")).unwrap();
    let key = |v: V| -> Properties { [("n".to_string(), v)].into() };
    let none = Properties::new;
    let five = tx
        .merge_node(&["K"], key(V::Int(5)), none(), none())
        .unwrap();
    assert!(five.created);
    // 5.0 equals 5: a match, whichever type comes first.
    let again = tx
        .merge_node(&["K"], key(V::Float(5.0)), none(), none())
        .unwrap();
    assert_eq!((again.id, again.created), (five.id, false));
    // NaN equals nothing: the merge creates, and a NaN cannot be stored.
    let err = tx
        .merge_node(&["K"], key(V::Float(f64::NAN)), none(), none())
        .unwrap_err();
    assert!(matches!(err, GraphError::Invalid { .. }), "{err:?}");
    // With a second label, the index answers only for the first: a node of "K" alone
    // does not match.
    let both = tx
        .merge_node(&["K", "L"], key(V::Int(5)), none(), none())
        .unwrap();
    assert!(both.created);
    let on_match: Properties = [("seen".to_string(), V::Bool(true))].into();
    let matched = tx
        .merge_node(&["K", "L"], key(V::Float(5.0)), none(), on_match)
        .unwrap();
    assert_eq!((matched.id, matched.created), (both.id, false));
    tx.commit().unwrap();
    assert!(g.check().unwrap().is_clean());
    let r = g.begin_read().unwrap();
    assert_eq!(
        r.node_props(both.id)
            .unwrap()
            .unwrap()
            .properties
            .get("seen"),
        Some(&V::Bool(true))
    );
}
