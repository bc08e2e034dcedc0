"""Decode one syslog line (RFC 5424, RFC 3164 and what real senders make of them) into a record.

Pure and hot: precompiled patterns, timestamps built from digits (no strptime), no logging.
``decode`` never raises on any input; a line with no recognisable header becomes a "raw" record.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from statusd.ingest.record import SyslogRecord

__all__ = ["FORMATS", "MAX_PROGRAM", "decode"]

FORMATS = ("auto", "rfc3164", "rfc5424", "raw")
MAX_PROGRAM = 48  # longest tag accepted as a program name (RFC 5424 APP-NAME limit)

MAX_FUTURE = timedelta(hours=1)  # a sender clock further ahead than this is not believed
MAX_PAST = timedelta(days=365)  # nor one further behind than this
YEAR_SLACK = timedelta(days=31)  # a year-less date may be this far ahead of received_at

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {
    spelling: number
    for number, name in enumerate(_MONTH_NAMES, 1)
    for spelling in (name, name.upper(), name.lower())
}
# Zone names a BSD/Cisco timestamp may carry ("*Mar  1 18:46:11.123 UTC: ..."), offset in minutes.
# Ambiguous names (CST, IST, ...) are not listed, so they are not consumed.
_ZONES = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "WEST": 60, "CET": 60, "CEST": 120,
    "EET": 120, "EEST": 180, "MSK": 180, "JST": 540, "KST": 540, "AEST": 600, "AEDT": 660,
    "NZST": 720, "NZDT": 780, "EST": -300, "EDT": -240, "CDT": -300, "MST": -420,
    "MDT": -360, "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
}  # fmt: skip

_PRI = re.compile(r"<(\d{1,3})>")
# Mmm dd [yyyy] hh:mm:ss[.frac] [ZONE][:] -- with Cisco's "seq: " / "origin: " / "*" prefixes.
_BSD_TIME = re.compile(
    r"(?:\d{1,10}: (?:([^\s:\[\]<>]{1,255}): )?)?[*.]?"
    r"([A-Za-z]{3}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?: (" + "|".join(_ZONES) + r")(?=:))?(:)?(?: +|$)"
)
# RFC 3339 / ISO 8601 in place of the BSD timestamp (rsyslog's high-precision format).
_ISO_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?(:)?(?: +|$)"
)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
_RFC5424 = re.compile(r"1 ([^ ]++) ([^ ]++) ([^ ]++) ([^ ]++) ([^ ]++)(?: |$)")
# One or more [SD-ID PARAM="value" ...] elements; \" \\ \] escaped inside values.
_SD = re.compile(r'(?:\[(?:[^\]"]++|"(?:[^"\\]++|\\.)*+")*+\])++', re.S)
# TAG: program (no whitespace, '[' or ':'), optional [pid], optional ':'.
_TAG = re.compile(rf"([^\s\[:]{{1,{MAX_PROGRAM}}})(?:\[([^\]\s]{{0,128}})\])?(:)?")
# The common case in one match: "<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG" (same result as the
# general path, just faster).
_FAST_3164 = re.compile(
    r"<(\d{1,3})>([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) ([^\s:\[\]]+) "
    rf"([^\s\[:]{{1,{MAX_PROGRAM}}})(?:\[([^\]\s]{{0,128}})\])?: ",
)
_CISCO_SEQ = re.compile(r"\d{1,10}: (?=%)")  # "<189>45: %LINK-3-UPDOWN: ..." without a timestamp
# After a relay's header: "47: *Mar  1 12:00:00.123 UTC: %SYS-5-CONFIG_I: msg" (the "47" was
# taken as the tag), or a bare "%SYS-5-CONFIG_I: msg" with no tag (RFC 5424 APP-NAME "-").
_CISCO_REST = re.compile(
    r"(?:[*.]?[A-Za-z]{3} {1,2}\d{1,2}(?: \d{4})? \d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})?"
    r"(?: [A-Z]{1,5})?: )?(%[A-Z0-9_]{1,32}-\d-[A-Z0-9_]{1,48}): ?"
)
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)
_TRAILING = "\r\n\x00"
_BOM = "\ufeff"


def decode(
    data: bytes | str,
    *,
    received_at: datetime,
    source: str | None = None,
    transport: str = "raw",
    default_hostname: str | None = None,
    fmt: str = "auto",
) -> SyslogRecord:
    """Decode one syslog line; never raises on the line itself (garbage becomes a raw record)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown syslog format {fmt!r} (one of {', '.join(FORMATS)})")
    received = _as_utc(received_at)
    invalid = False
    text = ""
    try:
        if isinstance(data, str):
            text = data
        else:
            raw_bytes = bytes(data)
            try:
                text = raw_bytes.decode("utf-8")
            except UnicodeDecodeError:
                text = raw_bytes.decode("utf-8", "replace")
                invalid = True
        text = text.rstrip(_TRAILING)
        if text.startswith(_BOM):  # an encoding mark some Windows agents put first, not text
            text = text[1:]
        record = _parse(text, received, fmt)
        program = record.program
        if (program is None or (program.isdigit() and record.pid is None)) and (
                record.format != "raw"):
            _cisco_relayed(record)
    except Exception:  # a decoder bug must not take a listener down: keep the line as raw
        record = SyslogRecord(
            timestamp=received, received_at=received, message=text, raw=text, format="raw"
        )
    record.source = source
    record.transport = transport
    record.invalid_utf8 = invalid
    if record.hostname is None:
        record.hostname = default_hostname
    return record


