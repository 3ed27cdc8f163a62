//! GML import (`run_gml`): a fixture with every feature the reader knows, checked value by
//! value (written out by hand from `tests/data/gml/features.gml`); Zachary's karate club
//! from `../shared/datasets/karate-club` next to the repository (skipped, saying so, where
//! it is absent), its edges checked against networkx's reading of the same file where
//! Python with networkx is installed; a second run refused, then upserted without change;
//! and bad inputs, each failing with its `file:line` or skipped and counted.
#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    reason = "tests: a failed step is a failed test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use pagegraph::{Condition, Graph, NodeId, PropertyValue as V, ReadTxn};
use pagegraph_import::{ImportOptions, NoProgress, Summary, run_gml};

fn import(db: &Path, gml: &Path, opts: ImportOptions) -> Result<Summary, String> {
    let g = Graph::open(db).unwrap();
    run_gml(&g, gml, opts, Arc::new(NoProgress)).map_err(|e| e.to_string())
}

fn node(r: &ReadTxn, id: V) -> (NodeId, BTreeMap<String, V>) {
    let ids: Vec<NodeId> = r
        .nodes_where("node", "id", &Condition::Eq(id.clone()))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids.len(), 1, "{id:?}");
    (ids[0], r.node_props(ids[0]).unwrap().unwrap().properties)
}

fn text(s: &str) -> V {
    V::String(s.into())
}

#[test]
fn every_gml_feature_becomes_properties() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let gml = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gml/features.gml");
    let s = import(&db, &gml, ImportOptions::default()).unwrap();
    assert_eq!((s.nodes, s.edges, s.skipped), (3, 3, 0));
    let g = Graph::open(&db).unwrap();
    let r = g.begin_read().unwrap();
    let (ann, p) = node(&r, V::Int(1));
    let graphics: BTreeMap<String, V> = [
        ("x".to_string(), V::Float(1.0)),
        ("y".to_string(), V::Float(-20.0)),
        ("fill".to_string(), text("#FF0000")),
    ]
    .into();
    let want: BTreeMap<String, V> = [
        ("id".to_string(), V::Int(1)),
        ("label".to_string(), text("Ann \"A\"")),
        ("weight".to_string(), V::Float(2.5)),
        ("graphics".to_string(), V::Map(graphics)),
    ]
    .into();
    assert_eq!(p, want);
    let (bob, p) = node(&r, V::Int(2));
    assert_eq!(p["tag"], V::List(vec![text("x"), text("y")]));
    let (c, p) = node(&r, text("c"));
    assert_eq!(p["big"], text("123456789012345678901234567890"));
    let mut edges: Vec<(NodeId, NodeId, String, String)> = r
        .edges()
        .map(|e| {
            let e = e.unwrap();
            (e.from, e.to, e.edge_type, e.data.to_string())
        })
        .collect();
    edges.sort();
    let mut want = vec![
        (ann, bob, "edge".to_string(), r#"{"value":1.0}"#.to_string()),
        (bob, c, "edge".into(), "null".into()),
        (c, c, "edge".into(), r#"{"value":-3}"#.into()),
    ];
    want.sort();
    assert_eq!(edges, want);
}

fn karate() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/karate-club/karate.gml")
}

