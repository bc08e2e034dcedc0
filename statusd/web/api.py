"""Statuspage v2 read API, in the Atlassian public shapes, so existing consumers work unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse

from statusd.models import ComponentStatus
from statusd.web import maintenance, queries
from statusd.web.maintenance import MaintenanceRow
from statusd.web.queries import ComponentRow, GroupRow, IncidentRow, Layout, UpdateRow
from statusd.web.state import WebState, web_state

LATEST_INCIDENTS = 50
CORS = {"Access-Control-Allow-Origin": "*"}

# Worst component status -> Statuspage indicator, and the indicator's fixed wording.
INDICATOR = {
    ComponentStatus.OPERATIONAL.value: "none",
    ComponentStatus.UNDER_MAINTENANCE.value: "maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE.value: "minor",
    ComponentStatus.PARTIAL_OUTAGE.value: "major",
    ComponentStatus.MAJOR_OUTAGE.value: "critical",
}
DESCRIPTION = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
    "maintenance": "Service Under Maintenance",
}


class PageJSON(TypedDict):
    """The page object every response starts with."""

    id: str
    name: str
    url: str
    time_zone: str
    updated_at: str


class StatusJSON(TypedDict):
    """The rolled-up page status."""

    indicator: str
    description: str


class ComponentJSON(TypedDict):
    """A component, or a group (group true, with its member ids in components)."""

    id: str
    name: str
    status: str
    created_at: str
    updated_at: str
    position: int
    description: str | None
    showcase: bool
    start_date: str | None
    group_id: str | None
    page_id: str
    group: bool
    only_show_if_degraded: bool
    components: NotRequired[list[str]]


class IncidentUpdateJSON(TypedDict):
    """One timeline entry of an incident."""

    id: str
    status: str
    body: str
    incident_id: str
    created_at: str
    updated_at: str
    display_at: str
    affected_components: list[dict[str, str]] | None
    deliver_notifications: bool
    custom_tweet: str | None
    tweet_id: str | None


class IncidentJSON(TypedDict):
    """An incident with its updates (newest first) and affected components."""

    id: str
    name: str
    status: str
    created_at: str
    updated_at: str
    monitoring_at: str | None
    resolved_at: str | None
    impact: str
    shortlink: str
    started_at: str
    page_id: str
    incident_updates: list[IncidentUpdateJSON]
    components: list[ComponentJSON]


class MaintenanceJSON(IncidentJSON):
    """A scheduled maintenance: an incident with impact "maintenance" and its planned window."""

    scheduled_for: str
    scheduled_until: str


def iso(value: datetime) -> str:
    """Statuspage time format: ISO-8601, milliseconds, explicit UTC offset."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def iso_or_none(value: datetime | None) -> str | None:
    """iso() for optional times."""
    return iso(value) if value is not None else None


def group_id(group_pk: int) -> str:
    """API id of a group; prefixed so it never equals a component's id."""
    return f"g{group_pk}"


def status_object(worst: str) -> StatusJSON:
    """Indicator and description for the worst component status."""
    indicator = INDICATOR.get(worst, "critical")
    return {"indicator": indicator, "description": DESCRIPTION[indicator]}


def page_object(st: WebState, updated_at: datetime | None) -> PageJSON:
    """The page object."""
    return {
        "id": st.page_id,
        "name": str(st.settings.get("page.title")),
        "url": st.settings.base_url,
        "time_zone": "Etc/UTC",
        "updated_at": iso(updated_at or st.clock()),
    }


def component_object(st: WebState, comp: ComponentRow) -> ComponentJSON:
    """A component."""
    return {
        "id": str(comp.id),
        "name": comp.name,
        "status": comp.status,
        "created_at": iso(comp.created_at),
        "updated_at": iso(comp.updated_at),
        "position": comp.position,
        "description": comp.description or None,
        "showcase": True,
        "start_date": comp.created_at.astimezone(UTC).date().isoformat(),
        "group_id": group_id(comp.group_id) if comp.group_id is not None else None,
        "page_id": st.page_id,
        "group": False,
        "only_show_if_degraded": False,
    }


def group_object(st: WebState, group: GroupRow) -> ComponentJSON:
    """A group, shown as Statuspage shows one: a component with group true and member ids."""
    return {
        "id": group_id(group.id),
        "name": group.name,
        "status": group.status,
        "created_at": iso(group.created_at),
        "updated_at": iso(group.updated_at),
        "position": group.position,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": st.page_id,
        "group": True,
        "only_show_if_degraded": False,
        "components": [str(c.id) for c in group.components],
    }


def components_list(st: WebState, layout: Layout) -> list[ComponentJSON]:
    """Every visible component and group, in display order, each group before its members."""
    out: list[ComponentJSON] = []
    for item in layout.items:
        if isinstance(item, GroupRow):
            out.append(group_object(st, item))
            out.extend(component_object(st, c) for c in item.components)
        else:
            out.append(component_object(st, item))
    return out


