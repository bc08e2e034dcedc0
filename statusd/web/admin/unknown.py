"""Unknown messages: templates of unknown lines, a suggested [[message]] to edit, test and save.

Saving appends the message to a service file of `admin.services_dir` (statusd.mining.save),
then a background thread reloads the running pipeline's services and parses the stored unknown
lines of the last days again; its page shows the progress (htmx polls it; without JavaScript,
reload the page).
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from statusd.db import transaction
from statusd.errors import ConfigError
from statusd.mining.save import (
    MAX_SNIPPET,
    TEST_SCAN_LIMIT,
    Checked,
    SnippetError,
    SnippetProblem,
    TrialResult,
    check_snippet,
    choose_target,
    save_message,
    shown_path,
    toml_string,
    try_snippet,
)
from statusd.mining.suggest import REVIEW_TAXONOMY, message_id, suggest
from statusd.mining.unknown import UnknownTemplate, count_unknown, reparse, unknown_templates
from statusd.rules.services import ServiceLibrary
from statusd.search import QueryError, parse_time
from statusd.status import audit
from statusd.web.admin.auth import action, page
from statusd.web.admin.render import flash, path_id, redirect, render
from statusd.web.admin.users import Role, Who
from statusd.web.state import WebState, web_state

log = logging.getLogger(__name__)

SECTION = "/admin/unknown"
DEFAULT_SINCE = "7d"
DEFAULT_DAYS = 7
MAX_DAYS = 3650
MAX_TEMPLATES = 200  # templates listed at most
CACHE_SECONDS = 60.0  # mined templates are reused this long (per `since`)
KEEP_JOBS = 20  # finished reparse jobs remembered (in memory)
_TEMPLATE_ID = re.compile(r"[0-9a-f]{10}")
_NO_PROGRAM = "-"  # the program filter value of lines without a program

ReloadFn = Callable[[], ServiceLibrary]


@dataclass
class ReparseJob:
    """A reload of the services and a reparse of stored unknown lines, run in a thread."""

    id: int
    actor: str
    service: str
    file: str
    message_ids: tuple[str, ...]
    days: float
    started_at: datetime
    state: str = "queued"  # queued | reloading | reparsing | done | failed
    total: int = 0
    scanned: int = 0
    recognised: int = 0
    by_message: list[tuple[str, int]] = field(default_factory=list)
    reloaded: bool = False  # the running pipeline's library was swapped
    error: str = ""
    finished_at: datetime | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Not finished yet."""
        return self.state not in ("done", "failed")

    @property
    def percent(self) -> int:
        """How far the reparse is, 0-100."""
        if self.state == "done":
            return 100
        return min(99, self.scanned * 100 // self.total) if self.total else 0

    def advance(self, lines: int) -> None:
        """Progress callback of reparse()."""
        self.scanned += lines


class UnknownDesk:
    """Per app: mined templates (cached a minute per `since`) and the reparse jobs."""

    def __init__(self, reload: ReloadFn | None = None) -> None:
        self.reload = reload  # swaps the running pipeline's library; None: no pipeline here
        self._cache: dict[str, tuple[float, list[UnknownTemplate]]] = {}
        self._jobs: OrderedDict[int, ReparseJob] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._one_at_a_time = threading.Lock()

    def templates(self, st: WebState, since_text: str, since: datetime) -> list[UnknownTemplate]:
        """Templates of the unknown lines since `since`, most frequent first."""
        key = since_text.lower()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        found = unknown_templates(st.db, since)
        with self._lock:
            if len(self._cache) >= 20:
                self._cache.clear()
            self._cache[key] = (time.monotonic(), found)
        return found

    def forget(self) -> None:
        """Drop the mined templates (after a save or a reparse)."""
        with self._lock:
            self._cache.clear()

    def job(self, job_id: int) -> ReparseJob | None:
        """A job of this process, if still remembered."""
        with self._lock:
            return self._jobs.get(job_id)

    def start(self, st: WebState, checked: Checked, actor: str, days: float) -> ReparseJob:
        """Reload and reparse in a background thread; returns the job at once."""
        now = st.clock()
        with self._lock:
            job = ReparseJob(next(self._ids), actor, checked.target.service,
                             shown_path(st.settings, checked.target.path), checked.new_ids,
                             days, now)
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                oldest = next(iter(self._jobs.values()))
                if oldest.running:
                    break
                self._jobs.popitem(last=False)
        job.thread = threading.Thread(target=self._run, args=(job, st, now - timedelta(days=days)),
                                      name=f"reparse-{job.id}", daemon=True)
        job.thread.start()
        return job

    def wait(self, job_id: int, timeout: float | None = None) -> bool:
        """Wait for a job to finish; True if it has."""
        job = self.job(job_id)
        if job is None or job.thread is None:
            return False
        job.thread.join(timeout)
        return not job.running

    def _run(self, job: ReparseJob, st: WebState, since: datetime) -> None:
        with self._one_at_a_time:
            try:
                job.state = "reloading"
                if self.reload is not None:
                    library = self.reload()
                    job.reloaded = True
                else:
                    library = ServiceLibrary.load(st.settings.service_files)
                job.state = "reparsing"
                job.total = count_unknown(st.db, since)
                result = reparse(st.db, library, since, progress=job.advance)
                job.scanned, job.recognised = result.scanned, result.recognised
                job.by_message = result.by_message.most_common(10)
                with transaction(st.db) as session:
                    audit(session, job.actor, "unknown.reparse", f"service:{job.service}",
                          st.clock(), days=job.days, scanned=result.scanned,
                          recognised=result.recognised)
                job.state = "done"
            except ConfigError as exc:
                job.error = "The service files do not load, so the running services were not " \
                            "changed: " + "; ".join(str(p) for p in exc.problems[:10])
                job.state = "failed"
            except Exception:
                log.exception("reparse job %d failed", job.id)
                job.error = "The reparse failed; the server log says why."
                job.state = "failed"
            finally:
                job.finished_at = st.clock()
                self.forget()


def desk(request: Request) -> UnknownDesk:
    """The UnknownDesk of the app serving this request."""
    found: UnknownDesk = request.app.state.unknown
    return found


def _since(text: str, now: datetime) -> tuple[str, datetime | None, str]:
    """(text, time, error) of a `since` value ("7d" when empty)."""
    text = text.strip()[:40] or DEFAULT_SINCE
    try:
        return text, parse_time(text, now), ""
    except QueryError as exc:
        return text, None, str(exc)


def _days(text: str) -> tuple[float, str]:
    """(days, error) of the `days` form field."""
    try:
        days = float(text.strip() or DEFAULT_DAYS)
    except ValueError:
        return DEFAULT_DAYS, "Days must be a number, e.g. 7."
    if not 0 < days <= MAX_DAYS:
        return DEFAULT_DAYS, f"Days must be more than 0 and at most {MAX_DAYS}."
    return days, ""


def _url(path: str, **params: str) -> str:
    kept = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path


@page(Role.VIEWER)
def unknown_page(request: Request, who: Who) -> Response:
    """GET /admin/unknown: unknown lines as templates, most frequent first; filter program/since."""
    st = web_state(request)
    since_text, since, error = _since(request.query_params.get("since", ""), st.clock())
    program = request.query_params.get("program", "").strip()[:64]
    found: list[UnknownTemplate] = []
    if since is not None:
        found = desk(request).templates(st, since_text, since)
    programs = sorted({t.program for t in found if t.program is not None})
    has_none = any(t.program is None for t in found)
    if program == _NO_PROGRAM:
        shown = [t for t in found if t.program is None]
    elif program:
        shown = [t for t in found if t.program == program]
    else:
        shown = found
    return render(request, "admin/unknown.html", who, {
        "since": since_text, "program": program, "programs": programs, "has_none": has_none,
        "no_program": _NO_PROGRAM, "templates": shown[:MAX_TEMPLATES],
        "total_templates": len(shown), "total_lines": sum(t.count for t in shown),
        "max_templates": MAX_TEMPLATES, "error": error,
        "since_query": urlencode({"since": since_text}),
    }, status_code=400 if error else 200, section=SECTION)


def _lookup(request: Request, since_raw: str) -> tuple[UnknownTemplate | None, str, str]:
    """(template, since text, why not found) of the {template_id} path parameter."""
    st = web_state(request)
    template_id = str(request.path_params.get("template_id", ""))
    since_text, since, error = _since(since_raw, st.clock())
    if error or since is None:
        return None, since_text, error
    if not _TEMPLATE_ID.fullmatch(template_id):
        return None, since_text, "No such template."
    for t in desk(request).templates(st, since_text, since):
        if t.id == template_id:
            return t, since_text, ""
    return None, since_text, (f"No unknown template {template_id} since {since_text}: its lines "
                              "may be recognised now, or older.")


def _fallback_snippet(t: UnknownTemplate) -> str:
    """A [[message]] skeleton when no suggestion could be made from the examples."""
    parts = t.template.split("<*>")
    pattern = parts[0]
    for n, rest in enumerate(parts[1:], 1):
        last = n == len(parts) - 1 and not rest.strip()
        pattern += f"%{{{'GREEDYDATA' if last else 'DATA'}:field{n}}}" + rest
    return (f"[[message]]\nid = {toml_string(message_id(t.program, t.template))}\n"
            f"pattern = {toml_string(pattern.strip())}\nlevel = \"info\"\n"
            f"taxonomy = \"{REVIEW_TAXONOMY}\"  # TODO: set the real taxonomy\n")


def _suggested(t: UnknownTemplate) -> tuple[str, str]:
    """(snippet, why there is no real suggestion) for a template."""
    try:
        return suggest(t.template, t.examples, t.program,
                       list(t.severities.elements())).toml(), ""
    except ValueError as exc:
        return _fallback_snippet(t), f"No pattern could be inferred ({exc}); this is a skeleton."


def _template_page(request: Request, who: Who, t: UnknownTemplate, since_text: str, *,
                   snippet: str | None = None, days: float = DEFAULT_DAYS,
                   problems: list[SnippetProblem] | None = None,
                   trial: TrialResult | None = None, checked: Checked | None = None,
                   error: str = "", status_code: int = 200) -> Response:
    st = web_state(request)
    suggested, note = _suggested(t)
    target = None
    if t.program is not None:
        try:
            target = choose_target(st.settings, t.program)
        except (OSError, ValueError) as exc:
            error = error or f"Cannot pick the service file: {exc}"
    return render(request, "admin/unknown_template.html", who, {
        "t": t, "since": since_text, "snippet": suggested if snippet is None else snippet,
        "note": note if snippet is None else "", "days": f"{days:g}", "problems": problems or [],
        "trial": trial, "checked": checked, "error": error, "target": target,
        "target_path": shown_path(st.settings, target.path) if target else "",
        "target_text": target.head if target is not None and target.exists else "",
        "max_snippet": MAX_SNIPPET, "scan_limit": TEST_SCAN_LIMIT,
        "since_query": urlencode({"since": since_text}),
    }, status_code=status_code, section=SECTION)


def _not_found(request: Request, who: Who, since_text: str, why: str,
               snippet: str = "") -> Response:
    return render(request, "admin/unknown_template.html", who, {
        "t": None, "error": why, "since": since_text, "snippet": snippet[:MAX_SNIPPET],
        "since_query": urlencode({"since": since_text}),
    }, status_code=404, section=SECTION)


@page(Role.VIEWER)
def template_page(request: Request, who: Who) -> Response:
    """GET /admin/unknown/{template_id}: the template with a suggested [[message]] to edit."""
    t, since_text, why = _lookup(request, request.query_params.get("since", ""))
    if t is None:
        return _not_found(request, who, since_text, why)
    return _template_page(request, who, t, since_text)


def _form_input(request: Request, form: FormData
                ) -> tuple[UnknownTemplate | None, str, str, str, float, str]:
    """(template, since, why not found, snippet, days, days error) of a posted form."""
    since = form.get("since")
    t, since_text, why = _lookup(request, since if isinstance(since, str) else "")
    raw = form.get("snippet")
    snippet = raw if isinstance(raw, str) else ""
    days_raw = form.get("days")
    days, days_error = _days(days_raw if isinstance(days_raw, str) else "")
    return t, since_text, why, snippet, days, days_error


@action(Role.OPERATOR)
def trial(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/unknown/{template_id}/test: compile the snippet, try it on stored lines."""
    st = web_state(request)
    t, since_text, why, snippet, days, days_error = _form_input(request, form)
    if t is None:  # gone meanwhile (recognised, or older than `since`): keep the edit shown
        return _not_found(request, who, since_text, why, snippet)
    page_args: dict[str, Any] = {"snippet": snippet[:MAX_SNIPPET], "days": days}
    if days_error:
        return _template_page(request, who, t, since_text, **page_args, error=days_error,
                              status_code=400)
    if t.program is None:
        return _template_page(request, who, t, since_text, **page_args, status_code=400,
                              error="Lines without a program name cannot be given a service.")
    try:
        checked = check_snippet(st.settings, choose_target(st.settings, t.program), snippet)
    except SnippetError as exc:
        return _template_page(request, who, t, since_text, **page_args, problems=exc.problems,
                              status_code=400)
    except (OSError, ValueError) as exc:
        return _template_page(request, who, t, since_text, **page_args, status_code=500,
                              error=f"The service files could not be read: {exc}")
    trial = try_snippet(st.db, checked, st.clock() - timedelta(days=days))
    return _template_page(request, who, t, since_text, **page_args, trial=trial,
                          checked=checked)


@action(Role.OPERATOR)
def save(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/unknown/{template_id}/save: append the snippet to its service file, reparse."""
    st = web_state(request)
    t, since_text, why, snippet, days, days_error = _form_input(request, form)
    if t is None:  # gone meanwhile (recognised, or older than `since`): keep the edit shown
        return _not_found(request, who, since_text, why, snippet)
    page_args: dict[str, Any] = {"snippet": snippet[:MAX_SNIPPET], "days": days}
    if days_error:
        return _template_page(request, who, t, since_text, **page_args, error=days_error,
                              status_code=400)
    if t.program is None:
        return _template_page(request, who, t, since_text, **page_args, status_code=400,
                              error="Lines without a program name cannot be given a service.")
    try:
        checked = save_message(st.settings, t.program, snippet)
    except SnippetError as exc:
        return _template_page(request, who, t, since_text, **page_args, problems=exc.problems,
                              status_code=400)
    except (OSError, ValueError) as exc:
        log.warning("saving a service file failed: %s", exc)
        return _template_page(request, who, t, since_text, **page_args, status_code=500,
                              error=f"The service file could not be written: {exc}")
    path = shown_path(st.settings, checked.target.path)
    with transaction(st.db) as session:
        audit(session, who.actor, "service.message.add", f"service:{checked.target.service}",
              st.clock(), file=path, message_ids=list(checked.new_ids), template=t.id,
              program=t.program, created=not checked.target.exists)
    work = desk(request)
    work.forget()
    job = work.start(st, checked, who.actor, days)
    ids = ", ".join(checked.new_ids)
    flash(request, "ok", f"Saved {ids} to {path}; reloading and parsing the unknown lines of "
          f"the last {days:g} days again.")
    return redirect(f"{SECTION}/jobs/{job.id}")


def _job_or_404(request: Request, who: Who, template: str) -> Response:
    job_id = path_id(request, "job_id")
    job = desk(request).job(job_id) if job_id is not None else None
    status = 200 if job is not None else 404
    return render(request, template, who, {"job": job}, status_code=status, section=SECTION)


@page(Role.VIEWER)
def job_page(request: Request, who: Who) -> Response:
    """GET /admin/unknown/jobs/{job_id}: a save's reload and reparse, with progress."""
    return _job_or_404(request, who, "admin/unknown_job.html")


@page(Role.VIEWER)
def job_partial(request: Request, who: Who) -> Response:
    """GET /admin/partials/unknown/jobs/{job_id}: the progress box alone, polled by htmx."""
    return _job_or_404(request, who, "admin/_unknown_job.html")
