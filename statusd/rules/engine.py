"""The rule engine: a pure object fed events and clock values, returning decisions; no I/O."""

from __future__ import annotations

import heapq
import re
from bisect import insort
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import translate
from typing import Any

from statusd.rules.event import Event
from statusd.rules.model import Rule

MAX_KEYS = 100_000  # per rule: open threshold windows / tracked absence keys
MESSAGE_LIMIT = 200  # characters of the message (and of each field) put in a context
STATE_VERSION = 1
_CACHE_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class Fired:
    """The rule fired for group `key` ("" without group_by); `context` fills its templates."""

    rule_id: str
    key: str
    time: datetime
    context: dict[str, str]


@dataclass(frozen=True, slots=True)
class Recovered:
    """The rule's firing for `key` is over: put back what the firing set."""

    rule_id: str
    key: str
    time: datetime


Decision = Fired | Recovered


def make_key(names: Iterable[str], values: Iterable[str]) -> str:
    """The stable group key "name=value,name=value" (',', '=' and '%' in values %-escaped)."""
    return ",".join(f"{n}={_escape(v)}" for n, v in zip(names, values, strict=True))


def split_key(key: str) -> dict[str, str]:
    """The group_by values encoded in a key made by make_key()."""
    out: dict[str, str] = {}
    for part in key.split(",") if key else ():
        name, _, value = part.partition("=")
        out[name] = _unescape(value)
    return out


def _escape(value: str) -> str:
    if "%" in value or "," in value or "=" in value:
        return value.replace("%", "%25").replace(",", "%2C").replace("=", "%3D")
    return value


def _unescape(value: str) -> str:
    if "%" not in value:
        return value
    return value.replace("%2C", ",").replace("%3D", "=").replace("%25", "%")


def format_duration(value: timedelta | None) -> str:
    """A duration as "1h30m", "90s" becomes "1m30s"; "" for None."""
    if value is None:
        return ""
    seconds = value.total_seconds()
    if seconds != int(seconds):
        return f"{seconds:g}s"
    left, out = int(seconds), ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            out += f"{left // size}{unit}"
            left %= size
    return out or "0s"


def _glob_matcher(globs: tuple[str, ...]) -> Callable[[str], Any] | None:
    """One case-insensitive regex for a set of device globs."""
    if not globs:
        return None
    return re.compile("|".join(translate(g) for g in globs), re.IGNORECASE).match


def _getter(name: str) -> Callable[[Event], str]:
    """How to read one group_by value from an event."""
    if name == "device":
        return lambda e: e.device
    if name == "service":
        return lambda e: e.match.service if e.match else ""
    if name == "message_id":
        return lambda e: e.match.message_id if e.match else ""
    if name == "program":
        return lambda e: e.record.program or ""

    def field(e: Event) -> str:
        value = e.match.fields.get(name) if e.match else None
        return "" if value is None else str(value)

    return field


class _Compiled:
    """A rule with its matching precomputed, plus its mutable state."""

    __slots__ = (
        "active",
        "count",
        "devices",
        "except_devices",
        "fields",
        "fired",
        "getters",
        "index",
        "kind",
        "prefix",
        "recover_after",
        "rule",
        "seen",
        "window",
        "windows",
    )

    def __init__(self, rule: Rule, index: int):
        self.rule = rule
        self.index = index
        self.kind = rule.kind
        self.count = rule.count or 1
        self.window = rule.window or timedelta(0)
        self.recover_after = rule.recover_after if rule.kind != "absence" else None
        self.devices = _glob_matcher(rule.match.devices)
        self.except_devices = _glob_matcher(rule.except_devices)
        self.fields = tuple((n, frozenset(v)) for n, v in rule.match.fields)
        self.getters = tuple(_getter(n) for n in rule.group_by)
        self.prefix = f"{rule.group_by[0]}=" if rule.group_by else ""
        self.windows: dict[str, deque[datetime]] = {}  # threshold: key -> event times
        self.active: dict[str, datetime] = {}  # key -> recovery deadline
        self.seen: dict[str, datetime] = {}  # absence: key -> last matching event time
        self.fired: dict[str, datetime] = {}  # absence: key -> when it fired

    def static_match(self, service: str | None, mid: str | None, tax: str | None, lvl: int) -> bool:
        """The conditions that depend only on the message definition."""
        m = self.rule.match
        if m.service is not None and m.service != service:
            return False
        if m.message_id is not None and m.message_id != mid:
            return False
        if m.taxonomy is not None:
            if tax is None:
                return False
            if m.taxonomy.endswith("*"):
                head = m.taxonomy[:-2]
                if m.taxonomy != "*" and tax != head and not tax.startswith(head + "."):
                    return False
            elif m.taxonomy != tax:
                return False
        return m.level is None or lvl <= m.level

    def dynamic_match(self, event: Event) -> bool:
        """The per-event conditions: device globs, exceptions, field values."""
        if self.devices is not None and not self.devices(event.device):
            return False
        if self.except_devices is not None and self.except_devices(event.device):
            return False
        if self.fields:
            values = event.match.fields if event.match else {}
            for name, accepted in self.fields:
                value = values.get(name)
                if value is None or str(value) not in accepted:
                    return False
        return True

    def key_of(self, event: Event) -> str:
        """The group key of an event for this rule."""
        getters = self.getters
        if len(getters) == 1:
            return self.prefix + _escape(getters[0](event))
        return make_key(self.rule.group_by, [g(event) for g in getters])

    def trim(self, table: dict[str, Any], cutoff: datetime) -> None:
        """Make room in a per-key table: drop stale keys, then the oldest, down to 90%."""
        if table is self.windows:
            for key in [k for k, w in self.windows.items() if not w or w[-1] < cutoff]:
                del self.windows[key]
        limit = MAX_KEYS * 9 // 10
        if len(table) > limit:
            for key in list(table)[: len(table) - limit]:
                del table[key]
                self.fired.pop(key, None)


