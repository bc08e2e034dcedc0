"""Vectors for the syslog header decoder: RFC 5424, RFC 3164 and what real devices send."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusd.ingest import syslog
from statusd.ingest.record import SyslogRecord
from statusd.ingest.syslog import decode

RECEIVED = datetime(2024, 3, 15, 12, 0, 0, tzinfo=UTC)
NOW = RECEIVED.isoformat()

DEFAULTS: dict[str, Any] = {
    "format": "rfc3164",
    "facility": None,
    "severity": None,
    "hostname": None,
    "program": None,
    "pid": None,
    "msgid": None,
    "structured_data": None,
    "timestamp": NOW,
    "clock_skewed": False,
    "invalid_utf8": False,
}


def v(
    name: str,
    line: bytes | str,
    *,
    fmt: str = "auto",
    received: datetime = RECEIVED,
    **expected: Any,
) -> Any:
    """One vector: the line, how to decode it, and every header field it must give."""
    assert "message" in expected, name
    return pytest.param(line, fmt, received, DEFAULTS | expected, id=name)


def view(record: SyslogRecord) -> dict[str, Any]:
    """The fields a vector pins, timestamp as ISO text."""
    fields = {key: getattr(record, key) for key in DEFAULTS if key != "timestamp"}
    fields["timestamp"] = record.timestamp.isoformat()
    fields["message"] = record.message
    return fields


LONG_TAG = "a" * 60
TAG_48 = "b" * 48

VECTORS = [
    # --- RFC 3164, as written and as sent in the wild --------------------------------------------
    v("bsd-rfc3164-example", b"<34>Mar 15 11:59:00 mymachine su: 'su root' failed for lonvick",
      facility=4, severity=2, hostname="mymachine", program="su",
      timestamp="2024-03-15T11:59:00+00:00", message="'su root' failed for lonvick"),
    v("bsd-space-padded-day",
      b"<38>Mar  5 08:00:00 web1 sshd[4242]: Accepted publickey for alice from 192.0.2.10",
      facility=4, severity=6, hostname="web1", program="sshd", pid="4242",
      timestamp="2024-03-05T08:00:00+00:00",
      message="Accepted publickey for alice from 192.0.2.10"),
    v("bsd-zero-padded-day", b"<13>Mar 05 08:00:00 web1 app: x", facility=1, severity=5,
      hostname="web1", program="app", timestamp="2024-03-05T08:00:00+00:00", message="x"),
    v("bsd-upper-case-month", b"<13>MAR 15 11:00:00 web1 app: x", facility=1, severity=5,
      hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00", message="x"),
    v("bsd-december-line-received-in-january", b"<13>Dec 31 23:59:59 web1 app: late",
      received=datetime(2024, 1, 1, 0, 0, 30, tzinfo=UTC), facility=1, severity=5,
      hostname="web1", program="app", timestamp="2023-12-31T23:59:59+00:00", message="late"),
    v("bsd-january-line-received-in-december", b"<13>Jan  1 00:00:10 web1 app: early",
      received=datetime(2023, 12, 31, 23, 59, 55, tzinfo=UTC), facility=1, severity=5,
      hostname="web1", program="app", timestamp="2024-01-01T00:00:10+00:00", message="early"),
    v("bsd-feb-29-in-last-leap-year", b"<13>Feb 29 10:00:00 web1 app: leap",
      received=datetime(2025, 1, 10, tzinfo=UTC), facility=1, severity=5, hostname="web1",
      program="app", timestamp="2024-02-29T10:00:00+00:00", message="leap"),
    v("bsd-weeks-ahead-is-skewed", b"<13>Apr 10 12:00:00 web1 app: future", facility=1,
      severity=5, hostname="web1", program="app", clock_skewed=True, message="future"),
    v("bsd-minutes-ahead-is-believed", b"<13>Mar 15 12:30:00 web1 app: soon", facility=1,
      severity=5, hostname="web1", program="app", timestamp="2024-03-15T12:30:00+00:00",
      message="soon"),
    v("bsd-impossible-date-is-skewed", b"<13>Feb 30 10:00:00 web1 app: x", facility=1,
      severity=5, hostname="web1", program="app", clock_skewed=True, message="x"),
    v("bsd-leap-second", b"<13>Mar 15 11:59:60 web1 app: x", facility=1, severity=5,
      hostname="web1", program="app", timestamp="2024-03-15T11:59:59+00:00", message="x"),
    v("bsd-no-hostname-pid", b"<13>Mar 15 11:00:00 sshd[12]: Connection closed", facility=1,
      severity=5, program="sshd", pid="12", timestamp="2024-03-15T11:00:00+00:00",
      message="Connection closed"),
    v("bsd-no-hostname-colon", b"<30>Mar 15 11:00:00 dhclient: DHCPACK of 10.0.0.5", facility=3,
      severity=6, program="dhclient", timestamp="2024-03-15T11:00:00+00:00",
      message="DHCPACK of 10.0.0.5"),
    v("no-timestamp-tag", b"<13>sshd[1]: hello", facility=1, severity=5, program="sshd", pid="1",
      message="hello"),
    v("no-timestamp-pri-and-text", b"<13>hello world", facility=1, severity=5,
      message="hello world"),
    v("no-pri-bsd", b"Mar 15 11:00:00 web1 nginx: upstream timed out", hostname="web1",
      program="nginx", timestamp="2024-03-15T11:00:00+00:00", message="upstream timed out"),
    v("no-header-at-all", b"just some text: here", format="raw", message="just some text: here"),
    v("empty-line", b"", format="raw", message=""),
    v("only-pri", b"<13>", facility=1, severity=5, message=""),
    v("tag-without-colon", b"<13>Mar 15 11:00:00 web1 myprog message text", facility=1,
      severity=5, hostname="web1", program="myprog", timestamp="2024-03-15T11:00:00+00:00",
      message="message text"),
    v("hostname-only", b"<13>Mar 15 11:00:00 web1", facility=1, severity=5, hostname="web1",
      timestamp="2024-03-15T11:00:00+00:00", message=""),
    v("tag-colon-no-message", b"<13>Mar 15 11:00:00 web1 app[7]:", facility=1, severity=5,
      hostname="web1", program="app", pid="7", timestamp="2024-03-15T11:00:00+00:00",
      message=""),
    v("tag-pid-colon-no-space", b"<13>Mar 15 11:00:00 web1 app[7]:msg", facility=1, severity=5,
      hostname="web1", program="app", pid="7", timestamp="2024-03-15T11:00:00+00:00",
      message="msg"),
    v("two-spaces-after-hostname", b"<13>Mar 15 11:00:00 web1  app: x", facility=1, severity=5,
      hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00", message="x"),
    v("empty-pid", b"<13>Mar 15 11:00:00 web1 app[]: x", facility=1, severity=5,
      hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00", message="x"),
    v("word-pid", b"<13>Mar 15 11:00:00 web1 java[main]: x", facility=1, severity=5,
      hostname="web1", program="java", pid="main", timestamp="2024-03-15T11:00:00+00:00",
      message="x"),
    v("program-of-48-chars", f"<13>Mar 15 11:00:00 web1 {TAG_48}: x", facility=1, severity=5,
      hostname="web1", program=TAG_48, timestamp="2024-03-15T11:00:00+00:00", message="x"),
    v("program-too-long-is-message", f"<13>Mar 15 11:00:00 web1 {LONG_TAG}: x", facility=1,
      severity=5, hostname="web1", timestamp="2024-03-15T11:00:00+00:00",
      message=f"{LONG_TAG}: x"),
    v("url-is-not-a-tag", b"<13>http://example.com/ is down", facility=1, severity=5,
      message="http://example.com/ is down"),
    v("ipv6-hostname", b"<13>Mar 15 11:00:00 2001:db8::1 app: x", facility=1, severity=5,
      hostname="2001:db8::1", program="app", timestamp="2024-03-15T11:00:00+00:00",
      message="x"),
    # --- Linux daemons ---------------------------------------------------------------------------
    v("postfix-slash-program",
      b"<22>Mar 15 11:00:00 mx1 postfix/smtpd[2212]: connect from unknown[198.51.100.7]",
      facility=2, severity=6, hostname="mx1", program="postfix/smtpd", pid="2212",
      timestamp="2024-03-15T11:00:00+00:00", message="connect from unknown[198.51.100.7]"),
    v("kernel-with-uptime", b"<4>Mar 15 11:00:00 fw1 kernel: [12345.678901] IN=eth0 OUT= SRC=x",
      facility=0, severity=4, hostname="fw1", program="kernel",
      timestamp="2024-03-15T11:00:00+00:00", message="[12345.678901] IN=eth0 OUT= SRC=x"),
    v("kernel-no-hostname", b"<6>Mar 15 11:00:00 kernel: [    0.000000] Linux version 6.1.0",
      facility=0, severity=6, program="kernel", timestamp="2024-03-15T11:00:00+00:00",
      message="[    0.000000] Linux version 6.1.0"),
    v("kmsg-no-tag", b"<6>[    1.234567] usb 1-1: new device", facility=0, severity=6,
      message="[    1.234567] usb 1-1: new device"),
    v("cron-upper-case", b"<78>Mar 15 11:00:01 web1 CRON[3141]: (root) CMD (run-parts x)",
      facility=9, severity=6, hostname="web1", program="CRON", pid="3141",
      timestamp="2024-03-15T11:00:01+00:00", message="(root) CMD (run-parts x)"),
    v("sd-pam-parenthesised", b"<86>Mar 15 11:00:00 web1 (sd-pam)[999]: session closed",
      facility=10, severity=6, hostname="web1", program="(sd-pam)", pid="999",
      timestamp="2024-03-15T11:00:00+00:00", message="session closed"),
    v("journald-forward-no-hostname",
      b"<30>Mar 15 11:00:00 systemd[1]: Started Daily apt upgrade and clean activities.",
      facility=3, severity=6, program="systemd", pid="1", timestamp="2024-03-15T11:00:00+00:00",
      message="Started Daily apt upgrade and clean activities."),
    v("journald-via-rsyslog", b"<38>Mar 15 11:00:00 db1 systemd-logind[612]: New session 42.",
      facility=4, severity=6, hostname="db1", program="systemd-logind", pid="612",
      timestamp="2024-03-15T11:00:00+00:00", message="New session 42."),
    v("busybox-logger", b"<13>Mar 15 11:00:00 root: test message from logger", facility=1,
      severity=5, program="root", timestamp="2024-03-15T11:00:00+00:00",
      message="test message from logger"),
    v("busybox-udhcpc", b"<30>Mar 15 11:00:00 udhcpc[1234]: lease of 192.168.1.50 obtained",
      facility=3, severity=6, program="udhcpc", pid="1234",
      timestamp="2024-03-15T11:00:00+00:00", message="lease of 192.168.1.50 obtained"),
    # --- ISO 8601 / RFC 3339 timestamps in 3164 lines --------------------------------------------
    v("rsyslog-high-precision", b"<13>2024-03-15T13:00:00.123456+02:00 web1 app[1]: msg",
      facility=1, severity=5, hostname="web1", program="app", pid="1",
      timestamp="2024-03-15T11:00:00.123456+00:00", message="msg"),
    v("iso-z-no-hostname", b"<13>2024-03-15T11:00:00Z sshd[1]: x", facility=1, severity=5,
      program="sshd", pid="1", timestamp="2024-03-15T11:00:00+00:00", message="x"),
    v("iso-no-offset-is-utc", b"<13>2024-03-15T11:00:00 web1 app: m", facility=1, severity=5,
      hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00", message="m"),
    v("iso-negative-offset", b"<13>2024-03-15T06:30:00-05:00 web1 app: m", facility=1,
      severity=5, hostname="web1", program="app", timestamp="2024-03-15T11:30:00+00:00",
      message="m"),
    v("iso-space-separator-comma-fraction", b"<13>2024-03-15 11:00:00,5 web1 app: m",
      facility=1, severity=5, hostname="web1", program="app",
      timestamp="2024-03-15T11:00:00.500000+00:00", message="m"),
    v("iso-nanoseconds", b"<13>2024-03-15T11:00:00.123456789Z web1 app: m", facility=1,
      severity=5, hostname="web1", program="app", timestamp="2024-03-15T11:00:00.123456+00:00",
      message="m"),
    v("iso-years-ago-is-skewed", b"<13>2020-01-01T00:00:00Z web1 app: m", facility=1,
      severity=5, hostname="web1", program="app", clock_skewed=True, message="m"),
    v("iso-month-13-is-skewed", b"<13>2024-13-01T00:00:00Z web1 app: m", facility=1,
      severity=5, hostname="web1", program="app", clock_skewed=True, message="m"),
    v("iso-out-of-range-after-offset", b"<13>0001-01-01T00:00:00+01:00 web1 app: m",
      facility=1, severity=5, hostname="web1", program="app", clock_skewed=True, message="m"),
    v("iso-year-zero", b"<13>0000-01-01T00:00:00Z web1 app: m", facility=1, severity=5,
      hostname="web1", program="app", clock_skewed=True, message="m"),
    # --- Network gear ----------------------------------------------------------------------------
    v("cisco-year-after-date",
      b"<189>Mar 15 2024 11:00:00 rtr1 %SYS-5-CONFIG_I: Configured from console by admin",
      facility=23, severity=5, hostname="rtr1", program="%SYS-5-CONFIG_I",
      timestamp="2024-03-15T11:00:00+00:00", message="Configured from console by admin"),
    v("cisco-ios-seq-unsynced",
      b"<189>1234: *Mar 15 11:00:00.123: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
      facility=23, severity=5, program="%LINK-3-UPDOWN",
      timestamp="2024-03-15T11:00:00.123000+00:00",
      message="Interface Gi0/1, changed state to up"),
    v("cisco-ios-origin-and-zone",
      b"<187>77: rtr2: Mar 15 12:00:00.5 CET: %LINEPROTO-5-UPDOWN: Line protocol down",
      facility=23, severity=3, hostname="rtr2", program="%LINEPROTO-5-UPDOWN",
      timestamp="2024-03-15T11:00:00.500000+00:00", message="Line protocol down"),
    v("cisco-no-timestamp", b"<189>45: %SYS-5-RESTART: System restarted", facility=23,
      severity=5, program="%SYS-5-RESTART", message="System restarted"),
    v("cisco-asa-spaced-colon",
      b"<166>Mar 15 2024 11:00:00 asa1 : %ASA-6-302013: Built outbound TCP connection 1",
      facility=20, severity=6, hostname="asa1", program="%ASA-6-302013",
      timestamp="2024-03-15T11:00:00+00:00", message="Built outbound TCP connection 1"),
    # --- PRI -------------------------------------------------------------------------------------
    v("pri-zero", b"<0>Mar 15 11:00:00 web1 kernel: panic", facility=0, severity=0,
      hostname="web1", program="kernel", timestamp="2024-03-15T11:00:00+00:00", message="panic"),
    v("pri-191", b"<191>Mar 15 11:00:00 web1 app: dbg", facility=23, severity=7,
      hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00", message="dbg"),
    v("pri-out-of-range-header-kept", b"<192>Mar 15 11:00:00 web1 app: m", hostname="web1",
      program="app", timestamp="2024-03-15T11:00:00+00:00", message="m"),
    v("pri-out-of-range-alone", b"<999>hello", format="raw", message="<999>hello"),
    v("pri-malformed", b"<1a>hello", format="raw", message="<1a>hello"),
    v("pri-four-digits", b"<0013>hello", format="raw", message="<0013>hello"),
    # --- bytes -----------------------------------------------------------------------------------
    v("invalid-utf8", b"<13>Mar 15 11:00:00 web1 app: caf\xe9 \xff!", facility=1, severity=5,
      hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00",
      message="caf\ufffd \ufffd!", invalid_utf8=True),
    v("invalid-utf8-in-hostname", b"<13>Mar 15 11:00:00 h\xf6st app: m", facility=1,
      severity=5, hostname="h\ufffdst", program="app", timestamp="2024-03-15T11:00:00+00:00",
      message="m", invalid_utf8=True),
    v("valid-utf8", "<13>Mar 15 11:00:00 web1 app: héllo ✓".encode(), facility=1, severity=5,
      hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00", message="héllo ✓"),
    v("trailing-crlf-and-nul", b"<13>Mar 15 11:00:00 web1 app: msg\r\n\x00", facility=1,
      severity=5, hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00",
      message="msg"),
    v("bom-before-3164-message", b"<13>Mar 15 11:00:00 web1 app: \xef\xbb\xbfhello", facility=1,
      severity=5, hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00",
      message="hello"),
    v("bom-before-everything", b"\xef\xbb\xbf<13>app: hi", facility=1, severity=5,
      program="app", message="hi"),
    v("control-bytes-kept", b"<13>Mar 15 11:00:00 web1 app: a\tb\x1bc\x00d", facility=1,
      severity=5, hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00",
      message="a\tb\x1bc\x00d"),
    v("str-input", "<13>Mar 15 11:00:00 web1 app: from a str", facility=1, severity=5,
      hostname="web1", program="app", timestamp="2024-03-15T11:00:00+00:00",
      message="from a str"),
    # --- RFC 5424 --------------------------------------------------------------------------------
    v("5424-rfc-example-1",
      b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
      b"\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
      received=datetime(2003, 10, 11, 22, 15, tzinfo=UTC), format="rfc5424", facility=4,
      severity=2, hostname="mymachine.example.com", program="su", msgid="ID47",
      timestamp="2003-10-11T22:14:15.003000+00:00",
      message="'su root' failed for lonvick on /dev/pts/8"),
    v("5424-rfc-example-2",
      b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time.",
      received=datetime(2003, 8, 24, 12, 20, tzinfo=UTC), format="rfc5424", facility=20,
      severity=5, hostname="192.0.2.1", program="myproc", pid="8710",
      timestamp="2003-08-24T12:14:15.000003+00:00", message="%% It's time."),
    v("5424-structured-data",
      b'<165>1 2024-03-15T11:00:00.003Z host evntslog - ID47 [exampleSDID@32473 iut="3" '
      b'eventSource="Application" eventID="1011"] \xef\xbb\xbfAn application event',
      format="rfc5424", facility=20, severity=5, hostname="host", program="evntslog",
      msgid="ID47", timestamp="2024-03-15T11:00:00.003000+00:00",
      structured_data='[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]',
      message="An application event"),
    v("5424-two-sd-elements-no-msg",
      b'<165>1 2024-03-15T11:00:00Z host evntslog - ID47 [a@1 iut="3"][examplePriority@32473 '
      b'class="high"]',
      format="rfc5424", facility=20, severity=5, hostname="host", program="evntslog",
      msgid="ID47", timestamp="2024-03-15T11:00:00+00:00",
      structured_data='[a@1 iut="3"][examplePriority@32473 class="high"]', message=""),
    v("5424-sd-escapes",
      rb'<14>1 2024-03-15T11:00:00Z h app - - [x@1 a="q\"uote]" b="br\]acket" c="back\\"] m',
      format="rfc5424", facility=1, severity=6, hostname="h", program="app",
      timestamp="2024-03-15T11:00:00+00:00",
      structured_data=r'[x@1 a="q\"uote]" b="br\]acket" c="back\\"]', message="m"),
    v("5424-malformed-sd-becomes-message",
      b'<14>1 2024-03-15T11:00:00Z h app - - [x@1 a="unterminated] text', format="rfc5424",
      facility=1, severity=6, hostname="h", program="app", timestamp="2024-03-15T11:00:00+00:00",
      message='[x@1 a="unterminated] text'),
    v("5424-all-nil", b"<14>1 - - - - - -", format="rfc5424", facility=1, severity=6,
      message=""),
    v("5424-no-sd-field", b"<14>1 2024-03-15T11:00:00Z h app 12 ID", format="rfc5424",
      facility=1, severity=6, hostname="h", program="app", pid="12", msgid="ID",
      timestamp="2024-03-15T11:00:00+00:00", message=""),
    v("5424-sd-field-left-out", b"<14>1 2024-03-15T11:00:00Z h app - - hello world",
      format="rfc5424", facility=1, severity=6, hostname="h", program="app",
      timestamp="2024-03-15T11:00:00+00:00", message="hello world"),
    v("5424-offset-without-colon", b"<14>1 2024-03-15T13:00:00+0200 h app - - - m",
      format="rfc5424", facility=1, severity=6, hostname="h", program="app",
      timestamp="2024-03-15T11:00:00+00:00", message="m"),
    v("5424-future-is-skewed", b"<14>1 2030-01-01T00:00:00Z h app - - - m", format="rfc5424",
      facility=1, severity=6, hostname="h", program="app", clock_skewed=True, message="m"),
    v("5424-utf8-msg", "<14>1 2024-03-15T11:00:00Z h app - - - \ufeffgrüße".encode(),
      format="rfc5424", facility=1, severity=6, hostname="h", program="app",
      timestamp="2024-03-15T11:00:00+00:00", message="grüße"),
    v("5424-bad-timestamp-is-not-5424", b"<14>1 yesterday h app - - - m", facility=1,
      severity=6, message="1 yesterday h app - - - m"),
    # --- Cisco behind a relay: the sequence number is not the program -----------------------------
    v("cisco-relayed-with-seq-and-time",
      b"<189>Mar 15 11:00:00 router1 47: *Mar 15 11:00:00.123: %SYS-5-CONFIG_I: Configured",
      facility=23, severity=5, hostname="router1", program="%SYS-5-CONFIG_I",
      timestamp="2024-03-15T11:00:00+00:00", message="Configured"),
    v("cisco-relayed-with-seq", b"<189>Mar 15 11:00:00 router1 47: %LINK-3-UPDOWN: Interface up",
      facility=23, severity=5, hostname="router1", program="%LINK-3-UPDOWN",
      timestamp="2024-03-15T11:00:00+00:00", message="Interface up"),
    v("cisco-in-5424-without-app-name",
      b"<189>1 2024-03-15T11:00:00Z router1 - - - %SYS-5-RESTART: System restarted",
      format="rfc5424", facility=23, severity=5, hostname="router1", program="%SYS-5-RESTART",
      timestamp="2024-03-15T11:00:00+00:00", message="System restarted"),
    v("numeric-tag-that-is-not-cisco", b"<13>Mar 15 11:00:00 h 12345: hello", facility=1,
      severity=5, hostname="h", program="12345", timestamp="2024-03-15T11:00:00+00:00",
      message="hello"),
    # --- forced formats --------------------------------------------------------------------------
    v("fmt-raw-skips-header", b"<13>Mar 15 11:00:00 web1 app: m", fmt="raw", format="raw",
      message="<13>Mar 15 11:00:00 web1 app: m"),
    v("fmt-3164-on-5424-line", b"<14>1 2024-03-15T11:00:00Z h app - - - m", fmt="rfc3164",
      facility=1, severity=6, message="1 2024-03-15T11:00:00Z h app - - - m"),
    v("fmt-3164-headerless", b"hello", fmt="rfc3164", message="hello"),
    v("fmt-5424-on-3164-line", b"<13>Mar 15 11:00:00 web1 app: m", fmt="rfc5424",
      format="raw", message="<13>Mar 15 11:00:00 web1 app: m"),
    v("fmt-5424-without-pri", b"1 2024-03-15T11:00:00Z h app - - - m", fmt="rfc5424",
      format="rfc5424", hostname="h", program="app", timestamp="2024-03-15T11:00:00+00:00",
      message="m"),
]  # fmt: skip


@pytest.fixture(params=["fast", "general"])
def path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a test through the one-regex fast path and again with it disabled."""
    if request.param == "fast":
        yield "fast"
        return
    with mock.patch.object(syslog, "_FAST_3164", re.compile(r"(?!)")):
        yield "general"


