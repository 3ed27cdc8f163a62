"""Tables in and out: Parquet and Arrow IPC export read back by DuckDB and pyarrow, the
round trip through import_tables, tables that pandas writes, and labelled CSV through
import_csv (the importer the CLI uses)."""

import pytest

import pagegraph

GRAPH = """
CREATE (a:Person {id: 1, name: 'Ann', age: 41, score: 1.5, tags: ['x', 'y']}),
       (b:Person {id: 2, name: 'Bob', age: 37, score: -0.25, tags: []}),
       (c:City {id: 'c-1', name: 'Oslo'}),
       (a)-[:KNOWS {since: 2001}]->(b),
       (b)-[:KNOWS {since: 2010}]->(a),
       (a)-[:LIVES_IN]->(c),
       (b)-[:LIVES_IN]->(c)
"""


def dump(db):
    """Every node (id, labels, properties) and edge (from, to, type, properties)."""
    conn = pagegraph.Connection(db)
    nodes = conn.execute(
        "MATCH (n) RETURN id(n) AS i, labels(n) AS l, properties(n) AS p ORDER BY i"
    ).get_all()
    edges = conn.execute(
        "MATCH (a)-[r]->(b) RETURN id(a) AS a, id(b) AS b, type(r) AS t, properties(r) AS p "
        "ORDER BY a, b, t"
    ).get_all()
    return nodes, edges


@pytest.fixture
def graph(tmp_path):
    db = pagegraph.Database(str(tmp_path / "g.pgdb"))
    pagegraph.Connection(db).execute(GRAPH)
    # A map property (Cypher cannot store one; the native API can).
    with db.write() as tx:
        city = tx.find_nodes("City", "name", "Oslo")[0]
        tx.update_node(city, {"meta": {"founded": 1040}})
    yield db
    db.close()


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
def test_export_then_import_is_the_same_graph(graph, tmp_path, fmt):
    out = tmp_path / "t"
    done = graph.export_tables(out, format=fmt)
    assert (done["nodes"], done["edges"]) == (3, 4)
    assert sorted(f.rsplit("/", 2)[-2] + "/" + f.rsplit("/", 1)[-1] for f in done["files"]) == [
        f"edges/KNOWS.{fmt}",
        f"edges/LIVES_IN.{fmt}",
        f"nodes/City.{fmt}",
        f"nodes/Person.{fmt}",
    ]
    copy = pagegraph.Database(str(tmp_path / "copy.pgdb"))
    summary = copy.import_tables(out)
    assert (summary["nodes"], summary["edges"], summary["skipped"]) == (3, 4, 0)
    assert dump(copy) == dump(graph)
    # Again with upsert: updated, not duplicated.
    again = copy.import_tables(out, upsert=True)
    assert (again["nodes"], again["nodes_updated"], again["edges_updated"]) == (0, 3, 4)
    assert dump(copy) == dump(graph)
    copy.close()


