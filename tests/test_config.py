"""Config loading: defaults, every key documented, errors with file and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from statusd.cli import main
from statusd.config import SETTINGS, load_settings, parse_hostport
from statusd.errors import ConfigError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def write(tmp_path: Path, text: str, name: str = "statusd.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_a_file() -> None:
    s = load_settings(None)
    assert s.get("http.listen") == "127.0.0.1:8080"
    assert s.get("syslog.udp") == ["127.0.0.1:5514"]
    assert s.get("syslog.tcp") == ["127.0.0.1:5514"]
    assert s.database_url == "sqlite:///statusd-data/statusd.db"
    assert s.base_url == "http://127.0.0.1:8080"
    assert s.components == [] and s.rules == []


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    missing = [key for key in SETTINGS if f"`{key}`" not in text]
    assert missing == []


def test_full_example_loads_with_includes(tmp_path: Path) -> None:
    write(tmp_path, """
[[component]]
slug = "mail"
name = "Mail"

[[rule]]
id = "mail-down"
kind = "single"
match = { service = "postfix" }
status = { component = "mail", set = "major_outage", recover_after = "5m" }
""", "rules.d/mail.toml")
    cfg = write(tmp_path, """
include = ["rules.d/*.toml"]
[http]
listen = "127.0.0.1:9090"
base_url = "https://status.example.org/"
[page]
title = "Example status"
language = "fr"
[[component]]
slug = "website"
name = "Website"
group = "Public services"
devices = ["web*"]
[[rule]]
id = "website-errors"
kind = "threshold"
match = { service = "nginx", message_id = "nginx.upstream.timeout" }
count = 20
window = "60s"
group_by = ["device"]
status = { component = "website", set = "degraded_performance", recover_after = "5m" }
""")
    s = load_settings(cfg)
    assert s.base_url == "https://status.example.org"
    assert [c.slug for c in s.components] == ["website", "mail"]
    assert s.components[0].devices == ["web*"]
    assert {r.id for r in s.rules} == {"website-errors", "mail-down"}
    assert s.get("page.language") == "fr"


def test_every_problem_is_reported_with_file_and_key(tmp_path: Path) -> None:
    cfg = write(tmp_path, """
bogus = 1
[http]
listen = "nonsense"
colour = "blue"
[storage]
retention_days = "thirty"
[page]
language = "xx"
[[component]]
slug = "Bad Slug"
[[rule]]
id = "r1"
kind = "threshold"
match = { service = "nginx" }
window = "soon"
status = { component = "nowhere", set = "degraded_performance" }
""")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    text = str(info.value)
    for where in ("bogus", "http.listen", "http.colour", "storage.retention_days",
                  "page.language", "component[0].slug", "rule[0]"):
        assert f"{cfg}: {where}" in text, where
    assert "nowhere" in text
    assert len(info.value.problems) >= 8


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    cfg = write(tmp_path, "[http]\nlisten = \"127.0.0.1:8080\"\nbroken = \n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert info.value.problems[0].where == "line 3"


def test_duplicate_rule_ids_across_files(tmp_path: Path) -> None:
    rule = '[[rule]]\nid = "x"\nkind = "single"\nalert = { title = "x" }\n'
    write(tmp_path, rule, "rules.d/a.toml")
    cfg = write(tmp_path, 'include = ["rules.d/*.toml"]\n' + rule)
    with pytest.raises(ConfigError, match="duplicate rule id 'x'"):
        load_settings(cfg)


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1:5514", ("127.0.0.1", 5514)),
    (":8080", ("127.0.0.1", 8080)),
    ("[::1]:514", ("::1", 514)),
    ("0.0.0.0:0", ("0.0.0.0", 0)),
])
def test_hostport(text: str, expected: tuple[str, int]) -> None:
    assert parse_hostport(text) == expected


@pytest.mark.parametrize("text", ["8080", "host:", "host:99999", "host:port"])
def test_bad_hostport(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hostport(text)


def test_check_config_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, '[[component]]\nslug = "web"\nname = "Web"\n', "good.toml")
    assert main(["check-config", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = write(tmp_path, '[page]\nlanguage = 3\n', "bad.toml")
    with pytest.raises(SystemExit) as info:
        main(["check-config", str(bad)])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert f"{bad}: page.language: expected a string" in err
    assert "1 problem found" in err


def test_check_config_reports_bad_service_file(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, '[service]\nname = "x"\nprograms = ["x"]\n\n[[message]]\nid = "x.a"\n'
          'pattern = "hello %{NOSUCHTYPE:v}"\nlevel = "info"\ntaxonomy = "system.info"\n',
          "services.d/x.toml")
    cfg = write(tmp_path, 'services = ["services.d/*.toml"]\n')
    with pytest.raises(SystemExit) as info:
        main(["check-config", str(cfg)])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "x.toml" in err and "NOSUCHTYPE" in err
