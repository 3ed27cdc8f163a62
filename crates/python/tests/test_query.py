"""Cypher through Kùzu's API: Connection.execute and every accessor of QueryResult, with
nodes, relationships and paths as dicts. Not here: the DataFrame and networkx conversions
(test_dataframes.py) and errors (test_errors.py)."""

import pytest

import pagegraph


@pytest.fixture
def people(conn):
    conn.execute(
        "CREATE (a:Person {name: 'Ada', born: 1815})-[:KNOWS {since: 1833}]->"
        "(b:Person:Author {name: 'Mary', born: 1797}), (c:Person {name: 'Charles', born: 1791}), "
        "(a)-[:KNOWS {since: 1834}]->(c)"
    )
    return conn


def test_columns_and_rows(people):
    r = people.execute("MATCH (p:Person) RETURN p.name AS name, p.born ORDER BY name")
    assert r.get_column_names() == ["name", "p.born"]
    assert r.get_num_tuples() == 3
    assert r.get_all() == [["Ada", 1815], ["Charles", 1791], ["Mary", 1797]]
    # get_all returns what is left: nothing now, until the iterator is reset.
    assert r.get_all() == []
    r.reset_iterator()
    assert list(r) == [["Ada", 1815], ["Charles", 1791], ["Mary", 1797]]


def test_get_next_and_has_next(people):
    r = people.execute("MATCH (p:Person) RETURN p.name ORDER BY p.born")
    seen = []
    while r.has_next():
        seen.append(r.get_next())
    assert seen == [["Charles"], ["Mary"], ["Ada"]]
    with pytest.raises(IndexError):
        r.get_next()


def test_rows_as_dict(people):
    r = people.execute("MATCH (p:Person {name: 'Ada'}) RETURN p.name AS name, p.born AS born")
    assert r.rows_as_dict() is r
    assert r.get_next() == {"name": "Ada", "born": 1815}
    r.reset_iterator()
    r.rows_as_dict(False)
    assert r.get_next() == ["Ada", 1815]


def test_parameters(conn):
    r = conn.execute(
        "RETURN $i + 1 AS i, $f * 2 AS f, $s + '!' AS s, $b AS b, $n AS n, $l AS l, $m.k AS m",
        {"i": 41, "f": 1.25, "s": "hi", "b": True, "n": None, "l": [1, "two", [3.0]], "m": {"k": "v"}},
    )
    assert r.get_all() == [[42, 2.5, "hi!", True, None, [1, "two", [3.0]], "v"]]


def test_node_dict_shape(people):
    node = people.execute("MATCH (m:Author) RETURN m").get_next()[0]
    assert isinstance(node, pagegraph.Node) and isinstance(node, dict)
    assert set(node) == {"_id", "_label", "_labels", "name", "born"}
    assert node["_label"] == "Person"
    assert node["_labels"] == ["Person", "Author"]
    assert (node["name"], node["born"]) == ("Mary", 1797)
    assert isinstance(node["_id"], int)


def test_relationship_dict_shape(people):
    a, k, b = people.execute(
        "MATCH (a)-[k:KNOWS]->(b {name: 'Mary'}) RETURN a, k, b"
    ).get_next()
    assert isinstance(k, pagegraph.Relationship)
    assert k == {"_id": k["_id"], "_src": a["_id"], "_dst": b["_id"], "_label": "KNOWS", "since": 1833}


def test_path_dict_shape(people):
    (p,) = people.execute(
        "MATCH p = (:Person {name: 'Ada'})-[:KNOWS]->(:Person {name: 'Charles'}) RETURN p"
    ).get_next()
    assert isinstance(p, pagegraph.Path)
    assert [n["name"] for n in p["_nodes"]] == ["Ada", "Charles"]
    assert [r["since"] for r in p["_rels"]] == [1834]
    assert p["_rels"][0]["_src"] == p["_nodes"][0]["_id"]


def test_nodes_inside_lists_and_maps(people):
    r = people.execute(
        "MATCH (a {name: 'Ada'})-[:KNOWS]->(f) WITH a, f ORDER BY f.name "
        "RETURN collect(f) AS friends, {who: a} AS m"
    )
    friends, m = r.get_next()
    assert [f["name"] for f in friends] == ["Charles", "Mary"]
    assert m["who"]["name"] == "Ada"


def test_write_stats_and_visibility(conn):
    r = conn.execute("UNWIND range(1, 3) AS i CREATE (:N {i: i}) RETURN count(*) AS made")
    assert r.get_all() == [[3]]
    assert r.stats["nodes_created"] == 3
    assert r.stats["properties_set"] == 3
    # Committed: a new query sees them.
    assert conn.execute("MATCH (n:N) RETURN sum(n.i)").get_all() == [[6]]
    r = conn.execute("MATCH (n:N {i: 2}) SET n.i = 20 REMOVE n:N SET n:M RETURN n")
    node = r.get_next()[0]
    assert node["_labels"] == ["M"] and node["i"] == 20
    assert r.stats["labels_added"] == 1 and r.stats["labels_removed"] == 1
    assert conn.execute("MATCH (n:N) DETACH DELETE n").stats["nodes_deleted"] == 2


def test_returned_node_deleted_by_the_query(conn):
    conn.execute("CREATE (:Gone {x: 1})")
    node = conn.execute("MATCH (n:Gone) DELETE n RETURN n").get_next()[0]
    assert node["_label"] is None and node["_labels"] == []
    assert conn.execute("MATCH (n:Gone) RETURN count(n)").get_all() == [[0]]


def test_failed_write_query_changes_nothing(conn):
    conn.execute("CREATE (:T {v: 1})")
    with pytest.raises(pagegraph.QueryError):
        conn.execute("MATCH (t:T) CREATE (:T {v: 2}) WITH t RETURN 1 / 0")
    assert conn.execute("MATCH (t:T) RETURN count(t)").get_all() == [[1]]


def test_schema_statements_and_procedures(conn):
    conn.execute("CREATE INDEX person_name FOR (p:Person) ON (p.name)")
    conn.execute("CREATE (:Person {name: 'Ada'})")
    r = conn.execute("CALL db.indexes() YIELD name, entries RETURN name, entries")
    assert r.get_all() == [["person_name", 1]]
    conn.execute("DROP INDEX person_name")
    assert conn.execute("CALL db.indexes() YIELD name RETURN name").get_all() == []


def test_empty_result(conn):
    r = conn.execute("MATCH (n:Nothing) RETURN n.x AS x")
    assert r.get_column_names() == ["x"]
    assert not r.has_next() and r.get_all() == [] and r.get_num_tuples() == 0


def test_closed_connection(db):
    with pagegraph.Connection(db) as c:
        assert c.execute("RETURN 1").get_all() == [[1]]
    with pytest.raises(pagegraph.Error):
        c.execute("RETURN 1")


def test_connection_needs_a_database():
    with pytest.raises(TypeError):
        pagegraph.Connection("not a database")


def test_rows_are_read_one_at_a_time_or_all_at_once_from_any_point(people):
    result = people.execute("MATCH (p:Person) RETURN p.name AS name ORDER BY name")
    everything = [r for r in people.execute("MATCH (p:Person) RETURN p.name AS name ORDER BY name")]
    first = result.get_next()
    assert [first] + result.get_all() == everything
    assert not result.has_next() and result.get_all() == []
    result.reset_iterator()
    assert list(result) == everything
    assert result.get_num_tuples() == len(everything)