def test_duckdb_reads_the_export_as_it_is(graph, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "t"
    graph.export_tables(out)
    con = duckdb.connect()
    # The recipe of docs/tables.md: every node table at once, then a join over an edge table.
    nodes = con.execute(
        f"SELECT count(*) FROM read_parquet('{out}/nodes/*.parquet', union_by_name = true)"
    ).fetchall()
    assert nodes == [(3,)]
    pairs = con.execute(
        f"""SELECT p.name, q.name, k.since
            FROM read_parquet('{out}/edges/KNOWS.parquet') k
            JOIN read_parquet('{out}/nodes/Person.parquet') p ON k.src = p.id
            JOIN read_parquet('{out}/nodes/Person.parquet') q ON k.dst = q.id
            ORDER BY k.since"""
    ).fetchall()
    assert pairs == [("Ann", "Bob", 2001), ("Bob", "Ann", 2010)]
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{out}/nodes/Person.parquet')")
    types = {row[0]: row[1] for row in described.fetchall()}
    assert types["id"] == "BIGINT"
    assert types["labels"] == "VARCHAR[]"
    assert types["age"] == "BIGINT"
    assert types["score"] == "DOUBLE"
    assert types["tags"] == "VARCHAR[]"
    # The node's own `id` property, beside the `id` column of node ids.
    assert types["data:id"] == "BIGINT"


def test_pyarrow_sees_typed_columns_and_a_subset(graph, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "people"
    done = graph.export_tables(out, labels=["Person"], types=["KNOWS"])
    assert (done["nodes"], done["edges"]) == (2, 2)
    people = pq.read_table(out / "nodes" / "Person.parquet")
    assert people.column("name").to_pylist() == ["Ann", "Bob"]
    assert people.column("tags").to_pylist() == [["x", "y"], []]
    assert people.column("labels").to_pylist() == [["Person"], ["Person"]]
    knows = pq.read_table(out / "edges" / "KNOWS.parquet")
    assert knows.column_names == ["id", "src", "dst", "since"]
    assert not (out / "nodes" / "City.parquet").exists()
    # A map has no one Arrow type: its JSON text, marked as such.
    graph.export_tables(tmp_path / "all")
    city = pq.read_table(tmp_path / "all" / "nodes" / "City.parquet")
    field = city.schema.field("meta")
    assert field.metadata == {b"pagegraph:json": b"true"}
    assert city.column("meta").to_pylist() == ['{"founded":1040}']


def test_tables_pandas_writes_load(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    (tmp_path / "t" / "nodes").mkdir(parents=True)
    (tmp_path / "t" / "edges").mkdir()
    pd.DataFrame({"id": ["u1", "u2", "u3"], "name": ["Ann", "Bob", None], "age": [41, 37, 29]}).to_parquet(
        tmp_path / "t" / "nodes" / "User.parquet"
    )
    pd.DataFrame({"src": ["u1", "u2"], "dst": ["u2", "u3"], "w": [0.5, 1.0]}).to_parquet(
        tmp_path / "t" / "edges" / "FOLLOWS.parquet"
    )
    db = pagegraph.Database()
    summary = db.import_tables(tmp_path / "t")
    assert (summary["nodes"], summary["edges"]) == (3, 2)
    rows = (
        pagegraph.Connection(db)
        .execute(
            "MATCH (a:User)-[f:FOLLOWS]->(b:User) RETURN a.id AS a, b.id AS b, f.w AS w, "
            "b.name AS name, b.age AS age ORDER BY a"
        )
        .get_all()
    )
    assert rows == [["u1", "u2", 0.5, "Bob", 37], ["u2", "u3", 1.0, None, 29]]


def test_import_csv_loads_a_mapping(tmp_path):
    (tmp_path / "person.csv").write_text("id:ID(Person)|name\n1|Ann\n2|Bob\n")
    (tmp_path / "knows.csv").write_text(":START_ID(Person)|:END_ID(Person)|since:INT\n1|2|2001\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'delimiter = "|"\n'
        '[[nodes]]\nlabel = "Person"\nfiles = ["person.csv"]\n'
        '[[edges]]\ntype = "KNOWS"\nfiles = ["knows.csv"]\n'
    )
    db = pagegraph.Database()
    summary = db.import_csv(mapping)
    assert (summary["nodes"], summary["edges"]) == (2, 1)
    got = pagegraph.Connection(db).execute(
        "MATCH (a:Person)-[k:KNOWS]->(b) RETURN a.name, b.name, k.since"
    ).get_all()
    assert got == [["Ann", "Bob", 2001]]
    # A bad line names its file and line.
    (tmp_path / "knows.csv").write_text(":START_ID(Person)|:END_ID(Person)|since:INT\n1|9|2001\n")
    with pytest.raises(pagegraph.Error, match=r"knows\.csv:2"):
        pagegraph.Database().import_csv(mapping)


def test_bad_arguments_and_inputs_raise(graph, tmp_path):
    with pytest.raises(ValueError, match="format"):
        graph.export_tables(tmp_path / "x", format="csv")
    with pytest.raises(pagegraph.Error, match="holds no tables"):
        graph.import_tables(tmp_path / "nothing")
    graph.export_tables(tmp_path / "t")
    with pytest.raises(pagegraph.Error, match="not empty"):
        graph.export_tables(tmp_path / "t")
    # The nodes are in the database already (their keys), without upsert.
    with pytest.raises(pagegraph.Error, match="already in the database"):
        graph.import_tables(tmp_path / "t")


def test_a_query_chooses_what_is_exported(graph, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "q"
    done = graph.export_tables(
        out, query="MATCH (a:Person {name: $name})-[k:KNOWS]->(b) RETURN k", parameters={"name": "Ann"}
    )
    # Ann's one KNOWS relationship brings Ann and Bob.
    assert (done["nodes"], done["edges"]) == (2, 1)
    assert pq.read_table(out / "edges" / "KNOWS.parquet").column("since").to_pylist() == [2001]
    with pytest.raises(pagegraph.QueryError):
        graph.export_tables(tmp_path / "w", query="CREATE (n:X) RETURN n")
    assert pagegraph.Connection(graph).execute("MATCH (n:X) RETURN count(n)").get_all() == [[0]]
