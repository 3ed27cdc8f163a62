//! Running the `pagegraph` binary from tests.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "each test binary uses a part; a failed step is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pagegraph"))
}

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// Bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Runs a command with `--json`; returns the parsed output.
pub fn json_of(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&ok(&a)).unwrap()
}

/// Runs a command that must fail with exit code 1 and one clear line (no panic); returns
/// stderr.
pub fn fails(args: &[&str]) -> String {
    let out = run(args);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?}: {err}{}",
        text(&out.stdout)
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(err.starts_with("pagegraph: "), "{err}");
    err
}

/// Writes `content` to `path` and returns the path.
pub fn write(path: &Path, content: &str) -> PathBuf {
    std::fs::write(path, content).unwrap();
    path.to_path_buf()
}

/// A path as `&str`.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs a search that must find nothing: exit status 3, the reason on stderr; returns the
/// `--json` output (the command's usual shape, empty).
pub fn nothing_found(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let out = run(&a);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{a:?}: {err}{}",
        text(&out.stdout)
    );
    assert!(
        err.starts_with("pagegraph: ") && err.lines().count() == 1,
        "{err}"
    );
    let plain = run(args);
    assert_eq!(plain.status.code(), Some(3), "{args:?}");
    assert!(plain.stdout.is_empty(), "{args:?}: {}", text(&plain.stdout));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Nodes of the shared test graph, as JSONL.
pub const NODES_JSONL: &str = r#"{"id": "ann", "kind": "Person", "name": "Ann", "data": {"age": 41, "tags": ["a", "b"]}}
{"id": "bob", "kind": "Person", "name": "Bob", "data": null}

{"id": 7, "kind": "City", "name": "Berlin \"Mitte\"", "data": {"pop": 3.6e6, "note": "<&>"}}
{"id": "cat", "kind": "Animal", "name": "Ann", "data": {"lives": 9}}
"#;

/// Edges of the shared test graph, as JSONL.
pub const EDGES_JSONL: &str = r#"{"from": "ann", "to": "bob", "type": "KNOWS", "data": {"since": 2020}}
{"from": "bob", "to": "ann", "type": "KNOWS"}
{"from": "ann", "to": 7, "type": "LIVES_IN", "data": {}}
{"from": "7", "to": "7", "type": "NEAR"}
"#;

/// A graph imported from the JSONL above.
pub fn jsonl_graph(dir: &Path) -> PathBuf {
    let db = dir.join("g.pgdb");
    let n = write(&dir.join("n.jsonl"), NODES_JSONL);
    let e = write(&dir.join("e.jsonl"), EDGES_JSONL);
    let v = json_of(&["import", s(&db), "--nodes", s(&n), "--edges", s(&e)]);
    assert_eq!(
        (v["nodes"].as_u64(), v["edges"].as_u64()),
        (Some(4), Some(4)),
        "{v}"
    );
    db
}

/// The graph's nodes and edges as exported JSONL, for comparing two databases.
pub fn jsonl_dump(db: &Path) -> (String, String) {
    let out = ok(&["export", s(db), "--format", "jsonl"]);
    let (nodes, edges): (Vec<&str>, Vec<&str>) = out
        .lines()
        .partition(|l| l.starts_with("{\"data\"") && l.contains("\"kind\""));
    (nodes.join("\n"), edges.join("\n"))
}
