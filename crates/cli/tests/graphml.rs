//! GraphML export with typed attributes: the labelled fixtures of the import library are
//! loaded, exported, and the keys checked against the types the fixtures' values have
//! (written out by hand); where Python with networkx is installed, networkx reads the file
//! back and every attribute arrives with its type and value. GraphML import is not covered
//! (there is none yet).
#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "a failed step is a failed test"
)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{json_of, ok, s};
use serde_json::{Value, json};

#[test]
fn graphml_export_has_one_typed_key_per_property_and_networkx_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let mapping =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/tests/data/labelled/mapping.toml");
    ok(&["import", s(&db), "--mapping", s(&mapping)]);
    let out = dir.path().join("g.graphml");
    ok(&["export", s(&db), "--format", "graphml", "--out", s(&out)]);
    let text = std::fs::read_to_string(&out).unwrap();
    let key = |domain: &str, name: &str, ty: &str| {
        format!(r#"for="{domain}" attr.name="{name}" attr.type="{ty}"/>"#)
    };
    for (domain, name, ty) in [
        ("node", "labels", "string"),
        ("node", "pid", "long"),
        ("node", "age", "long"),
        ("node", "score", "double"),
        ("node", "active", "boolean"),
        ("node", "born", "string"),
        ("node", "tags", "string"),
        ("node", "name", "string"),
        ("node", "population", "long"),
        // Integers (cities) and text (tags): a string.
        ("node", "id", "string"),
        ("edge", "label", "string"),
        ("edge", "since", "long"),
        // 0.5, 1.0 and 2.25, 3, and the text "1e5".
        ("edge", "weight", "string"),
    ] {
        let want = key(domain, name, ty);
        assert_eq!(text.matches(&want).count(), 1, "{want}\n{text}");
    }
    assert_eq!(text.matches("<node id=").count(), 7);
    assert_eq!(text.matches("<edge id=").count(), 8);
    assert!(
        text.contains(r#"<data key="labels">:Person:Admin:Staff</data>"#),
        "{text}"
    );
    assert!(text.contains("[&quot;a&quot;,&quot;b&quot;]"), "{text}");

    let script = r#"
import json, sys
import networkx as nx
g = nx.read_graphml(sys.argv[1])
print(json.dumps({
    "nodes": {n: d for n, d in g.nodes(data=True)},
    "edges": [[d.get("label"), g.nodes[u].get("pid", g.nodes[u].get("id")),
               g.nodes[v].get("pid", g.nodes[v].get("id")),
               {k: x for k, x in d.items() if k != "id"}] for u, v, d in g.edges(data=True)],
}))
"#;
    let py = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&out)
        .output();
    let Some(py) = py.ok().filter(|o| o.status.success()) else {
        println!("skipped the networkx part: python3 with networkx is not available");
        return;
    };
    let read: Value = serde_json::from_slice(&py.stdout).unwrap();
    let nodes: Vec<&Value> = read["nodes"].as_object().unwrap().values().collect();
    assert_eq!(nodes.len(), 7);
    let ann = nodes.iter().find(|n| n["name"] == "Ann").unwrap();
    assert_eq!(
        **ann,
        json!({"labels": ":Person:Admin:Staff", "pid": 1, "name": "Ann", "age": 34,
               "score": 2.5, "tags": "[\"a\",\"b\"]", "active": true, "born": "1990-01-02",
               "note": "1e5"})
    );
    assert!(ann["age"].is_i64() && ann["score"].is_f64() && ann["active"].is_boolean());
    let paris = nodes.iter().find(|n| n["name"] == "Paris").unwrap();
    assert_eq!(
        **paris,
        json!({"labels": ":Place:City", "id": "1", "name": "Paris", "population": 2_100_000})
    );
    let mut edges: Vec<String> = read["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    edges.sort();
    let mut want: Vec<String> = [
        json!(["HATES_TAG", 3, "t2", {"label": "HATES_TAG", "weight": "1e5"}]),
        json!(["KNOWS", 1, 2, {"label": "KNOWS", "weight": "0.5"}]),
        json!(["KNOWS", 3, 1, {"label": "KNOWS", "weight": "2.25"}]),
        json!(["LIKES", 2, 3, {"label": "LIKES", "weight": "1.0"}]),
        json!(["LIKES_TAG", 1, "t1", {"label": "LIKES_TAG", "weight": "3"}]),
        json!(["LIVES_IN", 1, "1", {"label": "LIVES_IN", "since": 2001}]),
        json!(["LIVES_IN", 2, "2", {"label": "LIVES_IN", "since": 1999}]),
        json!(["LIVES_IN", 3, "1", {"label": "LIVES_IN", "since": 2020}]),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    want.sort();
    assert_eq!(edges, want);
}

#[test]
fn karate_gml_in_graphml_out_is_the_graph_networkx_reads_from_the_gml() {
    let gml = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/karate-club/karate.gml");
    if !gml.exists() {
        println!("skipped: karate.gml is not at {}", gml.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.pgdb");
    let summary = json_of(&[
        "import",
        s(&db),
        "--graph",
        s(&gml),
        "--node-kind",
        "Member",
    ]);
    assert_eq!(
        (summary["nodes"].as_u64(), summary["edges"].as_u64()),
        (Some(34), Some(78))
    );
    let out = dir.path().join("k.graphml");
    ok(&["export", s(&db), "--format", "graphml", "--out", s(&out)]);
    // Both files through networkx: the same members (by GML id and label) and the same
    // friendships, each with its value.
    let script = r#"
import json, sys
import networkx as nx
a = nx.read_gml(sys.argv[1], label="id")
b = nx.read_graphml(sys.argv[2])
ours = {n: d for n, d in b.nodes(data=True)}
print(json.dumps({
    "gml_nodes": sorted([n, d["label"]] for n, d in a.nodes(data=True)),
    "graphml_nodes": sorted([d["id"], d["label"]] for d in ours.values()),
    "labels": sorted({d["labels"] for d in ours.values()}),
    "gml_edges": sorted([u, v, d["value"]] for u, v, d in a.edges(data=True)),
    "graphml_edges": sorted([ours[u]["id"], ours[v]["id"], d["value"]] for u, v, d in b.edges(data=True)),
}))
"#;
    let Some(py) = Command::new("python3")
        .args(["-c", script])
        .arg(&gml)
        .arg(&out)
        .output()
        .ok()
        .filter(|o| o.status.success())
    else {
        println!("skipped the networkx part: python3 with networkx is not available");
        return;
    };
    let read: Value = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(read["gml_nodes"].as_array().unwrap().len(), 34);
    assert_eq!(read["gml_nodes"], read["graphml_nodes"]);
    assert_eq!(read["labels"], json!([":Member"]));
    assert_eq!(read["gml_edges"].as_array().unwrap().len(), 78);
    // The GML graph is undirected: networkx may list an edge either way round.
    let undirected = |v: &Value| {
        let mut e: Vec<(i64, i64)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                let (a, b) = (x[0].as_i64().unwrap(), x[1].as_i64().unwrap());
                assert_eq!(x[2], 1.0);
                (a.min(b), a.max(b))
            })
            .collect();
        e.sort_unstable();
        e
    };
    assert_eq!(
        undirected(&read["gml_edges"]),
        undirected(&read["graphml_edges"])
    );
}

/// The GraphML export of `db`.
fn export(db: &Path, out: &Path) -> String {
    ok(&["export", s(db), "--format", "graphml", "--out", s(out)]);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn a_graphml_export_imports_back_as_the_same_graph() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Karate: every node keeps its GML id as `id`, so the second export is the first.
    let gml = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/karate-club/karate.gml");
    if gml.exists() {
        ok(&[
            "import",
            s(&d.join("k1.pgdb")),
            "--graph",
            s(&gml),
            "--node-kind",
            "Member",
            "--edge-type",
            "FRIEND",
        ]);
        let first = export(&d.join("k1.pgdb"), &d.join("k1.graphml"));
        let summary = json_of(&[
            "import",
            s(&d.join("k2.pgdb")),
            "--graph",
            s(&d.join("k1.graphml")),
        ]);
        assert_eq!(
            (summary["nodes"].as_u64(), summary["edges"].as_u64()),
            (Some(34), Some(78))
        );
        assert_eq!(export(&d.join("k2.pgdb"), &d.join("k2.graphml")), first);
        // Again with upsert: nothing changes.
        ok(&[
            "import",
            s(&d.join("k2.pgdb")),
            "--graph",
            s(&d.join("k1.graphml")),
            "--upsert",
        ]);
        assert_eq!(export(&d.join("k2.pgdb"), &d.join("k3.graphml")), first);
    } else {
        println!(
            "skipped the karate part: karate.gml is not at {}",
            gml.display()
        );
    }

    // The labelled fixtures: labels, types and typed values come back; nodes whose key is
    // not `id` (Person keeps `pid`) gain their GraphML id as `id`, which is all that differs.
    let mapping =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/tests/data/labelled/mapping.toml");
    ok(&["import", s(&d.join("f1.pgdb")), "--mapping", s(&mapping)]);
    let first = export(&d.join("f1.pgdb"), &d.join("f1.graphml"));
    ok(&[
        "import",
        s(&d.join("f2.pgdb")),
        "--graph",
        s(&d.join("f1.graphml")),
    ]);
    let second = export(&d.join("f2.pgdb"), &d.join("f2.graphml"));
    let id_key = first
        .lines()
        .find(|l| l.contains(r#"for="node" attr.name="id""#))
        .and_then(|l| l.split('"').nth(1))
        .unwrap()
        .to_string();
    let mut gained = 0;
    let without_gained: Vec<String> = second
        .lines()
        .map(|l| {
            let mut l = l.to_string();
            for n in 1..=3 {
                let added = format!(r#"<data key="{id_key}">n{n}</data>"#);
                if l.contains(r#"<data key="labels">:Person"#) && l.contains(&added) {
                    l = l.replace(&added, "");
                    gained += 1;
                }
            }
            l
        })
        .collect();
    assert_eq!(gained, 3);
    assert_eq!(without_gained.join("\n"), first.trim_end());
}