class RuleEngine:
    """Correlates events with rules on event time; returns Fired/Recovered decisions."""

    def __init__(self, rules: list[Rule], *, now: datetime | None = None):
        self._rules = [_Compiled(rule, i) for i, rule in enumerate(rules)]
        self._by_id = {c.rule.id: c for c in self._rules}
        if len(self._by_id) != len(self._rules):
            raise ValueError("rule ids must be unique")
        self._enabled = [c for c in self._rules if c.rule.enabled]
        self._candidates: dict[tuple[Any, ...], tuple[_Compiled, ...]] = {}
        self._heap: list[tuple[datetime, int, str]] = []  # (deadline, rule index, key)
        self._scheduled: dict[tuple[int, str], datetime] = {}  # live heap entry per key
        self._dirty: set[str] = set()
        self._unarmed = [c for c in self._enabled if c.kind == "absence" and not c.getters]
        self.watermark: datetime | None = None
        self.firings: Counter[str] = Counter()
        if now is not None:
            self._see(now)

    @property
    def rules(self) -> list[Rule]:
        """The rules this engine runs, in order."""
        return [c.rule for c in self._rules]

    # ---- time -------------------------------------------------------------------------------

    def _see(self, now: datetime) -> None:
        """Move the watermark forward; arm single-key absence rules at the first time seen."""
        if self.watermark is None or now > self.watermark:
            self.watermark = now
        if self._unarmed:
            for c in self._unarmed:
                if "" not in c.seen:
                    c.seen[""] = self.watermark
                    self._schedule(c, "", self.watermark + c.window)
                    self._dirty.add(c.rule.id)
            self._unarmed = []

    def _schedule(self, c: _Compiled, key: str, deadline: datetime) -> None:
        """Make sure the key is looked at no later than `deadline` (later pushes are lazy)."""
        token = (c.index, key)
        pending = self._scheduled.get(token)
        if pending is None or deadline < pending:
            self._scheduled[token] = deadline
            heapq.heappush(self._heap, (deadline, c.index, key))

    def _due(self, now: datetime) -> list[Decision]:
        """Fire absences and recoveries whose deadline is before `now`, in deadline order."""
        out: list[Decision] = []
        heap = self._heap
        while heap and heap[0][0] < now:
            when, index, key = heapq.heappop(heap)
            if self._scheduled.get((index, key)) != when:
                continue  # superseded by an earlier entry for the same key
            del self._scheduled[(index, key)]
            c = self._rules[index]
            if c.kind == "absence":
                last = c.seen.get(key)
                if last is None or key in c.fired:
                    continue
                deadline = last + c.window
                if deadline > when:  # pushed back since scheduled: keep deadline order
                    self._schedule(c, key, deadline)
                    continue
                c.fired[key] = deadline
                self.firings[c.rule.id] += 1
                self._dirty.add(c.rule.id)
                out.append(Fired(c.rule.id, key, deadline, self._absence_context(c, key, last)))
            else:
                deadline_or_none = c.active.get(key)
                if deadline_or_none is None:
                    continue
                if deadline_or_none > when:
                    self._schedule(c, key, deadline_or_none)
                    continue
                del c.active[key]
                self._dirty.add(c.rule.id)
                out.append(Recovered(c.rule.id, key, deadline_or_none))
        return out

    def advance(self, now: datetime) -> list[Decision]:
        """Time passed with no events: fire absences and recoveries whose deadline is before now."""
        self._see(now)
        assert self.watermark is not None
        return self._due(self.watermark)

    # ---- events -----------------------------------------------------------------------------

    def _candidates_for(self, event: Event) -> tuple[_Compiled, ...]:
        m = event.match
        if m is not None:
            sig: tuple[Any, ...] = (m.service, m.message_id, m.taxonomy, m.level)
        else:
            sig = (None, None, None, event.level)
        found = self._candidates.get(sig)
        if found is None:
            found = tuple(c for c in self._enabled if c.static_match(*sig))
            if len(self._candidates) >= _CACHE_LIMIT:
                self._candidates.clear()
            self._candidates[sig] = found
        return found

    def process(self, event: Event) -> list[Decision]:
        """Advance time to the event's time, then apply the event to every rule it matches."""
        t = event.time
        if self.watermark is None or t > self.watermark or self._unarmed:
            self._see(t)
        out = self._due(t) if self._heap and self._heap[0][0] < t else []
        if event.noise:  # a logcheck ignore rule matched it: time passes, nothing fires
            return out
        for c in self._candidates_for(event):
            if c.dynamic_match(event):
                self._apply(c, event, t, out)
        return out

    def _apply(self, c: _Compiled, event: Event, t: datetime, out: list[Decision]) -> None:
        rule_id = c.rule.id
        key = c.key_of(event) if c.getters else ""
        self._dirty.add(rule_id)
        kind = c.kind
        if kind == "absence":
            self._apply_absence(c, key, t, out)
            return
        fire = True
        if kind == "threshold":
            fire = self._apply_threshold(c, key, t)
        if c.recover_after is not None:
            deadline = c.active.get(key)
            if fire or deadline is not None:
                new = t + c.recover_after
                if deadline is None or new > deadline:
                    c.active[key] = new
                self._schedule(c, key, c.active[key])
        if fire:
            self.firings[rule_id] += 1
            out.append(Fired(rule_id, key, t, self._event_context(c, event, key)))

    def _apply_threshold(self, c: _Compiled, key: str, t: datetime) -> bool:
        """Count one event; True when the key's window reaches `count` (then it starts over)."""
        # The window slides on the key's own event times, not on the global watermark: a device
        # whose clock lags the others still has its events counted together.
        times = c.windows.get(key)
        newest = times[-1] if times and times[-1] > t else t
        cutoff = newest - c.window
        if t < cutoff:
            return False  # too late: its window is already closed
        if times is None:
            if len(c.windows) >= MAX_KEYS:
                assert self.watermark is not None
                c.trim(c.windows, self.watermark - c.window)
            times = c.windows[key] = deque()
        while times and times[0] < cutoff:
            times.popleft()
        if not times or t >= times[-1]:
            times.append(t)
        else:
            insort(times, t)
        if len(times) >= c.count:
            del c.windows[key]
            return True
        return False

    def _apply_absence(self, c: _Compiled, key: str, t: datetime, out: list[Decision]) -> None:
        assert self.watermark is not None
        last = c.seen.get(key)
        if last is None and len(c.seen) >= MAX_KEYS:
            c.trim(c.seen, self.watermark)
        if last is None or t > last:
            c.seen[key] = last = t
        fired_at = c.fired.get(key)
        if fired_at is not None:
            if last + c.window < self.watermark:
                return  # a late event that does not end the silence
            del c.fired[key]
            out.append(Recovered(c.rule.id, key, max(t, fired_at)))
        self._schedule(c, key, last + c.window)

    # ---- contexts ---------------------------------------------------------------------------

    def _event_context(self, c: _Compiled, event: Event, key: str) -> dict[str, str]:
        """Template variables for a firing caused by `event`."""
        ctx = {n: str(v)[:MESSAGE_LIMIT] for n, v in event.fields.items()}
        rec = event.record
        ctx.update(
            rule=c.rule.id,
            key=key,
            time=event.time.isoformat(),
            device=event.device,
            service=event.service or "",
            message_id=event.message_id or "",
            program=rec.program or "",
            message=rec.message[:MESSAGE_LIMIT],
            count=str(c.count),
            window=format_duration(c.rule.window),
        )
        if c.getters:
            ctx.update(split_key(key))
        return ctx

    def _absence_context(self, c: _Compiled, key: str, last: datetime) -> dict[str, str]:
        """Template variables for an absence: nothing came, so only the rule and the key."""
        ctx = dict.fromkeys(("device", "service", "message_id", "program", "message"), "")
        ctx.update(
            rule=c.rule.id,
            key=key,
            time=(last + c.window).isoformat(),
            last_seen=last.isoformat(),
            count="0",
            window=format_duration(c.rule.window),
        )
        ctx.update(split_key(key))
        return ctx

    # ---- state ------------------------------------------------------------------------------

    def dirty_rules(self) -> set[str]:
        """Ids of rules whose state changed since the last clear_dirty()."""
        return set(self._dirty)

    def clear_dirty(self) -> None:
        """Forget which rules changed (call after persisting them)."""
        self._dirty.clear()

    def rule_state(self, rule_id: str) -> dict[str, Any]:
        """A JSON-serialisable snapshot of one rule's state (KeyError for an unknown rule)."""
        c = self._by_id[rule_id]
        wm = self.watermark
        cutoff = wm - c.window if wm is not None else None
        windows = {}
        for key in list(c.windows):  # prune closed windows in place: state stays O(live keys)
            times = c.windows[key]
            if cutoff is not None:
                while times and times[0] < cutoff:
                    times.popleft()
            if times:
                windows[key] = [x.isoformat() for x in times]
            else:
                del c.windows[key]
        return {
            "version": STATE_VERSION,
            "kind": c.kind,
            "watermark": wm.isoformat() if wm is not None else None,
            "windows": windows,
            "active": {k: d.isoformat() for k, d in c.active.items()},
            "seen": {k: d.isoformat() for k, d in c.seen.items()},
            "fired": {k: d.isoformat() for k, d in c.fired.items()},
        }

    def state(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot of all mutable state (counters excepted)."""
        return {
            "version": STATE_VERSION,
            "watermark": self.watermark.isoformat() if self.watermark is not None else None,
            "rules": {c.rule.id: self.rule_state(c.rule.id) for c in self._rules},
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load a state() snapshot; unknown rules and corrupt parts are dropped."""
        if not isinstance(state, Mapping):
            return
        wm = _time(state.get("watermark"))
        if wm is not None:
            self._see(wm)
        rules = state.get("rules")
        if isinstance(rules, Mapping):
            for rule_id, rule_state in rules.items():
                self.restore_rule(rule_id, rule_state)

    def restore_rule(self, rule_id: str, state: Mapping[str, Any]) -> bool:
        """Load one rule_state() snapshot; False (and no change) if the rule is gone or unusable."""
        c = self._by_id.get(rule_id) if isinstance(rule_id, str) else None
        if c is None or not isinstance(state, Mapping) or state.get("version") != STATE_VERSION:
            return False
        wm = _time(state.get("watermark"))
        if wm is not None:
            self._see(wm)
        same_kind = state.get("kind") == c.kind
        c.windows = {}
        if same_kind and c.kind == "threshold":
            for key, times in _items(state.get("windows")):
                parsed = sorted(t for t in map(_time, times or ()) if t is not None)
                if parsed:
                    c.windows[key] = deque(parsed[-(c.count - 1) :] if c.count > 1 else ())
            c.windows = {k: w for k, w in c.windows.items() if w}
        c.active = {}
        if c.recover_after is not None:
            for key, value in _items(state.get("active")):
                deadline = _time(value)
                if deadline is not None:
                    c.active[key] = deadline
                    self._schedule(c, key, deadline)
        if c.kind == "absence" and c.rule.enabled:
            seen = {k: t for k, v in _items(state.get("seen")) if (t := _time(v)) is not None}
            if same_kind and (seen or c.getters):
                c.seen = seen
            c.fired = {
                k: t
                for k, v in _items(state.get("fired") if same_kind else None)
                if (t := _time(v)) is not None and k in c.seen
            }
            for key, last in c.seen.items():
                if key not in c.fired:
                    self._schedule(c, key, last + c.window)
        self._dirty.discard(rule_id)
        return True


def _time(value: Any) -> datetime | None:
    """An aware datetime from ISO text, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _items(value: Any) -> list[tuple[str, Any]]:
    """The str-keyed items of a mapping, or nothing."""
    if not isinstance(value, Mapping):
        return []
    return [(k, v) for k, v in value.items() if isinstance(k, str)]
