"""The inbox: received lines durably accepted (stage 1) before the pipeline archives them (stage 2).

Stage 1 (the runtime's worker) writes each batch taken off the LineQueue raw into table ``inbox``
with one driver-level executemany and commits; only then are the lines acknowledged (RELP
answers, file positions). A row holds the lines of a batch that were received together (one read
of one connection: same time, source, transport, format, device and program), their bytes end to
end in ``data`` and their lengths in ``sizes``: a row costs SQLite about 3 µs besides its bytes,
so a row per line would cost more than everything else stage 1 does.

Stage 2 (statusd/ingest/consumer.py) reads the oldest rows in id order, about a batch of lines
at a time, runs the lines through the pipeline and deletes the rows in the transaction that
archives them, so each line reaches the archive exactly once whatever crashes in between. The
delete is guarded: it must remove exactly the rows that were read, or the whole transaction
rolls back. A row whose lines must be archived one by one (a line the pipeline cannot store) is
cut down by the same transaction that archives each of its lines.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection, Engine

from statusd.ingest.pipeline import RawLine
from statusd.models import InboxLine

INBOX_TABLE = InboxLine.__table__  # type: ignore[attr-defined]
COLUMNS = ("received_at", "transport", "source", "fmt", "device", "program", "lines", "sizes",
           "data")
_BIG_ENDIAN = sys.byteorder == "big"
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available, query_canceled
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57014"}

Hook = Callable[[Connection], None]


class InboxWriter(Protocol):
    """What stage 1 needs of the inbox (benchmarks and tests stand in for it)."""

    def write(self, chunks: Iterable[Sequence[RawLine]]) -> int:
        """Insert the lines and commit; returns how many."""

    def count(self) -> int:
        """Lines in the inbox now."""

    def database_answers(self) -> bool:
        """True when the database answers."""


class InboxConflict(RuntimeError):
    """The rows a batch was read from were not exactly there to delete (another consumer?)."""


def is_transient(exc: BaseException) -> bool:
    """True for a failure of the moment (lock wait timed out, deadlock): retry, never give up."""
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    return getattr(orig, "sqlstate", None) in _TRANSIENT_SQLSTATES


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


def _bytes(data: bytes | str) -> bytes:
    """A line's data as bytes (str lines are encoded, lone surrogates kept as escapes)."""
    if type(data) is bytes:
        return data
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape")
    return bytes(data)


def pack(datas: Sequence[bytes]) -> tuple[int, bytes | None, bytes]:
    """(lines, sizes, data) of a row holding these lines."""
    if len(datas) == 1:
        return 1, None, datas[0]
    sizes = array("I", map(len, datas))
    if sizes.itemsize != 4:  # pragma: no cover - every platform statusd runs on has 4
        sizes = array("L", sizes)
    if _BIG_ENDIAN:  # pragma: no cover
        sizes.byteswap()
    return len(datas), sizes.tobytes(), b"".join(datas)


def unpack(lines: int, sizes: bytes | None, data: bytes) -> list[bytes]:
    """The lines of a row."""
    if lines == 1 or sizes is None:
        return [data]
    lengths = array("I")
    lengths.frombytes(bytes(sizes))
    if _BIG_ENDIAN:  # pragma: no cover
        lengths.byteswap()
    out, at = [], 0
    for n in lengths:
        out.append(data[at:at + n])
        at += n
    return out


