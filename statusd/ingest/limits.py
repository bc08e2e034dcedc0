"""Caps on what hostile or broken senders may hold: connections per source and in all.

One ``ConnectionLimiter`` is shared by every stream listener of a process (TCP, TLS, RELP), so a
flood on one port cannot exhaust the file descriptors the others need. It is pure bookkeeping;
the protocols ask it in ``connection_made`` and tell it in ``connection_lost``.
"""

from __future__ import annotations

import logging
import resource
from collections.abc import Callable

__all__ = ["ConnectionLimiter", "raise_fd_limit", "source_of"]

log = logging.getLogger(__name__)


def source_of(peer: object) -> str:
    """The address a connection limit counts by: the host of a (host, port, ...) peer name."""
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return "" if peer is None else str(peer)


class ConnectionLimiter:
    """Admits a connection unless its source, or the process, already holds the most allowed.

    When every slot is taken, a newcomer whose source holds fewer connections than the heaviest
    source takes the oldest connection of that source (which is closed): a flood from a few
    addresses cannot lock out the others.
    """

    def __init__(self, per_source: int, total: int):
        self.per_source = per_source
        self.total = total
        self.by_source: dict[str, int] = {}
        self.refused = 0  # refused newcomers
        self.evicted = 0  # connections closed to make room
        self._held: dict[int, tuple[str, Callable[[], None]]] = {}  # token -> source, closer
        self._next = 0
        self._warned: set[str] = set()

    @property
    def open(self) -> int:
        """Connections admitted and not yet released."""
        return len(self._held)

    def admit(self, source: str, close: Callable[[], None]) -> int | None:
        """Count a new connection from source; its token, or None when it must be refused."""
        held = self.by_source.get(source, 0)
        if held >= self.per_source:
            self._refuse(source)
            return None
        if len(self._held) >= self.total and not self._evict_for(held):
            self._refuse("all sources")
            return None
        self._next += 1
        self._held[self._next] = (source, close)
        self.by_source[source] = held + 1
        return self._next

    def release(self, token: int | None) -> None:
        """The connection with this token closed (unknown tokens are ignored)."""
        entry = self._held.pop(token, None) if token is not None else None
        if entry is None:
            return
        source = entry[0]
        left = self.by_source.get(source, 1) - 1
        if left <= 0:
            self.by_source.pop(source, None)
            self._warned.discard(source)
        else:
            self.by_source[source] = left
        if len(self._held) < self.total:
            self._warned.discard("all sources")

    def _evict_for(self, newcomer_holds: int) -> bool:
        """Close the oldest connection of the heaviest source, if it holds more than newcomer."""
        heaviest = max(self.by_source, key=self.by_source.__getitem__, default=None)
        if heaviest is None or self.by_source[heaviest] <= newcomer_holds + 1:
            return False
        token = next(t for t, (src, _) in self._held.items() if src == heaviest)
        close = self._held[token][1]
        self.release(token)
        self.evicted += 1
        close()
        return True

    def _refuse(self, which: str) -> None:
        self.refused += 1
        if which not in self._warned and len(self._warned) < 1000:
            self._warned.add(which)
            log.warning("connection limit reached for %s (%d per source, %d in all): "
                        "refusing more", which, self.per_source, self.total)


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft open-files limit towards wanted (up to the hard limit); return it."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return 0
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return int(soft)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (OSError, ValueError) as exc:
        log.warning("cannot raise the open-files limit to %d: %s", target, exc)
        return int(soft)
    if target < wanted:
        log.warning("open-files limit %d is below syslog.max_connections + reserve (%d)",
                    target, wanted)
    return int(target)
