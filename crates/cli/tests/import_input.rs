//! `pagegraph import` on awkward input, in every format (JSONL, CSV, edge list; plain and
//! .gz; nodes and edges files): byte-order marks, undecodable lines, over-long lines,
//! unterminated CSV quotes, numbers a float would round, ids that name several nodes, and
//! the id-spill scratch files. Also `--data @FILE` and `--data -` of `node add`/`edge add`.
#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    clippy::case_sensitive_file_extension_comparisons,
    clippy::format_push_string
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{Value, json};

mod common;

use common::{bin, fails, json_of, ok, run, s, text};

/// Writes raw bytes (gzipped when the name ends in `.gz`) and returns the path.
fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    let body = if name.ends_with(".gz") {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    } else {
        bytes.to_vec()
    };
    std::fs::write(&path, body).unwrap();
    path
}

/// `(nodes, edges)` in a database.
fn counts(db: &Path) -> (u64, u64) {
    let v = json_of(&["stats", s(db)]);
    (v["nodes"].as_u64().unwrap(), v["edges"].as_u64().unwrap())
}

/// The nodes named `name`, as JSON.
fn named(db: &Path, name: &str) -> Vec<Value> {
    let v = json_of(&["node", "find", s(db), "--name", name]);
    v["nodes"].as_array().unwrap().clone()
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn with_bom(body: &str) -> Vec<u8> {
    [BOM, body.as_bytes()].concat()
}

#[test]
fn a_leading_byte_order_mark_is_dropped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for gz in ["", ".gz"] {
        // Edge list: the first id is `1`, not `\u{feff}1`.
        let db = d.join(format!("el{gz}.pgdb"));
        let e = put(d, &format!("e.txt{gz}"), &with_bom("1 2\n2 3\n"));
        ok(&["import", s(&db), "--edges", s(&e)]);
        assert_eq!(counts(&db), (3, 2), "{gz}");
        assert_eq!(named(&db, "1").len(), 1, "{gz}");
        // A vertex list.
        let db = d.join(format!("vl{gz}.pgdb"));
        let v = put(d, &format!("v.txt{gz}"), &with_bom("7\n8\n"));
        ok(&["import", s(&db), "--nodes", s(&v), "--edges", s(&e)]);
        assert_eq!(counts(&db), (5, 2), "{gz}");
        assert_eq!(named(&db, "7").len(), 1, "{gz}");
        // JSONL nodes and edges.
        let db = d.join(format!("j{gz}.pgdb"));
        let n = put(
            d,
            &format!("n.jsonl{gz}"),
            &with_bom("{\"id\": \"a\", \"kind\": \"K\"}\n{\"id\": \"b\", \"kind\": \"K\"}\n"),
        );
        let e = put(
            d,
            &format!("e.jsonl{gz}"),
            &with_bom("{\"from\": \"a\", \"to\": \"b\", \"type\": \"T\"}\n"),
        );
        ok(&["import", s(&db), "--nodes", s(&n), "--edges", s(&e)]);
        assert_eq!(counts(&db), (2, 1), "{gz}");
        // CSV nodes and edges: the first column is `id` / `from`.
        let db = d.join(format!("c{gz}.pgdb"));
        let n = put(d, &format!("n.csv{gz}"), &with_bom("id,kind\na,K\nb,K\n"));
        let e = put(d, &format!("e.csv{gz}"), &with_bom("from,to\na,b\n"));
        ok(&["import", s(&db), "--nodes", s(&n), "--edges", s(&e)]);
        assert_eq!(counts(&db), (2, 1), "{gz}");
    }
}