@pytest.mark.parametrize(("line", "fmt", "received", "expected"), VECTORS)
def test_decode_vectors(
    path: str, line: bytes | str, fmt: str, received: datetime, expected: dict[str, Any]
) -> None:
    record = decode(line, received_at=received, fmt=fmt)
    assert view(record) == expected
    assert record.received_at == received
    text = line if isinstance(line, str) else line.decode("utf-8", "replace")
    assert record.raw == text.rstrip("\r\n\x00").removeprefix("\ufeff")


def test_enough_vectors() -> None:
    assert len(VECTORS) >= 40


def test_fast_path_taken_for_typical_line() -> None:
    assert syslog._FAST_3164.match("<38>Mar  5 08:00:00 web1 sshd[4242]: Accepted") is not None


def test_passes_source_and_transport() -> None:
    record = decode(b"<13>app: x", received_at=RECEIVED, source="192.0.2.1:514", transport="udp")
    assert (record.source, record.transport) == ("192.0.2.1:514", "udp")


@pytest.mark.parametrize(
    ("line", "hostname"),
    [
        (b"<13>Mar 15 11:00:00 app[1]: no host here", "fallback"),
        (b"<13>Mar 15 11:00:00 web1 app[1]: host given", "web1"),
        (b"garbage", "fallback"),
        (b"<14>1 - - app - - - nil host", "fallback"),
    ],
)
def test_default_hostname_only_when_absent(line: bytes, hostname: str) -> None:
    record = decode(line, received_at=RECEIVED, default_hostname="fallback")
    assert record.hostname == hostname


