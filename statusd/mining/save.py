"""Save a [[message]] written in the dashboard into its service file, and try one on stored lines.

The dashboard keeps one service file per service in ``admin.services_dir`` (a service file holds
exactly one ``[service]``). A message for a program goes to the folder's service that claims the
program; when there is none, a new file is made with a ``[service]`` whose name no other service
file uses (a service of the same name would replace the other one, e.g. the shipped ``sshd``).
A file is checked whole with `parse_service`, and its message ids against every other service
file, before it is written (a temporary file renamed over it).
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine

from statusd.config import Settings, admin_service_files, admin_services_dir
from statusd.errors import ConfigError
from statusd.models import LogLine
from statusd.rules.event import FieldValue
from statusd.rules.services import LIBRARY_DIR, Service, ServiceLibrary, parse_service

T = LogLine.__table__  # type: ignore[attr-defined]
MAX_SNIPPET = 64 * 1024  # characters of TOML accepted from the form
TEST_SCAN_LIMIT = 200_000  # stored lines a test reads at most
TEST_EXAMPLES = 5
_BATCH = 5000
_GLOB_CHARS = "*?["
_LINE = re.compile(r"line (\d+)$")
_MESSAGE_HEADER = re.compile(r"\s*\[\[\s*message\s*\]\]\s*(?:#.*)?$")
_SAVE_LOCK = threading.Lock()  # one read-check-write of the folder at a time (per process)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a message for a program goes: the file, its service, and the text before it."""

    path: Path
    service: str
    programs: tuple[str, ...]
    exists: bool
    head: str  # the current file text, or the [service] table of a new file


@dataclass(frozen=True, slots=True)
class SnippetProblem:
    """A problem of the edited snippet (line > 0: its line in the snippet) or of the file."""

    line: int
    where: str
    message: str

    def __str__(self) -> str:
        """As shown on the page."""
        return f"{self.where}: {self.message}"


