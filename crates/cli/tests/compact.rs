//! `pagegraph compact`, run as a user would: an imported database (small batches, so the
//! file is full of free pages) shrinks, keeps every tree's entries byte for byte (the
//! adjacency, repacked, as the same neighbors of every node) and checks
//! clean; a read-only argument mistake and a missing database fail with one line; and the
//! process killed with SIGKILL at random moments of a compaction leaves a database that
//! checks clean and holds exactly what it held (3 kills in CI, 30 with
//! `PAGEGRAPH_STRESS=1`), with the scratch file of a killed run removed by the next one.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use pagegraph::storage::{Database, Options as StorageOptions};

mod common;

use common::{bin, fails, json_of, ok, s, write};

/// Tree name -> every entry, read through the storage engine; the adjacency trees (which
/// `compact` repacks into fewer chunks of the same pairs) as every node's neighbors read
/// through the graph API instead, under `adjacency`.
type Dump = BTreeMap<String, Vec<(Vec<u8>, Vec<u8>)>>;

fn dump(path: &Path) -> Dump {
    let mut out: Dump = {
        let db = Database::open(path, StorageOptions::default().read_only(true)).unwrap();
        let r = db.begin_read().unwrap();
        r.trees()
            .unwrap()
            .into_iter()
            .filter(|(name, _)| name != "g.out" && name != "g.in")
            .map(|(name, _)| {
                let tree = r.tree(&name).unwrap().unwrap();
                (name, tree.iter().map(Result::unwrap).collect())
            })
            .collect()
    };
    let g = pagegraph::Graph::open_with(
        path,
        pagegraph::Options {
            read_only: true,
            ..pagegraph::Options::default()
        },
    )
    .unwrap();
    let r = g.begin_read().unwrap();
    let adjacency = r
        .node_ids()
        .map(|id| {
            let id = id.unwrap();
            let lists = [
                pagegraph::Direction::Outgoing,
                pagegraph::Direction::Incoming,
            ]
            .map(|d| r.neighbors(id, d, None).unwrap());
            (
                id.0.to_be_bytes().to_vec(),
                format!("{lists:?}").into_bytes(),
            )
        })
        .collect();
    out.insert("adjacency".into(), adjacency);
    out
}

/// An edge list of `edges` random edges over `nodes` nodes, imported in batches of
/// `batch` lines (each batch a transaction, leaving free pages behind).
fn imported(dir: &Path, edges: u64, nodes: u64, batch: u64) -> std::path::PathBuf {
    let mut rng = fastrand::Rng::with_seed(42);
    let mut text = String::new();
    for _ in 0..edges {
        writeln!(text, "{} {}", rng.u64(0..nodes), rng.u64(0..nodes)).unwrap();
    }
    let e = write(&dir.join("e.txt"), &text);
    let db = dir.join("g.pgdb");
    ok(&[
        "import",
        s(&db),
        "--edges",
        s(&e),
        "--batch",
        &batch.to_string(),
    ]);
    db
}

/// Files in `dir` whose names start with `prefix`.
fn files_starting(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[test]
fn compact_shrinks_the_file_and_keeps_every_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported(dir.path(), 20_000, 3000, 500);
    let before = dump(&db);
    let stats = json_of(&["stats", s(&db)]);
    assert!(stats["free_pages"].as_u64().unwrap() > 0, "{stats}");
    let size_before = std::fs::metadata(&db).unwrap().len();

    let v = json_of(&["compact", s(&db)]);
    assert_eq!(v["file_bytes_before"].as_u64(), Some(size_before), "{v}");
    assert_eq!(v["free_pages_after"].as_u64(), Some(0), "{v}");
    let size_after = std::fs::metadata(&db).unwrap().len();
    assert_eq!(v["bytes_after"].as_u64(), Some(size_after), "{v}");
    assert!(size_after < size_before, "{v}");

    assert_eq!(dump(&db), before);
    assert_eq!(json_of(&["check", s(&db)])["clean"], true);
    let stats = json_of(&["stats", s(&db)]);
    assert_eq!(stats["free_pages"], 0, "{stats}");
    assert_eq!(
        (stats["nodes"].as_u64(), stats["edges"].as_u64()),
        (Some(3000), Some(20_000))
    );
    assert_eq!(files_starting(dir.path(), "g.pgdb"), ["g.pgdb"]);

    // The text form names both sizes; a second compaction finds nothing to free.
    let out = ok(&["compact", s(&db)]);
    assert!(
        out.starts_with("compacted ") && out.contains(" -> "),
        "{out}"
    );
    assert_eq!(std::fs::metadata(&db).unwrap().len(), size_after);
    assert_eq!(dump(&db), before);
}

#[test]
fn compact_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.pgdb");
    let err = fails(&["compact", s(&missing)]);
    assert!(err.contains("no such database"), "{err}");
    assert!(!missing.exists(), "compact must not create a database");
    let out = bin()
        .args(["compact", s(&missing), "--allow-unclean"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_killed_compaction_leaves_the_database_whole() {
    let rounds = if std::env::var_os("PAGEGRAPH_STRESS").is_some() {
        30
    } else {
        3
    };
    let dir = tempfile::tempdir().unwrap();
    let original = imported(dir.path(), 150_000, 20_000, 5000);
    let expected = dump(&original);
    // How long a whole compaction takes here, so kills land inside one.
    let timed = dir.path().join("timed.pgdb");
    std::fs::copy(&original, &timed).unwrap();
    let started = Instant::now();
    ok(&["compact", s(&timed)]);
    let full_ms = u64::try_from(started.elapsed().as_millis())
        .unwrap()
        .max(10);

    let mut rng = fastrand::Rng::with_seed(7);
    let mut mid_run = 0;
    let mut round = 0;
    while round < rounds || (mid_run == 0 && round < rounds * 5) {
        round += 1;
        let db = dir.path().join(format!("k{round}.pgdb"));
        std::fs::copy(&original, &db).unwrap();
        let mut child = bin()
            .args(["compact", s(&db)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(0..full_ms)));
        if child.try_wait().unwrap().is_none() {
            mid_run += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let check = json_of(&["check", s(&db)]);
        assert_eq!(check["clean"], true, "round {round}: {check}");
        assert!(dump(&db) == expected, "round {round}: the content changed");
        // A later compaction completes, and removes what the killed one left.
        ok(&["compact", s(&db)]);
        assert!(
            dump(&db) == expected,
            "round {round}: after a full compaction"
        );
        let name = format!("k{round}.pgdb");
        assert_eq!(files_starting(dir.path(), &name), [name], "round {round}");
    }
    assert!(mid_run > 0, "no kill landed during a compaction");
}
