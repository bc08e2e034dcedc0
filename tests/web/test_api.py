"""Statuspage v2 read API: every key of every object, statuses, indicators, filters, CORS."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient  # first imported (warning silenced) by conftest

from statusd.db import transaction
from statusd.models import Component

from .data import NOW, add_incident, post_update, set_status

pytestmark = pytest.mark.db

BASE = "https://status.example.org"
PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
STATUS_KEYS = {"indicator", "description"}
COMPONENT_KEYS = {"id", "name", "status", "created_at", "updated_at", "position", "description",
                  "showcase", "start_date", "group_id", "page_id", "group",
                  "only_show_if_degraded"}
GROUP_KEYS = COMPONENT_KEYS | {"components"}
INCIDENT_KEYS = {"id", "name", "status", "created_at", "updated_at", "monitoring_at",
                 "resolved_at", "impact", "shortlink", "started_at", "page_id",
                 "incident_updates", "components"}
UPDATE_KEYS = {"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
               "affected_components", "deliver_notifications", "custom_tweet", "tweet_id"}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")
ENDPOINTS = ["summary.json", "status.json", "components.json", "incidents.json",
             "incidents/unresolved.json", "scheduled-maintenances.json",
             "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json"]


def get(client: TestClient, endpoint: str) -> dict[str, Any]:
    """GET /api/v2/<endpoint> and its JSON."""
    r = client.get(f"/api/v2/{endpoint}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    data: dict[str, Any] = r.json()
    return data


def check_page(page: dict[str, Any]) -> None:
    assert set(page) == PAGE_KEYS
    assert isinstance(page["id"], str) and page["id"]
    assert page["name"] == "Example status"
    assert page["url"] == BASE
    assert page["time_zone"] == "Etc/UTC"
    assert ISO.match(page["updated_at"])


def check_component(comp: dict[str, Any], page_id: str) -> None:
    assert set(comp) == (GROUP_KEYS if comp["group"] else COMPONENT_KEYS)
    assert isinstance(comp["id"], str)
    assert comp["status"] in {"operational", "degraded_performance", "partial_outage",
                              "major_outage", "under_maintenance"}
    assert ISO.match(comp["created_at"]) and ISO.match(comp["updated_at"])
    assert isinstance(comp["position"], int)
    assert comp["description"] is None or isinstance(comp["description"], str)
    assert isinstance(comp["showcase"], bool)
    assert comp["start_date"] is None or re.match(r"^\d{4}-\d\d-\d\d$", comp["start_date"])
    assert comp["group_id"] is None or isinstance(comp["group_id"], str)
    assert comp["page_id"] == page_id
    assert isinstance(comp["group"], bool)
    assert comp["only_show_if_degraded"] is False
    if comp["group"]:
        assert all(isinstance(i, str) for i in comp["components"])


def check_incident(inc: dict[str, Any], page_id: str) -> None:
    assert set(inc) == INCIDENT_KEYS
    assert isinstance(inc["id"], str)
    assert inc["status"] in {"investigating", "identified", "monitoring", "resolved"}
    assert inc["impact"] in {"none", "minor", "major", "critical"}
    for key in ("created_at", "updated_at", "started_at"):
        assert ISO.match(inc[key])
    for key in ("monitoring_at", "resolved_at"):
        assert inc[key] is None or ISO.match(inc[key])
    assert inc["shortlink"] == f"{BASE}/incidents/{inc['id']}"
    assert inc["page_id"] == page_id
    assert inc["started_at"] == inc["created_at"]
    for upd in inc["incident_updates"]:
        assert set(upd) == UPDATE_KEYS
        assert isinstance(upd["id"], str)
        assert upd["incident_id"] == inc["id"]
        assert upd["status"] in {"investigating", "identified", "monitoring", "resolved"}
        assert isinstance(upd["body"], str)
        for key in ("created_at", "updated_at", "display_at"):
            assert ISO.match(upd[key])
        assert upd["affected_components"] is None or isinstance(upd["affected_components"], list)
        assert isinstance(upd["deliver_notifications"], bool)
        assert upd["custom_tweet"] is None and upd["tweet_id"] is None
    for comp in inc["components"]:
        check_component(comp, page_id)


def test_summary_shape(engine: Engine, client: TestClient) -> None:
    inc = add_incident(engine, "Slow", "Looking.", components=["website"],
                       at=NOW - timedelta(hours=1))
    data = get(client, "summary.json")
    assert list(data) == ["page", "components", "incidents", "scheduled_maintenances", "status"]
    check_page(data["page"])
    page_id = data["page"]["id"]
    for comp in data["components"]:
        check_component(comp, page_id)
    assert [i["id"] for i in data["incidents"]] == [str(inc)]
    for i in data["incidents"]:
        check_incident(i, page_id)
    assert data["scheduled_maintenances"] == []
    assert set(data["status"]) == STATUS_KEYS
    assert data["page"]["updated_at"] == "2024-05-20T11:00:00.000+00:00"


def test_components_and_groups(client: TestClient, components: dict[str, int]) -> None:
    data = get(client, "components.json")
    assert list(data) == ["page", "components"]
    check_page(data["page"])
    comps = data["components"]
    assert [c["name"] for c in comps] == ["Public services", "Website", "API", "Mail"]
    group, website, api, mail = comps
    for c in comps:
        check_component(c, data["page"]["id"])
    assert group["group"] is True
    assert group["components"] == [str(components["website"]), str(components["api"])]
    assert website["id"] == str(components["website"])
    assert website["group"] is False and "components" not in website
    assert website["group_id"] == api["group_id"] == group["id"]
    assert mail["group_id"] is None
    assert website["description"] == "The public web site"
    assert api["description"] is None
    assert website["created_at"] == "2023-11-02T12:00:00.000+00:00"
    assert website["start_date"] == "2023-11-02"
    assert len({c["id"] for c in comps}) == 4  # group ids never clash with component ids


def test_component_statuses_and_hidden_components(engine: Engine, client: TestClient) -> None:
    set_status(engine, "api", "major_outage")
    set_status(engine, "mail", "under_maintenance")
    with transaction(engine) as s:
        s.add(Component(slug="old", name="Old", visible=False))
    comps = {c["name"]: c for c in get(client, "components.json")["components"]}
    assert "Old" not in comps
    assert comps["API"]["status"] == "major_outage"
    assert comps["Mail"]["status"] == "under_maintenance"
    assert comps["Website"]["status"] == "operational"
    assert comps["Public services"]["status"] == "major_outage"  # worst member
    assert comps["API"]["updated_at"] == "2024-05-20T12:00:00.000+00:00"


@pytest.mark.parametrize(("statuses", "indicator", "description"), [
    ({}, "none", "All Systems Operational"),
    ({"mail": "under_maintenance"}, "maintenance", "Service Under Maintenance"),
    ({"website": "degraded_performance", "mail": "under_maintenance"}, "minor",
     "Minor Service Outage"),
    ({"api": "partial_outage"}, "major", "Partial System Outage"),
    ({"api": "partial_outage", "mail": "major_outage"}, "critical", "Major System Outage"),
])
def test_status_indicator(engine: Engine, client: TestClient, statuses: dict[str, str],
                          indicator: str, description: str) -> None:
    for slug, status in statuses.items():
        set_status(engine, slug, status)
    data = get(client, "status.json")
    assert list(data) == ["page", "status"]
    check_page(data["page"])
    assert data["status"] == {"indicator": indicator, "description": description}
    assert get(client, "summary.json")["status"] == data["status"]


def test_incident_object(engine: Engine, client: TestClient, components: dict[str, int]) -> None:
    inc = add_incident(engine, "API errors", "Investigating.", components=["api", "website"],
                       at=NOW - timedelta(hours=3), impact="major")
    post_update(engine, inc, "identified", "Bad deploy.", NOW - timedelta(hours=2))
    post_update(engine, inc, "monitoring", "Rolled back.", NOW - timedelta(hours=1))
    post_update(engine, inc, "resolved", "All good.", NOW - timedelta(minutes=10))
    data = get(client, "incidents.json")
    assert list(data) == ["page", "incidents"]
    check_page(data["page"])
    [obj] = data["incidents"]
    check_incident(obj, data["page"]["id"])
    assert obj["id"] == str(inc)
    assert obj["name"] == "API errors"
    assert obj["status"] == "resolved"
    assert obj["impact"] == "major"
    assert obj["created_at"] == "2024-05-20T09:00:00.000+00:00"
    assert obj["monitoring_at"] == "2024-05-20T11:00:00.000+00:00"
    assert obj["resolved_at"] == "2024-05-20T11:50:00.000+00:00"
    assert obj["updated_at"] == obj["resolved_at"]
    assert [u["status"] for u in obj["incident_updates"]] == [
        "resolved", "monitoring", "identified", "investigating"]
    assert obj["incident_updates"][0]["body"] == "All good."
    assert obj["incident_updates"][0]["display_at"] == obj["resolved_at"]
    assert sorted(c["id"] for c in obj["components"]) == sorted(
        [str(components["api"]), str(components["website"])])
    assert obj["shortlink"] == f"{BASE}/incidents/{inc}"


def test_monitoring_at_is_null_until_monitoring(engine: Engine, client: TestClient) -> None:
    inc = add_incident(engine, "Open", "Looking.")
    [obj] = get(client, "incidents.json")["incidents"]
    assert obj["monitoring_at"] is None and obj["resolved_at"] is None
    assert obj["components"] == []
    post_update(engine, inc, "monitoring", "Watching.", NOW + timedelta(minutes=5))
    [obj] = get(client, "incidents.json")["incidents"]
    assert obj["monitoring_at"] == "2024-05-20T12:05:00.000+00:00"


def test_incidents_are_the_latest_fifty(engine: Engine, client: TestClient) -> None:
    ids = [add_incident(engine, f"Incident {i}", at=NOW - timedelta(hours=i)) for i in range(55)]
    got = [i["id"] for i in get(client, "incidents.json")["incidents"]]
    assert got == [str(i) for i in ids[:50]]


def test_unresolved_filter(engine: Engine, client: TestClient) -> None:
    done = add_incident(engine, "Done", at=NOW - timedelta(hours=5))
    post_update(engine, done, "resolved", "Fixed.", NOW - timedelta(hours=4))
    older = add_incident(engine, "Older open", at=NOW - timedelta(hours=3))
    newer = add_incident(engine, "Newer open", at=NOW - timedelta(hours=1), status="identified")
    post_update(engine, older, "monitoring", "Watching.", NOW - timedelta(hours=2))
    data = get(client, "incidents/unresolved.json")
    assert list(data) == ["page", "incidents"]
    assert [i["id"] for i in data["incidents"]] == [str(newer), str(older)]
    for i in data["incidents"]:
        check_incident(i, data["page"]["id"])
    assert [i["id"] for i in get(client, "summary.json")["incidents"]] == [str(newer), str(older)]
    assert len(get(client, "incidents.json")["incidents"]) == 3


@pytest.mark.parametrize("endpoint", ["scheduled-maintenances.json",
                                      "scheduled-maintenances/upcoming.json",
                                      "scheduled-maintenances/active.json"])
def test_scheduled_maintenances(client: TestClient, endpoint: str) -> None:
    data = get(client, endpoint)
    assert list(data) == ["page", "scheduled_maintenances"]
    check_page(data["page"])
    assert data["scheduled_maintenances"] == []


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_cors(client: TestClient, endpoint: str) -> None:
    r = client.get(f"/api/v2/{endpoint}", headers={"Origin": "https://elsewhere.example"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"


def test_unknown_api_path_is_json_404(client: TestClient) -> None:
    r = client.get("/api/v2/nothing.json")
    assert r.status_code == 404
    assert r.json() == {"error": "not found"}
    assert r.headers["access-control-allow-origin"] == "*"


def test_page_id_is_stable(client: TestClient, make_client: Any) -> None:
    first = get(client, "status.json")["page"]["id"]
    assert get(make_client(), "status.json")["page"]["id"] == first
    assert re.match(r"^[0-9a-f]{12}$", first)
