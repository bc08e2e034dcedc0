"""Read side of the public page and APIs: components, groups and incidents as plain values."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from statusd.models import (
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
)
from statusd.status import overall_status


@dataclass(frozen=True, slots=True)
class ComponentRow:
    """A component as the page and the API show it."""

    id: int
    slug: str
    name: str
    description: str
    status: str
    position: int
    group_id: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, comp: Component) -> ComponentRow:
        """Copy the fields the page needs from a table row."""
        assert comp.id is not None
        return cls(id=comp.id, slug=comp.slug, name=comp.name, description=comp.description,
                   status=comp.status, position=comp.position, group_id=comp.group_id,
                   created_at=comp.created_at, updated_at=comp.updated_at)


@dataclass(frozen=True, slots=True)
class GroupRow:
    """A group heading with its visible components."""

    id: int
    name: str
    position: int
    created_at: datetime
    updated_at: datetime
    components: tuple[ComponentRow, ...]

    @property
    def status(self) -> str:
        """The worst status of the group's components."""
        return overall_status([c.status for c in self.components])


@dataclass(frozen=True, slots=True)
class Layout:
    """Visible components in display order: groups and ungrouped components sorted by position."""

    items: tuple[GroupRow | ComponentRow, ...]

    @property
    def groups(self) -> list[GroupRow]:
        """The groups, in display order."""
        return [i for i in self.items if isinstance(i, GroupRow)]

    @property
    def components(self) -> list[ComponentRow]:
        """Every visible component, in display order."""
        out: list[ComponentRow] = []
        for item in self.items:
            out.extend(item.components if isinstance(item, GroupRow) else (item,))
        return out

    @property
    def overall(self) -> str:
        """The worst status of all visible components."""
        return overall_status([c.status for c in self.components])

    @property
    def updated_at(self) -> datetime | None:
        """When a component or group last changed."""
        stamps = [c.updated_at for c in self.components] + [g.updated_at for g in self.groups]
        return max(stamps, default=None)


@dataclass(frozen=True, slots=True)
class UpdateRow:
    """One timeline entry."""

    id: int
    incident_id: int
    status: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """An incident with its timeline (newest first) and affected components."""

    id: int
    title: str
    status: str
    impact: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: tuple[UpdateRow, ...]
    components: tuple[ComponentRow, ...]

    @property
    def is_open(self) -> bool:
        """True until resolved."""
        return self.status != IncidentStatus.RESOLVED.value

    @property
    def monitoring_at(self) -> datetime | None:
        """When the incident last went to monitoring, if it is monitoring or resolved since."""
        if self.status not in (IncidentStatus.MONITORING.value, IncidentStatus.RESOLVED.value):
            return None
        for update in self.updates:  # newest first
            if update.status == IncidentStatus.MONITORING.value:
                return update.created_at
        return None


@dataclass(frozen=True, slots=True)
class Change:
    """One change of a component's shown status."""

    at: datetime
    old_status: str
    new_status: str


def load_layout(session: Session) -> Layout:
    """Visible components grouped under their groups, groups without visible components left out."""
    comps = session.exec(
        select(Component).where(col(Component.visible).is_(True))
        .order_by(col(Component.position), col(Component.name), col(Component.id))
    ).all()
    groups = session.exec(select(ComponentGroup)).all()
    by_group: dict[int | None, list[ComponentRow]] = defaultdict(list)
    for comp in comps:
        by_group[comp.group_id].append(ComponentRow.of(comp))
    keyed: list[tuple[tuple[int, int, str], GroupRow | ComponentRow]] = []
    known: set[int] = set()
    for g in groups:
        assert g.id is not None
        known.add(g.id)
        members = by_group.get(g.id)
        if members:
            row = GroupRow(id=g.id, name=g.name, position=g.position, created_at=g.created_at,
                           updated_at=g.updated_at, components=tuple(members))
            keyed.append(((g.position, 1, g.name), row))
    for gid, members in by_group.items():
        if gid is None or gid not in known:
            keyed.extend(((c.position, 0, c.name), c) for c in members)
    keyed.sort(key=lambda pair: pair[0])
    return Layout(items=tuple(item for _key, item in keyed))


