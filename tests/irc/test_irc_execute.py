"""Commands and topic edits against the domain, on SQLite and PostgreSQL (the db fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from statusd import status
from statusd.config import ComponentSettings
from statusd.db import transaction
from statusd.irc.commands import parse_command
from statusd.irc.execute import REFUSAL, Caller
from statusd.irc.service import StatusDesk
from statusd.irc.topic import parse_topic
from statusd.models import Alert, AuditEvent, Component, Incident, Maintenance

pytestmark = pytest.mark.db

NOW = datetime(2030, 1, 31, 12, 0, tzinfo=UTC)
ALICE = Caller("alice", operator=True)
BOB = Caller("bob", operator=False)


@pytest.fixture
def desk(db: Engine) -> StatusDesk:
    status.sync_components(db, [ComponentSettings("website", "Website"),
                                ComponentSettings("api", "API"),
                                ComponentSettings("mail", "Mail")])
    return StatusDesk(db, base_url="https://status.example.org", backlog=3, clock=lambda: NOW)


def run(desk: StatusDesk, text: str, caller: Caller = ALICE) -> str:
    cmd = parse_command(text, NOW)
    assert cmd is not None
    return " · ".join(desk.run_command(cmd, caller))


def shown(db: Engine, slug: str) -> str:
    with Session(db) as s:
        return s.exec(select(Component.status).where(Component.slug == slug)).one()


def actors(db: Engine) -> set[str]:
    with Session(db) as s:
        return set(s.exec(select(AuditEvent.actor)).all())


def test_status_for_everyone(desk: StatusDesk, db: Engine) -> None:
    assert run(desk, "!status", BOB) == "all 3 components operational"
    run(desk, "!set api partial_outage")
    assert run(desk, "!status", BOB) == ("1 of 3 components affected · API: partial_outage · "
                                         "operational: Website, Mail")
    assert run(desk, "!status api", BOB).startswith("API (api): partial_outage since 2030-01-31")
    assert run(desk, "!status API", BOB).startswith("API (api)")  # by name, in any case
    assert run(desk, "!status nope", BOB) == ("unknown component 'nope' (known: website, api, "
                                              "mail)")


def test_set_by_operator_is_audited(desk: StatusDesk, db: Engine) -> None:
    assert run(desk, "!set api degraded slow answers") == "api is now degraded_performance"
    assert shown(db, "api") == "degraded_performance"
    assert "irc:alice" in actors(db)


def test_set_by_anyone_else_is_refused(desk: StatusDesk, db: Engine) -> None:
    assert run(desk, "!set api major_outage", BOB) == REFUSAL
    assert shown(db, "api") == "operational"
    assert "irc:bob" not in actors(db)


def test_set_under_a_hold_says_so(desk: StatusDesk, db: Engine) -> None:
    with transaction(db) as s:
        status.hold_component(s, "api", "rule:x:", "major_outage", actor="rule:x")
    assert "holds it" in run(desk, "!set api degraded")


def test_incident_lifecycle(desk: StatusDesk, db: Engine) -> None:
    reply = run(desk, "!incident open website,api investigating Site down")
    assert reply == ("incident #1 opened (investigating): Site down "
                     "https://status.example.org/incidents/1")
    assert run(desk, "!incident update 1 identified Bad deploy") == (
        "incident #1 updated (identified): Site down")
    assert run(desk, "!incident resolve 1 Rolled back") == "incident #1 resolved: Site down"
    assert run(desk, "!incident resolve 1") == "incident 1 is already resolved"
    assert run(desk, "!incident update 9 monitoring x") == "no incident 9"
    assert run(desk, "!incident open nope investigating X").startswith("unknown component")
    with Session(db) as s:
        inc = s.exec(select(Incident)).one()
        assert inc.status == "resolved" and inc.actor == "irc:alice"


def test_maintenance(desk: StatusDesk, db: Engine) -> None:
    reply = run(desk, "!maint mail +1h 2h Mail upgrade")
    assert reply == ("maintenance #1 scheduled: Mail upgrade (mail, 2030-01-31 13:00 UTC → "
                     "2030-01-31 15:00 UTC)")
    assert run(desk, "!maint website,api now 30m Deploy").startswith("maintenance #2 in_progress")
    assert shown(db, "website") == "under_maintenance"
    assert run(desk, "!maint mail 2029-01-01T00:00 1h Old") == ("that maintenance would already "
                                                                "be over")
    with Session(db) as s:
        assert len(s.exec(select(Maintenance)).all()) == 2


def test_ack(desk: StatusDesk, db: Engine) -> None:
    with transaction(db) as s:
        alert, _ = status.raise_alert(s, "web-errors", "", "major", "Upstream timeouts", now=NOW)
    assert run(desk, f"!ack {alert.id}") == f"alert #{alert.id} acknowledged: Upstream timeouts"
    assert run(desk, "!ack 999") == "no alert 999"
    assert run(desk, f"!ack {alert.id}", BOB) == REFUSAL
    with Session(db) as s:
        row = s.get(Alert, alert.id)
        assert row is not None and row.state == "acknowledged"
        assert row.acknowledged_by == "irc:alice"


def test_topic_edit_applies_changes_only(desk: StatusDesk, db: Engine) -> None:
    comps = desk.components()
    edit = parse_topic("Website: operational | API: major outage | Mail: nope | x", comps)
    notes = desk.apply_topic(edit, ALICE)
    assert notes == ["api is now major_outage", "not understood: Mail: nope | x"]
    assert shown(db, "api") == "major_outage" and shown(db, "website") == "operational"
    with Session(db) as s:
        reasons = s.exec(select(AuditEvent.detail).where(AuditEvent.actor == "irc:alice")).all()
        assert any("topic edit" in r for r in reasons)


def test_news_then_advance_then_resume(desk: StatusDesk, db: Engine) -> None:
    desk.start()
    assert desk.news().lines == []
    with transaction(db) as s:
        status.set_component_status(s, "api", "major_outage", actor="test", now=NOW)
        status.open_incident(s, "API down", "Looking", components=["api"], actor="test", now=NOW)
    news = desk.news()
    assert news.lines == ["[status] API: operational → major_outage by test",
                          "[incident #1 opened] API down [api] — Looking "
                          "https://status.example.org/incidents/1"]
    assert news.topic_stale
    desk.advance(news.last_id)
    again = StatusDesk(db, backlog=3, clock=lambda: NOW)  # a restarted bot resumes
    again.start()
    assert again.news().lines == []


def test_backlog_is_summed_up(desk: StatusDesk, db: Engine) -> None:
    desk.start()
    with transaction(db) as s:
        for i in range(6):
            status.set_component_status(s, "api", "major_outage" if i % 2 == 0 else "operational",
                                        actor="test", now=NOW + timedelta(seconds=i))
    news = desk.news()
    assert news.summarised and news.lines == [
        "[catch-up] 6 changes while I was away (status change: 6); !status for the state now"]
    desk.advance(news.last_id)
    assert desk.news().lines == []
