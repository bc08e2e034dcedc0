"""[[file]] inputs in a real `statusd serve`: device and program for headerless lines, rotation,
and lines written while statusd was down read exactly once at the next start."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, wait_until

pytestmark = pytest.mark.e2e

EXTRA = """file_poll_interval = 0.1
file_partial_timeout = 1

[[file]]
path = "app.log"
device = "web1"
program = "nginx"

[[file]]
path = "logs/other.log"
"""

TIMEOUT_LINE = (
    "2026/05/01 12:00:00 [error] 1234#1234: *{n} upstream timed out (110: Connection timed out) "
    "while reading response header from upstream, client: 203.0.113.7, server: example.org, "
    'request: "GET / HTTP/1.1", upstream: "http://10.0.0.5:8080/", host: "example.org"\n'
)


def rows(server: Server, where: str = "1=1") -> list[tuple[str, str, str | None, str]]:
    """(device, program, service, message) of the file lines stored, in order."""
    db = server.config.parent / "data" / "statusd.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute("SELECT device, program, service, message FROM log_line "
                            f"WHERE transport = 'file' AND {where} ORDER BY id").fetchall()


def append(path: Path, text: str) -> None:
    with path.open("a") as fh:
        fh.write(text)


def stop(server: Server) -> None:
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(30) == 0


def test_files_are_followed_across_rotation_and_restart(
        start_server: Callable[[str], Server], tmp_path: Path) -> None:
    app = tmp_path / "app.log"
    append(app, "written before the first start: skipped, as tail -F does\n")
    server = start_server(EXTRA)
    wait_until(lambda: "does not exist" in server.log.read_text(), 10, "the missing file log")
    append(app, TIMEOUT_LINE.format(n=1))
    wait_until(lambda: len(rows(server)) == 1, 15, "the first line")
    assert rows(server) == [("web1", "nginx", "nginx", rows(server)[0][3])]

    (tmp_path / "logs").mkdir()  # the missing file appears: read from its beginning
    append(tmp_path / "logs" / "other.log",
           "no header here\n<13>Mar  1 00:00:00 dbhost app: with a header\n")
    want = [(socket.gethostname(), None), ("dbhost", "app")]
    wait_until(lambda: [(d, p) for d, p, _s, _m in rows(server, "device != 'web1'")] == want,
               15, "the other file's lines")

    os.rename(app, tmp_path / "app.log.1")  # rename-and-create rotation
    append(tmp_path / "app.log.1", TIMEOUT_LINE.format(n=2))  # late write to the old file
    append(app, TIMEOUT_LINE.format(n=3))
    wait_until(lambda: len(rows(server, "device = 'web1'")) == 3, 15, "lines across rotation")
    stop(server)

    for n in range(4, 14):  # written while statusd is down
        append(app, TIMEOUT_LINE.format(n=n))
    append(app, "a partial line with no newline")
    server = start_server(EXTRA)
    wait_until(lambda: len(rows(server, "device = 'web1'")) == 14, 20, "the lines written "
               "while down, and the partial line after its timeout")
    got = [m for _d, _p, _s, m in rows(server, "device = 'web1'")]
    assert [m.split("*")[1].split(" ")[0] for m in got[:13]] == [str(n) for n in range(1, 14)]
    assert got[13] == "a partial line with no newline"
    stop(server)
