"""Command parsing: a table of messages and what they parse to (or the error they get)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statusd.irc.commands import (
    Ack,
    CommandError,
    Help,
    OpenIncident,
    ResolveIncident,
    ScheduleMaintenance,
    SetStatus,
    Status,
    UpdateIncident,
    is_read_only,
    parse_command,
)

NOW = datetime(2030, 1, 31, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)

PARSE_VECTORS = [
    ("!status", Status()),
    ("  !status   website ", Status("website")),
    ("!STATUS Website", Status("website")),
    ("!help", Help()),
    ("!help set", Help("set")),
    ("!help !maint", Help("maint")),
    ("!set api degraded_performance", SetStatus("api", "degraded_performance")),
    ("!set api degraded slow answers", SetStatus("api", "degraded_performance", "slow answers")),
    ("!set api Major-Outage", SetStatus("api", "major_outage")),
    ("!set api op", SetStatus("api", "operational")),
    ("!set api under all good", SetStatus("api", "under_maintenance", "all good")),
    ("!incident open website investigating Site is down",
     OpenIncident(("website",), "investigating", "Site is down")),
    ("!incident open website,api,website ident Both slow",
     OpenIncident(("website", "api"), "identified", "Both slow")),
    ("!incident open - monitoring Nothing attached", OpenIncident((), "monitoring",
                                                                 "Nothing attached")),
    ("!incident update 3 monitoring Fix deployed", UpdateIncident(3, "monitoring", "Fix deployed")),
    ("!incident update #12 resolved All done", UpdateIncident(12, "resolved", "All done")),
    ("!incident resolve 3", ResolveIncident(3)),
    ("!incident resolve #3 back to normal", ResolveIncident(3, "back to normal")),
    ("!maint mail now 2h Mail upgrade",
     ScheduleMaintenance(("mail",), NOW, NOW + 2 * H, "Mail upgrade")),
    ("!maint mail,api +30m 1h30m Network work",
     ScheduleMaintenance(("mail", "api"), NOW + H / 2, NOW + 2 * H, "Network work")),
    ("!maint mail 2030-02-01T22:00 1h Night work",
     ScheduleMaintenance(("mail",), datetime(2030, 2, 1, 22, tzinfo=UTC),
                         datetime(2030, 2, 1, 23, tzinfo=UTC), "Night work")),
    ("!maint mail 2030-02-01T22:00+02:00 1h Offset",
     ScheduleMaintenance(("mail",), datetime(2030, 2, 1, 20, tzinfo=UTC),
                         datetime(2030, 2, 1, 21, tzinfo=UTC), "Offset")),
    ("!ack 7", Ack(7)),
    ("!ack #7", Ack(7)),
    # Control codes are stripped before parsing.
    ("\x02!set\x02 api \x0304major\x03 broken", SetStatus("api", "major_outage", "broken")),
    # Not commands at all: no reply.
    ("hello", None),
    ("", None),
    ("!", None),
    ("!!!", None),
    ("! status", None),
    ("!42", None),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_VECTORS)
def test_parse(text: str, expected: object) -> None:
    assert parse_command(text, NOW) == expected


ERROR_VECTORS = [
    ("!frobnicate", "unknown command !frobnicate"),
    ("!help frob", "no help on 'frob'"),
    ("!status a b", "usage: !status"),
    ("!set api", "usage: !set"),
    ("!set api broken", "unknown status 'broken'"),
    ("!set api o", "unknown status 'o'"),  # prefixes need two letters at least
    ("!incident", "usage: !incident"),
    ("!incident open website investigating", "usage: !incident"),
    ("!incident open website resolved Title", "unknown incident status 'resolved'"),
    ("!incident open website i Title", "unknown incident status 'i'"),  # ambiguous prefix
    ("!incident update x monitoring msg", "the incident id must be a number"),
    ("!incident update 3 monitoring", "usage: !incident"),
    ("!incident close 3", "usage: !incident"),
    ("!maint mail now", "usage: !maint"),
    ("!maint mail tomorrow 2h Title", "bad start 'tomorrow'"),
    ("!maint mail +soon 2h Title", "bad start '+soon'"),
    ("!maint mail now forever Title", "bad duration 'forever'"),
    ("!maint mail now 0s Title", "more than zero"),
    ("!maint mail now 60d Title", "at most 31 days"),
    ("!maint , now 1h Title", "which component"),
    ("!ack", "usage: !ack"),
    ("!ack seven", "the alert id must be a number"),
    ("!ack 99999999999999999999", "the alert id must be a number"),
]


@pytest.mark.parametrize(("text", "message"), ERROR_VECTORS)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_command(text, NOW)
    assert message in str(info.value)


def test_errors_never_echo_control_codes_or_unbounded_text() -> None:
    with pytest.raises(CommandError) as info:
        parse_command("!\x03" + "x" * 5000 + "\x07", NOW)
    text = str(info.value)
    assert len(text) < 100 and all(ord(c) >= 32 for c in text)


def test_long_titles_are_capped() -> None:
    cmd = parse_command("!incident open - investigating " + "word " * 500, NOW)
    assert isinstance(cmd, OpenIncident) and len(cmd.title) <= 200


def test_read_only_commands() -> None:
    assert is_read_only(Status()) and is_read_only(Help())
    assert not is_read_only(SetStatus("api", "operational"))
    assert not is_read_only(Ack(1))
