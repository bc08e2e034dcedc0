"""The queue between listeners and stage 1: chunks in, chunks out, bounded in lines and bytes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from statusd.ingest.listeners import LineQueue
from statusd.ingest.pipeline import RawLine
from statusd.metrics import Registry
from tests.ingest.test_hostile import connect

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def raw(*datas: bytes) -> list[RawLine]:
    return [RawLine(d, T0, "192.0.2.1:1", "tcp") for d in datas]


def test_a_chunk_goes_in_as_far_as_it_fits_by_count() -> None:
    q = LineQueue(5, Registry())
    assert q.offer_many(raw(b"a", b"b", b"c")) == 3
    assert q.offer_many(raw(b"d", b"e", b"f")) == 2
    assert q.qsize() == 5 and q.queue.full() and not q.offer(raw(b"g")[0])
    assert [[x.data for x in c] for c in q.take(4)] == [[b"a", b"b", b"c"], [b"d"]]
    assert q.qsize() == 1 and q.queue.bytes == 1
    assert q.queue.get_nowait().data == b"e" and q.queue.empty()


def test_a_chunk_goes_in_as_far_as_it_fits_by_bytes() -> None:
    q = LineQueue(100, Registry(), max_bytes=10)
    assert q.offer_many(raw(b"1234", b"5678", b"90ab", b"cdef")) == 3  # 8 < 10: one more
    assert q.queue.bytes == 12 and q.queue.full()
    assert q.offer_many(raw(b"x")) == 0
    q.take(100)
    assert q.queue.bytes == 0 and q.offer_many(raw(b"y" * 50, b"z")) == 1  # empty: takes one
    assert q.queue.get_nowait().data == b"y" * 50


def test_take_cuts_a_chunk_and_keeps_the_rest_in_order() -> None:
    q = LineQueue(100, Registry())
    q.offer_many(raw(b"a", b"b", b"c", b"d"))
    q.offer(raw(b"e")[0])
    assert [[x.data for x in c] for c in q.take(2)] == [[b"a", b"b"]]
    assert [[x.data for x in c] for c in q.take(10)] == [[b"c", b"d"], [b"e"]]
    assert q.qsize() == 0 and q.queue.bytes == 0


def test_wait_put_wakes_on_a_put_and_times_out_otherwise() -> None:
    async def go() -> None:
        q = LineQueue(10, Registry())
        assert not await q.wait_put(0.01)
        waiter = asyncio.create_task(q.wait_put(5))
        await asyncio.sleep(0)
        q.offer_many(raw(b"a"))
        assert await waiter
        assert (await q.queue.get()).data == b"a"

    asyncio.run(go())


def test_a_frame_cut_by_the_shutdown_is_not_taken() -> None:
    async def go() -> None:
        metrics = Registry()
        queue = LineQueue(10, metrics)
        proto, _transport = connect(queue, metrics)
        proto.data_received(b"whole line\nhalf a li")
        queue.stop_reading()
        proto.connection_lost(None)  # the idle timer or the process exit closes it
        assert [x.data for c in queue.take(10) for x in c] == [b"whole line"]
        assert metrics.received.value(transport="tcp") == 1

    asyncio.run(go())
