"""Split a TCP byte stream into syslog frames (RFC 6587), with bounded memory.

Framing is decided per frame: a frame that starts with ASCII digits followed by a space is
octet-counted (``MSG-LEN SP MSG``), anything else is a line ended by LF or NUL (a CR before
the LF is dropped). Oversized frames are cut to ``max_frame`` bytes, returned, and counted in
``truncated``; the rest of them is read and thrown away, so the framer never holds more than
``max(max_frame, 9) + 1`` bytes between two ``feed()`` calls, whatever the peer sends.

Absurd octet counts (more than 9 digits) cannot be trusted to resynchronise on, so such a frame
is counted in ``invalid`` and ``truncated``, its first ``max_frame`` bytes are returned and the
stream resynchronises at the next LF or NUL.
"""

from __future__ import annotations

import re

__all__ = ["Framer"]

MAX_COUNT_DIGITS = 9  # RFC 6587 does not bound MSG-LEN; more than 9 digits is not a real frame

_START = 0  # at a frame boundary, framing not yet known
_LINE = 1  # inside an LF/NUL-delimited frame
_OCTETS = 2  # inside an octet-counted frame
_SKIP_COUNT = 3  # dropping the rest of an oversized octet-counted frame
_SKIP_LINE = 4  # dropping the rest of an oversized line

_DELIMITER = re.compile(rb"[\n\x00]")
_NOT_DIGIT = re.compile(rb"[^0-9]")
_SP = 0x20
_CR = 0x0D


class Framer:
    """Incremental RFC 6587 framer: feed() bytes as they come, get complete frames back."""

    def __init__(self, max_frame: int = 65536) -> None:
        if max_frame < 1:
            raise ValueError("max_frame must be at least 1")
        self.max_frame = max_frame
        # A digit run longer than this cannot be a usable MSG-LEN: it is the start of a line.
        self._max_digits = max(max_frame, MAX_COUNT_DIGITS)
        self.truncated: int = 0  # frames longer than max_frame (cut and still returned)
        self.invalid: int = 0  # bad octet counts, frames cut short by the peer closing
        self._buf = bytearray()
        self._state = _START
        self._scanned = 0  # bytes of the current frame already searched (digits / delimiter)
        self._need = 0  # _OCTETS: announced length (-1: absurd); _SKIP_COUNT: bytes left to drop

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the frames they complete, in order."""
        buf = self._buf
        buf += data
        frames: list[bytes] = []
        limit = self.max_frame
        end = len(buf)
        pos = 0
        while pos < end:
            state = self._state
            if state == _START:
                after = self._start(buf, pos, end)
                if after == pos and self._state == _START:
                    break  # only digits so far: wait for what follows them
                pos = after
            elif state == _LINE:
                hit = _DELIMITER.search(buf, pos + self._scanned)
                if hit is None:
                    pending = end - pos
                    if pending > limit + 1 or (pending == limit + 1 and buf[-1] != _CR):
                        frames.append(bytes(buf[pos : pos + limit]))
                        self.truncated += 1
                        self._state = _SKIP_LINE
                        self._scanned = 0
                        pos = end
                    else:
                        self._scanned = pending
                    break
                stop = hit.start()
                cut = stop - 1 if stop > pos and buf[stop - 1] == _CR else stop
                if cut - pos > limit:
                    frames.append(bytes(buf[pos : pos + limit]))
                    self.truncated += 1
                elif cut > pos:
                    frames.append(bytes(buf[pos:cut]))
                pos = stop + 1
                self._state = _START
                self._scanned = 0
            elif state == _OCTETS:
                need = self._need
                keep = limit if need < 0 or need > limit else need
                if end - pos < keep:
                    break
                frames.append(bytes(buf[pos : pos + keep]))
                pos += keep
                if need < 0:
                    self.truncated += 1
                    self._state = _SKIP_LINE
                elif need > keep:
                    self.truncated += 1
                    self._need = need - keep
                    self._state = _SKIP_COUNT
                else:
                    self._state = _START
            elif state == _SKIP_COUNT:
                take = min(self._need, end - pos)
                pos += take
                self._need -= take
                if self._need == 0:
                    self._state = _START
            else:  # _SKIP_LINE
                hit = _DELIMITER.search(buf, pos)
                if hit is None:
                    pos = end
                    break
                pos = hit.end()
                self._state = _START
        del buf[:pos]
        return frames

    def flush(self) -> list[bytes]:
        """The connection closed: return what is left of an unterminated frame, and reset."""
        buf = self._buf
        frames: list[bytes] = []
        if buf and self._state in (_START, _LINE):
            line = bytes(buf)
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > self.max_frame:
                line = line[: self.max_frame]
                self.truncated += 1
            if line:
                frames.append(line)
        elif buf and self._state == _OCTETS:
            if self._need >= 0:  # an absurd count was already counted as invalid
                self.invalid += 1
            frames.append(bytes(buf))
        buf.clear()
        self._state = _START
        self._scanned = 0
        self._need = 0
        return frames

    def _start(self, buf: bytearray, pos: int, end: int) -> int:
        """Decide the framing of the frame at pos; return the position after any MSG-LEN SP."""
        hit = _NOT_DIGIT.search(buf, pos + self._scanned)
        if hit is None:
            digits = end - pos
            if digits > self._max_digits:  # can only be an (oversized) line now
                self._state = _LINE
            self._scanned = digits
            return pos
        stop = hit.start()
        digits = stop - pos
        if digits == 0 or digits > self._max_digits or buf[stop] != _SP:
            self._state = _LINE
            self._scanned = digits  # digits are no delimiters: search after them
            return pos
        self._scanned = 0
        if digits > MAX_COUNT_DIGITS:
            self.invalid += 1
            self._need = -1
            self._state = _OCTETS
            return stop + 1
        count = int(buf[pos:stop])
        if count == 0:
            self.invalid += 1  # "0 " announces an empty frame: nothing to return
            return stop + 1
        self._need = count
        self._state = _OCTETS
        return stop + 1
