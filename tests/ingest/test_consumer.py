"""Stage 2's hosts: a child process (metrics shipped, restarted when it dies) and a thread."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from statusd.config import Settings, load_settings
from statusd.db import make_engine
from statusd.ingest.consumer import ProcessStage, ThreadStage, apply_deltas, deltas, snapshot
from statusd.ingest.inbox import Inbox
from statusd.ingest.pipeline import RawLine
from statusd.metrics import Registry
from statusd.runtime import build_pipeline

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def setup(tmp_path: Path) -> tuple[Settings, Engine]:
    cfg = tmp_path / "statusd.toml"
    cfg.write_text('[storage]\ndatabase = "sqlite:///data/statusd.db"\n'
                   "[syslog]\nbatch_size = 40\n")
    settings = load_settings(cfg)
    return settings, make_engine(settings.database_url, base_dir=settings.base_dir)


def lines(first: int, n: int) -> list[list[RawLine]]:
    return [[RawLine(b"<13>May  1 12:00:00 web1 app[%d]: line %d" % (i, i), T0,
                     "192.0.2.7:40000", "tcp") for i in range(first, first + n)]]


def archived(db: Engine) -> list[int]:
    with db.connect() as conn:
        return sorted(int(p) for p in conn.execute(text("SELECT pid FROM log_line")).scalars())


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def test_counter_gains_travel_between_registries() -> None:
    child, parent = Registry(), Registry()
    before = snapshot(child)
    child.stored.inc(5)
    child.rule_firings.inc(rule="r1")
    child.dropped.inc(2, transport="tcp", reason="store_error")
    apply_deltas(parent, deltas(snapshot(child), before))
    assert parent.stored.total() == 5
    assert parent.rule_firings.value(rule="r1") == 1
    assert parent.dropped.value(transport="tcp", reason="store_error") == 2
    assert deltas(snapshot(child), snapshot(child)) == []


def test_pipeline_process_archives_reports_survives_a_kill_and_drains(tmp_path: Path) -> None:
    settings, db = setup(tmp_path)
    inbox = Inbox(db, 40)
    inbox.write(lines(0, 100))
    metrics = Registry()
    consumed: list[int] = []

    async def scenario() -> ProcessStage:
        stage = ProcessStage(settings, metrics, consumed.append)
        stage.start()
        supervisor = asyncio.create_task(stage.supervise())
        await until(lambda: sum(consumed) == 100, 60, "the first 100 lines")
        assert metrics.stored.total() == 100 and metrics.unknown.total() == 100
        assert stage.state() == "ready"
        assert await asyncio.to_thread(stage.reload, list(settings.service_files))
        assert stage.proc is not None and stage.proc.pid is not None
        os.kill(stage.proc.pid, signal.SIGKILL)  # the supervisor starts another one
        inbox.write(lines(100, 50))
        await until(lambda: sum(consumed) == 150, 60, "the next 50 lines, after a restart")
        assert stage.restarts == 1
        inbox.write(lines(150, 30))
        await stage.stop(10.0)  # drains what is left, then exits
        supervisor.cancel()
        return stage

    stage = asyncio.run(scenario())
    assert stage.proc is not None and stage.proc.exitcode == 0
    assert archived(db) == list(range(180))
    assert inbox.count() == 0 and sum(consumed) == 180


def test_thread_stage_archives_and_drains_on_stop(tmp_path: Path) -> None:
    settings, db = setup(tmp_path)
    inbox = Inbox(db, 40)
    metrics = Registry()
    consumed: list[int] = []
    pipeline = build_pipeline(settings, metrics, db=db)

    async def scenario() -> None:
        stage = ThreadStage(pipeline, inbox, 40, consumed.append)
        stage.start()
        inbox.write(lines(0, 100))
        stage.wake()
        await until(lambda: sum(consumed) == 100, 30, "100 lines")
        inbox.write(lines(100, 20))
        await stage.stop(10.0)
        assert not stage.alive()

    asyncio.run(scenario())
    assert archived(db) == list(range(120)) and metrics.stored.total() == 120
