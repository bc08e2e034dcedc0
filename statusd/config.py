"""Load and validate the TOML configuration into typed settings; errors name file and key."""

from __future__ import annotations

import glob
import re
import socket
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statusd.errors import ConfigError, Problem

DEFAULT_DATABASE = "sqlite:///statusd-data/statusd.db"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")

# Every scalar setting: dotted key -> (type, default, help). docs/configuration.md documents
# each one; tests/test_config.py fails when a key here is missing from the docs.
SETTINGS: dict[str, tuple[type | tuple[type, ...], Any, str]] = {
    "http.listen": (str, "127.0.0.1:8080", "host:port the web server listens on"),
    "http.base_url": (str, "", "public URL of the site, used in feeds, mails and permalinks "
                      "(default: http://<listen>)"),
    "storage.database": (str, DEFAULT_DATABASE, "SQLAlchemy URL: sqlite:///path or "
                         "postgresql+psycopg://user@host/db; relative SQLite paths resolve "
                         "against the config file's folder (or the working folder)"),
    "storage.retention_days": (int, 30, "days of received lines kept in the archive"),
    "syslog.udp": (list, ["127.0.0.1:5514"], "UDP listen addresses"),
    "syslog.tcp": (list, ["127.0.0.1:5514"], "TCP listen addresses (LF and octet-counted frames)"),
    "syslog.tls": (list, [], "TLS (RFC 5425) listen addresses; need tls_cert and tls_key"),
    "syslog.relp": (list, [], "RELP listen addresses; each message is acknowledged once stored"),
    "syslog.tls_cert": (str, "", "PEM certificate (chain) for TLS listeners"),
    "syslog.tls_key": (str, "", "PEM private key (unencrypted) for TLS listeners"),
    "syslog.tls_ca": (str, "", "PEM CA bundle that client certificates are checked against; "
                      "needed when tls_verify_client is optional or required"),
    "syslog.tls_verify_client": (str, "none", "client certificates on TLS listeners: none (not "
                                 "asked for), optional (checked if sent) or required"),
    "syslog.max_message_size": (int, 65536, "longest frame kept; longer ones are truncated and "
                                "counted"),
    "syslog.queue_size": (int, 100000, "lines the queue between listeners and pipeline holds; "
                          "UDP drops (counted) when full"),
    "syslog.batch_size": (int, 2000, "lines the pipeline archives in one transaction; the "
                          "inbox takes up to ten batches in one"),
    "syslog.batch_interval": ((int, float), 0.2, "seconds a partial batch waits for more lines "
                              "before it is written to the inbox"),
    "syslog.idle_timeout": ((int, float), 300, "seconds a TCP peer may stay silent before it is "
                            "disconnected"),
    "syslog.default_device": (str, "", "device name for lines without hostname or source "
                              "(default: this host's name)"),
    "syslog.queue_bytes": (int, 64 * 1024 * 1024, "bytes of line data the queue holds at most, "
                           "whatever the line count (big frames fill it sooner)"),
    "syslog.max_connections": (int, 4096, "open TCP/TLS/RELP connections accepted in all; "
                               "more are closed at once and counted (too_many_connections)"),
    "syslog.max_connections_per_source": (int, 64, "open TCP/TLS/RELP connections accepted "
                                          "from one address; more are closed at once and "
                                          "counted (too_many_connections)"),
    "syslog.frame_timeout": ((int, float), 60, "seconds one TCP/TLS frame may take from its "
                             "first byte to its end; a slower peer (slow-loris) is disconnected"),
    "syslog.file_poll_interval": ((int, float), 1.0, "seconds between two looks at each "
                                  "[[file]] for new lines, rotation and truncation"),
    "syslog.file_partial_timeout": ((int, float), 5.0, "seconds an unterminated last line of a "
                                    "[[file]] waits for its newline before it is taken as is"),
    "syslog.file_start_at_end": (bool, True, "a [[file]] never followed before is read from "
                                 "its end, as tail -F does (false: from its beginning); files "
                                 "created or rotated later are always read from the beginning"),
    "syslog.inbox_max_lines": (int, 2_000_000, "lines the inbox (accepted, not yet through the "
                               "pipeline) holds at most; over it, the queue is no longer "
                               "emptied: TCP readers pause and UDP drops (counted)"),
    "syslog.pipeline_process": (bool, True, "run the pipeline (stage 2: parse, rules, archive) "
                                "in a child process beside the listeners; false: in a thread "
                                "of the same process"),
    "syslog.shutdown_drain": ((int, float), 30, "seconds the pipeline may go on archiving the "
                              "inbox at shutdown; what is left stays in the inbox for the next "
                              "start"),
    "page.title": (str, "Service status", "title of the public page and feeds"),
    "page.description": (str, "", "one line under the title"),
    "page.language": (str, "en", "language of the public page: en or fr"),
    "page.theme": (str, "default", "folder under themes/ with templates overriding the default"),
    "page.refresh": (int, 30, "seconds between live refreshes of the page (htmx)"),
    "page.history_days": (int, 14, "days of past incidents shown on the front page"),
    "irc.server": (str, "", "IRC server host name or address; empty: no IRC bot"),
    "irc.port": (int, 6667, "IRC server port (6697 is the usual TLS port)"),
    "irc.tls": (bool, False, "connect to the IRC server with TLS"),
    "irc.tls_verify": (bool, True, "check the IRC server's TLS certificate and host name"),
    "irc.nick": (str, "statusd", "the bot's nickname (a _ is added while it is taken)"),
    "irc.username": (str, "statusd", "user name (ident) the bot registers with"),
    "irc.realname": (str, "statusd status bot", "real name (GECOS) the bot registers with"),
    "irc.password": (str, "", "IRC server password (PASS); empty: none"),
    "irc.sasl_username": (str, "", "services account the bot logs in as over SASL PLAIN; "
                          "empty: no SASL"),
    "irc.sasl_password": (str, "", "password of irc.sasl_username"),
    "irc.channels": (list, [], "channels the bot joins, answers in and announces to "
                     '(a key may follow a space: "#ops secret")'),
    "irc.operators": (list, [], "who may change anything from IRC: hostmask globs "
                      "(*!*@trusted.example.org, alice!*@*) and services accounts "
                      "(account:alice)"),
    "irc.topic_sync": (bool, False, "keep each channel's topic equal to the component "
                       "statuses; an operator's topic edit in that form changes them"),
    "irc.announce": (bool, True, "announce incidents, maintenance, status changes, alerts and "
                     "rules with irc = true in the channels"),
    "irc.announce_backlog": (int, 10, "more waiting changes than this (a bot that was away) "
                             "are summed up in one line instead of announced one by one"),
    "irc.max_line_rate": ((int, float), 1.0, "lines a second the bot sends at most, on average"),
    "irc.max_line_burst": (int, 4, "lines the bot may send at once before max_line_rate "
                           "applies"),
    "irc.max_reply_lines": (int, 4, "most lines in one reply; the rest is cut to "
                            "'… and N more'"),
    "irc.reconnect_min": ((int, float), 2.0, "seconds before reconnecting to a lost IRC server; "
                          "doubled after each failed try"),
    "irc.reconnect_max": ((int, float), 300.0, "longest wait between two reconnection tries"),
    "irc.poll_interval": ((int, float), 1.0, "seconds between two looks at the outbox for news "
                          "to announce"),
    "notify.status_channels": (list, [], "[notify.channels] names that also get every status "
                               "change: component statuses, incidents, maintenance"),
    "notify.max_attempts": (int, 10, "tries of one delivery before it is given up as dead"),
    "notify.retry_base": ((int, float), 30, "seconds before the first retry; doubles with each "
                          "try, with jitter"),
    "notify.retry_cap": ((int, float), 3600, "longest wait between two tries, in seconds"),
    "notify.sending_timeout": ((int, float), 300, "seconds after which a delivery still marked "
                               "sending (its sender stopped mid-send) is tried again"),
    "notify.email.smtp_url": (str, "", "apprise mailto:// or mailtos:// URL of the SMTP server "
                              "for subscriber mail; empty: no email subscriptions"),
    "notify.email.from": (str, "", "sender address of subscriber mail and of mailto:// channels "
                          "that name none (default: from= of smtp_url, else statusd@localhost)"),
    "notify.email.subscribe_per_ip": (int, 10, "subscribe requests one client address may make "
                                      "per rate_window (in memory, per process)"),
    "notify.email.subscribe_per_address": (int, 3, "confirmation mails one address may be sent "
                                           "per rate_window (in memory, per process)"),
    "notify.email.rate_window": (int, 3600, "seconds over which the subscribe limits count"),
    "admin.session_secret": (str, "", "key that signs dashboard session cookies; empty: one is "
                             "generated once and kept in the database (table admin_secret), so "
                             "restarts and several machines share it"),
    "admin.session_max_age": (int, 28800, "seconds a dashboard login lasts (then log in again)"),
    "admin.login_rate": (str, "5/15m", "failed logins allowed per username within the window "
                         "before the username is locked"),
    "admin.login_rate_ip": (str, "20/15m", "failed logins allowed per client address within the "
                            "window before the address is locked"),
    "admin.login_lockout": (str, "15m", "how long a locked username or address must wait"),
    "admin.password_min_length": (int, 10, "shortest password statusd user and the dashboard "
                                  "accept"),
    "admin.refresh": (int, 5, "seconds between live refreshes of the dashboard's alert list"),
    "admin.services_dir": (str, "services.d/local", "folder where the dashboard saves service "
                           "files (one per service), against the config file's folder (no "
                           "config: statusd-data/); its *.toml files are always loaded"),
}
TOP_LEVEL = {"include", "services", "http", "storage", "syslog", "page", "component", "rule",
             "file", "notify", "irc", "admin", "noise"}
