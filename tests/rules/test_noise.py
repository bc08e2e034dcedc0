"""logcheck ignore rules: egrep translation, loading, time limits, and noise in the pipeline."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import regex
from sqlalchemy import select
from sqlalchemy.engine import Engine

from statusd.config import load_settings
from statusd.errors import ConfigError
from statusd.ingest.pipeline import RawLine
from statusd.ingest.record import SyslogRecord
from statusd.metrics import Registry
from statusd.models import Alert, LogLine
from statusd.rules.noise import (
    EgrepError,
    NoiseRules,
    load_noise,
    logcheck_line,
    parse_rules,
    rule_program,
    translate,
)
from statusd.runtime import build_pipeline
from statusd.search import parse_query, search

EXAMPLE = Path(__file__).parents[2] / "examples" / "logcheck" / "ignore.d.server"
T = LogLine.__table__  # type: ignore[attr-defined]

TRANSLATIONS = [
    (r"^\w{3} [ :[:digit:]]{11} [._[:alnum:]-]+ cron\[[0-9]+\]:",
     r"^\w{3} [ :0-9]{11} [._a-zA-Z0-9-]+ cron\[[0-9]+\]:"),
    (r"[[:space:]]+[[:upper:][:lower:]]", r"[ \t\n\r\f\v]+[A-Za-z]"),
    (r"\<word\>", r"\b(?=\w)word\b(?<=\w)"),
    (r"[^]a]", r"[^\]a]"),
    (r"[]x]", r"[\]x]"),
    (r"[\.]", r"[\\.]"),  # a backslash is literal inside POSIX brackets
    (r"a{2,}b{,3}c{", r"a{2,}b{0,3}c\{"),
    (r"x}", r"x\}"),
    (r"(foo|bar)\.$", r"(foo|bar)\.$"),
    (r"[[:xdigit:][:punct:]]", r"[0-9A-Fa-f!-/:-@\[-`{-~]"),
]


@pytest.mark.parametrize(("egrep", "python"), TRANSLATIONS)
def test_translate(egrep: str, python: str) -> None:
    assert translate(egrep) == python
    regex.compile(python)


@pytest.mark.parametrize("bad", ["[[:nosuch:]]", "[abc", "x\\", "[[:alpha:]"])
def test_translate_refuses(bad: str) -> None:
    with pytest.raises(EgrepError):
        translate(bad)


IGNORE_FILE = (Path(__file__).with_name("data") / "logcheck-local").read_text(encoding="utf-8")


def test_parse_rules_reports_bad_lines_with_file_and_line() -> None:
    rules, problems = parse_rules(IGNORE_FILE, "ignore.d.server/local")
    assert [r.line for r in rules] == [2, 4, 5, 8]
    assert [p.where for p in problems] == ["line 6", "line 7"]
    assert all(p.file == "ignore.d.server/local" for p in problems)
    assert "unknown character class [:bogus:]" in problems[1].message


@pytest.mark.parametrize(("line", "noise"), [
    ("Mar  1 10:00:00 web1 CRON[123]: (root) CMD (/usr/lib/php/sessionclean)", True),
    ("Mar 11 10:00:00 web-1.example.org sshd[9]: Received disconnect from 2001:db8::5 port "
     "50312:11: disconnected by user", True),
    ("Mar 11 10:00:00 web1 sshd[9]: Received disconnect from 203.0.113.5 port 22:11: Bye Bye "
     "[preauth]", True),
    ("Mar 11 10:00:00 fw1 kernel: [ 1234.567890] eth0: link down", True),
    ("Mar 11 10:00:00 web1 sshd[9]: Failed password for root from 203.0.113.5 port 22 ssh2",
     False),
    ("Mar  1 10:00:00 web1 CRON[123]: (root) CMD (/usr/lib/php/sessionclean) extra", False),
])
def test_realistic_rules_match_as_egrep_would(line: str, noise: bool) -> None:
    rules, _ = parse_rules(IGNORE_FILE)
    assert NoiseRules(rules).matches(line) is noise


def test_catastrophic_backtracking_times_out_and_is_dropped() -> None:
    rules, _ = parse_rules(IGNORE_FILE, "local")
    noise = NoiseRules(rules, timeout=0.02)
    evil = "Mar  1 10:00:00 app1 myapp[7]: " + "a" * 40 + "!"
    start = time.perf_counter()
    assert noise.matches(evil) is False
    assert noise.timeouts == 1
    assert time.perf_counter() - start < 5
    # the slow rule does not hide the others while it is still loaded
    assert noise.matches("Mar  1 10:00:00 fw1 kernel: [ 1.5] eth0: link up")
    noise.matches(evil)
    noise.matches(evil)
    assert noise.timeouts == 3
    assert len(noise) == 3 and noise.problems[-1].where == "line 8"
    assert "timed out 3 times" in noise.problems[-1].message
    assert noise.matches(evil) is False and noise.timeouts == 3  # dropped: fast again


def test_load_noise_globs_and_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_text(IGNORE_FILE, encoding="utf-8")
    (tmp_path / "b").write_text("# only a comment\n\n", encoding="utf-8")
    noise = load_noise([str(tmp_path / "*"), str(tmp_path / "missing")])
    assert len(noise) == 4
    assert [p.where for p in noise.problems] == ["line 6", "line 7", "file"]
    example = load_noise([str(EXAMPLE / "*")])
    assert len(example) >= 6 and not example.problems


def test_logcheck_line_shape() -> None:
    when = datetime(2026, 3, 1, 9, 5, 7, tzinfo=UTC)
    rec = SyslogRecord(timestamp=when, received_at=when, message="hello", raw="", format="rfc3164",
                       hostname="web1", program="app", pid="12")
    assert logcheck_line(rec) == "Mar  1 09:05:07 web1 app[12]: hello"
    rec.pid = None
    assert logcheck_line(rec) == "Mar  1 09:05:07 web1 app: hello"
    rec.program, rec.hostname = None, None
    assert logcheck_line(rec, "dev") == "Mar  1 09:05:07 dev hello"


def test_config_noise_key(tmp_path: Path) -> None:
    (tmp_path / "logcheck").mkdir()
    (tmp_path / "logcheck" / "local").write_text("^x$\n", encoding="utf-8")
    cfg = tmp_path / "statusd.toml"
    cfg.write_text('noise = ["logcheck/*"]\n', encoding="utf-8")
    assert load_settings(cfg).noise_files == [str(tmp_path / "logcheck" / "local")]
    cfg.write_text('noise = ["logcheck/none"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(cfg)


CONFIG = """
noise = ["ignore/*"]

