"""Rules as typed values: parsing `[[rule]]` tables (SPEC §3, §6) and rendering their templates."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, Literal, cast

from statusd.durations import parse_duration
from statusd.errors import ConfigError, Problem
from statusd.severity import Severity

RuleKind = Literal["single", "threshold", "absence"]

KINDS: tuple[str, ...] = ("single", "threshold", "absence")
LATER_KINDS: tuple[str, ...] = ("rate", "pair", "first_seen")
ALERT_SEVERITIES: tuple[str, ...] = ("info", "minor", "major", "critical")
COMPONENT_STATUSES: tuple[str, ...] = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
INCIDENT_STATUSES: tuple[str, ...] = ("investigating", "identified", "monitoring")
DEFAULT_RESOLVE = "This incident has been resolved."
RENDER_LIMIT = 500

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_RULE_KEYS = frozenset(
    {
        "id", "kind", "enabled", "description", "match", "except_devices", "count", "window",
        "group_by", "alert", "status", "incident", "notify", "irc",
    }
)  # fmt: skip
_MATCH_KEYS = frozenset({"service", "message_id", "taxonomy", "level", "device", "fields"})
_ALERT_KEYS = frozenset({"severity", "title"})
_STATUS_KEYS = frozenset({"component", "set", "recover_after"})
_INCIDENT_KEYS = frozenset({"title", "message", "status", "update", "resolve", "resolve_after"})


@dataclass(frozen=True, slots=True)
class MatchSpec:
    """Which events a rule looks at; every condition given must hold."""

    service: str | None = None
    message_id: str | None = None
    taxonomy: str | None = None  # exact, "auth.*" (auth and below) or "*" (any recognised event)
    level: Severity | None = None  # minimum severity: this level or more severe
    devices: tuple[str, ...] = ()  # device globs, any may match; empty = all devices
    fields: tuple[tuple[str, tuple[str, ...]], ...] = ()  # field name, accepted str() values


@dataclass(frozen=True, slots=True)
class AlertAction:
    """Raise an alert in the dashboard."""

    severity: str = "major"
    title: str = "{rule}"


@dataclass(frozen=True, slots=True)
class StatusAction:
    """Set a component's status; put it back after `recover_after` of quiet."""

    component: str
    set: str
    recover_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class IncidentAction:
    """Open, update and resolve an incident with templated text."""

    title: str
    message: str = ""
    status: str = "investigating"
    update: str | None = None
    resolve: str = DEFAULT_RESOLVE
    resolve_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One `[[rule]]` table, validated."""

    id: str
    kind: RuleKind
    match: MatchSpec = MatchSpec()
    enabled: bool = True
    description: str = ""
    except_devices: tuple[str, ...] = ()
    count: int | None = None  # threshold only
    window: timedelta | None = None  # threshold and absence
    group_by: tuple[str, ...] = ()
    alert: AlertAction | None = None
    status: StatusAction | None = None
    incident: IncidentAction | None = None
    notify: tuple[str, ...] = ()
    irc: bool = False

    @property
    def recover_after(self) -> timedelta | None:
        """Quiet time after which a firing is undone (status.recover_after or resolve_after)."""
        if self.status is not None and self.status.recover_after is not None:
            return self.status.recover_after
        return self.incident.resolve_after if self.incident is not None else None


class _Problems:
    """Collects problems for one rule table, under one key-path prefix."""

    def __init__(self, file: str, where: str):
        self.file = file
        self.where = where
        self.items: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        """Record a problem at `where.path`."""
        self.items.append(
            Problem(self.file, f"{self.where}.{path}" if path else self.where, message)
        )

    def unknown_keys(self, table: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
        """Report every key of `table` not in `allowed`."""
        for key in table:
            if key not in allowed:
                choices = ", ".join(sorted(allowed))
                self.add(_join(path, str(key)), f"unknown key (expected one of: {choices})")

    def text(self, table: Mapping[str, Any], key: str, path: str) -> str | None:
        """A non-empty string value, or None (absent or reported)."""
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(_join(path, key), f"must be a non-empty string, not {value!r}")
            return None
        return value

    def template(self, table: Mapping[str, Any], key: str, path: str) -> str | None:
        """A string value that is a valid template, or None (absent or reported)."""
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(_join(path, key), f"must be a string, not {value!r}")
            return None
        error = template_error(value)
        if error is not None:
            self.add(_join(path, key), error)
            return None
        return value

    def choice(
        self, table: Mapping[str, Any], key: str, path: str, choices: Sequence[str]
    ) -> str | None:
        """One of `choices`, or None (absent or reported)."""
        value = table.get(key)
        if value is None:
            return None
        if value not in choices:
            self.add(_join(path, key), f"{value!r} is not one of: {', '.join(choices)}")
            return None
        return str(value)

    def duration(self, table: Mapping[str, Any], key: str, path: str) -> timedelta | None:
        """A positive duration, or None (absent or reported)."""
        value = table.get(key)
        if value is None:
            return None
        try:
            result = parse_duration(value)
        except (ValueError, TypeError, AttributeError) as exc:
            self.add(
                _join(path, key), str(exc) if isinstance(exc, ValueError) else "not a duration"
            )
            return None
        if result <= timedelta(0):
            self.add(_join(path, key), "must be longer than zero")
            return None
        return result

    def boolean(self, table: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        """A true/false value, or `default`."""
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.add(_join(path, key), f"must be true or false, not {value!r}")
            return default
        return value

    def globs(self, value: Any, path: str) -> tuple[str, ...]:
        """A glob string or a list of glob strings."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            self.add(path, f"must be a string or a list of strings, not {value!r}")
            return ()
        good: list[str] = []
        for i, item in enumerate(items):
            if isinstance(item, str) and item.strip():
                good.append(item)
            else:
                self.add(f"{path}[{i}]" if items is value else path, f"not a glob: {item!r}")
        return tuple(good)

    def names(self, value: Any, path: str) -> tuple[str, ...]:
        """A list of distinct non-empty strings."""
        if not isinstance(value, list):
            self.add(path, f"must be a list of strings, not {value!r}")
            return ()
        good: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.add(f"{path}[{i}]", f"must be a non-empty string, not {item!r}")
            elif item in good:
                self.add(f"{path}[{i}]", f"{item!r} is listed twice")
            else:
                good.append(item)
        return tuple(good)

    def table(self, parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any] | None:
        """A sub-table, or None (absent or reported)."""
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.add(_join(path, key), f"must be a table, not {value!r}")
            return None
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parse_rule(
    table: Mapping[str, Any],
    *,
    file: str,
    where: str,
    known_components: set[str] | None = None,
) -> Rule:
    """Validate one `[[rule]]` table; raise ConfigError listing every problem found."""
    p = _Problems(file, where)
    rule = _parse(table, p, known_components)
    if p.items or rule is None:
        raise ConfigError(p.items or [Problem(file, where, "invalid rule")])
    return rule


