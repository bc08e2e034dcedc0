"""The unknown-message wizard: templates, suggestion, test, save, reload and reparse."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from sqlmodel import select as sql_select
from starlette.testclient import TestClient

from statusd.config import Settings, load_settings
from statusd.errors import ConfigError
from statusd.ingest.pipeline import Pipeline, RawLine
from statusd.metrics import Registry
from statusd.mining.save import claim, toml_string
from statusd.mining.unknown import template_id
from statusd.models import AuditEvent, LogLine
from statusd.rules.services import ServiceLibrary, load_service_file, parse_service
from statusd.runtime import build_pipeline, reload_services
from statusd.web.admin.unknown import ReparseJob
from statusd.web.app import create_app

from .conftest import HOSTILE, NOW, Clock, add_lines, login, token

pytestmark = pytest.mark.db

T = LogLine.__table__  # type: ignore[attr-defined]
BACKUP = "backup of <*> finished in <*> for <*>"
SNIPPET = """[[message]]
id = "backupd.backup.finished"
pattern = "backup of %{PATH:volume} finished in %{WORD:duration} for %{USER:user}"
level = "info"
taxonomy = "backup.success"
"""


@pytest.fixture(autouse=True)
def services_dir(settings: Settings, tmp_path: Path) -> Path:
    """The dashboard's service folder, in the test's own tmp folder."""
    folder = tmp_path / "local"
    settings.values["admin.services_dir"] = str(folder)
    settings.base_dir = tmp_path
    return folder


@pytest.fixture
def unknown_lines(db: Engine) -> None:
    """30 backupd lines of one template, 10 of another, hostile lines of a hostile program."""
    rows: list[dict[str, Any]] = []
    for i in range(30):
        rows.append({"program": "backupd", "message": f"backup of /srv/vol{i % 4} finished in "
                     f"{i + 3}s for {['alice', 'bob', 'carol'][i % 3]}",
                     "ts": NOW - timedelta(hours=30 - i)})
    for i in range(10):
        rows.append({"program": "backupd", "message": f"disk /dev/sd{'abc'[i % 3]} is {80 + i}% "
                     "full", "severity": 4, "ts": NOW - timedelta(hours=20 - i)})
    for i in range(3):
        rows.append({"program": "<b>prog", "message": f"{HOSTILE} number {i}",
                     "ts": NOW - timedelta(hours=5 - i)})
    rows.append({"program": "backupd", "message": "backup of /old finished in 1s for root",
                 "ts": NOW - timedelta(days=20)})  # outside the 7 days
    add_lines(db, rows)


def backup_id() -> str:
    return template_id("backupd", BACKUP)


def template_of(client: TestClient, program: str) -> str:
    """The id of the first listed template of a program."""
    html = client.get("/admin/unknown", params={"program": program}).text
    found = re.search(r'href="/admin/unknown/([0-9a-f]{10})\?', html)
    assert found, html
    return found.group(1)


def post(client: TestClient, path: str, **data: str) -> Any:
    """A dashboard form post with the session's CSRF token."""
    return client.post(path, data={"csrf_token": token(client, "/admin/alerts"), "since": "7d",
                                   **data}, follow_redirects=False)


def job_id_of(response: Any) -> int:
    """The reparse job a save redirected to."""
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/admin/unknown/jobs/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def wait(client: TestClient, job_id: int) -> None:
    """Wait for a reparse job to finish."""
    assert client.app.state.unknown.wait(job_id, 60)  # type: ignore[attr-defined]


def rows(db: Engine) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(select(T.c.program, T.c.message, T.c.service, T.c.message_id,
                                        T.c.fields, T.c.ts).order_by(T.c.id)))


# -- pages -------------------------------------------------------------------------------------


def test_page_lists_templates_most_frequent_first_and_escaped(
        as_user: Callable[[str], TestClient], unknown_lines: None) -> None:
    client = as_user("vera")
    r = client.get("/admin/unknown")
    assert r.status_code == 200
    html = r.text
    assert 'href="/admin/unknown" aria-current="page"' in html
    assert html.index("backup of &lt;*&gt; finished in") < html.index("disk &lt;*&gt; is")
    assert f'href="/admin/unknown/{backup_id()}?since=7d"' in html
    assert "<td class=\"num\">30</td>" in html  # the 20-day-old line is outside 7d
    assert "<script>" not in html.lower().replace('<script src="/static/htmx-', "")
    assert "<img" not in html and "<b>prog" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;prog" in html
    only = client.get("/admin/unknown", params={"program": "<b>prog"}).text
    assert "backup of" not in only and "&lt;img src=x" in only
    older = client.get("/admin/unknown", params={"since": "30d"}).text
    assert "<td class=\"num\">31</td>" in older
    bad = client.get("/admin/unknown", params={"since": "yesterday-ish"})
    assert bad.status_code == 400 and "not a time" in bad.text


