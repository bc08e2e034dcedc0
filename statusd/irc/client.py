"""Glue to jaraco's irc asyncio client: a connection that survives bad input and sends CAP first."""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

from irc.client_aio import AioConnection, AioReactor, IrcProtocol
from irc.connection import AioFactory
from jaraco.stream.buffer import LineBuffer

log = logging.getLogger(__name__)

MAX_PENDING = 16384  # bytes without a line end before the partial line is thrown away


class SafeLineBuffer(LineBuffer):  # type: ignore[misc]
    """Lines decoded as UTF-8 with bad bytes replaced; a line that never ends is dropped."""

    buffer: bytes

    def feed(self, data: bytes) -> None:
        """Add received bytes, dropping an unterminated line that grows past MAX_PENDING."""
        super().feed(data)
        if len(self.buffer) > MAX_PENDING and b"\n" not in self.buffer:
            log.warning("irc: dropping %d bytes without a line end", len(self.buffer))
            self.buffer = b""

    def lines(self) -> Any:
        """Complete lines, decoded."""
        for line in super().lines():
            yield line.decode("utf-8", "replace")


class SafeProtocol(IrcProtocol):  # type: ignore[misc]
    """Reports a lost transport only if it is still the connection's current one."""

    transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember which transport this protocol serves."""
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """Hang up, unless the connection has moved on to a newer transport."""
        if getattr(self.connection, "transport", None) is self.transport:
            self.connection.disconnect()


class SafeConnection(AioConnection):
    """An AioConnection whose line handling cannot be crashed by one bad line."""

    buffer_class = SafeLineBuffer
    protocol_class = SafeProtocol

    def process_data(self, new_data: bytes) -> None:
        """Handle each complete line; a line that breaks a handler is logged and skipped."""
        self.buffer.feed(new_data)
        for line in self.buffer:
            if not line:
                continue
            try:
                self._process_line(line)
            except Exception:
                log.exception("irc: could not handle a line from the server: %.200r", line)

    async def open(  # type: ignore[no-untyped-def]
        self, server: str, port: int, nickname: str, *, first_lines: list[str],
        password: str = "", username: str = "", realname: str = "",
        tls: bool = False, tls_verify: bool = True,
    ):
        """Connect, then send first_lines (CAP LS), PASS, NICK and USER, in that order."""
        if getattr(self, "connected", False):
            self.disconnect("Changing servers")
        self.buffer = self.buffer_class()
        self.handlers: dict[str, Any] = {}
        self.real_server_name = ""
        self.real_nickname = nickname
        self.server, self.port = server, port
        self.server_address = (server, port)
        self.nickname = nickname
        self.username = username or nickname
        self.ircname = realname or nickname
        self.password = password
        kwargs: dict[str, Any] = {}
        if tls:
            context = ssl.create_default_context()
            if not tls_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            kwargs = {"ssl": context, "server_hostname": server}
        self.connect_factory = AioFactory(**kwargs)
        protocol = self.protocol_class(self, self.reactor.loop)
        self.transport, self.protocol = await self.connect_factory(protocol, self.server_address)
        self.connected = True
        for line in first_lines:
            self.send_raw(line)
        if password:
            self.pass_(password)
        self.nick(nickname)
        self.user(self.username, self.ircname)
        return self

    def disconnect(self, message: str = "") -> None:
        """Hang up (QUIT only while the transport is still open)."""
        try:
            del self.connected
        except AttributeError:
            return
        transport = getattr(self, "transport", None)
        if transport is not None and not transport.is_closing():
            try:
                self.quit(message)
            except Exception:
                log.debug("irc: QUIT could not be sent", exc_info=True)
            transport.close()
        self._handle_event(_disconnect_event(self.server, message))


def _disconnect_event(server: str, message: str) -> Any:
    from irc.client import Event

    return Event("disconnect", server, "", [message])


class SafeReactor(AioReactor):
    """A reactor making SafeConnections on the running loop."""

    connection_class = SafeConnection

    def __init__(self) -> None:
        super().__init__(loop=asyncio.get_running_loop())
