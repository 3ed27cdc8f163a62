//! `pagegraph query`: the bundled Neo4j movies script run as is, queries in each output
//! format against hand-checked answers, parameters, errors with their caret, and the
//! read-only opening of reading statements.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{fails, json_of, ok, run, text};

fn movies(dir: &std::path::Path) -> String {
    let db = dir.join("m.pgdb").display().to_string();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/neo4j-movies/movies.cypher"
    );
    let out = run(&["query", &db, "-f", script]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("171 nodes created, 253 relationships created"),
        "{}",
        text(&out.stderr)
    );
    db
}

#[test]
fn the_movies_script_runs_and_queries_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = movies(dir.path());
    let table = ok(&[
        "query",
        &db,
        "MATCH (p:Person)-[:ACTED_IN]->(:Movie {title: 'The Matrix'}) RETURN p.name AS actor ORDER BY p.born LIMIT 3",
    ]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0].trim(), "actor");
    assert_eq!(lines[2].trim(), "'Hugo Weaving'");
    assert_eq!(lines[3].trim(), "'Laurence Fishburne'");
    assert_eq!(lines.last().map(|l| l.trim()), Some("(3 rows)"));
    // JSON: nodes shaped with _id and _label; counts by aggregation.
    let v = json_of(&[
        "query",
        &db,
        "MATCH (m:Movie) WHERE m.released >= $year RETURN m.released AS year, count(*) AS n ORDER BY year LIMIT 2",
        "--param",
        "year=2008",
    ]);
    assert_eq!(v["columns"], serde_json::json!(["year", "n"]));
    assert_eq!(v["rows"][0], serde_json::json!({"year": 2008, "n": 2}));
    let v = json_of(&["query", &db, "MATCH (m:Movie {title: 'Top Gun'}) RETURN m"]);
    assert_eq!(v["rows"][0]["m"]["_label"], "Movie");
    assert_eq!(v["rows"][0]["m"]["released"], 1986);
    // CSV.
    let csv = ok(&[
        "query",
        &db,
        "MATCH (p:Person) WHERE p.name STARTS WITH 'Tom' RETURN p.name ORDER BY p.name",
        "--csv",
    ]);
    assert_eq!(
        csv,
        "p.name\nTom Cruise\nTom Hanks\nTom Skerritt\nTom Tykwer\n"
    );
    // Writes, then a clean check.
    ok(&[
        "query",
        &db,
        "MATCH (p:Person {name: 'Tom Hanks'}) SET p.oscars = 2",
    ]);
    let v = json_of(&[
        "query",
        &db,
        "MATCH (p:Person {name: 'Tom Hanks'}) RETURN p.oscars AS o",
    ]);
    assert_eq!(v["rows"][0]["o"], 2);
    ok(&["check", &db]);
}

#[test]
fn errors_show_where_and_reading_never_creates() {
    let dir = tempfile::tempdir().unwrap();
    let db = movies(dir.path());
    let err = fails(&["query", &db, "MATCH (p:Person\nRETURN p"]);
    assert!(err.contains("line 2, column 1"), "{err}");
    assert!(err.lines().any(|l| l.trim() == "^"), "{err}");
    let err = fails(&["query", &db, "MATCH (p) RETURN q"]);
    assert!(err.contains("`q` is not defined"), "{err}");
    let err = fails(&["query", &db, "RETURN 1 / 0"]);
    assert!(err.contains("division by zero"), "{err}");
    // A reading statement on a missing database is an error and creates nothing.
    let missing = dir.path().join("none.pgdb");
    fails(&[
        "query",
        &missing.display().to_string(),
        "MATCH (n) RETURN n",
    ]);
    assert!(!missing.exists());
    // A writing statement creates it.
    ok(&[
        "query",
        &missing.display().to_string(),
        "CREATE (:A {x: 1})",
    ]);
    let v = json_of(&[
        "query",
        &missing.display().to_string(),
        "MATCH (a:A) RETURN a.x AS x",
    ]);
    assert_eq!(v["rows"][0]["x"], 1);
}

/// `--memory-limit` bounds what a statement holds: past it the statement fails with an error
/// naming the limit (and a write it began is discarded); under it the answer comes.
#[test]
fn a_statement_past_its_memory_limit_fails_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb").display().to_string();
    ok(&["query", &db, "CREATE (:Keep)"]);
    let sort = "UNWIND range(1, 100000) AS x RETURN x ORDER BY -x LIMIT 100000";
    let err = fails(&["query", &db, sort, "--memory-limit", "1M"]);
    assert!(err.contains("memory limit of 1.0 MiB"), "{err}");
    assert!(err.contains("--memory-limit"), "{err}");
    let out = ok(&["query", &db, sort, "--memory-limit", "1G", "--csv"]);
    assert_eq!(out.lines().nth(1), Some("100000"));
    let write = "UNWIND range(1, 50000) AS i CREATE (n:New {i: i}) RETURN n.i ORDER BY n.i DESC";
    let err = fails(&["query", &db, write, "--memory-limit", "512K"]);
    assert!(err.contains("memory limit of 512.0 KiB"), "{err}");
    let v = json_of(&["query", &db, "MATCH (n) RETURN count(*) AS n"]);
    assert_eq!(v["rows"][0]["n"], 1);
    // CSV streams: rows far past the limit pass through it; a table holds them.
    ok(&[
        "query",
        &db,
        "UNWIND range(1, 20000) AS i CREATE (:Row {i: i})",
    ]);
    let rows = "MATCH (r:Row) RETURN r.i AS i, r.i * 2 AS twice";
    let out = ok(&["query", &db, rows, "--memory-limit", "512K", "--csv"]);
    assert_eq!(out.lines().count(), 20_001);
    assert_eq!(out.lines().nth(20_000), Some("20000,40000"));
    let err = fails(&["query", &db, rows, "--memory-limit", "512K"]);
    assert!(err.contains("memory limit of 512.0 KiB"), "{err}");
    // A size that is not one is a usage error.
    let out = run(&["query", &db, sort, "--memory-limit", "lots"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("\"lots\" is not a size"),
        "{}",
        text(&out.stderr)
    );
}
