"""`statusd serve --demo`: within a minute a newcomer sees a status change, incident, alerts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, wait_until

pytestmark = pytest.mark.e2e


def get(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
        return json.loads(resp.read())


def test_demo_degrades_opens_incident_alerts_and_recovers(tmp_path: Path) -> None:
    http, syslog = free_port(), free_port()
    cfg = tmp_path / "statusd.toml"
    cfg.write_text(f'[http]\nlisten = "127.0.0.1:{http}"\n'
                   f'[syslog]\nudp = ["127.0.0.1:{syslog}"]\ntcp = ["127.0.0.1:{syslog}"]\n'
                   '[storage]\ndatabase = "sqlite:///data/demo.db"\n')
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "statusd", "serve", "--demo", "--config",
                                 str(cfg)], stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        wait_until(lambda: get(http, "/healthz")["status"] == "ok", 30, "start")
        names = {c["name"] for c in get(http, "/api/v2/components.json")["components"]}
        assert {"Website", "API", "Email delivery", "Staff VPN"} <= names

        def website() -> str:
            comps = get(http, "/api/v2/components.json")["components"]
            return next(c["status"] for c in comps if c["name"] == "Website")

        wait_until(lambda: website() == "degraded_performance", 40, "the demo to degrade")
        incidents = get(http, "/api/v2/incidents/unresolved.json")["incidents"]
        assert [i["name"] for i in incidents] == ["Website responding slowly"]
        wait_until(lambda: website() == "operational", 60, "the demo to recover")
        latest = get(http, "/api/v2/incidents.json")["incidents"][0]
        assert latest["status"] == "resolved"
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=10) as resp:
            metrics = resp.read().decode()
        assert 'statusd_rule_firings_total{rule="demo-upstream-timeouts"}' in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert proc.returncode == 0, log.read_text()
