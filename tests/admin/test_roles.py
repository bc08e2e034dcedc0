"""Roles: viewers read, operators also change statuses and alerts, admins also manage users."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from .conftest import FORM, POST_ROUTES, audit_count, concrete, form_for, token

pytestmark = pytest.mark.db

PAGES = ["/admin/alerts", "/admin/partials/alerts", "/admin/components", "/admin/incidents",
         "/admin/maintenance", "/admin/logs", "/admin/devices", "/admin/audit"]
USER_ROUTES = [p for p in POST_ROUTES if p.startswith("/admin/users")]
OPERATOR_ROUTES = [p for p in POST_ROUTES if p not in USER_ROUTES
                   and p not in ("/admin/login", "/admin/logout")]
# The unknown-message wizard's routes need a mined template: tests/admin/test_unknown.py acts.
ACTION_ROUTES = [p for p in OPERATOR_ROUTES if not p.startswith("/admin/unknown/")]


@pytest.mark.parametrize("username", ["alice", "oscar", "vera"])
def test_everyone_reads_every_page_but_users(as_user: Callable[[str], TestClient],
                                             username: str) -> None:
    client = as_user(username)
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    r = client.get("/admin/users")
    assert r.status_code == (200 if username == "alice" else 403)
    if r.status_code == 403:
        assert "needs the admin role" in r.text


def test_nav_shows_users_to_admins_only(as_user: Callable[[str], TestClient]) -> None:
    assert 'href="/admin/users"' not in as_user("oscar").get("/admin/alerts").text


@pytest.mark.parametrize("path", OPERATOR_ROUTES)
def test_viewer_cannot_change_anything(as_user: Callable[[str], TestClient], db: Engine,
                                       ids: dict[str, int], path: str) -> None:
    client = as_user("vera")
    before = audit_count(db)
    r = client.post(concrete(path, ids), data=FORM | {"csrf_token": token(client,
                                                                         "/admin/alerts")})
    assert r.status_code == 403
    assert "needs the operator role" in r.text
    assert audit_count(db) == before


@pytest.mark.parametrize("path", USER_ROUTES)
@pytest.mark.parametrize("username", ["oscar", "vera"])
def test_only_admins_manage_users(as_user: Callable[[str], TestClient], db: Engine,
                                  ids: dict[str, int], path: str, username: str) -> None:
    client = as_user(username)
    before = audit_count(db)
    r = client.post(concrete(path, ids), data=FORM | {"csrf_token": token(client,
                                                                         "/admin/alerts")})
    assert r.status_code == 403
    assert audit_count(db) == before


def test_viewer_sees_no_action_forms(as_user: Callable[[str], TestClient],
                                     ids: dict[str, int]) -> None:
    client = as_user("vera")
    for path in ("/admin/alerts", "/admin/components", "/admin/incidents", "/admin/maintenance"):
        html = client.get(path).text
        assert re.findall(r'action="([^"]+)"', html) == ["/admin/logout"], path


@pytest.mark.parametrize("path", ACTION_ROUTES)
def test_operator_may_act(as_user: Callable[[str], TestClient], db: Engine,
                          ids: dict[str, int], path: str) -> None:
    client = as_user("oscar")
    before = audit_count(db)
    r = client.post(concrete(path, ids), data=form_for(path) | {
        "csrf_token": token(client, "/admin/alerts")})
    assert r.status_code == 200
    assert "flash-ok" in r.text, path
    assert audit_count(db) > before, path
