"""Who is an operator: hostmask globs and services accounts, and what we know of accounts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ACCOUNT_PREFIX = "account:"
# RFC 1459 case mapping: {}|^ are the lower-case forms of []\~ (ascii servers differ only there).
_RFC1459 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\~", "abcdefghijklmnopqrstuvwxyz{}|^")


class OperatorError(ValueError):
    """An entry of irc.operators that is neither a hostmask glob nor account:NAME."""


def irc_lower(text: str) -> str:
    """Lower-case under the RFC 1459 case mapping, for comparing nicks, masks and accounts."""
    return text.translate(_RFC1459)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile an IRC glob (* and ? only; [ and ] are literal) into a case-insensitive regex."""
    parts = []
    for ch in irc_lower(pattern):
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL)


@dataclass(frozen=True, slots=True)
class OperatorEntry:
    """One entry of irc.operators: a hostmask glob or an account name."""

    text: str
    account: str | None = None  # irc-lower-cased account name, for account: entries
    mask: re.Pattern[str] | None = None


def parse_operator(entry: str) -> OperatorEntry:
    """Read "account:alice", "*!*@host", "nick!user@host" or a bare nick ("alice!*@*")."""
    text = entry.strip()
    if not text or any(c in text for c in " \r\n\x00,"):
        raise OperatorError(f"{entry!r}: an operator is a hostmask glob or account:NAME")
    if text.lower().startswith(ACCOUNT_PREFIX):
        name = text[len(ACCOUNT_PREFIX):]
        if not name or any(c in name for c in "*?!@"):
            raise OperatorError(f"{entry!r}: account:NAME takes one plain account name")
        return OperatorEntry(text, account=irc_lower(name))
    if "!" not in text and "@" not in text:
        text = f"{text}!*@*"
    elif "!" not in text or "@" not in text.split("!", 1)[1]:
        raise OperatorError(f"{entry!r}: a hostmask is nick!user@host (globs * and ?)")
    return OperatorEntry(entry, mask=glob_regex(text))


class Operators:
    """The irc.operators list, matched against a sender's hostmask and services account."""

    def __init__(self, entries: list[str] | tuple[str, ...]) -> None:
        parsed = [parse_operator(e) for e in entries]
        self.masks = [e.mask for e in parsed if e.mask is not None]
        self.accounts = {e.account for e in parsed if e.account is not None}

    @property
    def uses_accounts(self) -> bool:
        """True when some entry is account:NAME (the bot then looks accounts up)."""
        return bool(self.accounts)

    def match_mask(self, hostmask: str) -> bool:
        """True if nick!user@host matches one of the hostmask globs."""
        low = irc_lower(hostmask)
        return any(m.fullmatch(low) for m in self.masks)

    def match_account(self, account: str | None) -> bool:
        """True if the services account is one of the account: entries."""
        return account is not None and irc_lower(account) in self.accounts


@dataclass(slots=True)
class _Known:
    account: str | None  # None: known not to be logged in
    at: float


@dataclass
class AccountBook:
    """What the server told us about nicks' services accounts.

    Sources: IRCv3 account-tag (per message), extended-join and account-notify (kept up to
    date by the server, so entries do not expire), WHOX and WHOIS 330 (a snapshot: entries
    expire after ttl seconds, since a logout would go unnoticed).
    """

    ttl: float = 60.0
    live: bool = False  # account-notify is on: the server reports every change
    _nicks: dict[str, _Known] = field(default_factory=dict)

    def set(self, nick: str, account: str | None, now: float) -> None:
        """Record nick's account ("*" and "0" mean logged out)."""
        if account in ("*", "0", ""):
            account = None
        self._nicks[irc_lower(nick)] = _Known(account, now)

    def lookup(self, nick: str, now: float) -> tuple[bool, str | None]:
        """(known, account): known is False when the book has nothing fresh on nick."""
        known = self._nicks.get(irc_lower(nick))
        if known is None:
            return False, None
        if not self.live and now - known.at > self.ttl:
            del self._nicks[irc_lower(nick)]
            return False, None
        return True, known.account

    def rename(self, old: str, new: str) -> None:
        """Follow a nick change."""
        known = self._nicks.pop(irc_lower(old), None)
        if known is not None:
            self._nicks[irc_lower(new)] = known

    def forget(self, nick: str) -> None:
        """Drop a nick that left (or whose account state is in doubt)."""
        self._nicks.pop(irc_lower(nick), None)

    def clear(self) -> None:
        """Forget everything (on disconnect)."""
        self._nicks.clear()


def account_from_tags(tags: list[dict[str, str | None]] | None) -> str | None:
    """The IRCv3 account tag of a message, if the server sent one."""
    for tag in tags or ():
        if tag.get("key") == "account" and tag.get("value"):
            return tag["value"]
    return None