COMPONENT_KEYS = {"slug", "name", "group", "description", "devices"}
FILE_KEYS = {"path", "device", "program"}
LANGUAGES = ("en", "fr")


@dataclass(slots=True)
class ComponentSettings:
    """One [[component]] table."""

    slug: str
    name: str
    group: str | None = None
    description: str = ""
    devices: list[str] = field(default_factory=list)


@dataclass(slots=True)
class FileSettings:
    """One [[file]] table."""

    path: str
    device: str
    program: str | None = None


@dataclass(slots=True)
class Settings:
    """The whole configuration, typed and validated."""

    values: dict[str, Any]  # every key of SETTINGS, filled with defaults
    components: list[ComponentSettings] = field(default_factory=list)
    rules: list[Any] = field(default_factory=list)  # statusd.rules.model.Rule
    rule_tables: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    service_files: list[str] = field(default_factory=list)
    noise_files: list[str] = field(default_factory=list)  # logcheck ignore files (noise = [...])
    files: list[FileSettings] = field(default_factory=list)
    notify: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None  # the config file, None for built-in defaults
    base_dir: Path = field(default_factory=Path.cwd)

    def get(self, key: str) -> Any:
        """A setting by dotted key."""
        return self.values[key]

    @property
    def database_url(self) -> str:
        return str(self.values["storage.database"])

    @property
    def base_url(self) -> str:
        url = str(self.values["http.base_url"]).rstrip("/")
        return url or f"http://{self.values['http.listen']}"

    @property
    def default_device(self) -> str:
        return str(self.values["syslog.default_device"]) or socket.gethostname()


