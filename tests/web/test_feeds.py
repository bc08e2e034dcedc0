"""Atom and RSS feeds: order, links, ids, titles, content, escaping, the 50 cap, per component."""

from __future__ import annotations

import calendar
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import feedparser
import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient  # first imported (warning silenced) by conftest

from statusd.db import transaction
from statusd.models import Component

from .conftest import AppFactory
from .data import NOW, add_incident, post_update
from .maint_data import add_maintenance, finish_maintenance

pytestmark = pytest.mark.db

BASE = "https://status.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = '<script>alert("x")</script> ]]> & <b>bold</b>\x1b'


def parse(client: TestClient, path: str) -> Any:
    """GET a feed, check it is well-formed, and parse it with feedparser."""
    r = client.get(path)
    assert r.status_code == 200, r.text
    kind = "atom" if path.endswith(".atom") else "rss"
    assert r.headers["content-type"] == f"application/{kind}+xml; charset=utf-8"
    assert "max-age=" in r.headers["cache-control"]
    ET.fromstring(r.content)  # well-formed XML, whatever the titles held
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def ts(parsed: Any) -> int:
    """A feedparser time tuple as a Unix timestamp."""
    return calendar.timegm(parsed)


def test_empty_feeds(client: TestClient) -> None:
    atom = parse(client, "/feed.atom")
    assert atom.version == "atom10"
    assert atom.feed.title == "Example status"
    assert atom.feed.id == f"{BASE}/feed.atom"
    links = {link.rel: link.href for link in atom.feed.links}
    assert links == {"self": f"{BASE}/feed.atom", "alternate": f"{BASE}/"}
    assert ts(atom.feed.updated_parsed) == int(NOW.timestamp())
    assert atom.entries == []
    rss = parse(client, "/feed.rss")
    assert rss.version == "rss20"
    assert rss.feed.title == "Example status"
    assert rss.feed.link == f"{BASE}/"
    assert rss.entries == []


@pytest.fixture
def mixed(engine: Engine, client: TestClient) -> dict[str, int]:
    """Two incidents and a maintenance; the older incident changed last."""
    old = add_incident(engine, "Database slow", "Looking.", components=["website"],
                       at=NOW - timedelta(hours=5))
    new = add_incident(engine, "Mail delayed", "Queue grows.", components=["mail"],
                       at=NOW - timedelta(hours=3))
    maint = add_maintenance(engine, "Router upgrade", "New firmware.", components=["api"],
                            start=NOW + timedelta(days=1), at=NOW - timedelta(hours=2))
    post_update(engine, old, "monitoring", "Fix deployed.", NOW - timedelta(hours=1))
    return {"old": old, "new": new, "maint": maint}


def test_entries_last_changed_first_with_permalinks(
    client: TestClient, mixed: dict[str, int],
) -> None:
    feed = parse(client, "/feed.atom")
    expected = [
        (f"{BASE}/incidents/{mixed['old']}", "[Monitoring] Database slow", 1),
        (f"{BASE}/maintenance/{mixed['maint']}", "[Scheduled] Router upgrade", 2),
        (f"{BASE}/incidents/{mixed['new']}", "[Investigating] Mail delayed", 3),
    ]
    assert [(e.id, e.link, e.title) for e in feed.entries] == [
        (url, url, title) for url, title, _ in expected
    ]
    assert [ts(e.updated_parsed) for e in feed.entries] == [
        int((NOW - timedelta(hours=hours)).timestamp()) for _, _, hours in expected
    ]
    assert ts(feed.entries[0].published_parsed) == int((NOW - timedelta(hours=5)).timestamp())
    assert [e.tags[0].term for e in feed.entries] == ["incident", "maintenance", "incident"]
    assert ts(feed.feed.updated_parsed) == int((NOW - timedelta(hours=1)).timestamp())
    rss = parse(client, "/feed.rss")
    assert [(e.id, e.link, e.title) for e in rss.entries] == [
        (url, url, title) for url, title, _ in expected
    ]
    guids = ET.fromstring(client.get("/feed.rss").content).iter("guid")
    assert [(g.text, g.get("isPermaLink")) for g in guids] == [
        (url, "true") for url, _, _ in expected
    ]


def test_content_is_the_timeline_newest_first(client: TestClient, mixed: dict[str, int]) -> None:
    feed = parse(client, "/feed.atom")
    incident = feed.entries[0].content[0]
    assert incident.type == "text/html"
    html = incident.value
    assert html.index("Fix deployed.") < html.index("Looking.")
    assert "Affected components: Website" in html
    maintenance = feed.entries[1].content[0].value
    assert "From 21 May 2024 12:00 UTC until 21 May 2024 14:00 UTC" in maintenance
    assert "Affected components: API" in maintenance
    assert "New firmware." in maintenance
    rss = parse(client, "/feed.rss")
    assert "Fix deployed." in rss.entries[0].summary


