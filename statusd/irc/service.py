"""The bot's blocking database side, run in threads: commands, topic edits, news from the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from statusd import outbox
from statusd.db import transaction, utcnow
from statusd.irc.announce import TOPIC_KINDS, announcement, is_announced, summary
from statusd.irc.commands import Command
from statusd.irc.execute import Caller, apply_topic, execute, load_components
from statusd.irc.topic import ComponentView, TopicEdit

CONSUMER = "irc"
READ_BATCH = 500
MAX_CATCH_UP = 20 * READ_BATCH  # a summary counts at most this many changes per look


@dataclass(frozen=True, slots=True)
class News:
    """What the outbox holds for the bot: lines to post, and whether the topic is stale."""

    lines: list[str]
    last_id: int  # advance the cursor to this once the lines are sent (0: nothing read)
    topic_stale: bool
    summarised: bool = False


class StatusDesk:
    """Runs the bot's requests against the database; every method is blocking."""

    def __init__(self, db: Engine, *, base_url: str = "", backlog: int = 10,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.base_url = base_url
        self.backlog = backlog
        self.clock = clock

    def start(self) -> None:
        """Create the bot's outbox cursor at the end on first start (no replay of old history)."""
        with transaction(self.db) as session:
            outbox.start_at_end(session, CONSUMER)

    def run_command(self, cmd: Command, caller: Caller) -> list[str]:
        """Execute a command in its own transaction; the reply items."""
        with transaction(self.db) as session:
            return execute(session, cmd, caller, self.clock(), self.base_url)

    def components(self) -> list[ComponentView]:
        """Visible components with their shown status, in page order."""
        with Session(self.db) as session:
            return load_components(session)

    def apply_topic(self, edit: TopicEdit, caller: Caller) -> list[str]:
        """Apply an operator's topic edit; notes for them."""
        with transaction(self.db) as session:
            return apply_topic(session, edit, caller, self.clock())

    def news(self) -> News:
        """The changes after the bot's cursor, worded; summed up when more than backlog."""
        changes: list[outbox.Change] = []
        with Session(self.db) as session:
            while len(changes) < MAX_CATCH_UP:
                batch = outbox.read(session, CONSUMER, limit=READ_BATCH, now=self.clock())
                changes.extend(batch)
                if len(batch) < READ_BATCH:
                    break
                outbox.advance(session, CONSUMER, batch[-1].id)  # read on; never committed
            session.rollback()
        if not changes:
            return News([], 0, False)
        stale = any(c.kind in TOPIC_KINDS for c in changes)
        shown = [c for c in changes if is_announced(c)]
        if len(shown) > self.backlog:
            return News([summary(shown)], changes[-1].id, True, summarised=True)
        lines = [line for c in shown if (line := announcement(c, self.base_url))]
        return News(lines, changes[-1].id, stale)

    def advance(self, last_id: int) -> None:
        """Record that everything up to last_id was announced."""
        with transaction(self.db) as session:
            outbox.advance(session, CONSUMER, last_id)

