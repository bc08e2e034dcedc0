"""Loading service files, their errors, and the library's program prefilter and ordering."""

from __future__ import annotations

from pathlib import Path

import pytest

from statusd.errors import ConfigError
from statusd.rules.services import (
    LIBRARY_DIR,
    ServiceLibrary,
    load_service_file,
    parse_service,
)
from statusd.severity import Severity

GOOD = """\
[service]
name = "demo"
programs = ["demo", "demo-*"]
description = "A demo"

[[message]]
id = "demo.hello"
pattern = "hello %{WORD:who} from %{IP:src_ip} port %{PORT:port:int}"
level = "warning"
taxonomy = "demo.greeting"

[[message.examples]]
line = "hello alice from 192.0.2.1 port 22"
fields = { who = "alice", src_ip = "192.0.2.1", port = 22 }

[[message]]
id = "demo.bye"
regex = true
pattern = 'bye(?: %{WORD:who})?'
level = "info"
taxonomy = "demo.farewell"
examples = [ { line = "bye bob", program = "demo-worker", fields = { who = "bob" } },
             { line = "bye" } ]
"""


def service_text(name: str, programs: str, *messages: tuple[str, str]) -> str:
    """A service file with (id, pattern) messages, each level info, taxonomy test.event."""
    out = f'[service]\nname = "{name}"\nprograms = {programs}\n'
    for mid, pattern in messages:
        out += (f"\n[[message]]\nid = \"{mid}\"\npattern = '{pattern}'\nregex = true\n"
                'level = "info"\ntaxonomy = "test.event"\n')
    return out


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def matched_id(library: ServiceLibrary, program: str | None, line: str) -> str | None:
    """The id of the message the line matches, or None."""
    m = library.match(program, line)
    return None if m is None else m.message_id


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_service(text, "svc.toml")
    return [str(p) for p in info.value.problems]


# --- loading ---------------------------------------------------------------------------------

def test_load_good_file(tmp_path: Path) -> None:
    service = load_service_file(write(tmp_path, "demo.toml", GOOD))
    assert service.name == "demo"
    assert service.programs == ("demo", "demo-*")
    assert service.enabled is True
    assert service.path.endswith("demo.toml")
    hello, bye = service.messages
    assert (hello.id, hello.level, hello.taxonomy, hello.line) == (
        "demo.hello", Severity.WARNING, "demo.greeting", 6)
    assert hello.pattern.fields == ("who", "src_ip", "port")
    assert hello.examples[0].program == "demo"  # default: first non-glob program
    assert bye.pattern.raw and bye.line == 16
    assert [e.program for e in bye.examples] == ["demo-worker", "demo"]
    assert bye.examples[1].fields is None


def test_enabled_false_loads_but_matches_nothing() -> None:
    service = parse_service(GOOD.replace('description = "A demo"', "enabled = false"))
    library = ServiceLibrary([service])
    assert library.is_enabled("demo") is False
    assert library.match("demo", "bye") is None
    library.enable("demo")
    assert library.match("demo", "bye") is not None


# (broken file text, expected "where", expected text in the message)
ERROR_VECTORS = [
    ('[service]\nname = "x"\nprograms = ["x"\n', "line 3", "invalid TOML"),
    ('[service]\nname = "x\nprograms = ["x"]\n', "line 2", "invalid TOML"),
    ('[[message]]\nid = "a"\n', "service", "missing [service] table"),
    ('[service]\nname = "x"\nprograms = ["x"]\n', "message", "at least one [[message]]"),
    ('[service]\nname = "X Y"\nprograms = ["x"]\n' + GOOD.split("\n", 4)[4], "line 2",
     "service.name"),
    ('[service]\nname = "x"\nprograms = []\n' + GOOD.split("\n", 4)[4], "line 3",
     "service.programs"),
    ('[service]\nname = "x"\nprograms = ["x"]\ncolour = 1\n' + GOOD.split("\n", 4)[4],
     "line 4", "service.colour: unknown key"),
    ('bogus = 1\n' + GOOD, "bogus", "unknown top-level key"),
    (GOOD.replace("%{WORD:who}", "%{NOPE:who}"), "line 8",
     "message[0].pattern: unknown placeholder type 'NOPE'"),
    (GOOD.replace("%{PORT:port:int}", "%{PORT:who}"), "line 8",
     "message[0].pattern: duplicate field name 'who'"),
    (GOOD.replace("'bye(?: %{WORD:who})?'", "'bye(?: %{WORD:who}'"), "line 19",
     "message[1].pattern: invalid regular expression"),
    (GOOD.replace('level = "warning"', 'level = "loud"'), "line 9",
     "message[0].level: unknown severity 'loud'"),
    (GOOD.replace('taxonomy = "demo.greeting"', 'taxonomy = "Demo Greeting"'), "line 10",
     "message[0].taxonomy"),
    (GOOD.replace('id = "demo.bye"', 'id = "demo.hello"'), "line 17",
     "message[1].id: duplicate id 'demo.hello'"),
    (GOOD.replace('id = "demo.bye"\n', ""), "line 16", "message[1].id: required"),
    (GOOD.replace('taxonomy = "demo.farewell"', 'taxonomy = "demo.farewell"\ncolour = 1'),
     "line 22", "message[1].colour: unknown key"),
    (GOOD.replace('line = "hello alice', 'line = "hullo alice'), "line 12",
     "message[0].examples[0]: does not match"),
    (GOOD.replace("port = 22 }", "port = 23 }"), "line 12",
     "message[0].examples[0]: fields differ"),
    (GOOD.replace('program = "demo-worker"', 'program = "other"'), "line 22",
     "message[1].examples[0].program: 'other' is not claimed"),
    (GOOD.replace('{ line = "bye" }', '{ line = "bye", fields = { x = true } }'), "line 23",
     "message[1].examples[1].fields"),
]


