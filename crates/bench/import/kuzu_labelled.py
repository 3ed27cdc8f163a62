"""Kuzu 0.11.3 loading the labelled graph of labelled_gen.py from the same CSV files that
`pagegraph import --mapping` reads, for the same-run comparison (see BENCHMARKS.md).
Timed: creating the two tables, `COPY` of the nodes, `COPY` of the edges, and closing the
database. Reports wall time, the database's size on disk and the process's peak RSS.

    python kuzu_labelled.py DIR WORKDIR [THREADS]
"""

import resource
import shutil
import sys
import time
from pathlib import Path

import kuzu


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    data, work = Path(sys.argv[1]), Path(sys.argv[2])
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "kuzu.db"
    if db_path.exists():
        shutil.rmtree(db_path) if db_path.is_dir() else db_path.unlink()
    start = time.perf_counter()
    db = kuzu.Database(str(db_path))
    conn = kuzu.Connection(db, num_threads=threads) if threads else kuzu.Connection(db)
    conn.execute(
        "CREATE NODE TABLE Person(id INT64 PRIMARY KEY, name STRING, age INT64, score DOUBLE, "
        "city STRING, active BOOLEAN)"
    )
    conn.execute(
        "CREATE REL TABLE KNOWS(FROM Person TO Person, since INT64, weight DOUBLE, note STRING, "
        "strength INT64, close BOOLEAN)"
    )
    opts = "(HEADER=true, DELIM='|')"
    conn.execute(f"COPY Person FROM '{data / 'person.csv'}' {opts}")
    conn.execute(f"COPY KNOWS FROM '{data / 'knows.csv'}' {opts}")
    conn.close()
    db.close()
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"kuzu: {elapsed:.2f} s, {size_of(db_path) / 2**20:.1f} MiB on disk, "
        f"peak RSS {rss / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
