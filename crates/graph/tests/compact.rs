//! `Graph::compact` on a real file: a graph with labels, properties (inline, in the node-data
//! tree and in overflow pages), edges with properties, property indexes (one unique, one on
//! an edge type) and many deletes, written in many small transactions so the file is full
//! of free pages. After compaction:
//! - every storage tree holds exactly the entries it held (records, label and
//!   name indexes, strings, counts, counters, the index catalog and each index's entries),
//!   compared byte for byte through the storage engine, except the adjacency, which is
//!   repacked into fewer chunks holding the same pairs;
//! - every node and edge reads the same by id, the indexes answer the same lookups (and
//!   keep refusing duplicates), new ids continue after the old ones;
//! - `check` is clean, no page is free, the file is smaller.
//!
//! Not covered: crashes during compaction (storage `compact.rs` injects faults and power
//! cuts; the CLI's `compact_crash.rs` kills the process).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;
use std::path::Path;

use pagegraph::storage::{Database, Options as StorageOptions};
use pagegraph::value::Inequality;
use pagegraph::{
    Condition, Direction, Edge, EdgeId, Graph, GraphError, IndexSpec, Node, NodeId, Properties,
    PropertyValue as V,
};

/// Tree name -> every entry, read through the storage engine.
type Dump = BTreeMap<String, Vec<(Vec<u8>, Vec<u8>)>>;

fn dump(path: &Path) -> Dump {
    let db = Database::open(path, StorageOptions::default().read_only(true)).unwrap();
    let r = db.begin_read().unwrap();
    r.trees()
        .unwrap()
        .into_iter()
        .map(|(name, _)| {
            let tree = r.tree(&name).unwrap().unwrap();
            let entries = tree.iter().map(Result::unwrap).collect();
            (name, entries)
        })
        .collect()
}

