"""Email subscribers through the HTTP app: double opt-in, never revealing, limits, unsubscribe."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.exceptions import StarletteDeprecationWarning

from statusd import status
from statusd.config import Settings
from statusd.db import transaction
from statusd.metrics import Registry
from statusd.models import Delivery, Subscriber
from statusd.notify.subscribers import confirm, request_subscription
from statusd.web.app import create_app

from .conftest import BASE_URL, Clock, Notifier, SettingsFactory, SMTPServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

LINK = re.compile(re.escape(BASE_URL) + r"(/[a-z/]+\?token=[A-Za-z0-9_%-]+)")
SENT = "Check your inbox"


class Site:
    """The HTTP app, its notifier and the SMTP server behind them."""

    def __init__(self, db: Engine, settings: Settings, notifier: Notifier, smtp: SMTPServer,
                 clock: Clock) -> None:
        self.db = db
        self.notifier = notifier
        self.smtp = smtp
        self.clock = clock
        self.client = TestClient(create_app(settings, db, Registry(), clock=clock))

    def subscribe(self, email: str, *components: str) -> tuple[int, str]:
        """POST the form; (status, page text)."""
        response = self.client.post("/subscribe", data={"email": email,
                                                        "components": list(components)})
        return response.status_code, response.text

    def link(self, address: str, kind: str, index: int = -1) -> str:
        """The confirm or unsubscribe link (a path) of the index-th mail to address."""
        body = self.smtp.mailbox.to(address)[index].get_payload(decode=True).decode()
        return next(p for p in LINK.findall(body) if p.startswith(kind))

    def incident(self, title: str, *components: str) -> int:
        """Open an incident through the domain; its id."""
        with transaction(self.db) as s:
            inc = status.open_incident(s, title, "We are looking into it.",
                                       components=components, actor="t", now=self.clock())
        assert inc.id is not None
        return inc.id


@pytest.fixture
def make_site(db: Engine, smtp: SMTPServer, make_settings: SettingsFactory,
              make_notifier: Callable[[Settings], Notifier], clock: Clock,
              ) -> Iterator[Callable[..., Site]]:
    """A Site with subscriber mail on; keyword arguments go into [notify.email]."""
    sites: list[Site] = []

    def build(**email: int) -> Site:
        extra = "".join(f"{k} = {v}\n" for k, v in email.items())
        settings = make_settings(f"""