def parse_rules(
    tables: Sequence[Any],
    file: str,
    *,
    known_components: set[str] | None = None,
    prefix: str = "rule",
    taken: dict[str, str] | None = None,
) -> list[Rule]:
    """Validate a list of rule tables (`prefix[i]`); raise ConfigError listing all problems.

    `taken` maps rule ids already loaded (from other files) to where they were defined; it is
    checked for duplicates and updated, so a loader can pass one dict across files.
    """
    seen = taken if taken is not None else {}
    problems: list[Problem] = []
    rules: list[Rule] = []
    for i, table in enumerate(tables):
        p = _Problems(file, f"{prefix}[{i}]")
        rule = _parse(table, p, known_components)
        rule_id = table.get("id") if isinstance(table, Mapping) else None
        if isinstance(rule_id, str) and rule_id:
            if rule_id in seen:
                p.add("id", f"duplicate rule id {rule_id!r} (first defined at {seen[rule_id]})")
            else:
                seen[rule_id] = f"{file}: {prefix}[{i}]"
        problems.extend(p.items)
        if rule is not None and not p.items:
            rules.append(rule)
    if problems:
        raise ConfigError(problems)
    return rules


def _parse(table: Any, p: _Problems, known_components: set[str] | None) -> Rule | None:
    """Check everything in one rule table; return the Rule when nothing was wrong."""
    if not isinstance(table, Mapping):
        p.add("", f"a rule must be a table, not {type(table).__name__}")
        return None
    rule_id = table.get("id")
    if rule_id is None:
        p.add("id", "required")
    elif not isinstance(rule_id, str) or not _ID.fullmatch(rule_id):
        p.add("id", f"{rule_id!r} must be 1-100 letters, digits, '_', '.', ':' or '-'")
    kind = table.get("kind")
    supported = kind in KINDS
    if kind is None:
        p.add("kind", f"required (one of: {', '.join(KINDS)})")
    elif kind in LATER_KINDS:
        p.add("kind", f"kind {kind!r} is not supported yet (supported: {', '.join(KINDS)})")
    elif not supported:
        p.add("kind", f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
    if supported:  # keys of later kinds are not typos: do not report them
        p.unknown_keys(table, _RULE_KEYS, "")
    enabled = p.boolean(table, "enabled", "", True)
    description = table.get("description", "")
    if not isinstance(description, str):
        p.add("description", "must be a string")
        description = ""
    match = _parse_match(table, p)
    except_devices = (
        p.globs(table["except_devices"], "except_devices") if ("except_devices" in table) else ()
    )
    count, window = _parse_counting(table, p, kind if supported else None)
    group_by = p.names(table["group_by"], "group_by") if "group_by" in table else ()
    for i, name in enumerate(table.get("group_by") or ()):
        if name in group_by and not _FIELD_NAME.fullmatch(name):
            p.add(f"group_by[{i}]", f"{name!r} is not a field name")
    alert = _parse_alert(table, p)
    status = _parse_status(table, p, known_components)
    incident = _parse_incident(table, p, status)
    notify = p.names(table["notify"], "notify") if "notify" in table else ()
    irc = p.boolean(table, "irc", "", False)
    if not (any(k in table for k in ("alert", "status", "incident")) or notify or irc):
        p.add("", "a rule needs at least one action: alert, status, incident, notify or irc")
    if kind == "absence":
        for path, value in (
            ("status.recover_after", status.recover_after if status else None),
            ("incident.resolve_after", incident.resolve_after if incident else None),
        ):
            if value is not None:
                p.add(path, "not used by absence rules: they recover when the event comes back")
    if p.items or not supported:
        return None
    return Rule(
        id=str(rule_id),
        kind=cast(RuleKind, kind),
        match=match,
        enabled=enabled,
        description=description,
        except_devices=except_devices,
        count=count,
        window=window,
        group_by=group_by,
        alert=alert,
        status=status,
        incident=incident,
        notify=notify,
        irc=irc,
    )


def _parse_match(table: Mapping[str, Any], p: _Problems) -> MatchSpec:
    m = p.table(table, "match", "")
    if m is None:
        return MatchSpec()
    p.unknown_keys(m, _MATCH_KEYS, "match")
    taxonomy = p.text(m, "taxonomy", "match")
    if taxonomy is not None:
        head = taxonomy[:-2] if taxonomy.endswith(".*") else taxonomy
        if taxonomy != "*" and any(c in head for c in "*?[]"):
            p.add("match.taxonomy", f"{taxonomy!r}: use exact, a prefix like 'auth.*', or '*'")
            taxonomy = None
    level: Severity | None = None
    if "level" in m:
        try:
            level = Severity.parse(m["level"])
        except (ValueError, TypeError, AttributeError) as exc:
            msg = str(exc) if isinstance(exc, ValueError) else f"not a level: {m['level']!r}"
            p.add("match.level", msg)
    devices = p.globs(m["device"], "match.device") if "device" in m else ()
    fields: list[tuple[str, tuple[str, ...]]] = []
    f = p.table(m, "fields", "match")
    for name, value in (f or {}).items():
        path = f"match.fields.{name}"
        values = value if isinstance(value, list) else [value]
        if not values:
            p.add(path, "an empty list matches nothing")
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, str | int | float)]
        if bad:
            p.add(path, f"must be a string or number, or a list of them, not {bad[0]!r}")
        elif values:
            fields.append((str(name), tuple(str(v) for v in values)))
    return MatchSpec(
        service=p.text(m, "service", "match"),
        message_id=p.text(m, "message_id", "match"),
        taxonomy=taxonomy,
        level=level,
        devices=devices,
        fields=tuple(fields),
    )


