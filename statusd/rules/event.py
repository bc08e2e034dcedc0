"""A parsed event: a syslog record plus what the service library recognised in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from statusd.ingest.record import SyslogRecord

FieldValue = str | int | float


@dataclass(slots=True)
class Match:
    """What the service library found in one message."""

    service: str
    message_id: str
    level: int  # Severity value of the message definition
    taxonomy: str
    fields: dict[str, FieldValue] = field(default_factory=dict)


@dataclass(slots=True)
class Event:
    """One line as the rule engine sees it."""

    record: SyslogRecord
    device: str  # registered device name (hostname, else source address, else configured default)
    match: Match | None  # None: no enabled service knows this line
    noise: bool = False  # matched a logcheck ignore rule: the rule engine skips it

    @property
    def time(self) -> datetime:
        """Event time: what windows are computed on."""
        return self.record.timestamp

    @property
    def service(self) -> str | None:
        return self.match.service if self.match else None

    @property
    def message_id(self) -> str | None:
        return self.match.message_id if self.match else None

    @property
    def taxonomy(self) -> str | None:
        return self.match.taxonomy if self.match else None

    @property
    def level(self) -> int:
        """The message definition's level, else the syslog severity, else info."""
        if self.match is not None:
            return self.match.level
        return self.record.severity if self.record.severity is not None else 6

    @property
    def fields(self) -> dict[str, FieldValue]:
        return self.match.fields if self.match else {}
