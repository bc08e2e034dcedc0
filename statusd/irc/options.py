"""The IRC bot's settings, typed, with the cross-key checks config.py runs on [irc]."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from statusd.errors import Problem
from statusd.irc.auth import OperatorError, parse_operator

NICK = re.compile(r"^[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]{0,29}$")
CHANNEL = re.compile(r"^[#&+!][^\x00\x07\r\n ,:]{1,49}$")

@dataclass(frozen=True, slots=True)
class IrcOptions:
    """Everything the bot needs to know from the configuration."""

    server: str
    port: int = 6667
    tls: bool = False
    tls_verify: bool = True
    nick: str = "statusd"
    username: str = "statusd"
    realname: str = "statusd status bot"
    password: str = ""
    sasl_username: str = ""
    sasl_password: str = ""
    channels: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()
    topic_sync: bool = False
    announce: bool = True
    announce_backlog: int = 10
    max_line_rate: float = 1.0
    max_line_burst: int = 4
    max_reply_lines: int = 4
    reconnect_min: float = 2.0
    reconnect_max: float = 300.0
    poll_interval: float = 1.0
    base_url: str = ""

    @classmethod
    def from_values(cls, values: dict[str, Any], base_url: str = "") -> IrcOptions:
        """Build from the settings' dotted values (irc.*)."""
        names = set(cls.__dataclass_fields__)
        kw = {key[4:]: value for key, value in values.items()
              if key.startswith("irc.") and key[4:] in names}
        kw["channels"] = tuple(kw.get("channels", ()))
        kw["operators"] = tuple(kw.get("operators", ()))
        for key in ("max_line_rate", "reconnect_min", "reconnect_max", "poll_interval"):
            if key in kw:
                kw[key] = float(kw[key])
        return cls(base_url=base_url, **kw)

    def channel_names(self) -> list[str]:
        """The channels without their keys."""
        return [c.split(" ", 1)[0] for c in self.channels]


def check_irc(values: dict[str, Any], file: str) -> list[Problem]:
    """Cross-key checks of [irc]; nothing is checked while irc.server is empty."""
    problems: list[Problem] = []

    def problem(key: str, message: str) -> None:
        problems.append(Problem(file, key, message))

    if not values.get("irc.server"):
        return problems
    if not 1 <= values["irc.port"] <= 65535:
        problem("irc.port", "must be between 1 and 65535")
    if not NICK.match(values["irc.nick"]):
        problem("irc.nick", "letters, digits and []\\`_^{|}- (not first: digit or -), at most 30")
    if not values["irc.username"] or any(c in values["irc.username"] for c in " @!\r\n\x00"):
        problem("irc.username", "must be one word without @ or !")
    for key in ("irc.realname", "irc.password", "irc.sasl_username", "irc.sasl_password"):
        if any(c in values[key] for c in "\r\n\x00"):
            problem(key, "must not contain line breaks")
    if bool(values["irc.sasl_username"]) != bool(values["irc.sasl_password"]):
        problem("irc.sasl_username", "SASL needs both sasl_username and sasl_password")
    for chan in values["irc.channels"]:
        name, _, key = chan.partition(" ")
        if not CHANNEL.match(name) or " " in key:
            problem("irc.channels", f"{chan!r} is not a channel name (like \"#ops\")")
    if values["irc.topic_sync"] and not values["irc.channels"]:
        problem("irc.topic_sync", "needs at least one channel in irc.channels")
    for entry in values["irc.operators"]:
        try:
            parse_operator(entry)
        except OperatorError as exc:
            problem("irc.operators", str(exc))
    for key in ("irc.announce_backlog", "irc.max_line_burst", "irc.max_reply_lines"):
        if values[key] < 1:
            problem(key, "must be at least 1")
    for key in ("irc.max_line_rate", "irc.reconnect_min", "irc.poll_interval"):
        if values[key] <= 0:
            problem(key, "must be positive")
    if values["irc.reconnect_max"] < values["irc.reconnect_min"]:
        problem("irc.reconnect_max", "must be at least irc.reconnect_min")
    return problems