def _parse_counting(
    table: Mapping[str, Any], p: _Problems, kind: str | None
) -> tuple[int | None, timedelta | None]:
    count = table.get("count")
    if count is not None:
        if kind is not None and kind != "threshold":
            p.add("count", f"only threshold rules take a count (this rule is {kind})")
            count = None
        elif isinstance(count, bool) or not isinstance(count, int) or count < 1:
            p.add("count", f"must be a whole number of at least 1, not {count!r}")
            count = None
    elif kind == "threshold":
        p.add("count", "required for threshold rules")
    window = p.duration(table, "window", "")
    if "window" in table and kind == "single":
        p.add("window", "single rules take no window (use threshold with count = 1)")
        window = None
    elif "window" not in table and kind in ("threshold", "absence"):
        p.add("window", f"required for {kind} rules")
    return count, window


def _parse_alert(table: Mapping[str, Any], p: _Problems) -> AlertAction | None:
    a = p.table(table, "alert", "")
    if a is None:
        return None
    p.unknown_keys(a, _ALERT_KEYS, "alert")
    return AlertAction(
        severity=p.choice(a, "severity", "alert", ALERT_SEVERITIES) or "major",
        title=p.template(a, "title", "alert") or "{rule}",
    )


def _parse_status(
    table: Mapping[str, Any], p: _Problems, known_components: set[str] | None
) -> StatusAction | None:
    s = p.table(table, "status", "")
    if s is None:
        return None
    p.unknown_keys(s, _STATUS_KEYS, "status")
    component = p.text(s, "component", "status")
    if "component" not in s:
        p.add("status.component", "required")
    elif (
        component is not None
        and known_components is not None
        and (component not in known_components)
    ):
        known = ", ".join(sorted(known_components)) or "none defined"
        p.add("status.component", f"unknown component {component!r} (known: {known})")
    new = p.choice(s, "set", "status", COMPONENT_STATUSES)
    if "set" not in s:
        p.add("status.set", f"required (one of: {', '.join(COMPONENT_STATUSES)})")
    recover_after = p.duration(s, "recover_after", "status")
    return StatusAction(component=component or "", set=new or "", recover_after=recover_after)


