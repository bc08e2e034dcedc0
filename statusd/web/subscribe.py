"""Email subscriptions: the /subscribe form, confirmation and one-click unsubscribe (SPEC §7).

The form is public and CSRF-free (double opt-in makes a forged request harmless), so it is
rate-limited in memory, per process: notify.email.subscribe_per_ip requests per client
address (the socket peer; proxy headers are not trusted) and notify.email.subscribe_per_address
confirmation mails per address, within notify.email.rate_window seconds. POST /subscribe answers
the same page whether the address is new, pending, confirmed or over its limit, so the form
never tells who subscribes. Nothing is sent from here: the confirmation mail is a delivery row.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from statusd.db import transaction
from statusd.models import Component
from statusd.notify.config import NotifyConfig, notify_config
from statusd.notify.messages import Renderer
from statusd.notify.subscribers import (
    MAX_EMAIL,
    confirm,
    normalise_email,
    request_subscription,
    unsubscribe,
    valid_email,
)
from statusd.web.state import WebState, web_state

MAX_FORM_BYTES = 16 * 1024
NO_STORE = {"Cache-Control": "no-store"}
TOKEN_PAGE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class RateLimiter:
    """At most `limit` hits per key within `window` seconds; memory bounded by max_keys."""

    def __init__(self, limit: int, window: float, max_keys: int = 10000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.hits: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def hit(self, key: str, now: float) -> bool:
        """Count one hit for key at now (seconds); False, and not counted, when over the limit."""
        with self.lock:
            times = self.hits.get(key)
            if times is None:
                self._make_room(now)
                times = self.hits[key] = deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True

    def _make_room(self, now: float) -> None:
        if len(self.hits) < self.max_keys:
            return
        for key in [k for k, t in self.hits.items() if not t or t[-1] <= now - self.window]:
            del self.hits[key]
        while len(self.hits) >= self.max_keys:  # still full: forget the oldest keys
            del self.hits[next(iter(self.hits))]


@dataclass(slots=True)
class Subscriptions:
    """What the subscription pages share: config, mail wording and the two rate limits."""

    cfg: NotifyConfig
    renderer: Renderer
    by_ip: RateLimiter
    by_address: RateLimiter


def _subscriptions(request: Request) -> Subscriptions | None:
    """The app's Subscriptions (made on first use); None when subscriber mail is off."""
    found: Subscriptions | None = getattr(request.app.state, "subscriptions", None)
    if found is None:
        cfg = notify_config(web_state(request).settings)
        if not cfg.email_enabled:
            return None
        found = Subscriptions(cfg, Renderer(cfg.theme),
                              RateLimiter(cfg.subscribe_per_ip, cfg.rate_window),
                              RateLimiter(cfg.subscribe_per_address, cfg.rate_window))
        request.app.state.subscriptions = found
    return found


def _page(request: Request, name: str, status_code: int = 200,
          headers: dict[str, str] | None = None, **values: Any) -> Response:
    st = web_state(request)
    context = {"page_title": st.settings.get("page.title"),
               "page_description": st.settings.get("page.description"), "now": st.clock(),
               **values}
    return st.templates.TemplateResponse(request, name, context, status_code=status_code,
                                         headers=headers or NO_STORE)


def _message(request: Request, title: str, lines: list[str], status_code: int = 200,
             headers: dict[str, str] | None = None) -> Response:
    return _page(request, "subscribe_done.html", status_code, headers, title=title, lines=lines)


def _components(st: WebState) -> dict[str, str]:
    """slug -> name of the visible components, in page order."""
    with Session(st.db) as session:
        rows = session.exec(select(Component).where(col(Component.visible).is_(True))
                            .order_by(col(Component.position), col(Component.id))).all()
        return {c.slug: c.name for c in rows}


def _off(request: Request) -> Response:
    return _message(request, "Email subscriptions are not offered",
                    ["This status page does not send email."], 404)


