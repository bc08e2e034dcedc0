"""SQLModel tables: devices, components, incidents, alerts, audit, outbox, rule state, archive."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from statusd.db import UTCDateTime, utcnow


class ComponentStatus(StrEnum):
    """Public component status names (Statuspage v2), best first."""

    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def rank(self) -> int:
        """Badness for picking the worst of several statuses."""
        return _COMPONENT_RANK[self]

    @property
    def label(self) -> str:
        """Human wording."""
        return self.value.replace("_", " ").capitalize()


_COMPONENT_RANK = {s: i for i, s in enumerate(ComponentStatus)}


class IncidentStatus(StrEnum):
    """Incident lifecycle."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class MaintenanceStatus(StrEnum):
    """Planned maintenance lifecycle."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class AlertState(StrEnum):
    """Alert lifecycle in the dashboard."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class AlertSeverity(StrEnum):
    """Alert severities, least first."""

    INFO = "info"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


def _ts(*, nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Device(SQLModel, table=True):
    """A sender, registered on first sight."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=255)
    address: str | None = Field(default=None, max_length=64)
    first_seen: datetime = Field(sa_column=_ts())
    last_seen: datetime = Field(sa_column=_ts())
    message_count: int = 0


class DeviceRate(SQLModel, table=True):
    """Messages per device per minute (kept two days) and per hour (kept 90 days)."""

    __tablename__ = "device_rate"
    device: str = Field(primary_key=True, max_length=255)
    granularity: str = Field(primary_key=True, max_length=1)  # "m" (minute) or "h" (hour)
    bucket: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    count: int = 0


class ComponentGroup(SQLModel, table=True):
    """A heading on the status page that components sit under."""

    __tablename__ = "component_group"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=255)
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Component(SQLModel, table=True):
    """Something customers care about: its status is what the page shows."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=100)
    name: str = Field(max_length=255)
    description: str = ""
    group_id: int | None = Field(default=None, foreign_key="component_group.id")
    position: int = 0
    status: str = ComponentStatus.OPERATIONAL.value  # shown: worst of holds and manual status
    manual_status: str = ComponentStatus.OPERATIONAL.value  # set by people (API, IRC, dashboard)
    devices: str = "[]"  # JSON list of device globs
    visible: bool = True  # false once removed from config (history kept)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ComponentHold(SQLModel, table=True):
    """A rule's claim on a component's status, held until the rule recovers."""

    __tablename__ = "component_hold"
    __table_args__ = (UniqueConstraint("component_id", "source"),)
    id: int | None = Field(default=None, primary_key=True)
    component_id: int = Field(foreign_key="component.id", index=True)
    source: str = Field(max_length=400)  # "rule:<id>:<key>"
    status: str
    since: datetime = Field(sa_column=_ts())


class ComponentStatusChange(SQLModel, table=True):
    """History: one row per change of a component's shown status."""

    __tablename__ = "component_status_change"
    id: int | None = Field(default=None, primary_key=True)
    component_id: int = Field(foreign_key="component.id", index=True)
    old_status: str
    new_status: str
    at: datetime = Field(sa_column=_ts(index=True))
    actor: str = Field(max_length=255)
    reason: str = ""


class Incident(SQLModel, table=True):
    """An incident with its timeline of updates."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    status: str = IncidentStatus.INVESTIGATING.value
    impact: str = "minor"  # none | minor | major | critical (Statuspage v2)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    resolved_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    actor: str = Field(default="system", max_length=255)
    rule_id: str | None = Field(default=None, max_length=200, index=True)
    rule_key: str | None = Field(default=None, max_length=400)


class IncidentComponent(SQLModel, table=True):
    """Which components an incident affects."""

    __tablename__ = "incident_component"
    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    component_id: int = Field(foreign_key="component.id", primary_key=True)


class IncidentUpdate(SQLModel, table=True):
    """One entry of an incident's timeline."""

    __tablename__ = "incident_update"
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    status: str
    body: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    actor: str = Field(default="system", max_length=255)


class Maintenance(SQLModel, table=True):
    """Planned work: components are held under_maintenance from start to end."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    status: str = Field(default=MaintenanceStatus.SCHEDULED.value, index=True)
    scheduled_for: datetime = Field(sa_column=_ts(index=True))
    scheduled_until: datetime = Field(sa_column=_ts())
    started_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    completed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    actor: str = Field(default="system", max_length=255)


class MaintenanceComponent(SQLModel, table=True):
    """Which components a maintenance affects."""

    __tablename__ = "maintenance_component"
    maintenance_id: int = Field(foreign_key="maintenance.id", primary_key=True)
    component_id: int = Field(foreign_key="component.id", primary_key=True)


class MaintenanceUpdate(SQLModel, table=True):
    """One entry of a maintenance's timeline."""

    __tablename__ = "maintenance_update"
    id: int | None = Field(default=None, primary_key=True)
    maintenance_id: int = Field(foreign_key="maintenance.id", index=True)
    status: str
    body: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    actor: str = Field(default="system", max_length=255)


class Alert(SQLModel, table=True):
    """Something a rule noticed for admins; repeats of an open alert bump its count."""

    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(max_length=200, index=True)
    key: str = Field(default="", max_length=400)
    severity: str = AlertSeverity.MAJOR.value
    title: str = Field(max_length=500)
    device: str | None = Field(default=None, max_length=255)
    state: str = Field(default=AlertState.OPEN.value, index=True)
    count: int = 1
    first_at: datetime = Field(sa_column=_ts())
    last_at: datetime = Field(sa_column=_ts(index=True))
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    acknowledged_by: str | None = None


class AuditEvent(SQLModel, table=True):
    """Who changed what, from any source."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    actor: str = Field(max_length=255)  # "rule:<id>", "api:<token>", "irc:<nick>", "admin:<user>"
    action: str = Field(max_length=100)
    target: str = Field(max_length=255)
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))


class OutboxEntry(SQLModel, table=True):
    """A change waiting to be delivered; senders claim rows, nothing sends inline."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    kind: str = Field(max_length=50)  # component.status, incident.opened, alert.raised, ...
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    state: str = Field(default="pending", index=True)  # pending | done | failed
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    claimed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str | None = None


class OutboxCursor(SQLModel, table=True):
    """How far one consumer (notifier, IRC bot, ...) has read the outbox."""

    __tablename__ = "outbox_cursor"
    consumer: str = Field(primary_key=True, max_length=100)
    last_id: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class DeliveryState(StrEnum):
    """Where one notification delivery stands (statusd/notify/sender.py)."""

    PENDING = "pending"  # waiting for next_attempt_at (first try or a retry)
    SENDING = "sending"  # claimed by a sender; reclaimed if it stays here too long
    SENT = "sent"
    FAILED = "failed"  # permanent error (unknown channel or URL): not retried
    DEAD = "dead"  # still failing after notify.max_attempts tries
    CANCELLED = "cancelled"  # no longer wanted (the subscriber left before it went out)


class Delivery(SQLModel, table=True):
    """One message to one channel URL or one subscriber, expanded from an outbox change."""

    __tablename__ = "notify_delivery"
    __table_args__ = (
        UniqueConstraint("outbox_id", "channel", "target"),
        Index("ix_notify_delivery_due", "state", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int | None = Field(default=None, index=True)  # None: a confirmation mail
    kind: str = Field(max_length=50)  # the change kind, or subscriber.confirm
    channel: str = Field(max_length=100, index=True)  # [notify.channels] name or "subscribers"
    target: str = Field(max_length=320)  # URL fingerprint, or the subscriber's address
    subscriber_id: int | None = Field(default=None, index=True)
    subject: str = Field(max_length=500)
    body: str = Field(sa_column=Column(Text, nullable=False))
    headers: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    state: str = Field(default=DeliveryState.PENDING.value, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    claimed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Subscriber(SQLModel, table=True):
    """An email subscriber (double opt-in); the token confirms and unsubscribes."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=320)  # lower-cased
    token: str = Field(max_length=64)  # random; goes into every link mailed to them
    token_hash: str = Field(unique=True, index=True, max_length=64)  # sha256(token): lookups
    components: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # [] = all
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    confirmed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    unsubscribed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class RuleState(SQLModel, table=True):
    """The rule engine's open windows and pending recoveries, per rule, saved with each batch."""

    __tablename__ = "rule_state"
    rule_id: str = Field(primary_key=True, max_length=200)
    state: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class FilePosition(SQLModel, table=True):
    """How far a followed [[file]] was stored: its identity, offset and first line's hash."""

    __tablename__ = "file_position"
    path: str = Field(primary_key=True, max_length=1024)
    dev: int = Field(sa_column=Column(BigInteger, nullable=False))
    inode: int = Field(sa_column=Column(BigInteger, nullable=False))
    offset: int = Field(sa_column=Column(BigInteger, nullable=False))
    head: str = Field(default="", max_length=64)  # sha256 of the first line ("" not known yet)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class InboxLine(SQLModel, table=True):
    """Received lines durably accepted, not yet through the pipeline (statusd/ingest/inbox.py)."""

    # One row holds one or more lines received together (same time, source, transport, format,
    # device and program): `data` is their bytes end to end, `sizes` their lengths (uint32
    # little-endian; NULL for one line). Written raw by stage 1 (one driver executemany per
    # batch), read in id order and deleted by stage 2 in the transaction that archives the
    # lines. Ids only grow (SQLite AUTOINCREMENT).

    __tablename__ = "inbox"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, sa_column=Column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    received_at: datetime = Field(sa_column=_ts())
    transport: str = Field(sa_column=Column(Text, nullable=False))
    source: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    fmt: str = Field(default="auto", sa_column=Column(Text, nullable=False))
    device: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    program: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    lines: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    sizes: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LogLine(SQLModel, table=True):
    """The archive: every received line, parsed or unknown. Written per batch with Core inserts."""

    __tablename__ = "log_line"
    # One index (ts, near-monotonic, cheap to append to): each extra index on the archive costs
    # as much per line as the rest of the insert. Searches run newest-first by id.
    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(sa_column=_ts())
    ts: datetime = Field(sa_column=_ts(index=True))
    device: str = Field(max_length=255)
    source: str | None = Field(default=None, max_length=64)
    transport: str = Field(default="raw", max_length=16)
    facility: int | None = None
    severity: int | None = None
    program: str | None = Field(default=None, max_length=64)
    pid: str | None = Field(default=None, max_length=32)
    msgid: str | None = Field(default=None, max_length=64)
    service: str | None = Field(default=None, max_length=100)
    message_id: str | None = Field(default=None, max_length=200)
    taxonomy: str | None = Field(default=None, max_length=100)
    level: int = 6
    fields: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    message: str = Field(sa_column=Column(Text, nullable=False))
    structured_data: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    format: str = Field(default="raw", max_length=10)
    # Matched a logcheck ignore rule (config `noise`): kept, but never alerts, not "unknown".
    noise: bool = Field(default=False, sa_column=Column(Boolean, nullable=False,
                                                        server_default=false()))


class User(SQLModel, table=True):
    """A dashboard user (statusd user add); the password is an argon2 hash."""

    __tablename__ = "admin_user"  # "user" is a reserved word in PostgreSQL
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="viewer", max_length=20)  # admin | operator | viewer
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_login_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    disabled: bool = False
    session_epoch: int = 0  # bumped by a password change or disabling: older sessions end


class AdminSecret(SQLModel, table=True):
    """A secret generated once and shared by every process (the session-signing key)."""

    __tablename__ = "admin_secret"
    name: str = Field(primary_key=True, max_length=50)
    value: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


# The archive is not a plain table: day partitions (statusd/archive.py), which metadata
# create_all and drop_all build and drop through events. Imported last: it needs LogLine.
from statusd.archive import manage as _manage_archive  # noqa: E402

_manage_archive(SQLModel.metadata, LogLine.__table__)  # type: ignore[attr-defined]
