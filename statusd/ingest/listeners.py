"""Thin asyncio protocols: UDP and TCP syslog listeners that frame bytes and hand them on."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from statusd.ingest.framing import Framer
from statusd.ingest.pipeline import RawLine
from statusd.metrics import Registry

log = logging.getLogger(__name__)


def _peer(addr: object) -> str | None:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host, port = addr[0], addr[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return None


class LineQueue:
    """The bounded queue between listeners and the pipeline, with waiters for paused readers."""

    def __init__(self, maxsize: int, metrics: Registry):
        self.queue: asyncio.Queue[RawLine] = asyncio.Queue(maxsize)
        self.metrics = metrics
        self._space: list[Callable[[], None]] = []

    def offer(self, line: RawLine) -> bool:
        """Put without waiting; False when full."""
        try:
            self.queue.put_nowait(line)
        except asyncio.QueueFull:
            return False
        return True

    def when_space(self, callback: Callable[[], None]) -> None:
        """Call back once the consumer has taken lines out."""
        self._space.append(callback)

    def notify_space(self) -> None:
        """The consumer took lines: wake paused readers."""
        if self._space and not self.queue.full():
            waiting, self._space = self._space, []
            for cb in waiting:
                cb()

    def qsize(self) -> int:
        return self.queue.qsize()


class UDPSyslog(asyncio.DatagramProtocol):
    """One datagram is one message; a full queue drops it and counts the drop."""

    def __init__(self, queue: LineQueue, metrics: Registry, max_size: int):
        self.queue = queue
        self.metrics = metrics
        self.max_size = max_size

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.metrics.received.inc(transport="udp")
        if len(data) > self.max_size:
            data = data[: self.max_size]
            self.metrics.dropped.inc(transport="udp", reason="truncated")
        if not data.strip():
            self.metrics.dropped.inc(transport="udp", reason="empty")
            return
        line = RawLine(data, datetime.now(UTC), _peer(addr), "udp")
        if not self.queue.offer(line):
            self.metrics.dropped.inc(transport="udp", reason="queue_full")

    def error_received(self, exc: Exception) -> None:
        log.warning("udp listener: %s", exc)


class TCPSyslog(asyncio.Protocol):
    """One connection: frames LF or octet-counted messages; pauses reading on a full queue."""

    def __init__(self, queue: LineQueue, metrics: Registry, max_size: int, idle_timeout: float,
                 transport_name: str = "tcp"):
        self.queue = queue
        self.metrics = metrics
        self.framer = Framer(max_frame=max_size)
        self.idle_timeout = idle_timeout
        self.name = transport_name
        self.transport: asyncio.Transport | None = None
        self.peer: str | None = None
        self.pending: deque[RawLine] = deque()
        self.paused = False
        self._idle: asyncio.TimerHandle | None = None
        self._counted = (0, 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.peer = _peer(transport.get_extra_info("peername"))
        self.metrics.connections.inc()
        self._arm_idle()

    def _arm_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(self.idle_timeout, self._on_idle)

    def _on_idle(self) -> None:
        if self.transport is not None and not self.paused:
            log.info("%s peer %s idle for %ss: closing", self.name, self.peer, self.idle_timeout)
            self.metrics.dropped.inc(0, transport=self.name, reason="idle_timeout")
            self.transport.close()
        elif self.paused:
            self._arm_idle()

    def data_received(self, data: bytes) -> None:
        self._arm_idle()
        self._take(self.framer.feed(data))

    def _take(self, frames: list[bytes]) -> None:
        now = datetime.now(UTC)
        for frame in frames:
            self.metrics.received.inc(transport=self.name)
            self.pending.append(RawLine(frame, now, self.peer, self.name))
        self._count_framer()
        self._drain()

    def _count_framer(self) -> None:
        truncated, invalid = self.framer.truncated, self.framer.invalid
        old_t, old_i = self._counted
        if truncated > old_t:
            self.metrics.dropped.inc(truncated - old_t, transport=self.name, reason="truncated")
        if invalid > old_i:
            self.metrics.dropped.inc(invalid - old_i, transport=self.name, reason="invalid_frame")
        self._counted = (truncated, invalid)

    def _drain(self) -> None:
        while self.pending:
            if not self.queue.offer(self.pending[0]):
                if not self.paused and self.transport is not None:
                    self.paused = True
                    self.transport.pause_reading()
                self.queue.when_space(self._drain)
                return
            self.pending.popleft()
        if self.paused and self.transport is not None and not self.transport.is_closing():
            self.paused = False
            self.transport.resume_reading()

    def eof_received(self) -> bool | None:
        self._take(self.framer.flush())
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self.metrics.connections.inc(-1)
        self._take(self.framer.flush())
        # Lines already framed are kept even though the peer is gone.
        if self.pending:
            self.queue.when_space(self._drain)
