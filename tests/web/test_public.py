"""The public page: banner, groups, incidents, permalinks, history, escaping, bars, htmx, i18n."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient  # first imported (warning silenced) by conftest

from statusd.db import transaction
from statusd.models import Component, ComponentGroup, ComponentStatus, IncidentStatus
from statusd.web import templating
from statusd.web.templating import BANNER, HTMX_VERSION, MONTHS, TRANSLATIONS

from .conftest import AppFactory
from .data import NOW, add_incident, post_update, set_status

pytestmark = pytest.mark.db

HOSTILE_TITLE = '<script>alert("title")</script>'
HOSTILE_BODY = '<img src=x onerror=alert(1)><b>bold</b>'


def banner(html: str) -> str:
    """The banner's heading text."""
    m = re.search(r'<h1 id="banner-title">(.*?)</h1>', html)
    assert m, "no banner"
    return m.group(1)


def section(html: str, css_class: str) -> str:
    """The first <section class="css_class"> ... up to the next top-level section."""
    start = html.index(f'<section class="{css_class}"')
    nxt = html.find('\n  <section class="', start + 1)
    return html[start:nxt if nxt != -1 else len(html)]


def bar_of(html: str, name: str) -> list[str]:
    """The day classes of the named component's uptime bar."""
    for block in html.split('<li class="component">')[1:]:
        if f'<span class="component-name">{name}</span>' in block:
            return re.findall(r'class="day status-(\w+)"', block)
    raise AssertionError(f"no component {name}")


# -- banner -------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "wording", "css"), [
    ({}, "All systems operational", "operational"),
    ({"mail": "under_maintenance"}, "Maintenance in progress", "under_maintenance"),
    ({"website": "degraded_performance"}, "Degraded performance", "degraded_performance"),
    ({"api": "partial_outage", "mail": "under_maintenance"}, "Partial outage", "partial_outage"),
    ({"website": "degraded_performance", "mail": "major_outage"}, "Major outage", "major_outage"),
])
def test_banner_says_the_worst_status(
    engine: Engine, client: TestClient, changes: dict[str, str], wording: str, css: str
) -> None:
    for slug, status in changes.items():
        set_status(engine, slug, status)
    r = client.get("/")
    assert r.status_code == 200
    assert banner(r.text) == wording
    assert f'class="banner status-{css}"' in r.text


def test_every_overall_status_has_a_banner() -> None:
    assert set(BANNER) == {s.value for s in ComponentStatus}


def test_empty_site(make_client: AppFactory) -> None:
    html = make_client().get("/").text
    assert banner(html) == "All systems operational"
    assert '<section class="components"' not in html


# -- components and groups -----------------------------------------------------------------

def test_components_by_group_and_ungrouped(engine: Engine, client: TestClient) -> None:
    set_status(engine, "api", "partial_outage")
    html = client.get("/").text
    group = html[html.index('<section class="group"'):html.index("</section>",
                                                                  html.index('class="group"'))]
    assert '<span class="group-name">Public services</span>' in group
    assert "Website" in group and "API" in group and "Mail" not in group
    # the group shows its worst member
    assert '<span class="status-tag status-partial_outage">Partial outage</span>' in group
    components = section(html, "components")
    assert '<span class="component-name">Mail</span>' in components
    assert "The public web site" in components  # description
    assert components.index("Website") < components.index("API") < components.index("Mail")


def test_hidden_components_and_empty_groups_are_not_shown(
    engine: Engine, client: TestClient
) -> None:
    with transaction(engine) as s:
        g = ComponentGroup(name="Retired services", position=5)
        s.add(g)
        s.flush()
        s.add(Component(slug="old", name="Old thing", group_id=g.id, visible=False))
        s.add(Component(slug="gone", name="Gone thing", visible=False,
                        status="major_outage", manual_status="major_outage"))
    html = client.get("/").text
    assert "Retired services" not in html
    assert "Old thing" not in html and "Gone thing" not in html
    assert banner(html) == "All systems operational"


# -- incidents ---------------------------------------------------------------------------

