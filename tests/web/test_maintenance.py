"""Planned maintenance: the page's section, the permalink, and the Statuspage v2 API shapes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient  # first imported (warning silenced) by conftest

from statusd.models import MaintenanceStatus
from statusd.web.templating import TRANSLATIONS, status_label_en

from .conftest import AppFactory
from .data import NOW, add_incident
from .maint_data import add_maintenance, finish_maintenance
from .test_api import INCIDENT_KEYS, ISO, UPDATE_KEYS, check_component, get

pytestmark = pytest.mark.db

BASE = "https://status.example.org"
MAINTENANCE_KEYS = INCIDENT_KEYS | {"scheduled_for", "scheduled_until"}
HOSTILE = '<script>alert("m")</script>'


def planned_section(html: str) -> str:
    """The "Planned maintenance" section of the page ("" when absent)."""
    m = re.search(r'<section class="maintenances".*?</section>', html, re.S)
    return m.group(0) if m else ""


@pytest.fixture
def plans(engine: Engine, client: TestClient) -> dict[str, int]:
    """One maintenance of each status: upcoming (two), in progress, completed."""
    later = add_maintenance(engine, "Storage swap", "Disks.", components=["mail"],
                            start=NOW + timedelta(days=3))
    soon = add_maintenance(engine, "Router upgrade", "New firmware.\nShort outage.",
                           components=["website", "api"], start=NOW + timedelta(hours=6),
                           end=NOW + timedelta(hours=8))
    active = add_maintenance(engine, "DB migration", "Schema change.", components=["api"],
                             start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=1),
                             at=NOW - timedelta(hours=1))
    done = add_maintenance(engine, "Old work", "Done before.", components=["website"],
                           start=NOW - timedelta(hours=5), at=NOW - timedelta(hours=5))
    finish_maintenance(engine, done, NOW - timedelta(hours=4))
    return {"later": later, "soon": soon, "active": active, "done": done}


# -- the page -------------------------------------------------------------------------------

def test_page_shows_upcoming_and_active_maintenance(
    client: TestClient, plans: dict[str, int],
) -> None:
    section = planned_section(client.get("/").text)
    assert '<h2 id="maintenances-title">Planned maintenance</h2>' in section
    titles = re.findall(r'<a href="/maintenance/(\d+)">([^<]*)</a>', section)
    assert titles == [(str(plans["active"]), "DB migration"),
                      (str(plans["soon"]), "Router upgrade"),
                      (str(plans["later"]), "Storage swap")]
    assert "Old work" not in section
    soon = section[section.index("Router upgrade"):section.index("Storage swap")]
    assert '<span class="status-tag status-scheduled">Scheduled</span>' in soon
    assert ('From <time datetime="2024-05-20T18:00:00+00:00">20 May 2024 18:00 UTC</time>'
            in soon)
    assert 'until <time datetime="2024-05-20T20:00:00+00:00">20 May 2024 20:00 UTC</time>' in soon
    assert re.search(r'<span class="affected-component">Website</span>,\s*'
                     r'<span class="affected-component">API</span>', soon)
    assert '<p class="body">New firmware.\nShort outage.</p>' in soon
    assert '<span class="status-tag status-in_progress">In progress</span>' in section


def test_no_section_without_planned_maintenance(engine: Engine, client: TestClient) -> None:
    assert planned_section(client.get("/").text) == ""
    done = add_maintenance(engine, "Old work", start=NOW - timedelta(hours=5),
                           at=NOW - timedelta(hours=6))
    finish_maintenance(engine, done, NOW - timedelta(hours=4))
    assert planned_section(client.get("/").text) == ""


def test_section_is_in_the_live_region(client: TestClient, plans: dict[str, int]) -> None:
    assert "Router upgrade" in planned_section(client.get("/partials/status").text)


def test_maintenance_permalink(client: TestClient, plans: dict[str, int]) -> None:
    r = client.get(f"/maintenance/{plans['done']}")
    assert r.status_code == 200
    html = r.text
    assert "<h1>Old work</h1>" in html
    assert '<span class="status-tag status-completed">Completed</span>' in html
    assert "Completed at" in html and "Started" in html
    timeline = html[html.index('<ol class="timeline"'):]
    statuses = re.findall(r'class="update-status status-(\w+)"', timeline)
    assert statuses == ["completed", "in_progress", "scheduled"]  # newest first
    assert "Done before." in timeline


@pytest.mark.parametrize("path", ["/maintenance/999", "/maintenance/0",
                                  "/maintenance/99999999999999", "/maintenance/x"])
def test_unknown_maintenance_is_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_maintenance_text_is_escaped(engine: Engine, client: TestClient) -> None:
    mid = add_maintenance(engine, HOSTILE, HOSTILE, start=NOW + timedelta(hours=1))
    for path in ("/", f"/maintenance/{mid}"):
        html = client.get(path).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#34;m&#34;)&lt;/script&gt;" in html


def test_french_maintenance_wording(
    engine: Engine, make_client: AppFactory, components: dict[str, int],
) -> None:
    add_maintenance(engine, "Travaux", start=NOW + timedelta(hours=6))
    add_maintenance(engine, "En cours", start=NOW - timedelta(hours=1), at=NOW - timedelta(hours=1))
    section = planned_section(make_client(page_language="fr").get("/").text)
    assert "Maintenance planifiée" in section
    assert '<span class="status-tag status-scheduled">Planifiée</span>' in section
    assert '<span class="status-tag status-in_progress">En cours</span>' in section
    assert "Du <time" in section and "au <time" in section
    assert "20 mai 2024 18:00 UTC" in section


def test_every_maintenance_status_has_a_french_label() -> None:
    labels = {status_label_en(s.value) for s in MaintenanceStatus}
    assert labels == {"Scheduled", "In progress", "Completed"}
    assert labels <= set(TRANSLATIONS["fr"])


# -- the API --------------------------------------------------------------------------------

def check_maintenance(m: dict[str, Any], page_id: str) -> None:
    """Every key of a scheduled_maintenances object, with its type."""
    assert set(m) == MAINTENANCE_KEYS
    assert re.fullmatch(r"m\d+", m["id"])
    assert m["status"] in {"scheduled", "in_progress", "verifying", "completed"}
    assert m["impact"] == "maintenance"
    assert m["monitoring_at"] is None
    for key in ("created_at", "updated_at", "started_at", "scheduled_for", "scheduled_until"):
        assert ISO.match(m[key]), key
    assert (m["resolved_at"] is None) == (m["status"] != "completed")
    assert m["shortlink"] == f"{BASE}/maintenance/{m['id'][1:]}"
    assert m["page_id"] == page_id
    for u in m["incident_updates"]:
        assert set(u) == UPDATE_KEYS
        assert re.fullmatch(r"m\d+", u["id"])
        assert u["incident_id"] == m["id"]
    for c in m["components"]:
        check_component(c, page_id)


def ids(data: dict[str, Any], plans: dict[str, int], page_id: str | None = None) -> list[str]:
    """The plan names of a response's scheduled_maintenances, each object checked."""
    names = {f"m{v}": k for k, v in plans.items()}
    for m in data["scheduled_maintenances"]:
        check_maintenance(m, page_id or data["page"]["id"])
    return [names[m["id"]] for m in data["scheduled_maintenances"]]


