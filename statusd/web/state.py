"""What every web endpoint needs, built once by the app factory and kept on app.state."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from statusd.config import Settings
from statusd.metrics import Registry


@dataclass(slots=True)
class WebState:
    """Settings, database, metrics, templates and clock shared by the endpoints."""

    settings: Settings
    db: Engine
    metrics: Registry
    health: Callable[[], dict[str, Any]]
    templates: Jinja2Templates
    clock: Callable[[], datetime]

    @property
    def page_id(self) -> str:
        """A stable opaque page id for the Statuspage API, derived from the base URL."""
        return hashlib.sha256(self.settings.base_url.encode()).hexdigest()[:12]


def web_state(request: Request) -> WebState:
    """The WebState of the app serving this request."""
    state: WebState = request.app.state.web
    return state
