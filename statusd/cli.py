"""The `statusd` command: serve, check-config, parse, ingest, search, bench, user."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from statusd import __version__
from statusd.config import Settings, load_settings
from statusd.errors import ConfigError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _settings(path: str | None) -> Settings:
    """Load settings and services, or print every problem and exit 1."""
    try:
        return load_settings(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        n = len(exc.problems)
        print(f"{n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
        raise SystemExit(EXIT_ERROR) from None


def _library(settings: Settings):  # type: ignore[no-untyped-def]
    from statusd.rules.services import ServiceLibrary

    try:
        return ServiceLibrary.load(settings.service_files)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR) from None


def cmd_serve(args: argparse.Namespace) -> int:
    """Run HTTP, syslog listeners and the pipeline in one process."""
    from statusd.runtime import Runtime, StartupError

    settings = _settings(args.config)
    _library(settings)
    if args.demo:
        from statusd.demo import apply_demo

        settings = apply_demo(settings)
        print(f"demo: sample traffic every second; data in {settings.database_url}",
              file=sys.stderr)
    try:
        runtime = Runtime(settings, demo=args.demo)
        asyncio.run(runtime.run())
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate config, service definitions and rules; exit 1 on any error."""
    settings = _settings(args.file)
    library = _library(settings)
    where = args.file or "built-in defaults"
    print(f"{where}: OK — {len(settings.components)} components, {len(settings.rules)} rules, "
          f"{len(library.services)} services ({library.message_count} messages)")
    if settings.noise_files:  # bad logcheck lines are skipped, not fatal: warn
        from statusd.rules.noise import load_noise

        noise = load_noise(settings.noise_files)
        for problem in noise.problems:
            print(f"warning: {problem}", file=sys.stderr)
        print(f"noise: {len(noise)} logcheck rules ({noise.skipped} lines skipped)")
    return EXIT_OK


def cmd_parse(args: argparse.Namespace) -> int:
    """Read syslog lines on stdin, print one JSON object per line."""
    from statusd.ingest.syslog import decode
    from statusd.search import record_json

    settings = _settings(args.config)
    library = _library(settings)
    default = settings.default_device
    out = sys.stdout
    interactive = sys.stdin.isatty()
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        record = decode(line, received_at=datetime.now(UTC), transport="stdin", fmt=args.format)
        match = library.match(record.program, record.message)
        out.write(json.dumps(record_json(record, record.hostname or default, match),
                             ensure_ascii=False) + "\n")
        if interactive:
            out.flush()
    out.flush()
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    """Feed files through the full pipeline with a progress bar."""
    from statusd.ingest.replay import ingest_files
    from statusd.metrics import Registry
    from statusd.runtime import build_pipeline

    settings = _settings(args.config)
    _library(settings)
    pipeline = build_pipeline(settings, Registry())
    try:
        result = ingest_files(pipeline, args.files, fmt=args.format, device=args.device,
                              batch_size=settings.get("syslog.batch_size"),
                              progress=not args.quiet and sys.stderr.isatty())
    except FileNotFoundError as exc:
        print(f"error: {exc.filename}: no such file", file=sys.stderr)
        return EXIT_ERROR
    fired = pipeline.metrics.rule_firings.total()
    print(f"stored {result.lines} lines ({result.unknown} unknown) in {result.seconds:.2f}s, "
          f"{result.rate:,.0f} lines/s; {fired:.0f} rule firings", file=sys.stderr)
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    """Search stored log lines."""
    from statusd.db import make_engine
    from statusd.search import QueryError, parse_query, parse_time, search

    settings = _settings(args.config)
    try:
        query = parse_query(" ".join(args.query))
        since = parse_time(args.since) if args.since else None
        until = parse_time(args.until) if args.until else None
    except QueryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    db = make_engine(settings.database_url, base_dir=settings.base_dir)
    count = 0
    for hit in search(db, query, since=since, until=until, device=args.device, limit=args.limit):
        count += 1
        if args.json:
            print(json.dumps(hit, ensure_ascii=False))
        else:
            ts = hit["timestamp"][:19].replace("T", " ")
            prog = hit["program"] or "-"
            tag = f" [{hit['message_id']}]" if hit["message_id"] else ""
            print(f"{ts} {hit['device']} {prog}:{tag} {hit['message']}")
    if not args.json:
        print(f"{count} line{'s' if count != 1 else ''}", file=sys.stderr)
    return EXIT_OK


