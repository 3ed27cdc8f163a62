"""The native API: write transactions as context managers (commit, rollback, use after
the end), snapshots, batch inserts from iterables, merges, updates, deletes, labels,
neighbors, lookups, indexes, check, stats, close and reopen. Threads are in
test_threads.py, errors of the hierarchy in test_errors.py."""

import subprocess
import sys
import textwrap

import pytest

import pagegraph


def test_commit_on_success(db):
    with db.write() as tx:
        a = tx.create_node("Person", {"name": "Ada"})
        assert tx.node_count() == 1  # the transaction sees its own write
    assert tx.closed
    assert db.node(a) == {"_id": a, "_label": "Person", "_labels": ["Person"], "name": "Ada"}


def test_rollback_on_exception_leaves_nothing(db):
    with db.write() as tx:
        keep = tx.create_node("Keep")
    with pytest.raises(RuntimeError, match="boom"):
        with db.write() as tx:
            a = tx.create_node("Person", {"name": "Ada"})
            tx.create_edge(a, keep, "KNOWS")
            tx.update_node(keep, {"touched": True})
            tx.create_index("Person", "name")
            raise RuntimeError("boom")
    assert tx.closed
    assert db.node_count() == 1 and db.edge_count() == 0
    assert db.node(keep) == {"_id": keep, "_label": "Keep", "_labels": ["Keep"]}
    assert db.indexes() == []
    # The writer was freed: a new transaction starts at once.
    with db.write() as tx:
        tx.create_node("After")
    assert db.node_count() == 2


def test_explicit_commit_and_rollback(db):
    tx = db.write()
    tx.create_node("A")
    tx.rollback()
    assert db.node_count() == 0
    tx = db.write()
    tx.create_node("A")
    tx.commit()
    assert db.node_count() == 1
    with pytest.raises(pagegraph.Error, match="closed"):
        tx.create_node("B")
    with pytest.raises(pagegraph.Error, match="closed"):
        tx.commit()


def test_commit_inside_the_block(db):
    with db.write() as tx:
        tx.create_node("A")
        tx.commit()
    assert db.node_count() == 1


def test_dropped_transaction_rolls_back(db):
    tx = db.write()
    tx.create_node("A")
    del tx
    assert db.node_count() == 0
    with db.write() as tx:  # the writer is free again
        tx.create_node("B")
    assert db.node_count() == 1


def test_snapshot_isolation(db):
    with db.write() as tx:
        tx.create_node("A")
    with db.read() as snap:
        with db.write() as tx:
            tx.create_node("A")
        assert snap.node_count() == 1
        assert snap.execute("MATCH (n) RETURN count(n)").get_all() == [[1]]
        with pytest.raises(pagegraph.QueryError, match="write transaction"):
            snap.execute("CREATE (:X)")
    assert snap.closed
    with pytest.raises(pagegraph.Error, match="closed"):
        snap.node_count()
    assert db.node_count() == 2


def test_execute_in_a_write_transaction_sees_its_writes(db):
    with db.write() as tx:
        a = tx.create_node("P", {"name": "a"})
        r = tx.execute("MATCH (p:P) SET p.seen = true RETURN p")
        assert r.get_next()[0] == {"_id": a, "_label": "P", "_labels": ["P"], "name": "a", "seen": True}
        tx.execute("CREATE (:P {name: $n})", {"n": "b"})
        assert tx.node_count() == 2
    assert db.execute("MATCH (p:P) RETURN p.name ORDER BY p.name").get_all() == [["a"], ["b"]]


def test_batches_from_any_iterable(db):
    def people():
        for i in range(25_000):  # more than one batch of 10,000
            yield ("Person", {"i": i}) if i % 2 else (["Person", "Even"], {"i": i})

    with db.write() as tx:
        ids = tx.create_nodes(people())
        assert len(ids) == 25_000 and ids == sorted(ids)
        edges = tx.create_edges((a, b, "NEXT", {"w": 1}) for a, b in zip(ids, ids[1:]))
        more = tx.create_edges(iter([(ids[0], ids[-1], "JUMP")]))
    assert len(edges) == 24_999 and len(more) == 1
    assert db.node_count() == 25_000 and db.edge_count() == 25_000
    assert len(db.node_ids("Even")) == 12_500
    assert db.node(ids[10_001])["i"] == 10_001
    assert db.execute("MATCH ()-[r:NEXT]->() RETURN sum(r.w)").get_all() == [[24_999]]


def test_batch_item_shape_is_checked(db):
    with pytest.raises(TypeError, match=r"\(labels, properties\)"):
        with db.write() as tx:
            tx.create_nodes(["Person"])
    with pytest.raises(TypeError, match=r"\(src, dst, edge_type, properties\)"):
        with db.write() as tx:
            tx.create_edges([(1, 2)])
    assert db.node_count() == 0


