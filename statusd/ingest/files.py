"""Follow [[file]] inputs like ``tail -F``: rotation-safe, resumed from the database on restart.

One ``FileFollower`` per file polls it with ``os.stat`` every ``syslog.file_poll_interval``
seconds (no inotify needed), reads what was appended and offers each line to the queue, waiting
while the queue is full. Rotation by rename is noticed by the inode at the path changing: the old
file is read to its end before the new one is opened. Copytruncate is noticed by the file
getting shorter than the offset, or its first line changing. The rotation decisions and the line
splitting are pure (``statusd.ingest.rotation``).

The position (device, inode, offset after the last stored line, hash of the first line) is saved
in table ``file_position`` once the lines' batch is committed: each line's ``ack`` moves the
position, and the follower writes it after the commit, at most once per poll and at shutdown.
A crash between a commit and that write reads those lines again (at-least-once, never lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Coroutine
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from statusd.config import FileSettings, Settings
from statusd.db import utcnow
from statusd.ingest.listeners import LineQueue
from statusd.ingest.pipeline import RawLine
from statusd.ingest.rotation import (
    HEAD_BYTES,
    FileId,
    LineSplitter,
    Look,
    Position,
    Step,
    head_hash,
    next_step,
    resume_offset,
)
from statusd.metrics import Registry
from statusd.models import FilePosition

__all__ = ["FileFollower", "PositionStore", "file_tasks"]

log = logging.getLogger(__name__)

CHUNK = 256 * 1024  # bytes read at once


class PositionStore:
    """Saved positions of followed files, in table file_position."""

    def __init__(self, db: Engine):
        self.db = db

    def load(self, path: str) -> Position | None:
        """The saved position of path, if any."""
        with Session(self.db) as session:
            row = session.get(FilePosition, path)
            if row is None:
                return None
            return Position(row.dev, row.inode, row.offset, row.head)

    def save(self, path: str, pos: Position) -> None:
        """Insert or overwrite the position of path."""
        with Session(self.db) as session:
            row = session.get(FilePosition, path) or FilePosition(path=path, dev=0, inode=0,
                                                                  offset=0)
            row.dev, row.inode, row.offset, row.head = pos.dev, pos.ino, pos.offset, pos.head
            row.updated_at = utcnow()
            session.add(row)
            session.commit()


def _file_id(st: os.stat_result) -> FileId:
    return FileId(st.st_dev, st.st_ino)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def find_rotated(path: str, saved: Position) -> str | None:
    """A file in path's folder that is the saved file (same device and inode): rotated away."""
    folder = Path(path).parent
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.inode() == saved.ino and entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    if st.st_dev == saved.dev and st.st_size >= saved.offset:
                        return entry.path
    except OSError:
        return None
    return None


