"""Log lines, alert titles and incident text come from strangers: every page shows them as text."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from statusd.db import transaction
from statusd.models import Component
from statusd.status import open_incident, raise_alert, schedule_maintenance

from .conftest import HOSTILE, NOW, add_lines

pytestmark = pytest.mark.db

PAGES = ["/admin/alerts", "/admin/partials/alerts", "/admin/components", "/admin/incidents",
         "/admin/maintenance", "/admin/logs", "/admin/devices", "/admin/audit", "/admin/users"]
QUOTE_BREAKER = "\"'><script>alert(2)</script>"


@pytest.fixture
def hostile(db: Engine, components: None) -> None:
    """Hostile text in every place strangers can put it."""
    add_lines(db, [
        {"message": HOSTILE, "device": "<script>dev</script>", "program": "<b>prog",
         "pid": '"><script>', "fields": json.dumps({"<script>": HOSTILE})},
        {"message": f"Failed password for {HOSTILE}", "service": "sshd",
         "message_id": "sshd.auth.password_failed", "taxonomy": QUOTE_BREAKER,
         "fields": json.dumps({"user": HOSTILE})},
    ])
    with transaction(db) as s:
        s.add(Component(slug="evil", name=HOSTILE, position=9))
        s.flush()
        raise_alert(s, "ssh-brute", HOSTILE, "critical", f"Brute force by {HOSTILE}",
                    device=HOSTILE, now=NOW)
        inc = open_incident(s, HOSTILE, HOSTILE, components=["evil"], actor=f"irc:{HOSTILE}",
                            now=NOW)
        inc.title = HOSTILE
        schedule_maintenance(s, HOSTILE, HOSTILE, components=["evil"],
                             start=NOW + timedelta(hours=1), end=NOW + timedelta(hours=2),
                             actor="test", now=NOW)


@pytest.mark.parametrize("path", PAGES)
def test_hostile_text_is_escaped(as_user: Callable[[str], TestClient], hostile: None,
                                 path: str) -> None:
    html = as_user("alice").get(path).text
    assert "<script>" not in html.lower().replace('<script src="/static/htmx-', "")
    assert "<img" not in html and "<b>prog" not in html
    if path != "/admin/users":
        assert "&lt;script&gt;" in html


def test_hostile_search_and_filters_are_escaped(as_user: Callable[[str], TestClient],
                                                hostile: None) -> None:
    client = as_user("vera")
    for params in ({"q": QUOTE_BREAKER}, {"device": QUOTE_BREAKER}, {"since": QUOTE_BREAKER},
                   {"q": "<script>"}):
        html = client.get("/admin/logs", params=params).text
        assert "<script>alert(2)" not in html and "<script>\"" not in html
    html = client.get("/admin/audit", params={"actor": QUOTE_BREAKER}).text
    assert "<script>alert(2)" not in html


def test_hostile_login_input_is_escaped(client: TestClient) -> None:
    html = client.get("/admin/login", params={"next": QUOTE_BREAKER}).text
    assert "<script>alert(2)" not in html
    r = client.post("/admin/login", data={"username": QUOTE_BREAKER, "password": "x",
                                          "csrf_token": "bad"})
    assert "<script>alert(2)" not in r.text