/// A file name, its bytes, and the nodes (JSONL) to import first.
type Case = (&'static str, Vec<u8>, Option<Vec<u8>>);

/// Ten good lines, then one that is not UTF-8, then one more good line: per format, the
/// nodes or edges file and, for edges, the nodes file they need.
fn undecodable_cases() -> Vec<Case> {
    // Each bad line has the fields its format wants, so only its bytes are wrong.
    let bad = b"\xFF\xFE\n";
    let mut cases = Vec::new();
    let mut jn = Vec::new();
    let mut je = Vec::new();
    let mut cn = b"id,kind\n".to_vec();
    let mut ce = b"from,to,type\n".to_vec();
    let mut el = Vec::new();
    let mut vl = Vec::new();
    let mut all_nodes = Vec::new();
    for i in 0..12 {
        all_nodes.extend_from_slice(format!("{{\"id\": {i}, \"kind\": \"K\"}}\n").as_bytes());
    }
    for i in 0..11 {
        if i == 10 {
            for f in [&mut jn, &mut je, &mut vl] {
                f.extend_from_slice(bad);
            }
            cn.extend_from_slice(b"\xFF\xFE,K\n");
            ce.extend_from_slice(b"1,\xFF\xFE,T\n");
            el.extend_from_slice(b"1 \xFF\xFE\n");
        }
        jn.extend_from_slice(format!("{{\"id\": {i}, \"kind\": \"K\"}}\n").as_bytes());
        je.extend_from_slice(
            format!("{{\"from\": {i}, \"to\": {}, \"type\": \"T\"}}\n", i + 1).as_bytes(),
        );
        cn.extend_from_slice(format!("{i},K\n").as_bytes());
        ce.extend_from_slice(format!("{i},{},T\n", i + 1).as_bytes());
        el.extend_from_slice(format!("{i} {}\n", i + 1).as_bytes());
        vl.extend_from_slice(format!("{i}\n").as_bytes());
    }
    cases.push(("nodes.jsonl", jn, None));
    cases.push(("edges.jsonl", je, Some(all_nodes.clone())));
    cases.push(("nodes.csv", cn, None));
    cases.push(("edges.csv", ce, Some(all_nodes)));
    cases.push(("edges.txt", el, None));
    cases.push(("nodes.txt", vl, None));
    cases
}

#[test]
fn an_undecodable_line_is_a_bad_line_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for gz in ["", ".gz"] {
        for (i, (name, body, nodes)) in undecodable_cases().into_iter().enumerate() {
            let name = format!("{name}{gz}");
            let file = put(d, &name, &body);
            let is_edges = name.starts_with("edges");
            let mut args = vec!["import".to_string()];
            let db = d.join(format!("u{i}{gz}.pgdb"));
            args.push(s(&db).into());
            let mut before = (0, 0);
            if let Some(n) = &nodes {
                let nf = put(d, &format!("all{i}{gz}.jsonl"), n);
                ok(&["import", s(&db), "--nodes", s(&nf)]);
                before = counts(&db);
            }
            args.extend([
                if is_edges { "--edges" } else { "--nodes" }.to_string(),
                s(&file).into(),
                "--batch".into(),
                "2".into(),
            ]);
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            let err = fails(&a);
            // The header is line 1 of a CSV file: the bad line is its 12th.
            let line = if name.contains(".csv") { 12 } else { 11 };
            assert!(
                err.contains(&format!("{name}:{line}: not valid UTF-8 text")),
                "{name}: {err}"
            );
            // The five batches before it were committed.
            let (n, e) = counts(&db);
            let got = if is_edges { e - before.1 } else { n - before.0 };
            assert_eq!(got, 10, "{name}");

            // --skip-bad skips it and imports the line after it.
            let db2 = d.join(format!("s{i}{gz}.pgdb"));
            if let Some(n) = &nodes {
                let nf = put(d, &format!("all{i}{gz}.jsonl"), n);
                ok(&["import", s(&db2), "--nodes", s(&nf)]);
            }
            let mut a2 = a.clone();
            a2[1] = s(&db2);
            a2.push("--skip-bad");
            let out = run(&a2);
            assert!(out.status.success(), "{name}: {}", text(&out.stderr));
            let stderr = text(&out.stderr);
            assert!(
                stderr.contains(&format!("{name}:{line}: not valid UTF-8 text"))
                    && stderr.contains("(skipped)"),
                "{name}: {stderr}"
            );
            let (n, e) = counts(&db2);
            let got = if is_edges { e - before.1 } else { n - before.0 };
            assert_eq!(got, 11, "{name}");
        }
    }
}

