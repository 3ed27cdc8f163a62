"""The exception hierarchy: which error each failure raises, with what attributes; a
locked database from this process and from another; damaged bytes; and that no failure
takes the interpreter down."""

import subprocess
import sys
import textwrap

import pytest

import pagegraph


def test_hierarchy():
    for cls in (pagegraph.QueryError, pagegraph.ConstraintError, pagegraph.CorruptionError, pagegraph.LockedError):
        assert issubclass(cls, pagegraph.Error)
        assert cls.__module__ == "pagegraph"
    assert issubclass(pagegraph.Error, Exception)
    assert pagegraph.QueryError.line is None and pagegraph.QueryError.column is None


def test_syntax_error_has_line_and_column(conn):
    with pytest.raises(pagegraph.QueryError) as info:
        conn.execute("MATCH (p:Person)\nWHERE p.age > 30\nRETURN p.name,, p.age")
    e = info.value
    assert (e.line, e.column) == (3, 15)
    assert "syntax error at line 3, column 15" in str(e)
    assert str(e).endswith("RETURN p.name,, p.age\n                ^")


def test_syntax_error_column_counts_characters(conn):
    with pytest.raises(pagegraph.QueryError) as info:
        conn.execute("RETURN 'ünïcödé' AS s s")
    assert (info.value.line, info.value.column) == (1, 23)


@pytest.mark.parametrize(
    "query, message",
    [
        ("RETURN x", "x"),  # undefined variable
        ("RETURN 1 - 'a'", "type"),
        ("RETURN $missing", "missing"),
        ("RETURN 1 / 0", "division"),
        ("CALL nope.nothing()", "no procedure"),
    ],
)
def test_other_query_errors_have_no_position(conn, query, message):
    with pytest.raises(pagegraph.QueryError, match=message) as info:
        conn.execute(query)
    assert info.value.line is None and info.value.column is None


def test_constraint_error_from_native_and_cypher(db, conn):
    db.create_index("User", "email", unique=True)
    with db.write() as tx:
        tx.create_node("User", {"email": "a@x"})
    with pytest.raises(pagegraph.ConstraintError, match="a@x"):
        with db.write() as tx:
            tx.create_node("User", {"email": "b@x"})
            tx.create_node("User", {"email": "a@x"})
    with pytest.raises(pagegraph.ConstraintError):
        conn.execute("CREATE (:User {email: 'a@x'})")
    assert db.node_count() == 1  # neither b@x (rolled back) nor the second a@x
    # The transaction stays usable after a constraint error: nothing of that write applied.
    with db.write() as tx:
        with pytest.raises(pagegraph.ConstraintError):
            tx.create_node("User", {"email": "a@x"})
        tx.create_node("User", {"email": "c@x"})
    assert sorted(db.execute("MATCH (u:User) RETURN u.email").get_all()) == [["a@x"], ["c@x"]]
    # A unique index over data that already breaks it is refused.
    with db.write() as tx:
        tx.create_node("Dup", {"k": 1})
        tx.create_node("Dup", {"k": 1})
    with pytest.raises(pagegraph.ConstraintError):
        db.create_index("Dup", "k", unique=True)


def test_locked_by_a_second_handle(db_path):
    with pagegraph.Database(db_path):
        with pytest.raises(pagegraph.LockedError, match="in use"):
            pagegraph.Database(db_path)
        with pytest.raises(pagegraph.LockedError):
            pagegraph.Database(db_path, read_only=True)
    # Released at close.
    with pagegraph.Database(db_path) as again:
        assert again.node_count() == 0


def test_locked_by_another_process(db_path):
    child = textwrap.dedent(
        f"""
        import pagegraph, sys
        try:
            pagegraph.Database({str(db_path)!r})
        except pagegraph.LockedError as e:
            print("locked:", e)
            sys.exit(3)
        """
    )
    with pagegraph.Database(db_path):
        r = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
        assert r.returncode == 3, r.stderr
        assert "in use by another process" in r.stdout
    r = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_damaged_pages_raise_corruption_error(db_path):
    with pagegraph.Database(db_path) as db:
        with db.write() as tx:
            tx.create_nodes(("N", {"s": "x" * 100, "i": i}) for i in range(2000))
    data = bytearray(db_path.read_bytes())
    page_size = 4096
    # Every page past the first two (the header and the first free-space bitmap) damaged.
    for page in range(2, len(data) // page_size):
        data[page * page_size + 100 : page * page_size + 116] = b"\xff" * 16
    db_path.write_bytes(bytes(data))
    with pytest.raises(pagegraph.CorruptionError, match="checksum"):
        with pagegraph.Database(db_path) as db:
            db.execute("MATCH (n) RETURN sum(n.i)")


def test_not_a_database(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, not a graph\n" * 500)
    with pytest.raises(pagegraph.CorruptionError, match="not a pagegraph database"):
        pagegraph.Database(path)


def test_errors_never_crash_the_interpreter(conn):
    # Deep nesting in a query is an error, not a stack overflow.
    with pytest.raises(pagegraph.QueryError):
        conn.execute("RETURN " + "[" * 100_000 + "]" * 99_999)
    for bad in ["", ";", "MATCH", "RETURN \x00", "CREATE (a)-[:R]-(b)", "RETURN 1 +"]:
        with pytest.raises(pagegraph.QueryError):
            conn.execute(bad)
    assert conn.execute("RETURN 1").get_all() == [[1]]


def test_a_statement_past_the_query_memory_limit_raises_and_writes_nothing(tmp_path):
    with pagegraph.Database(tmp_path / "g.pgdb", query_memory_limit=1 << 20) as db:
        conn = pagegraph.Connection(db)
        with pytest.raises(pagegraph.QueryError, match=r"memory limit of 1\.0 MiB"):
            conn.execute("UNWIND range(1, 100000) AS x RETURN x ORDER BY -x")
        with pytest.raises(pagegraph.QueryError, match="memory limit"):
            conn.execute("UNWIND range(1, 20000) AS i CREATE (n:N {i: i}) RETURN collect(n.i)")
        assert conn.execute("MATCH (n) RETURN count(*)").get_next() == [0]
        # What streams into an aggregate is not held.
        assert conn.execute("UNWIND range(1, 20000) AS x RETURN sum(x)").get_next() == [200010000]
    with pytest.raises(ValueError, match="query_memory_limit"):
        pagegraph.Database(tmp_path / "h.pgdb", query_memory_limit=0)
