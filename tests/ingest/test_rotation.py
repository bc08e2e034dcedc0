"""The pure side of file following: rotation state machine, line splitting, resume offsets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusd.ingest.rotation import (
    HEAD_BYTES,
    FileId,
    LineSplitter,
    Look,
    Position,
    Step,
    head_hash,
    next_step,
    resume_offset,
)

A, B = FileId(1, 100), FileId(1, 200)

# (held, offset, look, drained) -> step
STEPS = [
    ("nothing held, no file", None, 0, Look(None), False, Step.WAIT),
    ("nothing held, file appears", None, 0, Look(A), False, Step.OPEN),
    ("same file grew", A, 10, Look(A, 50), False, Step.READ),
    ("same file, same size", A, 50, Look(A, 50), False, Step.READ),
    ("same file shrank: copytruncate", A, 50, Look(A, 10), False, Step.TRUNCATED),
    ("same file emptied", A, 50, Look(A, 0), False, Step.TRUNCATED),
    ("same size, first line changed: rewritten", A, 50, Look(A, 80, False), False,
     Step.TRUNCATED),
    ("renamed, new file at path: finish old", A, 50, Look(B, 60), False, Step.DRAIN),
    ("renamed, old file read to its end: switch", A, 60, Look(B, 60), True, Step.SWITCH),
    ("renamed, no new file yet: finish old", A, 50, Look(None, 60), False, Step.DRAIN),
    ("removed and read to its end: close", A, 60, Look(None, 60), True, Step.CLOSE),
]


@pytest.mark.parametrize(("held", "offset", "look", "drained", "step"),
                         [case[1:] for case in STEPS], ids=[case[0] for case in STEPS])
def test_rotation_steps(held: FileId | None, offset: int, look: Look, drained: bool,
                        step: Step) -> None:
    assert next_step(held, offset, look, drained) is step


SAVED = Position(1, 100, 500, "h1")
# (saved, current, size, head, start_at_end) -> offset
RESUMES: list[tuple[str, Position | None, FileId, int, str, bool, int]] = [
    ("never seen, tail -F style: from the end", None, A, 900, "h1", True, 900),
    ("never seen, from the beginning", None, A, 900, "h1", False, 0),
    ("same file grew while away", SAVED, A, 900, "h1", True, 500),
    ("same file, nothing new", SAVED, A, 500, "h1", True, 500),
    ("rotated while away: new file from 0", SAVED, B, 900, "h2", True, 0),
    ("truncated while away", SAVED, A, 100, "h1", True, 0),
    ("inode reused by other content", SAVED, A, 900, "h2", True, 0),
    ("head unknown when saved", Position(1, 100, 5, ""), A, 900, "h1", True, 5),
]


@pytest.mark.parametrize(("saved", "current", "size", "head", "start_at_end", "want"),
                         [c[1:] for c in RESUMES], ids=[c[0] for c in RESUMES])
def test_resume_offsets(saved: Position | None, current: FileId, size: int, head: str,
                        start_at_end: bool, want: int) -> None:
    assert resume_offset(saved, current, size, head, start_at_end) == want


def test_head_hash_needs_a_complete_first_line() -> None:
    assert head_hash(b"partial") == ""
    assert head_hash(b"first\nsecond") == head_hash(b"first\nother")
    assert head_hash(b"first\n") != head_hash(b"First\n")
    assert head_hash(b"x" * HEAD_BYTES) == head_hash(b"x" * (HEAD_BYTES + 50))


def lines(out: list[tuple[bytes, int]]) -> list[bytes]:
    return [line for line, _ in out]


# (chunks, max_line) -> (lines, offsets after each)
SPLITS = [
    ("two lines", [b"a\nb\n"], 100, [(b"a", 2), (b"b", 4)]),
    ("CRLF", [b"a\r\nb\r\n"], 100, [(b"a", 3), (b"b", 6)]),
    ("line across chunks", [b"ab", b"c\nd", b"\n"], 100, [(b"abc", 4), (b"d", 6)]),
    ("blank lines skipped", [b"\n\n  \nx\n"], 100, [(b"x", 7)]),
    ("copytruncate hole of NULs", [b"\x00\x00\x00real\n"], 100, [(b"real", 8)]),
    ("oversized line cut, rest skipped", [b"abcdefgh\nz\n"], 4, [(b"abcd", 9), (b"z", 11)]),
    ("oversized partial cut early", [b"abcdefgh", b"ij\nz\n"], 4, [(b"abcd", 8), (b"z", 13)]),
    ("skip across many chunks", [b"abcdef", b"ghij", b"kl\nok\n"], 4,
     [(b"abcd", 6), (b"ok", 16)]),
]


@pytest.mark.parametrize(("chunks", "max_line", "want"), [c[1:] for c in SPLITS],
                         ids=[c[0] for c in SPLITS])
def test_splitter(chunks: list[bytes], max_line: int, want: list[tuple[bytes, int]]) -> None:
    sp = LineSplitter(0, max_line)
    out: list[tuple[bytes, int]] = []
    for chunk in chunks:
        out += sp.feed(chunk, 0.0)
    assert out == want
    assert sp.pending <= max_line


def test_partial_line_waits_for_its_newline_then_times_out() -> None:
    sp = LineSplitter(100)
    assert sp.feed(b"done\nhalf", now=10.0) == [(b"done", 105)]
    assert sp.expire(now=12.0, timeout=5.0) == []
    assert sp.feed(b" more", now=13.0) == []  # still the same partial line: its clock runs on
    assert sp.expire(now=15.0, timeout=5.0) == [(b"half more", 114)]
    assert sp.pending == 0 and sp.expire(now=99.0, timeout=5.0) == []


def test_partial_line_completed_in_time_is_one_line() -> None:
    sp = LineSplitter()
    assert sp.feed(b"hal", now=0.0) == []
    assert sp.feed(b"f\n", now=4.0) == [(b"half", 5)]
    assert sp.expire(now=100.0, timeout=5.0) == []


def test_reset_forgets_held_bytes() -> None:
    sp = LineSplitter()
    sp.feed(b"abc", 0.0)
    sp.reset(0)
    assert sp.feed(b"x\n", 0.0) == [(b"x", 2)]


@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=8),
       max_line=st.integers(1, 50))
def test_any_chunking_gives_the_same_lines(data: bytes, cuts: list[int], max_line: int) -> None:
    whole = LineSplitter(0, max_line)
    expected = whole.feed(data, 0.0) + whole.flush()
    pieces = LineSplitter(0, max_line)
    got: list[tuple[bytes, int]] = []
    last = 0
    for cut in sorted(set(cuts)):
        got += pieces.feed(data[last:cut], 0.0)
        assert pieces.pending <= max_line
        last = max(last, cut)
    got += pieces.feed(data[last:], 0.0) + pieces.flush()
    assert lines(got) == lines(expected)
    assert all(len(line) <= max_line and b"\n" not in line for line in lines(got))
    assert [end for _, end in got] == sorted(end for _, end in got)
