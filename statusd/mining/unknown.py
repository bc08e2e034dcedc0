"""The unknown-message workflow against the archive: group unknown lines, and parse them again.

Both read ``log_line`` in id order, a batch at a time, as plain rows (no ORM object per line),
so they work on archives of millions of lines.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.engine import Engine

from statusd.mining.miner import TemplateMiner
from statusd.models import LogLine
from statusd.rules.services import ServiceLibrary

T = LogLine.__table__  # type: ignore[attr-defined]
BATCH = 5000
EXAMPLES = 3
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


@dataclass
class UnknownTemplate:
    """A template of stored unknown lines of one program."""

    id: str  # stable while the template text stays the same
    program: str | None
    template: str
    count: int
    first_seen: datetime
    last_seen: datetime
    examples: list[str] = field(default_factory=list)
    severities: Counter[int] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        """The JSON shape printed by `statusd unknown --json`."""
        return {"id": self.id, "program": self.program, "template": self.template,
                "count": self.count, "first_seen": self.first_seen.isoformat(),
                "last_seen": self.last_seen.isoformat(), "examples": self.examples}


def template_id(program: str | None, template: str) -> str:
    """Short stable id of a program's template."""
    digest = hashlib.sha1(f"{program or ''}\x00{template}".encode()).hexdigest()
    return digest[:10]


@dataclass
class _Seen:
    """What one online cluster has seen."""

    count: int
    first: datetime
    last: datetime
    examples: list[str]
    severities: Counter[int]


def _unknown_rows(db: Engine, since: datetime | None, columns: list[Any],
                  batch: int) -> Iterator[Sequence[Any]]:
    """Batches of unknown rows that are not noise, in id order (keyset pagination)."""
    conds = [T.c.service.is_(None), T.c.noise.is_(False)]
    if since is not None:
        conds.append(T.c.ts >= since)
    last = 0
    while True:
        stmt = (select(T.c.id, *columns).where(and_(T.c.id > last, *conds))
                .order_by(T.c.id).limit(batch))
        with db.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def unknown_templates(db: Engine, since: datetime | None = None, *,
                      batch: int = BATCH) -> list[UnknownTemplate]:
    """Stored unknown lines grouped into templates per program, most frequent first."""
    miners: dict[str | None, TemplateMiner] = {}
    seen: dict[tuple[str | None, int], _Seen] = {}
    for rows in _unknown_rows(db, since, [T.c.ts, T.c.program, T.c.severity, T.c.message],
                              batch):
        for _, ts, program, severity, message in rows:
            miner = miners.get(program)
            if miner is None:
                miner = miners[program] = TemplateMiner()
            cid = miner.add(message)
            s = seen.get((program, cid))
            if s is None:
                seen[(program, cid)] = _Seen(1, ts, ts, [message], Counter({severity: 1})
                                             if severity is not None else Counter())
                continue
            s.count += 1
            s.first, s.last = min(s.first, ts), max(s.last, ts)
            if len(s.examples) < EXAMPLES and message not in s.examples:
                s.examples.append(message)
            if severity is not None:
                s.severities[severity] += 1
    out: list[UnknownTemplate] = []
    for program, miner in miners.items():
        for group in miner.groups():
            parts = [seen[(program, m)] for m in group.members]
            examples: list[str] = []
            for p in parts:
                examples.extend(e for e in p.examples if e not in examples)
            severities: Counter[int] = Counter()
            for p in parts:
                severities.update(p.severities)
            out.append(UnknownTemplate(
                template_id(program, group.template), program, group.template, group.count,
                min(p.first for p in parts), max(p.last for p in parts), examples[:EXAMPLES],
                severities))
    out.sort(key=lambda t: (-t.count, t.program or "", t.template))
    return out


@dataclass
class ReparseResult:
    """What a reparse did."""

    scanned: int = 0
    recognised: int = 0
    by_message: Counter[str] = field(default_factory=Counter)


def count_unknown(db: Engine, since: datetime | None) -> int:
    """How many unknown lines a reparse would read."""
    stmt = select(func.count()).select_from(T).where(T.c.service.is_(None))
    if since is not None:
        stmt = stmt.where(T.c.ts >= since)
    with db.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def reparse(db: Engine, library: ServiceLibrary, since: datetime | None = None, *,
            batch: int = 2000, progress: Callable[[int], None] | None = None) -> ReparseResult:
    """Parse stored unknown lines again; rows that now match get their service and fields."""
    result = ReparseResult()
    stmt = (update(T).where(T.c.id == bindparam("b_id"))
            .values(service=bindparam("b_service"), message_id=bindparam("b_message_id"),
                    taxonomy=bindparam("b_taxonomy"), level=bindparam("b_level"),
                    fields=bindparam("b_fields")))
    conds = [T.c.service.is_(None)] + ([T.c.ts >= since] if since is not None else [])
    last = 0
    while True:
        with db.begin() as conn:
            rows = conn.execute(
                select(T.c.id, T.c.program, T.c.message).where(and_(T.c.id > last, *conds))
                .order_by(T.c.id).limit(batch)).all()
            if not rows:
                break
            changes = []
            for row_id, program, message in rows:
                m = library.match(program, message)
                if m is not None:
                    changes.append({"b_id": row_id, "b_service": m.service,
                                    "b_message_id": m.message_id, "b_taxonomy": m.taxonomy,
                                    "b_level": m.level, "b_fields": _JSON.encode(m.fields)})
                    result.by_message[m.message_id] += 1
            if changes:
                conn.execute(stmt, changes)
        last = rows[-1][0]
        result.scanned += len(rows)
        result.recognised += len(changes)
        if progress is not None:
            progress(len(rows))
    return result
