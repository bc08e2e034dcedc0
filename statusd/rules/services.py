"""Service definitions (TOML files of messages) and the library that matches lines against them.

`ServiceLibrary.match` is the parser's hot path: the program name picks the candidate messages
(cached per distinct program), a literal prefix / required text check skips most of them, and
only the rest run their regex, under a time limit.
"""

from __future__ import annotations

import fnmatch
import glob
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from statusd.errors import ConfigError, Problem
from statusd.rules.event import FieldValue, Match
from statusd.rules.patterns import DEFAULT_TIMEOUT, CompiledPattern, PatternError, compile_pattern
from statusd.severity import Severity

LIBRARY_DIR = Path(__file__).with_name("library")

_SERVICE_NAME = regex.compile(r"[a-z0-9][a-z0-9_.-]*")
_MESSAGE_ID = regex.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_TAXONOMY = regex.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")
_MESSAGE_HEADER = regex.compile(r"\s*\[\[\s*message\s*\]\]")
_SERVICE_HEADER = regex.compile(r"\s*\[\s*service\s*\]")
_EXAMPLE_HEADER = regex.compile(r"\s*\[\[\s*message\s*\.\s*examples\s*\]\]")
_TOML_LINE = regex.compile(r"line (\d+)")
_SERVICE_KEYS = frozenset({"name", "programs", "description", "enabled"})
_MESSAGE_KEYS = frozenset({"id", "pattern", "regex", "level", "taxonomy", "description",
                           "examples"})
_EXAMPLE_KEYS = frozenset({"line", "fields", "program"})
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class Example:
    """A message text that must match its message definition (checked at load time)."""

    line: str  # the syslog MESSAGE text, without the header
    program: str  # the program (tag) the line is attributed to
    fields: dict[str, FieldValue] | None  # exactly the fields expected; None: not checked


@dataclass(frozen=True, slots=True)
class MessageDef:
    """One [[message]] of a service: what a line looks like and what it means."""

    id: str
    service: str
    pattern: CompiledPattern
    level: Severity
    taxonomy: str
    description: str = ""
    examples: tuple[Example, ...] = ()
    line: int = 0  # line of its [[message]] header in the file (0 if unknown)


@dataclass(frozen=True, slots=True)
class Service:
    """A service definition: the programs it claims and its messages, in file order."""

    name: str
    programs: tuple[str, ...]
    messages: tuple[MessageDef, ...]
    description: str = ""
    enabled: bool = True
    path: str = "<string>"

    def claims(self, program: str | None) -> bool:
        """True if lines from this program (compared case-insensitively) are tried here."""
        return _claim_rank(self.programs, (program or "").lower()) is not None


def _claim_rank(programs: Iterable[str], program: str) -> int | None:
    """0 for an exact name, 1 for a glob, 2 for "*"; None if no entry claims the program."""
    best: int | None = None
    for claim in programs:
        glob_ = claim.lower()
        if not _GLOB_CHARS.intersection(glob_):
            rank = 0 if glob_ == program else None
        elif fnmatch.fnmatchcase(program, glob_):
            rank = 2 if glob_ == "*" else 1
        else:
            rank = None
        if rank is not None and (best is None or rank < best):
            best = rank
    return best


def _example_program(programs: tuple[str, ...]) -> str:
    """A program name the service claims, for examples that name none."""
    for p in programs:
        if not _GLOB_CHARS.intersection(p):
            return p
    return programs[0].replace("*", "example").replace("?", "x") if programs else "example"


class _Lines:
    """Finds the line of a [[message]] (and of a key or example in it) in the file text."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.headers = [i for i, line in enumerate(self.lines) if _MESSAGE_HEADER.match(line)]
        self.service = next((i for i, line in enumerate(self.lines)
                             if _SERVICE_HEADER.match(line)), None)

    def head_key(self, key: str) -> int:
        """Line of `key = ...` in the [service] table, else of its header (0 if none)."""
        if self.service is None:
            return 0
        probe = regex.compile(rf"\s*{regex.escape(key)}\s*=")
        for i in range(self.service + 1, len(self.lines)):
            if self.lines[i].lstrip().startswith("["):
                break
            if probe.match(self.lines[i]):
                return i + 1
        return self.service + 1

    def _block(self, index: int) -> range:
        if index >= len(self.headers):
            return range(0)
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines)
        return range(self.headers[index], end)

    def message(self, index: int) -> int:
        """1-based line of the index-th [[message]] header (0 if not found)."""
        return self.headers[index] + 1 if index < len(self.headers) else 0

    def key(self, index: int, key: str) -> int:
        """Line of `key = ...` inside the index-th [[message]], else of its header."""
        probe = regex.compile(rf"\s*{regex.escape(key)}\s*=")
        for i in self._block(index):
            if probe.match(self.lines[i]):
                return i + 1
        return self.message(index)

    def example(self, index: int, k: int) -> int:
        """Line of the k-th example of the index-th [[message]], else of its header."""
        block = self._block(index)
        tables = [i for i in block if _EXAMPLE_HEADER.match(self.lines[i])]
        if k < len(tables):
            return tables[k] + 1
        probe = regex.compile(r"(?:^|[{,\s])line\s*=")
        hits = [i for i in block if probe.search(self.lines[i])]
        return hits[k] + 1 if k < len(hits) else self.key(index, "examples")


class _Problems:
    """Problems found in one file."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Problem] = []

    def add(self, line: int, path: str, text: str) -> None:
        where = f"line {line}" if line else path
        message = f"{path}: {text}" if line and path else text
        self.items.append(Problem(self.file, where, message))