def test_merge_node_and_edge(db):
    with db.write() as tx:
        a, created = tx.merge_node("Person", {"name": "Ada"}, on_create={"n": 1})
        assert created
        again, created = tx.merge_node("Person", {"name": "Ada"}, on_create={"n": 99}, on_match={"m": 2})
        assert (again, created) == (a, False)
        b, _ = tx.merge_node(["Person", "Author"], {"name": "Mary"})
        e, created = tx.merge_edge(a, b, "KNOWS", {"since": 1833})
        assert created
        assert tx.merge_edge(a, b, "KNOWS", {"since": 1833}) == (e, False)
        assert tx.merge_edge(a, b, "KNOWS")[0] == e  # no key: any KNOWS edge from a to b
        assert tx.merge_edge(a, b, "KNOWS", {"since": 1900})[1]
    assert db.node(a) == {"_id": a, "_label": "Person", "_labels": ["Person"], "name": "Ada", "n": 1, "m": 2}
    assert db.edge_count() == 2


def test_update_delete_and_labels(db):
    with db.write() as tx:
        a = tx.create_node("A", {"x": 1, "y": 2})
        b = tx.create_node("B")
        e = tx.create_edge(a, b, "R", {"w": 1})
        tx.update_node(a, {"x": 10, "y": None, "z": "new"})
        assert tx.node(a)["x"] == 10 and "y" not in tx.node(a)
        tx.update_node(b, {"only": True}, replace=True)
        tx.update_edge(e, {"w": 2, "v": 3})
        tx.update_edge(e, {"v": 4}, replace=True)
        assert tx.add_label(a, "Extra") and not tx.add_label(a, "Extra")
        assert tx.remove_label(a, "A") and not tx.remove_label(a, "A")
    assert db.node(a) == {"_id": a, "_label": "Extra", "_labels": ["Extra"], "x": 10, "z": "new"}
    assert db.edge(e) == {"_id": e, "_src": a, "_dst": b, "_label": "R", "v": 4}
    with db.write() as tx:
        tx.delete_node(b)  # and its edge
    assert db.node(b) is None and db.edge(e) is None
    with db.write() as tx:
        c = tx.create_node("C")
        f = tx.create_edge(a, c, "R")
        tx.delete_edge(f)
        assert tx.edge(f) is None and tx.node(c) is not None
    with pytest.raises(pagegraph.Error, match="not found"):
        with db.write() as tx:
            tx.delete_node(10**6)


def test_neighbors_and_lookups(db):
    with db.write() as tx:
        a, b, c = tx.create_nodes([("P", {"k": 1}), ("P", {"k": 2}), ("Q", {"k": 2})])
        ab = tx.create_edge(a, b, "X")
        ca = tx.create_edge(c, a, "Y")
        assert tx.neighbors(a) == [(ab, b)]
        assert tx.find_nodes("P", "k", 2) == [b]
    assert db.neighbors(a, "out") == [(ab, b)]
    assert db.neighbors(a, "in") == [(ca, c)]
    assert db.neighbors(a, "both") == [(ab, b), (ca, c)]
    assert db.neighbors(a, "both", edge_type="Y") == [(ca, c)]
    assert db.neighbors(a, "out", "NOPE") == []
    with pytest.raises(ValueError, match="direction"):
        db.neighbors(a, "sideways")
    assert db.node_ids() == [a, b, c]
    assert db.node_ids("P") == [a, b]
    assert db.find_nodes("P", "k", 2) == [b]
    assert db.find_nodes("P", "k", 2.0) == [b]  # 2 equals 2.0, as in Cypher
    assert db.find_nodes("P", "k", "2") == []


def test_indexes(db):
    info = db.create_index("Person", "name", unique=True)
    assert info == {
        "name": "Person_name", "label": "Person", "edge_type": None, "properties": ["name"],
        "unique": True, "ready": True, "entries": 0,
    }
    edge_info = db.create_edge_index("KNOWS", ["since", "how"], name="knows_key")
    assert edge_info["edge_type"] == "KNOWS" and edge_info["properties"] == ["since", "how"]
    with db.write() as tx:
        for n in ["Ada", "Mary", "Charles"]:
            tx.create_node("Person", {"name": n})
        assert [i["entries"] for i in tx.indexes()] == [3, 0]
        tx.create_index("Person", "born")
        tx.drop_index("knows_key")
    assert [i["name"] for i in db.indexes()] == ["Person_born", "Person_name"]  # by name
    db.drop_index("Person_born")
    assert [i["name"] for i in db.indexes()] == ["Person_name"]
    with pytest.raises(pagegraph.Error, match="no index"):
        db.drop_index("Person_born")
    with pytest.raises(pagegraph.Error, match="already exists"):
        db.create_index("Person", "name")
    assert db.find_nodes("Person", "name", "Mary") != []


def test_check_and_stats(db_path):
    with pagegraph.Database(db_path) as db:
        with db.write() as tx:
            ids = tx.create_nodes(("N", {"i": i}) for i in range(100))
            tx.create_edges((a, b, "E") for a, b in zip(ids, ids[1:]))
        report = db.check()
        assert report["clean"] and report["problems"] == []
        stats = db.stats()
        assert (stats["node_count"], stats["edge_count"]) == (100, 99)
        assert stats["page_size"] == 4096 and stats["page_count"] > 0
        assert stats["last_txn"] >= 1
        db.checkpoint()
        assert db.stats()["wal_frames"] == 0


