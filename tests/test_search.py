"""Archive search: query syntax, filters, field conditions, and the search command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from statusd.cli import main
from statusd.config import load_settings
from statusd.ingest.pipeline import RawLine
from statusd.metrics import Registry
from statusd.runtime import build_pipeline
from statusd.search import QueryError, parse_query, parse_time, search

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

LINES = [
    "<38>May  1 12:00:00 web1 sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2",
    "<38>May  1 12:00:01 web2 sshd[2]: Failed password for alice from 203.0.113.6 port 22 ssh2",
    "<38>May  1 12:00:02 web1 sshd[3]: Accepted password for alice from 198.51.100.1 port 22 ssh2",
    "<13>May  1 12:00:03 db1 myapp[4]: cache warmed in 40% of the time_budget",
    "<11>May  1 12:00:04 db1 myapp[4]: disk almost full",
    "<13>May  2 09:00:00 db1 myapp[4]: next day",
]


@pytest.fixture
def archive(db: Engine) -> Engine:
    pipeline = build_pipeline(load_settings(None), Registry(), db=db)
    received = T0 + timedelta(days=1)  # after every line: none looks skewed into the future
    pipeline.process_batch([RawLine(x.encode(), received, "192.0.2.1:514", "udp") for x in LINES])
    return db


def run(db: Engine, text: str, **kw) -> list[str]:
    return [hit["message"] for hit in search(db, parse_query(text), **kw)]


def test_words_are_anded_and_case_insensitive(archive: Engine) -> None:
    assert run(archive, "FAILED root") == [LINES[0].split(": ", 1)[1]]
    assert len(run(archive, "password")) == 3


def test_newest_first_and_limit(archive: Engine) -> None:
    assert run(archive, "", limit=2) == ["next day", "disk almost full"]


def test_phrase_exclusion_and_like_metacharacters(archive: Engine) -> None:
    assert run(archive, '"disk almost"') == ["disk almost full"]
    assert len(run(archive, "password -alice")) == 1
    # % and _ are literal, not LIKE wildcards.
    assert run(archive, "40%") == ["cache warmed in 40% of the time_budget"]
    assert run(archive, "time_budget") == ["cache warmed in 40% of the time_budget"]
    assert run(archive, "time%budget") == []


def test_columns_fields_level_and_unknown(archive: Engine) -> None:
    assert len(run(archive, "device=web*")) == 3
    assert len(run(archive, "device=web1 device=db1")) == 5
    assert len(run(archive, "service=sshd taxonomy=auth.failure")) == 2
    assert run(archive, "user=alice taxonomy=auth.success") == [
        "Accepted password for alice from 198.51.100.1 port 22 ssh2"]
    assert len(run(archive, "src_ip=203.0.113.*")) == 2
    assert run(archive, "level=err") == ["disk almost full"]
    assert len(run(archive, "unknown=true")) == 3
    assert len(run(archive, "unknown=false")) == 3


def test_time_bounds_and_device_option(archive: Engine) -> None:
    assert run(archive, "", since=T0 + timedelta(hours=12)) == ["next day"]
    assert len(run(archive, "", until=T0 + timedelta(hours=12))) == 5
    assert len(run(archive, "", device="db1")) == 3


def test_field_search_pages_past_non_matching_rows(db: Engine) -> None:
    pipeline = build_pipeline(load_settings(None), Registry(), db=db)
    lines = [LINES[2]] + [LINES[0]] * 1200
    pipeline.process_batch([RawLine(x.encode(), T0, None, "udp") for x in lines])
    assert len(run(db, "user=alice", limit=5)) == 1


@pytest.mark.parametrize("bad", ['"unclosed', "level=loud"])
def test_bad_queries_are_clear_errors(bad: str) -> None:
    with pytest.raises(QueryError):
        parse_query(bad)


def test_parse_time() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    assert parse_time("2h", now) == now - timedelta(hours=2)
    assert parse_time("2026-04-01T00:00:00Z", now) == datetime(2026, 4, 1, tzinfo=UTC)
    assert parse_time("2026-04-01", now) == datetime(2026, 4, 1, tzinfo=UTC)
    with pytest.raises(QueryError):
        parse_time("yesterday-ish", now)


def test_search_command_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "statusd.toml"
    cfg.write_text('[storage]\ndatabase = "sqlite:///data/s.db"\n')
    log = tmp_path / "in.log"
    log.write_text("\n".join(LINES) + "\n")
    assert main(["ingest", "--quiet", "--config", str(cfg), str(log)]) == 0
    assert "stored 6 lines (3 unknown)" in capsys.readouterr().err
    assert main(["search", "--config", str(cfg), "--json", "--limit", "1", "user=root"]) == 0
    hit = json.loads(capsys.readouterr().out)
    assert set(hit) >= {"id", "received_at", "device", "program", "pid", "timestamp", "severity",
                        "facility", "service", "message_id", "taxonomy", "fields", "message"}
    assert hit["device"] == "web1" and hit["fields"]["src_ip"] == "203.0.113.5"
    assert hit["message_id"] == "sshd.auth.password_failed"
    assert main(["search", "--config", str(cfg), "sshd"]) == 0
    out = capsys.readouterr()
    assert out.out.count("\n") == 0 and "0 lines" in out.err  # "sshd" is the program, not text
    assert main(["search", "--config", str(cfg), "--since", "nonsense"]) == 2
