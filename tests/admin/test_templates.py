"""The dashboard's templates keep to the Content-Security-Policy and never trust data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from statusd.web.templating import THEMES_DIR

TEMPLATES = sorted((THEMES_DIR / "default" / "templates" / "admin").glob("*.html"))


def test_there_are_templates() -> None:
    assert {p.name for p in TEMPLATES} >= {"base.html", "login.html", "_alerts.html", "403.html"}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_inline_script_style_or_handlers(path: Path) -> None:
    text = path.read_text()
    assert not re.search(r"\sstyle=", text)
    assert "<style" not in text
    assert not re.search(r"\son[a-z]+=", text)
    assert not re.search(r"<script(?![^>]*\ssrc=)", text)
    assert "javascript:" not in text and "js:" not in text


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_nothing_is_marked_safe(path: Path) -> None:
    text = path.read_text()
    assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_post_form_has_the_csrf_field(path: Path) -> None:
    text = path.read_text()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", text, flags=re.S):
        if 'method="post"' in form:
            assert "forms.csrf()" in form, form[:120]


@pytest.mark.db
def test_admin_css_is_served(client: TestClient) -> None:
    r = client.get("/theme/admin.css")
    assert r.status_code == 200 and ".admin-nav" in r.text
