"""Grok-style patterns: `%{TYPE:field:int}` placeholders and literal text, compiled to `regex`.

A pattern is literal text with typed placeholders. Literal text matches itself (a run of
whitespace matches one or more whitespace characters); with ``raw=True`` the text is a regular
expression in which placeholders are still expanded. Compiled patterns match the whole message
(leading and trailing whitespace ignored) under a time limit, so a bad pattern cannot stall the
pipeline: the `regex` module raises TimeoutError, which callers count as "no match".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import regex

from statusd.rules.event import FieldValue

DEFAULT_TIMEOUT = 0.05  # seconds per match attempt

_IPV4 = (r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
         r"(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}(?![0-9])")
_H = "[0-9A-Fa-f]{1,4}"
_IPV6 = "(?:" + "|".join([
    rf"(?:{_H}:){{6}}{_IPV4}",                     # full form with embedded IPv4
    rf"(?:(?:{_H}:){{1,5}}|:):(?:{_H}:){{0,4}}{_IPV4}",  # compressed with embedded IPv4
    rf"(?:{_H}:){{7}}{_H}",
    rf"(?:{_H}:){{1,7}}:",
    rf"(?:{_H}:){{1,6}}:{_H}",
    rf"(?:{_H}:){{1,5}}(?::{_H}){{1,2}}",
    rf"(?:{_H}:){{1,4}}(?::{_H}){{1,3}}",
    rf"(?:{_H}:){{1,3}}(?::{_H}){{1,4}}",
    rf"(?:{_H}:){{1,2}}(?::{_H}){{1,5}}",
    rf"{_H}:(?::{_H}){{1,6}}",
    rf":(?:(?::{_H}){{1,7}}|:)",
]) + r")(?:%[0-9A-Za-z_.-]+)?"
_HOSTNAME = r"[0-9A-Za-z][0-9A-Za-z_-]*(?:\.[0-9A-Za-z][0-9A-Za-z_-]*)*"
_QS = r""""[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*'"""

TYPES: dict[str, tuple[str, str]] = {
    "INT": (r"[+-]?[0-9]+", "a decimal integer, optionally signed"),
    "NUMBER": (r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?",
               "an integer or decimal number, optionally signed, with optional exponent"),
    "BASE16NUM": (r"(?:0[xX])?[0-9A-Fa-f]+", "a hexadecimal number, with or without 0x"),
    "WORD": (r"\w+", "letters, digits and underscores"),
    "NOTSPACE": (r"\S+", "anything up to the next whitespace"),
    "DATA": (r".*?", "any text, as little as possible (may be empty)"),
    "GREEDYDATA": (r".*", "any text, as much as possible (may be empty)"),
    "SPACE": (r"\s*", "optional whitespace"),
    "IPV4": (_IPV4, "an IPv4 address (dotted quad, each part 0-255)"),
    "IPV6": (_IPV6, "an IPv6 address in any RFC 4291 form, optional %zone"),
    "IP": (rf"(?:{_IPV4}|{_IPV6})", "an IPv4 or IPv6 address"),
    "HOSTNAME": (_HOSTNAME, "a host or domain name (dot-separated labels)"),
    "IPORHOST": (rf"(?:{_IPV4}|{_IPV6}|{_HOSTNAME})", "an IP address or a host name"),
    "PORT": (r"[0-9]{1,5}", "a TCP/UDP port number"),
    "HOSTPORT": (rf"(?:\[{_IPV6}\]|{_IPV4}|{_HOSTNAME}):[0-9]{{1,5}}",
                 "host:port, with an IPv6 address in brackets"),
    "USER": (r"[\w.@$+\\-]+", "a user name (letters, digits, . _ - @ $ + and \\)"),
    "EMAIL": (rf"[\w.!#$%&'*+/=?^`{{|}}~-]+@{_HOSTNAME}", "an e-mail address"),
    "PATH": (r"(?:~?(?:/[\w%!$@:.,+~=-]*)+|(?:[A-Za-z]:|\\\\[\w.-]+)(?:\\[^\\/:*?\"<>|\s]*)+)",
             "an absolute Unix path or a Windows path"),
    "URI": (r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]*", "a URI with a scheme://"),
    "URIPATH": (r"/[^\s?#\"]*", "the path part of a URL (starts with /)"),
    "URIPATHPARAM": (r"/[^\s#\"]*", "a URL path with its ?query"),
    "MAC": (r"(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}|(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}",
            "a MAC address (00:11:22:33:44:55, 00-11-..., or 0011.2233.4455)"),
    "QS": (_QS, "a double- or single-quoted string; the field holds the text inside the quotes"),
    "UUID": (r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}", "a UUID"),
    "LEVEL": (r"(?i:emerg(?:ency)?|alert|crit(?:ical)?|err(?:or)?|warn(?:ing)?|notice"
              r"|info(?:rmational)?|debug|fatal|panic|trace)",
              "a log level name (err, warning, info, ..., any case)"),
    "UNIT": (r"[\w:.@\\-]+\.(?:service|socket|device|mount|automount|swap|target|path|timer"
             r"|slice|scope)", "a systemd unit name (nginx.service, getty@tty1.service, ...)"),
    "QUEUEID": (r"(?:[0-9A-F]{6,14}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{12,20})",
                "a postfix queue id, short (hex) or long form"),
    "PAMMODULE": (r"pam_\w+", "a PAM module name (pam_unix, pam_faillock, ...)"),
    "IFACE": (r"[A-Za-z][\w.@-]*", "a network interface name (eth0, enp3s0, bond0.100, ...)"),
    "DATETIME": (r"[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?"
                 r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?",
                 "a date and time: ISO 8601 or 2024/05/01 12:00:00 (nginx)"),
    "HTTPDATE": (r"[0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}",
                 "an access-log date: 01/May/2024:12:00:00 +0000"),
    "KTIME": (r"(?:\[ *[0-9]+\.[0-9]+\] ?)?",
              "an optional kernel timestamp '[12345.678901] ' (matches nothing if absent)"),
}

