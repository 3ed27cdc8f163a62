//! `pagegraph shell` fed by a pipe: multi-line statements, `:schema` of a hand-built graph,
//! parameters, output modes, tables fitted to a width, errors that do not stop the script,
//! exit codes, per-statement commits and `--read-only`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use common::{bin, ok, s, text};

/// Runs `pagegraph shell DB ARGS` with `input` on stdin; `columns` sets `COLUMNS`.
fn shell_with(db: &Path, args: &[&str], input: &str, columns: Option<&str>) -> Output {
    let mut cmd = bin();
    cmd.arg("shell")
        .arg(db)
        .args(args)
        .env_remove("COLUMNS")
        .env("PAGEGRAPH_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    let mut child = cmd.spawn().unwrap();
    // A shell that stops early (a database it cannot open) may exit before reading its
    // input: the pipe closing under the write is then expected, not a failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(input.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "{err}"
    );
    out
}

fn shell(db: &Path, input: &str) -> Output {
    shell_with(db, &[], input, None)
}

/// Runs a script that must succeed (exit 0); returns stdout.
fn shell_ok(db: &Path, input: &str) -> String {
    let out = shell(db, input);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

const GRAPH: &str = "CREATE (ann:Person {name: 'Ann', age: 41}),
       (bob:Person:Admin {name: 'Bob'}),
       (paris:City {name: 'Paris', pop: 2100000}),
       (ann)-[:KNOWS {since: 2020}]->(bob),
       (bob)-[:KNOWS]->(ann),
       (ann)-[:LIVES_IN]->(paris);
CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS UNIQUE;
";

fn graph(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("g.pgdb");
    let out = shell(&db, GRAPH);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).trim(),
        "3 nodes created, 3 relationships created, 4 labels added, 6 properties set"
    );
    db
}

#[test]
fn statements_span_lines_and_share_lines() {
    let dir = tempfile::tempdir().unwrap();
    let db = graph(dir.path());
    let out = shell_ok(
        &db,
        "MATCH (p:Person)
           // a comment; not the end
           WHERE p.name <> 'a;b'
         RETURN p.name AS name,
                p.age AS age
         ORDER BY name;
         RETURN 1 AS one; RETURN 'x;y' AS `a;b`;
         /* a block comment;
            over two lines */ MATCH (c:City) RETURN c.pop AS pop",
    );
    assert_eq!(
        out,
        "name  | age\n\
         ------+-----\n\
         'Ann' | 41\n\
         'Bob' | null\n\
         (2 rows)\n\
         one\n\
         ---\n\
         1\n\
         (1 row)\n\
         a;b\n\
         -----\n\
         'x;y'\n\
         (1 row)\n\
         pop\n\
         -------\n\
         2100000\n\
         (1 row)\n"
    );
}

#[test]
fn schema_lists_labels_types_property_keys_and_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let db = graph(dir.path());
    let out = shell_ok(&db, ":schema\n");
    assert_eq!(
        out,
        "labels (3)\n\
         \x20 Admin   1 node\n\
         \x20 City    1 node\n\
         \x20 Person  2 nodes\n\
         relationship types (2)\n\
         \x20 KNOWS     2 relationships\n\
         \x20 LIVES_IN  1 relationship\n\
         property keys (4)\n\
         \x20 age, name, pop, since\n\
         indexes (1)\n\
         \x20 name         target   properties  unique  state  entries\n\
         \x20 person_name  :Person  name        yes     ready  2\n"
    );
    // An empty database has an empty schema.
    let empty = shell_ok(&dir.path().join("empty.pgdb"), ":schema\n");
    assert_eq!(
        empty,
        "labels (0)\nrelationship types (0)\nproperty keys (0)\nindexes (0)\n"
    );
}

