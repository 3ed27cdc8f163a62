"""QueryResult to pandas, polars, pyarrow and networkx: column types that keep values
exact, nodes and relationships inside, and the error when a package is missing. Each
test is skipped when its package is not installed (run-tests.sh installs them all)."""

import sys

import pytest

import pagegraph

BIG = 2**62 + 1  # not exact as a float: an int column with nulls must not become float


@pytest.fixture
def result(conn):
    conn.execute(
        "CREATE (:P {name: 'a', n: 1, big: $big, f: 0.5, ok: true})-[:R {w: 2}]->"
        "(:P {name: 'b', f: 1.5, ok: false})",
        {"big": BIG},
    )
    return conn.execute(
        "MATCH (p:P) OPTIONAL MATCH (p)-[r:R]->() "
        "RETURN p.name AS name, p.n AS n, p.big AS big, p.f AS f, p.ok AS ok, p, r, [p.name] AS l "
        "ORDER BY name"
    )


def test_pandas(result):
    pd = pytest.importorskip("pandas")
    df = result.get_as_df()
    assert list(df.columns) == ["name", "n", "big", "f", "ok", "p", "r", "l"]
    assert str(df["n"].dtype) == "Int64" and df["n"][0] == 1 and df["n"].isna()[1]
    assert df["big"][0] == BIG  # exact
    assert str(df["f"].dtype) == "float64" and list(df["f"]) == [0.5, 1.5]
    assert str(df["ok"].dtype) == "bool" and list(df["ok"]) == [True, False]
    assert df["p"][0]["name"] == "a" and df["p"][1]["_label"] == "P"
    assert df["r"][0]["w"] == 2 and df["r"][1] is None
    assert list(df["l"]) == [["a"], ["b"]]
    empty = pagegraph.Connection(pagegraph.Database()).execute("MATCH (n) RETURN n.x AS x").get_as_df()
    assert list(empty.columns) == ["x"] and len(empty) == 0
    assert isinstance(df, pd.DataFrame)


def test_polars(result, conn):
    pl = pytest.importorskip("polars")
    df = result.get_as_pl()
    assert df.columns == ["name", "n", "big", "f", "ok", "p", "r", "l"]
    assert df["n"].dtype == pl.Int64 and df["n"].to_list() == [1, None]
    assert df["big"].to_list() == [BIG, None]
    assert df["ok"].to_list() == [True, False]
    assert df["p"].to_list()[0]["name"] == "a"
    mixed = conn.execute("UNWIND [1, 'x'] AS v RETURN v").get_as_pl()
    assert mixed["v"].dtype == pl.Object and mixed["v"].to_list() == [1, "x"]


def test_arrow(result, conn):
    pa = pytest.importorskip("pyarrow")
    t = result.get_as_arrow()
    assert t.column_names == ["name", "n", "big", "f", "ok", "p", "r", "l"]
    assert t.schema.field("n").type == pa.int64()
    assert t.column("big").to_pylist() == [BIG, None]
    assert pa.types.is_struct(t.schema.field("p").type)
    assert t.column("p").to_pylist()[0]["name"] == "a"
    chunked = conn.execute("UNWIND range(1, 10) AS i RETURN i").get_as_arrow(chunk_size=4)
    assert [b.num_rows for b in chunked.to_batches()] == [4, 4, 2]
    with pytest.raises(pagegraph.Error, match="column 'v'"):
        conn.execute("UNWIND [1, 'x'] AS v RETURN v").get_as_arrow()


def test_networkx(conn):
    nx = pytest.importorskip("networkx")
    conn.execute(
        "CREATE (a:C {name: 'a'})-[:ROAD {km: 1}]->(b:C {name: 'b'})-[:ROAD {km: 2}]->(c:C {name: 'c'}), "
        "(a)-[:ROAD {km: 5}]->(b)"
    )
    r = conn.execute("MATCH (x)-[r:ROAD]->(y) RETURN x, r, y")
    g = r.get_as_networkx()
    assert isinstance(g, nx.MultiDiGraph)
    assert sorted(d["name"] for _, d in g.nodes(data=True)) == ["a", "b", "c"]
    assert g.number_of_edges() == 3  # the two parallel a -> b roads are both kept
    names = nx.get_node_attributes(g, "name")
    a = next(n for n, v in names.items() if v == "a")
    c = next(n for n, v in names.items() if v == "c")
    assert nx.shortest_path_length(g, a, c, weight="km") == 3
    edge = next(iter(g.edges(keys=True, data=True)))
    assert edge[2] == edge[3]["_id"] and edge[3]["_label"] == "ROAD"
    und = conn.execute("MATCH p = (:C {name: 'a'})-[:ROAD*2]->(:C) RETURN p").get_as_networkx(directed=False)
    assert isinstance(und, nx.MultiGraph) and und.number_of_nodes() == 3
    # A relationship alone brings its end nodes, without attributes.
    only = conn.execute("MATCH ()-[r:ROAD {km: 2}]->() RETURN r").get_as_networkx()
    assert only.number_of_nodes() == 2 and only.number_of_edges() == 1