def test_template_page_suggests_a_message(as_user: Callable[[str], TestClient],
                                          unknown_lines: None, services_dir: Path) -> None:
    client = as_user("oscar")
    r = client.get(f"/admin/unknown/{backup_id()}")
    assert r.status_code == 200
    textarea = re.search(r'<textarea name="snippet"[^>]*>(.*?)</textarea>', r.text, re.S)
    assert textarea
    snippet = textarea.group(1).replace("&#34;", '"').replace("&lt;", "<").replace("&gt;", ">")
    message = tomllib.loads(snippet)["message"][0]
    assert message["id"] == "backupd.backup_of_finished"
    assert message["pattern"].startswith("backup of %{PATH:")
    assert message["taxonomy"] == "unknown.review"
    assert 'formaction="/admin/unknown/' in r.text and ">Test</button>" in r.text
    assert "local/backupd.toml" in r.text or str(services_dir / "backupd.toml") in r.text
    assert client.get("/admin/unknown/0123456789").status_code == 404
    assert client.get("/admin/unknown/not-an-id").status_code == 404


def test_viewer_reads_the_suggestion_without_forms(as_user: Callable[[str], TestClient],
                                                   unknown_lines: None) -> None:
    client = as_user("vera")
    html = client.get(f"/admin/unknown/{backup_id()}").text
    assert "backupd.backup_of_finished" in html
    assert re.findall(r'action="([^"]+)"', html) == ["/admin/logout"]
    assert "<textarea" not in html


def test_hostile_template_page_is_escaped(as_user: Callable[[str], TestClient],
                                          unknown_lines: None) -> None:
    client = as_user("oscar")
    tid = template_of(client, "<b>prog")
    html = client.get(f"/admin/unknown/{tid}").text
    assert "<script>" not in html.lower().replace('<script src="/static/htmx-', "")
    assert "<img" not in html and "<b>prog" not in html
    assert "&lt;script&gt;" in html


# -- test button -------------------------------------------------------------------------------


def test_test_shows_matches(as_user: Callable[[str], TestClient], unknown_lines: None,
                            services_dir: Path) -> None:
    client = as_user("oscar")
    r = post(client, f"/admin/unknown/{backup_id()}/test", snippet=SNIPPET, days="7")
    assert r.status_code == 200, r.text
    assert "It compiles." in r.text
    assert "it would recognise <strong>30</strong>" in r.text
    assert "backupd.backup.finished: 30" in r.text
    assert "<b>user</b>=alice" in r.text
    assert not services_dir.exists()  # a test writes nothing
    days = post(client, f"/admin/unknown/{backup_id()}/test", snippet=SNIPPET, days="30")
    assert "it would recognise <strong>31</strong>" in days.text


@pytest.mark.parametrize(("snippet", "line", "text"), [
    (SNIPPET.replace("%{PATH:volume}", "%{NOPE:volume}"), 3, "NOPE"),
    (SNIPPET.replace('level = "info"', 'level = "loud"'), 4, "loud"),
    (SNIPPET + 'pattern = "again"\n', 6, "invalid TOML"),
    (SNIPPET + '\n[[message.examples]]\nline = "backup of x finished"\n', 7, "does not match"),
    ('id = "x"\n' + SNIPPET, 1, "must start with [[message]]"),
    ("# a comment\n\n" + SNIPPET.replace('taxonomy = "backup.success"', 'taxonomy = "Bad!"'),
     7, "taxonomy"),
])
def test_test_shows_errors_with_snippet_line_numbers(
        as_user: Callable[[str], TestClient], unknown_lines: None, snippet: str, line: int,
        text: str) -> None:
    client = as_user("oscar")
    r = post(client, f"/admin/unknown/{backup_id()}/test", snippet=snippet)
    assert r.status_code == 400
    assert "does not compile" in r.text
    problems = re.findall(r"<li><strong>line (\d+)</strong>: ([^<]*)</li>", r.text)
    assert problems, r.text
    assert any(int(n) == line and text.lower() in msg.lower().replace("&#39;", "'")
               for n, msg in problems), problems
    assert snippet.split("\n")[0] in r.text.replace("&#34;", '"')  # the edit is kept


