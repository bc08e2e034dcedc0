"""Pure wording of announcements: one outbox change -> one line, and a backlog -> a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from statusd.irc.text import sanitize
from statusd.outbox import Change

# Changes that touch component statuses: the topic is re-rendered after them.
TOPIC_KINDS = frozenset({"component.status", "maintenance.in_progress", "maintenance.completed"})
NAMES = {
    "component.status": "status change",
    "incident.opened": "incident opened",
    "incident.updated": "incident update",
    "incident.resolved": "incident resolved",
    "maintenance.scheduled": "maintenance scheduled",
    "maintenance.in_progress": "maintenance started",
    "maintenance.completed": "maintenance completed",
    "alert.raised": "alert",
    "rule.fired": "rule fired",
}


def _s(payload: dict[str, Any], key: str, limit: int = 200) -> str:
    """A payload field as safe text (payloads carry log-derived, attacker-controlled text)."""
    value = payload.get(key)
    return sanitize(value, limit) if value is not None else ""


def _when(text: str) -> str:
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError):
        return sanitize(text, 40)


def _components(payload: dict[str, Any]) -> str:
    comps = payload.get("components")
    if not isinstance(comps, list) or not comps:
        return ""
    return " [" + ", ".join(sanitize(c, 40) for c in comps[:10]) + "]"


def _message(payload: dict[str, Any]) -> str:
    msg = _s(payload, "message", 250)
    return f" — {msg}" if msg else ""


def is_announced(change: Change) -> bool:
    """True for the changes the bot tells its channels about."""
    if change.kind == "rule.fired":
        return change.payload.get("irc") is True
    return change.kind in NAMES


def announcement(change: Change, base_url: str = "") -> str | None:
    """The line announcing a change, or None for changes the channels do not hear about."""
    if not is_announced(change):
        return None
    p = change.payload
    kind = change.kind
    base = base_url.rstrip("/")
    if kind == "component.status":
        reason = _s(p, "reason", 150)
        who = _s(p, "actor", 60)
        return (f"[status] {_s(p, 'name', 60) or _s(p, 'component', 60)}: {_s(p, 'old', 30)} → "
                f"{_s(p, 'new', 30)}" + (f" ({reason})" if reason else "")
                + (f" by {who}" if who else ""))
    if kind.startswith("incident."):
        verb = {"incident.opened": "opened", "incident.updated": _s(p, "status", 30),
                "incident.resolved": "resolved"}[kind]
        link = f" {base}/incidents/{_s(p, 'id', 20)}" if base and p.get("id") else ""
        return (f"[incident #{_s(p, 'id', 20)} {verb}] {_s(p, 'title')}{_components(p)}"
                f"{_message(p)}{link}")
    if kind.startswith("maintenance."):
        what = {"maintenance.scheduled": f"scheduled {_when(p.get('scheduled_for', ''))} → "
                                         f"{_when(p.get('scheduled_until', ''))}",
                "maintenance.in_progress": "started",
                "maintenance.completed": "completed"}[kind]
        return f"[maintenance #{_s(p, 'id', 20)} {what}] {_s(p, 'title')}{_components(p)}"
    if kind == "alert.raised":
        device, title = _s(p, "device", 60), _s(p, "title")
        return (f"[alert #{_s(p, 'id', 20)} {_s(p, 'severity', 20)}] {title}"
                + (f" on {device}" if device and device not in title else ""))
    return f"[rule {_s(p, 'rule', 80)}] {_s(p, 'title')}"


def summary(changes: Sequence[Change]) -> str:
    """One line for a backlog too long to announce change by change."""
    counts = Counter(NAMES[c.kind] for c in changes if is_announced(c))
    parts = ", ".join(f"{name}: {n}" for name, n in counts.most_common())
    total = sum(counts.values())
    return f"[catch-up] {total} changes while I was away ({parts}); !status for the state now"
