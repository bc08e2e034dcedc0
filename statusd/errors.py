"""Errors that carry where in which file the problem is, for check-config and serve."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a config, service or rule file."""

    file: str  # path as given, or "<builtin>"
    where: str  # key path ("rule[2].window") or "line 12"
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}"


class ConfigError(Exception):
    """One or more problems found while loading configuration; str() lists them all."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