def test_api_filters(client: TestClient, plans: dict[str, int]) -> None:
    assert ids(get(client, "scheduled-maintenances/upcoming.json"), plans) == ["soon", "later"]
    assert ids(get(client, "scheduled-maintenances/active.json"), plans) == ["active"]
    everything = get(client, "scheduled-maintenances.json")
    assert list(everything) == ["page", "scheduled_maintenances"]
    assert ids(everything, plans) == ["later", "soon", "active", "done"]  # latest start first
    summary = get(client, "summary.json")
    assert ids(summary, plans) == ["active", "soon", "later"]


def test_api_maintenance_object(client: TestClient, plans: dict[str, int],
                                components: dict[str, int]) -> None:
    data = get(client, "scheduled-maintenances.json")
    by_id = {m["id"]: m for m in data["scheduled_maintenances"]}
    soon = by_id[f"m{plans['soon']}"]
    assert soon["name"] == "Router upgrade"
    assert soon["status"] == "scheduled"
    assert soon["scheduled_for"] == "2024-05-20T18:00:00.000+00:00"
    assert soon["scheduled_until"] == "2024-05-20T20:00:00.000+00:00"
    assert soon["started_at"] == soon["scheduled_for"]  # not started yet
    assert soon["created_at"] == "2024-05-19T12:00:00.000+00:00"
    assert [c["id"] for c in soon["components"]] == [str(components["website"]),
                                                     str(components["api"])]
    assert [u["body"] for u in soon["incident_updates"]] == ["New firmware.\nShort outage."]
    done = by_id[f"m{plans['done']}"]
    assert done["status"] == "completed"
    assert done["started_at"] == "2024-05-20T07:00:00.000+00:00"
    assert done["resolved_at"] == "2024-05-20T08:00:00.000+00:00"
    assert done["updated_at"] == done["resolved_at"]
    assert [u["status"] for u in done["incident_updates"]] == ["completed", "in_progress",
                                                               "scheduled"]
    active = by_id[f"m{plans['active']}"]
    assert active["status"] == "in_progress"
    assert active["components"][0]["status"] == "under_maintenance"


def test_api_ids_never_collide_with_incidents(engine: Engine, client: TestClient,
                                              plans: dict[str, int]) -> None:
    add_incident(engine, "Something", components=["website"])
    summary = get(client, "summary.json")
    incident_ids = {i["id"] for i in summary["incidents"]}
    assert incident_ids and not incident_ids & {m["id"] for m in summary["scheduled_maintenances"]}


def test_api_empty(client: TestClient) -> None:
    for endpoint in ("scheduled-maintenances.json", "scheduled-maintenances/upcoming.json",
                     "scheduled-maintenances/active.json"):
        assert get(client, endpoint)["scheduled_maintenances"] == []


def test_announcing_maintenance_updates_the_page_timestamp(engine: Engine,
                                                           client: TestClient) -> None:
    add_maintenance(engine, "Later", start=NOW + timedelta(days=1), at=NOW - timedelta(minutes=5))
    page = get(client, "status.json")["page"]
    assert page["updated_at"] == "2024-05-20T11:55:00.000+00:00"
