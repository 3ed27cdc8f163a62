"""The Python package against Kuzu 0.11.3's, same run: per-call overhead of a point query
and of a 1-hop query, a bulk insert of 1M edges from a pandas DataFrame, and fetching a
1M-row result as a DataFrame.

Data (fixed seed): N persons with an integer id, and M random edges between them. Kuzu
copies the DataFrame with `COPY ... FROM df`; pagegraph inserts it with
`create_edges_from` (node ids mapped from person ids with pandas, no Python loop per row).
Each measurement is repeated REPS times, engines alternating; medians with min-max.

    VENV=... crates/bench/cypher/run.sh   # makes the venv; then:
    $VENV/bin/python crates/bench/cypher/python_bench.py [N] [M] [REPS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import kuzu
import pagegraph

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
M = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
REPS = int(sys.argv[3]) if len(sys.argv) > 3 else 3


def timed(f):
    started = time.perf_counter()
    out = f()
    return time.perf_counter() - started, out


def main() -> None:
    rng = np.random.default_rng(42)
    persons = pd.DataFrame({"id": np.arange(N, dtype=np.int64), "age": rng.integers(18, 80, N)})
    edges = pd.DataFrame(
        {"from": rng.integers(0, N, M), "to": rng.integers(0, N, M), "w": rng.random(M)}
    )
    times: dict[str, dict[str, list[float]]] = {}

    def note(row: str, engine: str, t: float) -> None:
        times.setdefault(row, {}).setdefault(engine, []).append(t)

    for rep in range(REPS):
        work = Path(tempfile.mkdtemp(prefix="py-bench-"))
        order = ["pg", "kz"] if rep % 2 == 0 else ["kz", "pg"]
        for engine in order:
            if engine == "kz":
                db = kuzu.Database(str(work / "kuzu.db"))
                conn = kuzu.Connection(db)
                conn.execute("CREATE NODE TABLE Person(id INT64, age INT64, PRIMARY KEY (id))")
                conn.execute("CREATE REL TABLE E(FROM Person TO Person, w DOUBLE)")
                conn.execute("COPY Person FROM persons")
                t, _ = timed(lambda: conn.execute("COPY E FROM edges"))
                note("insert 1M edges from a DataFrame", "kz", t)
                run = lambda q, p=None: conn.execute(q, p or {})  # noqa: E731
            else:
                db = pagegraph.Database(str(work / "pg.pgdb"))
                conn = pagegraph.Connection(db)
                with db.write() as tx:
                    ids = pd.Series(tx.create_nodes_from(persons, "Person"))
                db.execute("CREATE CONSTRAINT FOR (p:Person) REQUIRE p.id IS UNIQUE")

                def insert():
                    frame = pd.DataFrame(
                        {
                            "src": ids[edges["from"]].to_numpy(),
                            "dst": ids[edges["to"]].to_numpy(),
                            "w": edges["w"],
                        }
                    )
                    with db.write() as tx:
                        tx.create_edges_from(frame, edge_type="E", properties=["w"])

                t, _ = timed(insert)
                note("insert 1M edges from a DataFrame", "pg", t)
                run = lambda q, p=None: conn.execute(q, p)  # noqa: E731
            # Per-call overhead: the median of 2,000 calls' mean.
            keys = rng.integers(0, N, 2000).tolist()
            t, _ = timed(lambda: [run("MATCH (p:Person {id: $id}) RETURN p.age", {"id": k}).get_all() for k in keys])
            note("point query, per call", engine, t / len(keys))
            t, _ = timed(
                lambda: [run("MATCH (p:Person {id: $id})-[:E]->(f) RETURN f.id", {"id": k}).get_all() for k in keys[:500]]
            )
            note("1-hop query, per call", engine, t / 500)
            t, df = timed(lambda: run("MATCH (a:Person)-[e:E]->(b:Person) RETURN a.id, b.id, e.w").get_as_df())
            assert len(df) == M, len(df)
            note("fetch a 1M-row result as a DataFrame", engine, t)
            if engine == "pg":
                db.close()

    def fmt(ts: list[float]) -> str:
        m = statistics.median(ts)
        unit = (1e6, "us") if m < 1e-3 else ((1e3, "ms") if m < 1 else (1, "s"))
        return f"{m * unit[0]:.1f} {unit[1]} ({min(ts) * unit[0]:.1f}-{max(ts) * unit[0]:.1f})"

    print(f"{N} persons, {M} edges; {REPS} runs, engines alternating; median (min-max)\n")
    print("| workload | pagegraph | Kuzu | Kuzu / pagegraph |")
    print("|---|---:|---:|---:|")
    for row, by in times.items():
        ratio = statistics.median(by["kz"]) / statistics.median(by["pg"])
        print(f"| {row} | {fmt(by['pg'])} | {fmt(by['kz'])} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
