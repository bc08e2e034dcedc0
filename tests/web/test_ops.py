"""Operator endpoints: /healthz and /metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from starlette.testclient import TestClient  # first imported (warning silenced) by conftest

from statusd.config import Settings
from statusd.metrics import Registry
from statusd.web.app import create_app

from .conftest import AppFactory


@pytest.mark.db
def test_healthz_ok_with_runtime_details(make_client: AppFactory) -> None:
    client = make_client(health=lambda: {"queue_depth": 3, "listeners": ["udp:5514"]})
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "queue_depth": 3,
                        "listeners": ["udp:5514"]}
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.db
def test_healthz_without_health_callable(make_client: AppFactory) -> None:
    assert make_client().get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_the_database_does_not_answer(
    tmp_path: Path, settings: Settings, metrics: Registry
) -> None:
    dead = create_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    with TestClient(create_app(settings, dead, metrics)) as client:
        r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "error"
    dead.dispose()


def test_metrics(settings: Settings, tmp_path: Path) -> None:
    registry = Registry()
    registry.received.inc(3, transport="udp")
    engine = create_engine(f"sqlite:///{tmp_path}/m.db")
    with TestClient(create_app(settings, engine, registry)) as client:
        r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE statusd_messages_received_total counter" in r.text
    assert 'statusd_messages_received_total{transport="udp"} 3' in r.text
    assert "statusd_queue_depth 0" in r.text
    engine.dispose()
