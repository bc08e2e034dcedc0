"""Pure parsing of the bot's `!` commands into typed requests (execution is in execute.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from statusd.durations import parse_duration
from statusd.irc.text import match_choice, sanitize
from statusd.models import ComponentStatus, IncidentStatus

PREFIX = "!"
MAX_TITLE = 200
MAX_MESSAGE = 400
MAX_MAINTENANCE = timedelta(days=31)
COMPONENT_STATUSES = tuple(s.value for s in ComponentStatus)
OPEN_INCIDENT_STATUSES = tuple(s.value for s in IncidentStatus if s is not IncidentStatus.RESOLVED)
INCIDENT_STATUSES = tuple(s.value for s in IncidentStatus)


class CommandError(ValueError):
    """A command that cannot be understood; str() is the reply to its author."""


@dataclass(frozen=True, slots=True)
class Help:
    """!help [command]"""

    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Status:
    """!status [component]"""

    component: str | None = None


@dataclass(frozen=True, slots=True)
class SetStatus:
    """!set <component> <status> [message…]"""

    component: str
    status: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class OpenIncident:
    """!incident open <component[,component…]|-> <status> <title…>"""

    components: tuple[str, ...]
    status: str
    title: str


@dataclass(frozen=True, slots=True)
class UpdateIncident:
    """!incident update <id> <status> <message…>"""

    incident_id: int
    status: str
    message: str


@dataclass(frozen=True, slots=True)
class ResolveIncident:
    """!incident resolve <id> [message…]"""

    incident_id: int
    message: str = ""


@dataclass(frozen=True, slots=True)
class ScheduleMaintenance:
    """!maint <component[,component…]> <start> <duration> <title…>"""

    components: tuple[str, ...]
    start: datetime
    end: datetime
    title: str


@dataclass(frozen=True, slots=True)
class Ack:
    """!ack <alert-id>"""

    alert_id: int


Command = (Help | Status | SetStatus | OpenIncident | UpdateIncident | ResolveIncident
           | ScheduleMaintenance | Ack)
READ_ONLY = (Help, Status)

USAGE = {
    "status": "!status [component] — current statuses, open incidents and maintenance",
    "set": "!set <component> <status> [message…] — set a component's status "
           f"({', '.join(COMPONENT_STATUSES)})",
    "incident": "!incident open <component[,…]|-> <status> <title…> · !incident update <id> "
                "<status> <message…> · !incident resolve <id> [message…] "
                f"(statuses: {', '.join(INCIDENT_STATUSES)})",
    "maint": "!maint <component[,…]> <start> <duration> <title…> — start: now, +30m or "
             "ISO-8601 (UTC unless it has an offset); duration like 2h or 1h30m",
    "ack": "!ack <alert-id> — acknowledge an alert",
    "help": "!help [command] — this help",
}


def is_read_only(command: Command) -> bool:
    """True for commands everyone may use (!status, !help)."""
    return isinstance(command, READ_ONLY)


def parse_command(text: str, now: datetime, prefix: str = PREFIX) -> Command | None:
    """The command in a message, None if the message is not one; CommandError if malformed."""
    clean = sanitize(text, 1000)
    if not clean.startswith(prefix) or len(clean) <= len(prefix):
        return None
    words = clean[len(prefix):].split(" ")
    name = words[0].lower()
    if not name or not name[0].isalpha():
        return None  # "!!!" or "! foo": not addressed to a bot
    args = [w for w in words[1:] if w]
    parser = _PARSERS.get(name)
    if parser is None:
        raise CommandError(f"unknown command {prefix}{sanitize(name, 20)} — try {prefix}help")
    return parser(args, now)


def _usage(name: str) -> CommandError:
    return CommandError(f"usage: {USAGE[name]}")


def _rest(words: list[str], limit: int) -> str:
    return sanitize(" ".join(words), limit)


def _choice(word: str, choices: tuple[str, ...], what: str) -> str:
    found = match_choice(word, choices)
    if found is None:
        raise CommandError(f"unknown {what} {sanitize(word, 40)!r} (one of {', '.join(choices)})")
    return found


def _component_word(word: str) -> str:
    slug = sanitize(word, 100).lower()
    if not slug:
        raise CommandError("which component?")
    return slug


def _component_list(word: str, allow_none: bool = False) -> tuple[str, ...]:
    if allow_none and word == "-":
        return ()
    slugs = tuple(dict.fromkeys(_component_word(w) for w in word.split(",") if w))
    if not slugs:
        raise CommandError("which component?")
    if len(slugs) > 20:
        raise CommandError("at most 20 components at once")
    return slugs


def _number(word: str, what: str) -> int:
    digits = word.removeprefix("#")
    if not digits.isdigit() or len(digits) > 12:
        raise CommandError(f"{what} must be a number, not {sanitize(word, 20)!r}")
    return int(digits)


def parse_start(word: str, now: datetime) -> datetime:
    """A maintenance start: "now", "+30m" (from now) or ISO-8601 (UTC when no offset)."""
    if word.lower() == "now":
        return now
    if word.startswith("+"):
        try:
            return now + parse_duration(word[1:])
        except ValueError:
            raise CommandError(f"bad start {sanitize(word, 30)!r} (like +30m)") from None
    try:
        when = datetime.fromisoformat(word)
    except ValueError:
        raise CommandError(f"bad start {sanitize(word, 30)!r} (now, +30m or "
                           "2030-01-31T22:00)") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _help(args: list[str], now: datetime) -> Help:
    topic = args[0].lower().removeprefix(PREFIX) if args else None
    if topic is not None and topic not in USAGE:
        raise CommandError(f"no help on {sanitize(topic, 20)!r}: commands are "
                           f"{', '.join(USAGE)}")
    return Help(topic)


def _status(args: list[str], now: datetime) -> Status:
    if len(args) > 1:
        raise _usage("status")
    return Status(_component_word(args[0]) if args else None)


def _set(args: list[str], now: datetime) -> SetStatus:
    if len(args) < 2:
        raise _usage("set")
    status = _choice(args[1], COMPONENT_STATUSES, "status")
    return SetStatus(_component_word(args[0]), status, _rest(args[2:], MAX_MESSAGE))


def _incident(args: list[str], now: datetime) -> Command:
    action = args[0].lower() if args else ""
    if action == "open" and len(args) >= 4:
        status = _choice(args[2], OPEN_INCIDENT_STATUSES, "incident status")
        return OpenIncident(_component_list(args[1], allow_none=True), status,
                            _rest(args[3:], MAX_TITLE))
    if action == "update" and len(args) >= 4:
        status = _choice(args[2], INCIDENT_STATUSES, "incident status")
        return UpdateIncident(_number(args[1], "the incident id"), status,
                              _rest(args[3:], MAX_MESSAGE))
    if action == "resolve" and len(args) >= 2:
        return ResolveIncident(_number(args[1], "the incident id"), _rest(args[2:], MAX_MESSAGE))
    raise _usage("incident")


def _maint(args: list[str], now: datetime) -> ScheduleMaintenance:
    if len(args) < 4:
        raise _usage("maint")
    start = parse_start(args[1], now)
    try:
        duration = parse_duration(args[2])
    except ValueError:
        raise CommandError(f"bad duration {sanitize(args[2], 30)!r} (like 2h or 1h30m)") from None
    if duration <= timedelta(0):
        raise CommandError("the duration must be more than zero")
    if duration > MAX_MAINTENANCE:
        raise CommandError("a maintenance lasts at most 31 days")
    return ScheduleMaintenance(_component_list(args[0]), start, start + duration,
                               _rest(args[3:], MAX_TITLE))


def _ack(args: list[str], now: datetime) -> Ack:
    if len(args) != 1:
        raise _usage("ack")
    return Ack(_number(args[0], "the alert id"))


_PARSERS: dict[str, Callable[[list[str], datetime], Command]] = {
    "help": _help,
    "status": _status,
    "set": _set,
    "incident": _incident,
    "maint": _maint,
    "ack": _ack,
}
