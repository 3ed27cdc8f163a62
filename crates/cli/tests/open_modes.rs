//! How commands open a database: the commands that only read open it read-only (nothing
//! written or created, not even a WAL), an empty or missing file is never turned into a
//! database by them, and a database left unclean by a crash with `--durability off` can be
//! inspected and exported with `--allow-unclean`.

#![allow(clippy::unwrap_used, reason = "a failed step is a failed test")]

mod common;

use std::path::Path;

use common::{fails, ok, run, text};

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn small_db(dir: &Path) -> String {
    let db = dir.join("g.pgdb");
    let db = db.to_str().unwrap().to_string();
    ok(&["node", "add", &db, "--kind", "Person", "--name", "Ann"]);
    ok(&["node", "add", &db, "--kind", "Person", "--name", "Bob"]);
    ok(&[
        "edge",
        "add",
        &db,
        "Ann",
        "Bob",
        "--by-name",
        "--type",
        "KNOWS",
    ]);
    db
}

#[test]
fn read_only_commands_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_db(dir.path());
    let before = snapshot(dir.path());
    assert_eq!(
        before.len(),
        1,
        "a clean close leaves only the database: {before:?}"
    );
    let out = dir.path().join("out.graphml");
    let out = out.to_str().unwrap();
    for args in [
        vec!["stats", &db],
        vec!["check", &db],
        vec!["node", "get", &db, "1"],
        vec!["node", "find", &db, "--kind", "Person"],
        vec!["edge", "get", &db, "1"],
        vec!["neighbors", &db, "Ann", "--by-name"],
        vec!["bfs", &db, "--start", "1"],
        vec!["path", &db, "1", "2"],
        vec!["algo", &db, "pagerank"],
        vec!["export", &db, "--format", "jsonl"],
    ] {
        ok(&args);
        assert_eq!(snapshot(dir.path()), before, "{args:?} wrote");
    }
    ok(&["export", &db, "--format", "graphml", "--out", out]);
    let after: Vec<_> = snapshot(dir.path())
        .into_iter()
        .filter(|(n, _)| n != "out.graphml")
        .collect();
    assert_eq!(after, before);
}

#[test]
fn read_only_commands_never_create_or_take_over_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let empty = empty.to_str().unwrap();
    for cmd in ["check", "stats"] {
        let err = fails(&[cmd, empty]);
        assert!(
            err.contains("not a pagegraph database: empty file"),
            "{err}"
        );
        assert_eq!(std::fs::metadata(empty).unwrap().len(), 0);
    }
    // A writing command refuses it too: it is not a database, and it is not ours to replace.
    let err = fails(&["node", "add", empty, "--kind", "K", "--name", "x"]);
    assert!(err.contains("empty file"), "{err}");
    assert_eq!(std::fs::metadata(empty).unwrap().len(), 0);
    let missing = dir.path().join("missing.pgdb");
    let missing = missing.to_str().unwrap();
    let err = fails(&["stats", missing]);
    assert!(err.contains("no such database"), "{err}");
    assert_eq!(
        err.matches("missing.pgdb").count(),
        1,
        "the path once: {err}"
    );
    assert!(!Path::new(missing).exists());
    let listing = snapshot(dir.path());
    assert_eq!(listing.len(), 1, "{listing:?}");
}

/// Sets the header's unclean flag (what a crash during `--durability off` leaves), keeping
/// both header slots valid.
fn mark_unclean(db: &str) {
    let mut bytes = std::fs::read(db).unwrap();
    for slot in 0..2 {
        let page = &mut bytes[slot * 4096..(slot + 1) * 4096];
        page[80] |= 1;
        let sum = crc32c(&page[4..]);
        page[0..4].copy_from_slice(&sum.to_le_bytes());
    }
    std::fs::write(db, bytes).unwrap();
}

/// CRC32C (Castagnoli), bitwise: the page checksum of docs/file-format.md.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn an_unclean_database_can_be_inspected_with_allow_unclean() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_db(dir.path());
    mark_unclean(&db);
    let before = snapshot(dir.path());
    let err = fails(&["stats", &db]);
    assert!(err.contains("--allow-unclean"), "the error says how: {err}");
    let stats = ok(&["stats", &db, "--allow-unclean"]);
    assert!(stats.contains("nodes       2"), "{stats}");
    let dump = ok(&["export", &db, "--format", "jsonl", "--allow-unclean"]);
    assert!(dump.contains("\"Ann\"") && dump.contains("KNOWS"), "{dump}");
    assert_eq!(snapshot(dir.path()), before, "inspecting wrote");
    // It is for inspection only: writing commands still refuse the file.
    let out = run(&[
        "node",
        "add",
        &db,
        "--kind",
        "K",
        "--name",
        "x",
        "--allow-unclean",
    ]);
    assert!(!out.status.success(), "{}", text(&out.stdout));
}

