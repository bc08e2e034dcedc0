"""logcheck ignore rules: lines that match are noise (kept, marked, never alerting).

An ignore file (``ignore.d.server/*``, ``ignore.d.workstation/*``) holds one POSIX extended
regular expression (egrep) per line; ``#`` starts a comment line, blank lines are skipped.
logcheck runs ``egrep -v`` over lines shaped ``Mmm dd hh:mm:ss host program[pid]: message``,
so each rule is a search (not a full match) over that form, rebuilt from the decoded record.
Rules are translated to Python's ``regex`` module and every match runs under a time limit;
a rule that does not translate or compile is reported with its file and line, and skipped.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from statusd.errors import Problem
from statusd.ingest.record import SyslogRecord

DEFAULT_TIMEOUT = 0.05  # seconds one search may take before it counts as no match
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CLASSES = {
    "alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "digit": "0-9", "xdigit": "0-9A-Fa-f",
    "upper": "A-Z", "lower": "a-z", "space": r" \t\n\r\f\v", "blank": r" \t",
    "punct": r"!-/:-@\[-`{-~", "cntrl": r"\x00-\x1f\x7f", "print": r"\x20-\x7e",
    "graph": r"\x21-\x7e", "word": r"\w",
}
# "^<date part> [._[:alnum:]-]+ program\[" or "... program:": the program after the host class.
_RULE_PROGRAM = regex.compile(r"\^.*?\]\+ ([A-Za-z0-9_./-]+)(?:\\\[|:)")
_INTERVAL = regex.compile(r"\{[0-9]+(?:,[0-9]*)?\}|\{,[0-9]+\}")


class EgrepError(ValueError):
    """An egrep expression that cannot be translated; str() says why."""


def translate(expr: str) -> str:
    """A POSIX extended regular expression (GNU egrep dialect) as a Python regex."""
    out: list[str] = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c == "[":
            body, i = _bracket(expr, i)
            out.append(body)
            continue
        if c == "\\":
            if i + 1 >= n:
                raise EgrepError("trailing backslash")
            nxt = expr[i + 1]
            out.append(r"\b(?=\w)" if nxt == "<" else r"\b(?<=\w)" if nxt == ">" else
                       r"\A" if nxt == "`" else r"\Z" if nxt == "'" else "\\" + nxt)
            i += 2
            continue
        if c == "{":
            m = _INTERVAL.match(expr, i)
            if m is None or not out:  # GNU grep takes a '{' that starts no interval literally
                out.append(r"\{")
                i += 1
            else:
                out.append(m.group().replace("{,", "{0,"))
                i = m.end()
            continue
        if c == "}":
            out.append(r"\}")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _bracket(expr: str, i: int) -> tuple[str, int]:
    """Translate the bracket expression starting at expr[i] == '['; (class, index after)."""
    j = i + 1
    out = ["["]
    if j < len(expr) and expr[j] == "^":
        out.append("^")
        j += 1
    first = True
    while j < len(expr):
        c = expr[j]
        if c == "]" and not first:
            out.append("]")
            return "".join(out), j + 1
        first = False
        if c == "[" and expr.startswith(("[:", "[.", "[="), j):
            close = expr.find(expr[j + 1] + "]", j + 2)
            if close < 0:
                raise EgrepError(f"unclosed {expr[j:j + 2]} in a bracket expression")
            name = expr[j + 2:close]
            if expr[j + 1] == ":":
                if name not in _CLASSES:
                    raise EgrepError(f"unknown character class [:{name}:]")
                out.append(_CLASSES[name])
            else:  # collating element or equivalence class: one character
                out.append(regex.escape(name))
            j = close + 2
            continue
        out.append("\\" + c if c in "\\[]^" else c)  # a backslash is literal in POSIX brackets
        j += 1
    raise EgrepError("unclosed bracket expression '['")


@dataclass(frozen=True, slots=True)
class NoiseRule:
    """One ignore rule and where it came from."""

    file: str
    line: int
    source: str  # the egrep text as written
    pattern: Any  # compiled regex.Pattern[str]


class NoiseRules:
    """Every loaded ignore rule; `matches` is called once per received line.

    All rules run as one alternation. When that search times out, each rule runs alone, so
    one slow rule does not hide the others; a rule that times out MAX_TIMEOUTS times is
    dropped and reported in `problems`.
    """

    MAX_TIMEOUTS = 3

    def __init__(self, rules: Sequence[NoiseRule] = (), timeout: float | None = DEFAULT_TIMEOUT,
                 problems: Sequence[Problem] = ()):
        self.rules = list(rules)
        self.timeout = timeout
        self.problems = list(problems)  # bad lines (skipped) and rules dropped as too slow
        self.skipped = len(self.problems)  # rule lines skipped as unusable when loading
        self.timeouts = 0  # searches abandoned for taking longer than the time limit
        self._strikes: dict[int, int] = {}
        self._combined: Any = None
        self._compile()

    def _compile(self) -> None:
        """Rules whose program is spelled out go in one alternation per program, tried only on
        that program's lines; the rest in one alternation tried on every line."""
        by_program: dict[str | None, list[NoiseRule]] = {}
        for r in self.rules:
            by_program.setdefault(rule_program(r.source), []).append(r)
        general = by_program.pop(None, [])
        self._all = _alternation(self.rules)
        self._general = _alternation(general)
        self._by_program = {p: _alternation(rs + general) for p, rs in by_program.items()}

    def __bool__(self) -> bool:
        return bool(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def matches(self, line: str) -> bool:
        """True if any rule finds a match in the logcheck-shaped line."""
        return self._search(self._all, line)

    def _search(self, pattern: Any, line: str) -> bool:
        if pattern is None:
            return False
        try:
            return pattern.search(line, timeout=self.timeout) is not None
        except TimeoutError:
            return self._one_by_one(line)

    def _one_by_one(self, line: str) -> bool:
        """Each rule on its own; rules that keep timing out are dropped."""
        slow: list[NoiseRule] = []
        found = False
        for rule in self.rules:
            try:
                if rule.pattern.search(line, timeout=self.timeout) is not None:
                    found = True
                    break
            except TimeoutError:
                self.timeouts += 1
                strikes = self._strikes[id(rule)] = self._strikes.get(id(rule), 0) + 1
                if strikes >= self.MAX_TIMEOUTS:
                    slow.append(rule)
        for rule in slow:
            self.rules.remove(rule)
            self.problems.append(Problem(rule.file, f"line {rule.line}", "dropped: timed out "
                                         f"{self.MAX_TIMEOUTS} times (catastrophic backtracking?)"))
        if slow:
            self._compile()
        return found

    def matches_record(self, record: SyslogRecord, device: str | None = None) -> bool:
        """True if the record, put back in the form logcheck reads, matches a rule."""
        program = record.program
        pattern = self._by_program.get(program, self._general) if program else self._general
        return self._search(pattern, logcheck_line(record, device))


def rule_program(source: str) -> str | None:
    """The program a logcheck rule is written for, when it spells it out after the usual
    ``^<date> <host> `` start (``... sshd\\[``, ``... kernel:``); None otherwise."""
    m = _RULE_PROGRAM.match(source)
    if m is None or _has_top_level_bar(source):
        return None
    return m.group(1)


def _has_top_level_bar(source: str) -> bool:
    """Whether the expression is an alternation at its top level (a|b, not (a|b))."""
    depth, i = 0, 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            try:
                i = _bracket(source, i)[1]
            except EgrepError:
                return True
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth <= 0:
            return True
        i += 1
    return False


def _alternation(rules: Sequence[NoiseRule]) -> Any:
    """The rules' patterns as one compiled alternation (None for no rules)."""
    if not rules:
        return None
    return regex.compile("|".join(f"(?:{r.pattern.pattern})" for r in rules))


def logcheck_line(record: SyslogRecord, device: str | None = None) -> str:
    """The record as a syslog file line: ``Mmm dd hh:mm:ss host program[pid]: message``."""
    t = record.timestamp
    stamp = f"{_MONTHS[t.month - 1]} {t.day:2d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    host = record.hostname or device or "localhost"
    if record.program is None:
        return f"{stamp} {host} {record.message}"
    tag = f"{record.program}[{record.pid}]" if record.pid else record.program
    return f"{stamp} {host} {tag}: {record.message}"


def parse_rules(text: str, file: str = "<string>") -> tuple[list[NoiseRule], list[Problem]]:
    """The rules of one ignore file, and a problem for each line that cannot be used."""
    rules: list[NoiseRule] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            pattern = regex.compile(translate(line))
        except (EgrepError, regex.error, OverflowError, RecursionError) as exc:
            problems.append(Problem(file, f"line {number}", f"skipped, not a usable egrep "
                                    f"expression: {exc}"))
            continue
        rules.append(NoiseRule(file, number, line, pattern))
    return rules, problems


def load_noise(paths: Iterable[str | Path], *, timeout: float | None = DEFAULT_TIMEOUT
               ) -> NoiseRules:
    """Rules from ignore files (globs allowed); unreadable files and bad lines are problems."""
    rules: list[NoiseRule] = []
    problems: list[Problem] = []
    for entry in paths:
        names = sorted(glob.glob(str(entry))) if glob.has_magic(str(entry)) else [str(entry)]
        for name in names:
            try:
                text = Path(name).read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                problems.append(Problem(name, "file", f"cannot read: {exc.strerror or exc}"))
                continue
            found, bad = parse_rules(text, name)
            rules.extend(found)
            problems.extend(bad)
    return NoiseRules(rules, timeout, problems)