async def subscribe_form(request: Request) -> Response:
    """GET /subscribe: the form (email and optional components)."""
    if _subscriptions(request) is None:
        return _off(request)
    components = await run_in_threadpool(_components, web_state(request))
    return _page(request, "subscribe.html", components=components, email="", chosen=[],
                 error=None)


async def subscribe_submit(request: Request) -> Response:
    """POST /subscribe: queue a confirmation mail; the same answer for every valid address."""
    subs = _subscriptions(request)
    if subs is None:
        return _off(request)
    st = web_state(request)
    now = st.clock()
    client = request.client.host if request.client else "unknown"
    if not subs.by_ip.hit(client, now.timestamp()):
        return _message(request, "Too many requests",
                        ["Please wait a while before trying again."], 429,
                        NO_STORE | {"Retry-After": str(subs.cfg.rate_window)})
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return _message(request, "Length required", ["Send the form with its length."], 411)
    if int(length) > MAX_FORM_BYTES:
        return _message(request, "Request too large", ["The form is too large."], 413)
    form = await request.form(max_files=0, max_fields=200)
    raw = form.get("email")
    email = normalise_email(raw if isinstance(raw, str) else "")[: MAX_EMAIL + 1]
    chosen = [v for v in form.getlist("components") if isinstance(v, str)]
    components = await run_in_threadpool(_components, st)
    error = None
    if not valid_email(email):
        error = "Enter a valid email address."
    elif any(slug not in components for slug in chosen):
        error = "Choose among the listed components."
    if error is not None:
        return _page(request, "subscribe.html", 400, components=components,
                     email=email[:MAX_EMAIL], chosen=[c for c in chosen if c in components],
                     error=error)
    if subs.by_address.hit(email, now.timestamp()):
        await run_in_threadpool(_record, st, subs, email, chosen, components, now)
    return _message(request, "Check your inbox", [
        "If this address can receive our mail, a message with a confirmation link is on its "
        "way.", "Nothing will be sent until the subscription is confirmed."])


def _record(st: WebState, subs: Subscriptions, email: str, chosen: list[str],
            names: dict[str, str], now: datetime) -> None:
    try:
        with transaction(st.db) as session:
            request_subscription(session, subs.cfg, subs.renderer, email, chosen, names, now)
    except IntegrityError:
        pass  # the same address sent twice at once: the other request recorded it


def _token(request: Request) -> str:
    return request.query_params.get("token", "")[:200]


def _confirm(st: WebState, token: str) -> bool:
    with transaction(st.db) as session:
        return confirm(session, token, st.clock()) is not None


def _unsubscribe(st: WebState, token: str) -> bool:
    with transaction(st.db) as session:
        return unsubscribe(session, token, st.clock()) is not None


async def subscribe_confirm(request: Request) -> Response:
    """GET /subscribe/confirm?token=: confirm the subscription (idempotent)."""
    if _subscriptions(request) is None:
        return _off(request)
    if request.method == "HEAD":  # link checkers and prefetchers: look, do not touch
        return Response(headers=TOKEN_PAGE)
    if not await run_in_threadpool(_confirm, web_state(request), _token(request)):
        return _message(request, "This link is not valid", [
            "It may be mistyped, or the subscription was cancelled. You can subscribe again."],
            404, TOKEN_PAGE)
    return _message(request, "Subscription confirmed", [
        "You will receive an email when an incident or planned maintenance concerns what you "
        "follow.", "Every message carries a link to unsubscribe in one click."],
        headers=TOKEN_PAGE)


async def unsubscribe_endpoint(request: Request) -> Response:
    """GET or POST /unsubscribe?token=: unsubscribe at once (RFC 8058 one-click for POST)."""
    if _subscriptions(request) is None:
        return _off(request)
    if request.method == "HEAD":
        return Response(headers=TOKEN_PAGE)
    if not await run_in_threadpool(_unsubscribe, web_state(request), _token(request)):
        return _message(request, "This link is not valid",
                        ["It may be mistyped or incomplete."], 404, TOKEN_PAGE)
    return _message(request, "You are unsubscribed",
                    ["You will not receive any more email from this status page."],
                    headers=TOKEN_PAGE)
