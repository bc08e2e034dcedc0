"""Who is logged in, what they may do, and the login and logout endpoints."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from statusd.config import Settings
from statusd.db import transaction
from statusd.durations import parse_duration
from statusd.models import User
from statusd.web.admin import csrf
from statusd.web.admin.ratelimit import LoginLimiter, Rate
from statusd.web.admin.render import forbidden, is_htmx, redirect, render
from statusd.web.admin.sessions import AdminSessions
from statusd.web.admin.users import MAX_PASSWORD, Role, Who, authenticate, who
from statusd.web.state import web_state

log = logging.getLogger(__name__)

HOME = "/admin/alerts"
LOGIN = "/admin/login"
MAX_FORM_FIELDS = 200
MAX_FORM_BYTES = 256 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
CLOCK_SKEW = 300  # seconds a login may seem to come from the future (another machine's clock)

PageFn = Callable[[Request, Who], Response]
ActionFn = Callable[[Request, Who, FormData], Response]


@dataclass(slots=True)
class AdminState:
    """What the dashboard keeps per app: the session cookie codec and the login limiter."""

    sessions: AdminSessions
    limiter: LoginLimiter
    max_age: int

    @classmethod
    def build(cls, settings: Settings, db: Engine) -> AdminState:
        """From the [admin] settings; touches no database (the key loads on first use)."""
        limiter = LoginLimiter(Rate.parse(settings.get("admin.login_rate")),
                               Rate.parse(settings.get("admin.login_rate_ip")),
                               parse_duration(settings.get("admin.login_lockout")))
        return cls(AdminSessions(settings, db), limiter, int(settings.get("admin.session_max_age")))


def admin_state(request: Request) -> AdminState:
    """The AdminState of the app serving this request."""
    state: AdminState = request.app.state.admin
    return state


def current_user(request: Request) -> Who | None:
    """The logged-in, enabled user whose login has not expired and whose sessions still stand."""
    session = request.session
    uid, epoch, login_at = session.get("uid"), session.get("epoch"), session.get("login_at")
    if not (isinstance(uid, int) and isinstance(epoch, int) and isinstance(login_at, int | float)):
        return None
    now = web_state(request).clock().timestamp()
    if not login_at - CLOCK_SKEW <= now < login_at + admin_state(request).max_age:
        session.clear()
        return None
    with Session(web_state(request).db) as db_session:
        user = db_session.get(User, uid)
    if user is None or user.disabled or user.session_epoch != epoch:
        session.clear()
        return None
    return who(user)


def safe_next(value: object) -> str:
    """A dashboard path to go to after login; anything else (other sites included) is HOME."""
    if (isinstance(value, str) and len(value) <= 1000 and value.isprintable()
            and (value == "/admin" or value.startswith("/admin/"))
            and "//" not in value and "\\" not in value and not value.startswith(LOGIN)):
        return value
    return HOME


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{LOGIN}?next={quote(target, safe='')}"
    if is_htmx(request):  # a poll after the login expired: send the whole page to the form
        return Response(status_code=401, headers={"HX-Redirect": location})
    return redirect(location)


def page(role: Role) -> Callable[[PageFn], Callable[[Request], Response]]:
    """Guard a GET endpoint: logged in (else the login form) with at least `role` (else 403)."""
    def wrap(fn: PageFn) -> Callable[[Request], Response]:
        @functools.wraps(fn)
        def endpoint(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                return _to_login(request)
            if not user.role.allows(role):
                return forbidden(request, user, f"This page needs the {role.value} role.")
            return fn(request, user)
        return endpoint
    return wrap


def action(role: Role) -> Callable[[ActionFn], Callable[[Request], Any]]:
    """Guard a POST endpoint: valid CSRF token (else 403), logged in, at least `role`.

    The form is read on the event loop; the guard and the work run in the thread pool.
    """
    def wrap(fn: ActionFn) -> Callable[[Request], Any]:
        def guarded(request: Request, form: FormData) -> Response:
            submitted = form.get(csrf.FIELD) or request.headers.get(csrf.HEADER)
            if not csrf.token_ok(request.session, submitted):
                return forbidden(request, current_user(request),
                                 "The form had expired or did not come from this dashboard. "
                                 "Reload the page and try again.")
            user = current_user(request)
            if user is None:
                return _to_login(request)
            if not user.role.allows(role):
                return forbidden(request, user, f"This needs the {role.value} role.")
            return fn(request, user, form)

        @functools.wraps(fn)
        async def endpoint(request: Request) -> Response:
            form = await read_form(request)
            if isinstance(form, Response):
                return form
            return await run_in_threadpool(guarded, request, form)
        return endpoint
    return wrap


async def read_form(request: Request) -> FormData | Response:
    """A POST's url-encoded form, read with a size cap (413) and a field cap (400); else 415."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (FORM_TYPE, ""):
        return PlainTextResponse("Dashboard forms are url-encoded.", status_code=415)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return PlainTextResponse("Form too large.", status_code=413)
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                          max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        return PlainTextResponse("Too many form fields.", status_code=400)
    fields: list[tuple[str, str | UploadFile]] = [(key, value) for key, value in pairs]
    return FormData(fields)


