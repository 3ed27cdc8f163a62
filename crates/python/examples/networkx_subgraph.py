"""A subgraph from a Cypher query into networkx, for the algorithms networkx has.

    python examples/networkx_subgraph.py
"""

import networkx as nx

import pagegraph

db = pagegraph.Database()
conn = pagegraph.Connection(db)
conn.execute(
    "UNWIND $roads AS road "
    "MERGE (a:City {name: road[0]}) MERGE (b:City {name: road[1]}) "
    "CREATE (a)-[:ROAD {km: road[2]}]->(b)",
    {
        "roads": [
            ["Lyon", "Paris", 465],
            ["Lyon", "Geneva", 150],
            ["Geneva", "Bern", 160],
            ["Paris", "Brussels", 300],
            ["Bern", "Zurich", 125],
            ["Paris", "Zurich", 600],
        ]
    },
)
# Every road and both its cities: the result's nodes and relationships become the graph.
result = conn.execute("MATCH (a:City)-[r:ROAD]->(b:City) RETURN a, r, b")
g = result.get_as_networkx(directed=False)
names = nx.get_node_attributes(g, "name")
print(f"{g.number_of_nodes()} cities, {g.number_of_edges()} roads")

lyon = next(n for n, name in names.items() if name == "Lyon")
zurich = next(n for n, name in names.items() if name == "Zurich")
path = nx.shortest_path(g, lyon, zurich, weight="km")
km = nx.shortest_path_length(g, lyon, zurich, weight="km")
print("shortest Lyon to Zurich:", " -> ".join(names[n] for n in path), f"({km} km)")