def admin_services_dir(settings: Settings) -> Path:
    """The folder where the dashboard saves service files (admin.services_dir)."""
    folder = Path(str(settings.values["admin.services_dir"])).expanduser()
    if folder.is_absolute():
        return folder
    base = settings.base_dir if settings.path is not None else settings.base_dir / "statusd-data"
    return base / folder


def admin_service_files(settings: Settings) -> list[str]:
    """The *.toml files of admin.services_dir that settings.service_files does not list yet."""
    listed = {Path(p).resolve() for p in settings.service_files}
    return [str(p) for p in sorted(admin_services_dir(settings).glob("*.toml"))
            if p.is_file() and p.resolve() not in listed]


def parse_hostport(value: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """Split "host:port", "[v6]:port" or ":port"; ValueError when malformed."""
    text = value.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep:
            raise ValueError(f"{value!r} is not host:port")
    port = int(port_text)
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} out of range")
    return host or default_host, port


class _Loader:
    """Collects problems while reading the main file and its includes."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, file: str, where: str, message: str) -> None:
        self.problems.append(Problem(file, where, message))

    def read_toml(self, path: Path) -> dict[str, Any] | None:
        try:
            with path.open("rb") as fh:
                return tomllib.load(fh)
        except FileNotFoundError:
            self.problem(str(path), "file", "no such file")
        except tomllib.TOMLDecodeError as exc:
            where = "syntax"
            m = re.search(r"at line (\d+)", str(exc))
            if m:
                where = f"line {m.group(1)}"
            self.problem(str(path), where, f"invalid TOML: {exc}")
        except OSError as exc:
            self.problem(str(path), "file", f"cannot read: {exc.strerror}")
        return None

    def check_value(self, file: str, key: str, value: Any) -> Any:
        typ, _default, _help = SETTINGS[key]
        if isinstance(value, bool) and typ is not bool:
            self.problem(file, key, f"expected {_type_name(typ)}, got a boolean")
            return None
        if not isinstance(value, typ):
            self.problem(file, key, f"expected {_type_name(typ)}, got {type(value).__name__}")
            return None
        if typ is list and not all(isinstance(v, str) for v in value):
            self.problem(file, key, "expected a list of strings")
            return None
        return value


def _type_name(typ: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", list: "a list",
             bool: "true/false"}
    if isinstance(typ, tuple):
        return "a number"
    return names.get(typ, typ.__name__)


def _tables(loader: _Loader, file: str, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    raw = data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        loader.problem(file, key, f"must be an array of tables ([[{key}]])")
        return []
    return raw


def load_settings(path: str | Path | None = None) -> Settings:
    """Read the config file (None: built-in defaults); ConfigError lists every problem."""
    loader = _Loader()
    values = {key: spec[1] for key, spec in SETTINGS.items()}
    settings = Settings(values=dict(values))
    if path is None:
        _finish(loader, settings)
        return settings
    cfg_path = Path(path)
    settings.path = cfg_path
    settings.base_dir = cfg_path.resolve().parent
    data = loader.read_toml(cfg_path)
    if data is None:
        raise ConfigError(loader.problems)
    file = str(cfg_path)
    for key in data:
        if key not in TOP_LEVEL:
            loader.problem(file, key, f"unknown key (known: {', '.join(sorted(TOP_LEVEL))})")
    for section in ("http", "storage", "syslog", "page", "admin", "irc"):
        table = data.get(section, {})
        if not isinstance(table, dict):
            loader.problem(file, section, "must be a table")
            continue
        for key, value in table.items():
            dotted = f"{section}.{key}"
            if dotted not in SETTINGS:
                known = ", ".join(k.split(".", 1)[1] for k in SETTINGS if k.startswith(section))
                loader.problem(file, dotted, f"unknown key (known: {known})")
                continue
            checked = loader.check_value(file, dotted, value)
            if checked is not None:
                settings.values[dotted] = checked
    for key in ("notify",):
        table = data.get(key, {})
        if isinstance(table, dict):
            setattr(settings, key, table)
        else:
            loader.problem(file, key, "must be a table")
    # Own tables first, then included files in sorted order.
    sources: list[tuple[str, dict[str, Any]]] = [(file, data)]
    for pattern in _string_list(loader, file, "include", data.get("include", [])):
        matched = sorted(glob.glob(str(settings.base_dir / pattern)))
        if not matched and not glob.has_magic(pattern):
            loader.problem(file, "include", f"{pattern}: no such file")
        for inc in matched:
            inc_data = loader.read_toml(Path(inc))
            if inc_data is None:
                continue
            for key in inc_data:
                if key not in ("component", "rule", "file"):
                    loader.problem(inc, key, "included files may hold [[component]], [[rule]] "
                                   "and [[file]] tables only")
            sources.append((inc, inc_data))
    for pattern in _string_list(loader, file, "services", data.get("services", [])):
        matched = sorted(glob.glob(str(settings.base_dir / pattern)))
        if not matched and not glob.has_magic(pattern):
            loader.problem(file, "services", f"{pattern}: no such file")
        settings.service_files.extend(matched)
    for pattern in _string_list(loader, file, "noise", data.get("noise", [])):
        matched = sorted(p for p in glob.glob(str(settings.base_dir / pattern))
                         if Path(p).is_file())
        if not matched and not glob.has_magic(pattern):
            loader.problem(file, "noise", f"{pattern}: no such file")
        settings.noise_files.extend(matched)
    for src, src_data in sources:
        _read_components(loader, settings, src, src_data)
        _read_files(loader, settings, src, src_data)
        for i, table in enumerate(_tables(loader, src, src_data, "rule")):
            settings.rule_tables.append((src, f"rule[{i}]", table))
    _finish(loader, settings)
    return settings


def _string_list(loader: _Loader, file: str, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        loader.problem(file, key, "must be a list of strings")
        return []
    return value


def _read_components(loader: _Loader, settings: Settings, file: str, data: dict[str, Any]) -> None:
    seen = {c.slug for c in settings.components}
    for i, table in enumerate(_tables(loader, file, data, "component")):
        where = f"component[{i}]"
        for key in table:
            if key not in COMPONENT_KEYS:
                loader.problem(file, f"{where}.{key}",
                               f"unknown key (known: {', '.join(sorted(COMPONENT_KEYS))})")
        slug = table.get("slug")
        if not isinstance(slug, str) or not SLUG.match(slug):
            loader.problem(file, f"{where}.slug", "required: lower-case letters, digits, - and _")
            continue
        if slug in seen:
            loader.problem(file, f"{where}.slug", f"duplicate component {slug!r}")
            continue
        seen.add(slug)
        name = table.get("name", slug)
        group = table.get("group")
        devices = table.get("devices", [])
        if not isinstance(name, str) or not name.strip():
            loader.problem(file, f"{where}.name", "must be a non-empty string")
            continue
        if group is not None and not isinstance(group, str):
            loader.problem(file, f"{where}.group", "must be a string")
            continue
        devices = _string_list(loader, file, f"{where}.devices", devices)
        settings.components.append(ComponentSettings(
            slug=slug, name=name, group=group, description=str(table.get("description", "")),
            devices=devices,
        ))


def _read_files(loader: _Loader, settings: Settings, file: str, data: dict[str, Any]) -> None:
    for i, table in enumerate(_tables(loader, file, data, "file")):
        where = f"file[{i}]"
        for key in table:
            if key not in FILE_KEYS:
                loader.problem(file, f"{where}.{key}", "unknown key (known: device, path, program)")
        path = table.get("path")
        if not isinstance(path, str) or not path:
            loader.problem(file, f"{where}.path", "required: the file to follow")
            continue
        settings.files.append(FileSettings(
            path=str(settings.base_dir / path), device=str(table.get("device", "")),
            program=table.get("program"),
        ))


def _check_admin(loader: _Loader, file: str, v: dict[str, Any]) -> None:
    """The [admin] rates, lockout and limits (docs/admin.md)."""
    from statusd.durations import parse_duration
    from statusd.web.admin.ratelimit import Rate

    for key in ("admin.login_rate", "admin.login_rate_ip"):
        try:
            Rate.parse(v[key])
        except ValueError as exc:
            loader.problem(file, key, str(exc))
    try:
        parse_duration(v["admin.login_lockout"])
    except ValueError as exc:
        loader.problem(file, "admin.login_lockout", str(exc))
    for key, least in (("admin.session_max_age", 60), ("admin.refresh", 1),
                       ("admin.password_min_length", 8)):
        if v[key] < least:
            loader.problem(file, key, f"must be at least {least}")


def _finish(loader: _Loader, settings: Settings) -> None:
    """Cross-key checks, rules and services; raise ConfigError if anything is wrong."""
    from statusd.rules.model import parse_rule

    file = str(settings.path) if settings.path else "<defaults>"
    v = settings.values
    for key in ("http.listen",):
        try:
            parse_hostport(v[key])
        except ValueError as exc:
            loader.problem(file, key, str(exc))
    for key in ("syslog.udp", "syslog.tcp", "syslog.tls", "syslog.relp"):
        for addr in v[key]:
            try:
                parse_hostport(addr)
            except ValueError as exc:
                loader.problem(file, key, str(exc))
    from statusd.ingest.tls import tls_problems

    for key, message in tls_problems(v, settings.base_dir):
        loader.problem(file, key, message)
    if v["page.language"] not in LANGUAGES:
        loader.problem(file, "page.language", f"one of {', '.join(LANGUAGES)}")
    for key in ("storage.retention_days", "syslog.max_message_size", "syslog.queue_size",
                "syslog.batch_size", "page.refresh", "syslog.max_connections", "syslog.queue_bytes",
                "syslog.max_connections_per_source"):
        if v[key] < 1:
            loader.problem(file, key, "must be at least 1")
    _check_admin(loader, file, v)
    if str(v["admin.services_dir"]).strip():  # dashboard-saved services load anyway
        settings.service_files.extend(admin_service_files(settings))
    else:
        loader.problem(file, "admin.services_dir", "must not be empty")
    if v["syslog.batch_interval"] <= 0 or v["syslog.idle_timeout"] <= 0:
        loader.problem(file, "syslog", "batch_interval and idle_timeout must be positive")
    for key in ("syslog.frame_timeout", "syslog.file_poll_interval",
                "syslog.file_partial_timeout"):
        if v[key] <= 0:
            loader.problem(file, key, "must be positive")
    if v["syslog.inbox_max_lines"] < 1:
        loader.problem(file, "syslog.inbox_max_lines", "must be at least 1")
    if v["syslog.shutdown_drain"] < 0:
        loader.problem(file, "syslog.shutdown_drain", "must not be negative")
    known = {c.slug for c in settings.components}
    seen_ids: dict[str, str] = {}
    for src, where, table in settings.rule_tables:
        try:
            rule = parse_rule(table, file=src, where=where, known_components=known)
        except ConfigError as exc:
            loader.problems.extend(exc.problems)
            continue
        if rule.id in seen_ids:
            loader.problem(src, f"{where}.id", f"duplicate rule id {rule.id!r} "
                           f"(first in {seen_ids[rule.id]})")
            continue
        seen_ids[rule.id] = src
        settings.rules.append(rule)
    from statusd.notify.config import check_notify

    check_notify(settings, file, loader.problem, loader.check_value)
    from statusd.irc.options import check_irc

    loader.problems.extend(check_irc(v, file))
    if loader.problems:
        raise ConfigError(loader.problems)
