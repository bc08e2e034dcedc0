"""The `statusd mine`, `statusd unknown` and `statusd reparse` commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def add_parsers(sub: Any) -> None:
    """Register the mining subcommands on the `statusd` subparsers."""
    s = sub.add_parser("mine", help="group lines into templates, print JSON per line")
    s.add_argument("file", nargs="?", default="-", metavar="FILE",
                   help="syslog lines or plain messages (default: - for stdin)")
    s.add_argument("--format", default="auto", choices=["auto", "rfc3164", "rfc5424", "raw"],
                   help="raw: take every line whole, as message text")
    s.set_defaults(func=cmd_mine)

    s = sub.add_parser("unknown", help="group stored unknown lines into templates")
    s.add_argument("--config", "-c")
    s.add_argument("--since", default="7d", help="ISO-8601 time or a duration ago (default 7d)")
    s.add_argument("--limit", type=int, default=20, help="templates shown (default 20)")
    s.add_argument("--json", action="store_true", help="one JSON object per template")
    s.add_argument("--suggest", metavar="TEMPLATE_ID",
                   help="print a [[message]] definition for this template")
    s.set_defaults(func=cmd_unknown)

    s = sub.add_parser("reparse", help="parse stored unknown lines again with the current "
                       "services")
    s.add_argument("--config", "-c")
    s.add_argument("--days", type=float, default=7, help="how far back (default 7 days)")
    s.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_reparse)


def _messages(fh: IO[bytes], fmt: str) -> Iterator[tuple[str | None, str]]:
    """(program, message) per non-blank line; the syslog header is stripped when there is one."""
    from statusd.ingest.syslog import decode

    now = datetime.now(UTC)
    for raw in fh:
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        record = decode(line, received_at=now, transport="stdin", fmt=fmt)
        if record.format == "raw":
            yield None, record.raw
        else:
            yield record.program, record.message


def cmd_mine(args: argparse.Namespace) -> int:
    """Mine the lines (per program), then print each line's final template, in input order."""
    from statusd.mining.miner import TemplateMiner

    try:
        fh: IO[bytes] = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"error: {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
    miners: dict[str | None, TemplateMiner] = {}
    seen: list[tuple[str | None, int, str]] = []
    with fh:
        for program, message in _messages(fh, args.format):
            miner = miners.get(program)
            if miner is None:
                miner = miners[program] = TemplateMiner()
            seen.append((program, miner.add(message), message))
    numbers: dict[tuple[str | None, int], int] = {}  # final group -> id by first appearance
    groups = {program: miner.assignments() for program, miner in miners.items()}
    out = sys.stdout
    for program, cid, message in seen:
        group = groups[program][cid]
        number = numbers.setdefault((program, group.id), len(numbers) + 1)
        out.write(json.dumps({"template_id": number, "template": group.template,
                              "program": program, "message": message},
                             ensure_ascii=False) + "\n")
    out.flush()
    return EXIT_OK


def cmd_unknown(args: argparse.Namespace) -> int:
    """List templates of stored unknown lines, or print a suggested definition for one."""
    from statusd.cli import _settings
    from statusd.db import make_engine
    from statusd.mining.suggest import suggest
    from statusd.mining.unknown import unknown_templates
    from statusd.search import QueryError, parse_time

    settings = _settings(args.config)
    try:
        since = parse_time(args.since) if args.since else None
    except QueryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    db = make_engine(settings.database_url, base_dir=settings.base_dir)
    try:
        found = unknown_templates(db, since)
    finally:
        db.dispose()
    if args.suggest:
        match = [t for t in found if t.id == args.suggest]
        if not match:
            print(f"error: no unknown template {args.suggest!r} since {args.since} "
                  "(run `statusd unknown` for the ids)", file=sys.stderr)
            return EXIT_ERROR
        t = match[0]
        try:
            s = suggest(t.template, t.examples, t.program, list(t.severities.elements()))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        head = (f"Suggested from {t.count} unknown line(s) of {t.program or '(no program)'}, "
                f"template {t.id}:\n  {t.template}\nPut it in a service file listed in "
                "`services = [...]`, set its taxonomy, then run `statusd reparse`.")
        if t.program:
            head += (f"\nA new service file also needs:\n[service]\nname = "
                     f"{json.dumps(s.id.split('.')[0])}\nprograms = {json.dumps([t.program])}")
        print(s.toml(head), end="")
        return EXIT_OK
    for t in found[:args.limit]:
        if args.json:
            print(json.dumps(t.as_json(), ensure_ascii=False))
            continue
        print(f"{t.id}  {t.count:>7,}  {t.program or '-'}  {_short(t.first_seen)} .. "
              f"{_short(t.last_seen)}\n    {t.template}")
        for example in t.examples:
            print(f"      e.g. {example}")
    if not args.json:
        print(f"{len(found)} template{'s' if len(found) != 1 else ''} of unknown lines "
              f"(showing {min(len(found), args.limit)})", file=sys.stderr)
    return EXIT_OK


def _short(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def cmd_reparse(args: argparse.Namespace) -> int:
    """Parse the stored unknown lines of the last --days again against the current library."""
    from datetime import timedelta

    from tqdm import tqdm

    from statusd.cli import _library, _settings
    from statusd.db import make_engine
    from statusd.mining.unknown import count_unknown, reparse

    settings = _settings(args.config)
    library = _library(settings)
    db = make_engine(settings.database_url, base_dir=settings.base_dir)
    since = datetime.now(UTC) - timedelta(days=args.days)
    try:
        total = count_unknown(db, since)
        with tqdm(total=total, unit="lines", desc="reparse", file=sys.stderr,
                  disable=args.quiet or not sys.stderr.isatty(), mininterval=0.5) as bar:
            result = reparse(db, library, since, progress=bar.update)
    finally:
        db.dispose()
    print(f"reparsed {result.scanned:,} unknown lines of the last {args.days:g} days: "
          f"{result.recognised:,} recognised", file=sys.stderr)
    for message_id, n in result.by_message.most_common(10):
        print(f"  {n:>7,}  {message_id}", file=sys.stderr)
    return EXIT_OK
