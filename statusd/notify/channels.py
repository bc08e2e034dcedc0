"""Transports: thin classes over one base; DeliveryError says whether a failure is permanent.

apprise is synchronous: the sender calls send() in a worker thread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from statusd.notify.config import with_query

if TYPE_CHECKING:
    import apprise

MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class Message:
    """One message as a transport sends it."""

    subject: str
    body: str
    to: str = ""  # the recipient, for transports that address one person (subscriber mail)
    headers: Mapping[str, str] = field(default_factory=dict)


class DeliveryError(Exception):
    """A send that did not go through; permanent ones are not retried."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason[:MAX_ERROR])
        self.reason = reason[:MAX_ERROR]
        self.permanent = permanent


class Channel(ABC):
    """A way to send a Message; send() returns on success and raises DeliveryError otherwise."""

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver message or raise DeliveryError."""


def _asset() -> apprise.AppriseAsset:
    import apprise

    return apprise.AppriseAsset(app_id="statusd", app_desc="statusd notifications")


def _failure_reason(result: object) -> str:
    """The warnings apprise logged while failing (they never hold a URL's secrets in clear)."""
    logs = getattr(result, "logs", None)
    messages: list[str] = []
    if callable(logs):
        messages = [e.message for e in logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
    return "apprise: " + ("; ".join(dict.fromkeys(messages)) or "the service refused or failed")


class AppriseChannel(Channel):
    """One apprise URL (mailto://, slack://, discord://, json://, ...)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, message: Message) -> None:
        """Send through apprise; an URL apprise cannot load is a permanent failure."""
        import apprise

        ap = apprise.Apprise(asset=_asset())
        if not ap.add(self.url):
            raise DeliveryError("apprise cannot use this URL", permanent=True)
        result = ap.notify(body=message.body, title=message.subject,
                           body_format=apprise.NotifyFormat.TEXT)
        if not result:
            raise DeliveryError(_failure_reason(result))


class SubscriberMail(Channel):
    """Mail to one subscriber through [notify.email] smtp_url, with per-message headers.

    apprise's email plugin takes the recipient as `to=` and extra headers as `+Name=value`
    query arguments (apprise/plugins/email/base.py, parse_url: results["qsd+"] -> headers),
    so each message gets its own URL: List-Unsubscribe differs per subscriber.
    """

    def __init__(self, smtp_url: str) -> None:
        self.smtp_url = smtp_url

    def url_for(self, message: Message) -> str:
        """The apprise URL addressing this message's recipient with its headers."""
        if not message.to:
            raise DeliveryError("a subscriber mail without recipient", permanent=True)
        extra = {"to": message.to}
        extra.update({f"+{name}": value for name, value in message.headers.items()})
        return with_query(self.smtp_url, **extra)

    def send(self, message: Message) -> None:
        """Send the mail (recipient and headers in the URL)."""
        AppriseChannel(self.url_for(message)).send(message)
