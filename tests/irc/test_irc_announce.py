"""Announcement wording for each outbox change kind, and the catch-up summary."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from statusd.irc.announce import announcement, summary
from statusd.outbox import Change

T = datetime(2030, 1, 31, 12, 0, tzinfo=UTC)


def change(kind: str, **payload: Any) -> Change:
    return Change(1, kind, T, payload)


ANNOUNCE_VECTORS = [
    (change("component.status", component="api", name="API", old="operational",
            new="major_outage", reason="", actor="irc:alice"),
     "[status] API: operational → major_outage by irc:alice"),
    (change("incident.opened", id=3, title="Site down", status="investigating",
            components=["website"], message="Looking"),
     "[incident #3 opened] Site down [website] — Looking https://status.example.org/incidents/3"),
    (change("incident.updated", id=3, title="Site down", status="monitoring", components=[],
            message="Fixed"),
     "[incident #3 monitoring] Site down — Fixed https://status.example.org/incidents/3"),
    (change("incident.resolved", id=3, title="Site down", status="resolved", components=[],
            message=""),
     "[incident #3 resolved] Site down https://status.example.org/incidents/3"),
    (change("maintenance.scheduled", id=2, title="Upgrade", status="scheduled",
            scheduled_for="2030-02-01T22:00:00+00:00", scheduled_until="2030-02-01T23:00:00+00:00",
            components=["mail"]),
     "[maintenance #2 scheduled 2030-02-01 22:00 UTC → 2030-02-01 23:00 UTC] Upgrade [mail]"),
    (change("maintenance.in_progress", id=2, title="Upgrade", components=["mail"]),
     "[maintenance #2 started] Upgrade [mail]"),
    (change("maintenance.completed", id=2, title="Upgrade", components=["mail"]),
     "[maintenance #2 completed] Upgrade [mail]"),
    (change("alert.raised", id=5, severity="major", title="Upstream timeouts", device="web1"),
     "[alert #5 major] Upstream timeouts on web1"),
    (change("alert.raised", id=5, severity="major", title="Upstream timeouts on web1",
            device="web1"),
     "[alert #5 major] Upstream timeouts on web1"),
    (change("rule.fired", rule="web-errors", irc=True, title="Errors on web1"),
     "[rule web-errors] Errors on web1"),
    (change("rule.fired", rule="quiet", irc=False, title="x"), None),
    (change("alert.acknowledged", id=5, actor="irc:alice"), None),
    (change("rule.recovered", rule="x", irc=True), None),
    # Log-derived text is sanitised: no line breaks (IRC injection), no control codes.
    (change("alert.raised", id=6, severity="minor", title="evil\r\nPRIVMSG #x :pwned\x02",
            device="h\x03"),
     "[alert #6 minor] evil PRIVMSG #x :pwned on h"),
]


@pytest.mark.parametrize(("item", "expected"), ANNOUNCE_VECTORS)
def test_announcement(item: Change, expected: str | None) -> None:
    assert announcement(item, "https://status.example.org/") == expected


def test_summary_counts_by_kind() -> None:
    changes = [change("component.status")] * 7 + [change("incident.opened")] * 2 + [
        change("rule.fired", irc=False)]
    assert summary(changes) == ("[catch-up] 9 changes while I was away (status change: 7, "
                                "incident opened: 2); !status for the state now")
