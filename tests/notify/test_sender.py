"""The sender: backoff while a server is down, dead channels, crashed senders, racing workers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from statusd import status
from statusd.config import Settings
from statusd.db import transaction
from statusd.models import Delivery
from statusd.notify.config import notify_config
from statusd.notify.sender import Sender, retry_delay
from statusd.notify.service import channel_health

from .conftest import Clock, Notifier, SettingsFactory, SMTPServer, free_port

NOTIFY = Callable[[Settings], Notifier]

RETRY_VECTORS = [
    # attempt, base, cap, rand -> seconds
    (1, 30, 3600, 0.0, 15.0),
    (1, 30, 3600, 0.999999, 29.99998),
    (2, 30, 3600, 0.0, 30.0),
    (3, 30, 3600, 1.0, 120.0),
    (7, 30, 3600, 0.0, 960.0),
    (8, 30, 3600, 0.5, 2700.0),  # 3840 capped at 3600, then equal jitter
    (30, 30, 3600, 1.0, 3600.0),
    (0, 30, 3600, 0.0, 15.0),
]


@pytest.mark.parametrize(("attempt", "base", "cap", "rand", "expected"), RETRY_VECTORS)
def test_retry_delay(attempt: int, base: float, cap: float, rand: float, expected: float) -> None:
    assert retry_delay(attempt, base, cap, rand) == pytest.approx(expected)


def states(db: Engine) -> list[tuple[str, int]]:
    with Session(db) as s:
        return [(d.state, d.attempts) for d in s.exec(select(Delivery).order_by(Delivery.id))]


def change_statuses(db: Engine, clock: Clock, n: int) -> None:
    with transaction(db) as s:
        for i in range(n):
            new = "major_outage" if i % 2 == 0 else "operational"
            status.set_component_status(s, "website", new, actor="t", now=clock())


def channel(settings_text: str, url: str) -> str:
    return f"""