#[test]
fn karate_club_loads_as_networkx_reads_it_and_upsert_changes_nothing() {
    let gml = karate();
    if !gml.exists() {
        println!("skipped: karate.gml is not at {}", gml.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.pgdb");
    let opts = ImportOptions {
        node_kind: "Member".into(),
        edge_type: "FRIEND".into(),
        ..ImportOptions::default()
    };
    let s = import(&db, &gml, opts.clone()).unwrap();
    // The dataset's README: 34 nodes, 78 edges.
    assert_eq!((s.nodes, s.edges), (34, 78));
    let pairs = |db: &Path| {
        let g = Graph::open(db).unwrap();
        let r = g.begin_read().unwrap();
        let key = |id| r.node_props(id).unwrap().unwrap().properties["id"].clone();
        let mut pairs: Vec<(i64, i64)> = r
            .edges()
            .map(|e| {
                let e = e.unwrap();
                assert_eq!(e.edge_type, "FRIEND");
                assert_eq!(e.data["value"], 1.0);
                match (key(e.from), key(e.to)) {
                    (V::Int(a), V::Int(b)) => (a, b),
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        pairs.sort_unstable();
        (r.node_count().unwrap(), pairs)
    };
    let before = pairs(&db);
    assert_eq!(before.0, 34);

    let err = import(&db, &gml, opts.clone()).unwrap_err();
    assert!(
        err.starts_with(&format!(
            "{}:6: node id \"1\" of kind \"Member\" is already",
            gml.display()
        )),
        "{err}"
    );
    let upsert = ImportOptions {
        upsert: true,
        ..opts
    };
    let s = import(&db, &gml, upsert).unwrap();
    assert_eq!(
        (s.nodes, s.edges, s.nodes_updated, s.edges_updated),
        (0, 0, 34, 78)
    );
    assert_eq!(pairs(&db), before);

    let script = "import sys, json, networkx as nx\n\
                  g = nx.read_gml(sys.argv[1], label='id')\n\
                  print(json.dumps(sorted([int(u), int(v)] for u, v in g.edges())))";
    let Some(py) = Command::new("python3")
        .args(["-c", script])
        .arg(&gml)
        .output()
        .ok()
        .filter(|o| o.status.success())
    else {
        println!("skipped the networkx comparison: python3 with networkx is not available");
        return;
    };
    let theirs: Vec<(i64, i64)> = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(before.1, theirs);
}

#[test]
fn bad_gml_names_its_file_line_or_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = [
        (
            "graph [\n node [ id 1 ]\n node [ id 2\n",
            "3: a list starts here and is never closed",
        ),
        (
            "graph [\n node [ label \"x\" ]\n]\n",
            "2: a node without an integer or string id",
        ),
        (
            "graph [\n node [ id 1 ]\n node [ id 1 ]\n]\n",
            "3: duplicate node id \"1\" (first on line 2)",
        ),
        (
            "graph [\n node [ id 1 ]\n edge [ source 1 target 9 ]\n]\n",
            "3: unknown node \"9\" (target; --create-missing creates it)",
        ),
        (
            "graph [\n node [ id 1 ]\n edge [ target 1 ]\n]\n",
            "3: an edge without an integer or string source",
        ),
        (
            "graph [ node [ id 1 name \"x ] ]\n",
            "1: a string starts here and is never closed",
        ),
        (
            "graph [\n node [ id 1 x 1.2.3 ]\n]\n",
            "2: value \"1.2.3\" of \"x\" is not a number, string or list",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let path = d.join(format!("bad{i}.gml"));
        std::fs::write(&path, text).unwrap();
        let err = import(
            &d.join(format!("b{i}.pgdb")),
            &path,
            ImportOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err, format!("{}:{want}", path.display()));
    }
    let path = d.join("nograph.gml");
    std::fs::write(&path, "Creator \"x\"\n").unwrap();
    let err = import(&d.join("n.pgdb"), &path, ImportOptions::default()).unwrap_err();
    assert_eq!(err, format!("{}: no `graph [ ... ]` list", path.display()));

    // Skipped and counted by reason, or the missing endpoint created.
    let path = d.join("some-bad.gml");
    std::fs::write(
        &path,
        "graph [\n node [ id 1 ]\n node [ id 1 ]\n node [ ]\n edge [ source 1 target 9 ]\n edge [ source 1 target 1 ]\n]\n",
    )
    .unwrap();
    let skip = ImportOptions {
        skip_bad: true,
        ..ImportOptions::default()
    };
    let s = import(&d.join("s.pgdb"), &path, skip.clone()).unwrap();
    assert_eq!((s.nodes, s.edges, s.skipped), (1, 1, 3));
    let want: BTreeMap<String, u64> = [
        ("bad value".to_string(), 1),
        ("duplicate id".to_string(), 1),
        ("missing endpoint".to_string(), 1),
    ]
    .into();
    assert_eq!(s.skipped_by_reason, want);
    let create = ImportOptions {
        create_missing: true,
        ..skip
    };
    let db = d.join("c.pgdb");
    let s = import(&db, &path, create).unwrap();
    assert_eq!((s.nodes, s.edges, s.skipped), (2, 2, 2));
    let g = Graph::open(&db).unwrap();
    let r = g.begin_read().unwrap();
    let (_, p) = node(&r, V::Int(9));
    assert_eq!(p, [("id".to_string(), V::Int(9))].into());
}
