//! `pagegraph import --mapping`: a labelled CSV dataset (the import library's fixtures)
//! loaded from the command line, its summary (skipped lines by reason), a second run
//! refused and then upserted without changing counts, and the options that only go with a
//! mapping. The header syntax and values are tested in the import library.
#![allow(clippy::unwrap_used, reason = "a failed step is a failed test")]

mod common;

use std::path::{Path, PathBuf};

use common::{fails, json_of, run, text};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/tests/data/labelled")
}

#[test]
fn a_mapping_loads_a_labelled_dataset_and_upsert_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let db = db.to_str().unwrap();
    let mapping = fixtures().join("mapping.toml");
    let mapping = mapping.to_str().unwrap();
    let s = json_of(&["import", db, "--mapping", mapping]);
    assert_eq!(
        (s["nodes"].as_u64(), s["edges"].as_u64()),
        (Some(7), Some(8))
    );
    assert!(s.get("skipped_by_reason").is_none());
    // Person 1 and City 1 are two nodes, found by their keys.
    let ann = json_of(&["node", "get", db, "--key", "Person.pid=1"]);
    assert_eq!(ann["name"], "Ann");
    let paris = json_of(&["node", "get", db, "--key", "City.id=1"]);
    assert_eq!(paris["name"], "Paris");

    let err = fails(&["import", db, "--mapping", mapping]);
    assert!(
        err.contains(
            "people.csv:2: node id \"1\" of id space \"Person\" is already in the database"
        ),
        "{err}"
    );
    let s = json_of(&["import", db, "--mapping", mapping, "--upsert"]);
    assert_eq!(
        (
            s["nodes"].as_u64(),
            s["edges"].as_u64(),
            s["nodes_updated"].as_u64(),
            s["edges_updated"].as_u64()
        ),
        (Some(0), Some(0), Some(7), Some(8))
    );
    let stats = json_of(&["stats", db]);
    assert_eq!(
        (stats["nodes"].as_u64(), stats["edges"].as_u64()),
        (Some(7), Some(8))
    );
}

#[test]
fn missing_endpoints_are_created_or_skipped_and_counted_by_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("p.csv"), "id:ID(P)|name\n1|Ann\n").unwrap();
    std::fs::write(d.join("e.csv"), "1|2|x\n1|3|5\n").unwrap();
    std::fs::write(
        d.join("m.toml"),
        "delimiter = \"|\"\n[[nodes]]\nfiles = [\"p.csv\"]\n[[edges]]\ntype = \"KNOWS\"\nfiles = [\"e.csv\"]\nheader = \":START_ID(P)|:END_ID(P)|w:int\"\n",
    )
    .unwrap();
    let m = d.join("m.toml");
    let m = m.to_str().unwrap();
    let db = |n: &str| d.join(n).to_str().unwrap().to_string();

    let err = fails(&["import", &db("a.pgdb"), "--mapping", m]);
    assert!(
        err.contains("e.csv:1: column \"w\": \"x\" is not a 64-bit integer"),
        "{err}"
    );

    let s = json_of(&["import", &db("b.pgdb"), "--mapping", m, "--skip-bad"]);
    assert_eq!(s["skipped"].as_u64(), Some(2));
    assert_eq!(
        s["skipped_by_reason"],
        serde_json::json!({"bad value": 1, "missing endpoint": 1})
    );
    let out = run(&[
        "import",
        &db("c.pgdb"),
        "--mapping",
        m,
        "--skip-bad",
        "--create-missing",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("imported 2 nodes and 1 edges"), "{said}");
    assert!(
        said.contains("skipped 1 bad line(s) (1 bad value)"),
        "{said}"
    );
    assert!(
        text(&out.stderr)
            .contains("e.csv:1: column \"w\": \"x\" is not a 64-bit integer (skipped)")
    );

    // --data-dir moves the files; --create-missing needs a mapping (or a GML graph), and
    // --mapping does not go with --nodes.
    std::fs::create_dir(d.join("elsewhere")).unwrap();
    std::fs::copy(d.join("m.toml"), d.join("elsewhere/m.toml")).unwrap();
    let moved = d.join("elsewhere/m.toml");
    let err = fails(&[
        "import",
        &db("d.pgdb"),
        "--mapping",
        moved.to_str().unwrap(),
    ]);
    assert!(err.contains("p.csv: cannot open"), "{err}");
    let s = json_of(&[
        "import",
        &db("e.pgdb"),
        "--mapping",
        moved.to_str().unwrap(),
        "--data-dir",
        d.to_str().unwrap(),
        "--skip-bad",
    ]);
    assert_eq!(s["nodes"].as_u64(), Some(1));
    let err = fails(&["import", &db("g.pgdb"), "--create-missing", "--edges", m]);
    assert!(
        err.contains("--create-missing goes with --mapping, --graph or --tables"),
        "{err}"
    );
    let out = run(&["import", &db("g.pgdb"), "--mapping", m, "--nodes", m]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!d.join("g.pgdb").exists());
    // A wrong mapping is refused before any database is made.
    std::fs::write(d.join("bad.toml"), "[[nodes]]\nfile = [\"p.csv\"]\n").unwrap();
    let err = fails(&[
        "import",
        &db("f.pgdb"),
        "--mapping",
        d.join("bad.toml").to_str().unwrap(),
    ]);
    assert!(
        err.contains("bad.toml: nodes[1]: unknown key \"file\""),
        "{err}"
    );
    assert!(!d.join("f.pgdb").exists());
}