@pytest.mark.parametrize(
    "module, call",
    [("pandas", "get_as_df"), ("polars", "get_as_pl"), ("pyarrow", "get_as_arrow"), ("networkx", "get_as_networkx")],
)
def test_missing_package_is_a_clear_error(conn, monkeypatch, module, call):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    r = conn.execute("RETURN 1 AS x")
    with pytest.raises(ImportError, match=f"pip install {module}"):
        getattr(r, call)()


def test_tables_insert_without_a_python_loop_per_row():
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    people = pd.DataFrame(
        {"name": ["ada", "bob", "cy"], "age": [36, None, 41], "city": ["x", "y", None]}
    )
    db = pagegraph.Database()
    with db.write() as tx:
        ids = tx.create_nodes_from(people, "Person")
        edges = pd.DataFrame({"src": [ids[0], ids[1], ids[2]], "dst": [ids[1], ids[2], ids[0]],
                              "since": [2010, 2015, 2020]})
        made = tx.create_edges_from(edges, edge_type="KNOWS", properties=["since"])
        # The same from pyarrow and polars tables.
        more = tx.create_edges_from(
            pa.table({"a": pa.array([ids[0]], pa.int64()), "b": pa.array([ids[2]], pa.int64())}),
            src="a", dst="b", edge_type="LIKES",
        )
        extra = tx.create_nodes_from(pl.DataFrame({"name": ["dee"]}), ["Person", "New"])
    assert len(made) == 3 and len(more) == 1 and len(extra) == 1
    rows = db.execute(
        "MATCH (a:Person)-[k:KNOWS]->(b) RETURN a.name, b.name, k.since ORDER BY k.since"
    ).get_all()
    assert rows == [["ada", "bob", 2010], ["bob", "cy", 2015], ["cy", "ada", 2020]]
    # A missing value (pandas NaN in a float column, None elsewhere) is no property...
    assert db.execute("MATCH (p:Person {name: 'cy'}) RETURN p.city").get_all() == [[None]]
    assert db.execute("MATCH (p:New) RETURN p.name").get_all() == [["dee"]]
    assert db.execute("MATCH ()-[:LIKES]->(b) RETURN b.name").get_all() == [["cy"]]


def test_table_inserts_refuse_bad_columns_and_write_nothing():
    import pandas as pd

    db = pagegraph.Database()
    with db.write() as tx:
        a, b = tx.create_nodes([("N",), ("N",)])
        with pytest.raises(ValueError, match="no column"):
            tx.create_edges_from(pd.DataFrame({"src": [a]}), edge_type="R")
        with pytest.raises(TypeError, match="integers"):
            tx.create_edges_from(pd.DataFrame({"src": ["x"], "dst": ["y"]}), edge_type="R")
        with pytest.raises(ValueError, match="not a node id"):
            tx.create_edges_from(pd.DataFrame({"src": [-1], "dst": [a]}), edge_type="R")
        # An endpoint that does not exist: the whole batch is refused.
        with pytest.raises(pagegraph.Error):
            tx.create_edges_from(pd.DataFrame({"src": [a, a], "dst": [b, 999]}), edge_type="R")
    assert db.edge_count() == 0


def test_a_table_of_several_batches_writes_its_adjacency_once(db):
    import pandas as pd

    # Over 100,000 rows: the batches hold their adjacency back, written after the last one.
    n = 250_000
    with db.write() as tx:
        ids = tx.create_nodes(("N",) for _ in range(1000))
        src = [ids[i % 1000] for i in range(n)]
        dst = [ids[(i * 7 + 3) % 1000] for i in range(n)]
        made = tx.create_edges_from(pd.DataFrame({"src": src, "dst": dst}), edge_type="E")
        assert len(made) == n
        # Read back in the same transaction: the adjacency is there.
        assert len(tx.neighbors(ids[0], "out")) == n // 1000
        # A bad row in the third batch: that batch is refused, the adjacency of the first
        # two is written, and the transaction goes on.
        bad = dst[:]
        bad[230_000] = 10**9
        with pytest.raises(pagegraph.Error):
            tx.create_edges_from(pd.DataFrame({"src": src, "dst": bad}), edge_type="F")
        assert len(tx.neighbors(ids[0], "out")) == n // 1000 + 200
    assert db.edge_count() == n + 200_000
    assert db.check()["clean"]