def test_compact_keeps_everything_and_shrinks_the_file(db_path):
    with pagegraph.Database(db_path) as db:
        with db.write() as tx:
            ids = tx.create_nodes(("N", {"i": i}) for i in range(2000))
            tx.create_edges((a, b, "E") for a, b in zip(ids, ids[1:]))
            tx.create_edges((a, b, "W", {"w": 1}) for a, b in zip(ids, ids[7:]))
        with db.write() as tx:
            for e in range(1, 3000, 2):
                tx.delete_edge(e)
        before = sorted((e, db.edge(e)["_src"], db.edge(e)["_dst"]) for e in range(1, 4000) if db.edge(e))
        with db.write() as tx:
            # Nothing may use the database while it is rewritten.
            with pytest.raises(pagegraph.Error, match="in use"):
                db.compact()
        report = db.compact()
        assert report["bytes_after"] <= report["bytes_before"]
        assert report["pages_after"] <= report["pages_before"]
        after = sorted((e, db.edge(e)["_src"], db.edge(e)["_dst"]) for e in range(1, 4000) if db.edge(e))
        assert after == before and len(after) == 1999 + 1993 - 1500
        assert db.check()["clean"]
        with db.write() as tx:
            tx.create_node("N", {"i": -1})
    with pytest.raises(pagegraph.Error, match="in-memory"):
        pagegraph.Database().compact()
    with pagegraph.Database(str(db_path), read_only=True) as ro:
        with pytest.raises(pagegraph.Error, match="read-only"):
            ro.compact()
        assert ro.node_count() == 2001


def test_close_and_reopen(db_path):
    db = pagegraph.Database(db_path)
    assert db.path == db_path and not db.read_only
    with db.write() as tx:
        tx.create_node("Kept", {"v": 1})
    db.close()
    db.close()  # closing twice is fine
    with pytest.raises(pagegraph.Error, match="closed"):
        db.node_count()
    with pagegraph.Database(str(db_path), read_only=True) as ro:
        assert ro.read_only
        assert ro.execute("MATCH (k:Kept) RETURN k.v").get_all() == [[1]]
        with pytest.raises(pagegraph.Error, match="read-only"):
            ro.write()
        with pytest.raises(pagegraph.Error, match="read-only"):
            ro.execute("CREATE (:X)")


def test_open_options(tmp_path):
    with pytest.raises(pagegraph.Error, match="no such database"):
        pagegraph.Database(tmp_path / "missing.pgdb", create=False)
    with pytest.raises(pagegraph.Error, match="no such database"):
        pagegraph.Database(tmp_path / "missing.pgdb", read_only=True)
    with pytest.raises(ValueError, match="durability"):
        pagegraph.Database(tmp_path / "x.pgdb", durability="sometimes")
    with pytest.raises(ValueError, match="in-memory"):
        pagegraph.Database(read_only=True)
    with pagegraph.Database(tmp_path / "big.pgdb", page_size=16384, durability="normal", cache_pages=64) as db:
        assert db.stats()["page_size"] == 16384
    assert repr(pagegraph.Database(":memory:")) == "<pagegraph.Database :memory:>"


def test_same_thread_second_writer_raises_instead_of_waiting(db):
    with db.write() as tx:
        tx.create_node("A")
        with pytest.raises(pagegraph.Error, match="write transaction open"):
            db.write()
        with pytest.raises(pagegraph.Error, match="write transaction open"):
            db.execute("CREATE (:B)")
        with pytest.raises(pagegraph.Error, match="write transaction open"):
            db.create_index("A", "x")
        # These wait for the writer too.
        for call in (db.checkpoint, db.check, db.stats):
            with pytest.raises(pagegraph.Error, match="write transaction open"):
                call()
        # Reads do not need the writer.
        assert db.execute("MATCH (n) RETURN count(n)").get_all() == [[0]]
    assert db.node_count() == 1


def test_close_or_drop_under_an_open_write_transaction(tmp_path):
    # In a child with a time limit: closing waits for the writer, so a close that did not
    # leave the open transaction its database would hang rather than fail.
    child = textwrap.dedent(
        f"""
        import gc, pagegraph
        path = {str(tmp_path / "c.pgdb")!r}
        db = pagegraph.Database(path)
        tx = db.write()
        tx.create_node("A")
        db.close()                      # returns; the transaction keeps the database open
        tx.create_node("B")
        tx.commit()                     # the last user closes it
        tx = pagegraph.Database(path).write()   # the Database object is gone at once
        gc.collect()
        tx.create_node("C")
        tx.commit()
        del tx
        with pagegraph.Database(path, read_only=True) as again:
            print(again.node_count())
        """
    )
    r = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "3"
