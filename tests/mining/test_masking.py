"""Masking: what is replaced by <*> before clustering, as a table of vectors."""

from __future__ import annotations

import pytest

from statusd.mining.masking import Masker, kind_of, mask

MASK_VECTORS = [
    # (message, masked)
    ("Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.0.0.1:50010",
     "Receiving block <*> src: <*> dest: <*>"),
    ("Failed password for root from 203.0.113.9 port 4711 ssh2",
     "Failed password for root from <*> port <*> <*>"),
    ("link to fe80::1%eth0 and [2001:db8::1]:443 via ::1 mac 52:54:00:12:34:56",
     "link to <*> and <*> via <*> mac <*>"),
    ("2024-05-01 12:00:00,123 INFO started", "<*> INFO started"),
    ("2024-05-01T12:00:00.5+02:00 up", "<*> up"),
    ("[Sun Dec 04 04:47:44 2005] [error] state 6", "[<*>] [error] state <*>"),
    ("at May  1 12:00:00 and 17/06/09 20:10:40 and 01/May/2024:12:00:00 +0000 done",
     "at <*> and <*> and <*> done"),
    ("took 12ms at 12:01:02", "took <*> at <*>"),
    ('request "GET /index.html?x=1 HTTP/1.1" failed', 'request "<*>" failed'),
    ("can't open '/etc/passwd': don't retry", "can't open '<*>': don't retry"),
    ("mail from user.name+tag@example.com ok", "mail from <*> ok"),
    ("fetch https://api.example.org/v1/items?id=3 ok", "fetch <*> ok"),
    ("instance 123e4567-e89b-12d3-a456-426614174000 gone", "instance <*> gone"),
    ("value 0xdeadbeef at node-12.cluster.local", "value <*> at <*>"),
    ("resolved example.org. again", "resolved <*>. again"),
    ("PWD=/home/alice ; TTY=pts/0 ; size=1024, (110: timed out) *123 #45",
     "PWD=<*> ; TTY=pts/<*> ; size=<*>, (<*>: timed out) *<*> #<*>"),
    ("std::vector stays, HTTP/1.1 x86_64", "std::vector stays, HTTP/<*> <*>"),
    ("opened C:\\Users\\bob\\file.txt", "opened <*>"),
    ("no variables here at all", "no variables here at all"),
]


@pytest.mark.parametrize(("message", "masked"), MASK_VECTORS)
def test_mask(message: str, masked: str) -> None:
    assert mask(message) == masked


def test_tokens_split_on_whitespace_and_cache_constants() -> None:
    m = Masker()
    assert m.tokens("user  alice\tfrom 10.0.0.1") == ["user", "alice", "from", "<*>"]
    assert m.tokens("user bob from 10.0.0.2") == ["user", "bob", "from", "<*>"]


def test_long_message_is_cut() -> None:
    assert len(mask("x " * 10_000)) <= 4096


@pytest.mark.parametrize(("value", "kind"), [
    ("10.0.0.1", "ipv4"), ("fe80::1", "ipv6"), ("a@example.com", "email"),
    ("https://x.org/", "url"), ("/var/log/syslog", "path"), ("12345", "number"),
    ("hello", None),
])
def test_kind_of(value: str, kind: str | None) -> None:
    assert kind_of(value) == kind
