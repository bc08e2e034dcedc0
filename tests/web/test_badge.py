"""/badge/{slug}.svg: well-formed SVG, colour and label per status, escaping, caching, 404."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient  # first imported (warning silenced) by conftest

from statusd.db import transaction
from statusd.models import Component, ComponentStatus
from statusd.web.badge import COLOURS, render_badge, text_width

from .conftest import AppFactory
from .data import set_status

pytestmark = pytest.mark.db

SVG = "{http://www.w3.org/2000/svg}"


def badge(client: TestClient, slug: str) -> ET.Element:
    """GET a badge, check its headers, and parse it."""
    r = client.get(f"/badge/{slug}.svg")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert r.headers["cache-control"] == "public, max-age=60"
    return ET.fromstring(r.content)


def texts(svg: ET.Element) -> list[str]:
    """The two texts of a badge: name, status."""
    return [t.text or "" for t in svg.iter(f"{SVG}text")]


def fills(svg: ET.Element) -> list[str]:
    """The fills of the two halves."""
    return [r.get("fill", "") for r in svg.iter(f"{SVG}rect")]


@pytest.mark.parametrize(("status", "label"), [
    ("operational", "Operational"),
    ("under_maintenance", "Under maintenance"),
    ("degraded_performance", "Degraded performance"),
    ("partial_outage", "Partial outage"),
    ("major_outage", "Major outage"),
])
def test_badge_per_status(engine: Engine, client: TestClient, status: str, label: str) -> None:
    set_status(engine, "website", status)
    svg = badge(client, "website")
    assert texts(svg) == ["Website", label]
    assert fills(svg) == ["#555", COLOURS[status]]
    assert svg.findtext(f"{SVG}title") == f"Website: {label}"
    assert svg.get("role") == "img"


def test_every_status_has_its_own_colour() -> None:
    assert set(COLOURS) == {s.value for s in ComponentStatus}
    assert len(set(COLOURS.values())) == len(COLOURS)


def test_badge_name_is_escaped(engine: Engine, client: TestClient) -> None:
    name = '<script>alert("b")</script> & ]]>\x1b'
    with transaction(engine) as s:
        s.add(Component(slug="evil", name=name))
    raw = client.get("/badge/evil.svg").content
    assert b"<script" not in raw
    svg = ET.fromstring(raw)
    assert texts(svg)[0] == name.replace("\x1b", "\ufffd")


def test_badge_width_follows_the_text() -> None:
    short = ET.fromstring(render_badge("A", "operational", "Operational"))
    long = ET.fromstring(render_badge("A much longer name", "operational", "Operational"))
    assert int(long.get("width", "0")) > int(short.get("width", "0"))
    assert text_width("界") > text_width("a")
    cut = ET.fromstring(render_badge("x" * 100, "operational", "Operational"))
    assert texts(cut)[0] == "x" * 39 + "…"


def test_badge_in_french(make_client: AppFactory, components: dict[str, int]) -> None:
    assert texts(badge(make_client(page_language="fr"), "mail")) == ["Mail", "Opérationnel"]


def test_unknown_or_hidden_component_is_404(engine: Engine, client: TestClient) -> None:
    with transaction(engine) as s:
        s.add(Component(slug="old", name="Old", visible=False))
    for path in ("/badge/nope.svg", "/badge/old.svg", "/badge/website.png", "/badge/.svg"):
        assert client.get(path).status_code == 404