def test_naive_received_at_is_utc() -> None:
    record = decode(b"<13>hi", received_at=datetime(2024, 3, 15, 12, 0))
    assert record.received_at == RECEIVED
    assert record.timestamp.tzinfo is UTC


def test_aware_received_at_is_converted_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    record = decode(b"<13>Mar 15 11:00:00 web1 app: m", received_at=datetime(2024, 3, 15, 13, 0,
                    tzinfo=paris))
    assert record.received_at.tzinfo is UTC
    assert record.received_at == RECEIVED
    assert record.timestamp == datetime(2024, 3, 15, 11, 0, tzinfo=UTC)


def test_unknown_format_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="unknown syslog format"):
        decode(b"x", received_at=RECEIVED, fmt="json")


def test_decoder_bug_becomes_raw_record() -> None:
    def broken(*_args: object) -> SyslogRecord:
        raise RuntimeError("bug")

    with mock.patch.object(syslog, "_parse", broken):
        record = decode(b"<13>\xffx", received_at=RECEIVED, source="s")
    assert (record.format, record.message, record.raw) == ("raw", "<13>\ufffdx", "<13>\ufffdx")
    assert record.invalid_utf8 and record.source == "s"


def test_decodes_quickly() -> None:
    """A loose guard against a pathological slowdown (the real figure is ~300k lines/s)."""
    lines = [b"<38>Mar  5 08:00:00 web1 sshd[4242]: Failed password for root from 10.0.0.1"] * 10000
    start = time.perf_counter()
    for line in lines:
        decode(line, received_at=RECEIVED)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "line",
    [
        b"<14>1 " + b"[" * 200_000 + b" " + b"a" * 200_000,
        b"<14>1 - h app - - [x " + b'a="\\' * 100_000,
        b"<14>1 - h app - - " + b'[x a="b"]' * 50_000 + b"[",
        b"<13>Mar 15 11:00:00 " + b"h" * 300_000 + b" " + b"p" * 300_000,
        b"<13>" + b"1: " * 100_000,
    ],
    ids=["5424-no-spaces", "sd-unterminated", "sd-many-elements", "long-tokens", "seq-repeats"],
)
def test_huge_line_is_decoded_quickly(line: bytes) -> None:
    start = time.perf_counter()
    record = decode(line, received_at=RECEIVED)
    assert time.perf_counter() - start < 1.0
    assert record.raw == line.decode()
    assert record.message


