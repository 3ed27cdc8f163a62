//! Snapshot isolation at the graph level: reader threads hold snapshots while a writer
//! commits, and no reader ever sees part of a transaction.
//!
//! Transaction `k` inserts 3 `item` nodes and 5 edges among the items, deletes one edge of
//! transaction `k - 1`, and sets node 1's data to `{"txn": k}`. So a snapshot that reads
//! `txn = k` from node 1 must hold exactly `1 + 3k` nodes, `5k - (k - 1)` edges (for
//! `k >= 1`), `3k` items by kind and by name prefix, and matching kind and type counts; and
//! reading it all again later, after more commits, must give the same answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};

use pagegraph::{Direction, EdgeId, EdgeSpec, Graph, NodeId, NodeSpec, Options};
use serde_json::json;

const TXNS: u64 = 150;

/// What one snapshot says, read in full.
#[derive(Debug, PartialEq)]
struct View {
    txn: u64,
    nodes: u64,
    edges: u64,
    items: usize,
    named: usize,
    kinds: Vec<(String, u64)>,
    types: Vec<(String, u64)>,
    out_of_first_item: Vec<(EdgeId, NodeId)>,
}

fn read_view(r: &pagegraph::ReadTxn) -> View {
    View {
        txn: r.node(NodeId(1)).unwrap().unwrap().data["txn"]
            .as_u64()
            .unwrap(),
        nodes: r.node_count().unwrap(),
        edges: r.edge_count().unwrap(),
        items: r.nodes_by_kind("item").unwrap().len(),
        named: r.nodes_by_name_prefix("item_").unwrap().len(),
        kinds: r.kinds().unwrap(),
        types: r.edge_types().unwrap(),
        out_of_first_item: r.neighbors(NodeId(2), Direction::Both, None).unwrap(),
    }
}

fn expect_consistent(v: &View) {
    let k = v.txn;
    assert_eq!(v.nodes, 1 + 3 * k, "{v:?}");
    assert_eq!(v.edges, if k == 0 { 0 } else { 5 * k - (k - 1) }, "{v:?}");
    assert_eq!(v.items as u64, 3 * k, "{v:?}");
    assert_eq!(v.named as u64, 3 * k, "{v:?}");
    let items = v.kinds.iter().find(|(n, _)| n == "item").map_or(0, |c| c.1);
    assert_eq!(items, 3 * k, "{v:?}");
    let edges: u64 = v.types.iter().map(|(_, c)| c).sum();
    assert_eq!(edges, v.edges, "{v:?}");
}

#[test]
fn readers_see_whole_transactions_only() {
    let dir = tempfile::tempdir().unwrap();
    let g = Graph::open_with(
        dir.path().join("c.pgdb"),
        Options {
            cache_pages: 64,
            ..Options::default()
        },
    )
    .unwrap();
    let mut tx = g.begin_write().unwrap();
    tx.insert_node(NodeSpec {
        kind: "meta".into(),
        name: "counter".into(),
        data: json!({"txn": 0}),
    })
    .unwrap();
    tx.commit().unwrap();

    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let mut last = 0;
                    let mut held: Vec<(pagegraph::ReadTxn, View)> = Vec::new();
                    let mut snapshots = 0;
                    while !done.load(Ordering::Acquire) || snapshots < 5 {
                        let r = g.begin_read().unwrap();
                        let v = read_view(&r);
                        expect_consistent(&v);
                        assert!(v.txn >= last, "snapshots went back: {} < {last}", v.txn);
                        last = v.txn;
                        snapshots += 1;
                        // Keep a few snapshots open across later commits, then re-read them.
                        if snapshots % 7 == 0 {
                            held.push((r, v));
                        }
                        if held.len() > 3 {
                            let (r, v) = held.remove(0);
                            assert_eq!(read_view(&r), v, "a held snapshot changed");
                        }
                    }
                    for (r, v) in held {
                        assert_eq!(read_view(&r), v, "a held snapshot changed");
                    }
                    snapshots
                })
            })
            .collect();

        let mut prev_edges: Vec<EdgeId> = Vec::new();
        for k in 1..=TXNS {
            let mut tx = g.begin_write().unwrap();
            let ids = tx
                .insert_nodes((0..3).map(|j| NodeSpec {
                    kind: "item".into(),
                    name: format!("item_{k}_{j}"),
                    data: json!({"k": k}),
                }))
                .unwrap();
            let edges = tx
                .insert_edges((0..5).map(|j| EdgeSpec {
                    from: ids[j % 3],
                    to: if j == 4 { NodeId(2) } else { ids[(j + 1) % 3] },
                    edge_type: ["A", "B"][j % 2].into(),
                    data: json!(null),
                }))
                .unwrap();
            if let Some(&e) = prev_edges.first() {
                tx.delete_edge(e).unwrap();
            }
            tx.update_node(NodeId(1), json!({"txn": k})).unwrap();
            tx.commit().unwrap();
            prev_edges = edges;
        }
        done.store(true, Ordering::Release);
        for r in readers {
            assert!(r.join().unwrap() >= 5);
        }
    });
    let v = read_view(&g.begin_read().unwrap());
    assert_eq!(v.txn, TXNS);
    expect_consistent(&v);
    assert!(g.check().unwrap().is_clean());
}
