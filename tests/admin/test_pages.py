"""The pages with data, and the actions: each goes through the domain and is audited."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from statusd.config import Settings
from statusd.db import transaction
from statusd.models import (
    Alert,
    AuditEvent,
    Component,
    Incident,
    IncidentUpdate,
    LogLine,
    Maintenance,
    User,
)
from statusd.status import hold_component, open_incident, raise_alert
from statusd.web.admin import records

from .conftest import HOSTILE, NOW, add_lines, token

pytestmark = pytest.mark.db

Login = Callable[[str], TestClient]


def flash(html: str) -> str:
    """The text of the page's flash message."""
    found = re.search(r'class="flash flash-\w+"[^>]*>([^<]*)<', html)
    return found.group(1) if found else ""


def post(client: TestClient, path: str, **data: str | list[str]) -> str:
    """Submit a dashboard form (with the CSRF token); the page it lands on."""
    r = client.post(path, data={"csrf_token": token(client, "/admin/alerts"), **data})
    assert r.status_code == 200, r.text
    return r.text


def last_audit(db: Engine) -> AuditEvent:
    """The newest audit event."""
    with Session(db) as s:
        event = s.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
        assert event is not None
        return event


def test_alerts_page_and_partial(as_user: Login, db: Engine) -> None:
    with transaction(db) as s:
        raise_alert(s, "ssh-brute", "198.51.100.7", "critical", "Brute force", device="gw1",
                    now=NOW - timedelta(minutes=5))
        raise_alert(s, "disk", "db1", "minor", "Disk filling", device="db1", now=NOW)
        done, _ = raise_alert(s, "old", "", "info", "Old news", now=NOW - timedelta(days=1))
        done.state, done.closed_at = "closed", NOW - timedelta(hours=1)
    client = as_user("vera")
    html = client.get("/admin/alerts").text
    live = html.split('id="alerts"', 1)[1].split("Recently closed", 1)[0]
    assert live.index("Disk filling") < live.index("Brute force")  # most recent first
    assert "Old news" not in live and "Old news" in html
    assert 'hx-get="/admin/partials/alerts" hx-trigger="every 5s"' in html
    partial = client.get("/admin/partials/alerts")
    assert partial.text.lstrip().startswith('<div id="alerts"')
    assert "<html" not in partial.text and "Brute force" in partial.text
    assert "Acknowledge" not in partial.text  # viewers get no buttons


def test_acknowledge_and_close(as_user: Login, db: Engine) -> None:
    with transaction(db) as s:
        alert, _ = raise_alert(s, "r", "k", "major", "Upstream timeouts", now=NOW)
        alert_id = alert.id
    client = as_user("oscar")
    assert flash(post(client, f"/admin/alerts/{alert_id}/acknowledge")) == \
        f"Alert {alert_id} acknowledged."
    with Session(db) as s:
        row = s.get(Alert, alert_id)
        assert row and row.state == "acknowledged" and row.acknowledged_by == "admin:oscar"
    event = last_audit(db)
    assert (event.actor, event.action, event.target) == ("admin:oscar", "alert.acknowledged",
                                                         f"alert:{alert_id}")
    # htmx: the button swaps the live list in place
    r = client.post(f"/admin/alerts/{alert_id}/close", headers={"HX-Request": "true"},
                    data={"csrf_token": token(client, "/admin/alerts")})
    assert r.status_code == 200 and 'id="alerts"' in r.text and "No open alerts." in r.text
    with Session(db) as s:
        assert s.get(Alert, alert_id).state == "closed"  # type: ignore[union-attr]
    assert "is closed" in flash(post(client, f"/admin/alerts/{alert_id}/close"))
    assert flash(post(client, "/admin/alerts/99999999999/close")) == "no such alert"


def test_components_page_and_set_status(as_user: Login, db: Engine) -> None:
    with transaction(db) as s:
        hold_component(s, "api", "rule:api-errors:gw1", "partial_outage", actor="rule:x", now=NOW)
    client = as_user("oscar")
    html = client.get("/admin/components").text
    assert "rule:api-errors:gw1" in html and "Website" in html
    text = post(client, "/admin/components/website/status", status="major_outage",
                reason="Datacenter fire")
    assert flash(text) == "Website now shows major outage."
    with Session(db) as s:
        comp = s.exec(select(Component).where(Component.slug == "website")).one()
        assert comp.status == comp.manual_status == "major_outage"
    event = last_audit(db)
    assert event.actor == "admin:oscar" and event.action == "component.status"
    assert json.loads(event.detail)["reason"] == "Datacenter fire"
    held = flash(post(client, "/admin/components/api/status", status="degraded_performance"))
    assert "still shows partial outage" in held
    assert "unknown component status" in flash(post(client, "/admin/components/api/status",
                                                    status="on_fire"))
    assert "unknown component" in flash(post(client, "/admin/components/nope/status",
                                             status="operational"))


