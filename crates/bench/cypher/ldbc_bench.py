"""The Cypher benchmark's queries on the LDBC SNB SF0.1 subset (../shared/datasets), on
pagegraph and on Kuzu 0.11.3, same machine, same run, same files.

Kuzu loads the files with its COPY statements (`crates/bench/import/kuzu_ldbc.py`: a node
table per label with `id` as primary key); pagegraph with `pagegraph import --mapping
docs/ldbc-snb.toml`, which keys each label's nodes by a unique index on `id` (Kuzu's primary
keys). Persons `knows` persons (1,528 persons, 14,073 edges), comments have a creator
(151,043), persons like comments. Both engines are queried through their Python packages,
runs alternating, as in `cypher_bench.py` (whose comparison loop this uses).

    LDBC=1 crates/bench/cypher/run.sh [REPS]    # makes the venv, installs both, runs this
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import kuzu

import pagegraph

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE.parent / "import"))

import kuzu_ldbc  # noqa: E402

from cypher_bench import compare  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "ldbc-snb-sf0.1-kuzu-subset"


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    data = Path(os.environ.get("LDBC_DIR") or DATA)
    work = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="ldbc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    kdb = kuzu.Database(str(kuzu_ldbc.load(data, work)))
    pg_path = work / "ldbc.pgdb"
    for stale in work.glob("ldbc.pgdb*"):
        stale.unlink()
    cli = os.environ.get("PAGEGRAPH") or str(ROOT / "target" / "release" / "pagegraph")
    subprocess.run(
        [cli, "import", str(pg_path), "--mapping", str(ROOT / "docs" / "ldbc-snb.toml"),
         "--data-dir", str(data)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    pdb = pagegraph.Database(str(pg_path))
    # The import keys each label's nodes by a unique index on `id` (Kuzu's primary keys).
    unique = {r[1] for r in pdb.execute("CALL db.indexes()").get_all() if r[3]}
    assert {":Person", ":Tag"} <= unique, unique
    kconn = kuzu.Connection(kdb)
    kconn1 = kuzu.Connection(kdb)
    kconn1.set_max_threads_for_exec(1)
    pconn = pagegraph.Connection(pdb)

    persons = [r[0] for r in pconn.execute("MATCH (p:Person) RETURN p.id ORDER BY p.id").get_all()]
    tags = [r[0] for r in pconn.execute("MATCH (t:Tag) RETURN t.id").get_all()]
    rng = random.Random(7)
    sample = [rng.choice(persons) for _ in range(reps + 1)]
    pairs = [(rng.choice(persons), rng.choice(persons)) for _ in range(reps + 1)]
    top_tag = max(tags) + 1

    def merge_keys(r):
        # 10,000 keys: half existing tags, half new ones (new in every run).
        existing = [rng.choice(tags) for _ in range(5000)]
        base = top_tag + 1_000_000 * (r + 1)
        return existing + list(range(base, base + 5000))

    point = "MATCH (p:Person {id: $id}) RETURN p.firstName, p.lastName"
    hop1 = (
        "MATCH (p:Person {id: $id})-[:knows]-(f:Person) WHERE f.gender = 'female' "
        "RETURN f.firstName, f.lastName"
    )
    # Directed: undirected, Kuzu counts the walk back over the same relationship (to `p`
    # itself), which openCypher's relationship uniqueness (and pagegraph) does not.
    hop2 = (
        "MATCH (p:Person {id: $id})-[:knows]->(:Person)-[:knows]->(f:Person) "
        "WHERE f.birthday > 19850101 RETURN count(*)"
    )
    hop3 = (
        "MATCH (p:Person {id: $id})-[:knows]->(:Person)-[:knows]->(:Person)-[:knows]->(f:Person) "
        "WHERE f.birthday > 19850101 RETURN count(*)"
    )
    all2 = "MATCH (c:Comment)-[:hasCreator]->(p:Person)-[:knows]->(f:Person) RETURN count(*)"
    top = (
        "MATCH (c:Comment)-[:hasCreator]->(p:Person) RETURN p.id AS id, count(*) AS comments "
        "ORDER BY comments DESC, id LIMIT 10"
    )
    group = (
        "MATCH (p:Person) RETURN p.browserUsed AS browser, count(*) AS n, "
        "avg(p.birthday) AS birthday ORDER BY browser"
    )
    sp_pg = (
        "MATCH p = shortestPath((a:Person {id: $a})-[:knows*..30]-(b:Person {id: $b})) "
        "RETURN length(p)"
    )
    sp_kz = (
        "MATCH p = (a:Person {id: $a})-[:knows* SHORTEST 1..30]-(b:Person {id: $b}) "
        "RETURN length(p)"
    )
    merge = "UNWIND $keys AS k MERGE (t:Tag {id: k})"
    workloads = [
        ("point lookup by key", point, point, lambda r: {"id": sample[r]}, 200),
        ("1-hop, filtered", hop1, hop1, lambda r: {"id": sample[r]}, 200),
        ("2-hop count, filtered", hop2, hop2, lambda r: {"id": sample[r]}, 20),
        ("3-hop count, filtered", hop3, hop3, lambda r: {"id": sample[r]}, 5),
        ("count of all comment-creator-knows paths", all2, all2, lambda r: {}, 1),
        ("most-commenting persons (top 10)", top, top, lambda r: {}, 1),
        ("group by browser: count, avg birthday", group, group, lambda r: {}, 5),
        ("shortest path between two persons", sp_pg, sp_kz,
         lambda r: {"a": pairs[r][0], "b": pairs[r][1]}, 5),
        ("MERGE of 10K tag keys (half new)", merge, merge, lambda r: {"keys": merge_keys(r)}, 1),
    ]
    compare(workloads, pconn, kconn, kconn1, f"LDBC SNB SF0.1 subset ({data.name})", reps)


if __name__ == "__main__":
    main()
