"""`statusd parse`-style matching speed: the full shipped library against the first eight services.

Run from the repository root: ``python -m benchmarks.parse_speed [--lines N] [--rounds R]``.
Both libraries match the same decoded lines (the mixed traffic of ``statusd bench``), in
alternating rounds of the same run; the best round of each is reported, with their ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from statusd.bench import generate
from statusd.ingest.record import SyslogRecord
from statusd.ingest.syslog import decode
from statusd.rules.services import LIBRARY_DIR, ServiceLibrary, load_service_file

FIRST_EIGHT = ("cron", "kernel", "nginx", "pam", "postfix", "sshd", "su", "sudo")


def eight_services() -> ServiceLibrary:
    """A library of only the eight services statusd first shipped."""
    return ServiceLibrary([load_service_file(LIBRARY_DIR / f"{name}.toml")
                           for name in FIRST_EIGHT])


def match_rate(library: ServiceLibrary, records: Sequence[SyslogRecord]) -> tuple[float, int]:
    """Lines per second matching the records, and how many were recognised."""
    match = library.match
    start = time.perf_counter()
    known = sum(1 for r in records if match(r.program, r.message) is not None)
    return len(records) / (time.perf_counter() - start), known


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.parse_speed", description=__doc__)
    p.add_argument("--lines", type=int, default=200_000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    now = datetime.now(UTC)
    records = [decode(line, received_at=now) for line in generate(args.lines)]
    libraries = {"full": ServiceLibrary.load([]), "first 8": eight_services()}
    best: dict[str, float] = dict.fromkeys(libraries, 0.0)
    known: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, library in libraries.items():
            rate, known[name] = match_rate(library, records)
            best[name] = max(best[name], rate)
    for name, library in libraries.items():
        print(f"{name:<8} {len(library.services):>3} services {library.message_count:>5} messages"
              f"  {best[name]:>10,.0f} lines/s  ({known[name] / len(records):.1%} recognised)")
    print(f"ratio full/first 8: {best['full'] / best['first 8']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
