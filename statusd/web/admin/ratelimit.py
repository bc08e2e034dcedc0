"""Login rate limiting in memory: failures per username and per address, then a lockout."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from statusd.durations import parse_duration

MAX_KEYS = 10_000  # tracked usernames plus addresses; the oldest are forgotten beyond this
MAX_KEY_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` events within `window`."""

    count: int
    window: timedelta

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Read "5/15m" (five per fifteen minutes); ValueError when malformed."""
        count_text, sep, window_text = text.partition("/")
        if not sep:
            raise ValueError(f'not a rate: {text!r} (use e.g. "5/15m")')
        try:
            count = int(count_text.strip())
        except ValueError:
            raise ValueError(f'not a rate: {text!r} (use e.g. "5/15m")') from None
        window = parse_duration(window_text)
        if count < 1 or window <= timedelta(0):
            raise ValueError(f"{text!r}: the count and the window must be positive")
        return cls(count, window)


@dataclass(slots=True)
class _Track:
    """Recent failures of one key and, once over the limit, when its lockout ends."""

    failures: deque[datetime]
    locked_until: datetime | None = None


class LoginLimiter:
    """Counts failed logins per username and per client address; over the limit, locks the key.

    Thread-safe (endpoints run in a thread pool). Memory is bounded: at most MAX_KEYS keys are
    tracked, the least recently failed forgotten first. State is per process and lost on restart.
    """

    def __init__(self, per_user: Rate, per_address: Rate, lockout: timedelta,
                 max_keys: int = MAX_KEYS) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.lockout = lockout
        self.max_keys = max_keys
        self._tracks: OrderedDict[str, _Track] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str) -> list[str]:
        return [f"u:{username[:MAX_KEY_LENGTH]}", f"a:{address[:MAX_KEY_LENGTH]}"]

    def _rate(self, key: str) -> Rate:
        return self.per_user if key.startswith("u:") else self.per_address

    def locked_until(self, username: str, address: str, now: datetime) -> datetime | None:
        """When the later of the username's and the address's lockouts ends (None: not locked)."""
        with self._lock:
            ends = []
            for key in self._keys(username, address):
                track = self._tracks.get(key)
                if track is not None and track.locked_until is not None:
                    if track.locked_until > now:
                        ends.append(track.locked_until)
                    else:
                        track.locked_until = None
            return max(ends, default=None)

    def failure(self, username: str, address: str, now: datetime) -> None:
        """Count a failed login; lock the username or the address that went over its limit."""
        with self._lock:
            for key in self._keys(username, address):
                rate = self._rate(key)
                track = self._tracks.pop(key, None) or _Track(deque())
                self._tracks[key] = track  # most recently failed last
                while track.failures and track.failures[0] <= now - rate.window:
                    track.failures.popleft()
                track.failures.append(now)
                if len(track.failures) >= rate.count:
                    track.locked_until = now + self.lockout
                    track.failures.clear()
            self._prune(now)

    def success(self, username: str) -> None:
        """Forget the username's failures after a good login (the address keeps its count)."""
        with self._lock:
            self._tracks.pop(self._keys(username, "")[0], None)

    def _prune(self, now: datetime) -> None:
        if len(self._tracks) <= self.max_keys:
            return
        horizon = max(self.per_user.window, self.per_address.window)
        for key in [k for k, t in self._tracks.items()
                    if (t.locked_until is None or t.locked_until <= now)
                    and (not t.failures or t.failures[-1] <= now - horizon)]:
            del self._tracks[key]
        while len(self._tracks) > self.max_keys:
            self._tracks.popitem(last=False)

    def __len__(self) -> int:
        return len(self._tracks)