def load_service_file(path: str | Path, *, timeout: float | None = DEFAULT_TIMEOUT) -> Service:
    """Read and validate one service file; ConfigError lists every problem found."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), "file", f"cannot read: {exc}")]) from None
    return parse_service(text, str(path), timeout=timeout)


def parse_service(text: str, file: str = "<string>", *,
                  timeout: float | None = DEFAULT_TIMEOUT) -> Service:
    """Validate a service definition given as TOML text; ConfigError lists every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.search(str(exc))
        end = "end of document" in str(exc)
        where = f"line {m.group(1)}" if m else f"line {len(text.splitlines())}" if end else "file"
        raise ConfigError([Problem(file, where, f"invalid TOML: {exc}")]) from None
    problems = _Problems(file)
    lines = _Lines(text)
    for key in data:
        if key not in ("service", "message"):
            problems.add(0, key, "unknown top-level key (expected [service] and [[message]])")
    head = data.get("service")
    if not isinstance(head, dict):
        problems.add(0, "service", "missing [service] table")
        head = {}
    name, programs, description, enabled = _read_head(head, problems, lines)
    raw_messages = data.get("message", [])
    if not isinstance(raw_messages, list) or not all(isinstance(m, dict) for m in raw_messages):
        problems.add(0, "message", "write each message as a [[message]] table")
        raw_messages = []
    if not raw_messages and "service" in data:
        problems.add(0, "message", "a service needs at least one [[message]]")
    messages: list[MessageDef] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(raw_messages):
        msg = _read_message(table, index, name, programs, messages, seen, lines, problems,
                            timeout)
        if msg is not None:
            messages.append(msg)
    if problems.items:
        raise ConfigError(problems.items)
    return Service(name, programs, tuple(messages), description, enabled, file)


def _read_head(head: dict[str, Any], problems: _Problems, lines: _Lines
               ) -> tuple[str, tuple[str, ...], str, bool]:
    """name, programs, description and enabled of the [service] table."""

    def bad(key: str, text: str) -> None:
        problems.add(lines.head_key(key), f"service.{key}", text)

    for key in head:
        if key not in _SERVICE_KEYS:
            bad(key, "unknown key (name, programs, description, enabled)")
    name = head.get("name")
    if not isinstance(name, str) or not _SERVICE_NAME.fullmatch(name):
        bad("name", "required: a lower-case name like \"sshd\"")
        name = "?"
    programs = head.get("programs")
    if (not isinstance(programs, list) or not programs
            or not all(isinstance(p, str) and p.strip() for p in programs)):
        bad("programs", "required: a non-empty list of program names or globs, "
            "e.g. [\"sshd\"] or [\"postfix/*\"]")
        programs = []
    description = head.get("description", "")
    if not isinstance(description, str):
        bad("description", "must be a string")
        description = ""
    enabled = head.get("enabled", True)
    if not isinstance(enabled, bool):
        bad("enabled", "must be true or false")
        enabled = True
    return name, tuple(p.strip() for p in programs), description, enabled


