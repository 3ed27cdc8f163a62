"""Type stubs of the native module; see the docstrings at run time for the details."""

import os
import pathlib
from types import TracebackType
from typing import Any, final, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Tuple, Type, Union

from ._result import Node, QueryResult, Relationship

# What the database stores: None, bool, int (64-bit), float, str, and lists and dicts of them.
_Value = Any
_Properties = Mapping[str, _Value]
_Labels = Union[str, Sequence[str]]
_Names = Union[str, Sequence[str]]
_Direction = Literal["out", "in", "both", "outgoing", "incoming"]
_IndexInfo = Dict[str, Any]

__all__ = [
    "VALUE_DEPTH_MAX",
    "ConstraintError",
    "CorruptionError",
    "Database",
    "Error",
    "LockedError",
    "QueryError",
    "ReadTransaction",
    "Rows",
    "WriteTransaction",
]

VALUE_DEPTH_MAX: int

class Error(Exception):
    """The base class of every error pagegraph raises."""

class QueryError(Error):
    """A query that does not parse, compile or run."""

    line: Optional[int]
    column: Optional[int]

class ConstraintError(Error):
    """A write would break a unique constraint; nothing of that write was applied."""

class CorruptionError(Error):
    """The database's bytes are damaged."""

class LockedError(Error):
    """Another handle or process has the database open."""

