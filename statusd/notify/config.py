"""The [notify] settings: channels, status channels, subscriber mail; checked with file and key."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from statusd.config import Settings

CHANNEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
SUBSCRIBERS = "subscribers"  # the pseudo-channel of subscriber mail (reserved name)
FALLBACK_SENDER = "statusd@localhost"
MAIL_SCHEMES = ("mailto", "mailtos")
EMAIL_KEYS = ("smtp_url", "from", "subscribe_per_ip", "subscribe_per_address", "rate_window")
SCALAR_KEYS = ("status_channels", "max_attempts", "retry_base", "retry_cap", "sending_timeout")

ProblemFn = Callable[[str, str, str], None]
CheckFn = Callable[[str, str, Any], Any]


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """Everything the dispatcher, the sender and the subscribe pages need, typed."""

    channels: dict[str, tuple[str, ...]]  # name -> apprise URLs (mailto ones with a from=)
    status_channels: tuple[str, ...]
    smtp_url: str  # "" when subscriber mail is off
    sender: str
    max_attempts: int
    retry_base: float
    retry_cap: float
    sending_timeout: float
    subscribe_per_ip: int
    subscribe_per_address: int
    rate_window: int
    base_url: str
    page_title: str
    theme: str

    @property
    def email_enabled(self) -> bool:
        """True when subscriber mail is configured ([notify.email] smtp_url)."""
        return bool(self.smtp_url)

    @property
    def enabled(self) -> bool:
        """True when there is anything to deliver: channels or subscriber mail."""
        return bool(self.channels) or self.email_enabled

    def channel_url(self, channel: str, fingerprint: str) -> str | None:
        """The URL of a channel with this fingerprint (None once it left the config)."""
        for url in self.channels.get(channel, ()):
            if url_fingerprint(url) == fingerprint:
                return url
        return None


def url_fingerprint(url: str) -> str:
    """A short stable id for an apprise URL that reveals nothing of its secrets."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def _query_value(url: str, key: str) -> str:
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if name.lower() == key:
            return value
    return ""


def with_query(url: str, **values: str) -> str:
    """url with query arguments appended (values percent-encoded; names given as is)."""
    parts = urlsplit(url)
    extra = "&".join(f"{quote(k, safe='-_')}={quote(v, safe='')}" for k, v in values.items())
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def default_sender(settings: Settings) -> str:
    """The sender of statusd's mail: notify.email.from, smtp_url's from=, or a fallback."""
    explicit = str(settings.values.get("notify.email.from") or "")
    smtp_url = str(settings.values.get("notify.email.smtp_url") or "")
    return explicit or (_query_value(smtp_url, "from") if smtp_url else "") or FALLBACK_SENDER


def normalise_url(url: str, sender: str) -> str:
    """A channel URL as statusd uses it: mailto:// URLs without from= get the default sender."""
    url = url.strip()
    scheme = url.partition("://")[0].lower()
    if scheme in MAIL_SCHEMES and not _query_value(url, "from"):
        return with_query(url, **{"from": sender})
    return url


def apprise_accepts(url: str) -> bool:
    """True when apprise knows the URL's scheme and the URL has the parts it needs."""
    import apprise

    quiet = logging.getLogger("apprise")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL + 1)  # our Problem says it, without apprise's echo
    try:
        return apprise.Apprise.instantiate(url) is not None
    finally:
        quiet.setLevel(level)


def check_notify(settings: Settings, file: str, problem: ProblemFn, check: CheckFn) -> None:
    """Validate settings.notify into settings.values; rule `notify` names must be channels."""
    table = settings.notify
    for key, value in table.items():
        if key in ("channels", "email"):
            if not isinstance(value, dict):
                problem(file, f"notify.{key}", "must be a table")
        elif key in SCALAR_KEYS:
            checked = check(file, f"notify.{key}", value)
            if checked is not None:
                settings.values[f"notify.{key}"] = checked
        else:
            known = ", ".join(("channels", "email", *SCALAR_KEYS))
            problem(file, f"notify.{key}", f"unknown key (known: {known})")
    email = _table(table, "email")
    for key, value in email.items():
        dotted = f"notify.email.{key}"
        if key not in EMAIL_KEYS:
            problem(file, dotted, f"unknown key (known: {', '.join(EMAIL_KEYS)})")
            continue
        checked = check(file, dotted, value)
        if checked is not None:
            settings.values[dotted] = checked
    _check_numbers(settings, file, problem)
    sender = default_sender(settings)
    _check_email(settings, file, problem, sender)
    channels = _table(table, "channels")
    for name, urls in channels.items():
        _check_channel(file, problem, name, urls, sender)
    for i, name in enumerate(settings.values["notify.status_channels"]):
        if name not in channels:
            problem(file, f"notify.status_channels[{i}]", f"no channel {name!r} in "
                    "[notify.channels]")
    places = {str(t.get("id")): (src, where) for src, where, t in settings.rule_tables}
    for rule in settings.rules:
        src, where = places.get(rule.id, (file, f"rule {rule.id}"))
        for i, name in enumerate(rule.notify):
            if name not in channels:
                problem(src, f"{where}.notify[{i}]", f"no channel {name!r} in [notify.channels]")


