"""Threads: a Database shared between threads (writers serialized, readers on snapshots
that see whole commits only), the GIL released while a query runs and while a writer
waits, and a write transaction handed from one thread to another."""

import subprocess
import sys
import textwrap
import threading
import time

import pagegraph


def test_threads_share_a_database(db_path):
    db = pagegraph.Database(db_path, durability="normal")
    writers, commits, per_commit = 4, 25, 10
    errors = []
    done = threading.Event()

    def write(w):
        try:
            for c in range(commits):
                with db.write() as tx:
                    tx.create_nodes(("N", {"w": w, "c": c}) for _ in range(per_commit))
        except Exception as e:  # reported below: an exception in a thread is silent
            errors.append(e)

    def read():
        try:
            conn = pagegraph.Connection(db)
            while not done.is_set():
                (n,) = conn.execute("MATCH (n:N) RETURN count(n)").get_next()
                # A snapshot sees whole commits: never a part of one.
                assert n % per_commit == 0, n
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in threads + readers:
        t.start()
    for t in threads:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert errors == []
    assert db.node_count() == writers * commits * per_commit
    rows = db.execute("MATCH (n:N) RETURN n.w AS w, count(*) AS k ORDER BY w").get_all()
    assert rows == [[w, commits * per_commit] for w in range(writers)]
    assert db.check()["clean"]
    db.close()


def test_gil_released_while_a_query_runs(conn):
    # Size the query to take about 0.3 s on this build, then time the main thread's loop
    # while another thread runs it: with the GIL held for the whole query, one gap between
    # two iterations would be as long as the query.
    def query(n):
        return conn.execute(f"UNWIND range(1, {n}) AS x RETURN sum(x)")

    n = 20_000
    started = time.perf_counter()
    query(n)
    took = time.perf_counter() - started
    n = max(n, int(n * 0.3 / max(took, 1e-6)))

    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("r", query(n)))
    last = time.perf_counter()
    worker.start()
    began = last
    gap = 0.0
    while worker.is_alive():
        now = time.perf_counter()
        gap = max(gap, now - last)
        last = now
    duration = time.perf_counter() - began
    worker.join()
    assert result["r"].get_all() == [[n * (n + 1) // 2]]
    assert duration > 0.1, duration
    assert gap < duration / 2, (gap, duration)


def test_gil_released_while_a_writer_waits():
    # Run in a child with a time limit: if waiting for the writer held the GIL, the main
    # thread could never commit and the child would hang instead of failing.
    child = textwrap.dedent(
        """
        import threading, time, pagegraph
        db = pagegraph.Database()
        tx = db.write()
        tx.create_node("First")
        order = []
        def second():
            with db.write() as t2:      # waits for tx, with the GIL released
                order.append(("second sees", t2.node_count()))
                t2.create_node("Second")
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.3)
        assert t.is_alive()             # still waiting for the writer
        order.append("first commits")
        tx.commit()
        t.join(10)
        assert not t.is_alive()
        assert order == ["first commits", ("second sees", 1)], order
        assert db.node_count() == 2
        print("ok")
        """
    )
    r = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_write_transaction_used_from_another_thread(db):
    tx = db.write()
    a = tx.create_node("A")
    made = []

    def use():
        # Calls from any thread are serialized by the transaction's lock.
        for i in range(100):
            made.append(tx.create_node("B", {"i": i}))
        tx.create_edge(a, made[0], "R")

    threads = [threading.Thread(target=use) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(100):
        tx.create_node("C", {"i": i})
    for t in threads:
        t.join()
    assert db.node_count() == 0  # nothing visible before the commit
    done = threading.Thread(target=tx.commit)
    done.start()
    done.join()
    assert tx.closed
    assert db.node_count() == 1 + 300 + 100 and db.edge_count() == 3
    assert len(set(made)) == 300
    with db.write() as again:  # the writer is free, whichever thread committed
        again.create_node("D")


def test_interrupt_stops_a_running_query_and_rolls_back_its_write(db, conn):
    # 200 nodes: a three-way cartesian MATCH has 8M rows, far longer than the wait below.
    conn.execute("UNWIND range(1, 200) AS i CREATE (:N {i: i})")
    outcome = {}

    def run():
        try:
            outcome["result"] = conn.execute(
                "MATCH (a:N), (b:N), (c:N) CREATE (:Done) RETURN count(*)"
            )
        except pagegraph.QueryError as e:
            outcome["error"] = e

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.3)
    started = time.perf_counter()
    conn.interrupt()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert time.perf_counter() - started < 10
    assert "cancelled" in str(outcome.get("error")), outcome
    # The write it began is rolled back, and the next statement runs.
    assert conn.execute("MATCH (d:Done) RETURN count(*)").get_all() == [[0]]
    assert conn.execute("MATCH (n:N) RETURN count(*)").get_all() == [[200]]