[[rule]]
id = "ssh-fail"
kind = "single"
match = { taxonomy = "auth.failure" }
alert = { severity = "minor", title = "SSH failure for {user} from {src_ip}" }
"""
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_pipeline_marks_noise_and_rules_skip_it(db: Engine, tmp_path: Path) -> None:
    (tmp_path / "ignore").mkdir()
    (tmp_path / "ignore" / "local").write_text(
        r"^\w{3} [ :[:digit:]]{11} [._[:alnum:]-]+ sshd\[[[:digit:]]+\]: Failed password for "
        r"[[:alnum:]]+ from 192\.0\.2\.[[:digit:]]+ port [[:digit:]]+ ssh2$" "\n"
        r"myapp\[[[:digit:]]+\]: heartbeat\>" "\n(broken\n", encoding="utf-8")
    (tmp_path / "statusd.toml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(tmp_path / "statusd.toml")
    pipeline = build_pipeline(settings, Registry(), db=db)
    assert pipeline.noise is not None and pipeline.noise.skipped == 1
    lines = [
        "<38>May  1 12:00:00 web1 sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2",
        "<38>May  1 12:00:01 web1 sshd[1]: Failed password for root from 203.0.113.5 port 22 ssh2",
        "<30>May  1 12:00:02 app1 myapp[4]: heartbeat 17 ok",
        "<30>May  1 12:00:03 app1 myapp[4]: heartbeats paused",
    ]
    received = T0 + timedelta(hours=1)
    pipeline.process_batch([RawLine(x.encode(), received, "192.0.2.1:514", "udp") for x in lines])
    with db.connect() as conn:
        flags = conn.execute(select(T.c.message, T.c.noise, T.c.service).order_by(T.c.id)).all()
    assert [f.noise for f in flags] == [True, False, True, False]
    assert flags[0].service == "sshd"  # noise is still parsed
    with db.connect() as conn:
        titles = conn.execute(select(Alert.__table__.c.title)).scalars().all()  # type: ignore[attr-defined]
    assert titles == ["SSH failure for root from 203.0.113.5"]
    quiet = [h["message"] for h in search(db, parse_query("noise=false"))]
    assert quiet == [lines[3].split(": ", 1)[1], lines[1].split(": ", 1)[1]]
    assert len(list(search(db, parse_query("noise=true")))) == 2


@pytest.mark.parametrize(("rule", "program"), [
    (r"^\w{3} [ :[:digit:]]{11} [._[:alnum:]-]+ sshd\[[[:digit:]]+\]: x", "sshd"),
    (r"^(\w{3} [ :[:digit:]]{11}|[0-9T:.+-]{32}) [._[:alnum:]-]+ kernel: x", "kernel"),
    (r"^\w{3} [ :[:digit:]]{11} [._[:alnum:]-]+ postfix/smtpd\[", "postfix/smtpd"),
    (r"^\w{3} [ :[:digit:]]{11} [._[:alnum:]-]+ (sshd|dropbear)\[", None),
    (r"^\w{3} [ :[:digit:]]{11} [._[:alnum:]-]+ sshd\[1\]: a|b", None),
    (r"heartbeat", None),
])
def test_rules_are_indexed_by_the_program_they_name(rule: str, program: str | None) -> None:
    assert rule_program(rule) == program


def test_records_are_tried_against_their_program_rules_and_the_general_ones() -> None:
    rules, _ = parse_rules(
        "^\\w{3} [ :[:digit:]]{11} [._[:alnum:]-]+ sshd\\[[[:digit:]]+\\]: Bye$\nping$\n")
    noise = NoiseRules(rules)
    when = datetime(2026, 3, 1, 9, 5, 7, tzinfo=UTC)

    def rec(program: str | None, message: str) -> SyslogRecord:
        return SyslogRecord(timestamp=when, received_at=when, message=message, raw="",
                            format="rfc3164", hostname="h", program=program, pid="1")

    assert noise.matches_record(rec("sshd", "Bye"))
    assert not noise.matches_record(rec("cron", "Bye"))
    assert noise.matches_record(rec("cron", "ping")) and noise.matches_record(rec(None, "ping"))
