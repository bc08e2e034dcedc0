"""Pure text helpers: strip control codes, cut at byte limits without breaking UTF-8, pack lines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# IRC formatting: colour \x03[fg[,bg]], hex colour \x04[rrggbb[,rrggbb]], then single codes.
_COLOUR = re.compile(r"\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?")
# C0 and C1 controls, DEL, bidi overrides/isolates, zero-width and line/paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
ELLIPSIS = "…"
# What a server adds in front of our line when relaying it: ":nick!user@host " (RFC limits:
# nick 30, user 10, host 63, plus punctuation). Used to keep relayed lines under 512 bytes.
PREFIX_BUDGET = 1 + 30 + 1 + 10 + 1 + 63 + 1
IRC_LINE = 512


def sanitize(text: object, limit: int = 400) -> str:
    """Text safe to send or store: no IRC formatting, no control characters, at most limit chars."""
    s = text if isinstance(text, str) else str(text)
    s = s[: limit * 4]  # bound the work on hostile input before the regexes run
    s = _COLOUR.sub("", s)
    s = _CONTROL.sub(" ", s)
    s = _SPACES.sub(" ", s).strip()
    if len(s) > limit:
        s = s[: max(limit - 1, 0)].rstrip() + ELLIPSIS
    return s


def utf8_len(text: str) -> int:
    """Length of text in UTF-8 bytes."""
    return len(text.encode("utf-8", "replace"))


def cut_bytes(text: str, max_bytes: int) -> str:
    """The longest prefix of text that fits in max_bytes of UTF-8 (never half a character)."""
    data = text.encode("utf-8", "replace")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore")


def split_bytes(text: str, max_bytes: int) -> list[str]:
    """Split text into pieces of at most max_bytes UTF-8 bytes, at spaces where possible."""
    max_bytes = max(max_bytes, 4)
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if utf8_len(rest) <= max_bytes:
            pieces.append(rest)
            break
        head = cut_bytes(rest, max_bytes)
        space = head.rfind(" ")
        if space > len(head) // 2:
            head = head[:space]
        pieces.append(head.rstrip())
        rest = rest[len(head):].lstrip()
    return pieces


def text_budget(command: str, target: str) -> int:
    """Bytes of text that fit in "COMMAND target :text" once the server prefixes our mask."""
    overhead = PREFIX_BUDGET + utf8_len(f"{command} {target} :") + 2
    return IRC_LINE - overhead


def pack(items: Sequence[str], max_bytes: int, max_lines: int, sep: str = " · ") -> list[str]:
    """Join items into at most max_lines lines of max_bytes; cut the rest to "… and N more"."""
    lines: list[str] = []
    current = ""
    for index, item in enumerate(items):
        for part, piece in enumerate(split_bytes(item, max_bytes)):
            joined = f"{current}{sep}{piece}" if current else piece
            if utf8_len(joined) <= max_bytes:
                current = joined
                continue
            lines.append(current)
            current = piece
            if len(lines) >= max_lines:
                # Items not shown at all; an item cut in the middle just gets the ellipsis.
                hidden = len(items) - index - (1 if part else 0)
                return _cut(lines, hidden, max_bytes, max_lines, sep)
    if current:
        lines.append(current)
    return lines


def _cut(lines: list[str], remaining: int, max_bytes: int, max_lines: int,
         sep: str) -> list[str]:
    """Keep max_lines lines, the last ending with "… and N more" (whole items dropped for room)."""
    lines = lines[:max_lines]
    parts = lines[-1].split(sep)

    def tail(n: int) -> str:
        return f" {ELLIPSIS} and {n} more" if n else f" {ELLIPSIS}"

    while len(parts) > 1 and utf8_len(sep.join(parts) + tail(remaining)) > max_bytes:
        parts.pop()
        remaining += 1
    last = cut_bytes(sep.join(parts), max_bytes - utf8_len(tail(remaining))).rstrip()
    lines[-1] = last + tail(remaining)
    return lines


def reply_lines(nick: str, channel: str | None, items: Sequence[str], max_lines: int) -> list[str]:
    """Raw lines answering nick: in a channel PRIVMSG "nick: …", in private NOTICE (bot-safe)."""
    nick = sanitize(nick, 30)
    command, target = ("PRIVMSG", channel) if channel else ("NOTICE", nick)
    lead = f"{nick}: " if channel else ""
    budget = text_budget(command, target) - utf8_len(lead)
    lines = pack([sanitize(i, 1000) for i in items], budget, max_lines)
    return [f"{command} {target} :{lead}{line}" for line in lines]


def normal_word(word: str) -> str:
    """A status word as typed ("Degraded performance", "major-outage") in its stored form."""
    return _SPACES.sub("_", word.strip().lower()).replace("-", "_")


def match_choice(word: str, choices: Iterable[str]) -> str | None:
    """The choice equal to word, or the only one it is a prefix of (2+ letters); else None."""
    options = list(choices)
    key = normal_word(word)
    if key in options:
        return key
    if len(key) < 2:
        return None
    found = [c for c in options if c.startswith(key)]
    return found[0] if len(found) == 1 else None