def test_open_incident_with_timeline_newest_first(engine: Engine, client: TestClient) -> None:
    inc = add_incident(engine, "Website slow", "We are looking into it.",
                       components=["website"], at=NOW - timedelta(hours=2))
    post_update(engine, inc, "identified", "A disk is full.", NOW - timedelta(hours=1))
    post_update(engine, inc, "monitoring", "Fix deployed.", NOW - timedelta(minutes=30))
    html = client.get("/").text
    active = section(html, "incidents")
    assert f'<a href="/incidents/{inc}">Website slow</a>' in active
    assert active.index("Fix deployed.") < active.index("A disk is full.") \
        < active.index("We are looking into it.")
    assert "Monitoring" in active and "Identified" in active and "Investigating" in active
    assert '<span class="affected-component">Website</span>' in active
    assert "30 minutes ago" in active  # relative time, against the app's clock


def test_resolved_incidents_leave_the_active_list(engine: Engine, client: TestClient) -> None:
    inc = add_incident(engine, "Mail delays", "Queue building up.", components=["mail"],
                       at=NOW - timedelta(days=1))
    post_update(engine, inc, "resolved", "All mail delivered.", NOW - timedelta(hours=20))
    html = client.get("/").text
    assert '<section class="incidents"' not in html
    past = section(html, "past")
    assert "Mail delays" in past and "All mail delivered." in past


def test_recent_history_covers_history_days(engine: Engine, make_client: AppFactory,
                                            components: dict[str, int]) -> None:
    add_incident(engine, "Three days back", at=NOW - timedelta(days=3))
    add_incident(engine, "Long ago", at=NOW - timedelta(days=20))
    html = make_client().get("/").text
    past = section(html, "past")
    assert "Three days back" in past and "Long ago" not in past
    assert past.count('<h3 class="day">') == 14
    assert '<h3 class="day">17 May 2024</h3>' in past
    assert "No incidents reported." in past
    short = make_client(page_history_days=2).get("/").text
    assert section(short, "past").count('<h3 class="day">') == 2
    assert "Three days back" not in section(short, "past")


def test_incident_permalink(engine: Engine, client: TestClient) -> None:
    inc = add_incident(engine, "API errors", "Errors on /v1.", components=["api", "website"],
                       at=NOW - timedelta(hours=3))
    post_update(engine, inc, "resolved", "Rolled back.", NOW - timedelta(hours=1))
    r = client.get(f"/incidents/{inc}")
    assert r.status_code == 200
    html = r.text
    assert "<h1>API errors</h1>" in html
    assert html.index("Rolled back.") < html.index("Errors on /v1.")
    assert "Resolved at" in html
    assert '<time datetime="2024-05-20T09:00:00+00:00">20 May 2024 09:00 UTC</time>' in html
    assert '<span class="affected-component">Website</span>' in html
    assert '<span class="affected-component">API</span>' in html


@pytest.mark.parametrize("path", ["/incidents/999", "/incidents/0", "/incidents/99999999999999",
                                  "/no/such/page", "/theme/nothing.css"])
