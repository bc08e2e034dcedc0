"""Planned maintenance test data through the domain functions, at chosen times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from statusd.db import transaction
from statusd.status import complete_maintenance, schedule_maintenance

from .data import NOW


def add_maintenance(
    engine: Engine, title: str, body: str = "", *, components: Sequence[str] = ("website",),
    start: datetime, end: datetime | None = None, at: datetime = NOW - timedelta(days=1),
) -> int:
    """Schedule a maintenance announced at `at` (in progress at once if start <= at); its id."""
    with transaction(engine) as s:
        m = schedule_maintenance(s, title, body, components=components, start=start,
                                 end=end or start + timedelta(hours=2), actor="test", now=at)
        assert m.id is not None
        return m.id


def finish_maintenance(engine: Engine, maintenance_id: int, at: datetime,
                       body: str = "Maintenance has completed.") -> None:
    """Complete a maintenance at a time."""
    with transaction(engine) as s:
        complete_maintenance(s, maintenance_id, body, actor="test", now=at)
