"""The pipeline: decode, parse and correlate one line at a time; store, count and act per batch."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, select

from statusd.archive import ArchiveWriter
from statusd.db import utcnow
from statusd.ingest.syslog import decode
from statusd.metrics import Registry
from statusd.models import Device, DeviceRate, LogLine, RuleState
from statusd.rules.actions import ActionRunner
from statusd.rules.engine import Decision, RuleEngine
from statusd.rules.event import Event
from statusd.rules.noise import NoiseRules
from statusd.rules.services import ServiceLibrary

log = logging.getLogger(__name__)

LOG_TABLE = LogLine.__table__  # type: ignore[attr-defined]
DEVICE_TABLE = Device.__table__  # type: ignore[attr-defined]
RULE_STATE_TABLE = RuleState.__table__  # type: ignore[attr-defined]
RATE_TABLE = DeviceRate.__table__  # type: ignore[attr-defined]


ARCHIVE_COLUMNS = (
    "received_at", "ts", "device", "source", "transport", "facility", "severity", "program", "pid",
    "msgid", "service", "message_id", "taxonomy", "level", "fields", "message", "structured_data",
    "format", "noise",
)
_FIELDS_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _naive_utc(value: datetime) -> datetime:
    """What UTCDateTime stores: naive UTC (the decoder already hands out UTC)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None)


def _sqlite_stamp(value: datetime) -> str:
    """UTCDateTime as SQLAlchemy writes it to SQLite (sortable text, microseconds)."""
    return _naive_utc(value).isoformat(sep=" ", timespec="microseconds")


@dataclass(slots=True)
class RawLine:
    """One received frame or file line, before decoding."""

    data: bytes | str
    received_at: datetime
    source: str | None = None  # peer "ip:port" or "ip"
    transport: str = "udp"
    fmt: str = "auto"  # auto | rfc3164 | rfc5424 | raw
    device: str | None = None  # forced device name (ingest --device, [[file]] device)
    program: str | None = None  # program for lines that carry no header ([[file]] program)
    # Called by the runtime's worker, in the event loop, once the line's batch is committed
    # (or the line is given up on and counted as dropped): RELP answers the sender then.
    ack: Callable[[], None] | None = None


def _clip(value: str | None, n: int) -> str | None:
    """Cut to the column's size and replace NUL, which PostgreSQL text refuses."""
    if value is None:
        return None
    if len(value) > n:
        value = value[:n]
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def source_host(source: str | None) -> str | None:
    """The address part of "ip:port", "[v6]:port" or "ip"."""
    if not source:
        return None
    if source.startswith("["):
        return source[1:].partition("]")[0]
    if source.count(":") == 1:
        return source.partition(":")[0]
    return source


