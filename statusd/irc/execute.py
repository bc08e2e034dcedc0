"""Carry out parsed commands and topic edits through the domain module, as actor irc:<nick>."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from statusd import status as domain
from statusd.irc.commands import (
    USAGE,
    Ack,
    Command,
    Help,
    OpenIncident,
    ResolveIncident,
    ScheduleMaintenance,
    SetStatus,
    Status,
    UpdateIncident,
    is_read_only,
)
from statusd.irc.text import sanitize
from statusd.irc.topic import ComponentView, TopicEdit
from statusd.models import (
    AlertState,
    Component,
    Incident,
    IncidentComponent,
    IncidentStatus,
    Maintenance,
    MaintenanceComponent,
    MaintenanceStatus,
)

REFUSAL = ("sorry, only statusd operators may change anything here; "
           "!status and !help are open to everyone")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a command, and whether they may change things."""

    nick: str
    operator: bool

    @property
    def actor(self) -> str:
        """The audit-log actor for this caller."""
        return f"irc:{sanitize(self.nick, 50)}"


def stamp(when: datetime) -> str:
    """A compact UTC time for replies."""
    return when.strftime("%Y-%m-%d %H:%M UTC")


def load_components(session: Session) -> list[ComponentView]:
    """Visible components in page order."""
    rows = session.exec(
        select(Component).where(col(Component.visible).is_(True))
        .order_by(col(Component.position), col(Component.name), col(Component.id))
    ).all()
    return [ComponentView(c.slug, c.name, c.status) for c in rows]


def _resolve(session: Session, word: str) -> str:
    """The slug of the component named by word (slug, or name in any case)."""
    comps = load_components(session)
    for c in comps:
        if c.slug == word:
            return c.slug
    for c in comps:
        if c.name.casefold() == word.casefold():
            return c.slug
    known = ", ".join(c.slug for c in comps[:15]) + (", …" if len(comps) > 15 else "")
    raise domain.DomainError(f"unknown component {sanitize(word, 40)!r} (known: "
                             f"{known or 'none'})")


def execute(session: Session, cmd: Command, caller: Caller, now: datetime,
            base_url: str = "") -> list[str]:
    """Run one command; the reply as items (the bot packs them into lines)."""
    if not is_read_only(cmd) and not caller.operator:
        return [REFUSAL]
    try:
        return _run(session, cmd, caller, now, base_url.rstrip("/"))
    except domain.DomainError as exc:
        session.rollback()
        return [sanitize(str(exc), 300)]


def _run(session: Session, cmd: Command, caller: Caller, now: datetime,
         base_url: str) -> list[str]:
    actor = caller.actor
    if isinstance(cmd, Help):
        if cmd.topic:
            return [USAGE[cmd.topic]]
        return ["commands: !status [component], !set, !incident open|update|resolve, !maint, "
                "!ack, !help <command> for details — everyone may ask, operators may change"]
    if isinstance(cmd, Status):
        return status_items(session, now, _resolve(session, cmd.component) if cmd.component
                            else None)
    if isinstance(cmd, SetStatus):
        slug = _resolve(session, cmd.component)
        changed = domain.set_component_status(session, slug, cmd.status, actor=actor,
                                              reason=cmd.message, now=now)
        shown = domain.get_component(session, slug).status
        if changed or shown == cmd.status:
            return [f"{slug} is now {shown}"]
        return [f"{slug} set to {cmd.status}, but it shows {shown}: a rule or a maintenance "
                "holds it"]
    if isinstance(cmd, OpenIncident):
        slugs = [_resolve(session, w) for w in cmd.components]
        inc = domain.open_incident(session, cmd.title, "", status=cmd.status, components=slugs,
                                   actor=actor, now=now)
        return [f"incident #{inc.id} opened ({inc.status}): {inc.title}{_link(base_url, inc)}"]
    if isinstance(cmd, UpdateIncident):
        inc = domain.update_incident(session, cmd.incident_id, cmd.status, cmd.message,
                                     actor=actor, now=now)
        return [f"incident #{inc.id} updated ({inc.status}): {inc.title}"]
    if isinstance(cmd, ResolveIncident):
        inc = domain.resolve_incident(session, cmd.incident_id,
                                      cmd.message or "This incident has been resolved.",
                                      actor=actor, now=now)
        return [f"incident #{inc.id} resolved: {inc.title}"]
    if isinstance(cmd, ScheduleMaintenance):
        slugs = [_resolve(session, w) for w in cmd.components]
        m = domain.schedule_maintenance(session, cmd.title, "", components=slugs, start=cmd.start,
                                        end=cmd.end, actor=actor, now=now)
        return [f"maintenance #{m.id} {m.status}: {m.title} ({', '.join(slugs)}, "
                f"{stamp(m.scheduled_for)} → {stamp(m.scheduled_until)})"]
    if isinstance(cmd, Ack):
        alert = domain.set_alert_state(session, cmd.alert_id, AlertState.ACKNOWLEDGED.value,
                                       actor=actor, now=now)
        return [f"alert #{alert.id} acknowledged: {sanitize(alert.title, 200)}"]
    raise AssertionError(f"unhandled command {cmd!r}")


