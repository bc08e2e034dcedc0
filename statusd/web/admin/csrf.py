"""CSRF tokens: one random token per session, sent back in a form field or an htmx header."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

FIELD = "csrf_token"  # the hidden field of every dashboard form
HEADER = "x-csrf-token"  # what htmx sends (hx-headers on <body>)
SESSION_KEY = "csrf"
MAX_TOKEN = 200


def ensure_token(session: MutableMapping[str, Any]) -> str:
    """The session's token, made on first use."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def rotate_token(session: MutableMapping[str, Any]) -> str:
    """A fresh token (at login), so one seen before the login is worthless after it."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[SESSION_KEY])


def token_ok(session: MutableMapping[str, Any], submitted: object) -> bool:
    """True when submitted is the session's token (compared in constant time)."""
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str) or not expected:
        return False
    if not isinstance(submitted, str) or not submitted or len(submitted) > MAX_TOKEN:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
