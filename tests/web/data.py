"""Test data through the domain functions, at chosen times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from statusd.db import transaction
from statusd.status import open_incident, set_component_status, update_incident

# A fixed "now" (mid-day, so day boundaries in the tests are unambiguous).
NOW = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)


def add_incident(
    engine: Engine, title: str, body: str = "", *, components: Sequence[str] = (),
    at: datetime = NOW, status: str = "investigating", impact: str = "minor",
) -> int:
    """Open an incident; its id."""
    with transaction(engine) as s:
        inc = open_incident(s, title, body, status=status, components=components, impact=impact,
                            actor="test", now=at)
        assert inc.id is not None
        return inc.id


def post_update(engine: Engine, incident_id: int, status: str, body: str, at: datetime) -> None:
    """Add a timeline entry (resolving too)."""
    with transaction(engine) as s:
        update_incident(s, incident_id, status, body, actor="test", now=at)


def set_status(engine: Engine, slug: str, status: str, at: datetime = NOW) -> None:
    """Set a component's manual status at a time."""
    with transaction(engine) as s:
        set_component_status(s, slug, status, actor="test", now=at)
