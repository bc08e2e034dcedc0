"""Ops channels: rule firings and status changes become mails through apprise, once each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from statusd import status
from statusd.config import Settings
from statusd.db import transaction
from statusd.ingest.pipeline import RawLine
from statusd.metrics import Registry
from statusd.models import Delivery
from statusd.runtime import build_pipeline

from .conftest import BASE_URL, T0, Clock, Notifier, SettingsFactory, SMTPServer, free_port

NOTIFY = Callable[[Settings], Notifier]
TIMEOUT = (
    "<27>{ts} web1 nginx: 2026/05/01 12:00:00 [error] 99#99: *1 upstream timed out (110: "
    "Connection timed out) while reading response header from upstream, client: 203.0.113.9, "
    'server: x, request: "GET / HTTP/1.1", upstream: "http://10.0.0.1:80/", host: "x"'
)


def timeout_line() -> RawLine:
    stamp = T0.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1)
    return RawLine(TIMEOUT.format(ts=stamp).encode(), T0, "192.0.2.10:514", "udp")


def test_a_rule_firing_reaches_the_channels_it_names(
    db: Engine, smtp: SMTPServer, make_settings: SettingsFactory, make_notifier: NOTIFY,
    clock: Clock,
) -> None:
    settings = make_settings(f"""
[notify.channels]
oncall = ["{smtp.url(to="oncall@example.org")}"]
quiet = ["{smtp.url(to="quiet@example.org")}"]
[[rule]]
id = "upstream-timeouts"
kind = "single"
match = {{ service = "nginx", message_id = "nginx.upstream.timeout" }}
alert = {{ severity = "major", title = "Upstream timeouts on {{device}}" }}
status = {{ component = "website", set = "degraded_performance", recover_after = "5m" }}
notify = ["oncall"]
""")
    notifier = make_notifier(settings)
    pipeline = build_pipeline(settings, Registry(), db=db)
    pipeline.process_batch([timeout_line()])
    assert notifier.run() == 1
    [mail] = smtp.mailbox.to("oncall@example.org")
    assert mail["Subject"] == "[Example status] Upstream timeouts on web1"
    body = mail.get_payload(decode=True).decode()
    assert "Rule upstream-timeouts fired" in body and "device: web1" in body
    assert mail["From"] == "statusd@localhost"  # no from= in the URL, no [notify.email]
    assert smtp.mailbox.to("quiet@example.org") == []  # no status_channels: status changes stay
    # Quiet time: the rule recovers, and says so on the same channel.
    pipeline.tick(T0 + timedelta(minutes=6))
    clock.advance(400)
    assert notifier.run() == 1
    assert [m["Subject"] for m in smtp.mailbox.to("oncall@example.org")][1] == (
        "[Example status] Recovered: upstream-timeouts")
    assert notifier.count("oncall", "sent") == 2
    assert notifier.run() == 0  # nothing is sent twice


def test_status_changes_reach_the_status_channels(
    db: Engine, smtp: SMTPServer, make_settings: SettingsFactory, make_notifier: NOTIFY,
    clock: Clock,
) -> None:
    settings = make_settings(f"""
[notify]
status_channels = ["oncall"]
[notify.channels]
oncall = ["{smtp.url(to="oncall@example.org", **{"from": "ops@example.org"})}"]
chat = ["{smtp.url(to="chat@example.org")}"]
""")
    notifier = make_notifier(settings)
    with transaction(db) as s:
        status.set_component_status(s, "website", "major_outage", actor="t", now=clock())
        inc = status.open_incident(s, "Website down", "Looking into it.", components=["website"],
                                   actor="t", now=clock())
    assert notifier.run() == 2
    mails = smtp.mailbox.to("oncall@example.org")
    subjects = sorted(m["Subject"] for m in mails)
    assert subjects == ["[Example status] New incident: Website down",
                        "[Example status] Website: Major outage"]
    incident_mail = next(m for m in mails if "incident" in m["Subject"])
    body = incident_mail.get_payload(decode=True).decode()
    assert f"{BASE_URL}/incidents/{inc.id}" in body and "Affected: Website" in body
    assert all(m["From"] == "ops@example.org" for m in mails)
    assert smtp.mailbox.to("chat@example.org") == []


def test_one_failing_url_does_not_resend_through_the_others(
    db: Engine, smtp: SMTPServer, make_settings: SettingsFactory, make_notifier: NOTIFY,
    clock: Clock,
) -> None:
    dead_port = free_port()
    settings = make_settings(f"""
[notify]
status_channels = ["oncall"]
[notify.channels]
oncall = ["{smtp.url(to="a@example.org")}", "mailto://127.0.0.1:{dead_port}?to=b@example.org"]
""")
    notifier = make_notifier(settings)
    with transaction(db) as s:
        status.set_component_status(s, "api", "partial_outage", actor="t", now=clock())
    assert notifier.run() == 2
    for _ in range(3):
        clock.advance(3600)
        notifier.run()
    assert len(smtp.mailbox.to("a@example.org")) == 1
    with Session(db) as s:
        states = sorted((d.state, d.attempts) for d in s.exec(select(Delivery)).all())
    assert states == [("pending", 4), ("sent", 1)]
    assert notifier.count("oncall", "retry") == 4


def test_a_hostile_title_cannot_add_mail_headers(
    db: Engine, smtp: SMTPServer, make_settings: SettingsFactory, make_notifier: NOTIFY,
    clock: Clock,
) -> None:
    settings = make_settings(f"""
[notify]
status_channels = ["oncall"]
[notify.channels]
oncall = ["{smtp.url(to="oncall@example.org")}"]
""")
    notifier = make_notifier(settings)
    with transaction(db) as s:
        status.open_incident(s, "Down\r\nBcc: evil@example.org\r\n\r\nforged body",
                             "text\r\nBcc: evil2@example.org", actor="t", now=clock())
    notifier.run()
    [(_sender, recipients, mail)] = smtp.mailbox.messages
    assert recipients == ["oncall@example.org"]
    assert mail["Bcc"] is None
    assert mail["Subject"] == (
        "[Example status] New incident: Down Bcc: evil@example.org forged body")
