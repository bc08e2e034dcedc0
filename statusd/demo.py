"""`statusd serve --demo`: example components and rules, and a replay of sample traffic.

The traffic runs in a loop of DEMO_CYCLE seconds so that a newcomer sees, within a minute,
a component degrade and recover, an incident open and resolve, and alerts appear.
"""

from __future__ import annotations

import asyncio
import random
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from statusd.config import ComponentSettings, Settings
from statusd.ingest.pipeline import RawLine
from statusd.rules.model import parse_rule

DEMO_DATABASE = "sqlite:///statusd-demo/statusd.db"
DEMO_CYCLE = 120  # seconds

DEMO_CONFIG = """
[[component]]
slug = "website"
name = "Website"
group = "Public services"
devices = ["web*"]

[[component]]
slug = "api"
name = "API"
group = "Public services"
devices = ["web*", "app*"]

[[component]]
slug = "mail"
name = "Email delivery"
group = "Communication"
devices = ["mail*"]

[[component]]
slug = "vpn"
name = "Staff VPN"
group = "Internal"

[[rule]]
id = "demo-upstream-timeouts"
kind = "threshold"
match = { service = "nginx", message_id = "nginx.upstream.timeout" }
count = 5
window = "30s"
group_by = ["device"]
alert = { severity = "major", title = "Upstream timeouts on {device}" }
status = { component = "website", set = "degraded_performance", recover_after = "25s" }

[rule.incident]
title = "Website responding slowly"
message = "We see elevated error rates on {device} and are investigating."
resolve = "Response times are back to normal."

[[rule]]
id = "demo-ssh-bruteforce"
kind = "threshold"
match = { taxonomy = "auth.failure" }
count = 8
window = "60s"
group_by = ["src_ip"]
alert = { severity = "minor", title = "SSH brute force from {src_ip}" }

[[rule]]
id = "demo-mail-deferred"
kind = "threshold"
match = { service = "postfix", taxonomy = "mail.deferred" }
count = 6
window = "30s"
status = { component = "mail", set = "partial_outage", recover_after = "30s" }

[rule.incident]
title = "Outgoing email delayed"
message = "Some messages to external domains are delayed."

[[rule]]
id = "demo-oom"
kind = "single"
match = { taxonomy = "system.oom" }
alert = { severity = "critical", title = "Out of memory on {device}" }
"""


def apply_demo(settings: Settings) -> Settings:
    """Add the demo components and rules; keep demo data apart from a real default database."""
    data = tomllib.loads(DEMO_CONFIG)
    known = {c.slug for c in settings.components}
    for table in data["component"]:
        if table["slug"] not in known:
            settings.components.append(ComponentSettings(
                slug=table["slug"], name=table["name"], group=table.get("group"),
                devices=list(table.get("devices", []))))
    slugs = {c.slug for c in settings.components}
    taken = {r.id for r in settings.rules}
    for i, table in enumerate(data["rule"]):
        if table["id"] not in taken:
            settings.rules.append(parse_rule(table, file="<demo>", where=f"rule[{i}]",
                                             known_components=slugs))
    if settings.path is None:
        settings.values["storage.database"] = DEMO_DATABASE
    return settings


@dataclass(frozen=True, slots=True)
class Phase:
    """Between start and end seconds of the cycle, `per_second` lines from `make`."""

    start: int
    end: int
    per_second: float
    make: Callable[[random.Random, datetime], str]


def _stamp(t: datetime) -> str:
    return t.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1)


def _ip(rng: random.Random) -> str:
    return f"198.51.100.{rng.randint(2, 250)}"


def _access(rng: random.Random, t: datetime) -> str:
    status = rng.choice([200, 200, 200, 200, 304, 404])
    return (f"<190>{_stamp(t)} web{rng.randint(1, 2)} nginx: {_ip(rng)} - - "
            f'[{t.strftime("%d/%b/%Y:%H:%M:%S +0000")}] "GET /products/{rng.randint(1, 99)} '
            f'HTTP/1.1" {status} {rng.randint(200, 9000)} "-" "Mozilla/5.0"')


