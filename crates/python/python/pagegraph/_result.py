"""Query results, and the node, relationship and path values inside them.

A :class:`QueryResult` holds every row of a finished query (the query has run to the end
before ``execute`` returns). It iterates rows as lists, or as dicts after
:meth:`QueryResult.rows_as_dict`, and converts to pandas, polars, pyarrow and networkx,
each imported only when asked for.

The rows stay in the native module until they are asked for: iteration makes Python
values a row at a time, and the DataFrame and Arrow conversions take a column at a time,
a column of integers, floats or booleans without nulls as one machine array (no Python
object per cell).
"""

from __future__ import annotations

import importlib
from typing import Any, Dict, Iterator, List, Optional, Union, cast

__all__ = ["Node", "Relationship", "Path", "QueryResult"]

Row = Union[List[Any], Dict[str, Any]]


class Node(Dict[str, Any]):
    """A node, as a dict: ``_id`` (int), ``_label`` (its first label, or None),
    ``_labels`` (all of them), then its properties. Property names that clash with these
    keys are left out (Cypher still reads them)."""

    __slots__ = ()


class Relationship(Dict[str, Any]):
    """A relationship, as a dict: ``_id`` (int), ``_src`` and ``_dst`` (node ids),
    ``_label`` (its type), then its properties."""

    __slots__ = ()


class Path(Dict[str, Any]):
    """A path, as a dict: ``_nodes`` (a list of :class:`Node`) and ``_rels`` (a list of
    :class:`Relationship`), in order."""

    __slots__ = ()


def _require(module: str, package: str, what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"{what} needs the {package} package, which is not installed: "
            f"pip install {package}"
        ) from e


