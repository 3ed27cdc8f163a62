//! Where `export` may write: never the database, its WAL (by any name, link or hard link),
//! nor through a cycle of links; CSV export round-trips any importable graph; a failed
//! export leaves no file behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

mod common;

use common::{fails, json_of, jsonl_dump, jsonl_graph, ok, run, s, text, write};

#[test]
fn no_output_path_is_the_database_its_wal_or_a_link_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    let wal = dir.path().join("g.pgdb-wal");
    let before = jsonl_dump(&db);
    let sym_db = dir.path().join("sym.graphml");
    std::os::unix::fs::symlink(&db, &sym_db).unwrap();
    let hard_db = dir.path().join("hard.dot");
    std::fs::hard_link(&db, &hard_db).unwrap();
    // A symlink to the WAL path, which need not exist yet.
    let sym_wal = dir.path().join("wal-link");
    std::os::unix::fs::symlink("g.pgdb-wal", &sym_wal).unwrap();
    // An out dir whose nodes file is the database.
    let trap = dir.path().join("trap");
    std::fs::create_dir(&trap).unwrap();
    std::os::unix::fs::symlink(&db, trap.join("nodes.jsonl")).unwrap();
    std::os::unix::fs::symlink(&db, trap.join("edges.csv")).unwrap();
    // The database by another spelling of its path.
    let dotted = dir.path().join(".").join("g.pgdb");
    let cases: Vec<(&str, PathBuf)> = vec![
        ("graphml", db.clone()),
        ("dot", db.clone()),
        ("graphml", wal.clone()),
        ("dot", dotted),
        ("graphml", sym_db),
        ("dot", hard_db),
        ("graphml", sym_wal),
        ("jsonl", trap.clone()),
        ("csv", trap.clone()),
    ];
    for (format, out) in &cases {
        let err = fails(&["export", s(&db), "--format", format, "--out", s(out)]);
        assert!(err.contains("refusing to write"), "{format} {out:?}: {err}");
        assert_eq!(
            jsonl_dump(&db),
            before,
            "{format} {out:?} changed the database"
        );
    }
    assert_eq!(json_of(&["check", s(&db)])["clean"], true);
    // Once closed the WAL may be absent: its name is still refused.
    let _ = std::fs::remove_file(&wal);
    let err = fails(&["export", s(&db), "--format", "dot", "--out", s(&wal)]);
    assert!(err.contains("refusing to write"), "{err}");
    assert_eq!(jsonl_dump(&db), before);
    assert_eq!(json_of(&["check", s(&db)])["clean"], true);
}

#[test]
fn the_wal_of_a_database_reached_by_a_symlink_is_not_an_output_path() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    let link = dir.path().join("link.pgdb");
    std::os::unix::fs::symlink(&db, &link).unwrap();
    // The engine's WAL is beside the real file, not beside the link (absent once closed).
    let wal = dir.path().join("g.pgdb-wal");
    let _ = std::fs::remove_file(&wal);
    let before = jsonl_dump(&db);
    let err = fails(&["export", s(&link), "--format", "graphml", "--out", s(&wal)]);
    assert!(err.contains("refusing to write"), "{err}");
    assert!(!wal.exists(), "an export wrote the database's WAL");
    assert_eq!(jsonl_dump(&db), before);
    assert_eq!(json_of(&["check", s(&db)])["clean"], true);
}

#[test]
fn the_wal_of_another_hard_link_name_is_not_an_output_path() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    let other = dir.path().join("other.pgdb");
    std::fs::hard_link(&db, &other).unwrap();
    // After a crash through `other`, its WAL holds commits and the header names it.
    let wal = dir.path().join("other.pgdb-wal");
    let before = jsonl_dump(&db);
    for format in ["graphml", "dot"] {
        let err = fails(&["export", s(&db), "--format", format, "--out", s(&wal)]);
        assert!(err.contains("another name of the database"), "{err}");
        assert!(!wal.exists(), "an export wrote another name's WAL");
    }
    assert_eq!(jsonl_dump(&db), before);
}

#[test]
fn an_output_path_in_a_cycle_of_symlinks_is_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    let (a, b) = (dir.path().join("a.graphml"), dir.path().join("b.graphml"));
    std::os::unix::fs::symlink("b.graphml", &a).unwrap();
    std::os::unix::fs::symlink("a.graphml", &b).unwrap();
    let out = run(&["export", s(&db), "--format", "graphml", "--out", s(&a)]);
    assert!(
        out.status.code().is_some(),
        "killed by a signal: {}",
        text(&out.stderr)
    );
    assert_eq!(json_of(&["check", s(&db)])["clean"], true);
}

