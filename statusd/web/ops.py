"""Operator endpoints: liveness with a database check, and Prometheus metrics."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from statusd.web.state import web_state

log = logging.getLogger(__name__)
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def healthz(request: Request) -> JSONResponse:
    """GET /healthz: 200 with the runtime's health details; 503 when the database is down."""
    st = web_state(request)
    try:
        with st.db.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        log.warning("health check: database unreachable: %s", exc)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503,
                            headers={"Cache-Control": "no-store"})
    return JSONResponse({"status": "ok", "database": "ok", **st.health()},
                        headers={"Cache-Control": "no-store"})


def metrics(request: Request) -> Response:
    """GET /metrics: the Prometheus text exposition."""
    body = web_state(request).metrics.render()
    return Response(body, media_type=PROMETHEUS_TEXT, headers={"Cache-Control": "no-store"})
