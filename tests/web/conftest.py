"""Web test fixtures: a database (SQLite; PostgreSQL when asked), components, a client."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel
from starlette.exceptions import StarletteDeprecationWarning

from statusd.config import Settings, load_settings
from statusd.db import make_engine, transaction
from statusd.metrics import Registry
from statusd.models import Component, ComponentGroup
from statusd.web.app import create_app

from .data import NOW

with warnings.catch_warnings():
    # starlette 1.x prefers httpx2 and warns once, on import, when it finds httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PG_ENV = "STATUSD_TEST_DATABASE_URL"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get(PG_ENV) else [])


class Clock:
    """A settable clock for the app."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _postgres_engine(base_url: str) -> tuple[Engine, Callable[[], None]]:
    """An engine on a fresh schema of its own, so concurrent runs never see each other's rows."""
    schema = f"web_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url, create=False)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False), create=False)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)

    def cleanup() -> None:
        SQLModel.metadata.drop_all(engine)
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return engine, cleanup


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    """An empty database: SQLite in tmp_path, or PostgreSQL from STATUSD_TEST_DATABASE_URL."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path}/t.db")
        yield eng
        eng.dispose()
        return
    eng, cleanup = _postgres_engine(os.environ[PG_ENV])
    try:
        yield eng
    finally:
        cleanup()


@pytest.fixture
def settings() -> Settings:
    """Built-in default settings with a known base URL."""
    s = load_settings(None)
    s.values["http.base_url"] = "https://status.example.org"
    s.values["page.title"] = "Example status"
    return s


@pytest.fixture
def clock() -> Clock:
    """The app's clock, fixed at NOW."""
    return Clock(NOW)


@pytest.fixture
def metrics() -> Registry:
    """A fresh metrics registry."""
    return Registry()


@pytest.fixture
def components(engine: Engine) -> dict[str, int]:
    """Two grouped components (website, api), one ungrouped (mail); slug -> id."""
    created = NOW - timedelta(days=200)
    with transaction(engine) as s:
        group = ComponentGroup(name="Public services", position=0, created_at=created,
                               updated_at=created)
        s.add(group)
        s.flush()
        rows = [
            Component(slug="website", name="Website", group_id=group.id, position=0,
                      description="The public web site", created_at=created, updated_at=created),
            Component(slug="api", name="API", group_id=group.id, position=1,
                      created_at=created, updated_at=created),
            Component(slug="mail", name="Mail", position=2, created_at=created,
                      updated_at=created),
        ]
        s.add_all(rows)
        s.flush()
        return {c.slug: c.id for c in rows if c.id is not None}


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(
    engine: Engine, settings: Settings, metrics: Registry, clock: Clock
) -> Iterator[AppFactory]:
    """Build a TestClient; keyword arguments override page.* settings (page_language="fr")."""
    clients: list[TestClient] = []

    def build(health: Callable[[], dict[str, Any]] | None = None, db: Engine | None = None,
              **overrides: Any) -> TestClient:
        for key, value in overrides.items():
            settings.values[key.replace("_", ".", 1)] = value
        app = create_app(settings, db or engine, metrics, health=health, clock=clock)
        client = TestClient(app)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: AppFactory, components: dict[str, int]) -> TestClient:
    """A client on the default settings, with the three components in place."""
    return make_client()