/// Every stored value kind that CSV columns would not keep: fields named like the fixed
/// columns, strings that read as numbers or booleans or JSON, empty strings, nulls, data
/// that is null for one row and an object for another, data that is not an object.
const AWKWARD_NODES: &str = r#"{"id": 1, "kind": "Person", "name": "Ann", "data": {"name": "Ann A.", "id": 9, "kind": "x"}}
{"id": 2, "kind": "Person", "name": "", "data": {"zip": "007", "n": "42", "t": "true", "j": "[1]", "e": "", "z": null}}
{"id": 3, "kind": "Thing", "name": " spaced ", "data": null}
{"id": 4, "kind": "Thing", "name": "line\nbreak, \"quoted\"", "data": [1, {"a": 2}]}
{"id": 5, "kind": "Thing", "name": "empty", "data": {}}
{"id": 6, "kind": "Thing", "name": "scalar", "data": "just text"}
{"id": 7, "kind": "Thing", "name": "big", "data": {"f": 1.5, "neg": -3, "nested": {"x": [true, null]}, " pad": 1}}
"#;

const AWKWARD_EDGES: &str = r#"{"from": 1, "to": 2, "type": "T", "data": {"from": "x", "type": "y", "to": 3}}
{"from": 2, "to": 3, "type": "T"}
{"from": 3, "to": 3, "type": "SELF", "data": {}}
{"from": 4, "to": 5, "type": "T", "data": 12}
"#;

/// Exported node lines without the `id` data field that equals the line's id.
fn without_file_ids(nodes: &str) -> String {
    let lines: Vec<String> = nodes
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let id = v["id"].clone();
            let data = v["data"].as_object_mut().unwrap();
            assert_eq!(data.remove("id"), Some(id), "{l}");
            if data.is_empty() {
                v["data"] = serde_json::Value::Null;
            }
            serde_json::to_string(&v).unwrap()
        })
        .collect();
    lines.join("\n")
}

#[test]
fn csv_export_round_trips_any_imported_graph() {
    let dir = tempfile::tempdir().unwrap();
    let n = write(&dir.path().join("n.jsonl"), AWKWARD_NODES);
    let e = write(&dir.path().join("e.jsonl"), AWKWARD_EDGES);
    let movies = dir.path().join("movies.pgdb");
    ok(&["demo", s(&movies)]);
    let awkward = dir.path().join("awkward.pgdb");
    ok(&["import", s(&awkward), "--nodes", s(&n), "--edges", s(&e)]);
    let plain = jsonl_graph(dir.path());
    for (i, db) in [movies, awkward, plain].iter().enumerate() {
        let out = dir.path().join(format!("csv{i}"));
        ok(&["export", s(db), "--format", "csv", "--out", s(&out)]);
        let back = dir.path().join(format!("back{i}.pgdb"));
        let (nodes, edges) = (out.join("nodes.csv"), out.join("edges.csv"));
        ok(&[
            "import",
            s(&back),
            "--nodes",
            s(&nodes),
            "--edges",
            s(&edges),
        ]);
        // An import keeps each node's file id (here the exported internal id) as the
        // property `id`; the demo graph, built without an import, has none to compare.
        let (nodes, edges) = jsonl_dump(&back);
        let nodes = if i == 0 {
            without_file_ids(&nodes)
        } else {
            nodes
        };
        assert_eq!((nodes, edges), jsonl_dump(db), "{}", db.display());
    }
    // Data that columns keep exactly stays in columns, one per field; the id an import
    // keeps is the column data:id, beside the fixed id column.
    let columns = dir.path().join("columns.pgdb");
    let n = write(
        &dir.path().join("c.jsonl"),
        "{\"id\": 1, \"kind\": \"K\", \"name\": \"a\", \"data\": {\"age\": 4, \"city\": \"Oslo\"}}\n\
         {\"id\": 2, \"kind\": \"K\", \"name\": \"b\", \"data\": {\"tags\": [1]}}\n",
    );
    ok(&["import", s(&columns), "--nodes", s(&n)]);
    let out = dir.path().join("csv-columns");
    ok(&["export", s(&columns), "--format", "csv", "--out", s(&out)]);
    let nodes = std::fs::read_to_string(out.join("nodes.csv")).unwrap();
    assert_eq!(
        nodes,
        "id,kind,name,age,city,data:id,tags\n1,K,a,4,Oslo,1,\n2,K,b,,,2,[1]\n"
    );
}

#[test]
fn a_failed_export_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    for format in ["csv", "jsonl"] {
        // edges.* is a directory: writing it fails after nodes.* was written.
        let out = dir.path().join(format!("out-{format}"));
        std::fs::create_dir_all(out.join(format!("edges.{format}"))).unwrap();
        fails(&["export", s(&db), "--format", format, "--out", s(&out)]);
        let left: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, vec![format!("edges.{format}")], "{format}");
    }
    let file_dir = dir.path().join("g.graphml");
    std::fs::create_dir(&file_dir).unwrap();
    fails(&[
        "export",
        s(&db),
        "--format",
        "graphml",
        "--out",
        s(&file_dir),
    ]);
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("partial")
            })
            .count(),
        0
    );
}
