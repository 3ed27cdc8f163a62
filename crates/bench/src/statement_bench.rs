//! What a repeated Cypher statement costs before it reads the graph: parsing and checking
//! its text, against taking it from a [`StatementCache`], and a point lookup by a unique key
//! run both ways (in process, no Python), on a graph of `N` persons.
//!
//! Usage: `cargo run --release -p pagegraph-bench --bin statement-bench -- [N] [CALLS]`
//! (defaults 100000 and 200000).

#![allow(
    clippy::cast_precision_loss,
    reason = "times are only printed, to a few digits"
)]

mod measure;
use measure::median;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Result;
use pagegraph::Graph;
use pagegraph_query::{QueryOptions, StatementCache, Value, execute, execute_prepared};

const LOOKUP: &str = "MATCH (p:Person {id: $id}) RETURN p.name, p.age";

fn per_call(calls: usize, mut f: impl FnMut(usize) -> Result<()>) -> Result<Duration> {
    // Five rounds; the median round's time per call.
    let mut rounds = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        for i in 0..calls {
            f(i)?;
        }
        rounds.push(started.elapsed() / u32::try_from(calls).unwrap_or(u32::MAX));
    }
    Ok(median(rounds))
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let n: i64 = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let calls: usize = args.next().map_or(Ok(200_000), |a| a.parse())?;
    let g = Graph::in_memory()?;
    let none = BTreeMap::new();
    execute(
        &g,
        &format!(
            "UNWIND range(0, {}) AS i CREATE (:Person {{id: i, name: 'p' + toString(i), age: 18 + i % 60}})",
            n - 1
        ),
        &none,
    )?;
    execute(
        &g,
        "CREATE CONSTRAINT FOR (p:Person) REQUIRE p.id IS UNIQUE",
        &none,
    )?;
    let cache = StatementCache::default();
    let params = |i: usize| {
        let mut p = BTreeMap::new();
        p.insert(
            "id".to_string(),
            Value::Int(i64::try_from(i).unwrap_or(0) * 7919 % n),
        );
        p
    };
    let parse = per_call(calls, |_| {
        pagegraph_query::parse(LOOKUP)?;
        Ok(())
    })?;
    let prepare_miss = per_call(calls / 10, |i| {
        // A fresh cache each time: parse and check.
        let c = StatementCache::new(1);
        c.prepare(&format!("{LOOKUP} // {i}"))?;
        Ok(())
    })?;
    let prepare_hit = per_call(calls, |_| {
        cache.prepare(LOOKUP)?;
        Ok(())
    })?;
    let run_text = per_call(calls / 10, |i| {
        execute(&g, LOOKUP, &params(i))?;
        Ok(())
    })?;
    let run_cached = per_call(calls / 10, |i| {
        let s = cache.prepare(LOOKUP)?;
        execute_prepared(&g, &s, &params(i), &QueryOptions::default(), |r, _| Ok(r))?;
        Ok(())
    })?;
    println!("{n} persons, unique index on id; median of 5 rounds, per call\n");
    println!("| step | time |");
    println!("|---|---:|");
    for (name, t) in [
        ("parse the lookup's text", parse),
        ("parse and check (cache miss)", prepare_miss),
        ("take it from the cache (hit)", prepare_hit),
        ("point lookup from text (parse, check, run)", run_text),
        ("point lookup, cached statement", run_cached),
    ] {
        println!("| {name} | {:.2} us |", t.as_secs_f64() * 1e6);
    }
    Ok(())
}
