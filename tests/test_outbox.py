"""Outbox consumers: every change once, in order, across restarts; gaps wait, then are skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from statusd import outbox, status
from statusd.config import ComponentSettings
from statusd.db import transaction
from statusd.models import OutboxEntry
from statusd.status import sync_components

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_consumers_read_independently_and_resume(db: Engine) -> None:
    sync_components(db, [ComponentSettings("web", "Web")])
    with transaction(db) as s:
        status.set_component_status(s, "web", "major_outage", actor="t", now=T0)
        status.open_incident(s, "Down", components=["web"], actor="t", now=T0)
    with transaction(db) as s:
        first = outbox.read(s, "notify", now=T0)
        assert [c.kind for c in first] == ["component.status", "incident.opened"]
        assert first[0].payload["new"] == "major_outage"
        outbox.advance(s, "notify", first[0].id)  # handled only the first
    with transaction(db) as s:
        assert [c.kind for c in outbox.read(s, "notify", now=T0)] == ["incident.opened"]
        assert len(outbox.read(s, "irc", now=T0)) == 2
        outbox.start_at_end(s, "late")
    with transaction(db) as s:
        assert outbox.read(s, "late", now=T0) == []


def test_a_fresh_gap_stops_the_reader_until_it_is_old(db: Engine) -> None:
    with transaction(db) as s:
        for i in (1, 2, 4):  # id 3: a transaction still in flight, or rolled back
            s.add(OutboxEntry(id=i, kind="k", created_at=T0, payload="{}"))
    with Session(db) as s:
        assert [c.id for c in outbox.read(s, "c", now=T0 + timedelta(seconds=1))] == [1, 2]
        assert [c.id for c in outbox.read(s, "c", now=T0 + timedelta(minutes=1))] == [1, 2, 4]
