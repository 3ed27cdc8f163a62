"""A Python process killed (SIGKILL) in the middle of its work leaves the database as its
last commit left it: killed at random moments while it commits batch after batch, and
killed holding a large open write transaction (spilled pages, an index, a query's
writes). The database then opens read-write, passes `check`, and takes new writes."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import textwrap
import time
from typing import Iterator

import pytest

import pagegraph

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")

BATCH = 500


def child(code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def lines(p: subprocess.Popen, timeout: float = 60.0) -> Iterator[str]:
    """The child's output lines as they come; fails instead of waiting forever when the
    child stops printing or ends."""
    assert p.stdout is not None
    fd = p.stdout.fileno()
    buf = b""
    while True:
        while b"\n" not in buf:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                raise AssertionError(f"the child printed nothing for {timeout} s")
            chunk = os.read(fd, 4096)
            if not chunk:
                p.wait(timeout=timeout)
                err = p.stderr.read().decode() if p.stderr else ""
                raise AssertionError(f"the child ended ({p.returncode}): {err}")
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        yield line.decode()


def kill(p: subprocess.Popen) -> None:
    """SIGKILL for a child still running (one that ended is left to the error it gave)."""
    if p.poll() is None:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=60)
        assert p.returncode == -signal.SIGKILL


def test_killed_between_and_during_commits(tmp_path):
    rng = random.Random(7)
    path = str(tmp_path / "k.pgdb")
    total = 0
    for round_ in range(6):
        p = child(
            f"""
            import pagegraph
            # Both durabilities keep a commit from a killed process (the OS has its pages).
            db = pagegraph.Database({path!r}, durability={("full", "normal")[round_ % 2]!r})
            if {round_} == 0:
                db.execute("CREATE CONSTRAINT FOR (n:N) REQUIRE n.k IS UNIQUE")
            n = db.node_count()
            while True:
                with db.write() as tx:
                    tx.create_nodes(("N", {{"k": n + i}}) for i in range({BATCH}))
                    tx.execute("MATCH (a:N {{k: $k}}) SET a.last = true", {{"k": n}})
                n += {BATCH}
                print(n, flush=True)
            """
        )
        try:
            # Some commits, then a kill at a random moment of the next ones.
            out = lines(p)
            seen = int(next(out))
            for _ in range(rng.randrange(1, 6)):
                seen = int(next(out))
            # Somewhere in the next batch: its inserts, its query or its commit.
            time.sleep(rng.uniform(0, 0.03))
        finally:
            kill(p)
        with pagegraph.Database(path) as db:
            count = db.node_count()
            # Every reported commit is there; at most the commits after the last report
            # too, and only whole batches.
            assert count >= seen and count % BATCH == 0, (count, seen)
            assert db.check()["clean"]
            keys = db.execute("MATCH (n:N) RETURN min(n.k), max(n.k), count(DISTINCT n.k)")
            assert keys.get_next() == [0, count - 1, count]
            marked = db.execute("MATCH (n:N) WHERE n.last RETURN count(*)").get_next()[0]
            assert marked == count // BATCH
            assert db.find_nodes("N", "k", count - 1) != []
        total = count
    assert total >= 6 * BATCH


def test_killed_holding_a_large_write_transaction(tmp_path):
    path = str(tmp_path / "big.pgdb")
    p = child(
        f"""
        import pagegraph
        # A small cache, so that the open transaction spills its pages to the WAL.
        db = pagegraph.Database({path!r}, cache_pages=64)
        with db.write() as tx:
            ids = tx.create_nodes(("Kept", {{"i": i}}) for i in range(1000))
            tx.create_edges((a, b, "NEXT") for a, b in zip(ids, ids[1:]))
        db.create_index("Kept", "i", unique=True)
        tx = db.write()
        # Far more than the cache keeps dirty: pages are spilled while it runs.
        tx.create_nodes(("Lost", {{"i": i, "pad": "x" * 200}}) for i in range(100000))
        tx.execute("MATCH (n:Kept) SET n.changed = true, n.i = n.i + 100000")
        tx.execute("MATCH (a:Kept)-[e:NEXT]->() DELETE e")
        print("holding", flush=True)
        import time
        time.sleep(60)
        """
    )
    try:
        assert next(lines(p)) == "holding"
        # The open transaction's pages went out while it ran (fresh pages into free space
        # of the file, others to the WAL): far more than its 1,000 committed nodes take.
        wal = path + "-wal"
        written = os.path.getsize(path) + (os.path.getsize(wal) if os.path.exists(wal) else 0)
        assert written > 8 << 20, written
    finally:
        kill(p)
    with pagegraph.Database(path) as db:
        assert db.node_count() == 1000
        assert db.execute("MATCH (n:Lost) RETURN count(*)").get_next() == [0]
        assert db.execute("MATCH (n) WHERE n.changed RETURN count(*)").get_next() == [0]
        assert db.execute("MATCH ()-[e:NEXT]->() RETURN count(e)").get_next() == [999]
        assert db.execute("MATCH (n:Kept) RETURN max(n.i)").get_next() == [999]
        assert len(db.find_nodes("Kept", "i", 500)) == 1
        assert db.check()["clean"]
        with db.write() as tx:
            tx.create_nodes([("Kept", {"i": 1000})])
        assert db.node_count() == 1001
