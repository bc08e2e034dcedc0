"""Hostile and slow peers at the protocol level: connection caps, slow frames, a full queue."""

from __future__ import annotations

import asyncio
import socket
from functools import partial
from typing import Any

import pytest

from statusd.ingest.limits import ConnectionLimiter, source_of
from statusd.ingest.listeners import LineQueue, TCPSyslog
from statusd.metrics import Registry


class FakeTransport(asyncio.Transport):
    """Records whether the protocol reads, closed or aborted."""

    def __init__(self, peer: tuple[str, int] = ("192.0.2.7", 40000)) -> None:
        super().__init__()
        self.peer = peer
        self.closed = False
        self.aborted = False
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.peer if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = self.aborted = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


def connect(queue: LineQueue, metrics: Registry, *, limiter: ConnectionLimiter | None = None,
            peer: tuple[str, int] = ("192.0.2.7", 40000), frame_timeout: float | None = None,
            max_size: int = 1024) -> tuple[TCPSyslog, FakeTransport]:
    proto = TCPSyslog(queue, metrics, max_size, 30.0, limiter=limiter,
                      frame_timeout=frame_timeout)
    transport = FakeTransport(peer)
    proto.connection_made(transport)
    return proto, transport


def drain(queue: LineQueue) -> list[bytes]:
    out = []
    while not queue.queue.empty():
        data = queue.queue.get_nowait().data
        out.append(data if isinstance(data, bytes) else data.encode())
    queue.notify_space()
    return out


# --- the limiter, pure


def test_limiter_caps_per_source() -> None:
    lim = ConnectionLimiter(per_source=2, total=10)
    a1, a2 = lim.admit("a", lambda: None), lim.admit("a", lambda: None)
    assert a1 and a2 and lim.admit("a", lambda: None) is None  # third from a
    lim.release(a1)
    lim.release(a1)  # twice: no effect
    assert lim.admit("a", lambda: None) and lim.refused == 1 and lim.open == 2


def test_full_limiter_evicts_the_oldest_of_the_heaviest_source() -> None:
    lim = ConnectionLimiter(per_source=10, total=4)
    closed: list[str] = []
    tokens = [lim.admit("flood", partial(closed.append, f"flood{i}")) for i in range(3)]
    assert lim.admit("b", lambda: closed.append("b"))
    assert lim.admit("c", lambda: closed.append("c"))  # full: flood's oldest makes room
    assert closed == ["flood0"] and lim.by_source == {"flood": 2, "b": 1, "c": 1}
    lim.release(tokens[0])  # its connection_lost comes later: already given back
    assert lim.open == 4
    assert lim.admit("d", lambda: None)  # flood (2) holds more than d would (1)
    assert closed == ["flood0", "flood1"]
    assert lim.admit("e", lambda: None) is None  # now everyone holds 1: refused
    assert lim.evicted == 2 and lim.refused == 1


def test_limiter_forgets_sources_with_no_connection() -> None:
    lim = ConnectionLimiter(per_source=5, total=100)
    for i in range(50):
        lim.release(lim.admit(f"10.0.0.{i}", lambda: None))
    assert lim.by_source == {} and lim.open == 0


@pytest.mark.parametrize(("peer", "source"), [
    (("192.0.2.1", 514), "192.0.2.1"), (("::1", 514, 0, 0), "::1"), (None, ""), ("x", "x"),
])
def test_source_of(peer: object, source: str) -> None:
    assert source_of(peer) == source


# --- the TCP protocol, fed without sockets


def test_connections_over_the_cap_are_closed_and_counted() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(100, metrics)
        lim = ConnectionLimiter(per_source=2, total=10)
        first = [connect(queue, metrics, limiter=lim) for _ in range(2)]
        proto, transport = connect(queue, metrics, limiter=lim)
        assert transport.aborted and not any(t.closed for _, t in first)
        assert metrics.dropped.value(transport="tcp", reason="too_many_connections") == 1
        assert metrics.connections.value() == 2
        proto.connection_lost(None)  # the refused one: nothing to give back
        assert metrics.connections.value() == 2 and lim.open == 2
        _other, t_other = connect(queue, metrics, limiter=lim, peer=("198.51.100.1", 1))
        assert not t_other.closed
        first[0][0].connection_lost(None)
        _again, t_again = connect(queue, metrics, limiter=lim)
        assert not t_again.closed and lim.by_source["192.0.2.7"] == 2

    asyncio.run(go())


def test_a_full_server_closes_a_flooder_for_a_newcomer() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(100, metrics)
        lim = ConnectionLimiter(per_source=10, total=3)
        flood = [connect(queue, metrics, limiter=lim) for _ in range(3)]
        _proto, t_new = connect(queue, metrics, limiter=lim, peer=("198.51.100.1", 1))
        assert not t_new.closed
        assert flood[0][1].closed and not flood[1][1].closed
        assert metrics.dropped.value(transport="tcp", reason="too_many_connections") == 1
        flood[0][0].connection_lost(None)
        assert lim.open == 3 and metrics.connections.value() == 3

    asyncio.run(go())


def test_slow_frame_is_cut_off() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(100, metrics)
        proto, transport = connect(queue, metrics, frame_timeout=0.1)
        proto.data_received(b"<13>slow")
        for _ in range(100):
            if transport.closed:
                break
            proto.data_received(b"l")  # trickles, so the idle timeout never fires
            await asyncio.sleep(0.01)
        assert transport.closed
        assert metrics.dropped.value(transport="tcp", reason="frame_timeout") == 1

    asyncio.run(go())


