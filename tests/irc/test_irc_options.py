"""[irc] in the config file: typed options, and every mistake named by key."""

from __future__ import annotations

from pathlib import Path

import pytest
from jaraco.stream.buffer import LineBuffer

from statusd.config import load_settings
from statusd.errors import ConfigError
from statusd.irc.client import MAX_PENDING, SafeLineBuffer
from statusd.irc.options import IrcOptions


def load(tmp_path: Path, body: str) -> IrcOptions:
    cfg = tmp_path / "statusd.toml"
    cfg.write_text(body)
    settings = load_settings(cfg)
    return IrcOptions.from_values(settings.values, base_url=settings.base_url)


def test_spec_example_loads(tmp_path: Path) -> None:
    o = load(tmp_path, """
[irc]
server = "127.0.0.1"
port = 6667
tls = false
nick = "statusd"
channels = ["#ops", "#noc key"]
operators = ["*!*@trusted.example.org", "account:alice"]
topic_sync = true
max_line_rate = 2
""")
    assert o.server == "127.0.0.1" and o.port == 6667 and o.topic_sync
    assert o.channels == ("#ops", "#noc key") and o.channel_names() == ["#ops", "#noc"]
    assert o.operators == ("*!*@trusted.example.org", "account:alice")
    assert o.max_line_rate == 2.0 and o.max_line_burst == 4


def test_defaults_mean_no_bot(tmp_path: Path) -> None:
    assert load(tmp_path, "").server == ""


PROBLEM_VECTORS = [
    ('port = 0', "irc.port"),
    ('nick = "9lives"', "irc.nick"),
    ('nick = "has space"', "irc.nick"),
    ('channels = ["ops"]', "irc.channels"),
    ('channels = "#ops"', "irc.channels"),  # a string, not a list
    ('operators = ["bob@host"]', "irc.operators"),
    ('operators = ["account:"]', "irc.operators"),
    ('topic_sync = "yes"', "irc.topic_sync"),
    ('sasl_username = "bot"', "irc.sasl_username"),
    ('max_line_rate = 0', "irc.max_line_rate"),
    ('max_reply_lines = 0', "irc.max_reply_lines"),
    ('reconnect_min = 10\nreconnect_max = 5', "irc.reconnect_max"),
    ('realname = "a\\r\\nQUIT"', "irc.realname"),
    ('shout = true', "irc.shout"),
]


@pytest.mark.parametrize(("line", "key"), PROBLEM_VECTORS)
def test_problems_name_the_key(tmp_path: Path, line: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, f'[irc]\nserver = "irc.example.org"\n{line}\n')
    assert key in {p.where for p in info.value.problems}


def test_topic_sync_needs_channels(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, '[irc]\nserver = "irc.example.org"\ntopic_sync = true\n')
    assert [p.where for p in info.value.problems] == ["irc.topic_sync"]


def test_line_buffer_replaces_bad_bytes_and_drops_endless_lines() -> None:
    buf = SafeLineBuffer()
    buf.feed(b":a PRIVMSG #x :caf\xc3\xa9 \xff\xfe\r\n:b PING")
    assert list(buf.lines()) == [":a PRIVMSG #x :café \ufffd\ufffd"]
    buf.feed(b"x" * (MAX_PENDING + 10))
    assert list(buf.lines()) == [] and len(buf) == 0
    assert isinstance(buf, LineBuffer)