def _read_message(table: dict[str, Any], index: int, service: str, programs: tuple[str, ...],
                  earlier: list[MessageDef], seen: dict[str, int], lines: _Lines,
                  problems: _Problems, timeout: float | None) -> MessageDef | None:
    """One [[message]] table, or None (with problems recorded) if it is unusable."""
    path = f"message[{index}]"
    before = len(problems.items)

    def bad(key: str, text: str) -> None:
        problems.add(lines.key(index, key) if key else lines.message(index),
                     f"{path}.{key}" if key else path, text)

    for key in table:
        if key not in _MESSAGE_KEYS:
            bad(key, "unknown key (id, pattern, regex, level, taxonomy, description, examples)")
    mid = table.get("id")
    if not isinstance(mid, str) or not _MESSAGE_ID.fullmatch(mid):
        bad("id", "required: a stable id like \"sshd.auth.password_failed\"")
        mid = f"?{index}"
    elif mid in seen:
        bad("id", f"duplicate id {mid!r} (also message[{seen[mid]}])")
    else:
        seen[mid] = index
    compiled: CompiledPattern | None = None
    pattern, raw = table.get("pattern"), table.get("regex", False)
    if not isinstance(raw, bool):
        bad("regex", "must be true or false")
        raw = False
    if not isinstance(pattern, str):
        bad("pattern", "required: a string")
    else:
        try:
            compiled = compile_pattern(pattern, raw=raw)
        except PatternError as exc:
            bad("pattern", str(exc))
    level = table.get("level")
    severity = Severity.INFO
    try:
        if not isinstance(level, str | int) or isinstance(level, bool):
            raise ValueError("required: a syslog severity name such as \"warning\"")
        severity = Severity.parse(level)
    except ValueError as exc:
        bad("level", str(exc))
    taxonomy = table.get("taxonomy")
    if not isinstance(taxonomy, str) or not _TAXONOMY.fullmatch(taxonomy):
        bad("taxonomy", "required: a dotted lower-case name like \"auth.failure\"")
        taxonomy = ""
    description = table.get("description", "")
    if not isinstance(description, str):
        bad("description", "must be a string")
        description = ""
    examples = _read_examples(table.get("examples", []), index, mid, programs, compiled,
                              earlier, lines, problems, timeout)
    if compiled is None or len(problems.items) > before:
        return None
    return MessageDef(mid, service, compiled, severity, taxonomy, description, examples,
                      lines.message(index))


def _read_examples(items: Any, index: int, mid: str, programs: tuple[str, ...],
                   compiled: CompiledPattern | None, earlier: list[MessageDef], lines: _Lines,
                   problems: _Problems, timeout: float | None) -> tuple[Example, ...]:
    """The examples of one message, each checked against the message's own pattern."""
    base = f"message[{index}].examples"
    if not isinstance(items, list) or not all(isinstance(e, dict) for e in items):
        problems.add(lines.key(index, "examples"), base,
                     "must be a list of tables: { line = \"...\", fields = { ... } }")
        return ()
    out: list[Example] = []
    for k, item in enumerate(items):
        where = lines.example(index, k)
        path = f"{base}[{k}]"
        unknown = sorted(set(item) - _EXAMPLE_KEYS)
        if unknown:
            problems.add(where, path, f"unknown keys {unknown} (line, fields, program)")
        line, fields = item.get("line"), item.get("fields")
        program = item.get("program", _example_program(programs))
        if not isinstance(line, str):
            problems.add(where, f"{path}.line", "required: the message text (no syslog header)")
            continue
        if fields is not None and (not isinstance(fields, dict) or not all(
                isinstance(v, str | int | float) and not isinstance(v, bool)
                for v in fields.values())):
            problems.add(where, f"{path}.fields", "must be a table of strings and numbers")
            continue
        if not isinstance(program, str) or (programs and _claim_rank(programs, program.lower())
                                             is None):
            problems.add(where, f"{path}.program", f"{program!r} is not claimed by this service")
            continue
        out.append(Example(line, program, fields))
        wrong = None if compiled is None else _check_example(line, fields, compiled, earlier,
                                                             timeout)
        if wrong:
            problems.add(where, path, wrong)
    return tuple(out)


def _check_example(line: str, fields: dict[str, FieldValue] | None, compiled: CompiledPattern,
                   earlier: list[MessageDef], timeout: float | None) -> str | None:
    """Why an example fails (missed, parsed differently, taken by an earlier message), or None."""
    try:
        got = compiled.match(line, timeout)
    except TimeoutError:
        return "matching this example timed out"
    if got is None:
        return f"does not match the pattern: {line!r}"
    if fields is not None and got != fields:
        return f"fields differ: expected {fields}, got {got}"
    for other in earlier:
        try:
            taken = other.pattern.match(line, timeout) is not None
        except TimeoutError:
            taken = False
        if taken:
            return f"is matched first by the earlier message {other.id!r}"
    return None


_Candidate = tuple[str, str, Callable[..., Any], MessageDef]


