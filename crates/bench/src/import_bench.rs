//! Edge-list import: the `pagegraph import` command against SQLite, in the same run.
//!
//! ```sh
//! cargo build --release -p pagegraph-cli -p pagegraph-bench
//! target/release/import-bench 3 ../shared/datasets/email-Enron/Email-Enron.txt
//! target/release/import-bench --generate 10000000 2000000 /tmp/synthetic-10m.txt
//! ```
//!
//! Each import runs as its own child process, so its wall time includes start-up, opening
//! and closing (pagegraph checkpoints the WAL into the database file at close), and its
//! peak RSS (`VmHWM`) is its own. pagegraph: `pagegraph import DB --edges FILE` with its
//! defaults (batches of 2,000,000 lines, durability normal, 256 MiB page cache, 256 MiB
//! for the external-id map). SQLite (rusqlite, bundled): WAL, `synchronous=NORMAL`,
//! `nodes(id, kind, name, data)` and `edges(id, src, dst, type, data)` as in the graph
//! benchmark; one transaction; the external-id map in a `HashMap`; indexes on
//! `edges(src)`, `edges(dst)` and `nodes(name)` built after the rows (SQLite's fastest bulk
//! path). Engines alternate order run by run; medians of RUNS.

// Rates and sizes are printed for people; SQLite ids are small.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::many_single_char_names
)]

mod measure;
use measure::peak_rss;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

/// The child side of the SQLite import: prints `edges rss_bytes`.
fn sqlite_child(file: &Path, db: &Path) -> Result<()> {
    let mut conn = rusqlite::Connection::open(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE nodes(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, data TEXT);
         CREATE TABLE edges(id INTEGER PRIMARY KEY, src INTEGER NOT NULL, dst INTEGER NOT NULL, type TEXT NOT NULL, data TEXT);",
    )?;
    let tx = conn.transaction()?;
    let mut edges = 0u64;
    {
        let mut node =
            tx.prepare("INSERT INTO nodes(id, kind, name, data) VALUES (?1, 'node', ?2, NULL)")?;
        let mut edge =
            tx.prepare("INSERT INTO edges(src, dst, type, data) VALUES (?1, ?2, 'edge', ?3)")?;
        let mut ids: HashMap<String, i64> = HashMap::new();
        let mut resolve = |ext: &str| -> Result<i64> {
            if let Some(&id) = ids.get(ext) {
                return Ok(id);
            }
            let id = ids.len() as i64 + 1;
            node.execute(rusqlite::params![id, ext])?;
            ids.insert(ext.to_string(), id);
            Ok(id)
        };
        let reader = BufReader::with_capacity(1 << 16, std::fs::File::open(file)?);
        for line in reader.lines() {
            let line = line?;
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') || t.starts_with('%') {
                continue;
            }
            let mut f = t.split_ascii_whitespace();
            let (Some(u), Some(v)) = (f.next(), f.next()) else {
                bail!("bad line {t:?}");
            };
            let data = f.next().map(|w| format!("{{\"weight\":{w}}}"));
            let (a, b) = (resolve(u)?, resolve(v)?);
            edge.execute(rusqlite::params![a, b, data])?;
            edges += 1;
        }
    }
    tx.execute_batch(
        "CREATE INDEX edges_src ON edges(src); CREATE INDEX edges_dst ON edges(dst);
         CREATE INDEX nodes_name ON nodes(name);",
    )?;
    tx.commit()?;
    drop(conn);
    println!("{edges} {}", peak_rss());
    Ok(())
}

fn generate(edges: u64, vertices: u64, path: &Path) -> Result<()> {
    let mut rng = fastrand::Rng::with_seed(42);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        w,
        "# synthetic: {edges} uniform random edges over {vertices} vertices, seed 42"
    )?;
    for _ in 0..edges {
        writeln!(w, "{}\t{}", rng.u64(0..vertices), rng.u64(0..vertices))?;
    }
    w.flush()?;
    Ok(())
}

struct Sample {
    time: Duration,
    edges: u64,
    rss: u64,
}