#[test]
fn parameters_apply_to_the_statements_that_follow() {
    let dir = tempfile::tempdir().unwrap();
    let db = graph(dir.path());
    let out = shell(
        &db,
        ":param name 'Ann'
:param $names [\"Bob\", \"Ann\"]
:param min 40
:param word plain text
:params
MATCH (p:Person {name: $name}) RETURN p.age AS age;
MATCH (p:Person) WHERE p.name IN $names AND coalesce(p.age, 0) < $min RETURN p.name AS n, $word AS w;
:param name
:params
MATCH (p:Person {name: $name}) RETURN p;
",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "$min = 40\n\
         $name = 'Ann'\n\
         $names = ['Bob', 'Ann']\n\
         $word = 'plain text'\n\
         age\n\
         ---\n\
         41\n\
         (1 row)\n\
         n     | w\n\
         ------+-------------\n\
         'Bob' | 'plain text'\n\
         (1 row)\n\
         $min = 40\n\
         $names = ['Bob', 'Ann']\n\
         $word = 'plain text'\n"
    );
    assert_eq!(
        text(&out.stderr),
        "pagegraph: line 10: missing parameter $name\n"
    );
}

#[test]
fn modes_print_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = graph(dir.path());
    let out = shell_ok(
        &db,
        ":mode csv
MATCH (p:Person) RETURN p.name AS name, labels(p) AS labels, p.age AS age ORDER BY name;
:mode json
MATCH (a)-[k:KNOWS]->(b) WHERE k.since IS NOT NULL RETURN a.name AS a, k.since AS since, b;
:mode table
RETURN 'back to tables' AS t;
",
    );
    let (csv, rest) = out.split_once('{').unwrap();
    assert_eq!(
        csv,
        "name,labels,age\nAnn,['Person'],41\nBob,\"['Person', 'Admin']\",null\n"
    );
    let (json, table) = rest.rsplit_once("}\n").unwrap();
    let v: serde_json::Value = serde_json::from_str(&format!("{{{json}}}")).unwrap();
    assert_eq!(v["columns"], serde_json::json!(["a", "since", "b"]));
    assert_eq!(v["rows"][0]["a"], "Ann");
    assert_eq!(v["rows"][0]["since"], 2020);
    assert_eq!(v["rows"][0]["b"]["name"], "Bob");
    assert_eq!(
        v["rows"][0]["b"]["_labels"],
        serde_json::json!(["Person", "Admin"])
    );
    assert_eq!(table, "t\n----------------\n'back to tables'\n(1 row)\n");
    // --json starts in JSON mode; --mode csv in CSV.
    let out = shell_with(&db, &["--mode", "csv"], "RETURN 1 AS x, 'a,b' AS y;", None);
    assert_eq!(text(&out.stdout), "x,y\n1,\"a,b\"\n");
    let out = bin()
        .args(["--json", "shell", s(&db)])
        .env("PAGEGRAPH_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"RETURN 2 AS x;")?;
            c.wait_with_output()
        })
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], serde_json::json!([{"x": 2}]));
}

#[test]
fn tables_fit_the_width_and_cut_cells_with_an_ellipsis() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.pgdb");
    let script = "RETURN 'a long text that cannot fit in thirty columns' AS long, 7 AS n, 'line\nbreak' AS s;";
    let out = shell_with(&db, &[], script, Some("30"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout,
        "long         | n | s\n\
         -------------+---+------------\n\
         'a long tex… | 7 | 'line\\nbre…\n\
         (1 row)\n"
    );
    for line in stdout.lines() {
        assert!(line.chars().count() <= 30, "{line}");
    }
    // Without a width, cells are cut at 80 characters only.
    let out = shell_with(&db, &[], script, None);
    assert!(text(&out.stdout).contains("'a long text that cannot fit in thirty columns'"));
}

#[test]
fn an_error_is_reported_and_the_next_statements_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = graph(dir.path());
    let out = shell(
        &db,
        "RETURN 1 AS ok;
MATCH (p:Person
  RETURN p;
:nonsense
MATCH (p:Person) RETURN count(p) AS people;
",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "ok\n--\n1\n(1 row)\npeople\n------\n2\n(1 row)\n"
    );
    let err = text(&out.stderr);
    assert!(
        err.starts_with(
            "pagegraph: line 2: syntax error at line 2, column 3: expected `)`, found `RETURN`\n"
        ),
        "{err}"
    );
    assert!(err.contains("\n    RETURN p\n    ^\n"), "{err}");
    assert!(
        err.ends_with(
            "pagegraph: line 4: unknown command or arguments `:nonsense` (:help lists the commands)\n"
        ),
        "{err}"
    );
}

#[test]
fn exit_status_is_zero_only_when_everything_ran() {
    let dir = tempfile::tempdir().unwrap();
    let db = graph(dir.path());
    let out = shell(&db, "MATCH (n) RETURN count(n) AS c;\n");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "c\n-\n3\n(1 row)\n");
    // Only blank lines and comments: nothing runs, nothing fails.
    let out = shell(&db, "\n// nothing\n/* at all */\n");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    // A runtime error.
    let out = shell(&db, "RETURN 1 / 0 AS x;\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("pagegraph: line 1: "));
    // :quit stops reading: what follows it does not run (and cannot fail).
    let out = shell(&db, "RETURN 5 AS five;\n:quit\nRETURN nonsense(;\n");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "five\n----\n5\n(1 row)\n");
    // A database that cannot be opened is an error of the command.
    let out = shell_with(
        &dir.path().join("missing.pgdb"),
        &["--read-only"],
        "RETURN 1;",
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("pagegraph: "));
}

#[test]
fn each_statement_commits_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = graph(dir.path());
    // The second statement breaks the unique constraint after creating a node: it changes
    // nothing, while the statements around it commit.
    let out = shell(
        &db,
        "CREATE (:Person {name: 'Cy'});
CREATE (:Person {name: 'Dee'}), (:Person {name: 'Ann'});
MATCH (p:Person {name: 'Bob'}) SET p.age = 50;
",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("pagegraph: line 2: "), "{err}");
    let names = ok(&[
        "query",
        s(&db),
        "MATCH (p:Person) RETURN p.name, p.age ORDER BY p.name",
        "--csv",
    ]);
    assert_eq!(names, "p.name,p.age\nAnn,41\nBob,50\nCy,null\n", "{err}");
}

