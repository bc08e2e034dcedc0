"""rsyslog omfwd over TLS (RFC 5425, octet-counted) → statusd, client certificate required."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, wait_until
from tests.e2e.rsyslog import Rsyslog, missing
from tests.ingest.tlscerts import make_certs

pytestmark = pytest.mark.e2e

COUNT = 500

RSYSLOG_CONF = """
global(defaultNetstreamDriverCAFile="{ca}" defaultNetstreamDriverCertFile="{cert}"
       defaultNetstreamDriverKeyFile="{key}")
module(load="imfile")
input(type="imfile" file="{input}" tag="tlsprobe:" ruleset="to_statusd" freshStartTail="off")
ruleset(name="to_statusd") {{
  action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp" TCP_Framing="octet-counted"
         StreamDriver="{driver}" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
         StreamDriverPermittedPeers="localhost"
         action.resumeRetryCount="-1" action.resumeInterval="1")
}}
"""


def stored(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute("SELECT message, transport FROM log_line WHERE program = 'tlsprobe'"
                            ).fetchall()


@pytest.mark.parametrize(("driver", "module"), [("gtls", "lmnsd_gtls"), ("ossl", "lmnsd_ossl")])
def test_rsyslog_sends_over_tls_with_a_client_certificate(start_server, tmp_path: Path,
                                                          driver: str, module: str) -> None:
    why = missing("imfile", module)
    if why:
        pytest.fail(f"{why} (.ci/run installs rsyslog-gnutls and rsyslog-openssl)")
    certs = make_certs(tmp_path / "certs")
    port = free_port()
    start_server(f'tls = ["127.0.0.1:{port}"]\ntls_cert = "{certs.server.cert}"\n'
                 f'tls_key = "{certs.server.key}"\ntls_ca = "{certs.ca}"\n'
                 'tls_verify_client = "required"\n')
    folder = tmp_path / "rsyslog"
    folder.mkdir()
    source = folder / "input.log"
    source.write_text("".join(f"tls line {n:04d}\n" for n in range(COUNT)))
    rsyslog = Rsyslog(folder, RSYSLOG_CONF.format(
        ca=certs.ca, cert=certs.client.cert, key=certs.client.key, input=source, port=port,
        driver=driver))
    db = tmp_path / "data" / "statusd.db"
    try:
        rsyslog.start()
        try:
            wait_until(lambda: len(stored(db)) >= COUNT, 60, f"{COUNT} lines over TLS")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nrsyslogd said:\n{rsyslog.output()[-3000:]}") from None
    finally:
        rsyslog.stop()
    rows = stored(db)
    assert sorted(m for m, _ in rows) == [f"tls line {n:04d}" for n in range(COUNT)]
    assert {t for _, t in rows} == {"tls"}
