"""Start a real `statusd serve` on free ports and talk to it over sockets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

LOGGER = shutil.which("logger")


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


@dataclass
class Server:
    """A running statusd serve process."""

    proc: subprocess.Popen[bytes]
    http: int
    syslog: int
    config: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    def get(self, path: str) -> Any:
        """GET a JSON document."""
        with urllib.request.urlopen(self.url + path, timeout=10) as resp:
            return json.loads(resp.read())

    def text(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as resp:
            return resp.read().decode()

    def metric(self, name: str) -> float:
        """The sum of all samples of a metric family."""
        total = 0.0
        for line in self.text("/metrics").splitlines():
            if line.startswith(name) and (line[len(name)] in " {"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def logger(self, *args: str) -> None:
        """Send with util-linux logger to our syslog port."""
        assert LOGGER, "util-linux logger is required (Debian package bsdutils)"
        subprocess.run([LOGGER, "--server", "127.0.0.1", "--port", str(self.syslog), *args],
                       check=True, timeout=10)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run another statusd command against the same config."""
        return subprocess.run([sys.executable, "-m", "statusd", *args, "--config",
                               str(self.config)], capture_output=True, text=True, timeout=60)


def wait_until(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll check() until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # server still starting, or not yet true
            last_exc = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_exc})")


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[[str], Server]]:
    """Factory: write a config (components/rules text appended) and start statusd serve."""
    servers: list[Server] = []

    def start(extra: str = "") -> Server:
        http, syslog = free_port(), free_port()
        config = tmp_path / "statusd.toml"
        config.write_text(f"""
[http]
listen = "127.0.0.1:{http}"
[storage]
database = "sqlite:///data/statusd.db"
[syslog]
udp = ["127.0.0.1:{syslog}"]
tcp = ["127.0.0.1:{syslog}"]
batch_interval = 0.05
idle_timeout = 5
max_message_size = 4096
{extra}
""")
        log = tmp_path / "serve.log"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "statusd", "serve", "--config", str(config)],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
            )
        server = Server(proc, http, syslog, config, log)
        servers.append(server)
        try:
            wait_until(lambda: server.get("/healthz")["status"] == "ok", 30, "statusd to start")
        except AssertionError:
            proc.kill()
            raise AssertionError("statusd did not start:\n" + log.read_text()) from None
        return server

    yield start
    for server in servers:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGTERM)
            try:
                server.proc.wait(15)
            except subprocess.TimeoutExpired:
                server.proc.kill()