#[test]
fn a_line_past_the_length_limit_stops_the_import_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Straight from /dev/zero: no line end ever comes.
    for (flag, format) in [
        ("--edges", "edgelist"),
        ("--nodes", "edgelist"),
        ("--nodes", "jsonl"),
        ("--edges", "jsonl"),
    ] {
        let db = d.join(format!("z-{format}{flag}.pgdb"));
        let err = fails(&["import", s(&db), flag, "/dev/zero", "--format", format]);
        assert!(
            err.contains("/dev/zero:1: line longer than 32 MiB"),
            "{format}: {err}"
        );
    }
    for flag in ["--nodes", "--edges"] {
        let db = d.join(format!("z-csv{flag}.pgdb"));
        let err = fails(&["import", s(&db), flag, "/dev/zero", "--format", "csv"]);
        assert!(
            err.contains("/dev/zero:1: record longer than 32 MiB"),
            "csv: {err}"
        );
    }
    // A 40 MiB line after good ones, in a file and in a .gz: the batches before are kept.
    let long = vec![b'7'; 40 << 20];
    for gz in ["", ".gz"] {
        let body = [&b"1 2\n3 4\n5 6\n"[..], &long, b"\n7 8\n"].concat();
        let e = put(d, &format!("long.txt{gz}"), &body);
        let db = d.join(format!("l{gz}.pgdb"));
        let err = fails(&["import", s(&db), "--edges", s(&e), "--batch", "1"]);
        assert!(
            err.contains(&format!("long.txt{gz}:4: line longer than 32 MiB")),
            "{err}"
        );
        assert_eq!(counts(&db).1, 3);
        // A CSV record that long, even inside quotes.
        let body = [&b"id,kind,name\n1,K,a\n2,K,\""[..], &long, b"\"\n"].concat();
        let n = put(d, &format!("long.csv{gz}"), &body);
        let db = d.join(format!("lc{gz}.pgdb"));
        let err = fails(&["import", s(&db), "--nodes", s(&n), "--batch", "1"]);
        assert!(
            err.contains(&format!("long.csv{gz}:3: record longer than 32 MiB")),
            "{err}"
        );
        assert_eq!(counts(&db).0, 1);
    }
}

#[test]
fn an_unterminated_csv_quote_is_an_error_naming_where_it_opened() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for gz in ["", ".gz"] {
        let n = put(
            d,
            &format!("n.csv{gz}"),
            b"id,kind,name\n1,K,\"two\nlines\"\n2,K,\"oops\n3,K,c\n4,K,d\n",
        );
        let db = d.join(format!("q{gz}.pgdb"));
        for extra in [&[][..], &["--skip-bad"]] {
            let mut args = vec!["import", s(&db), "--nodes", s(&n)];
            args.extend_from_slice(extra);
            let err = fails(&args);
            assert!(
                err.contains(&format!(
                    "n.csv{gz}:4: a quoted field starts here and is never closed"
                )),
                "{err}"
            );
        }
        // A quoted field over two lines is fine.
        let ok_file = put(
            d,
            &format!("ok.csv{gz}"),
            b"id,kind,name\n1,K,\"two\nlines\"\n",
        );
        let db = d.join(format!("qok{gz}.pgdb"));
        ok(&["import", s(&db), "--nodes", s(&ok_file)]);
        assert_eq!(named(&db, "two\nlines").len(), 1);

        let e = put(d, &format!("e.csv{gz}"), b"from,to,type\n1,1,T\n1,1,\"T\n");
        let one = put(d, "one.csv", b"id,kind\n1,K\n");
        let db = d.join(format!("qe{gz}.pgdb"));
        let err = fails(&["import", s(&db), "--nodes", s(&one), "--edges", s(&e)]);
        assert!(
            err.contains(&format!(
                "e.csv{gz}:3: a quoted field starts here and is never closed"
            )),
            "{err}"
        );
        // In the header row too.
        let h = put(d, &format!("h.csv{gz}"), b"id,kind,\"name\n1,K,a\n");
        let err = fails(&["import", s(&d.join("h.pgdb")), "--nodes", s(&h)]);
        assert!(
            err.contains(&format!(
                "h.csv{gz}:1: a quoted field starts here and is never closed"
            )),
            "{err}"
        );
    }
}

const BIG: &str = "123456789012345678901234567890";
const BIG2: &str = "123456789012345678901234567891";