# --- properties ---------------------------------------------------------------------------------

received_times = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
FRAGMENTS = [
    "<13>", "<191>", "<0>", "<999>", "1 ", "-", " ", "  ", ":", ": ", "[", "]", "[12]", '"', "\\",
    "Jan", "Feb", "Dec", " 5", "29", "2024", "12:00:00", "23:59:60", ".123", "Z", "+02:00",
    "2024-03-15T11:00:00", "T", "UTC", "*", "%SYS-5-X", "host", "sshd", "kernel", "x=\"y\"",
    "\ufeff", "\r\n", "\x00", "é",
]  # fmt: skip
syslogish = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=25).map("".join)


def check_invariants(record: SyslogRecord, received: datetime) -> None:
    """What every decoded record must satisfy."""
    assert record.timestamp.tzinfo is UTC
    assert record.received_at == received
    assert received - timedelta(days=365) <= record.timestamp <= received + timedelta(hours=1)
    if record.clock_skewed:
        assert record.timestamp == received
    assert record.format in ("rfc3164", "rfc5424", "raw")
    assert isinstance(record.message, str) and isinstance(record.raw, str)
    assert record.message in record.raw
    if record.program is not None:
        assert 0 < len(record.program) <= syslog.MAX_PROGRAM
    if record.format == "raw":
        assert record.message == record.raw
        assert record.facility is None and record.severity is None
    if record.facility is not None:
        assert record.severity is not None
        assert 0 <= record.facility <= 23 and 0 <= record.severity <= 7


