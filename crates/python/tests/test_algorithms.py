"""PageRank and weakly connected components against answers computed by hand, on the
whole graph and on projections by label and edge type."""

import pytest

import pagegraph


def graph(db, nodes, edges):
    """Nodes as labels, edges as (from index, to index, type); returns the node ids."""
    with db.write() as tx:
        ids = tx.create_nodes((label, {"i": i}) for i, label in enumerate(nodes))
        tx.create_edges((ids[a], ids[b], t) for a, b, t in edges)
    return ids


def test_pagerank_with_dangling_nodes(db):
    # a -> b, c alone. b and c are dangling and spread their rank over all three.
    # a = c = 0.05 + 0.85/3 (b + c) and 2a + b = 1 give a = c = 20/77, b = 37/77.
    a, b, c = graph(db, ["N", "N", "N"], [(0, 1, "X")])
    ranks = db.pagerank(iterations=100)
    assert ranks == {a: pytest.approx(20 / 77, abs=1e-12), b: pytest.approx(37 / 77, abs=1e-12), c: pytest.approx(20 / 77, abs=1e-12)}
    assert list(ranks) == [a, b, c]
    # Reversed, rank flows from b to a.
    rev = db.pagerank(iterations=100, direction="in")
    assert rev[a] == pytest.approx(37 / 77, abs=1e-12) and rev[b] == pytest.approx(20 / 77, abs=1e-12)


def test_pagerank_of_a_cycle_is_uniform(db):
    ids = graph(db, ["N"] * 4, [(0, 1, "X"), (1, 2, "X"), (2, 3, "X"), (3, 0, "X")])
    assert db.pagerank() == {i: pytest.approx(0.25, abs=1e-12) for i in ids}


def test_pagerank_projection(db):
    # P: a, b; Q: c. a -X-> b -X-> c -Y-> a. Over P alone: a -> b, b dangling:
    # a = 0.075 + 0.425 b, a + b = 1, so a = 20/57, b = 37/57.
    a, b, c = graph(db, ["P", "P", "Q"], [(0, 1, "X"), (1, 2, "X"), (2, 0, "Y")])
    ranks = db.pagerank(label="P", iterations=100)
    assert ranks == {a: pytest.approx(20 / 57, abs=1e-12), b: pytest.approx(37 / 57, abs=1e-12)}
    # Over X edges only: a -> b -> c, c dangling.
    x = db.pagerank(edge_type="X", iterations=200)
    assert sum(x.values()) == pytest.approx(1.0)
    assert x[a] < x[b] < x[c]
    assert db.pagerank(edge_type="NONE") == {i: pytest.approx(1 / 3) for i in (a, b, c)}


def test_pagerank_arguments(db):
    graph(db, ["N"], [])
    with pytest.raises(ValueError, match="damping"):
        db.pagerank(damping=1.5)
    with pytest.raises(ValueError, match="direction"):
        db.pagerank(direction="up")
    assert list(db.pagerank(damping=0.0).values()) == [1.0]


def test_empty_graph(db):
    assert db.pagerank() == {} and db.wcc() == {}


def test_wcc(db):
    # 0 -> 1 <- 2 (one component, directions ignored), 3 alone, 4 with a self-loop,
    # 5 -Y-> 3 (joins 3 unless only X edges count).
    ids = graph(db, ["A", "A", "B", "B", "A", "A"], [(0, 1, "X"), (2, 1, "X"), (4, 4, "X"), (5, 3, "Y")])
    n0, n1, n2, n3, n4, n5 = ids
    assert db.wcc() == {n0: n0, n1: n0, n2: n0, n3: n3, n4: n4, n5: n3}
    assert db.wcc(edge_type="X") == {n0: n0, n1: n0, n2: n0, n3: n3, n4: n4, n5: n5}
    # Label A only: n2 and n3 are outside, so n0 -> n1 stays and n5's edge goes.
    assert db.wcc(label="A") == {n0: n0, n1: n0, n4: n4, n5: n5}


