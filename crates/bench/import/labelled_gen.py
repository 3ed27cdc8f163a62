"""A labelled graph for the same-run load comparison with Kuzu (see BENCHMARKS.md): NODES
Person nodes and EDGES KNOWS edges, five properties each, as `|`-separated CSV with Neo4j
admin-import headers, plus the mapping `pagegraph import --mapping` reads. Fixed seed, so
every run loads the same bytes.

    python labelled_gen.py NODES EDGES DIR

Writes DIR/person.csv, DIR/knows.csv and DIR/mapping.toml. Kuzu reads the same two CSV
files (kuzu_labelled.py): the header row is skipped and columns are taken by position.
"""

import random
import sys
from pathlib import Path

CITIES = ["Oslo", "Lima", "Pune", "Kyiv", "Graz", "Nice", "Cork", "Bari", "Ulm", "Rome"]
NOTES = ["met at work", "school", "neighbours", "family", "online", "sports club"]


def main() -> None:
    nodes, edges, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(42)
    with open(out / "person.csv", "w") as f:
        f.write("id:ID(Person)|name:STRING|age:INT|score:FLOAT|city:STRING|active:BOOLEAN\n")
        for i in range(nodes):
            f.write(
                f"{i}|person{i}|{rng.randrange(18, 90)}|{rng.randrange(0, 100000) / 100}|"
                f"{CITIES[rng.randrange(len(CITIES))]}|{'true' if rng.random() < 0.5 else 'false'}\n"
            )
    with open(out / "knows.csv", "w") as f:
        f.write(
            ":START_ID(Person)|:END_ID(Person)|since:INT|weight:FLOAT|note:STRING|"
            "strength:INT|close:BOOLEAN\n"
        )
        for _ in range(edges):
            f.write(
                f"{rng.randrange(nodes)}|{rng.randrange(nodes)}|{rng.randrange(1990, 2025)}|"
                f"{rng.randrange(0, 1000) / 1000}|{NOTES[rng.randrange(len(NOTES))]}|"
                f"{rng.randrange(1, 10)}|{'true' if rng.random() < 0.3 else 'false'}\n"
            )
    (out / "mapping.toml").write_text(
        'delimiter = "|"\n\n'
        '[[nodes]]\nlabel = "Person"\nfiles = ["person.csv"]\n\n'
        '[[edges]]\ntype = "KNOWS"\nfiles = ["knows.csv"]\n'
    )


if __name__ == "__main__":
    main()