def _incident_rows(session: Session, incidents: list[Incident]) -> list[IncidentRow]:
    """Attach timelines and components to incidents with two queries, whatever their number."""
    ids = [inc.id for inc in incidents if inc.id is not None]
    if not ids:
        return []
    updates: dict[int, list[UpdateRow]] = defaultdict(list)
    for u in session.exec(
        select(IncidentUpdate).where(col(IncidentUpdate.incident_id).in_(ids))
        .order_by(col(IncidentUpdate.created_at).desc(), col(IncidentUpdate.id).desc())
    ).all():
        assert u.id is not None
        updates[u.incident_id].append(UpdateRow(id=u.id, incident_id=u.incident_id,
                                                status=u.status, body=u.body,
                                                created_at=u.created_at))
    comps: dict[int, list[ComponentRow]] = defaultdict(list)
    for link, comp in session.exec(
        select(IncidentComponent, Component)
        .join(Component, col(Component.id) == col(IncidentComponent.component_id))
        .where(col(IncidentComponent.incident_id).in_(ids))
        .order_by(col(Component.position), col(Component.name))
    ).all():
        comps[link.incident_id].append(ComponentRow.of(comp))
    rows = []
    for inc in incidents:
        assert inc.id is not None
        rows.append(IncidentRow(
            id=inc.id, title=inc.title, status=inc.status, impact=inc.impact,
            created_at=inc.created_at, updated_at=inc.updated_at, resolved_at=inc.resolved_at,
            updates=tuple(updates[inc.id]), components=tuple(comps[inc.id]),
        ))
    return rows


def _newest_first(stmt: Any) -> Any:
    return stmt.order_by(col(Incident.created_at).desc(), col(Incident.id).desc())


def open_incidents(session: Session) -> list[IncidentRow]:
    """Unresolved incidents, newest first."""
    stmt = select(Incident).where(Incident.status != IncidentStatus.RESOLVED.value)
    return _incident_rows(session, list(session.exec(_newest_first(stmt)).all()))


def incidents_since(session: Session, since: datetime) -> list[IncidentRow]:
    """Incidents that started at or after since, newest first."""
    stmt = select(Incident).where(col(Incident.created_at) >= since)
    return _incident_rows(session, list(session.exec(_newest_first(stmt)).all()))


def latest_incidents(session: Session, limit: int, offset: int = 0) -> list[IncidentRow]:
    """A page of incidents, newest first."""
    stmt = _newest_first(select(Incident)).offset(offset).limit(limit)
    return _incident_rows(session, list(session.exec(stmt).all()))


def recently_updated_incidents(
    session: Session, limit: int, component_id: int | None = None,
) -> list[IncidentRow]:
    """The last-changed incidents (of one component, if given), last change first."""
    stmt = select(Incident)
    if component_id is not None:
        stmt = stmt.join(IncidentComponent,
                         col(IncidentComponent.incident_id) == col(Incident.id)).where(
            IncidentComponent.component_id == component_id)
    stmt = stmt.order_by(col(Incident.updated_at).desc(), col(Incident.id).desc()).limit(limit)
    return _incident_rows(session, list(session.exec(stmt).all()))


def count_incidents(session: Session) -> int:
    """How many incidents there are."""
    return int(session.exec(select(func.count()).select_from(Incident)).one())


def visible_component(session: Session, slug: str) -> ComponentRow | None:
    """The visible component with this slug, or None."""
    comp = session.exec(select(Component).where(
        Component.slug == slug, col(Component.visible).is_(True))).first()
    return ComponentRow.of(comp) if comp is not None else None


def incident_by_id(session: Session, incident_id: int) -> IncidentRow | None:
    """One incident with its timeline, or None."""
    inc = session.get(Incident, incident_id)
    return _incident_rows(session, [inc])[0] if inc is not None else None


def last_incident_update(session: Session) -> datetime | None:
    """When any incident last changed."""
    return session.exec(select(func.max(Incident.updated_at))).one()


def status_changes_since(session: Session, since: datetime) -> dict[int, list[Change]]:
    """Component status changes at or after since, per component id, oldest first."""
    out: dict[int, list[Change]] = defaultdict(list)
    for row in session.exec(
        select(ComponentStatusChange).where(col(ComponentStatusChange.at) >= since)
        .order_by(col(ComponentStatusChange.at), col(ComponentStatusChange.id))
    ).all():
        out[row.component_id].append(Change(row.at, row.old_status, row.new_status))
    return out
