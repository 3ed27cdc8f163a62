"""A small knowledge graph, upserted with Cypher MERGE and queried.

Facts arrive as (subject, relation, object) triples, some of them twice; MERGE makes
each entity and each fact exactly once, and a unique constraint guards the names.

    python examples/knowledge_graph.py
"""

import pagegraph

facts = [
    ("Marie Curie", "BORN_IN", "Warsaw"),
    ("Marie Curie", "WORKED_IN", "Paris"),
    ("Pierre Curie", "WORKED_IN", "Paris"),
    ("Marie Curie", "MARRIED", "Pierre Curie"),
    ("Warsaw", "CAPITAL_OF", "Poland"),
    ("Paris", "CAPITAL_OF", "France"),
    ("Marie Curie", "WORKED_IN", "Paris"),  # again: merged, not duplicated
]

db = pagegraph.Database()
conn = pagegraph.Connection(db)
conn.execute("CREATE CONSTRAINT entity_name FOR (e:Entity) REQUIRE e.name IS UNIQUE")

for subject, relation, obj in facts:
    # A relationship type cannot be a parameter, so it goes into the text; it comes from
    # the fixed list above, never from user input.
    conn.execute(
        "MERGE (s:Entity {name: $s}) MERGE (o:Entity {name: $o}) "
        f"MERGE (s)-[:{relation}]->(o)",
        {"s": subject, "o": obj},
    )

counts = conn.execute("MATCH (e:Entity) WITH count(e) AS n MATCH ()-[r]->() RETURN n, count(r)")
print("entities, facts:", counts.get_next())

# Who worked in the capital of France?
result = conn.execute(
    "MATCH (p:Entity)-[:WORKED_IN]->(c:Entity)-[:CAPITAL_OF]->(:Entity {name: $country}) "
    "RETURN p.name AS person, c.name AS city ORDER BY person",
    {"country": "France"},
)
for row in result.rows_as_dict():
    print(f"{row['person']} worked in {row['city']}")

# A duplicate name is refused by the constraint.
try:
    conn.execute("CREATE (:Entity {name: 'Paris'})")
except pagegraph.ConstraintError as e:
    print("refused:", e)