def _cisco_relayed(record: SyslogRecord) -> None:
    """A Cisco line behind a relay's header (its sequence number taken for the tag), or with no
    tag at all: the %FAC-SEV-MNEMONIC becomes the program, as for a direct Cisco line."""
    cisco = _CISCO_REST.match(record.message)
    if cisco is not None:
        record.program = cisco.group(1)
        record.message = record.message[cisco.end():]


def _parse(text: str, received: datetime, fmt: str) -> SyslogRecord:
    """Pick and run the header parser for one decoded line."""
    if fmt == "raw":
        return _raw(text, received)
    fast = _FAST_3164.match(text) if fmt != "rfc5424" else None
    if fast is not None:
        record = _fast_3164(text, fast, received)
        if record is not None:
            return record
    facility: int | None = None
    severity: int | None = None
    pos = 0
    has_pri = False
    pri = _PRI.match(text)
    if pri is not None:
        value = int(pri.group(1))
        pos = pri.end()
        if value <= 191:
            has_pri = True
            facility, severity = value >> 3, value & 7
    if fmt == "rfc5424" or (fmt == "auto" and has_pri and text.startswith("1 ", pos)):
        record = _parse_5424(text, pos, received)
        if record is not None:
            record.facility, record.severity = facility, severity
            return record
        if fmt == "rfc5424":
            return _raw(text, received)
    record = _parse_3164(text, pos, received, has_pri or fmt == "rfc3164")
    if record is None:
        return _raw(text, received)
    record.facility, record.severity = facility, severity
    return record


def _fast_3164(text: str, m: re.Match[str], received: datetime) -> SyslogRecord | None:
    """Build the record for a _FAST_3164 match; None to leave the line to the general path."""
    value, month_name, day, hour, minute, second, hostname, program, pid = m.groups()
    pri = int(value)
    month = _MONTHS.get(month_name)
    if pri > 191 or month is None:
        return None
    try:
        stamp = _guess_year(
            month, int(day), int(hour), int(minute), min(int(second), 59), 0, received
        )
    except (ValueError, OverflowError):
        return None
    timestamp, skewed = _unskew(stamp, received)
    message = text[m.end() :]
    if message.startswith(_BOM):
        message = message[1:]
    return SyslogRecord(
        timestamp=timestamp,
        received_at=received,
        message=message,
        raw=text,
        format="rfc3164",
        facility=pri >> 3,
        severity=pri & 7,
        hostname=hostname,
        program=program,
        pid=pid or None,
        clock_skewed=skewed,
    )


def _raw(text: str, received: datetime) -> SyslogRecord:
    """A line kept whole, without header."""
    return SyslogRecord(
        timestamp=received, received_at=received, message=text, raw=text, format="raw"
    )


def _parse_5424(text: str, pos: int, received: datetime) -> SyslogRecord | None:
    """`1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]` at pos, or None if it is not that."""
    head = _RFC5424.match(text, pos)
    if head is None:
        return None
    stamp, hostname, program, pid, msgid = head.groups()
    timestamp, skewed = received, False
    if stamp != "-":
        when = _RFC3339.fullmatch(stamp)
        if when is None:
            return None
        timestamp, skewed = _iso_datetime(when, received)
    pos = head.end()
    structured: str | None = None
    if text.startswith("-", pos) and (len(text) == pos + 1 or text[pos + 1] == " "):
        pos += 2
    elif text.startswith("[", pos):
        sd = _SD.match(text, pos)
        if sd is not None and (sd.end() == len(text) or text[sd.end()] == " "):
            structured = sd.group()
            pos = sd.end() + 1
        # else: malformed SD, kept as the start of MSG
    message = text[pos:]
    if message.startswith(_BOM):
        message = message[1:]
    return SyslogRecord(
        timestamp=timestamp,
        received_at=received,
        message=message,
        raw=text,
        format="rfc5424",
        hostname=None if hostname == "-" else hostname,
        program=None if program == "-" else program,
        pid=None if pid == "-" else pid,
        msgid=None if msgid == "-" else msgid,
        structured_data=structured,
        clock_skewed=skewed,
    )


