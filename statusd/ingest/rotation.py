"""The pure side of following files: rotation decisions, line splitting and where to resume.

``next_step`` is the rotation state machine of ``tail -F``: it is given what the follower holds
open and what one look at the path found, and says what to do. ``LineSplitter`` cuts appended
bytes into lines with bounded memory and remembers the file offset after each line.
``resume_offset`` decides where a restarted follower goes on from the saved position.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

__all__ = ["HEAD_BYTES", "FileId", "LineSplitter", "Look", "Position", "Step", "head_hash",
           "next_step", "resume_offset"]

HEAD_BYTES = 256  # the identity of a file's content: its first line, at most this many bytes
_BLANK = b" \t\r\x00"


@dataclass(frozen=True, slots=True)
class FileId:
    """Which file: device and inode."""

    dev: int
    ino: int


@dataclass(frozen=True, slots=True)
class Position:
    """How far a file was read and stored, and what it was."""

    dev: int
    ino: int
    offset: int
    head: str  # head_hash() of the file ("" when its first line was not complete yet)

    @property
    def file(self) -> FileId:
        return FileId(self.dev, self.ino)


@dataclass(frozen=True, slots=True)
class Look:
    """What one look at a followed path found."""

    at_path: FileId | None  # the file the path names now; None: no such file
    open_size: int | None = None  # size of the file held open; None: none held
    head_same: bool = True  # the held file still starts as it did (False: rewritten in place)


class Step(Enum):
    """What the follower does after a look."""

    WAIT = "wait"  # nothing held, no file at the path: look again later
    OPEN = "open"  # nothing held, a file at the path: open it (from the beginning)
    READ = "read"  # the path names the held file: read what was appended
    TRUNCATED = "truncated"  # the held file shrank or was rewritten (copytruncate): from 0
    DRAIN = "drain"  # the path names another file or none: finish reading the held one
    SWITCH = "switch"  # the held, renamed file is read to its end: open the new one
    CLOSE = "close"  # the held file was removed and is read to its end: close, then wait


def next_step(held: FileId | None, offset: int, look: Look, drained: bool) -> Step:
    """The rotation state machine: drained says the last read of the held file found nothing."""
    if held is None:
        return Step.WAIT if look.at_path is None else Step.OPEN
    if look.at_path == held:
        size = look.open_size if look.open_size is not None else offset
        if size < offset or not look.head_same:
            return Step.TRUNCATED
        return Step.READ
    if not drained:
        return Step.DRAIN
    return Step.CLOSE if look.at_path is None else Step.SWITCH


def head_hash(start: bytes) -> str:
    """Hash of a file's first line (or first HEAD_BYTES bytes); "" while that is incomplete."""
    start = start[:HEAD_BYTES]
    end = start.find(b"\n")
    if end >= 0:
        start = start[: end + 1]
    elif len(start) < HEAD_BYTES:
        return ""
    return hashlib.sha256(start).hexdigest()


def resume_offset(saved: Position | None, current: FileId, size: int, head: str,
                  start_at_end: bool) -> int:
    """Where to go on in the file at the path after a restart."""
    if saved is None:
        return size if start_at_end else 0
    if saved.file != current or size < saved.offset:
        return 0  # rotated or truncated while statusd was away: all of it is new
    if saved.head and head and saved.head != head:
        return 0  # same inode, other content (inode reused, or rewritten)
    return saved.offset


class LineSplitter:
    """Cuts bytes into lines (LF, an optional CR before it); bounded by max_line.

    Each line comes with the file offset just after it, so a stored line can be acknowledged
    as a position. Blank lines are skipped, leading NULs (the hole a copytruncate leaves behind
    a writer that does not append) are cut. A line longer than max_line is cut to max_line and
    counted in ``truncated``; the rest of it is skipped.
    """

    def __init__(self, offset: int = 0, max_line: int = 65536):
        self.max_line = max_line
        self.offset = offset  # file offset of the next byte to be fed
        self.truncated = 0
        self._buf = bytearray()
        self._skipping = False  # inside the rest of an oversized line
        self.partial_since: float | None = None  # when the held partial line began

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line held back."""
        return len(self._buf)

    def reset(self, offset: int) -> None:
        """Forget everything held and go on at offset."""
        self._buf.clear()
        self._skipping = False
        self.partial_since = None
        self.offset = offset

    def feed(self, data: bytes, now: float) -> list[tuple[bytes, int]]:
        """Add bytes read at self.offset; return (line, offset after it) for each finished line."""
        out: list[tuple[bytes, int]] = []
        start = self.offset - len(self._buf)  # file offset of buf[0]
        self.offset += len(data)
        if self._skipping:
            cut = data.find(b"\n")
            if cut < 0:
                return out
            self._skipping = False
            start += len(self._buf) + cut + 1
            data = data[cut + 1 :]
        buf = self._buf
        buf += data
        pos = 0
        while True:
            end = buf.find(b"\n", pos)
            if end < 0:
                break
            self._emit(out, buf, pos, end, start + end + 1)
            pos = end + 1
        del buf[:pos]
        start += pos
        if len(buf) > self.max_line:
            self._emit(out, buf, 0, self.max_line, start + len(buf))
            self.truncated += 1
            buf.clear()
            self._skipping = True
        if not buf:
            self.partial_since = None
        elif pos or self.partial_since is None:
            self.partial_since = now
        return out

    def expire(self, now: float, timeout: float) -> list[tuple[bytes, int]]:
        """The unfinished line, taken as it is once it has waited timeout for its newline."""
        if self.partial_since is None or now - self.partial_since < timeout:
            return []
        return self.flush()

    def flush(self) -> list[tuple[bytes, int]]:
        """The unfinished line as it is (the file ends here), and nothing held any more."""
        out: list[tuple[bytes, int]] = []
        if self._buf:
            self._emit(out, self._buf, 0, len(self._buf), self.offset)
        self._buf.clear()
        self.partial_since = None
        return out

    def _emit(self, out: list[tuple[bytes, int]], buf: bytearray, pos: int, end: int,
              after: int) -> None:
        if end - pos > self.max_line:
            end = pos + self.max_line
            self.truncated += 1
        line = bytes(buf[pos:end])
        if line.endswith(b"\r"):
            line = line[:-1]
        if line[:1] == b"\x00":
            line = line.lstrip(b"\x00")
        if line.strip(_BLANK):
            out.append((line, after))