def test_not_found_page(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Page not found" in r.text
    assert r.headers["x-frame-options"] == "DENY"


# -- history -------------------------------------------------------------------------------

def test_history_empty(client: TestClient) -> None:
    r = client.get("/history")
    assert r.status_code == 200
    assert "No incidents yet." in r.text and "Page 1 of 1" in r.text
    assert 'rel="next"' not in r.text and 'rel="prev"' not in r.text


def test_history_pagination(engine: Engine, client: TestClient) -> None:
    ids = [add_incident(engine, f"Incident number {i}", at=NOW - timedelta(hours=i))
           for i in range(25)]
    first = client.get("/history")
    titles = re.findall(r">Incident number (\d+)</a>", first.text)
    assert titles == [str(i) for i in range(20)]  # newest first
    assert 'rel="next" href="/history?page=2"' in first.text
    assert 'rel="prev"' not in first.text
    assert "Page 1 of 2" in first.text
    second = client.get("/history?page=2")
    assert re.findall(r">Incident number (\d+)</a>", second.text) == ["20", "21", "22", "23", "24"]
    assert 'rel="prev" href="/history?page=1"' in second.text
    assert 'rel="next"' not in second.text
    assert f'href="/incidents/{ids[24]}"' in second.text
    for bad in ("3", "0", "-1", "abc"):
        assert client.get(f"/history?page={bad}").status_code == 404


# -- escaping ------------------------------------------------------------------------------

def test_everything_from_the_database_is_escaped(engine: Engine, client: TestClient) -> None:
    with transaction(engine) as s:
        s.add(Component(slug="evil", name='<svg onload="alert(2)">', description="<i>desc</i>"))
    inc = add_incident(engine, HOSTILE_TITLE, HOSTILE_BODY, components=["evil"])
    post_update(engine, inc, "identified", HOSTILE_BODY + " again", NOW + timedelta(minutes=1))
    old = add_incident(engine, HOSTILE_TITLE, HOSTILE_BODY, at=NOW - timedelta(days=2))
    post_update(engine, old, "resolved", HOSTILE_BODY, NOW - timedelta(days=1))
    for path in ("/", "/partials/status", f"/incidents/{inc}", f"/incidents/{old}", "/history"):
        html = client.get(path).text
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
        assert "<svg" not in html and "<i>desc" not in html, path
        assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html, path
        assert "&lt;img src=x onerror=alert(1)&gt;&lt;b&gt;bold&lt;/b&gt;" in html, path


def test_no_inline_script_or_style(engine: Engine, client: TestClient) -> None:
    add_incident(engine, "Something", "Body", components=["website"])
    for path in ("/", "/history", "/incidents/1", "/nope"):
        html = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, tag
        assert "<style" not in html and " style=" not in html
        assert not re.search(r"\son\w+=", html)


# -- uptime bars ---------------------------------------------------------------------------

def test_uptime_bars(engine: Engine, client: TestClient) -> None:
    set_status(engine, "website", "partial_outage", NOW - timedelta(days=3))
    set_status(engine, "website", "operational", NOW - timedelta(days=3, hours=-1))
    set_status(engine, "api", "degraded_performance", NOW - timedelta(hours=1))
    with transaction(engine) as s:
        s.add(Component(slug="fresh", name="Fresh", created_at=NOW - timedelta(days=10),
                        updated_at=NOW - timedelta(days=10)))
    html = client.get("/").text
    website = bar_of(html, "Website")
    assert len(website) == 90
    assert website[86] == "partial_outage"
    assert website.count("operational") == 89
    assert bar_of(html, "API") == ["operational"] * 89 + ["degraded_performance"]
    assert bar_of(html, "Mail") == ["operational"] * 90
    fresh = bar_of(html, "Fresh")
    assert fresh == ["nodata"] * 79 + ["operational"] * 11
    assert 'title="17 May 2024: Partial outage"' in html
    assert 'title="20 February 2024: No data"' not in html  # window starts 21 February
    assert 'title="21 February 2024: No data"' in html
    assert "100% uptime" in html


# -- htmx live refresh ---------------------------------------------------------------------

def test_status_partial_is_the_region_alone(engine: Engine, client: TestClient) -> None:
    page = client.get("/").text
    r = client.get("/partials/status")
    assert r.status_code == 200
    frag = r.text.strip()
    assert frag.startswith('<div id="status" class="status-region" hx-get="/partials/status" '
                           'hx-trigger="every 30s" hx-swap="outerHTML">')
    assert "<html" not in frag and "<!doctype" not in frag.lower() and "<head" not in frag
    assert frag.splitlines()[0] in page  # the page embeds the same region
    assert banner(frag) == "All systems operational"
    set_status(engine, "mail", "major_outage")
    assert banner(client.get("/partials/status").text) == "Major outage"


def test_refresh_interval_follows_settings(make_client: AppFactory,
                                           components: dict[str, int]) -> None:
    html = make_client(page_refresh=7).get("/").text
    assert 'hx-trigger="every 7s"' in html


def test_htmx_is_vendored_and_deferred(client: TestClient) -> None:
    html = client.get("/").text
    assert f'<script src="/static/htmx-{HTMX_VERSION}.min.js" defer></script>' in html
    r = client.get(f"/static/htmx-{HTMX_VERSION}.min.js")
    assert r.status_code == 200
    assert f'version:"{HTMX_VERSION}"' in r.text
    assert "javascript" in r.headers["content-type"]


def test_page_works_for_phones(client: TestClient) -> None:
    html = client.get("/").text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    css = client.get("/theme/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    widths = [int(w) for w in re.findall(r"\bwidth:\s*(\d+)px", css.text)]
    assert all(w <= 320 for w in widths)
    assert "prefers-color-scheme: dark" in css.text


def test_security_headers(client: TestClient) -> None:
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"]


# -- language and themes -------------------------------------------------------------------

def test_french(engine: Engine, make_client: AppFactory, components: dict[str, int]) -> None:
    inc = add_incident(engine, "Lenteurs", "On regarde.", components=["website"],
                       at=NOW - timedelta(hours=2))
    client = make_client(page_language="fr")
    html = client.get("/").text
    assert '<html lang="fr">' in html
    assert banner(html) == "Tous les systèmes sont opérationnels"
    assert "Composants" in html and "Incidents en cours" in html
    assert "il y a 2 heures" in html
    assert "20 mai 2024" in html
    assert "100 % de disponibilité" in html
    set_status(engine, "website", "partial_outage")
    assert banner(client.get("/partials/status").text) == "Panne partielle"
    assert "Analyse en cours" in client.get(f"/incidents/{inc}").text
    assert "Page introuvable" in client.get("/nope").text


def _template_strings() -> set[str]:
    found: set[str] = set()
    for path in (templating.THEMES_DIR / "default" / "templates").glob("*.html"):
        text = path.read_text()
        found.update(re.findall(r"""\bt\(\s*["']([^"']+)["']""", text))
        for one, many in re.findall(r"""\btn\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']""",
                                    text):
            found.update((one, many))
    return found


def test_every_ui_string_has_a_french_wording() -> None:
    strings = _template_strings()
    assert "All systems operational" not in strings  # banner wording comes from BANNER
    strings |= set(BANNER.values()) | set(MONTHS)
    strings |= {s.label for s in ComponentStatus} | {s.value.capitalize() for s in IncidentStatus}
    strings |= {"No data", "just now", "{n} minute ago", "{n} minutes ago", "{n} hour ago",
                "{n} hours ago", "{n} day ago", "{n} days ago"}
    missing = sorted(s for s in strings if s not in TRANSLATIONS["fr"])
    assert not missing


def test_theme_overrides_templates_and_assets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_client: AppFactory,
    components: dict[str, int],
) -> None:
    themes = tmp_path / "themes"
    shutil.copytree(templating.THEMES_DIR / "default", themes / "default")
    (themes / "default" / "static" / "only-default.css").write_text(".d {}")
    (themes / "ocean" / "templates").mkdir(parents=True)
    (themes / "ocean" / "static").mkdir()
    (themes / "ocean" / "templates" / "base.html").write_text(
        '{% extends "default:base.html" %}{% block title %}Ocean {{ page_title }}{% endblock %}'
    )
    (themes / "ocean" / "static" / "style.css").write_text("body { color: navy; }")
    monkeypatch.setattr(templating, "THEMES_DIR", themes)
    client = make_client(page_theme="ocean")
    html = client.get("/").text
    assert "<title>Ocean Example status</title>" in html
    assert banner(html) == "All systems operational"  # the rest comes from the default theme
    assert client.get("/theme/style.css").text == "body { color: navy; }"
    assert client.get("/theme/only-default.css").text == ".d {}"  # falls back to default


def test_unknown_theme_falls_back_to_default(make_client: AppFactory,
                                             components: dict[str, int]) -> None:
    client = make_client(page_theme="../../etc")
    assert banner(client.get("/").text) == "All systems operational"
    assert client.get("/theme/style.css").status_code == 200
