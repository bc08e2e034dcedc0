"""Fixtures of the IRC tests: one ngircd and one database per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from irc_harness import NGIRCD, Ngircd
from sqlalchemy.engine import Engine

from statusd import status
from statusd.config import ComponentSettings
from statusd.db import make_engine


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ngircd]:
    """A fresh ngircd for the module, killed at teardown."""
    if NGIRCD is None:
        pytest.fail("ngircd is not installed (.ci/run installs it: apt-get install ngircd)")
    server = Ngircd(tmp_path_factory.mktemp("ngircd"))
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def irc_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database with three components."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db')}/statusd.db")
    status.sync_components(engine, [ComponentSettings("website", "Website"),
                                    ComponentSettings("api", "API"),
                                    ComponentSettings("mail", "Mail")])
    yield engine
    engine.dispose()
