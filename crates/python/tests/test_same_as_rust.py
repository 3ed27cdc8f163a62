"""The Python package answers as the Rust library does, on the same database file: each
query through `Connection.execute` and through the `pagegraph` command (the library's
command-line shell: `query --json`, `neighbors --json`), compared value by value after
both are written as JSON; native calls (neighbors, PageRank, components, node and edge
reads) against the command's answers to the same questions. The graph is random, with
properties of every kind. run-tests.sh builds the command and names it in PAGEGRAPH_CLI."""

from __future__ import annotations

import json
import os
import random
import subprocess
from typing import Any

import pytest

import pagegraph

CLI = os.environ.get("PAGEGRAPH_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="PAGEGRAPH_CLI names the pagegraph command")

QUERIES = [
    "MATCH (n) RETURN n ORDER BY id(n)",
    "MATCH (a)-[r]->(b) RETURN a.i, r, b.s, type(r) ORDER BY id(r)",
    "MATCH (n:A) WITH n ORDER BY n.i RETURN n.s AS s, count(*) AS c, sum(n.i) AS total, "
    "min(n.f), max(n.f), collect(n.i)[..3] AS some ORDER BY s",
    "MATCH (n) RETURN labels(n) AS l, count(*) ORDER BY l",
    # Ordered wholly (by the path's nodes and relationships), so that no tie is left to
    # the order rows happened to come in.
    "MATCH p = (a:A)-[:X*1..2]->(b:B) WHERE a.i < $below RETURN p "
    "ORDER BY a.i, b.i, [n IN nodes(p) | n.i], [r IN rels(p) | id(r)] LIMIT 40",
    "MATCH (a:A)-[:X]->(m)-[:Y]->(c) WHERE a.flag AND c.f > $f RETURN count(*), "
    "count(DISTINCT c)",
    "MATCH (a {i: 1}), (b {i: 2}) MATCH p = shortestPath((a)-[*..6]-(b)) RETURN length(p)",
    "CALL algo.pagerank('A', 'X') YIELD node, score RETURN node.i, score ORDER BY node.i",
    "CALL algo.wcc() YIELD node, component RETURN component, count(*) ORDER BY component",
    "UNWIND range(1, 5) AS x RETURN x, x * 1.5, toString(x) + 'z', [y IN range(1, x) | y * y], "
    "{k: x, l: [x, null]}",
    "MATCH (n:B) WHERE n.s STARTS WITH 's1' OR n.tags IS NOT NULL RETURN n.i, n.tags, n.s "
    "ORDER BY n.i",
    "MATCH (n) WHERE n.i % 7 = 0 OPTIONAL MATCH (n)-[r:Y]->(m) RETURN n.i, r.w, m.i "
    "ORDER BY n.i, r.w, m.i",
]
PARAMS = {"below": 30, "f": 0.25}


def cli(*args: str) -> Any:
    assert CLI is not None
    out = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def as_json(value: Any) -> Any:
    """A value as JSON gives it back: dict subclasses become dicts, tuples lists."""
    return json.loads(json.dumps(value))


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("same") / "g.pgdb")
    rng = random.Random(11)
    with pagegraph.Database(path) as db:
        with db.write() as tx:
            nodes = []
            for i in range(300):
                labels = [("A",), ("B",), ("A", "B")][rng.randrange(3)]
                props: dict[str, Any] = {"i": i, "s": f"s{rng.randrange(40)}"}
                if rng.random() < 0.8:
                    props["f"] = rng.random()
                if rng.random() < 0.5:
                    props["flag"] = rng.random() < 0.5
                if rng.random() < 0.2:
                    props["tags"] = [rng.randrange(5) for _ in range(rng.randrange(4))]
                nodes.append((list(labels), props))
            ids = tx.create_nodes(nodes)
            tx.create_edges(
                (rng.choice(ids), rng.choice(ids), rng.choice("XY"), {"w": rng.randrange(9)})
                for _ in range(1500)
            )
    return path


def test_queries_answer_alike(graph):
    conn = pagegraph.Connection(pagegraph.Database(graph, read_only=True))
    for q in QUERIES:
        params = {k: v for k, v in PARAMS.items() if f"${k}" in q}
        mine = conn.execute(q, params)
        flags = [f"--param={k}={json.dumps(v)}" for k, v in params.items()]
        theirs = cli("query", graph, q, "--json", *flags)
        assert mine.get_column_names() == theirs["columns"], q
        rows = as_json(list(mine.rows_as_dict()))
        assert rows, f"{q}: the comparison needs rows"
        assert rows == theirs["rows"], q


def test_native_calls_answer_as_the_command_does(graph):
    db = pagegraph.Database(graph, read_only=True)
    ranks = db.pagerank("A", "X")
    by_cli = cli(
        "query", graph, "CALL algo.pagerank('A', 'X') YIELD node, score RETURN id(node), score", "--json"
    )["rows"]
    assert ranks == {r["id(node)"]: r["score"] for r in by_cli}
    components = db.wcc()
    by_cli = cli(
        "query", graph, "CALL algo.wcc() YIELD node, component RETURN id(node), component", "--json"
    )["rows"]
    assert components == {r["id(node)"]: r["component"] for r in by_cli}
    for node in range(1, 301, 13):
        mine = sorted(db.neighbors(node, "both"))
        theirs = cli("--json", "neighbors", graph, str(node))["neighbors"]
        assert mine == sorted((n["edge"], n["node"]["id"]) for n in theirs), node
        (row,) = cli("query", graph, f"MATCH (n) WHERE id(n) = {node} RETURN n", "--json")["rows"]
        assert as_json(db.node(node)) == row["n"]
    for edge in range(1, 1501, 97):
        (row,) = cli("query", graph, f"MATCH ()-[r]->() WHERE id(r) = {edge} RETURN r", "--json")["rows"]
        assert as_json(db.edge(edge)) == row["r"]
