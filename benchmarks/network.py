"""End-to-end TCP throughput of `statusd serve` against rsyslog (imtcp to a file), same run.

Run from the repository root: ``python -m benchmarks.network [--lines N] [--connections C]``.
Both receivers get the same octet-counted traffic (``statusd bench``'s mixed workload, each line
numbered in its header's pid: ``prog[N]:``) over C TCP connections from 127.0.0.1, sent as fast
as the receiver reads. statusd is timed twice in one run, from the first byte sent: until
``statusd_messages_accepted_total`` reaches N (every line durably in the inbox, stage 1) and
until ``statusd_messages_stored_total`` reaches N (every line through the pipeline into the
archive, stage 2); rsyslog until its output file holds N lines. Nothing may be lost and nothing
doubled: after a graceful stop, statusd's archive must hold each number exactly once and its
inbox nothing; rsyslog's file each number exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statusd.bench import BENCH_CONFIG, generate

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    """One receiver's figures (one run may give two: accepted and archived)."""

    name: str
    lines: int
    seconds: float
    counted: int  # distinct line numbers found at the end
    duplicates: int = 0  # rows found beyond one per number
    pending: int = 0  # lines still in statusd's inbox at the end (not lost, not archived)
    check: bool = True  # counted and duplicates were verified

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds > 0 else 0.0


_HEADER = re.compile(r"^(<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ )([^\[: ]+)(?:\[\d+\])?:")


def numbered(lines: list[str]) -> list[str]:
    """Each line with its index as the pid of its tag (prog[N]:), for the loss and dup check."""
    out = []
    for i, line in enumerate(lines):
        new, n = _HEADER.subn(lambda m, i=i: f"{m.group(1)}{m.group(2)}[{i}]:", line, count=1)
        if not n:
            raise ValueError(f"cannot number line {i}: {line[:80]}")
        out.append(new)
    return out


def tally(numbers: list[int], n: int) -> tuple[int, int]:
    """(distinct numbers of 0..n-1 found, rows beyond one per number)."""
    distinct = {x for x in numbers if 0 <= x < n}
    return len(distinct), len(numbers) - len(distinct)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def payloads(lines: list[str], connections: int) -> list[bytes]:
    """Octet-counted frames, dealt round-robin to the connections."""
    out = []
    for c in range(connections):
        frames = [b"%d %s" % (len(raw), raw) for raw in (t.encode() for t in lines[c::connections])]
        out.append(b"".join(frames))
    return out


