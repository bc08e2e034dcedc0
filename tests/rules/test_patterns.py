"""The grok-style pattern compiler: vectors of pattern, line and expected fields."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from statusd.rules.patterns import TYPES, PatternError, compile_pattern, types_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"

# (pattern, raw, message, expected fields or None for "no match")
VECTORS: list[tuple[str, bool, str, dict[str, object] | None]] = [
    ("Failed password for %{USER:user} from %{IP:src_ip} port %{INT:src_port} ssh2", False,
     "Failed password for root from 203.0.113.9 port 4711 ssh2",
     {"user": "root", "src_ip": "203.0.113.9", "src_port": "4711"}),
    ("port %{INT:port:int} took %{NUMBER:secs:float}s", False, "port 22 took 1.5s",
     {"port": 22, "secs": 1.5}),
    ("n=%{NUMBER:n:float}", False, "n=-3e2", {"n": -300.0}),
    ("n=%{NOTSPACE:n:int}", False, "n=abc", {"n": "abc"}),  # no conversion: kept as text
    ("%{WORD} said %{GREEDYDATA:rest}", False, "alice said hello there",
     {"rest": "hello there"}),
    ("a %{DATA:x} b %{GREEDYDATA:y}", False, "a 1 b 2 b 3", {"x": "1", "y": "2 b 3"}),
    ("a %{GREEDYDATA:x} b %{GREEDYDATA:y}", False, "a 1 b 2 b 3", {"x": "1 b 2", "y": "3"}),
    ("from %{IP:ip}", False, "from 2001:db8::1", {"ip": "2001:db8::1"}),
    ("from %{IP:ip}", False, "from ::ffff:192.0.2.1", {"ip": "::ffff:192.0.2.1"}),
    ("from %{IP:ip}", False, "from fe80::1%eth0", {"ip": "fe80::1%eth0"}),
    ("from %{IP:ip}", False, "from 192.0.2.300", None),
    ("from %{IP:ip}", False, "from 12:00:00", None),
    ("from %{IPV4:ip}", False, "from 2001:db8::1", None),
    ("from %{IPV6:ip}", False, "from 192.0.2.1", None),
    ("at %{HOSTNAME:h}.", False, "at mail.example.org.", {"h": "mail.example.org"}),
    ("to %{HOSTPORT:hp}", False, "to [2001:db8::1]:443", {"hp": "[2001:db8::1]:443"}),
    ("to %{HOSTPORT:hp}", False, "to db1.example.org:5432", {"hp": "db1.example.org:5432"}),
    ("mail %{EMAIL:e}", False, "mail alice+tag@example.org", {"e": "alice+tag@example.org"}),
    ("open %{PATH:p} failed", False, "open /var/www/html/favicon.ico failed",
     {"p": "/var/www/html/favicon.ico"}),
    ("open %{PATH:p}", False, r"open C:\Windows\system32", {"p": r"C:\Windows\system32"}),
    ("get %{URI:u}", False, "get https://example.org/a?b=c#d", {"u": "https://example.org/a?b=c#d"}),
    ("hw %{MAC:m}", False, "hw 52:54:00:12:34:ab", {"m": "52:54:00:12:34:ab"}),
    ("hw %{MAC:m}", False, "hw 5254.0012.34ab", {"m": "5254.0012.34ab"}),
    ("hw %{MAC:m}", False, "hw 52:54:00:12:34", None),
    ("req %{QS:r}", False, 'req "GET / HTTP/1.1"', {"r": "GET / HTTP/1.1"}),
    ("req %{QS:r}", False, "req 'exit-code'", {"r": "exit-code"}),
    ("req %{QS:r}", False, r'req "say \"hi\""', {"r": r"say \"hi\""}),
    ("req %{QS:r:int}", False, 'req "42"', {"r": 42}),
    ("req %{QS}", False, 'req "x"', {}),
    ("unit %{UNIT:u} failed", False, "unit getty@tty1.service failed", {"u": "getty@tty1.service"}),
    ("%{QUEUEID:q}: removed", False, "4F9D195432: removed", {"q": "4F9D195432"}),
    ("%{QUEUEID:q}: removed", False, "4Vb2Tq0xYzz9sQm: removed", {"q": "4Vb2Tq0xYzz9sQm"}),
    ("%{QUEUEID:q}: removed", False, "NOQUEUE: removed", None),
    ("[%{LEVEL:l}]", False, "[WARN]", {"l": "WARN"}),
    ("%{DATETIME:t} x", False, "2024/05/01 12:00:00 x", {"t": "2024/05/01 12:00:00"}),
    ("%{DATETIME:t} x", False, "2024-05-01T12:00:00.123+02:00 x",
     {"t": "2024-05-01T12:00:00.123+02:00"}),
    ("[%{HTTPDATE:t}]", False, "[01/May/2024:12:00:00 +0000]", {"t": "01/May/2024:12:00:00 +0000"}),
    ("id %{UUID:u}", False, "id 123e4567-e89b-12d3-a456-426614174000",
     {"u": "123e4567-e89b-12d3-a456-426614174000"}),
    ("%{KTIME}Linux %{WORD:w}", False, "[    0.000000] Linux up", {"w": "up"}),
    ("%{KTIME}Linux %{WORD:w}", False, "Linux up", {"w": "up"}),
    ("if %{IFACE:i}: up", False, "if enp3s0: up", {"i": "enp3s0"}),
    ("%{PAMMODULE:m}(sshd:auth)", False, "pam_unix(sshd:auth)", {"m": "pam_unix"}),
    # literal text: metacharacters are literal, whitespace runs are flexible
    ("a.b (c) [d] *e? +f $g ^h |i {2} \\j", False, "a.b (c) [d] *e? +f $g ^h |i {2} \\j", {}),
    ("a.b", False, "axb", None),
    ("a b", False, "a \t  b", {}),
    ("a b", False, "ab", None),
    # anchored to the whole message; surrounding whitespace tolerated
    ("foo", False, "foo bar", None),
    ("foo", False, "xfoo", None),
    ("foo %{INT:n}", False, "  foo 1  \n", {"n": "1"}),
    # raw regex, with placeholders and named groups
    (r"Invalid user %{DATA:user} from %{IP:ip}(?: port %{PORT:port:int})?", True,
     "Invalid user admin from 192.0.2.1", {"user": "admin", "ip": "192.0.2.1"}),
    (r"Invalid user %{DATA:user} from %{IP:ip}(?: port %{PORT:port:int})?", True,
     "Invalid user admin from 192.0.2.1 port 22", {"user": "admin", "ip": "192.0.2.1", "port": 22}),
    (r"(?P<how>closed|reset) by %{IP:ip}", True, "reset by 192.0.2.1",
     {"how": "reset", "ip": "192.0.2.1"}),
    (r"n=%{INT:n}?;", True, "n=;", {}),
    (r"(?i)hello %{WORD:w}", True, "HELLO world", {"w": "world"}),
    (r"cost \%{x}", True, "cost %{x}", {}),
]


@pytest.mark.parametrize(("pattern", "raw", "line", "expected"), VECTORS)
def test_vectors(pattern: str, raw: bool, line: str, expected: dict[str, object] | None) -> None:
    compiled = compile_pattern(pattern, raw=raw)
    assert compiled.match(line) == expected
    if expected is not None:  # the prefilter must never reject a line the regex accepts
        assert compiled.could_match(line.strip())


ERRORS = [
    ("x %{FOO:bar}", False, "unknown placeholder type 'FOO'"),
    ("%{INT:a} %{WORD:a}", False, "duplicate field name 'a'"),
    (r"(?P<a>x) %{INT:a}", True, "duplicate field name 'a'"),
    ("%{INT:a:bool}", False, "unknown conversion 'bool'"),
    ("%{INT:a-b}", False, "bad field name"),
    ("%{INT:a:int:x}", False, "bad placeholder"),
    ("%{}", False, "bad placeholder"),
    ("x %{INT", False, "unclosed or malformed"),
    ("(unbalanced %{INT:n}", True, "invalid regular expression"),
    ("   ", False, "pattern is empty"),
]


@pytest.mark.parametrize(("pattern", "raw", "message"), ERRORS)
def test_errors(pattern: str, raw: bool, message: str) -> None:
    with pytest.raises(PatternError, match=None) as info:
        compile_pattern(pattern, raw=raw)
    assert message in str(info.value)


PREFILTERS = [
    ("Failed password for %{USER:user}", False, "Failed", "password"),
    ("%{IP:ip} - %{WORD:x} connected", False, "", "connected"),
    ("(root) CMD (%{GREEDYDATA:c})", False, "(root)", "CMD"),
    ("Accepted %{WORD:m} for", True, "Accepted ", " for"),
    (r"^foo\.bar{2}x", True, "foo.ba", "x"),
    (r"ab?c", True, "a", "c"),
    (r"abc|def", True, "", ""),
    (r"(?i)abc", True, "", ""),
    (r"(?:x|y)z%{INT}lit\d+more", True, "", "more"),
    (r"\x41BC[de]fgh", True, "", "fgh"),  # \x41 is not taken for literal "41"
    (r"Sep\{2\}end", True, "Sep{2}end", ""),
    (r"word{2,3}s", True, "wor", "s"),
]


@pytest.mark.parametrize(("pattern", "raw", "prefix", "required"), PREFILTERS)
def test_prefilter_texts(pattern: str, raw: bool, prefix: str, required: str) -> None:
    compiled = compile_pattern(pattern, raw=raw)
    assert compiled.literal_prefix == prefix
    assert compiled.required_text == required


def test_fields_listed_in_order() -> None:
    compiled = compile_pattern(r"%{WORD:a} (?P<b>x) %{INT:c:int}", raw=True)
    assert compiled.fields == ("a", "c", "b")
    assert compiled.match("w x 3") == {"a": "w", "b": "x", "c": 3}


@pytest.mark.parametrize(("pattern", "line"), [
    (r"(a+)+$", "a" * 20000 + "b"),
    (r"(a|aa)+$", "a" * 40 + "b"),
])
def test_catastrophic_backtracking_times_out(pattern: str, line: str) -> None:
    compiled = compile_pattern(pattern, raw=True)
    start = time.perf_counter()
    with pytest.raises(TimeoutError):
        compiled.match(line, timeout=0.05)
    assert time.perf_counter() - start < 2.0


def test_every_type_compiles_alone_and_matches_its_own_kind() -> None:
    samples = {
        "INT": "-42", "NUMBER": "3.14", "BASE16NUM": "0x1F", "WORD": "abc_1", "NOTSPACE": "a/b:c",
        "DATA": "", "GREEDYDATA": "any thing", "SPACE": "  ", "IPV4": "192.0.2.1",
        "IPV6": "2001:db8::1", "IP": "192.0.2.1", "HOSTNAME": "a.example.org",
        "IPORHOST": "example.org", "PORT": "8080", "HOSTPORT": "192.0.2.1:80", "USER": "www-data",
        "EMAIL": "a@example.org", "PATH": "/etc/passwd", "URI": "http://x/y", "URIPATH": "/a/b",
        "URIPATHPARAM": "/a?b=1", "MAC": "00:11:22:33:44:55", "QS": '"q"', "UUID":
        "123e4567-e89b-12d3-a456-426614174000", "LEVEL": "error", "UNIT": "nginx.service",
        "QUEUEID": "4F9D195432", "PAMMODULE": "pam_unix", "IFACE": "eth0",
        "DATETIME": "2024-05-01 12:00:00", "HTTPDATE": "01/May/2024:12:00:00 +0000",
        "KTIME": "[1.5] ",
    }
    assert set(samples) == set(TYPES), "add a sample for each new type"
    for name, sample in samples.items():
        compiled = compile_pattern(f"<%{{{name}:v}}>")
        got = compiled.match(f"<{sample}>")
        assert got is not None, name


def test_docs_list_every_type() -> None:
    text = (DOCS / "services.md").read_text()
    begin, end = "<!-- types:begin -->\n", "<!-- types:end -->"
    table = text[text.index(begin) + len(begin):text.index(end)]
    assert table == types_markdown(), "regenerate the table in docs/services.md"
