"""The inbox: received lines durably accepted (stage 1) before the pipeline archives them (stage 2).

Stage 1 (the runtime's worker) writes each batch taken off the LineQueue raw into table ``inbox``
with one driver-level executemany and commits; only then are the lines acknowledged (RELP
answers, file positions). Stage 2 (statusd/ingest/consumer.py) reads the oldest rows in id
order, runs them through the pipeline and deletes them in the transaction that archives them,
so each line reaches the archive exactly once whatever crashes in between. The delete is
guarded: it must remove exactly the rows that were read, or the whole transaction rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from statusd.ingest.pipeline import RawLine
from statusd.models import InboxLine

INBOX_TABLE = InboxLine.__table__  # type: ignore[attr-defined]
COLUMNS = ("received_at", "transport", "source", "fmt", "device", "program", "data")


class InboxConflict(RuntimeError):
    """The rows a batch was read from were not exactly there to delete (another consumer?)."""


def _sqlite_stamp(value: datetime) -> str:
    """received_at as UTCDateTime writes it to SQLite: naive UTC text, microseconds."""
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _naive_utc(value: datetime) -> datetime:
    """received_at as UTCDateTime binds it elsewhere: naive UTC."""
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None)


def _from_sqlite(value: Any) -> datetime:
    """An aware UTC datetime from SQLite's text (or a datetime, if a converter made one)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _from_naive(value: datetime) -> datetime:
    """An aware UTC datetime from a naive UTC one (PostgreSQL timestamp without time zone)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Inbox:
    """Driver-level writes, reads and guarded deletes of the inbox table (no ORM per line)."""

    def __init__(self, db: Engine):
        self.db = db
        sqlite = db.dialect.name == "sqlite"
        mark = "?" if db.dialect.paramstyle == "qmark" else "%s"
        name = INBOX_TABLE.name
        self._insert = (f"INSERT INTO {name} ({', '.join(COLUMNS)}) "
                        f"VALUES ({', '.join([mark] * len(COLUMNS))})")
        self._select = f"SELECT id, {', '.join(COLUMNS)} FROM {name} ORDER BY id LIMIT {mark}"
        self._delete = f"DELETE FROM {name} WHERE id <= {mark}"
        self._stamp: Callable[[datetime], Any] = _sqlite_stamp if sqlite else _naive_utc
        self._parse: Callable[[Any], datetime] = _from_sqlite if sqlite else _from_naive

    def rows(self, lines: Sequence[RawLine]) -> list[tuple[Any, ...]]:
        """The insert parameters of lines (lines received together share one stamp)."""
        stamp = self._stamp
        last: datetime | None = None
        stamped: Any = None
        out: list[tuple[Any, ...]] = []
        append = out.append
        for line in lines:
            at = line.received_at
            if at is not last:
                last = at
                stamped = stamp(at)
            data = line.data
            if type(data) is not bytes:
                data = bytes(data) if isinstance(data, bytes | bytearray | memoryview) else (
                    data.encode("utf-8", "surrogateescape"))
            append((stamped, line.transport, line.source, line.fmt, line.device, line.program,
                    data))
        return out

    def write(self, lines: Sequence[RawLine]) -> int:
        """Stage 1: insert lines in one executemany and commit; returns how many."""
        if not lines:
            return 0
        rows = self.rows(lines)
        with self.db.begin() as conn:
            conn.exec_driver_sql(self._insert, rows)
        return len(rows)

    def read(self, limit: int) -> list[tuple[int, RawLine]]:
        """Stage 2: the oldest rows (at most limit), in id order, as RawLines with their ids."""
        with self.db.connect() as conn:
            rows = conn.exec_driver_sql(self._select, (limit,)).all()
        parse = self._parse
        out: list[tuple[int, RawLine]] = []
        last: Any = None
        at: datetime | None = None
        for row_id, received, transport, source, fmt, device, program, data in rows:
            if received != last:  # lines received together share one datetime object
                last = received
                at = parse(received)
            assert at is not None
            out.append((row_id, RawLine(bytes(data), at, source, transport, fmt, device,
                                        program)))
        return out

    def delete_upto(self, conn: Connection, last_id: int, expected: int) -> None:
        """Delete rows up to last_id in the caller's transaction; InboxConflict unless expected."""
        gone = conn.exec_driver_sql(self._delete, (last_id,)).rowcount
        if gone != expected:
            raise InboxConflict(f"inbox: deleting up to id {last_id} removed {gone} rows, "
                                f"not the {expected} read")

    def hand_over(self, last_id: int, expected: int) -> Callable[[Connection], None]:
        """The pipeline's in_transaction hook that deletes the rows of a batch read."""

        def delete(conn: Connection) -> None:
            self.delete_upto(conn, last_id, expected)

        return delete

    def discard(self, last_id: int, expected: int = 1) -> None:
        """Delete rows given up on (counted by the caller) in their own transaction."""
        with self.db.begin() as conn:
            self.delete_upto(conn, last_id, expected)

    def count(self) -> int:
        """Rows in the inbox now."""
        with self.db.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {INBOX_TABLE.name}")
                       .scalar_one())

    def database_answers(self) -> bool:
        """True when a trivial query succeeds."""
        try:
            with self.db.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False
