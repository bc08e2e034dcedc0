"""Vectors for the RFC 6587 TCP framer: both framings, per frame, with bounded memory."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusd.ingest.framing import MAX_COUNT_DIGITS, Framer


def run(stream: bytes, max_frame: int, chunks: Iterable[bytes]) -> tuple[list[bytes], Framer]:
    """Feed chunks (and check the buffer bound after each), then flush; all frames in order."""
    framer = Framer(max_frame)
    frames: list[bytes] = []
    for chunk in chunks:
        frames += framer.feed(chunk)
        assert framer.buffered <= max(max_frame, MAX_COUNT_DIGITS) + 1
    frames += framer.flush()
    assert framer.buffered == 0
    return frames, framer


def whole(stream: bytes) -> list[bytes]:
    return [stream]


def bytewise(stream: bytes) -> list[bytes]:
    return [stream[i : i + 1] for i in range(len(stream))]


def threes(stream: bytes) -> list[bytes]:
    return [stream[i : i + 3] for i in range(0, len(stream), 3)]


SPLITS: dict[str, Callable[[bytes], list[bytes]]] = {
    "whole": whole,
    "bytewise": bytewise,
    "threes": threes,
}


def v(
    name: str,
    stream: bytes,
    frames: list[bytes],
    *,
    max_frame: int = 16,
    truncated: int = 0,
    invalid: int = 0,
) -> Any:
    """One vector: a TCP stream, the frames it must give (feed + flush) and the counters."""
    return pytest.param(stream, max_frame, frames, truncated, invalid, id=name)


VECTORS = [
    # LF-delimited (non-transparent) framing
    v("lf-lines", b"<13>a\n<13>b\n", [b"<13>a", b"<13>b"]),
    v("crlf-lines", b"<13>a\r\n<13>b\r\n", [b"<13>a", b"<13>b"]),
    v("nul-delimiter", b"<13>a\x00<13>b\x00", [b"<13>a", b"<13>b"]),
    v("empty-frames-skipped", b"\n\n\r\n\x00<13>a\n\n", [b"<13>a"]),
    v("inner-cr-kept", b"a\rb\n", [b"a\rb"]),
    v("only-last-cr-stripped", b"a\r\r\n", [b"a\r"]),
    v("unterminated-line-on-flush", b"<13>a\n<13>tail", [b"<13>a", b"<13>tail"]),
    v("unterminated-line-cr-on-flush", b"<13>tail\r", [b"<13>tail"]),
    v("digits-not-followed-by-space", b"123abc\n", [b"123abc"]),
    v("digits-then-lf", b"123\n456", [b"123", b"456"]),
    v("space-first-is-a-line", b" 12 x\n", [b" 12 x"]),
    # octet counting
    v("octet-counted", b"5 <13>a5 <13>b", [b"<13>a", b"<13>b"]),
    v("octet-counted-with-lf-inside", b"6 a\nb\nc\n1 x", [b"a\nb\nc\n", b"x"]),
    v("octet-then-lf", b"5 <13>a<13>b\n", [b"<13>a", b"<13>b"]),
    v("lf-then-octet", b"<13>b\n5 <13>a", [b"<13>b", b"<13>a"]),
    v("octet-counted-trailing-lf", b"5 <13>a\n5 <13>b\n", [b"<13>a", b"<13>b"]),
    v("leading-zero-count", b"03 abc", [b"abc"]),
    v("zero-count-invalid", b"0 abc\n", [b"abc"], invalid=1),
    v("octet-exactly-max-frame", b"16 " + b"x" * 16, [b"x" * 16]),
    v("octet-over-max-frame-truncated", b"20 " + b"x" * 16 + b"yyyy" + b"3 abc",
      [b"x" * 16, b"abc"], truncated=1),
    v("huge-count-is-consumed", b"999999999 " + b"x" * 40 + b"\n3 abc", [b"x" * 16],
      truncated=1),
    v("absurd-count-resyncs-at-lf", b"1234567890 " + b"x" * 20 + b"\nok\n", [b"x" * 16, b"ok"],
      truncated=1, invalid=1),
    v("absurd-count-short-frame-on-close", b"1234567890 abc", [b"abc"], invalid=1),
    v("partial-octet-frame-on-close", b"10 abc", [b"abc"], invalid=1),
    v("count-alone-on-close", b"12", [b"12"]),
    # oversized lines
    v("line-exactly-max-frame", b"y" * 16 + b"\nz\n", [b"y" * 16, b"z"]),
    v("line-max-frame-plus-crlf", b"y" * 16 + b"\r\nz\n", [b"y" * 16, b"z"]),
    v("line-over-max-frame", b"y" * 16 + b"abc\nz\n", [b"y" * 16, b"z"], truncated=1),
    v("line-over-max-frame-by-cr", b"y" * 16 + b"\r\r\n", [b"y" * 16], truncated=1),
    v("line-over-max-frame-nul-ends", b"y" * 40 + b"\x00z\n", [b"y" * 16, b"z"], truncated=1),
    v("oversized-line-on-close", b"y" * 40, [b"y" * 16], truncated=1),
    v("digit-run-longer-than-max-frame", b"1" * 20 + b" tail\nz\n", [b"1" * 16, b"z"],
      truncated=1),
    v("two-oversized-lines", b"a" * 20 + b"\n" + b"b" * 20 + b"\n", [b"a" * 16, b"b" * 16],
      truncated=2),
]  # fmt: skip


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize(("stream", "max_frame", "frames", "truncated", "invalid"), VECTORS)
def test_framing_vectors(
    split: str, stream: bytes, max_frame: int, frames: list[bytes], truncated: int, invalid: int
) -> None:
    got, framer = run(stream, max_frame, SPLITS[split](stream))
    assert got == frames
    assert (framer.truncated, framer.invalid) == (truncated, invalid)


def test_feed_returns_frames_as_they_complete() -> None:
    framer = Framer()
    assert framer.feed(b"<13>a\n<13>b") == [b"<13>a"]
    assert framer.feed(b"c\n12 <13>") == [b"<13>bc"]
    assert framer.feed(b"hello w") == []
    assert framer.feed(b"orld") == [b"<13>hello wo"]
    assert framer.feed(b"\n3 ab") == [b"rld"]
    assert framer.buffered == 2  # the announced 3-byte frame is waiting for its last byte
    assert framer.feed(b"") == []
    assert framer.feed(b"c") == [b"abc"]


def test_flush_resets_for_reuse() -> None:
    framer = Framer(8)
    framer.feed(b"5 ab")
    assert framer.flush() == [b"ab"]
    assert framer.feed(b"x\n") == [b"x"]


def test_max_frame_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_frame"):
        Framer(0)


def test_memory_stays_bounded_on_endless_frames() -> None:
    """A peer that never ends its frame costs max_frame bytes, whatever it sends."""
    chunk = b"z" * 100_000
    for head in (b"", b"999999999 ", b"12345678901234567890 ", b"7" * 30):
        framer = Framer(1024)
        frames = framer.feed(head)
        for _ in range(50):
            frames += framer.feed(chunk)
            assert framer.buffered <= 1025
        assert len(frames) == 1 and len(frames[0]) == 1024
        assert framer.truncated == 1


def test_endless_digits_fed_one_byte_at_a_time_is_not_quadratic() -> None:
    framer = Framer(50_000)
    frames: list[bytes] = []
    for _ in range(120_000):
        frames += framer.feed(b"7")
    assert frames == [b"7" * 50_000]
    assert framer.buffered == 0


# --- properties ---------------------------------------------------------------------------------

ALPHABET = b"0123456789 \n\r\x00<>ab"
streams = st.lists(st.sampled_from([bytes([c]) for c in ALPHABET]), max_size=300).map(b"".join)


@st.composite
def split_points(draw: st.DrawFn, stream: bytes) -> list[bytes]:
    """The stream cut into random chunks."""
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=20)))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=500)
@given(stream=streams | st.binary(max_size=300), max_frame=st.integers(1, 40), data=st.data())
def test_any_chunking_gives_the_same_frames(stream: bytes, max_frame: int, data: Any) -> None:
    reference, ref = run(stream, max_frame, [stream])
    chunks = data.draw(split_points(stream))
    got, framer = run(stream, max_frame, chunks)
    assert got == reference
    assert (framer.truncated, framer.invalid) == (ref.truncated, ref.invalid)
    bytewise_frames, _ = run(stream, max_frame, bytewise(stream))
    assert bytewise_frames == reference
    for frame in reference:
        assert 0 < len(frame) <= max_frame


@settings(max_examples=300)
@given(
    messages=st.lists(st.binary(min_size=1, max_size=60), max_size=20),
    max_frame=st.integers(1, 64),
)
def test_octet_counting_round_trip(messages: list[bytes], max_frame: int) -> None:
    stream = b"".join(b"%d %s" % (len(m), m) for m in messages)
    frames, framer = run(stream, max_frame, bytewise(stream))
    assert frames == [m[:max_frame] for m in messages]
    assert framer.truncated == sum(len(m) > max_frame for m in messages)
    assert framer.invalid == 0


OCTET_COUNT_LIKE = re.compile(rb"[0-9]+ ")


def is_plain_line(body: bytes) -> bool:
    """A body that LF framing gives back unchanged."""
    return (
        b"\n" not in body
        and b"\x00" not in body
        and not body.endswith(b"\r")
        and OCTET_COUNT_LIKE.match(body) is None
    )


line_bodies = st.binary(min_size=1, max_size=60).filter(is_plain_line)


@settings(max_examples=300)
@given(messages=st.lists(line_bodies, max_size=20), crlf=st.booleans())
def test_lf_framing_round_trip(messages: list[bytes], crlf: bool) -> None:
    end = b"\r\n" if crlf else b"\n"
    stream = b"".join(m + end for m in messages)
    frames, framer = run(stream, 64, threes(stream))
    assert frames == messages
    assert (framer.truncated, framer.invalid) == (0, 0)
