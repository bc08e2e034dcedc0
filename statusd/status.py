"""The domain: every change of a component, incident or alert goes through here.

Each function writes the change, its history row, an audit event and an outbox row in the
caller's transaction (a Session the caller commits). Nothing here sends anything: senders read
the outbox.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from statusd.db import transaction, utcnow
from statusd.models import (
    Alert,
    AlertState,
    AuditEvent,
    Component,
    ComponentGroup,
    ComponentHold,
    ComponentStatus,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceComponent,
    MaintenanceStatus,
    MaintenanceUpdate,
    OutboxEntry,
)

if TYPE_CHECKING:
    from statusd.config import ComponentSettings

MAX_TEXT = 5000


def clean(text: str | None, limit: int = MAX_TEXT) -> str:
    """Free text made safe to store anywhere: cut to limit, NUL replaced (PostgreSQL refuses it)."""
    text = (text or "")[:limit]
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


class DomainError(ValueError):
    """A request the domain refuses (unknown component, bad status, closed incident, ...)."""


def _check_component_status(status: str) -> ComponentStatus:
    try:
        return ComponentStatus(status)
    except ValueError:
        choices = ", ".join(s.value for s in ComponentStatus)
        raise DomainError(f"unknown component status {status!r} (one of {choices})") from None


def _check_incident_status(status: str) -> IncidentStatus:
    try:
        return IncidentStatus(status)
    except ValueError:
        choices = ", ".join(s.value for s in IncidentStatus)
        raise DomainError(f"unknown incident status {status!r} (one of {choices})") from None


def audit(
    session: Session, actor: str, action: str, target: str, now: datetime, **detail: Any
) -> None:
    """Record who did what to which target."""
    session.add(
        AuditEvent(
            at=now, actor=actor[:255], action=action, target=target[:255],
            detail=json.dumps(detail, default=str),
        )
    )


def enqueue(session: Session, kind: str, now: datetime, payload: dict[str, Any]) -> None:
    """Add an outbox row for the senders (notifier, IRC, live page updates)."""
    session.add(
        OutboxEntry(created_at=now, kind=kind, payload=json.dumps(payload, default=str),
                    next_attempt_at=now)
    )


def get_component(session: Session, slug: str) -> Component:
    """The visible component with this slug, or DomainError."""
    comp = session.exec(select(Component).where(Component.slug == slug)).first()
    if comp is None or not comp.visible:
        raise DomainError(f"unknown component {slug!r}")
    return comp


def _effective_status(session: Session, comp: Component) -> str:
    holds = session.exec(
        select(ComponentHold.status).where(ComponentHold.component_id == comp.id)
    ).all()
    candidates = [ComponentStatus(s) for s in holds]
    candidates.append(ComponentStatus(comp.manual_status))
    return max(candidates, key=lambda s: s.rank).value


def _refresh(session: Session, comp: Component, actor: str, reason: str, now: datetime) -> bool:
    """Recompute the shown status from holds and the manual status; record a change if any."""
    session.flush()
    new = _effective_status(session, comp)
    if new == comp.status:
        return False
    old = comp.status
    comp.status = new
    comp.updated_at = now
    session.add(comp)
    session.add(
        ComponentStatusChange(
            component_id=comp.id, old_status=old, new_status=new, at=now, actor=actor[:255],
            reason=clean(reason, MAX_TEXT),
        )
    )
    audit(session, actor, "component.status", comp.slug, now, old=old, new=new, reason=reason)
    enqueue(session, "component.status", now, {
        "component": comp.slug, "name": comp.name, "old": old, "new": new,
        "reason": reason, "actor": actor,
    })
    return True


def set_component_status(
    session: Session, slug: str, status: str, *, actor: str, reason: str = "",
    now: datetime | None = None,
) -> bool:
    """Set a component's manual status (people's word); True if what the page shows changed."""
    now = now or utcnow()
    new = _check_component_status(status)
    comp = get_component(session, slug)
    if comp.manual_status != new.value:
        comp.manual_status = new.value
        session.add(comp)
        audit(session, actor, "component.manual_status", slug, now, status=new.value, reason=reason)
    return _refresh(session, comp, actor, reason, now)


def hold_component(
    session: Session, slug: str, source: str, status: str, *, actor: str, reason: str = "",
    now: datetime | None = None,
) -> bool:
    """Put (or change) a rule's hold on a component; True if the shown status changed."""
    now = now or utcnow()
    new = _check_component_status(status)
    comp = get_component(session, slug)
    source = clean(source, 400)
    hold = session.exec(
        select(ComponentHold).where(
            ComponentHold.component_id == comp.id, ComponentHold.source == source
        )
    ).first()
    if hold is None:
        session.add(ComponentHold(component_id=comp.id, source=source, status=new.value,
                                  since=now))
    elif hold.status != new.value:
        hold.status = new.value
        session.add(hold)
    return _refresh(session, comp, actor, reason, now)


