"""Thin asyncio protocols: UDP and TCP syslog listeners that frame bytes and hand them on."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from statusd.ingest.framing import Framer
from statusd.ingest.limits import ConnectionLimiter, source_of
from statusd.ingest.pipeline import RawLine
from statusd.metrics import Registry

log = logging.getLogger(__name__)


def _peer(addr: object) -> str | None:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host, port = addr[0], addr[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return None


class LineBuffer:
    """The queue's storage: chunks of lines in arrival order, full at maxsize lines or max_bytes."""

    # A chunk is a list of lines received together (one read of one connection), put and taken
    # as a whole, so the hot path costs one operation per read, not per line. get_nowait() and
    # get() still hand out single lines (tests, tools). An empty buffer always takes one line,
    # however big; max_bytes 0 means no byte bound.

    def __init__(self, maxsize: int, max_bytes: int = 0):
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self.chunks: deque[list[RawLine]] = deque()
        self.lines = 0
        self.bytes = 0
        self._waiter: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        """Lines held."""
        return self.lines

    def empty(self) -> bool:
        """True when no line is held."""
        return self.lines == 0

    def full(self) -> bool:
        """Full by count, or by bytes (an empty buffer always takes one line, however big)."""
        return self.lines >= self.maxsize or (0 < self.max_bytes <= self.bytes and self.lines > 0)

    def put_nowait(self, line: RawLine) -> None:
        """Add one line; asyncio.QueueFull when full."""
        if self.full():
            raise asyncio.QueueFull
        self.chunks.append([line])
        self.lines += 1
        self.bytes += len(line.data)
        self._wake()

    def put_chunk(self, lines: list[RawLine]) -> int:
        """Add the longest prefix of lines that fits, as one chunk; returns how many."""
        n = min(len(lines), self.maxsize - self.lines)
        if n <= 0:
            return 0
        chunk = lines if n == len(lines) else lines[:n]
        size = sum([len(x.data) for x in chunk])
        last = self.bytes + size - len(chunk[-1].data)  # bytes held before the last line
        if self.max_bytes and (self.lines or n > 1) and last >= self.max_bytes:
            size, n = 0, 0  # the byte bound cuts the chunk: count it line by line
            for line in chunk:
                if self.max_bytes <= self.bytes + size and (self.lines or n):
                    break
                size += len(line.data)
                n += 1
            if not n:
                return 0
            chunk = chunk[:n]
        elif chunk is lines:
            chunk = list(lines)  # the caller keeps its list
        self.chunks.append(chunk)
        self.lines += n
        self.bytes += size
        self._wake()
        return n

    def get_nowait(self) -> RawLine:
        """Take the oldest line; asyncio.QueueEmpty when empty."""
        if not self.lines:
            raise asyncio.QueueEmpty
        chunk = self.chunks[0]
        line = chunk.pop(0)
        if not chunk:
            self.chunks.popleft()
        self.lines -= 1
        self.bytes -= len(line.data)
        return line

    async def get(self) -> RawLine:
        """Take the oldest line, waiting for one."""
        while not self.lines:
            await self.wait_put(None)
        return self.get_nowait()

    def take(self, max_lines: int) -> list[list[RawLine]]:
        """Take whole chunks, oldest first, up to max_lines lines (a bigger chunk is cut)."""
        out: list[list[RawLine]] = []
        room = max_lines
        chunks = self.chunks
        while chunks and room > 0:
            chunk = chunks[0]
            if len(chunk) > room:
                part, chunks[0] = chunk[:room], chunk[room:]
                chunk = part
            else:
                chunks.popleft()
            out.append(chunk)
            room -= len(chunk)
            self.lines -= len(chunk)
            self.bytes -= sum([len(x.data) for x in chunk])
        return out

    async def wait_put(self, timeout: float | None) -> bool:
        """Wait until lines are put (or timeout seconds pass); True if they were."""
        waiter = self._waiter
        if waiter is None or waiter.done():
            waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            return False
        return True

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)


