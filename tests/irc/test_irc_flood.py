"""The token bucket on an injected clock, and the sender queue."""

from __future__ import annotations

import asyncio

from statusd.irc.flood import Sender, TokenBucket


def test_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=1.0, burst=4, now=0.0)
    for _ in range(4):
        assert bucket.delay(0.0) == 0
        bucket.take(0.0)
    assert bucket.delay(0.0) == 1.0
    assert bucket.delay(0.5) == 0.5
    assert bucket.delay(1.0) == 0
    bucket.take(1.0)
    assert bucket.delay(100.0) == 0 and bucket.tokens == 4  # never more than the burst


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_sender_paces_lines_and_flush_reports() -> None:
    async def scenario() -> None:
        written: list[tuple[float, str]] = []
        loop = asyncio.get_running_loop()
        start = loop.time()
        sender = Sender(rate=50.0, burst=2, clock=loop.time)
        task = asyncio.create_task(sender.run())
        assert not sender.send("dropped: not connected")
        sender.attach(lambda line: written.append((loop.time() - start, line)))
        for i in range(6):
            assert sender.send(f"line {i}", droppable=False)
        assert await sender.flush(timeout=5)
        assert [line for _t, line in written] == [f"line {i}" for i in range(6)]
        assert written[-1][0] >= 4 / 50 * 0.9  # 2 at once, then 50 a second
        sender.detach()
        assert not sender.send("after detach")
        task.cancel()

    asyncio.run(scenario())


def test_sender_drops_replies_beyond_its_queue_but_not_announcements() -> None:
    async def scenario() -> None:
        sender = Sender(rate=1.0, burst=1, max_queue=3)
        sender.attach(lambda line: None)
        assert [sender.send(str(i)) for i in range(5)] == [True, True, True, False, False]
        assert sender.send("announcement", droppable=False)
        assert sender.dropped == 2

    asyncio.run(scenario())


def test_flush_fails_when_the_connection_is_lost() -> None:
    async def scenario() -> None:
        sender = Sender(rate=0.5, burst=1)
        sender.attach(lambda line: None)
        task = asyncio.create_task(sender.run())
        for i in range(3):
            sender.send(str(i), droppable=False)
        flush = asyncio.create_task(sender.flush(timeout=10))
        await asyncio.sleep(0.05)
        sender.detach()
        assert await flush is False
        task.cancel()

    asyncio.run(scenario())
