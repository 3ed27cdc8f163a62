"""Python values in and out, exactly: every type through the native API and through query
parameters, the 64-bit integer bounds, and the values that cannot be stored, each with
its exception. Not here: values inside DataFrames (test_dataframes.py)."""

import math

import pytest

import pagegraph

I64_MIN, I64_MAX = -(2**63), 2**63 - 1

VALUES = {
    "none_is_not_stored": None,
    "true": True,
    "false": False,
    "zero": 0,
    "int_max": I64_MAX,
    "int_min": I64_MIN,
    "float": 0.1,
    "neg_zero": -0.0,
    "float_max": 1.7976931348623157e308,
    "tiny": 5e-324,
    "str": "héllo wörld ✓ \U0001F600",
    "empty_str": "",
    "list": [1, 2.5, "x", None, True, [1, [2]], {"a": 1}],
    "empty_list": [],
    "map": {"b": {"c": [I64_MIN]}, "a": "z"},
    "empty_map": {},
}


def stored(values):
    """What reading back should give: None properties are not stored."""
    return {k: v for k, v in values.items() if v is not None}


def test_native_round_trip(db):
    with db.write() as tx:
        node = tx.create_node("V", VALUES)
        a = tx.create_node("V")
        edge = tx.create_edge(node, a, "E", VALUES)
    got = db.node(node)
    assert {k: v for k, v in got.items() if not k.startswith("_")} == stored(VALUES)
    got_edge = db.edge(edge)
    assert {k: v for k, v in got_edge.items() if not k.startswith("_")} == stored(VALUES)
    # Types are kept, not just equal values: True is not 1, 1.0 stays a float.
    assert type(got["true"]) is bool and type(got["zero"]) is int
    assert type(got["float"]) is float
    assert math.copysign(1.0, got["neg_zero"]) == -1.0


def test_cypher_round_trip(conn):
    # openCypher properties hold no maps (the native API stores them); RETURN takes all.
    flat = {k: v for k, v in VALUES.items() if "map" not in k and k != "list"}
    conn.execute("CREATE (:V $props)", {"props": flat})
    node = conn.execute("MATCH (v:V) RETURN v").get_next()[0]
    assert {k: v for k, v in node.items() if not k.startswith("_")} == stored(flat)
    with pytest.raises(pagegraph.QueryError, match="cannot hold a map"):
        conn.execute("CREATE (:V {m: $m})", {"m": {"a": 1}})
    for name, value in VALUES.items():
        (back,) = conn.execute("RETURN $x AS x", {"x": value}).get_next()
        assert back == value and type(back) is type(value), name


def test_i64_bounds_in_arithmetic(conn):
    assert conn.execute("RETURN $x - 1", {"x": I64_MIN + 1}).get_all() == [[I64_MIN]]
    with pytest.raises(pagegraph.QueryError, match="overflow"):
        conn.execute("RETURN $x + 1", {"x": I64_MAX})


@pytest.mark.parametrize("too_big", [2**63, -(2**63) - 1, 10**30])
def test_int_outside_64_bits_raises(db, conn, too_big):
    with pytest.raises(OverflowError, match="64-bit"):
        with db.write() as tx:
            tx.create_node("V", {"x": too_big})
    with pytest.raises(OverflowError, match="parameter \"x\""):
        conn.execute("RETURN $x", {"x": too_big})
    with pytest.raises(OverflowError):
        conn.execute("RETURN $x", {"x": [1, {"deep": too_big}]})
    assert db.node_count() == 0


@pytest.mark.parametrize(
    "bad", [b"bytes", {1, 2}, object(), 1 + 2j, bytearray(b"x")], ids=lambda v: type(v).__name__
)
def test_unstorable_types_raise_type_error(db, bad):
    with pytest.raises(TypeError, match="cannot be stored"):
        with db.write() as tx:
            tx.create_node("V", {"x": bad})
    assert db.node_count() == 0


def test_dict_keys_must_be_strings(db, conn):
    with pytest.raises(TypeError, match="must be a str"):
        with db.write() as tx:
            tx.create_node("V", {1: "x"})
    with pytest.raises(TypeError, match="must be a str"):
        conn.execute("RETURN $m", {"m": {("tuple",): 1}})


def test_nesting_is_bounded(conn):
    deep = []
    for _ in range(pagegraph.VALUE_DEPTH_MAX + 1):
        deep = [deep]
    with pytest.raises(ValueError, match="nested deeper"):
        conn.execute("RETURN $x", {"x": deep})
    itself = []
    itself.append(itself)
    with pytest.raises(ValueError, match="contains itself"):
        conn.execute("RETURN $x", {"x": itself})


