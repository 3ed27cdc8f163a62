//! Unique constraints on batch inserts (repeats inside a batch and against the index,
//! which one is reported, `1` against `1.0`, entries of nodes with several labels), the
//! constraint error's text, and `edges_between`/`merge_edge` on a node with many edges.
//! Not covered here: index builds and lookups (see the unit tests in `index.rs`).

#![allow(clippy::unwrap_used, reason = "a failed step is a failed test")]

use pagegraph::{
    Condition, Direction, Graph, GraphError, IndexSpec, NodeId, NodeSpec, Properties, PropertyValue,
};
use serde_json::json;

fn props(pairs: &[(&str, PropertyValue)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn node(kind: &str, name: &str, data: serde_json::Value) -> NodeSpec {
    NodeSpec {
        kind: kind.into(),
        name: name.into(),
        data,
    }
}

fn graph_with_unique_id() -> Graph {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    tx.create_index(IndexSpec::on_label("P", "id").unique())
        .unwrap();
    tx.commit().unwrap();
    g
}

#[test]
fn a_batch_that_repeats_a_key_is_refused_whole_naming_the_first_repeat() {
    let g = graph_with_unique_id();
    let mut tx = g.begin_write().unwrap();
    let batch = vec![
        node("P", "a", json!({"id": 1})),
        node("P", "b", json!({"id": "x"})),
        node("P", "c", json!({"id": 2})),
        // Equal to the first (openCypher: 1 = 1.0), and the first repeat in the batch.
        node("P", "d", json!({"id": 1.0})),
        node("P", "e", json!({"id": "x"})),
    ];
    let err = tx.insert_nodes(batch).unwrap_err();
    match &err {
        GraphError::ConstraintViolation {
            index,
            value,
            existing,
            ..
        } => {
            assert_eq!(index, "P_id");
            assert_eq!(value, "1.0");
            assert_eq!(*existing, 1, "the node the first line would have been");
        }
        other => panic!("{other}"),
    }
    // Nothing of the batch was written; the transaction goes on.
    assert_eq!(
        tx.nodes_where("P", "id", &Condition::Eq(1i64.into()))
            .unwrap()
            .count(),
        0
    );
    let ids = tx
        .insert_nodes(vec![
            node("P", "a", json!({"id": 1})),
            node("P", "b", json!({"id": 2.5})),
        ])
        .unwrap();
    tx.commit().unwrap();
    assert_eq!(ids.len(), 2);

    // Against the index: the first entry of the batch that repeats a stored value.
    let mut tx = g.begin_write().unwrap();
    let err = tx
        .insert_nodes(vec![
            node("P", "c", json!({"id": 3})),
            node("P", "d", json!({"id": "y"})),
            node("P", "e", json!({"id": "y"})),
            node("P", "f", json!({"id": 2.5})),
        ])
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("unique constraint P_id on :P(id) violated: \"y\""),
        "a string shows quoted, as a literal: {text}"
    );
    let err = tx
        .insert_nodes(vec![
            node("P", "c", json!({"id": 3})),
            node("P", "f", json!({"id": 1.0})),
            node("P", "g", json!({"id": 3})),
        ])
        .unwrap_err();
    match err {
        GraphError::ConstraintViolation {
            value, existing, ..
        } => {
            assert_eq!((value.as_str(), existing), ("1.0", ids[0].0));
        }
        other => panic!("{other}"),
    }
    drop(tx);
    assert!(g.check().unwrap().is_clean());
}

#[test]
fn nodes_with_several_labels_get_entries_for_each() {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    tx.create_index(IndexSpec::on_label("B", "k").unique())
        .unwrap();
    tx.create_index(IndexSpec::on_label("A", "k")).unwrap();
    let one = props(&[("k", 7i64.into())]);
    let ids = tx
        .create_nodes([
            (&["A", "B"][..], one.clone()),
            (&["C"][..], one.clone()),
            (&["B"][..], props(&[("k", 8i64.into())])),
        ])
        .unwrap();
    let find = |tx: &pagegraph::WriteTxn, label: &str, v: i64| -> Vec<NodeId> {
        tx.nodes_where(label, "k", &Condition::Eq(v.into()))
            .unwrap()
            .collect::<pagegraph::Result<_>>()
            .unwrap()
    };
    assert_eq!(find(&tx, "A", 7), [ids[0]]);
    assert_eq!(find(&tx, "B", 7), [ids[0]]);
    assert_eq!(find(&tx, "B", 8), [ids[2]]);
    // The second label's constraint holds in a batch too.
    let err = tx.create_nodes([(&["X", "B"][..], one)]).unwrap_err();
    assert!(
        matches!(err, GraphError::ConstraintViolation { existing, .. } if existing == ids[0].0)
    );
    tx.commit().unwrap();
    assert!(g.check().unwrap().is_clean());
}

#[test]
fn edges_between_reads_one_pair_and_merge_edge_uses_it() {
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    let hub = tx.insert_node(node("N", "hub", json!(null))).unwrap();
    let others = tx
        .insert_nodes((0..300).map(|i| node("N", &i.to_string(), json!(null))))
        .unwrap();
    for &o in &others {
        tx.create_edge(hub, o, "T", Properties::new()).unwrap();
        tx.create_edge(hub, o, "U", Properties::new()).unwrap();
    }
    let target = others[150];
    let second = tx
        .create_edge(hub, target, "T", props(&[("w", 2i64.into())]))
        .unwrap();
    let between = tx.edges_between(hub, target, "T").unwrap();
    assert_eq!(between.len(), 2);
    assert_eq!(between[1], second);
    assert!(tx.edges_between(target, hub, "T").unwrap().is_empty());
    assert!(tx.edges_between(hub, target, "NONE").unwrap().is_empty());

    // Merge matches by key among the pair's edges only, and creates when none matches.
    let m = tx
        .merge_edge(
            hub,
            target,
            "T",
            props(&[("w", 2.0f64.into())]),
            Properties::new(),
            props(&[("seen", true.into())]),
        )
        .unwrap();
    assert_eq!((m.id, m.created), (second, false));
    let m = tx
        .merge_edge(
            hub,
            target,
            "T",
            props(&[("w", 3i64.into())]),
            Properties::new(),
            Properties::new(),
        )
        .unwrap();
    assert!(m.created);
    assert_eq!(tx.edges_between(hub, target, "T").unwrap().len(), 3);
    assert_eq!(
        tx.edge_props(second).unwrap().unwrap().properties,
        props(&[("seen", true.into()), ("w", 2i64.into())])
    );
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(r.degree(hub, Direction::Outgoing, Some("T")).unwrap(), 302);
    assert!(g.check().unwrap().is_clean());
}

#[test]
fn specs_show_their_properties() {
    let n = node("P", "ann", json!({"age": 41, "gone": null}));
    assert_eq!(
        n.properties().unwrap(),
        props(&[("age", 41i64.into()), ("name", "ann".into())])
    );
    let big = node("P", "", json!({"big": u64::MAX}));
    assert!(big.properties().is_err());
    let e = pagegraph::EdgeSpec {
        from: NodeId(1),
        to: NodeId(2),
        edge_type: "T".into(),
        data: json!([1]),
    };
    assert_eq!(
        e.properties().unwrap(),
        props(&[("data", PropertyValue::List(vec![1i64.into()]))])
    );
}
