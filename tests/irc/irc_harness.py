"""IRC test harness: a real ngircd on a free port, raw-socket humans, fake services, the bot."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from statusd.irc.bot import IrcBot
from statusd.irc.options import IrcOptions

NGIRCD = shutil.which("ngircd") or ("/usr/sbin/ngircd" if os.path.exists("/usr/sbin/ngircd")
                                    else None)
CHANNEL = "#ops"
CONF = """[Global]
Name = irc.test
Info = statusd test server
Listen = 127.0.0.1
Ports = {port}
PidFile = {tmp}/ngircd.pid
MotdPhrase = "statusd tests"
ServerUID = {uid}
ServerGID = {gid}
[Limits]
MaxConnectionsIP = 0
MaxNickLength = 30
PingTimeout = 120
PongTimeout = 20
[Options]
DNS = no
Ident = no
PAM = no
OperCanUseMode = yes
[Operator]
Name = admin
Password = adminpw
[Server]
Name = services.test
MyPassword = svcpw
PeerPassword = ngpw
ServiceMask = *Serv
"""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(cond: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll cond until it is true, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Ngircd:
    """ngircd in the foreground (-n) with its own config, PID file and MOTD in tmp."""

    def __init__(self, tmp: Path) -> None:
        assert NGIRCD is not None
        self.tmp = tmp
        self.port = free_port()
        self.conf = tmp / "ngircd.conf"
        self.conf.write_text(CONF.format(port=self.port, tmp=tmp, uid=os.getuid(),
                                         gid=os.getgid()))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until the port accepts connections."""
        with (self.tmp / "ngircd.log").open("ab") as log:
            self.proc = subprocess.Popen([str(NGIRCD), "-n", "-f", str(self.conf)], stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.tmp / "ngircd.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("ngircd did not start")

    def kill(self) -> None:
        """SIGKILL, as when the server goes away without a goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Human:
    """A person on IRC over a raw socket: sends lines (or bytes), waits for lines."""

    def __init__(self, port: int, nick: str) -> None:
        self.nick = nick
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.lines: queue.Queue[str] = queue.Queue()
        self.all: list[str] = []
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick} the human")
        self.expect(lambda line: f" 001 {nick} " in line)

    def _read(self) -> None:
        buf = b""
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.rstrip(b"\r").decode("utf-8", "replace")
                if line.startswith("PING "):
                    self.send("PONG " + line[5:])
                    continue
                self.all.append(line)
                self.lines.put(line)

    def send(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode()
        self.sock.sendall(data + b"\r\n")

    def say(self, text: str, target: str = CHANNEL) -> None:
        self.send(f"PRIVMSG {target} :{text}")

    def clear(self) -> None:
        """Forget lines received so far."""
        while not self.lines.empty():
            self.lines.get_nowait()

    def expect(self, match: Callable[[str], bool], timeout: float = 10.0) -> str:
        """The next line that matches (earlier ones are consumed)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.nick}: no matching line; last: {self.all[-8:]}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if match(line):
                return line

    def expect_all(self, *matches: Callable[[str], bool], timeout: float = 10.0) -> None:
        """Lines matching each of matches, in any order."""
        waiting = list(matches)
        deadline = time.monotonic() + timeout
        while waiting:
            line = self.expect(lambda _line: True, deadline - time.monotonic())
            for match in waiting:
                if match(line):
                    waiting.remove(match)
                    break

    def reply(self, text_contains: str, timeout: float = 10.0) -> str:
        """The next line from the bot to us (channel "nick: …" or private NOTICE) containing it."""
        return self.expect(self.to_me(text_contains), timeout)

    def to_me(self, text_contains: str) -> Callable[[str], bool]:
        """Matches a line from the bot to us containing text_contains."""
        def mine(line: str) -> bool:
            return line.startswith(":statusd!") and text_contains in line and (
                f" :{self.nick}: " in line or f" NOTICE {self.nick} :" in line)
        return mine

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.send("QUIT :bye")
        self.sock.close()


class Services:
    """A fake services server linked to ngircd: it can tell ngircd who is logged in as what."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(b"PASS svcpw 0210-IRC+ svc|1.0:CMX\r\nSERVER services.test 1 :Svc\r\n")
        self.closed = False
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.ready.wait(5), "ngircd did not accept the services link"

    def _read(self) -> None:
        buf = b""
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                words = raw.decode(errors="replace").split()
                if len(words) >= 2 and words[1] == "SERVER":
                    self.ready.set()
                if len(words) >= 3 and words[1] == "PING":
                    self.sock.sendall(f":services.test PONG services.test {words[2]}\r\n".encode())

    def login(self, nick: str, account: str) -> None:
        """What NickServ does when nick identifies: ngircd then shows 330 in WHOIS."""
        self.sock.sendall(f":services.test METADATA {nick} accountname :{account}\r\n".encode())

    def close(self) -> None:
        self.closed = True
        self.sock.close()


class BotRunner:
    """The bot on its own event loop in a thread, as statusd serve would run it."""

    def __init__(self, options: IrcOptions, db: Engine) -> None:
        self.options = options
        self.db = db
        self.bot: IrcBot | None = None
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task[None] | None = None
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.error: BaseException | None = None

    def _main(self) -> None:
        async def main() -> None:
            self.bot = IrcBot(self.options, self.db)
            self.task = asyncio.current_task()  # type: ignore[assignment]
            await self.bot.run()

        try:
            self.loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # surfaced by stop()
            self.error = exc
        finally:
            self.loop.run_until_complete(asyncio.sleep(0))
            self.loop.close()

    def start(self) -> IrcBot:
        self.thread.start()
        wait_until(lambda: self.bot is not None and CHANNEL in self.bot.joined, 10, "bot joined")
        assert self.bot is not None
        return self.bot

    def stop(self) -> None:
        if self.task is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)
        assert self.error is None, repr(self.error)


def bot_options(port: int) -> IrcOptions:
    """Test settings: quick polls and reconnects, a bucket near ngircd's own pace."""
    return IrcOptions(
        server="127.0.0.1", port=port, nick="statusd", channels=(CHANNEL,),
        operators=("*!~alice@*", "account:carol"), topic_sync=True, announce_backlog=10,
        max_line_rate=3.0, max_line_burst=3, max_reply_lines=4, reconnect_min=0.2,
        reconnect_max=1.0, poll_interval=0.2, base_url="https://status.example.org",
    )
