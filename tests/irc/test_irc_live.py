"""The bot against a real ngircd: commands, operators, topic sync, announcements, floods, restarts.

Tests run in file order and share one server and one bot; the last ones restart them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from irc_harness import (
    CHANNEL,
    BotRunner,
    Human,
    Ngircd,
    Services,
    bot_options,
    wait_until,
)
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from statusd import status
from statusd.db import transaction
from statusd.models import Alert, AuditEvent, Component, Incident, Maintenance

pytestmark = pytest.mark.db
OPERATIONAL = "Website: operational | API: operational | Mail: operational"


@dataclass
class World:
    """Everyone on the test network."""

    ngircd: Ngircd
    db: Engine
    runner: BotRunner
    admin: Human
    alice: Human  # statusd operator by hostmask (*!~alice@*)
    bob: Human  # channel operator, but not a statusd operator
    carol: Human  # statusd operator by services account (account:carol)
    services: Services

    def op(self, nick: str) -> None:
        """The IRC operator gives nick channel-operator status (OperCanUseMode)."""
        self.admin.send(f"MODE {CHANNEL} +o {nick}")
        self.admin.expect(lambda line: f"MODE {CHANNEL} +o {nick}" in line)


@pytest.fixture(scope="module")
def world(ngircd: Ngircd, irc_db: Engine) -> Iterator[World]:
    runner = BotRunner(bot_options(ngircd.port), irc_db)
    runner.start()  # first in the channel: the server makes it channel operator
    admin = Human(ngircd.port, "admin")
    admin.send("OPER admin adminpw")
    admin.expect(lambda line: " 381 " in line)
    admin.send(f"JOIN {CHANNEL}")
    admin.send(f"MODE {CHANNEL} +t")  # only channel operators may set the topic
    admin.expect(lambda line: f"MODE {CHANNEL} +t" in line)
    alice, bob, carol = (Human(ngircd.port, nick) for nick in ("alice", "bob", "carol"))
    w = World(ngircd, irc_db, runner, admin, alice, bob, carol, Services(ngircd.port))
    humans = (alice, bob, carol)
    for human in humans:
        human.send(f"JOIN {CHANNEL}")
        human.expect(ends_names(human.nick))
    w.op("alice")
    w.op("bob")
    yield w
    for human in (admin, *humans):
        human.close()
    w.services.close()
    w.runner.stop()


def ends_names(nick: str) -> Callable[[str], bool]:
    """Matches the end of the NAMES burst nick gets on joining."""
    return lambda line: f" 366 {nick} {CHANNEL} " in line


def shown(db: Engine, slug: str) -> str:
    with Session(db) as s:
        return s.exec(select(Component.status).where(Component.slug == slug)).one()


def audited(db: Engine, actor: str, action: str) -> bool:
    with Session(db) as s:
        return s.exec(select(AuditEvent).where(AuditEvent.actor == actor,
                                                AuditEvent.action == action)).first() is not None


def is_topic_from_bot(text: str) -> Callable[[str], bool]:
    return lambda line: line.startswith(":statusd!") and line.endswith(f"TOPIC {CHANNEL} :{text}")


def topic_from_bot(human: Human, text: str) -> str:
    return human.expect(is_topic_from_bot(text))


def test_bot_set_the_topic_on_join(world: World) -> None:
    world.bob.say("!status")
    world.bob.reply("all 3 components operational")
    bot = world.runner.bot
    assert bot is not None
    wait_until(lambda: bot.topics.get(CHANNEL) == OPERATIONAL, 5, "topic")


def test_status_in_private_is_a_notice(world: World) -> None:
    world.bob.say("!status api", target="statusd")
    line = world.bob.reply("API (api): operational since")
    assert " NOTICE bob :" in line


def test_help_and_unknown_commands(world: World) -> None:
    world.bob.say("!help maint")
    world.bob.reply("!maint <component[,…]> <start> <duration>")
    world.bob.say("!bogus")
    world.bob.reply("unknown command !bogus — try !help")
    world.bob.say("!set nope major")
    world.bob.reply("sorry, only statusd operators")  # refused before the component is looked up
    world.alice.say("!set nope major")
    world.alice.reply("unknown component 'nope'")
    world.alice.say("!set api sideways")
    world.alice.reply("unknown status 'sideways'")


def test_set_by_an_operator(world: World) -> None:
    world.alice.say("!set api degraded slow answers")
    world.alice.reply("api is now degraded_performance")
    assert shown(world.db, "api") == "degraded_performance"
    assert audited(world.db, "irc:alice", "component.status")


def test_topic_follows_a_status_change(world: World) -> None:
    with transaction(world.db) as s:
        status.set_component_status(s, "api", "major_outage", actor="test")
    world.bob.expect_all(
        lambda line: "[status] API: degraded_performance → major_outage by test" in line,
        is_topic_from_bot("Website: operational | API: major_outage | Mail: operational"))


def test_set_by_anyone_else_is_refused(world: World) -> None:
    before = shown(world.db, "mail")
    world.bob.say("!set mail major_outage")
    world.bob.reply("sorry, only statusd operators may change anything here")
    assert shown(world.db, "mail") == before
    assert not audited(world.db, "irc:bob", "component.status")


def test_operator_by_services_account(world: World) -> None:
    world.carol.say("!set mail partial")  # not logged in yet: refused
    world.carol.reply("sorry, only statusd operators")
    world.services.login("carol", "carol")  # NickServ: carol identified
    world.carol.say("!set mail partial")
    world.carol.reply("mail is now partial_outage")
    assert audited(world.db, "irc:carol", "component.status")
    world.carol.send("NICK carol2")  # the account follows the nick
    world.carol.nick = "carol2"
    world.carol.say("!set mail partial_outage")
    world.carol.reply("mail is now partial_outage")


def test_operator_topic_edit_changes_statuses(world: World) -> None:
    world.alice.send(f"TOPIC {CHANNEL} :Website: operational | API: operational | "
                     "Mail: major_outage")
    wait_until(lambda: shown(world.db, "mail") == "major_outage", 5, "mail major_outage")
    assert shown(world.db, "api") == "operational"
    assert audited(world.db, "irc:alice", "component.status")
    world.alice.reply("mail is now major_outage")


def test_non_operator_topic_edit_is_put_back(world: World) -> None:
    world.bob.clear()
    world.bob.send(f"TOPIC {CHANNEL} :Website: major_outage | API: operational | "
                   "Mail: major_outage")
    world.bob.expect_all(
        world.bob.to_me("only statusd operators may change statuses; the topic is put back"),
        is_topic_from_bot("Website: operational | API: operational | Mail: major_outage"))
    assert shown(world.db, "website") == "operational"


def test_incidents_from_irc(world: World) -> None:
    world.alice.say("!incident open website,api investigating Site is down")
    line = world.alice.reply("opened (investigating): Site is down")
    number = int(re.search(r"incident #(\d+)", line).group(1))  # type: ignore[union-attr]
    world.alice.say(f"!incident update {number} identified Bad deploy")
    world.alice.reply(f"incident #{number} updated (identified)")
    world.alice.say(f"!incident resolve {number} Rolled back")
    world.alice.reply(f"incident #{number} resolved")
    world.bob.say(f"!incident resolve {number}")
    world.bob.reply("sorry, only statusd operators")
    with Session(world.db) as s:
        inc = s.get(Incident, number)
        assert inc is not None and inc.status == "resolved" and inc.actor == "irc:alice"


def test_maintenance_from_irc(world: World) -> None:
    world.alice.say("!maint mail +1h 2h Mail server upgrade")
    world.alice.reply("scheduled: Mail server upgrade (mail,")
    with Session(world.db) as s:
        m = s.exec(select(Maintenance).where(Maintenance.title == "Mail server upgrade")).one()
        assert m.actor == "irc:alice" and m.status == "scheduled"
    world.bob.expect(lambda line: "[maintenance #" in line and "scheduled" in line)


def test_ack_from_irc(world: World) -> None:
    with transaction(world.db) as s:
        alert, _ = status.raise_alert(s, "web-errors", "", "major", "Upstream timeouts on web1",
                                      device="web1")
    world.bob.expect(lambda line: f"[alert #{alert.id} major] Upstream timeouts on web1" in line)
    world.alice.say(f"!ack {alert.id}")
    world.alice.reply(f"alert #{alert.id} acknowledged")
    with Session(world.db) as s:
        row = s.get(Alert, alert.id)
        assert row is not None and row.acknowledged_by == "irc:alice"


def test_incident_opened_elsewhere_is_announced(world: World) -> None:
    with transaction(world.db) as s:
        inc = status.open_incident(s, "Database slow", "We are looking", components=["api"],
                                   actor="rule:db-latency")
    world.bob.expect(lambda line: f"PRIVMSG {CHANNEL} :[incident #{inc.id} opened] Database "
                     f"slow [api] — We are looking https://status.example.org/incidents/{inc.id}"
                     in line)


def test_a_burst_of_commands_is_answered_without_a_kill(world: World) -> None:
    bot = world.runner.bot
    assert bot is not None
    connections = bot.connections
    world.bob.clear()
    for _ in range(10):
        world.bob.say("!status")
    answers = [world.bob.reply("components", timeout=20) for _ in range(10)]
    assert len(answers) == 10
    assert bot.connections == connections and bot.registered


def test_hostile_input_does_not_crash_it(world: World) -> None:
    bob = world.bob
    bob.clear()
    bob.send(b"PRIVMSG #ops :!set " + b"A" * 480)
    bob.send(b"PRIVMSG #ops :!status \xff\xfe\xc3(web\x80site")
    bob.send(b"PRIVMSG #ops :!st\x03" + b"4,5atus \x02\x1d\x16\x0f\x07")
    bob.send(b"PRIVMSG #ops :\x01VERSION\x01")
    bob.send(b"PRIVMSG statusd :\x01PING 12345\x01")
    bob.send(b"PRIVMSG statusd :\x01DCC SEND evil 1 2 3\x01!status")
    bob.send("PRIVMSG #ops :!incident open - investigating " + "é" * 200)
    bob.send("PRIVMSG #ops :!maint website 9999-99-99 2h x")
    bob.send("PRIVMSG #ops :!ack 99999999999999999999999")
    bob.send("PRIVMSG #ops :!\u202eevil")
    bob.say("!status")
    bob.reply("components affected")  # still alive and answering
    from_bot = [line for line in bob.all if line.startswith(":statusd!")]
    assert from_bot and all(
        not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in line)
        for line in from_bot)
    assert all(len(line.encode()) <= 510 for line in from_bot)


def test_restarted_bot_resumes_and_sums_up_a_backlog(world: World) -> None:
    world.runner.stop()
    world.bob.expect(lambda line: line.startswith(":statusd!") and " QUIT " in line)
    with transaction(world.db) as s:
        for i in range(12):
            status.set_component_status(s, "website", "major_outage" if i % 2 == 0
                                        else "operational", actor="test")
    world.bob.clear()
    world.runner = BotRunner(bot_options(world.ngircd.port), world.db)
    world.runner.start()
    world.bob.expect(lambda line: "[catch-up] 12 changes while I was away (status change: 12)"
                     in line)
    world.op("statusd")  # rejoined an existing +t channel: needs its operator status back


def test_reconnects_after_the_server_dies(world: World) -> None:
    bot = world.runner.bot
    assert bot is not None
    before = bot.connections
    world.ngircd.kill()
    wait_until(lambda: not bot.registered, 10, "bot noticed the server is gone")
    world.ngircd.start()
    wait_until(lambda: bot.connections == before + 1 and CHANNEL in bot.joined, 15,
               "bot reconnected and rejoined")
    dave = Human(world.ngircd.port, "dave")
    dave.send(f"JOIN {CHANNEL}")
    dave.say("!status")
    dave.reply("components")
    dave.close()
