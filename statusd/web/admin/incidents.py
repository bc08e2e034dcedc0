"""Incidents: open ones with their timeline, open a new one, post an update, resolve."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from statusd.db import transaction
from statusd.models import IncidentStatus
from statusd.status import DomainError, open_incident, resolve_incident, update_incident
from statusd.web import queries
from statusd.web.admin.auth import action, page
from statusd.web.admin.render import done, field, path_id, render
from statusd.web.admin.users import Role, Who
from statusd.web.state import web_state

SECTION = "/admin/incidents"
IMPACTS = ("none", "minor", "major", "critical")
OPEN_STATUSES = tuple(s.value for s in IncidentStatus if s is not IncidentStatus.RESOLVED)
RECENTLY_RESOLVED = 10


@page(Role.VIEWER)
def incidents_page(request: Request, who: Who) -> Response:
    """GET /admin/incidents: open incidents with update and resolve forms, the new-incident form."""
    with Session(web_state(request).db) as session:
        open_rows = queries.open_incidents(session)
        latest = queries.latest_incidents(session, 50)
        components = queries.load_layout(session).components
    resolved = [i for i in latest if i.status == IncidentStatus.RESOLVED.value]
    return render(request, "admin/incidents.html", who, {
        "incidents": open_rows, "resolved": resolved[:RECENTLY_RESOLVED],
        "components": components, "statuses": OPEN_STATUSES, "impacts": IMPACTS,
    }, section=SECTION)


@action(Role.OPERATOR)
def create(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/incidents: open an incident (title, message, status, impact, components)."""
    st = web_state(request)
    try:
        with transaction(st.db) as session:
            inc = open_incident(
                session, field(form, "title", 500), field(form, "message"),
                status=field(form, "status", 50) or IncidentStatus.INVESTIGATING.value,
                components=[c for c in form.getlist("components") if isinstance(c, str)],
                impact=field(form, "impact", 20) or "minor", actor=who.actor, now=st.clock())
            incident_id = inc.id
    except DomainError as exc:
        return done(request, SECTION, "error", str(exc))
    return done(request, SECTION, "ok", f"Incident {incident_id} opened.")


@action(Role.OPERATOR)
def post_update(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/incidents/{id}/updates: a timeline entry with a status."""
    st = web_state(request)
    incident_id = path_id(request, "incident_id")
    message = field(form, "message").strip()
    try:
        if incident_id is None:
            raise DomainError("no such incident")
        if not message:
            raise DomainError("an update needs a message")
        with transaction(st.db) as session:
            update_incident(session, incident_id, field(form, "status", 50), message,
                            actor=who.actor, now=st.clock())
    except DomainError as exc:
        return done(request, SECTION, "error", str(exc))
    return done(request, SECTION, "ok", f"Incident {incident_id} updated.")


@action(Role.OPERATOR)
def resolve(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/incidents/{id}/resolve: resolve with a last message."""
    st = web_state(request)
    incident_id = path_id(request, "incident_id")
    message = field(form, "message").strip() or "This incident has been resolved."
    try:
        if incident_id is None:
            raise DomainError("no such incident")
        with transaction(st.db) as session:
            resolve_incident(session, incident_id, message, actor=who.actor, now=st.clock())
    except DomainError as exc:
        return done(request, SECTION, "error", str(exc))
    return done(request, SECTION, "ok", f"Incident {incident_id} resolved.")
