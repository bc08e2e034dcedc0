"""Message wording and hygiene: address syntax, one-line subjects, clean bodies, templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from statusd.notify import messages
from statusd.notify.messages import Renderer, clean_body, clean_subject
from statusd.notify.subscribers import valid_email

EMAILS = [
    ("alice@example.org", True),
    ("first.last+tag@mail.example.co.uk", True),
    ("a_b-c%d@xn--bcher-kva.example", True),
    ("alice@example", False),  # no dot in the domain
    ("alice@127.0.0.1", False),
    ("alice@-example.org", False),
    ("alice@example..org", False),
    (".alice@example.org", False),
    ("al..ice@example.org", False),
    ("alice@@example.org", False),
    ("alice", False),
    ("@example.org", False),
    ("alice@example.org\r\nBcc: x@example.org", False),
    ("alice@example.org\n", False),
    ("alice smith@example.org", False),
    ('"alice"@example.org', False),
    ("alice@exämple.org", False),
    ("alice@example.org,bob@example.org", False),
    ("alice@example.org;bob@example.org", False),
    ("a" * 64 + "@example.org", True),
    ("a" * 65 + "@example.org", False),
    ("a@" + ".".join(["b" * 63] * 3) + ".org", True),
    ("a@" + ".".join(["b" * 63] * 4) + ".org", False),  # over 254 characters
    ("", False),
]


@pytest.mark.parametrize(("address", "ok"), EMAILS)
def test_valid_email(address: str, ok: bool) -> None:
    assert valid_email(address) is ok


SUBJECTS = [
    ("Website down", "Website down"),
    ("Website\r\nBcc: evil@example.org", "Website Bcc: evil@example.org"),
    ("  tabs\tand\x00nul\x1b[31m ", "tabs and nul [31m"),
    ("line\u2028separator\u0085next", "line separator next"),
    ("x" * 300, "x" * 199 + "…"),
]


@pytest.mark.parametrize(("raw", "expected"), SUBJECTS)
def test_clean_subject(raw: str, expected: str) -> None:
    assert clean_subject(raw) == expected


BODIES = [
    ("one\r\ntwo\rthree\n", "one\ntwo\nthree\n"),
    ("\n\nbody  \n\n\n\nend\n\n", "body\n\nend\n"),
    ("bell\x07 and\ttab", "bell and\ttab\n"),
]


@pytest.mark.parametrize(("raw", "expected"), BODIES)
def test_clean_body(raw: str, expected: str) -> None:
    assert clean_body(raw) == expected


def context(kind: str, **change: object) -> dict[str, object]:
    return {"kind": kind, "change": change, "site": "Example", "base_url": "https://s.example",
            "at": "2026-05-01T12:00:00+00:00", "link": "https://s.example/incidents/7",
            "components": ["Website"], "unsubscribe_url": "https://s.example/unsubscribe?token=t"}


def test_every_shipped_template_renders() -> None:
    r = Renderer()
    incident = {"id": 7, "title": "Down", "status": "investigating", "message": "Looking."}
    maint = {"id": 3, "title": "Upgrade", "status": "scheduled",
             "scheduled_for": "2026-05-02T10:00:00+00:00",
             "scheduled_until": "2026-05-02T11:00:00+00:00"}
    cases = {
        "channel/rule.fired.txt": context("rule.fired", rule="r", key="web1", title="T",
                                          context={"device": "web1", "message": "m"}),
        "channel/rule.recovered.txt": context("rule.recovered", rule="r", key=""),
        "channel/component.status.txt": context("component.status", component="website",
                                                name="Website", old="operational",
                                                new="major_outage", reason="", actor="t"),
        "channel/incident.txt": context("incident.resolved", **incident),
        "channel/maintenance.txt": context("maintenance.scheduled", **maint),
        "channel/change.txt": context("alert.raised", id=1, title="x"),
        "subscriber/incident.txt": context("incident.opened", **incident),
        "subscriber/maintenance.txt": context("maintenance.in_progress", **maint),
        "subscriber/confirm.txt": context("subscriber.confirm") | {
            "confirm_url": "https://s.example/subscribe/confirm?token=t", "components": []},
    }
    for name, ctx in cases.items():
        text = r.render(name, ctx)
        assert text.subject and "\n" not in text.subject and text.body.endswith("\n"), name
    assert r.render("channel/incident.txt", cases["channel/incident.txt"]).subject == (
        "[Example] Resolved: Down")
    assert r.render("channel/component.status.txt",
                    cases["channel/component.status.txt"]).subject == (
        "[Example] Website: Major outage")
    body = r.render("subscriber/incident.txt", cases["subscriber/incident.txt"]).body
    assert "https://s.example/incidents/7" in body
    assert "https://s.example/unsubscribe?token=t" in body


def test_values_are_data_not_template_code() -> None:
    text = Renderer().render("channel/incident.txt", context(
        "incident.opened", id=1, title="{{ 7 * 7 }}\r\nBcc: evil@example.org",
        status="investigating", message="{% raw %}x"))
    assert text.subject == "[Example] New incident: {{ 7 * 7 }} Bcc: evil@example.org"
    assert "{% raw %}x" in text.body


def test_a_theme_overrides_a_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "dark" / "notify" / "channel"
    folder.mkdir(parents=True)
    (folder / "incident.txt").write_text(
        "{% block subject %}INCIDENT {{ change.title }}{% endblock %}"
        "{% block body %}See {{ link }}{% endblock %}")
    monkeypatch.setattr(messages, "THEMES_DIR", tmp_path)
    r = Renderer("dark")
    text = r.render("channel/incident.txt", context("incident.opened", title="Down"))
    assert (text.subject, text.body) == ("INCIDENT Down", "See https://s.example/incidents/7\n")
    assert r.render("channel/change.txt", context("x.y")).subject == "[Example] x.y"
    assert messages.template_dirs("../etc") == [messages.PACKAGE_TEMPLATES]  # no escape
