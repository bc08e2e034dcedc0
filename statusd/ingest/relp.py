"""RELP, rsyslog's Reliable Event Logging Protocol: pure frame parser, encoder and server session.

A frame is ``TXNR SP COMMAND SP DATALEN [SP DATA] LF``. A client opens the session with
``open`` (offers: ``relp_version``, ``relp_software``, ``commands=syslog``), then sends many
``syslog`` commands before it reads any answer (its window). The server must answer every
command with ``TXNR rsp DATALEN 200 OK`` (or ``500 ...``) in the order the commands came.

Here a ``syslog`` command is answered only when the caller says its message is stored
(:meth:`RelpSession.acknowledge`), so an answer that is ready waits for the earlier ones. The
session never does I/O: it takes received bytes and returns the messages to store, and it
gives back the bytes to send (:meth:`RelpSession.output`).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["Delivery", "Frame", "FrameParser", "RelpSession", "SessionState", "encode"]

MAX_TXNR = 999_999_999
RELP_VERSION = 1  # versions 0 (what librelp announces) and 1 frame alike; answer the lower one
HINT_TXNR = 0  # reserved for hints, which are never answered
MIN_FRAME = 4096  # data kept of any command (open offers), whatever the message size limit
LF = 0x0A

_HEADER = re.compile(rb"([0-9]{1,9}) ([A-Za-z]{1,32}) ([0-9]{1,9})([ \n])")
# What a header can look like while its end has not arrived yet.
_PARTIAL = re.compile(
    rb"[0-9]{0,9}|[0-9]{1,9} [A-Za-z]{0,32}|[0-9]{1,9} [A-Za-z]{1,32} [0-9]{0,9}"
)
_TXNR = re.compile(rb"([0-9]{1,9}) ")

_S_HEADER = 0  # at a frame boundary
_S_DATA = 1  # collecting the kept part of DATA
_S_SKIP = 2  # dropping what DATA has beyond max_data
_S_TRAILER = 3  # expecting the LF after DATA


@dataclass(frozen=True, slots=True)
class Frame:
    """One RELP frame; data is cut to the parser's max_data (truncated says so)."""

    txnr: int
    command: str
    data: bytes = b""
    truncated: bool = False


def encode(txnr: int, command: str, data: bytes = b"") -> bytes:
    """One frame on the wire."""
    head = f"{txnr} {command} {len(data)}".encode("ascii")
    return head + b" " + data + b"\n" if data else head + b"\n"


