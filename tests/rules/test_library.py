"""The shipped service library: every example of every message, routed through the whole library."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from statusd.rules.services import LIBRARY_DIR, Example, MessageDef, ServiceLibrary

LIBRARY = ServiceLibrary.load()
MESSAGES: list[MessageDef] = [m for s in LIBRARY.services for m in s.messages]
EXAMPLES: list[tuple[MessageDef, int, Example]] = [
    (m, i, e) for m in MESSAGES for i, e in enumerate(m.examples)]
TAXONOMY_DOC = Path(__file__).resolve().parents[2] / "docs" / "taxonomy.md"


def documented_taxonomy() -> set[str]:
    """The names listed in docs/taxonomy.md as "- `name` — meaning"."""
    return set(re.findall(r"^- `([a-z0-9_.]+)` — \S", TAXONOMY_DOC.read_text(), re.MULTILINE))


@pytest.mark.parametrize(("message", "index", "example"), EXAMPLES,
                         ids=[f"{m.id}[{i}]" for m, i, _ in EXAMPLES])
def test_example_matches_exactly_its_message(message: MessageDef, index: int,
                                             example: Example) -> None:
    got = LIBRARY.match(example.program, example.line)
    assert got is not None, f"no message matches {example.line!r}"
    assert got.message_id == message.id
    assert got.service == message.service
    assert got.level == message.level
    assert got.taxonomy == message.taxonomy
    if example.fields is not None:
        assert got.fields == example.fields
    assert LIBRARY.timeouts == 0


@pytest.mark.parametrize("message", MESSAGES, ids=[m.id for m in MESSAGES])
def test_message_is_documented_and_exemplified(message: MessageDef) -> None:
    assert message.examples, "every shipped message needs at least one example"
    assert all(e.fields is not None for e in message.examples), "examples must list fields"
    assert message.taxonomy in documented_taxonomy(), "use (or document) a taxonomy name"
    assert message.id.startswith(f"{message.service}."), "ids start with the service name"


def test_taxonomy_doc_lists_names_once() -> None:
    names = re.findall(r"^- `([a-z0-9_.]+)`", TAXONOMY_DOC.read_text(), re.MULTILINE)
    assert len(names) == len(set(names))
    assert {"auth.success", "auth.failure", "network.firewall.drop", "mail.delivered",
            "web.upstream.failure", "system.oom"} <= set(names)


def test_one_file_per_service_named_after_it() -> None:
    for service in LIBRARY.services:
        assert Path(service.path).parent == LIBRARY_DIR
        assert Path(service.path).name == f"{service.name}.toml"


def test_ids_the_spec_and_docs_rely_on() -> None:
    for mid in ("sshd.auth.password_failed", "nginx.upstream.timeout", "nginx.access",
                "nginx.access.server_error", "kernel.firewall.drop", "kernel.oom.killed",
                "postfix.delivery.deferred", "systemd.unit.start_failed"):
        assert LIBRARY.message(mid) is not None, mid


# Lines as they arrive (program, message), beyond the files' own examples.
ROUTING = [
    ("sshd", "Failed password for root from 203.0.113.9 port 4711 ssh2",
     "sshd.auth.password_failed"),
    ("sshd-session", "Accepted publickey for alice from 198.51.100.7 port 50022 ssh2: "
     "RSA SHA256:abcdef", "sshd.auth.publickey_accepted"),
    ("SSHD", "Invalid user admin from 203.0.113.9", "sshd.auth.invalid_user"),
    ("sshd", "pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)",
     "pam.session.opened"),
    ("sshd(pam_unix)", "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= "
     "rhost=203.0.113.9  user=root", "pam.auth.failure"),
    ("sudo", "pam_unix(sudo:auth): authentication failure; logname=bob uid=1000 euid=0 "
     "tty=/dev/pts/1 ruser=bob rhost=  user=bob", "pam.auth.failure"),
    ("CRON", "pam_unix(cron:session): session closed for user root", "cron.session.closed"),
    ("kernel", "[12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21"
     ":08:00 SRC=203.0.113.9 DST=192.0.2.1 LEN=40 TOS=0x00 PREC=0x00 TTL=243 ID=54321 PROTO=TCP"
     " SPT=1234 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0", "kernel.firewall.drop"),
    ("kernel", "[ 1234.5] Out of memory: Killed process 99 (mysqld) total-vm:1kB, anon-rss:1kB, "
     "file-rss:0kB, shmem-rss:0kB, UID:27 pgtables:1kB oom_score_adj:0", "kernel.oom.killed"),
    ("postfix/smtpd", "NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <x@example.net>"
     ": Relay access denied; from=<a@example.com> to=<x@example.net> proto=SMTP",
     "postfix.smtpd.reject_relay"),
    ("nginx", '198.51.100.7 - - [01/May/2024:12:00:00 +0000] "GET / HTTP/1.1" 503 0 "-" "curl/8.0"',
     "nginx.access.server_error"),
    ("nginx", '198.51.100.7 - - [01/May/2024:12:00:00 +0000] "GET / HTTP/1.1" 404 0 "-" "curl/8.0"',
     "nginx.access"),
    ("systemd", "Started Session 5 of User root.", "systemd.session.started"),
    ("systemd", "nginx.service: Failed with result 'exit-code'.", "systemd.unit.failed_result"),
]


@pytest.mark.parametrize(("program", "line", "expected"), ROUTING, ids=[r[2] for r in ROUTING])
def test_routing(program: str, line: str, expected: str) -> None:
    got = LIBRARY.match(program, line)
    assert got is not None and got.message_id == expected


@pytest.mark.parametrize(("program", "line"), [
    ("nginx", "Failed password for root from 203.0.113.9 port 4711 ssh2"),  # not sshd's line
    ("myapp", "request 17 handled in 12ms"),
    ("sshd", "Failed password for root from 203.0.113.9 port 4711 ssh2 and more"),
    (None, "(root) CMD (ls)"),
])
def test_unknown_lines(program: str | None, line: str) -> None:
    assert LIBRARY.match(program, line) is None