_PLACEHOLDER = regex.compile(r"(?<!\\)%\{([^{}]*)\}")
_OPENING = regex.compile(r"(?<!\\)%\{")
_FIELD_NAME = regex.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RAW_GROUP_NAME = regex.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")
_QUANTIFIER = regex.compile(r"[*+?]|\{[0-9]*,?[0-9]*\}")
_CONVERSIONS: dict[str, Callable[[str], FieldValue]] = {"int": int, "float": float}
_SAFE_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                          " !\"#%&',-/:;<=>@_~`")
_ESCAPE_OPERANDS = {"x": 2, "u": 4, "U": 8}


class PatternError(ValueError):
    """The pattern cannot be compiled; str() says why."""


def _unquote(value: str) -> str:
    return value[1:-1]


def _then(first: Callable[[str], str], second: Callable[[str], FieldValue]
          ) -> Callable[[str], FieldValue]:
    return lambda value: second(first(value))


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    """A pattern ready to match: the regex, its fields and its prefilter texts."""

    source: str
    raw: bool
    regex: Any  # regex.Pattern[str]
    fields: tuple[str, ...]
    converters: tuple[tuple[str, Callable[[str], FieldValue]], ...]
    literal_prefix: str  # every match starts with this ("" if unknown)
    required_text: str  # every match contains this ("" if unknown)

    def could_match(self, message: str) -> bool:
        """Cheap prefilter: False means the pattern surely does not match the stripped message."""
        if self.literal_prefix and not message.startswith(self.literal_prefix):
            return False
        return not self.required_text or self.required_text in message

    def match(self, message: str, timeout: float | None = DEFAULT_TIMEOUT
              ) -> dict[str, FieldValue] | None:
        """Fields if the whole message matches, else None; raises TimeoutError when too slow."""
        text = message.strip()
        if not self.could_match(text):
            return None
        m = self.regex.fullmatch(text, timeout=timeout)
        return None if m is None else self.fields_of(m)

    def fields_of(self, m: Any) -> dict[str, FieldValue]:
        """The named groups of a match that took part in it, converted per :int / :float / QS."""
        out: dict[str, FieldValue] = {k: v for k, v in m.groupdict().items() if v is not None}
        for name, convert in self.converters:
            value = out.get(name)
            if isinstance(value, str):
                try:
                    out[name] = convert(value)
                except ValueError:
                    continue  # a value that does not convert is kept as text
        return out