@final
class Database:
    def __new__(
        cls,
        path: Union[str, "os.PathLike[str]", None] = None,
        *,
        read_only: bool = False,
        create: bool = True,
        durability: Literal["full", "normal", "off"] = "full",
        cache_pages: Optional[int] = None,
        page_size: Optional[int] = None,
        query_memory_limit: Optional[int] = None,
    ) -> "Database": ...
    @property
    def path(self) -> Optional[pathlib.Path]: ...
    @property
    def read_only(self) -> bool: ...
    def write(self) -> WriteTransaction: ...
    def read(self) -> ReadTransaction: ...
    def execute(self, query: str, parameters: Optional[Mapping[str, _Value]] = None) -> QueryResult: ...
    def interrupt(self) -> None: ...
    def node(self, id: int) -> Optional[Node]: ...
    def edge(self, id: int) -> Optional[Relationship]: ...
    def neighbors(self, id: int, direction: _Direction = "out", edge_type: Optional[str] = None) -> List[Tuple[int, int]]: ...
    def node_ids(self, label: Optional[str] = None) -> List[int]: ...
    def find_nodes(self, label: str, property: str, value: _Value) -> List[int]: ...
    def node_count(self) -> int: ...
    def edge_count(self) -> int: ...
    def indexes(self) -> List[_IndexInfo]: ...
    def create_index(self, label: str, properties: _Names, *, unique: bool = False, name: Optional[str] = None) -> _IndexInfo: ...
    def create_edge_index(self, edge_type: str, properties: _Names, *, unique: bool = False, name: Optional[str] = None) -> _IndexInfo: ...
    def drop_index(self, name: str) -> None: ...
    def check(self) -> Dict[str, Any]: ...
    def stats(self) -> Dict[str, int]: ...
    def compact(self) -> Dict[str, int]: ...
    def import_tables(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        batch: int = 200000,
        skip_bad: bool = False,
        upsert: bool = False,
        create_missing: bool = False,
        id_property: str = "id",
        node_label: str = "node",
    ) -> Dict[str, Any]: ...
    def import_csv(
        self,
        mapping: Union[str, "os.PathLike[str]"],
        *,
        data_dir: Optional[Union[str, "os.PathLike[str]"]] = None,
        batch: int = 200000,
        skip_bad: bool = False,
        upsert: bool = False,
        create_missing: bool = False,
    ) -> Dict[str, Any]: ...
    def export_tables(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        format: str = "parquet",
        labels: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
        query: Optional[str] = None,
        parameters: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]: ...
    def checkpoint(self) -> None: ...
    def pagerank(
        self,
        label: Optional[str] = None,
        edge_type: Optional[str] = None,
        *,
        damping: float = 0.85,
        iterations: int = 20,
        tolerance: float = 0.0,
        direction: _Direction = "out",
    ) -> Dict[int, float]: ...
    def wcc(self, label: Optional[str] = None, edge_type: Optional[str] = None) -> Dict[int, int]: ...
    def scc(self, label: Optional[str] = None, edge_type: Optional[str] = None) -> Dict[int, int]: ...
    def louvain(
        self,
        label: Optional[str] = None,
        edge_type: Optional[str] = None,
        *,
        resolution: float = 1.0,
        seed: Optional[int] = None,
        max_levels: int = 32,
    ) -> Dict[int, int]: ...
    def label_propagation(
        self,
        label: Optional[str] = None,
        edge_type: Optional[str] = None,
        *,
        direction: _Direction = "both",
        iterations: int = 10,
        seed: Optional[int] = None,
    ) -> Dict[int, int]: ...
    def degree(
        self, label: Optional[str] = None, edge_type: Optional[str] = None, *, direction: _Direction = "both"
    ) -> Dict[int, int]: ...
    def betweenness(
        self,
        label: Optional[str] = None,
        edge_type: Optional[str] = None,
        *,
        direction: _Direction = "out",
        samples: Optional[int] = None,
        seed: int = 0,
        normalized: bool = False,
    ) -> Dict[int, float]: ...
    def closeness(
        self, label: Optional[str] = None, edge_type: Optional[str] = None, *, direction: _Direction = "out"
    ) -> Dict[int, float]: ...
    def core_numbers(self, label: Optional[str] = None, edge_type: Optional[str] = None) -> Dict[int, int]: ...
    def triangles(self, label: Optional[str] = None, edge_type: Optional[str] = None) -> Dict[int, int]: ...
    def clustering(
        self, label: Optional[str] = None, edge_type: Optional[str] = None, *, directed: bool = False
    ) -> Dict[int, float]: ...
    def shortest_path(
        self,
        source: int,
        target: int,
        *,
        edge_type: Optional[str] = None,
        direction: _Direction = "out",
        weight: Optional[str] = None,
    ) -> Optional[Dict[str, Any]]: ...
    def bfs(
        self,
        start: int,
        *,
        edge_type: Optional[str] = None,
        direction: _Direction = "out",
        max_depth: Optional[int] = None,
    ) -> Dict[int, int]: ...
    def toposort(self, label: Optional[str] = None, edge_type: Optional[str] = None) -> List[int]: ...
    def sssp(
        self,
        source: int,
        *,
        edge_type: Optional[str] = None,
        direction: _Direction = "out",
        weight: Optional[str] = None,
    ) -> Dict[int, float]: ...
    def k_shortest_paths(
        self,
        source: int,
        target: int,
        k: int,
        *,
        edge_type: Optional[str] = None,
        direction: _Direction = "out",
        weight: Optional[str] = None,
    ) -> List[Dict[str, Any]]: ...
    def dominators(self, root: int, *, edge_type: Optional[str] = None, post: bool = False) -> Dict[int, int]: ...
    def transitive_reduction(self, edge_type: Optional[str] = None) -> List[int]: ...
    def find_cycle(self, label: Optional[str] = None, edge_type: Optional[str] = None) -> Optional[List[int]]: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Database": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class ReadTransaction:
    @property
    def closed(self) -> bool: ...
    def execute(self, query: str, parameters: Optional[Mapping[str, _Value]] = None) -> QueryResult: ...
    def node(self, id: int) -> Optional[Node]: ...
    def edge(self, id: int) -> Optional[Relationship]: ...
    def neighbors(self, id: int, direction: _Direction = "out", edge_type: Optional[str] = None) -> List[Tuple[int, int]]: ...
    def node_ids(self, label: Optional[str] = None) -> List[int]: ...
    def find_nodes(self, label: str, property: str, value: _Value) -> List[int]: ...
    def node_count(self) -> int: ...
    def edge_count(self) -> int: ...
    def indexes(self) -> List[_IndexInfo]: ...
    def close(self) -> None: ...
    def __enter__(self) -> "ReadTransaction": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class WriteTransaction:
    @property
    def closed(self) -> bool: ...
    def create_node(self, labels: _Labels, properties: Optional[_Properties] = None) -> int: ...
    def create_nodes(
        self, items: Iterable[Union[Tuple[_Labels], Tuple[_Labels, Optional[_Properties]]]]
    ) -> List[int]: ...
    def create_edge(self, src: int, dst: int, edge_type: str, properties: Optional[_Properties] = None) -> int: ...
    def create_edges(
        self,
        items: Iterable[Union[Tuple[int, int, str], Tuple[int, int, str, Optional[_Properties]]]],
    ) -> List[int]: ...
    def create_edges_from(
        self,
        table: Any,
        *,
        src: str = "src",
        dst: str = "dst",
        edge_type: str = "EDGE",
        properties: Optional[List[str]] = None,
    ) -> List[int]: ...
    def create_nodes_from(
        self, table: Any, labels: _Labels, *, properties: Optional[List[str]] = None
    ) -> List[int]: ...
    def update_node(self, id: int, properties: _Properties, *, replace: bool = False) -> None: ...
    def update_edge(self, id: int, properties: _Properties, *, replace: bool = False) -> None: ...
    def add_label(self, id: int, label: str) -> bool: ...
    def remove_label(self, id: int, label: str) -> bool: ...
    def delete_node(self, id: int) -> None: ...
    def delete_edge(self, id: int) -> None: ...
    def merge_node(
        self,
        labels: _Labels,
        key: _Properties,
        on_create: Optional[_Properties] = None,
        on_match: Optional[_Properties] = None,
    ) -> Tuple[int, bool]: ...
    def merge_edge(
        self,
        src: int,
        dst: int,
        edge_type: str,
        key: Optional[_Properties] = None,
        on_create: Optional[_Properties] = None,
        on_match: Optional[_Properties] = None,
    ) -> Tuple[int, bool]: ...
    def create_index(self, label: str, properties: _Names, *, unique: bool = False, name: Optional[str] = None) -> _IndexInfo: ...
    def create_edge_index(self, edge_type: str, properties: _Names, *, unique: bool = False, name: Optional[str] = None) -> _IndexInfo: ...
    def drop_index(self, name: str) -> None: ...
    def execute(self, query: str, parameters: Optional[Mapping[str, _Value]] = None) -> QueryResult: ...
    def node(self, id: int) -> Optional[Node]: ...
    def edge(self, id: int) -> Optional[Relationship]: ...
    def neighbors(self, id: int, direction: _Direction = "out", edge_type: Optional[str] = None) -> List[Tuple[int, int]]: ...
    def node_ids(self, label: Optional[str] = None) -> List[int]: ...
    def find_nodes(self, label: str, property: str, value: _Value) -> List[int]: ...
    def node_count(self) -> int: ...
    def edge_count(self) -> int: ...
    def indexes(self) -> List[_IndexInfo]: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def __enter__(self) -> "WriteTransaction": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class Rows:
    """The rows of a query result, kept natively until asked for (``QueryResult`` wraps
    them): a row at a time, or a column at a time."""

    def __len__(self) -> int: ...
    def row(self, i: int) -> List[Any]: ...
    def rows_from(self, start: int) -> List[List[Any]]: ...
    def column(self, i: int) -> Tuple[str, Union[bytearray, List[Any]]]:
        """``("int64" | "float64" | "bool", bytearray)`` of a native-endian machine array
        when every value is an integer, every one a float or every one a boolean (a byte
        each); else ``("object", list)``."""
