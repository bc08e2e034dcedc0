"""End to end: logger → statusd serve → rules → component status and incident over HTTP."""

from __future__ import annotations

import json
import os
import socket

import pytest

from tests.e2e.conftest import Server, wait_until

pytestmark = [
    pytest.mark.e2e,
]

# logger puts this machine's hostname in the header, so the component takes any device here;
# device globs are covered by the unit tests of the rule actions.
RULES = """
[[component]]
slug = "website"
name = "Website"
group = "Public services"

[[rule]]
id = "website-errors"
kind = "threshold"
match = { service = "nginx", message_id = "nginx.upstream.timeout" }
count = 3
window = "60s"
group_by = ["device"]
alert = { severity = "major", title = "Upstream timeouts on {device}" }
status = { component = "website", set = "degraded_performance", recover_after = "3s" }
incident = { title = "Website responding slowly", message = "Errors on {device}." }
"""

TIMEOUT_LINE = (
    "2026/05/01 12:00:00 [error] 1234#1234: *5 upstream timed out (110: Connection timed out) "
    "while reading response header from upstream, client: 203.0.113.7, server: example.org, "
    'request: "GET / HTTP/1.1", upstream: "http://10.0.0.1:8080/", host: "example.org"'
)


def website(server: Server) -> str:
    comps = server.get("/api/v2/components.json")["components"]
    return next(c["status"] for c in comps if c["name"] == "Website")


def unresolved(server: Server) -> list[dict]:
    return server.get("/api/v2/incidents/unresolved.json")["incidents"]


@pytest.mark.parametrize("framing", [
    ("--udp", "--rfc3164"),
    ("--udp",),  # RFC 5424, logger's default for remote
    ("--tcp", "--rfc3164"),  # LF-delimited frames
    ("--tcp", "--octet-count"),  # RFC 6587 octet counting
], ids=["udp-3164", "udp-5424", "tcp-lf", "tcp-octet"])
def test_logger_drives_status_incident_and_recovery(start_server, framing) -> None:
    server = start_server(RULES)
    assert website(server) == "operational"
    assert unresolved(server) == []

    for _ in range(3):
        server.logger(*framing, "-t", "nginx", TIMEOUT_LINE)

    wait_until(lambda: website(server) == "degraded_performance", what="degraded status")
    incidents = unresolved(server)
    assert len(incidents) == 1
    assert incidents[0]["name"] == "Website responding slowly"
    assert incidents[0]["status"] == "investigating"
    assert [c["name"] for c in incidents[0]["components"]] == ["Website"]
    assert incidents[0]["incident_updates"][0]["body"].startswith("Errors on ")
    assert server.get("/api/v2/status.json")["status"]["indicator"] == "minor"

    # Three seconds of quiet: the component goes back and the incident is resolved.
    wait_until(lambda: website(server) == "operational", timeout=20, what="recovery")
    assert unresolved(server) == []
    latest = server.get("/api/v2/incidents.json")["incidents"][0]
    assert latest["status"] == "resolved"
    assert latest["resolved_at"]
    assert server.metric("statusd_rule_firings_total") == 1

    hits = [json.loads(x) for x in server.cli("search", "--json", "upstream").stdout.splitlines()]
    assert len(hits) == 3
    assert {h["message_id"] for h in hits} == {"nginx.upstream.timeout"}
    assert {h["program"] for h in hits} == {"nginx"}
    assert hits[0]["device"] == socket.gethostname()


def test_garbage_does_not_stop_listeners(start_server) -> None:
    server = start_server(RULES)
    rng_bytes = os.urandom
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for size in (1, 7, 100, 1400, 60000):
        udp.sendto(rng_bytes(size), ("127.0.0.1", server.syslog))
    udp.sendto(b"\x00\xff\xfe<999>garbage\r\n", ("127.0.0.1", server.syslog))
    udp.close()

    frames = [
        b"99999999999999 overflow count\n",
        b"12 short\n",
        b"<13>" + b"A" * 20000 + b"\n",  # over max_message_size: truncated and counted
        rng_bytes(5000),
        b"\n\n\n",
        b"\x00" * 100,
    ]
    for frame in frames:
        with socket.create_connection(("127.0.0.1", server.syslog), timeout=5) as tcp:
            tcp.sendall(frame)
    # A peer that connects and says nothing must not matter either.
    idle = socket.create_connection(("127.0.0.1", server.syslog), timeout=5)

    assert server.proc.poll() is None, "statusd died"
    server.logger("--udp", "--rfc3164", "-t", "sshd",
                  "Failed password for root from 198.51.100.4 port 4711 ssh2")
    server.logger("--tcp", "--octet-count", "-t", "sshd",
                  "Accepted password for alice from 198.51.100.5 port 4712 ssh2")

    def stored_valid() -> bool:
        out = server.cli("search", "--json", "program=sshd").stdout.splitlines()
        return len(out) == 2

    wait_until(stored_valid, what="valid lines after garbage")
    assert server.metric("statusd_messages_dropped_total") >= 1
    assert server.proc.poll() is None
    assert server.get("/healthz")["status"] == "ok"
    idle.close()
