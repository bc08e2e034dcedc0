"""Flood-safe sending: a token bucket, and a queue that writes lines no faster than it allows."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)


class TokenBucket:
    """rate tokens a second, at most burst saved up; one token per line."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self.tokens = float(self.burst)
        self.last = now

    def _refill(self, now: float) -> None:
        if now > self.last:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = max(self.last, now)

    def delay(self, now: float) -> float:
        """Seconds to wait before the next line may go (0 if it may go now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend a token (call when delay() is 0)."""
        self._refill(now)
        self.tokens -= 1


class Sender:
    """Queue of outgoing lines written through the bucket to the current connection.

    Replies may be dropped when the queue is full (a flood of requests must not grow memory);
    announcements are never dropped, and flush() tells whether they reached the socket.
    """

    def __init__(self, rate: float, burst: int, *, max_queue: int = 100,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.bucket = TokenBucket(rate, burst, clock())
        self.max_queue = max_queue
        self.queue: deque[tuple[int, str]] = deque()
        self.write: Callable[[str], None] | None = None
        self.seq = 0  # last sequence number queued
        self.written = 0  # last sequence number written
        self.generation = 0  # bumped on every detach: flushes of a lost connection fail
        self.dropped = 0
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()

    def attach(self, write: Callable[[str], None]) -> None:
        """Start writing to a (new) connection."""
        self.write = write
        self._wake.set()

    def detach(self) -> None:
        """The connection is gone: queued lines are dropped, pending flushes fail."""
        self.write = None
        self.queue.clear()
        self.written = self.seq
        self.generation += 1
        self._progress.set()

    def send(self, line: str, *, droppable: bool = True) -> bool:
        """Queue a raw line; False when it was dropped (queue full, or no connection)."""
        if self.write is None or (droppable and len(self.queue) >= self.max_queue):
            self.dropped += 1
            return False
        self.seq += 1
        self.queue.append((self.seq, line))
        self._wake.set()
        return True

    async def flush(self, timeout: float = 60.0) -> bool:
        """Wait until all lines queued so far are written; False if the connection was lost."""
        target, generation = self.seq, self.generation
        deadline = self.clock() + timeout
        while self.written < target:
            if self.generation != generation:
                return False
            self._progress.clear()
            remaining = deadline - self.clock()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except TimeoutError:
                return False
        return self.generation == generation

    async def run(self) -> None:
        """Write queued lines at the bucket's pace until cancelled."""
        while True:
            if not self.queue or self.write is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            wait = self.bucket.delay(self.clock())
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            seq, line = self.queue.popleft()
            write = self.write
            self.bucket.take(self.clock())
            try:
                write(line)
            except Exception:
                log.exception("irc: could not send a line")
            self.written = max(self.written, seq)
            self._progress.set()