def release_component(
    session: Session, slug: str, source: str, *, actor: str, reason: str = "",
    now: datetime | None = None,
) -> bool:
    """Drop a rule's hold: the component goes back to the worst remaining hold or manual status."""
    now = now or utcnow()
    comp = get_component(session, slug)
    source = clean(source, 400)
    hold = session.exec(
        select(ComponentHold).where(
            ComponentHold.component_id == comp.id, ComponentHold.source == source
        )
    ).first()
    if hold is None:
        return False
    session.delete(hold)
    return _refresh(session, comp, actor, reason, now)


def _incident_payload(session: Session, inc: Incident) -> dict[str, Any]:
    slugs = session.exec(
        select(Component.slug)
        .join(IncidentComponent, IncidentComponent.component_id == Component.id)
        .where(IncidentComponent.incident_id == inc.id)
    ).all()
    return {"id": inc.id, "title": inc.title, "status": inc.status, "impact": inc.impact,
            "components": list(slugs)}


def open_incident(
    session: Session, title: str, message: str = "", *, status: str = "investigating",
    components: Iterable[str] = (), impact: str = "minor", actor: str,
    now: datetime | None = None, rule_id: str | None = None, rule_key: str | None = None,
) -> Incident:
    """Open an incident with its first timeline entry."""
    now = now or utcnow()
    st = _check_incident_status(status)
    if st is IncidentStatus.RESOLVED:
        raise DomainError("a new incident cannot start resolved")
    if impact not in ("none", "minor", "major", "critical"):
        raise DomainError(f"unknown impact {impact!r} (none, minor, major, critical)")
    title = clean(title.strip(), 500)
    if not title:
        raise DomainError("an incident needs a title")
    comps = [get_component(session, slug) for slug in components]
    inc = Incident(title=title, status=st.value, impact=impact, created_at=now, updated_at=now,
                   actor=actor[:255], rule_id=rule_id, rule_key=rule_key)
    session.add(inc)
    session.flush()
    for comp in comps:
        session.add(IncidentComponent(incident_id=inc.id, component_id=comp.id))
    session.add(IncidentUpdate(incident_id=inc.id, status=st.value, body=clean(message, MAX_TEXT),
                               created_at=now, actor=actor[:255]))
    session.flush()
    audit(session, actor, "incident.open", f"incident:{inc.id}", now, title=title,
          status=st.value, components=[c.slug for c in comps])
    enqueue(session, "incident.opened", now, _incident_payload(session, inc) | {"message": message})
    return inc


def _open_incident_or_error(session: Session, incident_id: int) -> Incident:
    inc = session.get(Incident, incident_id)
    if inc is None:
        raise DomainError(f"no incident {incident_id}")
    return inc


