"""The notifier as a running service: its background tasks, and each channel's health."""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from statusd.config import Settings
from statusd.metrics import Registry
from statusd.models import Delivery, DeliveryState
from statusd.notify.config import SUBSCRIBERS, notify_config
from statusd.notify.dispatcher import Dispatcher
from statusd.notify.sender import Sender

log = logging.getLogger(__name__)

GAVE_UP = (DeliveryState.FAILED.value, DeliveryState.DEAD.value)


def notify_tasks(settings: Settings, db: Engine, metrics: Registry) -> list[
        Coroutine[Any, Any, None]]:
    """The dispatcher and sender loops, when channels or subscriber mail are configured."""
    cfg = notify_config(settings)
    if not cfg.enabled:
        return []
    log.info("notify: %d channel(s), subscriber mail %s", len(cfg.channels),
             "on" if cfg.email_enabled else "off")
    return [Dispatcher(db, cfg, metrics).run(), Sender(db, cfg, metrics).run()]


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    """How one channel is doing, from its delivery rows."""

    channel: str
    state: str  # ok | retrying | dead | idle
    pending: int  # waiting, first try or retry
    retrying: int  # pending after at least one failed try
    sent: int
    gave_up: int  # failed (permanent error) or dead (max_attempts reached)
    last_sent_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None


def _state(retrying: int, last_sent: datetime | None, last_failure: datetime | None) -> str:
    if last_failure is not None and (last_sent is None or last_failure > last_sent):
        return "dead"
    if retrying:
        return "retrying"
    return "ok" if last_sent is not None else "idle"


def channel_health(db: Engine, channels: Iterable[str] = ()) -> list[ChannelHealth]:
    """Every channel with deliveries (plus those named), by name; for /admin and /healthz.

    A channel is "dead" when its latest finished delivery gave up (failed or dead) rather
    than went out: its URL is wrong, its credentials are refused, or it has been down for
    notify.max_attempts tries. New changes still produce deliveries to it, so it recovers on
    its own once fixed.
    """
    with Session(db) as session:
        counts: dict[str, dict[str, int]] = {}
        for channel, state, n in session.exec(
                select(Delivery.channel, Delivery.state, func.count())
                .group_by(col(Delivery.channel), col(Delivery.state))).all():
            counts.setdefault(channel, {})[state] = n
        retrying = dict(session.exec(
            select(Delivery.channel, func.count())
            .where(col(Delivery.state) == DeliveryState.PENDING.value, col(Delivery.attempts) > 0)
            .group_by(col(Delivery.channel))).all())
        last_sent = dict(session.exec(
            select(Delivery.channel, func.max(Delivery.sent_at))
            .where(col(Delivery.state) == DeliveryState.SENT.value)
            .group_by(col(Delivery.channel))).all())
        last_failure = dict(session.exec(
            select(Delivery.channel, func.max(Delivery.claimed_at))
            .where(col(Delivery.state).in_(GAVE_UP))
            .group_by(col(Delivery.channel))).all())
        errors: dict[str, str | None] = {}
        for name in counts:
            errors[name] = session.exec(
                select(Delivery.last_error)
                .where(col(Delivery.channel) == name, col(Delivery.last_error).is_not(None),
                       col(Delivery.state) != DeliveryState.CANCELLED.value)
                .order_by(col(Delivery.claimed_at).desc(), col(Delivery.id).desc())
                .limit(1)).first()
    out = []
    for name in sorted(set(counts) | set(channels)):
        by_state = counts.get(name, {})
        out.append(ChannelHealth(
            channel=name,
            state=_state(retrying.get(name, 0), last_sent.get(name), last_failure.get(name)),
            pending=by_state.get(DeliveryState.PENDING.value, 0)
            + by_state.get(DeliveryState.SENDING.value, 0),
            retrying=retrying.get(name, 0),
            sent=by_state.get(DeliveryState.SENT.value, 0),
            gave_up=sum(by_state.get(s, 0) for s in GAVE_UP),
            last_sent_at=last_sent.get(name),
            last_failure_at=last_failure.get(name),
            last_error=errors.get(name),
        ))
    return out


def configured_channels(settings: Settings) -> list[str]:
    """The channel names the config knows, plus the subscriber pseudo-channel when on."""
    cfg = notify_config(settings)
    return [*cfg.channels, *([SUBSCRIBERS] if cfg.email_enabled else [])]
