"""Kùzu's query API: a :class:`Connection` to a :class:`~pagegraph.Database`."""

from __future__ import annotations

from typing import Any, Dict, Optional

from ._pagegraph import Database, Error
from ._result import QueryResult

__all__ = ["Connection"]


class Connection:
    """Runs Cypher statements on a database. Any number of connections may share one
    database, on any threads; each ``execute`` releases the GIL while it runs."""

    def __init__(self, database: Database, num_threads: Optional[int] = None):
        """``num_threads`` is accepted for Kùzu's signature and ignored: a query runs on
        the calling thread."""
        if not isinstance(database, Database):
            raise TypeError(f"Connection needs a pagegraph.Database, not {type(database).__name__}")
        self._database: Optional[Database] = database

    def execute(self, query: str, parameters: Optional[Dict[str, Any]] = None) -> QueryResult:
        """Runs one Cypher statement with ``$name`` parameters from ``parameters``.

        A statement that writes runs in a write transaction of its own, committed when it
        succeeds and rolled back when it fails; one that reads runs on a snapshot. Raises
        :class:`~pagegraph.QueryError` (with ``line`` and ``column`` for a syntax error),
        :class:`~pagegraph.ConstraintError` and the other :class:`~pagegraph.Error` types.
        """
        if self._database is None:
            raise Error("the connection is closed")
        return self._database.execute(query, parameters)

    def interrupt(self) -> None:
        """Stops the statements running on this connection's database now, from another
        thread: each raises :class:`~pagegraph.QueryError` and rolls back what it wrote.
        (Kùzu interrupts one connection's statements; here all of the database's stop.)"""
        if self._database is None:
            raise Error("the connection is closed")
        self._database.interrupt()

    def close(self) -> None:
        """Closes the connection (not the database)."""
        self._database = None

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
