"""Cypher queries on pagegraph and on Kuzu 0.11.3, same machine, same run, same data.

A generated social graph (fixed seed): N persons (id, name, age, city) and about 25 FOLLOWS
edges each (with a `since` year), targets skewed towards low ids so that some persons are
popular. Kuzu loads it with COPY from CSV files; pagegraph with its batch API in one
transaction, then a unique constraint on Person.id (Kuzu's primary key). Both are queried
through their Python packages, so each pays the same kind of call overhead.

Each query runs once to warm up, then REPS times with the engines alternating which goes
first; the table gives medians, each engine's spread, and Kuzu's time over pagegraph's
(above 1: pagegraph is faster). Kuzu runs at its default thread count and at one thread
(pagegraph runs a query on one thread).

    crates/bench/cypher/run.sh [N] [REPS]      # makes the venv, installs both, runs this
    ONLY="group by,all 2-hop" crates/bench/cypher/run.sh   # some workloads only (by name)
"""

from __future__ import annotations

import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import kuzu

import pagegraph

N = 100_000
REPS = 5
DEGREE = 25
CITIES = [f"city{i:02}" for i in range(50)]


def generate(seed: int = 42):
    rng = random.Random(seed)
    persons = [(i, f"p{i}", rng.randint(18, 80), rng.choice(CITIES)) for i in range(N)]
    follows = []
    for src in range(N):
        targets = set()
        want = rng.randint(DEGREE // 2, DEGREE + DEGREE // 2)
        while len(targets) < want:
            dst = int(N * rng.random() ** 2)
            if dst != src:
                targets.add(dst)
        for dst in sorted(targets):
            follows.append((src, dst, rng.randint(2005, 2025)))
    return persons, follows


def load_kuzu(path: Path, persons_csv: Path, follows_csv: Path) -> tuple[kuzu.Database, float]:
    started = time.perf_counter()
    db = kuzu.Database(str(path))
    conn = kuzu.Connection(db)
    conn.execute(
        "CREATE NODE TABLE Person(id INT64, name STRING, age INT64, city STRING, PRIMARY KEY (id))"
    )
    conn.execute("CREATE REL TABLE FOLLOWS(FROM Person TO Person, since INT64)")
    conn.execute(f"COPY Person FROM '{persons_csv}' (header=true)")
    conn.execute(f"COPY FOLLOWS FROM '{follows_csv}' (header=true)")
    return db, time.perf_counter() - started


def load_pagegraph(path: Path, persons_csv: Path, follows_csv: Path) -> tuple[pagegraph.Database, float]:
    """From the same CSV files, read by pandas; the tables go in without a Python loop."""
    import pandas as pd

    started = time.perf_counter()
    persons = pd.read_csv(persons_csv)
    follows = pd.read_csv(follows_csv)
    db = pagegraph.Database(str(path))
    with db.write() as tx:
        ids = tx.create_nodes_from(persons, "Person")
        # Person ids are 0..N in file order, so the file's ids index the new node ids.
        node_of = pd.Series(ids)
        edges = pd.DataFrame(
            {
                "src": node_of[follows["from"]].to_numpy(),
                "dst": node_of[follows["to"]].to_numpy(),
                "since": follows["since"],
            }
        )
        tx.create_edges_from(edges, edge_type="FOLLOWS", properties=["since"])
    db.execute("CREATE CONSTRAINT person_id FOR (p:Person) REQUIRE p.id IS UNIQUE")
    return db, time.perf_counter() - started


def rows_kuzu(conn, text, params):
    return conn.execute(text, params).get_all()


def rows_pagegraph(conn, text, params):
    return conn.execute(text, params).get_all()


def compare(workloads, pconn, kconn, kconn1, what: str, reps: int) -> None:
    """Runs each workload (name, pagegraph text, Kuzu text, parameters of run r, calls per
    run) `reps` times after a warm-up, the engines alternating which goes first, checks that
    they answer the same, and prints a row of medians and ratios."""
    # ONLY="group by,shortest" runs just the workloads whose names contain one of these.
    only = [w.strip() for w in os.environ.get("ONLY", "").split(",") if w.strip()]
    if only:
        workloads = [w for w in workloads if any(o in w[0] for o in only)]
    print(f"\n{what}; {reps} runs after a warm-up; median (min-max) per call\n")
    print("| query | pagegraph | Kuzu (default threads) | Kuzu (1 thread) | Kuzu / pagegraph | Kuzu 1t / pagegraph |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, pg_text, kz_text, params_of, inner in workloads:
        times = {"pg": [], "kz": [], "kz1": []}
        checks = {}
        for r in range(reps + 1):
            params = params_of(r)
            order = [("pg", pconn, pg_text, rows_pagegraph), ("kz", kconn, kz_text, rows_kuzu),
                     ("kz1", kconn1, kz_text, rows_kuzu)]
            if r % 2:
                order.reverse()
            for key, conn, text, rows in order:
                if "MERGE" in text and key == "kz1":
                    continue  # one MERGE per run and engine: the keys would exist already
                started = time.perf_counter()
                for _ in range(inner):
                    out = rows(conn, text, params)
                elapsed = (time.perf_counter() - started) / inner
                if r > 0:
                    times[key].append(elapsed)
                answer = [list(x) for x in out]
                if "ORDER BY" not in text:
                    answer.sort(key=repr)  # rows in no stated order
                checks.setdefault(r, {})[key] = answer
        # Both engines answer the same (MERGE returns nothing).
        for r, by in checks.items():
            first = next(iter(by.values()))
            for k, v in by.items():
                if v != first:
                    print(f"  note: {name} run {r}: {k} answered {v[:3]}, another {first[:3]}")

        def fmt(ts):
            if not ts:
                return "-"
            m = statistics.median(ts)
            unit = (1e6, "us") if m < 1e-3 else ((1e3, "ms") if m < 1 else (1, "s"))
            return f"{m * unit[0]:.1f} {unit[1]} ({min(ts) * unit[0]:.1f}-{max(ts) * unit[0]:.1f})"

        pg = statistics.median(times["pg"])
        kz = statistics.median(times["kz"])
        kz1 = statistics.median(times["kz1"]) if times["kz1"] else None
        print(
            f"| {name} | {fmt(times['pg'])} | {fmt(times['kz'])} | {fmt(times['kz1'])} | "
            f"{kz / pg:.2f}x | {(f'{kz1 / pg:.2f}x' if kz1 else '-')} |"
        )
        sys.stdout.flush()


def main() -> None:
    global N, REPS
    N = int(sys.argv[1]) if len(sys.argv) > 1 else N
    REPS = int(sys.argv[2]) if len(sys.argv) > 2 else REPS
    work = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="cypher-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    persons, follows = generate()
    print(f"generated {len(persons)} persons, {len(follows)} follows in {time.perf_counter() - t:.1f} s")
    persons_csv, follows_csv = work / "persons.csv", work / "follows.csv"
    with open(persons_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "age", "city"])
        w.writerows(persons)
    with open(follows_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["from", "to", "since"])
        w.writerows(follows)

    kdb, kload = load_kuzu(work / "kuzu.db", persons_csv, follows_csv)
    pdb, pload = load_pagegraph(work / "pagegraph.pgdb", persons_csv, follows_csv)
    print(f"load: kuzu {kload:.1f} s (COPY), pagegraph {pload:.1f} s (pandas read_csv + create_*_from + unique index)")
    kconn = kuzu.Connection(kdb)
    kconn1 = kuzu.Connection(kdb)
    kconn1.set_max_threads_for_exec(1)
    pconn = pagegraph.Connection(pdb)

    rng = random.Random(7)
    # Persons of ordinary degree (not the popular low ids).
    sample = [rng.randrange(N // 2, N) for _ in range(REPS + 1)]
    pairs = [(rng.randrange(N // 2, N), rng.randrange(N // 2, N)) for _ in range(REPS + 1)]
    merge_base = [N + 1_000_000 * (r + 1) for r in range(REPS + 1)]

    def merge_keys(r):
        # 10,000 keys: half existing persons, half new ones (new in every run).
        existing = [rng.randrange(N) for _ in range(5000)]
        return existing + list(range(merge_base[r], merge_base[r] + 5000))

    point = "MATCH (p:Person {id: $id}) RETURN p.name, p.age"
    hop1 = "MATCH (p:Person {id: $id})-[:FOLLOWS]->(f:Person) WHERE f.age > 50 RETURN f.name"
    hop2 = (
        "MATCH (p:Person {id: $id})-[:FOLLOWS]->(:Person)-[:FOLLOWS]->(f:Person) "
        "WHERE f.age > 50 RETURN count(*)"
    )
    hop3 = (
        "MATCH (p:Person {id: $id})-[:FOLLOWS]->(:Person)-[:FOLLOWS]->(:Person)-[:FOLLOWS]->(f:Person) "
        "WHERE f.age > 50 RETURN count(*)"
    )
    all2 = "MATCH (a:Person)-[:FOLLOWS]->(b:Person)-[:FOLLOWS]->(c:Person) RETURN count(*)"
    top = (
        "MATCH (a:Person)-[:FOLLOWS]->(b:Person) RETURN b.id AS id, count(*) AS followers "
        "ORDER BY followers DESC, id LIMIT 10"
    )
    group = (
        "MATCH (p:Person) RETURN p.city AS city, count(*) AS n, avg(p.age) AS age ORDER BY city"
    )
    # The one documented difference: Kuzu writes a shortest path as a recursive pattern.
    sp_pg = (
        "MATCH p = shortestPath((a:Person {id: $a})-[:FOLLOWS*..30]->(b:Person {id: $b})) "
        "RETURN length(p)"
    )
    sp_kz = (
        "MATCH p = (a:Person {id: $a})-[:FOLLOWS* SHORTEST 1..30]->(b:Person {id: $b}) "
        "RETURN length(p)"
    )
    merge = "UNWIND $keys AS k MERGE (p:Person {id: k})"

    workloads = [
        ("point lookup by key", point, point, lambda r: {"id": sample[r]}, 200),
        ("1-hop, filtered", hop1, hop1, lambda r: {"id": sample[r]}, 200),
        ("2-hop count, filtered", hop2, hop2, lambda r: {"id": sample[r]}, 20),
        ("3-hop count, filtered", hop3, hop3, lambda r: {"id": sample[r]}, 1),
        ("count of all 2-hop paths", all2, all2, lambda r: {}, 1),
        ("most-followed persons (top 10)", top, top, lambda r: {}, 1),
        ("group by city: count, avg age", group, group, lambda r: {}, 1),
        ("shortest path between two persons", sp_pg, sp_kz, lambda r: {"a": pairs[r][0], "b": pairs[r][1]}, 5),
        ("MERGE of 10K keys (half new)", merge, merge, lambda r: {"keys": merge_keys(r)}, 1),
    ]

    compare(workloads, pconn, kconn, kconn1, f"{N} persons, {len(follows)} FOLLOWS", REPS)


if __name__ == "__main__":
    main()
