"""Who is an operator right now: hostmask first, then the services account, asking when needed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from statusd.irc.auth import AccountBook, Operators, irc_lower

WHOIS_TIMEOUT = 5.0
WHOX_TOKEN = "42"


class Identity:
    """Keeps the account book from server events and answers "may this sender change things?".

    Accounts come from the IRCv3 account tag of the message itself when the server sends
    them; from extended-join / account-notify / WHOX replies; and otherwise from a WHOIS
    (numeric 330), which is what ngircd offers when services set an account name.
    """

    def __init__(self, operators: Operators, send: Callable[[str], bool]) -> None:
        self.operators = operators
        self.send = send  # queue a raw line to the server
        self.book = AccountBook()
        self.account_tag = False  # the server tags every message with the sender's account
        self._pending: dict[str, asyncio.Future[str | None]] = {}
        self._whois_account: dict[str, str] = {}

    def reset(self, *, account_tag: bool = False, live: bool = False) -> None:
        """A new connection: forget what the old one said, and fail waiting lookups."""
        self.book.clear()
        self.book.live = live
        self.account_tag = account_tag
        for future in self._pending.values():
            if not future.done():
                future.set_result(None)
        self._pending.clear()
        self._whois_account.clear()

    def seen(self, nick: str, account: str | None) -> None:
        """The server told us nick's account (extended-join, ACCOUNT, WHOX; "*"/"0": none)."""
        self.book.set(nick, account, time.monotonic())

    def whox_reply(self, args: list[str]) -> None:
        """A 354 reply to our "WHO #chan %tna,42": token, nick, account."""
        if len(args) >= 3 and args[0] == WHOX_TOKEN:
            self.seen(args[1], args[2])

    def whois_account(self, nick: str, account: str) -> None:
        """A 330 line of a WHOIS reply."""
        self._whois_account[irc_lower(nick)] = account

    def whois_end(self, nick: str) -> None:
        """The end of a WHOIS reply (318): no 330 before it means not logged in."""
        key = irc_lower(nick)
        account = self._whois_account.pop(key, None)
        self.book.set(key, account, time.monotonic())
        future = self._pending.pop(key, None)
        if future is not None and not future.done():
            future.set_result(account)

    async def is_operator(self, hostmask: str, nick: str, tag_account: str | None) -> bool:
        """Hostmask globs first; then account: entries against the sender's account."""
        if self.operators.match_mask(hostmask):
            return True
        if not self.operators.uses_accounts:
            return False
        if tag_account is not None or self.account_tag:
            return self.operators.match_account(tag_account)
        known, account = self.book.lookup(nick, time.monotonic())
        if known and (self.book.live or self.operators.match_account(account)):
            return self.operators.match_account(account)
        # Unknown, or a snapshot saying "not an operator" (they may have logged in since): ask.
        return self.operators.match_account(await self._whois(nick))

    async def _whois(self, nick: str) -> str | None:
        key = irc_lower(nick)
        future = self._pending.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._pending[key] = future
            if not self.send(f"WHOIS {nick}"):
                self._pending.pop(key, None)
                return None
        try:
            return await asyncio.wait_for(asyncio.shield(future), WHOIS_TIMEOUT)
        except TimeoutError:
            self._pending.pop(key, None)
            return None
