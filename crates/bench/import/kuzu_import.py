"""Kuzu 0.11.3 loading a SNAP-style edge list (two integer ids a line, space or tab
separated), for the same-run comparison with `pagegraph import` (see BENCHMARKS.md).

Kuzu needs its node table first: the distinct ids are written to a CSV before the clock
starts (pagegraph finds its nodes in the edge list itself, inside its timed run). Timed:
creating the two tables, `COPY` of the nodes, `COPY` of the edges, and closing the database.
Reports wall time, the database's size on disk and the process's peak RSS.

    python kuzu_import.py EDGES WORKDIR [THREADS]
"""

import os
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
    edges, work = Path(sys.argv[1]), Path(sys.argv[2])
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    work.mkdir(parents=True, exist_ok=True)
    nodes_csv, edges_csv = work / "nodes.csv", work / "edges.csv"
    ids = set()
    with open(edges) as src, open(edges_csv, "w") as out:
        for line in src:
            parts = line.split()
            if len(parts) < 2 or line.startswith("#"):
                continue
            ids.add(int(parts[0]))
            ids.add(int(parts[1]))
            out.write(f"{parts[0]},{parts[1]}\n")
    with open(nodes_csv, "w") as out:
        out.writelines(f"{i}\n" for i in sorted(ids))
    db_path = work / "kuzu.db"
    if db_path.exists():
        shutil.rmtree(db_path) if db_path.is_dir() else db_path.unlink()
    started = time.perf_counter()
    db = kuzu.Database(str(db_path)) if threads == 0 else kuzu.Database(str(db_path), max_num_threads=threads)
    conn = kuzu.Connection(db)
    conn.execute("CREATE NODE TABLE N(id INT64, PRIMARY KEY (id))")
    conn.execute("CREATE REL TABLE E(FROM N TO N)")
    conn.execute(f"COPY N FROM '{nodes_csv}' (header=false)")
    conn.execute(f"COPY E FROM '{edges_csv}' (header=false)")
    conn.close()
    db.close()
    wall = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"kuzu threads={threads or os.cpu_count()}: {len(ids)} nodes in {wall:.2f} s, "
        f"{size_of(db_path) / 2**20:.1f} MiB on disk, peak RSS {rss / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
