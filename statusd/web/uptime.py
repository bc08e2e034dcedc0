"""Uptime bars: per UTC day, the worst status a component held, from its status-change history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from statusd.models import ComponentStatus
from statusd.web.queries import Change

DAYS = 90
# Share of an interval counted as downtime, as Statuspage weighs its uptime figure.
DOWNTIME_WEIGHT = {
    ComponentStatus.PARTIAL_OUTAGE.value: 0.3,
    ComponentStatus.MAJOR_OUTAGE.value: 1.0,
}


@dataclass(frozen=True, slots=True)
class Day:
    """One bar: the worst status that held on that day, None before the component existed."""

    date: date
    status: str | None


@dataclass(frozen=True, slots=True)
class UptimeBar:
    """A component's days, oldest first, and its uptime percentage over them (None: no data)."""

    days: tuple[Day, ...]
    uptime: float | None


@dataclass(frozen=True, slots=True)
class _Segment:
    start: datetime
    end: datetime
    status: str


def window_start(now: datetime, days: int = DAYS) -> datetime:
    """Midnight UTC at the start of the oldest day of a bar ending today."""
    first = now.astimezone(UTC).date() - timedelta(days=days - 1)
    return datetime.combine(first, time(), tzinfo=UTC)


def _status_at(at: datetime, changes: Sequence[Change], current: str) -> str:
    """The shown status at a moment, from the changes around it."""
    before = [c for c in changes if c.at <= at]
    if before:
        return before[-1].new_status
    after = [c for c in changes if c.at > at]
    return after[0].old_status if after else current


def _segments(start: datetime, now: datetime, changes: Sequence[Change],
              current: str) -> list[_Segment]:
    """Intervals of constant status from start to now; the last one may be empty."""
    segments: list[_Segment] = []
    status = _status_at(start, changes, current)
    since = start
    for change in changes:
        if start < change.at <= now:
            segments.append(_Segment(since, change.at, status))
            since, status = change.at, change.new_status
    segments.append(_Segment(since, now, status))
    return segments


def _worst(statuses: list[str]) -> str | None:
    known = [ComponentStatus(s) for s in statuses if s in ComponentStatus._value2member_map_]
    return max(known, key=lambda s: s.rank).value if known else None


def uptime_bar(
    *, current: str, created_at: datetime, changes: Sequence[Change], now: datetime,
    days: int = DAYS,
) -> UptimeBar:
    """One component's bar; changes oldest first (those before the window may be left out)."""
    first = window_start(now, days)
    start = max(first, created_at)
    segments = _segments(start, now, changes, current) if start <= now else []
    out: list[Day] = []
    for i in range(days):
        d0 = first + timedelta(days=i)
        d1 = d0 + timedelta(days=1)
        if d1 <= created_at or d0 > now:
            out.append(Day(d0.date(), None))
            continue
        held = [s.status for s in segments
                if (s.start < d1 and s.end > d0) or (s.start == s.end and d0 <= s.start < d1)]
        out.append(Day(d0.date(), _worst(held)))
    total = sum((s.end - s.start).total_seconds() for s in segments)
    if total <= 0:
        return UptimeBar(tuple(out), 100.0 if segments else None)
    down = sum((s.end - s.start).total_seconds() * DOWNTIME_WEIGHT.get(s.status, 0.0)
               for s in segments)
    return UptimeBar(tuple(out), round(100.0 * (1 - down / total), 2))