def test_test_refuses_an_id_of_another_service(as_user: Callable[[str], TestClient],
                                               unknown_lines: None) -> None:
    client = as_user("oscar")
    snippet = SNIPPET.replace("backupd.backup.finished", "sshd.auth.password_failed")
    r = post(client, f"/admin/unknown/{backup_id()}/test", snippet=snippet)
    assert r.status_code == 400
    assert re.search(r"<strong>line 1</strong>: message id &#39;sshd.auth.password_failed&#39; "
                     r"is already defined by service &#39;sshd&#39;", r.text), r.text


def test_bad_days_and_unknown_template(as_user: Callable[[str], TestClient],
                                       unknown_lines: None) -> None:
    client = as_user("oscar")
    r = post(client, f"/admin/unknown/{backup_id()}/test", snippet=SNIPPET, days="-1")
    assert r.status_code == 400 and "Days must be" in r.text
    r = post(client, "/admin/unknown/0123456789/save", snippet=SNIPPET)
    assert r.status_code == 404
    assert "backupd.backup.finished" in r.text  # the edit is shown, to copy


def test_running_job_is_polled(as_user: Callable[[str], TestClient]) -> None:
    client = as_user("vera")
    desk = client.app.state.unknown  # type: ignore[attr-defined]
    job = ReparseJob(7, "admin:oscar", "backupd", "local/backupd.toml", ("a.b",), 7, NOW,
                     state="reparsing", total=200, scanned=50, reloaded=True)
    desk._jobs[job.id] = job
    html = client.get("/admin/partials/unknown/jobs/7").text
    assert 'hx-get="/admin/partials/unknown/jobs/7" hx-trigger="every 1s"' in html
    assert '<progress max="100" value="25">' in html and "50 of 200" in html
    assert 'href="/admin/unknown/jobs/7">Refresh</a>' in html  # without JavaScript
    assert "<html" not in html
    assert "<html" in client.get("/admin/unknown/jobs/7").text


# -- save, reload, reparse ---------------------------------------------------------------------


