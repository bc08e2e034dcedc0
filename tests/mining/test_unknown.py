"""The unknown-message workflow on a real archive: list, suggest, save, reparse; and `mine`."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from statusd.cli import main
from statusd.config import load_settings
from statusd.ingest.pipeline import RawLine
from statusd.metrics import Registry
from statusd.mining.suggest import suggest
from statusd.mining.unknown import reparse, template_id, unknown_templates
from statusd.models import LogLine
from statusd.rules.services import ServiceLibrary
from statusd.runtime import build_pipeline

NOW = datetime.now(UTC).replace(microsecond=0)
T = LogLine.__table__  # type: ignore[attr-defined]


def line(minutes_ago: int, program: str, message: str, pri: int = 30) -> bytes:
    stamp = (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    return f"<{pri}>1 {stamp} app1 {program} 42 - - {message}".encode()


def traffic() -> list[bytes]:
    out = []
    for i in range(30):
        out.append(line(100 - i, "backupd", f"backup of /srv/vol{i % 4} finished in {i + 3}s "
                                            f"for {['alice', 'bob', 'carol'][i % 3]}"))
    for i in range(10):
        out.append(line(90 - i, "backupd", f"disk /dev/sd{'abc'[i % 3]} is {80 + i}% full",
                        pri=28))
    for i in range(5):
        out.append(line(80 - i, "sshd", f"Failed password for root from 203.0.113.{i} port "
                                        f"{4000 + i} ssh2"))
    out.append(line(60 * 24 * 20, "backupd", "backup of /old finished in 1s for root"))
    return out


@pytest.fixture
def archive(db: Engine) -> Engine:
    pipeline = build_pipeline(load_settings(None), Registry(), db=db)
    pipeline.process_batch([RawLine(b, NOW, "192.0.2.1:514", "udp") for b in traffic()])
    return db


def config(tmp_path: Path, db: Engine, services: str = "") -> Path:
    url = db.url.render_as_string(hide_password=False).replace("\\", "/")
    path = tmp_path / "statusd.toml"
    path.write_text(f'{services}\n[storage]\ndatabase = "{url}"\n', encoding="utf-8")
    return path


def test_unknown_templates_grouped_counted_and_sorted(archive: Engine) -> None:
    found = unknown_templates(archive, NOW - timedelta(days=7), batch=7)
    assert [(t.program, t.template, t.count) for t in found] == [
        ("backupd", "backup of <*> finished in <*> for <*>", 30),
        ("backupd", "disk <*> is <*>% full", 10),
    ]
    backup = found[0]
    assert backup.id == template_id("backupd", backup.template)
    assert len(backup.examples) == 3
    assert backup.first_seen == NOW - timedelta(minutes=100)
    assert backup.last_seen == NOW - timedelta(minutes=71)
    assert found[1].severities == {4: 10}
    assert sum(t.count for t in unknown_templates(archive, None)) == 41  # the old line too


def test_suggest_save_reparse(archive: Engine, tmp_path: Path) -> None:
    backup = unknown_templates(archive, None)[0]
    s = suggest(backup.template, backup.examples, backup.program,
                list(backup.severities.elements()))
    service = tmp_path / "backupd.toml"
    service.write_text('[service]\nname = "backupd"\nprograms = ["backupd"]\n\n' + s.toml(),
                       encoding="utf-8")
    library = ServiceLibrary.load([str(service)])
    seen = []
    result = reparse(archive, library, NOW - timedelta(days=7), batch=9, progress=seen.append)
    assert (result.scanned, result.recognised) == (40, 30)
    assert sum(seen) == 40
    with archive.connect() as conn:
        rows = conn.execute(select(T.c.service, T.c.message_id, T.c.taxonomy, T.c.fields)
                            .where(T.c.program == "backupd").order_by(T.c.id)).all()
    parsed = [r for r in rows if r.service == "backupd"]
    assert len(parsed) == 30  # the 20-day-old line is outside the window
    assert parsed[0].message_id == s.id and parsed[0].taxonomy == "unknown.review"
    assert json.loads(parsed[0].fields) == {"field1": "/srv/vol0", "duration": "3s",
                                            "user": "alice"}
    assert [t.template for t in unknown_templates(archive, None)] == [
        "disk <*> is <*>% full", "backup of <*> finished in <*> for root"]


def test_unknown_and_reparse_commands(archive: Engine, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path, archive)
    assert main(["unknown", "--config", str(cfg), "--json"]) == 0
    listed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [t["count"] for t in listed] == [30, 10]
    assert main(["unknown", "--config", str(cfg), "--limit", "1"]) == 0
    out = capsys.readouterr()
    assert listed[0]["id"] in out.out and "e.g. backup of" in out.out
    assert "2 templates" in out.err
    assert main(["unknown", "--config", str(cfg), "--suggest", listed[1]["id"]]) == 0
    snippet = capsys.readouterr().out
    parsed = tomllib.loads(snippet.replace("# [service]", "[service]"))
    assert parsed["message"][0]["pattern"] == "disk %{PATH:field1} is %{INT:field2:int}% full"
    assert parsed["message"][0]["level"] == "warning"
    (tmp_path / "services.d").mkdir()
    (tmp_path / "services.d" / "disk.toml").write_text(
        '[service]\nname = "backupd"\nprograms = ["backupd"]\n\n' + snippet, encoding="utf-8")
    cfg = config(tmp_path, archive, 'services = ["services.d/*.toml"]')
    assert main(["reparse", "--config", str(cfg), "--days", "7", "-q"]) == 0
    assert "10 recognised" in capsys.readouterr().err
    assert main(["unknown", "--config", str(cfg), "--suggest", "nope"]) == 1


def test_mine_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "lines.log"
    src.write_text("<30>May  1 12:00:00 web1 app[1]: user alice logged in from 10.0.0.1\n"
                   "plain text 42 here\n\n"
                   "<30>May  1 12:00:01 web1 app[1]: user bob logged in from 10.0.0.2\n"
                   "plain text 43 here\n", encoding="utf-8")
    assert main(["mine", str(src)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(o["template_id"], o["template"]) for o in out] == [
        (1, "user <*> logged in from <*>"), (2, "plain text <*> here"),
        (1, "user <*> logged in from <*>"), (2, "plain text <*> here")]
    assert out[0]["program"] == "app" and out[1]["message"] == "plain text 42 here"
    assert main(["mine", str(tmp_path / "missing.log")]) == 1
