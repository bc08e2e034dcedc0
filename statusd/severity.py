"""Syslog severities and facilities (RFC 5424 §6.2.1) and their names."""

from __future__ import annotations

from enum import IntEnum


class Severity(IntEnum):
    """Syslog severity: lower is more severe."""

    EMERG = 0
    ALERT = 1
    CRIT = 2
    ERR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6
    DEBUG = 7

    @property
    def label(self) -> str:
        """The name used in JSON output and config files."""
        return _SEVERITY_LABELS[self]

    @classmethod
    def parse(cls, name: str | int) -> Severity:
        """Accept a severity as a number or any common name ("err", "error", "warn", ...)."""
        if isinstance(name, int):
            return cls(name)
        key = name.strip().lower()
        if key.isdigit():
            return cls(int(key))
        try:
            return _SEVERITY_ALIASES[key]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {name!r} (one of {choices})") from None


_SEVERITY_LABELS = {
    Severity.EMERG: "emerg",
    Severity.ALERT: "alert",
    Severity.CRIT: "crit",
    Severity.ERR: "err",
    Severity.WARNING: "warning",
    Severity.NOTICE: "notice",
    Severity.INFO: "info",
    Severity.DEBUG: "debug",
}
_SEVERITY_ALIASES = {label: sev for sev, label in _SEVERITY_LABELS.items()} | {
    "emergency": Severity.EMERG,
    "panic": Severity.EMERG,
    "critical": Severity.CRIT,
    "error": Severity.ERR,
    "warn": Severity.WARNING,
    "information": Severity.INFO,
    "informational": Severity.INFO,
}


class Facility(IntEnum):
    """Syslog facility codes."""

    KERN = 0
    USER = 1
    MAIL = 2
    DAEMON = 3
    AUTH = 4
    SYSLOG = 5
    LPR = 6
    NEWS = 7
    UUCP = 8
    CRON = 9
    AUTHPRIV = 10
    FTP = 11
    NTP = 12
    SECURITY = 13
    CONSOLE = 14
    SOLARIS_CRON = 15
    LOCAL0 = 16
    LOCAL1 = 17
    LOCAL2 = 18
    LOCAL3 = 19
    LOCAL4 = 20
    LOCAL5 = 21
    LOCAL6 = 22
    LOCAL7 = 23

    @property
    def label(self) -> str:
        """Lower-case name, as in JSON output."""
        return self.name.lower()
