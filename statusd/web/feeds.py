"""Atom and RSS feeds of incidents and planned maintenance, for the whole page and per component."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from feedgen.feed import FeedGenerator
from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

import statusd
from statusd.web import maintenance, queries
from statusd.web.maintenance import MaintenanceRow
from statusd.web.queries import ComponentRow, IncidentRow
from statusd.web.state import WebState, web_state
from statusd.web.templating import Translator, status_label_en

MAX_ENTRIES = 50
MEDIA_TYPES = {"atom": "application/atom+xml; charset=utf-8",
               "rss": "application/rss+xml; charset=utf-8"}
CACHE_CONTROL = "public, max-age=60"
# Characters XML 1.0 cannot carry at all (lxml refuses them); log-fed text may hold any.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """value with the characters XML cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """An incident or a maintenance, as one feed entry."""

    kind: str  # "incident" or "maintenance"
    row: IncidentRow | MaintenanceRow

    @property
    def path(self) -> str:
        """The permalink's path."""
        prefix = "/incidents" if self.kind == "incident" else "/maintenance"
        return f"{prefix}/{self.row.id}"

    @property
    def updated(self) -> datetime:
        """When it last changed: its latest timeline entry."""
        return self.row.updated_at


def merge(incidents: list[IncidentRow], maintenances: list[MaintenanceRow],
          limit: int = MAX_ENTRIES) -> list[FeedItem]:
    """Incidents and maintenances together, last changed first, at most limit of them."""
    items = [FeedItem("incident", i) for i in incidents]
    items += [FeedItem("maintenance", m) for m in maintenances]
    items.sort(key=lambda item: (item.updated, item.kind == "incident", item.row.id),
               reverse=True)
    return items[:limit]


def load_items(st: WebState, component: ComponentRow | None = None) -> list[FeedItem]:
    """The feed's entries: of the whole page, or only those affecting component."""
    component_id = component.id if component is not None else None
    with Session(st.db) as session:
        incidents = queries.recently_updated_incidents(session, MAX_ENTRIES, component_id)
        maints = maintenance.recently_updated_maintenances(session, MAX_ENTRIES, component_id)
    return merge(incidents, maints)


def entry_content(st: WebState, item: FeedItem) -> str:
    """The entry's timeline as HTML, every stored text escaped."""
    template = st.templates.env.get_template("_feed_entry.html")
    return template.render(kind=item.kind, item=item.row, now=st.clock())


def build_feed(st: WebState, items: list[FeedItem], *, title: str, path: str) -> FeedGenerator:
    """A feed generator holding items, newest first; its id and self link are base_url + path."""
    base = st.settings.base_url
    language = str(st.settings.get("page.language"))
    t = Translator(language)
    fg = FeedGenerator()
    fg.id(base + path)
    fg.title(xml_text(title))
    fg.author(name=xml_text(str(st.settings.get("page.title"))))
    fg.link(href=base + path, rel="self")
    fg.link(href=base + "/", rel="alternate")  # the last link is RSS's channel link
    fg.description(xml_text(str(st.settings.get("page.description")) or title))
    fg.language(language)
    fg.generator("statusd", statusd.__version__)
    fg.updated(max((item.updated for item in items), default=st.clock()))
    for item in items:
        url = base + item.path
        fe = fg.add_entry(order="append")
        fe.id(url)
        fe.guid(url, permalink=True)
        fe.title(xml_text(f"[{t(status_label_en(item.row.status))}] {item.row.title}"))
        fe.link(href=url, rel="alternate")
        fe.category(term=item.kind)
        fe.published(item.row.created_at)
        fe.updated(item.updated)
        fe.content(xml_text(entry_content(st, item)), type="html")
    return fg


def _respond(fg: FeedGenerator, kind: str) -> Response:
    body = fg.atom_str(pretty=True) if kind == "atom" else fg.rss_str(pretty=True)
    return Response(body, media_type=MEDIA_TYPES[kind],
                    headers={"Cache-Control": CACHE_CONTROL})


def _site_feed(request: Request, kind: str) -> Response:
    st = web_state(request)
    fg = build_feed(st, load_items(st), title=str(st.settings.get("page.title")),
                    path=f"/feed.{kind}")
    return _respond(fg, kind)


def feed_atom(request: Request) -> Response:
    """GET /feed.atom: incidents and maintenance, last changed first."""
    return _site_feed(request, "atom")


def feed_rss(request: Request) -> Response:
    """GET /feed.rss: the same entries as RSS 2.0."""
    return _site_feed(request, "rss")


def _component_feed(request: Request, kind: str) -> Response:
    st = web_state(request)
    slug: str = request.path_params["slug"]
    with Session(st.db) as session:
        component = queries.visible_component(session, slug)
    if component is None:
        raise HTTPException(status_code=404)
    title = f"{st.settings.get('page.title')} · {component.name}"
    fg = build_feed(st, load_items(st, component), title=title,
                    path=f"/components/{quote(component.slug)}/feed.{kind}")
    return _respond(fg, kind)


def component_feed_atom(request: Request) -> Response:
    """GET /components/{slug}/feed.atom: incidents and maintenance affecting one component."""
    return _component_feed(request, "atom")


def component_feed_rss(request: Request) -> Response:
    """GET /components/{slug}/feed.rss: the same as RSS 2.0."""
    return _component_feed(request, "rss")
