"""Signed session cookies for /admin only; the signing key comes from config or the database."""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from statusd.config import Settings
from statusd.db import transaction
from statusd.models import AdminSecret

COOKIE = "statusd_admin"
PREFIX = "/admin"
SECRET_NAME = "session"
SALT = "statusd.admin.session"
MAX_COOKIE = 4096


def stored_secret(db: Engine) -> str:
    """The session key kept in the database, made by whichever process asks first."""
    with Session(db) as session:
        row = session.get(AdminSecret, SECRET_NAME)
        if row is not None:
            return row.value
    try:
        with transaction(db) as session:
            session.add(AdminSecret(name=SECRET_NAME, value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass  # another process won the race: use its key
    with Session(db) as session:
        row = session.get(AdminSecret, SECRET_NAME)
        assert row is not None
        return row.value


class SessionData(dict[str, Any]):
    """The session's values; remembers whether a request changed them."""

    modified = False

    def __setitem__(self, key: str, value: Any) -> None:
        self.modified = True
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.modified = True
        super().__delitem__(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Set several values."""
        self.modified = True
        super().update(*args, **kwargs)

    def pop(self, key: str, *default: Any) -> Any:
        """Remove and return a value (marks the session changed when the key was there)."""
        if key in self:
            self.modified = True
        return super().pop(key, *default)

    def clear(self) -> None:
        """Forget everything (the cookie is then deleted)."""
        self.modified = True
        super().clear()


class AdminSessions:
    """Encodes the dashboard cookie: HttpOnly, SameSite=Lax, Path=/admin, Secure on https."""

    def __init__(self, settings: Settings, db: Engine) -> None:
        self.db = db
        self.max_age = int(settings.get("admin.session_max_age"))
        self.secure = settings.base_url.lower().startswith("https://")
        self._configured = str(settings.get("admin.session_secret"))
        self._serializer: URLSafeTimedSerializer | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """True once the signing key is known."""
        return self._serializer is not None

    def load_key(self) -> None:
        """Fetch (or make) the signing key; blocking, so called once from a thread."""
        with self._lock:
            if self._serializer is None:
                key = self._configured or stored_secret(self.db)
                self._serializer = URLSafeTimedSerializer(
                    key, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})

    def read(self, cookie: str | None) -> SessionData:
        """The session in a cookie value; empty when missing, forged or expired."""
        if not cookie or self._serializer is None or len(cookie) > MAX_COOKIE:
            return SessionData()
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return SessionData()
        return SessionData(data) if isinstance(data, dict) else SessionData()

    def set_cookie(self, data: dict[str, Any]) -> str:
        """The Set-Cookie value that stores data (or deletes the cookie when data is empty)."""
        assert self._serializer is not None
        flags = "Path=" + PREFIX + "; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
        if not data:
            return f"{COOKIE}=; Max-Age=0; {flags}"
        value = self._serializer.dumps(data)
        return f"{COOKIE}={value}; Max-Age={self.max_age}; {flags}"


class AdminSessionMiddleware:
    """Pure ASGI middleware giving requests under /admin a `session`; other paths pass untouched."""

    def __init__(self, app: ASGIApp, sessions: AdminSessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the cookie into scope["session"]; write it back if the request changed it."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        if not self.sessions.ready:
            await run_in_threadpool(self.sessions.load_key)
        had_cookie = COOKIE in HTTPConnection(scope).cookies
        session = self.sessions.read(HTTPConnection(scope).cookies.get(COOKIE))
        scope["session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and (session.modified or
                                                             (had_cookie and not session)):
                headers = MutableHeaders(scope=message)
                headers.append("Set-Cookie", self.sessions.set_cookie(session))
                headers.add_vary_header("Cookie")
            await send(message)

        await self.app(scope, receive, send_with_cookie)
