"""Shared fixtures: a database per backend (SQLite, and PostgreSQL if STATUSD_TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from statusd.db import make_engine

PG_URL = os.environ.get("STATUSD_TEST_DATABASE_URL")
DB_BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def fresh_engine(backend: str, tmp_path: Path) -> Engine:
    """An empty statusd schema on the given backend."""
    if backend == "sqlite":
        return make_engine(f"sqlite:///{tmp_path}/statusd.db")
    assert PG_URL
    engine = make_engine(PG_URL, create=False)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    return engine


@pytest.fixture(params=DB_BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database, once per backend."""
    engine = fresh_engine(request.param, tmp_path)
    yield engine
    if request.param != "sqlite":
        SQLModel.metadata.drop_all(engine)
    engine.dispose()