def cmd_user(args: argparse.Namespace) -> int:
    """Manage dashboard users: add, list, passwd, disable, enable."""
    from statusd.web.admin import usercli

    return usercli.run(_settings(args.config), args)


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure the full pipeline against a plain-insert reference in the same run."""
    from statusd.bench import run_bench

    return run_bench(lines=args.lines, keep=args.keep)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    p = argparse.ArgumentParser(prog="statusd", description="A status page fed by your logs.")
    p.add_argument("--version", action="version", version=f"statusd {__version__}")
    p.add_argument("--log-level", default="info",
                   choices=["debug", "info", "warning", "error"], help="default: info")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="run statusd (HTTP, syslog, rules) in one process")
    s.add_argument("--config", "-c", help="config file (default: built-in defaults)")
    s.add_argument("--demo", action="store_true", help="add example components and traffic")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("check-config", help="validate config, services and rules")
    s.add_argument("file", nargs="?", help="config file (default: built-in defaults)")
    s.set_defaults(func=cmd_check_config)

    s = sub.add_parser("parse", help="parse syslog lines from stdin, print JSON per line")
    s.add_argument("--config", "-c")
    s.add_argument("--format", default="auto", choices=["auto", "rfc3164", "rfc5424", "raw"])
    s.set_defaults(func=cmd_parse)

    s = sub.add_parser("ingest", help="feed files (or - for stdin) through the pipeline")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--config", "-c")
    s.add_argument("--format", default="auto", choices=["auto", "rfc3164", "rfc5424", "raw"])
    s.add_argument("--device", help="device name for every line (default: from each header)")
    s.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("search", help="search stored log lines")
    s.add_argument("query", nargs="*", help='words, "phrases", -word, key=value, level=warning')
    s.add_argument("--config", "-c")
    s.add_argument("--since", help="ISO-8601 time or a duration ago (2h, 7d)")
    s.add_argument("--until", help="ISO-8601 time or a duration ago")
    s.add_argument("--device", help="device name or glob")
    s.add_argument("--limit", type=int, default=100)
    s.add_argument("--json", action="store_true", help="one JSON object per line")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("bench", help="benchmark the full pipeline on generated traffic")
    s.add_argument("--lines", type=int, default=200_000)
    s.add_argument("--keep", action="store_true", help="keep the temporary folder")
    s.set_defaults(func=cmd_bench)

    s = sub.add_parser("user", help="manage dashboard users (add, list, passwd, disable, enable)")
    s.set_defaults(func=cmd_user)
    actions = s.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    u = actions.add_parser("add", help="create a dashboard user")
    u.add_argument("name")
    u.add_argument("--role", required=True, choices=["admin", "operator", "viewer"])
    u.add_argument("--password-file", help="read the password from this file's first line "
                   "(- for stdin); default: ask twice")
    actions.add_parser("list", help="list dashboard users")
    u = actions.add_parser("passwd", help="change a user's password (ends their sessions)")
    u.add_argument("name")
    u.add_argument("--password-file", help="read the password from this file's first line")
    actions.add_parser("disable", help="refuse a user's logins, end their sessions").add_argument(
        "name")
    actions.add_parser("enable", help="allow a disabled user again").add_argument("name")
    for u in actions.choices.values():
        u.add_argument("--config", "-c", help="config file (default: built-in defaults)")

    from statusd.mining.commands import add_parsers as add_mining_parsers

    add_mining_parsers(sub)  # mine, unknown, reparse
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except BrokenPipeError:
        return EXIT_OK