def test_algorithms_see_the_last_commit(db):
    a, b = graph(db, ["N", "N"], [])
    assert db.wcc() == {a: a, b: b}
    with db.write() as tx:
        tx.create_edge(a, b, "X")
    assert db.wcc() == {a: a, b: a}


def random_graph(db, n=40, m=120, seed=5):
    """A random directed graph (self-loops and repeated edges included) in pagegraph and
    networkx, the same node ids in both."""
    import random

    nx = pytest.importorskip("networkx")
    rng = random.Random(seed)
    pairs = [(rng.randrange(n), rng.randrange(n)) for _ in range(m)]
    ids = graph(db, ["N"] * n, [(a, b, "X") for a, b in pairs])
    g = nx.MultiDiGraph()
    g.add_nodes_from(ids)
    g.add_edges_from((ids[a], ids[b]) for a, b in pairs)
    return nx, g, ids


def test_per_node_algorithms_match_networkx(db):
    nx, g, ids = random_graph(db)
    simple = nx.DiGraph(g)
    undirected = nx.Graph(g)
    undirected.remove_edges_from(nx.selfloop_edges(undirected))
    # Components, by the sets they make.
    sets = {}
    for node, comp in db.scc().items():
        sets.setdefault(comp, set()).add(node)
        assert comp == min(sets[comp] | {comp})
    assert sorted(map(sorted, sets.values())) == sorted(map(sorted, nx.strongly_connected_components(simple)))
    assert db.degree(direction="out") == dict(g.out_degree())
    assert db.degree(direction="in") == dict(g.in_degree())
    assert db.core_numbers() == nx.core_number(undirected)
    assert db.triangles() == nx.triangles(undirected)
    clustering = db.clustering()
    for node, c in nx.clustering(undirected).items():
        assert clustering[node] == pytest.approx(c, abs=1e-12)
    between = db.betweenness()
    for node, b in nx.betweenness_centrality(simple, normalized=False).items():
        assert between[node] == pytest.approx(b, abs=1e-9)
    closeness = db.closeness()
    # networkx measures closeness along incoming paths; ours along `direction`.
    for node, c in nx.closeness_centrality(simple.reverse()).items():
        assert closeness[node] == pytest.approx(c, abs=1e-12)


def test_paths_and_searches_match_networkx(db):
    nx, g, ids = random_graph(db, seed=9)
    simple = nx.DiGraph(g)
    lengths = dict(nx.all_pairs_shortest_path_length(simple))
    for a in ids[:8]:
        for b in ids[-8:]:
            p = db.shortest_path(a, b)
            if b not in lengths[a]:
                assert p is None
                continue
            assert len(p["edges"]) == lengths[a][b] and p["cost"] == lengths[a][b]
            assert p["nodes"][0] == a and p["nodes"][-1] == b
            for x, y in zip(p["nodes"], p["nodes"][1:]):
                assert simple.has_edge(x, y)
        depths = db.bfs(a, max_depth=2)
        assert depths == nx.single_source_shortest_path_length(simple, a, cutoff=2)
        assert next(iter(depths)) == a
    # Weighted: the cheaper of two routes by a property.
    with db.write() as tx:
        s, m, t = (tx.create_node("W") for _ in range(3))
        tx.create_edge(s, t, "R", {"w": 10})
        tx.create_edge(s, m, "R", {"w": 2})
        tx.create_edge(m, t, "R", {"w": 3})
    assert db.shortest_path(s, t, edge_type="R")["nodes"] == [s, t]
    cheap = db.shortest_path(s, t, edge_type="R", weight="w")
    assert cheap["nodes"] == [s, m, t] and cheap["cost"] == 5.0
    assert db.shortest_path(t, s, edge_type="R") is None
    assert db.shortest_path(t, s, edge_type="R", direction="in")["nodes"] == [t, s]
    with pytest.raises(ValueError, match="direction"):
        db.bfs(s, direction="sideways")


