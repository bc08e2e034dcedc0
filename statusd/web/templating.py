"""The template environment: theme search path, filters and the public page's translations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2

import statusd
from statusd.models import ComponentStatus, IncidentStatus
from statusd.web.queries import GroupRow

REPO_ROOT = Path(statusd.__file__).resolve().parents[1]
THEMES_DIR = REPO_ROOT / "themes"
STATIC_DIR = REPO_ROOT / "static"
DEFAULT_THEME = "default"
HTMX_VERSION = "2.0.11"  # static/htmx-<version>.min.js
THEME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# The words the page says for each overall status, worst component first.
BANNER = {
    ComponentStatus.OPERATIONAL.value: "All systems operational",
    ComponentStatus.UNDER_MAINTENANCE.value: "Maintenance in progress",
    ComponentStatus.DEGRADED_PERFORMANCE.value: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE.value: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE.value: "Major outage",
}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

# English is the key; a language maps every UI string of the public page to its wording.
TRANSLATIONS: dict[str, dict[str, str]] = {
    "fr": {
        # email subscriptions
        "Subscribe": "S’abonner",
        "Subscribe by email": "S’abonner par e-mail",
        "Subscribe to updates": "Recevoir les nouvelles",
        "Email address": "Adresse e-mail",
        "Tick none to follow everything.": "Ne cochez rien pour tout suivre.",
        "Get an email when an incident or planned maintenance concerns what you follow. We send a "
        "confirmation link first; every message has a one-click unsubscribe link.":
            "Recevez un e-mail quand un incident ou une maintenance planifiée concerne ce que vous "
            "suivez. Nous envoyons d’abord un lien de confirmation ; chaque message contient un "
            "lien de désabonnement en un clic.",
        # banner and component statuses
        "All systems operational": "Tous les systèmes sont opérationnels",
        "Maintenance in progress": "Maintenance en cours",
        "Degraded performance": "Performances dégradées",
        "Partial outage": "Panne partielle",
        "Major outage": "Panne majeure",
        "Operational": "Opérationnel",
        "Under maintenance": "En maintenance",
        "No data": "Aucune donnée",
        # incident statuses
        "Investigating": "Analyse en cours",
        "Identified": "Cause identifiée",
        "Monitoring": "Sous surveillance",
        "Resolved": "Résolu",
        # page text
        "Skip to content": "Aller au contenu",
        "Components": "Composants",
        "Active incidents": "Incidents en cours",
        "Past incidents": "Incidents passés",
        "No incidents reported.": "Aucun incident signalé.",
        "Incident history": "Historique des incidents",
        "No incidents yet.": "Aucun incident pour l'instant.",
        "Affected components": "Composants concernés",
        "Started": "Début",
        "Resolved at": "Résolu le",
        "Last updated": "Dernière mise à jour",
        "Uptime over the past 90 days": "Disponibilité sur les 90 derniers jours",
        "90 days ago": "Il y a 90 jours",
        "Today": "Aujourd'hui",
        "{pct}% uptime": "{pct} % de disponibilité",
        "Newer incidents": "Incidents plus récents",
        "Older incidents": "Incidents plus anciens",
        "Page {page} of {pages}": "Page {page} sur {pages}",
        "Page not found": "Page introuvable",
        "There is nothing at this address.": "Il n'y a rien à cette adresse.",
        "Back to the status page": "Retour à la page d'état",
        "Status page": "Page d'état",
        "Powered by statusd": "Propulsé par statusd",
        "Incident": "Incident",
        "{n} update": "{n} mise à jour",
        "{n} updates": "{n} mises à jour",
        # planned maintenance (statuses: scheduled, in_progress, completed) and feeds
        "Planned maintenance": "Maintenance planifiée",
        "Scheduled": "Planifiée",
        "In progress": "En cours",
        "Completed": "Terminée",
        "From": "Du",
        "until": "au",
        "Completed at": "Terminée le",
        "Atom feed": "Flux Atom",
        "RSS feed": "Flux RSS",
        # relative times
        "just now": "à l'instant",
        "{n} minute ago": "il y a {n} minute",
        "{n} minutes ago": "il y a {n} minutes",
        "{n} hour ago": "il y a {n} heure",
        "{n} hours ago": "il y a {n} heures",
        "{n} day ago": "il y a {n} jour",
        "{n} days ago": "il y a {n} jours",
        # dates
        "January": "janvier", "February": "février", "March": "mars", "April": "avril",
        "May": "mai", "June": "juin", "July": "juillet", "August": "août",
        "September": "septembre", "October": "octobre", "November": "novembre",
        "December": "décembre",
    },
}
LANGUAGES = ("en", *TRANSLATIONS)


class Translator:
    """Looks up the page's wording for an English UI string, then fills {placeholders}."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "en"
        self.table: Mapping[str, str] = TRANSLATIONS.get(self.language, {})

    def __call__(self, message: str, **values: Any) -> str:
        """The translated message, formatted with values."""
        text = self.table.get(message, message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural form for n, translated and formatted with n."""
        one = n < 2 if self.language == "fr" else n == 1
        return self(singular if one else plural, n=n)


def theme_dirs(theme: str, sub: str) -> list[Path]:
    """The active theme's `sub` folder, then the default theme's; only those that exist."""
    names = [theme] if theme != DEFAULT_THEME and THEME_NAME.match(theme) else []
    names.append(DEFAULT_THEME)
    return [THEMES_DIR / n / sub for n in names if (THEMES_DIR / n / sub).is_dir()]


def iso_time(value: datetime | None) -> str:
    """ISO-8601 with its UTC offset, to the second ("" for None)."""
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def status_class(status: str) -> str:
    """The CSS class for a component or incident status."""
    return "status-" + re.sub(r"[^a-z_]", "", status.lower())


def status_label_en(status: str) -> str:
    """The English label of a component or incident status."""
    try:
        return ComponentStatus(status).label
    except ValueError:
        pass
    try:
        return IncidentStatus(status).value.capitalize()
    except ValueError:
        return status.replace("_", " ").capitalize()


def relative_time(value: datetime, now: datetime, t: Translator) -> str:
    """"3 minutes ago" style wording for value as seen at now."""
    seconds = max(0, int((now - value).total_seconds()))
    if seconds < 60:
        return t("just now")
    minutes = seconds // 60
    if minutes < 60:
        return t.plural("{n} minute ago", "{n} minutes ago", minutes)
    hours = minutes // 60
    if hours < 24:
        return t.plural("{n} hour ago", "{n} hours ago", hours)
    return t.plural("{n} day ago", "{n} days ago", hours // 24)


def make_environment(theme: str, language: str) -> jinja2.Environment:
    """The jinja2 environment: active theme then default, autoescaped, with filters and t()."""
    template_dirs = theme_dirs(theme, "templates")
    default_dir = THEMES_DIR / DEFAULT_THEME / "templates"
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(template_dirs),
        # "default:index.html" reaches the default theme's file from an overriding template.
        jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(default_dir)}, delimiter=":"),
    ])
    env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    t = Translator(language)

    def label(status: str) -> str:
        return t(status_label_en(status))

    def banner(status: str) -> str:
        return t(BANNER.get(status, BANNER[ComponentStatus.MAJOR_OUTAGE.value]))

    def day_label(value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = value.astimezone(UTC).date()
        return f"{value.day} {t(MONTHS[value.month - 1])} {value.year}"

    def datetime_label(value: datetime) -> str:
        value = value.astimezone(UTC)
        return f"{day_label(value)} {value:%H:%M} UTC"

    @jinja2.pass_context
    def ago(context: jinja2.runtime.Context, value: datetime) -> str:
        now = context.get("now") or datetime.now(UTC)
        return relative_time(value, now, t)

    def percent(value: float) -> str:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if t.language == "fr" else text

    env.filters.update(
        iso=iso_time, status_class=status_class, status_label=label, banner=banner,
        day_label=day_label, datetime_label=datetime_label, ago=ago, percent=percent,
    )
    env.tests["group"] = lambda value: isinstance(value, GroupRow)
    env.globals.update(t=t, tn=t.plural, language=t.language, htmx_version=HTMX_VERSION,
                       version=statusd.__version__)
    return env
