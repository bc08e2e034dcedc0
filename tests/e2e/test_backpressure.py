"""A real `statusd serve` under load: TCP pauses instead of dropping, UDP drops are counted,
and SIGTERM in the middle of a TCP flood stores every line the server had read.

Stage 1 writes the queue into the inbox much faster than the pipeline archives it, so what
fills the queue is a full inbox (`inbox_max_lines`): the pipeline holds stage 1, stage 1 holds
the queue, the queue holds the readers."""

from __future__ import annotations

import re
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable

import pytest

from tests.e2e.conftest import Server, wait_until

pytestmark = pytest.mark.e2e


def programs(server: Server) -> dict[str, int]:
    """Stored lines per program."""
    db = server.config.parent / "data" / "statusd.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return dict(conn.execute("SELECT program, COUNT(*) FROM log_line GROUP BY program"))


def sequences(server: Server, program: str) -> list[str]:
    db = server.config.parent / "data" / "statusd.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return [m for (m,) in conn.execute(
            "SELECT message FROM log_line WHERE program = ? ORDER BY id", (program,))]


def metric(server: Server, name: str, **labels: str) -> float:
    """One sample of a metric family, by labels."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in server.text("/metrics").splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
        if not want and line.startswith(f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_tcp_pauses_while_udp_drops_are_counted(start_server: Callable[[str], Server]) -> None:
    server = start_server("queue_size = 20\nbatch_size = 1\ninbox_max_lines = 50\n")
    n_tcp, n_udp = 1500, 3000
    tcp_lines = b"".join(b"<134>Mar  1 00:00:00 h tcpflood: seq=%06d\n" % i for i in range(n_tcp))

    def tcp_flood() -> None:
        with socket.create_connection(("127.0.0.1", server.syslog), timeout=60) as s:
            s.sendall(tcp_lines)

    sender = threading.Thread(target=tcp_flood)
    sender.start()
    wait_until(lambda: metric(server, "statusd_queue_depth") >= 15, 20, "a full queue")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for i in range(n_udp):
            u.sendto(b"<134>Mar  1 00:00:00 h udpflood: seq=%06d" % i, ("127.0.0.1", server.syslog))
    sender.join(60)
    wait_until(lambda: programs(server).get("tcpflood", 0) >= n_tcp, 120, "every TCP line")
    time.sleep(0.5)  # nothing more may arrive: compare settled figures
    stored = programs(server)
    assert stored["tcpflood"] == n_tcp
    assert sequences(server, "tcpflood") == [f"seq={i:06d}" for i in range(n_tcp)]
    dropped = metric(server, "statusd_messages_dropped_total", transport="udp", reason="queue_full")
    received = metric(server, "statusd_messages_received_total", transport="udp")
    assert dropped > 0
    assert metric(server, "statusd_messages_dropped_total", transport="tcp",
                  reason="queue_full") == 0
    # Every datagram the server got is stored or counted; the kernel may drop more on its own.
    assert stored.get("udpflood", 0) + dropped == received <= n_udp


def test_sigterm_mid_flood_stores_every_line_read(start_server: Callable[[str], Server]
                                                 ) -> None:
    server = start_server("queue_size = 20000\nbatch_size = 500\ninbox_max_lines = 50000\n")
    stop = threading.Event()
    sent = [0] * 4

    def flood(conn: int) -> None:  # until told to stop: longer than the shutdown may take
        deadline = time.monotonic() + 120
        try:
            with socket.create_connection(("127.0.0.1", server.syslog), timeout=30) as s:
                for block in range(100_000):
                    if stop.is_set() or time.monotonic() > deadline:
                        return
                    s.sendall(b"".join(b"<134>Mar  1 00:00:00 h flood%d: seq=%07d\n"
                                       % (conn, block * 100 + i) for i in range(100)))
                    sent[conn] += 100
        except OSError:
            return  # the server went away mid-send

    threads = [threading.Thread(target=flood, args=(c,)) for c in range(4)]
    for t in threads:
        t.start()
    wait_until(lambda: metric(server, "statusd_messages_stored_total") >= 3000, 60, "a flood")
    server.proc.send_signal(signal.SIGTERM)
    try:  # the flood goes on: the server must stop reading, store what it read, and exit
        assert server.proc.wait(40) == 0
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    log = server.log.read_text()
    m = re.search(r"stopped: (\d+) lines received, (\d+) stored", log)
    assert m, log[-2000:]
    received, stored = int(m.group(1)), int(m.group(2))
    counts = programs(server)
    assert received == stored == sum(counts.values()) > 3000
    for conn in range(4):  # each connection's lines: a gap-free prefix of what it sent
        got = sequences(server, f"flood{conn}")
        assert got == [f"seq={i:07d}" for i in range(len(got))]
        assert len(got) <= sent[conn]
