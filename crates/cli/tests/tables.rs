//! `export --format parquet|arrow` and `import --tables` through the binary: the round trip
//! of an imported graph and of the labelled fixtures, subsets, and the errors of flags that
//! do not go together. The tables themselves are tested in the import library
//! (`crates/import/tests/tables.rs`).
#![allow(clippy::unwrap_used, reason = "a failed step is a failed test")]

mod common;

use std::path::Path;

use common::{fails, json_of, jsonl_dump, jsonl_graph, ok, s};
use serde_json::Value;

#[test]
fn a_table_export_imports_back_as_the_same_graph() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = jsonl_graph(d);
    let mapping =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/tests/data/labelled/mapping.toml");
    let labelled = d.join("l.pgdb");
    ok(&["import", s(&labelled), "--mapping", s(&mapping)]);
    for (source, format) in [
        (&db, "parquet"),
        (&labelled, "arrow"),
        (&labelled, "parquet"),
    ] {
        let out = d.join(format!(
            "t-{format}-{}",
            source.file_stem().unwrap().display()
        ));
        let done = json_of(&["export", s(source), "--format", format, "--out", s(&out)]);
        let files = done["files"].as_array().unwrap();
        assert!(!files.is_empty());
        for f in files {
            assert!(f.as_str().unwrap().ends_with(&format!(".{format}")), "{f}");
        }
        let copy = d.join(format!("{}.copy.pgdb", out.display()));
        let summary = json_of(&["import", s(&copy), "--tables", s(&out)]);
        assert_eq!(summary["nodes"], done["nodes"], "{summary}");
        assert_eq!(summary["edges"], done["edges"], "{summary}");
        assert_eq!(
            same_view(&copy, Some(source)),
            same_view(source, None),
            "{format}"
        );
        assert_eq!(json_of(&["check", s(&copy)])["clean"], true);
        // --upsert: nothing new.
        let again = json_of(&["import", s(&copy), "--tables", s(&out), "--upsert"]);
        assert_eq!(
            (again["nodes"].as_u64(), again["edges"].as_u64()),
            (Some(0), Some(0))
        );
        assert_eq!(same_view(&copy, Some(source)), same_view(source, None));
    }
}

/// The JSONL dump of `db` (the copy of `source`, if given) with an empty data object read as no data (both are an element
/// without properties, which is all a table or GraphML can say), and without the `id` a
/// node gains as its key when its node in `source` has none (the labelled fixture's
/// Person nodes are keyed by `pid`): all that a table round trip may change.
fn same_view(db: &Path, source: Option<&Path>) -> (Vec<Value>, String) {
    let (nodes, edges) = jsonl_dump(db);
    let (original, _) = jsonl_dump(source.unwrap_or(db));
    let original: Vec<Value> = original
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let nodes = nodes
        .lines()
        .zip(&original)
        .map(|(line, was)| {
            let mut n: Value = serde_json::from_str(line).unwrap();
            if source.is_some()
                && was["data"].get("id").is_none()
                && let Some(data) = n["data"].as_object_mut()
            {
                assert_eq!(data.remove("id"), Some(n["id"].clone()), "{line}");
            }
            n
        })
        .collect();
    (nodes, edges.replace(r#""data":{}"#, r#""data":null"#))
}

#[test]
fn subsets_and_flags_that_do_not_go_together() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = jsonl_graph(d);
    let out = d.join("knows");
    let done = json_of(&[
        "export",
        s(&db),
        "--format",
        "parquet",
        "--out",
        s(&out),
        "--types",
        "KNOWS,NEAR",
    ]);
    assert_eq!(
        (done["nodes"].as_u64(), done["edges"].as_u64()),
        (Some(4), Some(3))
    );
    assert!(out.join("edges/KNOWS.parquet").exists());
    assert!(!out.join("edges/LIVES_IN.parquet").exists());

    let err = fails(&["export", s(&db), "--format", "parquet"]);
    assert!(err.contains("--out DIR"), "{err}");
    let err = fails(&[
        "export",
        s(&db),
        "--format",
        "csv",
        "--out",
        s(&d.join("c")),
        "--labels",
        "x",
    ]);
    assert!(err.contains("go with --format parquet or arrow"), "{err}");
    // The same directory twice: refused, the first export untouched.
    let err = fails(&["export", s(&db), "--format", "parquet", "--out", s(&out)]);
    assert!(err.contains("not empty"), "{err}");
    assert!(out.join("edges/KNOWS.parquet").exists());
    // The output cannot be the database.
    let err = fails(&["export", s(&db), "--format", "parquet", "--out", s(&db)]);
    assert!(err.contains("database"), "{err}");
    // --tables goes alone.
    let usage = run_fails(&[
        "import",
        s(&d.join("x.pgdb")),
        "--tables",
        s(&out),
        "--nodes",
        s(&db),
    ]);
    assert!(usage.contains("cannot be used with"), "{usage}");
    let err = fails(&[
        "import",
        s(&d.join("y.pgdb")),
        "--tables",
        s(&d.join("missing")),
    ]);
    assert!(err.contains("no such file"), "{err}");
}

/// A usage error (exit 2): stderr.
fn run_fails(args: &[&str]) -> String {
    let out = common::run(args);
    assert_eq!(out.status.code(), Some(2));
    common::text(&out.stderr)
}

#[test]
fn a_query_chooses_what_is_exported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = jsonl_graph(d);
    // Ann's KNOWS relationships and their nodes: two edges, two nodes.
    let out = d.join("q");
    let done = json_of(&[
        "export",
        s(&db),
        "--format",
        "parquet",
        "--out",
        s(&out),
        "--query",
        "MATCH (a {name: 'Ann'})-[k:KNOWS]-() RETURN k",
    ]);
    assert_eq!(
        (done["nodes"].as_u64(), done["edges"].as_u64()),
        (Some(2), Some(2)),
        "{done}"
    );
    let copy = d.join("q.pgdb");
    ok(&["import", s(&copy), "--tables", s(&out)]);
    let names = ok(&[
        "query",
        s(&copy),
        "MATCH (a)-[:KNOWS]->(b) RETURN a.name, b.name ORDER BY a.name",
        "--json",
    ]);
    assert!(names.contains("Ann") && names.contains("Bob"), "{names}");
    // A path brings its nodes and relationships; --labels narrows what the query named.
    let out = d.join("p");
    let done = json_of(&[
        "export",
        s(&db),
        "--format",
        "arrow",
        "--out",
        s(&out),
        "--labels",
        "City",
        "--query",
        "MATCH p = (:Person)-[:LIVES_IN]->(:City) RETURN p",
    ]);
    assert_eq!(
        (done["nodes"].as_u64(), done["edges"].as_u64()),
        (Some(1), Some(0)),
        "{done}"
    );
    // A query that writes is refused, and so is --query with another format.
    let err = fails(&[
        "export",
        s(&db),
        "--format",
        "parquet",
        "--out",
        s(&d.join("w")),
        "--query",
        "CREATE (n) RETURN n",
    ]);
    assert!(err.contains("pagegraph: "), "{err}");
    assert_eq!(json_of(&["stats", s(&db)])["nodes"], 4);
    let err = fails(&[
        "export",
        s(&db),
        "--format",
        "jsonl",
        "--out",
        s(&d.join("j")),
        "--query",
        "RETURN 1",
    ]);
    assert!(err.contains("go with --format parquet or arrow"), "{err}");
}
