"""The notifier as serve runs it: background loops on the real clock, and the runtime hook."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from statusd import status
from statusd.db import transaction
from statusd.metrics import Registry
from statusd.models import OutboxCursor
from statusd.notify.dispatcher import CONSUMER
from statusd.notify.service import channel_health, configured_channels, notify_tasks
from statusd.runtime import Runtime
from statusd.status import sync_components

from .conftest import SettingsFactory, SMTPServer


async def _until(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_the_loops_deliver_on_their_own_and_stop_cleanly(
    db: Engine, smtp: SMTPServer, make_settings: SettingsFactory,
) -> None:
    settings = make_settings(f"""
[notify]
status_channels = ["oncall"]
[notify.channels]
oncall = ["{smtp.url(to="oncall@example.org")}"]
[notify.email]
smtp_url = "{smtp.url(**{"from": "status@example.org"})}"
""")
    sync_components(db, settings.components)
    with transaction(db) as s:  # history from before the notifier first ran is not sent
        status.set_component_status(s, "mail", "partial_outage", actor="t")
    metrics = Registry()

    def cursor_ready() -> bool:
        with Session(db) as s:
            return s.get(OutboxCursor, CONSUMER) is not None

    async def scenario() -> None:
        tasks = [asyncio.create_task(c) for c in notify_tasks(settings, db, metrics)]
        assert len(tasks) == 2
        try:
            await _until(cursor_ready)
            with transaction(db) as s:
                status.set_component_status(s, "website", "major_outage", actor="t")
            await _until(lambda: smtp.mailbox.to("oncall@example.org"))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(scenario())
    [mail] = smtp.mailbox.to("oncall@example.org")
    assert mail["Subject"] == "[Example status] Website: Major outage"
    assert metrics.notifications.value(channel="oncall", result="sent") == 1
    assert [(h.channel, h.state, h.sent) for h in channel_health(db, configured_channels(
        settings))] == [("oncall", "ok", 1), ("subscribers", "idle", 0)]


def test_nothing_runs_when_nothing_is_configured(db: Engine, make_settings: SettingsFactory,
                                                 ) -> None:
    assert notify_tasks(make_settings(""), db, Registry()) == []


def test_serve_starts_the_notifier(tmp_path: Path, make_settings: SettingsFactory) -> None:
    settings = make_settings("""
[notify.channels]
oncall = ["json://127.0.0.1:9/hook"]
""")
    settings.values["storage.database"] = f"sqlite:///{tmp_path}/serve.db"
    runtime = Runtime(settings)
    tasks = runtime.background_tasks()
    try:
        names = {t.cr_code.co_qualname for t in tasks}  # type: ignore[attr-defined]
        assert {"Dispatcher.run", "Sender.run"} <= names
    finally:
        for task in tasks:
            task.close()
        runtime.db.dispose()
