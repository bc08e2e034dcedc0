"""Alerts: the live list of open and acknowledged alerts, acknowledge and close; channel health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from statusd.db import transaction
from statusd.models import Alert, AlertState
from statusd.status import DomainError, set_alert_state
from statusd.web.admin.auth import action, page
from statusd.web.admin.render import done, is_htmx, path_id, render
from statusd.web.admin.users import Role, Who
from statusd.web.state import web_state

SECTION = "/admin/alerts"
MAX_ACTIVE = 200
RECENTLY_CLOSED = 20


@dataclass(frozen=True, slots=True)
class AlertRow:
    """An alert as the dashboard lists it."""

    id: int
    rule_id: str
    severity: str
    title: str
    device: str | None
    state: str
    count: int
    first_at: datetime
    last_at: datetime
    closed_at: datetime | None
    acknowledged_by: str | None

    @classmethod
    def of(cls, a: Alert) -> AlertRow:
        """Copy a table row."""
        assert a.id is not None
        return cls(a.id, a.rule_id, a.severity, a.title, a.device, a.state, a.count, a.first_at,
                   a.last_at, a.closed_at, a.acknowledged_by)


def active_alerts(session: Session) -> list[AlertRow]:
    """Open and acknowledged alerts, most recently seen first."""
    rows = session.exec(
        select(Alert).where(col(Alert.state).in_([AlertState.OPEN.value,
                                                 AlertState.ACKNOWLEDGED.value]))
        .order_by(col(Alert.last_at).desc(), col(Alert.id).desc()).limit(MAX_ACTIVE)
    ).all()
    return [AlertRow.of(a) for a in rows]


def closed_alerts(session: Session) -> list[AlertRow]:
    """The most recently closed alerts."""
    rows = session.exec(
        select(Alert).where(Alert.state == AlertState.CLOSED.value)
        .order_by(col(Alert.closed_at).desc(), col(Alert.id).desc()).limit(RECENTLY_CLOSED)
    ).all()
    return [AlertRow.of(a) for a in rows]


def _partial(request: Request, who: Who, error: str = "") -> Response:
    with Session(web_state(request).db) as session:
        rows = active_alerts(session)
    return render(request, "admin/_alerts.html", who, {"alerts": rows, "alert_error": error})


def channels(request: Request) -> list[Any]:
    """Notification channels with their delivery health (statusd/notify), configured ones first."""
    from statusd.notify.service import channel_health, configured_channels

    st = web_state(request)
    return list(channel_health(st.db, configured_channels(st.settings)))


@page(Role.VIEWER)
def alerts_page(request: Request, who: Who) -> Response:
    """GET /admin/alerts: the live list, the recently closed ones, notification channel health."""
    with Session(web_state(request).db) as session:
        rows, closed = active_alerts(session), closed_alerts(session)
    return render(request, "admin/alerts.html", who,
                  {"alerts": rows, "closed": closed, "alert_error": "",
                   "channels": channels(request)}, section=SECTION)


@page(Role.VIEWER)
def alerts_partial(request: Request, who: Who) -> Response:
    """GET /admin/partials/alerts: the live list alone, polled by htmx."""
    return _partial(request, who)


def _set_state(request: Request, who: Who, state: str) -> Response:
    st = web_state(request)
    alert_id = path_id(request, "alert_id")
    error, message = "", ""
    try:
        if alert_id is None:
            raise DomainError("no such alert")
        with transaction(st.db) as session:
            set_alert_state(session, alert_id, state, actor=who.actor, now=st.clock())
        message = f"Alert {alert_id} {state}."
    except DomainError as exc:
        error = str(exc)
    if is_htmx(request):
        return _partial(request, who, error)
    return done(request, SECTION, "error" if error else "ok", error or message)


@action(Role.OPERATOR)
def acknowledge(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/alerts/{id}/acknowledge."""
    return _set_state(request, who, AlertState.ACKNOWLEDGED.value)


@action(Role.OPERATOR)
def close(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/alerts/{id}/close."""
    return _set_state(request, who, AlertState.CLOSED.value)