def _link(base_url: str, inc: Incident) -> str:
    return f" {base_url}/incidents/{inc.id}" if base_url else ""


def status_items(session: Session, now: datetime, slug: str | None = None) -> list[str]:
    """The !status answer: the worst first, then incidents, maintenance and the rest."""
    comps = load_components(session)
    if slug is not None:
        comps = [c for c in comps if c.slug == slug]
    incidents = _open_incidents(session, slug)
    maintenances = _planned(session, slug)
    items: list[str] = []
    bad = [c for c in comps if c.status != "operational"]
    if slug is not None and comps:
        c = comps[0]
        since = session.exec(select(Component.updated_at).where(Component.slug == slug)).one()
        items.append(f"{sanitize(c.name, 60)} ({c.slug}): {c.status} since {stamp(since)}")
    elif not comps:
        items.append("no components configured")
    elif not bad:
        items.append(f"all {len(comps)} components operational")
    else:
        items.append(f"{len(bad)} of {len(comps)} components affected")
        items.extend(f"{sanitize(c.name, 60)}: {c.status}" for c in bad)
    items.extend(f"incident #{inc.id} ({inc.status}): {sanitize(inc.title, 150)}"
                 for inc in incidents)
    for m in maintenances:
        if m.status == MaintenanceStatus.IN_PROGRESS.value:
            items.append(f"maintenance #{m.id} in progress until {stamp(m.scheduled_until)}: "
                         f"{sanitize(m.title, 150)}")
        else:
            items.append(f"maintenance #{m.id} from {stamp(m.scheduled_for)} to "
                         f"{stamp(m.scheduled_until)}: {sanitize(m.title, 150)}")
    good = [sanitize(c.name, 60) for c in comps if c.status == "operational"]
    if slug is None and bad and good:
        items.append("operational: " + ", ".join(good))
    return items


def _open_incidents(session: Session, slug: str | None) -> list[Incident]:
    stmt = select(Incident).where(Incident.status != IncidentStatus.RESOLVED.value)
    if slug is not None:
        stmt = (stmt.join(IncidentComponent, col(IncidentComponent.incident_id) == Incident.id)
                .join(Component, col(Component.id) == IncidentComponent.component_id)
                .where(Component.slug == slug))
    return list(session.exec(stmt.order_by(col(Incident.id).desc()).limit(20)).all())


def _planned(session: Session, slug: str | None) -> list[Maintenance]:
    stmt = select(Maintenance).where(Maintenance.status != MaintenanceStatus.COMPLETED.value)
    if slug is not None:
        stmt = (stmt.join(MaintenanceComponent,
                          col(MaintenanceComponent.maintenance_id) == Maintenance.id)
                .join(Component, col(Component.id) == MaintenanceComponent.component_id)
                .where(Component.slug == slug))
    return list(session.exec(stmt.order_by(col(Maintenance.scheduled_for)).limit(20)).all())


def apply_topic(session: Session, edit: TopicEdit, caller: Caller, now: datetime) -> list[str]:
    """Apply an operator's topic edit: each changed status goes through the domain."""
    notes: list[str] = []
    comps = load_components(session)
    for slug, new in edit.changes(comps).items():
        domain.set_component_status(session, slug, new, actor=caller.actor,
                                    reason="topic edit", now=now)
        shown = domain.get_component(session, slug).status
        if shown == new:
            notes.append(f"{slug} is now {new}")
        else:
            notes.append(f"{slug} set to {new}, but it shows {shown}: a rule or a maintenance "
                         "holds it")
    if edit.unknown:
        notes.append("not understood: " + " | ".join(sanitize(u, 60) for u in edit.unknown[:5]))
    return notes
