"""The sender: claims due deliveries with a conditional UPDATE, sends them, records the outcome.

A claim is `UPDATE ... SET state='sending' WHERE id=? AND state='pending' AND
next_attempt_at <= now`: of two workers racing for a row only one sees a row count of 1, so a
row is sent once. The claim also counts the attempt; the outcome is written only if the row is
still this attempt's (`attempts` is the fencing token). A row left in 'sending' longer than
notify.sending_timeout (its sender died mid-send) goes back to 'pending' and is tried again.
Failures retry with exponential backoff and jitter, capped at notify.retry_cap; after
notify.max_attempts tries a delivery is 'dead'; a permanent error makes it 'failed' at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from statusd.db import transaction, utcnow
from statusd.metrics import Registry
from statusd.models import Delivery, DeliveryState, Subscriber
from statusd.notify.channels import (
    AppriseChannel,
    Channel,
    DeliveryError,
    Message,
    SubscriberMail,
)
from statusd.notify.config import SUBSCRIBERS, NotifyConfig

log = logging.getLogger(__name__)

PENDING = DeliveryState.PENDING.value
SENDING = DeliveryState.SENDING.value


def retry_delay(attempt: int, base: float, cap: float, rand: float) -> float:
    """Seconds to wait after failed try number `attempt` (1-based): base·2^(n-1), capped, jittered.

    Equal jitter: half the delay is fixed, the other half scaled by rand in [0, 1), so
    many deliveries failing together do not all come back at the same second.
    """
    full = min(cap, base * 2 ** max(0, attempt - 1))
    return full / 2 + (full / 2) * rand


class Sender:
    """Sends due deliveries; several senders (threads or machines) may share one database."""

    def __init__(self, db: Engine, cfg: NotifyConfig, metrics: Registry, *,
                 clock: Callable[[], datetime] = utcnow,
                 rand: Callable[[], float] = random.random,
                 channel_for: Callable[[Delivery], Channel] | None = None,
                 batch: int = 20) -> None:
        self.db = db
        self.cfg = cfg
        self.metrics = metrics
        self.clock = clock
        self.rand = rand
        self.channel_for = channel_for or self.default_channel
        self.batch = batch

    def default_channel(self, row: Delivery) -> Channel:
        """The transport of a delivery, from the current config."""
        if row.channel == SUBSCRIBERS:
            if not self.cfg.smtp_url:
                raise DeliveryError("[notify.email] smtp_url is not configured", permanent=True)
            return SubscriberMail(self.cfg.smtp_url)
        url = self.cfg.channel_url(row.channel, row.target)
        if url is None:
            raise DeliveryError(f"channel {row.channel!r} (or this URL of it) is no longer "
                                "configured", permanent=True)
        return AppriseChannel(url)

    def reclaim(self, now: datetime) -> int:
        """Put deliveries stuck in 'sending' past the timeout back to 'pending'."""
        stale = now - timedelta(seconds=self.cfg.sending_timeout)
        with transaction(self.db) as session:
            result = session.execute(
                update(Delivery)
                .where(col(Delivery.state) == SENDING, col(Delivery.claimed_at) < stale)
                .values(state=PENDING, next_attempt_at=now,
                        last_error="interrupted while sending; tried again")
            )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            log.warning("notify: %d deliveries were stuck sending; they will be tried again",
                        count)
        return count

    def due(self, now: datetime, limit: int | None = None) -> list[int]:
        """Ids of pending deliveries whose time has come, oldest due first."""
        with Session(self.db) as session:
            return list(session.exec(
                select(Delivery.id)
                .where(col(Delivery.state) == PENDING, col(Delivery.next_attempt_at) <= now)
                .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
                .limit(limit or self.batch)
            ).all())  # type: ignore[arg-type]

    def claim(self, ids: list[int], now: datetime) -> list[Delivery]:
        """Claim these deliveries where still due; only the rows this call won are returned."""
        won: list[int] = []
        with transaction(self.db) as session:
            for ident in sorted(ids):  # one lock order for every worker: no deadlock
                result = session.execute(
                    update(Delivery)
                    .where(col(Delivery.id) == ident, col(Delivery.state) == PENDING,
                           col(Delivery.next_attempt_at) <= now)
                    .values(state=SENDING, claimed_at=now, attempts=Delivery.attempts + 1)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    won.append(ident)
        if not won:
            return []
        with transaction(self.db) as session:
            rows = list(session.exec(select(Delivery).where(col(Delivery.id).in_(won))).all())
            return self._drop_departed(session, rows)

    def _drop_departed(self, session: Session, rows: list[Delivery]) -> list[Delivery]:
        """Cancel claimed mail to subscribers who left since it was queued; keep the rest."""
        ids = {r.subscriber_id for r in rows if r.subscriber_id is not None}
        if not ids:
            return rows
        gone = set(session.exec(select(Subscriber.id).where(
            col(Subscriber.id).in_(ids), col(Subscriber.unsubscribed_at).is_not(None))).all())
        keep = []
        for row in rows:
            if row.subscriber_id in gone:
                self._write(session, row, DeliveryState.CANCELLED, "unsubscribed", None)
                self.metrics.notifications.inc(channel=row.channel, result="cancelled")
            else:
                keep.append(row)
        return keep

    def send(self, row: Delivery) -> DeliveryError | None:
        """Send one claimed delivery (blocking: call in a thread); the error, if any."""
        try:
            headers = json.loads(row.headers or "{}")
            message = Message(subject=row.subject, body=row.body,
                              to=row.target if row.channel == SUBSCRIBERS else "",
                              headers={str(k): str(v) for k, v in headers.items()})
            self.channel_for(row).send(message)
        except DeliveryError as exc:
            return exc
        except Exception as exc:  # a transport bug counts as a failed try, never a lost row
            log.exception("notify: delivery %s raised", row.id)
            return DeliveryError(f"{type(exc).__name__}: {exc}")
        return None

    def finish(self, row: Delivery, error: DeliveryError | None, now: datetime) -> str:
        """Record a try's outcome: sent, retry, failed or dead (the metric's result label)."""
        if error is None:
            state, result, next_at = DeliveryState.SENT, "sent", None
        elif error.permanent:
            state, result, next_at = DeliveryState.FAILED, "failed", None
        elif row.attempts >= self.cfg.max_attempts:
            state, result, next_at = DeliveryState.DEAD, "dead", None
        else:
            wait = retry_delay(row.attempts, self.cfg.retry_base, self.cfg.retry_cap,
                               self.rand())
            state, result, next_at = DeliveryState.PENDING, "retry", now + timedelta(seconds=wait)
        with transaction(self.db) as session:
            if not self._write(session, row, state, error.reason if error else None, next_at,
                               sent_at=now if error is None else None):
                log.warning("notify: delivery %s was reclaimed while it was being sent", row.id)
        self.metrics.notifications.inc(channel=row.channel, result=result)
        if error is not None:
            log.log(logging.ERROR if result in ("dead", "failed") else logging.WARNING,
                    "notify: delivery %s to %s, try %d: %s (%s)", row.id, row.channel,
                    row.attempts, error.reason, result)
        return result

    def _write(self, session: Session, row: Delivery, state: DeliveryState, error: str | None,
               next_at: datetime | None, sent_at: datetime | None = None) -> bool:
        """Set the outcome if the row is still in this attempt; False if someone reclaimed it."""
        values: dict[str, object] = {"state": state.value, "last_error": error}
        if next_at is not None:
            values["next_attempt_at"] = next_at
        if sent_at is not None:
            values["sent_at"] = sent_at
        result = session.execute(
            update(Delivery)
            .where(col(Delivery.id) == row.id, col(Delivery.state) == SENDING,
                   col(Delivery.attempts) == row.attempts)
            .values(**values)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def run_once(self, now: datetime | None = None) -> int:
        """Reclaim, claim what is due, send it one by one; the number of tries made."""
        now = now or self.clock()
        self.reclaim(now)
        rows = self.claim(self.due(now), now)
        for row in rows:
            self.finish(row, self.send(row), now)
        return len(rows)

    def _finish_all(self, rows: list[Delivery], errors: list[DeliveryError | None]) -> None:
        now = self.clock()
        for row, error in zip(rows, errors, strict=True):
            self.finish(row, error, now)

    async def run(self, interval: float = 1.0) -> None:
        """Send until cancelled: each claimed batch goes out in parallel worker threads."""
        delay = interval
        while True:
            try:
                now = self.clock()
                await asyncio.to_thread(self.reclaim, now)
                ids = await asyncio.to_thread(self.due, now)
                rows = await asyncio.to_thread(self.claim, ids, now) if ids else []
                sends = asyncio.gather(*(asyncio.to_thread(self.send, r) for r in rows))
                try:
                    errors = await asyncio.shield(sends)
                except asyncio.CancelledError:
                    # Stopping: let the sends in flight end and record them, so a clean
                    # shutdown never leaves a row 'sending' (to be sent again later).
                    errors = await sends
                    self._finish_all(rows, errors)
                    raise
                await asyncio.to_thread(self._finish_all, rows, errors)
                delay = interval
                if len(rows) >= self.batch:
                    continue
            except Exception:
                log.exception("notify: sender failed; retrying in %.0fs", delay)
                delay = min(delay * 2, 30.0)
            await asyncio.sleep(delay)
