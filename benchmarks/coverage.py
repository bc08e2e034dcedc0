"""Coverage of the shipped service library on a mixed syslog stream.

Run from the repository root: ``python -m benchmarks.coverage [FILE] [--show N]`` (FILE defaults
to ``benchmarks/corpus/mixed.log``, made by ``python -m benchmarks.corpus.make_corpus``).

Every line is decoded (``statusd.ingest.syslog.decode``) and matched
(``ServiceLibrary.match``). Printed: the line count, the share recognised, lines per service, the
most frequent unrecognised program / message shapes, and the authentication check: every
recognised line whose taxonomy is ``auth`` or ``auth.*`` and whose text shows both a user and a
source address must carry the fields ``user`` and ``src_ip``. Lines whose text shows no user or
no source address (``Connection closed by 203.0.113.9 port 22``, ``sudo`` command lines) cannot
carry them and are counted separately, not as violations.

Whether the text "shows" a user or a source address is decided by heuristics written for this
check (below), independent of the service definitions: an IP address not introduced as a local,
destination or server address; a user after the usual markers (``user=``, ``for USER from``,
``invalid user``, ``Account Name:``, ``[user]`` of vsftpd, ``CN=`` of OpenVPN, ...). Exit status
is 0, or 1 if the file cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import regex

from statusd.ingest.syslog import decode
from statusd.rules.patterns import TYPES
from statusd.rules.services import ServiceLibrary

CORPUS = Path(__file__).with_name("corpus") / "mixed.log"
RECEIVED_AT = datetime(2024, 3, 12, tzinfo=UTC)  # the corpus is of 2024-03-11

# An IPv4 or IPv6 address standing alone (not part of a longer token; "ipv4:" and "::ffff:" may
# precede it).
_IP = regex.compile(
    r"(?<![\w.])(?:(?<=ipv4:|ipv6:|ffff:)|(?<!:))"
    r"(?:" + TYPES["IPV4"][0] + r"|" + TYPES["IPV6"][0] + r")"
    r"(?![\w.]|:[0-9A-Fa-f]*:)")
# An address right after one of these is the local side, the destination or a server: not a source.
_NOT_SOURCE = regex.compile(
    r"(?:\blip=|\bdst\w*[=:]\s*\"?|\bDST=|\bserver\s*[=:]?\s*|local host \[ipv4:|\bon \[?"
    r"|\bto \[?|->\s*|tunnelip=|Address <|IPv4=|Learn: |\(local |relay=\S*\[|\bvia |\bfor \[?"
    r"|\bsaddr=|daddr=)$",
    regex.IGNORECASE)
_UNAME = r"[<'\"\[]?(?P<u>[\w.@\\$+-]*\w[\w.@\\$+-]*)"
_USER_CUES = [regex.compile(p, regex.IGNORECASE) for p in (
    r"\b(?:user|username|user_name|login|sasl_username|ruser|dstuser|suser|TargetUserName\"?)=\"?"
    + _UNAME,
    r"\b(?:user|username|account name)\s*[:=]\s+" + _UNAME,
    r"\"(?:TargetUserName|SubjectUserName)\":\"(?P<u>[^\"]+)\"",
    r"\bfor (?:invalid |illegal )?(?:user )?" + _UNAME + r" from\b",
    r"\b(?:invalid|illegal|authenticating) user " + _UNAME,
    r"\buser(?:name)? " + _UNAME,
    r"^\[(?P<u>[\w.@-]+)\] (?:OK|FAIL) ",  # vsftpd
    r"^(?P<u>[\w.@-]+)/[0-9a-f.:]+:\d+ ",  # OpenVPN common name / address
    r"\[(?P<u>[\w.@-]+)\] Peer Connection",
    r"\bCN=(?P<u>[\w.@-]+)",
    r"\bpam\((?P<u>[^,()]+),",  # dovecot auth-worker
    r"'(?P<u>[\w.-]+)'@'",  # MySQL 'user'@'host'
)]
_NO_USER = frozenset({"-", "unknown", "n/a", "(null)", "null", "not", "none", "*****", "rhost",
                      "from", "by", "on", "tty", "authentication", "ip", "name", "found", "account",
                      "client", "failed", "disconnected", "session", "slice"})
_SHAPE = [
    (regex.compile(r"\"[^\"]*\"|'[^']*'"), "<QS>"),
    (regex.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "<EMAIL>"),
    (_IP, "<IP>"),
    (regex.compile(r"(?:/[\w.@%+-]+)+/?"), "<PATH>"),
    (regex.compile(r"\b(?:0x)?(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]+\b"),
     "<HEX>"),
    (regex.compile(r"\d+(?:[.:,]\d+)*"), "<N>"),
]


def source_addresses(text: str) -> list[str]:
    """The IP addresses in the text that are not introduced as local, destination or server."""
    out = []
    for m in _IP.finditer(text):
        if not _NOT_SOURCE.search(text[max(0, m.start() - 24):m.start()]):
            out.append(m.group())
    return out


def users(text: str) -> list[str]:
    """User names the text shows after the usual markers."""
    found = []
    for cue in _USER_CUES:
        for m in cue.finditer(text):
            u = m.group("u").strip("<>'\"[]")
            if u and u.lower() not in _NO_USER:
                found.append(u)
    return found


def shape(program: str | None, message: str) -> str:
    """A program / message shape: values masked, so similar lines group together."""
    text = message.strip()
    for pattern, mask in _SHAPE:
        text = pattern.sub(mask, text)
    return f"{program or '-'}: {text[:110]}"


@dataclass
class Report:
    """What one run measured."""

    lines: int = 0
    recognised: int = 0
    per_service: Counter[str] = field(default_factory=Counter)
    unknown: Counter[str] = field(default_factory=Counter)
    unknown_example: dict[str, str] = field(default_factory=dict)
    auth_lines: int = 0  # recognised auth.* lines
    auth_checked: int = 0  # ... whose text shows a user and a source address
    auth_ok: int = 0
    # message id -> (line, missing fields) of each violation
    violations: dict[str, list[tuple[str, list[str]]]] = field(
        default_factory=lambda: defaultdict(list))
    # message id -> recognised auth lines whose text shows no user or no source address
    auth_without: Counter[str] = field(default_factory=Counter)

    @property
    def ratio(self) -> float:
        return self.recognised / self.lines if self.lines else 0.0

    @property
    def violation_count(self) -> int:
        return sum(len(v) for v in self.violations.values())

    def worst(self, n: int = 5) -> list[tuple[str, int, str, list[str]]]:
        """(message id, count, a sample line, missing fields) of the worst auth offenders."""
        ranked = sorted(self.violations.items(), key=lambda kv: -len(kv[1]))[:n]
        return [(mid, len(v), v[0][0], v[0][1]) for mid, v in ranked]


def measure(lines: Iterable[str], library: ServiceLibrary | None = None) -> Report:
    """Decode and match every line; count what is recognised and check the auth lines."""
    lib = library if library is not None else ServiceLibrary.load()
    rep = Report()
    for raw in lines:
        raw = raw.rstrip("\r\n")
        if not raw.strip():
            continue
        rep.lines += 1
        rec = decode(raw, received_at=RECEIVED_AT)
        m = lib.match(rec.program, rec.message)
        if m is None:
            key = shape(rec.program, rec.message)
            rep.unknown[key] += 1
            rep.unknown_example.setdefault(key, raw)
            continue
        rep.recognised += 1
        rep.per_service[m.service] += 1
        if m.taxonomy != "auth" and not m.taxonomy.startswith("auth."):
            continue
        rep.auth_lines += 1
        text = rec.message
        if not (users(text) and source_addresses(text)):
            rep.auth_without[m.message_id] += 1
            continue
        rep.auth_checked += 1
        missing = [f for f in ("user", "src_ip") if f not in m.fields or m.fields[f] in ("", None)]
        if missing:
            rep.violations[m.message_id].append((raw, missing))
        else:
            rep.auth_ok += 1
    return rep


def measure_file(path: str | Path, library: ServiceLibrary | None = None) -> Report:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return measure(fh, library)


def render(rep: Report, name: str, show: int = 20) -> str:
    out = [f"{name}: {rep.lines} lines, {rep.recognised} recognised ({100 * rep.ratio:.1f}%), "
           f"{rep.lines - rep.recognised} unknown", "", "Lines per service:"]
    for svc, n in rep.per_service.most_common():
        out.append(f"  {svc:<12} {n:5d}")
    out += ["", f"Top {show} unrecognised program / message shapes:"]
    for key, n in rep.unknown.most_common(show):
        out.append(f"  {n:4d}  {key}")
    out += ["", f"Authentication (taxonomy auth.*): {rep.auth_lines} recognised lines; "
            f"{rep.auth_checked} show a user and a source address, {rep.auth_ok} of them carry "
            f"user and src_ip, {rep.violation_count} violations"]
    for mid, n, line, missing in rep.worst(show):
        out.append(f"  VIOLATION {n:4d}  {mid} (missing {', '.join(missing)}): {line[:160]}")
    out.append("  lines whose text shows no user or no source address: "
               f"{sum(rep.auth_without.values())}")
    for mid, n in rep.auth_without.most_common():
        out.append(f"    {n:4d}  {mid}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.coverage",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("file", nargs="?", default=str(CORPUS))
    p.add_argument("--show", type=int, default=20, help="unrecognised shapes and offenders to list")
    args = p.parse_args(argv)
    try:
        rep = measure_file(args.file)
    except OSError as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    print(render(rep, args.file, args.show))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