def _timeout(rng: random.Random, t: datetime) -> str:
    return (f"<187>{_stamp(t)} web1 nginx: {t.strftime('%Y/%m/%d %H:%M:%S')} [error] 812#812: "
            f"*{rng.randint(1000, 9999)} upstream timed out (110: Connection timed out) while "
            f"reading response header from upstream, client: {_ip(rng)}, server: shop.example, "
            f'request: "GET /checkout HTTP/1.1", upstream: "http://10.0.0.7:8080/checkout", '
            f'host: "shop.example"')


def _ssh_fail(rng: random.Random, t: datetime) -> str:
    user = rng.choice(["root", "admin", "oracle", "test"])
    return (f"<38>{_stamp(t)} app1 sshd[{rng.randint(2000, 9000)}]: Failed password for {user} "
            f"from 203.0.113.66 port {rng.randint(30000, 60000)} ssh2")


def _ssh_ok(rng: random.Random, t: datetime) -> str:
    return (f"<38>{_stamp(t)} app1 sshd[{rng.randint(2000, 9000)}]: Accepted publickey for "
            f"deploy from 192.0.2.10 port {rng.randint(30000, 60000)} ssh2: ED25519 SHA256:x")


def _mail_sent(rng: random.Random, t: datetime) -> str:
    qid = f"{rng.randint(0x10000, 0xFFFFF):X}{rng.randint(0x100, 0xFFF):X}"
    return (f"<22>{_stamp(t)} mail1 postfix/smtp[{rng.randint(2000, 9000)}]: {qid}: "
            f"to=<user{rng.randint(1, 500)}@example.net>, relay=mx.example.net[192.0.2.25]:25, "
            f"delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)")


def _mail_deferred(rng: random.Random, t: datetime) -> str:
    qid = f"{rng.randint(0x10000, 0xFFFFF):X}{rng.randint(0x100, 0xFFF):X}"
    return (f"<20>{_stamp(t)} mail1 postfix/smtp[{rng.randint(2000, 9000)}]: {qid}: "
            f"to=<user{rng.randint(1, 500)}@example.com>, relay=none, delay=30, "
            f"delays=0.1/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.com"
            f"[192.0.2.99]:25: Connection timed out)")


def _cron(rng: random.Random, t: datetime) -> str:
    pid = rng.randint(2000, 9000)
    return f"<78>{_stamp(t)} app2 CRON[{pid}]: (root) CMD (/usr/local/bin/backup)"


def _unknown(rng: random.Random, t: datetime) -> str:
    return (f"<14>{_stamp(t)} app2 inventory[{rng.randint(100, 999)}]: synced "
            f"{rng.randint(10, 900)} items in {rng.randint(5, 90)}ms")


PHASES = (
    Phase(0, DEMO_CYCLE, 3, _access),
    Phase(0, DEMO_CYCLE, 0.5, _ssh_ok),
    Phase(0, DEMO_CYCLE, 1, _mail_sent),
    Phase(0, DEMO_CYCLE, 0.2, _cron),
    Phase(0, DEMO_CYCLE, 0.3, _unknown),
    Phase(10, 22, 1, _timeout),  # website degrades at ~15 s, recovers ~25 s after 22 s
    Phase(30, 42, 1, _ssh_fail),  # a brute-force alert
    Phase(50, 60, 1, _mail_deferred),  # mail partial outage, recovers ~30 s later
)


def lines_at(second: int, rng: random.Random, now: datetime) -> Iterator[str]:
    """The demo lines of one second of the cycle."""
    offset = second % DEMO_CYCLE
    for phase in PHASES:
        if phase.start <= offset < phase.end:
            n = int(phase.per_second) + (rng.random() < phase.per_second % 1)
            for _ in range(n):
                yield phase.make(rng, now)


async def replay(offer: Callable[[RawLine], bool], *, seed: int = 1) -> None:
    """Feed demo traffic into the queue, one second at a time, until cancelled."""
    rng = random.Random(seed)
    second = 0
    while True:
        now = datetime.now(UTC)
        for text in lines_at(second, rng, now):
            offer(RawLine(text.encode(), now, "127.0.0.1:0", "demo"))
        second += 1
        await asyncio.sleep(1)