def test_entry_ids_are_stable(engine: Engine, client: TestClient, mixed: dict[str, int]) -> None:
    before = [e.id for e in parse(client, "/feed.atom").entries]
    finish_maintenance(engine, mixed["maint"], NOW)
    after = parse(client, "/feed.atom").entries
    assert after[0].title == "[Completed] Router upgrade"  # moved up, same id
    assert sorted(e.id for e in after) == sorted(before)


@pytest.mark.parametrize("path", ["/feed.atom", "/feed.rss"])
def test_hostile_text_is_escaped(engine: Engine, client: TestClient, path: str) -> None:
    with transaction(engine) as s:
        s.add(Component(slug="evil", name="<i>evil</i>"))
    add_incident(engine, HOSTILE, HOSTILE + "\nsecond line", components=["evil"])
    add_maintenance(engine, HOSTILE, HOSTILE, components=["evil"], start=NOW + timedelta(days=1))
    raw = client.get(path).content
    assert b"<script" not in raw and b"<b>" not in raw and b"]]>" not in raw
    root = ET.fromstring(raw)
    if path.endswith(".atom"):
        titles = [e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry")]
        bodies = [e.findtext(f"{ATOM}content") or "" for e in root.iter(f"{ATOM}entry")]
    else:
        titles = [e.findtext("title") or "" for e in root.iter("item")]
        bodies = [e.findtext("description") or "" for e in root.iter("item")]
    clean = HOSTILE.replace("\x1b", "\ufffd")
    assert sorted(titles) == [f"[Investigating] {clean}", f"[Scheduled] {clean}"]  # plain text
    for html in bodies:  # HTML in which the stored text is text, never markup
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; ]]&gt; &amp; &lt;b&gt;" in html
        assert "<script" not in html and "<b>" not in html and "<i>" not in html
        assert "&lt;i&gt;evil&lt;/i&gt;" in html
    feed = parse(client, path)
    assert {e.title for e in feed.entries} == {f"[Investigating] {clean}", f"[Scheduled] {clean}"}


def test_at_most_50_entries(engine: Engine, client: TestClient) -> None:
    for i in range(53):
        add_incident(engine, f"Incident {i}", at=NOW - timedelta(minutes=60 - i))
    entries = parse(client, "/feed.atom").entries
    assert len(entries) == 50
    assert entries[0].title == "[Investigating] Incident 52"
    assert entries[-1].title == "[Investigating] Incident 3"


def test_component_feed_has_only_that_component(
    engine: Engine, client: TestClient, mixed: dict[str, int],
) -> None:
    both = add_incident(engine, "Everything down", components=["website", "mail"],
                        at=NOW - timedelta(minutes=30))
    site_maint = add_maintenance(engine, "Web deploy", components=["website", "api"],
                                 start=NOW + timedelta(days=2), at=NOW - timedelta(minutes=20))
    feed = parse(client, "/components/website/feed.atom")
    assert feed.feed.title == "Example status · Website"
    assert feed.feed.id == f"{BASE}/components/website/feed.atom"
    assert [e.id for e in feed.entries] == [
        f"{BASE}/maintenance/{site_maint}", f"{BASE}/incidents/{both}",
        f"{BASE}/incidents/{mixed['old']}",
    ]
    api = parse(client, "/components/api/feed.atom")
    assert [e.id for e in api.entries] == [
        f"{BASE}/maintenance/{site_maint}", f"{BASE}/maintenance/{mixed['maint']}",
    ]
    rss = parse(client, "/components/mail/feed.rss")
    assert [e.id for e in rss.entries] == [
        f"{BASE}/incidents/{both}", f"{BASE}/incidents/{mixed['new']}",
    ]


def test_component_feed_unknown_or_hidden_is_404(engine: Engine, client: TestClient) -> None:
    with transaction(engine) as s:
        s.add(Component(slug="old", name="Old", visible=False))
    for path in ("/components/nope/feed.atom", "/components/old/feed.atom",
                 "/components/nope/feed.rss"):
        assert client.get(path).status_code == 404


def test_feed_titles_follow_the_page_language(
    engine: Engine, make_client: AppFactory, components: dict[str, int],
) -> None:
    add_incident(engine, "Panne", components=["website"])
    add_maintenance(engine, "Travaux", start=NOW + timedelta(days=1))
    client = make_client(page_language="fr")
    feed = parse(client, "/feed.atom")
    assert sorted(e.title for e in feed.entries) == ["[Analyse en cours] Panne",
                                                     "[Planifiée] Travaux"]
    assert feed.feed.language == "fr"


def test_pages_announce_and_link_the_feeds(client: TestClient) -> None:
    html = client.get("/").text
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/feed.atom"' in html and 'href="/feed.rss"' in html
    footer = html[html.index('<footer class="site-footer">'):]
    assert '<a href="/feed.atom" type="application/atom+xml">Atom feed</a>' in footer
    assert '<a href="/feed.rss" type="application/rss+xml">RSS feed</a>' in footer


def test_feeds_answer_head(client: TestClient) -> None:
    r = client.head("/feed.atom")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