class QueryResult:
    """The rows of a query, with the column names. Iterating it (or calling
    :meth:`get_next`) moves a cursor over the rows; the conversions use every row."""

    def __init__(self, columns: List[str], rows: Any, stats: Dict[str, int]):
        # ``rows``: the native module's ``Rows`` (see the module doc).
        self._columns = list(columns)
        self._native = rows
        self._count = len(rows)
        self._stats = stats
        self._position = 0
        self._as_dict = False

    def get_column_names(self) -> List[str]:
        """The column names, in order."""
        return list(self._columns)

    def get_num_tuples(self) -> int:
        """The number of rows."""
        return self._count

    @property
    def stats(self) -> Dict[str, int]:
        """What the query wrote: ``nodes_created``, ``nodes_deleted``, ``rels_created``,
        ``rels_deleted``, ``labels_added``, ``labels_removed``, ``properties_set``,
        ``properties_removed``."""
        return dict(self._stats)

    def rows_as_dict(self, state: bool = True) -> "QueryResult":
        """Makes :meth:`get_next`, :meth:`get_all` and iteration return each row as a dict
        of column name to value (``state=False`` goes back to lists). Returns the result."""
        self._as_dict = state
        return self

    def _shape(self, row: List[Any]) -> Row:
        return dict(zip(self._columns, row)) if self._as_dict else list(row)

    def has_next(self) -> bool:
        """Whether :meth:`get_next` has a row to return."""
        return self._position < self._count

    def get_next(self) -> Row:
        """The next row; raises IndexError after the last one."""
        if not self.has_next():
            raise IndexError("no more rows in the query result")
        row = self._native.row(self._position)
        self._position += 1
        return self._shape(row)

    def get_all(self) -> List[Row]:
        """Every row not yet returned by :meth:`get_next` or iteration."""
        rows: List[List[Any]] = self._native.rows_from(self._position)
        self._position = self._count
        if self._as_dict:
            return [self._shape(r) for r in rows]
        return cast(List[Row], rows)

    def reset_iterator(self) -> None:
        """Starts :meth:`get_next` and iteration again from the first row."""
        self._position = 0

    def close(self) -> None:
        """Does nothing: a result holds no database resources (kept for Kùzu's API)."""

    def __iter__(self) -> Iterator[Row]:
        return self

    def __next__(self) -> Row:
        if not self.has_next():
            raise StopIteration
        return self.get_next()

    def __repr__(self) -> str:
        return f"<pagegraph.QueryResult columns={self._columns!r} rows={self._count}>"

    def _column(self, i: int) -> Any:
        """Column ``i``: a numpy array for a column of integers, floats or booleans
        without nulls (a list of Python values when numpy is missing), else a list."""
        kind, values = self._native.column(i)
        if kind == "object":
            return values
        try:
            import numpy as np
        except ImportError:
            view = memoryview(values)
            if kind == "int64":
                return view.cast("q").tolist()
            if kind == "float64":
                return view.cast("d").tolist()
            return view.cast("?").tolist()
        return np.frombuffer(values, dtype={"int64": np.int64, "float64": np.float64, "bool": np.bool_}[kind])

    def get_as_df(self) -> Any:
        """The rows as a pandas DataFrame, one column per result column. Integer columns
        with nulls use pandas' nullable ``Int64`` (no integer becomes a float), boolean
        ones ``boolean``; nodes, relationships, lists and maps are Python objects."""
        pd = _require("pandas", "pandas", "get_as_df()")
        data = {}
        for i, name in enumerate(self._columns):
            values = self._column(i)
            data[name] = pd.Series(values) if not isinstance(values, list) else _pandas_column(pd, values)
        return pd.DataFrame(data, columns=self._columns)

    def get_as_pl(self) -> Any:
        """The rows as a polars DataFrame. A column whose values polars cannot give one
        type (an int beside a str) is a column of Python objects."""
        pl = _require("polars", "polars", "get_as_pl()")
        series = []
        for i, name in enumerate(self._columns):
            values = self._column(i)
            try:
                series.append(pl.Series(name, values))
            except Exception:  # polars raises several types for values of mixed types
                series.append(pl.Series(name, values, dtype=pl.Object))
        return pl.DataFrame(series)

    def get_as_arrow(self, chunk_size: Optional[int] = None) -> Any:
        """The rows as a pyarrow Table (record batches of at most ``chunk_size`` rows when
        given). Nodes and relationships become structs. A column whose values have no one
        Arrow type raises :class:`pagegraph.Error`."""
        pa = _require("pyarrow", "pyarrow", "get_as_arrow()")
        from . import Error

        arrays = []
        for i, name in enumerate(self._columns):
            try:
                arrays.append(pa.array(self._column(i)))
            except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
                raise Error(f"column {name!r} has no single Arrow type: {e}") from e
        table = pa.Table.from_arrays(arrays, names=self._columns)
        if chunk_size is not None:
            batches = table.to_batches(max_chunksize=chunk_size)
            table = pa.Table.from_batches(batches, schema=table.schema)
        return table

    def get_as_networkx(self, directed: bool = True) -> Any:
        """The nodes, relationships and paths anywhere in the rows as a networkx
        ``MultiDiGraph`` (``MultiGraph`` when ``directed=False``): nodes keyed by ``_id``
        with their dict as attributes, edges keyed by the relationship's ``_id``. A
        relationship whose end nodes are not in the rows adds them without attributes."""
        nx = _require("networkx", "networkx", "get_as_networkx()")
        graph = nx.MultiDiGraph() if directed else nx.MultiGraph()
        nodes: Dict[int, Node] = {}
        rels: Dict[int, Relationship] = {}
        for row in self._native.rows_from(0):
            for value in row:
                _collect(value, nodes, rels)
        for node_id, node in nodes.items():
            graph.add_node(node_id, **node)
        for rel_id, rel in rels.items():
            if rel["_src"] is not None:
                graph.add_edge(rel["_src"], rel["_dst"], key=rel_id, **rel)
        return graph


def _collect(value: Any, nodes: Dict[int, Node], rels: Dict[int, Relationship]) -> None:
    """Finds the nodes and relationships in a value, however nested."""
    if isinstance(value, Node):
        nodes.setdefault(value["_id"], value)
    elif isinstance(value, Relationship):
        rels.setdefault(value["_id"], value)
    elif isinstance(value, Path):
        for n in value["_nodes"]:
            nodes.setdefault(n["_id"], n)
        for r in value["_rels"]:
            rels.setdefault(r["_id"], r)
    elif isinstance(value, dict):
        for v in value.values():
            _collect(v, nodes, rels)
    elif isinstance(value, list):
        for v in value:
            _collect(v, nodes, rels)


def _pandas_column(pd: Any, values: List[Any]) -> Any:
    """A pandas Series that keeps every value exact."""
    present = [v for v in values if v is not None]
    has_null = len(present) < len(values)
    if present and all(type(v) is bool for v in present):
        return pd.Series(values, dtype="boolean" if has_null else "bool")
    if present and all(type(v) is int for v in present):
        return pd.Series(values, dtype="Int64" if has_null else "int64")
    if any(isinstance(v, (list, dict)) for v in present):
        return pd.Series(values, dtype=object)
    return pd.Series(values)
