"""Uptime bars from status-change history: a table of vectors on a five-day window."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from statusd.web.queries import Change
from statusd.web.uptime import uptime_bar, window_start

NOW = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)
OP, MAINT, DEG, PART, MAJOR = ("operational", "under_maintenance", "degraded_performance",
                               "partial_outage", "major_outage")


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A time in May 2024."""
    return datetime(2024, 5, day, hour, minute, tzinfo=UTC)


# (name, current status, created_at, changes, expected statuses for May 16..20)
VECTORS = [
    ("no history", OP, LONG_AGO, [], [OP, OP, OP, OP, OP]),
    ("created mid-window", OP, at(18, 6), [], [None, None, OP, OP, OP]),
    ("created at a midnight", OP, at(18), [], [None, None, OP, OP, OP]),
    ("one bad hour", OP, LONG_AGO,
     [Change(at(18, 10), OP, MAJOR), Change(at(18, 11), MAJOR, OP)],
     [OP, OP, MAJOR, OP, OP]),
    ("status at start of day counts", OP, LONG_AGO,
     [Change(at(17, 23), OP, PART), Change(at(19, 1), PART, OP)],
     [OP, PART, PART, PART, OP]),
    ("change exactly at midnight belongs to the new day", DEG, LONG_AGO,
     [Change(at(19), OP, DEG)],
     [OP, OP, OP, DEG, DEG]),
    ("still degraded now", DEG, LONG_AGO,
     [Change(at(20, 9), OP, DEG)],
     [OP, OP, OP, OP, DEG]),
    ("change before the window sets the start", MAINT, LONG_AGO,
     [Change(at(10), OP, MAINT)],
     [MAINT, MAINT, MAINT, MAINT, MAINT]),
    ("no change in window: current status throughout", MAINT, LONG_AGO, [],
     [MAINT, MAINT, MAINT, MAINT, MAINT]),
    ("a status held for no time still shows", OP, LONG_AGO,
     [Change(at(19, 8), OP, MAJOR), Change(at(19, 8), MAJOR, OP)],
     [OP, OP, OP, MAJOR, OP]),
    ("worst of several in one day", OP, LONG_AGO,
     [Change(at(17, 1), OP, DEG), Change(at(17, 2), DEG, MAJOR), Change(at(17, 3), MAJOR, PART),
      Change(at(17, 4), PART, OP)],
     [OP, MAJOR, OP, OP, OP]),
    ("maintenance is better than degraded", OP, LONG_AGO,
     [Change(at(16, 1), OP, MAINT), Change(at(16, 2), MAINT, DEG), Change(at(16, 3), DEG, OP)],
     [DEG, OP, OP, OP, OP]),
    ("changes after now are ignored", OP, LONG_AGO,
     [Change(at(20, 18), OP, MAJOR)],
     [OP, OP, OP, OP, OP]),
    ("created after now", OP, at(21), [], [None, None, None, None, None]),
]


@pytest.mark.parametrize(("name", "current", "created", "changes", "expected"), VECTORS,
                         ids=[v[0] for v in VECTORS])
def test_days(name: str, current: str, created: datetime, changes: list[Change],
              expected: list[str | None]) -> None:
    bar = uptime_bar(current=current, created_at=created, changes=changes, now=NOW, days=5)
    assert [d.date.day for d in bar.days] == [16, 17, 18, 19, 20]
    assert [d.status for d in bar.days] == expected


def test_ninety_days_by_default() -> None:
    bar = uptime_bar(current=OP, created_at=LONG_AGO, changes=[], now=NOW)
    assert len(bar.days) == 90
    assert bar.days[-1].date == NOW.date()
    assert bar.days[0].date.isoformat() == "2024-02-21"
    assert window_start(NOW) == datetime(2024, 2, 21, tzinfo=UTC)


@pytest.mark.parametrize(("changes", "uptime"), [
    ([], 100.0),
    ([Change(at(20, 0), OP, MAJOR), Change(at(20, 6), MAJOR, OP)], 50.0),   # 6h of 12h down
    ([Change(at(19, 12), OP, PART)], 70.0),                                 # partial weighs 0.3
    ([Change(at(20, 0), OP, DEG)], 100.0),                                  # degraded is up
    ([Change(at(20, 0), OP, MAINT)], 100.0),
])
def test_uptime_percentage(changes: list[Change], uptime: float) -> None:
    current = changes[-1].new_status if changes else OP
    bar = uptime_bar(current=current, created_at=LONG_AGO, changes=changes, now=NOW, days=1)
    assert bar.uptime == uptime


def test_no_uptime_before_the_component_exists() -> None:
    bar = uptime_bar(current=OP, created_at=at(21), changes=[], now=NOW, days=3)
    assert bar.uptime is None
