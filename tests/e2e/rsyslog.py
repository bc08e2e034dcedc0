"""Run a private rsyslogd (its own config, work folder and pid file) as a test peer."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

RSYSLOGD = shutil.which("rsyslogd") or (
    "/usr/sbin/rsyslogd" if os.path.exists("/usr/sbin/rsyslogd") else None)


def has_module(name: str) -> bool:
    """True when rsyslog's module (omrelp, lmnsd_gtls, ...) is installed."""
    return any(glob.glob(f"{folder}/{name}.so")
               for folder in ("/usr/lib/*/rsyslog", "/usr/lib/rsyslog", "/usr/lib64/rsyslog"))


def missing(*modules: str) -> str | None:
    """Why an rsyslog test cannot run here (None: it can)."""
    if RSYSLOGD is None:
        return "rsyslogd missing (Debian package rsyslog; .ci/run installs it)"
    absent = [m for m in modules if not has_module(m)]
    if absent:
        return f"rsyslog modules missing: {', '.join(absent)} (.ci/run installs them)"
    return None


class Rsyslog:
    """rsyslogd -n with a config written to folder; stop() ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, folder: Path, config: str):
        self.folder = folder
        self.work = folder / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.conf = folder / "rsyslog.conf"
        self.conf.write_text(f'global(workDirectory="{self.work}")\n' + config)
        self.pidfile = folder / "rsyslogd.pid"
        self.log = folder / "rsyslogd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def check(self) -> None:
        """rsyslogd -N1: validate the config; AssertionError with its output when it is bad."""
        assert RSYSLOGD
        res = subprocess.run([RSYSLOGD, "-N1", "-f", str(self.conf)], capture_output=True,
                             text=True, timeout=30)
        assert res.returncode == 0, f"rsyslog config rejected:\n{res.stdout}{res.stderr}"

    def start(self) -> None:
        """Start in the foreground (-n) with our own pid file; output goes to rsyslogd.log."""
        assert RSYSLOGD
        self.check()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [RSYSLOGD, "-n", "-f", str(self.conf), "-i", str(self.pidfile)],
                stdout=out, stderr=subprocess.STDOUT, cwd=self.folder)
        time.sleep(0.2)
        if self.proc.poll() is not None:
            raise AssertionError("rsyslogd exited at start:\n" + self.output())

    def output(self) -> str:
        """What rsyslogd printed (its own errors and warnings)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (rsyslog saves its queues), then SIGKILL if it does not exit in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
