//! Large data and input errors: 16 MiB of node and edge data is stored and read back under a
//! 16-page cache; one byte more is refused with an error naming the field; errors about the
//! input leave the transaction usable and committed data untouched.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names
)]

use pagegraph::{
    DATA_SIZE_MAX, Direction, EdgeId, EdgeSpec, Graph, GraphError, LABEL_SIZE_MAX, NAME_SIZE_MAX,
    NodeId, NodeSpec, Options,
};
use serde_json::{Value, json};

/// A JSON string whose encoding is exactly `len` bytes.
fn data_of_len(len: usize) -> Value {
    json!("d".repeat(len - 2))
}

fn node(name: &str, data: Value) -> NodeSpec {
    NodeSpec {
        kind: "blob".into(),
        name: name.into(),
        data,
    }
}

#[test]
fn sixteen_mib_of_data_round_trips_and_more_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.pgdb");
    let options = Options {
        cache_pages: 16,
        ..Options::default()
    };
    let g = Graph::open_with(&path, options.clone()).unwrap();
    let big = data_of_len(DATA_SIZE_MAX);
    let mut tx = g.begin_write().unwrap();
    let a = tx.insert_node(node("a", big.clone())).unwrap();
    let b = tx.insert_node(node("b", json!({"small": true}))).unwrap();
    let e = tx
        .insert_edge(EdgeSpec {
            from: a,
            to: b,
            edge_type: "HAS".into(),
            data: big.clone(),
        })
        .unwrap();

    // One byte over the limit: refused, naming the field; the transaction stays usable.
    let err = tx
        .insert_node(node("c", data_of_len(DATA_SIZE_MAX + 1)))
        .unwrap_err();
    assert!(
        matches!(
            err,
            GraphError::Invalid {
                field: "node data",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("node data"), "{err}");
    let err = tx
        .update_edge(e, data_of_len(DATA_SIZE_MAX + 1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            GraphError::Invalid {
                field: "edge data",
                ..
            }
        ),
        "{err:?}"
    );
    // A batch with one bad item writes nothing of the batch.
    let err = tx
        .insert_nodes([
            node("d", json!(1)),
            node("e", data_of_len(DATA_SIZE_MAX + 1)),
        ])
        .unwrap_err();
    assert!(matches!(err, GraphError::Invalid { .. }), "{err:?}");
    let err = tx
        .insert_edges([
            EdgeSpec {
                from: a,
                to: b,
                edge_type: "HAS".into(),
                data: json!(null),
            },
            EdgeSpec {
                from: a,
                to: NodeId(999),
                edge_type: "HAS".into(),
                data: json!(null),
            },
        ])
        .unwrap_err();
    assert!(
        matches!(err, GraphError::NodeNotFound(NodeId(999))),
        "{err:?}"
    );
    assert!(err.to_string().contains("999"), "{err}");
    assert!(matches!(
        tx.delete_edge(EdgeId(77)),
        Err(GraphError::EdgeNotFound(EdgeId(77)))
    ));
    assert!(matches!(
        tx.update_node(NodeId(55), json!(1)),
        Err(GraphError::NodeNotFound(NodeId(55)))
    ));
    tx.commit().unwrap();
    g.close().unwrap();

    let g = Graph::open_with(&path, options).unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(
        r.node_count().unwrap(),
        2,
        "the failed batches wrote nothing"
    );
    assert_eq!(r.edge_count().unwrap(), 1);
    assert_eq!(r.node(a).unwrap().unwrap().data, big);
    assert_eq!(r.edge(e).unwrap().unwrap().data, big);
    assert_eq!(r.node_raw(a).unwrap().unwrap().data.len(), DATA_SIZE_MAX);
    assert_eq!(r.nodes_by_kind("blob").unwrap(), vec![a, b]);
    let report = g.check().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}

#[test]
fn long_names_and_labels_are_refused_and_the_transaction_stays_usable() {
    let g = Graph::open_with(
        tempfile::tempdir().unwrap().path().join("g.pgdb"),
        Options {
            cache_pages: 16,
            ..Options::default()
        },
    )
    .unwrap();
    let mut tx = g.begin_write().unwrap();
    let longest = "n".repeat(NAME_SIZE_MAX);
    let a = tx.insert_node(node(&longest, json!(null))).unwrap();
    let err = tx
        .insert_node(node(&"n".repeat(NAME_SIZE_MAX + 1), json!(null)))
        .unwrap_err();
    assert!(
        matches!(
            err,
            GraphError::Invalid {
                field: "node name",
                ..
            }
        ),
        "{err:?}"
    );
    let label = "k".repeat(LABEL_SIZE_MAX);
    let b = tx
        .insert_node(NodeSpec {
            kind: label.clone(),
            name: "b".into(),
            data: json!(null),
        })
        .unwrap();
    let err = tx
        .insert_node(NodeSpec {
            kind: "k".repeat(LABEL_SIZE_MAX + 1),
            name: "c".into(),
            data: json!(null),
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            GraphError::Invalid {
                field: "node kind",
                ..
            }
        ),
        "{err:?}"
    );
    let err = tx
        .insert_edge(EdgeSpec {
            from: a,
            to: b,
            edge_type: "t".repeat(LABEL_SIZE_MAX + 1),
            data: json!(null),
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            GraphError::Invalid {
                field: "edge type",
                ..
            }
        ),
        "{err:?}"
    );
    tx.insert_edge(EdgeSpec {
        from: a,
        to: b,
        edge_type: label.clone(),
        data: json!(null),
    })
    .unwrap();
    tx.commit().unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(r.nodes_by_name(&longest).unwrap(), vec![a]);
    assert_eq!(r.nodes_by_kind(&label).unwrap(), vec![b]);
    assert_eq!(
        r.neighbors(a, Direction::Outgoing, Some(&label))
            .unwrap()
            .len(),
        1
    );
    assert!(g.check().unwrap().is_clean());
}
