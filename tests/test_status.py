"""The domain module: every change writes its history, audit and outbox rows in one transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from statusd import status
from statusd.config import ComponentSettings
from statusd.db import transaction
from statusd.models import (
    Alert,
    AuditEvent,
    Component,
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
    Maintenance,
    OutboxEntry,
)
from statusd.status import sync_components

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def comps(db: Engine) -> Engine:
    sync_components(db, [
        ComponentSettings("website", "Website", "Public"),
        ComponentSettings("mail", "Mail", "Public"),
        ComponentSettings("db", "Database"),
    ])
    return db


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def outbox_kinds(session: Session) -> list[str]:
    return [o.kind for o in session.exec(select(OutboxEntry).order_by(OutboxEntry.id)).all()]


def test_manual_status_change_writes_history_audit_and_outbox(comps: Engine) -> None:
    with transaction(comps) as s:
        assert status.set_component_status(s, "website", "major_outage", actor="irc:alice",
                                           reason="router on fire", now=T0)
    with Session(comps) as s:
        comp = status.get_component(s, "website")
        assert comp.status == "major_outage"
        change = s.exec(select(ComponentStatusChange)).one()
        assert (change.old_status, change.new_status, change.actor) == (
            "operational", "major_outage", "irc:alice")
        assert change.at == T0
        assert outbox_kinds(s) == ["component.status"]
        payload = json.loads(s.exec(select(OutboxEntry)).one().payload)
        assert payload["new"] == "major_outage" and payload["component"] == "website"
        actions = [a.action for a in s.exec(select(AuditEvent)).all()]
        assert "component.status" in actions


def test_same_status_twice_changes_nothing(comps: Engine) -> None:
    with transaction(comps) as s:
        status.set_component_status(s, "mail", "partial_outage", actor="t", now=T0)
    with transaction(comps) as s:
        assert not status.set_component_status(s, "mail", "partial_outage", actor="t", now=T0)
    with Session(comps) as s:
        assert count(s, ComponentStatusChange) == 1
        assert count(s, OutboxEntry) == 1


def test_failed_transaction_leaves_no_trace(comps: Engine) -> None:
    with pytest.raises(RuntimeError), transaction(comps) as s:
        status.set_component_status(s, "website", "major_outage", actor="t", now=T0)
        raise RuntimeError("boom")
    with Session(comps) as s:
        assert status.get_component(s, "website").status == "operational"
        assert count(s, ComponentStatusChange) == count(s, OutboxEntry) == count(s, AuditEvent) == 0


def test_holds_show_the_worst_and_release_goes_back(comps: Engine) -> None:
    with transaction(comps) as s:
        status.hold_component(s, "website", "rule:a:", "degraded_performance", actor="rule:a",
                              now=T0)
        status.hold_component(s, "website", "rule:b:", "major_outage", actor="rule:b", now=T0)
        assert status.get_component(s, "website").status == "major_outage"
        status.release_component(s, "website", "rule:b:", actor="rule:b", now=T0)
        assert status.get_component(s, "website").status == "degraded_performance"
        status.set_component_status(s, "website", "partial_outage", actor="admin:x", now=T0)
        assert status.get_component(s, "website").status == "partial_outage"
        status.release_component(s, "website", "rule:a:", actor="rule:a", now=T0)
        # Back to what people said, not to operational.
        assert status.get_component(s, "website").status == "partial_outage"
        assert not status.release_component(s, "website", "rule:zzz:", actor="x", now=T0)
    with Session(comps) as s:
        changes = s.exec(select(ComponentStatusChange).order_by(ComponentStatusChange.id)).all()
        assert [c.new_status for c in changes] == [
            "degraded_performance", "major_outage", "degraded_performance", "partial_outage"]


def test_bad_input_is_a_domain_error(comps: Engine) -> None:
    with transaction(comps) as s:
        with pytest.raises(status.DomainError, match="unknown component"):
            status.set_component_status(s, "nope", "operational", actor="t")
        with pytest.raises(status.DomainError, match="unknown component status"):
            status.set_component_status(s, "website", "on_fire", actor="t")
        with pytest.raises(status.DomainError, match="needs a title"):
            status.open_incident(s, "   ", actor="t")
        with pytest.raises(status.DomainError, match="no incident"):
            status.resolve_incident(s, 999, actor="t")


def test_incident_lifecycle(comps: Engine) -> None:
    with transaction(comps) as s:
        inc = status.open_incident(s, "Mail delayed", "Looking", components=["mail"],
                                   actor="irc:bob", now=T0)
        iid = inc.id
    with transaction(comps) as s:
        status.update_incident(s, iid, "identified", "Found it", actor="irc:bob",
                               now=T0 + timedelta(minutes=5))
        status.resolve_incident(s, iid, "Fixed", actor="irc:bob", now=T0 + timedelta(minutes=9))
        with pytest.raises(status.DomainError, match="already resolved"):
            status.resolve_incident(s, iid, actor="irc:bob")
    with Session(comps) as s:
        inc = s.get(Incident, iid)
        assert inc.status == "resolved" and inc.resolved_at == T0 + timedelta(minutes=9)
        bodies = [u.body for u in s.exec(select(IncidentUpdate).order_by(IncidentUpdate.id))]
        assert bodies == ["Looking", "Found it", "Fixed"]
        assert outbox_kinds(s) == ["incident.opened", "incident.updated", "incident.resolved"]
        payload = json.loads(s.exec(select(OutboxEntry)).first().payload)
        assert payload["components"] == ["mail"]


def test_alerts_are_deduplicated_while_open(comps: Engine) -> None:
    with transaction(comps) as s:
        a1, new1 = status.raise_alert(s, "r", "device=web1", "major", "t", now=T0)
        a2, new2 = status.raise_alert(s, "r", "device=web1", "major", "t",
                                      now=T0 + timedelta(seconds=5))
        a3, new3 = status.raise_alert(s, "r", "device=web2", "major", "t", now=T0)
        assert (new1, new2, new3) == (True, False, True)
        assert a1.id == a2.id != a3.id
        assert a2.count == 2
        status.set_alert_state(s, a1.id, "closed", actor="admin:x")
        _, new4 = status.raise_alert(s, "r", "device=web1", "major", "t", now=T0)
        assert new4
    with Session(comps) as s:
        assert count(s, Alert) == 3


def test_nul_and_huge_text_are_stored_safely(comps: Engine) -> None:
    with transaction(comps) as s:
        inc = status.open_incident(s, "bad\x00title" + "x" * 1000, "body\x00" * 5000, actor="t")
        iid = inc.id
    with Session(comps) as s:
        inc = s.get(Incident, iid)
        assert "\x00" not in inc.title and len(inc.title) == 500


def test_sync_components_hides_removed_and_keeps_history(comps: Engine) -> None:
    sync_components(comps, [ComponentSettings("website", "Web site", None)])
    with Session(comps) as s:
        rows = {c.slug: c for c in s.exec(select(Component)).all()}
        assert rows["website"].name == "Web site" and rows["website"].visible
        assert not rows["mail"].visible
        with pytest.raises(status.DomainError):
            status.get_component(s, "mail")


def test_release_orphans_of_removed_rules(comps: Engine) -> None:
    with transaction(comps) as s:
        status.hold_component(s, "website", "rule:gone:device=web1", "major_outage",
                              actor="rule:gone", now=T0)
        status.hold_component(s, "mail", "rule:kept:", "partial_outage", actor="rule:kept", now=T0)
        status.open_incident(s, "gone", actor="rule:gone", now=T0, rule_id="gone", rule_key="")
        status.open_incident(s, "kept", actor="rule:kept", now=T0, rule_id="kept", rule_key="")
    assert status.release_orphans(comps, {"kept"}, now=T0) == 2
    with Session(comps) as s:
        assert status.get_component(s, "website").status == "operational"
        assert status.get_component(s, "mail").status == "partial_outage"
        states = {i.title: i.status for i in s.exec(select(Incident)).all()}
        assert states == {"gone": "resolved", "kept": "investigating"}


def test_maintenance_holds_components_from_start_to_end(comps: Engine) -> None:
    with transaction(comps) as s:
        m = status.schedule_maintenance(
            s, "DB upgrade", "Short read-only period", components=["db", "mail"],
            start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2), actor="irc:alice", now=T0)
        mid = m.id
        assert m.status == "scheduled"
    assert status.advance_maintenance(comps, T0 + timedelta(minutes=30)) == 0
    assert status.advance_maintenance(comps, T0 + timedelta(hours=1)) == 1
    with Session(comps) as s:
        assert status.get_component(s, "db").status == "under_maintenance"
        assert status.get_component(s, "website").status == "operational"
    assert status.advance_maintenance(comps, T0 + timedelta(hours=2)) == 1
    with Session(comps) as s:
        assert status.get_component(s, "db").status == "operational"
        assert s.get(Maintenance, mid).status == "completed"
        kinds = outbox_kinds(s)
        assert kinds.count("maintenance.scheduled") == 1
        assert kinds.count("maintenance.in_progress") == 1
        assert kinds.count("maintenance.completed") == 1


def test_maintenance_that_already_started_and_early_completion(comps: Engine) -> None:
    with transaction(comps) as s:
        m = status.schedule_maintenance(s, "Now", components=["website"], start=T0,
                                        end=T0 + timedelta(hours=1), actor="t", now=T0)
        assert m.status == "in_progress"
        assert status.get_component(s, "website").status == "under_maintenance"
        # An outage during maintenance still shows: the worst hold wins.
        status.hold_component(s, "website", "rule:x:", "major_outage", actor="rule:x", now=T0)
        assert status.get_component(s, "website").status == "major_outage"
        status.release_component(s, "website", "rule:x:", actor="rule:x", now=T0)
        status.complete_maintenance(s, m.id, "Done early", actor="t", now=T0)
        assert status.get_component(s, "website").status == "operational"
        with pytest.raises(status.DomainError, match="already completed"):
            status.complete_maintenance(s, m.id, actor="t")


@pytest.mark.parametrize(("kw", "error"), [
    ({"components": []}, "at least one component"),
    ({"end": T0 - timedelta(hours=3)}, "end after it starts"),
    ({"start": T0 - timedelta(hours=5), "end": T0 - timedelta(hours=1)}, "already be over"),
    ({"title": " "}, "needs a title"),
    ({"components": ["nope"]}, "unknown component"),
])
def test_maintenance_bad_input(comps: Engine, kw: dict, error: str) -> None:
    args = {"title": "x", "components": ["db"], "start": T0, "end": T0 + timedelta(hours=1)}
    args.update(kw)
    title = args.pop("title")
    with transaction(comps) as s, pytest.raises(status.DomainError, match=error):
        status.schedule_maintenance(s, title, actor="t", now=T0, **args)