def test_incident_lifecycle(as_user: Login, db: Engine) -> None:
    client = as_user("oscar")
    text = post(client, "/admin/incidents", title="API errors", message="Looking into it",
                status="investigating", impact="major", components=["api", "website"])
    with Session(db) as s:
        inc = s.exec(select(Incident)).one()
        assert (inc.title, inc.impact, inc.actor) == ("API errors", "major", "admin:oscar")
    assert flash(text) == f"Incident {inc.id} opened."
    assert "API errors" in text and f'action="/admin/incidents/{inc.id}/updates"' in text
    post(client, f"/admin/incidents/{inc.id}/updates", status="identified", message="Found it")
    assert last_audit(db).action == "incident.update"
    assert "needs a message" in flash(post(client, f"/admin/incidents/{inc.id}/updates",
                                           status="monitoring", message=" "))
    text = post(client, f"/admin/incidents/{inc.id}/resolve", message="")
    assert flash(text) == f"Incident {inc.id} resolved."
    with Session(db) as s:
        bodies = [u.body for u in s.exec(select(IncidentUpdate).order_by(col(IncidentUpdate.id)))]
        assert bodies == ["Looking into it", "Found it", "This incident has been resolved."]
        assert s.get(Incident, inc.id).status == "resolved"  # type: ignore[union-attr]
    event = last_audit(db)
    assert (event.actor, event.action) == ("admin:oscar", "incident.resolve")
    assert "Recently resolved" in text and "No open incidents." in text
    assert "already resolved" in flash(post(client, f"/admin/incidents/{inc.id}/resolve"))
    assert "needs a title" in flash(post(client, "/admin/incidents", title="  "))


def test_maintenance_schedule_and_complete(as_user: Login, db: Engine) -> None:
    client = as_user("oscar")
    html = client.get("/admin/maintenance").text
    assert 'value="2024-05-20T13:00"' in html  # next full hour, UTC
    text = post(client, "/admin/maintenance", title="DB upgrade", message="Short downtime",
                start="2024-05-20T11:30", end="2024-05-20T14:00", components=["mail"])
    with Session(db) as s:
        m = s.exec(select(Maintenance)).one()
        assert m.status == "in_progress" and m.scheduled_until.hour == 14
        assert s.exec(select(Component).where(Component.slug == "mail")).one().status == \
            "under_maintenance"
    assert flash(text) == f"Maintenance {m.id} in progress."
    assert "DB upgrade" in text and "mail" not in flash(text)
    text = post(client, f"/admin/maintenance/{m.id}/complete")
    assert flash(text) == f"Maintenance {m.id} completed."
    with Session(db) as s:
        assert s.exec(select(Component).where(Component.slug == "mail")).one().status == \
            "operational"
    assert last_audit(db).actor == "admin:oscar"
    for bad, message in ((dict(start="tomorrow", end="2024-05-20T14:00"), "not a time"),
                         (dict(start="2024-05-20T15:00", end="2024-05-20T14:00"), "end after"),
                         (dict(start="2024-05-20T15:00", end="2024-05-20T16:00"), "component")):
        assert message in flash(post(client, "/admin/maintenance", title="X", **bad))


def test_logs_default_search_filters_and_paging(as_user: Login, db: Engine) -> None:
    add_lines(db, [{"message": f"line {i}", "device": "web1" if i % 2 else "db1"}
                   for i in range(120)]
              + [{"message": "Failed password for root", "service": "sshd",
                  "message_id": "sshd.auth.password_failed", "level": 4,
                  "fields": json.dumps({"user": "root"})}])
    client = as_user("vera")
    html = client.get("/admin/logs").text
    assert html.count('<li class="logline ') == records.LOGS_PER_PAGE
    assert html.index("Failed password") < html.index("line 119")  # newest first
    assert "sshd.auth.password_failed" in html and "tag-unknown" in html
    older = re.search(r'href="([^"]+)" rel="next"', html)
    assert older and older.group(1) == "/admin/logs?page=2"
    page3 = client.get("/admin/logs?page=3").text
    assert page3.count('<li class="logline ') == 21 and 'rel="next"' not in page3
    hits = client.get("/admin/logs", params={"q": "user=root level=warning"}).text
    assert hits.count('<li class="logline ') == 1
    db1 = client.get("/admin/logs", params={"device": "db*", "q": "-line"}).text
    assert '<li class="logline ' not in db1 and "No lines match." in db1
    assert client.get("/admin/logs", params={"device": "db1"}).text.count(
        '<li class="logline ') == records.LOGS_PER_PAGE
    recent = client.get("/admin/logs", params={"since": "10m"}).text
    assert recent.count('<li class="logline ') == 10  # one line a minute before NOW, plus NOW-1m
    bad = client.get("/admin/logs", params={"q": 'unbalanced "quote'})
    assert bad.status_code == 400 and "cannot read query" in bad.text
    assert client.get("/admin/logs", params={"since": "yesterday-ish"}).status_code == 400


