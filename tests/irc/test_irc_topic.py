"""Topic rendering and parsing: tables of statuses, limits and edits."""

from __future__ import annotations

import pytest

from statusd.irc.text import utf8_len
from statusd.irc.topic import ComponentView, parse_topic, render_topic

C = ComponentView
THREE = [C("website", "Website", "operational"), C("api", "API", "degraded_performance"),
         C("mail", "Mail", "operational")]

RENDER_VECTORS = [
    (THREE, 300, "Website: operational | API: degraded_performance | Mail: operational"),
    # Too long for names: slugs.
    ([C("website", "The public website of ACME", "operational"), C("api", "API", "major_outage")],
     50, "website: operational | api: major_outage"),
    # Too long for every slug: only what is not operational, then "all others".
    (THREE, 60, "api: degraded_performance | all others: operational"),
    # Too long even for that: cut with an ellipsis.
    ([C(f"c{i}", f"C{i}", "major_outage") for i in range(20)], 60,
     "c0: major_outage | c1: major_outage | c2: major_outage | …"),
    ([], 300, "No components"),
    # A name that would not parse back is replaced by its slug.
    ([C("lb", "LB | edge", "operational"), C("db", "DB: main", "partial_outage")], 300,
     "lb: operational | db: partial_outage"),
    # Control codes in names never reach the topic.
    ([C("web", "\x02Web\x02\x07", "operational")], 300, "Web: operational"),
]


@pytest.mark.parametrize(("components", "limit", "expected"), RENDER_VECTORS)
def test_render(components: list[ComponentView], limit: int, expected: str) -> None:
    topic = render_topic(components, limit)
    assert topic == expected
    assert utf8_len(topic) <= limit


@pytest.mark.parametrize("limit", [1, 5, 20, 39, 40, 80, 200, 390])
def test_render_always_fits(limit: int) -> None:
    comps = [C(f"comp-{i}", f"Componënt {i}", "partial_outage") for i in range(30)]
    assert utf8_len(render_topic(comps, limit)) <= limit


PARSE_VECTORS = [
    ("Website: operational | API: degraded_performance | Mail: operational",
     {"website": "operational", "api": "degraded_performance", "mail": "operational"}, []),
    ("website: major_outage", {"website": "major_outage"}, []),
    ("WEBSITE: Major Outage|api:partial-outage", {"website": "major_outage",
                                                  "api": "partial_outage"}, []),
    ("api: degraded | mail: under", {"api": "degraded_performance",
                                     "mail": "under_maintenance"}, []),
    ("api: degraded_performance | all others: operational", {"api": "degraded_performance"}, []),
    ("c0: major_outage | …", {}, ["c0: major_outage"]),
    ("Welcome to #ops!", {}, ["Welcome to #ops!"]),
    ("Website: on fire | Nope: operational", {}, ["Website: on fire", "Nope: operational"]),
    ("", {}, []),
    ("\x0304Website\x03: major_outage", {"website": "major_outage"}, []),
    ("Website: operational | Website: major_outage", {"website": "major_outage"}, []),
]


@pytest.mark.parametrize(("text", "statuses", "unknown"), PARSE_VECTORS)
def test_parse(text: str, statuses: dict[str, str], unknown: list[str]) -> None:
    edit = parse_topic(text, THREE)
    assert edit.statuses == statuses
    assert edit.unknown == unknown


@pytest.mark.parametrize("limit", [300, 60, 40])
def test_round_trip(limit: int) -> None:
    edit = parse_topic(render_topic(THREE, limit), THREE)
    assert edit.unknown == [] or edit.unknown == ["…"]
    assert edit.changes(THREE) == {}


def test_changes_are_only_the_differences() -> None:
    edit = parse_topic("Website: operational | API: major_outage | Mail: operational", THREE)
    assert edit.changes(THREE) == {"api": "major_outage"}
