"""Logging in and out: sessions, cookies, redirects, rate limits, expiry and revocation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from statusd.config import Settings
from statusd.db import transaction
from statusd.models import AdminSecret, AuditEvent, User
from statusd.web.admin import users
from statusd.web.admin.auth import safe_next

from .conftest import NOW, PASSWORD, AppFactory, Clock, login, token

pytestmark = pytest.mark.db


def test_pages_redirect_to_the_login_form_with_next(client: TestClient) -> None:
    r = client.get("/admin/logs?q=sshd", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/login?next=%2Fadmin%2Flogs%3Fq%3Dsshd"
    assert client.get("/admin", follow_redirects=False).headers["location"] == "/admin/login"


def test_htmx_poll_without_login_is_sent_to_the_form(client: TestClient) -> None:
    r = client.get("/admin/partials/alerts", headers={"HX-Request": "true"},
                   follow_redirects=False)
    assert r.status_code == 401
    assert r.headers["hx-redirect"].startswith("/admin/login?next=")


def test_login_form_fields_and_cookie_flags(client: TestClient) -> None:
    r = client.get("/admin/login")
    assert r.status_code == 200
    for field in ('name="username"', 'name="password"', 'type="hidden" name="csrf_token"'):
        assert field in r.text
    cookie = r.headers["set-cookie"]
    for flag in ("statusd_admin=", "HttpOnly", "SameSite=Lax", "Secure", "Path=/admin",
                 "Max-Age=28800"):
        assert flag in cookie
    assert r.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_no_secure_flag_on_plain_http(make_client: AppFactory, accounts: dict[str, int],
                                      settings: Settings) -> None:
    settings.values["http.base_url"] = "http://127.0.0.1:8080"
    client = make_client()
    assert "Secure" not in client.get("/admin/login").headers["set-cookie"]


def test_login_success_sets_session_and_records_it(client: TestClient, db: Engine) -> None:
    r = login(client, "Alice")  # usernames are case-insensitive
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/alerts"
    page = client.get("/admin/alerts")
    assert page.status_code == 200
    assert "alice" in page.text and "admin" in page.text
    with Session(db) as s:
        user = s.exec(select(User).where(User.username == "alice")).one()
        assert user.last_login_at == NOW
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "user.login")).one().actor \
            == "admin:alice"


def test_login_goes_to_next_but_never_off_site(client: TestClient) -> None:
    r = client.post("/admin/login", data={"username": "vera", "password": PASSWORD,
                                          "csrf_token": token(client), "next": "/admin/logs?q=x"},
                    follow_redirects=False)
    assert r.headers["location"] == "/admin/logs?q=x"


@pytest.mark.parametrize("value", [
    "https://evil.example/", "//evil.example/admin", "/admin//evil", "/admin\\x", "/public",
    "/admin/login", "/administrator", None, "/admin/\nx",
])
def test_safe_next_refuses(value: object) -> None:
    assert safe_next(value) == "/admin/alerts"


@pytest.mark.parametrize(("username", "password"), [
    ("alice", "wrong password!"), ("nobody", PASSWORD), ("", ""), ("alice", ""),
    ("alice", "x" * 5000),
])
def test_login_failure(client: TestClient, username: str, password: str) -> None:
    r = login(client, username, password)
    assert r.status_code == 400
    assert "Wrong username or password." in r.text
    assert client.get("/admin/alerts", follow_redirects=False).status_code == 303


def test_disabled_user_cannot_log_in(client: TestClient, db: Engine) -> None:
    with transaction(db) as s:
        s.exec(select(User).where(User.username == "vera")).one().disabled = True
    assert login(client, "vera").status_code == 400


def test_unknown_user_costs_a_hash_too(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                       ) -> None:
    calls: list[str] = []
    real = users.verify_password
    monkeypatch.setattr(users, "verify_password",
                        lambda h, p: calls.append(h) or real(h, p))  # type: ignore[func-returns-value]
    login(client, "nobody", "whatever password")
    login(client, "alice", "whatever password")
    assert len(calls) == 2  # one argon2 verification each, known user or not
    assert calls[0] != calls[1]


def test_login_without_or_with_wrong_csrf_token_is_forbidden(client: TestClient) -> None:
    client.get("/admin/login")
    for data in ({}, {"csrf_token": "forged"}):
        r = client.post("/admin/login", data={"username": "alice", "password": PASSWORD} | data,
                        follow_redirects=False)
        assert r.status_code == 403
    assert client.get("/admin/alerts", follow_redirects=False).status_code == 303


def test_username_lockout_and_its_end(client: TestClient, clock: Clock) -> None:
    for _ in range(5):  # admin.login_rate = 5/15m
        assert login(client, "alice", "wrong password!").status_code == 400
    r = login(client, "alice")  # the right password no longer helps
    assert r.status_code == 429
    assert "Too many failed logins" in r.text
    assert int(r.headers["retry-after"]) == 15 * 60 + 1
    assert login(client, "oscar").status_code == 303  # other users are not locked
    clock.advance(minutes=15)
    assert login(client, "alice").status_code == 303


def test_address_lockout_across_usernames(make_client: AppFactory,
                                          accounts: dict[str, int]) -> None:
    client = make_client(login_rate_ip="3/10m")
    for name in ("a1", "a2", "a3"):
        assert login(client, name, "wrong password!").status_code == 400
    assert login(client, "alice").status_code == 429


def test_success_forgets_the_username_failures(client: TestClient) -> None:
    for _ in range(4):
        login(client, "alice", "wrong password!")
    assert login(client, "alice").status_code == 303
    client.cookies.clear()
    for _ in range(4):
        assert login(client, "alice", "wrong password!").status_code == 400


def test_logout_ends_the_session(as_user: Callable[[str], TestClient]) -> None:
    client = as_user("vera")
    r = client.post("/admin/logout", data={"csrf_token": token(client, "/admin/alerts")},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    assert "Max-Age=0" in r.headers["set-cookie"]
    assert client.get("/admin/alerts", follow_redirects=False).status_code == 303


def test_logout_needs_csrf(as_user: Callable[[str], TestClient]) -> None:
    client = as_user("vera")
    assert client.post("/admin/logout", data={}).status_code == 403
    assert client.get("/admin/alerts").status_code == 200


def test_login_expires_after_max_age(as_user: Callable[[str], TestClient], clock: Clock) -> None:
    client = as_user("vera")
    clock.advance(seconds=28799)
    assert client.get("/admin/alerts").status_code == 200
    clock.advance(seconds=1)
    assert client.get("/admin/alerts", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("change", ["disable", "password"])
def test_disabling_or_a_new_password_ends_sessions(
    as_user: Callable[[str], TestClient], db: Engine, change: str,
) -> None:
    client = as_user("vera")
    with transaction(db) as s:
        if change == "disable":
            user = users.require_user(s, "vera")
            users.set_disabled(s, user, True, actor="test")
        else:
            users.set_password(s, "vera", "another good password", actor="test", min_length=10)
    assert client.get("/admin/alerts", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("key", ["not the key", None])
def test_forged_or_tampered_cookie_is_ignored(client: TestClient, key: str | None) -> None:
    data = {"uid": 1, "epoch": 0, "login_at": int(NOW.timestamp()), "csrf": "x"}
    forged = (URLSafeTimedSerializer(key, salt="statusd.admin.session").dumps(data) if key
              else "eyJ1aWQiOjF9.forged.signature")
    client.cookies.set("statusd_admin", forged)
    assert client.get("/admin/alerts", follow_redirects=False).status_code == 303


def test_generated_secret_is_kept_in_the_database(
    as_user: Callable[[str], TestClient], make_client: AppFactory, db: Engine,
) -> None:
    client = as_user("vera")
    with Session(db) as s:
        assert len(s.exec(select(AdminSecret)).all()) == 1
    other = make_client()  # a restart, or a second machine on the same database
    other.cookies = client.cookies
    assert other.get("/admin/alerts").status_code == 200


def test_configured_secret_is_used(make_client: AppFactory, accounts: dict[str, int],
                                   db: Engine) -> None:
    one = make_client(session_secret="s3cret-one-s3cret-one")
    assert login(one, "vera").status_code == 303
    two = make_client(session_secret="another-secret-entirely")
    two.cookies = one.cookies
    assert two.get("/admin/alerts", follow_redirects=False).status_code == 303
    with Session(db) as s:
        assert s.exec(select(AdminSecret)).all() == []


def test_public_pages_get_no_session_cookie(client: TestClient) -> None:
    assert "set-cookie" not in client.get("/").headers
