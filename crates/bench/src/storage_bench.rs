//! Storage-engine benchmark: pagegraph-storage against SQLite (rusqlite, bundled) on the
//! same generated data, in the same run, interleaved A B A B, reporting medians and ratios.
//!
//! Workloads (issue: storage engine):
//! (a) N random 16-byte keys with 100-byte values inserted in one transaction;
//! (b) the same in N/1000 transactions of 1000;
//! (c) N random point reads, warm;
//! (d) a full ordered scan;
//! (e) durable single-insert commits (`Durability::Full` against `synchronous=FULL`), with the
//!     raw `fdatasync` latency of a small write on the same disk as the yardstick.
//!
//! Both engines get the same page cache in bytes. pagegraph runs with `Durability::Normal`
//! for (a)-(d), SQLite with WAL and `synchronous=NORMAL`: the same promise (a commit survives
//! a process crash, fsync at checkpoint).
//!
//! Usage: `cargo run --release -p pagegraph-bench --bin storage-bench -- [N] [RUNS]`

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use pagegraph_storage::{Database, Durability, Options};
use rusqlite::{Connection, params};

/// Page memory each engine may use: SQLite gets all of it as its cache; pagegraph holds at
/// most `2 * cache_pages` page buffers (shared cache plus the writer's dirty set), so it
/// gets half of it as `cache_pages`.
const CACHE_BYTES: usize = 64 << 20;
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
        .cache_pages(
            std::env::var("PG_CACHE_PAGES")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(CACHE_BYTES / 2 / 4096),
        )
        .durability(durability)
}

fn sqlite(path: &Path, sync: &str) -> Result<Connection> {
    let c = Connection::open(path)?;
    c.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA cache_size=-{};
         CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;",
        std::env::var("SQ_CACHE_KB")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(CACHE_BYTES / 1024)
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
}

fn pagegraph_run(dir: &Path, keys: &[[u8; 16]], probes: &[[u8; 16]]) -> Result<Run> {
    let mut run = Run::default();
    let path = dir.join("one.pgdb");
    let db = Database::open(&path, pg_options(Durability::Normal))?;
    let t = Instant::now();
    let mut tx = db.begin_write()?;
    {
        let mut tree = tx.tree("kv")?;
        for k in keys {
            tree.insert(k, &value(k))?;
        }
    }
    let before_commit = t.elapsed();
    tx.commit()?;
    run.load_one = t.elapsed();
    if std::env::var_os("BENCH_ONLY_PAGEGRAPH").is_some() {
        eprintln!(
            "(a) inserts {before_commit:?}, commit {:?}",
            run.load_one - before_commit
        );
    }

    let path2 = dir.join("batched.pgdb");
    let db2 = Database::open(&path2, pg_options(Durability::Normal))?;
    let t = Instant::now();
    for chunk in keys.chunks(1000) {
        let mut tx = db2.begin_write()?;
        let mut tree = tx.tree("kv")?;
        for k in chunk {
            tree.insert(k, &value(k))?;
        }
        tx.commit()?;
    }
    run.load_batched = t.elapsed();
    db2.close()?;

    let r = db.begin_read()?;
    let tree = r
        .tree("kv")?
        .ok_or_else(|| anyhow::anyhow!("tree missing"))?;
    for k in probes.iter().take(probes.len() / 10) {
        tree.get(k)?; // warm-up
    }
    let t = Instant::now();
    let mut found = 0usize;
    for k in probes {
        found += usize::from(tree.get(k)?.is_some());
    }
    run.reads = t.elapsed();
    assert_eq!(found, probes.len());
    let t = Instant::now();
    let mut count = 0usize;
    for item in &tree {
        let (k, v) = item?;
        count += k.len() + v.len() - 115;
    }
    run.scan = t.elapsed();
    assert_eq!(count, keys.len());
    drop(r);
    db.close()?;

    let path3 = dir.join("durable.pgdb");
    let db3 = Database::open(&path3, pg_options(Durability::Full))?;
    let t = Instant::now();
    for k in keys.iter().take(DURABLE_COMMITS) {
        let mut tx = db3.begin_write()?;
        tx.tree("kv")?.insert(k, &value(k))?;
        tx.commit()?;
    }
    run.durable = t.elapsed() / DURABLE_COMMITS as u32;
    Ok(run)
}

