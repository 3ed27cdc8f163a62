"""pagegraph: an embedded property-graph database, with Cypher.

Kùzu's query API::

    import pagegraph
    db = pagegraph.Database("graph.pgdb")        # or Database() for an in-memory one
    conn = pagegraph.Connection(db)
    conn.execute("CREATE (:Person {name: $name, age: 36})", {"name": "Ada"})
    result = conn.execute("MATCH (p:Person) RETURN p.name, p.age")
    while result.has_next():
        print(result.get_next())                 # ['Ada', 36]

and the native API: transactions as context managers, inserts in batches from any iterable,
merges, indexes, neighbors, ``check()``, ``stats()`` and algorithms::

    with db.write() as tx:                       # commits, or rolls back on an exception
        a = tx.create_node("Person", {"name": "Grace"})
        b, created = tx.merge_node("Person", {"name": "Ada"})
        tx.create_edge(a, b, "KNOWS", {"since": 1950})
    db.pagerank()                                # {node id: rank}
    db.louvain(), db.betweenness(), db.scc()     # {node id: community / score / component}
    db.shortest_path(a, b, weight="cost")        # {"nodes", "edges", "cost"} or None

Values include dates and times: ``datetime.date``, ``.time``, ``.datetime`` and
``.timedelta`` are stored as openCypher temporal values and come back as such.

Errors are :class:`Error` and its subclasses :class:`QueryError`,
:class:`ConstraintError`, :class:`CorruptionError` and :class:`LockedError`; values that
cannot be stored raise ``TypeError``, ``OverflowError`` or ``ValueError``.
"""

from ._pagegraph import (
    VALUE_DEPTH_MAX,
    ConstraintError,
    CorruptionError,
    Database,
    Error,
    LockedError,
    QueryError,
    ReadTransaction,
    WriteTransaction,
)
from ._connection import Connection
from ._result import Node, Path, QueryResult, Relationship

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("pagegraph")
except PackageNotFoundError:  # imported from a source tree, not installed
    __version__ = "unknown"

__all__ = [
    "Connection",
    "ConstraintError",
    "CorruptionError",
    "Database",
    "Error",
    "LockedError",
    "Node",
    "Path",
    "QueryError",
    "QueryResult",
    "ReadTransaction",
    "Relationship",
    "VALUE_DEPTH_MAX",
    "WriteTransaction",
    "__version__",
]