def home(request: Request) -> Response:
    """GET /admin: the alerts page (or the login form)."""
    return redirect(HOME if current_user(request) else LOGIN)


def _login_page(request: Request, error: str = "", username: str = "", status_code: int = 200,
                next_path: str = HOME) -> Response:
    return render(request, "admin/login.html", None,
                  {"error": error, "username": username, "next": next_path},
                  status_code=status_code)


def login_form(request: Request) -> Response:
    """GET /admin/login: the form (already logged in: straight on)."""
    next_path = safe_next(request.query_params.get("next"))
    if current_user(request) is not None:
        return redirect(next_path)
    return _login_page(request, next_path=next_path)


def _login(request: Request, form: FormData) -> Response:
    st, admin = web_state(request), admin_state(request)
    next_path = safe_next(form.get("next"))
    if not csrf.token_ok(request.session, form.get(csrf.FIELD)):
        return forbidden(request, None, "The login form had expired. Reload it and try again.")
    raw_name, password = form.get("username"), form.get("password")
    username = raw_name.strip().lower()[:64] if isinstance(raw_name, str) else ""
    password = password if isinstance(password, str) else ""
    address = request.client.host if request.client else "unknown"
    now = st.clock()
    until = admin.limiter.locked_until(username, address, now)
    if until is not None:
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        response = _login_page(request, f"Too many failed logins. Try again in {minutes} "
                               f"minute{'s' if minutes != 1 else ''}.", username, 429, next_path)
        response.headers["Retry-After"] = str(int((until - now).total_seconds()) + 1)
        return response
    user = None
    if username and password and len(password) <= MAX_PASSWORD:
        with transaction(st.db) as session:
            found = authenticate(session, username, password, now)
            user = who(found) if found is not None else None
            epoch = found.session_epoch if found is not None else 0
    if user is None:
        admin.limiter.failure(username, address, now)
        log.warning("failed dashboard login for %r from %s", username[:64], address)
        return _login_page(request, "Wrong username or password.", username, 400, next_path)
    admin.limiter.success(username)
    request.session.clear()
    request.session.update(uid=user.id, epoch=epoch, login_at=int(now.timestamp()))
    csrf.rotate_token(request.session)
    return redirect(next_path)


async def login(request: Request) -> Response:
    """POST /admin/login: check the CSRF token, the rate limits and the password."""
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    return await run_in_threadpool(_login, request, form)


def _logout(request: Request, form: FormData) -> Response:
    if not csrf.token_ok(request.session, form.get(csrf.FIELD)):
        return forbidden(request, current_user(request), "The form had expired. Reload the page.")
    request.session.clear()
    return redirect(LOGIN)


async def logout(request: Request) -> Response:
    """POST /admin/logout: end the session (the cookie is deleted)."""
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    return await run_in_threadpool(_logout, request, form)
