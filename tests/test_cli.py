"""The statusd command as a user runs it: parse, ingest, serve refusing bad set-ups."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

PARSE_KEYS = {"device", "program", "pid", "timestamp", "severity", "facility", "service",
              "message_id", "taxonomy", "fields", "message"}


def statusd(*args: str, stdin: bytes = b"", cwd: Path | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "statusd", *args], input=stdin,
                          capture_output=True, timeout=timeout, cwd=cwd)


def test_parse_prints_one_object_per_line_in_order() -> None:
    lines = [
        b"<38>Mar  1 12:00:00 web1 sshd[42]: Accepted publickey for alice from 198.51.100.7 "
        b"port 50022 ssh2: RSA SHA256:abc",
        b"<13>Mar  1 12:00:01 web1 whatever: nobody knows this line",
        b"\xff\xfe\x00garbage \x1b[31m",
        b"<86>1 2026-03-01T12:00:02.5Z db1 sudo - - - bob : TTY=pts/0 ; PWD=/home/bob ; "
        b"USER=root ; COMMAND=/usr/bin/id",
    ]
    out = statusd("parse", stdin=b"\n".join(lines) + b"\n")
    assert out.returncode == 0, out.stderr
    objs = [json.loads(x) for x in out.stdout.decode().splitlines()]
    assert len(objs) == 4
    for obj in objs:
        assert set(obj) >= PARSE_KEYS
    assert objs[0]["service"] == "sshd" and objs[0]["fields"]["user"] == "alice"
    assert objs[0]["fields"]["src_port"] == 50022
    assert objs[0]["timestamp"].endswith("+00:00") and objs[0]["facility"] == "auth"
    assert objs[1]["service"] is None and objs[1]["message_id"] is None
    assert objs[1]["message"] == "nobody knows this line"
    assert "\ufffd" in objs[2]["message"]
    assert objs[3]["device"] == "db1" and objs[3]["service"] == "sudo"
    assert objs[3]["fields"]["command"] == "/usr/bin/id"


def test_parse_uses_services_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "services.d").mkdir()
    (tmp_path / "services.d" / "myapp.toml").write_text('''
[service]
name = "myapp"
programs = ["myapp"]

[[message]]
id = "myapp.slow"
pattern = "request %{INT:request:int} took %{INT:ms:int}ms"
level = "warning"
taxonomy = "service.warning"
examples = [{ line = "request 7 took 900ms", fields = { request = 7, ms = 900 } }]
''')
    cfg = tmp_path / "statusd.toml"
    cfg.write_text('services = ["services.d/*.toml"]\n')
    out = statusd("parse", "--config", str(cfg),
                  stdin=b"<12>Mar  1 12:00:00 app1 myapp[1]: request 12 took 1500ms\n")
    obj = json.loads(out.stdout)
    assert obj["message_id"] == "myapp.slow" and obj["fields"] == {"request": 12, "ms": 1500}
    assert obj["level"] == "warning"


def test_ingest_from_stdin_and_missing_file(tmp_path: Path) -> None:
    cfg = tmp_path / "statusd.toml"
    cfg.write_text('[storage]\ndatabase = "sqlite:///data/s.db"\n')
    lines = b"".join(b"<38>Mar  1 12:00:%02d h sshd[1]: Failed password for root from "
                     b"203.0.113.5 port 22 ssh2\n" % i for i in range(30))
    out = statusd("ingest", "--config", str(cfg), "--device", "forced", "-", stdin=lines)
    assert out.returncode == 0, out.stderr
    assert b"stored 30 lines (0 unknown)" in out.stderr
    search = statusd("search", "--config", str(cfg), "--json", "--limit", "100", "device=forced")
    assert len(search.stdout.splitlines()) == 30
    missing = statusd("ingest", "--config", str(cfg), str(tmp_path / "nope.log"))
    assert missing.returncode == 1 and b"no such file" in missing.stderr


def test_serve_refuses_a_bad_config(tmp_path: Path) -> None:
    cfg = tmp_path / "statusd.toml"
    cfg.write_text('[[rule]]\nid = "x"\nkind = "threshold"\nalert = {}\n')
    out = statusd("serve", "--config", str(cfg))
    assert out.returncode == 1
    assert f"{cfg}: rule[0]".encode() in out.stderr


def test_serve_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = tmp_path / "statusd.toml"
        cfg.write_text(f'[http]\nlisten = "127.0.0.1:{port}"\n[syslog]\nudp = []\ntcp = []\n'
                       '[storage]\ndatabase = "sqlite:///data/s.db"\n')
        out = statusd("serve", "--config", str(cfg))
    assert out.returncode == 1
    assert f"cannot listen on TCP 127.0.0.1:{port}".encode() in out.stderr


def test_defaults_pass_check_config() -> None:
    out = statusd("check-config")
    assert out.returncode == 0
    assert b"built-in defaults: OK" in out.stdout