@pytest.mark.parametrize(("text", "where", "message"), ERROR_VECTORS,
                         ids=[v[2] for v in ERROR_VECTORS])
def test_errors_name_file_and_line(text: str, where: str, message: str) -> None:
    found = problems(text)
    assert any(p.startswith(f"svc.toml: {where}: ") and message in p for p in found), found


def test_all_problems_reported_at_once() -> None:
    text = (GOOD.replace("%{WORD:who} from", "%{NOPE:who} from")
                .replace('level = "info"', 'level = "loud"')
                .replace('programs = ["demo", "demo-*"]', 'programs = "demo"'))
    found = problems(text)
    assert len(found) == 3, found
    assert all(p.startswith("svc.toml: line ") for p in found)


def test_example_taken_by_an_earlier_message_is_an_error() -> None:
    text = service_text("x", '["x"]', ("x.any", "%{GREEDYDATA:all}"), ("x.hello", "hello"))
    text += '\n[[message.examples]]\nline = "hello"\n'
    found = problems(text)
    assert any("line 19" in p and "matched first by the earlier message 'x.any'" in p
               for p in found), found


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_service_file(tmp_path / "missing.toml")
    assert info.value.problems[0].where == "file"


def test_load_collects_problems_from_every_file(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", GOOD.replace("%{WORD:who} from", "%{NOPE:who} from"))
    write(tmp_path, "b.toml", GOOD.replace('name = "demo"', 'name = "demo2"')
          .replace('level = "info"', 'level = "loud"'))
    with pytest.raises(ConfigError) as info:
        ServiceLibrary.load(["*.toml", "missing.toml"], base_dir=tmp_path, builtin=False)
    files = sorted(Path(p.file).name for p in info.value.problems)
    assert files == ["a.toml", "b.toml", "missing.toml"]


def test_load_globs_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "services.d").mkdir()
    write(tmp_path / "services.d", "demo.toml", GOOD)
    library = ServiceLibrary.load(["services.d/*.toml", "none.d/*.toml"], base_dir=tmp_path,
                                  builtin=False)
    assert [s.name for s in library.services] == ["demo"]
    assert library.message_count == 2


def test_builtin_library_loads() -> None:
    library = ServiceLibrary.load()
    names = {s.name for s in library.services}
    assert {"sshd", "sudo", "su", "pam", "cron", "systemd", "kernel", "postfix",
            "nginx"} <= names
    assert len(library.services) == len(list(LIBRARY_DIR.glob("*.toml")))


# --- override and conflicts ------------------------------------------------------------------

def test_later_service_overrides_by_name(tmp_path: Path) -> None:
    mine = write(tmp_path, "sshd.toml",
                 service_text("sshd", '["sshd"]', ("mysshd.anything", "%{GREEDYDATA:text}")))
    library = ServiceLibrary.load([str(mine)])
    sshd = library.service("sshd")
    assert sshd.path == str(mine)
    assert [m.id for m in sshd.messages] == ["mysshd.anything"]
    assert library.message("sshd.auth.password_failed") is None
    m = library.match("sshd", "Failed password for root from 192.0.2.1 port 22 ssh2")
    assert m is not None and m.message_id == "mysshd.anything"
    # it keeps the overridden service's place in the order
    assert [s.name for s in library.services] == [s.name for s in ServiceLibrary.load().services]


def test_same_message_id_in_two_services_is_an_error() -> None:
    a = parse_service(service_text("a", '["a"]', ("same.id", "x")), "a.toml")
    b = parse_service(service_text("b", '["b"]', ("same.id", "y")), "b.toml")
    with pytest.raises(ConfigError) as info:
        ServiceLibrary([a, b])
    problem = info.value.problems[0]
    assert problem.file == "b.toml" and problem.where == "line 5"
    assert "already defined by service 'a'" in problem.message


