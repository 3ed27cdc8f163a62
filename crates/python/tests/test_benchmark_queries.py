"""The queries of the Cypher benchmark (crates/bench/cypher/cypher_bench.py), on a smaller
graph of the same shape, against answers computed independently: plain Python over the
edge list, and networkx for shortest paths. The benchmark itself checks that pagegraph and
Kùzu answer alike; this checks the answers."""

import random
from collections import Counter, defaultdict

import pytest

import pagegraph

N = 3000
CITIES = [f"city{i:02}" for i in range(20)]


@pytest.fixture(scope="module")
def social():
    rng = random.Random(42)
    persons = [
        {"id": i, "name": f"p{i}", "age": rng.randint(18, 80), "city": rng.choice(CITIES)}
        for i in range(N)
    ]
    follows = set()
    for src in range(N):
        for _ in range(rng.randint(3, 12)):
            # Skewed towards low ids, as in the benchmark: some persons are popular.
            dst = int(N * rng.random() ** 2)
            if dst != src:
                follows.add((src, dst))
    follows = sorted(follows)
    db = pagegraph.Database()
    conn = pagegraph.Connection(db)
    conn.execute(
        "UNWIND $ps AS p CREATE (:Person {id: p.id, name: p.name, age: p.age, city: p.city})",
        {"ps": persons},
    )
    conn.execute("CREATE CONSTRAINT person_id FOR (p:Person) REQUIRE p.id IS UNIQUE")
    conn.execute(
        "UNWIND $fs AS f MATCH (a:Person {id: f[0]}), (b:Person {id: f[1]}) "
        "CREATE (a)-[:FOLLOWS {since: 2000 + f[0] % 20}]->(b)",
        {"fs": [list(f) for f in follows]},
    )
    out = defaultdict(list)
    inc = defaultdict(list)
    for a, b in follows:
        out[a].append(b)
        inc[b].append(a)
    yield conn, persons, follows, out, inc
    db.close()


def one(conn, text, params=None):
    return conn.execute(text, params or {}).get_all()


def test_lookups_and_neighborhoods(social):
    conn, persons, follows, out, _ = social
    age = {p["id"]: p["age"] for p in persons}
    # Some persons who follow someone over 50 who follows them back, whose three-step
    # walks include p -> x -> p -> x.
    pairs = set(follows)
    mutual = sorted({a for a, b in follows if (b, a) in pairs and age[b] > 50})
    assert len(mutual) >= 10
    for pid in random.Random(1).sample(range(N), 25) + mutual[:10]:
        assert one(conn, "MATCH (p:Person {id: $id}) RETURN p.name, p.age", {"id": pid}) == [
            [f"p{pid}", age[pid]]
        ]
        got = one(
            conn,
            "MATCH (p:Person {id: $id})-[:FOLLOWS]->(f:Person) WHERE f.age > 50 RETURN f.name",
            {"id": pid},
        )
        assert sorted(r[0] for r in got) == sorted(f"p{f}" for f in out[pid] if age[f] > 50)
        two = sum(1 for x in out[pid] for f in out[x] if age[f] > 50)
        assert one(
            conn,
            "MATCH (p:Person {id: $id})-[:FOLLOWS]->(:Person)-[:FOLLOWS]->(f:Person) "
            "WHERE f.age > 50 RETURN count(*)",
            {"id": pid},
        ) == [[two]]
        # Three steps: a walk that takes its first relationship again as its third
        # (p -> x -> p -> x) is no match.
        three = sum(
            1
            for x in out[pid]
            for y in out[x]
            for f in out[y]
            if age[f] > 50 and not (y == pid and f == x)
        )
        assert one(
            conn,
            "MATCH (p:Person {id: $id})-[:FOLLOWS]->(:Person)-[:FOLLOWS]->(:Person)"
            "-[:FOLLOWS]->(f:Person) WHERE f.age > 50 RETURN count(*)",
            {"id": pid},
        ) == [[three]]


def test_whole_graph_counts_and_groups(social):
    conn, persons, follows, out, inc = social
    walks = sum(len(inc[b]) * len(out[b]) for b in range(N))
    assert one(
        conn, "MATCH (a:Person)-[:FOLLOWS]->(b:Person)-[:FOLLOWS]->(c:Person) RETURN count(*)"
    ) == [[walks]]
    followers = Counter(b for _, b in follows)
    top = sorted(followers.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert one(
        conn,
        "MATCH (a:Person)-[:FOLLOWS]->(b:Person) RETURN b.id AS id, count(*) AS followers "
        "ORDER BY followers DESC, id LIMIT 10",
    ) == [list(t) for t in top]
    by_city = defaultdict(list)
    for p in persons:
        by_city[p["city"]].append(p["age"])
    got = one(
        conn,
        "MATCH (p:Person) RETURN p.city AS city, count(*) AS n, avg(p.age) AS age ORDER BY city",
    )
    assert [r[:2] for r in got] == [[c, len(by_city[c])] for c in sorted(by_city)]
    for (c, _, avg) in got:
        assert avg == pytest.approx(sum(by_city[c]) / len(by_city[c]), rel=1e-12)


def test_shortest_paths_and_merge(social):
    nx = pytest.importorskip("networkx")
    conn, _, follows, _, _ = social
    g = nx.DiGraph(follows)
    g.add_nodes_from(range(N))
    rng = random.Random(3)
    for _ in range(20):
        a, b = rng.randrange(N // 2, N), rng.randrange(N // 2, N)
        got = one(
            conn,
            "MATCH p = shortestPath((a:Person {id: $a})-[:FOLLOWS*..30]->(b:Person {id: $b})) "
            "RETURN length(p)",
            {"a": a, "b": b},
        )
        try:
            want = [[nx.shortest_path_length(g, a, b)]] if a != b else []
        except nx.NetworkXNoPath:
            want = []
        if a != b:
            assert got == want, (a, b)
    # MERGE of keys, half existing: only the new ones are made, once each.
    keys = [rng.randrange(N) for _ in range(500)] + list(range(N, N + 500))
    one(conn, "UNWIND $keys AS k MERGE (p:Person {id: k})", {"keys": keys})
    assert one(conn, "MATCH (p:Person) RETURN count(*)") == [[N + 500]]
    one(conn, "UNWIND $keys AS k MERGE (p:Person {id: k})", {"keys": keys})
    assert one(conn, "MATCH (p:Person) RETURN count(*)") == [[N + 500]]