def send_all(port: int, data: list[bytes]) -> float:
    """Send each payload over its own connection at once; return the time the first byte left."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=120) for _ in data]
    errors: list[BaseException] = []

    def push(sock: socket.socket, payload: bytes) -> None:
        try:
            view = memoryview(payload)
            for i in range(0, len(view), 1 << 16):
                sock.sendall(view[i:i + (1 << 16)])
            sock.shutdown(socket.SHUT_WR)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(s, p)) for s, p in zip(socks, data,
                                                                          strict=True)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in socks:
        s.close()
    if errors:
        raise RuntimeError(f"sending failed: {errors[0]!r}")
    return start


def wait_for(count: Callable[[], int], want: int, timeout: float, poll: float = 0.05) -> float:
    """Poll count() until it reaches want; return when it did (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if count() >= want:
            return time.perf_counter()
        time.sleep(poll)
    raise TimeoutError(f"only {count()} of {want} lines after {timeout:.0f}s")


def run_timed(name: str, port: int, data: list[bytes], n: int, count: Callable[[], int],
              timeout: float, poll: float) -> Result:
    """Send, wait until every line is counted, and time it."""
    done: list[float] = []
    sender = threading.Thread(target=lambda: done.append(send_all(port, data)))
    sender.start()
    end = wait_for(count, n, timeout, poll)
    sender.join()
    return Result(name, n, end - done[0], count(), check=False)


def run_two_stages(port: int, data: list[bytes], n: int, url: str, timeout: float,
                   poll: float) -> tuple[Result, Result]:
    """Send; time when every line is accepted (inbox) and when every line is archived."""
    done: list[float] = []
    sender = threading.Thread(target=lambda: done.append(send_all(port, data)))
    sender.start()
    accepted_at = wait_for(lambda: _metric(url, "statusd_messages_accepted_total"), n, timeout,
                           poll)
    archived_at = wait_for(lambda: _metric(url, "statusd_messages_stored_total"), n, timeout,
                           poll)
    sender.join()
    return (Result("statusd accepted", n, accepted_at - done[0], 0, check=False),
            Result("statusd archived", n, archived_at - done[0], 0, check=False))


class FileLines:
    """Counts the lines of a growing file incrementally."""

    def __init__(self, path: Path):
        self.path, self.offset, self.lines = path, 0, 0

    def __call__(self) -> int:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            return 0
        self.offset += len(data)
        self.lines += data.count(b"\n")
        return self.lines


def bench_rsyslog(work: Path, data: list[bytes], n: int, timeout: float) -> Result:
    """rsyslogd -n with its own config: imtcp to one file."""
    folder = work / "rsyslog"
    (folder / "work").mkdir(parents=True)
    port, out = free_port(), folder / "out.log"
    conf = folder / "rsyslog.conf"
    conf.write_text(f'global(workDirectory="{folder / "work"}")\n'
                    f'module(load="imtcp" MaxSessions="64")\n'
                    f'input(type="imtcp" port="{port}" address="127.0.0.1" ruleset="bench")\n'
                    f'ruleset(name="bench") {{ action(type="omfile" file="{out}") }}\n')
    with (folder / "rsyslogd.log").open("wb") as log:
        proc = subprocess.Popen([RSYSLOGD, "-n", "-f", str(conf), "-i", str(folder / "pid")],
                                stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    try:
        wait_for(lambda: _accepts(port), 1, 30)
        result = run_timed("rsyslog", port, data, n, FileLines(out), timeout, 0.002)
    finally:
        _stop(proc)
    numbers = [int(m.group(1)) for m in re.finditer(rb"\[(\d+)\]:", out.read_bytes())]
    result.counted, result.duplicates = tally(numbers, n)
    result.check = True
    return result


class CountingInbox:
    """Stands in for the inbox: counts lines as accepted and does nothing else."""

    def write(self, lines: list[Any]) -> int:
        return len(lines)

    def count(self) -> int:
        return 0

    def database_answers(self) -> bool:
        return True


def serve_without_pipeline(config: str) -> None:
    """`statusd serve` with the inbox replaced by a counter and no stage 2: the listener path."""
    from statusd.config import load_settings
    from statusd.runtime import Runtime

    runtime = Runtime(load_settings(config))
    runtime.inbox = CountingInbox()
    runtime.run_stage2 = False
    asyncio.run(runtime.run())


def statusd_config(http: int, port: int, thread: bool, database: str | None) -> str:
    """The bench's config (its rules), on these ports, SQLite in ./data unless database."""
    rules = BENCH_CONFIG
    if database:  # a fresh schema on that database
        from sqlmodel import SQLModel

        from statusd.db import make_engine

        engine = make_engine(database, create=False)
        SQLModel.metadata.drop_all(engine)
        engine.dispose()
        rules = rules.replace('database = "sqlite:///data/statusd.db"',
                              f"database = {json.dumps(database)}")
    return (f'[http]\nlisten = "127.0.0.1:{http}"\n'
            f'[syslog]\nudp = []\ntcp = ["127.0.0.1:{port}"]\n'
            f"pipeline_process = {'false' if thread else 'true'}\nshutdown_drain = 300\n"
            + rules)


def bench_statusd(work: Path, data: list[bytes], n: int, timeout: float,
                  profile: str | None, no_pipeline: bool = False,
                  thread: bool = False, database: str | None = None) -> list[Result]:
    """A fresh `statusd serve` (the bench rules; SQLite unless database) on free ports."""
    folder = work / ("statusd-no-pipeline" if no_pipeline else
                     "statusd-thread" if thread else "statusd")
    folder.mkdir()
    http, port = free_port(), free_port()
    config = folder / "statusd.toml"
    config.write_text(statusd_config(http, port, thread, database))
    cmd = [sys.executable, "-m", "statusd", "--log-level", "warning", "serve", "--config",
           str(config)]
    env = dict(os.environ)
    if no_pipeline:
        cmd = [sys.executable, "-m", "benchmarks.network", "--serve-without-pipeline",
               str(config)]
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    with (folder / "serve.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=env)
    url = f"http://127.0.0.1:{http}"
    spy: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: _healthy(url), 1, 60, poll=0.1)
        wait_for(lambda: _pipeline_ready(url), 1, 60, poll=0.1)  # not timing its start-up
        if profile:  # py-spy samples the serve process while the traffic runs
            spy = subprocess.Popen(["py-spy", "record", "--pid", str(proc.pid), "-o", profile,
                                    "-f", "raw", "-r", "250", "--threads"])
            time.sleep(1.0)
        if no_pipeline:
            results = [run_timed("statusd listeners only", port, data, n,
                                 lambda: _metric(url, "statusd_messages_accepted_total"),
                                 timeout, 0.02)]
        else:
            results = list(run_two_stages(port, data, n, url, timeout, 0.02))
            if thread:
                for r in results:
                    r.name += " (thread)"
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        _stop(proc)
    if not no_pipeline:  # after a graceful stop: each number archived once, the inbox empty
        from sqlalchemy import create_engine

        engine = create_engine(database or f"sqlite:///{folder / 'data' / 'statusd.db'}")
        with engine.connect() as conn:
            pids = [int(p) for p in conn.exec_driver_sql("SELECT pid FROM log_line").scalars()
                    if p is not None and p.isdigit()]
            left = conn.exec_driver_sql("SELECT COALESCE(SUM(lines), 0) FROM inbox").scalar()
        engine.dispose()
        counted, duplicates = tally(pids, n)
        for r in results:
            r.counted, r.duplicates, r.pending, r.check = counted, duplicates, int(left or 0), True
    return results


def _accepts(port: int) -> int:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return 1
    except OSError:
        return 0


def _healthy(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
            return int(resp.status == 200)
    except OSError:
        return 0


def _pipeline_ready(url: str) -> int:
    """1 once /healthz says stage 2 runs (or has none): the pipeline process has started."""
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
            return int(json.loads(resp.read()).get("pipeline") in ("ready", "off"))
    except (OSError, ValueError):
        return 0


def _metric(url: str, name: str) -> int:
    """One unlabelled sample of statusd's /metrics."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(name + " "):
                return int(float(line.split()[1]))
    return 0


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def main(argv: list[str] | None = None) -> int:
    """Run both receivers on the same traffic and print rates, ratio and losses."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.network", description=__doc__)
    p.add_argument("--lines", type=int, default=200_000)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per receiver")
    p.add_argument("--profile", help="record statusd with py-spy into FILE (collapsed stacks)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--skip-rsyslog", action="store_true")
    p.add_argument("--no-pipeline", action="store_true",
                   help="also run statusd with its inbox replaced by a counter (no stage 2)")
    p.add_argument("--thread", action="store_true",
                   help="also run statusd with stage 2 in a thread (pipeline_process = false)")
    p.add_argument("--database", help="statusd's database URL (default: SQLite in the temporary "
                   "folder); its statusd tables are dropped first")
    p.add_argument("--serve-without-pipeline", metavar="CONFIG", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve_without_pipeline:
        serve_without_pipeline(args.serve_without_pipeline)
        return 0
    work = Path(tempfile.mkdtemp(prefix="statusd-netbench-"))
    try:
        print(f"generating {args.lines:,} lines over {args.connections} connections ...",
              file=sys.stderr)
        data = payloads(numbered(generate(args.lines)), args.connections)
        results: list[Result] = []
        if not args.skip_rsyslog:
            if not os.path.exists(RSYSLOGD):
                print("rsyslogd missing (Debian package rsyslog)", file=sys.stderr)
                return 2
            results.append(bench_rsyslog(work, data, args.lines, args.timeout))
        results.extend(bench_statusd(work, data, args.lines, args.timeout, args.profile,
                                     database=args.database))
        if args.thread:
            results.extend(bench_statusd(work, data, args.lines, args.timeout, None, thread=True,
                                         database=args.database))
        if args.no_pipeline:
            results.extend(bench_statusd(work, data, args.lines, args.timeout, None, True))
        width = max(len(r.name) for r in results)
        for r in results:
            check = (f"  (numbers stored {r.counted:,} of {r.lines:,}, missing "
                     f"{r.lines - r.counted:,}, duplicates {r.duplicates:,}"
                     + (f", {r.pending:,} still in the inbox" if r.pending else "") + ")"
                     if r.check else "  (not checked)")
            print(f"{r.name:{width}} {r.lines:,} lines in {r.seconds:7.2f}s = "
                  f"{r.rate:10,.0f} lines/s{check}")
        if not args.skip_rsyslog:
            for r in results[1:]:
                print(f"ratio {r.name} / rsyslog: {r.rate / results[0].rate:.3f}")
        ok = all(r.counted == r.lines and not r.duplicates for r in results if r.check)
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
