"""Edges from a pandas DataFrame into a graph, then PageRank back into a DataFrame.

    python examples/pagerank_dataframe.py
"""

import pandas as pd

import pagegraph

# Who cites whom: one row per edge, nodes named by a column value.
edges = pd.DataFrame(
    {
        "src": ["ada", "ada", "grace", "alan", "edsger", "barbara", "barbara"],
        "dst": ["alan", "grace", "alan", "ada", "alan", "edsger", "ada"],
    }
)

db = pagegraph.Database()  # in memory; give a path to keep it
with db.write() as tx:
    # One node per distinct name, created in one batch; then the edges in another.
    names = pd.unique(edges[["src", "dst"]].to_numpy().ravel())
    ids = dict(zip(names, tx.create_nodes(("Person", {"name": n}) for n in names)))
    tx.create_edges(
        (ids[s], ids[d], "CITES") for s, d in edges.itertuples(index=False)
    )

ranks = db.pagerank(edge_type="CITES")
by_id = {node_id: name for name, node_id in ids.items()}
result = (
    pd.DataFrame({"name": [by_id[i] for i in ranks], "rank": list(ranks.values())})
    .sort_values("rank", ascending=False, ignore_index=True)
)
print(result.to_string(index=False, float_format="%.4f"))
print(f"ranks sum to {result['rank'].sum():.6f}")
