"""The decoded form of one received syslog line, handed from the decoder to the parser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class SyslogRecord:
    """One syslog message after header decoding; every field a stranger could send is a str."""

    timestamp: datetime  # aware, UTC; the sender's time, or received_at when absent/unusable
    received_at: datetime  # aware, UTC
    message: str  # the free text after the header (MSG), invalid bytes replaced
    raw: str  # the whole line as received, invalid bytes replaced
    format: str  # "rfc3164", "rfc5424" or "raw"
    facility: int | None = None
    severity: int | None = None
    hostname: str | None = None  # as the header says; None when absent
    program: str | None = None  # APP-NAME / tag
    pid: str | None = None  # PROCID / [pid]
    msgid: str | None = None  # RFC 5424 MSGID
    structured_data: str | None = None  # RFC 5424 SD, verbatim
    source: str | None = None  # peer address ("ip" or "ip:port") the line came from
    transport: str = "raw"  # "udp", "tcp", "file", "stdin", ...
    invalid_utf8: bool = False  # the input held bytes that are not UTF-8
    clock_skewed: bool = False  # timestamp was replaced by received_at (absurd sender clock)
