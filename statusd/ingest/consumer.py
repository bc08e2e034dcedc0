"""Stage 2: the pipeline consumer — inbox rows in id order through the pipeline, exactly once.

The consumer reads the oldest ``syslog.batch_size`` rows of the inbox (statusd/ingest/inbox.py),
runs them through ``Pipeline.process_batch`` and deletes them in the transaction that archives
them; it also ticks the rule clock and advances planned maintenance once a second. At start it
simply begins with the oldest rows, which are what the last run left behind.

It runs in one of two hosts, chosen by ``syslog.pipeline_process``:

- ``ProcessStage`` (default): a child process (multiprocessing, spawn) that builds its own
  pipeline from the same settings and database. It reports metric increments and the rows it
  consumed to the serving process over a pipe after each batch, is started again if it dies,
  is killed with the serving process (Linux: PR_SET_PDEATHSIG) so two consumers never overlap,
  and ignores SIGINT/SIGTERM: the serving process tells it when to drain and stop.
- ``ThreadStage``: a thread of the serving process, sharing its pipeline (one GIL for both
  stages: stage 1 slows down while the pipeline is busy).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from statusd.config import Settings
from statusd.ingest.inbox import Inbox, InboxConflict, is_transient
from statusd.ingest.pipeline import Pipeline, RawLine
from statusd.metrics import LabelKey, Registry
from statusd.status import advance_maintenance

log = logging.getLogger(__name__)

Deltas = list[tuple[str, LabelKey, float]]
IDLE_POLL = 0.05  # seconds between two looks at an empty inbox (process host)
STOP_GRACE = 10.0  # seconds a child may take past its drain deadline before it is killed


class Host(Protocol):
    """Where a consumer runs: its stop deadline, its idle wait and where it reports to."""

    def deadline(self) -> float | None:
        """time.monotonic() by which to stop; None while running normally."""

    def begin(self) -> None:
        """About to look at the inbox (forget earlier wake-ups)."""

    def idle(self, timeout: float) -> None:
        """Wait up to timeout seconds for new rows or a command."""

    def consumed(self, n: int) -> None:
        """n lines left the inbox (0: only report what the pipeline counted)."""


class _Stopped(Exception):
    """The drain deadline passed while a batch was waiting for the database."""


class Consumer:
    """Inbox rows in id order through the pipeline; each row archived (or given up on) once."""

    def __init__(self, pipeline: Pipeline, inbox: Inbox, batch_size: int):
        self.pipeline = pipeline
        self.inbox = inbox
        self.batch_size = batch_size
        self.metrics: Registry = pipeline.metrics
        self.consumed = 0  # lines taken out of the inbox (archived or given up on), committed
        self._reported = 0

    def step(self, host: Host | None = None) -> int:
        """Archive the oldest batch of the inbox; returns the lines consumed (0: it was empty)."""
        rows = self.inbox.read(self.batch_size)
        if rows:
            self._archive(rows, host)
        return sum(len(part) for _, part in rows)

    def report(self, host: Host) -> None:
        """Tell the host the lines consumed since the last report (and the pipeline's counts)."""
        n, self._reported = self.consumed - self._reported, self.consumed
        host.consumed(n)

    def drain(self) -> int:
        """Archive everything in the inbox now (tests, tools); returns the lines consumed."""
        total = 0
        while n := self.step():
            total += n
        return total

    def tick(self) -> None:
        """Let the rule clock and planned maintenance follow wall time."""
        self.pipeline.tick()
        advance_maintenance(self.pipeline.db)

    def run(self, host: Host) -> None:
        """Consume until the host's deadline passes, or until the inbox is empty once stopping."""
        next_tick = time.monotonic() + 1.0
        tick_delay = 1.0
        delay = 0.5
        while True:
            deadline = host.deadline()
            if deadline is not None and time.monotonic() >= deadline:
                return
            host.begin()
            try:
                n = self.step(host)
            except (InboxConflict, _Stopped):
                raise
            except Exception:  # reading failed: the database is away
                log.exception("pipeline: reading the inbox failed; retrying in %.1fs", delay)
                host.idle(delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 0.5
            if time.monotonic() >= next_tick:
                try:
                    self.tick()
                    tick_delay = 1.0
                except Exception:
                    log.exception("pipeline: the rule clock tick failed; again in %.0fs",
                                  tick_delay)
                    tick_delay = min(tick_delay * 2, 30.0)
                next_tick = time.monotonic() + tick_delay
            self.report(host)
            if not n:
                if deadline is not None:
                    return
                host.idle(0.2)

    def _archive(self, rows: list[tuple[int, list[RawLine]]], host: Host | None) -> None:
        """Archive a batch; retry with backoff while the database is away, then row by row."""
        # A row that keeps failing while the database answers is archived line by line; a line
        # that still fails is given up on: logged, counted as dropped (reason store_error) and
        # cut out of its row. It was acknowledged when it entered the inbox.
        lines = [line for _, part in rows for line in part]
        inbox = self.inbox
        delay = 0.5
        for _attempt in range(3):
            try:
                self.pipeline.process_batch(lines, in_transaction=inbox.hand_over(rows[-1][0],
                                                                                  len(rows)))
                self.consumed += len(lines)
                return
            except InboxConflict:
                raise
            except Exception:
                log.exception("pipeline: archiving a batch of %d failed; retrying in %.1fs",
                              len(lines), delay)
                self._pause(host, delay)
                delay = min(delay * 2, 30.0)
        self._wait_for_database(host, len(lines))
        for row_id, part in rows:
            try:
                self.pipeline.process_batch(part, in_transaction=inbox.hand_over(row_id, 1))
                self.consumed += len(part)
                continue
            except InboxConflict:
                raise
            except Exception:
                log.warning("pipeline: archiving row %d (%d lines) failed; line by line",
                            row_id, len(part))
            self._wait_for_database(host, len(part))
            self._archive_lines(row_id, part, host)

    def _archive_lines(self, row_id: int, part: list[RawLine], host: Host | None) -> None:
        """Archive a row's lines one transaction each, cutting each out of the row as it goes."""
        for i, line in enumerate(part):
            had, rest = len(part) - i, part[i + 1:]
            while True:
                try:
                    self.pipeline.process_batch(
                        [line], in_transaction=self.inbox.hand_over_part(row_id, had, rest))
                    break
                except InboxConflict:
                    raise
                except Exception as exc:
                    if is_transient(exc):  # busy (a lock wait timed out): not this line's fault
                        self._pause(host, 1.0)
                        continue
                    if not self.pipeline.database_answers():
                        self._wait_for_database(host, had)  # gone: not this line's fault either
                        continue
                    log.exception("pipeline: dropping a line that cannot be archived")
                    if self._give_up(row_id, had, rest, host):
                        self.metrics.dropped.inc(transport=line.transport, reason="store_error")
                        break
            self.consumed += 1

    def _give_up(self, row_id: int, had: int, rest: list[RawLine], host: Host | None) -> bool:
        """Cut a line that cannot be archived out of its row; False if the database went away."""
        try:
            self.inbox.discard_part(row_id, had, rest)
            return True
        except InboxConflict:
            raise
        except Exception:
            self._wait_for_database(host, had)
            return False

    def _wait_for_database(self, host: Host | None, holding: int) -> None:
        """Back off until the database answers again."""
        delay = 0.5
        while not self.pipeline.database_answers():
            log.error("pipeline: database does not answer; holding %d lines", holding)
            self._pause(host, delay)
            delay = min(delay * 2, 30.0)

    @staticmethod
    def _pause(host: Host | None, seconds: float) -> None:
        """Back off; give the batch up (it stays in the inbox) once the drain deadline passed."""
        if host is None:
            time.sleep(seconds)
            return
        deadline = host.deadline()
        if deadline is not None:
            seconds = min(seconds, deadline - time.monotonic())
            if seconds <= 0:
                raise _Stopped
        host.idle(seconds)


# -- metrics across processes ------------------------------------------------------------------

def snapshot(registry: Registry) -> dict[str, dict[LabelKey, float]]:
    """The counters' samples now (gauges read live are left out)."""
    out = {}
    for fam in registry.families():
        if fam.kind == "counter" and fam.collect is None:
            with fam.lock:
                out[fam.name] = dict(fam.samples)
    return out


def deltas(new: dict[str, dict[LabelKey, float]],
           old: dict[str, dict[LabelKey, float]]) -> Deltas:
    """What the counters gained between two snapshots."""
    out: Deltas = []
    for name, samples in new.items():
        before = old.get(name, {})
        for key, value in samples.items():
            gain = value - before.get(key, 0)
            if gain:
                out.append((name, key, gain))
    return out


def apply_deltas(registry: Registry, changes: Deltas) -> None:
    """Add another process's counter gains to this registry."""
    families = {fam.name: fam for fam in registry.families()}
    for name, key, gain in changes:
        fam = families.get(name)
        if fam is not None:
            fam.inc(gain, **dict(key))


# -- hosts -------------------------------------------------------------------------------------

class ThreadStage:
    """Stage 2 in a thread of the serving process (syslog.pipeline_process = false)."""

    def __init__(self, pipeline: Pipeline, inbox: Inbox, batch_size: int,
                 on_consumed: Callable[[int], None]):
        self.consumer = Consumer(pipeline, inbox, batch_size)
        self.on_consumed = on_consumed
        self._wake = threading.Event()
        self._deadline: float | None = None
        self._thread: threading.Thread | None = None

    def deadline(self) -> float | None:
        """Host: the drain deadline once stopping."""
        return self._deadline

    def begin(self) -> None:
        """Host: forget earlier wake-ups."""
        self._wake.clear()

    def idle(self, timeout: float) -> None:
        """Host: sleep until woken by stage 1 or timeout."""
        self._wake.wait(timeout)

    def consumed(self, n: int) -> None:
        """Host: the pipeline counted into the runtime's registry itself; pass n on."""
        if n:
            self.on_consumed(n)

    def start(self) -> None:
        """Run the consumer in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="pipeline", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Stage 1 committed rows."""
        self._wake.set()

    def alive(self) -> bool:
        """True while the consumer runs."""
        return self._thread is not None and self._thread.is_alive()

    def state(self) -> str:
        """For /healthz: "ready" while the consumer thread runs, else "stopped"."""
        return "ready" if self.alive() else "stopped"

    async def supervise(self) -> None:
        """Nothing to restart: the thread restarts its loop itself."""

    async def stop(self, drain: float) -> None:
        """Archive what the inbox holds for at most drain seconds, then stop."""
        self._deadline = time.monotonic() + drain
        self._wake.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, drain + STOP_GRACE)

    def _run(self) -> None:
        while True:
            try:
                self.consumer.run(self)
                return
            except _Stopped:
                self.consumer.report(self)
                return
            except InboxConflict as exc:
                log.error("%s; reloading rule state and going on", exc)
                self.consumer.pipeline.load_state()
            except Exception:
                log.exception("pipeline: the consumer failed; starting it again in 1s")
            self.consumer.report(self)
            if self._deadline is not None and time.monotonic() >= self._deadline:
                return
            self._wake.wait(1.0)


class ProcessStage:
    """Stage 2 in a child process (spawn) built from the same settings and database."""

    def __init__(self, settings: Settings, metrics: Registry, on_consumed: Callable[[int], None]):
        self.settings = settings
        self.metrics = metrics
        self.on_consumed = on_consumed
        self._ctx = multiprocessing.get_context("spawn")
        self.proc: BaseProcess | None = None
        self._commands: Connection | None = None
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._replies: queue.Queue[str | None] = queue.Queue()
        self._started = 0.0
        self._stopping = False
        self.restarts = 0
        self.ready = threading.Event()  # the child has built its pipeline
        self._connected = threading.Event()  # the child's report pipe is open
        self._exit_hook = False

    def start(self) -> None:
        """Spawn the child (call from the main thread: the child dies with this thread)."""
        commands_child, commands = self._ctx.Pipe(duplex=False)
        reports, reports_child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(
            target=child_main, name="statusd-pipeline", daemon=True,
            args=(self.settings, logging.getLogger().getEffectiveLevel(), os.getpid(),
                  commands_child, reports_child))
        self.ready.clear()
        self._connected.set()
        proc.start()
        commands_child.close()
        reports_child.close()
        self.proc, self._commands, self._started = proc, commands, time.monotonic()
        if not self._exit_hook:  # an exit that skipped stop(): multiprocessing would wait for
            self._exit_hook = True  # a child that ignores SIGTERM; kill it first (LIFO atexit)
            atexit.register(self._kill)
        self._reader = threading.Thread(target=self._read, args=(reports,),
                                        name="pipeline-reports", daemon=True)
        self._reader.start()
        log.info("pipeline process %d started", proc.pid)

    def wake(self) -> None:
        """Stage 1 committed rows: the child looks at the inbox every IDLE_POLL seconds."""

    def alive(self) -> bool:
        """True while the child runs."""
        return self.proc is not None and self.proc.is_alive()

    def state(self) -> str:
        """For /healthz: "ready" (consuming), "starting" (building its pipeline) or "stopped"."""
        if not self._connected.is_set():  # set from start until its pipe closes: no waitpid
            return "stopped"
        return "ready" if self.ready.is_set() else "starting"

    async def supervise(self) -> None:
        """Start the child again whenever it dies (backing off if it keeps dying at once)."""
        backoff = 1.0
        while not self._stopping:
            await asyncio.sleep(0.5)
            proc = self.proc
            if self._stopping or proc is None or proc.is_alive():
                continue
            lived = time.monotonic() - self._started
            log.error("pipeline process %s exited (code %s) after %.0fs; starting another",
                      proc.pid, proc.exitcode, lived)
            if self._reader is not None:
                await asyncio.to_thread(self._reader.join, 5.0)
            backoff = 1.0 if lived > 60 else backoff
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            if not self._stopping:
                self.restarts += 1
                self.start()

    async def stop(self, drain: float) -> None:
        """Let the child archive the inbox for at most drain seconds, wait for it, then reap it."""
        self._stopping = True
        proc = self.proc
        if proc is None:
            return
        if proc.is_alive():
            with contextlib.suppress(OSError):
                self._send(("stop", time.monotonic() + drain))
            await asyncio.to_thread(proc.join, drain + STOP_GRACE)
            if proc.is_alive():
                log.warning("pipeline process %d did not stop in time: killing it (what it "
                            "had not archived stays in the inbox)", proc.pid)
                proc.kill()
                await asyncio.to_thread(proc.join, 5.0)
        if self._reader is not None:
            await asyncio.to_thread(self._reader.join, 5.0)
        if self._commands is not None:
            self._commands.close()

    def reload(self, service_files: list[str], timeout: float = 60.0) -> bool:
        """Make the child load these service files; True once it has (False: failed, logged)."""
        if not self.alive():
            return True  # a child started later loads settings.service_files itself
        with self._reload_lock:
            while not self._replies.empty():
                self._replies.get_nowait()
            self._send(("reload", list(service_files)))
            try:
                error = self._replies.get(timeout=timeout)
            except queue.Empty:
                log.warning("pipeline process did not confirm the service reload in %.0fs",
                            timeout)
                return False
        if error:
            log.error("pipeline process: reloading services failed: %s", error)
        return not error

    def _kill(self) -> None:
        """At interpreter exit: a child still running is killed (its inbox rows stay)."""
        proc = self.proc
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(5.0)

    def _send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            assert self._commands is not None
            self._commands.send(message)

    def _read(self, reports: Connection) -> None:
        """Reader thread: apply the child's reports until its end of the pipe closes."""
        try:
            while True:
                try:
                    message = reports.recv()
                except (EOFError, OSError):
                    self.ready.clear()
                    self._connected.clear()
                    return
                kind = message[0]
                if kind == "report":
                    apply_deltas(self.metrics, message[2])
                    if message[1]:
                        self.on_consumed(message[1])
                elif kind == "ready":
                    log.info("pipeline process %s ready", message[1])
                    self.ready.set()
                elif kind == "reloaded":
                    self._replies.put(message[1])
        finally:
            reports.close()


class _ChildHost:
    """The consumer's host inside the child: commands in, reports out."""

    def __init__(self, commands: Connection, reports: Connection, metrics: Registry,
                 parent: int, on_reload: Callable[[list[str]], None]):
        self.commands = commands
        self.reports = reports
        self.metrics = metrics
        self.parent = parent
        self.on_reload = on_reload
        self._deadline: float | None = None
        self._sent = snapshot(metrics)

    def deadline(self) -> float | None:
        """Host: the drain deadline the parent sent (now, if the parent is gone)."""
        self._poll(0)
        return self._deadline

    def begin(self) -> None:
        """Host: nothing to reset (the inbox is polled)."""

    def idle(self, timeout: float) -> None:
        """Host: wait for a command, at most IDLE_POLL seconds at a time."""
        self._poll(min(timeout, IDLE_POLL))

    def consumed(self, n: int) -> None:
        """Host: send the counters' gains and the rows consumed to the parent."""
        now = snapshot(self.metrics)
        gains = deltas(now, self._sent)
        if n or gains:
            self._sent = now
            with contextlib.suppress(OSError):
                self.reports.send(("report", n, gains))

    def _poll(self, timeout: float) -> None:
        if os.getppid() != self.parent:
            self._deadline = 0.0  # the serving process is gone: stop at once
            return
        try:
            ready = self.commands.poll(timeout)
            while ready:
                self._handle(self.commands.recv())
                ready = self.commands.poll(0)
        except (EOFError, OSError):
            self._deadline = 0.0

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "stop":
            self._deadline = float(message[1])
        elif kind == "reload":
            error: str | None = None
            try:
                self.on_reload(message[1])
            except Exception as exc:
                error = str(exc) or type(exc).__name__
            with contextlib.suppress(OSError):
                self.reports.send(("reloaded", error))


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this process when the serving process dies (no orphan consumer)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(0)


def child_main(settings: Settings, level: int, parent: int, commands: Connection,
               reports: Connection) -> None:
    """The pipeline process: build a pipeline from settings and consume the inbox until told."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the serving process decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from statusd.db import utcnow
    from statusd.runtime import build_pipeline, reload_services

    metrics = Registry()
    pipeline = build_pipeline(settings, metrics, arm_at=utcnow())
    batch_size = int(settings.get("syslog.batch_size"))
    consumer = Consumer(pipeline, Inbox(pipeline.db, batch_size), batch_size)

    def reload(files: list[str]) -> None:
        settings.service_files[:] = files
        reload_services(settings, pipeline)

    host = _ChildHost(commands, reports, metrics, parent, reload)
    reports.send(("ready", os.getpid()))
    code = 0
    try:
        consumer.run(host)
    except _Stopped:
        pass
    except InboxConflict as exc:
        log.error("%s; exiting: a fresh pipeline process takes over", exc)
        code = 3
    except Exception:
        log.exception("pipeline process failed")
        code = 1
    finally:
        consumer.report(host)
        reports.close()
        pipeline.db.dispose()
    sys.exit(code)
