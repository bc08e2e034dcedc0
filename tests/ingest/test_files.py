"""Following real files: rename and copytruncate rotation, restarts, partial lines, backpressure."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from statusd.config import FileSettings
from statusd.db import make_engine
from statusd.ingest.files import FileFollower, PositionStore, file_tasks
from statusd.ingest.listeners import LineQueue
from statusd.metrics import Registry


class Harness:
    """A followed file, the queue it feeds, and a database for positions."""

    def __init__(self, tmp_path: Path, queue_size: int = 1000):
        self.path = tmp_path / "app.log"
        self.metrics = Registry()
        self.queue = LineQueue(queue_size, self.metrics)
        self.store = PositionStore(make_engine(f"sqlite:///{tmp_path / 'pos.db'}"))
        self.spec = FileSettings(path=str(self.path), device="web1", program="nginx")

    def follower(self, **kw: Any) -> FileFollower:
        kw.setdefault("start_at_end", False)
        kw.setdefault("partial_timeout", 60.0)
        return FileFollower(self.spec, self.queue, self.store, self.metrics, **kw)

    def write(self, text: str, path: Path | None = None) -> None:
        with (path or self.path).open("a") as fh:
            fh.write(text)

    def take(self, ack: bool = True) -> list[str]:
        """What the worker would take off the queue, acknowledging it as stored."""
        out = []
        q = self.queue.queue
        while not q.empty():
            line = q.get_nowait()
            assert line.transport == "file" and line.device == "web1" and line.program == "nginx"
            if ack and line.ack is not None:
                line.ack()
            out.append(line.data.decode() if isinstance(line.data, bytes) else line.data)
        self.queue.notify_space()
        return out


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def test_existing_lines_then_appended_ones(h: Harness) -> None:
    async def go() -> None:
        h.write("one\ntwo\n")
        f = h.follower()
        await f.start()
        await f.poll()
        assert h.take() == ["one", "two"]
        h.write("three\n")
        await f.poll()
        assert h.take() == ["three"]
        await f.poll()
        assert h.take() == []

    run(go())


def test_tail_style_start_skips_what_was_there(h: Harness) -> None:
    async def go() -> None:
        h.write("old\n")
        f = h.follower(start_at_end=True)
        await f.start()
        h.write("new\n")
        await f.poll()
        assert h.take() == ["new"]

    run(go())


def test_rename_and_create_finishes_the_old_file_first(h: Harness) -> None:
    async def go() -> None:
        writer = h.path.open("a")  # a daemon holding its log open across the rename
        writer.write("a\nb\n")
        writer.flush()
        f = h.follower()
        await f.start()
        await f.poll()
        assert h.take() == ["a", "b"]
        os.rename(h.path, f"{h.path}.1")
        writer.write("c\nlast-without-newline")  # written before the daemon reopens its log
        writer.flush()
        writer.close()
        h.write("d\n")  # the new file
        await f.poll()
        assert h.take() == ["c"]  # still reading the old file; partial line held
        for _ in range(3):
            await f.poll()
        assert h.take() == ["last-without-newline", "d"]
        h.write("e\n")
        await f.poll()
        assert h.take() == ["e"]

    run(go())


def test_copytruncate(h: Harness) -> None:
    async def go() -> None:
        h.write("a\nb\nc\n")
        f = h.follower()
        await f.start()
        await f.poll()
        assert h.take() == ["a", "b", "c"]
        shutil.copy(h.path, f"{h.path}.1")
        with h.path.open("r+") as fh:
            fh.truncate(0)
        h.write("d\n")
        await f.poll()
        assert h.take() == ["d"]

    run(go())


def test_copytruncate_regrown_past_the_offset_between_looks(h: Harness) -> None:
    async def go() -> None:
        h.write("first\n")
        f = h.follower()
        await f.start()
        await f.poll()
        assert h.take() == ["first"]
        h.path.write_text("after truncation\nand more lines\n")  # longer than before
        await f.poll()
        assert h.take() == ["after truncation", "and more lines"]

    run(go())


def test_missing_file_is_waited_for_and_logged_once(h: Harness,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> None:
        f = h.follower(start_at_end=True)
        await f.start()
        for _ in range(3):
            await f.poll()
        h.write("born\n")  # created after start: read from its beginning
        await f.poll()
        assert h.take() == ["born"]

    with caplog.at_level(logging.INFO, logger="statusd.ingest.files"):
        run(go())
    waiting = [r for r in caplog.records if "does not exist" in r.getMessage()]
    assert len(waiting) == 1
    assert any("appeared" in r.getMessage() for r in caplog.records)


def test_restart_resumes_after_the_stored_lines(h: Harness) -> None:
    async def go() -> None:
        h.write("a\nb\n")
        f = h.follower()
        await f.start()
        await f.poll()
        assert h.take() == ["a", "b"]
        await f.poll()  # saves the acknowledged position
        h.write("c\n")  # appended while statusd is down
        f2 = h.follower(start_at_end=True)
        await f2.start()
        await f2.poll()
        assert h.take() == ["c"]

    run(go())


def test_unacknowledged_lines_are_read_again_after_a_crash(h: Harness) -> None:
    async def go() -> None:
        h.write("a\n")
        f = h.follower()
        await f.start()
        await f.poll()
        h.take()
        await f.poll()
        h.write("b\n")
        await f.poll()
        assert h.take(ack=False) == ["b"]  # queued, never stored: the process dies here
        f2 = h.follower()
        await f2.start()
        await f2.poll()
        assert h.take() == ["b"]

    run(go())


def test_rotated_while_away_reads_the_rest_of_the_old_file(h: Harness) -> None:
    async def go() -> None:
        h.write("a\n")
        f = h.follower()
        await f.start()
        await f.poll()
        h.take()
        await f.poll()
        h.write("b\n")  # after the last stored line, before rotation
        os.rename(h.path, f"{h.path}.1")
        h.write("c\n")
        f2 = h.follower()
        await f2.start()
        await f2.poll()
        assert h.take() == ["b", "c"]

    run(go())


def test_partial_last_line_waits_for_newline_or_timeout(h: Harness) -> None:
    async def go() -> None:
        h.write("whole\nhal")
        f = h.follower(partial_timeout=0.2)
        await f.start()
        await f.poll()
        assert h.take() == ["whole"]
        h.write("f\nstuck")
        await f.poll()
        assert h.take() == ["half"]
        got: list[str] = []
        for _ in range(100):
            await f.poll()
            got += h.take()
            if got:
                break
            await asyncio.sleep(0.05)
        assert got == ["stuck"]

    run(go())


def test_oversized_line_is_cut_and_counted(h: Harness) -> None:
    async def go() -> None:
        h.write("x" * 5000 + "\nok\n")
        f = h.follower(max_line=100)
        await f.start()
        await f.poll()
        assert h.take() == ["x" * 100, "ok"]

    run(go())
    assert h.metrics.dropped.value(transport="file", reason="truncated") == 1


def test_full_queue_makes_the_follower_wait_not_drop(tmp_path: Path) -> None:
    h = Harness(tmp_path, queue_size=3)
    h.write("".join(f"line {i}\n" for i in range(50)))

    async def go() -> list[str]:
        f = h.follower()
        await f.start()
        reader = asyncio.create_task(f.poll())
        got: list[str] = []
        for _ in range(500):
            got += h.take()
            if reader.done() and h.queue.qsize() == 0:
                break
            await asyncio.sleep(0.005)
        await reader
        return got

    assert run(go()) == [f"line {i}" for i in range(50)]


def test_run_saves_the_position_when_cancelled(h: Harness) -> None:
    async def go() -> None:
        h.write("a\nb\n")
        f = h.follower(poll_interval=0.01)
        task = asyncio.create_task(f.run())
        got: list[str] = []
        for _ in range(200):
            got += h.take()
            if len(got) == 2:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        saved = h.store.load(str(h.path))
        assert saved is not None and saved.offset == 4 and got == ["a", "b"]

    run(go())


def test_file_tasks_build_one_follower_per_file(tmp_path: Path) -> None:
    from statusd.config import load_settings

    cfg = tmp_path / "statusd.toml"
    cfg.write_text('[storage]\ndatabase = "sqlite:///x.db"\n[[file]]\npath = "a.log"\n'
                   '[[file]]\npath = "b.log"\ndevice = "web2"\n')
    settings = load_settings(cfg)
    db = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    tasks = file_tasks(settings, db, LineQueue(10, Registry()), Registry())
    assert len(tasks) == 2
    for t in tasks:
        t.close()  # never started