def update_incident(
    session: Session, incident_id: int, status: str, message: str, *, actor: str,
    now: datetime | None = None,
) -> Incident:
    """Post a timeline update and set the incident's status (resolving goes through here too)."""
    now = now or utcnow()
    st = _check_incident_status(status)
    inc = _open_incident_or_error(session, incident_id)
    if inc.status == IncidentStatus.RESOLVED.value and st is not IncidentStatus.RESOLVED:
        # Reopening is allowed: the timeline shows it.
        inc.resolved_at = None
    if inc.status == IncidentStatus.RESOLVED.value and st is IncidentStatus.RESOLVED:
        raise DomainError(f"incident {incident_id} is already resolved")
    inc.status = st.value
    inc.updated_at = now
    if st is IncidentStatus.RESOLVED:
        inc.resolved_at = now
    session.add(inc)
    session.add(IncidentUpdate(incident_id=inc.id, status=st.value, body=clean(message, MAX_TEXT),
                               created_at=now, actor=actor[:255]))
    session.flush()
    action = "incident.resolve" if st is IncidentStatus.RESOLVED else "incident.update"
    audit(session, actor, action, f"incident:{inc.id}", now, status=st.value, message=message)
    kind = "incident.resolved" if st is IncidentStatus.RESOLVED else "incident.updated"
    enqueue(session, kind, now, _incident_payload(session, inc) | {"message": message})
    return inc


def resolve_incident(
    session: Session, incident_id: int, message: str = "This incident has been resolved.", *,
    actor: str, now: datetime | None = None,
) -> Incident:
    """Resolve an incident with a last timeline entry."""
    return update_incident(session, incident_id, IncidentStatus.RESOLVED.value, message,
                           actor=actor, now=now)


def open_rule_incident(session: Session, rule_id: str, rule_key: str) -> Incident | None:
    """The unresolved incident a rule opened for this key, if any."""
    return session.exec(
        select(Incident).where(
            Incident.rule_id == rule_id, Incident.rule_key == rule_key,
            Incident.status != IncidentStatus.RESOLVED.value,
        )
    ).first()


def maintenance_source(maintenance_id: int) -> str:
    """The hold name a maintenance puts on its components."""
    return f"maint:{maintenance_id}"


def _maintenance_payload(session: Session, m: Maintenance) -> dict[str, Any]:
    slugs = session.exec(
        select(Component.slug)
        .join(MaintenanceComponent, MaintenanceComponent.component_id == Component.id)
        .where(MaintenanceComponent.maintenance_id == m.id)
    ).all()
    return {"id": m.id, "title": m.title, "status": m.status,
            "scheduled_for": m.scheduled_for.isoformat(),
            "scheduled_until": m.scheduled_until.isoformat(), "components": list(slugs)}


def _maintenance_step(
    session: Session, m: Maintenance, status: MaintenanceStatus, message: str, actor: str,
    now: datetime,
) -> None:
    """Move a maintenance to status: holds, timeline entry, audit and outbox."""
    m.status = status.value
    m.updated_at = now
    slugs = _maintenance_payload(session, m)["components"]
    if status is MaintenanceStatus.IN_PROGRESS:
        m.started_at = now
        for slug in slugs:
            hold_component(session, slug, maintenance_source(m.id), "under_maintenance",
                           actor=actor, reason=m.title, now=now)
    elif status is MaintenanceStatus.COMPLETED:
        m.completed_at = now
        for slug in slugs:
            release_component(session, slug, maintenance_source(m.id), actor=actor,
                               reason=f"maintenance {m.id} completed", now=now)
    session.add(m)
    session.add(MaintenanceUpdate(maintenance_id=m.id, status=status.value,
                                  body=clean(message), created_at=now, actor=clean(actor, 255)))
    session.flush()
    audit(session, actor, f"maintenance.{status.value}", f"maintenance:{m.id}", now,
          message=message)
    enqueue(session, f"maintenance.{status.value}", now,
            _maintenance_payload(session, m) | {"message": message})


