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

/// The field of an `Invalid` error, or a description of any other error.
fn invalid_field(err: &GraphError) -> String {
    match err {
        GraphError::Invalid { field, .. } => (*field).to_string(),
        other => format!("{other:?}"),
    }
}

/// Large batches are checked while their data is encoded on a helper thread, in chunks of a
/// few thousand specs: the error is still the first bad spec's, whichever thread finds it and
/// wherever it falls against the chunks, and nothing of a failed batch is written.
#[test]
fn large_batches_report_their_first_bad_spec_and_write_nothing() {
    const N: usize = 20_000;
    let g = Graph::in_memory().unwrap();
    let mut tx = g.begin_write().unwrap();
    let nodes = |bad_name: Option<usize>, bad_data: Option<usize>| {
        (0..N).map(move |i| NodeSpec {
            kind: format!("k{}", i % 3),
            name: if bad_name == Some(i) {
                "n".repeat(NAME_SIZE_MAX + 1)
            } else {
                format!("n{i}")
            },
            data: if bad_data == Some(i) {
                data_of_len(DATA_SIZE_MAX + 1)
            } else {
                json!({ "i": i })
            },
        })
    };
    // (bad name at, bad data at, the field the error must name)
    let node_cases = [
        (Some(9_000), Some(5_000), "node data"),
        (Some(5_000), Some(9_000), "node name"),
        // The data error sits in a chunk not yet handed on when the name error stops the
        // pull: it must still be found first.
        (Some(4_200), Some(4_100), "node data"),
        (None, Some(N - 1), "node data"),
        (None, Some(4_095), "node data"),
        (Some(4_096), None, "node name"),
    ];
    for (bad_name, bad_data, field) in node_cases {
        let err = tx.insert_nodes(nodes(bad_name, bad_data)).unwrap_err();
        assert_eq!(invalid_field(&err), field, "{bad_name:?} {bad_data:?}");
    }
    let ids = tx.insert_nodes(nodes(None, None)).unwrap();
    assert_eq!(ids.len(), N);
    assert_eq!(ids[0], NodeId(1), "the failed batches took no ids");

    let edges = |bad_type: Option<usize>, bad_data: Option<usize>| {
        let ids = ids.clone();
        (0..N).map(move |i| EdgeSpec {
            from: ids[i],
            to: ids[(i * 7 + 1) % N],
            edge_type: if bad_type == Some(i) {
                String::new()
            } else {
                format!("T{}", i % 4)
            },
            data: if bad_data == Some(i) {
                data_of_len(DATA_SIZE_MAX + 1)
            } else {
                json!(i)
            },
        })
    };
    let edge_cases = [
        (Some(9_000), Some(5_000), "edge data"),
        (Some(5_000), Some(9_000), "edge type"),
        (Some(12_300), Some(12_290), "edge data"),
        (None, Some(8_192), "edge data"),
        (Some(0), Some(1), "edge type"),
    ];
    for (bad_type, bad_data, field) in edge_cases {
        let err = tx.insert_edges(edges(bad_type, bad_data)).unwrap_err();
        assert_eq!(invalid_field(&err), field, "{bad_type:?} {bad_data:?}");
    }
    let edge_ids = tx.insert_edges(edges(None, None)).unwrap();
    assert_eq!(edge_ids[0], EdgeId(1), "the failed batches took no ids");
    tx.commit().unwrap();

    let r = g.begin_read().unwrap();
    assert_eq!(r.node_count().unwrap(), N as u64);
    assert_eq!(r.edge_count().unwrap(), N as u64);
    for i in [0, 4_095, 4_096, 12_290, N - 1] {
        let n = r.node(ids[i]).unwrap().unwrap();
        assert_eq!((n.name, n.data), (format!("n{i}"), json!({ "i": i })));
        let e = r.edge(edge_ids[i]).unwrap().unwrap();
        assert_eq!(
            (e.from, e.to, e.data),
            (ids[i], ids[(i * 7 + 1) % N], json!(i))
        );
        assert_eq!(e.edge_type, format!("T{}", i % 4));
    }
    assert_eq!(
        r.nodes_by_kind("k1").unwrap().len(),
        (0..N).filter(|i| i % 3 == 1).count()
    );
    assert_eq!(r.nodes_by_name_prefix("n1999").unwrap().len(), 11);
    let out: usize = ids
        .iter()
        .map(|&id| r.degree(id, Direction::Outgoing, None).unwrap())
        .sum::<u64>() as usize;
    assert_eq!(out, N);
    assert!(g.check().unwrap().is_clean());
}
