"""/badge/{slug}.svg: a small flat badge with a component's name and status."""

from __future__ import annotations

import unicodedata
from html import escape

from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from statusd.models import ComponentStatus
from statusd.web import queries
from statusd.web.feeds import xml_text
from statusd.web.state import web_state
from statusd.web.templating import Translator, status_label_en

CACHE_CONTROL = "public, max-age=60"
MAX_NAME = 40  # characters of the name shown; longer names end in an ellipsis
LABEL_COLOUR = "#555"
# Background per status; white text reads on each (contrast 4.5:1 or more).
COLOURS = {
    ComponentStatus.OPERATIONAL.value: "#1e7f4f",
    ComponentStatus.UNDER_MAINTENANCE.value: "#2f5fb3",
    ComponentStatus.DEGRADED_PERFORMANCE.value: "#9a5b00",
    ComponentStatus.PARTIAL_OUTAGE.value: "#c2410c",
    ComponentStatus.MAJOR_OUTAGE.value: "#b42318",
}
UNKNOWN_COLOUR = "#6b7280"
CHAR_WIDTH = 7  # px per character of 11px Verdana, near enough for a badge
PADDING = 6


def text_width(text: str) -> int:
    """Approximate width in pixels of text in the badge's font (wide characters count double)."""
    units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return units * CHAR_WIDTH + 2 * PADDING


def shorten(text: str, limit: int = MAX_NAME) -> str:
    """text cut to limit characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def render_badge(name: str, status: str, label: str) -> str:
    """The SVG of a badge: name on grey on the left, label on the status colour on the right."""
    name = xml_text(shorten(name))
    label = xml_text(label)
    left, right = text_width(name), text_width(label)
    total = left + right
    colour = COLOURS.get(status, UNKNOWN_COLOUR)
    n, lab = escape(name), escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{n}: {lab}">'
        f"<title>{n}: {lab}</title>"
        f'<rect width="{left}" height="20" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" '
        f'text-anchor="middle">'
        f'<text x="{left / 2:g}" y="14">{n}</text>'
        f'<text x="{left + right / 2:g}" y="14">{lab}</text>'
        f"</g></svg>"
    )


def badge(request: Request) -> Response:
    """GET /badge/{slug}.svg: the component's status as an SVG badge."""
    st = web_state(request)
    with Session(st.db) as session:
        component = queries.visible_component(session, request.path_params["slug"])
    if component is None:
        raise HTTPException(status_code=404)
    t = Translator(str(st.settings.get("page.language")))
    svg = render_badge(component.name, component.status, t(status_label_en(component.status)))
    return Response(svg, media_type="image/svg+xml; charset=utf-8",
                    headers={"Cache-Control": CACHE_CONTROL})