def _parse_incident(
    table: Mapping[str, Any], p: _Problems, status: StatusAction | None
) -> IncidentAction | None:
    i = p.table(table, "incident", "")
    if i is None:
        return None
    p.unknown_keys(i, _INCIDENT_KEYS, "incident")
    title = p.template(i, "title", "incident")
    if "title" not in i:
        p.add("incident.title", "required")
    recover = status.recover_after if status is not None else None
    resolve_after = p.duration(i, "resolve_after", "incident")
    if resolve_after is not None and recover is not None and resolve_after != recover:
        p.add(
            "incident.resolve_after",
            "must equal status.recover_after when both are given (one quiet time per rule)",
        )
    return IncidentAction(
        title=title or "",
        message=p.template(i, "message", "incident") or "",
        status=p.choice(i, "status", "incident", INCIDENT_STATUSES) or "investigating",
        update=p.template(i, "update", "incident"),
        resolve=p.template(i, "resolve", "incident") or DEFAULT_RESOLVE,
        resolve_after=resolve_after if resolve_after is not None else recover,
    )


_FORMATTER = string.Formatter()


def _plain_name(name: str) -> bool:
    return bool(name) and not name.isdigit() and not any(c in name for c in ".[]{}")


def _verbatim(name: str, spec: str | None, conversion: str | None) -> str:
    """A placeholder as it was written."""
    return (
        "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
    )


def template_error(template: str) -> str | None:
    """Why `template` is not a valid `{name}` template, or None when it is."""
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError as exc:
        return f"bad template {template!r}: {exc} (write {{{{ and }}}} for literal braces)"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not _plain_name(name) or spec or conversion:
            shown = _verbatim(name, spec, conversion)
            return f"bad placeholder {shown} in {template!r}: only plain {{name}} placeholders"
    return None


@lru_cache(maxsize=1024)
def _compile(template: str) -> tuple[tuple[str, str | None, str], ...]:
    """Split a template into (literal, name or None, verbatim placeholder) parts."""
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError:
        return ((template, None, ""),)
    out: list[tuple[str, str | None, str]] = []
    for literal, name, spec, conversion in parts:
        if name is None:
            out.append((literal, None, ""))
            continue
        verbatim = _verbatim(name, spec, conversion)
        plain = _plain_name(name) and not spec and not conversion
        out.append((literal, name if plain else None, verbatim))
    return tuple(out)


def render(template: str, context: Mapping[str, object]) -> str:
    """Fill `{name}` placeholders from `context`; unknown ones stay literal; cut at 500 chars."""
    chunks: list[str] = []
    for literal, name, verbatim in _compile(template):
        chunks.append(literal)
        if name is not None and name in context:
            chunks.append(str(context[name]))
        else:
            chunks.append(verbatim)
    return "".join(chunks)[:RENDER_LIMIT]
