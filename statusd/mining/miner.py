"""The template miner: one streaming pass that groups masked lines into clusters, then a
refinement that merges clusters which turned out to be one template.

Online, a line is masked (statusd.mining.masking), split into tokens, and compared with the
clusters of the same token count: first those that share its leading token (or whose leading
token is already a wildcard), then the others of that length. The score is the share of
*constant* positions on which line and template agree; positions where either side is a
wildcard are left out of the count, so masked values neither help nor hurt. The best cluster
scoring at least ``threshold`` takes the line and every position where they differ becomes
``<*>``; otherwise the line starts a new cluster.

``groups()`` then refines without changing the online state: clusters of one length whose
templates now agree are merged, and clusters whose templates are equal once runs of ``<*>``
are collapsed to one are merged across lengths (a variable made of several words).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from statusd.mining.masking import WILDCARD, Masker

DEFAULT_THRESHOLD = 0.6
ABSORBED = 0.5  # weight of a constant that falls on a generalised position
SHAPE = 0.5  # weight of an agreeing token that is partly masked, such as [<*>] or key=<*>
_EXACT_LIMIT = 100_000


@dataclass(slots=True)
class Cluster:
    """A group of lines with the same template, as known so far."""

    id: int
    tokens: list[str]
    count: int = 1

    @property
    def template(self) -> str:
        """The template text, variable parts as <*>."""
        return " ".join(self.tokens)


@dataclass(slots=True)
class TemplateGroup:
    """A final template after refinement, with the online clusters it is made of."""

    id: int  # the smallest member cluster id: stable for a given input
    template: str
    count: int
    members: list[int] = field(default_factory=list)


def _is_var(token: str) -> bool:
    return WILDCARD in token


def score(template: Sequence[str], tokens: Sequence[str]) -> float:
    """How well a line's tokens fit a template of the same length, from 0 to 1.

    Equal constants agree (equal shapes such as ``[<*>]`` at weight SHAPE); differing ones
    disagree, the first position twice over; a bare ``<*>`` facing anything else weighs
    ABSORBED (a variable seen before, but a template that is nothing but wildcards must not
    swallow everything); a bare ``<*>`` on both sides says nothing.
    """
    agree = 0.0
    weight = 0.0
    first = True
    for t, w in zip(template, tokens, strict=True):
        if t == w:
            if t != WILDCARD:
                k = SHAPE if WILDCARD in t else 1.0
                agree += k
                weight += k
        elif t == WILDCARD or w == WILDCARD:
            weight += ABSORBED
        elif WILDCARD in t and _fits(t, w):
            agree += SHAPE
            weight += SHAPE
        else:
            weight += 2 if first else 1
        first = False
    return agree / weight if weight else 0.0


def generalize(template: list[str], tokens: Sequence[str]) -> bool:
    """Turn every position where the two differ into <*> (in place); True if any changed.

    A shared ``key=`` or ``key:`` beginning is kept: ``status=ok`` and ``status=failed``
    give ``status=<*>``.
    """
    changed = False
    for i, w in enumerate(tokens):
        t = template[i]
        if t != w and t != WILDCARD and not _fits(t, w):
            template[i] = _common_key(t, w) + WILDCARD
            changed = True
    return changed


def _fits(shape: str, token: str) -> bool:
    """Whether the token is an instance of a one-wildcard shape such as key=<*>."""
    if shape.count(WILDCARD) != 1:
        return False
    head, _, tail = shape.partition(WILDCARD)
    return (len(token) > len(head) + len(tail) - 1 and token.startswith(head)
            and token.endswith(tail))


def _common_key(a: str, b: str) -> str:
    """The common beginning of a and b up to its last '=' or ':' ("" if none)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    head = a[:n]
    cut = max(head.rfind("="), head.rfind(":"))
    return head[:cut + 1] if cut > 0 and WILDCARD not in head else ""


def collapse(tokens: Sequence[str]) -> tuple[str, ...]:
    """The tokens with each run of bare <*> tokens reduced to one."""
    out: list[str] = []
    for t in tokens:
        if t == WILDCARD and out and out[-1] == WILDCARD:
            continue
        out.append(t)
    return tuple(out)


class TemplateMiner:
    """Streaming template miner: add() lines one by one, then read groups()."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, masker: Masker | None = None):
        self.threshold = threshold
        self.masker = masker or Masker()
        self.clusters: list[Cluster] = []
        self._by_lead: dict[tuple[int, str], list[Cluster]] = {}
        self._exact: dict[str, Cluster] = {}

    def add(self, message: str) -> int:
        """Mine one message; returns the id of the online cluster that took it."""
        tokens = self.masker.tokens(message)
        key = " ".join(tokens)
        hit = self._exact.get(key)
        if hit is not None:
            hit.count += 1
            return hit.id
        cluster = self._best(tokens)
        if cluster is None:
            cluster = Cluster(len(self.clusters), list(tokens))
            self.clusters.append(cluster)
            self._by_lead.setdefault((len(tokens), lead_key(tokens)), []).append(cluster)
        else:
            cluster.count += 1
            before = lead_key(cluster.tokens)
            if generalize(cluster.tokens, tokens) and lead_key(cluster.tokens) != before:
                self._by_lead[(len(tokens), before)].remove(cluster)
                self._by_lead.setdefault((len(tokens), lead_key(cluster.tokens)), []).append(
                    cluster)
        if len(self._exact) >= _EXACT_LIMIT:
            self._exact.clear()
        self._exact[key] = cluster
        return cluster.id

    def add_all(self, messages: Iterable[str]) -> list[int]:
        """Mine many messages; their online cluster ids, in order."""
        return [self.add(m) for m in messages]

    def _best(self, tokens: list[str]) -> Cluster | None:
        """The cluster scoring highest (at least the threshold) for these tokens, if any.

        Only clusters with the same leading token, or a wildcard there, are tried: the first
        word of a message is nearly always part of its template (the bet Drain makes too).
        """
        n = len(tokens)
        key = lead_key(tokens)
        near = self._by_lead.get((n, key), [])
        if key != WILDCARD:
            near = near + self._by_lead.get((n, WILDCARD), [])
        return self._pick(near, tokens)

    def _pick(self, candidates: Iterable[Cluster], tokens: list[str]) -> Cluster | None:
        """The best-scoring candidate at or above the threshold (ties: the bigger one)."""
        best: Cluster | None = None
        best_score = self.threshold
        for c in candidates:
            s = score(c.tokens, tokens)
            if s > best_score or (s == best_score and (best is None or c.count > best.count)):
                best, best_score = c, s
        return best

    def groups(self) -> list[TemplateGroup]:
        """The final templates, first seen first: online clusters merged where they are one."""
        from statusd.mining.refine import refine

        return refine(self.clusters, self.threshold)

    def assignments(self) -> dict[int, TemplateGroup]:
        """Online cluster id -> its final group."""
        return {member: g for g in self.groups() for member in g.members}


def lead_position(tokens: Sequence[str]) -> int | None:
    """Where the leading word is: the first token, or the second after a variable one."""
    for i in (0, 1):
        if i < len(tokens) and WILDCARD not in tokens[i]:
            return i
    return None


def lead_key(tokens: Sequence[str]) -> str:
    """The bucket key: the leading word ("<*> word" after a variable), or <*> if none."""
    i = lead_position(tokens)
    if i is None:
        return WILDCARD
    return tokens[0] if i == 0 else f"{WILDCARD} {tokens[1]}"