def test_communities_and_order(db):
    # Two 5-cliques joined by one edge: both community methods find the cliques.
    edges = [(a, b, "X") for k in (0, 5) for a in range(k, k + 5) for b in range(k, k + 5) if a < b]
    ids = graph(db, ["N"] * 10, edges + [(4, 5, "X")])
    cliques = [set(ids[:5]), set(ids[5:])]
    for found in (db.louvain(), db.label_propagation(seed=1)):
        groups = {}
        for node, c in found.items():
            groups.setdefault(c, set()).add(node)
        assert sorted(groups.values(), key=min) == cliques
    assert db.louvain(seed=3) == db.louvain(seed=3)
    # A DAG sorts; a cycle is named.
    with db.write() as tx:
        a, b, c = (tx.create_node("D") for _ in range(3))
        tx.create_edge(b, c, "Y")
        tx.create_edge(a, b, "Y")
    assert db.toposort(label="D") == [a, b, c]
    with db.write() as tx:
        tx.create_edge(c, a, "Y")
    with pytest.raises(ValueError, match="cycle"):
        db.toposort(label="D")


def test_weighted_paths_dominators_and_dags_match_networkx(db):
    import random

    nx = pytest.importorskip("networkx")
    rng = random.Random(21)
    n = 25
    pairs = {(rng.randrange(n), rng.randrange(n)) for _ in range(70)}
    pairs = sorted((a, b) for a, b in pairs if a != b)
    weights = {p: rng.randrange(1, 10) for p in pairs}
    with db.write() as tx:
        ids = [tx.create_node("N", {"i": i}) for i in range(n)]
        for a, b in pairs:
            tx.create_edge(ids[a], ids[b], "X", {"w": weights[(a, b)]})
    g = nx.DiGraph()
    g.add_nodes_from(ids)
    for (a, b), w in weights.items():
        g.add_edge(ids[a], ids[b], w=w)
    for s in ids[:5]:
        got = db.sssp(s, weight="w")
        want = nx.single_source_dijkstra_path_length(g, s, weight="w")
        assert got == {k: pytest.approx(v) for k, v in want.items()}
        assert list(got.values()) == sorted(got.values())
        assert db.sssp(s) == {k: float(v) for k, v in nx.single_source_shortest_path_length(g, s).items()}
        doms = db.dominators(s)
        want_doms = {k: v for k, v in nx.immediate_dominators(g, s).items() if k != s}
        assert doms == want_doms
        post = db.dominators(s, post=True)
        assert post == {k: v for k, v in nx.immediate_dominators(g.reverse(), s).items() if k != s}
    a, b = ids[0], ids[-1]
    if nx.has_path(g, a, b):
        got = [p["cost"] for p in db.k_shortest_paths(a, b, 4, weight="w")]
        want = []
        for path in nx.shortest_simple_paths(g, a, b, weight="w"):
            want.append(float(nx.path_weight(g, path, "w")))
            if len(want) == 4:
                break
        assert got == want
    # A DAG: edges from lower to higher index only; its reduction is networkx's.
    dag = [(a, b) for a, b in pairs if a < b]
    with db.write() as tx:
        dids = [tx.create_node("D") for _ in range(n)]
        eids = {tx.create_edge(dids[a], dids[b], "D"): (dids[a], dids[b]) for a, b in dag}
    h = nx.DiGraph(eids.values())
    kept = {eids[e] for e in db.transitive_reduction(edge_type="D")}
    assert kept == set(nx.transitive_reduction(h).edges())
    assert db.find_cycle(edge_type="D") is None
    cycle = db.find_cycle(edge_type="X")
    assert cycle is not None and all(g.has_edge(x, y) for x, y in zip(cycle, cycle[1:] + cycle[:1]))
    with pytest.raises(ValueError, match="cycle"):
        db.transitive_reduction(edge_type="X")
