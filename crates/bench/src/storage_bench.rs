//! Storage-engine benchmark: `pagegraph-storage` against SQLite (`rusqlite`, bundled), on the
//! same generated data, in the same run, interleaved A B A B, reporting medians and ratios.
//!
//! Workloads (the storage-engine issue):
//! (a) N random 16-byte keys with 100-byte values inserted in one transaction;
//! (b) the same in N/1000 transactions of 1000;
//! (c) N random point reads after a warm-up pass;
//! (d) a full ordered scan, reading every key and value without copying them;
//! (e) durable single-insert commits (`Durability::Full` against `synchronous=FULL`), with
//!     the raw `fdatasync` latency of a small write on the same disk as the yardstick.
//!
//! Memory is equal: SQLite's page cache is `PAGE_MEMORY_BYTES`; pagegraph holds at most
//! `2 * cache_pages` page buffers (shared cache plus the writer's dirty set), so it gets
//! `cache_pages = PAGE_MEMORY_BYTES / 2 / 4096`. pagegraph runs (a)-(d) with
//! `Durability::Normal` and SQLite with WAL and `synchronous=NORMAL`: the same promise (a
//! commit survives a process crash; fsync at checkpoint). Inserts use `put` and
//! `INSERT OR REPLACE`: neither reports whether the key existed.
//!
//! Usage: `cargo run --release -p pagegraph-bench --bin storage-bench -- [N] [RUNS]`
//! (defaults 1000000 and 3). `BENCH_DIR` picks the directory for the files.

mod measure;
use measure::median;

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use pagegraph_storage::{Database, Durability, Options};
use rusqlite::{Connection, params};

const PAGE_MEMORY_BYTES: usize = 64 << 20;
const VALUE_LEN: usize = 100;
const DURABLE_COMMITS: usize = 200;

fn keys(n: usize, seed: u64) -> Vec<[u8; 16]> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n).map(|_| rng.u128(..).to_le_bytes()).collect()
}

fn value(k: &[u8; 16]) -> [u8; VALUE_LEN] {
    let mut v = [0u8; VALUE_LEN];
    for (i, b) in v.iter_mut().enumerate() {
        *b = k[i % 16] ^ (i as u8);
    }
    v
}

fn pg_options(durability: Durability) -> Options {
    Options::default()
        .cache_pages(PAGE_MEMORY_BYTES / 2 / 4096)
        .durability(durability)
}

fn sqlite(path: &Path, sync: &str) -> Result<Connection> {
    let c = Connection::open(path)?;
    c.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA cache_size=-{};
         CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;",
        PAGE_MEMORY_BYTES / 1024
    ))?;
    Ok(c)
}

/// Timings of one run of every workload for one engine.
#[derive(Default, Clone)]
struct Run {
    load_one: Duration,
    load_batched: Duration,
    reads: Duration,
    scan: Duration,
    durable: Duration,
    /// Raw `fdatasync` of a 128-byte write, interleaved with the durable commits.
    raw_fsync: Duration,
    /// The same single-insert commit without the fsync (`Durability::Normal`).
    normal_commit: Duration,
}