def schedule_maintenance(
    session: Session, title: str, message: str = "", *, components: Iterable[str],
    start: datetime, end: datetime, actor: str, now: datetime | None = None,
) -> Maintenance:
    """Plan maintenance; it starts (components under_maintenance) and ends on its own."""
    now = now or utcnow()
    title = clean(title.strip(), 500)
    if not title:
        raise DomainError("a maintenance needs a title")
    if end <= start:
        raise DomainError("a maintenance must end after it starts")
    if end <= now:
        raise DomainError("that maintenance would already be over")
    comps = [get_component(session, slug) for slug in components]
    if not comps:
        raise DomainError("a maintenance needs at least one component")
    m = Maintenance(title=title, scheduled_for=start, scheduled_until=end, created_at=now,
                    updated_at=now, actor=clean(actor, 255))
    session.add(m)
    session.flush()
    for comp in comps:
        session.add(MaintenanceComponent(maintenance_id=m.id, component_id=comp.id))
    session.add(MaintenanceUpdate(maintenance_id=m.id, status=m.status, body=clean(message),
                                  created_at=now, actor=clean(actor, 255)))
    session.flush()
    audit(session, actor, "maintenance.schedule", f"maintenance:{m.id}", now, title=title,
          start=start.isoformat(), end=end.isoformat(), components=[c.slug for c in comps])
    enqueue(session, "maintenance.scheduled", now,
            _maintenance_payload(session, m) | {"message": message})
    if start <= now:
        _maintenance_step(session, m, MaintenanceStatus.IN_PROGRESS, "Maintenance has started.",
                          actor, now)
    return m


def complete_maintenance(
    session: Session, maintenance_id: int, message: str = "Maintenance has completed.", *,
    actor: str, now: datetime | None = None,
) -> Maintenance:
    """End a maintenance now (early or on time); its components go back."""
    now = now or utcnow()
    m = session.get(Maintenance, maintenance_id)
    if m is None:
        raise DomainError(f"no maintenance {maintenance_id}")
    if m.status == MaintenanceStatus.COMPLETED.value:
        raise DomainError(f"maintenance {maintenance_id} is already completed")
    _maintenance_step(session, m, MaintenanceStatus.COMPLETED, message, actor, now)
    return m


def advance_maintenance(db: Engine, now: datetime | None = None) -> int:
    """Start maintenances whose time has come and complete those whose time is up."""
    now = now or utcnow()
    steps = 0
    with transaction(db) as session:
        due = session.exec(select(Maintenance).where(
            Maintenance.status != MaintenanceStatus.COMPLETED.value,
            Maintenance.scheduled_for <= now)).all()
        for m in due:
            if m.status == MaintenanceStatus.SCHEDULED.value:
                _maintenance_step(session, m, MaintenanceStatus.IN_PROGRESS,
                                  "Maintenance has started.", "system", now)
                steps += 1
            if m.scheduled_until <= now:
                _maintenance_step(session, m, MaintenanceStatus.COMPLETED,
                                  "Maintenance has completed.", "system", now)
                steps += 1
    return steps


def raise_alert(
    session: Session, rule_id: str, key: str, severity: str, title: str, *,
    device: str | None = None, now: datetime | None = None,
) -> tuple[Alert, bool]:
    """Open an alert, or bump the count of the open one for this rule and key; (alert, is_new)."""
    now = now or utcnow()
    key = clean(key, 400)
    device = clean(device, 255) if device else None
    alert = session.exec(
        select(Alert).where(
            Alert.rule_id == rule_id, Alert.key == key, Alert.state != AlertState.CLOSED.value
        )
    ).first()
    if alert is not None:
        alert.count += 1
        alert.last_at = max(alert.last_at, now)
        session.add(alert)
        return alert, False
    alert = Alert(rule_id=rule_id, key=key, severity=severity, title=clean(title, 500),
                  device=device, first_at=now, last_at=now)
    session.add(alert)
    session.flush()
    audit(session, f"rule:{rule_id}", "alert.raise", f"alert:{alert.id}", now, title=title,
          severity=severity)
    enqueue(session, "alert.raised", now, {"id": alert.id, "rule": rule_id, "key": key,
                                           "severity": severity, "title": alert.title,
                                           "device": device})
    return alert, True