#[test]
fn numbers_are_never_rounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Two 30-digit ids are two nodes; an edge to a third is to an unknown node.
    let n = put(
        d,
        "n.jsonl",
        format!("{{\"id\": {BIG}, \"kind\": \"K\"}}\n{{\"id\": {BIG2}, \"kind\": \"K\"}}\n")
            .as_bytes(),
    );
    let e = put(
        d,
        "e.jsonl",
        format!("{{\"from\": {BIG}, \"to\": {BIG2}, \"type\": \"T\"}}\n").as_bytes(),
    );
    let db = d.join("g.pgdb");
    ok(&["import", s(&db), "--nodes", s(&n), "--edges", s(&e)]);
    assert_eq!(counts(&db), (2, 1));
    assert_eq!(named(&db, BIG).len(), 1);
    assert_eq!(named(&db, BIG2).len(), 1);
    let near = "123456789012345678901234567892";
    let e2 = put(
        d,
        "e2.jsonl",
        format!("{{\"from\": {BIG}, \"to\": {near}, \"type\": \"T\"}}\n").as_bytes(),
    );
    let db2 = d.join("g2.pgdb");
    let err = fails(&["import", s(&db2), "--nodes", s(&n), "--edges", s(&e2)]);
    assert!(
        err.contains(&format!("e2.jsonl:1: unknown node \"{near}\"")),
        "{err}"
    );

    // A big number in data is refused, in nodes and edges.
    let bad = put(
        d,
        "bad.jsonl",
        format!("{{\"id\": 1, \"kind\": \"K\"}}\n{{\"id\": 2, \"kind\": \"K\", \"data\": {{\"n\": [{BIG}]}}}}\n")
            .as_bytes(),
    );
    let err = fails(&["import", s(&d.join("b.pgdb")), "--nodes", s(&bad)]);
    assert!(
        err.contains(&format!(
            "bad.jsonl:2: field \"data\": the number {BIG} cannot be stored exactly"
        )),
        "{err}"
    );
    let bad_e = put(
        d,
        "bad_e.jsonl",
        format!("{{\"from\": {BIG}, \"to\": {BIG}, \"type\": \"T\", \"data\": {{\"w\": 1.00000000000000000001}}}}\n")
            .as_bytes(),
    );
    let err = fails(&["import", s(&db), "--edges", s(&bad_e)]);
    assert!(
        err.contains("bad_e.jsonl:1: field \"data\": the number 1.00000000000000000001 cannot"),
        "{err}"
    );
    // Edge-list weights.
    let w = put(d, "w.txt", format!("1 2 {BIG}\n").as_bytes());
    let err = fails(&["import", s(&d.join("w.pgdb")), "--edges", s(&w)]);
    assert!(err.contains("w.txt:1: weight"), "{err}");

    // CSV cells keep their value: numbers as they print, the rest as text.
    let c = put(
        d,
        "c.csv",
        b"id,kind,a,b,c,d,e\n1,K,1e5,12345678901234567890123,12,2.5,007\n",
    );
    let db3 = d.join("c.pgdb");
    ok(&["import", s(&db3), "--nodes", s(&c)]);
    let node = json_of(&["node", "get", s(&db3), "1"]);
    assert_eq!(
        node["data"],
        json!({"a": "1e5", "b": "12345678901234567890123", "c": 12, "d": 2.5, "e": "007", "id": 1})
    );

    // node add / edge add --data.
    let err = fails(&[
        "node",
        "add",
        s(&db3),
        "--kind",
        "K",
        "--name",
        "x",
        "--data",
        &format!("{{\"n\": {BIG}}}"),
    ]);
    assert!(
        err.contains(&format!("the number {BIG} cannot be stored exactly")),
        "{err}"
    );
    let err = fails(&[
        "edge",
        "add",
        s(&db3),
        "1",
        "1",
        "--type",
        "T",
        "--data",
        &format!("[{BIG}]"),
    ]);
    assert!(
        err.contains(&format!("the number {BIG} cannot be stored exactly")),
        "{err}"
    );
    assert_eq!(counts(&db3), (1, 0));
}

