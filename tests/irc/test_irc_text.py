"""Text helpers: sanitising, byte-limit splitting that keeps UTF-8 whole, packing with a cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusd.irc.text import (
    cut_bytes,
    match_choice,
    pack,
    sanitize,
    split_bytes,
    text_budget,
    utf8_len,
)

SANITIZE_VECTORS = [
    ("plain", "plain"),
    ("\x02bold\x02 \x1ditalic\x1d \x1funder\x1f \x16rev\x16 \x0freset",
     "bold italic under rev reset"),
    ("\x0304,12red on blue\x03 done", "red on blue done"),
    ("\x04ff0000hex\x04 x", "hex x"),
    ("line\r\nbreak\ninjection", "line break injection"),
    ("nul\x00byte bell\x07", "nul byte bell"),
    ("rtl\u202eevil\u2066x", "rtl evil x"),
    ("  many   spaces\t\ttabs ", "many spaces tabs"),
    ("\x9bC1 csi", "C1 csi"),
    ("x" * 500, "x" * 399 + "…"),
]


@pytest.mark.parametrize(("raw", "clean"), SANITIZE_VECTORS)
def test_sanitize(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean


@given(st.text())
def test_sanitize_never_leaves_controls(raw: str) -> None:
    out = sanitize(raw)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in out)
    assert len(out) <= 400


@given(st.text(min_size=0, max_size=600), st.integers(min_value=4, max_value=120))
def test_split_bytes_keeps_utf8_whole_and_within_limit(text: str, limit: int) -> None:
    pieces = split_bytes(text, limit)
    for piece in pieces:
        assert utf8_len(piece) <= limit
        piece.encode("utf-8")  # no half characters (they would have been dropped, not split)
    if not any("\ud800" <= c <= "\udfff" for c in text):  # lone surrogates cannot be encoded
        assert "".join("".join(pieces).split()) == "".join(text.split())


def test_cut_bytes_never_splits_a_character() -> None:
    assert cut_bytes("ééé", 5) == "éé"
    assert cut_bytes("😀x", 3) == ""
    assert cut_bytes("abc", 10) == "abc"


def test_pack_joins_items_and_caps_lines() -> None:
    assert pack(["a", "b", "c"], 100, 4) == ["a · b · c"]
    lines = pack([f"item{i:02d}" for i in range(40)], 30, 3)
    assert len(lines) == 3
    assert lines[-1].endswith("more")
    assert all(utf8_len(line) <= 30 for line in lines)
    shown = sum(line.count("item") for line in lines)
    assert lines[-1].endswith(f"and {40 - shown} more")


def test_pack_splits_a_long_item() -> None:
    lines = pack(["word " * 150], 50, 10)
    assert len(lines) == 10 and all(utf8_len(x) <= 50 for x in lines)
    assert lines[-1].endswith("…")


def test_text_budget_leaves_room_for_the_servers_prefix() -> None:
    budget = text_budget("PRIVMSG", "#ops")
    assert 350 < budget < 512 - len("PRIVMSG #ops :")


@pytest.mark.parametrize(("word", "expected"), [
    ("operational", "operational"), ("Major Outage", "major_outage"), ("major-outage",
                                                                          "major_outage"),
    ("degr", "degraded_performance"), ("o", None), ("", None), ("outage", None),
])
def test_match_choice(word: str, expected: str | None) -> None:
    choices = ("operational", "degraded_performance", "partial_outage", "major_outage")
    assert match_choice(word, choices) == expected
