"""Fixtures shared by the Python tests: an in-memory database, and one on disk."""

import pytest

import pagegraph


@pytest.fixture
def db():
    database = pagegraph.Database()
    yield database
    database.close()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "test.pgdb"


@pytest.fixture
def conn(db):
    return pagegraph.Connection(db)
