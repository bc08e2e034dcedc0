"""Operators by hostmask glob and services account; the account book."""

from __future__ import annotations

import pytest

from statusd.irc.auth import (
    AccountBook,
    OperatorError,
    Operators,
    account_from_tags,
    parse_operator,
)

MASK_VECTORS = [
    (["*!*@trusted.example.org"], "alice!~a@trusted.example.org", True),
    (["*!*@trusted.example.org"], "alice!~a@TRUSTED.example.ORG", True),
    (["*!*@trusted.example.org"], "alice!~a@evil.trusted.example.org.net", False),
    (["*!*@*.example.org"], "bob!b@host.example.org", True),
    (["alice"], "Alice!whatever@anywhere", True),
    (["alice"], "alice2!a@host", False),
    (["al?ce!*@*"], "alxce!a@h", True),
    (["[ops]!*@*"], "{ops}!x@h", True),  # RFC 1459 case mapping: [] ~ {}
    (["[ops]!*@*"], "o!x@h", False),  # [ and ] are literal, not a character class
    (["*!~op*@10.0.0.*"], "x!~operator@10.0.0.7", True),
    (["*!~op*@10.0.0.*"], "x!operator@10.0.0.7", False),
    (["account:alice"], "alice!a@h", False),  # an account entry never matches a hostmask
    ([], "alice!a@h", False),
]


@pytest.mark.parametrize(("entries", "mask", "expected"), MASK_VECTORS)
def test_hostmask(entries: list[str], mask: str, expected: bool) -> None:
    assert Operators(entries).match_mask(mask) is expected


def test_accounts() -> None:
    ops = Operators(["*!*@x", "account:Alice"])
    assert ops.uses_accounts
    assert ops.match_account("alice") and ops.match_account("ALICE")
    assert not ops.match_account("bob") and not ops.match_account(None)
    assert not Operators(["*!*@x"]).uses_accounts


@pytest.mark.parametrize("entry", ["", "account:", "account:a*", "bob@host", "a!b", "a b",
                                   "x,y"])
def test_bad_entries(entry: str) -> None:
    with pytest.raises(OperatorError):
        parse_operator(entry)


def test_account_book_expiry_and_renames() -> None:
    book = AccountBook(ttl=60)
    assert book.lookup("alice", 0) == (False, None)
    book.set("Alice", "alice", 0)
    assert book.lookup("ALICE", 30) == (True, "alice")
    assert book.lookup("alice", 61) == (False, None)  # a WHOIS snapshot goes stale
    book.set("bob", "*", 100)
    assert book.lookup("bob", 100) == (True, None)
    book.set("carol", "carol", 100)
    book.rename("carol", "carol_")
    assert book.lookup("carol_", 100) == (True, "carol")
    book.forget("carol_")
    assert book.lookup("carol_", 100) == (False, None)
    book.live = True  # account-notify: the server keeps us up to date
    book.set("dave", "dave", 0)
    assert book.lookup("dave", 10_000) == (True, "dave")


def test_account_tag() -> None:
    assert account_from_tags([{"key": "time", "value": "x"}, {"key": "account",
                                                                "value": "alice"}]) == "alice"
    assert account_from_tags(None) is None
    assert account_from_tags([{"key": "account", "value": None}]) is None