[notify.email]
smtp_url = "{smtp.url(**{"from": "status@example.org"})}"
{extra}""")
        site = Site(db, settings, make_notifier(settings), smtp, clock)
        sites.append(site)
        return site

    yield build
    for site in sites:
        site.client.close()


def test_double_opt_in_end_to_end(make_site: Callable[..., Site], smtp: SMTPServer) -> None:
    site = make_site()
    form = site.client.get("/subscribe")
    assert form.status_code == 200
    assert 'name="email"' in form.text and 'value="website"' in form.text
    assert 'href="/subscribe"' in site.client.get("/").text  # the footer offers it
    code, text = site.subscribe("Alice@Example.org", "website")
    assert code == 200 and SENT in text
    assert smtp.mailbox.messages == []  # nothing is sent from the request
    site.notifier.run()
    [confirmation] = smtp.mailbox.to("alice@example.org")
    assert confirmation["Subject"] == "[Example status] Please confirm your subscription"
    assert confirmation["List-Unsubscribe"].startswith(f"<{BASE_URL}/unsubscribe?token=")
    assert "Website" in confirmation.get_payload(decode=True).decode()
    site.incident("Before confirming", "website")
    site.notifier.run()
    assert len(smtp.mailbox.to("alice@example.org")) == 1  # not confirmed: no incident mail

    confirm_path = site.link("alice@example.org", "/subscribe/confirm")
    assert site.client.head(confirm_path).status_code == 200  # a link checker changes nothing
    site.incident("Still not confirmed", "website")
    site.notifier.run()
    assert len(smtp.mailbox.to("alice@example.org")) == 1
    for _ in range(2):  # idempotent
        page = site.client.get(confirm_path)
        assert page.status_code == 200 and "Subscription confirmed" in page.text
        assert page.headers["Referrer-Policy"] == "no-referrer"

    incident_id = site.incident("Website down", "website")
    site.notifier.run()
    mail = smtp.mailbox.to("alice@example.org")[-1]
    assert mail["Subject"] == "[Example status] New incident: Website down"
    body = mail.get_payload(decode=True).decode()
    assert f"{BASE_URL}/incidents/{incident_id}" in body
    unsubscribe_path = site.link("alice@example.org", "/unsubscribe")
    assert mail["List-Unsubscribe"] == f"<{BASE_URL}{unsubscribe_path}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["From"] == "status@example.org" and mail["To"] == "alice@example.org"

    assert site.client.head(unsubscribe_path).status_code == 200  # still subscribed
    site.incident("Still subscribed", "website")
    site.notifier.run()
    assert smtp.mailbox.to("alice@example.org")[-1]["Subject"].endswith("Still subscribed")
    page = site.client.get(unsubscribe_path)
    assert page.status_code == 200 and "You are unsubscribed" in page.text
    before = len(smtp.mailbox.messages)
    site.incident("Website down again", "website")
    site.notifier.run()
    assert len(smtp.mailbox.messages) == before  # the next incident mails nobody
    assert site.client.get(confirm_path).status_code == 404  # leaving ends the subscription


def test_the_answer_never_reveals_whether_an_address_subscribes(
    make_site: Callable[..., Site], db: Engine,
) -> None:
    site = make_site()
    with transaction(db) as s:
        cfg, renderer = site.notifier.cfg, site.notifier.dispatcher.renderer
        request_subscription(s, cfg, renderer, "known@example.org", [], {}, site.clock())
        token = s.exec(select(Subscriber.token)).one()
        confirm(s, token, site.clock())
        request_subscription(s, cfg, renderer, "pending@example.org", [], {}, site.clock())
    answers = {site.subscribe(email) for email in
               ("new@example.org", "known@example.org", "KNOWN@example.org",
                "pending@example.org")}
    assert len(answers) == 1
    [(code, text)] = answers
    assert code == 200 and SENT in text
    with Session(db) as s:  # a confirmed subscription is left alone (no mail, no change)
        known = s.exec(select(Delivery).where(Delivery.target == "known@example.org")).all()
    assert len(known) == 1


def test_rate_limits_per_client_and_per_address(
    make_site: Callable[..., Site], db: Engine, smtp: SMTPServer,
) -> None:
    site = make_site(subscribe_per_ip=4, subscribe_per_address=2, rate_window=600)
    answers = [site.subscribe("bob@example.org") for _ in range(3)]
    assert [a[0] for a in answers] == [200, 200, 200] and len(set(answers)) == 1
    site.notifier.run()
    assert len(smtp.mailbox.to("bob@example.org")) == 2  # the third was silently not mailed
    assert site.subscribe("carol@example.org")[0] == 200
    refused = site.client.post("/subscribe", data={"email": "dave@example.org"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"
    site.clock.advance(601)
    assert site.subscribe("dave@example.org")[0] == 200
    with Session(db) as s:
        assert s.exec(select(Subscriber.email).order_by(Subscriber.email)).all() == [
            "bob@example.org", "carol@example.org", "dave@example.org"]


@pytest.mark.parametrize("email", [
    "alice@example.org\r\nBcc: evil@example.org",
    "alice@example.org\nBcc: evil@example.org",
    "alice@example.org%0d%0aBcc:evil@example.org",
    "alice@example.org, evil@example.org",
    "alice@example.org?bcc=evil@example.org",
    '"><script>alert(1)</script>@example.org',
    "alice@localhost",
    "a" * 65 + "@example.org",
    "alice@" + "b" * 250 + ".org",
    "",
])
def test_hostile_addresses_are_refused(
    make_site: Callable[..., Site], db: Engine, email: str,
) -> None:
    site = make_site()
    code, text = site.subscribe(email)
    assert code == 400 and "Enter a valid email address." in text
    assert "<script>" not in text
    with Session(db) as s:
        assert s.exec(select(Subscriber)).all() == [] and s.exec(select(Delivery)).all() == []


def test_unknown_components_and_oversized_forms_are_refused(
    make_site: Callable[..., Site],
) -> None:
    site = make_site()
    code, text = site.subscribe("erin@example.org", "website", "<b>nope</b>")
    assert code == 400 and "Choose among the listed components." in text
    assert "<b>nope" not in text
    big = site.client.post("/subscribe", data={"email": "x@example.org", "pad": "x" * 20000})
    assert big.status_code == 413


def test_mail_follows_the_components_a_subscriber_chose(
    make_site: Callable[..., Site], db: Engine, smtp: SMTPServer,
) -> None:
    site = make_site()
    choices = {"all@example.org": [], "web@example.org": ["website"],
               "api@example.org": ["api", "mail"]}
    with transaction(db) as s:
        for email, components in choices.items():
            request_subscription(s, site.notifier.cfg, site.notifier.dispatcher.renderer,
                                 email, components, {}, site.clock())
        for sub in s.exec(select(Subscriber)).all():
            confirm(s, sub.token, site.clock())
    site.notifier.run()
    smtp.mailbox.clear()

    def recipients() -> list[str]:
        site.notifier.run()
        got = sorted(r for _f, rcpt, _m in smtp.mailbox.messages for r in rcpt)
        smtp.mailbox.clear()
        return got

    site.incident("API errors", "api")
    assert recipients() == ["all@example.org", "api@example.org"]
    site.incident("Site slow", "website", "mail")
    assert recipients() == ["all@example.org", "api@example.org", "web@example.org"]
    site.incident("Everything is on fire")  # no component: everyone
    assert recipients() == ["all@example.org", "api@example.org", "web@example.org"]
    with transaction(db) as s:
        m = status.schedule_maintenance(
            s, "Database upgrade", components=["website"], actor="t", now=site.clock(),
            start=site.clock() + timedelta(days=1), end=site.clock() + timedelta(days=1, hours=1))
    assert recipients() == ["all@example.org", "web@example.org"]
    with Session(db) as s:
        body = s.exec(select(Delivery.body).where(Delivery.kind == "maintenance.scheduled")
                      ).first()
    assert body is not None and f"{BASE_URL}/maintenance/{m.id}" in body


def test_one_click_post_and_pending_mail_cancelled(
    make_site: Callable[..., Site], db: Engine, smtp: SMTPServer,
) -> None:
    site = make_site()
    site.subscribe("frank@example.org")
    site.notifier.run()
    site.client.get(site.link("frank@example.org", "/subscribe/confirm"))
    site.incident("Queued for Frank")
    site.notifier.dispatcher.run_once(site.clock())  # his mail is queued, not yet sent
    response = site.client.post(site.link("frank@example.org", "/unsubscribe"),
                                data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    site.notifier.run()
    assert len(smtp.mailbox.to("frank@example.org")) == 1  # only the confirmation
    with Session(db) as s:
        states = s.exec(select(Delivery.state).order_by(Delivery.id)).all()
    assert states == ["sent", "cancelled"]
    # Coming back later starts over: a new confirmation, with a new token.
    site.subscribe("frank@example.org")
    site.notifier.run()
    assert site.link("frank@example.org", "/unsubscribe") != site.link(
        "frank@example.org", "/unsubscribe", 0)


@pytest.mark.parametrize("path", [
    "/subscribe/confirm?token=nope", "/subscribe/confirm", "/unsubscribe?token=" + "A" * 43,
    "/unsubscribe?token=%0d%0a",
])
def test_bad_tokens_are_not_found(make_site: Callable[..., Site], path: str) -> None:
    site = make_site()
    assert site.client.get(path).status_code == 404


def test_subscriptions_are_off_without_smtp_url(
    db: Engine, make_settings: SettingsFactory, clock: Clock,
) -> None:
    settings = make_settings("")
    with TestClient(create_app(settings, db, Registry(), clock=clock)) as client:
        assert client.get("/subscribe").status_code == 404
        assert client.post("/subscribe", data={"email": "a@example.org"}).status_code == 404
        assert 'href="/subscribe"' not in client.get("/").text
