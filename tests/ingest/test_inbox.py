"""The inbox between stage 1 and stage 2: rows, reads, guarded deletes, recovery, exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from statusd.config import load_settings
from statusd.ingest.consumer import Consumer
from statusd.ingest.inbox import Inbox, InboxConflict, pack, unpack
from statusd.ingest.pipeline import Pipeline, RawLine
from statusd.metrics import Registry
from statusd.runtime import build_pipeline

T0 = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def pipeline(db: Engine) -> Pipeline:
    """A fresh pipeline on db (what a (re)started stage 2 builds)."""
    return build_pipeline(load_settings(None), Registry(), db=db)


def tcp_read(first: int, n: int, at: datetime = T0, peer: str = "192.0.2.7:40000"
             ) -> list[RawLine]:
    """n numbered lines of one TCP read: they share their time and source."""
    return [RawLine(b"<13>May  1 12:00:00 web1 app[%d]: line %d" % (i, i), at, peer, "tcp")
            for i in range(first, first + n)]


def archived(db: Engine) -> list[int]:
    """The pids (line numbers) in the archive, one entry per row."""
    with db.connect() as conn:
        return sorted(int(p) for p in conn.execute(text("SELECT pid FROM log_line")).scalars())


def inbox_rows(db: Engine) -> list[tuple[int, int]]:
    """(id, lines) of every inbox row."""
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, lines FROM inbox ORDER BY id"))]


def test_pack_and_unpack_keep_lines_and_their_order() -> None:
    parts = [b"a", b"", b"line with\nnewline", bytes(range(256))]
    lines, sizes, data = pack(parts)
    assert lines == 4 and data == b"".join(parts) and sizes is not None
    assert unpack(lines, sizes, data) == parts
    assert pack([b"one"]) == (1, None, b"one") and unpack(1, None, b"one") == [b"one"]


def test_lines_received_together_share_a_row_and_come_back_as_they_went_in(db: Engine) -> None:
    inbox = Inbox(db)
    udp = RawLine(b"<13>udp line", T0 + timedelta(seconds=1), "192.0.2.9:514", "udp")
    file_line = RawLine("<13>text line, é", T0, None, "file", "auto", "web9", "nginx")
    chunks = [tcp_read(0, 3), [udp], [file_line], tcp_read(3, 2, peer="192.0.2.8:1")]
    assert inbox.write(chunks) == 7
    assert [n for _, n in inbox_rows(db)] == [3, 1, 1, 2]
    assert inbox.count() == 7
    rows = inbox.read(100)
    ids = [row_id for row_id, _ in rows]
    assert ids == sorted(ids) and len(rows) == 4
    got = [line for _, part in rows for line in part]
    want = [x for chunk in chunks for x in chunk]
    assert [(x.data, x.received_at, x.source, x.transport, x.fmt, x.device, x.program)
            for x in got] == [
        (x.data if isinstance(x.data, bytes) else x.data.encode(), x.received_at, x.source,
         x.transport, x.fmt, x.device, x.program) for x in want]
    assert all(x.received_at.tzinfo is not None for x in got)


def test_a_row_holds_at_most_row_lines_and_reads_take_about_a_batch(db: Engine) -> None:
    inbox = Inbox(db, row_lines=4)
    inbox.write([tcp_read(0, 10)])
    assert [n for _, n in inbox_rows(db)] == [4, 4, 2]
    assert [len(part) for _, part in inbox.read(5)] == [4, 4]  # up to the row that reaches 5
    assert [len(part) for _, part in inbox.read(1)] == [4]
    assert inbox.read(0) != []  # at least one row


def test_guarded_delete_refuses_a_stale_read(db: Engine) -> None:
    inbox = Inbox(db)
    inbox.write([tcp_read(0, 2)])
    inbox.write([tcp_read(2, 2)])
    (first_id, _), (second_id, _) = inbox.read(10)
    with db.begin() as conn:
        inbox.delete_upto(conn, first_id, 1)
    with pytest.raises(InboxConflict), db.begin() as conn:  # already gone: rolled back
        inbox.delete_upto(conn, second_id, 2)
    assert [row_id for row_id, _ in inbox_rows(db)] == [second_id]


def test_stage2_archives_every_line_once_and_empties_the_inbox(db: Engine) -> None:
    inbox = Inbox(db, row_lines=50)
    for i in range(0, 300, 60):
        inbox.write([tcp_read(i, 60, T0 + timedelta(seconds=i))])
    consumer = Consumer(pipeline(db), inbox, batch_size=100)
    assert consumer.drain() == 300
    assert archived(db) == list(range(300))
    assert inbox.count() == 0
    assert consumer.metrics.stored.total() == 300


def test_a_leftover_inbox_is_archived_by_the_next_start(db: Engine) -> None:
    Inbox(db).write([tcp_read(0, 40)])  # stage 1 committed, then the process died
    inbox = Inbox(db)
    assert inbox.count() == 40
    assert Consumer(pipeline(db), inbox, batch_size=25).drain() == 40
    assert archived(db) == list(range(40))


class Crash(BaseException):
    """A process death in the middle of a transaction (BaseException: nothing catches it)."""


def test_crash_before_the_commit_leaves_the_rows_for_exactly_one_archiving(
        db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = Inbox(db)
    inbox.write([tcp_read(0, 30)])
    real = Inbox.delete_upto

    def delete_then_die(self: Inbox, conn: Connection, last_id: int, expected: int) -> None:
        real(self, conn, last_id, expected)  # the archive rows and the delete are written...
        raise Crash  # ...and the process dies before the commit

    monkeypatch.setattr(Inbox, "delete_upto", delete_then_die)
    with pytest.raises(Crash):
        Consumer(pipeline(db), inbox, batch_size=100).step()
    monkeypatch.setattr(Inbox, "delete_upto", real)
    assert archived(db) == [] and inbox.count() == 30  # rolled back together
    assert Consumer(pipeline(db), Inbox(db), batch_size=100).drain() == 30  # the restart
    assert archived(db) == list(range(30))


def test_crash_after_the_commit_archives_nothing_twice(db: Engine) -> None:
    inbox = Inbox(db)
    inbox.write([tcp_read(0, 30)])
    Consumer(pipeline(db), inbox, batch_size=100).step()  # committed, then the process died
    assert Consumer(pipeline(db), Inbox(db), batch_size=100).drain() == 0
    assert archived(db) == list(range(30))


def test_a_second_consumer_with_a_stale_batch_is_refused(db: Engine) -> None:
    inbox = Inbox(db)
    inbox.write([tcp_read(0, 10)])
    stale = inbox.read(100)  # consumer A reads ...
    assert Consumer(pipeline(db), Inbox(db), batch_size=100).drain() == 10  # ... B archives
    late = Consumer(pipeline(db), inbox, batch_size=100)
    with pytest.raises(InboxConflict):
        late._archive(stale, None)  # A's archive insert is rolled back with its delete
    assert archived(db) == list(range(10))


def test_a_line_that_cannot_be_archived_is_counted_and_cut_out_of_its_row(
        db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = Inbox(db)
    lines = tcp_read(0, 5)
    lines[2] = RawLine(b"poison", T0, lines[0].source, "tcp")
    inbox.write([lines])
    p = pipeline(db)
    real = p.process_batch

    def refuse_poison(batch: list[RawLine], **kw: Any) -> int:
        if any(x.data == b"poison" for x in batch):
            raise ValueError("this line cannot be stored")
        return real(batch, **kw)

    monkeypatch.setattr(p, "process_batch", refuse_poison)
    monkeypatch.setattr("statusd.ingest.consumer.time.sleep", lambda _s: None)
    consumer = Consumer(p, inbox, batch_size=100)
    assert consumer.drain() == 5
    assert archived(db) == [0, 1, 3, 4]
    assert inbox.count() == 0
    assert p.metrics.dropped.value(transport="tcp", reason="store_error") == 1


def test_rows_of_a_failed_batch_are_retried_row_by_row(
        db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = Inbox(db)
    inbox.write([tcp_read(0, 3)])
    inbox.write([tcp_read(3, 3)])
    p = pipeline(db)
    real = p.process_batch
    calls: list[int] = []

    def big_batches_fail(batch: list[RawLine], **kw: Any) -> int:
        calls.append(len(batch))
        if len(batch) > 3:
            raise RuntimeError("database hiccup")
        return real(batch, **kw)

    monkeypatch.setattr(p, "process_batch", big_batches_fail)
    monkeypatch.setattr("statusd.ingest.consumer.time.sleep", lambda _s: None)
    assert Consumer(p, inbox, batch_size=100).drain() == 6
    assert calls == [6, 6, 6, 3, 3]
    assert Counter(archived(db)) == Counter(range(6))


def test_a_busy_database_is_waited_for_not_blamed_on_the_line(
        db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    inbox = Inbox(db)
    inbox.write([tcp_read(0, 2)])
    p = pipeline(db)
    real = p.process_batch
    failures = [6]  # the batch 3 times, the row once, then each line's first attempt

    def locked(batch: list[RawLine], **kw: Any) -> int:
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
        return real(batch, **kw)

    monkeypatch.setattr(p, "process_batch", locked)
    monkeypatch.setattr("statusd.ingest.consumer.time.sleep", lambda _s: None)
    assert Consumer(p, inbox, batch_size=100).drain() == 2
    assert archived(db) == [0, 1]
    assert p.metrics.dropped.value(transport="tcp", reason="store_error") == 0
