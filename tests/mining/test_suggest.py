"""Suggested [[message]] definitions: they compile, match their examples and load as a service."""

from __future__ import annotations

import tomllib

import pytest

from statusd.mining.miner import TemplateMiner
from statusd.mining.suggest import (
    REVIEW_TAXONOMY,
    build_pattern,
    infer_type,
    level_of,
    message_id,
    suggest,
)
from statusd.rules.patterns import compile_pattern
from statusd.rules.services import parse_service
from tests.mining.test_accuracy import samples

TYPE_VECTORS = [
    (["10.0.0.1", "fe80::1"], "IP"),
    (["10.0.0.1:80", "192.0.2.1:5514"], "IP:PORT"),
    (["42", "-7"], "INT"),
    (["4.2", "17"], "NUMBER"),
    (["a@example.com"], "EMAIL"),
    (["https://example.org/x"], "URI"),
    (["/var/log/syslog", "/tmp"], "PATH"),
    (["mx.example.net", "a.b"], "HOSTNAME"),
    (["alice", "bob"], "WORD"),
    (["www-data", "j.doe"], "USER"),
    (["a,b", "c;d"], "NOTSPACE"),
    (["52:54:00:12:34:56"], "MAC"),
    (["123e4567-e89b-12d3-a456-426614174000"], "UUID"),
]


@pytest.mark.parametrize(("values", "expected"), TYPE_VECTORS)
def test_infer_type(values: list[str], expected: str) -> None:
    assert infer_type(values, last=False) == expected


def test_free_text_is_data_or_greedydata_at_the_end() -> None:
    assert infer_type(["two words", "x"], last=False) == "DATA"
    assert infer_type(["two words", "x"], last=True) == "GREEDYDATA"


def test_field_names_from_the_words_before() -> None:
    pattern = build_pattern(
        "Failed login for <*> from <*> port <*> status=<*> after <*> tries",
        [["alice", "203.0.113.9", "4711", "bad", "3"], ["bob", "10.0.0.1", "22", "ok", "12"]])
    assert pattern == ("Failed login for %{WORD:user} from %{IP:src_ip} port %{INT:port:int} "
                       "status=%{WORD:status} after %{INT:field5:int} tries")
    pattern = build_pattern("conn from <*> to <*> closed: <*>",
                            [["10.1.2.3:5555", "10.0.0.1:80", "reset by peer"]])
    assert pattern == ("conn from %{IP:src_ip}:%{PORT:src_port:int} to "
                       "%{IP:dst_ip}:%{PORT:dst_port:int} closed: %{GREEDYDATA:closed}")


def test_names_are_unique() -> None:
    pattern = build_pattern("a <*> b <*> c <*>", [["x", "y", "z"]])
    assert pattern == "a %{WORD:field1} b %{WORD:field2} c %{WORD:field3}"
    pattern = build_pattern("from <*> from <*>", [["h1", "h2"]])
    assert pattern == "from %{WORD:src} from %{WORD:src_2}"


def test_id_and_level() -> None:
    assert message_id("My-App", "<*> request <*> handled in <*>") == "my_app.request_handled_in"
    assert message_id(None, "<*>") == "unknown.message"
    assert level_of([4, 4, 6]) == "warning"
    assert level_of([]) == "info"
    assert level_of([3, 6]) == "err"  # a tie goes to the more severe


def test_suggestion_is_a_loadable_service_message() -> None:
    examples = ["backup of /srv/db finished in 42s for alice",
                "backup of /home finished in 7s for bob"]
    s = suggest("backup of <*> finished in <*> for <*>", examples, "backupd", [6, 6])
    assert s.taxonomy == REVIEW_TAXONOMY
    assert s.examples == tuple(examples)
    text = "[service]\nname = \"backupd\"\nprograms = [\"backupd\"]\n\n" + s.toml("a comment")
    assert tomllib.loads(text)["message"][0]["taxonomy"] == REVIEW_TAXONOMY
    service = parse_service(text)  # checks that every example matches its own message
    assert service.messages[0].id == "backupd.backup_of_finished"
    assert service.messages[0].pattern.match(examples[0]) == {
        "field1": "/srv/db", "duration": "42s", "user": "alice"}


def test_unusable_input_is_refused() -> None:
    with pytest.raises(ValueError):
        suggest("something else <*>", ["no match here"])


def test_every_mined_template_of_the_sample_gives_a_matching_pattern() -> None:
    checked = 0
    for name, (lines, _) in samples().items():
        miner = TemplateMiner()
        ids = miner.add_all(lines)
        for group in miner.groups():
            members = set(group.members)
            examples = [line for line, cid in zip(lines, ids, strict=True) if cid in members]
            s = suggest(group.template, examples[:3], name)
            compiled = compile_pattern(s.pattern)
            assert s.examples == tuple(examples[:3]), (group.template, s.pattern)
            for line in examples[:3]:
                assert compiled.match(line) is not None, (s.pattern, line)
            checked += 1
    assert checked > 150