fn sqlite_run(dir: &Path, keys: &[[u8; 16]], probes: &[[u8; 16]]) -> Result<Run> {
    let mut run = Run::default();
    let mut c = sqlite(&dir.join("one.sqlite"), "NORMAL")?;
    let t = Instant::now();
    {
        let tx = c.transaction()?;
        {
            let mut ins = tx.prepare("INSERT OR REPLACE INTO kv(k, v) VALUES (?1, ?2)")?;
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
            let mut ins = tx.prepare_cached("INSERT OR REPLACE INTO kv(k, v) VALUES (?1, ?2)")?;
            for k in chunk {
                ins.execute(params![&k[..], &value(k)[..]])?;
            }
        }
        tx.commit()?;
    }
    run.load_batched = t.elapsed();

    {
        let mut get = c.prepare("SELECT v FROM kv WHERE k = ?1")?;
        for k in probes.iter().take(probes.len() / 10) {
            let _: Option<Vec<u8>> = get.query_row(params![&k[..]], |r| r.get(0)).ok();
        }
        let t = Instant::now();
        let mut found = 0usize;
        for k in probes {
            let v: Vec<u8> = get.query_row(params![&k[..]], |r| r.get(0))?;
            found += usize::from(!v.is_empty());
        }
        run.reads = t.elapsed();
        assert_eq!(found, probes.len());
        let t = Instant::now();
        let mut scan = c.prepare("SELECT k, v FROM kv ORDER BY k")?;
        let mut rows = scan.query([])?;
        let mut count = 0usize;
        while let Some(row) = rows.next()? {
            let k: Vec<u8> = row.get(0)?;
            let v: Vec<u8> = row.get(1)?;
            count += k.len() + v.len() - 115;
        }
        run.scan = t.elapsed();
        assert_eq!(count, keys.len());
    }

    let c3 = sqlite(&dir.join("durable.sqlite"), "FULL")?;
    let t = Instant::now();
    {
        let mut ins = c3.prepare("INSERT OR REPLACE INTO kv(k, v) VALUES (?1, ?2)")?;
        for k in keys.iter().take(DURABLE_COMMITS) {
            ins.execute(params![&k[..], &value(k)[..]])?;
        }
    }
    run.durable = t.elapsed() / DURABLE_COMMITS as u32;
    Ok(run)
}

/// Median latency of writing 128 bytes and `fdatasync`ing, on the benchmark's disk.
fn raw_fsync(dir: &Path) -> Result<Duration> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(dir.join("fsync.bin"))?;
    let mut times = Vec::with_capacity(DURABLE_COMMITS);
    for i in 0..DURABLE_COMMITS {
        let t = Instant::now();
        f.write_all_at(&[i as u8; 128], (i * 128) as u64)?;
        f.sync_data()?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(1_000_000), |s| s.parse())?;
    let runs: usize = args.get(2).map_or(Ok(3), |s| s.parse())?;
    let keys = keys(n, 1);
    let mut probes = keys.clone();
    fastrand::Rng::with_seed(2).shuffle(&mut probes);
    let base = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let (mut pg, mut sq, mut fs) = (Vec::new(), Vec::new(), Vec::new());
    if std::env::var_os("BENCH_ONLY_SQLITE").is_some() {
        let dir = tempfile::tempdir_in(&base)?;
        let r = sqlite_run(dir.path(), &keys, &probes)?;
        eprintln!(
            "sqlite a {:?} b {:?} c {:?} d {:?} e {:?}",
            r.load_one, r.load_batched, r.reads, r.scan, r.durable
        );
        return Ok(());
    }
    if std::env::var_os("BENCH_ONLY_PAGEGRAPH").is_some() {
        let dir = tempfile::tempdir_in(&base)?;
        let t = Instant::now();
        let r = pagegraph_run(dir.path(), &keys, &probes)?;
        eprintln!(
            "a {:?} b {:?} c {:?} d {:?} e {:?} total {:?}",
            r.load_one,
            r.load_batched,
            r.reads,
            r.scan,
            r.durable,
            t.elapsed()
        );
        return Ok(());
    }
    for i in 0..runs {
        eprintln!("run {}/{runs}: pagegraph", i + 1);
        let dir = tempfile::tempdir_in(&base)?;
        pg.push(pagegraph_run(dir.path(), &keys, &probes)?);
        eprintln!("run {}/{runs}: sqlite", i + 1);
        let dir = tempfile::tempdir_in(&base)?;
        sq.push(sqlite_run(dir.path(), &keys, &probes)?);
        fs.push(raw_fsync(dir.path())?);
    }
    let fsync = median(fs);
    let rows: [(&str, fn(&Run) -> Duration, bool); 5] = [
        ("(a) insert N random keys, 1 txn", |r| r.load_one, true),
        (
            "(b) insert N random keys, N/1000 txns",
            |r| r.load_batched,
            true,
        ),
        ("(c) N random point reads, warm", |r| r.reads, true),
        ("(d) full ordered scan", |r| r.scan, true),
        (
            "(e) durable 1-insert commit (latency)",
            |r| r.durable,
            false,
        ),
    ];
    println!(
        "N = {n}, {runs} runs (median), cache {} MiB each, value {VALUE_LEN} B",
        CACHE_BYTES >> 20
    );
    println!();
    println!("| workload | pagegraph | SQLite | SQLite / pagegraph |");
    println!("|---|---:|---:|---:|");
    for (name, get, per_item) in rows {
        let a = median(pg.iter().map(get).collect());
        let b = median(sq.iter().map(get).collect());
        let fmt = |d: Duration| {
            if per_item {
                format!(
                    "{:.3} s ({:.0} K/s)",
                    d.as_secs_f64(),
                    n as f64 / d.as_secs_f64() / 1e3
                )
            } else {
                format!("{:.0} us", d.as_secs_f64() * 1e6)
            }
        };
        println!(
            "| {name} | {} | {} | {:.2}x |",
            fmt(a),
            fmt(b),
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
    let durable = median(pg.iter().map(|r| r.durable).collect());
    println!();
    println!(
        "raw fdatasync of a 128-byte write: {:.0} us; pagegraph durable commit = {:.2}x raw fsync",
        fsync.as_secs_f64() * 1e6,
        durable.as_secs_f64() / fsync.as_secs_f64()
    );
    std::io::stdout().flush()?;
    Ok(())
}
