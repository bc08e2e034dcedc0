"""[notify] settings: what loads, what is refused with file and key, documented keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from statusd.config import SETTINGS, load_settings
from statusd.errors import ConfigError
from statusd.notify.config import normalise_url, notify_config, url_fingerprint, with_query

DOCS = Path(__file__).resolve().parents[2] / "docs"

SPEC_EXAMPLE = """
[http]
base_url = "https://status.example.org/"

[[component]]
slug = "website"

[notify.channels]
oncall = ["mailto://ops:secret@127.0.0.1:2525?to=oncall@example.org"]

[notify.email]
smtp_url = "mailto://127.0.0.1:2525?from=status@example.org"

[[rule]]
id = "website-errors"
kind = "single"
match = { service = "nginx" }
notify = ["oncall"]
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "statusd.toml"
    path.write_text(text)
    return load_settings(path)


def problems(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    path = tmp_path / "statusd.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert all(p.file == str(path) for p in info.value.problems)
    return [(p.where, p.message) for p in info.value.problems]


def test_the_spec_example_loads(tmp_path: Path) -> None:
    settings = load(tmp_path, SPEC_EXAMPLE)
    cfg = notify_config(settings)  # type: ignore[arg-type]
    [url] = cfg.channels["oncall"]
    # The channel names no sender: it gets the subscriber mail's from=.
    assert url.endswith("&from=status%40example.org")
    assert cfg.sender == "status@example.org" and cfg.email_enabled and cfg.enabled
    assert cfg.base_url == "https://status.example.org"
    assert cfg.channel_url("oncall", url_fingerprint(url)) == url
    assert cfg.channel_url("oncall", "0" * 16) is None


def test_defaults_turn_notifications_off() -> None:
    cfg = notify_config(load_settings(None))
    assert not cfg.enabled and not cfg.email_enabled and cfg.channels == {}
    assert (cfg.max_attempts, cfg.retry_base, cfg.retry_cap) == (10, 30.0, 3600.0)


BAD = [
    ('[notify]\nstatus_channels = ["nope"]\n', "notify.status_channels[0]", "no channel 'nope'"),
    ("[notify]\nmax_attempts = 0\n", "notify.max_attempts", "at least 1"),
    ('[notify]\nretry_cap = "1h"\n', "notify.retry_cap", "expected a number"),
    ("[notify]\nretries = 3\n", "notify.retries", "unknown key"),
    ("[notify]\nchannels = 3\n", "notify.channels", "must be a table"),
    ('[notify.channels]\noncall = []\n', "notify.channels.oncall", "non-empty list"),
    ('[notify.channels]\noncall = ["nosuch://x"]\n', "notify.channels.oncall[0]",
     "apprise cannot use this URL"),
    ('[notify.channels]\noncall = [""]\n', "notify.channels.oncall[0]", "non-empty string"),
    ('[notify.channels]\nsubscribers = ["json://localhost"]\n', "notify.channels.subscribers",
     "reserved"),
    ('[notify.channels]\n"bad name" = ["json://localhost"]\n', "notify.channels.bad name",
     "channel names"),
    ('[notify.email]\nsmtp_url = "https://example.org"\n', "notify.email.smtp_url",
     "mailto://"),
    ('[notify.email]\nfrom = "not an address"\n', "notify.email.from", "not an email"),
    ('[notify.email]\nsubscribe_per_ip = 0\n', "notify.email.subscribe_per_ip", "at least 1"),
    ('[notify.email]\nsmtp = "x"\n', "notify.email.smtp", "unknown key"),
    ('[[rule]]\nid = "r"\nkind = "single"\nmatch = { service = "sshd" }\nnotify = ["pager"]\n',
     "rule[0].notify[0]", "no channel 'pager'"),
]


@pytest.mark.parametrize(("text", "where", "message"), BAD)
def test_bad_notify_settings_name_their_key(tmp_path: Path, text: str, where: str,
                                            message: str) -> None:
    found = problems(tmp_path, text)
    assert any(w == where and message in m for w, m in found), found


def test_a_secret_in_a_bad_url_is_not_repeated(tmp_path: Path) -> None:
    found = problems(tmp_path, '[notify.channels]\nx = ["nosuch://user:hunter2@host"]\n')
    assert "hunter2" not in repr(found)


def test_rule_notify_problems_name_the_included_file(tmp_path: Path) -> None:
    (tmp_path / "rules.d").mkdir()
    (tmp_path / "rules.d" / "a.toml").write_text(
        '[[rule]]\nid = "r"\nkind = "single"\nmatch = { service = "sshd" }\nnotify = ["x"]\n')
    (tmp_path / "statusd.toml").write_text('include = ["rules.d/*.toml"]\n')
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "statusd.toml")
    [problem] = info.value.problems
    assert problem.file.endswith("a.toml") and problem.where == "rule[0].notify[0]"


@pytest.mark.parametrize(("url", "expected"), [
    ("mailto://h:25?to=a@b.org", "mailto://h:25?to=a@b.org&from=s%40x.org"),
    ("mailtos://h?from=me@x.org", "mailtos://h?from=me@x.org"),
    ("MAILTO://h", "mailto://h?from=s%40x.org"),
    ("json://localhost/hook", "json://localhost/hook"),
])
def test_mail_urls_get_a_sender(url: str, expected: str) -> None:
    assert normalise_url(url, "s@x.org") == expected


def test_with_query_encodes_values_and_header_names() -> None:
    url = with_query("mailto://h?from=a@b.org", to="c@d.org",
                     **{"+List-Unsubscribe": "<https://s/u?token=a&b>"})
    assert url == ("mailto://h?from=a@b.org&to=c%40d.org"
                   "&%2BList-Unsubscribe=%3Chttps%3A%2F%2Fs%2Fu%3Ftoken%3Da%26b%3E")


def test_every_notify_key_is_documented() -> None:
    config_doc = (DOCS / "configuration.md").read_text()
    notify_doc = (DOCS / "notifications.md").read_text()
    keys = [k for k in SETTINGS if k.startswith("notify.")]
    assert keys and [k for k in keys if f"`{k}`" not in config_doc] == []
    assert [k for k in keys if k.rsplit(".", 1)[1] not in notify_doc] == []
