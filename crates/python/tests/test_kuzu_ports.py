"""Kùzu-using code ported by changing its import: the shapes of LlamaIndex's Kùzu graph
store (a triplet store keyed by entity id), of the Kùzu "movies" walkthrough (tables,
CREATE statements, a DataFrame), and of mem0's Kùzu memory (entities upserted by MERGE
with embeddings, found by cosine similarity). Each store below is written against Kùzu's
API as those tools use it, schema statements included; only `import pagegraph as kuzu`
differs. Answers are computed by hand."""

from __future__ import annotations

from typing import Any

import pytest

import pagegraph as kuzu  # the one change a Kùzu user makes


class TripletStore:
    """A knowledge-graph store in the shape of LlamaIndex's Kùzu graph store: entities in
    a node table keyed by `ID`, triplets as relationships carrying their predicate."""

    def __init__(self, database: Any, node_table: str = "entity", rel_table: str = "links"):
        self.conn = kuzu.Connection(database)
        self.node = node_table
        self.rel = rel_table
        self.conn.execute(
            f"CREATE NODE TABLE IF NOT EXISTS {self.node} (ID STRING, PRIMARY KEY(ID))"
        )
        self.conn.execute(
            f"CREATE REL TABLE IF NOT EXISTS {self.rel} "
            f"(FROM {self.node} TO {self.node}, predicate STRING)"
        )

    def get(self, subj: str) -> list[list[str]]:
        result = self.conn.execute(
            f"MATCH (n1:{self.node})-[r:{self.rel}]->(n2:{self.node}) "
            "WHERE n1.ID = $subj RETURN r.predicate, n2.ID;",
            {"subj": subj},
        )
        rows = []
        while result.has_next():
            rows.append(result.get_next())
        return rows

    def _entity_exists(self, entity_id: str) -> bool:
        result = self.conn.execute(
            f"MATCH (n:{self.node}) WHERE n.ID = $entity_id RETURN n.ID",
            {"entity_id": entity_id},
        )
        return result.has_next()

    def _rel_exists(self, subj: str, pred: str, obj: str) -> bool:
        result = self.conn.execute(
            f"MATCH (n1:{self.node})-[r:{self.rel}]->(n2:{self.node}) "
            "WHERE n1.ID = $subj AND n2.ID = $obj AND r.predicate = $pred RETURN r.predicate",
            {"subj": subj, "obj": obj, "pred": pred},
        )
        return result.has_next()

    def upsert_triplet(self, subj: str, pred: str, obj: str) -> None:
        for entity in (subj, obj):
            if not self._entity_exists(entity):
                self.conn.execute(
                    f"CREATE (n:{self.node} {{ID: $entity_id}})", {"entity_id": entity}
                )
        if not self._rel_exists(subj, pred, obj):
            self.conn.execute(
                f"MATCH (n1:{self.node}), (n2:{self.node}) WHERE n1.ID = $subj AND n2.ID = $obj "
                f"CREATE (n1)-[r:{self.rel} {{predicate: $pred}}]->(n2)",
                {"subj": subj, "obj": obj, "pred": pred},
            )

    def delete(self, subj: str, pred: str, obj: str) -> None:
        self.conn.execute(
            f"MATCH (n1:{self.node})-[r:{self.rel}]->(n2:{self.node}) "
            "WHERE n1.ID = $subj AND n2.ID = $obj AND r.predicate = $pred DELETE r",
            {"subj": subj, "obj": obj, "pred": pred},
        )
        for entity in (subj, obj):
            result = self.conn.execute(
                f"MATCH (n1:{self.node})-[r:{self.rel}]-(n2:{self.node}) "
                "WHERE n1.ID = $entity RETURN count(r)",
                {"entity": entity},
            )
            if result.get_next()[0] == 0:
                self.conn.execute(
                    f"MATCH (n:{self.node}) WHERE n.ID = $entity DELETE n", {"entity": entity}
                )

    def get_rel_map(self, subjs: list[str], depth: int = 2, limit: int = 30) -> dict[str, list]:
        result = self.conn.execute(
            f"MATCH p=(n1:{self.node})-[r:{self.rel}*1..{depth}]->(n2:{self.node}) "
            f"WHERE n1.ID IN $subjs RETURN n1.ID, p LIMIT {limit}",
            {"subjs": subjs},
        )
        out: dict[str, list] = {}
        while result.has_next():
            subj, path = result.get_next()
            steps = [r["predicate"] for r in path["_rels"]]
            ids = [n["ID"] for n in path["_nodes"]]
            out.setdefault(subj, []).append((steps, ids))
        return out

    def query(self, query: str, param_map: dict | None = None) -> list[dict]:
        result = self.conn.execute(query, param_map or {})
        names = result.get_column_names()
        return [dict(zip(names, row)) for row in result.get_all()]


