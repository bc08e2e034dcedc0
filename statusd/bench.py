"""`statusd bench`: the full pipeline on generated mixed traffic, against a same-run reference."""

from __future__ import annotations

import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_CONFIG = """
[storage]
database = "sqlite:///data/statusd.db"

[[component]]
slug = "website"
name = "Website"
group = "Public"
devices = ["web*"]

[[component]]
slug = "mail"
name = "Mail"

[[rule]]
id = "ssh-bruteforce"
kind = "threshold"
match = { taxonomy = "auth.failure" }
count = 10
window = "60s"
group_by = ["src_ip"]
alert = { severity = "minor", title = "SSH brute force from {src_ip}" }

[[rule]]
id = "upstream-timeouts"
kind = "threshold"
match = { service = "nginx", message_id = "nginx.upstream.timeout" }
count = 20
window = "60s"
group_by = ["device"]
alert = { severity = "major", title = "Upstream timeouts on {device}" }
status = { component = "website", set = "degraded_performance", recover_after = "5m" }
incident = { title = "Website responding slowly", message = "We see elevated error rates." }

[[rule]]
id = "mail-deferred"
kind = "threshold"
match = { service = "postfix", taxonomy = "mail.deferred" }
count = 50
window = "5m"
status = { component = "mail", set = "partial_outage", recover_after = "10m" }

[[rule]]
id = "oom"
kind = "single"
match = { taxonomy = "system.oom" }
alert = { severity = "critical", title = "OOM on {device}" }
"""

_USERS = ["root", "admin", "alice", "bob", "deploy", "oracle", "test", "ubuntu"]
_HOSTS = ["web1", "web2", "web3", "mail1", "db1", "fw1", "app1", "app2"]


def _ip(rng: random.Random) -> str:
    return ".".join(str(rng.randint(lo, hi)) for lo, hi in ((1, 223), (0, 255), (0, 255), (1, 254)))


def generate(n: int, seed: int = 7) -> list[str]:
    """n syslog lines of mixed services, about 10% of them unknown to the library."""
    rng = random.Random(seed)
    attackers = [_ip(rng) for _ in range(5)]  # brute-force sources: the threshold rule fires
    start = datetime(2026, 3, 1, tzinfo=UTC)
    out: list[str] = []
    for i in range(n):
        ts = start + timedelta(milliseconds=i * 50)
        stamp = ts.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1)
        host = rng.choice(_HOSTS)
        pid = rng.randint(100, 65000)
        k = rng.random()
        if k < 0.22:
            src = rng.choice(attackers) if rng.random() < 0.3 else _ip(rng)
            msg = (f"sshd[{pid}]: Failed password for {rng.choice(_USERS)} from {src} "
                   f"port {rng.randint(1024, 65535)} ssh2")
        elif k < 0.30:
            msg = (f"sshd[{pid}]: Accepted publickey for {rng.choice(_USERS)} from {_ip(rng)} "
                   f"port {rng.randint(1024, 65535)} ssh2: RSA SHA256:abcdef{i}")
        elif k < 0.45:
            msg = (f'nginx: {_ip(rng)} - - [{ts.strftime("%d/%b/%Y:%H:%M:%S +0000")}] '
                   f'"GET /api/items/{i} HTTP/1.1" {rng.choice([200, 200, 200, 304, 404, 502])} '
                   f'{rng.randint(100, 90000)} "-" "Mozilla/5.0 (X11; Linux x86_64)"')
        elif k < 0.50:
            msg = (f"nginx: {ts.strftime('%Y/%m/%d %H:%M:%S')} [error] {pid}#{pid}: *{i} upstream "
                   f"timed out (110: Connection timed out) while reading response header from "
                   f'upstream, client: {_ip(rng)}, server: example.org, request: "GET / HTTP/1.1",'
                   f' upstream: "http://10.0.0.5:8080/", host: "example.org"')
        elif k < 0.62:
            qid = f"{rng.randint(0x10000000, 0xFFFFFFFF):X}"
            msg = (f"postfix/smtp[{pid}]: {qid}: to=<user{i}@example.net>, relay=mx.example.net"
                   f"[{_ip(rng)}]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent "
                   f"(250 2.0.0 Ok: queued as {qid}1)")
        elif k < 0.68:
            msg = (f"CRON[{pid}]: (root) CMD (/usr/lib/php/sessionclean)")
        elif k < 0.75:
            msg = f"systemd[1]: Started Session {i} of User {rng.choice(_USERS)}."
        elif k < 0.82:
            msg = (f"kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00"
                   f" SRC={_ip(rng)} DST=10.0.0.1 LEN=40 TOS=0x00 PREC=0x00 TTL=243 ID=54321 "
                   f"PROTO=TCP SPT={rng.randint(1024, 65535)} DPT={rng.choice([22, 23, 3389])} "
                   f"WINDOW=1024 RES=0x00 SYN URGP=0")
        elif k < 0.90:
            msg = (f"sudo: {rng.choice(_USERS)} : TTY=pts/0 ; PWD=/home/x ; USER=root ; "
                   f"COMMAND=/usr/bin/systemctl restart nginx")
        else:
            msg = f"myapp[{pid}]: request {i} handled in {rng.randint(1, 900)}ms by worker {k:.4f}"
        pri = rng.choice([13, 38, 86, 30, 22, 4])
        out.append(f"<{pri}>{stamp} {host} {msg}")
    return out