def test_numeric_columns_read_from_memory_keep_every_value_as_the_list_path_does():
    import numpy as np
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    # Numeric and boolean columns without nulls are read from their memory; the others
    # (nulls, strings, uint64, objects) value by value. Either way each row's properties
    # must be its values as Python sees them, a missing value (None, NaN) left out.
    cols = {
        "f": [0.5, float("nan"), -1e300, 3.0],
        "i": [1, -(2**63), 2**63 - 1, 0],
        "u32": np.array([0, 1, 2**32 - 1, 7], dtype=np.uint32),
        "u64": np.array([0, 1, 2**63 - 1, 7], dtype=np.uint64),
        "b": [True, False, True, False],
        "s": ["x", None, "z", ""],
    }
    frames = {
        "pandas": pd.DataFrame({**cols, "n": pd.array([1, None, 3, 4], dtype="Int64")}),
        "polars": pl.DataFrame({**cols, "n": pl.Series([1, None, 3, 4], dtype=pl.Int64)}),
        "arrow": pa.table({**cols, "n": pa.array([1, None, 3, 4], pa.int64())}),
    }
    expect = [
        {"f": 0.5, "i": 1, "u32": 0, "u64": 0, "b": True, "s": "x", "n": 1},
        {"i": -(2**63), "u32": 1, "u64": 1, "b": False},
        {"f": -1e300, "i": 2**63 - 1, "u32": 2**32 - 1, "u64": 2**63 - 1, "b": True, "s": "z",
         "n": 3},
        {"f": 3.0, "i": 0, "u32": 7, "u64": 7, "b": False, "s": "", "n": 4},
    ]

    def props(element):
        return {k: v for k, v in element.items() if not k.startswith("_")}

    for name, frame in frames.items():
        db = pagegraph.Database()
        names = list(cols) + ["n"]
        with db.write() as tx:
            a, b = tx.create_nodes([("N",), ("N",)])
            ends = {"src": [a] * 4, "dst": [b] * 4}
            if name == "pandas":
                edges = frame.assign(**ends)
            elif name == "polars":
                edges = frame.with_columns(**{k: pl.Series(v) for k, v in ends.items()})
            else:
                edges = frame.append_column("src", pa.array(ends["src"])).append_column(
                    "dst", pa.array(ends["dst"])
                )
            made = tx.create_edges_from(edges, edge_type="T", properties=names)
            nodes = tx.create_nodes_from(frame, "Row", properties=names)
        for row, (edge, node) in enumerate(zip(made, nodes)):
            assert props(db.edge(edge)) == expect[row], (name, row)
            assert props(db.node(node)) == expect[row], (name, row)
            # Types too: a float stays a float, a bool a bool.
            for k, v in props(db.edge(edge)).items():
                assert type(v) is type(expect[row][k]), (name, row, k)

    # A uint64 value past the signed range is refused, as it is one by one.
    db = pagegraph.Database()
    with db.write() as tx:
        a = tx.create_nodes([("N",)])[0]
        big = pd.DataFrame({"src": [a], "dst": [a], "u": np.array([2**64 - 1], dtype=np.uint64)})
        with pytest.raises(OverflowError):
            tx.create_edges_from(big, edge_type="T", properties=["u"])

    # An infinite float is refused (data holds finite numbers) with its column named, and
    # no edge of the table is written.
    db = pagegraph.Database()
    with db.write() as tx:
        a = tx.create_nodes([("N",)])[0]
        inf = pd.DataFrame({"src": [a, a], "dst": [a, a], "w": [1.0, np.inf]})
        with pytest.raises(pagegraph.Error, match="property w: float inf"):
            tx.create_edges_from(inf, edge_type="T", properties=["w"])
    assert db.execute("MATCH ()-[e]->() RETURN count(e)").get_next() == [0]


