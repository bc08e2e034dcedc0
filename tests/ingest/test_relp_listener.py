"""The RELP protocol fed bytes without sockets, then a real socket with a windowed client."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import pytest

from statusd.ingest.listeners import LineQueue
from statusd.ingest.pipeline import RawLine
from statusd.ingest.relp import FrameParser, encode
from statusd.ingest.relp_listener import RELPListener, RELPSyslog
from statusd.metrics import Registry

OPEN = encode(1, "open", b"relp_version=0\nrelp_software=test\ncommands=syslog")


class FakeTransport(asyncio.Transport):
    """Records what the protocol writes and whether it reads."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False
        self.eof = False  # write_eof() called: half-closed after the last answer
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("192.0.2.7", 40000) if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed and not self.eof, "write after close"
        self.written += data

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def take(self) -> bytes:
        out = bytes(self.written)
        self.written.clear()
        return out


def syslog(txnr: int, text: bytes | None = None) -> bytes:
    return encode(txnr, "syslog", text if text is not None else b"<13>app: line %d" % txnr)


def connect(queue_size: int = 100, max_size: int = 1024, idle: float = 30.0
            ) -> tuple[RELPSyslog, FakeTransport, LineQueue, Registry]:
    metrics = Registry()
    queue = LineQueue(queue_size, metrics)
    proto = RELPSyslog(queue, metrics, max_size, idle)
    transport = FakeTransport()
    proto.connection_made(transport)
    proto.data_received(OPEN)
    assert transport.take().startswith(b"1 rsp ")
    return proto, transport, queue, metrics


def drain(queue: LineQueue) -> list[RawLine]:
    lines = []
    while not queue.queue.empty():
        lines.append(queue.queue.get_nowait())
    queue.notify_space()
    return lines


def ack_all(lines: list[RawLine]) -> None:
    for line in lines:
        assert line.ack is not None
        line.ack()


def test_lines_are_answered_only_when_acked_in_order() -> None:
    async def scenario() -> None:
        proto, transport, queue, metrics = connect()
        proto.data_received(syslog(2) + syslog(3) + syslog(4))
        lines = drain(queue)
        assert [(x.transport, x.source, x.data) for x in lines] == [
            ("relp", "192.0.2.7:40000", b"<13>app: line %d" % n) for n in (2, 3, 4)]
        assert transport.take() == b""  # nothing is stored yet
        ack_all(lines[1:])
        assert transport.take() == b""  # 2 holds back 3 and 4
        ack_all(lines[:1])
        assert transport.take() == b"2 rsp 6 200 OK\n3 rsp 6 200 OK\n4 rsp 6 200 OK\n"
        assert metrics.received.value(transport="relp") == 3
        proto.connection_lost(None)

    asyncio.run(scenario())


def test_full_queue_pauses_reading_until_the_worker_takes_lines() -> None:
    async def scenario() -> None:
        proto, transport, queue, _ = connect(queue_size=2)
        proto.data_received(b"".join(syslog(n) for n in range(2, 7)))
        assert not transport.reading and len(proto.pending) == 3
        first = drain(queue)
        assert len(first) == 2 and len(proto.pending) == 1 and not transport.reading
        second = drain(queue)
        assert len(second) == 2 and not proto.pending and transport.reading
        third = drain(queue)
        ack_all(first + second + third)
        assert transport.take() == b"".join(encode(n, "rsp", b"200 OK") for n in range(2, 7))
        proto.connection_lost(None)

    asyncio.run(scenario())


def test_bad_frame_answers_500_after_stored_lines_and_closes() -> None:
    async def scenario() -> None:
        proto, transport, queue, metrics = connect()
        proto.data_received(syslog(2) + b"3 syslog 2 too long\n" + syslog(4))
        assert not transport.reading
        assert metrics.dropped.value(transport="relp", reason="invalid_frame") == 1
        lines = drain(queue)
        assert len(lines) == 1 and not transport.closed
        ack_all(lines)
        assert transport.take() == (b"2 rsp 6 200 OK\n" + encode(
            3, "rsp", b"500 frame not ended by LF (bad DATALEN?)") + b"0 serverclose 0\n")
        assert transport.eof and transport.reading  # half-closed; reads (and drops) what comes
        proto.data_received(syslog(5))
        assert drain(queue) == [] and transport.take() == b""
        proto.connection_lost(None)

    asyncio.run(scenario())