class ServiceLibrary:
    """The services a line is parsed against; `match` is the hot path."""

    def __init__(self, services: Iterable[Service] = (), *,
                 timeout: float | None = DEFAULT_TIMEOUT, cache_size: int = 4096):
        by_name: dict[str, Service] = {}
        for service in services:
            by_name[service.name] = service  # a later definition replaces, in place
        self._services = list(by_name.values())
        self._disabled = {s.name for s in self._services if not s.enabled}
        self._messages: dict[str, MessageDef] = {}
        problems: list[Problem] = []
        for service in self._services:
            for msg in service.messages:
                other = self._messages.get(msg.id)
                if other is not None:
                    problems.append(Problem(service.path, f"line {msg.line}" if msg.line else
                                            "message", f"message id {msg.id!r} is already "
                                            f"defined by service {other.service!r}"))
                else:
                    self._messages[msg.id] = msg
        if problems:
            raise ConfigError(problems)
        self.timeout = timeout
        self.timeouts = 0  # match attempts abandoned for taking longer than `timeout`
        self._cache: dict[str, tuple[_Candidate, ...]] = {}
        self._cache_size = cache_size

    @classmethod
    def load(cls, extra_globs: Iterable[str] = (), base_dir: str | Path | None = None,
             builtin: bool = True, *, timeout: float | None = DEFAULT_TIMEOUT) -> ServiceLibrary:
        """The shipped library (unless builtin=False) plus service files matching extra_globs."""
        paths: list[Path] = sorted(LIBRARY_DIR.glob("*.toml")) if builtin else []
        problems: list[Problem] = []
        for pattern in extra_globs:
            full = Path(base_dir) / pattern if base_dir is not None else Path(pattern)
            if glob.has_magic(str(pattern)):
                paths.extend(Path(p) for p in sorted(glob.glob(str(full))))
            elif full.is_file():
                paths.append(full)
            else:
                problems.append(Problem(str(full), "file", "no such service file"))
        services: list[Service] = []
        for path in paths:
            try:
                services.append(load_service_file(path, timeout=timeout))
            except ConfigError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems)
        return cls(services, timeout=timeout)

    @property
    def services(self) -> list[Service]:
        """Every service, enabled or not, in matching order."""
        return list(self._services)

    @property
    def message_count(self) -> int:
        """How many message definitions the library holds."""
        return len(self._messages)

    def service(self, name: str) -> Service:
        """The service of that name; KeyError if none."""
        for s in self._services:
            if s.name == name:
                return s
        raise KeyError(name)

    def message(self, message_id: str) -> MessageDef | None:
        """The message definition with that id, if any."""
        return self._messages.get(message_id)

    def is_enabled(self, name: str) -> bool:
        """Whether lines are matched against the named service."""
        self.service(name)
        return name not in self._disabled

    def enable(self, name: str) -> None:
        """Match lines against this service again; KeyError if unknown."""
        self.service(name)
        self._disabled.discard(name)
        self._cache.clear()

    def disable(self, name: str) -> None:
        """Stop matching lines against this service; KeyError if unknown."""
        self.service(name)
        self._disabled.add(name)
        self._cache.clear()

    def candidates(self, program: str | None) -> tuple[MessageDef, ...]:
        """The messages a line from this program is tried against, in order."""
        return tuple(c[3] for c in self._candidates((program or "").lower()))

    def _candidates(self, key: str) -> tuple[_Candidate, ...]:
        found = self._cache.get(key)
        if found is not None:
            return found
        ranked: list[tuple[int, int, Service]] = []
        for order, service in enumerate(self._services):
            if service.name in self._disabled:
                continue
            rank = _claim_rank(service.programs, key)
            if rank is not None:
                ranked.append((rank, order, service))
        ranked.sort(key=lambda r: (r[0], r[1]))
        found = tuple((m.pattern.literal_prefix, m.pattern.required_text,
                       m.pattern.regex.fullmatch, m)
                      for _, _, service in ranked for m in service.messages)
        if len(self._cache) >= self._cache_size:
            self._cache.clear()  # programs are attacker-controlled: keep the cache bounded
        self._cache[key] = found
        return found

    def match(self, program: str | None, message: str) -> Match | None:
        """The first message definition the line matches, with its fields; None if unknown."""
        key = program.lower() if program else ""
        candidates = self._cache.get(key)
        if candidates is None:
            candidates = self._candidates(key)
        if not candidates:
            return None
        text = message.strip()
        timeout = self.timeout
        for prefix, required, fullmatch, msg in candidates:
            if prefix and not text.startswith(prefix):
                continue
            if required and required not in text:
                continue
            try:
                m = fullmatch(text, timeout=timeout)
            except TimeoutError:
                self.timeouts += 1
                continue
            if m is not None:
                return Match(msg.service, msg.id, int(msg.level), msg.taxonomy,
                             msg.pattern.fields_of(m))
        return None
