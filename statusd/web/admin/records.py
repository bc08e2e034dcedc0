"""Read-only records: received log lines (search), devices with message rates, the audit log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col
from sqlmodel import select as sql_select
from starlette.requests import Request
from starlette.responses import Response

from statusd.models import AuditEvent, Device, LogLine
from statusd.search import QueryError, parse_query, parse_time, search
from statusd.web.admin.auth import page
from statusd.web.admin.render import render
from statusd.web.admin.users import Role, Who
from statusd.web.state import web_state

LOGS_PER_PAGE = 50
LOGS_MAX_PAGES = 40  # older than this: narrow the search (offset paging re-reads earlier pages)
AUDIT_PER_PAGE = 100
MAX_DEVICES = 1000
RATE_SCAN_LIMIT = 200_000  # archive rows counted per window at most; beyond, rates are floors
LOG = LogLine.__table__  # type: ignore[attr-defined]


def _param(request: Request, name: str, limit: int = 200) -> str:
    return request.query_params.get(name, "").strip()[:limit]


def _page(request: Request, last: int) -> int:
    try:
        number = int(request.query_params.get("page", "1"))
    except ValueError:
        return 1
    return min(max(1, number), last)


def _url(path: str, **params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in ("", None, 1)}
    return f"{path}?{urlencode(kept)}" if kept else path


@page(Role.VIEWER)
def logs_page(request: Request, who: Who) -> Response:
    """GET /admin/logs: newest received lines, or a search (statusd search syntax) with filters."""
    st = web_state(request)
    q, device = _param(request, "q", 500), _param(request, "device")
    since, until = _param(request, "since", 40), _param(request, "until", 40)
    number = _page(request, LOGS_MAX_PAGES)
    now = st.clock()
    hits: list[dict[str, Any]] = []
    error = ""
    try:
        query = parse_query(q)
        since_at = parse_time(since, now) if since else None
        until_at = parse_time(until, now) if until else None
        offset = (number - 1) * LOGS_PER_PAGE
        found = search(st.db, query, since=since_at, until=until_at, device=device or None,
                       limit=offset + LOGS_PER_PAGE + 1)
        hits = list(islice(found, offset, None))
    except QueryError as exc:
        error = str(exc)
    more = len(hits) > LOGS_PER_PAGE
    filters = {"q": q, "device": device, "since": since, "until": until}
    return render(request, "admin/logs.html", who, {
        **filters, "hits": hits[:LOGS_PER_PAGE], "error": error, "page": number,
        "newer_url": _url("/admin/logs", **filters, page=number - 1) if number > 1 else "",
        "older_url": _url("/admin/logs", **filters, page=number + 1)
        if more and number < LOGS_MAX_PAGES else "",
        "at_limit": more and number >= LOGS_MAX_PAGES,
    }, status_code=400 if error else 200, section="/admin/logs")


@dataclass(frozen=True, slots=True)
class DeviceLine:
    """A device with its lines in the archive over the last hour and day."""

    name: str
    address: str | None
    first_seen: datetime
    last_seen: datetime
    message_count: int
    last_hour: int
    last_day: int

    @property
    def per_minute(self) -> float:
        """Average lines a minute over the last hour."""
        return round(self.last_hour / 60, 1)


def first_id_after(conn: Connection, since: datetime) -> int | None:
    """The smallest archive id received after `since` (None: nothing was).

    received_at grows with id (lines are stored in arrival order), so a binary search over the
    primary key finds the boundary in about 30 indexed look-ups, with no index on received_at.
    """
    top = conn.execute(select(LOG.c.id, LOG.c.received_at).order_by(LOG.c.id.desc())
                       .limit(1)).first()
    if top is None or top.received_at <= since:
        return None
    # ORDER BY id LIMIT 1 with id selected, not min(): on SQLite log_line is a view over day
    # tables (statusd/archive.py), merged in id order from their primary keys only then.
    low = int(conn.scalar(select(LOG.c.id).order_by(LOG.c.id).limit(1)) or 0)
    high = int(top.id)
    while low < high:
        mid = (low + high) // 2
        first = conn.execute(select(LOG.c.id, LOG.c.received_at).where(LOG.c.id >= mid)
                             .order_by(LOG.c.id).limit(1)).first()
        if first is not None and first.received_at > since:
            high = mid
        else:
            low = mid + 1
    return low


def window_counts(conn: Connection, since: datetime) -> tuple[dict[str, int], bool]:
    """Archive lines per device received after `since`; True if the count was capped."""
    first = first_id_after(conn, since)
    if first is None:
        return {}, False
    recent = select(LOG.c.device).where(LOG.c.id >= first).limit(RATE_SCAN_LIMIT).subquery()
    rows = conn.execute(select(recent.c.device, func.count()).group_by(recent.c.device)).all()
    counts = {str(name): int(n) for name, n in rows}
    return counts, sum(counts.values()) >= RATE_SCAN_LIMIT


@page(Role.VIEWER)
def devices_page(request: Request, who: Who) -> Response:
    """GET /admin/devices: every sender, most recently seen first, with message rates."""
    st = web_state(request)
    now = st.clock()
    with Session(st.db) as session:
        devices = session.exec(sql_select(Device).order_by(col(Device.last_seen).desc())
                               .limit(MAX_DEVICES)).all()
    with st.db.connect() as conn:
        hour, hour_capped = window_counts(conn, now - timedelta(hours=1))
        day, day_capped = window_counts(conn, now - timedelta(days=1))
    lines = [DeviceLine(d.name, d.address, d.first_seen, d.last_seen, d.message_count,
                        hour.get(d.name, 0), day.get(d.name, 0)) for d in devices]
    return render(request, "admin/devices.html", who, {
        "devices": lines, "capped": hour_capped or day_capped, "scan_limit": RATE_SCAN_LIMIT,
        "max_devices": MAX_DEVICES,
    }, section="/admin/devices")


@dataclass(frozen=True, slots=True)
class AuditLine:
    """An audit event with its detail as key/value pairs."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: tuple[tuple[str, str], ...]


def _detail(text: str) -> tuple[tuple[str, str], ...]:
    try:
        data = json.loads(text)
    except ValueError:
        return (("detail", text),)
    if not isinstance(data, dict):
        return (("detail", text),)
    return tuple((str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in data.items())


@page(Role.VIEWER)
def audit_page(request: Request, who: Who) -> Response:
    """GET /admin/audit: audit events, newest first, optionally of one actor or action prefix."""
    st = web_state(request)
    actor, action = _param(request, "actor"), _param(request, "action", 100)
    number = _page(request, 10_000)
    stmt = sql_select(AuditEvent)
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if action:
        stmt = stmt.where(col(AuditEvent.action).startswith(action, autoescape=True))
    stmt = stmt.order_by(col(AuditEvent.id).desc()).offset((number - 1) * AUDIT_PER_PAGE)
    with Session(st.db) as session:
        rows = session.exec(stmt.limit(AUDIT_PER_PAGE + 1)).all()
    events = [AuditLine(e.id or 0, e.at, e.actor, e.action, e.target, _detail(e.detail))
              for e in rows[:AUDIT_PER_PAGE]]
    filters = {"actor": actor, "action": action}
    return render(request, "admin/audit.html", who, {
        **filters, "events": events,
        "newer_url": _url("/admin/audit", **filters, page=number - 1) if number > 1 else "",
        "older_url": _url("/admin/audit", **filters, page=number + 1)
        if len(rows) > AUDIT_PER_PAGE else "",
    }, section="/admin/audit")