fn pagegraph_once(bin: &Path, file: &Path, dir: &Path) -> Result<Sample> {
    let db = dir.join("pg.pgdb");
    let t = Instant::now();
    let out = Command::new(bin)
        .args([
            "import",
            db.to_str().context("path")?,
            "--edges",
            file.to_str().context("path")?,
            "--json",
        ])
        .output()?;
    let time = t.elapsed();
    ensure!(
        out.status.success(),
        "pagegraph import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let s = Sample {
        time,
        edges: v["edges"].as_u64().context("edges")?,
        rss: v["peak_rss_bytes"].as_u64().unwrap_or(0),
    };
    std::fs::remove_file(&db)?;
    let _ = std::fs::remove_file(pagegraph::storage::wal_path(&db));
    Ok(s)
}

fn sqlite_once(file: &Path, dir: &Path) -> Result<Sample> {
    let db = dir.join("sqlite.db");
    let t = Instant::now();
    let out = Command::new(std::env::current_exe()?)
        .args([
            "--sqlite-child",
            file.to_str().context("path")?,
            db.to_str().context("path")?,
        ])
        .output()?;
    let time = t.elapsed();
    ensure!(
        out.status.success(),
        "sqlite import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    let mut f = text.split_whitespace();
    let s = Sample {
        time,
        edges: f.next().context("edges")?.parse()?,
        rss: f.next().context("rss")?.parse()?,
    };
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    Ok(s)
}

fn median(mut v: Vec<Sample>) -> Sample {
    v.sort_by_key(|s| s.time);
    let n = v.len();
    v.swap_remove(n / 2)
}

fn mib(b: u64) -> f64 {
    b as f64 / f64::from(1 << 20)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--sqlite-child") if args.len() == 3 => {
            return sqlite_child(Path::new(&args[1]), Path::new(&args[2]));
        }
        Some("--generate") if args.len() == 4 => {
            return generate(args[1].parse()?, args[2].parse()?, Path::new(&args[3]));
        }
        _ => {}
    }
    let runs: usize = args
        .first()
        .context("usage: import-bench RUNS FILE...")?
        .parse()?;
    let files: Vec<PathBuf> = args[1..].iter().map(PathBuf::from).collect();
    ensure!(
        runs > 0 && !files.is_empty(),
        "usage: import-bench RUNS FILE..."
    );
    let bin = std::env::var_os("PAGEGRAPH_BIN").map_or_else(
        || std::env::current_exe().map(|p| p.with_file_name("pagegraph")),
        |p| Ok(PathBuf::from(p)),
    )?;
    ensure!(
        bin.exists(),
        "{} missing: cargo build --release -p pagegraph-cli",
        bin.display()
    );
    let dir = tempfile::Builder::new()
        .prefix("import-bench")
        .tempdir_in(std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from))?;
    println!("edge-list import, {runs} run(s) each, medians; wall time of the whole command\n");
    println!(
        "| file | edges | pagegraph | edges/s | peak RSS | SQLite | edges/s | peak RSS | SQLite / pagegraph |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for file in &files {
        let (mut pg, mut sq) = (Vec::new(), Vec::new());
        for run in 0..runs {
            if run % 2 == 0 {
                pg.push(pagegraph_once(&bin, file, dir.path())?);
                sq.push(sqlite_once(file, dir.path())?);
            } else {
                sq.push(sqlite_once(file, dir.path())?);
                pg.push(pagegraph_once(&bin, file, dir.path())?);
            }
        }
        let (p, s) = (median(pg), median(sq));
        ensure!(
            p.edges == s.edges,
            "edge counts differ: {} vs {}",
            p.edges,
            s.edges
        );
        let rate = |x: &Sample| x.edges as f64 / x.time.as_secs_f64();
        println!(
            "| {} | {} | {:.2} s | {:.0} K | {:.0} MiB | {:.2} s | {:.0} K | {:.0} MiB | {:.2}x |",
            file.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            p.edges,
            p.time.as_secs_f64(),
            rate(&p) / 1e3,
            mib(p.rss),
            s.time.as_secs_f64(),
            rate(&s) / 1e3,
            mib(s.rss),
            s.time.as_secs_f64() / p.time.as_secs_f64()
        );
    }
    Ok(())
}
