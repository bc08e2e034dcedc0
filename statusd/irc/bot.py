"""The IRC bot: a thin asyncio client around the pure parts (commands, topic, auth, announce)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

from irc.client import Event, NickMask
from sqlalchemy.engine import Engine

from statusd.irc.auth import Operators, account_from_tags, irc_lower
from statusd.irc.caps import CapNegotiation
from statusd.irc.client import SafeConnection, SafeReactor
from statusd.irc.commands import CommandError, is_read_only, parse_command
from statusd.irc.execute import Caller
from statusd.irc.flood import Sender
from statusd.irc.identity import WHOX_TOKEN, Identity
from statusd.irc.options import IrcOptions
from statusd.irc.service import StatusDesk
from statusd.irc.text import pack, reply_lines, sanitize, text_budget
from statusd.irc.topic import parse_topic, render_topic, topic_budget

log = logging.getLogger(__name__)

REGISTER_TIMEOUT = 60.0
IDLE_PING = 90.0  # seconds of silence before we PING the server
IDLE_DROP = 180.0  # seconds of silence before we give the connection up
MAX_JOBS = 50  # commands and topic edits waiting; more are dropped (a flood of requests)
SASL_FAILURES = ("nicklocked", "saslfail", "sasltoolong", "saslaborted", "saslalready")


class IrcBot:
    """Answers commands, keeps topics, announces changes; reconnects until cancelled."""

    def __init__(self, options: IrcOptions, db: Engine) -> None:
        self.options = options
        self.desk = StatusDesk(db, base_url=options.base_url, backlog=options.announce_backlog)
        self.sender = Sender(options.max_line_rate, options.max_line_burst)
        self.identity = Identity(Operators(options.operators),
                                 lambda line: self.sender.send(line, droppable=False))
        self.channels = {irc_lower(c): c for c in options.channel_names()}
        self.joins = {irc_lower(c.split(" ")[0]): f"JOIN {c}" for c in options.channels}
        self.jobs: asyncio.Queue[Callable[[], Coroutine[Any, Any, None]]] = asyncio.Queue(MAX_JOBS)
        self.conn: SafeConnection | None = None
        self.nick = options.nick
        self.registered = False
        self.joined: set[str] = set()  # irc-lower channel names we are in
        self.topics: dict[str, str] = {}  # irc-lower channel -> topic as last seen
        self.connections = 0  # successful registrations, for tests and logs
        self._caps = CapNegotiation()
        self._gone = asyncio.Event()
        self._last_rx = time.monotonic()
        self._warned: set[str] = set()

    async def run(self) -> None:
        """Connect, serve, and reconnect with capped exponential backoff, until cancelled."""
        reactor = SafeReactor()
        for name in ("all_raw_messages", "welcome", "nicknameinuse", "cap",
                     "authenticate", "saslsuccess", *SASL_FAILURES, "join", "part", "kick",
                     "quit", "nick", "account", "whospcrpl", "whoisaccount", "endofwhois",
                     "currenttopic", "notopic", "endofnames", "topic", "pubmsg", "privmsg",
                     "chanoprivsneeded", "error", "disconnect"):
            reactor.add_global_handler(name, self._dispatch, 0)
        self.conn = reactor.server()
        helpers = [asyncio.create_task(self.sender.run(), name="irc-sender"),
                   asyncio.create_task(self._work(), name="irc-jobs"),
                   asyncio.create_task(self._announce(), name="irc-announce")]
        delay = self.options.reconnect_min
        try:
            while True:
                if await self._session():
                    delay = self.options.reconnect_min
                wait = delay * random.uniform(0.8, 1.2)
                log.info("irc: reconnecting to %s:%d in %.1fs", self.options.server,
                         self.options.port, wait)
                await asyncio.sleep(wait)
                delay = min(delay * 2, self.options.reconnect_max)
        finally:
            for task in helpers:
                task.cancel()
            if self.conn is not None and self.conn.is_connected():
                self.conn.disconnect("statusd stopping")

    async def _session(self) -> bool:
        """One connection, from connect to loss; True if it got registered."""
        o = self.options
        assert self.conn is not None
        self._gone.clear()
        self.registered = False
        self._caps = CapNegotiation(o.sasl_username, o.sasl_password)
        self.nick = o.nick
        try:
            await asyncio.wait_for(self.conn.open(
                o.server, o.port, o.nick, first_lines=self._caps.start(), password=o.password,
                username=o.username, realname=o.realname, tls=o.tls, tls_verify=o.tls_verify,
            ), timeout=30)
        except (OSError, TimeoutError) as exc:
            log.warning("irc: cannot connect to %s:%d: %s", o.server, o.port, exc)
            return False
        self._last_rx = time.monotonic()
        started = time.monotonic()
        while not self._gone.is_set():
            try:
                await asyncio.wait_for(self._gone.wait(), timeout=min(15.0, IDLE_PING / 2))
            except TimeoutError:
                self._watchdog(started)
        registered = self.connections > 0 and self.registered
        self._lost()
        return registered

    def _watchdog(self, started: float) -> None:
        """Give up a connection that never registers or went silent; ping a quiet one."""
        assert self.conn is not None
        idle = time.monotonic() - self._last_rx
        if not self.registered and time.monotonic() - started > REGISTER_TIMEOUT:
            self.conn.disconnect("registration timed out")
        elif idle > IDLE_DROP:
            self.conn.disconnect("ping timeout")
        elif idle > IDLE_PING:
            self.conn.send_raw("PING :statusd")
        if self.registered and not self._is_me(self.options.nick):
            self._raw(f"NICK {self.options.nick}")  # try to get our nick back

    def _lost(self) -> None:
        """Forget everything that belonged to the lost connection."""
        self.registered = False
        self.sender.detach()
        self.joined.clear()
        self.topics.clear()
        self.identity.reset()

    def _dispatch(self, conn: SafeConnection, event: Event) -> None:
        """Route one event to its handler; a handler error never reaches the connection."""
        try:
            handler = getattr(self, f"_on_{event.type}", None)
            if handler is not None:
                handler(event)
        except Exception:
            log.exception("irc: error handling %s", event.type)

    def _raw(self, line: str) -> None:
        if self.conn is not None and self.conn.is_connected():
            self.conn.send_raw(line)

    def _on_all_raw_messages(self, event: Event) -> None:
        self._last_rx = time.monotonic()

    def _on_disconnect(self, event: Event) -> None:
        log.warning("irc: disconnected from %s", self.options.server)
        self._gone.set()

    def _on_error(self, event: Event) -> None:
        log.warning("irc: server error: %s", sanitize(event.target or "", 200))

    def _on_cap(self, event: Event) -> None:
        for line in self._caps.on_cap([str(a) for a in event.arguments]):
            self._raw(line)

    def _on_authenticate(self, event: Event) -> None:
        for line in self._caps.on_authenticate(str(event.target or "")):
            self._raw(line)

    def _on_saslsuccess(self, event: Event) -> None:
        for line in self._caps.on_sasl(True):
            self._raw(line)

    def _sasl_failed(self, event: Event) -> None:
        log.error("irc: SASL login as %s failed", self.options.sasl_username)
        for line in self._caps.on_sasl(False, event.type):
            self._raw(line)

    _on_nicklocked = _on_saslfail = _on_sasltoolong = _on_saslaborted = _on_saslalready = (
        _sasl_failed)

    def _on_nicknameinuse(self, event: Event) -> None:
        if not self.registered:
            self.nick = (self.nick + "_")[-30:]
            self._raw(f"NICK {self.nick}")

    def _on_welcome(self, event: Event) -> None:
        assert self.conn is not None
        self.registered = True
        self.connections += 1
        self.nick = str(event.target or self.nick)
        self.sender.attach(self.conn.send_raw)
        self.identity.reset(account_tag="account-tag" in self._caps.enabled,
                            live="account-notify" in self._caps.enabled)
        log.info("irc: registered on %s as %s", self.options.server, self.nick)
        for line in self.joins.values():
            self._raw(line)

    def _is_me(self, nick: str) -> bool:
        return irc_lower(nick) == irc_lower(self.nick)

    def _on_join(self, event: Event) -> None:
        src = NickMask(event.source)
        chan = irc_lower(str(event.target))
        if len(event.arguments) >= 1 and "extended-join" in self._caps.enabled:
            self.identity.seen(src.nick, str(event.arguments[0]))
        if not self._is_me(src.nick):
            return
        self.joined.add(chan)
        features = self.conn.features if self.conn else None
        if self.identity.operators.uses_accounts and getattr(features, "whox", False):
            self.sender.send(f"WHO {event.target} %tna,{WHOX_TOKEN}", droppable=False)

    def _on_part(self, event: Event) -> None:
        src = NickMask(event.source)
        if self._is_me(src.nick):
            self.joined.discard(irc_lower(str(event.target)))
        self.identity.book.forget(src.nick)

    def _on_kick(self, event: Event) -> None:
        victim = str(event.arguments[0]) if event.arguments else ""
        chan = irc_lower(str(event.target))
        if self._is_me(victim):
            self.joined.discard(chan)
            if chan in self.joins:
                self.sender.send(self.joins[chan])  # paced: a kick loop cannot flood
        self.identity.book.forget(victim)

    def _on_quit(self, event: Event) -> None:
        nick = NickMask(event.source).nick
        self.identity.book.forget(nick)
        self._regain(nick)

    def _on_nick(self, event: Event) -> None:
        src = NickMask(event.source)
        if self._is_me(src.nick):
            self.nick = str(event.target)
        self.identity.book.rename(src.nick, str(event.target))
        self._regain(src.nick)

    def _regain(self, freed: str) -> None:
        """Someone gave up the nick we want: take it."""
        wanted = self.options.nick
        if self.registered and irc_lower(freed) == irc_lower(wanted) and not self._is_me(wanted):
            self._raw(f"NICK {wanted}")

    def _on_account(self, event: Event) -> None:
        self.identity.seen(NickMask(event.source).nick, str(event.target or "*"))

    def _on_whospcrpl(self, event: Event) -> None:
        self.identity.whox_reply([str(a) for a in event.arguments])

    def _on_whoisaccount(self, event: Event) -> None:
        if len(event.arguments) >= 2:
            self.identity.whois_account(str(event.arguments[0]), str(event.arguments[1]))

    def _on_endofwhois(self, event: Event) -> None:
        if event.arguments:
            self.identity.whois_end(str(event.arguments[0]))

    def _on_currenttopic(self, event: Event) -> None:
        if len(event.arguments) >= 2:
            self.topics[irc_lower(str(event.arguments[0]))] = str(event.arguments[1])

    def _on_notopic(self, event: Event) -> None:
        if event.arguments:
            self.topics[irc_lower(str(event.arguments[0]))] = ""

    def _on_endofnames(self, event: Event) -> None:
        """The end of our join burst (the topic, if any, came before it): sync the topic."""
        chan = irc_lower(str(event.arguments[0])) if event.arguments else ""
        if chan in self.joined:
            self.topics.setdefault(chan, "")
            self._queue(lambda: self._sync_topic(chan))

    def _on_topic(self, event: Event) -> None:
        src = NickMask(event.source)
        chan = irc_lower(str(event.target))
        text = str(event.arguments[0]) if event.arguments else ""
        self.topics[chan] = text
        if self._is_me(src.nick) or not self.options.topic_sync or chan not in self.channels:
            return
        account = account_from_tags(event.tags)
        self._queue(lambda: self._topic_edit(chan, src, text, account))

    def _on_chanoprivsneeded(self, event: Event) -> None:
        chan = str(event.arguments[0]) if event.arguments else "?"
        if chan not in self._warned:
            self._warned.add(chan)
            log.warning("irc: cannot set the topic of %s: not a channel operator there", chan)

    def _on_pubmsg(self, event: Event) -> None:
        self._message(event, str(event.target))

    def _on_privmsg(self, event: Event) -> None:  # the library makes channel messages pubmsg
        self._message(event, None)

    def _message(self, event: Event, channel: str | None) -> None:
        text = str(event.arguments[0]) if event.arguments else ""
        if not text.startswith("!"):
            return
        src = NickMask(event.source)
        account = account_from_tags(event.tags)
        self._queue(lambda: self._command(src, channel, text, account))

    def _queue(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            self.jobs.put_nowait(job)
        except asyncio.QueueFull:
            log.warning("irc: too many requests waiting; one dropped")

    async def _work(self) -> None:
        while True:
            job = await self.jobs.get()
            try:
                await job()
            except Exception:
                log.exception("irc: a request failed")

    async def _command(self, src: NickMask, channel: str | None, text: str,
                       account: str | None) -> None:
        try:
            cmd = parse_command(text, self.desk.clock())
        except CommandError as exc:
            self._reply(src.nick, channel, [str(exc)])
            return
        if cmd is None:
            return
        operator = is_read_only(cmd) or await self.identity.is_operator(str(src), src.nick,
                                                                          account)
        try:
            items = await asyncio.to_thread(self.desk.run_command, cmd, Caller(src.nick, operator))
        except Exception:
            log.exception("irc: %s failed", type(cmd).__name__)
            items = ["sorry, that failed on our side (it is logged); try again later"]
        self._reply(src.nick, channel, items)

    def _reply(self, nick: str, channel: str | None, items: list[str]) -> None:
        for line in reply_lines(nick, channel, items, self.options.max_reply_lines):
            self.sender.send(line)

    async def _topic_edit(self, chan: str, src: NickMask, text: str,
                          account: str | None) -> None:
        comps = await asyncio.to_thread(self.desk.components)
        if text == render_topic(comps, self._topic_budget(chan)):
            return
        if await self.identity.is_operator(str(src), src.nick, account):
            notes = await asyncio.to_thread(self.desk.apply_topic, parse_topic(text, comps),
                                            Caller(src.nick, True))
        else:
            notes = ["only statusd operators may change statuses; the topic is put back"]
        if notes:
            self._reply(src.nick, None, notes)
        await self._sync_topic(chan)

    def _topic_budget(self, chan: str) -> int:
        topiclen = getattr(self.conn.features, "topiclen", None) if self.conn else None
        return topic_budget(self.channels.get(chan, chan), topiclen)

    async def _sync_topic(self, chan: str) -> None:
        """Set the channel's topic to the statuses if it differs."""
        if not self.options.topic_sync or chan not in self.joined or chan not in self.channels:
            return
        comps = await asyncio.to_thread(self.desk.components)
        text = render_topic(comps, self._topic_budget(chan))
        if self.topics.get(chan) != text:
            self.sender.send(f"TOPIC {self.channels[chan]} :{text}", droppable=False)

    async def _announce(self) -> None:
        """Post outbox news to the channels every poll_interval; errors are logged, not fatal."""
        started = False
        while True:
            await asyncio.sleep(self.options.poll_interval)
            if not self.registered or not self.joined:
                continue
            try:
                if not started:  # the bot's cursor: created at the end on the very first start
                    await asyncio.to_thread(self.desk.start)
                    started = True
                await self._announce_once()
            except Exception:
                log.exception("irc: announcing from the outbox failed")

    async def _announce_once(self) -> None:
        """Send what is new; advance the cursor only once it reached the server."""
        news = await asyncio.to_thread(self.desk.news)
        if not news.last_id:
            return
        if self.options.announce:
            for chan in sorted(self.joined):
                target = self.channels.get(chan, chan)
                budget = text_budget("PRIVMSG", target)
                for line in news.lines:
                    for piece in pack([line], budget, 2):
                        self.sender.send(f"PRIVMSG {target} :{piece}", droppable=False)
            if not await self.sender.flush():
                return  # lost the connection: announce again after reconnecting
        await asyncio.to_thread(self.desk.advance, news.last_id)
        if news.topic_stale:
            for chan in sorted(self.joined):
                await self._sync_topic(chan)
