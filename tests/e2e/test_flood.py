"""Hostile senders against a real `statusd serve`: connection floods, slow-loris peers, oversized
frames, bad octet counts and garbage. The listener keeps serving a good client within seconds,
and the process's memory (VmRSS) stays within a bound."""

from __future__ import annotations

import os
import random
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import partial

import pytest

from tests.e2e.conftest import Server, wait_until

pytestmark = pytest.mark.e2e

ATTACK_SECONDS = 10.0
SOURCES = [f"127.0.0.{i}" for i in range(2, 10)]  # loopback addresses: eight "attackers"
RSS_BOUND_MB = 64.0  # growth of the serve process allowed over the whole attack
# A short queue (by lines and by bytes) bounds how long a flood's lines can hold a good client's
# line up behind them: about queue_size / the pipeline's rate.
EXTRA = """queue_size = 5000
queue_bytes = 4000000
max_connections = 200
max_connections_per_source = 64
frame_timeout = 2
"""


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def stored(server: Server, program: str) -> int:
    db = server.config.parent / "data" / "statusd.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute("SELECT COUNT(*) FROM log_line WHERE program = ?",
                            (program,)).fetchone()[0]


def has_good_lines(server: Server, n: int) -> bool:
    return bool(stored(server, "goodclient") == n)


def dropped(server: Server, reason: str) -> float:
    total = 0.0
    for line in server.text("/metrics").splitlines():
        if line.startswith("statusd_messages_dropped_total{") and f'reason="{reason}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def connect_from(source: str, port: int) -> socket.socket:
    s = socket.socket()
    try:
        s.bind((source, 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
    except OSError:
        s.close()
        raise
    return s


def slow_loris(source: str, port: int, until: float) -> None:
    """Hold as many connections as allowed, each inside one never-ending frame."""
    socks: list[socket.socket] = []
    while time.monotonic() < until:
        while len(socks) < 74:  # more than the per-source cap
            try:
                s = connect_from(source, port)
                s.sendall(b"<13>" + b"x" * 3000)
            except OSError:
                break
            socks.append(s)
        alive = []
        for s in socks:
            try:
                s.send(b"x")
                alive.append(s)
            except OSError:
                s.close()
        socks = alive
        time.sleep(0.3)
    for s in socks:
        s.close()


def bad_frames(source: str, port: int, until: float, seed: int) -> None:
    """Oversized frames, absurd and empty octet counts, binary garbage; again and again."""
    rng = random.Random(seed)
    payloads = [b"y" * 1_000_000 + b"\n", b"99999999999999 abc\n", b"0 0 0 \n",
                b"5000 " + b"z" * 5000, b"\x00\xff\n" * 1000]
    while time.monotonic() < until:
        data = rng.choice([*payloads, rng.randbytes(65536)])
        try:
            with connect_from(source, port) as s:
                s.sendall(data)
        except OSError:
            pass


def test_floods_do_not_stop_the_listener_or_grow_memory(
        start_server: Callable[[str], Server]) -> None:
    server = start_server(EXTRA)
    pid = server.proc.pid
    with socket.create_connection(("127.0.0.1", server.syslog)) as s:  # warm the pipeline up
        s.sendall(b"".join(b"<134>Mar  1 00:00:00 h warmup: n=%d\n" % i for i in range(2000)))
    wait_until(lambda: stored(server, "warmup") == 2000, 60, "the warm-up lines")
    before = rss_mb(pid)
    until = time.monotonic() + ATTACK_SECONDS
    attackers = [threading.Thread(target=slow_loris, args=(src, server.syslog, until))
                 for src in SOURCES]
    attackers += [threading.Thread(target=bad_frames, args=(f"127.0.0.{10 + i}", server.syslog,
                                                            until, i)) for i in range(2)]
    for t in attackers:
        t.start()
    latencies, peak, n = [], before, 0
    try:
        while time.monotonic() < until:
            n += 1
            sent_at = time.monotonic()
            with socket.create_connection(("127.0.0.1", server.syslog), timeout=5) as s:
                s.sendall(b"<134>Mar  1 00:00:00 h goodclient: n=%d\n" % n)
            wait_until(partial(has_good_lines, server, n), 10, f"good line {n}")
            latencies.append(time.monotonic() - sent_at)
            peak = max(peak, rss_mb(pid))
            time.sleep(0.2)
    finally:
        for t in attackers:
            t.join(30)
    wait_until(lambda: server.metric("statusd_connections_open") == 0, 15,
               "the attackers' connections to be gone")
    after = rss_mb(pid)
    print(f"\nVmRSS before {before:.1f} MB, peak {peak:.1f} MB, after {after:.1f} MB; "
          f"good lines {n}, worst latency {max(latencies):.2f}s; dropped: "
          f"too_many_connections={dropped(server, 'too_many_connections'):.0f} "
          f"frame_timeout={dropped(server, 'frame_timeout'):.0f} "
          f"truncated={dropped(server, 'truncated'):.0f} "
          f"invalid_frame={dropped(server, 'invalid_frame'):.0f}")
    assert server.proc.poll() is None
    assert n >= 3 and max(latencies) < 8.0
    assert peak - before < RSS_BOUND_MB and after - before < RSS_BOUND_MB
    for reason in ("too_many_connections", "frame_timeout", "truncated", "invalid_frame"):
        assert dropped(server, reason) > 0, reason
    server.logger("-t", "afterwards", "still listening")  # a fresh client after the attack
    wait_until(lambda: stored(server, "afterwards") == 1, 10, "a line after the attack")
    assert os.path.exists(f"/proc/{pid}")