def test_save_writes_a_valid_file_and_reparses(as_user: Callable[[str], TestClient],
                                               unknown_lines: None, db: Engine, settings: Settings,
                                               services_dir: Path) -> None:
    client = as_user("oscar")
    r = post(client, f"/admin/unknown/{backup_id()}/save", snippet=SNIPPET, days="7")
    job = job_id_of(r)
    wait(client, job)
    path = services_dir / "backupd.toml"
    service = load_service_file(path)
    assert service.name == "backupd" and service.programs == ("backupd",)
    assert [m.id for m in service.messages] == ["backupd.backup.finished"]
    assert str(path) in settings.service_files
    assert not list(services_dir.glob(".*.tmp"))
    found = rows(db)
    done = [r for r in found if r.message_id == "backupd.backup.finished"]
    assert len(done) == 30 and all(r.service == "backupd" for r in done)
    assert json.loads(done[0].fields) == {"volume": "/srv/vol0", "duration": "3s",
                                          "user": "alice"}
    old = [r for r in found if r.message.startswith("backup of /old")]
    assert old[0].service is None  # older than the 7 days asked for
    page = client.get(f"/admin/unknown/jobs/{job}")
    assert "Saved backupd.backup.finished" in page.text  # the flash
    assert "Done." in page.text and "30 of 43 unknown lines" in page.text
    assert "No pipeline runs in this web process" in page.text
    assert "hx-get" not in client.get(f"/admin/partials/unknown/jobs/{job}").text
    assert "backup of &lt;*&gt; finished" not in client.get("/admin/unknown").text
    with Session(db) as s:
        events = s.exec(sql_select(AuditEvent).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
    saved = [e for e in events if e.action == "service.message.add"]
    assert len(saved) == 1 and saved[0].actor == "admin:oscar"
    assert saved[0].target == "service:backupd"
    assert json.loads(saved[0].detail)["message_ids"] == ["backupd.backup.finished"]
    assert [e.actor for e in events if e.action == "unknown.reparse"] == ["admin:oscar"]


def test_second_save_appends_to_the_same_service(as_user: Callable[[str], TestClient],
                                                 unknown_lines: None, services_dir: Path) -> None:
    client = as_user("oscar")
    wait(client, job_id_of(post(client, f"/admin/unknown/{backup_id()}/save", snippet=SNIPPET)))
    disk = template_of(client, "backupd")
    page = client.get(f"/admin/unknown/{disk}").text
    assert "appended to the existing file" in page
    again = post(client, f"/admin/unknown/{disk}/save", snippet=SNIPPET)
    assert again.status_code == 400 and "duplicate id" in again.text  # same id twice refused
    snippet = ('[[message]]\nid = "backupd.disk.full"\npattern = "disk %{PATH:device} is '
               '%{INT:percent:int}% full"\nlevel = "warning"\ntaxonomy = "system.disk"\n')
    wait(client, job_id_of(post(client, f"/admin/unknown/{disk}/save", snippet=snippet)))
    text = (services_dir / "backupd.toml").read_text()
    assert text.count("[service]") == 1 and text.count("[[message]]") == 2
    service = parse_service(text)
    assert [m.id for m in service.messages] == ["backupd.backup.finished", "backupd.disk.full"]
    assert sorted(p.name for p in services_dir.iterdir()) == ["backupd.toml"]


def test_program_of_a_shipped_service_gets_its_own_service(
        as_user: Callable[[str], TestClient], db: Engine, services_dir: Path) -> None:
    add_lines(db, [{"program": "sshd", "message": f"Frobnicated session {i} on tty{i}"}
                   for i in range(4)])
    client = as_user("oscar")
    tid = template_of(client, "sshd")
    snippet = ('[[message]]\nid = "sshd.local.frobnicated"\npattern = "Frobnicated session '
               '%{INT:session:int} on %{WORD:tty}"\nlevel = "info"\ntaxonomy = "session.open"\n')
    wait(client, job_id_of(post(client, f"/admin/unknown/{tid}/save", snippet=snippet)))
    service = load_service_file(services_dir / "sshd-local.toml")
    assert service.name == "sshd-local"  # "sshd" would replace the shipped service
    library = ServiceLibrary.load([str(services_dir / "sshd-local.toml")])
    assert library.service("sshd").messages  # the shipped one is still there
    assert library.match("sshd", "Frobnicated session 3 on tty3") is not None
    assert library.match("sshd", "Failed password for root from 192.0.2.1 port 22 ssh2")


def test_hostile_program_name_stays_valid_toml(as_user: Callable[[str], TestClient],
                                               db: Engine, services_dir: Path) -> None:
    program = 'we"ird*[x]\\'
    add_lines(db, [{"program": program, "message": f"odd thing {i} happened"} for i in range(3)])
    client = as_user("oscar")
    tid = template_id(program, "odd thing <*> happened")
    snippet = ('[[message]]\nid = "weird.odd"\npattern = "odd thing %{INT:n:int} happened"\n'
               'level = "notice"\ntaxonomy = "app.odd"\n')
    wait(client, job_id_of(post(client, f"/admin/unknown/{tid}/save", snippet=snippet)))
    (path,) = services_dir.glob("*.toml")
    service = load_service_file(path)
    assert service.programs == (claim(program),)
    library = ServiceLibrary([service])
    assert library.match(program, "odd thing 2 happened") is not None
    assert library.match("weirdx", "odd thing 2 happened") is None
    assert all(r.service == service.name for r in rows(db) if r.program == program)


def test_toml_string_escapes_everything() -> None:
    text = 'a"b\\c\nd\te\x00f\x7fg\u2028h\U0001f600'
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


@pytest.fixture
def wired(db: Engine, settings: Settings, clock: Clock, accounts: dict[str, int],
          components: None) -> Iterator[tuple[TestClient, Pipeline]]:
    """A logged-in operator on an app wired to a running pipeline, as `statusd serve` does."""
    pipeline = build_pipeline(settings, Registry(), db=db)
    app = create_app(settings, db, Registry(), clock=clock,
                     reload_services=lambda: reload_services(settings, pipeline))
    with TestClient(app, base_url="https://testserver") as client:
        assert login(client, "oscar").status_code == 303
        yield client, pipeline


def test_save_reloads_the_running_pipeline(wired: tuple[TestClient, Pipeline],
                                           unknown_lines: None, db: Engine) -> None:
    client, pipeline = wired
    before = pipeline.library
    line = (f"<30>1 {NOW.isoformat()} app1 backupd 42 - - backup of /srv/new finished in 9s "
            "for dave").encode()
    pipeline.process_batch([RawLine(line, NOW, "192.0.2.1:514", "udp")])
    assert rows(db)[-1].service is None  # unknown before the save
    job = job_id_of(post(client, f"/admin/unknown/{backup_id()}/save", snippet=SNIPPET))
    wait(client, job)
    assert pipeline.library is not before
    assert "The running services were reloaded." in client.get(f"/admin/unknown/jobs/{job}").text
    pipeline.process_batch([RawLine(line, NOW, "192.0.2.1:514", "udp")])
    last = rows(db)[-1]
    assert (last.service, last.message_id) == ("backupd", "backupd.backup.finished")
    assert json.loads(last.fields)["user"] == "dave"


def test_failed_reload_keeps_the_old_services(wired: tuple[TestClient, Pipeline],
                                              unknown_lines: None, tmp_path: Path,
                                              settings: Settings) -> None:
    client, pipeline = wired
    before = pipeline.library
    broken = tmp_path / "broken.toml"
    broken.write_text("[service]\nname = 'x'\n")
    settings.service_files.append(str(broken))
    job = job_id_of(post(client, f"/admin/unknown/{backup_id()}/save", snippet=SNIPPET))
    wait(client, job)
    assert pipeline.library is before
    page = client.get(f"/admin/unknown/jobs/{job}").text
    assert "do not load" in page and "broken.toml" in page


# -- roles and CSRF ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["test", "save"])
def test_viewer_is_refused(as_user: Callable[[str], TestClient], unknown_lines: None,
                           services_dir: Path, action: str) -> None:
    client = as_user("vera")
    r = post(client, f"/admin/unknown/{backup_id()}/{action}", snippet=SNIPPET)
    assert r.status_code == 403 and "needs the operator role" in r.text
    assert not services_dir.exists()


@pytest.mark.parametrize("action", ["test", "save"])
@pytest.mark.parametrize("sent", [None, "", "x" * 43])
def test_csrf_is_checked(as_user: Callable[[str], TestClient], unknown_lines: None,
                         services_dir: Path, action: str, sent: str | None) -> None:
    client = as_user("oscar")
    data = {"snippet": SNIPPET, "since": "7d"} | ({} if sent is None else {"csrf_token": sent})
    r = client.post(f"/admin/unknown/{backup_id()}/{action}", data=data, follow_redirects=False)
    assert r.status_code == 403
    assert not services_dir.exists()


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/admin/unknown", f"/admin/unknown/{backup_id()}", "/admin/unknown/jobs/1"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")


