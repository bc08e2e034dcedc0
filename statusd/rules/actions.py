"""Turn rule-engine decisions into domain changes (alerts, component holds, incidents, outbox)."""

from __future__ import annotations

import fnmatch
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session

from statusd import status
from statusd.config import ComponentSettings
from statusd.rules.engine import Decision, Fired, Recovered
from statusd.rules.model import Rule, render

log = logging.getLogger(__name__)


def hold_source(rule_id: str, key: str) -> str:
    """The name under which a rule holds a component's status."""
    return f"rule:{rule_id}:{key}"


class ActionRunner:
    """Applies decisions inside the batch's transaction; knows rules and components by name."""

    def __init__(self, rules: Iterable[Rule], components: Iterable[ComponentSettings]):
        self.rules = {r.id: r for r in rules}
        self.components = {c.slug: c for c in components}

    def _component_applies(self, slug: str, device: str | None) -> bool:
        comp = self.components.get(slug)
        if comp is None:
            return False
        if not comp.devices or device is None:
            return True
        return any(fnmatch.fnmatchcase(device, pat) for pat in comp.devices)

    def apply(self, session: Session, decisions: Iterable[Decision]) -> None:
        """Apply each decision in order; a failing decision is logged, never stops the batch."""
        for decision in decisions:
            rule = self.rules.get(decision.rule_id)
            if rule is None:
                continue
            try:
                with session.begin_nested():
                    if isinstance(decision, Fired):
                        self._fired(session, rule, decision)
                    elif isinstance(decision, Recovered):
                        self._recovered(session, rule, decision)
            except status.DomainError as exc:
                log.warning("rule %s: %s", rule.id, exc)

    def _fired(self, session: Session, rule: Rule, d: Fired) -> None:
        ctx: Mapping[str, Any] = d.context
        actor = f"rule:{rule.id}"
        device = ctx.get("device")
        if rule.alert is not None:
            title = render(rule.alert.title, ctx)
            status.raise_alert(session, rule.id, d.key, rule.alert.severity, title,
                               device=device, now=d.time)
        affected: list[str] = []
        if rule.status is not None and self._component_applies(rule.status.component, device):
            affected.append(rule.status.component)
            reason = render(rule.alert.title, ctx) if rule.alert else rule.id
            status.hold_component(session, rule.status.component, hold_source(rule.id, d.key),
                                  rule.status.set, actor=actor, reason=reason, now=d.time)
        if rule.incident is not None:
            inc = status.open_rule_incident(session, rule.id, d.key)
            if inc is None:
                impact = _impact(rule.status.set if rule.status else None)
                status.open_incident(
                    session, render(rule.incident.title, ctx), render(rule.incident.message, ctx),
                    status=rule.incident.status, components=affected, impact=impact, actor=actor,
                    now=d.time, rule_id=rule.id, rule_key=d.key,
                )
            elif rule.incident.update:
                status.update_incident(session, inc.id, inc.status,
                                       render(rule.incident.update, ctx), actor=actor, now=d.time)
        if rule.notify or rule.irc:
            status.enqueue(session, "rule.fired", d.time, {
                "rule": rule.id, "key": d.key, "notify": list(rule.notify), "irc": rule.irc,
                "title": render(rule.alert.title, ctx) if rule.alert else rule.id,
                "context": json.loads(json.dumps(dict(ctx), default=str)),
            })

    def _recovered(self, session: Session, rule: Rule, d: Recovered) -> None:
        actor = f"rule:{rule.id}"
        if rule.status is not None and rule.status.component in self.components:
            status.release_component(session, rule.status.component, hold_source(rule.id, d.key),
                                     actor=actor, reason=f"{rule.id} recovered", now=d.time)
        if rule.incident is not None:
            inc = status.open_rule_incident(session, rule.id, d.key)
            if inc is not None:
                status.resolve_incident(session, inc.id, render(rule.incident.resolve, {}),
                                        actor=actor, now=d.time)
        if rule.notify or rule.irc:
            status.enqueue(session, "rule.recovered", d.time, {
                "rule": rule.id, "key": d.key, "notify": list(rule.notify), "irc": rule.irc,
            })


_IMPACT = {
    "major_outage": "critical",
    "partial_outage": "major",
    "degraded_performance": "minor",
    "under_maintenance": "none",
}


def _impact(component_status: str | None) -> str:
    """Statuspage incident impact for the component status a rule sets."""
    return _IMPACT.get(component_status or "", "minor")