fn pagegraph_run(dir: &Path, keys: &[[u8; 16]], probes: &[[u8; 16]]) -> Result<Run> {
    let mut run = Run::default();
    let db = Database::open(dir.join("one.pgdb"), pg_options(Durability::Normal))?;
    let t = Instant::now();
    let mut tx = db.begin_write()?;
    {
        let mut tree = tx.tree("kv")?;
        for k in keys {
            tree.put(k, &value(k))?;
        }
    }
    tx.commit()?;
    run.load_one = t.elapsed();

    let db2 = Database::open(dir.join("batched.pgdb"), pg_options(Durability::Normal))?;
    let t = Instant::now();
    for chunk in keys.chunks(1000) {
        let mut tx = db2.begin_write()?;
        let mut tree = tx.tree("kv")?;
        for k in chunk {
            tree.put(k, &value(k))?;
        }
        tx.commit()?;
    }
    run.load_batched = t.elapsed();
    db2.close()?;

    let r = db.begin_read()?;
    let tree = r.tree("kv")?.context("tree missing")?;
    for k in probes.iter().take(probes.len() / 10) {
        tree.get(k)?;
    }
    let t = Instant::now();
    let mut found = 0usize;
    for k in probes {
        found += usize::from(tree.get(k)?.is_some());
    }
    run.reads = t.elapsed();
    anyhow::ensure!(found == probes.len(), "pagegraph lost keys");
    let t = Instant::now();
    let mut count = 0usize;
    let mut range = tree.iter();
    while let Some(item) = range.next_ref() {
        let (k, v) = item?;
        count += usize::from(k.len() + v.len() == 16 + VALUE_LEN);
    }
    run.scan = t.elapsed();
    anyhow::ensure!(count == keys.len(), "pagegraph scan saw {count} entries");
    drop(r);
    db.close()?;

    let db3 = Database::open(dir.join("durable.pgdb"), pg_options(Durability::Full))?;
    // Interleaved with raw fsyncs on the same disk (A B A B), so drift hits both alike.
    let raw = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(dir.join("fsync.bin"))?;
    // The floor: overwriting already allocated blocks, as the WAL does, so no allocation or
    // size change is journaled.
    raw.write_all_at(&vec![0u8; DURABLE_COMMITS * 128 + 4096], 0)?;
    raw.sync_all()?;
    let (mut times, mut raw_times) = (Vec::new(), Vec::new());
    for (i, k) in keys.iter().take(DURABLE_COMMITS).enumerate() {
        let t = Instant::now();
        let mut tx = db3.begin_write()?;
        tx.tree("kv")?.insert(k, &value(k))?;
        tx.commit()?;
        times.push(t.elapsed());
        let t = Instant::now();
        raw.write_all_at(&[i as u8; 128], (i * 128) as u64)?;
        raw.sync_data()?;
        raw_times.push(t.elapsed());
    }
    run.durable = median(times);
    run.raw_fsync = median(raw_times);
    drop(db3);
    let db4 = Database::open(dir.join("normal.pgdb"), pg_options(Durability::Normal))?;
    let mut times = Vec::new();
    for k in keys.iter().take(DURABLE_COMMITS) {
        let t = Instant::now();
        let mut tx = db4.begin_write()?;
        tx.tree("kv")?.insert(k, &value(k))?;
        tx.commit()?;
        times.push(t.elapsed());
    }
    run.normal_commit = median(times);
    Ok(run)
}

fn sqlite_run(dir: &Path, keys: &[[u8; 16]], probes: &[[u8; 16]]) -> Result<Run> {
    let mut run = Run::default();
    let insert = "INSERT OR REPLACE INTO kv(k, v) VALUES (?1, ?2)";
    let mut c = sqlite(&dir.join("one.sqlite"), "NORMAL")?;
    let t = Instant::now();
    {
        let tx = c.transaction()?;
        {
            let mut ins = tx.prepare(insert)?;
            for k in keys {
                ins.execute(params![&k[..], &value(k)[..]])?;
            }
        }
        tx.commit()?;
    }
    run.load_one = t.elapsed();

    let mut c2 = sqlite(&dir.join("batched.sqlite"), "NORMAL")?;
    let t = Instant::now();
    for chunk in keys.chunks(1000) {
        let tx = c2.transaction()?;
        {
            let mut ins = tx.prepare_cached(insert)?;
            for k in chunk {
                ins.execute(params![&k[..], &value(k)[..]])?;
            }
        }
        tx.commit()?;
    }
    run.load_batched = t.elapsed();

    let mut get = c.prepare("SELECT v FROM kv WHERE k = ?1")?;
    for k in probes.iter().take(probes.len() / 10) {
        get.query_row(params![&k[..]], |r| r.get::<_, Vec<u8>>(0))?;
    }
    let t = Instant::now();
    let mut found = 0usize;
    for k in probes {
        let v: Vec<u8> = get.query_row(params![&k[..]], |r| r.get(0))?;
        found += usize::from(!v.is_empty());
    }
    run.reads = t.elapsed();
    anyhow::ensure!(found == probes.len(), "sqlite lost keys");
    let t = Instant::now();
    let mut scan = c.prepare("SELECT k, v FROM kv ORDER BY k")?;
    let mut rows = scan.query([])?;
    let mut count = 0usize;
    while let Some(row) = rows.next()? {
        let k = row.get_ref(0)?.as_blob()?.len();
        let v = row.get_ref(1)?.as_blob()?.len();
        count += usize::from(k + v == 16 + VALUE_LEN);
    }
    run.scan = t.elapsed();
    anyhow::ensure!(count == keys.len(), "sqlite scan saw {count} rows");

    let c3 = sqlite(&dir.join("durable.sqlite"), "FULL")?;
    let mut ins = c3.prepare(insert)?;
    let mut times = Vec::with_capacity(DURABLE_COMMITS);
    for k in keys.iter().take(DURABLE_COMMITS) {
        let t = Instant::now();
        ins.execute(params![&k[..], &value(k)[..]])?;
        times.push(t.elapsed());
    }
    run.durable = median(times);
    Ok(run)
}

