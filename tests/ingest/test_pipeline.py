"""The pipeline: lines in; archive rows, devices, rule decisions and status changes out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from statusd.config import load_settings
from statusd.ingest.pipeline import Pipeline, RawLine, source_host
from statusd.metrics import Registry
from statusd.models import (
    Alert,
    Component,
    ComponentStatusChange,
    Device,
    Incident,
    LogLine,
    RuleState,
)
from statusd.runtime import build_pipeline
from tests.conftest import fresh_engine

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

CONFIG = """
[[component]]
slug = "website"
name = "Website"
devices = ["web*"]

[[component]]
slug = "backup"
name = "Backups"

[[rule]]
id = "upstream"
kind = "threshold"
match = { service = "nginx", message_id = "nginx.upstream.timeout" }
count = 3
window = "60s"
group_by = ["device"]
alert = { severity = "major", title = "Upstream timeouts on {device}" }
status = { component = "website", set = "partial_outage", recover_after = "5m" }
incident = { title = "Website slow", message = "Timeouts on {device}" }

[[rule]]
id = "ssh-fail"
kind = "single"
match = { taxonomy = "auth.failure" }
alert = { severity = "minor", title = "SSH failure for {user} from {src_ip}" }

[[rule]]
id = "backup-heartbeat"
kind = "absence"
match = { service = "cron", device = "backup*" }
window = "10m"
status = { component = "backup", set = "major_outage" }
"""

TIMEOUT = (
    "{ts} {host} nginx: 2026/05/01 12:00:00 [error] 99#99: *1 upstream timed out (110: "
    "Connection timed out) while reading response header from upstream, client: 203.0.113.9, "
    'server: x, request: "GET / HTTP/1.1", upstream: "http://10.0.0.1:80/", host: "x"'
)


def stamp(t: datetime) -> str:
    return t.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1)


def line(text: str, t: datetime = T0, source: str = "192.0.2.10:514") -> RawLine:
    return RawLine(text.encode(), t, source, "udp")


def timeout_line(t: datetime, host: str = "web1") -> RawLine:
    return line("<27>" + TIMEOUT.format(ts=stamp(t), host=host), t)


@pytest.fixture
def make(db: Engine, tmp_path: Path):
    cfg = tmp_path / "statusd.toml"
    cfg.write_text(CONFIG)
    settings = load_settings(cfg)

    def build() -> Pipeline:
        return build_pipeline(settings, Registry(), db=db)

    return build


def status_of(db: Engine, slug: str) -> str:
    with Session(db) as s:
        return s.exec(select(Component).where(Component.slug == slug)).one().status


def test_batch_stores_lines_devices_and_counts(make, db: Engine) -> None:
    p = make()
    stored = p.process_batch([
        line(f"<38>{stamp(T0)} web1 sshd[1]: Failed password for root from 198.51.100.1 "
             "port 22 ssh2"),
        line("<13>just some text nobody knows", source="192.0.2.99:40000"),
        line(f"<38>{stamp(T0)} web1 sshd[1]: Accepted password for bob from 198.51.100.2 "
             "port 22 ssh2"),
        RawLine(b"<13>" + bytes(range(128, 256)), T0, "192.0.2.99:40000", "tcp"),
    ])
    assert stored == 4
    with Session(db) as s:
        rows = s.exec(select(LogLine).order_by(LogLine.id)).all()
        assert [r.device for r in rows] == ["web1", "192.0.2.99", "web1", "192.0.2.99"]
        assert rows[0].message_id == "sshd.auth.password_failed"
        assert json.loads(rows[0].fields)["src_ip"] == "198.51.100.1"
        assert rows[1].service is None
        assert "\ufffd" in rows[3].message
        devices = {d.name: d for d in s.exec(select(Device)).all()}
        assert devices["web1"].message_count == 2
        assert devices["192.0.2.99"].address == "192.0.2.99"
        assert s.exec(select(func.count()).select_from(Alert)).one() == 1
    assert p.metrics.stored.total() == 4
    assert p.metrics.unknown.total() == 2
    assert p.metrics.dropped.value(transport="any", reason="invalid_utf8_replaced") == 1
    assert p.metrics.rule_firings.value(rule="ssh-fail") == 1


def test_threshold_sets_status_opens_incident_and_recovers(make, db: Engine) -> None:
    p = make()
    p.process_batch([timeout_line(T0 + timedelta(seconds=i)) for i in range(3)])
    assert status_of(db, "website") == "partial_outage"
    with Session(db) as s:
        inc = s.exec(select(Incident)).one()
        assert inc.title == "Website slow" and inc.status == "investigating"
        assert inc.impact == "major"
        alert = s.exec(select(Alert)).one()
        assert alert.title == "Upstream timeouts on web1"
    # Quiet for less than recover_after: still down.
    p.tick(T0 + timedelta(minutes=4))
    assert status_of(db, "website") == "partial_outage"
    p.tick(T0 + timedelta(minutes=6))
    assert status_of(db, "website") == "operational"
    with Session(db) as s:
        assert s.exec(select(Incident)).one().status == "resolved"


def test_component_device_globs_limit_status_changes(make, db: Engine) -> None:
    p = make()
    p.process_batch([timeout_line(T0 + timedelta(seconds=i), host="db1") for i in range(3)])
    assert status_of(db, "website") == "operational"  # db1 is not one of web*
    with Session(db) as s:
        assert s.exec(select(func.count()).select_from(Alert)).one() == 1


def test_rule_windows_survive_a_restart(make, db: Engine) -> None:
    p = make()
    p.process_batch([timeout_line(T0), timeout_line(T0 + timedelta(seconds=1))])
    with Session(db) as s:
        assert s.get(RuleState, "upstream") is not None
    p2 = make()  # a new process: state comes from the database
    p2.process_batch([timeout_line(T0 + timedelta(seconds=2))])
    assert status_of(db, "website") == "partial_outage"


def test_pending_recovery_survives_a_restart(make, db: Engine) -> None:
    p = make()
    p.process_batch([timeout_line(T0 + timedelta(seconds=i)) for i in range(3)])
    p2 = make()
    p2.tick(T0 + timedelta(minutes=10))
    assert status_of(db, "website") == "operational"


def test_absence_fires_on_tick_and_recovers_on_heartbeat(make, db: Engine) -> None:
    p = make()
    p.process_batch([line(f"<78>{stamp(T0)} backup1 CRON[5]: (root) CMD (run-backup)")])
    p.tick(T0 + timedelta(minutes=5))
    assert status_of(db, "backup") == "operational"
    p.tick(T0 + timedelta(minutes=11))
    assert status_of(db, "backup") == "major_outage"
    t = T0 + timedelta(minutes=12)
    p.process_batch([line(f"<78>{stamp(t)} backup1 CRON[6]: (root) CMD (run-backup)", t)])
    assert status_of(db, "backup") == "operational"


def test_replay_equals_live(make, db: Engine, tmp_path: Path) -> None:
    """One batch of a whole file decides exactly what line-by-line live traffic with ticks did."""
    times = [0, 1, 2, 100, 101, 500, 501, 502, 503, 1000]
    lines = [timeout_line(T0 + timedelta(seconds=s)) for s in times]
    end = T0 + timedelta(seconds=1400)

    def history(engine: Engine) -> list[tuple[str, str, str, datetime]]:
        with Session(engine) as s:
            rows = s.exec(select(ComponentStatusChange, Component.slug)
                          .join(Component, Component.id == ComponentStatusChange.component_id)
                          .order_by(ComponentStatusChange.at, ComponentStatusChange.id)).all()
            return [(slug, r.old_status, r.new_status, r.at) for r, slug in rows]

    live = make()
    for ln in lines:
        live.process_batch([ln])
        live.tick(ln.received_at)
    live.tick(end)

    cfg = tmp_path / "statusd.toml"
    other = fresh_engine("sqlite", tmp_path / "replay")
    replay = build_pipeline(load_settings(cfg), Registry(), db=other)
    replay.process_batch(lines)
    replay.tick(end)

    assert history(db) == history(other)
    assert [(h[0], h[2]) for h in history(db)] == [
        ("website", "partial_outage"), ("website", "operational"),  # 0..2, quiet by 302
        ("website", "partial_outage"), ("backup", "major_outage"),  # 500..502; no cron by 600
        ("website", "operational"),  # 5 minutes of quiet after 503
    ]


def test_hostile_line_content_is_stored_verbatim_and_safely(make, db: Engine) -> None:
    p = make()
    evil = "<13>" + stamp(T0) + " web1 app: '); DROP TABLE log_line; -- <script>x</script>\x00"
    p.process_batch([line(evil), line("<13>" + "x" * 200_000)])
    with Session(db) as s:
        rows = s.exec(select(LogLine).order_by(LogLine.id)).all()
        assert "DROP TABLE" in rows[0].message
        assert "\x00" not in rows[0].message


@pytest.mark.parametrize(("source", "host"), [
    ("192.0.2.1:514", "192.0.2.1"),
    ("[2001:db8::1]:514", "2001:db8::1"),
    ("2001:db8::1", "2001:db8::1"),
    (None, None),
])
def test_source_host(source: str | None, host: str | None) -> None:
    assert source_host(source) == host


def test_expire_drops_the_days_received_before_the_cutoff_day(make, db: Engine) -> None:
    p = make()
    old = [line(f"<13>{stamp(T0)} h app: old {i}", T0) for i in range(25)]
    new = [line(f"<13>{stamp(T0)} h app: new {i}", T0 + timedelta(days=40)) for i in range(5)]
    p.process_batch(old)
    p.process_batch(new)
    # 2026-05-01 and the 05-02 made ahead go whole; the cutoff's own day (05-11) would stay.
    assert p.expire(T0 + timedelta(days=10)) == ["log_line_p20260501", "log_line_p20260502"]
    with Session(db) as s:
        left = [r.message for r in s.exec(select(LogLine).order_by(LogLine.id)).all()]
    assert left == [f"new {i}" for i in range(5)]
    assert p.expire(T0 + timedelta(days=10)) == []
    p.process_batch([line(f"<13>{stamp(T0)} h app: late", T0)])  # its day is made again
    assert p.expire(T0 + timedelta(days=40, hours=1)) == ["log_line_p20260501",
                                                          "log_line_p20260502"]


def test_device_rates_are_rolled_up_per_minute_and_hour(make, db: Engine) -> None:
    from statusd.models import DeviceRate

    p = make()
    t1 = T0 + timedelta(seconds=10)
    t2 = T0 + timedelta(minutes=1, seconds=5)
    t3 = T0 + timedelta(hours=1, minutes=2)
    p.process_batch([line(f"<13>{stamp(t1)} web1 app: a", t1) for _ in range(3)]
                    + [line(f"<13>{stamp(t2)} web1 app: b", t2)])
    p.process_batch([line(f"<13>{stamp(t2)} web1 app: c", t2),
                     line(f"<13>{stamp(t3)} db1 app: d", t3)])
    with Session(db) as s:
        rows = {(r.device, r.granularity, r.bucket): r.count
                for r in s.exec(select(DeviceRate)).all()}
    assert rows == {
        ("web1", "m", T0): 3,
        ("web1", "m", T0 + timedelta(minutes=1)): 2,
        ("web1", "h", T0): 5,
        ("db1", "m", T0 + timedelta(hours=1, minutes=2)): 1,
        ("db1", "h", T0 + timedelta(hours=1)): 1,
    }
    assert p.expire_rates(T0 + timedelta(days=3)) == 3  # the minute rows
    assert p.expire_rates(T0 + timedelta(days=91)) == 2