#[test]
fn allow_unclean_is_refused_by_the_commands_that_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_db(dir.path());
    let before = snapshot(dir.path());
    let nodes = dir.path().join("n.jsonl");
    std::fs::write(&nodes, "{\"id\": 9, \"kind\": \"K\"}\n").unwrap();
    let nodes = nodes.to_str().unwrap();
    for args in [
        vec!["node", "add", &db, "--kind", "K", "--name", "x"],
        vec!["edge", "add", &db, "Bob", "Ann", "--by-name", "--type", "T"],
        vec!["import", &db, "--nodes", nodes],
    ] {
        let mut args = args;
        args.push("--allow-unclean");
        let err = fails(&args);
        assert!(
            err.contains("--allow-unclean does not apply"),
            "{args:?}: {err}"
        );
    }
    std::fs::remove_file(nodes).unwrap();
    assert_eq!(snapshot(dir.path()), before, "a refused command wrote");
}

#[test]
fn absurd_options_are_refused_and_a_huge_cache_is_only_a_bound() {
    let dir = tempfile::tempdir().unwrap();
    let edges = dir.path().join("e.txt");
    std::fs::write(&edges, "1 2\n").unwrap();
    let edges = edges.to_str().unwrap();
    let db = dir.path().join("g.pgdb");
    let db = db.to_str().unwrap();
    for (flag, value) in [
        ("--cache-mib", "100000000"),
        ("--cache-mib", "0"),
        ("--batch", "0"),
    ] {
        let out = run(&["import", db, "--edges", edges, flag, value]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(err.contains(flag) && err.lines().count() <= 4, "{err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
        assert!(!Path::new(db).exists());
    }
    // 200,000 MiB of cache for two edges: the cache grows with its pages, so this is quick
    // and small (it took 4 GiB when the cache was allocated up front).
    let out = ok(&[
        "import",
        db,
        "--edges",
        edges,
        "--cache-mib",
        "200000",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["edges"], 1);
    if let Some(rss) = v["peak_rss_bytes"].as_u64() {
        assert!(rss < 512 << 20, "peak RSS {rss} bytes");
    }
}

/// An import whose batches all committed but whose closing checkpoint fails (here the file
/// size limit, `ulimit -f`, stops the database file from growing: a full disk looks the same
/// to the engine) prints its summary, warns, and exits 4; the batches are in the WAL, a
/// read-only command sees them, and the next writer replays them.
#[test]
fn a_failed_closing_checkpoint_keeps_the_batches_and_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.txt");
    let more = dir.path().join("more.txt");
    let mut rng = fastrand::Rng::with_seed(4);
    let lines = |n: usize, lo: u32, rng: &mut fastrand::Rng| -> String {
        let mut text = String::new();
        for _ in 0..n {
            let (a, b) = (rng.u32(lo..lo + 20_000), rng.u32(lo..lo + 20_000));
            text.push_str(&a.to_string());
            text.push(' ');
            text.push_str(&b.to_string());
            text.push('\n');
        }
        text
    };
    std::fs::write(&first, lines(120_000, 0, &mut rng)).unwrap();
    std::fs::write(&more, lines(3_000, 100_000, &mut rng)).unwrap();
    let db = dir.path().join("g.pgdb");
    let (db, first, more) = (
        db.to_str().unwrap(),
        first.to_str().unwrap(),
        more.to_str().unwrap(),
    );
    ok(&["import", db, "--edges", first]);
    // Room for the WAL (4 MiB) but not for one more page of the database file.
    let blocks = std::fs::metadata(db).unwrap().len() / 512 + 4;
    assert!(
        blocks * 512 > 4 << 20,
        "the first import is too small for this test"
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" import \"$1\" --edges \"$2\""
        ))
        .args([env!("CARGO_BIN_EXE_pagegraph"), db, more])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        text(&out.stdout).contains("3000 edges"),
        "the summary is printed"
    );
    assert!(
        err.contains("closing the database failed") && err.contains("do not rerun"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let stats = ok(&["stats", db, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(v["edges"], 123_000, "a reader sees the batches in the WAL");
    ok(&["node", "add", db, "--kind", "K", "--name", "after"]);
    let v: serde_json::Value = serde_json::from_str(&ok(&["stats", db, "--json"])).unwrap();
    assert_eq!(v["edges"], 123_000);
    ok(&["check", db]);
    assert!(
        !Path::new(&format!("{db}-wal")).exists(),
        "the writer checkpointed and closed"
    );
}