#[test]
fn data_comes_from_a_file_or_stdin_and_errors_do_not_echo_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = d.join("g.pgdb");
    // 1 MiB of data: more than the OS allows in an argument.
    let big = json!({"blob": "x".repeat(1 << 20), "n": 7});
    let f = put(d, "data.json", big.to_string().as_bytes());
    let a = json_of(&[
        "node",
        "add",
        s(&db),
        "--kind",
        "K",
        "--name",
        "a",
        "--data",
        &format!("@{}", s(&f)),
    ]);
    assert_eq!(
        json_of(&["node", "get", s(&db), &a["id"].to_string()])["data"],
        big
    );

    let mut child = bin()
        .args([
            "node",
            "add",
            s(&db),
            "--kind",
            "K",
            "--name",
            "b",
            "--data",
            "-",
            "--json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"from\": \"stdin\"}")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let b: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json_of(&["node", "get", s(&db), &b["id"].to_string()])["data"],
        json!({"from": "stdin"})
    );

    let e = json_of(&[
        "edge",
        "add",
        s(&db),
        "a",
        "b",
        "--by-name",
        "--type",
        "T",
        "--data",
        &format!("@{}", s(&f)),
    ]);
    let edge = json_of(&["edge", "get", s(&db), &e["id"].to_string()]);
    assert_eq!(edge["data"], big);
    let mut child = bin()
        .args([
            "edge",
            "add",
            s(&db),
            "1",
            "2",
            "--type",
            "T",
            "--data",
            "-",
            "--json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"[1, 2.5]").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let e2: Value = serde_json::from_slice(&out.stdout).unwrap();
    let edge = json_of(&["edge", "get", s(&db), &e2["id"].to_string()]);
    assert_eq!(edge["data"], json!([1, 2.5]));

    // A long bad argument is not echoed whole.
    let long_bad = format!("{{{}", "y".repeat(100_000));
    let err = fails(&[
        "node",
        "add",
        s(&db),
        "--kind",
        "K",
        "--name",
        "c",
        "--data",
        &long_bad,
    ]);
    assert!(err.len() < 400, "{} bytes: {}", err.len(), &err[..200]);
    assert!(err.contains("is not valid JSON"), "{err}");
    let long_name = "z".repeat(100_000);
    let err = fails(&["node", "get", s(&db), &long_name, "--by-name"]);
    assert!(err.len() < 400, "{} bytes", err.len());
    let err = fails(&[
        "node",
        "add",
        s(&db),
        "--kind",
        "K",
        "--name",
        "c",
        "--data",
        "@/nonexistent/x.json",
    ]);
    assert!(err.contains("/nonexistent/x.json: cannot open"), "{err}");
    assert_eq!(counts(&db), (2, 2));
}

/// The id-spill scratch files next to `db`.
fn scratch_files(db: &Path) -> Vec<PathBuf> {
    let prefix = format!("{}.import-ids-", db.file_name().unwrap().to_str().unwrap());
    let mut found: Vec<PathBuf> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(&prefix)
        })
        .collect();
    found.sort();
    found
}

