"""Fuzzing the listener protocols: any bytes in any chunks never raise and stay bounded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statusd.ingest.listeners import LineQueue, TCPSyslog, UDPSyslog
from statusd.ingest.syslog import decode
from statusd.metrics import Registry
from tests.ingest.test_hostile import FakeTransport

# Bytes that steer the framer and the decoder: digits and spaces (octet counts), LF/CR/NUL
# (delimiters), '<' '>' (PRI), and some non-UTF-8.
PIECES = st.sampled_from([b"0", b"1", b"9", b" ", b"\n", b"\r", b"\x00", b"<", b">", b"13",
                          b"<13>", b"<165>1 ", b"- ", b"[", b"]", b"\xff", b"\xc3", b"abc",
                          b"Jan  1 00:00:00 ", b"2026-01-01T00:00:00Z ", b"app[1]: "])
STREAMS = st.one_of(
    st.binary(max_size=2000),
    st.lists(PIECES, max_size=300).map(b"".join),
    st.lists(st.one_of(PIECES, st.binary(max_size=20)), max_size=200).map(b"".join),
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    out, last = [], 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)):
        out.append(data[last:cut])
        last = cut
    out.append(data[last:])
    return out


def frames_of(queue: LineQueue) -> list[bytes]:
    out = []
    while not queue.queue.empty():
        data = queue.queue.get_nowait().data
        out.append(data if isinstance(data, bytes) else data.encode())
    queue.notify_space()
    return out


@settings(max_examples=300, deadline=None)
@given(stream=STREAMS, cuts=st.lists(st.integers(0, 5000), max_size=30),
       max_frame=st.integers(1, 64), queue_size=st.integers(1, 50), close=st.booleans())
def test_tcp_protocol_never_raises_and_stays_bounded(stream: bytes, cuts: list[int],
                                                     max_frame: int, queue_size: int,
                                                     close: bool) -> None:
    async def go() -> list[bytes]:
        metrics = Registry()
        queue = LineQueue(queue_size, metrics)
        proto = TCPSyslog(queue, metrics, max_frame, 30.0, frame_timeout=30.0)
        transport = FakeTransport()
        proto.connection_made(transport)
        got: list[bytes] = []
        for chunk in chunked(stream, cuts):
            if transport.reading:
                proto.data_received(chunk)
            else:  # paused: the worker makes room, then the rest is read
                got += frames_of(queue)
                proto.data_received(chunk)
            assert proto.framer.buffered <= max(max_frame, 9) + 1
            assert len(proto.pending) <= len(chunk) + 1
        if close:
            proto.eof_received()
        proto.connection_lost(None)
        for _ in range(len(stream) + 2):
            got += frames_of(queue)
            if not proto.pending:
                break
        assert not proto.pending
        assert metrics.connections.value() == 0
        return got

    frames = asyncio.run(go())
    now = datetime.now(UTC)
    for frame in frames:
        assert 0 < len(frame) <= max_frame
        record = decode(frame, received_at=now, source="192.0.2.7:1", transport="tcp")
        assert isinstance(record.message, str)


@settings(max_examples=200, deadline=None)
@given(datagrams=st.lists(STREAMS, max_size=20), max_size=st.integers(1, 100),
       queue_size=st.integers(1, 10))
def test_udp_protocol_never_raises_and_counts_every_drop(datagrams: list[bytes], max_size: int,
                                                         queue_size: int) -> None:
    metrics = Registry()
    queue = LineQueue(queue_size, metrics)
    proto = UDPSyslog(queue, metrics, max_size)
    for d in datagrams:
        proto.datagram_received(d, ("192.0.2.9", 514))
    queued = frames_of(queue)
    assert all(len(f) <= max_size for f in queued)
    empty = metrics.dropped.value(transport="udp", reason="empty")
    full = metrics.dropped.value(transport="udp", reason="queue_full")
    assert len(queued) + empty + full == len(datagrams)


def _decode_any(data: Any) -> None:
    decode(data, received_at=datetime.now(UTC))


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(STREAMS, st.text(max_size=300)))
def test_decoder_takes_anything(data: bytes | str) -> None:
    _decode_any(data)