@pytest.mark.parametrize(("minutes", "expected"), [
    (-1, 1), (0, 1), (30, 5), (59, 12), (60, 13), (120, None),
])
def test_first_id_after_binary_search(db: Engine, minutes: int, expected: int | None) -> None:
    # ids 1..12 received every 5 minutes from NOW-55m to NOW, 13 at NOW+1m; 5..8 deleted
    add_lines(db, [{"received_at": NOW - timedelta(minutes=60 - 5 * i)} for i in range(1, 13)])
    add_lines(db, [{"device": "late", "received_at": NOW + timedelta(minutes=1)}])
    with transaction(db) as s:
        s.execute(delete(LogLine).where(col(LogLine.id).between(5, 8)))
    with db.connect() as conn:
        assert records.first_id_after(conn, NOW - timedelta(minutes=60 - minutes)) == expected


def test_devices_rates(as_user: Login, db: Engine) -> None:
    add_lines(db, [{"device": "gw1", "ts": NOW - timedelta(minutes=m)} for m in range(0, 120, 2)]
              + [{"device": "quiet", "ts": NOW - timedelta(hours=5)},
                 {"device": "skewed", "ts": NOW - timedelta(days=180),  # a clock months behind
                  "received_at": NOW - timedelta(minutes=1)}])
    html = as_user("vera").get("/admin/devices").text
    rows = {m.group(1): re.findall(r'<td class="num">([^<]*)</td>', m.group(2))
            for m in re.finditer(r'<tr>\s*<td><a href="/admin/logs\?device=(\w+)">.*?</a></td>'
                                 r'(.*?)</tr>', html, flags=re.S)}
    assert rows["gw1"] == ["60", "30", "0.5", "60"]  # total, last hour, per minute, last day
    assert rows["quiet"] == ["1", "0", "0.0", "1"]
    assert rows["skewed"] == ["1", "1", "0.0", "1"]  # counted by arrival, not by its clock
    assert "lower bounds" not in html


def test_audit_page_lists_and_filters(as_user: Login, db: Engine) -> None:
    with transaction(db) as s:
        open_incident(s, "Something", actor="irc:bob", now=NOW)
    client = as_user("vera")
    html = client.get("/admin/audit").text
    assert "irc:bob" in html and "<td>incident.open</td>" in html and "<td>user.login</td>" in html
    only = client.get("/admin/audit", params={"actor": "irc:bob"}).text
    assert "<td>user.login</td>" not in only and "<td>incident.open</td>" in only
    users = client.get("/admin/audit", params={"action": "user."}).text
    assert "<td>incident.open</td>" not in users and "<td>user.login</td>" in users


def test_users_add_change_role_disable_enable(as_user: Login, db: Engine,
                                              accounts: dict[str, int]) -> None:
    client = as_user("alice")
    text = post(client, "/admin/users", username="Nina", role="operator",
                password="a very fine password", password_confirm="a very fine password")
    assert flash(text) == "User nina added (operator)."
    assert last_audit(db).actor == "admin:alice"
    for data, message in (
        ({"username": "nina", "password": "a very fine password"}, "already exists"),
        ({"username": "zed", "password": "short"}, "too short"),
        ({"username": "zed", "password": "zed-zed-zed-zed"}, "must not contain"),
        ({"username": "bad name!", "password": "a very fine password"}, "a username is"),
    ):
        data = data | {"password_confirm": data["password"], "role": "viewer"}
        assert message in flash(post(client, "/admin/users", **data))
    assert "differ" in flash(post(client, "/admin/users", username="zed", role="viewer",
                                  password="a very fine password", password_confirm="other"))
    vera = accounts["vera"]
    assert flash(post(client, f"/admin/users/{vera}/role", role="operator")) == \
        "vera: role is now operator."
    assert flash(post(client, f"/admin/users/{vera}/disable")) == "vera: disabled."
    assert flash(post(client, f"/admin/users/{vera}/enable")) == "vera: enabled."
    with Session(db) as s:
        user = s.get(User, vera)
        assert user and user.role == "operator" and not user.disabled
        actions = [e.action for e in s.exec(select(AuditEvent).where(
            AuditEvent.target == "user:vera"))]
    assert actions == ["user.add", "user.role", "user.disable", "user.enable"]
    alice = accounts["alice"]
    assert "cannot disable yourself" in flash(post(client, f"/admin/users/{alice}/disable"))
    assert "last admin" in flash(post(client, f"/admin/users/{alice}/role", role="viewer"))
    assert "unknown role" in flash(post(client, f"/admin/users/{vera}/role", role="root"))
    assert "no such user" in flash(post(client, "/admin/users/0/role", role="viewer"))


def test_notification_channel_health_on_the_alerts_page(
    as_user: Login, db: Engine, settings: Settings,
) -> None:
    from statusd.models import Delivery

    settings.notify = {"channels": {"oncall": ["json://127.0.0.1:9/hook"],
                                    "quiet": ["json://127.0.0.1:9/other"]}}
    with transaction(db) as s:
        s.add(Delivery(outbox_id=1, kind="alert.raised", channel="oncall", target="t",
                       subject="s", body="b", state="dead", attempts=8, claimed_at=NOW,
                       last_error=f"refused: {HOSTILE}"))
    html = as_user("vera").get("/admin/alerts").text
    section = html.split("Notification channels", 1)[1]
    assert "oncall" in section and "quiet" in section
    assert 'channel-state status-dead">dead<' in section and "idle" in section
    assert "refused: &lt;script&gt;" in section and "<script>alert" not in section
