"""Notify fixtures: a real SMTP server on loopback, settings, a settable clock."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

from statusd.config import Settings, load_settings
from statusd.metrics import Registry
from statusd.notify.config import NotifyConfig, notify_config
from statusd.notify.dispatcher import Dispatcher
from statusd.notify.sender import Sender
from statusd.status import sync_components

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
BASE_URL = "https://status.example.org"


def free_port() -> int:
    """A TCP port nothing listens on (right now) on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message (envelope sender, recipients, parsed mail)."""
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  message_from_bytes(envelope.original_content)))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        """The mails delivered to address."""
        with self.lock:
            return [m for _f, rcpt, m in self.messages if address in rcpt]

    def clear(self) -> None:
        """Forget what arrived so far."""
        with self.lock:
            self.messages.clear()


class SMTPServer:
    """A real SMTP server on 127.0.0.1 that can be started and stopped on one port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        """Listen (again) on the port."""
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Close the port: connections are refused until start()."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def url(self, **query: str) -> str:
        """An apprise mailto:// URL for this server."""
        args = "&".join(f"{k}={v}" for k, v in query.items())
        return f"mailto://127.0.0.1:{self.port}?{args}"


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    """A running SMTP server on a free loopback port."""
    server = SMTPServer(free_port())
    server.start()
    yield server
    server.stop()


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        """Move on by seconds; the new time."""
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    """A clock fixed at T0."""
    return Clock()


SettingsFactory = Callable[[str], Settings]


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """Load settings from TOML text (components website, api and mail are always there)."""

    def build(text: str) -> Settings:
        path = tmp_path / "statusd.toml"
        path.write_text(f"""
[http]
base_url = "{BASE_URL}"
[page]
title = "Example status"
[[component]]
slug = "website"
name = "Website"
[[component]]
slug = "api"
name = "API"
[[component]]
slug = "mail"
name = "Mail"
{text}
""")
        return load_settings(path)

    return build


class Notifier:
    """Dispatcher and sender on one database with an injected clock, as serve wires them."""

    def __init__(self, db: Engine, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.cfg: NotifyConfig = notify_config(settings)
        self.metrics = Registry()
        self.clock = clock
        sync_components(db, settings.components)
        self.dispatcher = Dispatcher(db, self.cfg, self.metrics, clock=clock)
        self.dispatcher.start()
        self.sender = self.new_sender()

    def new_sender(self, **kwargs: Any) -> Sender:
        """Another sender worker on the same database."""
        kwargs.setdefault("rand", lambda: 0.0)
        return Sender(self.db, self.cfg, self.metrics, clock=self.clock, **kwargs)

    def run(self) -> int:
        """Dispatch every waiting change, then make one round of sends; tries made."""
        while self.dispatcher.run_once(self.clock()):
            pass
        return self.sender.run_once(self.clock())

    def count(self, channel: str, result: str) -> float:
        """statusd_notifications_total for this channel and result."""
        return self.metrics.notifications.value(channel=channel, result=result)


@pytest.fixture
def make_notifier(db: Engine, clock: Clock) -> Callable[[Settings], Notifier]:
    """A Notifier factory on the test database."""
    return lambda settings: Notifier(db, settings, clock)
