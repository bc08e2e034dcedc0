"""Labelled log samples for measuring template miners: generated lines with their true template.

Each system is a list of templates written as text with ``{kind}`` slots, most frequent first;
a slot is one variable of the log statement (it may expand to several words). A template is one
log statement of the program, so two statements that differ by one word are two templates, and
a word that the program fills in (a state, a user) is a variable. Generation is seeded and
deterministic.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from benchmarks.labelled.values import COMMON, Value

SLOT = re.compile(r"\{([a-z][a-z0-9_]*)\}")
ZIPF = 1.1  # template k (from 0) has weight 1 / (k + 1) ** ZIPF


@dataclass(frozen=True)
class System:
    """A log source: its templates (most frequent first) and its own value kinds."""

    name: str
    templates: tuple[str, ...]
    values: dict[str, Value] = field(default_factory=dict)

    def truth(self, index: int) -> str:
        """Template index as text, slots as <*>."""
        return SLOT.sub("<*>", self.templates[index])


@dataclass(frozen=True)
class Sample:
    """One generated line and the index of its true template."""

    line: str
    template: int


def _filler(system: System) -> Callable[[re.Match[str], random.Random], str]:
    kinds = {**COMMON, **system.values}

    def fill(m: re.Match[str], rng: random.Random) -> str:
        return kinds[m.group(1)](rng)

    return fill


def generate(system: System, n: int = 2000, seed: int = 1) -> list[Sample]:
    """n lines of the system, templates drawn with Zipf-like weights; deterministic per seed."""
    rng = random.Random(f"{system.name}:{seed}")
    fill = _filler(system)
    weights = [1 / (k + 1) ** ZIPF for k in range(len(system.templates))]
    picks = rng.choices(range(len(system.templates)), weights, k=n)
    for k in range(len(system.templates)):  # every template at least once
        picks[rng.randrange(n)] = k
    return [Sample(SLOT.sub(lambda m: fill(m, rng), system.templates[k]), k) for k in picks]


def systems() -> Sequence[System]:
    """Every labelled system, in report order."""
    from benchmarks.labelled import apache, hadoop, haproxy, hdfs, openstack, spark, zookeeper

    return (apache.SYSTEM, hdfs.SYSTEM, zookeeper.SYSTEM, hadoop.SYSTEM, openstack.SYSTEM,
            spark.SYSTEM, haproxy.SYSTEM)
