"""Refinement: merge the online clusters of a TemplateMiner that turned out to be one template.

Runs after the stream (``TemplateMiner.groups()``) on copies, so the miner can go on mining:

1. clusters of one length and one leading word (or a wildcard there) whose templates now score
   at least the threshold against each other;
2. clusters equal but for the leading word, when that word takes at least FIRST_WORD_VALUES
   values: the leading word is then a variable;
3. clusters sharing a beginning that ends in a ``label:`` or ``=`` token, going on in at least
   TAIL_VALUES different ways: what follows is free text (a reason, an error message);
4. clusters whose templates are equal once runs of ``<*>`` are collapsed to one ``<*>``
   (a variable made of a varying number of words).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from statusd.mining.masking import WILDCARD
from statusd.mining.miner import (
    Cluster,
    TemplateGroup,
    collapse,
    generalize,
    lead_key,
    lead_position,
    score,
)

FIRST_WORD_VALUES = 4  # values a leading word must take, the rest equal, to count as variable
TAIL_VALUES = 3  # different endings after a "label:" that make the ending a variable
TAIL_PREFIX_WORDS = 2  # constant words the shared "label:" beginning must hold
SCAN_LIMIT = 400  # groups one group is compared with


def refine(clusters: Sequence[Cluster], threshold: float,
           first_word_values: int = FIRST_WORD_VALUES) -> list[TemplateGroup]:
    """Final template groups of the online clusters, first seen first."""
    parts = [_Part(c.id, list(c.tokens), c.count, [c.id]) for c in clusters]
    buckets: dict[tuple[int, str], list[_Part]] = {}
    for p in parts:
        buckets.setdefault((len(p.tokens), lead_key(p.tokens)), []).append(p)
    merged: list[_Part] = []
    for (_, first), bucket in sorted(buckets.items()):
        if first == WILDCARD:
            continue
        merged.extend(_merge_similar(bucket, threshold))
    wild = [p for (_, first), b in buckets.items() if first == WILDCARD for p in b]
    merged = _merge_into_wild(merged, wild, threshold)
    merged = _merge_first_word(merged, first_word_values)
    merged = _merge_tails(merged, TAIL_VALUES)
    by_shape: dict[tuple[str, ...], _Part] = {}
    for p in sorted(merged, key=lambda p: p.id):
        shape = collapse(p.tokens)
        other = by_shape.get(shape)
        if other is None:
            by_shape[shape] = p
        else:
            other.absorb(p)
            other.tokens = list(shape)
    return [TemplateGroup(p.id, " ".join(p.tokens), p.count, sorted(p.members))
            for p in sorted(by_shape.values(), key=lambda p: p.id)]


@dataclass(slots=True)
class _Part:
    """A group being built by refine()."""

    id: int
    tokens: list[str]
    count: int
    members: list[int]

    def absorb(self, other: _Part) -> None:
        """Take the other part's lines; the smaller id (first seen) names the result."""
        if len(other.tokens) == len(self.tokens):
            generalize(self.tokens, other.tokens)
        self.count += other.count
        self.members.extend(other.members)
        self.id = min(self.id, other.id)


def _merge_similar(parts: list[_Part], threshold: float) -> list[_Part]:
    """Greedy merge, biggest first, of same-length parts whose templates score >= threshold."""
    kept: list[_Part] = []
    for p in sorted(parts, key=lambda p: (-p.count, p.id)):
        into = next((k for k in kept[:SCAN_LIMIT] if score(k.tokens, p.tokens) >= threshold),
                    None)
        if into is None:
            kept.append(p)
        else:
            into.absorb(p)
    return kept


def _merge_into_wild(parts: list[_Part], wild: list[_Part], threshold: float) -> list[_Part]:
    """Parts whose template starts with a wildcard, merged with each other and then take
    same-length parts that fit them."""
    by_length: dict[int, list[_Part]] = {}
    for w in wild:
        by_length.setdefault(len(w.tokens), []).append(w)
    by_length = {n: _merge_similar(ws, threshold) for n, ws in by_length.items()}
    out = [w for ws in by_length.values() for w in ws]
    for p in parts:
        into = next((w for w in by_length.get(len(p.tokens), ())
                     if score(w.tokens, p.tokens) >= threshold), None)
        if into is None:
            out.append(p)
        else:
            into.absorb(p)
    return out


def _merge_first_word(parts: list[_Part], values: int) -> list[_Part]:
    """Merge parts equal but for their leading word when it takes at least `values` values."""
    siblings: dict[tuple[int, tuple[str, ...]], list[_Part]] = {}
    out: list[_Part] = []
    for p in parts:
        i = lead_position(p.tokens)
        if i is None:
            out.append(p)
        else:
            siblings.setdefault((i, (*p.tokens[:i], "", *p.tokens[i + 1:])), []).append(p)
    for (i, _), group in siblings.items():
        if len(group) < values:
            out.extend(group)
            continue
        head = min(group, key=lambda p: p.id)
        for p in group:
            if p is not head:
                head.absorb(p)
        head.tokens[i] = WILDCARD
        out.append(head)
    return out


def _merge_tails(parts: list[_Part], values: int) -> list[_Part]:
    """Merge parts that share a "... label:" beginning and end in `values` or more ways."""
    by_prefix: dict[tuple[str, ...], list[_Part]] = {}
    for p in parts:
        words = 0.0
        for i, t in enumerate(p.tokens[:-1]):
            if WILDCARD not in t:
                words += 1
            if words >= TAIL_PREFIX_WORDS and (t.endswith(":") or t == "="):
                by_prefix.setdefault(tuple(p.tokens[:i + 1]), []).append(p)
    taken: set[int] = set()
    heads: dict[int, _Part] = {}
    for prefix in sorted(by_prefix, key=lambda k: (-len(k), k)):
        group = [p for p in by_prefix[prefix] if id(p) not in taken]
        if len(group) < values:
            continue
        head = min(group, key=lambda p: p.id)
        for p in group:
            taken.add(id(p))
            if p is not head:
                head.absorb(p)
        head.tokens = [*prefix, WILDCARD]
        heads[id(head)] = head
    return [p for p in parts if id(p) not in taken] + list(heads.values())
