"""Grouping accuracy of statusd's template miner against Drain3, on labelled generated logs.

Run from the repository root: ``python -m benchmarks.mining [--lines N] [--seed S]``.
Drain3 runs with its default TemplateMiner settings and no masking; install it with
``pip install -e .[bench]``. Without it only statusd's miner is measured.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.labelled import Sample, System, generate, systems
from statusd.mining.miner import TemplateMiner

Miner = Callable[[Sequence[str]], list[Hashable]]


def grouping_accuracy(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Share of lines whose predicted cluster holds exactly the lines of their true template."""
    if len(truth) != len(predicted):
        raise ValueError("truth and predicted differ in length")
    if not truth:
        return 1.0
    true_size = Counter(truth)
    labels: dict[Hashable, set[Hashable]] = {}
    size: Counter[Hashable] = Counter()
    for t, p in zip(truth, predicted, strict=True):
        labels.setdefault(p, set()).add(t)
        size[p] += 1
    correct = 0
    for p, seen in labels.items():
        if len(seen) == 1 and true_size[next(iter(seen))] == size[p]:
            correct += size[p]
    return correct / len(truth)


def statusd_miner(lines: Sequence[str]) -> list[Hashable]:
    """Final template group of each line, from statusd.mining."""
    miner = TemplateMiner()
    ids = miner.add_all(lines)
    final = {member: g.id for g in miner.groups() for member in g.members}
    return [final[i] for i in ids]


def drain3_miner(lines: Sequence[str]) -> list[Hashable]:
    """Cluster of each line from Drain3 with its default settings and no masking."""
    from drain3 import TemplateMiner as Drain3
    from drain3.template_miner_config import TemplateMinerConfig

    miner = Drain3(config=TemplateMinerConfig())  # defaults, not read from a drain3.ini
    return [miner.add_log_message(line)["cluster_id"] for line in lines]


def have_drain3() -> bool:
    """Whether the drain3 package can be imported."""
    try:
        import drain3  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Score:
    """One miner on one system."""

    accuracy: float
    seconds: float
    lines: int

    @property
    def rate(self) -> float:
        """Lines per second."""
        return self.lines / self.seconds if self.seconds else 0.0


def measure(miner: Miner, samples: Sequence[Sample]) -> Score:
    """Run a miner over the samples; its accuracy and time."""
    lines = [s.line for s in samples]
    start = time.perf_counter()
    predicted = miner(lines)
    elapsed = time.perf_counter() - start
    return Score(grouping_accuracy([s.template for s in samples], predicted), elapsed, len(lines))


def run(lines: int = 2000, seed: int = 1, out: Callable[[str], None] = print,
        chosen: Sequence[System] | None = None) -> dict[str, dict[str, Score]]:
    """Measure every miner on every system; print a table; return the scores."""
    miners: dict[str, Miner] = {"statusd": statusd_miner}
    if have_drain3():
        miners["drain3"] = drain3_miner
    else:
        out("drain3 is not installed (pip install -e .[bench]): measuring statusd only")
    results: dict[str, dict[str, Score]] = {name: {} for name in miners}
    for system in chosen or systems():
        samples = generate(system, lines, seed)
        for name, miner in miners.items():
            results[name][system.name] = measure(miner, samples)
    names = list(miners)
    out(f"{'system':<12}" + "".join(f"{n:>12}" for n in names) + "   templates")
    for system in chosen or systems():
        row = "".join(f"{results[n][system.name].accuracy:>12.3f}" for n in names)
        out(f"{system.name:<12}{row}   {len(system.templates):>9}")
    means = {n: sum(s.accuracy for s in results[n].values()) / len(results[n]) for n in names}
    out(f"{'mean':<12}" + "".join(f"{means[n]:>12.3f}" for n in names))
    rates = {n: sum(s.lines for s in results[n].values()) / sum(s.seconds for s in
                                                                results[n].values())
             for n in names}
    out(f"{'lines/s':<12}" + "".join(f"{rates[n]:>12,.0f}" for n in names))
    return results


def throughput(lines: int = 200_000, seed: int = 1) -> float:
    """statusd's miner lines/s over every system's lines, mixed, in one stream."""
    stream: list[str] = []
    per = max(1, lines // len(systems()))
    for system in systems():
        stream.extend(s.line for s in generate(system, per, seed))
    miner = TemplateMiner()
    start = time.perf_counter()
    miner.add_all(stream)
    miner.groups()
    return len(stream) / (time.perf_counter() - start)


def write_fixture(path: Path, lines: int, seed: int) -> None:
    """A small labelled file for the tests: system, template index and line, tab-separated."""
    with path.open("w", encoding="utf-8") as fh:
        for system in systems():
            for s in generate(system, lines, seed):
                fh.write(f"{system.name}\t{s.template}\t{s.line}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.mining", description=__doc__)
    p.add_argument("--lines", type=int, default=2000, help="lines per system (default 2000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--throughput", type=int, default=200_000, metavar="N",
                   help="lines for the speed run (0: skip)")
    p.add_argument("--write-fixture", type=Path, metavar="FILE",
                   help="write a labelled sample (--lines per system) and exit")
    args = p.parse_args(argv)
    if args.write_fixture:
        write_fixture(args.write_fixture, args.lines, args.seed)
        return 0
    run(args.lines, args.seed)
    if args.throughput:
        print(f"statusd miner on {args.throughput:,} mixed lines: "
              f"{throughput(args.throughput, args.seed):,.0f} lines/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
