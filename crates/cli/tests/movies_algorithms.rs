//! The algorithm commands on the bundled real dataset (the Neo4j movies graph), checked
//! against petgraph on the same edges, read back through `export`.

#![allow(clippy::unwrap_used, reason = "tests: a failed step is a failed test")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{json_of, ok, run, s};
use petgraph::graph::{DiGraph, NodeIndex, UnGraph};
use serde_json::Value;

/// The demo database and its edges `(from, to)` by node id, from `export`.
fn movies(dir: &std::path::Path) -> (String, Vec<u64>, Vec<(u64, u64)>) {
    let db = dir.join("movies.pgdb");
    ok(&["demo", s(&db)]);
    let out = run(&["export", s(&db), "--format", "jsonl"]);
    assert!(out.status.success());
    let (mut nodes, mut edges) = (Vec::new(), Vec::new());
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if v.get("from").is_some() {
            edges.push((v["from"].as_u64().unwrap(), v["to"].as_u64().unwrap()));
        } else {
            nodes.push(v["id"].as_u64().unwrap());
        }
    }
    (s(&db).to_string(), nodes, edges)
}

#[test]
fn movies_graph_agrees_with_petgraph() {
    let dir = tempfile::tempdir().unwrap();
    let (db, nodes, edges) = movies(dir.path());
    assert_eq!((nodes.len(), edges.len()), (171, 253));
    let at: BTreeMap<u64, usize> = nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let mut dg = DiGraph::<(), f64>::new();
    let mut ug = UnGraph::<(), f64>::new_undirected();
    for _ in &nodes {
        dg.add_node(());
        ug.add_node(());
    }
    for &(a, b) in &edges {
        dg.add_edge(NodeIndex::new(at[&a]), NodeIndex::new(at[&b]), 1.0);
        ug.add_edge(NodeIndex::new(at[&a]), NodeIndex::new(at[&b]), 1.0);
    }

    let wcc = json_of(&["algo", &db, "wcc"]);
    assert_eq!(wcc["components"], petgraph::algo::connected_components(&dg));
    let scc = json_of(&["algo", &db, "scc", "--top", "0"]);
    assert_eq!(scc["components"], petgraph::algo::tarjan_scc(&dg).len());

    // Hop distances from Tom Hanks over edges either way, against petgraph's Dijkstra on
    // the undirected graph.
    let hanks = json_of(&["node", "find", &db, "--name", "Tom Hanks"])["nodes"][0]["id"]
        .as_u64()
        .unwrap();
    let sssp = json_of(&[
        "algo",
        &db,
        "sssp",
        "--source",
        &hanks.to_string(),
        "--dir",
        "both",
        "--top",
        "0",
    ]);
    let ours: BTreeMap<u64, f64> = sssp
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["node"].as_u64().unwrap(), r["distance"].as_f64().unwrap()))
        .collect();
    let theirs: BTreeMap<u64, f64> =
        petgraph::algo::dijkstra(&ug, NodeIndex::new(at[&hanks]), None, |e| *e.weight())
            .into_iter()
            .map(|(k, d)| (nodes[k.index()], d))
            .collect();
    assert_eq!(ours, theirs);

    // Dominators from Tom Hanks along outgoing edges.
    let dom = json_of(&[
        "algo",
        &db,
        "dominators",
        "--source",
        &hanks.to_string(),
        "--top",
        "0",
    ]);
    let ours: BTreeSet<(u64, u64)> = dom["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["node"].as_u64().unwrap(), r["idom"].as_u64().unwrap()))
        .collect();
    let d = petgraph::algo::dominators::simple_fast(&dg, NodeIndex::new(at[&hanks]));
    let theirs: BTreeSet<(u64, u64)> = (0..nodes.len())
        .filter_map(|v| {
            d.immediate_dominator(NodeIndex::new(v))
                .map(|i| (nodes[v], nodes[i.index()]))
        })
        .collect();
    assert_eq!(ours, theirs);
    assert!(!ours.is_empty());

    // Triangles of the simple undirected graph, by enumeration.
    let mut adj: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); nodes.len()];
    for &(a, b) in &edges {
        let (a, b) = (at[&a], at[&b]);
        if a != b {
            adj[a].insert(b);
            adj[b].insert(a);
        }
    }
    let mut triangles = 0;
    for a in 0..nodes.len() {
        for &b in adj[a].range(a + 1..) {
            triangles += adj[b].range(b + 1..).filter(|c| adj[a].contains(c)).count();
        }
    }
    assert_eq!(json_of(&["algo", &db, "triangles"])["total"], triangles);
}