class Pipeline:
    """Owns the rule engine; one thread at a time calls process_batch() or tick()."""

    def __init__(
        self, db: Engine, library: ServiceLibrary, rules: RuleEngine, actions: ActionRunner,
        metrics: Registry, default_device: str, noise: NoiseRules | None = None,
    ):
        self.db = db
        self.library = library
        self.rules = rules
        self.actions = actions
        self.metrics = metrics
        self.default_device = default_device[:255]
        self.noise = noise or None  # logcheck ignore rules; None when there are none
        self._known_devices: set[str] = set()
        self._lock = threading.Lock()
        self._timeouts_seen = 0
        # The archive insert skips SQLAlchemy's per-row compilation: one driver executemany
        # per day partition of the batch (statusd/archive.py).
        self._archive = ArchiveWriter(db, ARCHIVE_COLUMNS)
        self._stamp = _sqlite_stamp if db.dialect.name == "sqlite" else _naive_utc

    def load_state(self) -> None:
        """Restore the rule engine's windows and pending recoveries from the database."""
        with Session(self.db) as session:
            for row in session.exec(select(RuleState)).all():
                try:
                    self.rules.restore_rule(row.rule_id, json.loads(row.state))
                except (ValueError, TypeError, KeyError) as exc:
                    log.warning("rule %s: saved state unreadable, starting afresh: %s",
                                row.rule_id, exc)
            self._known_devices = set(session.exec(select(Device.name)).all())
        self.rules.clear_dirty()

    def process_batch(self, lines: Sequence[RawLine], *,
                      in_transaction: Callable[[Connection], None] | None = None) -> int:
        """Decode, parse, correlate and store a batch in one transaction; returns lines stored.

        in_transaction runs last inside that transaction, before the commit (the inbox deletes
        the rows it handed over, statusd/ingest/inbox.py); if it raises, nothing is committed.
        """
        if not lines:
            return 0
        with self._lock:
            return self._process(lines, in_transaction)

    def _process(self, lines: Sequence[RawLine],
                 in_transaction: Callable[[Connection], None] | None = None) -> int:
        rows: list[tuple[Any, ...]] = []
        stamp = self._stamp
        dumps = _FIELDS_JSON.encode
        last_received: datetime | None = None
        received: Any = None
        minute: datetime | None = None
        decisions: list[Decision] = []
        devices: dict[str, list[Any]] = {}  # name -> [address, first, last, count]
        unknown = invalid = 0
        match = self.library.match
        process = self.rules.process
        noisy = self.noise.matches_record if self.noise is not None else None
        for line in lines:
            record = decode(line.data, received_at=line.received_at, source=line.source,
                            transport=line.transport, fmt=line.fmt)
            if record.program is None and line.program:
                record.program = line.program
            device = (line.device or record.hostname or source_host(line.source)
                      or self.default_device)
            if len(device) > 255 or "\x00" in device:
                device = _clip(device, 255) or self.default_device
            m = match(record.program, record.message)
            if m is None:
                unknown += 1
            if record.invalid_utf8:
                invalid += 1
            if record.received_at is not last_received:
                last_received = record.received_at
                received = stamp(last_received)
                minute = last_received.replace(second=0, microsecond=0)
            is_noise = noisy is not None and noisy(record, device)
            event = Event(record=record, device=device, match=m, noise=is_noise)
            decisions.extend(process(event))
            dev = devices.get(device)
            if dev is None:
                devices[device] = [source_host(line.source), record.received_at,
                                   record.received_at, 1, {minute: 1}]
            else:
                dev[2] = max(dev[2], record.received_at)
                dev[3] += 1
                dev[4][minute] = dev[4].get(minute, 0) + 1
            if "\x00" in record.raw or len(record.raw) > 4000:  # rare: clip and clean each
                row = (
                    _clip(line.source, 64), _clip(record.program, 64), _clip(record.pid, 32),
                    _clip(record.msgid, 64), _clip(record.message, 1 << 20),
                    _clip(record.structured_data, 1 << 16),
                )
            else:  # the common case: short and clean; only the header fields can be too long
                pid, program, msgid = record.pid, record.program, record.msgid
                row = (
                    line.source,
                    program if program is None or len(program) <= 64 else program[:64],
                    pid if pid is None or len(pid) <= 32 else pid[:32],
                    msgid if msgid is None or len(msgid) <= 64 else msgid[:64],
                    record.message, record.structured_data,
                )
            if m is None:
                rows.append((
                    received, stamp(record.timestamp), device, row[0], line.transport,
                    record.facility, record.severity, row[1], row[2], row[3], None, None, None,
                    event.level, "{}", row[4], row[5], record.format, is_noise,
                ))
            else:
                rows.append((
                    received, stamp(record.timestamp), device, row[0], line.transport,
                    record.facility, record.severity, row[1], row[2], row[3], m.service,
                    m.message_id, m.taxonomy, m.level, dumps(m.fields), row[4], row[5],
                    record.format, is_noise,
                ))
        parts = self._archive.split(rows)  # by received day; makes missing partitions
        with Session(self.db) as session:
            self._archive.write(session.connection(), parts)
            self._store_devices(session, devices)
            self.actions.apply(session, decisions)
            self._save_rule_state(session)
            if in_transaction is not None:
                in_transaction(session.connection())
            session.commit()
        self.rules.clear_dirty()
        self._count(len(rows), unknown, invalid, decisions)
        return len(rows)

    def replace_library(self, library: ServiceLibrary) -> None:
        """Swap in another service library between two batches (a reload, docs/admin.md)."""
        with self._lock:
            self.library = library
            self._timeouts_seen = library.timeouts

    def database_answers(self) -> bool:
        """True when a trivial query succeeds."""
        try:
            with self.db.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def expire(self, cutoff: datetime) -> list[str]:
        """Drop the archive's day partitions before cutoff's UTC day (kept); returns their names."""
        return self._archive.expire(cutoff)

    def tick(self, now: datetime | None = None) -> int:
        """Let time pass with no events (absences, recoveries); returns decisions applied."""
        with self._lock:
            decisions = self.rules.advance(now or utcnow())
            if not decisions and not self.rules.dirty_rules():
                return 0
            with Session(self.db) as session:
                self.actions.apply(session, decisions)
                self._save_rule_state(session)
                session.commit()
            self.rules.clear_dirty()
            self._count(0, 0, 0, decisions)
            return len(decisions)

    def _count(self, stored: int, unknown: int, invalid: int, decisions: list[Decision]) -> None:
        m = self.metrics
        if stored:
            m.stored.inc(stored)
            m.batches.inc()
        if unknown:
            m.unknown.inc(unknown)
        if invalid:
            m.dropped.inc(invalid, transport="any", reason="invalid_utf8_replaced")
        for d in decisions:
            if type(d).__name__ == "Fired":
                m.rule_firings.inc(rule=d.rule_id)
        timeouts = self.library.timeouts
        if timeouts > self._timeouts_seen:
            m.pattern_timeouts.inc(timeouts - self._timeouts_seen)
            self._timeouts_seen = timeouts

    def _store_devices(self, session: Session, devices: dict[str, list[Any]]) -> None:
        new = [name for name in devices if name not in self._known_devices]
        if new:
            existing = set(session.exec(select(Device.name).where(Device.name.in_(new))).all())
            to_insert = [
                {"name": n, "address": _clip(devices[n][0], 64), "first_seen": devices[n][1],
                 "last_seen": devices[n][2], "message_count": 0}
                for n in new if n not in existing
            ]
            if to_insert:
                session.execute(_insert_ignore(session, DEVICE_TABLE, ["name"]), to_insert)
            self._known_devices.update(new)
        stmt = (
            update(DEVICE_TABLE)
            .where(DEVICE_TABLE.c.name == _bind("b_name"))
            .values(last_seen=_bind("b_last"), message_count=DEVICE_TABLE.c.message_count
                    + _bind("b_count"))
        )
        session.connection().execute(stmt, [
            {"b_name": n, "b_last": v[2], "b_count": v[3]} for n, v in devices.items()
        ])
        self._store_rates(session, devices)

    def _store_rates(self, session: Session, devices: dict[str, list[Any]]) -> None:
        """Add the batch's counts to the per-minute and per-hour rollups of each device."""
        rows: dict[tuple[str, str, datetime], int] = {}
        for name, v in devices.items():
            for minute, n in v[4].items():
                hour = minute.replace(minute=0)
                for key in ((name, "m", minute), (name, "h", hour)):
                    rows[key] = rows.get(key, 0) + n
        table = RATE_TABLE
        stmt = _insert_dialect(session, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["device", "granularity", "bucket"],
            set_={"count": table.c.count + stmt.excluded["count"]})
        session.execute(stmt, [{"device": d, "granularity": g, "bucket": b, "count": n}
                               for (d, g, b), n in rows.items()])

    def expire_rates(self, now: datetime) -> int:
        """Drop minute rollups older than two days and hour rollups older than 90 days."""
        from sqlalchemy import delete

        t = RATE_TABLE
        with self.db.begin() as conn:
            gone = conn.execute(delete(t).where(
                ((t.c.granularity == "m") & (t.c.bucket < now - timedelta(days=2)))
                | ((t.c.granularity == "h") & (t.c.bucket < now - timedelta(days=90))))).rowcount
        return gone or 0

    def _save_rule_state(self, session: Session) -> None:
        dirty = self.rules.dirty_rules()
        if not dirty:
            return
        now = utcnow()
        rows = [{"rule_id": rid, "state": json.dumps(self.rules.rule_state(rid), default=str),
                 "updated_at": now} for rid in sorted(dirty)]
        session.execute(_upsert(session, RULE_STATE_TABLE, ["rule_id"], ["state", "updated_at"]),
                        rows)


def _bind(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


def _insert_dialect(session: Session, table: Any) -> Any:
    """The dialect's INSERT, which has on_conflict_* (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _insert_ignore(session: Session, table: Any, keys: list[str]) -> Any:
    """INSERT that skips rows whose keys exist."""
    return _insert_dialect(session, table).on_conflict_do_nothing(index_elements=keys)


def _upsert(session: Session, table: Any, keys: list[str], cols: list[str]) -> Any:
    """INSERT that overwrites cols of rows whose keys exist."""
    stmt = _insert_dialect(session, table)
    return stmt.on_conflict_do_update(index_elements=keys,
                                      set_={c: stmt.excluded[c] for c in cols})
