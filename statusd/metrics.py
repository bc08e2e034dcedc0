"""In-process counters and gauges with Prometheus text exposition (SPEC §7 names)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

LabelKey = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


@dataclass
class Metric:
    """A named family of counter or gauge samples, by label set."""

    name: str
    help: str
    kind: str  # "counter" | "gauge"
    labelnames: tuple[str, ...] = ()
    samples: dict[LabelKey, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    collect: Callable[[], float] | None = None  # gauges read live

    def inc(self, amount: float = 1, **labels: str) -> None:
        """Add to the sample with these labels."""
        key = tuple((n, str(labels.get(n, ""))) for n in self.labelnames)
        with self.lock:
            self.samples[key] = self.samples.get(key, 0) + amount

    def set(self, value: float, **labels: str) -> None:
        """Set the sample with these labels."""
        key = tuple((n, str(labels.get(n, ""))) for n in self.labelnames)
        with self.lock:
            self.samples[key] = value

    def value(self, **labels: str) -> float:
        """The current value for these labels (0 if never touched)."""
        if self.collect is not None:
            return self.collect()
        key = tuple((n, str(labels.get(n, ""))) for n in self.labelnames)
        return self.samples.get(key, 0)

    def total(self) -> float:
        """Sum over all label sets."""
        return sum(self.samples.values())

    def render(self) -> list[str]:
        """Exposition lines for this family."""
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        if self.collect is not None:
            lines.append(f"{self.name} {self.collect():g}")
            return lines
        with self.lock:
            items = sorted(self.samples.items())
        if not items and not self.labelnames:
            lines.append(f"{self.name} 0")
        for key, val in items:
            if key:
                labels = ",".join(f'{n}="{_escape(v)}"' for n, v in key)
                lines.append(f"{self.name}{{{labels}}} {val:g}")
            else:
                lines.append(f"{self.name} {val:g}")
        return lines


class Registry:
    """The process's metrics; one instance per runtime (tests make their own)."""

    def __init__(self) -> None:
        self.received = self._add("statusd_messages_received_total", "Lines received, by transport",
                                  "counter", ("transport",))
        self.accepted = self._add("statusd_messages_accepted_total",
                                  "Lines durably accepted into the inbox (acknowledged then)",
                                  "counter")
        self.stored = self._add("statusd_messages_stored_total", "Lines stored in the archive",
                                "counter")
        self.unknown = self._add("statusd_messages_unknown_total",
                                 "Stored lines that no enabled service recognised", "counter")
        self.dropped = self._add("statusd_messages_dropped_total",
                                 "Lines dropped or damaged, by transport and reason", "counter",
                                 ("transport", "reason"))
        self.rule_firings = self._add("statusd_rule_firings_total", "Rule firings, by rule",
                                      "counter", ("rule",))
        self.queue_depth = self._add("statusd_queue_depth",
                                     "Lines waiting between listeners and the pipeline", "gauge")
        self.inbox_depth = self._add("statusd_inbox_depth",
                                     "Lines accepted into the inbox, not yet archived", "gauge")
        self.notifications = self._add("statusd_notifications_total",
                                       "Notifications sent, by channel and result", "counter",
                                       ("channel", "result"))
        self.batches = self._add("statusd_batches_total", "Batches committed", "counter")
        self.pattern_timeouts = self._add("statusd_pattern_timeouts_total",
                                          "Pattern matches stopped by the time limit", "counter")
        self.connections = self._add("statusd_connections_open",
                                     "Open syslog TCP connections", "gauge")

    def _add(self, name: str, help: str, kind: str, labels: tuple[str, ...] = ()) -> Metric:
        metric = Metric(name, help, kind, labels)
        setattr(self, "_m_" + name, metric)
        return metric

    def families(self) -> list[Metric]:
        """Every metric family, in a stable order."""
        return [v for k, v in vars(self).items() if k.startswith("_m_")]

    def render(self) -> str:
        """The whole Prometheus text exposition."""
        out: list[str] = []
        for fam in self.families():
            out.extend(fam.render())
        return "\n".join(out) + "\n"