def _parse_3164(text: str, pos: int, received: datetime, has_header: bool) -> SyslogRecord | None:
    """BSD syslog and its variants after the PRI; None if there is neither PRI nor timestamp."""
    timestamp, skewed = received, False
    hostname: str | None = None
    stamped = False
    cisco_colon = False
    when = _BSD_TIME.match(text, pos)
    if when is not None and when.group(2) in _MONTHS:
        timestamp, skewed = _bsd_datetime(when, received)
        hostname = when.group(1)
        cisco_colon = when.group(10) is not None
        stamped = True
        pos = when.end()
    else:
        when = _ISO_TIME.match(text, pos)
        if when is not None:
            timestamp, skewed = _iso_datetime(when, received)
            cisco_colon = when.group(9) is not None
            stamped = True
            pos = when.end()
    if not stamped and not has_header:
        return None
    if not stamped:
        seq = _CISCO_SEQ.match(text, pos)
        if seq is not None:
            pos = seq.end()
    program = pid = None
    tag = _tag(text, pos, strict=True)
    if tag is None and stamped and not cisco_colon and hostname is None:
        # The token after the timestamp is not a tag, so it is the HOSTNAME.
        space = text.find(" ", pos)
        if space < 0:
            hostname, pos = text[pos:] or None, len(text)
        else:
            hostname, pos = text[pos:space], space + 1
            while text.startswith(" ", pos):
                pos += 1
            if text.startswith(": ", pos):  # Cisco ASA: "host : %ASA-6-302013: ..."
                pos += 2
        tag = _tag(text, pos, strict=False)
    if tag is not None:
        program, pid, pos = tag
    message = text[pos:]
    if message.startswith(_BOM):
        message = message[1:]
    return SyslogRecord(
        timestamp=timestamp,
        received_at=received,
        message=message,
        raw=text,
        format="rfc3164",
        hostname=hostname,
        program=program,
        pid=pid,
        clock_skewed=skewed,
    )


def _tag(text: str, pos: int, *, strict: bool) -> tuple[str, str | None, int] | None:
    """(program, pid, message start) for a TAG at pos; strict wants a ':' or a [pid]."""
    tag = _TAG.match(text, pos)
    if tag is None:
        return None
    end = tag.end()
    after = text[end : end + 1]
    program, pid, colon = tag.groups()
    if colon is not None:
        # "prog: msg", "prog[1]:msg"; a bare "word:text" is more likely a URL or a time.
        if pid is None and after not in ("", " ", "\t"):
            return None
    elif after not in ("", " ", "\t") or (strict and pid is None):
        return None
    if after == " " or after == "\t":
        end += 1
    return program, pid or None, end


def _bsd_datetime(m: re.Match[str], received: datetime) -> tuple[datetime, bool]:
    """Timestamp of an `Mmm dd [yyyy] hh:mm:ss` match; the year guessed when absent."""
    month = _MONTHS[m.group(2)]
    day, hour, minute = int(m.group(3)), int(m.group(5)), int(m.group(6))
    second = min(int(m.group(7)), 59)  # a leap second is kept in its minute
    frac = m.group(8)
    micro = int((frac + "00000")[:6]) if frac else 0
    offset = _ZONES.get(m.group(9) or "UTC", 0)
    year_text = m.group(4)
    try:
        if year_text is not None:
            stamp = datetime(int(year_text), month, day, hour, minute, second, micro, UTC)
        else:
            stamp = _guess_year(month, day, hour, minute, second, micro, received)
        if offset:
            stamp -= timedelta(minutes=offset)
    except (ValueError, OverflowError):  # Feb 30, 25:00, year 0 ...: not worth believing
        return received, True
    return _unskew(stamp, received)


def _guess_year(
    month: int, day: int, hour: int, minute: int, second: int, micro: int, received: datetime
) -> datetime:
    """The latest year that puts the date at most YEAR_SLACK after received."""
    try:
        latest = received + YEAR_SLACK
    except OverflowError:
        latest = _END_OF_TIME
    year = received.year + 1 if month < received.month - 10 else received.year
    for candidate in (year, year - 1, year - 2):
        try:
            stamp = datetime(candidate, month, day, hour, minute, second, micro, UTC)
        except ValueError:  # Feb 29 outside a leap year
            continue
        if stamp <= latest:
            return stamp
    raise ValueError("no year fits")


def _iso_datetime(m: re.Match[str], received: datetime) -> tuple[datetime, bool]:
    """Timestamp of an RFC 3339 match (groups 1-8); no offset means UTC."""
    frac = m.group(7)
    try:
        stamp = datetime(
            int(m.group(1)),
            int(m.group(2)),
            int(m.group(3)),
            int(m.group(4)),
            int(m.group(5)),
            min(int(m.group(6)), 59),
            int((frac + "00000")[:6]) if frac else 0,
            UTC,
        )
        zone = m.group(8)
        if zone is not None and len(zone) > 1:
            minutes = int(zone[1:3]) * 60 + (int(zone[-2:]) if len(zone) > 3 else 0)
            stamp -= timedelta(minutes=minutes if zone[0] == "+" else -minutes)
    except (ValueError, OverflowError):  # month 13, year 0, +01:00 on 0001-01-01 ...
        return received, True
    return _unskew(stamp, received)


def _unskew(stamp: datetime, received: datetime) -> tuple[datetime, bool]:
    """The sender's timestamp, or received and True when the sender's clock is absurd."""
    if stamp - received > MAX_FUTURE or received - stamp > MAX_PAST:
        return received, True
    return stamp, False


def _as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
