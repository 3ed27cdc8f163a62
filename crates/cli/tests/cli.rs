//! The `pagegraph` binary, run as a user would: every command, every import format, the
//! error paths (bad lines, unknown nodes, missing files, a damaged database, a second
//! process), the export/import round trip, and SIGKILL in the middle of an import. Where
//! an export may write, and what a failed one leaves, are in `export_paths.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::format_push_string,
    clippy::many_single_char_names,
    clippy::too_many_lines
)]

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use serde_json::{Value, json};

mod common;

use common::{bin, fails, json_of, jsonl_graph, nothing_found, ok, run, s, text, write};

#[test]
fn the_help_documents_every_exit_status() {
    let help = ok(&["--help"]).replace('\n', " ");
    for status in [
        "0 success",
        "1 an error",
        "2 a usage error",
        "3 nothing found",
        "4 an import committed every batch",
    ] {
        assert!(help.contains(status), "--help lacks {status:?}:\n{help}");
    }
}

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in [
        vec!["init"],
        vec!["import"],
        vec!["export"],
        vec!["stats"],
        vec!["check"],
        vec!["compact"],
        vec!["node", "get"],
        vec!["node", "add"],
        vec!["node", "find"],
        vec!["node", "set"],
        vec!["node", "delete"],
        vec!["edge", "get"],
        vec!["edge", "add"],
        vec!["edge", "delete"],
        vec!["index", "create"],
        vec!["index", "drop"],
        vec!["index", "list"],
        vec!["neighbors"],
        vec!["bfs"],
        vec!["path"],
        vec!["algo"],
        vec!["demo"],
    ] {
        let mut args = cmd.clone();
        args.push("--help");
        let out = ok(&args);
        assert!(
            out.contains("Example"),
            "{cmd:?} --help has no example:\n{out}"
        );
    }
    assert!(ok(&["--help"]).contains("Examples"));
    let out = run(&["node", "get"]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn init_then_single_edits_and_lookups() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let db = s(&db);
    assert_eq!(
        json_of(&["init", db, "--page-size", "8192"])["page_size"],
        8192
    );
    assert!(fails(&["init", db]).contains("already exists"));
    assert_eq!(
        json_of(&[
            "node",
            "add",
            db,
            "--kind",
            "Person",
            "--name",
            "Ann",
            "--data",
            r#"{"age": 41}"#
        ])["id"],
        1
    );
    assert_eq!(
        json_of(&["node", "add", db, "--kind", "Person", "--name", "Bob"])["id"],
        2
    );
    assert_eq!(
        json_of(&["node", "add", db, "--kind", "Robot", "--name", "Ann"])["id"],
        3
    );
    let e = json_of(&[
        "edge",
        "add",
        db,
        "1",
        "2",
        "--type",
        "KNOWS",
        "--data",
        r#"{"since": 2020}"#,
    ]);
    assert_eq!(e, json!({"id": 1, "from": 1, "to": 2}));
    assert_eq!(
        json_of(&[
            "edge",
            "add",
            db,
            "Bob",
            "Bob",
            "--by-name",
            "--type",
            "SELF"
        ])["id"],
        2
    );

    assert_eq!(
        json_of(&["node", "get", db, "1"]),
        json!({"id": 1, "kind": "Person", "name": "Ann", "data": {"age": 41}})
    );
    assert_eq!(json_of(&["node", "get", db, "Bob", "--by-name"])["id"], 2);
    assert!(ok(&["node", "get", db, "1"]).contains("kind:  Person"));
    assert_eq!(
        json_of(&["edge", "get", db, "1"]),
        json!({"id": 1, "from": 1, "to": 2, "type": "KNOWS", "data": {"since": 2020}})
    );

    let find = |args: &[&str]| -> Vec<u64> {
        let mut a = vec!["node", "find", db];
        a.extend_from_slice(args);
        json_of(&a)["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(find(&["--kind", "Person"]), [1, 2]);
    assert_eq!(find(&["--name", "Ann"]), [1, 3]);
    assert_eq!(find(&["--prefix", "B"]), [2]);
    assert_eq!(find(&["--glob", "?n*"]), [1, 3]);
    assert_eq!(
        find(&["--glob", "*", "--limit", "2"]),
        [1, 3],
        "in name order"
    );
    assert_eq!(
        json_of(&["node", "find", db, "--glob", "*", "--limit", "2"])["total"],
        3
    );
    // Nothing found is exit status 3, with the empty result in the usual shape.
    let none = nothing_found(&["node", "find", db, "--kind", "Nope"]);
    assert_eq!(none, json!({"total": 0, "nodes": []}));
    assert_eq!(
        run(&["node", "find", db, "--kind", "A", "--name", "B"])
            .status
            .code(),
        Some(2)
    );

    let nb = json_of(&["neighbors", db, "2"]);
    assert_eq!(nb["count"], 3, "{nb}");
    assert!(fails(&["neighbors", db, "Ann", "--by-name", "--dir", "in"]).contains("ambiguous"));
    let nb = json_of(&["neighbors", db, "1", "--dir", "out", "--type", "KNOWS"]);
    assert_eq!(nb["neighbors"][0]["node"]["name"], "Bob");
    assert_eq!(nb["neighbors"][0]["direction"], "out");
    assert_eq!(
        nothing_found(&["neighbors", db, "1", "--dir", "in"])["count"],
        0
    );
    assert_eq!(
        json_of(&["neighbors", db, "2", "--type", "SELF"])["count"],
        2
    );

    // Errors name what is at fault.
    assert!(fails(&["node", "get", db, "99"]).contains("node 99 not found"));
    assert!(fails(&["node", "get", db, "Ann", "--by-name"]).contains("ambiguous"));
    assert!(fails(&["node", "get", db, "Zed", "--by-name"]).contains("no node is named \"Zed\""));
    assert!(fails(&["node", "get", db, "Ann"]).contains("--by-name"));
    assert!(fails(&["edge", "add", db, "1", "99", "--type", "T"]).contains("node 99 not found"));
    assert!(fails(&["edge", "get", db, "42"]).contains("edge 42 not found"));
    assert!(
        fails(&[
            "node", "add", db, "--kind", "K", "--name", "n", "--data", "{oops"
        ])
        .contains("not valid JSON")
    );
    assert!(fails(&["node", "add", db, "--kind", "", "--name", "n"]).contains("node kind"));
    assert!(fails(&["stats", "/nonexistent/x.pgdb"]).contains("no such database"));
    assert_eq!(json_of(&["check", db])["clean"], true);
}

#[test]
fn jsonl_import_stats_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    let db = s(&db);
    let st = json_of(&["stats", db]);
    assert_eq!(
        (st["nodes"].as_u64(), st["edges"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(
        st["kinds"],
        json!([{"kind": "Animal", "count": 1}, {"kind": "City", "count": 1}, {"kind": "Person", "count": 2}])
    );
    assert_eq!(st["edge_types"][0], json!({"type": "KNOWS", "count": 2}));
    let trees: Vec<&str> = st["pages_by_use"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tree"].as_str().unwrap())
        .collect();
    assert!(
        trees.contains(&"g.nodes") && trees.contains(&"g.out"),
        "{trees:?}"
    );
    assert!(st["file_bytes"].as_u64().unwrap() > 0);
    let text = ok(&["stats", db]);
    assert!(
        text.contains("pages by use") && text.contains("Person"),
        "{text}"
    );
    // The node keeps its id from the file (a decimal id as a number).
    assert_eq!(
        json_of(&["node", "get", db, "3"])["data"],
        json!({"pop": 3.6e6, "note": "<&>", "id": 7})
    );
    let nb = json_of(&["neighbors", db, "3", "--dir", "in"]);
    assert_eq!(
        nb["count"], 2,
        "LIVES_IN from ann and the NEAR self-loop: {nb}"
    );
    assert!(ok(&["check", db]).starts_with("ok"));
}

#[test]
fn csv_import_keeps_numbers_and_extra_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let n = write(
        &dir.path().join("n.csv"),
        "id,kind,name,age,city\np1,Person,Ann,41,\"Berlin, DE\"\np2,Person,Bob,,Paris\n",
    );
    let e = write(
        &dir.path().join("e.csv"),
        "from,to,type,weight\np1,p2,KNOWS,0.5\np2,p1,KNOWS,2\n",
    );
    let v = json_of(&["import", s(&db), "--nodes", s(&n), "--edges", s(&e)]);
    assert_eq!(
        (v["nodes"].as_u64(), v["edges"].as_u64()),
        (Some(2), Some(2))
    );
    let db = s(&db);
    assert_eq!(
        json_of(&["node", "get", db, "1"])["data"],
        json!({"age": 41, "city": "Berlin, DE", "id": "p1"})
    );
    assert_eq!(
        json_of(&["node", "get", db, "2"])["data"],
        json!({"city": "Paris", "id": "p2"})
    );
    assert_eq!(
        json_of(&["edge", "get", db, "1"])["data"],
        json!({"weight": 0.5})
    );
    assert_eq!(
        json_of(&["edge", "get", db, "2"])["data"],
        json!({"weight": 2})
    );

    let bad = write(
        &dir.path().join("bad.csv"),
        // Line 2 is good (endpoints by name, as in the graph); line 3 lacks a field.
        "from,to,type\nAnn,Bob,KNOWS\nAnn,Bob\n",
    );
    let err = fails(&["import", db, "--edges", s(&bad)]);
    assert!(
        err.contains("bad.csv:3:") && err.contains("fields"),
        "{err}"
    );
    let nohdr = write(&dir.path().join("nohdr.csv"), "a,b\n1,2\n");
    assert!(fails(&["import", db, "--edges", s(&nohdr)]).contains("no \"from\" column"));
}

#[test]
fn edge_lists_vertex_lists_weights_comments_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let v = write(&dir.path().join("g.v"), "# vertices\n1\n2\n3\n99\n");
    let e = write(
        &dir.path().join("g.e"),
        "# SNAP style\n% and this\n1 2\n2\t3 0.25\n3 1 4\n\n4 1\n",
    );
    let out = json_of(&["import", s(&db), "--nodes", s(&v), "--edges", s(&e)]);
    assert_eq!(
        out["nodes"], 5,
        "4 listed (99 isolated) + 4 created on first sight: {out}"
    );
    assert_eq!(out["edges"], 4);
    let db = s(&db);
    let n99 = json_of(&["node", "get", db, "99", "--by-name"]);
    assert_eq!(n99["kind"], "node");
    assert_eq!(
        nothing_found(&["neighbors", db, "99", "--by-name"])["count"],
        0
    );
    assert_eq!(
        json_of(&["edge", "get", db, "2"])["data"],
        json!({"weight": 0.25})
    );
    assert_eq!(
        json_of(&["edge", "get", db, "3"])["data"],
        json!({"weight": 4})
    );
    assert_eq!(json_of(&["edge", "get", db, "1"])["type"], "edge");

    // Gzip, read transparently; endpoints that exist already are found by name.
    let gz = dir.path().join("more.txt.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(b"1 99\n99 5\n").unwrap();
    enc.finish().unwrap();
    let out = json_of(&["import", db, "--edges", s(&gz), "--edge-type", "LINK"]);
    assert_eq!(
        (out["nodes"].as_u64(), out["edges"].as_u64()),
        (Some(1), Some(2)),
        "{out}"
    );
    assert_eq!(
        json_of(&["neighbors", db, "99", "--by-name", "--type", "LINK"])["count"],
        2
    );
    assert_eq!(json_of(&["stats", db])["nodes"], 6);

    let bad = write(&dir.path().join("bad.txt"), "1 2\n3\n");
    let err = fails(&["import", db, "--edges", s(&bad)]);
    assert!(err.contains("bad.txt:2: expected `u v`"), "{err}");
}

#[test]
fn bad_lines_stop_the_import_or_are_skipped_and_batches_are_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let n = write(
        &dir.path().join("n.jsonl"),
        "{\"id\": 1, \"kind\": \"K\"}\n{\"id\": 2, \"kind\": \"K\"}\n{\"id\": 3, \"kind\": \"K\"\n{\"id\": 4, \"kind\": \"K\"}\n",
    );
    let err = fails(&["import", s(&db), "--nodes", s(&n), "--batch", "2"]);
    assert!(err.contains("n.jsonl:3: invalid JSON"), "{err}");
    // The first batch (lines 1-2) was committed, the batch holding line 3 was not.
    assert_eq!(json_of(&["stats", s(&db)])["nodes"], 2);

    let db2 = dir.path().join("g2.pgdb");
    let out = json_of(&["import", s(&db2), "--nodes", s(&n), "--skip-bad"]);
    assert_eq!(
        (out["nodes"].as_u64(), out["skipped"].as_u64()),
        (Some(3), Some(1))
    );
    let stderr = text(
        &run(&[
            "import",
            s(&dir.path().join("g3.pgdb")),
            "--nodes",
            s(&n),
            "--skip-bad",
        ])
        .stderr,
    );
    assert!(
        stderr.contains("n.jsonl:3: invalid JSON") && stderr.contains("(skipped)"),
        "{stderr}"
    );

    // An unknown node in an edges file names the file, line and id.
    let e = write(
        &dir.path().join("e.jsonl"),
        "{\"from\": 1, \"to\": 2, \"type\": \"T\"}\n{\"from\": 1, \"to\": \"nobody\", \"type\": \"T\"}\n",
    );
    let err = fails(&["import", s(&db2), "--edges", s(&e)]);
    assert!(err.contains("e.jsonl:2: unknown node \"nobody\""), "{err}");
    assert_eq!(
        json_of(&["stats", s(&db2)])["edges"],
        0,
        "the bad batch wrote nothing"
    );
    let dup = write(
        &dir.path().join("dup.jsonl"),
        "{\"id\": 1, \"kind\": \"K\"}\n{\"id\": \"1\", \"kind\": \"K\"}\n",
    );
    assert!(
        fails(&["import", s(&dir.path().join("g4.pgdb")), "--nodes", s(&dup)])
            .contains("dup.jsonl:2: duplicate node id \"1\"")
    );
    let wrong = write(
        &dir.path().join("w.jsonl"),
        "{\"id\": 1, \"kind\": \"K\", \"colour\": 1}\n",
    );
    assert!(
        fails(&[
            "import",
            s(&dir.path().join("g5.pgdb")),
            "--nodes",
            s(&wrong)
        ])
        .contains("w.jsonl:1: unknown field \"colour\"")
    );

    assert!(
        fails(&["import", s(&db2), "--edges", "/nonexistent/edges.txt"])
            .contains("/nonexistent/edges.txt: no such file")
    );
    assert!(fails(&["import", s(&db2)]).contains("nothing to import"));
    assert_eq!(json_of(&["check", s(&db2)])["clean"], true);
}

/// The `(u, v)` pairs of an edge list with one space between the ids.
fn pairs(lines: &str) -> Vec<(String, String)> {
    lines
        .lines()
        .map(|l| {
            let (x, y) = l.split_once(' ').unwrap();
            (x.to_string(), y.to_string())
        })
        .collect()
}

/// Reads a file of `from to` lines the importer wrote out as JSONL edges, as external ids.
fn exported_edges(db: &str, dir: &Path) -> Vec<(String, String)> {
    let out = dir.join(format!("x{}", fastrand::u32(..)));
    ok(&["export", db, "--format", "jsonl", "--out", s(&out)]);
    let names: std::collections::HashMap<u64, String> =
        std::fs::read_to_string(out.join("nodes.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    v["id"].as_u64().unwrap(),
                    v["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    std::fs::read_to_string(out.join("edges.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                names[&v["from"].as_u64().unwrap()].clone(),
                names[&v["to"].as_u64().unwrap()].clone(),
            )
        })
        .collect()
}

#[test]
fn export_then_import_gives_the_same_graph() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    // Deleting nothing keeps ids dense, so a re-import gives the same ids and the same files.
    for format in ["jsonl", "csv"] {
        let d1 = dir.path().join(format!("{format}1"));
        let out = json_of(&["export", s(&db), "--format", format, "--out", s(&d1)]);
        assert_eq!(
            (out["nodes"].as_u64(), out["edges"].as_u64()),
            (Some(4), Some(4))
        );
        let db2 = dir.path().join(format!("{format}.pgdb"));
        let nodes = d1.join(format!("nodes.{format}"));
        let edges = d1.join(format!("edges.{format}"));
        ok(&[
            "import",
            s(&db2),
            "--nodes",
            s(&nodes),
            "--edges",
            s(&edges),
        ]);
        let d2 = dir.path().join(format!("{format}2"));
        ok(&["export", s(&db2), "--format", format, "--out", s(&d2)]);
        for f in ["nodes", "edges"] {
            let a = std::fs::read_to_string(d1.join(format!("{f}.{format}"))).unwrap();
            let b = std::fs::read_to_string(d2.join(format!("{f}.{format}"))).unwrap();
            assert_eq!(a, b, "{format} {f}");
        }
        // And the graph itself: every node and edge with its data.
        for id in 1..=4 {
            let i = id.to_string();
            if format == "jsonl" {
                assert_eq!(
                    json_of(&["node", "get", s(&db), &i]),
                    json_of(&["node", "get", s(&db2), &i])
                );
                assert_eq!(
                    json_of(&["edge", "get", s(&db), &i]),
                    json_of(&["edge", "get", s(&db2), &i])
                );
            } else {
                let (a, b) = (
                    json_of(&["node", "get", s(&db), &i]),
                    json_of(&["node", "get", s(&db2), &i]),
                );
                assert_eq!((&a["kind"], &a["name"]), (&b["kind"], &b["name"]));
            }
        }
    }
    // JSONL on stdout: nodes, then edges.
    let all = ok(&["export", s(&db), "--format", "jsonl"]);
    assert_eq!(all.lines().count(), 8);
    assert!(all.lines().next().unwrap().contains("\"kind\""));
    assert!(fails(&["export", s(&db), "--format", "csv"]).contains("--out DIR"));

    let gml = ok(&["export", s(&db), "--format", "graphml"]);
    assert_eq!(gml.matches("<node id=").count(), 4);
    assert_eq!(gml.matches("<edge id=").count(), 4);
    assert!(
        gml.contains("Berlin &quot;Mitte&quot;") && gml.contains("&lt;&amp;&gt;"),
        "{gml}"
    );
    assert!(gml.trim_end().ends_with("</graphml>"));
    let dot = ok(&["export", s(&db), "--format", "dot"]);
    assert_eq!(dot.matches(" -> ").count(), 4);
    assert!(dot.contains(r#"label="Berlin \"Mitte\"""#), "{dot}");
    let file = dir.path().join("g.dot");
    assert_eq!(
        json_of(&["export", s(&db), "--format", "dot", "--out", s(&file)])["edges"],
        4
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), dot);
}

#[test]
fn a_tiny_id_memory_spills_and_gives_the_same_graph() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    let mut rng = fastrand::Rng::with_seed(5);
    for _ in 0..3000 {
        lines.push_str(&format!("{} v{}\n", rng.u32(0..500), rng.u32(0..500)));
    }
    let e = write(&dir.path().join("e.txt"), &lines);
    let (a, b) = (dir.path().join("a.pgdb"), dir.path().join("b.pgdb"));
    ok(&["import", s(&a), "--edges", s(&e), "--batch", "700"]);
    let out = json_of(&[
        "import",
        s(&b),
        "--edges",
        s(&e),
        "--batch",
        "700",
        "--id-memory",
        "300",
    ]);
    assert!(out["ids_spilled"].as_u64().unwrap() > 900, "{out}");
    let expected = pairs(&lines);
    assert_eq!(exported_edges(s(&a), dir.path()), expected);
    assert_eq!(exported_edges(s(&b), dir.path()), expected);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("import-ids"))
        .collect();
    assert!(leftovers.is_empty(), "the spill file is removed");
}

#[test]
fn a_damaged_database_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 4 * 4096);
    // Damage every page after the headers: each read must report it, never panic.
    for page in bytes.chunks_mut(4096).skip(2) {
        for b in &mut page[100..200] {
            *b ^= 0x5a;
        }
    }
    std::fs::write(&db, &bytes).unwrap();
    let db = s(&db);
    let out = run(&["check", db]);
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains("checksum") || all.contains("damaged") || all.contains("corrupt"),
        "{all}"
    );
    assert!(!all.contains("panicked"));
    for args in [
        vec!["stats", db],
        vec!["node", "get", db, "1"],
        vec!["export", db, "--format", "jsonl"],
        vec!["neighbors", db, "1"],
    ] {
        let err = fails(&args);
        assert!(err.lines().count() == 1, "one line: {err}");
    }
    std::fs::write(
        dir.path().join("junk.pgdb"),
        b"this is not a database at all",
    )
    .unwrap();
    let err = fails(&["stats", s(&dir.path().join("junk.pgdb"))]);
    assert!(err.contains("junk.pgdb"), "{err}");
}