class FileFollower:
    """Follows one file like tail -F and offers its lines to the queue."""

    def __init__(self, spec: FileSettings, queue: LineQueue, store: PositionStore,
                 metrics: Registry, *, poll_interval: float = 1.0, partial_timeout: float = 5.0,
                 max_line: int = 65536, start_at_end: bool = True):
        self.spec = spec
        self.path = spec.path
        self.queue = queue
        self.store = store
        self.metrics = metrics
        self.poll_interval = poll_interval
        self.partial_timeout = partial_timeout
        self.start_at_end = start_at_end
        self.splitter = LineSplitter(0, max_line)
        self.fd: int | None = None
        self.held: FileId | None = None
        self.head = ""
        self.drained = False
        self.committed: Position | None = None  # moved by acks of stored lines
        self.saved: Position | None = None
        self._waiting_logged = False
        self._truncated_seen = 0
        self._saved_at = 0.0  # loop time of the last _save()
        self._open_failed = False  # logged once until an open succeeds

    async def run(self) -> None:
        """Follow until cancelled; the last stored position is saved on the way out."""
        try:
            await self.start()
            while True:
                await self.poll()
                await asyncio.sleep(self.poll_interval)
        finally:
            self._close()
            if self.committed is not None and self.committed != self.saved:
                with contextlib.suppress(Exception):
                    self.store.save(self.path, self.committed)

    async def start(self) -> None:
        """Resume from the saved position: the rest of a file rotated away first, then the path."""
        saved = self.saved = await asyncio.to_thread(self.store.load, self.path)
        st = _stat(self.path)
        if saved is not None and (st is None or _file_id(st) != saved.file):
            old = await asyncio.to_thread(find_rotated, self.path, saved)
            if old is not None:
                log.info("file %s: reading the rest of %s, rotated while statusd was away",
                         self.path, old)
                if self._open(old, saved.offset):
                    await self._read()
                    await self._offer(self.splitter.flush())
                    self._close()
        if st is None:
            return
        self._open(self.path, -1, saved)

    async def poll(self) -> None:
        """One look: follow rotation, read what was appended, store the position if it moved."""
        st = _stat(self.path)
        look = Look(None if st is None else _file_id(st))
        if self.fd is not None:
            try:
                look = Look(look.at_path, os.fstat(self.fd).st_size, self._head_same())
            except OSError:
                look = Look(look.at_path, 0, False)
        step = next_step(self.held, self.splitter.offset, look, self.drained)
        if step is Step.WAIT:
            if not self._waiting_logged:
                self._waiting_logged = True
                log.warning("file %s does not exist (yet): waiting for it", self.path)
        elif step is Step.OPEN:
            self._open(self.path, 0)
            await self._read()
        elif step in (Step.READ, Step.DRAIN):
            got = await self._read()
            if step is Step.DRAIN and not got:  # quiet for a whole interval: done with it
                self.drained = True
                step = next_step(self.held, self.splitter.offset, look, self.drained)
        elif step is Step.TRUNCATED:
            log.info("file %s was truncated: reading it again from its start", self.path)
            await self._offer(self.splitter.flush())
            self.splitter.reset(0)
            self.head = head_hash(os.pread(self.fd, HEAD_BYTES, 0)) if self.fd is not None else ""
            await self._read()
        if step in (Step.SWITCH, Step.CLOSE):  # the held file is read to its end
            await self._offer(self.splitter.flush())
            self._close()
            if step is Step.SWITCH:
                log.info("file %s was rotated: following the new file", self.path)
                self._open(self.path, 0)
                await self._read()
        if self.fd is not None:
            await self._offer(self.splitter.expire(asyncio.get_running_loop().time(),
                                                   self.partial_timeout))
        await self._save()

    def _open(self, path: str, offset: int, saved: Position | None = None) -> bool:
        """Hold path open at offset (-1: where resume_offset says, from saved)."""
        try:  # O_NONBLOCK: a FIFO at the path must not block the event loop
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            if not self._open_failed:
                self._open_failed = True
                log.warning("file %s: cannot open: %s (retrying)", path, exc.strerror)
            return False
        self._open_failed = False
        st = os.fstat(fd)
        self.fd, self.held, self.drained = fd, _file_id(st), False
        self.head = head_hash(os.pread(fd, HEAD_BYTES, 0))
        if offset < 0:
            offset = resume_offset(saved, self.held, st.st_size, self.head, self.start_at_end)
        self.splitter.reset(offset)
        if self._waiting_logged:
            log.info("file %s appeared: following it", self.path)
            self._waiting_logged = False
        return True

    def _close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
        self.fd = self.held = None

    def _head_same(self) -> bool:
        """False when the held file no longer starts with the first line it had."""
        assert self.fd is not None
        now = head_hash(os.pread(self.fd, HEAD_BYTES, 0))
        if not self.head:
            self.head = now
            return True
        return now == self.head

    async def _read(self) -> bool:
        """Read the held file to its end, offering each finished line; True if bytes came."""
        got = False
        loop = asyncio.get_running_loop()
        while self.fd is not None:
            try:
                data = os.pread(self.fd, CHUNK, self.splitter.offset)
            except OSError as exc:
                log.warning("file %s: read failed: %s", self.path, exc.strerror)
                return got
            if not data:
                return got
            got = True
            await self._offer(self.splitter.feed(data, loop.time()))
            if loop.time() - self._saved_at >= self.poll_interval:  # a long catch-up
                await self._save()
            if len(data) < CHUNK:
                return got
        return got

    async def _offer(self, lines: list[tuple[bytes, int]]) -> None:
        """Queue lines, each acknowledging its end offset once stored; wait while full."""
        if self.splitter.truncated > self._truncated_seen:
            self.metrics.dropped.inc(self.splitter.truncated - self._truncated_seen,
                                     transport="file", reason="truncated")
            self._truncated_seen = self.splitter.truncated
        if not lines or self.queue.closing:  # shutting down: read again at the next start
            return
        held, head, spec = self.held, self.head, self.spec
        assert held is not None
        now = datetime.now(UTC)
        self.metrics.received.inc(len(lines), transport="file")
        for data, end in lines:
            line = RawLine(data, now, None, "file", "auto", spec.device or None, spec.program,
                           ack=partial(self._stored, Position(held.dev, held.ino, end, head)))
            while not self.queue.offer(line):
                if self.queue.closing:
                    return
                space = asyncio.Event()
                self.queue.when_space(space.set)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(space.wait(), 1.0)

    def _stored(self, pos: Position) -> None:
        """A line's batch is committed: the position may move past it."""
        self.committed = pos

    async def _save(self) -> None:
        """Write the newest stored position, if it moved."""
        self._saved_at = asyncio.get_running_loop().time()
        pos = self.committed
        if pos is not None and pos != self.saved:
            try:
                await asyncio.to_thread(self.store.save, self.path, pos)
                self.saved = pos
            except Exception:
                log.exception("file %s: saving the position failed (retried)", self.path)


def file_tasks(settings: Settings, db: Engine, queue: LineQueue,
               metrics: Registry) -> list[Coroutine[Any, Any, None]]:
    """One follower coroutine per [[file]] (runtime background task)."""
    store = PositionStore(db)
    s = settings.get
    return [FileFollower(spec, queue, store, metrics,
                         poll_interval=float(s("syslog.file_poll_interval")),
                         partial_timeout=float(s("syslog.file_partial_timeout")),
                         max_line=s("syslog.max_message_size"),
                         start_at_end=s("syslog.file_start_at_end")).run()
            for spec in settings.files]
