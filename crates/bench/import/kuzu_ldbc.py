"""Kuzu 0.11.3 loading the LDBC SNB SF0.1 subset (../shared/datasets/ldbc-snb-sf0.1-kuzu-subset)
from its files as they are, one COPY per file, for the same-run comparison with
`pagegraph import --mapping docs/ldbc-snb.toml` (see BENCHMARKS.md).

The subset has no Comment and Post node files: their ids are gathered from the edge files
into two one-column CSV files before the clock starts (pagegraph makes those nodes with
`create_missing` inside its timed run). Timed: creating the tables, every COPY, and closing
the database. Reports wall time, size on disk and the process's peak RSS.

    python kuzu_ldbc.py DATA_DIR WORKDIR
"""

import re
import resource
import shutil
import sys
import time
from pathlib import Path

import kuzu

NODES = {
    "Forum": "id INT64 PRIMARY KEY, title STRING, creationDate INT64",
    "Organisation": "id INT64 PRIMARY KEY, label STRING, name STRING, url STRING",
    "Person": "id INT64 PRIMARY KEY, firstName STRING, lastName STRING, gender STRING, "
    "birthday INT64, creationDate INT64, locationIP STRING, browserUsed STRING",
    "Place": "id INT64 PRIMARY KEY, name STRING, url STRING, label STRING",
    "Tag": "id INT64 PRIMARY KEY, name STRING, url STRING",
    "TagClass": "id INT64 PRIMARY KEY, name STRING, url STRING",
    "Comment": "id INT64 PRIMARY KEY",
    "Post": "id INT64 PRIMARY KEY",
}

# Edge properties by type (the files' typed columns).
EDGE_PROPS = {
    "knows": ", creationDate INT64",
    "likes": ", creationDate INT64",
    "studyAt": ", classYear INT64",
    "workAt": ", workFrom INT64",
}

FILE = re.compile(r"^([A-Za-z]+)_([A-Za-z]+)_([A-Za-z]+)(_1)?\.csv$")


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def has_header(path: Path) -> bool:
    with open(path) as f:
        return f.readline().startswith(":START_ID")


def main() -> None:
    load(Path(sys.argv[1]), Path(sys.argv[2]), report=True)


def load(data: Path, work: Path, report: bool = False) -> Path:
    """Loads the subset into WORK/kuzu.db (closed again) and returns its path."""
    work.mkdir(parents=True, exist_ok=True)
    edge_files = sorted(p for p in data.glob("*_*.csv") if FILE.match(p.name))
    # Comment and Post ids, from every edge file that names them (not timed).
    ids = {"Comment": set(), "Post": set()}
    for p in edge_files:
        frm, _, to, _ = FILE.match(p.name).groups()
        with open(p) as f:
            for n, line in enumerate(f):
                if n == 0 and line.startswith(":START_ID"):
                    continue
                cells = line.rstrip("\n").split("|")
                if len(cells) < 2:
                    continue
                for kind, cell in ((frm, cells[0]), (to, cells[1])):
                    if kind in ids:
                        ids[kind].add(int(cell))
    for kind, found in ids.items():
        with open(work / f"{kind}.csv", "w") as f:
            f.writelines(f"{i}\n" for i in sorted(found))
    pairs = {}
    for p in edge_files:
        frm, kind, to, _ = FILE.match(p.name).groups()
        pairs.setdefault(kind, set()).add((frm, to))
    db_path = work / "kuzu.db"
    if db_path.exists():
        shutil.rmtree(db_path) if db_path.is_dir() else db_path.unlink()

    start = time.perf_counter()
    db = kuzu.Database(str(db_path))
    conn = kuzu.Connection(db)
    for kind, columns in NODES.items():
        conn.execute(f"CREATE NODE TABLE {kind}({columns})")
    for kind, ends in sorted(pairs.items()):
        froms = ", ".join(f"FROM {a} TO {b}" for a, b in sorted(ends))
        conn.execute(f"CREATE REL TABLE {kind}({froms}{EDGE_PROPS.get(kind, '')})")
    for kind in NODES:
        src = work / f"{kind}.csv" if kind in ids else data / f"{kind}.csv"
        header = "false" if kind in ids else "true"
        conn.execute(f"COPY {kind} FROM '{src}' (HEADER={header}, DELIM='|')")
    for p in edge_files:
        frm, kind, to, _ = FILE.match(p.name).groups()
        header = "true" if has_header(p) else "false"
        conn.execute(
            f"COPY {kind} FROM '{p}' (HEADER={header}, DELIM='|', from='{frm}', to='{to}')"
        )
    edges = conn.execute("MATCH ()-[r]->() RETURN count(r)").get_next()[0]
    nodes = conn.execute("MATCH (n) RETURN count(n)").get_next()[0]
    conn.close()
    db.close()
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if report:
        print(
            f"kuzu: {nodes} nodes, {edges} edges in {elapsed:.2f} s (two counting queries "
            f"included), {size_of(db_path) / 2**20:.1f} MiB on disk, peak RSS {rss / 2**20:.0f} MiB"
        )
    return db_path


if __name__ == "__main__":
    main()