def test_idle_peer_is_closed_after_its_last_data() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(100, metrics)
        proto = TCPSyslog(queue, metrics, 1024, 0.2)
        transport = FakeTransport()
        proto.connection_made(transport)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(5):  # data keeps it open past the first deadline
            await asyncio.sleep(0.08)
            proto.data_received(b"x\n")
        last = loop.time()
        assert not transport.closed and last - start > 0.3
        for _ in range(100):
            if transport.closed:
                break
            await asyncio.sleep(0.02)
        assert transport.closed and loop.time() - last >= 0.19

    asyncio.run(go())


def test_steady_sender_is_not_cut_off_by_the_frame_timeout() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(10000, metrics)
        proto, transport = connect(queue, metrics, frame_timeout=0.1)
        for i in range(40):  # every chunk ends mid-frame, but frames keep completing
            proto.data_received(b"rest of %d\n<13>part" % i)
            await asyncio.sleep(0.01)
        assert not transport.closed
        assert len(drain(queue)) == 40

    asyncio.run(go())


def test_full_queue_pauses_reading_and_loses_nothing() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(3, metrics)
        proto, transport = connect(queue, metrics)
        proto.data_received(b"".join(b"line %d\n" % i for i in range(10)))
        assert not transport.reading and len(proto.pending) == 7
        got: list[bytes] = []
        for _ in range(10):
            got += drain(queue)
        assert got == [b"line %d" % i for i in range(10)]
        assert transport.reading and not proto.pending

    asyncio.run(go())


def test_queue_is_bounded_in_bytes_too() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(1000, metrics, max_bytes=1000)
        proto, transport = connect(queue, metrics, max_size=400)
        proto.data_received(b"".join(b"%03d" % i + b"x" * 297 + b"\n" for i in range(10)))
        assert queue.qsize() == 4 and not transport.reading  # 4 x 300 bytes: over 1000
        got: list[bytes] = []
        for _ in range(10):
            got += drain(queue)
        assert [g[:3] for g in got] == [b"%03d" % i for i in range(10)]
        assert queue.queue.bytes == 0  # type: ignore[attr-defined]
        big = LineQueue(10, metrics, max_bytes=10)
        proto2, _t = connect(big, metrics, max_size=4000)
        proto2.data_received(b"y" * 3000 + b"\n")  # bigger than the bound: an empty queue takes it
        assert big.qsize() == 1

    asyncio.run(go())


def test_stop_reading_keeps_what_was_read() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(2, metrics)
        proto, transport = connect(queue, metrics)
        proto.data_received(b"a\nb\nc\nd\n")
        queue.stop_reading()
        got: list[bytes] = []
        for _ in range(5):
            got += drain(queue)
        assert got == [b"a", b"b", b"c", b"d"]
        assert not transport.reading  # never resumed once stopping
        _late, t_late = connect(queue, metrics)  # accepted while stopping
        assert not t_late.reading

    asyncio.run(go())


# --- a real socket: garbage, oversized and bad frames do not stop the listener


async def _serve(queue: LineQueue, metrics: Registry, **kw: Any) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: TCPSyslog(queue, metrics, 100, 5.0, **kw),
                                    "127.0.0.1", 0)


def test_hostile_bytes_over_a_socket_then_a_good_client_is_served() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(100000, metrics)
        server = await _serve(queue, metrics, limiter=ConnectionLimiter(64, 1000),
                              frame_timeout=5.0)
        port = server.sockets[0].getsockname()[1]
        attacks = [
            b"x" * 10000 + b"\n",  # oversized LF frame
            b"500 " + b"y" * 500,  # oversized octet-counted frame
            b"99999999999999 zzz\n",  # absurd octet count
            b"0 \n",  # empty octet-counted frame
            bytes(range(256)) * 40,  # binary garbage with NULs and LFs
        ]
        for attack in attacks:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(attack)
            await w.drain()
            w.close()
        _r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"<13>good: still served\n")
        await w.drain()
        w.close()
        got: list[bytes] = []
        for _ in range(200):
            got += drain(queue)
            if b"<13>good: still served" in got:
                break
            await asyncio.sleep(0.01)
        server.close()
        assert b"<13>good: still served" in got
        assert all(len(frame) <= 100 for frame in got)
        assert metrics.dropped.value(transport="tcp", reason="truncated") >= 3
        assert metrics.dropped.value(transport="tcp", reason="invalid_frame") >= 2

    asyncio.run(go())


def test_connection_flood_over_a_socket_is_capped() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(1000, metrics)
        lim = ConnectionLimiter(per_source=5, total=1000)
        server = await _serve(queue, metrics, limiter=lim)
        port = server.sockets[0].getsockname()[1]
        socks = []
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", port))
            s.setblocking(False)
            socks.append(s)
        for _ in range(200):
            if metrics.dropped.value(transport="tcp", reason="too_many_connections") >= 15:
                break
            await asyncio.sleep(0.01)
        assert lim.open == 5
        assert metrics.dropped.value(transport="tcp", reason="too_many_connections") == 15
        for s in socks:
            s.close()
        for _ in range(200):
            if lim.open == 0:
                break
            await asyncio.sleep(0.01)
        assert lim.open == 0 and metrics.connections.value() == 0
        server.close()

    asyncio.run(go())