#[test]
fn read_only_refuses_writes_and_reads_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = graph(dir.path());
    let out = shell_with(
        &db,
        &["--read-only"],
        "CREATE (:Person {name: 'Eve'});\nMATCH (p:Person) RETURN count(*) AS n;\n",
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "n\n-\n2\n(1 row)\n");
    assert!(text(&out.stderr).starts_with("pagegraph: line 1: "));
}

#[test]
fn timing_prints_each_statements_time_when_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.pgdb");
    let out = shell(
        &db,
        "RETURN 1;\n:timing on\nRETURN 2;\nRETURN 3;\n:timing off\nRETURN 4;\n:timing\n",
    );
    assert!(out.status.success());
    let err = text(&out.stderr);
    let times: Vec<&str> = err.lines().collect();
    assert_eq!(times.len(), 2, "{err}");
    for t in times {
        let ms = t
            .strip_prefix("time: ")
            .and_then(|t| t.strip_suffix(" ms"))
            .unwrap_or_else(|| panic!("{t}"));
        assert!(ms.parse::<f64>().unwrap() >= 0.0);
    }
    assert!(text(&out.stdout).ends_with("timing is off\n"));
}

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = shell_ok(&dir.path().join("h.pgdb"), ":help\n:mode csv\n:help\n");
    for cmd in [
        ":schema",
        ":mode table|csv|json",
        ":timing on|off",
        ":param NAME VALUE",
        ":params",
        ":quit",
    ] {
        assert_eq!(
            out.matches(&format!("\n  {cmd} ")).count(),
            2,
            "{cmd}: {out}"
        );
    }
    assert!(
        out.contains("(now: table)") && out.contains("(now: csv)"),
        "{out}"
    );
}

/// A child process killed if the test fails before it ends (a statement that runs for
/// hours would otherwise outlive the test).
#[cfg(unix)]
struct KillOnDrop(std::process::Child);

#[cfg(unix)]
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The shell on a terminal (a pseudo-terminal): prompts, a statement over two lines, a
/// running statement cancelled by SIGINT (what Ctrl-C sends) without ending the shell,
/// Ctrl-D to leave, and the history file it leaves.
#[cfg(unix)]
#[test]
fn on_a_terminal_it_prompts_cancels_on_interrupt_and_keeps_history() {
    use std::io::Read;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use nix::pty::{Winsize, openpty};
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let size = Winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&size), None).unwrap();
    let slave = std::fs::File::from(pty.slave);
    let mut child = bin()
        .arg("shell")
        .arg(dir.path().join("t.pgdb"))
        .env("PAGEGRAPH_HISTORY", &history)
        .env("TERM", "xterm")
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .spawn()
        .map(KillOnDrop)
        .unwrap();
    let mut master = std::fs::File::from(pty.master);
    let mut input = master.try_clone().unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let reader = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = master.read(&mut buf) {
            reader
                .lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    // Waits until the output holds `what` `times` times; `poke` runs while it waits.
    let wait_for = |what: &str, times: usize, poke: &dyn Fn()| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen.lock().unwrap().matches(what).count() < times {
            assert!(
                Instant::now() < deadline,
                "no {what:?} in {:?}",
                seen.lock().unwrap()
            );
            poke();
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let nothing = || {};
    wait_for("pagegraph> ", 1, &nothing);
    input.write_all(b"UNWIND [1, 2, 3] AS x\r").unwrap();
    wait_for("..> ", 1, &nothing);
    input.write_all(b"RETURN sum(x) AS total;\r").unwrap();
    wait_for("(1 row)", 1, &nothing);
    assert!(seen.lock().unwrap().contains("total\r\n-----\r\n6\r\n"));
    // A statement that would run for hours: interrupted until it reports its cancellation.
    input
        .write_all(
            b"UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b \
              WITH a WHERE a < 0 RETURN count(*);\r",
        )
        .unwrap();
    let pid = Pid::from_raw(i32::try_from(child.0.id()).unwrap());
    let interrupt = || {
        std::thread::sleep(Duration::from_millis(200));
        let _ = kill(pid, Signal::SIGINT);
    };
    wait_for("error: the query was cancelled", 1, &interrupt);
    // The shell goes on.
    input.write_all(b"RETURN 40 + 2 AS answer;\r").unwrap();
    wait_for("(1 row)", 2, &nothing);
    assert!(seen.lock().unwrap().contains("answer\r\n------\r\n42\r\n"));
    input.write_all(b"\x04").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the shell did not leave on Ctrl-D"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(
        saved.contains("UNWIND [1, 2, 3] AS x") && saved.contains("RETURN 40 + 2 AS answer;"),
        "{saved}"
    );
}

/// `--memory-limit` holds for each statement: one past it fails with the limit's error and
/// the script goes on (exit status 1 at the end), the next statement runs.
#[test]
fn statements_past_the_memory_limit_fail_and_the_script_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.pgdb");
    let out = shell_with(
        &db,
        &["--memory-limit", "1M", "--mode", "csv"],
        "UNWIND range(1, 20000) AS x RETURN DISTINCT x;\nUNWIND range(1, 20000) AS x RETURN count(DISTINCT x % 7) AS n;\n",
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("memory limit of 1.0 MiB"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("n\n7\n"),
        "{}",
        text(&out.stdout)
    );
}