class Inbox:
    """Driver-level writes, reads and guarded deletes of the inbox table (no ORM per line)."""

    def __init__(self, db: Engine, row_lines: int = 2000):
        self.db = db
        self.row_lines = max(1, row_lines)  # most lines one row holds (about a stage 2 batch)
        sqlite = db.dialect.name == "sqlite"
        mark = "?" if db.dialect.paramstyle == "qmark" else "%s"
        name = INBOX_TABLE.name
        self._insert = (f"INSERT INTO {name} ({', '.join(COLUMNS)}) "
                        f"VALUES ({', '.join([mark] * len(COLUMNS))})")
        self._heads = f"SELECT id, lines FROM {name} ORDER BY id LIMIT {mark}"
        self._select = (f"SELECT id, {', '.join(COLUMNS)} FROM {name} WHERE id <= {mark} "
                        "ORDER BY id")
        self._delete = f"DELETE FROM {name} WHERE id <= {mark}"
        self._shrink = (f"UPDATE {name} SET lines = {mark}, sizes = {mark}, data = {mark} "
                        f"WHERE id = {mark} AND lines = {mark}")
        self._stamp: Callable[[datetime], Any] = _sqlite_stamp if sqlite else _naive_utc
        self._parse: Callable[[Any], datetime] = _from_sqlite if sqlite else _from_naive

    # -- stage 1 ---------------------------------------------------------------------------

    def rows(self, chunks: Iterable[Sequence[RawLine]]) -> tuple[list[tuple[Any, ...]], int]:
        """(insert parameters, lines): consecutive lines received together share one row."""
        out: list[tuple[Any, ...]] = []
        stamp, limit = self._stamp, self.row_lines
        total = 0
        at: Any = None
        head: RawLine | None = None
        datas: list[bytes] = []

        def flush() -> None:
            assert head is not None
            out.append((stamp(head.received_at), head.transport, head.source, head.fmt,
                        head.device, head.program, *pack(datas)))

        for chunk in chunks:
            for line in chunk:
                if (head is None or line.received_at is not at or line.source is not head.source
                        or line.transport is not head.transport or line.fmt is not head.fmt
                        or line.device is not head.device or line.program is not head.program
                        or len(datas) >= limit):
                    if head is not None:
                        flush()
                    head, at, datas = line, line.received_at, []
                datas.append(_bytes(line.data))
                total += 1
        if head is not None:
            flush()
        return out, total

    def write(self, chunks: Iterable[Sequence[RawLine]]) -> int:
        """Stage 1: insert the lines (one executemany) and commit; returns how many lines."""
        rows, total = self.rows(chunks)
        if rows:
            with self.db.begin() as conn:
                conn.exec_driver_sql(self._insert, rows)
        return total

    # -- stage 2 ---------------------------------------------------------------------------

    def read(self, max_lines: int) -> list[tuple[int, list[RawLine]]]:
        """Stage 2: the oldest rows holding about max_lines lines, in id order, as RawLines."""
        with self.db.connect() as conn:
            heads = conn.exec_driver_sql(self._heads, (max(1, max_lines),)).all()
            if not heads:
                return []
            last, count = heads[-1][0], 0
            for row_id, lines in heads:
                count += lines
                if count >= max_lines:
                    last = row_id
                    break
            rows = conn.exec_driver_sql(self._select, (last,)).all()
        parse = self._parse
        out: list[tuple[int, list[RawLine]]] = []
        for row_id, received, transport, source, fmt, device, program, lines, sizes, data in rows:
            at = parse(received)
            out.append((row_id, [RawLine(part, at, source, transport, fmt, device, program)
                                 for part in unpack(lines, sizes, bytes(data))]))
        return out

    def delete_upto(self, conn: Connection, last_id: int, expected: int) -> None:
        """Delete rows up to last_id in the caller's transaction; InboxConflict unless expected."""
        gone = conn.exec_driver_sql(self._delete, (last_id,)).rowcount
        if gone != expected:
            raise InboxConflict(f"inbox: deleting up to id {last_id} removed {gone} rows, "
                                f"not the {expected} read")

    def hand_over(self, last_id: int, expected: int) -> Hook:
        """The pipeline's in_transaction hook that deletes the rows of a batch read."""

        def delete(conn: Connection) -> None:
            self.delete_upto(conn, last_id, expected)

        return delete

    def shrink(self, conn: Connection, row_id: int, had: int, rest: Sequence[RawLine]) -> None:
        """Keep only rest of a row that held had lines (delete it if none); InboxConflict."""
        if not rest:
            self.delete_upto(conn, row_id, 1)
            return
        lines, sizes, data = pack([_bytes(x.data) for x in rest])
        done = conn.exec_driver_sql(self._shrink, (lines, sizes, data, row_id, had)).rowcount
        if done != 1:
            raise InboxConflict(f"inbox: row {row_id} no longer holds {had} lines")

    def hand_over_part(self, row_id: int, had: int, rest: Sequence[RawLine]) -> Hook:
        """The in_transaction hook that archives a row's first line(s) and keeps rest."""

        def cut(conn: Connection) -> None:
            self.shrink(conn, row_id, had, rest)

        return cut

    def discard_part(self, row_id: int, had: int, rest: Sequence[RawLine]) -> None:
        """Drop a row's first line(s), given up on and counted by the caller."""
        with self.db.begin() as conn:
            self.shrink(conn, row_id, had, rest)

    # -- both ------------------------------------------------------------------------------

    def count(self) -> int:
        """Lines in the inbox now."""
        with self.db.connect() as conn:
            return int(conn.exec_driver_sql(
                f"SELECT COALESCE(SUM(lines), 0) FROM {INBOX_TABLE.name}").scalar_one())

    def database_answers(self) -> bool:
        """True when a trivial query succeeds."""
        try:
            with self.db.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False