class LineQueue:
    """The bounded queue between listeners and the pipeline, with waiters for paused readers."""

    def __init__(self, maxsize: int, metrics: Registry, max_bytes: int = 0):
        self.queue = LineBuffer(maxsize, max_bytes)
        self.metrics = metrics
        self._space: list[Callable[[], None]] = []
        self.streams: set[TCPSyslog] = set()  # open stream connections, stopped at shutdown
        self.closing = False  # shutting down: file inputs stop offering, streams stop reading

    def offer(self, line: RawLine) -> bool:
        """Put without waiting; False when full."""
        try:
            self.queue.put_nowait(line)
        except asyncio.QueueFull:
            return False
        return True

    def offer_many(self, lines: list[RawLine]) -> int:
        """Put the longest prefix of lines that fits, without waiting; returns how many."""
        return self.queue.put_chunk(lines)

    def take(self, max_lines: int) -> list[list[RawLine]]:
        """The consumer's side: whole chunks up to max_lines lines (see LineBuffer.take)."""
        return self.queue.take(max_lines)

    async def wait_put(self, timeout: float | None) -> bool:
        """Wait until lines are put (or timeout); True if they were."""
        return await self.queue.wait_put(timeout)

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

    def waiting(self) -> int:
        """Producers holding lines until there is room (paused readers)."""
        return len(self._space)

    def stop_reading(self) -> None:
        """Shutdown: stream connections read no more; what they already read is still queued."""
        self.closing = True
        for stream in list(self.streams):
            stream.stop_reading()


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
                 transport_name: str = "tcp", *, limiter: ConnectionLimiter | None = None,
                 frame_timeout: float | None = None):
        self.queue = queue
        self.metrics = metrics
        self.framer = Framer(max_frame=max_size)
        self.idle_timeout = idle_timeout
        self.name = transport_name
        self.transport: asyncio.Transport | None = None
        self.peer: str | None = None
        self.pending: list[RawLine] = []  # framed, waiting for room in the queue
        self.paused = False
        self._idle: asyncio.TimerHandle | None = None
        self._counted = (0, 0)
        # Hostile peers (docs/ingest.md): connection caps, and a deadline for one frame.
        self.limiter = limiter
        self.frame_timeout = frame_timeout
        self._token: int | None = None  # the limiter's, while admitted
        self._open = False  # counted in statusd_connections_open (and the limiter)
        self._last_data = 0.0
        self._frame_since: float | None = None  # loop time the unfinished frame began
        self._frame_timer: asyncio.TimerHandle | None = None
        self.stopped = False  # the server is shutting down: never resume reading

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.peer = _peer(transport.get_extra_info("peername"))
        if self.limiter is not None:
            source = source_of(transport.get_extra_info("peername"))
            self._token = self.limiter.admit(source, self._evicted)
            if self._token is None:
                self.metrics.dropped.inc(transport=self.name, reason="too_many_connections")
                transport.abort()
                return
        self._open = True
        self.metrics.connections.inc()
        self.queue.streams.add(self)
        if self.queue.closing:
            self.stop_reading()
        self._arm_idle()

    def _evicted(self) -> None:
        """The limiter gave this connection's slot to a source holding fewer: close it."""
        self.metrics.dropped.inc(transport=self.name, reason="too_many_connections")
        if self.transport is not None:
            self.transport.close()

    def stop_reading(self) -> None:
        """Read no more (shutdown); lines already framed still go to the queue."""
        self.stopped = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def _arm_idle(self) -> None:
        """(Re)start the idle clock now."""
        loop = asyncio.get_running_loop()
        self._last_data = loop.time()
        if self._idle is not None:
            self._idle.cancel()
        self._idle = loop.call_later(self.idle_timeout, self._on_idle)

    def _on_idle(self) -> None:
        self._idle = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        loop = asyncio.get_running_loop()
        quiet = loop.time() - self._last_data
        if quiet < self.idle_timeout:  # data came since the timer was set: wait the rest
            self._idle = loop.call_later(self.idle_timeout - quiet, self._on_idle)
        elif self.paused:
            self._arm_idle()
        else:
            log.info("%s peer %s idle for %ss: closing", self.name, self.peer, self.idle_timeout)
            self.metrics.dropped.inc(0, transport=self.name, reason="idle_timeout")
            transport.close()

    def data_received(self, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        now = self._last_data = loop.time()  # the idle timer reads this when it fires
        if self._idle is None:
            self._idle = loop.call_later(self.idle_timeout, self._on_idle)
        frames = self.framer.feed(data)
        if self.frame_timeout is not None:
            self._watch_frame(loop, now, bool(frames))
        self._take(frames)

    def _watch_frame(self, loop: asyncio.AbstractEventLoop, now: float, framed: bool) -> None:
        """Start the clock of an unfinished frame; a frame slower than frame_timeout closes."""
        if framed and self.framer.buffered == 0:
            self._frame_since = None
        elif framed or self._frame_since is None:
            self._frame_since = now
        if self._frame_since is not None and self._frame_timer is None:
            self._frame_timer = loop.call_later(self.frame_timeout or 0.0, self._on_frame_timeout)

    def _on_frame_timeout(self) -> None:
        self._frame_timer = None
        transport, since, limit = self.transport, self._frame_since, self.frame_timeout or 0.0
        if transport is None or transport.is_closing() or since is None:
            return
        loop = asyncio.get_running_loop()
        late = loop.time() - since
        if self.paused:  # our queue is full, not the peer's fault
            self._frame_since, late = loop.time(), 0.0
        if late < limit:
            self._frame_timer = loop.call_later(limit - late, self._on_frame_timeout)
            return
        log.info("%s peer %s took over %ss for one frame: closing", self.name, self.peer, limit)
        self.metrics.dropped.inc(transport=self.name, reason="frame_timeout")
        transport.close()

    def _take(self, frames: list[bytes]) -> None:
        if frames:
            now, peer, name = datetime.now(UTC), self.peer, self.name
            self.metrics.received.inc(len(frames), transport=name)
            self.pending.extend([RawLine(frame, now, peer, name) for frame in frames])
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
        if self.pending:
            taken = self.queue.offer_many(self.pending)
            if taken == len(self.pending):
                self.pending.clear()
            else:
                del self.pending[:taken]
                if not self.paused and self.transport is not None:
                    self.paused = True
                    self.transport.pause_reading()
                self.queue.when_space(self._drain)
                return
        if self.paused and self.transport is not None and not self.transport.is_closing():
            self.paused = False
            if not self.stopped:
                self.transport.resume_reading()

    def eof_received(self) -> bool | None:
        self._take(self.framer.flush())
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._idle, self._frame_timer):
            if timer is not None:
                timer.cancel()
        self.queue.streams.discard(self)
        if self._open:
            self._open = False
            self.metrics.connections.inc(-1)
            if self.limiter is not None:
                self.limiter.release(self._token)
        if self.stopped:  # shutdown cut the stream mid-frame: that frame was never received
            self.framer.flush()
        else:
            self._take(self.framer.flush())
        # Lines already framed are kept even though the peer is gone.
        if self.pending:
            self.queue.when_space(self._drain)