#[test]
fn the_next_import_removes_the_scratch_file_a_killed_import_left() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lines = String::new();
    for i in 0..300_000 {
        lines.push_str(&format!("v{i} v{}\n", i + 1));
    }
    let e = put(d, "e.txt", lines.as_bytes());
    let db = d.join("g.pgdb");
    let mut child = bin()
        .args(["import", s(&db), "--edges", s(&e), "--id-memory", "1K"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while scratch_files(&db).is_empty() && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    let left = scratch_files(&db);
    assert_eq!(left.len(), 1, "the killed import spilled: {left:?}");
    // Not the old predictable name.
    assert!(
        !left[0]
            .to_str()
            .unwrap()
            .ends_with(&format!("-{}", child.id()))
    );

    let small = put(d, "small.txt", b"a b\n");
    ok(&["import", s(&db), "--edges", s(&small)]);
    assert_eq!(scratch_files(&db), Vec::<PathBuf>::new());
    // An import that spills and ends (well or not) leaves none either.
    ok(&[
        "import",
        s(&d.join("h.pgdb")),
        "--edges",
        s(&small),
        "--id-memory",
        "0",
    ]);
    assert_eq!(scratch_files(&d.join("h.pgdb")), Vec::<PathBuf>::new());
    let bad = put(d, "bad.txt", b"c d\ne\n");
    let err = fails(&[
        "import",
        s(&db),
        "--edges",
        s(&bad),
        "--id-memory",
        "0",
        "--batch",
        "1",
    ]);
    assert!(err.contains("bad.txt:2:"), "{err}");
    assert_eq!(scratch_files(&db), Vec::<PathBuf>::new());
}

#[test]
fn an_id_that_names_several_nodes_is_an_error_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let forums = put(
        d,
        "forums.jsonl",
        b"{\"id\": 1, \"kind\": \"Forum\"}\n{\"id\": 2, \"kind\": \"Forum\"}\n{\"id\": \"p\", \"kind\": \"Person\"}\n",
    );
    let posts = put(
        d,
        "posts.jsonl",
        b"{\"id\": 1, \"kind\": \"Post\"}\n{\"id\": 3, \"kind\": \"Post\"}\n",
    );
    let likes = put(
        d,
        "likes.jsonl",
        b"{\"from\": \"p\", \"to\": 3, \"type\": \"LIKES\"}\n{\"from\": \"p\", \"to\": 1, \"type\": \"LIKES\"}\n",
    );
    let want = "likes.jsonl:2: id \"1\" names 2 nodes (kinds Forum, Post)";

    // Posts and likes in one import over a database holding forums: post 1 is also the
    // name of forum 1.
    let db = d.join("a.pgdb");
    ok(&["import", s(&db), "--nodes", s(&forums)]);
    let err = fails(&[
        "import",
        s(&db),
        "--nodes",
        s(&posts),
        "--edges",
        s(&likes),
        "--batch",
        "1",
    ]);
    assert!(err.contains(want), "{err}");
    // Posts in one import, likes in the next: "1" names a Forum and a Post.
    let db = d.join("b.pgdb");
    ok(&["import", s(&db), "--nodes", s(&forums)]);
    ok(&["import", s(&db), "--nodes", s(&posts)]);
    let err = fails(&["import", s(&db), "--edges", s(&likes), "--batch", "1"]);
    assert!(err.contains(want), "{err}");
    // The unambiguous line before it went in, and with --skip-bad only the ambiguous one
    // is left out.
    assert_eq!(counts(&db), (5, 1));
    let out = json_of(&["import", s(&db), "--edges", s(&likes), "--skip-bad"]);
    assert_eq!(
        (out["edges"].as_u64(), out["skipped"].as_u64()),
        (Some(1), Some(1))
    );
    let post3 = named(&db, "3")[0]["id"].as_u64().unwrap();
    let v = json_of(&["neighbors", s(&db), "p", "--by-name", "--dir", "out"]);
    assert_eq!(v["count"], 2);
    for n in v["neighbors"].as_array().unwrap() {
        assert_eq!(n["node"]["id"].as_u64(), Some(post3), "{v}");
    }

    // CSV edges.
    let likes_csv = put(d, "likes.csv", b"from,to,type\np,3,LIKES\np,1,LIKES\n");
    let err = fails(&["import", s(&db), "--edges", s(&likes_csv)]);
    assert!(
        err.contains("likes.csv:3: id \"1\" names 2 nodes (kinds Forum, Post)"),
        "{err}"
    );
    // An edge list, which creates the endpoints that name no node: "1" names two.
    let el = put(d, "likes.txt", b"p 9\np 1\n");
    let err = fails(&["import", s(&db), "--edges", s(&el)]);
    assert!(
        err.contains("likes.txt:2: id \"1\" names 2 nodes (kinds Forum, Post)"),
        "{err}"
    );
    // A vertex list whose id is the name of an older node, then edges to it.
    let db = d.join("c.pgdb");
    ok(&["import", s(&db), "--nodes", s(&forums)]);
    let vl = put(d, "v.txt", b"1\n5\n");
    let el = put(d, "e.txt", b"5 1\n");
    let err = fails(&["import", s(&db), "--nodes", s(&vl), "--edges", s(&el)]);
    assert!(
        err.contains("e.txt:1: id \"1\" names 2 nodes (kinds Forum, node)"),
        "{err}"
    );
    // Two older nodes of one kind.
    let db = d.join("d.pgdb");
    ok(&["import", s(&db), "--nodes", s(&forums)]);
    ok(&["node", "add", s(&db), "--kind", "Forum", "--name", "2"]);
    let e = put(
        d,
        "two.jsonl",
        b"{\"from\": \"p\", \"to\": 2, \"type\": \"T\"}\n",
    );
    let err = fails(&["import", s(&db), "--edges", s(&e)]);
    assert!(
        err.contains("two.jsonl:1: id \"2\" names 2 nodes (kind Forum)"),
        "{err}"
    );
    assert_eq!(counts(&db), (4, 0));
}
