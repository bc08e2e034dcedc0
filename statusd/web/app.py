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
from statusd.rules.services import ServiceLibrary
from statusd.web import api, badge, feeds, ops, public, subscribe
from statusd.web.admin import accounts, alerts, auth, incidents, records, statuses, unknown
from statusd.web.admin.sessions import AdminSessionMiddleware
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
    reload_services: Callable[[], ServiceLibrary] | None = None,  # swaps the pipeline's services
) -> Starlette:
    """Build the HTTP app: public page, Statuspage v2 API, health and metrics."""
    theme = str(settings.get("page.theme"))
    env = make_environment(theme, str(settings.get("page.language")))
    env.globals["subscribe_enabled"] = bool(settings.get("notify.email.smtp_url"))
    state = WebState(settings=settings, db=db, metrics=metrics, health=health or _no_health,
                     templates=Jinja2Templates(env=env), clock=clock or utcnow)
    admin = auth.AdminState.build(settings, db)  # no database access until the first /admin hit
    routes: list[BaseRoute] = [
        # public page
        Route("/", public.index, name="index"),
        Route("/partials/status", public.status_partial, name="status_partial"),
        Route("/incidents/{incident_id:int}", public.incident, name="incident"),
        Route("/history", public.history, name="history"),
        Route("/maintenance/{maintenance_id:int}", public.maintenance_page, name="maintenance"),
        # feeds and badges
        Route("/feed.atom", feeds.feed_atom, name="feed_atom"),
        Route("/feed.rss", feeds.feed_rss, name="feed_rss"),
        Route("/components/{slug}/feed.atom", feeds.component_feed_atom),
        Route("/components/{slug}/feed.rss", feeds.component_feed_rss),
        Route("/badge/{slug}.svg", badge.badge, name="badge"),
        # email subscriptions (double opt-in, one-click unsubscribe)
        Route("/subscribe", subscribe.subscribe_form, name="subscribe"),
        Route("/subscribe", subscribe.subscribe_submit, methods=["POST"]),
        Route("/subscribe/confirm", subscribe.subscribe_confirm, name="subscribe_confirm"),
        Route("/unsubscribe", subscribe.unsubscribe_endpoint, methods=["GET", "POST"],
              name="unsubscribe"),
        # Statuspage v2 read API
        Route("/api/v2/summary.json", api.summary),
        Route("/api/v2/status.json", api.status),
        Route("/api/v2/components.json", api.components),
        Route("/api/v2/incidents.json", api.incidents),
        Route("/api/v2/incidents/unresolved.json", api.unresolved_incidents),
        Route("/api/v2/scheduled-maintenances.json", api.scheduled_maintenances),
        Route("/api/v2/scheduled-maintenances/upcoming.json", api.upcoming_maintenances),
        Route("/api/v2/scheduled-maintenances/active.json", api.active_maintenances),
        # operators
        Route("/healthz", ops.healthz, name="healthz"),
        Route("/metrics", ops.metrics, name="metrics"),
        # admin dashboard (docs/admin.md): pages need a login; every POST a CSRF token too
        Route("/admin", auth.home),
        Route("/admin/login", auth.login_form, name="admin_login"),
        Route("/admin/login", auth.login, methods=["POST"]),
        Route("/admin/logout", auth.logout, methods=["POST"]),
        Route("/admin/alerts", alerts.alerts_page, name="admin_alerts"),
        Route("/admin/partials/alerts", alerts.alerts_partial),
        Route("/admin/alerts/{alert_id:int}/acknowledge", alerts.acknowledge, methods=["POST"]),
        Route("/admin/alerts/{alert_id:int}/close", alerts.close, methods=["POST"]),
        Route("/admin/components", statuses.components_page),
        Route("/admin/components/{slug}/status", statuses.set_status, methods=["POST"]),
        Route("/admin/incidents", incidents.incidents_page),
        Route("/admin/incidents", incidents.create, methods=["POST"]),
        Route("/admin/incidents/{incident_id:int}/updates", incidents.post_update,
              methods=["POST"]),
        Route("/admin/incidents/{incident_id:int}/resolve", incidents.resolve, methods=["POST"]),
        Route("/admin/maintenance", statuses.maintenance_page),
        Route("/admin/maintenance", statuses.schedule, methods=["POST"]),
        Route("/admin/maintenance/{maintenance_id:int}/complete", statuses.complete,
              methods=["POST"]),
        Route("/admin/logs", records.logs_page),
        Route("/admin/unknown", unknown.unknown_page),
        Route("/admin/unknown/jobs/{job_id:int}", unknown.job_page),
        Route("/admin/partials/unknown/jobs/{job_id:int}", unknown.job_partial),
        Route("/admin/unknown/{template_id}", unknown.template_page),
        Route("/admin/unknown/{template_id}/test", unknown.trial, methods=["POST"]),
        Route("/admin/unknown/{template_id}/save", unknown.save, methods=["POST"]),
        Route("/admin/devices", records.devices_page),
        Route("/admin/audit", records.audit_page),
        Route("/admin/users", accounts.users_page),
        Route("/admin/users", accounts.create, methods=["POST"]),
        Route("/admin/users/{user_id:int}/role", accounts.change_role, methods=["POST"]),
        Route("/admin/users/{user_id:int}/disable", accounts.disable, methods=["POST"]),
        Route("/admin/users/{user_id:int}/enable", accounts.enable, methods=["POST"]),
        # assets
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Mount("/theme", LayeredStaticFiles(theme_dirs(theme, "static")), name="theme"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(AdminSessionMiddleware, sessions=admin.sessions),  # signed cookie, /admin only
        Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={404: _not_found})
    app.state.web = state
    app.state.admin = admin
    app.state.unknown = unknown.UnknownDesk(reload_services)  # templates cache, reparse jobs
    return app