class FrameParser:
    """Incremental frame parser with bounded memory; stops for good at the first framing error."""

    # Between two feed() calls it holds at most max(max_data + 1, 52) bytes, whatever the peer
    # announces: the part of DATA beyond max_data is read and thrown away.

    def __init__(self, max_data: int = 128 * 1024) -> None:
        if max_data < 1:
            raise ValueError("max_data must be at least 1")
        self.max_data = max_data
        self.error: str | None = None  # set once; the stream cannot be resynchronised
        self.error_txnr = HINT_TXNR  # the txnr of the bad frame, when it got that far
        self._buf = bytearray()
        self._state = _S_HEADER
        self._txnr = 0
        self._command = ""
        self._length = 0  # DATALEN as announced
        self._keep = 0  # bytes of DATA kept
        self._skip = 0  # bytes of DATA still to drop
        self._data = b""

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return the frames they complete, in order."""
        if self.error is not None:
            return []
        buf = self._buf
        buf += data
        frames: list[Frame] = []
        end = len(buf)
        pos = 0
        while pos < end:
            state = self._state
            if state == _S_HEADER:
                m = _HEADER.match(buf, pos)
                if m is None:
                    if not _PARTIAL.fullmatch(buf, pos):
                        t = _TXNR.match(buf, pos)
                        self._fail("malformed frame header", int(t[1]) if t else HINT_TXNR)
                        return frames
                    break  # wait for the rest of the header
                txnr, length = int(m[1]), int(m[3])
                pos = m.end()
                if m[4][0] == LF:
                    if length:
                        self._fail("frame ends before its data", txnr)
                        return frames
                    frames.append(Frame(txnr, m[2].decode("ascii")))
                    continue
                self._txnr, self._command, self._length = txnr, m[2].decode("ascii"), length
                self._keep = min(length, self.max_data)
                self._state = _S_DATA
            elif state == _S_DATA:
                keep = self._keep
                if end - pos < keep:
                    break
                self._data = bytes(buf[pos : pos + keep])
                pos += keep
                self._skip = self._length - keep
                self._state = _S_SKIP if self._skip else _S_TRAILER
            elif state == _S_SKIP:
                take = min(self._skip, end - pos)
                pos += take
                self._skip -= take
                if not self._skip:
                    self._state = _S_TRAILER
            else:  # _S_TRAILER
                if buf[pos] != LF:
                    self._fail("frame not ended by LF (bad DATALEN?)", self._txnr)
                    return frames
                pos += 1
                frames.append(Frame(self._txnr, self._command, self._data,
                                    self._length > self._keep))
                self._data = b""
                self._state = _S_HEADER
        del buf[:pos]
        return frames

    def _fail(self, reason: str, txnr: int) -> None:
        self.error = reason
        self.error_txnr = txnr
        self._buf.clear()


class SessionState(Enum):
    """Where a server session stands."""

    AWAITING_OPEN = "awaiting_open"  # nothing but "open" is accepted yet
    OPEN = "open"  # syslog commands flow
    CLOSING = "closing"  # no more commands taken; answering those already taken
    CLOSED = "closed"  # everything answered (or the connection is gone): close the transport


@dataclass(eq=False, slots=True)
class _Answer:
    """A place in the answer order; frame stays None until the answer is known."""

    txnr: int
    frame: bytes | None = None
    last: bool = False  # the session ends once this is sent


@dataclass(eq=False, slots=True)
class Delivery:
    """A syslog message taken from the session; acknowledge() it once it is stored."""

    txnr: int
    data: bytes
    truncated: bool = False
    answer: _Answer = field(default_factory=lambda: _Answer(0), repr=False)


class RelpSession:
    """The server side of one RELP connection, without I/O: bytes in, messages and answers out."""

    def __init__(self, max_data: int = 128 * 1024, software: str = "statusd") -> None:
        self.parser = FrameParser(max(max_data, MIN_FRAME))
        self.max_data = max_data  # longest syslog message kept; longer ones are cut
        self.software = software
        self.state = SessionState.AWAITING_OPEN
        self.error: str | None = None  # why the session was aborted
        self._answers: deque[_Answer] = deque()
        self._out = bytearray()

    @property
    def outstanding(self) -> int:
        """Commands taken but not answered yet (the ones waiting for storage and those behind)."""
        return len(self._answers)

    @property
    def finished(self) -> bool:
        """True once the last answer has been taken by output(): close the connection."""
        return self.state is SessionState.CLOSED and not self._out

    def receive(self, data: bytes) -> list[Delivery]:
        """Take received bytes; return the syslog messages they complete, in order."""
        if self.state is SessionState.CLOSING or self.state is SessionState.CLOSED:
            return []  # a client that sent close must send nothing more; an aborted stream is
        deliveries: list[Delivery] = []
        for frame in self.parser.feed(data):
            if self.state is not SessionState.OPEN and self.state is not SessionState.AWAITING_OPEN:
                break
            delivery = self._command(frame)
            if delivery is not None:
                deliveries.append(delivery)
        error = self.parser.error
        if error is not None and self.state in (SessionState.AWAITING_OPEN, SessionState.OPEN):
            self._abort(self.parser.error_txnr, error)
        self._flush()
        return deliveries

    def acknowledge(self, delivery: Delivery, ok: bool = True) -> None:
        """The message is stored (ok) or refused for good: its answer may now be sent."""
        answer = delivery.answer
        if answer.frame is not None or self.state is SessionState.CLOSED:
            return
        answer.frame = encode(answer.txnr, "rsp", b"200 OK" if ok else b"500 not stored")
        self._flush()

    def shutdown(self) -> None:
        """The server is stopping: take no more commands; send serverclose after the answers."""
        if self.state is SessionState.AWAITING_OPEN or self.state is SessionState.OPEN:
            self.state = SessionState.CLOSING
            self._answers.append(_Answer(HINT_TXNR, encode(HINT_TXNR, "serverclose"), last=True))
            self._flush()

    def lost(self) -> None:
        """The connection is gone: nothing more will be sent."""
        self.state = SessionState.CLOSED
        self._answers.clear()
        self._out.clear()

    def output(self) -> bytes:
        """The bytes to send now (answers that are ready, in order); empty when none."""
        if not self._out:
            return b""
        out = bytes(self._out)
        self._out.clear()
        return out

    def _command(self, frame: Frame) -> Delivery | None:
        cmd, txnr = frame.command, frame.txnr
        if txnr == HINT_TXNR:
            if cmd in ("open", "syslog", "close"):
                self._abort(txnr, f"{cmd} needs a transaction number")
            return None  # hints are never answered; unknown ones are ignored
        if self.state is SessionState.AWAITING_OPEN:
            if cmd == "open":
                self._open(frame)
            else:
                self._abort(txnr, "session not open")
            return None
        if cmd == "syslog":
            answer = _Answer(txnr)
            self._answers.append(answer)
            data, cut = frame.data, frame.truncated
            if len(data) > self.max_data:
                data, cut = data[: self.max_data], True
            return Delivery(txnr, data, cut, answer)
        if cmd == "close":
            self._answers.append(_Answer(txnr, encode(txnr, "rsp", b"200 OK"), last=True))
            self.state = SessionState.CLOSING
        elif cmd == "open":  # a second open is harmless: answer it again
            self._open(frame)
        else:
            self._answers.append(_Answer(txnr, encode(txnr, "rsp", b"500 command not supported")))
        return None

    def _open(self, frame: Frame) -> None:
        offers: dict[bytes, bytes] = {}
        for line in frame.data.split(b"\n"):
            name, _, value = line.partition(b"=")
            if name.strip():
                offers[name.strip()] = value.strip()
        version = offers.get(b"relp_version", b"")
        if not version.isdigit():
            self._abort(frame.txnr, "relp_version offer missing")
            return
        if b"syslog" not in offers.get(b"commands", b"").split(b","):
            self._abort(frame.txnr, "required command syslog not offered")
            return
        answer = (b"200 OK\nrelp_version=%d\nrelp_software=%s\ncommands=syslog"
                  % (min(int(version), RELP_VERSION), self.software.encode("ascii", "replace")))
        self._answers.append(_Answer(frame.txnr, encode(frame.txnr, "rsp", answer)))
        self.state = SessionState.OPEN

    def _abort(self, txnr: int, reason: str) -> None:
        """Answer 500 (after the answers already due), hint serverclose, then close."""
        self.error = reason
        self.state = SessionState.CLOSING
        frame = encode(txnr, "rsp", b"500 " + reason.encode("ascii")) if txnr else b""
        self._answers.append(_Answer(txnr, frame + encode(HINT_TXNR, "serverclose"), last=True))

    def _flush(self) -> None:
        answers = self._answers
        while answers:
            answer = answers[0]
            if answer.frame is None:
                break  # not stored yet: everything behind it waits
            answers.popleft()
            self._out += answer.frame
            if answer.last:
                self.state = SessionState.CLOSED
                answers.clear()
                break
