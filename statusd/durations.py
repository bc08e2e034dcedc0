"""Durations written as "90s", "5m", "1h30m", "2d" or a bare number of seconds."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int | float) -> timedelta:
    """Turn "90s", "5m", "1h30m", "2d" or a number of seconds into a timedelta (or ValueError)."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"duration must not be negative: {value!r}")
        return timedelta(seconds=value)
    text = value.strip().lower().replace(" ", "")
    if text.replace(".", "", 1).isdigit():
        return timedelta(seconds=float(text))
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(f'not a duration: {value!r} (use e.g. "90s", "5m", "1h30m", "2d")')
    return timedelta(seconds=total)
