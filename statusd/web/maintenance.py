"""Read side of planned maintenance: maintenances with their timelines and components as values."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from statusd.models import (
    Component,
    Maintenance,
    MaintenanceComponent,
    MaintenanceStatus,
    MaintenanceUpdate,
)
from statusd.web.queries import ComponentRow, UpdateRow


@dataclass(frozen=True, slots=True)
class MaintenanceRow:
    """A maintenance with its timeline (newest first; UpdateRow.incident_id holds its id)."""

    id: int
    title: str
    status: str
    scheduled_for: datetime
    scheduled_until: datetime
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    updates: tuple[UpdateRow, ...]
    components: tuple[ComponentRow, ...]

    @property
    def is_upcoming(self) -> bool:
        """True while scheduled and not started."""
        return self.status == MaintenanceStatus.SCHEDULED.value

    @property
    def is_active(self) -> bool:
        """True while in progress."""
        return self.status == MaintenanceStatus.IN_PROGRESS.value

    @property
    def description(self) -> str:
        """What the announcement said: the body of the first timeline entry."""
        return self.updates[-1].body if self.updates else ""


def _maintenance_rows(session: Session, found: list[Maintenance]) -> list[MaintenanceRow]:
    """Attach timelines and components to maintenances with two queries, whatever their number."""
    ids = [m.id for m in found if m.id is not None]
    if not ids:
        return []
    updates: dict[int, list[UpdateRow]] = defaultdict(list)
    for u in session.exec(
        select(MaintenanceUpdate).where(col(MaintenanceUpdate.maintenance_id).in_(ids))
        .order_by(col(MaintenanceUpdate.created_at).desc(), col(MaintenanceUpdate.id).desc())
    ).all():
        assert u.id is not None
        updates[u.maintenance_id].append(UpdateRow(id=u.id, incident_id=u.maintenance_id,
                                                   status=u.status, body=u.body,
                                                   created_at=u.created_at))
    comps: dict[int, list[ComponentRow]] = defaultdict(list)
    for link, comp in session.exec(
        select(MaintenanceComponent, Component)
        .join(Component, col(Component.id) == col(MaintenanceComponent.component_id))
        .where(col(MaintenanceComponent.maintenance_id).in_(ids))
        .order_by(col(Component.position), col(Component.name))
    ).all():
        comps[link.maintenance_id].append(ComponentRow.of(comp))
    rows = []
    for m in found:
        assert m.id is not None
        rows.append(MaintenanceRow(
            id=m.id, title=m.title, status=m.status, scheduled_for=m.scheduled_for,
            scheduled_until=m.scheduled_until, started_at=m.started_at,
            completed_at=m.completed_at, created_at=m.created_at, updated_at=m.updated_at,
            updates=tuple(updates[m.id]), components=tuple(comps[m.id]),
        ))
    return rows


def _fetch(session: Session, stmt: Any) -> list[MaintenanceRow]:
    return _maintenance_rows(session, list(session.exec(stmt).all()))


def _soonest_first(stmt: Any) -> Any:
    return stmt.order_by(col(Maintenance.scheduled_for), col(Maintenance.id))


def upcoming_maintenances(session: Session) -> list[MaintenanceRow]:
    """Maintenances scheduled and not started yet, soonest first."""
    stmt = select(Maintenance).where(Maintenance.status == MaintenanceStatus.SCHEDULED.value)
    return _fetch(session, _soonest_first(stmt))


def active_maintenances(session: Session) -> list[MaintenanceRow]:
    """Maintenances in progress, earliest start first."""
    stmt = select(Maintenance).where(Maintenance.status == MaintenanceStatus.IN_PROGRESS.value)
    return _fetch(session, _soonest_first(stmt))


def current_maintenances(session: Session) -> list[MaintenanceRow]:
    """Maintenances in progress or still to come, by scheduled start."""
    stmt = select(Maintenance).where(Maintenance.status != MaintenanceStatus.COMPLETED.value)
    return _fetch(session, _soonest_first(stmt))


def latest_maintenances(session: Session, limit: int) -> list[MaintenanceRow]:
    """The maintenances with the latest scheduled start, latest first."""
    stmt = select(Maintenance).order_by(col(Maintenance.scheduled_for).desc(),
                                        col(Maintenance.id).desc()).limit(limit)
    return _fetch(session, stmt)


def recently_updated_maintenances(
    session: Session, limit: int, component_id: int | None = None,
) -> list[MaintenanceRow]:
    """The last-changed maintenances (of one component, if given), last change first."""
    stmt = select(Maintenance)
    if component_id is not None:
        stmt = stmt.join(MaintenanceComponent,
                         col(MaintenanceComponent.maintenance_id) == col(Maintenance.id)).where(
            MaintenanceComponent.component_id == component_id)
    stmt = stmt.order_by(col(Maintenance.updated_at).desc(), col(Maintenance.id).desc())
    return _fetch(session, stmt.limit(limit))


def maintenance_by_id(session: Session, maintenance_id: int) -> MaintenanceRow | None:
    """One maintenance with its timeline, or None."""
    m = session.get(Maintenance, maintenance_id)
    return _maintenance_rows(session, [m])[0] if m is not None else None


def last_maintenance_update(session: Session) -> datetime | None:
    """When any maintenance last changed."""
    return session.exec(select(func.max(Maintenance.updated_at))).one()