def set_alert_state(
    session: Session, alert_id: int, state: str, *, actor: str, now: datetime | None = None
) -> Alert:
    """Acknowledge or close an alert."""
    now = now or utcnow()
    try:
        st = AlertState(state)
    except ValueError:
        raise DomainError(f"unknown alert state {state!r}") from None
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise DomainError(f"no alert {alert_id}")
    if alert.state == AlertState.CLOSED.value:
        raise DomainError(f"alert {alert_id} is closed")
    alert.state = st.value
    if st is AlertState.ACKNOWLEDGED:
        alert.acknowledged_by = actor[:255]
    if st is AlertState.CLOSED:
        alert.closed_at = now
    session.add(alert)
    audit(session, actor, f"alert.{st.value}", f"alert:{alert_id}", now)
    enqueue(session, f"alert.{st.value}", now, {"id": alert_id, "actor": actor})
    return alert


def overall_status(statuses: Sequence[str]) -> str:
    """The worst of the given component statuses (operational when there are none)."""
    worst = ComponentStatus.OPERATIONAL
    for s in statuses:
        cs = ComponentStatus(s)
        if cs.rank > worst.rank:
            worst = cs
    return worst.value


def pending_outbox(session: Session) -> int:
    """How many outbox rows wait for delivery."""
    return session.exec(
        select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state == "pending")
    ).one()


def sync_components(db: Engine, components: list[ComponentSettings]) -> None:
    """Make the component and group tables match the config (by slug); hide removed ones."""
    with transaction(db) as session:
        groups = {g.name: g for g in session.exec(select(ComponentGroup)).all()}
        # Groups and ungrouped components share one scale of positions: config order.
        first: dict[str, int] = {}
        for index, comp in enumerate(components):
            if comp.group:
                first.setdefault(comp.group, index)
        for name, position in first.items():
            group = groups.get(name) or ComponentGroup(name=name)
            group.position = position
            session.add(group)
            session.flush()
            groups[name] = group
        existing = {c.slug: c for c in session.exec(select(Component)).all()}
        wanted = set()
        for position, comp in enumerate(components):
            wanted.add(comp.slug)
            row = existing.get(comp.slug) or Component(slug=comp.slug, name=comp.name)
            row.name = comp.name
            row.description = comp.description
            row.group_id = groups[comp.group].id if comp.group else None
            row.position = position
            row.devices = json.dumps(comp.devices)
            row.visible = True
            session.add(row)
        for slug, row in existing.items():
            if slug not in wanted and row.visible:
                row.visible = False
                session.add(row)


def release_orphans(db: Engine, rule_ids: set[str], now: datetime | None = None) -> int:
    """Release holds and resolve incidents of rules no longer configured (or switched off)."""
    now = now or utcnow()
    released = 0

    def owner(source: str) -> str | None:
        body = source.removeprefix("rule:")
        return next((rid for rid in rule_ids if body.startswith(rid + ":")), None)

    with transaction(db) as session:
        for hold in session.exec(select(ComponentHold)).all():
            if hold.source.startswith("rule:") and owner(hold.source) is None:
                comp = session.get(Component, hold.component_id)
                if comp is None:
                    continue
                session.delete(hold)
                _refresh(session, comp, "system", "rule removed or disabled", now)
                released += 1
        for inc in session.exec(select(Incident).where(
                Incident.rule_id.is_not(None),  # type: ignore[union-attr]
                Incident.status != IncidentStatus.RESOLVED.value)).all():
            if inc.rule_id not in rule_ids:
                update_incident(session, inc.id, IncidentStatus.RESOLVED.value,
                                "This incident has been resolved.", actor="system", now=now)
                released += 1
    return released
