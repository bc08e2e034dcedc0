"""Admin dashboard fixtures: a database (the shared `db` fixture), users, a client, log in."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.exceptions import StarletteDeprecationWarning
from starlette.routing import Route

from statusd.config import Settings, load_settings
from statusd.db import make_engine, transaction
from statusd.metrics import Registry
from statusd.models import AuditEvent, Component, Device, LogLine
from statusd.status import open_incident, raise_alert, schedule_maintenance
from statusd.web.admin import users
from statusd.web.app import create_app

with warnings.catch_warnings():
    # starlette 1.x prefers httpx2 and warns once, on import, when it finds httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

NOW = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Clock:
    """A settable clock for the app."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time on."""
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: the tests hash many passwords."""
    monkeypatch.setattr(users, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))


@pytest.fixture
def settings() -> Settings:
    """Built-in defaults on an https base URL (so the cookie is Secure)."""
    s = load_settings(None)
    s.values["http.base_url"] = "https://status.example.org"
    return s


@pytest.fixture
def clock() -> Clock:
    """The app's clock, fixed at NOW."""
    return Clock(NOW)


@pytest.fixture
def accounts(db: Engine) -> dict[str, int]:
    """An admin (alice), an operator (oscar) and a viewer (vera); name -> id."""
    ids = {}
    with transaction(db) as s:
        for name, role in (("alice", "admin"), ("oscar", "operator"), ("vera", "viewer")):
            user = users.add_user(s, name, PASSWORD, role, actor="test", min_length=10,
                                  now=NOW - timedelta(days=30))
            assert user.id is not None
            ids[name] = user.id
    return ids


@pytest.fixture
def components(db: Engine) -> None:
    """Three visible components."""
    created = NOW - timedelta(days=100)
    with transaction(db) as s:
        for position, (slug, name) in enumerate((("website", "Website"), ("api", "API"),
                                                 ("mail", "Mail"))):
            s.add(Component(slug=slug, name=name, position=position, created_at=created,
                            updated_at=created))


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(db: Engine, settings: Settings, clock: Clock) -> Iterator[AppFactory]:
    """Build a TestClient on https://testserver; keyword arguments override admin.* settings."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        for key, value in overrides.items():
            settings.values[f"admin.{key}"] = value
        client = TestClient(create_app(settings, db, Registry(), clock=clock),
                            base_url="https://testserver")
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: AppFactory, accounts: dict[str, int], components: None) -> TestClient:
    """A client (not logged in) with users and components in place."""
    return make_client()


def token(client: TestClient, path: str = "/admin/login") -> str:
    """The CSRF token of the form on a page."""
    found = CSRF.search(client.get(path).text)
    assert found, f"no csrf_token on {path}"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Post the login form; the response (not followed)."""
    return client.post("/admin/login", data={"username": username, "password": password,
                                             "csrf_token": token(client)},
                       follow_redirects=False)


@pytest.fixture
def as_user(client: TestClient) -> Callable[[str], TestClient]:
    """Log the client in as alice, oscar or vera."""
    def go(username: str) -> TestClient:
        r = login(client, username)
        assert r.status_code == 303, r.text
        return client
    return go


def add_lines(db: Engine, rows: list[dict[str, Any]]) -> None:
    """Archive lines (defaults filled in) and register their devices."""
    full = []
    for i, row in enumerate(rows):
        at = row.get("ts", NOW - timedelta(minutes=len(rows) - i))
        full.append({"received_at": row.get("received_at", at), "ts": at, "device": "web1",
                     "source": "192.0.2.10", "transport": "udp", "program": "sshd", "pid": "42",
                     "service": None, "message_id": None, "taxonomy": None, "level": 6,
                     "fields": "{}", "message": "hello", "format": "rfc3164", "severity": 6,
                     "facility": 4}
                    | row)
    full.sort(key=lambda r: r["received_at"])  # stored in arrival order, as the pipeline does
    with transaction(db) as s:
        s.execute(insert(LogLine), full)
        for name in sorted({r["device"] for r in full}):
            count = sum(1 for r in full if r["device"] == name)
            s.add(Device(name=name, address="192.0.2.10", first_seen=NOW - timedelta(days=3),
                         last_seen=NOW, message_count=count))


def post_routes() -> list[str]:
    """Every POST route of the dashboard, from the app's one route list."""
    app = create_app(load_settings(None), make_engine("sqlite://"), Registry())
    return sorted(r.path for r in app.routes
                  if isinstance(r, Route) and r.path.startswith("/admin")
                  and "POST" in (r.methods or ()))


POST_ROUTES = post_routes()


def concrete(path: str, ids: dict[str, int]) -> str:
    """A route path with its parameters filled in from ids (a slug: website)."""
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(ids.get(m.group(1), "website")), path)


@pytest.fixture
def ids(db: Engine, accounts: dict[str, int], components: None) -> dict[str, int]:
    """Ids for every path parameter: an alert, an incident, a maintenance, a user."""
    with transaction(db) as s:
        alert, _ = raise_alert(s, "r1", "k", "major", "Alert", now=NOW)
        inc = open_incident(s, "Down", components=["website"], actor="test", now=NOW)
        m = schedule_maintenance(s, "Work", components=["api"], start=NOW.replace(hour=20),
                                 end=NOW.replace(hour=21), actor="test", now=NOW)
        assert alert.id and inc.id and m.id
        return {"alert_id": alert.id, "incident_id": inc.id, "maintenance_id": m.id,
                "user_id": accounts["vera"]}


def audit_count(db: Engine) -> int:
    """How many audit events there are."""
    with Session(db) as s:
        return s.exec(select(func.count()).select_from(AuditEvent)).one()


# One form that satisfies every dashboard POST route.
FORM = {"status": "major_outage", "reason": "r", "title": "T", "message": "m",
        "impact": "minor", "components": "website", "start": "2024-05-20T13:00",
        "end": "2024-05-20T14:00", "role": "operator", "username": "newuser",
        "password": "a fine new password", "password_confirm": "a fine new password"}


def form_for(path: str) -> dict[str, str]:
    """FORM, with an incident status for the incident routes."""
    return FORM | {"status": "identified"} if path.startswith("/admin/incidents") else FORM
