"""rsyslog omrelp → statusd RELP: 100,000 numbered lines, statusd SIGKILLed mid-stream, none lost.

rsyslog (its own config, work folder and pid file) follows a file with imfile and forwards it with
omrelp through a disk-assisted action queue that retries forever. statusd answers a RELP frame only
once the batch holding it is committed, so whatever it had not answered when it was killed is sent
again after the restart: every number must be stored at least once; duplicates are allowed and
reported.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, wait_until
from tests.e2e.rsyslog import Rsyslog, missing

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _rsyslog_modules() -> None:
    """rsyslog and its RELP module are real peers that .ci/run installs: missing is a failure."""
    why = missing("imfile", "omrelp")
    if why:
        pytest.fail(f"{why} (.ci/run installs rsyslog and rsyslog-relp)")

TOTAL = 100_000
KILL_AFTER = 5_000  # lines stored before statusd is SIGKILLed
DEADLINE = 200.0  # seconds for the whole stream to be stored, restart included

RSYSLOG_CONF = """
module(load="imfile")
module(load="omrelp")
input(type="imfile" file="{input}" tag="seqtest:" severity="info" facility="local0"
      ruleset="to_statusd" freshStartTail="off")
ruleset(name="to_statusd") {{
  action(type="omrelp" name="relp_statusd" target="127.0.0.1" port="{port}"
         windowSize="4096" timeout="30"
         queue.type="LinkedList" queue.filename="relp_statusd" queue.size="300000"
         queue.dequeueBatchSize="1024" queue.saveOnShutdown="on"
         action.resumeRetryCount="-1" action.resumeInterval="1")
}}
"""

# The pipeline stores big batches quickly; a smaller queue keeps the window of unanswered frames
# (what is sent again after the kill) realistic.
STATUSD_SYSLOG = """relp = ["127.0.0.1:{port}"]
batch_size = 2000
queue_size = 20000
"""


def write_lines(path: Path, stop: threading.Event) -> None:
    """Append TOTAL numbered lines in chunks, as a live log file grows."""
    chunk = 2000
    with path.open("a") as fh:
        for start in range(0, TOTAL, chunk):
            if stop.is_set():
                return
            fh.write("".join(f"seq={n:06d} relp durability probe\n"
                             for n in range(start, min(start + chunk, TOTAL))))
            fh.flush()
            time.sleep(0.01)


def stored_rows(db: Path) -> int:
    """Rows from the probe in the archive (duplicates included)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute("SELECT COUNT(*) FROM log_line WHERE program = 'seqtest'").fetchone()[0]


def stored_numbers(db: Path) -> list[int]:
    """Every sequence number in the archive, one entry per stored row."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        rows = conn.execute("SELECT message FROM log_line WHERE program = 'seqtest'").fetchall()
    return [int(m[4:10]) for (m,) in rows if m.startswith("seq=")]


def ranges(numbers: list[int]) -> str:
    """1,2,3,7 -> '1-3, 7' (the first 20 runs)."""
    runs: list[str] = []
    start = prev = None
    for n in [*sorted(numbers), None]:
        if start is not None and (n is None or n != prev + 1):  # type: ignore[operator]
            runs.append(f"{start}-{prev}" if prev != start else str(start))
            start = None
        if n is not None and start is None:
            start = n
        prev = n
    return ", ".join(runs[:20]) + (" ..." if len(runs) > 20 else "")


def test_rsyslog_relp_loses_nothing_across_sigkill(start_server, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    began = time.monotonic()
    port = free_port()
    extra = STATUSD_SYSLOG.format(port=port)
    server = start_server(extra)
    db = tmp_path / "data" / "statusd.db"
    folder = tmp_path / "rsyslog"
    folder.mkdir()
    source = folder / "input.log"
    source.touch()
    rsyslog = Rsyslog(folder, RSYSLOG_CONF.format(input=source, port=port))
    stop = threading.Event()
    writer = threading.Thread(target=write_lines, args=(source, stop), daemon=True)
    try:
        rsyslog.start()
        writer.start()
        wait_until(lambda: stored_rows(db) >= KILL_AFTER, 60,
                   f"{KILL_AFTER} lines stored before the kill")
        in_flight = (server.metric("statusd_messages_received_total")
                     - server.metric("statusd_messages_stored_total"))  # read, not yet stored
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        at_kill = stored_rows(db)
        assert at_kill < TOTAL, "the stream finished before the kill: nothing was tested"
        start_server(extra)  # same RELP port and database
        numbers: list[int] = []
        deadline = began + DEADLINE
        while time.monotonic() < deadline:
            if stored_rows(db) >= TOTAL:
                numbers = stored_numbers(db)
                if len(set(numbers)) == TOTAL:
                    break
            time.sleep(0.5)
        else:
            numbers = stored_numbers(db)
    finally:
        stop.set()
        writer.join(10)
        rsyslog.stop()
    unique = set(numbers)
    lost = sorted(set(range(TOTAL)) - unique)
    duplicates = len(numbers) - len(unique)
    elapsed = time.monotonic() - began
    with capsys.disabled():
        print(f"\nrelp sigkill: {TOTAL} sent; killed with {at_kill} stored and {in_flight:.0f} "
              f"read but not stored; {len(numbers)} rows stored, {duplicates} duplicates, "
              f"{len(lost)} missing, {elapsed:.1f}s")
    assert not lost, (
        f"{len(lost)} of {TOTAL} sequence numbers never stored: {ranges(lost)}\n"
        f"rsyslogd said:\n{rsyslog.output()[-3000:]}")
    assert unique == set(range(TOTAL))