def test_a_llamaindex_shaped_triplet_store(tmp_path):
    db = kuzu.Database(str(tmp_path / "kg"))
    store = TripletStore(db)
    TripletStore(db)  # a second store on the same database: the schema is there already
    triplets = [
        ("ada", "knows", "bob"),
        ("bob", "knows", "cy"),
        ("ada", "likes", "tea"),
        ("cy", "wrote", "notes"),
    ]
    for t in triplets + triplets[:2]:  # upserts: the repeats change nothing
        store.upsert_triplet(*t)
    assert sorted(store.get("ada")) == [["knows", "bob"], ["likes", "tea"]]
    assert store.get("nobody") == []
    assert store.query(f"MATCH (n:{store.node}) RETURN count(*) AS n") == [{"n": 5}]
    assert store.query(f"MATCH ()-[r:{store.rel}]->() RETURN count(r) AS n") == [{"n": 4}]

    paths = store.get_rel_map(["ada", "cy"])
    assert sorted(paths["ada"]) == [
        (["knows"], ["ada", "bob"]),
        (["knows", "knows"], ["ada", "bob", "cy"]),
        (["likes"], ["ada", "tea"]),
    ]
    assert paths["cy"] == [(["wrote"], ["cy", "notes"])]

    # The table's primary key holds: a second entity with one ID is refused.
    with pytest.raises(kuzu.Error):
        store.conn.execute(f"CREATE (:{store.node} {{ID: 'ada'}})")

    store.delete("ada", "likes", "tea")
    assert store.get("ada") == [["knows", "bob"]]
    assert store.query(
        f"MATCH (n:{store.node}) RETURN n.ID AS id ORDER BY id"
    ) == [{"id": i} for i in ["ada", "bob", "cy", "notes"]]
    db.close()
    # And the same store reopened from its file.
    store = TripletStore(kuzu.Database(str(tmp_path / "kg")))
    assert sorted(store.get("bob")) == [["knows", "cy"]]


def test_the_kuzu_movies_walkthrough():
    pd = pytest.importorskip("pandas")
    db = kuzu.Database(":memory:")
    conn = kuzu.Connection(db)
    conn.execute("CREATE NODE TABLE Movie (name STRING, PRIMARY KEY(name))")
    conn.execute("CREATE NODE TABLE Person (name STRING, birthDate STRING, PRIMARY KEY(name))")
    conn.execute("CREATE REL TABLE ActedIn (FROM Person TO Movie)")
    conn.execute("CREATE (:Person {name: 'Al Pacino', birthDate: '1940-04-25'})")
    conn.execute("CREATE (:Person {name: 'Robert De Niro', birthDate: '1943-08-17'})")
    conn.execute("CREATE (:Movie {name: 'The Godfather'})")
    conn.execute("CREATE (:Movie {name: 'The Godfather: Part II'})")
    conn.execute(
        "MATCH (p:Person), (m:Movie) WHERE p.name = 'Al Pacino' AND m.name = 'The Godfather' "
        "CREATE (p)-[:ActedIn]->(m)"
    )
    conn.execute(
        "MATCH (p:Person), (m:Movie) WHERE m.name = 'The Godfather: Part II' "
        "CREATE (p)-[:ActedIn]->(m)"
    )
    df = conn.execute(
        "MATCH (p:Person)-[:ActedIn]->(m:Movie) RETURN p.name, m.name ORDER BY p.name, m.name"
    ).get_as_df()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["p.name", "m.name"]
    assert df.values.tolist() == [
        ["Al Pacino", "The Godfather"],
        ["Al Pacino", "The Godfather: Part II"],
        ["Robert De Niro", "The Godfather: Part II"],
    ]
    result = conn.execute(
        "MATCH (p:Person) WHERE p.birthDate < $d RETURN p.name", {"d": "1941-01-01"}
    )
    assert result.get_column_names() == ["p.name"]
    assert result.get_all() == [["Al Pacino"]]


