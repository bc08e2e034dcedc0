"""The runtime's side of RELP acks: a line's ack runs only after its batch is in the inbox."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError

from statusd.config import load_settings
from statusd.ingest.pipeline import RawLine
from statusd.runtime import Runtime

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class StubInbox:
    """Stands in for the inbox (stage 1): records commits, fails as told."""

    def __init__(self, events: list[str], fail_batches: int = 0, poison: bytes | None = None,
                 single_failures: int = 0, answers: Sequence[bool] = ()):
        self.events = events
        self.fail_batches = fail_batches  # batches of several lines that fail first
        self.poison = poison  # a line that never stores
        self.single_failures = single_failures  # single-line stores that fail first
        self.answers = list(answers)  # what database_answers() says, then True
        self.locked = 0  # single-line stores that time out waiting for the write lock first

    def write(self, chunks: Sequence[Sequence[RawLine]]) -> int:
        lines = [x for chunk in chunks for x in chunk]
        if self.fail_batches and len(lines) > 1:
            self.fail_batches -= 1
            raise RuntimeError("database hiccup")
        if self.poison is not None and any(x.data == self.poison for x in lines):
            raise ValueError("this line cannot be stored")
        if len(lines) == 1 and self.single_failures:
            self.single_failures -= 1
            raise RuntimeError("database gone again")
        if len(lines) == 1 and self.locked:
            self.locked -= 1
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
        self.events.append("commit " + ",".join(str(x.data, "ascii") for x in lines))
        return len(lines)

    def database_answers(self) -> bool:
        return self.answers.pop(0) if self.answers else True


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """A Runtime whose inbox each test replaces (no database, no service library)."""
    monkeypatch.setattr("statusd.runtime.build_pipeline",
                        lambda *_a, **_k: SimpleNamespace(db=None))
    rt = Runtime(load_settings(None))
    real_sleep = asyncio.sleep

    async def no_wait(_delay: float) -> None:
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", no_wait)  # the store's backoff, not the test's time
    return rt


def lines(events: list[str], *names: str) -> list[RawLine]:
    def acker(name: str) -> RawLine:
        line = RawLine(name.encode(), T0, None, "relp")
        line.ack = lambda: events.append("ack " + name)
        return line

    return [acker(n) for n in names]


def test_acks_follow_the_commit_of_their_batch(runtime: Runtime) -> None:
    events: list[str] = []
    runtime.inbox = StubInbox(events)
    asyncio.run(runtime._store([lines(events, "a", "b"), [RawLine(b"udp", T0)]]))
    assert events == ["commit a,b,udp", "ack a", "ack b"]


def test_retried_batch_is_acked_once_after_the_commit(runtime: Runtime) -> None:
    events: list[str] = []
    runtime.inbox = StubInbox(events, fail_batches=2)
    asyncio.run(runtime._store([lines(events, "a", "b")]))
    assert events == ["commit a,b", "ack a", "ack b"]


def test_line_given_up_on_is_counted_then_acked_in_order(runtime: Runtime) -> None:
    events: list[str] = []
    runtime.inbox = StubInbox(events, fail_batches=0, poison=b"bad")
    asyncio.run(runtime._store([lines(events, "a", "bad", "c")]))
    assert events == ["commit a", "ack a", "ack bad", "commit c", "ack c"]
    assert runtime.metrics.dropped.value(transport="relp", reason="store_error") == 1


def test_line_is_not_given_up_while_the_database_is_away(runtime: Runtime) -> None:
    events: list[str] = []
    runtime.inbox = StubInbox(events, fail_batches=3, single_failures=1, answers=[True, False])
    asyncio.run(runtime._store([lines(events, "a", "b")]))
    assert events == ["commit a", "ack a", "commit b", "ack b"]
    assert runtime.metrics.dropped.value(transport="relp", reason="store_error") == 0


def test_a_failing_ack_does_not_stop_the_others(runtime: Runtime) -> None:
    events: list[str] = []
    runtime.inbox = StubInbox(events)
    batch = lines(events, "a", "b")

    def broken() -> None:
        raise RuntimeError("peer went away oddly")

    batch[0].ack = broken
    asyncio.run(runtime._store([batch]))
    assert events == ["commit a,b", "ack b"]


def test_a_line_is_not_given_up_while_the_database_is_busy(runtime: Runtime) -> None:
    events: list[str] = []
    stub = StubInbox(events, fail_batches=3)
    stub.locked = 2  # a long transaction elsewhere holds SQLite's write lock
    runtime.inbox = stub
    asyncio.run(runtime._store([lines(events, "a", "b")]))
    assert events == ["commit a", "ack a", "commit b", "ack b"]
    assert runtime.metrics.dropped.value(transport="relp", reason="store_error") == 0