def test_tuples_are_lists(conn):
    assert conn.execute("RETURN $t", {"t": (1, (2, 3))}).get_all() == [[[1, [2, 3]]]]


def test_nan_and_infinity(db, conn):
    # Queries compute with them; the store refuses them, as JSON cannot hold them.
    (x,) = conn.execute("RETURN $x", {"x": float("inf")}).get_next()
    assert x == float("inf")
    with pytest.raises(pagegraph.Error, match="invalid"):
        with db.write() as tx:
            tx.create_node("V", {"x": float("nan")})


def test_numpy_scalars_map_exactly(db):
    np = pytest.importorskip("numpy")
    with db.write() as tx:
        n = tx.create_node(
            "V",
            {"i": np.int64(I64_MAX), "u": np.uint8(7), "f": np.float32(0.5), "b": np.bool_(True)},
        )
    got = db.node(n)
    assert (got["i"], got["u"], got["f"], got["b"]) == (I64_MAX, 7, 0.5, True)
    assert type(got["b"]) is bool and type(got["u"]) is int
    with pytest.raises(OverflowError):
        with db.write() as tx:
            tx.create_node("V", {"x": np.uint64(2**64 - 1)})


def test_properties_must_be_a_dict(db):
    with pytest.raises(TypeError, match="must be a dict"):
        with db.write() as tx:
            tx.create_node("V", [("a", 1)])
    with pytest.raises(TypeError, match="parameters must be a dict"):
        db.execute("RETURN 1", [1])



def test_deeply_nested_results(conn):
    # Queries can nest deeper than values taken from Python; converting them back does
    # not recurse, so no depth overflows the stack.
    depth = 1_500
    r = conn.execute("RETURN reduce(acc = [], x IN range(1, $d) | [acc]) AS v", {"d": depth})
    v, levels = r.get_next()[0], 0
    while v:
        (v,) = v
        levels += 1
    assert levels == depth
    m = conn.execute("RETURN reduce(acc = {}, x IN range(1, 300) | {k: acc, x: x}) AS m").get_next()[0]
    levels = 0
    while m:
        assert m["x"] == 300 - levels
        m, levels = m["k"], levels + 1
    assert levels == 300


def test_dates_times_and_durations_round_trip(db, conn):
    import datetime as dt

    plus_one = dt.timezone(dt.timedelta(hours=1))
    values = {
        "day": dt.date(1984, 10, 11),
        "clock": dt.time(12, 31, 14, 645876),
        "zoned_clock": dt.time(12, 31, tzinfo=plus_one),
        "local": dt.datetime(1984, 10, 11, 12, 31, 14),
        "zoned": dt.datetime(1984, 10, 11, 12, 31, 14, 500000, tzinfo=plus_one),
        "span": dt.timedelta(days=3, seconds=7, microseconds=11),
        "days": [dt.date(2020, 1, 1), dt.date(2020, 1, 2)],
    }
    with db.write() as tx:
        node = tx.create_node("T", values)
    got = db.node(node)
    assert {k: v for k, v in got.items() if not k.startswith("_")} == values
    assert got["zoned"].utcoffset() == dt.timedelta(hours=1)
    # Through parameters and Cypher: compared by instant, fields, arithmetic.
    conn.execute("CREATE (:E {at: $at})", {"at": dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.timezone.utc)})
    conn.execute("CREATE (:E {at: datetime('2024-03-01T10:30+01:00')})")
    result = conn.execute(
        "MATCH (e:E) WHERE e.at < $t RETURN e.at, e.at.hour AS h ORDER BY e.at",
        {"t": dt.datetime(2024, 3, 1, 12, 0, tzinfo=plus_one)},
    )
    rows = result.get_all()
    assert [r[0] for r in rows] == [
        dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.timezone.utc),
        dt.datetime(2024, 3, 1, 10, 30, tzinfo=plus_one),
    ]
    assert [r[1] for r in rows] == [9, 10]
    [[day]] = conn.execute("RETURN date('2024-01-31') + duration('P1M') AS d").get_all()
    assert day == dt.date(2024, 2, 29)
    # Durations with months have no timedelta: they come as their ISO 8601 text.
    [[span]] = conn.execute("RETURN duration('P1M2D') AS d").get_all()
    assert span == "P1M2D"
    # A bad date is an error of the query, not a crash.
    with pytest.raises(pagegraph.QueryError, match="out of range"):
        conn.execute("RETURN date('2024-02-30')")