fn props(pairs: &[(&str, V)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

/// Builds the graph in many small commits, then deletes two thirds of it.
fn build(g: &Graph) {
    let mut tx = g.begin_write().unwrap();
    tx.create_index(IndexSpec::on_label("Person", "age"))
        .unwrap();
    tx.create_index(IndexSpec::on_label("Person", "name").unique())
        .unwrap();
    tx.create_index(IndexSpec::on_edge_type("KNOWS", "since"))
        .unwrap();
    tx.commit().unwrap();
    let mut ids: Vec<NodeId> = Vec::new();
    for batch in 0..60 {
        let mut tx = g.begin_write().unwrap();
        for i in 0..50 {
            let n = batch * 50 + i;
            let bio = "b".repeat(match n % 10 {
                0 => 9000,    // overflow pages
                1..=3 => 200, // the node-data tree
                _ => 3,
            });
            let id = if n % 4 == 0 {
                tx.create_node(&["City"], props(&[("name", V::String(format!("c{n}")))]))
                    .unwrap()
            } else {
                tx.create_node(
                    &["Person", "Employee"],
                    props(&[
                        ("name", V::String(format!("p{n}"))),
                        ("age", V::Int(i64::try_from(n % 90).unwrap())),
                        ("bio", V::String(bio)),
                    ]),
                )
                .unwrap()
            };
            ids.push(id);
        }
        for i in 0..80_usize {
            let from = ids[(batch * 31 + i * 7) % ids.len()];
            let to = ids[(batch * 17 + i * 13) % ids.len()];
            let since = V::Int(i64::try_from(i).unwrap() % 20);
            tx.create_edge(from, to, "KNOWS", props(&[("since", since)]))
                .unwrap();
        }
        tx.commit().unwrap();
    }
    for chunk in ids.chunks(100) {
        let mut tx = g.begin_write().unwrap();
        for (i, id) in chunk.iter().enumerate() {
            if i % 3 != 0 {
                tx.delete_node(*id).unwrap();
            }
        }
        tx.commit().unwrap();
    }
}

/// Everything the graph API reads: nodes, edges, degrees, index answers.
#[derive(Debug, PartialEq)]
struct Seen {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    degrees: Vec<u64>,
    neighbors: Vec<[Vec<(EdgeId, NodeId)>; 2]>,
    by_age: Vec<NodeId>,
    by_name: Vec<NodeId>,
    by_since: Vec<EdgeId>,
    counts: (u64, u64),
    kinds: Vec<(String, u64)>,
}

fn seen(g: &Graph) -> Seen {
    let r = g.begin_read().unwrap();
    let nodes: Vec<Node> = r.nodes().map(Result::unwrap).collect();
    let degrees = nodes
        .iter()
        .map(|n| r.degree(n.id, Direction::Both, None).unwrap())
        .collect();
    // Every node's neighbors, each direction, in the adjacency's order.
    let neighbors = nodes
        .iter()
        .map(|n| {
            [Direction::Outgoing, Direction::Incoming].map(|d| r.neighbors(n.id, d, None).unwrap())
        })
        .collect();
    let by_age = r
        .nodes_by_index("Person", "age", &Condition::Cmp(Inequality::Ge, V::Int(40)))
        .unwrap()
        .expect("the age index serves it")
        .map(Result::unwrap)
        .collect();
    let by_name = r
        .nodes_where("Person", "name", &Condition::Eq(V::String("p3".into())))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let by_since = r
        .edges_where("KNOWS", "since", &Condition::Eq(V::Int(7)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    Seen {
        edges: r.edges().map(Result::unwrap).collect(),
        nodes,
        degrees,
        neighbors,
        by_age,
        by_name,
        by_since,
        counts: (r.node_count().unwrap(), r.edge_count().unwrap()),
        kinds: r.kinds().unwrap(),
    }
}

#[test]
fn compaction_keeps_every_id_entry_and_index_and_frees_the_space() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.pgdb");
    let g = Graph::open(&path).unwrap();
    build(&g);
    let before = seen(&g);
    assert!(!before.by_age.is_empty() && before.by_name.len() == 1);
    assert!(!before.by_since.is_empty());
    let stats_before = g.stats().unwrap();
    g.close().unwrap();
    let dump_before = dump(&path);
    let size_before = std::fs::metadata(&path).unwrap().len();

    let g = Graph::open(&path).unwrap();
    let mut calls = 0;
    let stats = g
        .compact_with(&mut |done, total| {
            assert!(done <= total);
            calls += 1;
        })
        .unwrap();
    assert!(calls > 0);
    assert_eq!(stats.free_pages_after, 0);
    assert!(
        stats_before.free_pages > 0,
        "the test should leave free pages"
    );

    // Every tree holds the same entries, except that the adjacency deltas are merged into
    // the main trees and the adjacency is repacked into as few chunks as each node's run
    // fits (the pairs, read through `seen`, are the same).
    let adjacency = ["g.out", "g.in"];
    let mut after = dump(&path);
    let mut dump_before = dump_before;
    for t in adjacency {
        let delta = format!("{t}.d");
        let was = dump_before[t].len() + dump_before.get(&delta).map_or(0, Vec::len);
        assert!(
            dump_before.contains_key(&delta),
            "{t}: the test should leave pairs in the delta"
        );
        assert!(!after.contains_key(&delta), "{t}: the delta is merged");
        let now = after[t].len();
        assert!(now < was, "{t}: {was} chunks before, {now} after");
        after.remove(t);
        dump_before.remove(t);
        dump_before.remove(&delta);
    }
    // The deltas' pair counts (tag `d` in `g.counts`) went with them.
    let counts = dump_before.get_mut("g.counts").unwrap();
    assert!(counts.iter().any(|(k, _)| k[0] == b'd'));
    counts.retain(|(k, _)| k[0] != b'd');
    assert_eq!(after, dump_before, "every other tree's entries");
    let size_after = std::fs::metadata(&path).unwrap().len();
    assert!(
        size_after < size_before,
        "{size_before} bytes before, {size_after} after"
    );
    let g = Graph::open(&path).unwrap();
    assert_eq!(seen(&g), before);
    let report = g.check().unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(g.stats().unwrap().free_pages, 0);

    // The unique index still refuses a duplicate; new ids continue after the old ones.
    let mut tx = g.begin_write().unwrap();
    let dup = tx.create_node(&["Person"], props(&[("name", V::String("p3".into()))]));
    assert!(
        matches!(dup, Err(GraphError::ConstraintViolation { .. })),
        "{dup:?}"
    );
    let max_id = before.nodes.iter().map(|n| n.id).max().unwrap();
    let new = tx.create_node(&["City"], Properties::new()).unwrap();
    assert!(new > max_id, "{new:?} after {max_id:?}");
    tx.commit().unwrap();
    assert!(g.check().unwrap().is_clean());
}

#[test]
fn a_read_only_graph_is_not_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.pgdb");
    Graph::open(&path).unwrap().close().unwrap();
    let g = Graph::open_with(
        &path,
        pagegraph::Options {
            read_only: true,
            ..pagegraph::Options::default()
        },
    )
    .unwrap();
    let err = g.compact().unwrap_err();
    assert!(
        matches!(
            err,
            GraphError::Storage(pagegraph::storage::StorageError::ReadOnly)
        ),
        "{err}"
    );
}
