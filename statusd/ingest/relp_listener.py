"""The thin asyncio side of RELP: bytes to RelpSession, its messages to the queue, answers back.

Each ``syslog`` message becomes a RawLine whose ``ack`` the pipeline worker calls once the batch
holding it is committed; only then does the session answer ``200 OK`` for it (in txnr order).
Reading pauses while the queue is full, as for plain TCP.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime
from functools import partial

from statusd import __version__
from statusd.ingest.listeners import LineQueue, TCPSyslog
from statusd.ingest.pipeline import RawLine
from statusd.ingest.relp import Delivery, RelpSession
from statusd.metrics import Registry

log = logging.getLogger(__name__)

SOFTWARE = f"statusd,{__version__}"
# Seconds a finished session goes on reading (and discarding) after its last answer. Closing a
# socket with unread bytes sends a reset, which makes the peer throw away answers it has not read
# yet, and send those messages again.
LINGER = 2.0


class RELPSyslog(TCPSyslog):
    """One RELP connection; a message is acknowledged only after it is stored."""

    def __init__(self, queue: LineQueue, metrics: Registry, max_size: int, idle_timeout: float,
                 sessions: set[RELPSyslog] | None = None):
        super().__init__(queue, metrics, max_size, idle_timeout, transport_name="relp")
        self.session = RelpSession(max_data=max_size, software=SOFTWARE)
        self.sessions = sessions if sessions is not None else set()
        self._error_seen = False
        self._lingering = False
        self._linger_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.sessions.add(self)

    def data_received(self, data: bytes) -> None:
        self._arm_idle()
        deliveries = self.session.receive(data)
        if deliveries:
            now = datetime.now(UTC)
            self.metrics.received.inc(len(deliveries), transport="relp")
            for delivery in deliveries:
                if delivery.truncated:
                    self.metrics.dropped.inc(transport="relp", reason="truncated")
                if not delivery.data.strip():
                    self.metrics.dropped.inc(transport="relp", reason="empty")
                    self.session.acknowledge(delivery)  # nothing to store: answer at its turn
                    continue
                self.pending.append(RawLine(delivery.data, now, self.peer, "relp",
                                            ack=partial(self._stored, delivery)))
            self._drain()
        if self.session.error is not None and not self._error_seen:
            self._error_seen = True
            log.warning("relp peer %s: %s: closing once earlier messages are answered",
                        self.peer, self.session.error)
            self.metrics.dropped.inc(transport="relp", reason="invalid_frame")
            if self.transport is not None:
                self.transport.pause_reading()
        self._send()

    def _stored(self, delivery: Delivery) -> None:
        """Called by the pipeline worker (in the loop) once the message's batch is committed."""
        self.session.acknowledge(delivery)
        self._send()

    def _send(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        out = self.session.output()
        if out:
            transport.write(out)
        if self.session.finished and not self._lingering:
            self._linger(transport)

    def _linger(self, transport: asyncio.Transport) -> None:
        """Half-close after the last answer, then discard input until the peer closes or LINGER."""
        self._lingering = True
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        transport.resume_reading()
        self._linger_timer = asyncio.get_running_loop().call_later(LINGER, transport.close)

    def _on_idle(self) -> None:
        if self.session.outstanding:  # waiting for the store, not for the peer
            self._arm_idle()
            return
        super()._on_idle()

    def shutdown(self) -> None:
        """The server stops: read no more; answer what was taken, then serverclose and close."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()
        self.session.shutdown()
        self._send()

    def eof_received(self) -> bool | None:
        return None  # half-closed peers get no answers: close; unanswered ones are resent

    def connection_lost(self, exc: Exception | None) -> None:
        if self._linger_timer is not None:
            self._linger_timer.cancel()
        self.sessions.discard(self)
        self.session.lost()
        super().connection_lost(exc)


class RELPListener:
    """A RELP server socket and its sessions; close() ends each session cleanly."""

    def __init__(self, queue: LineQueue, metrics: Registry, max_size: int, idle_timeout: float):
        self.queue = queue
        self.metrics = metrics
        self.max_size = max_size
        self.idle_timeout = idle_timeout
        self.sessions: set[RELPSyslog] = set()
        self.server: asyncio.Server | None = None

    def protocol(self) -> RELPSyslog:
        """A protocol for one new connection."""
        return RELPSyslog(self.queue, self.metrics, self.max_size, self.idle_timeout,
                          self.sessions)

    async def start(self, sock: socket.socket) -> None:
        """Serve on a bound, listening socket."""
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self.protocol, sock=sock)

    def close(self) -> None:
        """Stop accepting; each session answers what it took, sends serverclose and closes."""
        if self.server is not None:
            self.server.close()
        for proto in list(self.sessions):
            proto.shutdown()

    async def wait_closed(self, timeout: float = LINGER + 0.5) -> None:
        """After the queue is drained: give sessions (at most timeout s) to end cleanly."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.sessions and loop.time() < deadline:
            await asyncio.sleep(0.05)
