"""Feed files (or stdin) through the full pipeline in batches, with a progress bar."""

from __future__ import annotations

import gzip
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from statusd.ingest.pipeline import Pipeline, RawLine


@dataclass
class IngestResult:
    """What an ingest run did."""

    lines: int = 0
    unknown: int = 0
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Lines per second."""
        return self.lines / self.seconds if self.seconds > 0 else 0.0


def _open(path: str) -> tuple[IO[bytes], int | None]:
    if path == "-":
        return sys.stdin.buffer, None
    p = Path(path)
    size = p.stat().st_size
    if p.suffix == ".gz":
        return gzip.open(p, "rb"), None
    return p.open("rb"), size


def _lines(fh: IO[bytes], max_line: int) -> Iterator[bytes]:
    for raw in fh:
        line = raw.rstrip(b"\r\n")
        if line.strip():
            yield line[:max_line]


def ingest_files(
    pipeline: Pipeline, paths: Sequence[str], *, fmt: str = "auto", device: str | None = None,
    batch_size: int = 2000, progress: bool = True, max_line: int = 65536,
) -> IngestResult:
    """Send every line of every file through the pipeline; one transaction per batch."""
    from tqdm import tqdm

    result = IngestResult(files=list(paths))
    unknown_before = pipeline.metrics.unknown.total()
    start = time.perf_counter()
    for path in paths:
        fh, size = _open(path)
        name = "stdin" if path == "-" else Path(path).name
        bar = tqdm(total=size, unit="B", unit_scale=True, desc=name, disable=not progress,
                   file=sys.stderr, leave=True, mininterval=0.5)
        transport = "stdin" if path == "-" else "file"
        try:
            batch: list[RawLine] = []
            done_bytes = 0
            now = datetime.now(UTC)
            for line in _lines(fh, max_line):
                if not batch:
                    now = datetime.now(UTC)
                batch.append(RawLine(line, now, None, transport, fmt, device))
                done_bytes += len(line) + 1
                if len(batch) >= batch_size:
                    result.lines += pipeline.process_batch(batch)
                    batch = []
                    if size is not None:
                        bar.update(min(done_bytes, size) - bar.n)
            result.lines += pipeline.process_batch(batch)
            if size is not None:
                bar.update(size - bar.n)
        finally:
            bar.close()
            if fh is not sys.stdin.buffer:
                fh.close()
    result.seconds = time.perf_counter() - start
    result.unknown = int(pipeline.metrics.unknown.total() - unknown_before)
    return result
