"""Components (set a manual status) and planned maintenance (schedule, complete early)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from statusd.db import transaction
from statusd.models import (
    Component,
    ComponentHold,
    ComponentStatus,
    Maintenance,
    MaintenanceComponent,
    MaintenanceStatus,
)
from statusd.status import (
    DomainError,
    complete_maintenance,
    get_component,
    schedule_maintenance,
    set_component_status,
)
from statusd.web.admin.auth import action, page
from statusd.web.admin.render import done, field, parse_utc, path_id, render, utc_input
from statusd.web.admin.users import Role, Who
from statusd.web.state import web_state

COMPONENTS = "/admin/components"
MAINTENANCE = "/admin/maintenance"
RECENTLY_COMPLETED = 10


@dataclass(frozen=True, slots=True)
class ComponentLine:
    """A component with what decides its shown status."""

    slug: str
    name: str
    status: str  # shown
    manual_status: str
    holds: tuple[tuple[str, str], ...]  # (source, status)
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class MaintenanceLine:
    """A maintenance with the names of its components."""

    id: int
    title: str
    status: str
    scheduled_for: datetime
    scheduled_until: datetime
    completed_at: datetime | None
    components: tuple[str, ...]


def component_lines(session: Session) -> list[ComponentLine]:
    """Visible components in page order, with their manual status and rule/maintenance holds."""
    comps = session.exec(select(Component).where(Component.visible == True)  # noqa: E712
                         .order_by(col(Component.position), col(Component.name))).all()
    holds: dict[int, list[tuple[str, str]]] = {}
    for hold in session.exec(select(ComponentHold).order_by(ComponentHold.source)).all():
        holds.setdefault(hold.component_id, []).append((hold.source, hold.status))
    return [ComponentLine(c.slug, c.name, c.status, c.manual_status,
                          tuple(holds.get(c.id or 0, ())), c.updated_at) for c in comps]


def maintenance_lines(session: Session, *, completed: bool) -> list[MaintenanceLine]:
    """Scheduled and running maintenances by start, or the latest completed ones."""
    stmt = select(Maintenance)
    if completed:
        stmt = stmt.where(Maintenance.status == MaintenanceStatus.COMPLETED.value).order_by(
            col(Maintenance.completed_at).desc()).limit(RECENTLY_COMPLETED)
    else:
        stmt = stmt.where(Maintenance.status != MaintenanceStatus.COMPLETED.value).order_by(
            col(Maintenance.scheduled_for), col(Maintenance.id))
    rows = session.exec(stmt).all()
    names: dict[int, list[str]] = {}
    if rows:
        joined = session.exec(
            select(MaintenanceComponent.maintenance_id, Component.name)
            .join(Component, col(Component.id) == MaintenanceComponent.component_id)
            .where(col(MaintenanceComponent.maintenance_id).in_([m.id for m in rows]))
            .order_by(col(Component.position))).all()
        for mid, name in joined:
            names.setdefault(mid, []).append(name)
    return [MaintenanceLine(m.id or 0, m.title, m.status, m.scheduled_for, m.scheduled_until,
                            m.completed_at, tuple(names.get(m.id or 0, ()))) for m in rows]


@page(Role.VIEWER)
def components_page(request: Request, who: Who) -> Response:
    """GET /admin/components: every component, its shown and manual status, its holds."""
    with Session(web_state(request).db) as session:
        lines = component_lines(session)
    return render(request, "admin/components.html", who,
                  {"components": lines, "statuses": [s.value for s in ComponentStatus]},
                  section=COMPONENTS)


@action(Role.OPERATOR)
def set_status(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/components/{slug}/status: set the manual status, with an optional reason."""
    st = web_state(request)
    slug = str(request.path_params["slug"])
    try:
        with transaction(st.db) as session:
            changed = set_component_status(session, slug, field(form, "status", 50),
                                           actor=who.actor, reason=field(form, "reason"),
                                           now=st.clock())
            comp = get_component(session, slug)
            name, shown, manual = comp.name, comp.status, comp.manual_status
    except DomainError as exc:
        return done(request, COMPONENTS, "error", str(exc))
    if changed or shown == manual:
        return done(request, COMPONENTS, "ok", f"{name} now shows {manual.replace('_', ' ')}.")
    return done(request, COMPONENTS, "ok",
                f"{name}: manual status set to {manual.replace('_', ' ')}; it still shows "
                f"{shown.replace('_', ' ')} because of a rule or maintenance hold.")


@page(Role.VIEWER)
def maintenance_page(request: Request, who: Who) -> Response:
    """GET /admin/maintenance: planned and running maintenance, the schedule form."""
    st = web_state(request)
    now = st.clock()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with Session(st.db) as session:
        active = maintenance_lines(session, completed=False)
        completed = maintenance_lines(session, completed=True)
        comps = component_lines(session)
    return render(request, "admin/maintenance.html", who, {
        "active": active, "completed": completed, "components": comps,
        "default_start": utc_input(start), "default_end": utc_input(start + timedelta(hours=1)),
    }, section=MAINTENANCE)


@action(Role.OPERATOR)
def schedule(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/maintenance: plan a maintenance (start, end, components)."""
    st = web_state(request)
    try:
        start, end = parse_utc(field(form, "start", 40)), parse_utc(field(form, "end", 40))
        with transaction(st.db) as session:
            m = schedule_maintenance(
                session, field(form, "title", 500), field(form, "message"),
                components=[c for c in form.getlist("components") if isinstance(c, str)],
                start=start, end=end, actor=who.actor, now=st.clock())
            mid, status = m.id, m.status
    except (DomainError, ValueError) as exc:
        return done(request, MAINTENANCE, "error", str(exc))
    return done(request, MAINTENANCE, "ok", f"Maintenance {mid} {status.replace('_', ' ')}.")


@action(Role.OPERATOR)
def complete(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/maintenance/{id}/complete: end it now; its components go back."""
    st = web_state(request)
    maintenance_id = path_id(request, "maintenance_id")
    message = field(form, "message").strip() or "Maintenance has completed."
    try:
        if maintenance_id is None:
            raise DomainError("no such maintenance")
        with transaction(st.db) as session:
            complete_maintenance(session, maintenance_id, message, actor=who.actor,
                                 now=st.clock())
    except DomainError as exc:
        return done(request, MAINTENANCE, "error", str(exc))
    return done(request, MAINTENANCE, "ok", f"Maintenance {maintenance_id} completed.")
