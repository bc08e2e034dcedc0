"""The dispatcher: reads the outbox with its own cursor and expands changes into delivery rows.

Per batch, one transaction writes the delivery rows and advances the cursor, so a change is
expanded exactly once however the process stops. Who gets what:

- rule.fired / rule.recovered: the channels the rule names in `notify`;
- component.status, incident.*, maintenance.*: the channels in notify.status_channels;
- incident.*, maintenance.*: confirmed subscribers following an affected component (or all).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from statusd import outbox
from statusd.db import transaction, utcnow
from statusd.metrics import Registry
from statusd.models import Component, Delivery, Subscriber
from statusd.notify.config import SUBSCRIBERS, NotifyConfig, url_fingerprint
from statusd.notify.messages import Renderer
from statusd.notify.subscribers import audience, unsubscribe_headers, unsubscribe_url

log = logging.getLogger(__name__)

CONSUMER = "notify"
RULE_KINDS = ("rule.fired", "rule.recovered")
STATUS_PREFIXES = ("component.status", "incident.", "maintenance.")
SUBSCRIBER_PREFIXES = ("incident.", "maintenance.")


def permalink(cfg: NotifyConfig, kind: str, payload: dict[str, Any]) -> str:
    """The public page a change is about: incident or maintenance permalink, else the front."""
    ident = payload.get("id")
    if isinstance(ident, int) and kind.startswith("incident."):
        return f"{cfg.base_url}/incidents/{ident}"
    if isinstance(ident, int) and kind.startswith("maintenance."):
        return f"{cfg.base_url}/maintenance/{ident}"
    return f"{cfg.base_url}/"


def channels_for(cfg: NotifyConfig, kind: str, payload: dict[str, Any]) -> list[str]:
    """The configured channels a change goes to, each once, in order."""
    if kind in RULE_KINDS:
        named = payload.get("notify") or []
        wanted = [n for n in named if isinstance(n, str)]
    elif kind.startswith(STATUS_PREFIXES):
        wanted = list(cfg.status_channels)
    else:
        wanted = []
    for name in wanted:
        if name not in cfg.channels:
            log.warning("notify: %s names channel %r, which is not configured", kind, name)
    return [n for n in dict.fromkeys(wanted) if n in cfg.channels]


class Dispatcher:
    """Turns outbox changes into pending deliveries for the sender."""

    def __init__(self, db: Engine, cfg: NotifyConfig, metrics: Registry, *,
                 renderer: Renderer | None = None, clock: Callable[[], datetime] = utcnow,
                 batch: int = 100) -> None:
        self.db = db
        self.cfg = cfg
        self.metrics = metrics
        self.renderer = renderer or Renderer(cfg.theme)
        self.clock = clock
        self.batch = batch

    def start(self) -> None:
        """A first start begins after the changes already there (no mail about old history)."""
        with transaction(self.db) as session:
            outbox.start_at_end(session, CONSUMER)

    def run_once(self, now: datetime | None = None) -> int:
        """Expand the next batch of changes into deliveries; the number of changes handled."""
        now = now or self.clock()
        with transaction(self.db) as session:
            changes = outbox.read(session, CONSUMER, limit=self.batch, now=now)
            if not changes:
                return 0
            names = {slug: name for slug, name in
                     session.exec(select(Component.slug, Component.name)).all()}
            for change in changes:
                try:
                    session.add_all(self.expand(session, change, names, now))
                except SQLAlchemyError:
                    raise
                except Exception:
                    # A template bug must not stop every later notification: log and go on.
                    log.exception("notify: cannot expand outbox change %d (%s)", change.id,
                                  change.kind)
                    self.metrics.notifications.inc(channel="dispatcher", result="error")
            outbox.advance(session, CONSUMER, changes[-1].id)
        return len(changes)

    def expand(self, session: Session, change: outbox.Change, names: dict[str, str],
               now: datetime) -> list[Delivery]:
        """The delivery rows one change makes."""
        payload = change.payload if isinstance(change.payload, dict) else {}
        slugs = [s for s in payload.get("components") or [] if isinstance(s, str)]
        context: dict[str, Any] = {
            "kind": change.kind, "change": payload, "site": self.cfg.page_title,
            "base_url": self.cfg.base_url, "at": change.created_at.isoformat(timespec="seconds"),
            "link": permalink(self.cfg, change.kind, payload),
            "components": [names.get(s, s) for s in slugs],
        }
        rows: list[Delivery] = []
        channels = channels_for(self.cfg, change.kind, payload)
        if channels:
            text = self.renderer.render(self._channel_template(change.kind), context)
            for name in channels:
                for fingerprint in dict.fromkeys(url_fingerprint(u)
                                                 for u in self.cfg.channels[name]):
                    rows.append(Delivery(
                        outbox_id=change.id, kind=change.kind, channel=name, target=fingerprint,
                        subject=text.subject, body=text.body, next_attempt_at=now,
                        created_at=now))
        if self.cfg.email_enabled and change.kind.startswith(SUBSCRIBER_PREFIXES):
            rows.extend(self._subscriber_rows(audience(session, slugs), change, context, now))
        return rows

    def _channel_template(self, kind: str) -> str:
        for name in (f"channel/{kind}.txt", f"channel/{kind.split('.')[0]}.txt"):
            if self.renderer.has(name):
                return name
        return "channel/change.txt"

    def _subscriber_rows(self, subscribers: Iterable[Subscriber], change: outbox.Change,
                         context: dict[str, Any], now: datetime) -> list[Delivery]:
        template = f"subscriber/{change.kind.split('.')[0]}.txt"
        rows = []
        for sub in subscribers:
            text = self.renderer.render(template, context | {
                "unsubscribe_url": unsubscribe_url(self.cfg, sub)})
            rows.append(Delivery(
                outbox_id=change.id, kind=change.kind, channel=SUBSCRIBERS, target=sub.email,
                subscriber_id=sub.id, subject=text.subject, body=text.body,
                headers=json.dumps(unsubscribe_headers(self.cfg, sub)), next_attempt_at=now,
                created_at=now))
        return rows

    async def run(self, interval: float = 1.0) -> None:
        """Expand changes as they come, until cancelled; database errors back off and retry."""
        delay = interval
        started = False
        while True:
            try:
                if not started:
                    await asyncio.to_thread(self.start)
                    started = True
                handled = await asyncio.to_thread(self.run_once)
                delay = interval
                if handled >= self.batch:
                    continue
            except Exception:
                log.exception("notify: dispatcher failed; retrying in %.0fs", delay)
                delay = min(delay * 2, 30.0)
            await asyncio.sleep(delay)