def update_object(update: UpdateRow) -> IncidentUpdateJSON:
    """One incident update."""
    return {
        "id": str(update.id),
        "status": update.status,
        "body": update.body,
        "incident_id": str(update.incident_id),
        "created_at": iso(update.created_at),
        "updated_at": iso(update.created_at),
        "display_at": iso(update.created_at),
        "affected_components": None,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_object(st: WebState, inc: IncidentRow) -> IncidentJSON:
    """An incident."""
    return {
        "id": str(inc.id),
        "name": inc.title,
        "status": inc.status,
        "created_at": iso(inc.created_at),
        "updated_at": iso(inc.updated_at),
        "monitoring_at": iso_or_none(inc.monitoring_at),
        "resolved_at": iso_or_none(inc.resolved_at),
        "impact": inc.impact,
        "shortlink": f"{st.settings.base_url}/incidents/{inc.id}",
        "started_at": iso(inc.created_at),
        "page_id": st.page_id,
        "incident_updates": [update_object(u) for u in inc.updates],
        "components": [component_object(st, c) for c in inc.components],
    }


def maintenance_id(pk: int) -> str:
    """API id of a maintenance or of its update; prefixed so it never equals an incident's."""
    return f"m{pk}"


def maintenance_object(st: WebState, m: MaintenanceRow) -> MaintenanceJSON:
    """A scheduled maintenance."""
    updates = []
    for u in m.updates:
        obj = update_object(u)
        obj["id"], obj["incident_id"] = maintenance_id(u.id), maintenance_id(m.id)
        updates.append(obj)
    return {
        "id": maintenance_id(m.id),
        "name": m.title,
        "status": m.status,
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
        "monitoring_at": None,
        "resolved_at": iso_or_none(m.completed_at),
        "impact": "maintenance",
        "shortlink": f"{st.settings.base_url}/maintenance/{m.id}",
        "started_at": iso(m.started_at or m.scheduled_for),
        "page_id": st.page_id,
        "incident_updates": updates,
        "components": [component_object(st, c) for c in m.components],
        "scheduled_for": iso(m.scheduled_for),
        "scheduled_until": iso(m.scheduled_until),
    }


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    """A JSON response any origin may read."""
    return JSONResponse(data, status_code=status_code, headers=CORS)


def _page(st: WebState, session: Session, layout: Layout | None = None) -> PageJSON:
    layout = layout or queries.load_layout(session)
    stamps = [s for s in (layout.updated_at, queries.last_incident_update(session),
                          maintenance.last_maintenance_update(session)) if s]
    return page_object(st, max(stamps, default=None))


def summary(request: Request) -> JSONResponse:
    """GET /api/v2/summary.json: page, components, unresolved incidents, maintenance, status."""
    st = web_state(request)
    with Session(st.db) as session:
        layout = queries.load_layout(session)
        page = _page(st, session, layout)
        incidents = queries.open_incidents(session)
        maintenances = maintenance.current_maintenances(session)
    return json_response({
        "page": page,
        "components": components_list(st, layout),
        "incidents": [incident_object(st, i) for i in incidents],
        "scheduled_maintenances": [maintenance_object(st, m) for m in maintenances],
        "status": status_object(layout.overall),
    })


def status(request: Request) -> JSONResponse:
    """GET /api/v2/status.json: page and rolled-up status."""
    st = web_state(request)
    with Session(st.db) as session:
        layout = queries.load_layout(session)
        page = _page(st, session, layout)
    return json_response({"page": page, "status": status_object(layout.overall)})


def components(request: Request) -> JSONResponse:
    """GET /api/v2/components.json: every visible component and group."""
    st = web_state(request)
    with Session(st.db) as session:
        layout = queries.load_layout(session)
        page = _page(st, session, layout)
    return json_response({"page": page, "components": components_list(st, layout)})


def incidents(request: Request) -> JSONResponse:
    """GET /api/v2/incidents.json: the latest 50 incidents, newest first."""
    st = web_state(request)
    with Session(st.db) as session:
        page = _page(st, session)
        rows = queries.latest_incidents(session, LATEST_INCIDENTS)
    return json_response({"page": page, "incidents": [incident_object(st, i) for i in rows]})


def unresolved_incidents(request: Request) -> JSONResponse:
    """GET /api/v2/incidents/unresolved.json: incidents not yet resolved, newest first."""
    st = web_state(request)
    with Session(st.db) as session:
        page = _page(st, session)
        rows = queries.open_incidents(session)
    return json_response({"page": page, "incidents": [incident_object(st, i) for i in rows]})


def _maintenances(
    request: Request, fetch: Callable[[Session], list[MaintenanceRow]]
) -> JSONResponse:
    st = web_state(request)
    with Session(st.db) as session:
        page = _page(st, session)
        rows = fetch(session)
    return json_response({"page": page,
                          "scheduled_maintenances": [maintenance_object(st, m) for m in rows]})


def scheduled_maintenances(request: Request) -> JSONResponse:
    """GET /api/v2/scheduled-maintenances.json: the 50 latest maintenances, latest start first."""
    return _maintenances(
        request, lambda session: maintenance.latest_maintenances(session, LATEST_INCIDENTS))


def upcoming_maintenances(request: Request) -> JSONResponse:
    """GET /api/v2/scheduled-maintenances/upcoming.json: scheduled, not started, soonest first."""
    return _maintenances(request, maintenance.upcoming_maintenances)


def active_maintenances(request: Request) -> JSONResponse:
    """GET /api/v2/scheduled-maintenances/active.json: in progress, earliest start first."""
    return _maintenances(request, maintenance.active_maintenances)