#[test]
fn a_second_process_gets_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    // An import reading from a pipe holds the database open until the pipe closes. Our
    // probes may themselves hold the lock when the holder starts, making it fail: restart it.
    let spawn_holder = || {
        let mut h = bin()
            .args([
                "import",
                s(&db),
                "--edges",
                "/dev/stdin",
                "--format",
                "edgelist",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = h.stdin.take().unwrap();
        stdin.write_all(b"1 2\n").unwrap();
        stdin.flush().unwrap();
        (h, stdin)
    };
    let (mut holder, mut stdin) = spawn_holder();
    let mut err = String::new();
    for _ in 0..600 {
        if holder.try_wait().unwrap().is_some() {
            (holder, stdin) = spawn_holder();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        let out = run(&["node", "add", s(&db), "--kind", "K", "--name", "x"]);
        if !out.status.success() && holder.try_wait().unwrap().is_none() {
            err = text(&out.stderr);
            break;
        }
    }
    assert!(err.contains("in use by another process"), "{err}");
    assert!(!err.contains("panicked"));
    drop(stdin);
    assert!(holder.wait().unwrap().success());
    assert_eq!(json_of(&["check", s(&db)])["clean"], true);
}

/// SIGKILL at a random moment of an import. Into a graph with edges each batch is its own
/// transaction: what survives is whole batches, the first ones, in order. Into a graph
/// without edges the import is one bulk transaction: all of it survives or none.
#[test]
fn sigkill_during_an_import_leaves_whole_batches_and_a_clean_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    let mut rng = fastrand::Rng::with_seed(9);
    let total = 300_000;
    for _ in 0..total {
        lines.push_str(&format!("{} {}\n", rng.u32(0..50_000), rng.u32(0..50_000)));
    }
    let e = write(&dir.path().join("e.txt"), &lines);
    let seed = write(&dir.path().join("seed.txt"), "0 1\n");
    let expected = pairs(&lines);
    let rounds = if std::env::var_os("PAGEGRAPH_STRESS").is_some() {
        20
    } else {
        3
    };
    let batch = 5000;
    let (mut cut_short, mut bulk_killed) = (0, 0);
    // The kill delay adapts to the machine, for each kind of import on its own (a bulk
    // import is quicker): longer after a kill before the first commit, shorter after one
    // that came too late; extra rounds until one lands mid-import.
    let mut delays_ms: [u64; 2] = [300, 300];
    let mut round = 0;
    while round < rounds || ((cut_short == 0 || bulk_killed == 0) && round < rounds * 6) {
        round += 1;
        let fresh = round % 2 == 1;
        let delay_ms = &mut delays_ms[usize::from(fresh)];
        let db = dir.path().join(format!("k{round}.pgdb"));
        if !fresh {
            ok(&["import", s(&db), "--edges", s(&seed)]);
        }
        let mut child = bin()
            .args([
                "import",
                s(&db),
                "--edges",
                s(&e),
                "--batch",
                &batch.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(
            *delay_ms / 2 + rng.u64(0..*delay_ms),
        ));
        child.kill().unwrap(); // SIGKILL
        let finished = child.wait().unwrap().success();
        let check = json_of(&["check", s(&db)]);
        assert_eq!(check["clean"], true, "round {round}: {check}");
        let mut got = exported_edges(s(&db), dir.path());
        if fresh {
            assert!(
                got.is_empty() || got.len() == total,
                "round {round}: a bulk import left {} of {total} edges",
                got.len()
            );
            // A finished import left every edge; a killed one none, or every edge when the
            // kill came after its commit (while it closed the database or exited).
            if finished {
                assert_eq!(got.len(), total, "round {round}");
            }
            if got.is_empty() {
                bulk_killed += 1;
            } else {
                *delay_ms = (*delay_ms / 2).max(20);
            }
            continue;
        }
        // The seed edge first (its endpoints are named 0 and 1).
        got.remove(0);
        assert_eq!(
            got.len() % batch,
            0,
            "round {round}: {} edges is not whole batches",
            got.len()
        );
        assert_eq!(
            got[..],
            expected[..got.len()],
            "round {round}: the first batches, in order"
        );
        if got.is_empty() {
            *delay_ms *= 2;
        } else if got.len() == total {
            *delay_ms = (*delay_ms / 2).max(20);
        } else {
            cut_short += 1;
        }
    }
    assert!(
        cut_short > 0 && bulk_killed > 0,
        "no kill landed mid-import ({cut_short} batch by batch, {bulk_killed} bulk); the timing needs adjusting"
    );
}

#[test]
fn demo_builds_and_queries_the_bundled_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.pgdb");
    let out = ok(&["demo", s(&db)]);
    assert!(out.contains("171 nodes, 253 relationships"), "{out}");
    assert!(
        out.contains("shortest_path(Kevin Bacon, Tom Hanks): Kevin Bacon - Apollo 13 - Tom Hanks"),
        "{out}"
    );
    assert!(
        out.contains("The Matrix Reloaded") && out.contains("check: clean"),
        "{out}"
    );
    assert_eq!(json_of(&["stats", s(&db)])["edges"], 253);
    assert!(fails(&["demo", s(&db)]).contains("already exists"));
}

#[test]
fn many_batches_reuse_the_pages_earlier_batches_freed() {
    // Each batch copies the adjacency leaves it touches; the copies it replaces must be
    // reused by the next batches, not kept for a snapshot the import holds (the file grew
    // by a copy of both adjacency trees per batch when one was held).
    for existing_node in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.pgdb");
        if existing_node {
            // A graph with nodes before the import: endpoints are looked up by name too.
            ok(&["node", "add", s(&db), "--kind", "K", "--name", "x"]);
        }
        let mut rng = fastrand::Rng::with_seed(5);
        let mut text = String::new();
        for _ in 0..30_000 {
            text.push_str(&format!("{} {}\n", rng.u32(0..3000), rng.u32(0..3000)));
        }
        let e = write(&dir.path().join("e.txt"), &text);
        let v = json_of(&["import", s(&db), "--edges", s(&e), "--batch", "2000"]);
        assert_eq!(v["batches"].as_u64(), Some(15));
        let st = json_of(&["stats", s(&db)]);
        let (pages, free) = (
            st["page_count"].as_u64().unwrap(),
            st["free_pages"].as_u64().unwrap(),
        );
        // In use: the last version of every tree. Free: at most what the last batch
        // replaced, which is less than what is in use.
        assert!(free < pages - free, "{free} free of {pages} pages");
        ok(&["check", s(&db)]);
    }
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    let db = s(&db);
    let demo_db = dir.path().join("demo.pgdb");
    let commands: Vec<Vec<&str>> = vec![
        vec!["demo"],
        vec!["demo", s(&demo_db), "--json"],
        vec!["stats", db],
        vec!["check", db],
        vec!["node", "get", db, "1"],
        vec!["node", "find", db, "--kind", "Person"],
        vec!["edge", "get", db, "1"],
        vec!["neighbors", db, "1"],
        vec!["bfs", db, "--start", "1", "--json"],
        vec!["path", db, "1", "2"],
        vec!["algo", db, "pagerank"],
        vec!["algo", db, "wcc", "--json"],
        vec!["export", db, "--format", "dot"],
        vec!["export", db, "--format", "jsonl"],
        vec!["--help"],
        vec!["algo", "--help"],
    ];
    for args in commands {
        let mut child = bin()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the command writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

#[test]
fn error_messages_are_one_line_with_each_fact_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = jsonl_graph(dir.path());
    // A 100 KB argument is not echoed whole.
    let long = "x".repeat(100_000);
    let err = fails(&["node", "get", s(&db), &long, "--by-name"]);
    assert!(
        err.len() < 2000 && err.lines().count() == 1,
        "{}",
        err.len()
    );
    assert!(err.contains("no node is named"), "{err}");
    // A damaged page: the message names the database file, once.
    let mut bytes = std::fs::read(&db).unwrap();
    for page in bytes.chunks_mut(4096).skip(2) {
        for b in &mut page[100..200] {
            *b ^= 0x5a;
        }
    }
    std::fs::write(&db, &bytes).unwrap();
    for args in [vec!["stats", s(&db)], vec!["node", "get", s(&db), "1"]] {
        let err = fails(&args);
        assert_eq!(err.matches(s(&db)).count(), 1, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // Not a database: the path once.
    let junk = write(
        &dir.path().join("junk.pgdb"),
        "this is not a database at all",
    );
    let err = fails(&["stats", s(&junk)]);
    assert_eq!(err.matches("junk.pgdb").count(), 1, "{err}");
}

#[test]
fn demo_prints_json_and_the_sizes_of_the_closed_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.pgdb");
    let v = json_of(&["demo", s(&db)]);
    assert_eq!(v["loaded"]["nodes"], 171);
    assert_eq!(v["check"]["clean"], true);
    let size = std::fs::metadata(&db).unwrap().len();
    assert_eq!(v["check"]["file_bytes"], size);
    let text_db = dir.path().join("demo2.pgdb");
    let out = ok(&["demo", s(&text_db)]);
    let size = std::fs::metadata(&text_db).unwrap().len();
    let pages = size / 4096;
    assert!(
        out.contains(&format!("({pages} pages of 4096 bytes; no WAL")),
        "{out}"
    );
    let mut wal = text_db.clone().into_os_string();
    wal.push("-wal");
    assert!(!std::path::Path::new(&wal).exists(), "a WAL was left");
}

#[test]
fn the_documented_examples_name_imported_nodes_by_their_file_ids() {
    let help = ok(&["--help"]);
    assert!(help.contains("neighbors g.pgdb 30 --by-name"), "{help}");
    assert!(help.contains("3 nothing found"), "{help}");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    // File id 30 becomes internal id 1; file id 25 internal id 3.
    let e = write(&dir.path().join("e.txt"), "30 99\n25 30\n");
    ok(&["import", s(&db), "--edges", s(&e)]);
    let nb = json_of(&["neighbors", s(&db), "30", "--by-name", "--dir", "out"]);
    assert_eq!(nb["neighbors"][0]["node"]["name"], "99");
    // The same node by its key, as the help's example has it.
    assert!(help.contains("node get g.pgdb --key node.id=30"), "{help}");
    assert_eq!(
        json_of(&["node", "get", s(&db), "--key", "node.id=30"])["id"],
        1
    );
    // Results that list nodes carry their names.
    let wcc = json_of(&["algo", s(&db), "wcc"]);
    let names: Vec<&str> = wcc["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["30", "99", "25"]);
    let scc = json_of(&["algo", s(&db), "scc"]);
    assert_eq!(scc["largest"][0][0]["name"], "30");
    let cdlp = json_of(&["algo", s(&db), "cdlp"]);
    assert_eq!(cdlp["labels"][2]["name"], "25");
    assert!(ok(&["algo", s(&db), "scc"]).contains("1 (30)"));
}
