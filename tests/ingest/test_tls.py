"""TLS listeners (RFC 5425): config checks with file and key, and real TLS clients."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path

import pytest

from statusd.config import load_settings
from statusd.errors import ConfigError
from statusd.ingest.listeners import LineQueue, TCPSyslog
from statusd.ingest.tls import server_context, tls_files
from statusd.metrics import Registry
from tests.ingest.tlscerts import CertSet, Pair, make_certs


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertSet:
    return make_certs(tmp_path_factory.mktemp("certs"))


def problems(tmp_path: Path, syslog: str) -> dict[str, str]:
    """where -> message of every problem in a config with this [syslog] table."""
    config = tmp_path / "statusd.toml"
    config.write_text(f'[storage]\ndatabase = "sqlite:///x.db"\n[syslog]\n{syslog}\n')
    try:
        load_settings(config)
    except ConfigError as exc:
        assert all(p.file == str(config) for p in exc.problems)
        return {p.where: p.message for p in exc.problems}
    return {}


def tls_table(cert: Path | str, key: Path | str, extra: str = "") -> str:
    return f'tls = ["127.0.0.1:6514"]\ntls_cert = "{cert}"\ntls_key = "{key}"\n{extra}'


def test_good_settings_load_and_relative_paths_resolve(certs: CertSet, tmp_path: Path) -> None:
    assert problems(tmp_path, tls_table(certs.server.cert, certs.server.key)) == {}
    rel = tmp_path / "tls"
    rel.mkdir()
    for src in (certs.server.cert, certs.server.key, certs.ca):
        (rel / src.name).write_bytes(src.read_bytes())
    table = tls_table("tls/server.pem", "tls/server-key.pem",
                      'tls_ca = "tls/ca.pem"\ntls_verify_client = "required"')
    assert problems(tmp_path, table) == {}
    assert problems(tmp_path, 'relp = ["127.0.0.1:2514"]') == {}


@pytest.mark.parametrize(("table", "where", "message"), [
    ('tls = ["127.0.0.1:6514"]', "syslog.tls_cert", "required by the syslog.tls listeners"),
    ('tls = ["127.0.0.1:6514"]', "syslog.tls_key", "required by the syslog.tls listeners"),
    ('tls_verify_client = "sometimes"', "syslog.tls_verify_client",
     "'sometimes': one of none, optional, required"),
])
def test_missing_settings(tmp_path: Path, table: str, where: str, message: str) -> None:
    assert problems(tmp_path, table)[where] == message


def test_verify_needs_a_ca(certs: CertSet, tmp_path: Path) -> None:
    table = tls_table(certs.server.cert, certs.server.key, 'tls_verify_client = "optional"')
    assert problems(tmp_path, table) == {
        "syslog.tls_ca": "required when syslog.tls_verify_client is 'optional'"}


def test_unreadable_files_name_file_and_key(certs: CertSet, tmp_path: Path) -> None:
    found = problems(tmp_path, tls_table(tmp_path / "nope.pem", tmp_path,
                                         f'tls_ca = "{tmp_path / "ca"}"\n'
                                         'tls_verify_client = "required"'))
    assert found == {
        "syslog.tls_cert": f"{tmp_path / 'nope.pem'}: no such file",
        "syslog.tls_key": f"{tmp_path}: is a directory, not a file",
        "syslog.tls_ca": f"{tmp_path / 'ca'}: no such file",
    }


def test_files_that_are_not_what_they_should_be(certs: CertSet, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("hello\n")
    assert problems(tmp_path, tls_table(junk, certs.server.key)) == {
        "syslog.tls_cert": f"{junk}: not a PEM certificate"}
    found = problems(tmp_path, tls_table(certs.server.cert, certs.client.key))
    assert list(found) == ["syslog.tls_key"]
    assert found["syslog.tls_key"].startswith(
        f"{certs.client.key}: not an unencrypted PEM private key matching syslog.tls_cert")
    found = problems(tmp_path, tls_table(certs.server.cert, certs.server.key,
                                         f'tls_ca = "{junk}"\ntls_verify_client = "required"'))
    assert list(found) == ["syslog.tls_ca"]
    assert found["syslog.tls_ca"].startswith(f"{junk}: not a PEM certificate bundle")


# -- real TLS clients --------------------------------------------------------------------


def client_context(certs: CertSet, pair: Pair | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(certs.ca))
    if pair is not None:
        ctx.load_cert_chain(pair.cert, pair.key)
    return ctx


def send(port: int, ctx: ssl.SSLContext, payload: bytes) -> str:
    """Connect, send, close; 'sent' or the error the client saw."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(payload)
            tls.unwrap()  # TLS 1.3: a refused client certificate shows up here, after sending
    except (ssl.SSLError, ConnectionError, OSError) as exc:
        return f"refused: {exc.__class__.__name__}"
    return "sent"


def serve_and_send(certs: CertSet, verify: str, client: Pair | None, payload: bytes
                   ) -> tuple[str, list[tuple[bytes, str]]]:
    """Run a TLS listener in-process, send with a real client; (client result, lines queued)."""
    files = tls_files({"syslog.tls_cert": str(certs.server.cert),
                       "syslog.tls_key": str(certs.server.key), "syslog.tls_ca": str(certs.ca),
                       "syslog.tls_verify_client": verify}, Path("/"))
    ctx = server_context(files)

    async def scenario() -> tuple[str, list[tuple[bytes, str]]]:
        metrics = Registry()
        queue = LineQueue(100, metrics)
        server = await asyncio.get_running_loop().create_server(
            lambda: TCPSyslog(queue, metrics, 4096, 5.0, "tls"), "127.0.0.1", 0, ssl=ctx,
            ssl_handshake_timeout=5)
        port = server.sockets[0].getsockname()[1]
        result = await asyncio.to_thread(send, port, client_context(certs, client), payload)
        await asyncio.sleep(0.1)
        server.close()
        await server.wait_closed()
        lines = []
        while not queue.queue.empty():
            line = queue.queue.get_nowait()
            lines.append((bytes(line.data), line.transport))  # type: ignore[arg-type]
        return result, lines

    return asyncio.run(scenario())


FRAMES = b"14 <13>app: first20 <13>app: second line<13>app: third\n"
EXPECTED = [(b"<13>app: first", "tls"), (b"<13>app: second line", "tls"),
            (b"<13>app: third", "tls")]


def test_octet_counted_and_lf_frames_over_tls(certs: CertSet) -> None:
    assert serve_and_send(certs, "none", None, FRAMES) == ("sent", EXPECTED)


@pytest.mark.parametrize(("verify", "who", "accepted"), [
    ("required", "client", True),
    ("required", None, False),
    ("required", "stranger", False),
    ("optional", None, True),
    ("optional", "client", True),
    ("optional", "stranger", False),
    ("none", "stranger", True),  # not asked for, so not checked
])
def test_client_certificates(certs: CertSet, verify: str, who: str | None, accepted: bool
                             ) -> None:
    pair = {"client": certs.client, "stranger": certs.stranger, None: None}[who]
    result, lines = serve_and_send(certs, verify, pair, FRAMES)
    if accepted:
        assert (result, lines) == ("sent", EXPECTED)
    else:
        assert result.startswith("refused") and lines == []
