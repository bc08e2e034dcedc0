"""Responses of the dashboard: pages with nav and CSRF token, flashes, redirects, the 403 page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from statusd.web.admin import csrf
from statusd.web.admin.users import Role, Who
from statusd.web.state import web_state

# (path, label, least role): the dashboard's sections, in menu order.
NAV: tuple[tuple[str, str, Role], ...] = (
    ("/admin/alerts", "Alerts", Role.VIEWER),
    ("/admin/components", "Components", Role.VIEWER),
    ("/admin/incidents", "Incidents", Role.VIEWER),
    ("/admin/maintenance", "Maintenance", Role.VIEWER),
    ("/admin/logs", "Logs", Role.VIEWER),
    ("/admin/unknown", "Unknown messages", Role.VIEWER),
    ("/admin/devices", "Devices", Role.VIEWER),
    ("/admin/audit", "Audit log", Role.VIEWER),
    ("/admin/users", "Users", Role.ADMIN),
)
PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
FLASH_KEY = "flash"


def is_htmx(request: Request) -> bool:
    """True for requests htmx made (it sends HX-Request: true)."""
    return request.headers.get("hx-request") == "true"


def flash(request: Request, kind: str, text: str) -> None:
    """Keep a one-time message ("ok" or "error") for the next page shown."""
    request.session[FLASH_KEY] = [kind, text[:500]]


def _take_flash(request: Request) -> tuple[str, str] | None:
    value = request.session.pop(FLASH_KEY, None)
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    return None


def render(request: Request, name: str, who: Who | None, context: dict[str, Any] | None = None,
           *, status_code: int = 200, section: str = "") -> Response:
    """A dashboard template with what every page gets; full pages show (and use up) the flash."""
    st = web_state(request)
    fragment = name.rsplit("/", 1)[-1].startswith("_")
    values: dict[str, Any] = {
        "page_title": st.settings.get("page.title"),
        "now": st.clock(),
        "who": who,
        "csrf_token": csrf.ensure_token(request.session),
        "nav": [(path, label, path == section) for path, label, role in NAV
                if who is not None and who.role.allows(role)],
        "refresh": st.settings.get("admin.refresh"),
        "flash": None if fragment else _take_flash(request),
    }
    values.update(context or {})
    response = st.templates.TemplateResponse(request, name, values, status_code=status_code)
    response.headers.update(PRIVATE_HEADERS)
    return response


def redirect(path: str) -> Response:
    """303 See Other to a dashboard path (after a POST, or to the login form)."""
    return RedirectResponse(path, status_code=303, headers=PRIVATE_HEADERS)


def done(request: Request, path: str, kind: str, text: str) -> Response:
    """Flash a message and go back to the page the form was on."""
    flash(request, kind, text)
    return redirect(path)


def forbidden(request: Request, who: Who | None, reason: str) -> Response:
    """The 403 page (insufficient role, or a form without a valid CSRF token)."""
    return render(request, "admin/403.html", who, {"reason": reason}, status_code=403)


def utc_input(value: datetime) -> str:
    """A time as a datetime-local input value, in UTC ("2024-05-20T14:00")."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def parse_utc(text: str) -> datetime:
    """A form time ("2024-05-20T14:00"; no offset means UTC), or ValueError."""
    text = text.strip()
    if not text:
        raise ValueError("a time is required")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {text[:40]!r} (use 2024-05-20T14:00, UTC)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def page_number(request: Request, last: int) -> int:
    """The ?page= number, clamped to 1..last (a non-number is page 1)."""
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        return 1
    return min(max(1, page), max(1, last))


MAX_DB_INT = 2**31 - 1  # ids beyond this cannot exist (and PostgreSQL would refuse the query)


def path_id(request: Request, name: str) -> int | None:
    """An {name:int} path parameter that can be a database id, else None."""
    value = request.path_params.get(name)
    return value if isinstance(value, int) and 0 < value <= MAX_DB_INT else None


def field(form: Any, name: str, limit: int = 5000) -> str:
    """A text field of a submitted form ("" when missing), cut to limit characters."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""