class EntityMemory:
    """Agent memory in the shape of mem0's Kùzu graph: entities per user, upserted by
    MERGE with a mention count and an embedding, and found by cosine similarity."""

    def __init__(self, db: Any):
        self.graph = kuzu.Connection(db)
        self.graph.execute(
            "CREATE NODE TABLE IF NOT EXISTS Entity(id SERIAL PRIMARY KEY, user_id STRING, "
            "name STRING, mentions INT64, created TIMESTAMP, embedding FLOAT[3])"
        )
        self.graph.execute(
            "CREATE REL TABLE IF NOT EXISTS CONNECTED_TO(FROM Entity TO Entity, name STRING, "
            "mentions INT64, created TIMESTAMP)"
        )

    def add(self, user_id: str, source: str, relation: str, dest: str, vectors: dict) -> None:
        for name in (source, dest):
            self.graph.execute(
                "MERGE (n:Entity {name: $name, user_id: $user_id}) "
                "ON CREATE SET n.created = current_timestamp(), n.mentions = 1, "
                "n.embedding = $embedding "
                "ON MATCH SET n.mentions = coalesce(n.mentions, 0) + 1",
                {"name": name, "user_id": user_id, "embedding": vectors[name]},
            )
        self.graph.execute(
            "MATCH (s:Entity {name: $source, user_id: $user_id}), "
            "(d:Entity {name: $dest, user_id: $user_id}) "
            "MERGE (s)-[r:CONNECTED_TO {name: $relation}]->(d) "
            "ON CREATE SET r.created = current_timestamp(), r.mentions = 1 "
            "ON MATCH SET r.mentions = coalesce(r.mentions, 0) + 1",
            {"source": source, "dest": dest, "relation": relation, "user_id": user_id},
        )

    def search(self, user_id: str, vector: list, threshold: float) -> list[dict]:
        result = self.graph.execute(
            "MATCH (n:Entity {user_id: $user_id})-[r:CONNECTED_TO]->(m:Entity) "
            "WITH n, r, m, array_cosine_similarity(n.embedding, $v) AS similarity "
            "WHERE similarity >= $threshold "
            "RETURN n.name AS source, r.name AS relationship, m.name AS destination, "
            "r.mentions AS mentions ORDER BY similarity DESC, destination",
            {"user_id": user_id, "v": vector, "threshold": threshold},
        )
        return list(result.rows_as_dict())


def test_a_mem0_shaped_entity_memory():
    memory = EntityMemory(kuzu.Database())
    vectors = {"alice": [1.0, 0.0, 0.0], "pizza": [0.0, 1.0, 0.0], "rome": [0.6, 0.8, 0.0]}
    memory.add("u1", "alice", "likes", "pizza", vectors)
    memory.add("u1", "alice", "likes", "pizza", vectors)  # mentioned again
    memory.add("u1", "alice", "visited", "rome", vectors)
    memory.add("u2", "alice", "likes", "rome", vectors)  # another user's alice
    # cosine(alice, alice) = 1; edges leave alice only.
    assert memory.search("u1", [1.0, 0.0, 0.0], 0.9) == [
        {"source": "alice", "relationship": "likes", "destination": "pizza", "mentions": 2},
        {"source": "alice", "relationship": "visited", "destination": "rome", "mentions": 1},
    ]
    assert memory.search("u1", [0.0, 0.0, 1.0], 0.1) == []
    counts = memory.graph.execute(
        "MATCH (n:Entity) RETURN n.user_id, n.name, n.mentions ORDER BY n.user_id, n.name"
    ).get_all()
    assert counts == [
        ["u1", "alice", 3],
        ["u1", "pizza", 2],
        ["u1", "rome", 1],
        ["u2", "alice", 1],
        ["u2", "rome", 1],
    ]