def test_missing_job_is_404(as_user: Callable[[str], TestClient]) -> None:
    client = as_user("vera")
    assert client.get("/admin/unknown/jobs/99").status_code == 404
    assert client.get("/admin/partials/unknown/jobs/99").status_code == 404


# -- settings ----------------------------------------------------------------------------------


def test_services_dir_files_are_loaded_even_outside_the_globs(tmp_path: Path) -> None:
    folder = tmp_path / "services.d" / "local"
    folder.mkdir(parents=True)
    (folder / "app.toml").write_text(
        '[service]\nname = "app"\nprograms = ["app"]\n' + SNIPPET.replace("backupd", "app"))
    config = tmp_path / "statusd.toml"
    config.write_text('services = ["services.d/*.toml"]\n')
    settings = load_settings(config)
    assert settings.service_files == [str(folder / "app.toml")]
    config.write_text('services = ["services.d/*/*.toml"]\n')
    assert len(load_settings(config).service_files) == 1  # listed once
    config.write_text('[admin]\nservices_dir = "elsewhere"\n')
    assert load_settings(config).service_files == []
    config.write_text('[admin]\nservices_dir = " "\n')
    with pytest.raises(ConfigError, match=r"admin\.services_dir"):
        load_settings(config)


def test_default_services_dir_is_in_the_data_folder(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    from statusd.config import admin_services_dir

    monkeypatch.chdir(tmp_path)
    assert admin_services_dir(load_settings(None)) == tmp_path / "statusd-data/services.d/local"
