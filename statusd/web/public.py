"""The public status page: front page and its htmx fragment, incident permalinks, history."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from statusd.web import maintenance, queries
from statusd.web.queries import IncidentRow
from statusd.web.state import WebState, web_state
from statusd.web.uptime import UptimeBar, uptime_bar, window_start

PER_PAGE = 20
MAX_DB_INT = 2**31 - 1  # ids beyond this cannot exist (and PostgreSQL would refuse the query)


def _context(st: WebState, now: datetime, **values: Any) -> dict[str, Any]:
    """What every public template gets, plus values."""
    return {
        "page_title": st.settings.get("page.title"),
        "page_description": st.settings.get("page.description"),
        "refresh": st.settings.get("page.refresh"),
        "now": now,
        **values,
    }


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200,
            ) -> Response:
    st = web_state(request)
    return st.templates.TemplateResponse(request, name, context, status_code=status_code)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def status_context(st: WebState) -> dict[str, Any]:
    """Everything the status region shows: banner, incidents, components with bars, recent days."""
    now = st.clock()
    history_days = max(1, int(st.settings.get("page.history_days")))
    today = now.astimezone(UTC).date()
    days = [today - timedelta(days=i) for i in range(history_days)]
    with Session(st.db) as session:
        layout = queries.load_layout(session)
        open_incidents = queries.open_incidents(session)
        recent = queries.incidents_since(session, _day_start(days[-1]))
        changes = queries.status_changes_since(session, window_start(now))
        last_incident = queries.last_incident_update(session)
        maintenances = maintenance.current_maintenances(session)
    bars: dict[int, UptimeBar] = {
        c.id: uptime_bar(current=c.status, created_at=c.created_at, changes=changes.get(c.id, []),
                         now=now)
        for c in layout.components
    }
    by_day: dict[date, list[IncidentRow]] = {d: [] for d in days}
    for inc in recent:
        by_day.setdefault(inc.created_at.astimezone(UTC).date(), []).append(inc)
    stamps = [s for s in (layout.updated_at, last_incident) if s is not None]
    return _context(
        st, now, layout=layout, overall=layout.overall, open_incidents=open_incidents,
        bars=bars, history=[(d, by_day[d]) for d in days], updated_at=max(stamps, default=now),
        maintenances=maintenances,
    )


def index(request: Request) -> Response:
    """GET /: the status page."""
    return _render(request, "index.html", status_context(web_state(request)))


def status_partial(request: Request) -> Response:
    """GET /partials/status: the status region alone, for htmx live refresh."""
    response = _render(request, "_status.html", status_context(web_state(request)))
    response.headers["Cache-Control"] = "no-cache"
    return response


def incident(request: Request) -> Response:
    """GET /incidents/{id}: an incident's permalink with its full timeline."""
    st = web_state(request)
    incident_id: int = request.path_params["incident_id"]
    row = None
    if 0 < incident_id <= MAX_DB_INT:
        with Session(st.db) as session:
            row = queries.incident_by_id(session, incident_id)
    if row is None:
        raise HTTPException(status_code=404)
    return _render(request, "incident.html", _context(st, st.clock(), incident=row))


def maintenance_page(request: Request) -> Response:
    """GET /maintenance/{id}: a planned maintenance's permalink with its full timeline."""
    st = web_state(request)
    maintenance_id: int = request.path_params["maintenance_id"]
    row = None
    if 0 < maintenance_id <= MAX_DB_INT:
        with Session(st.db) as session:
            row = maintenance.maintenance_by_id(session, maintenance_id)
    if row is None:
        raise HTTPException(status_code=404)
    return _render(request, "maintenance.html", _context(st, st.clock(), maintenance=row))


def history(request: Request) -> Response:
    """GET /history?page=N: every incident, newest first, PER_PAGE a page."""
    st = web_state(request)
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        raise HTTPException(status_code=404) from None
    if page < 1 or page > MAX_DB_INT // PER_PAGE:
        raise HTTPException(status_code=404)
    with Session(st.db) as session:
        total = queries.count_incidents(session)
        rows = queries.latest_incidents(session, PER_PAGE, (page - 1) * PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    if page > pages:
        raise HTTPException(status_code=404)
    return _render(request, "history.html", _context(
        st, st.clock(), incidents=rows, page=page, pages=pages, total=total,
    ))


def not_found(request: Request) -> Response:
    """The 404 page."""
    st = web_state(request)
    return _render(request, "404.html", _context(st, st.clock()), status_code=404)