# --- the prefilter and the order -------------------------------------------------------------

def conflicting_library() -> ServiceLibrary:
    """Services whose patterns all match everything: only the program decides who wins."""
    return ServiceLibrary([
        parse_service(service_text("anyone", '["*"]', ("anyone.all", "%{GREEDYDATA:text}"))),
        parse_service(service_text("alpha", '["alpha"]', ("alpha.all", "%{GREEDYDATA:text}"))),
        parse_service(service_text("mail", '["postfix/*"]', ("mail.all", "%{GREEDYDATA:text}"))),
        parse_service(service_text("beta", '["beta", "*"]', ("beta.all", "%{GREEDYDATA:text}"))),
    ])


@pytest.mark.parametrize(("program", "expected"), [
    ("alpha", "alpha.all"),
    ("ALPHA", "alpha.all"),  # program names are compared case-insensitively
    ("beta", "beta.all"),
    ("postfix/smtpd", "mail.all"),
    ("Postfix/Submission/SMTPD", "mail.all"),
    ("gamma", "anyone.all"),  # only "*" services claim it; the first of them wins
    (None, "anyone.all"),
])
def test_program_decides_which_services_are_tried(program: str | None, expected: str) -> None:
    m = conflicting_library().match(program, "some text")
    assert m is not None and m.message_id == expected
    assert m.fields == {"text": "some text"}


def test_candidates_follow_the_program() -> None:
    library = conflicting_library()
    assert [m.id for m in library.candidates("alpha")] == ["alpha.all", "anyone.all", "beta.all"]
    assert [m.id for m in library.candidates("beta")] == ["beta.all", "anyone.all"]
    assert [m.id for m in library.candidates("postfix/qmgr")] == [
        "mail.all", "anyone.all", "beta.all"]
    library.disable("anyone")
    assert [m.id for m in library.candidates("gamma")] == ["beta.all"]


def test_lines_are_never_tried_against_services_that_do_not_claim_the_program() -> None:
    greedy = parse_service(service_text("greedy", '["greedy"]', ("greedy.all", "%{GREEDYDATA}")))
    library = ServiceLibrary.load()
    library = ServiceLibrary([*library.services, greedy])
    line = "Failed password for root from 192.0.2.1 port 22 ssh2"
    m = library.match("sshd", line)
    assert m is not None and m.message_id == "sshd.auth.password_failed"
    assert library.match("nginx", line) is None  # sshd's patterns are not tried for nginx
    assert library.match("greedy", "anything at all") is not None
    catch_all = {s.name for s in library.services if "*" in s.programs}  # pam, fortinet, ...
    assert all(m.service == "greedy" or m.service in catch_all
               for m in library.candidates("greedy"))


def test_first_match_in_file_order_wins() -> None:
    service = parse_service(service_text("x", '["x"]', ("x.specific", r"disk %{WORD:d} failed"),
                                         ("x.generic", "disk %{GREEDYDATA:rest}")))
    library = ServiceLibrary([service])
    assert matched_id(library, "x", "disk sda failed") == "x.specific"
    assert matched_id(library, "x", "disk sda ok") == "x.generic"


def test_match_result() -> None:
    library = ServiceLibrary([parse_service(GOOD)])
    m = library.match("demo-x", "  hello alice from 192.0.2.1 port 22 \n")
    assert m is not None
    assert (m.service, m.message_id, m.level, m.taxonomy) == (
        "demo", "demo.hello", 4, "demo.greeting")
    assert m.fields == {"who": "alice", "src_ip": "192.0.2.1", "port": 22}
    bye = library.match("demo", "bye")
    assert bye is not None and bye.fields == {}
    assert library.match("demo", "hello") is None


def test_timeouts_count_as_no_match() -> None:
    slow = parse_service(service_text("slow", '["slow"]', ("slow.bad", "(a|aa)+$"),
                                      ("slow.ok", "a+b")))
    library = ServiceLibrary([slow], timeout=0.02)
    m = library.match("slow", "a" * 40 + "b")
    assert m is not None and m.message_id == "slow.ok"
    assert library.timeouts == 1


def test_enable_disable_unknown_service() -> None:
    library = conflicting_library()
    with pytest.raises(KeyError):
        library.disable("nope")
    library.disable("alpha")
    assert matched_id(library, "alpha", "x") == "anyone.all"
    library.enable("alpha")
    assert matched_id(library, "alpha", "x") == "alpha.all"


def test_program_cache_is_bounded() -> None:
    library = ServiceLibrary(conflicting_library().services, cache_size=3)
    for i in range(50):
        assert matched_id(library, f"prog{i}", "x") == "anyone.all"
    assert len(library._cache) <= 3
    assert matched_id(library, "alpha", "x") == "alpha.all"