def _table(table: dict[str, Any], key: str) -> dict[str, Any]:
    value = table.get(key)
    return value if isinstance(value, dict) else {}


def _check_numbers(settings: Settings, file: str, problem: ProblemFn) -> None:
    v = settings.values
    for key in ("notify.max_attempts", "notify.email.subscribe_per_ip",
                "notify.email.subscribe_per_address", "notify.email.rate_window"):
        if v[key] < 1:
            problem(file, key, "must be at least 1")
    for key in ("notify.retry_base", "notify.retry_cap", "notify.sending_timeout"):
        if v[key] <= 0:
            problem(file, key, "must be positive")


def _check_email(settings: Settings, file: str, problem: ProblemFn, sender: str) -> None:
    smtp_url = str(settings.values["notify.email.smtp_url"])
    explicit = str(settings.values["notify.email.from"])
    if explicit:
        from statusd.notify.subscribers import valid_email

        if not valid_email(explicit):
            problem(file, "notify.email.from", "not an email address")
    if not smtp_url:
        return
    if smtp_url.partition("://")[0].lower() not in MAIL_SCHEMES:
        problem(file, "notify.email.smtp_url", "must be a mailto:// or mailtos:// URL")
        return
    probe = with_query(normalise_url(smtp_url, sender), to="probe@example.org")
    if not apprise_accepts(probe):
        problem(file, "notify.email.smtp_url", "apprise cannot send mail with this URL")


def _check_channel(file: str, problem: ProblemFn, name: Any, urls: Any, sender: str) -> None:
    where = f"notify.channels.{name}"
    if not isinstance(name, str) or not CHANNEL_NAME.match(name):
        problem(file, where, "channel names are letters, digits, '.', '-' and '_'")
        return
    if name == SUBSCRIBERS:
        problem(file, where, f"{SUBSCRIBERS!r} is reserved for subscriber mail")
        return
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not urls:
        problem(file, where, "must be a non-empty list of apprise URLs")
        return
    for i, url in enumerate(urls):
        if not isinstance(url, str) or not url.strip():
            problem(file, f"{where}[{i}]", "must be a non-empty string (an apprise URL)")
        elif not apprise_accepts(normalise_url(url, sender)):
            # The URL itself is not repeated: it may hold a password or a token.
            problem(file, f"{where}[{i}]", "apprise cannot use this URL (unknown scheme or "
                    "missing parts)")


def notify_config(settings: Settings) -> NotifyConfig:
    """The validated notify settings as one typed value."""
    v = settings.values
    sender = default_sender(settings)
    raw = settings.notify.get("channels", {})
    channels: dict[str, tuple[str, ...]] = {}
    if isinstance(raw, dict):
        for name, urls in raw.items():
            listed = [urls] if isinstance(urls, str) else list(urls)
            channels[str(name)] = tuple(normalise_url(u, sender) for u in listed)
    smtp_url = str(v["notify.email.smtp_url"])
    return NotifyConfig(
        channels=channels,
        status_channels=tuple(v["notify.status_channels"]),
        smtp_url=normalise_url(smtp_url, sender) if smtp_url else "",
        sender=sender,
        max_attempts=int(v["notify.max_attempts"]),
        retry_base=float(v["notify.retry_base"]),
        retry_cap=float(v["notify.retry_cap"]),
        sending_timeout=float(v["notify.sending_timeout"]),
        subscribe_per_ip=int(v["notify.email.subscribe_per_ip"]),
        subscribe_per_address=int(v["notify.email.subscribe_per_address"]),
        rate_window=int(v["notify.email.rate_window"]),
        base_url=settings.base_url,
        page_title=str(v["page.title"]),
        theme=str(v["page.theme"]),
    )
