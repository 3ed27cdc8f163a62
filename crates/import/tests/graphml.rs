//! GraphML import (`run_graphml`): a fixture with every feature the reader knows
//! (`tests/data/graphml/features.graphml`), checked value by value against the values
//! written out by hand from it; and bad documents, each failing with its `file:line` or
//! skipped and counted. Round trips through the export are tested in the CLI's tests.
#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    reason = "tests: a failed step is a failed test"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use pagegraph::{Condition, Graph, NodeId, PropertyValue as V, ReadTxn};
use pagegraph_import::{ImportOptions, NoProgress, Summary, run_graphml};

fn import(db: &Path, file: &Path, opts: ImportOptions) -> Result<Summary, String> {
    let g = Graph::open(db).unwrap();
    run_graphml(&g, file, opts, Arc::new(NoProgress)).map_err(|e| e.to_string())
}

fn node(r: &ReadTxn, label: &str, id: V) -> (NodeId, Vec<String>, BTreeMap<String, V>) {
    let ids: Vec<NodeId> = r
        .nodes_where(label, "id", &Condition::Eq(id.clone()))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids.len(), 1, "{label} {id:?}");
    let p = r.node_props(ids[0]).unwrap().unwrap();
    (ids[0], p.labels, p.properties)
}

fn text(s: &str) -> V {
    V::String(s.into())
}

#[test]
fn every_graphml_feature_becomes_labels_types_and_typed_properties() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graphml/features.graphml");
    let s = import(&db, &file, ImportOptions::default()).unwrap();
    assert_eq!((s.nodes, s.edges, s.skipped), (3, 2, 0));
    let g = Graph::open(&db).unwrap();
    let r = g.begin_read().unwrap();
    let (a, labels, p) = node(&r, "Person", text("a"));
    assert_eq!(labels, ["Person", "Admin"]);
    let want: BTreeMap<String, V> = [
        ("id".to_string(), text("a")),
        ("age".to_string(), V::Int(34)),
        ("score".to_string(), V::Float(2.5)),
        ("active".to_string(), V::Bool(true)),
        ("note".to_string(), text("Tom & \"Jerry\" A")),
    ]
    .into();
    assert_eq!(p, want);
    let (b, labels, p) = node(&r, "node", text("b"));
    assert_eq!(labels, ["node"]);
    let want: BTreeMap<String, V> = [
        ("id".to_string(), text("b")),
        ("note".to_string(), text("<raw> & text")),
        ("big".to_string(), text("123456789012345678901234567890")),
        // The key's default.
        ("active".to_string(), V::Bool(false)),
    ]
    .into();
    assert_eq!(p, want);
    let (seven, _, p) = node(&r, "node", V::Int(7));
    assert_eq!(p.len(), 2, "{p:?}");
    let mut edges: Vec<(NodeId, NodeId, String, String)> = r
        .edges()
        .map(|e| {
            let e = e.unwrap();
            (e.from, e.to, e.edge_type, e.data.to_string())
        })
        .collect();
    edges.sort();
    let mut want = vec![
        (a, b, "KNOWS".to_string(), r#"{"weight":0.5}"#.to_string()),
        (b, seven, "edge".into(), r#"{"note":"no type"}"#.into()),
    ];
    want.sort();
    assert_eq!(edges, want);
}

#[test]
fn bad_graphml_names_its_file_line_or_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let doc = |body: &str| {
        format!(
            "<?xml version=\"1.0\"?>\n<graphml>\n<key id=\"k\" for=\"node\" attr.name=\"n\" attr.type=\"int\"/>\n<graph>\n{body}</graph>\n</graphml>\n"
        )
    };
    let cases = [
        (
            doc("<node id=\"a\"><data key=\"k\">x</data></node>\n"),
            "5: attribute \"n\": \"x\" is not an integer",
        ),
        (
            doc("<node id=\"a\"/>\n<node id=\"b\"><data key=\"zz\">1</data></node>\n"),
            "6: <data key=\"zz\"> names no node key declared before it",
        ),
        (
            doc("<node id=\"a\"/>\n<node>\n</node>\n"),
            "6: a <node> without an id",
        ),
        (
            doc("<node id=\"a\"/>\n<node id=\"a\"/>\n"),
            "6: duplicate node id \"a\" (first on line 5)",
        ),
        (
            doc("<node id=\"a\"/>\n<edge source=\"a\" target=\"q\"/>\n"),
            "6: unknown node \"q\" (target; --create-missing creates it)",
        ),
        (
            doc("<hyperedge/>\n"),
            "5: <hyperedge> is not read (hyperedges and ports)",
        ),
        (
            doc("<node id=\"a\">\n<graph/>\n</node>\n"),
            "6: nested or second graphs are not read",
        ),
        (doc("<node id=\"a\"></edge>\n"), "5: not well-formed XML"),
        (
            doc("<node id=\"a\">\n<node id=\"b\"/>\n</node>\n"),
            "6: a <node> inside another element",
        ),
        ("<graphml/>\n".to_string(), "1: no <graph> element"),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let path = d.join(format!("bad{i}.graphml"));
        std::fs::write(&path, body).unwrap();
        let err = import(
            &d.join(format!("b{i}.pgdb")),
            &path,
            ImportOptions::default(),
        )
        .unwrap_err();
        let expected = format!("{}:{want}", path.display());
        assert!(err.starts_with(&expected), "{err}\n  wanted {expected}");
    }
    // Skipped and counted, or the missing endpoint created.
    let path = d.join("some-bad.graphml");
    std::fs::write(
        &path,
        doc("<node id=\"a\"/>\n<node id=\"a\"/>\n<node/>\n<edge source=\"a\" target=\"q\"/>\n<edge source=\"a\" target=\"a\"/>\n"),
    )
    .unwrap();
    let skip = ImportOptions {
        skip_bad: true,
        ..ImportOptions::default()
    };
    let s = import(&d.join("s.pgdb"), &path, skip.clone()).unwrap();
    assert_eq!((s.nodes, s.edges, s.skipped), (1, 1, 3));
    let create = ImportOptions {
        create_missing: true,
        ..skip
    };
    let db = d.join("c.pgdb");
    let s = import(&db, &path, create).unwrap();
    assert_eq!((s.nodes, s.edges, s.skipped), (2, 2, 2));
    let g = Graph::open(&db).unwrap();
    let r = g.begin_read().unwrap();
    assert_eq!(
        node(&r, "node", text("q")).2,
        [("id".to_string(), text("q"))].into()
    );
}
