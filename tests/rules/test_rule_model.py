"""Rule tables: what parses, what is refused (with its key path), and template rendering."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from typing import Any

import pytest

from statusd.errors import ConfigError
from statusd.rules.model import (
    DEFAULT_RESOLVE,
    AlertAction,
    MatchSpec,
    Rule,
    parse_rule,
    parse_rules,
    render,
    template_error,
)
from statusd.severity import Severity

SPEC_EXAMPLE = """
[[rule]]
id = "website-errors"
kind = "threshold"
match = { service = "nginx", message_id = "nginx.upstream.timeout" }
count = 20
window = "60s"
group_by = ["device"]
alert = { severity = "major", title = "Upstream timeouts on {device}" }
status = { component = "website", set = "degraded_performance", recover_after = "5m" }
incident = { title = "Website responding slowly", message = "We see elevated error rates." }
notify = ["oncall"]
irc = true
"""


def base(**changes: Any) -> dict[str, Any]:
    """A minimal valid single rule, with changes (None deletes a key)."""
    table: dict[str, Any] = {"id": "r1", "kind": "single", "alert": {}}
    for key, value in changes.items():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return table


def problems(table: dict[str, Any], known: set[str] | None = None) -> list[tuple[str, str]]:
    """(where, message) of every problem parse_rule reports; [] when it parses."""
    try:
        parse_rule(table, file="rules.toml", where="rule[2]", known_components=known)
    except ConfigError as exc:
        assert all(p.file == "rules.toml" for p in exc.problems)
        return [(p.where, p.message) for p in exc.problems]
    return []


def test_spec_example_parses() -> None:
    tables = tomllib.loads(SPEC_EXAMPLE)["rule"]
    [rule] = parse_rules(tables, "rules.toml", known_components={"website"})
    assert rule.id == "website-errors"
    assert rule.kind == "threshold"
    assert rule.match == MatchSpec(service="nginx", message_id="nginx.upstream.timeout")
    assert (rule.count, rule.window, rule.group_by) == (20, timedelta(seconds=60), ("device",))
    assert rule.alert == AlertAction("major", "Upstream timeouts on {device}")
    assert rule.status is not None and rule.status.set == "degraded_performance"
    assert rule.incident is not None
    assert rule.incident.status == "investigating"
    assert rule.incident.resolve == DEFAULT_RESOLVE
    assert rule.incident.resolve_after == timedelta(minutes=5)  # defaults to recover_after
    assert rule.recover_after == timedelta(minutes=5)
    assert rule.notify == ("oncall",) and rule.irc is True and rule.enabled is True


def test_defaults() -> None:
    rule = parse_rule(base(), file="f", where="rule[0]", known_components=None)
    assert rule == Rule(id="r1", kind="single", alert=AlertAction("major", "{rule}"))
    assert rule.recover_after is None


def test_match_fields_are_normalised() -> None:
    table = base(
        match={
            "taxonomy": "auth.*",
            "level": "warn",
            "device": "web*",
            "fields": {"port": 22, "user": ["root", "admin"]},
        },
        except_devices=["web9", "lab-*"],
    )
    rule = parse_rule(table, file="f", where="rule[0]", known_components=None)
    assert rule.match.level == Severity.WARNING
    assert rule.match.devices == ("web*",)
    assert rule.match.fields == (("port", ("22",)), ("user", ("root", "admin")))
    assert rule.except_devices == ("web9", "lab-*")


def test_resolve_after_alone_is_the_recovery_time() -> None:
    table = base(incident={"title": "t", "resolve_after": "10m"})
    rule = parse_rule(table, file="f", where="rule[0]", known_components=None)
    assert rule.recover_after == timedelta(minutes=10)


# (changes to the base rule, where the problem is, words in the message)
BAD_VECTORS: list[tuple[dict[str, Any], str, str]] = [
    ({"id": None}, "rule[2].id", "required"),
    ({"id": "has space"}, "rule[2].id", "letters"),
    ({"id": 7}, "rule[2].id", "letters"),
    ({"kind": None}, "rule[2].kind", "required"),
    ({"kind": "rate"}, "rule[2].kind", "not supported yet"),
    ({"kind": "pair"}, "rule[2].kind", "not supported yet"),
    ({"kind": "first_seen"}, "rule[2].kind", "not supported yet"),
    ({"kind": "sometimes"}, "rule[2].kind", "unknown kind"),
    ({"enabled": "yes"}, "rule[2].enabled", "true or false"),
    ({"description": 3}, "rule[2].description", "string"),
    ({"colour": "red"}, "rule[2].colour", "unknown key"),
    ({"match": "nginx"}, "rule[2].match", "table"),
    ({"match": {"servce": "nginx"}}, "rule[2].match.servce", "unknown key"),
    ({"match": {"service": ""}}, "rule[2].match.service", "non-empty"),
    ({"match": {"level": "loud"}}, "rule[2].match.level", "unknown severity"),
    ({"match": {"taxonomy": "au*th"}}, "rule[2].match.taxonomy", "prefix"),
    ({"match": {"device": ["web*", 3]}}, "rule[2].match.device[1]", "not a glob"),
    ({"match": {"device": 3}}, "rule[2].match.device", "string or a list"),
    ({"match": {"fields": {"user": True}}}, "rule[2].match.fields.user", "string or number"),
    ({"match": {"fields": {"user": []}}}, "rule[2].match.fields.user", "matches nothing"),
    ({"match": {"fields": "user=root"}}, "rule[2].match.fields", "table"),
    ({"except_devices": [""]}, "rule[2].except_devices[0]", "not a glob"),
    ({"count": 3}, "rule[2].count", "only threshold"),
    ({"window": "1m"}, "rule[2].window", "single rules take no window"),
    ({"group_by": "device"}, "rule[2].group_by", "list"),
    ({"group_by": ["device", "device"]}, "rule[2].group_by[1]", "twice"),
    ({"group_by": ["a,b"]}, "rule[2].group_by[0]", "not a field name"),
    ({"alert": {"severity": "huge"}}, "rule[2].alert.severity", "not one of"),
    ({"alert": {"titel": "x"}}, "rule[2].alert.titel", "unknown key"),
    ({"alert": {"title": "{a.b}"}}, "rule[2].alert.title", "plain"),
    ({"alert": {"title": "{a[0]}"}}, "rule[2].alert.title", "plain"),
    ({"alert": {"title": "{}"}}, "rule[2].alert.title", "plain"),
    ({"alert": {"title": "{a!r}"}}, "rule[2].alert.title", "plain"),
    ({"alert": {"title": "{a:>9}"}}, "rule[2].alert.title", "plain"),
    ({"alert": {"title": "oops {"}}, "rule[2].alert.title", "bad template"),
    ({"alert": True}, "rule[2].alert", "table"),
    ({"status": {"set": "major_outage"}}, "rule[2].status.component", "required"),
    ({"status": {"component": "web"}}, "rule[2].status.set", "required"),
    ({"status": {"component": "web", "set": "down"}}, "rule[2].status.set", "not one of"),
    (
        {"status": {"component": "web", "set": "major_outage", "recover_after": "soon"}},
        "rule[2].status.recover_after",
        "not a duration",
    ),
    (
        {"status": {"component": "web", "set": "major_outage", "recover_after": 0}},
        "rule[2].status.recover_after",
        "longer than zero",
    ),
    (
        {"status": {"component": "web", "set": "major_outage", "recovr_after": "5m"}},
        "rule[2].status.recovr_after",
        "unknown key",
    ),
    ({"incident": {"message": "m"}}, "rule[2].incident.title", "required"),
    ({"incident": {"title": "t", "status": "fixed"}}, "rule[2].incident.status", "not one of"),
    ({"incident": {"title": "t", "update": "{x.y}"}}, "rule[2].incident.update", "plain"),
    ({"incident": {"title": "t", "resolve": 5}}, "rule[2].incident.resolve", "string"),
    ({"incident": {"title": "t", "body": "b"}}, "rule[2].incident.body", "unknown key"),
    (
        {
            "status": {"component": "web", "set": "major_outage", "recover_after": "5m"},
            "incident": {"title": "t", "resolve_after": "10m"},
        },
        "rule[2].incident.resolve_after",
        "must equal",
    ),
    ({"notify": "oncall"}, "rule[2].notify", "list"),
    ({"notify": ["oncall", 1]}, "rule[2].notify[1]", "non-empty string"),
    ({"irc": "yes"}, "rule[2].irc", "true or false"),
    ({"alert": None}, "rule[2]", "at least one action"),
    ({"alert": None, "irc": False, "notify": []}, "rule[2]", "at least one action"),
]


@pytest.mark.parametrize(("changes", "where", "words"), BAD_VECTORS)
def test_bad_rule_reports_key_path(changes: dict[str, Any], where: str, words: str) -> None:
    found = problems(base(**changes), known={"web"})
    assert any(w == where and words in m for w, m in found), found


@pytest.mark.parametrize(
    ("changes", "where", "words"),
    [
        ({"count": None}, "rule[2].count", "required for threshold"),
        ({"window": None}, "rule[2].window", "required for threshold"),
        ({"count": 0}, "rule[2].count", "at least 1"),
        ({"count": 2.5}, "rule[2].count", "whole number"),
        ({"count": True}, "rule[2].count", "whole number"),
        ({"window": "-5m"}, "rule[2].window", "not a duration"),
    ],
)
def test_bad_threshold(changes: dict[str, Any], where: str, words: str) -> None:
    table = base(**({"kind": "threshold", "count": 5, "window": "1m"} | changes))
    found = problems(table)
    assert any(w == where and words in m for w, m in found), found


def test_absence_needs_window_and_takes_no_recover_after() -> None:
    table = base(
        kind="absence",
        status={"component": "web", "set": "major_outage", "recover_after": "5m"},
    )
    found = problems(table)
    assert ("rule[2].window", "required for absence rules") in found
    assert any(w == "rule[2].status.recover_after" for w, _ in found)
    assert problems(base(kind="absence", window="5m", count=2))[0][0] == "rule[2].count"


def test_unknown_component_is_reported_only_when_components_are_known() -> None:
    table = base(status={"component": "api", "set": "partial_outage"})
    assert problems(table, known=None) == []
    [(where, message)] = problems(table, known={"web", "db"})
    assert where == "rule[2].status.component"
    assert "unknown component 'api'" in message and "db, web" in message


def test_every_problem_is_reported_at_once() -> None:
    table = {
        "id": "x",
        "kind": "threshold",
        "windw": "5m",
        "match": {"levl": "warning"},
        "alert": {"severity": "huge"},
    }
    wheres = {w for w, _ in problems(table)}
    assert wheres == {
        "rule[2].windw",
        "rule[2].match.levl",
        "rule[2].count",
        "rule[2].window",
        "rule[2].alert.severity",
    }


def test_later_kinds_do_not_report_their_own_keys_as_typos() -> None:
    found = problems(base(kind="rate", min=3, max=100, window="1m"))
    assert found == [("rule[2].kind", found[0][1])]
    assert "not supported yet" in found[0][1]


def test_parse_rules_numbers_tables_and_rejects_duplicates() -> None:
    tables = [base(), base(kind="threshold"), base(), "not a table"]
    with pytest.raises(ConfigError) as info:
        parse_rules(tables, "rules.d/a.toml")
    found = [(p.file, p.where, p.message) for p in info.value.problems]
    assert ("rules.d/a.toml", "rule[1].count", "required for threshold rules") in found
    assert any(w == "rule[2].id" and "duplicate rule id 'r1'" in m for _, w, m in found)
    assert any(w == "rule[3]" and "must be a table" in m for _, w, m in found)
    assert "rules.d/a.toml: rule[1].count:" in str(info.value)


def test_parse_rules_checks_ids_across_files() -> None:
    taken: dict[str, str] = {}
    parse_rules([base()], "a.toml", taken=taken)
    with pytest.raises(ConfigError) as info:
        parse_rules([base(id="r2"), base()], "b.toml", taken=taken)
    [problem] = info.value.problems
    assert (problem.file, problem.where) == ("b.toml", "rule[1].id")
    assert "a.toml: rule[0]" in problem.message


RENDER_VECTORS: list[tuple[str, dict[str, object], str]] = [
    ("{rule} on {device}", {"rule": "r", "device": "web1"}, "r on web1"),
    ("{count} hits", {"count": 20}, "20 hits"),
    ("missing {nope}", {}, "missing {nope}"),
    ("no {a.b} access {a[0]}", {"a": "x"}, "no {a.b} access {a[0]}"),
    ("{x!r} {x:>5}", {"x": "v"}, "{x!r} {x:>5}"),
    ("braces {{literal}}", {}, "braces {literal}"),
    ("broken {", {}, "broken {"),
    ("{v}", {"v": "{device}"}, "{device}"),  # values are not rendered again
]


@pytest.mark.parametrize(("template", "context", "expected"), RENDER_VECTORS)
def test_render(template: str, context: dict[str, object], expected: str) -> None:
    assert render(template, context) == expected


def test_render_truncates() -> None:
    assert render("{m}", {"m": "x" * 2000}) == "x" * 500


def test_template_error() -> None:
    assert template_error("Upstream timeouts on {device}") is None
    assert template_error("{{not a placeholder}}") is None
    assert template_error("{device.__class__}") is not None