class SnippetError(Exception):
    """The snippet (or the file it goes into) is not valid; `problems` says where and why."""

    def __init__(self, problems: list[SnippetProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Checked:
    """A snippet that fits its target: the whole new file and the messages it adds."""

    target: Target
    text: str
    service: Service
    new_ids: tuple[str, ...]


@dataclass
class TrialResult:
    """What an edited snippet would recognise among stored unknown lines."""

    scanned: int = 0
    matched: int = 0  # by the snippet's messages
    earlier: int = 0  # by messages already in the file
    capped: bool = False
    by_message: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[str, str, dict[str, FieldValue]]] = field(default_factory=list)


def toml_string(text: str) -> str:
    """A TOML basic string of any text (control characters and DEL escaped)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def claim(program: str) -> str:
    """A `programs` entry that claims exactly this program (glob characters escaped)."""
    return "".join(f"[{c}]" if c in _GLOB_CHARS else c for c in program)


def service_name(program: str) -> str:
    """A valid service name made from a program name."""
    name = re.sub(r"[^a-z0-9_.-]+", "_", program.lower()).lstrip("_.-")[:60].rstrip("_.-")
    return name or "program"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return None


def _head(data: dict[str, Any] | None) -> tuple[str, tuple[str, ...]]:
    """(name, programs) of a parsed service file ("" when it has none)."""
    head = data.get("service") if data else None
    if not isinstance(head, dict):
        return "", ()
    name, programs = head.get("name"), head.get("programs")
    progs = tuple(p for p in programs if isinstance(p, str)) if isinstance(programs, list) else ()
    return (name if isinstance(name, str) else ""), progs


def _all_files(settings: Settings) -> list[Path]:
    """Every service file the runtime loads, the shipped library first, each once."""
    seen: set[Path] = set()
    out: list[Path] = []
    for p in [*sorted(LIBRARY_DIR.glob("*.toml")), *map(Path, settings.service_files),
              *map(Path, admin_service_files(settings))]:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def new_service_head(name: str, program: str) -> str:
    """The [service] table of a new dashboard file."""
    return ("# Saved from the statusd dashboard (Unknown messages). Edit freely; keep it valid.\n"
            "[service]\n"
            f"name = {toml_string(name)}\n"
            f"programs = [{toml_string(claim(program))}]\n"
            'description = "Messages saved from the dashboard"\n')


def choose_target(settings: Settings, program: str) -> Target:
    """The dashboard file whose service claims the program, else a new file with a free name."""
    folder = admin_services_dir(settings)
    wanted = claim(program).lower()
    for path in sorted(folder.glob("*.toml")):
        data = _read(path)
        name, programs = _head(data)
        if name and any(p.strip().lower() == wanted for p in programs):
            text = path.read_text(encoding="utf-8")
            return Target(path, name, programs, True, text)
    taken = {_head(_read(p))[0] for p in _all_files(settings)}
    base = service_name(program)
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-local" if n == 2 else f"{base}-local-{n - 1}"
        path = folder / f"{name}.toml"
        if name not in taken and not path.exists():
            return Target(path, name, (claim(program),), False, new_service_head(name, program))
    raise ValueError(f"no free service name for program {program!r}")


def _defined_ids(settings: Settings, skip: Path) -> dict[str, tuple[str, str]]:
    """message id -> (service, file) of every other service file."""
    out: dict[str, tuple[str, str]] = {}
    for path in _all_files(settings):
        if path.resolve() == skip.resolve():
            continue
        data = _read(path)
        name, _ = _head(data)
        messages = data.get("message") if data else None
        for table in messages if isinstance(messages, list) else ():
            mid = table.get("id") if isinstance(table, dict) else None
            if isinstance(mid, str):
                out.setdefault(mid, (name, str(path)))
    return out


def _first_line(snippet: str) -> tuple[int, str]:
    """(1-based number, text) of the first line that is neither blank nor a comment."""
    for number, line in enumerate(snippet.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            return number, line
    return 0, ""


def check_snippet(settings: Settings, target: Target, snippet: str) -> Checked:
    """The target file with the snippet appended, validated whole; SnippetError if not valid."""
    if len(snippet) > MAX_SNIPPET:
        raise SnippetError([SnippetProblem(0, "snippet", f"longer than {MAX_SNIPPET} characters")])
    body = snippet.replace("\r\n", "\n").rstrip()
    number, first = _first_line(body)
    if not number:
        raise SnippetError([SnippetProblem(0, "snippet", "empty: write at least one [[message]]")])
    if not _MESSAGE_HEADER.match(first):
        raise SnippetError([SnippetProblem(number, f"line {number}", "the snippet must start "
                                           "with [[message]] (the [service] table is added)")])
    head = target.head.rstrip("\n") + "\n\n"
    offset = head.count("\n")
    text = head + body + "\n"
    shown = shown_path(settings, target.path)
    try:
        service = parse_service(text, shown)
    except ConfigError as exc:
        raise SnippetError([_locate(p.where, p.message, offset, shown)
                            for p in exc.problems]) from None
    before = tomllib.loads(target.head).get("message", []) if target.exists else []
    added = service.messages[len(before) if isinstance(before, list) else 0:]
    if not added:
        raise SnippetError([SnippetProblem(0, "snippet", "holds no [[message]]")])
    others = _defined_ids(settings, target.path)
    problems = []
    for msg in added:
        if msg.id in others:
            owner, path = others[msg.id]
            problems.append(_locate(f"line {msg.line}", f"message id {msg.id!r} is already "
                                    f"defined by service {owner!r} ({path})", offset, shown))
    if problems:
        raise SnippetError(problems)
    return Checked(target, text, service, tuple(m.id for m in added))


def _locate(where: str, message: str, offset: int, shown: str) -> SnippetProblem:
    """A problem of the combined text, placed on its snippet line when it lies there."""
    m = _LINE.fullmatch(where)
    if m and int(m.group(1)) > offset:
        line = int(m.group(1)) - offset
        return SnippetProblem(line, f"line {line}", message)
    if m:
        return SnippetProblem(0, f"{shown} {where}", message)
    return SnippetProblem(0, where, message)


def shown_path(settings: Settings, path: Path) -> str:
    """A path as the dashboard shows it: relative to the config folder when inside it."""
    try:
        return str(path.resolve().relative_to(settings.base_dir.resolve()))
    except ValueError:
        return str(path)


def write_atomic(path: Path, text: str) -> None:
    """Write a file through a temporary file in its folder renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_message(settings: Settings, program: str, snippet: str) -> Checked:
    """Append the snippet to the program's service file (listed in settings.service_files)."""
    with _SAVE_LOCK:
        target = choose_target(settings, program)
        checked = check_snippet(settings, target, snippet)
        write_atomic(target.path, checked.text)
        listed = {Path(p).resolve() for p in settings.service_files}
        if target.path.resolve() not in listed:
            settings.service_files.append(str(target.path))
    return checked


def try_snippet(db: Engine, checked: Checked, since: datetime | None, *,
                 scan_limit: int = TEST_SCAN_LIMIT, examples: int = TEST_EXAMPLES) -> TrialResult:
    """Match the stored unknown lines since `since` against the checked file's service."""
    library = ServiceLibrary([checked.service])
    new = set(checked.new_ids)
    result = TrialResult()
    conds = [T.c.service.is_(None)]
    if since is not None:
        conds.append(T.c.ts >= since)
    programs = checked.service.programs
    if not any(c in p for p in programs for c in _GLOB_CHARS):
        conds.append(func.lower(T.c.program).in_([p.lower() for p in programs]))
    last = 0
    while result.scanned < scan_limit:
        stmt = (select(T.c.id, T.c.program, T.c.message).where(and_(T.c.id > last, *conds))
                .order_by(T.c.id).limit(min(_BATCH, scan_limit - result.scanned)))
        with db.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return result
        for _, program, message in rows:
            m = library.match(program, message)
            if m is None:
                continue
            if m.message_id not in new:
                result.earlier += 1
                continue
            result.matched += 1
            result.by_message[m.message_id] += 1
            if len(result.examples) < examples:
                result.examples.append((message, m.message_id, dict(m.fields)))
        result.scanned += len(rows)
        last = rows[-1][0]
    result.capped = True
    return result

