"""Pure topic rendering and parsing: "Website: operational | API: degraded_performance".

The topic lists every visible component as "Name: status", joined by " | ", in page order.
When that is longer than the server's TOPICLEN, slugs replace names; when still too long, only
the components that are not operational are listed, followed by "all others: operational";
as a last resort that list is cut and ends with "…". Parsing accepts any of these forms, names
or slugs in any case, and status names with spaces or hyphens ("major outage") or a unique
prefix ("degraded"). Segments it does not understand are reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from statusd.irc.text import ELLIPSIS, cut_bytes, match_choice, sanitize, text_budget, utf8_len
from statusd.models import ComponentStatus

SEP = " | "
OTHERS = "all others"
EMPTY = "no components"
STATUSES = tuple(s.value for s in ComponentStatus)
DEFAULT_TOPICLEN = 300  # when the server does not say (ISUPPORT TOPICLEN)


@dataclass(frozen=True, slots=True)
class ComponentView:
    """What the topic needs to know of a component."""

    slug: str
    name: str
    status: str


@dataclass(slots=True)
class TopicEdit:
    """What a topic says: slug -> status for each recognised segment, and what was not."""

    statuses: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    def changes(self, components: Sequence[ComponentView]) -> dict[str, str]:
        """The entries whose status differs from the component's shown status."""
        current = {c.slug: c.status for c in components}
        return {slug: st for slug, st in self.statuses.items() if current.get(slug) != st}


def topic_budget(channel: str, topiclen: object) -> int:
    """Bytes a topic may take: the server's TOPICLEN, and what fits in a relayed TOPIC line."""
    limit = text_budget("TOPIC", channel)
    try:
        return min(limit, int(str(topiclen))) if topiclen else min(limit, DEFAULT_TOPICLEN)
    except ValueError:
        return min(limit, DEFAULT_TOPICLEN)


def _label(c: ComponentView) -> str:
    """The component's name, or its slug when the name would not parse back."""
    name = sanitize(c.name, 60)
    if not name or any(ch in name for ch in "|:") or name.lower() in (OTHERS, EMPTY):
        return c.slug
    return name


def render_topic(components: Sequence[ComponentView], max_bytes: int) -> str:
    """The topic for these statuses, in the most readable form that fits in max_bytes."""
    if not components:
        return "No components"
    full = SEP.join(f"{_label(c)}: {c.status}" for c in components)
    if utf8_len(full) <= max_bytes:
        return full
    short = SEP.join(f"{c.slug}: {c.status}" for c in components)
    if utf8_len(short) <= max_bytes:
        return short
    bad = [f"{c.slug}: {c.status}" for c in components if c.status != "operational"]
    tail = f"{OTHERS}: operational"
    compact = SEP.join([*bad, tail])
    if utf8_len(compact) <= max_bytes:
        return compact
    out = ""
    for item in bad:
        candidate = f"{out}{SEP}{item}" if out else item
        if utf8_len(candidate + SEP + ELLIPSIS) > max_bytes:
            break
        out = candidate
    return cut_bytes(f"{out}{SEP}{ELLIPSIS}" if out else ELLIPSIS, max_bytes)


def _index(components: Sequence[ComponentView]) -> dict[str, str]:
    """Lower-cased name and slug -> slug."""
    index: dict[str, str] = {}
    for c in components:
        index.setdefault(sanitize(c.name, 60).casefold(), c.slug)
    for c in components:
        index[c.slug.casefold()] = c.slug  # slugs win over a name that happens to equal one
    return index


def parse_topic(text: str, components: Sequence[ComponentView]) -> TopicEdit:
    """Read a topic written in the rendered form; unknown segments are listed, not applied."""
    edit = TopicEdit()
    index = _index(components)
    for raw in sanitize(text, 1000).split("|"):
        segment = raw.strip()
        if not segment or segment == ELLIPSIS or segment.casefold() == EMPTY:
            continue
        key, sep, value = segment.rpartition(":")
        key = key.strip()
        if not sep or not key:
            edit.unknown.append(segment)
            continue
        if key.casefold() == OTHERS:
            continue
        slug = index.get(key.casefold())
        status = match_choice(value, STATUSES)
        if slug is None or status is None:
            edit.unknown.append(segment)
            continue
        edit.statuses[slug] = status
    return edit
