"""TLS for syslog listeners (RFC 5425): the server context, and the checks of its settings.

A TLS listener runs the plain TCP protocol over TLS: RFC 5425 frames are octet-counted
(``MSG-LEN SP SYSLOG-MSG``), which the TCP framer recognises per frame, so LF-delimited senders
work too. Client certificates are checked against ``syslog.tls_ca`` when
``syslog.tls_verify_client`` is ``optional`` (checked if presented) or ``required``.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["VERIFY_MODES", "TLSFiles", "TLSSetupError", "server_context", "tls_files",
           "tls_problems"]

VERIFY_MODES = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL,
                "required": ssl.CERT_REQUIRED}
HANDSHAKE_TIMEOUT = 30.0  # seconds a peer has to finish the handshake (at most idle_timeout)
_PEM_CERT = b"-----BEGIN CERTIFICATE-----"


class TLSSetupError(Exception):
    """A TLS file that cannot be used; key is the setting that names it."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class TLSFiles:
    """The files and mode of the TLS listeners, paths resolved."""

    cert: Path
    key: Path
    ca: Path | None
    verify: str  # none | optional | required


def tls_files(values: Mapping[str, Any], base_dir: Path) -> TLSFiles:
    """The TLS settings with relative paths resolved against base_dir (the config's folder)."""

    def resolve(key: str) -> Path | None:
        text = str(values.get(key) or "")
        return base_dir / Path(text).expanduser() if text else None

    return TLSFiles(cert=resolve("syslog.tls_cert") or Path(),
                    key=resolve("syslog.tls_key") or Path(),
                    ca=resolve("syslog.tls_ca"),
                    verify=str(values.get("syslog.tls_verify_client", "none")))


def tls_problems(values: Mapping[str, Any], base_dir: Path) -> list[tuple[str, str]]:
    """(setting, message) for each thing that would stop the TLS listeners from starting."""
    problems: list[tuple[str, str]] = []
    verify = values.get("syslog.tls_verify_client", "none")
    if verify not in VERIFY_MODES:
        problems.append(("syslog.tls_verify_client",
                         f"{verify!r}: one of {', '.join(VERIFY_MODES)}"))
    if not values.get("syslog.tls"):
        return problems
    for key in ("syslog.tls_cert", "syslog.tls_key"):
        if not values.get(key):
            problems.append((key, "required by the syslog.tls listeners"))
    if verify in ("optional", "required") and not values.get("syslog.tls_ca"):
        problems.append(("syslog.tls_ca",
                         f"required when syslog.tls_verify_client is {verify!r}"))
    if problems:
        return problems
    files = tls_files(values, base_dir)
    for key, path in (("syslog.tls_cert", files.cert), ("syslog.tls_key", files.key),
                      ("syslog.tls_ca", files.ca)):
        if path is not None:
            why = _unreadable(path)
            if why:
                problems.append((key, f"{path}: {why}"))
    if problems:
        return problems
    try:
        server_context(files)
    except TLSSetupError as exc:
        problems.append((exc.key, str(exc)))
    return problems


def server_context(files: TLSFiles) -> ssl.SSLContext:
    """A server-side SSLContext (TLS 1.2 or later); TLSSetupError names the bad file."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(files.cert, files.key, password=_no_password)
    except (ssl.SSLError, OSError) as exc:
        if not _has_pem_cert(files.cert):
            raise TLSSetupError("syslog.tls_cert", f"{files.cert}: not a PEM certificate") from None
        raise TLSSetupError(
            "syslog.tls_key", f"{files.key}: not an unencrypted PEM private key matching "
            f"syslog.tls_cert ({exc.__class__.__name__}: {_reason(exc)})") from None
    if files.ca is not None:
        try:
            ctx.load_verify_locations(cafile=files.ca)
        except (ssl.SSLError, OSError) as exc:
            raise TLSSetupError("syslog.tls_ca", f"{files.ca}: not a PEM certificate bundle "
                                f"({_reason(exc)})") from None
    ctx.verify_mode = VERIFY_MODES.get(files.verify, ssl.CERT_NONE)
    return ctx


def _no_password() -> bytes:
    """Stops OpenSSL from prompting on the terminal for an encrypted key (which then fails)."""
    return b""


def _reason(exc: BaseException) -> str:
    return getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)


def _has_pem_cert(path: Path) -> bool:
    try:
        return _PEM_CERT in path.read_bytes()
    except OSError:
        return False


def _unreadable(path: Path) -> str | None:
    """Why path cannot be read, or None."""
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except FileNotFoundError:
        return "no such file"
    except IsADirectoryError:
        return "is a directory, not a file"
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    return None
