"""Build every part from the settings and run them in one process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from statusd import __version__
from statusd.config import Settings, parse_hostport
from statusd.db import make_engine, utcnow
from statusd.ingest.consumer import ProcessStage, ThreadStage
from statusd.ingest.inbox import Inbox, InboxWriter, is_transient
from statusd.ingest.limits import ConnectionLimiter, raise_fd_limit
from statusd.ingest.listeners import LineQueue, TCPSyslog, UDPSyslog
from statusd.ingest.pipeline import Pipeline, RawLine
from statusd.ingest.relp_listener import RELPListener
from statusd.ingest.tls import HANDSHAKE_TIMEOUT, TLSSetupError, server_context, tls_files
from statusd.metrics import Registry
from statusd.models import Component
from statusd.rules.actions import ActionRunner
from statusd.rules.engine import RuleEngine
from statusd.rules.services import ServiceLibrary
from statusd.status import release_orphans, sync_components

log = logging.getLogger(__name__)


STAGE1_BATCHES = 10  # most syslog.batch_size batches stage 1 writes in one transaction


class StartupError(Exception):
    """Something the runtime could not set up (a port taken, a database that does not answer)."""


def build_pipeline(
    settings: Settings, metrics: Registry, db: Engine | None = None, *,
    arm_at: datetime | None = None,
) -> Pipeline:
    """Database, service library, rule engine and actions wired into a pipeline with its state.

    arm_at starts the clocks of absence rules (serve: now); None starts them at the first
    line's time, which is what a replay of old files needs.
    """
    db = db or make_engine(settings.database_url, base_dir=settings.base_dir)
    library = ServiceLibrary.load(settings.service_files)
    sync_components(db, settings.components)
    release_orphans(db, {r.id for r in settings.rules if r.enabled})
    engine = RuleEngine(settings.rules, now=arm_at)
    noise = None
    if settings.noise_files:
        from statusd.rules.noise import load_noise

        noise = load_noise(settings.noise_files)
        for problem in noise.problems:
            log.warning("noise rules: %s", problem)
    pipeline = Pipeline(db, library, engine, ActionRunner(settings.rules, settings.components),
                        metrics, settings.default_device, noise=noise)
    pipeline.load_state()
    return pipeline


def reload_services(settings: Settings, pipeline: Pipeline) -> ServiceLibrary:
    """Load settings.service_files again and swap the library into the pipeline; ConfigError."""
    library = ServiceLibrary.load(settings.service_files)
    pipeline.replace_library(library)
    log.info("services reloaded: %d messages", library.message_count)
    return library


def _bind_tcp(addr: str) -> socket.socket:
    host, port = parse_hostport(addr)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StartupError(f"cannot listen on TCP {addr}: {exc.strerror}") from None
    sock.listen(512)
    sock.setblocking(False)
    return sock


def _bind_udp(addr: str) -> socket.socket:
    host, port = parse_hostport(addr)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StartupError(f"cannot listen on UDP {addr}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


class _HTTPServer:
    """uvicorn's server without its own signal handling: the runtime stops it, then drains."""

    def __init__(self, config: uvicorn.Config):
        class _Quiet(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        self.server = _Quiet(config)

    def request_exit(self) -> None:
        """Stop accepting requests; run() goes on to drain the queue."""
        log.info("signal received: shutting down")
        self.server.should_exit = True

    async def serve(self, sockets: list[socket.socket]) -> None:
        await self.server.serve(sockets=sockets)


@dataclass
class Runtime:
    """One statusd process: HTTP, syslog listeners and the pipeline worker."""

    settings: Settings
    demo: bool = False  # replay sample traffic (statusd serve --demo)
    metrics: Registry = field(default_factory=Registry)
    started_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.pipeline = build_pipeline(self.settings, self.metrics, arm_at=utcnow())
        self.db = self.pipeline.db
        self._closers: list[Any] = []
        self._stopping = False
        # Two stages (docs/ingest.md): the worker writes batches into the inbox and acknowledges
        # them (stage 1); stage 2 runs the inbox through the pipeline into the archive.
        self.inbox: InboxWriter | None = None  # made in run() unless set (tests, benchmarks)
        self.stage2: ThreadStage | ProcessStage | None = None
        self.run_stage2 = True  # False: lines stop in the inbox (benchmarks of stage 1)
        self._inbox_start = 0  # lines the inbox held at start
        self._accepted = 0  # lines stage 1 wrote since start
        self._consumed = 0  # lines stage 2 took out since start

    def health(self) -> dict[str, Any]:
        """Extra facts for /healthz."""
        return {"version": __version__, "uptime_seconds": round(time.time() - self.started_at),
                "queue_depth": self.queue.qsize() if hasattr(self, "queue") else 0,
                "inbox_depth": self.inbox_depth(),
                "pipeline": self.stage2.state() if self.stage2 is not None else "off"}

    def inbox_depth(self) -> int:
        """Lines accepted into the inbox and not yet archived (statusd_inbox_depth)."""
        return self._inbox_start + self._accepted - self._consumed

    def _lines_consumed(self, n: int) -> None:
        """Stage 2 took n lines out of the inbox (called from its thread or report reader)."""
        self._consumed += n

    def reload_services(self) -> ServiceLibrary:
        """The dashboard's reload: the pipeline here, and the pipeline process if there is one."""
        library = reload_services(self.settings, self.pipeline)
        if isinstance(self.stage2, ProcessStage):
            self.stage2.reload(list(self.settings.service_files))
        if gc.get_freeze_count():  # the old library was frozen with the start-up heap
            gc.unfreeze()
            _settle_heap()
        return library

    async def _start_stage2(self) -> asyncio.Task[None] | None:
        """The inbox, what the last run left in it, and stage 2 (thread or child process)."""
        if self.inbox is None:
            self.inbox = Inbox(self.db, self.settings.get("syslog.batch_size"))
        self.metrics.inbox_depth.collect = self.inbox_depth
        if not self.run_stage2:
            return None
        self._inbox_start = await asyncio.to_thread(self.inbox.count)
        if self._inbox_start:
            log.warning("inbox: %d lines accepted by the last run are archived first",
                        self._inbox_start)
        if self.settings.get("syslog.pipeline_process"):
            self.stage2 = ProcessStage(self.settings, self.metrics, self._lines_consumed)
        else:
            assert isinstance(self.inbox, Inbox), "a thread stage 2 needs the real inbox"
            self.stage2 = ThreadStage(self.pipeline, self.inbox,
                                      self.settings.get("syslog.batch_size"), self._lines_consumed)
        self.stage2.start()
        return asyncio.create_task(self.stage2.supervise(), name="pipeline-supervisor")

    async def _stop_stage2(self, supervisor: asyncio.Task[None] | None) -> None:
        """Let stage 2 archive the inbox for at most syslog.shutdown_drain seconds."""
        if self.stage2 is None:
            return
        drain = float(self.settings.get("syslog.shutdown_drain"))
        if self.inbox_depth():
            log.info("stopping: archiving the %d lines in the inbox (at most %gs)",
                     self.inbox_depth(), drain)
        await self.stage2.stop(drain)
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)

    def background_tasks(self) -> list[Coroutine[Any, Any, None]]:
        """Long-running parts started beside the listeners (notifier, IRC bot, file inputs, ...).

        Each is a coroutine that runs until cancelled at shutdown; add one line per part.
        """
        tasks: list[Coroutine[Any, Any, None]] = []
        from statusd.notify.service import notify_tasks  # notifier: dispatcher + sender

        tasks.extend(notify_tasks(self.settings, self.db, self.metrics))
        if self.settings.get("irc.server"):  # the IRC bot (docs/irc.md)
            from statusd.irc import run_bot

            tasks.append(run_bot(self.settings, self.db))
        if self.settings.files:  # [[file]] followers, like tail -F (docs/ingest.md)
            from statusd.ingest.files import file_tasks

            tasks.extend(file_tasks(self.settings, self.db, self.queue, self.metrics))
        if self.demo:
            from statusd.demo import replay

            tasks.append(replay(self.queue.offer))
        return tasks

    async def run(self) -> None:
        """Serve until SIGINT/SIGTERM, then drain the queue and stop."""
        from statusd.web.app import create_app

        s = self.settings
        loop = asyncio.get_running_loop()
        self.queue = LineQueue(s.get("syslog.queue_size"), self.metrics,
                               s.get("syslog.queue_bytes"))
        self.metrics.queue_depth.collect = self.queue.qsize
        self.limiter = ConnectionLimiter(s.get("syslog.max_connections_per_source"),
                                         s.get("syslog.max_connections"))  # docs/ingest.md
        raise_fd_limit(s.get("syslog.max_connections") + 256)
        http_sock = _bind_tcp(s.get("http.listen"))
        max_size = s.get("syslog.max_message_size")
        for addr in s.get("syslog.udp"):
            sock = _bind_udp(addr)
            transport, _ = await loop.create_datagram_endpoint(
                lambda: UDPSyslog(self.queue, self.metrics, max_size), sock=sock)
            self._closers.append(transport)
        for addr in s.get("syslog.tcp"):
            sock = _bind_tcp(addr)
            server = await loop.create_server(
                lambda: TCPSyslog(self.queue, self.metrics, max_size, s.get("syslog.idle_timeout"),
                                  limiter=self.limiter,
                                  frame_timeout=s.get("syslog.frame_timeout")),
                sock=sock)
            self._closers.append(server)
        await self._start_tls_and_relp(max_size)
        app = create_app(s, self.db, self.metrics, health=self.health,
                         reload_services=self.reload_services)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        server_http = _HTTPServer(config)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server_http.request_exit)
        supervisor = await self._start_stage2()  # once every port is bound: nothing can fail
        worker = asyncio.create_task(self._worker(), name="pipeline")
        background = [asyncio.create_task(c) for c in self.background_tasks()]
        log.info("statusd %s ready: http://%s syslog udp=%s tcp=%s tls=%s relp=%s", __version__,
                 s.get("http.listen"), ",".join(s.get("syslog.udp")) or "-",
                 ",".join(s.get("syslog.tcp")) or "-", ",".join(s.get("syslog.tls")) or "-",
                 ",".join(s.get("syslog.relp")) or "-")
        _settle_heap()
        try:
            await server_http.serve(sockets=[http_sock])
        finally:
            log.info("stopping: closing listeners and draining %d queued lines", self.queue.qsize())
            for closer in self._closers:
                closer.close()
            self.queue.stop_reading()  # open connections read no more; what they read is stored
            self._stopping = True
            await worker  # the queue is in the inbox now, and acknowledged
            for closer in self._closers:  # RELP sessions: their last answers are read before exit
                if isinstance(closer, RELPListener):
                    await closer.wait_closed()
            await self._stop_stage2(supervisor)
            log.info("stopped: %d lines received, %d stored; %d accepted into the inbox, %d left "
                     "in it for the next start", self.metrics.received.total(),
                     self.metrics.stored.total(), self.metrics.accepted.total(),
                     self.inbox_depth())
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)

    async def _worker(self) -> None:
        """Stage 1: take batches off the queue, write them to the inbox in a thread, then ack."""
        q = self.queue.queue
        loop = asyncio.get_running_loop()
        batch_size = self.settings.get("syslog.batch_size")
        interval = float(self.settings.get("syslog.batch_interval"))
        inbox_max = self.settings.get("syslog.inbox_max_lines")
        resume_at = inbox_max - inbox_max // 10  # hysteresis: no flapping at the bound
        full = False
        warned = -3600.0
        last_expiry = 0.0
        retention = timedelta(days=self.settings.get("storage.retention_days"))
        while True:
            depth = self.inbox_depth()
            if full and (depth < resume_at or self._stopping):
                full = False
            elif not full and depth >= inbox_max and not self._stopping:
                full = True  # lines wait in the queue: stream readers pause, UDP drops (counted)
                if loop.time() - warned >= 60:
                    warned = loop.time()
                    log.warning("inbox full (%d lines): not taking lines off the queue until "
                                "the pipeline has archived some", depth)
            if full:
                await asyncio.sleep(0.05)
                continue
            if q.empty():
                await self.queue.wait_put(0.5)
            if not q.empty():  # a partial batch waits up to batch_interval for more lines
                deadline = loop.time() + interval
                while q.qsize() < batch_size and not q.full() and not self._stopping:
                    remaining = deadline - loop.time()
                    if remaining <= 0 or not await self.queue.wait_put(remaining):
                        break
            # Stage 1 is cheap per line: it takes what the queue holds (up to STAGE1_BATCHES
            # batches), so that one wait for the database's write lock is paid once.
            batch = self.queue.take(batch_size * STAGE1_BATCHES)
            self.queue.notify_space()
            if batch:
                await self._store(batch)
            if loop.time() - last_expiry >= 3600:
                last_expiry = loop.time()
                await self._call(self.pipeline.expire, utcnow() - retention)
                await self._call(self.pipeline.expire_rates, utcnow())
            if self._stopping and q.empty() and not self.queue.waiting():
                return

    async def _store(self, batch: list[list[RawLine]]) -> None:
        """Write chunks of lines to the inbox; retry with backoff while the database is away.

        A batch that keeps failing while the database answers is split: its lines are written
        one by one, and a line that still fails is counted as dropped (reason store_error).
        Lines are acknowledged once committed to the inbox (or given up on and counted).
        """
        inbox = self.inbox
        assert inbox is not None, "run() makes the inbox"
        delay = 0.5
        for _attempt in range(3):
            try:
                await asyncio.to_thread(inbox.write, batch)
                self._accept(batch)
                return
            except Exception:
                log.exception("inbox: writing %d lines failed; retrying in %.1fs",
                              sum(map(len, batch)), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        while not await asyncio.to_thread(inbox.database_answers):
            log.error("inbox: database does not answer; holding %d lines", sum(map(len, batch)))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
        for line in [x for chunk in batch for x in chunk]:
            while True:
                try:
                    await asyncio.to_thread(inbox.write, [[line]])
                    self._accept([[line]])
                    break
                except Exception as exc:
                    if is_transient(exc) or not await asyncio.to_thread(inbox.database_answers):
                        await asyncio.sleep(delay)  # busy or gone: not this line's fault, retry
                        continue
                    log.exception("inbox: dropping a line that cannot be stored")
                    self.metrics.dropped.inc(transport=line.transport, reason="store_error")
                    _acknowledge([line])  # given up on and counted (docs/ingest.md)
                    break

    def _accept(self, chunks: list[list[RawLine]]) -> None:
        """Lines are in the inbox: count them, wake stage 2, acknowledge them."""
        n = sum(map(len, chunks))
        self.metrics.accepted.inc(n)
        self._accepted += n
        if self.stage2 is not None:
            self.stage2.wake()
        for chunk in chunks:
            _acknowledge(chunk)

    async def _start_tls_and_relp(self, max_size: int) -> None:
        """TLS listeners (the TCP protocol over TLS) and RELP listeners (docs/ingest.md)."""
        s, loop = self.settings, asyncio.get_running_loop()
        idle = s.get("syslog.idle_timeout")
        if s.get("syslog.tls"):
            try:
                ctx = server_context(tls_files(s.values, s.base_dir))
            except TLSSetupError as exc:
                raise StartupError(f"{exc.key}: {exc}") from None
            for addr in s.get("syslog.tls"):
                server = await loop.create_server(
                    lambda: TCPSyslog(self.queue, self.metrics, max_size, idle, "tls",
                                      limiter=self.limiter,
                                      frame_timeout=s.get("syslog.frame_timeout")),
                    sock=_bind_tcp(addr), ssl=ctx,
                    ssl_handshake_timeout=min(HANDSHAKE_TIMEOUT, float(idle)))
                self._closers.append(server)
        for addr in s.get("syslog.relp"):
            relp = RELPListener(self.queue, self.metrics, max_size, idle)
            await relp.start(_bind_tcp(addr))
            self._closers.append(relp)

    async def _call(self, fn: Any, *args: Any) -> None:
        delay = 0.5
        while True:
            try:
                await asyncio.to_thread(fn, *args)
                return
            except Exception:
                log.exception("pipeline: %s failed; retrying in %.1fs", fn.__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)


def _settle_heap() -> None:
    """Keep the start-up heap out of later garbage collections; collect young objects less often."""
    # The service library, SQLAlchemy and the app are long-lived: gc.freeze() keeps every later
    # full collection from walking them, and a young generation of 20,000 objects (default 700)
    # suits a process that makes a few objects per received line. Measured on the network
    # benchmark: 2.9 -> 2.2 µs of serving-process CPU per accepted line.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


def _acknowledge(lines: list[RawLine]) -> None:
    """Run each line's ack callback (RELP answers its sender); a failing one is only logged."""
    for line in lines:
        if line.ack is not None:
            try:
                line.ack()
            except Exception:
                log.exception("pipeline: acknowledging a stored line failed")


def component_statuses(db: Engine) -> dict[str, str]:
    """slug -> shown status of every visible component."""
    with Session(db) as session:
        return {c.slug: c.status for c in session.exec(select(Component)).all() if c.visible}
