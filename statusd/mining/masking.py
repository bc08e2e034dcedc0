"""Masking: replace the parts of a message that are obviously variable with ``<*>``, first.

One compiled alternation does the whole job in one left-to-right scan. Where two kinds could
start at the same place, the earlier one in ``MASKS`` wins, so long forms (timestamps, URLs,
addresses with ports) come before the catch-all for words that contain a digit.
"""

from __future__ import annotations

import re

WILDCARD = "<*>"
MAX_LENGTH = 4096  # characters of a message that are mined; the rest is dropped

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_TIME = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
_ZONE = r"(?:Z|[+-]\d{2}:?\d{2}\b)"
_HEX4 = r"[0-9A-Fa-f]{1,4}"
_V6 = rf"(?:{_HEX4}|:)(?::(?:{_HEX4})?){{1,7}}(?:%[\w.]+)?"
_TLDS = ("com|net|org|edu|gov|mil|int|io|info|biz|local|localdomain|lan|home|internal|intra|"
         "corp|example|test|invalid|arpa|de|fr|uk|eu|us|nl|be|ch|at|it|es|se|no|fi|dk|pl|ru|"
         "cn|jp|kr|in|br|au|ca")

# (name, regex) in priority order. A quoted string keeps its quotes: only the inside is masked.
MASKS: tuple[tuple[str, str], ...] = (
    ("timestamp", rf"(?<![\w.:])(?:"
                  rf"\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]{_TIME}{_ZONE}?)?"      # ISO 8601
                  rf"|\d{{4}}/\d{{2}}/\d{{2}}(?: {_TIME})?"                # 2024/05/01 12:00:00
                  rf"|\d{{2}}/{_MONTH}/\d{{4}}(?::{_TIME}(?: [+-]\d{{4}})?)?"  # access logs
                  rf"|(?:{_WEEKDAY},? )?{_MONTH} +\d{{1,2}},?(?: \d{{4}})? {_TIME}(?: \d{{4}})?"
                  rf"|\d{{2}}/\d{{2}}/\d{{2,4}} {_TIME}"                     # 17/06/09 20:10:40
                  rf"|{_TIME}{_ZONE}?"
                  rf")(?![\w:])"),
    ("url", r"\b[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s\"'<>]+"),
    ("email", r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    ("uuid", r"\b[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}\b"),
    ("ipv6", rf"(?<![\w:.])(?=\[?[0-9A-Fa-f:]*::|\[?(?:{_HEX4}:){{5}})"
             rf"(?:\[{_V6}\](?::\d{{1,5}})?|{_V6}(?![\w:]))"),
    ("ipv4", r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w]|\.\d)"),
    ("hostname", rf"(?<![\w.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:{_TLDS})"
                 r"(?::\d{1,5})?(?![\w-]|\.\w)"),
    ("path", r"(?<![\w.~/\\])(?:~|\.{1,2})?(?:/[\w.@%+~=,:-]+)+/?|\b[A-Za-z]:\\[^\s\"']*"),
    ("dquoted", r'(?<![\w"])(?P<dq>")(?:[^"\\\n]|\\.){0,512}(?P<dq2>")'),
    ("squoted", r"(?<![\w'])(?P<sq>')(?:[^'\\\n]|\\.){0,512}(?P<sq2>')(?!\w)"),
    ("hex", r"\b(?:0[xX][0-9A-Fa-f]+|[A-Fa-f]{12,})\b"),
    ("number", r"[\w.-]*\d(?:[\w.-]*\w)?"),  # numbers, and any word that contains a digit
)

_PER_TOKEN = tuple((name, body) for name, body in MASKS if not name.endswith("quoted"))
_MASK = re.compile("|".join(f"(?:{body})" for _, body in _PER_TOKEN))
_TIMESTAMP = re.compile(dict(MASKS)["timestamp"])
_QUOTED = re.compile(f"(?:{dict(MASKS)['dquoted']})|(?:{dict(MASKS)['squoted']})")
_QUOTED_REPLACEMENT = rf"\g<dq>\g<sq>{WILDCARD}\g<dq2>\g<sq2>"
_ALL_VARIABLE = re.compile(r"[\w-]*\d(?:[\w.-]*\w)?")  # the common case: an id or a number
_CACHE_LIMIT = 50_000
_TIME_HINT = re.compile(r"\d:\d\d")  # every multi-word timestamp has one


class Masker:
    """Masks messages; remembers how each distinct token masks (a bounded cache)."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def tokens(self, message: str) -> list[str]:
        """The masked message split on whitespace."""
        if len(message) > MAX_LENGTH:
            message = message[:MAX_LENGTH]
        if ":" in message and _TIME_HINT.search(message):
            message = _TIMESTAMP.sub(WILDCARD, message)
        if '"' in message or "'" in message:
            message = _QUOTED.sub(_QUOTED_REPLACEMENT, message)
        get = self._cache.get
        return [get(token) or self._mask_token(token) for token in message.split()]

    def _mask_token(self, token: str) -> str:
        """Mask one token, and remember the result unless it is all variable."""
        if _ALL_VARIABLE.fullmatch(token):
            return WILDCARD  # not cached: such tokens rarely repeat
        masked = _MASK.sub(WILDCARD, token)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = masked
        return masked


_DEFAULT = Masker()


def mask_tokens(message: str) -> list[str]:
    """The masked message split on whitespace."""
    return _DEFAULT.tokens(message)


def mask(message: str) -> str:
    """The message with its variable-looking parts replaced by <*> (quotes kept), space-joined."""
    return " ".join(_DEFAULT.tokens(message))


def kind_of(value: str) -> str | None:
    """The name of the first mask that covers the whole value, or None."""
    for name, body in MASKS:
        if re.fullmatch(body, value):
            return name
    return None