/// One row of the table: its label, how to read its time from a run, and whether it is a
/// throughput (per N items) or a latency.
struct Row {
    label: &'static str,
    time: fn(&Run) -> Duration,
    throughput: bool,
}

const ROWS: [Row; 5] = [
    Row {
        label: "(a) insert N random keys, 1 txn",
        time: |r| r.load_one,
        throughput: true,
    },
    Row {
        label: "(b) insert N random keys, N/1000 txns",
        time: |r| r.load_batched,
        throughput: true,
    },
    Row {
        label: "(c) N random point reads",
        time: |r| r.reads,
        throughput: true,
    },
    Row {
        label: "(d) full ordered scan",
        time: |r| r.scan,
        throughput: true,
    },
    Row {
        label: "(e) durable 1-insert commit (median latency)",
        time: |r| r.durable,
        throughput: false,
    },
];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(1_000_000), |s| s.parse())?;
    let runs: usize = args.get(2).map_or(Ok(3), |s| s.parse())?;
    let keys = keys(n, 1);
    let mut probes = keys.clone();
    fastrand::Rng::with_seed(2).shuffle(&mut probes);
    let base = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let (mut pg, mut sq) = (Vec::new(), Vec::new());
    for i in 0..runs {
        eprintln!("run {}/{runs}: pagegraph", i + 1);
        let dir = tempfile::tempdir_in(&base)?;
        pg.push(pagegraph_run(dir.path(), &keys, &probes)?);
        eprintln!("run {}/{runs}: sqlite", i + 1);
        let dir = tempfile::tempdir_in(&base)?;
        sq.push(sqlite_run(dir.path(), &keys, &probes)?);
    }
    let fsync = median(pg.iter().map(|r| r.raw_fsync).collect());
    println!(
        "N = {n}, {runs} runs (median), page memory {} MiB each, value {VALUE_LEN} B",
        PAGE_MEMORY_BYTES >> 20
    );
    println!();
    println!("| workload | pagegraph | SQLite | SQLite / pagegraph |");
    println!("|---|---:|---:|---:|");
    let items = u32::try_from(n).unwrap_or(u32::MAX);
    for row in &ROWS {
        let a = median(pg.iter().map(row.time).collect());
        let b = median(sq.iter().map(row.time).collect());
        let fmt = |d: Duration| {
            if row.throughput {
                let per_second = f64::from(items) / d.as_secs_f64();
                format!("{:.3} s ({:.0} K/s)", d.as_secs_f64(), per_second / 1e3)
            } else {
                format!("{:.0} us", d.as_secs_f64() * 1e6)
            }
        };
        println!(
            "| {} | {} | {} | {:.2}x |",
            row.label,
            fmt(a),
            fmt(b),
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
    let durable = median(pg.iter().map(|r| r.durable).collect());
    println!();
    println!(
        "raw fdatasync of a 128-byte write, interleaved with the commits: {:.0} us; \
         pagegraph durable commit = {:.2}x raw fsync",
        fsync.as_secs_f64() * 1e6,
        durable.as_secs_f64() / fsync.as_secs_f64()
    );
    println!(
        "pagegraph single-insert commit without fsync (Normal): {:.1} us",
        median(pg.iter().map(|r| r.normal_commit).collect()).as_secs_f64() * 1e6
    );
    std::io::stdout().flush()?;
    Ok(())
}
