"""Message wording: Jinja2 text templates (theme first, then the shipped ones) to subject + body.

Templates live in statusd/notify/templates/ and may be overridden per theme in
themes/<theme>/notify/. Each defines `{% block subject %}` and `{% block body %}`. Values
from changes (often derived from log lines) are data: they are never compiled as templates,
and the rendered subject is one line without control characters, so no header can be forged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from statusd.web.templating import THEME_NAME, THEMES_DIR

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_SUBJECT = 200
MAX_BODY = 20000
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message's wording: one-line subject and plain-text body."""

    subject: str
    body: str


def clean_subject(text: str) -> str:
    """One line: control characters (CR and LF included) become spaces; cut to MAX_SUBJECT."""
    chars = [" " if unicodedata.category(c).startswith("C") else c for c in text]
    line = _SPACES.sub(" ", "".join(chars)).strip()
    return line if len(line) <= MAX_SUBJECT else line[: MAX_SUBJECT - 1] + "…"


def clean_body(text: str) -> str:
    """Plain text with LF line ends, no control characters but tab, trailing blanks trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(c for c in text if c in "\n\t" or not unicodedata.category(c).startswith("C"))
    lines = [line.rstrip() for line in kept.split("\n")]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
    return body if len(body) <= MAX_BODY else body[: MAX_BODY - 2] + "…\n"


def template_dirs(theme: str) -> list[Path]:
    """Where message templates are looked up: the theme's notify/ folders, then the package."""
    names = [theme] if theme != "default" and THEME_NAME.match(theme) else []
    names.append("default")
    found = [THEMES_DIR / n / "notify" for n in names if (THEMES_DIR / n / "notify").is_dir()]
    return [*found, PACKAGE_TEMPLATES]


class Renderer:
    """Renders message templates by name into a cleaned subject and body."""

    def __init__(self, theme: str = "default") -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(template_dirs(theme)),
            autoescape=False,  # plain-text mail and chat messages, not HTML
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["label"] = label

    def has(self, name: str) -> bool:
        """True when a template of this name exists."""
        try:
            self.env.get_template(name)
        except jinja2.TemplateNotFound:
            return False
        return True

    def render(self, name: str, context: dict[str, Any]) -> Rendered:
        """The template's subject and body blocks, rendered and cleaned."""
        template = self.env.get_template(name)
        ctx = template.new_context(context)
        subject = "".join(template.blocks["subject"](ctx))
        body = "".join(template.blocks["body"](ctx))
        return Rendered(clean_subject(subject), clean_body(body))


def label(value: Any) -> str:
    """A status name as words: "partial_outage" -> "Partial outage"."""
    return str(value or "").replace("_", " ").capitalize()
