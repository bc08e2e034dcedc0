"""Grouping accuracy on a small labelled sample (tests/mining/data/labelled.tsv).

The sample was written by `python -m benchmarks.mining --lines 150 --seed 7 --write-fixture`:
150 generated lines of each of seven systems with the true template of each line. The
thresholds below are a little under what the miner measured when they were set (mean 0.920;
Drain3 with default settings: 0.818).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path

import pytest

from statusd.mining.miner import TemplateMiner

DATA = Path(__file__).with_name("data") / "labelled.tsv"
MIN_MEAN = 0.90
MIN_EACH = 0.80


def grouping_accuracy(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Share of lines whose predicted group holds exactly the lines of their true template."""
    groups: dict[Hashable, list[Hashable]] = defaultdict(list)
    for t, p in zip(truth, predicted, strict=True):
        groups[p].append(t)
    sizes: dict[Hashable, int] = defaultdict(int)
    for t in truth:
        sizes[t] += 1
    good = sum(len(ts) for ts in groups.values() if len(set(ts)) == 1 and sizes[ts[0]] == len(ts))
    return good / len(truth)


def samples() -> dict[str, tuple[list[str], list[int]]]:
    out: dict[str, tuple[list[str], list[int]]] = {}
    for row in DATA.read_text(encoding="utf-8").splitlines():
        system, template, line = row.split("\t", 2)
        lines, truth = out.setdefault(system, ([], []))
        lines.append(line)
        truth.append(int(template))
    return out


def statusd_groups(lines: list[str]) -> list[int]:
    miner = TemplateMiner()
    ids = miner.add_all(lines)
    final = miner.assignments()
    return [final[i].id for i in ids]


def drain3_groups(lines: list[str]) -> list[int]:
    drain3 = pytest.importorskip("drain3", reason="drain3 is not installed (pip install .[bench])")
    from drain3.template_miner_config import TemplateMinerConfig

    miner = drain3.TemplateMiner(config=TemplateMinerConfig())
    return [miner.add_log_message(line)["cluster_id"] for line in lines]


def test_metric() -> None:
    assert grouping_accuracy([1, 1, 2, 2], ["a", "a", "b", "b"]) == 1.0
    assert grouping_accuracy([1, 1, 2, 2], ["a", "a", "a", "b"]) == 0.0
    assert grouping_accuracy([1, 1, 2, 3], ["a", "a", "b", "b"]) == 0.5


def test_sample_covers_seven_systems() -> None:
    data = samples()
    assert len(data) == 7
    assert all(len(lines) == 150 for lines, _ in data.values())


def test_statusd_miner_accuracy() -> None:
    scores = {name: grouping_accuracy(truth, statusd_groups(lines))
              for name, (lines, truth) in samples().items()}
    assert min(scores.values()) >= MIN_EACH, scores
    assert sum(scores.values()) / len(scores) >= MIN_MEAN, scores


def test_statusd_miner_beats_drain3() -> None:
    ours, theirs = [], []
    for lines, truth in samples().values():
        ours.append(grouping_accuracy(truth, statusd_groups(lines)))
        theirs.append(grouping_accuracy(truth, drain3_groups(lines)))
    assert sum(ours) > sum(theirs), (ours, theirs)
    assert all(a >= b for a, b in zip(ours, theirs, strict=True)), (ours, theirs)
