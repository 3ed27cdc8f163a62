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