[notify]
status_channels = ["oncall"]
{settings_text}
[notify.channels]
oncall = ["{url}"]
"""


def test_a_server_that_is_down_gets_everything_once_when_it_returns(
    db: Engine, make_settings: SettingsFactory, make_notifier: NOTIFY, clock: Clock,
) -> None:
    server = SMTPServer(free_port())  # not started: connections are refused
    notifier = make_notifier(make_settings(channel("", server.url(to="ops@example.org"))))
    change_statuses(db, clock, 3)
    assert notifier.run() == 3
    assert states(db) == [("pending", 1)] * 3
    clock.advance(14)  # first retry after 30 s · (1/2 + jitter/2) = 15 s with jitter 0
    assert notifier.run() == 0
    clock.advance(1)
    assert notifier.run() == 3
    assert states(db) == [("pending", 2)] * 3  # next wait: 30 s
    server.start()
    try:
        clock.advance(29)
        assert notifier.run() == 0
        clock.advance(1)
        assert notifier.run() == 3
        clock.advance(7200)
        assert notifier.run() == 0
        mails = server.mailbox.to("ops@example.org")
    finally:
        server.stop()
    assert len(mails) == 3
    assert sorted(m["Subject"] for m in mails) == sorted(
        ["[Example status] Website: Major outage", "[Example status] Website: Operational",
         "[Example status] Website: Major outage"])
    assert states(db) == [("sent", 3)] * 3
    assert notifier.count("oncall", "retry") == 6 and notifier.count("oncall", "sent") == 3


def test_a_channel_failing_every_try_is_dead_and_recovers_when_fixed(
    db: Engine, make_settings: SettingsFactory, make_notifier: NOTIFY, clock: Clock,
) -> None:
    server = SMTPServer(free_port())
    notifier = make_notifier(make_settings(
        channel("max_attempts = 3", server.url(to="ops@example.org"))))
    change_statuses(db, clock, 1)
    for _ in range(5):
        notifier.run()
        clock.advance(3600)
    assert states(db) == [("dead", 3)]
    assert notifier.count("oncall", "dead") == 1
    [health] = channel_health(db)
    assert (health.channel, health.state, health.gave_up, health.sent) == ("oncall", "dead", 1, 0)
    assert health.last_error and "apprise" in health.last_error
    server.start()  # fixed: the next change goes out and the channel is healthy again
    try:
        with transaction(db) as s:
            status.set_component_status(s, "website", "operational", actor="t", now=clock())
        clock.advance(1)
        notifier.run()
    finally:
        server.stop()
    assert [h.state for h in channel_health(db, ["oncall", "other"])] == ["ok", "idle"]


def test_an_unconfigured_channel_fails_at_once(
    db: Engine, smtp: SMTPServer, make_settings: SettingsFactory, make_notifier: NOTIFY,
    clock: Clock,
) -> None:
    notifier = make_notifier(make_settings(channel("", smtp.url(to="ops@example.org"))))
    change_statuses(db, clock, 1)
    notifier.dispatcher.run_once(clock())
    # The config changed before the sender ran: the channel is gone.
    cfg = notify_config(make_settings(""))
    Sender(db, cfg, notifier.metrics, clock=clock).run_once()
    assert states(db) == [("failed", 1)]
    assert smtp.mailbox.messages == []
    with Session(db) as s:
        error = s.exec(select(Delivery.last_error)).one()
    assert error and "no longer configured" in error


def _response(code: int) -> Any:
    response = mock.Mock(status_code=code, content=b"", text="", headers={})
    response.json.return_value = {}
    return response


def test_a_saas_channel_refusing_credentials_is_dead_after_max_attempts(
    db: Engine, make_settings: SettingsFactory, make_notifier: NOTIFY, clock: Clock,
) -> None:
    notifier = make_notifier(make_settings(channel("max_attempts = 2",
                                                   "discord://1234567890/abcdefghijklmnop")))
    change_statuses(db, clock, 1)
    with mock.patch("apprise.plugins.discord.requests.post",
                    return_value=_response(401)) as post:
        notifier.run()
        clock.advance(3600)
        notifier.run()
    assert post.call_count == 2
    assert states(db) == [("dead", 2)]
    assert channel_health(db)[0].state == "dead"
    with transaction(db) as s:
        status.set_component_status(s, "website", "operational", actor="t", now=clock())
    with mock.patch("apprise.plugins.discord.requests.post",
                    return_value=_response(204)) as post:
        notifier.run()
    assert post.call_count == 1
    assert "Website: Operational" in str(post.call_args)
    assert states(db) == [("dead", 2), ("sent", 1)]


def test_a_delivery_left_sending_by_a_crashed_sender_is_sent_again_once(
    db: Engine, smtp: SMTPServer, make_settings: SettingsFactory, make_notifier: NOTIFY,
    clock: Clock,
) -> None:
    notifier = make_notifier(make_settings(channel("sending_timeout = 60",
                                                   smtp.url(to="ops@example.org"))))
    change_statuses(db, clock, 1)
    notifier.dispatcher.run_once(clock())
    crashed = notifier.new_sender()
    [row] = crashed.claim(crashed.due(clock()), clock())  # claimed, then the process died
    clock.advance(59)
    assert notifier.sender.run_once() == 0  # not stale yet
    clock.advance(2)
    assert notifier.sender.run_once() == 1
    assert states(db) == [("sent", 2)]
    # The crashed sender comes back to life and reports its try: it no longer owns the row.
    crashed.finish(row, None, clock())
    assert states(db) == [("sent", 2)]
    assert len(smtp.mailbox.to("ops@example.org")) == 1


def test_two_senders_claiming_the_same_rows_win_each_row_once(
    db: Engine, smtp: SMTPServer, make_settings: SettingsFactory, make_notifier: NOTIFY,
    clock: Clock,
) -> None:
    notifier = make_notifier(make_settings(channel("", smtp.url(to="ops@example.org"))))
    change_statuses(db, clock, 6)
    notifier.dispatcher.run_once(clock())
    one, two = notifier.new_sender(), notifier.new_sender()
    ids = one.due(clock())
    assert ids == two.due(clock()) and len(ids) == 6  # both saw the same due rows
    won_one = one.claim(ids, clock())
    won_two = two.claim(ids, clock())
    assert len(won_one) == 6 and won_two == []


def test_two_sender_threads_send_every_row_exactly_once(
    db: Engine, smtp: SMTPServer, make_settings: SettingsFactory, make_notifier: NOTIFY,
    clock: Clock,
) -> None:
    notifier = make_notifier(make_settings(channel("", smtp.url(to="ops@example.org"))))
    change_statuses(db, clock, 30)
    while notifier.dispatcher.run_once(clock()):
        pass
    workers = [notifier.new_sender(batch=4) for _ in range(2)]
    barrier = threading.Barrier(len(workers))
    tries: list[int] = []

    def work(sender: Sender) -> None:
        barrier.wait()
        while made := sender.run_once(clock()):
            tries.append(made)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(tries) == 30
    assert states(db) == [("sent", 1)] * 30
    assert len(smtp.mailbox.to("ops@example.org")) == 30


def test_nothing_is_claimed_before_it_is_due(
    db: Engine, smtp: SMTPServer, make_settings: SettingsFactory, make_notifier: NOTIFY,
    clock: Clock,
) -> None:
    notifier = make_notifier(make_settings(channel("", smtp.url(to="ops@example.org"))))
    change_statuses(db, clock, 1)
    notifier.dispatcher.run_once(clock())
    early = clock() - timedelta(seconds=1)
    assert notifier.sender.claim(notifier.sender.due(clock()), early) == []
    assert states(db) == [("pending", 0)]