def _reference(lines: list[bytes], path: Path) -> float:
    """Plain sqlite3 executemany of the raw lines into one text column: the floor of storing."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE line (id INTEGER PRIMARY KEY, received_at TEXT, message TEXT)")
    start = time.perf_counter()
    for i in range(0, len(lines), 2000):
        now = datetime.now(UTC).isoformat()
        conn.executemany("INSERT INTO line (received_at, message) VALUES (?, ?)",
                         [(now, b.decode("utf-8", "replace")) for b in lines[i:i + 2000]])
        conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return len(lines) / elapsed


def run_bench(lines: int = 200_000, keep: bool = False) -> int:
    """Generate traffic, run `statusd ingest`'s code path and the reference; print the figures."""
    from statusd.config import load_settings
    from statusd.ingest.replay import ingest_files
    from statusd.ingest.syslog import decode
    from statusd.metrics import Registry
    from statusd.rules.services import ServiceLibrary
    from statusd.runtime import build_pipeline

    work = Path(tempfile.mkdtemp(prefix="statusd-bench-"))
    try:
        print(f"generating {lines:,} lines ...", file=sys.stderr)
        text = generate(lines)
        data = work / "traffic.log"
        data.write_text("\n".join(text) + "\n")
        raw = [t.encode() for t in text]
        (work / "statusd.toml").write_text(BENCH_CONFIG)

        ref_rate = _reference(raw, work / "reference.db")

        now = datetime.now(UTC)
        start = time.perf_counter()
        records = [decode(b, received_at=now) for b in raw]
        decode_rate = lines / (time.perf_counter() - start)

        library = ServiceLibrary.load([])
        start = time.perf_counter()
        known = sum(1 for r in records if library.match(r.program, r.message) is not None)
        parse_rate = lines / (time.perf_counter() - start)

        settings = load_settings(work / "statusd.toml")
        pipeline = build_pipeline(settings, Registry())
        result = ingest_files(pipeline, [str(data)], progress=sys.stderr.isatty(),
                              batch_size=settings.get("syslog.batch_size"))
        print(f"lines:                {lines:,} ({known / lines:.1%} recognised)")
        print(f"decode only:          {decode_rate:12,.0f} lines/s")
        print(f"parse only:           {parse_rate:12,.0f} lines/s")
        print(f"reference (sqlite3 executemany of raw lines): {ref_rate:12,.0f} lines/s")
        print(f"full pipeline (statusd ingest):               {result.rate:12,.0f} lines/s")
        print(f"ratio full/reference: {result.rate / ref_rate:.3f}")
        print(f"rule firings: {pipeline.metrics.rule_firings.total():.0f}")
    finally:
        if keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0
