"""Who is an operator: hostmask, account tag, what the server told us, WHOIS as a last resort."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from statusd.irc.auth import Operators
from statusd.irc.identity import Identity

OPS = Operators(["*!*@trusted.example.org", "account:alice"])


def recorder(sent: list[str]) -> Callable[[str], bool]:
    """A send function that keeps the lines it is given."""
    def send(line: str) -> bool:
        sent.append(line)
        return True
    return send


def test_hostmask_needs_no_lookup() -> None:
    sent: list[str] = []
    ident = Identity(OPS, recorder(sent))
    assert asyncio.run(ident.is_operator("x!y@trusted.example.org", "x", None))
    assert sent == []


def test_account_tag_decides_alone() -> None:
    sent: list[str] = []
    ident = Identity(OPS, recorder(sent))
    ident.reset(account_tag=True)
    assert asyncio.run(ident.is_operator("a!b@c", "a", "Alice"))
    assert not asyncio.run(ident.is_operator("a!b@c", "a", None))
    assert sent == []  # the tag (or its absence) is the answer: no WHOIS


def test_live_book_from_account_notify() -> None:
    ident = Identity(OPS, lambda line: False)
    ident.reset(live=True)
    ident.seen("a", "alice")
    ident.seen("m", "*")
    assert asyncio.run(ident.is_operator("a!b@c", "a", None))
    assert not asyncio.run(ident.is_operator("m!b@c", "m", None))


def test_whois_330_then_cached() -> None:
    async def scenario() -> None:
        sent: list[str] = []
        ident = Identity(OPS, recorder(sent))
        ask = asyncio.create_task(ident.is_operator("a!b@c", "Alice", None))
        await asyncio.sleep(0)
        assert sent == ["WHOIS Alice"]
        ident.whois_account("Alice", "alice")
        ident.whois_end("Alice")
        assert await ask
        assert await ident.is_operator("a!b@c", "alice", None)  # cached: no second WHOIS
        assert sent == ["WHOIS Alice"]
        refused = asyncio.create_task(ident.is_operator("m!b@c", "mallory", None))
        await asyncio.sleep(0)
        ident.whois_end("mallory")  # no 330: not logged in
        assert not await refused
        again = asyncio.create_task(ident.is_operator("m!b@c", "mallory", None))
        await asyncio.sleep(0)
        assert sent[-1] == "WHOIS mallory"  # a "no" is asked again: they may have logged in
        ident.reset()  # connection lost: waiting lookups end as "no"
        assert not await again

    asyncio.run(scenario())


def test_whox_replies_fill_the_book() -> None:
    ident = Identity(OPS, lambda line: False)
    ident.whox_reply(["42", "a", "alice"])
    ident.whox_reply(["7", "m", "alice"])  # not our token
    now = time.monotonic()
    assert ident.book.lookup("a", now) == (True, "alice")
    assert ident.book.lookup("m", now) == (False, None)
    assert asyncio.run(ident.is_operator("a!b@c", "a", None))
