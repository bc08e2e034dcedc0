"""Email subscribers: double opt-in, tokens, one-click unsubscribe, who hears about a change.

A subscriber's token is random (secrets.token_urlsafe); it is looked up by its SHA-256 and
then compared in constant time, so neither the lookup nor the comparison leaks it by timing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import update
from sqlmodel import Session, col, select

from statusd.models import Delivery, DeliveryState, Subscriber
from statusd.notify.config import SUBSCRIBERS, NotifyConfig
from statusd.notify.messages import Renderer

MAX_EMAIL = 254
MAX_LOCAL = 64
_LOCAL = re.compile(r"^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
CONFIRM_KIND = "subscriber.confirm"


def normalise_email(text: str) -> str:
    """The address as stored and compared: trimmed and lower-cased."""
    return text.strip().lower()


def valid_email(address: str) -> bool:
    """Simple, strict syntax: local@domain.tld in ASCII, no spaces, quotes or control chars."""
    if not address or len(address) > MAX_EMAIL or not address.isascii():
        return False
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in address):
        return False  # CR/LF included: no header injection
    local, at, domain = address.rpartition("@")
    if not at or not local or len(local) > MAX_LOCAL or not _LOCAL.match(local):
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels) and \
        not labels[-1].isdigit()


def new_token() -> tuple[str, str]:
    """A fresh random token and its hash."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) a token is looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def find_by_token(session: Session, token: str) -> Subscriber | None:
    """The subscriber holding this token, or None (malformed tokens never reach the database)."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    row = session.exec(select(Subscriber).where(Subscriber.token_hash == token_hash(token))).first()
    if row is None or not hmac.compare_digest(row.token.encode(), token.encode()):
        return None
    return row


def chosen_components(sub: Subscriber) -> list[str]:
    """The component slugs a subscriber follows ([] = all)."""
    try:
        value = json.loads(sub.components)
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def confirm_url(cfg: NotifyConfig, sub: Subscriber) -> str:
    """The link that confirms this subscription."""
    return f"{cfg.base_url}/subscribe/confirm?token={quote(sub.token)}"


def unsubscribe_url(cfg: NotifyConfig, sub: Subscriber) -> str:
    """The one-click unsubscribe link of this subscriber."""
    return f"{cfg.base_url}/unsubscribe?token={quote(sub.token)}"


def unsubscribe_headers(cfg: NotifyConfig, sub: Subscriber) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers every subscriber mail carries."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(cfg, sub)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def request_subscription(
    session: Session, cfg: NotifyConfig, renderer: Renderer, email: str,
    components: Sequence[str], names: dict[str, str], now: datetime,
) -> bool:
    """Record a subscribe request and queue a confirmation mail; False if already confirmed.

    A confirmed, active subscription is left exactly as it is (a stranger cannot change what
    someone follows); an address that left starts over with a new token.
    """
    email = normalise_email(email)
    sub = session.exec(select(Subscriber).where(Subscriber.email == email)).first()
    if sub is not None and sub.confirmed_at is not None and sub.unsubscribed_at is None:
        return False
    if sub is None:
        token, digest = new_token()
        sub = Subscriber(email=email, token=token, token_hash=digest, created_at=now)
    elif sub.unsubscribed_at is not None:
        sub.token, sub.token_hash = new_token()
        sub.unsubscribed_at = None
        sub.confirmed_at = None
    sub.components = json.dumps(sorted(set(components)))
    session.add(sub)
    session.flush()
    queue_confirmation(session, cfg, renderer, sub, names, now)
    return True


def queue_confirmation(
    session: Session, cfg: NotifyConfig, renderer: Renderer, sub: Subscriber,
    names: dict[str, str], now: datetime,
) -> Delivery:
    """Add the confirmation mail as a delivery row; the sender loop sends it."""
    assert sub.id is not None
    text = renderer.render("subscriber/confirm.txt", {
        "site": cfg.page_title, "base_url": cfg.base_url, "confirm_url": confirm_url(cfg, sub),
        "unsubscribe_url": unsubscribe_url(cfg, sub),
        "components": [names.get(s, s) for s in chosen_components(sub)],
    })
    row = Delivery(
        outbox_id=None, kind=CONFIRM_KIND, channel=SUBSCRIBERS, target=sub.email,
        subscriber_id=sub.id, subject=text.subject, body=text.body,
        headers=json.dumps(unsubscribe_headers(cfg, sub)), next_attempt_at=now, created_at=now,
    )
    session.add(row)
    return row


def confirm(session: Session, token: str, now: datetime) -> Subscriber | None:
    """Confirm the subscription holding token (idempotent); None if no such active one."""
    sub = find_by_token(session, token)
    if sub is None or sub.unsubscribed_at is not None:
        return None
    if sub.confirmed_at is None:
        sub.confirmed_at = now
        session.add(sub)
    return sub


def unsubscribe(session: Session, token: str, now: datetime) -> Subscriber | None:
    """End the subscription holding token (idempotent); mail not yet sent to it is cancelled."""
    sub = find_by_token(session, token)
    if sub is None:
        return None
    if sub.unsubscribed_at is None:
        sub.unsubscribed_at = now
        session.add(sub)
        session.execute(
            update(Delivery)
            .where(col(Delivery.subscriber_id) == sub.id,
                   col(Delivery.state) == DeliveryState.PENDING.value)
            .values(state=DeliveryState.CANCELLED.value, last_error="unsubscribed")
        )
    return sub


def wants(sub: Subscriber, components: Iterable[str]) -> bool:
    """True when the subscriber follows one of these components (or all of them).

    A change that names no component concerns everyone.
    """
    chosen = chosen_components(sub)
    affected = set(components)
    return not chosen or not affected or bool(affected.intersection(chosen))


def audience(session: Session, components: Iterable[str]) -> list[Subscriber]:
    """Confirmed, active subscribers who follow one of these components."""
    affected = list(components)
    rows = session.exec(
        select(Subscriber)
        .where(col(Subscriber.confirmed_at).is_not(None), col(Subscriber.unsubscribed_at).is_(None))
        .order_by(col(Subscriber.id))
    ).all()
    return [s for s in rows if wants(s, affected)]