def compile_pattern(pattern: str, *, raw: bool = False) -> CompiledPattern:
    """Compile a pattern (literal text, or a regex when raw) with its placeholders expanded."""
    if not pattern.strip():
        raise PatternError("pattern is empty")
    text = pattern if raw else pattern.strip()
    parts: list[str] = []
    fields: list[str] = []
    converters: list[tuple[str, Callable[[str], FieldValue]]] = []
    literals: list[str] = []  # literal pieces (non-raw only), in order
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        literal = text[pos:m.start()]
        parts.append(literal if raw else _literal_regex(literal))
        literals.append(literal)
        parts.append(_expand(m.group(1), fields, converters))
        pos = m.end()
    tail = text[pos:]
    parts.append(tail if raw else _literal_regex(tail))
    literals.append(tail)
    if _OPENING.search(_PLACEHOLDER.sub("", text)):
        raise PatternError("unclosed or malformed %{...} placeholder")
    if raw:
        for name in _RAW_GROUP_NAME.findall(_PLACEHOLDER.sub("", text)):
            if name in fields:
                raise PatternError(f"duplicate field name {name!r}")
            fields.append(name)
    try:
        compiled = regex.compile("".join(parts))
    except (regex.error, OverflowError) as exc:
        raise PatternError(f"invalid regular expression: {exc}") from None
    if raw:
        prefix, required = _raw_prefilter(text, compiled.flags)
    else:
        prefix, required = _literal_prefilter(literals)
    return CompiledPattern(pattern, raw, compiled, tuple(fields), tuple(converters), prefix,
                           required)


def _literal_regex(literal: str) -> str:
    """Escape literal text; every whitespace run becomes \\s+."""
    return r"\s+".join(regex.escape(chunk) for chunk in regex.split(r"\s+", literal))


def _expand(spec: str, fields: list[str], converters: list[tuple[str, Callable[[str], FieldValue]]]
            ) -> str:
    """The regex for one placeholder's inside ("TYPE", "TYPE:field" or "TYPE:field:int")."""
    bits = spec.split(":")
    if len(bits) > 3 or not bits[0]:
        raise PatternError(f"bad placeholder %{{{spec}}}: use %{{TYPE}}, %{{TYPE:field}} "
                           "or %{TYPE:field:int|float}")
    type_name = bits[0].strip()
    if type_name not in TYPES:
        raise PatternError(f"unknown placeholder type {type_name!r} in %{{{spec}}}")
    body = TYPES[type_name][0]
    if len(bits) == 1:
        return f"(?:{body})"
    name = bits[1].strip()
    if not _FIELD_NAME.fullmatch(name):
        raise PatternError(f"bad field name {name!r} in %{{{spec}}} (letters, digits, _)")
    if name in fields:
        raise PatternError(f"duplicate field name {name!r}")
    fields.append(name)
    convert: Callable[[str], FieldValue] | None = None
    if len(bits) == 3:
        kind = bits[2].strip()
        if kind not in _CONVERSIONS:
            raise PatternError(f"unknown conversion {kind!r} in %{{{spec}}} (int or float)")
        convert = _CONVERSIONS[kind]
    if type_name == "QS":
        convert = _unquote if convert is None else _then(_unquote, convert)
    if convert is not None:
        converters.append((name, convert))
    return f"(?P<{name}>{body})"


def _literal_prefilter(literals: list[str]) -> tuple[str, str]:
    """Prefix (the first literal word, if the pattern starts with one) and the longest word."""
    words = [w for piece in literals for w in piece.split()]
    prefix = words[0] if literals[0] and not literals[0][0].isspace() else ""
    rest = words[1:] if prefix else words
    return prefix, max(rest, key=len, default="")


