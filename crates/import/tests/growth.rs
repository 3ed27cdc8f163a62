//! Edge lists imported into a graph that has edges (batch by batch, endpoints found by key
//! in one ordered pass per batch before the lines resolve them): every edge of every run
//! joins the nodes its line names, a node is created once for an id first seen in a later
//! run (and found again by the batches after it), numeric and text ids alike, and the
//! graph's check is clean. The model is the files' lines.
#![allow(clippy::unwrap_used, reason = "tests: a failed step is a failed test")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use pagegraph::{Graph, NodeId};
use pagegraph_import::{ImportOptions, NoProgress, run};

/// The edges of the graph as (from's id, to's id), sorted, the ids read from the `id`
/// property each node keeps.
fn edges_by_id(g: &Graph) -> Vec<(String, String)> {
    let r = g.begin_read().unwrap();
    let mut id_of: BTreeMap<NodeId, String> = BTreeMap::new();
    for n in r.nodes() {
        let n = n.unwrap();
        let id = match &n.data["id"] {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        assert!(id_of.insert(n.id, id).is_none());
    }
    let ids: std::collections::BTreeSet<&String> = id_of.values().collect();
    assert_eq!(ids.len(), id_of.len(), "one node per id");
    let mut edges: Vec<(String, String)> = r
        .edges()
        .map(|e| {
            let e = e.unwrap();
            (id_of[&e.from].clone(), id_of[&e.to].clone())
        })
        .collect();
    edges.sort();
    edges
}

fn import(path: &Path, file: &Path, batch: usize) {
    let g = Graph::open(path).unwrap();
    let opts = ImportOptions {
        batch,
        ..ImportOptions::default()
    };
    run(&g, path, None, Some(file), opts, Arc::new(NoProgress)).unwrap();
    g.close().unwrap();
}

#[test]
fn edge_lists_grown_into_a_graph_join_the_nodes_their_lines_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let mut rng = fastrand::Rng::with_seed(11);
    let mut model: Vec<(String, String)> = Vec::new();
    // Ids: numbers, and text for every seventh (ids of both kinds in one file).
    let name = |n: u64| {
        if n.is_multiple_of(7) {
            format!("t{n}")
        } else {
            n.to_string()
        }
    };
    for (run_no, (edges, ids, batch)) in [(3_000, 500, 1_000), (2_000, 800, 333), (1_500, 900, 97)]
        .into_iter()
        .enumerate()
    {
        let mut text = String::new();
        for _ in 0..edges {
            let (a, b) = (name(rng.u64(0..ids)), name(rng.u64(0..ids)));
            writeln!(text, "{a}\t{b}").unwrap();
            model.push((a, b));
        }
        let file = dir.path().join(format!("e{run_no}.txt"));
        std::fs::write(&file, text).unwrap();
        import(&db, &file, batch);
        let g = Graph::open(&db).unwrap();
        let mut want = model.clone();
        want.sort();
        assert_eq!(edges_by_id(&g), want, "after run {run_no}");
        let report = g.check().unwrap();
        assert!(report.is_clean(), "{:?}", report.problems);
    }
}
