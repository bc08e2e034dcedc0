"""The admin dashboard in a real browser: login, phone and desktop layouts, live alerts via htmx."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE, horizontal_overflow, shot
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e

CONFIG = """
[admin]
refresh = 1

[[component]]
slug = "website"
name = "Website"

[[rule]]
id = "ssh"
kind = "single"
match = { taxonomy = "auth.failure" }
alert = { severity = "major", title = "SSH failure from {src_ip} as {user}" }
"""


def login(browser, server, tmp_path: Path, size: dict) -> object:
    pw = tmp_path / "pw"
    pw.write_text("correct horse battery staple\n")
    result = server.cli("user", "add", "alice", "--role", "admin", "--password-file", str(pw))
    assert result.returncode == 0 or "exists" in result.stderr, result.stderr
    page = browser.new_page(viewport=size)
    page.goto(server.url + "/admin/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "correct horse battery staple")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url("**/admin/**")
    return page


@pytest.mark.parametrize(("name", "size"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_dashboard_layout_and_escaping(browser, start_server, tmp_path, name, size) -> None:
    server = start_server(CONFIG)
    server.logger("--udp", "--rfc3164", "-t", "sshd",
                  "Failed password for <img src=x onerror=alert(1)> from 203.0.113.4 port 22 ssh2")
    wait_until(lambda: server.metric("statusd_messages_stored_total") >= 1, what="line stored")
    page = login(browser, server, tmp_path, size)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("/admin/alerts", "/admin/components", "/admin/incidents", "/admin/logs",
                 "/admin/devices", "/admin/users"):
        page.goto(server.url + path)
        assert page.url.endswith(path), f"redirected away from {path}"
        assert horizontal_overflow(page) <= 0, f"horizontal scroll on {path} ({name})"
        shot(page, f"admin-{name}-{path.rsplit('/', 1)[1]}")
    page.goto(server.url + "/admin/logs")
    assert "<img src=x onerror=alert(1)>" in page.inner_text("body")
    assert dialogs == []


def test_alerts_arrive_live_without_reload(browser, start_server, tmp_path) -> None:
    server = start_server(CONFIG)
    page = login(browser, server, tmp_path, DESKTOP)
    page.goto(server.url + "/admin/alerts")
    page.evaluate("window.__marker = 'same page'")
    assert "SSH failure from 198.51.100.77" not in page.inner_text("body")
    server.logger("--udp", "--rfc3164", "-t", "sshd",
                  "Failed password for root from 198.51.100.77 port 22 ssh2")
    wait_until(lambda: "SSH failure from 198.51.100.77" in page.inner_text("body"), 15,
               "the alert to appear through htmx")
    assert page.evaluate("window.__marker") == "same page"
    shot(page, "admin-desktop-live-alert")
