"""The IRC bot (SPEC §8): commands, topic sync and announcements over jaraco's asyncio client."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from statusd.config import Settings


async def run_bot(settings: Settings, db: Engine) -> None:
    """Run the bot configured in [irc] until cancelled (statusd serve starts it)."""
    from statusd.irc.bot import IrcBot
    from statusd.irc.options import IrcOptions

    options = IrcOptions.from_values(settings.values, base_url=settings.base_url)
    await IrcBot(options, db).run()
