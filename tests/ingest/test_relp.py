"""Vectors for the pure RELP frame parser and encoder, and the server session state machine."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusd.ingest.relp import (
    Delivery,
    Frame,
    FrameParser,
    RelpSession,
    SessionState,
    encode,
)

OFFERS = b"relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog"
OPEN = encode(1, "open", OFFERS)


def whole(stream: bytes) -> list[bytes]:
    return [stream]


def bytewise(stream: bytes) -> list[bytes]:
    return [stream[i : i + 1] for i in range(len(stream))]


def sevens(stream: bytes) -> list[bytes]:
    return [stream[i : i + 7] for i in range(0, len(stream), 7)]


CHUNKINGS: list[Callable[[bytes], list[bytes]]] = [whole, bytewise, sevens]


def parse(stream: bytes, max_data: int = 64, chunking: Callable[[bytes], list[bytes]] = whole
          ) -> tuple[list[Frame], FrameParser]:
    """All frames of a stream fed in chunks, checking the memory bound after each chunk."""
    parser = FrameParser(max_data)
    frames: list[Frame] = []
    for chunk in chunking(stream):
        frames += parser.feed(chunk)
        assert parser.buffered <= max(max_data + 1, 52)
    return frames, parser


# (name, stream, max_data, frames, error)
PARSE_VECTORS: list[tuple[str, bytes, int, list[Frame], str | None]] = [
    ("one syslog", b"2 syslog 5 hello\n", 64, [Frame(2, "syslog", b"hello")], None),
    ("no data", b"3 close 0\n", 64, [Frame(3, "close")], None),
    ("zero length with SP", b"3 close 0 \n", 64, [Frame(3, "close")], None),
    ("several per chunk", b"1 syslog 1 a\n2 syslog 2 bc\n3 syslog 0\n", 64,
     [Frame(1, "syslog", b"a"), Frame(2, "syslog", b"bc"), Frame(3, "syslog")], None),
    ("data holds LF and digits", b"7 syslog 9 12 x\ny 3\n\n", 64,
     [Frame(7, "syslog", b"12 x\ny 3\n")], None),
    ("open with offers", OPEN, 128, [Frame(1, "open", OFFERS)], None),
    ("largest numbers", b"999999999 syslog 3 abc\n", 64, [Frame(999_999_999, "syslog", b"abc")],
     None),
    ("oversized cut to max_data", b"4 syslog 12 abcdefghijkl\n5 syslog 1 z\n", 5,
     [Frame(4, "syslog", b"abcde", truncated=True), Frame(5, "syslog", b"z")], None),
    ("exactly max_data", b"4 syslog 5 abcde\n", 5, [Frame(4, "syslog", b"abcde")], None),
    ("DATALEN too short", b"1 syslog 3 hello\n2 syslog 1 x\n", 64, [],
     "frame not ended by LF (bad DATALEN?)"),
    ("DATALEN too long", b"1 syslog 1 a\n2 syslog 9 abc\n3 syslog 1 b\n", 64,
     [Frame(1, "syslog", b"a")], "frame not ended by LF (bad DATALEN?)"),
    ("DATALEN of ten digits", b"1 syslog 1234567890 x\n", 64, [], "malformed frame header"),
    ("TXNR of ten digits", b"1234567890 syslog 1 x\n", 64, [], "malformed frame header"),
    ("negative DATALEN", b"1 syslog -1 x\n", 64, [], "malformed frame header"),
    ("command too long", b"1 " + b"a" * 33 + b" 0\n", 64, [], "malformed frame header"),
    ("command with digits", b"1 sys1og 0\n", 64, [], "malformed frame header"),
    ("data announced, LF instead", b"1 syslog 4\nabcd\n", 64, [], "frame ends before its data"),
    ("garbage", b"hello world\n", 64, [], "malformed frame header"),
    ("plain syslog line", b"<13>Jan  1 00:00:00 host app: hi\n", 64, [],
     "malformed frame header"),
    ("empty line", b"\n", 64, [], "malformed frame header"),
]


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("name", "stream", "max_data", "frames", "error"), PARSE_VECTORS,
                         ids=[v[0] for v in PARSE_VECTORS])
def test_parse_vectors(name: str, stream: bytes, max_data: int, frames: list[Frame],
                       error: str | None, chunking: Callable[[bytes], list[bytes]]) -> None:
    got, parser = parse(stream, max_data, chunking)
    assert got == frames
    assert parser.error == error


def test_partial_frame_waits_for_the_rest() -> None:
    parser = FrameParser(64)
    assert parser.feed(b"12 sysl") == []
    assert parser.feed(b"og 5 he") == []
    assert parser.feed(b"llo") == []
    assert parser.feed(b"\n13 syslog 0\n") == [Frame(12, "syslog", b"hello"), Frame(13, "syslog")]
    assert parser.buffered == 0


def test_error_is_final_and_names_the_txnr() -> None:
    parser = FrameParser(64)
    assert parser.feed(b"41 syslog 2 abc\n") == []
    assert (parser.error, parser.error_txnr) == ("frame not ended by LF (bad DATALEN?)", 41)
    assert parser.feed(b"42 syslog 1 a\n") == []
    assert parser.buffered == 0


def test_huge_datalen_is_skipped_not_buffered() -> None:
    parser = FrameParser(10)
    frames = parser.feed(b"1 syslog 999999999 " + b"x" * 20)
    assert frames == [] and parser.buffered == 0
    for _ in range(100):
        assert parser.feed(b"y" * 100_000) == []
        assert parser.buffered == 0


@pytest.mark.parametrize(("txnr", "command", "data", "wire"), [
    (1, "rsp", b"200 OK", b"1 rsp 6 200 OK\n"),
    (0, "serverclose", b"", b"0 serverclose 0\n"),
    (9, "syslog", b"a\nb", b"9 syslog 3 a\nb\n"),
])
def test_encode(txnr: int, command: str, data: bytes, wire: bytes) -> None:
    assert encode(txnr, command, data) == wire
    assert FrameParser().feed(wire) == [Frame(txnr, command, data)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 999_999_999), st.sampled_from(["syslog", "open", "x"]),
                          st.binary(max_size=40)), max_size=12),
       st.lists(st.integers(1, 30), min_size=1, max_size=10))
def test_any_chunking_gives_the_encoded_frames(frames: list[tuple[int, str, bytes]],
                                                cuts: list[int]) -> None:
    stream = b"".join(encode(*f) for f in frames)
    parser = FrameParser(32)
    got: list[Frame] = []
    pos = i = 0
    while pos < len(stream):
        step = cuts[i % len(cuts)]
        got += parser.feed(stream[pos : pos + step])
        assert parser.buffered <= 52
        pos += step
        i += 1
    assert parser.error is None
    assert got == [Frame(t, c, d[:32], len(d) > 32) for t, c, d in frames]


# -- the session ------------------------------------------------------------------------------


def opened(max_data: int = 1024) -> RelpSession:
    session = RelpSession(max_data, software="statusd,test")
    assert session.receive(OPEN) == []
    assert session.output() == encode(
        1, "rsp", b"200 OK\nrelp_version=0\nrelp_software=statusd,test\ncommands=syslog")
    assert session.state is SessionState.OPEN
    return session


def syslog(txnr: int, text: bytes = b"<13>hello") -> bytes:
    return encode(txnr, "syslog", text)


def test_answers_wait_for_storage_and_keep_txnr_order() -> None:
    session = opened()
    got = session.receive(syslog(2, b"a") + syslog(3, b"b") + syslog(4, b"c"))
    assert [(d.txnr, d.data) for d in got] == [(2, b"a"), (3, b"b"), (4, b"c")]
    assert session.output() == b"" and session.outstanding == 3
    session.acknowledge(got[2])
    session.acknowledge(got[1])
    assert session.output() == b""  # 2 is not stored yet: 3 and 4 wait behind it
    session.acknowledge(got[0])
    assert session.output() == b"2 rsp 6 200 OK\n3 rsp 6 200 OK\n4 rsp 6 200 OK\n"
    assert session.outstanding == 0


def test_window_split_across_chunks() -> None:
    session = opened()
    stream = b"".join(syslog(n, b"msg %d" % n) for n in range(2, 202))
    got: list[Delivery] = []
    for i in range(0, len(stream), 13):
        got += session.receive(stream[i : i + 13])
    assert [d.txnr for d in got] == list(range(2, 202))
    for d in got:
        session.acknowledge(d)
    assert session.output() == b"".join(encode(n, "rsp", b"200 OK") for n in range(2, 202))


def test_close_is_answered_after_earlier_messages_then_session_ends() -> None:
    session = opened()
    got = session.receive(syslog(2) + encode(3, "close") + syslog(4))
    assert [d.txnr for d in got] == [2]  # nothing is taken after close
    assert session.state is SessionState.CLOSING and session.output() == b""
    session.acknowledge(got[0])
    assert session.output() == b"2 rsp 6 200 OK\n3 rsp 6 200 OK\n"
    assert session.finished


def test_first_command_must_be_open() -> None:
    session = RelpSession()
    assert session.receive(syslog(1)) == []
    assert session.output() == b"1 rsp 20 500 session not open\n0 serverclose 0\n"
    assert session.finished and session.error == "session not open"


@pytest.mark.parametrize(("offers", "reason"), [
    (b"relp_software=x\ncommands=syslog", b"500 relp_version offer missing"),
    (b"relp_version=0\ncommands=eventlog", b"500 required command syslog not offered"),
])
def test_bad_open_is_refused(offers: bytes, reason: bytes) -> None:
    session = RelpSession()
    session.receive(encode(1, "open", offers))
    assert session.output() == encode(1, "rsp", reason) + b"0 serverclose 0\n"
    assert session.finished


def test_framing_error_answers_500_after_the_good_frames_and_closes() -> None:
    session = opened()
    got = session.receive(syslog(2, b"ok") + b"3 syslog 2 short\n")
    assert [d.txnr for d in got] == [2]
    assert session.state is SessionState.CLOSING and session.output() == b""
    assert session.receive(syslog(4)) == []  # nothing more is read
    session.acknowledge(got[0])
    assert session.output() == (b"2 rsp 6 200 OK\n" + encode(
        3, "rsp", b"500 frame not ended by LF (bad DATALEN?)") + b"0 serverclose 0\n")
    assert session.finished


def test_oversized_message_is_delivered_truncated() -> None:
    session = opened(max_data=8)
    (got,) = session.receive(syslog(2, b"0123456789abcdef"))
    assert (got.data, got.truncated) == (b"01234567", True)


def test_unknown_command_gets_500_in_order_and_session_goes_on() -> None:
    session = opened()
    got = session.receive(syslog(2) + encode(3, "starttls") + syslog(4))
    assert [d.txnr for d in got] == [2, 4]
    for d in got:
        session.acknowledge(d)
    assert session.output() == (b"2 rsp 6 200 OK\n" + encode(3, "rsp", b"500 command not supported")
                                + b"4 rsp 6 200 OK\n")
    assert session.state is SessionState.OPEN


def test_hints_are_not_answered_and_syslog_needs_a_txnr() -> None:
    session = opened()
    assert session.receive(encode(0, "abort")) == []
    assert session.output() == b"" and session.state is SessionState.OPEN
    assert session.receive(syslog(0)) == []
    assert session.output() == b"0 serverclose 0\n" and session.finished


def test_shutdown_sends_serverclose_after_pending_answers() -> None:
    session = opened()
    got = session.receive(syslog(2) + syslog(3))
    session.shutdown()
    assert session.receive(syslog(4)) == []
    session.acknowledge(got[0])
    assert session.output() == b"2 rsp 6 200 OK\n"
    session.acknowledge(got[1])
    assert session.output() == b"3 rsp 6 200 OK\n0 serverclose 0\n"
    assert session.finished


def test_refused_message_gets_500() -> None:
    session = opened()
    (got,) = session.receive(syslog(2))
    session.acknowledge(got, ok=False)
    assert session.output() == encode(2, "rsp", b"500 not stored")


def test_acknowledgements_after_the_connection_is_lost_are_ignored() -> None:
    session = opened()
    (got,) = session.receive(syslog(2))
    session.lost()
    session.acknowledge(got)
    assert session.output() == b"" and session.finished


def test_second_open_is_answered_again() -> None:
    session = opened()
    session.receive(encode(2, "open", OFFERS))
    assert session.output().startswith(b"2 rsp ")
    assert session.state is SessionState.OPEN