def test_typed_columns_come_as_machine_arrays_with_the_values_rows_have(conn):
    """Columns of ints, floats or booleans without nulls are handed over as one machine
    array; every conversion still gives exactly the values the rows give, and mixed or
    null-holding columns keep their row-wise types."""
    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    values = [-(2**63), 2**63 - 1, 0, 7, BIG]
    conn.execute(
        "UNWIND range(0, size($v) - 1) AS i "
        "CREATE (:T {i: $v[i], f: toFloat(i) / 3, b: i % 2 = 0, m: CASE WHEN i = 1 THEN 'x' ELSE i END, "
        "n: CASE WHEN i = 2 THEN null ELSE i END})",
        {"v": values},
    )
    q = "MATCH (t:T) RETURN t.i AS i, t.f AS f, t.b AS b, t.m AS m, t.n AS n ORDER BY t.f"
    rows = conn.execute(q).get_all()
    assert [r[0] for r in rows] == values
    df = conn.execute(q).get_as_df()
    assert [str(df[c].dtype) for c in "ifbmn"] == ["int64", "float64", "bool", "object", "Int64"]
    for j, c in enumerate("ifbmn"):
        got = [None if pd.isna(x) else x for x in df[c]]
        assert got == [r[j] for r in rows], c
    assert all(type(x) is int for x in conn.execute(q).get_as_df()["i"].tolist())
    # Arrow has no type for the mixed column m: left out there.
    q2 = "MATCH (t:T) RETURN t.i AS i, t.f AS f, t.b AS b, t.n AS n ORDER BY t.f"
    table = conn.execute(q2).get_as_arrow()
    assert [str(t) for t in table.schema.types] == ["int64", "double", "bool", "int64"]
    assert table.to_pylist() == conn.execute(q2).rows_as_dict().get_all()
    frame = conn.execute(q).get_as_pl()
    assert frame["i"].to_list() == values and frame["b"].to_list() == [r[2] for r in rows]
    df.loc[0, "i"] = 1  # the arrays are the DataFrame's own, and writable
    assert df["i"][0] == 1



def test_a_relationship_pattern_fetched_by_column_holds_every_relationship(db):
    """`MATCH (a)-[e]->(b) RETURN a.x, b.x, e.w` is made a column at a time (one scan of the
    relationship records, on every core): every conversion holds exactly the relationships
    inserted, with their ends' keys and their weights, nulls where a weight is missing, and
    none whose end lacks the label asked for."""
    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    n, m = 400, 5000
    with db.write() as tx:
        ids = tx.create_nodes_from(pd.DataFrame({"x": list(range(n))}), "P")
        other = tx.create_nodes_from(pd.DataFrame({"x": [-1, -2]}), "Q")
    src = [(i * 7919) % n for i in range(m)]
    dst = [(i * 104729 + 3) % n for i in range(m)]
    weights = [i / 8 for i in range(m)]
    frame = pd.DataFrame({"src": [ids[s] for s in src], "dst": [ids[d] for d in dst], "w": weights})
    with db.write() as tx:
        tx.create_edges_from(frame, edge_type="E", properties=["w"])
        # Edges to a Q node, and ones without a weight: the first are no match, the second
        # give nulls.
        tx.create_edges_from(pd.DataFrame({"src": [ids[0]] * 3, "dst": [other[0]] * 3}), edge_type="E")
        tx.create_edges_from(pd.DataFrame({"src": [ids[1], ids[2]], "dst": [ids[3], ids[4]]}), edge_type="E")
    conn = pagegraph.Connection(db)
    q = "MATCH (a:P)-[e:E]->(b:P) RETURN a.x AS a, b.x AS b, e.w AS w"

    def key(t):
        return (t[0], t[1], -1 if t[2] is None else t[2])

    want = sorted(list(zip(src, dst, weights)) + [(1, 3, None), (2, 4, None)], key=key)

    df = conn.execute(q).get_as_df()
    assert list(df.columns) == ["a", "b", "w"] and len(df) == m + 2
    assert str(df["a"].dtype) == "int64" and str(df["w"].dtype) == "float64"
    got = sorted(((int(a), int(b), None if pd.isna(w) else float(w)) for a, b, w in df.itertuples(index=False)), key=key)
    assert got == want
    rows = sorted((tuple(r) for r in conn.execute(q).get_all()), key=key)
    assert rows == want
    table = conn.execute(q).get_as_arrow()
    assert sorted((tuple(d.values()) for d in table.to_pylist()), key=key) == want
    frame_pl = conn.execute(q).get_as_pl()
    assert sorted(frame_pl.iter_rows(), key=key) == want
    # Every relationship, whatever its ends' labels.
    assert len(conn.execute("MATCH (a)-[e:E]->(b) RETURN e.w").get_as_df()) == m + 5
