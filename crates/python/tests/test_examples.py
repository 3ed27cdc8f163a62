"""The scripts in examples/ run and print what they should."""

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def run(name):
    r = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_pagerank_dataframe():
    pytest.importorskip("pandas")
    out = run("pagerank_dataframe.py").splitlines()
    assert out[0].split() == ["name", "rank"]
    assert [line.split()[0] for line in out[1:6]] == ["alan", "ada", "grace", "edsger", "barbara"]
    assert out[-1] == "ranks sum to 1.000000"


def test_knowledge_graph():
    out = run("knowledge_graph.py").splitlines()
    assert out[:3] == [
        "entities, facts: [6, 6]",
        "Marie Curie worked in Paris",
        "Pierre Curie worked in Paris",
    ]
    assert out[3].startswith("refused: unique constraint entity_name")


def test_networkx_subgraph():
    pytest.importorskip("networkx")
    out = run("networkx_subgraph.py").splitlines()
    assert out == ["6 cities, 6 roads", "shortest Lyon to Zurich: Lyon -> Geneva -> Bern -> Zurich (435 km)"]