def test_oversized_and_empty_messages_are_counted_and_answered() -> None:
    async def scenario() -> None:
        proto, transport, queue, metrics = connect(max_size=16)
        proto.data_received(syslog(2, b"x" * 40) + syslog(3, b"  "))
        lines = drain(queue)
        assert [x.data for x in lines] == [b"x" * 16]
        assert metrics.dropped.value(transport="relp", reason="truncated") == 1
        assert metrics.dropped.value(transport="relp", reason="empty") == 1
        assert transport.take() == b""  # 3 (empty, nothing to store) waits for 2
        ack_all(lines)
        assert transport.take() == b"2 rsp 6 200 OK\n3 rsp 6 200 OK\n"
        proto.connection_lost(None)

    asyncio.run(scenario())


def test_idle_timeout_waits_while_answers_are_outstanding() -> None:
    async def scenario() -> None:
        proto, transport, queue, _ = connect(idle=0.05)
        proto.data_received(syslog(2))
        await asyncio.sleep(0.2)
        assert not transport.closed  # the store is slow, not the peer
        ack_all(drain(queue))
        await asyncio.sleep(0.2)
        assert transport.closed
        proto.connection_lost(None)

    asyncio.run(scenario())


def test_finished_session_closes_after_linger_if_the_peer_stays(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("statusd.ingest.relp_listener.LINGER", 0.05)

    async def scenario() -> None:
        proto, transport, _queue, _ = connect()
        proto.data_received(encode(2, "close"))
        assert transport.take() == b"2 rsp 6 200 OK\n" and transport.eof
        assert not transport.closed
        await asyncio.sleep(0.2)
        assert transport.closed
        proto.connection_lost(None)

    asyncio.run(scenario())


def test_lines_acked_after_the_peer_left_are_ignored() -> None:
    async def scenario() -> None:
        proto, transport, queue, _ = connect()
        proto.data_received(syslog(2))
        proto.connection_lost(ConnectionResetError())
        transport.closed = True
        ack_all(drain(queue))  # stored all the same; nothing to answer
        assert transport.take() == b""

    asyncio.run(scenario())


# -- a real socket --------------------------------------------------------------------------


def relp_client(port: int, count: int, results: dict[str, Any]) -> None:
    """A blocking RELP client with a window: open, count syslog frames at once, close."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(OPEN + b"".join(syslog(n) for n in range(2, count + 2))
                     + encode(count + 2, "close"))
        parser = FrameParser(4096)
        frames = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            frames += parser.feed(data)
        results["frames"] = frames


def test_real_socket_window_of_answers_and_clean_close() -> None:
    count = 3000

    async def scenario() -> dict[str, Any]:
        metrics = Registry()
        queue = LineQueue(500, metrics)
        listener = RELPListener(queue, metrics, 4096, 30.0)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        await listener.start(sock)
        results: dict[str, Any] = {}
        client = threading.Thread(target=relp_client, args=(sock.getsockname()[1], count, results))
        client.start()
        stored: list[bytes] = []
        while len(stored) < count:  # the runtime's worker, in small batches
            batch = [await asyncio.wait_for(queue.queue.get(), 10)]
            while not queue.queue.empty() and len(batch) < 64:
                batch.append(queue.queue.get_nowait())
            queue.notify_space()
            await asyncio.sleep(0)
            stored += [bytes(x.data) for x in batch]  # type: ignore[arg-type]
            ack_all(batch)
        await asyncio.to_thread(client.join, 10)
        listener.close()
        assert listener.server is not None
        await listener.server.wait_closed()
        results["stored"] = stored
        return results

    results = asyncio.run(scenario())
    assert results["stored"] == [b"<13>app: line %d" % n for n in range(2, count + 2)]
    frames = results["frames"]
    assert [f.txnr for f in frames] == list(range(1, count + 3))
    assert all(f.command == "rsp" for f in frames)
    assert all(f.data == b"200 OK" for f in frames[1:])


def test_listener_close_sends_serverclose_after_the_answers() -> None:
    async def scenario() -> None:
        metrics = Registry()
        queue = LineQueue(100, metrics)
        listener = RELPListener(queue, metrics, 1024, 30.0)
        proto = listener.protocol()
        transport = FakeTransport()
        proto.connection_made(transport)
        proto.data_received(OPEN + syslog(2))
        transport.take()
        listener.close()
        assert not transport.reading and not transport.closed
        ack_all(drain(queue))
        assert transport.take() == b"2 rsp 6 200 OK\n0 serverclose 0\n"
        assert transport.eof
        assert proto.eof_received() is None  # the peer closes too: the transport closes
        proto.connection_lost(None)
        assert not listener.sessions
        await listener.wait_closed()

    asyncio.run(scenario())
