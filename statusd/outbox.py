"""Reading the outbox: each consumer keeps a durable cursor and sees every change once, in order.

Writers (the status module) add rows inside their own transactions. On PostgreSQL two
transactions can commit out of id order, so a reader stops at a gap in the ids until the gap is
older than GAP_GRACE (then it was a rolled-back id, not one still being written).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from statusd.db import utcnow
from statusd.models import OutboxCursor, OutboxEntry

GAP_GRACE = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class Change:
    """One outbox row as consumers see it."""

    id: int
    kind: str  # component.status, incident.opened, alert.raised, maintenance.scheduled, ...
    created_at: datetime
    payload: dict[str, Any]


def cursor(session: Session, consumer: str) -> int:
    """The last outbox id this consumer has handled (0 if never)."""
    row = session.get(OutboxCursor, consumer)
    return row.last_id if row else 0


def start_at_end(session: Session, consumer: str) -> None:
    """A new consumer starts after what is already there (no replay of old history)."""
    if session.get(OutboxCursor, consumer) is None:
        last = session.exec(select(OutboxEntry.id).order_by(OutboxEntry.id.desc())).first()  # type: ignore[union-attr]
        session.add(OutboxCursor(consumer=consumer, last_id=last or 0))


def read(session: Session, consumer: str, *, limit: int = 100,
         now: datetime | None = None) -> list[Change]:
    """The next changes after the consumer's cursor, stopping at a gap that may still fill."""
    now = now or utcnow()
    last = cursor(session, consumer)
    rows = session.exec(
        select(OutboxEntry).where(OutboxEntry.id > last).order_by(OutboxEntry.id).limit(limit)  # type: ignore[arg-type]
    ).all()
    out: list[Change] = []
    expected = last + 1
    for row in rows:
        assert row.id is not None
        if row.id != expected and now - row.created_at < GAP_GRACE:
            break
        try:
            payload = json.loads(row.payload)
        except ValueError:
            payload = {}
        out.append(Change(row.id, row.kind, row.created_at, payload))
        expected = row.id + 1
    return out


def advance(session: Session, consumer: str, last_id: int) -> None:
    """Record that the consumer has handled everything up to last_id (commit with its work)."""
    row = session.get(OutboxCursor, consumer) or OutboxCursor(consumer=consumer)
    if last_id > row.last_id:
        row.last_id = last_id
        row.updated_at = utcnow()
        session.add(row)
