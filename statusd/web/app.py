"""The app factory: every route and every middleware of the HTTP side, in one place each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from statusd.config import Settings
from statusd.db import utcnow
from statusd.metrics import Registry
from statusd.web import api, ops, public
from statusd.web.security import SecurityHeadersMiddleware
from statusd.web.state import WebState
from statusd.web.templating import STATIC_DIR, make_environment, theme_dirs


class LayeredStaticFiles(StaticFiles):
    """Static files looked up in several folders in turn (active theme, then default)."""

    def __init__(self, directories: Sequence[Path]) -> None:
        super().__init__(directory=directories[0] if directories else None, check_dir=False)
        self.all_directories = list(directories)


def _no_health() -> dict[str, Any]:
    return {}


def _not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return api.json_response({"error": "not found"}, status_code=404)
    return public.not_found(request)


def create_app(
    settings: Settings, db: Engine, metrics: Registry, *,
    health: Callable[[], dict[str, Any]] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """Build the HTTP app: public page, Statuspage v2 API, health and metrics."""
    theme = str(settings.get("page.theme"))
    env = make_environment(theme, str(settings.get("page.language")))
    state = WebState(settings=settings, db=db, metrics=metrics, health=health or _no_health,
                     templates=Jinja2Templates(env=env), clock=clock or utcnow)
    routes: list[BaseRoute] = [
        # public page
        Route("/", public.index, name="index"),
        Route("/partials/status", public.status_partial, name="status_partial"),
        Route("/incidents/{incident_id:int}", public.incident, name="incident"),
        Route("/history", public.history, name="history"),
        # Statuspage v2 read API
        Route("/api/v2/summary.json", api.summary),
        Route("/api/v2/status.json", api.status),
        Route("/api/v2/components.json", api.components),
        Route("/api/v2/incidents.json", api.incidents),
        Route("/api/v2/incidents/unresolved.json", api.unresolved_incidents),
        Route("/api/v2/scheduled-maintenances.json", api.scheduled_maintenances),
        Route("/api/v2/scheduled-maintenances/upcoming.json", api.scheduled_maintenances),
        Route("/api/v2/scheduled-maintenances/active.json", api.scheduled_maintenances),
        # operators
        Route("/healthz", ops.healthz, name="healthz"),
        Route("/metrics", ops.metrics, name="metrics"),
        # assets
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Mount("/theme", LayeredStaticFiles(theme_dirs(theme, "static")), name="theme"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={404: _not_found})
    app.state.web = state
    return app