def test_received_at_the_edge_of_time() -> None:
    received = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    record = decode(b"<13>Dec 31 22:00:00 web1 app: m", received_at=received)
    assert (record.format, record.program, record.message) == ("rfc3164", "app", "m")
    assert record.timestamp == datetime(9999, 12, 31, 22, 0, tzinfo=UTC)
    record = decode(b"<13>Jan  1 00:00:00 web1 app: m", received_at=received)  # no year 10000
    assert record.timestamp == datetime(9999, 1, 1, tzinfo=UTC)
    record = decode(b"<13>9999-12-31T23:59:59-05:00 web1 app: m", received_at=received)
    assert (record.timestamp, record.clock_skewed) == (received, True)


@settings(max_examples=400)
@given(data=st.binary(max_size=300), received=received_times)
def test_never_raises_on_bytes(data: bytes, received: datetime) -> None:
    check_invariants(decode(data, received_at=received), received)


@settings(max_examples=600)
@given(
    text=syslogish,
    received=received_times,
    fmt=st.sampled_from(syslog.FORMATS),
    as_bytes=st.booleans(),
)
def test_never_raises_on_syslogish_text(
    text: str, received: datetime, fmt: str, as_bytes: bool
) -> None:
    data: bytes | str = text.encode("utf-8", "surrogatepass") if as_bytes else text
    check_invariants(decode(data, received_at=received, fmt=fmt), received)