def _raw_prefilter(text: str, flags: int) -> tuple[str, str]:
    """Leading literal text and the longest literal run of a raw regex ("" when unsure)."""
    if flags & (regex.IGNORECASE | regex.VERBOSE | regex.VERSION1):
        return "", ""
    chunks = _raw_chunks(text)
    if chunks is None:
        return "", ""
    lead = 1 if text.startswith("^") else 0
    prefix = chunks[0][1] if chunks and chunks[0][0] == lead else ""
    rest = chunks[1:] if prefix else chunks
    return prefix, max((c for _, c in rest), key=len, default="")


def _raw_chunks(text: str) -> list[tuple[int, str]] | None:
    """Runs of literal text outside groups, with their start offset; None on top-level |."""
    chunks: list[tuple[int, str]] = []
    cur: list[str] = []
    start = 0
    i, n = 0, len(text)

    def flush(at: int) -> None:
        nonlocal cur, start
        if cur:
            chunks.append((start, "".join(cur)))
        cur, start = [], at

    if text.startswith("^"):
        i = start = 1
    while i < n:
        c = text[i]
        if c == "%" and (m := _PLACEHOLDER.match(text, i)):
            i = m.end()
            flush(i)
            continue
        if c == "\\":
            if i + 1 >= n:
                return None
            nxt = text[i + 1]
            if nxt.isalnum():
                i = _skip_escape(text, i)
                flush(i)
                continue
            lit, width = nxt, 2
        elif c == "|":
            return None
        elif c == "[":
            i = _skip_class(text, i)
            flush(i)
            continue
        elif c == "(":
            i = _skip_group(text, i)
            flush(i)
            continue
        elif c in _SAFE_LITERAL and not (c == "{" and _QUANTIFIER.match(text, i)):
            lit, width = c, 1
        else:  # a metacharacter (or a quantifier): not literal, ends the run
            q = _QUANTIFIER.match(text, i)
            i = q.end() if q else i + 1
            flush(i)
            continue
        j = i + width
        if j < n and _QUANTIFIER.match(text, j):
            flush(j)  # the quantified character is not required
            i = j
            continue
        if not cur:
            start = i
        cur.append(lit)
        i = j
    flush(n)
    return chunks


def _skip_escape(text: str, i: int) -> int:
    """Index after an alphanumeric escape such as \\d, \\x41, \\p{L} or \\g<name>."""
    letter = text[i + 1]
    j = i + 2
    if letter in _ESCAPE_OPERANDS:
        if j < len(text) and text[j] == "{":
            return text.find("}", j) + 1 or len(text)
        end = min(len(text), j + _ESCAPE_OPERANDS[letter])
        while j < end and text[j] in "0123456789abcdefABCDEF":
            j += 1
        return j
    if letter in "NpPg" and j < len(text) and text[j] in "{<":
        close = "}" if text[j] == "{" else ">"
        return text.find(close, j) + 1 or len(text)
    if letter.isdigit():
        while j < len(text) and text[j].isdigit():
            j += 1
    return j


def _skip_class(text: str, i: int) -> int:
    """Index after the character class starting at text[i] == '['."""
    j = i + 1
    if j < len(text) and text[j] == "^":
        j += 1
    if j < len(text) and text[j] == "]":
        j += 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == "]":
            return j + 1
        j += 1
    return len(text)


def _skip_group(text: str, i: int) -> int:
    """Index after the group starting at text[i] == '(' (and after its quantifier, if any)."""
    depth, j = 0, i
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            j = _skip_class(text, j)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                j += 1
                break
        j += 1
    q = _QUANTIFIER.match(text, j)
    if q:
        j = q.end()
        if j < len(text) and text[j] in "?+":
            j += 1
    return j


def types_markdown() -> str:
    """The placeholder types as a Markdown table, for docs/services.md."""
    rows = ["| type | matches | regex |", "|---|---|---|"]
    for name, (body, description) in TYPES.items():
        shown = f"`{body}`" if len(body) <= 60 else "(long: see `statusd/rules/patterns.py`)"
        rows.append(f"| `{name}` | {_cell(description)} | {_cell(shown)} |")
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
