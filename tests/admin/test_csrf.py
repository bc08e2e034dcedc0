"""Every state-changing route refuses a missing or wrong CSRF token, and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from .conftest import FORM, POST_ROUTES, audit_count, concrete, token

pytestmark = pytest.mark.db


def test_the_route_list_is_complete() -> None:
    assert len(POST_ROUTES) == 16
    assert "/admin/logout" in POST_ROUTES and "/admin/users/{user_id:int}/role" in POST_ROUTES


@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("sent", ["missing", "wrong", "empty"])
def test_post_without_valid_csrf_token_is_403(
    as_user: Callable[[str], TestClient], db: Engine, ids: dict[str, int], path: str, sent: str,
) -> None:
    client = as_user("alice")
    before = audit_count(db)
    data = dict(FORM)
    if sent != "missing":
        data["csrf_token"] = {"wrong": "x" * 43, "empty": ""}[sent]
    r = client.post(concrete(path, ids), data=data, follow_redirects=False)
    assert r.status_code == 403
    assert audit_count(db) == before
    assert client.get("/admin/alerts").status_code == 200  # still logged in


@pytest.mark.parametrize("path", POST_ROUTES)
def test_token_of_another_session_is_refused(
    as_user: Callable[[str], TestClient], make_client: Callable[..., TestClient], db: Engine,
    ids: dict[str, int], path: str,
) -> None:
    stranger = make_client()
    foreign = token(stranger)  # a real token, but of someone else's session
    client = as_user("alice")
    before = audit_count(db)
    r = client.post(concrete(path, ids), data=FORM | {"csrf_token": foreign},
                    follow_redirects=False)
    assert r.status_code == 403
    assert audit_count(db) == before


def test_htmx_header_token_is_accepted(as_user: Callable[[str], TestClient],
                                       ids: dict[str, int]) -> None:
    client = as_user("oscar")
    page = client.get("/admin/alerts").text
    header = re.search(r"""<body [^>]*hx-headers='\{"X-CSRF-Token": "([\w-]+)"\}'""", page)
    assert header, "the body carries the token for htmx"
    r = client.post(f"/admin/alerts/{ids['alert_id']}/acknowledge",
                    headers={"X-CSRF-Token": header.group(1), "HX-Request": "true"})
    assert r.status_code == 200
    assert "acknowledged" in r.text


def test_every_form_carries_the_token(as_user: Callable[[str], TestClient],
                                      ids: dict[str, int]) -> None:
    client = as_user("alice")
    for path in ("/admin/alerts", "/admin/components", "/admin/incidents", "/admin/maintenance",
                 "/admin/users", "/admin/logs", "/admin/devices", "/admin/audit"):
        html = client.get(path).text
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S):
            if 'method="post"' in form:
                assert 'name="csrf_token"' in form, (path, form[:200])


@pytest.mark.parametrize("path", ["/admin/login", "/admin/incidents"])
def test_oversized_or_odd_forms_are_refused(client: TestClient, path: str) -> None:
    big = client.post(path, content=b"a=" + b"x" * 300_000,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    odd = client.post(path, content=b"{}", headers={"content-type": "application/json"})
    assert odd.status_code == 415
    many = client.post(path, content="&".join(f"f{i}=1" for i in range(300)).encode(),
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert many.status_code == 400