@settings(max_examples=300)
@given(text=syslogish, received=received_times)
def test_fast_path_is_only_a_shortcut(text: str, received: datetime) -> None:
    line = "<30>Mar 15 11:00:00 web1 app: " + text if text.startswith(" ") else text
    fast = decode(line, received_at=received)
    with mock.patch.object(syslog, "_FAST_3164", re.compile(r"(?!)")):
        general = decode(line, received_at=received)
    assert fast == general


@settings(max_examples=300)
@given(
    month=st.integers(1, 12),
    day=st.integers(1, 28),
    clock=st.times(),
    host=st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True),
    program=st.from_regex(r"[A-Za-z][A-Za-z0-9_./-]{0,30}", fullmatch=True),
    pid=st.none() | st.integers(1, 99999).map(str),
    message=st.text(st.characters(blacklist_categories=["Cs"]), max_size=40).map(
        lambda s: s.strip("\r\n\x00\ufeff")
    ),
    received=received_times,
)
def test_fast_and_general_paths_agree(
    month: int,
    day: int,
    clock: Any,
    host: str,
    program: str,
    pid: str | None,
    message: str,
    received: datetime,
) -> None:
    name = syslog._MONTH_NAMES[month - 1]
    tag = f"{program}[{pid}]" if pid else program
    line = f"<30>{name} {day:2d} {clock:%H:%M:%S} {host} {tag}: {message}"
    fast = decode(line, received_at=received)
    with mock.patch.object(syslog, "_FAST_3164", re.compile(r"(?!)")):
        general = decode(line, received_at=received)
    assert fast == general
    assert (fast.hostname, fast.program, fast.pid, fast.message) == (host, program, pid, message)
