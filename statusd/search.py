"""Search the archive of received lines: words, "phrases", field=value, device, service, level."""

from __future__ import annotations

import fnmatch
import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Engine

from statusd.archive import id_windows
from statusd.durations import parse_duration
from statusd.ingest.record import SyslogRecord
from statusd.models import LogLine
from statusd.severity import Facility, Severity

T = LogLine.__table__  # type: ignore[attr-defined]
COLUMNS = {"device", "service", "program", "message_id", "taxonomy", "transport", "source",
           "pid", "msgid", "format"}


class QueryError(ValueError):
    """A search query that cannot be understood."""


@dataclass
class Query:
    """A parsed search query."""

    words: list[str] = field(default_factory=list)  # all must appear (case-insensitive)
    excluded: list[str] = field(default_factory=list)  # -word
    columns: dict[str, list[str]] = field(default_factory=dict)  # column -> values (any; globs)
    fields: dict[str, list[str]] = field(default_factory=dict)  # parsed field -> values (any)
    max_level: int | None = None  # level=warning: warning or more severe
    unknown: bool | None = None  # unknown=true / unknown=false
    noise: bool | None = None  # noise=true / noise=false (logcheck ignore rules)


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """ISO-8601 time, or a duration ago ("15m", "2h", "7d")."""
    now = now or datetime.now(UTC)
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"not a time: {text!r} (ISO-8601, or a duration ago like 2h)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_query(text: str) -> Query:
    """Split a query into words, exclusions and key=value conditions."""
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise QueryError(f"cannot read query: {exc}") from None
    q = Query()
    for tok in tokens:
        key, sep, value = tok.partition("=")
        if sep and key and value and key.replace("_", "").replace(".", "").isalnum():
            key = key.lower()
            if key == "level":
                try:
                    q.max_level = int(Severity.parse(value))
                except ValueError as exc:
                    raise QueryError(str(exc)) from None
            elif key == "unknown":
                q.unknown = value.lower() in ("1", "true", "yes")
            elif key == "noise":
                q.noise = value.lower() in ("1", "true", "yes")
            elif key in COLUMNS:
                q.columns.setdefault(key, []).append(value)
            else:
                q.fields.setdefault(key, []).append(value)
        elif tok.startswith("-") and len(tok) > 1:
            q.excluded.append(tok[1:])
        elif tok:
            q.words.append(tok)
    return q


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _column_condition(column: Any, values: list[str]) -> Any:
    parts = []
    for v in values:
        if any(c in v for c in "*?"):
            pattern = _like_escape(v).replace("*", "%").replace("?", "_")
            parts.append(column.like(pattern, escape="\\"))
        else:
            parts.append(column == v)
    return or_(*parts)


def _field_ok(fields: dict[str, Any], q: Query) -> bool:
    for key, values in q.fields.items():
        if key not in fields:
            return False
        have = str(fields[key])
        if not any(fnmatch.fnmatchcase(have, v) for v in values):
            return False
    return True


def search(
    db: Engine, query: Query, *, since: datetime | None = None, until: datetime | None = None,
    device: str | None = None, limit: int = 100,
) -> Iterator[dict[str, Any]]:
    """Matching lines, newest first, as dicts shaped like `statusd parse` output plus id."""
    conds = []
    for w in query.words:
        conds.append(T.c.message.ilike(f"%{_like_escape(w)}%", escape="\\"))
    for w in query.excluded:
        conds.append(~T.c.message.ilike(f"%{_like_escape(w)}%", escape="\\"))
    columns = dict(query.columns)
    if device:
        columns.setdefault("device", []).append(device)
    for col, values in columns.items():
        conds.append(_column_condition(T.c[col], values))
    for key in query.fields:  # prefilter; exact check below
        conds.append(T.c.fields.like(f'%"{_like_escape(key)}":%', escape="\\"))
    if query.max_level is not None:
        conds.append(T.c.level <= query.max_level)
    if query.unknown is not None:
        conds.append(T.c.service.is_(None) if query.unknown else T.c.service.is_not(None))
    if query.noise is not None:
        conds.append(T.c.noise.is_(query.noise))
    if since is not None:
        conds.append(T.c.ts >= since)
    if until is not None:
        conds.append(T.c.ts <= until)
    where = and_(*conds) if conds else None
    found = 0
    page = max(limit, 500) if query.fields else limit
    with db.connect() as conn:
        # One partition's id range at a time, newest first (statusd/archive.py: id_windows).
        for low, last_id in id_windows(conn):
            while found < limit:
                stmt = select(T).where(T.c.id >= low).order_by(T.c.id.desc()).limit(page)
                if where is not None:
                    stmt = stmt.where(where)
                if last_id is not None:
                    stmt = stmt.where(T.c.id < last_id)
                rows = conn.execute(stmt).mappings().all()
                for row in rows:
                    last_id = row["id"]
                    fields = json.loads(row["fields"] or "{}")
                    if query.fields and not _field_ok(fields, query):
                        continue
                    yield row_to_json(row, fields)
                    found += 1
                    if found >= limit:
                        return
                if len(rows) < page:
                    break


def _label(enum: type[Severity] | type[Facility], value: int | None) -> str | None:
    if value is None:
        return None
    try:
        return enum(value).label
    except ValueError:
        return str(value)


def record_json(record: SyslogRecord, device: str, match: Any) -> dict[str, Any]:
    """The `statusd parse` object for one decoded and parsed line."""
    return {
        "device": device,
        "program": record.program,
        "pid": record.pid,
        "timestamp": record.timestamp.isoformat(),
        "severity": _label(Severity, record.severity),
        "facility": _label(Facility, record.facility),
        "service": match.service if match else None,
        "message_id": match.message_id if match else None,
        "taxonomy": match.taxonomy if match else None,
        "level": Severity(match.level).label if match else _label(Severity, record.severity),
        "fields": dict(match.fields) if match else {},
        "message": record.message,
    }


def row_to_json(row: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """An archive row in the `statusd parse` shape, plus id and received_at."""
    return {
        "id": row["id"],
        "received_at": row["received_at"].isoformat(),
        "device": row["device"],
        "program": row["program"],
        "pid": row["pid"],
        "timestamp": row["ts"].isoformat(),
        "severity": _label(Severity, row["severity"]),
        "facility": _label(Facility, row["facility"]),
        "service": row["service"],
        "message_id": row["message_id"],
        "taxonomy": row["taxonomy"],
        "level": _label(Severity, row["level"]),
        "fields": fields,
        "message": row["message"],
    }
