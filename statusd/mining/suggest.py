"""Turn a mined template and its example lines into a suggested ``[[message]]`` definition.

The template's literal text stays literal; each ``<*>`` becomes a typed placeholder whose type
is the most specific one (statusd.rules.patterns.TYPES) that every example value at that place
fits, and whose name comes from the word before it (``from`` gives ``src_ip``, ``port`` gives
``port``, ``key=`` gives ``key``, ...) or is ``field1``, ``field2``, ...
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from statusd.mining.masking import WILDCARD
from statusd.rules.patterns import TYPES, compile_pattern
from statusd.severity import Severity

REVIEW_TAXONOMY = "unknown.review"  # the user sets the real one (docs/taxonomy.md)
ALIGN_TIMEOUT = 0.2  # seconds allowed to align one example with its template
_IPV4 = TYPES["IPV4"][0]
# (type, regex the value must match whole), most specific first; the first all values fit wins.
_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("UUID", TYPES["UUID"][0]),
    ("MAC", TYPES["MAC"][0]),
    ("IP", TYPES["IP"][0]),
    ("INT", TYPES["INT"][0]),
    ("NUMBER", TYPES["NUMBER"][0]),
    ("EMAIL", TYPES["EMAIL"][0]),
    ("URI", TYPES["URI"][0]),
    ("PATH", TYPES["PATH"][0]),
    ("URIPATHPARAM", TYPES["URIPATHPARAM"][0]),
    ("HOSTNAME", r"(?=.*[A-Za-z])[0-9A-Za-z][0-9A-Za-z_-]*(?:\.[0-9A-Za-z][0-9A-Za-z_-]*)+"),
    ("WORD", TYPES["WORD"][0]),
    ("USER", TYPES["USER"][0]),
    ("NOTSPACE", TYPES["NOTSPACE"][0]),
)
_IP_PORT = regex.compile(rf"(?:{_IPV4}):[0-9]{{1,5}}")
_WORD_BEFORE = regex.compile(r"([A-Za-z][A-Za-z0-9_.-]*)([=:]?)\W*$")
_ID_WORD = regex.compile(r"[A-Za-z][A-Za-z]+")
_NAMES_AFTER = {"from": "src", "to": "dst", "port": "port", "user": "user", "for": "user",
                "by": "user", "pid": "pid", "host": "host", "uid": "uid", "in": "duration",
                "code": "code", "status": "status", "size": "size", "id": "id",
                "client": "client", "server": "server", "peer": "peer", "remote": "remote"}
_ADDRESS_OWNERS = {"src", "dst", "client", "server", "peer", "remote"}


@dataclass(frozen=True)
class Suggestion:
    """A suggested message definition."""

    id: str
    pattern: str
    level: str
    taxonomy: str
    examples: tuple[str, ...]  # the example lines the pattern was checked against

    def toml(self, comment: str = "") -> str:
        """The [[message]] table (and its examples) as TOML text."""
        lines = [f"# {c}" for c in comment.splitlines()] if comment else []
        lines += ["[[message]]", f"id = {_toml(self.id)}", f"pattern = {_toml(self.pattern)}",
                  f"level = {_toml(self.level)}",
                  f"taxonomy = {_toml(self.taxonomy)}  # TODO: set the real taxonomy"]
        for line in self.examples:
            lines += ["", "[[message.examples]]", f"line = {_toml(line)}"]
        return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    """A TOML basic string."""
    out = json.dumps(text, ensure_ascii=False)
    return out.replace("\x7f", "\\u007f")


def template_regex(template: str) -> regex.Pattern[str]:
    """A regex matching lines of the template, one lazy group per <*>."""
    parts = []
    for i, piece in enumerate(template.strip().split(WILDCARD)):
        if i:
            parts.append("(.*?)")
        parts.append(r"\s+".join(regex.escape(w) for w in regex.split(r"\s+", piece)))
    return regex.compile("".join(parts), regex.DOTALL)


def align(template: str, lines: Sequence[str]) -> list[tuple[str, list[str]]]:
    """(line, values at each <*>) for each line the template matches."""
    rx = template_regex(template)
    out = []
    for line in lines:
        try:
            m = rx.fullmatch(line.strip(), timeout=ALIGN_TIMEOUT)
        except TimeoutError:
            m = None
        if m is not None:
            out.append((line, list(m.groups())))
    return out


def infer_type(values: Sequence[str], last: bool) -> str:
    """The most specific placeholder type every value fits (DATA/GREEDYDATA for free text)."""
    if values and all(_IP_PORT.fullmatch(v) for v in values):
        return "IP:PORT"
    for name, body in _CANDIDATES:
        if values and all(regex.fullmatch(body, v) for v in values):
            return name
    return "GREEDYDATA" if last else "DATA"


def _name(before: str, type_name: str, used: Counter[str], n: int) -> str:
    """A field name from the literal text before the placeholder, unique in the pattern."""
    m = _WORD_BEFORE.search(before)
    base = ""
    if m:
        word, sep = m.group(1).lower(), m.group(2)
        base = _NAMES_AFTER.get(word) or (
            regex.sub(r"[^a-z0-9_]", "_", word).strip("_") if sep else "")
    if type_name == "IP":
        name = f"{base}_ip" if base in _ADDRESS_OWNERS else base if base == "host" else "ip"
    elif base == "user" and type_name not in ("USER", "WORD", "NOTSPACE", "EMAIL"):
        name = ""
    else:
        name = base
    if not name or not regex.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        name = f"field{n}"
    used[name] += 1
    return name if used[name] == 1 else f"{name}_{used[name]}"


def build_pattern(template: str, values: Sequence[Sequence[str]]) -> str:
    """The pattern for a template, given the values each example has at each <*>."""
    pieces = template.strip().split(WILDCARD)
    used: Counter[str] = Counter()
    out = [pieces[0]]
    for k in range(1, len(pieces)):
        column = [v[k - 1] for v in values]
        before = "".join(out)
        type_name = infer_type(column, last=k == len(pieces) - 1 and not pieces[k].strip())
        n = k
        if type_name == "IP:PORT":
            name = _name(before, "IP", used, n)
            stem = name[:-3] if name.endswith("_ip") else ""
            port = f"{stem}_port" if stem else "port"
            used[port] += 1
            port = port if used[port] == 1 else f"{port}_{used[port]}"
            out.append(f"%{{IP:{name}}}:%{{PORT:{port}:int}}")
        else:
            name = _name(before, type_name, used, n)
            conversion = ":int" if type_name == "INT" else ""
            out.append(f"%{{{type_name}:{name}{conversion}}}")
        out.append(pieces[k])
    return "".join(out).strip()


def message_id(program: str | None, template: str) -> str:
    """A proposed id: <program>.<first words of the template>."""
    head = regex.sub(r"[^a-z0-9_]+", "_", (program or "unknown").lower()).strip("_") or "unknown"
    words = [w.lower() for w in _ID_WORD.findall(template.replace(WILDCARD, " "))][:3]
    return f"{head}.{'_'.join(words) or 'message'}"


def level_of(severities: Sequence[int | None]) -> str:
    """The most common syslog severity of the lines (ties: the more severe), else info."""
    counts = Counter(s for s in severities if s is not None and 0 <= s <= 7)
    if not counts:
        return Severity.INFO.label
    best = max(counts.items(), key=lambda kv: (kv[1], -kv[0]))[0]
    return Severity(best).label


def suggest(template: str, examples: Sequence[str], program: str | None = None,
            severities: Sequence[int | None] = ()) -> Suggestion:
    """A message definition that compiles and matches every example the template aligns with."""
    aligned = align(template, examples)
    if not aligned:
        raise ValueError("no example line fits the template")
    pattern = build_pattern(template, [values for _, values in aligned])
    compiled = compile_pattern(pattern)
    kept = tuple(line for line, _ in aligned if compiled.match(line) is not None)
    if not kept:
        raise ValueError(f"the suggested pattern matches no example: {pattern}")
    return Suggestion(message_id(program, template), pattern, level_of(severities),
                      REVIEW_TAXONOMY, kept)
