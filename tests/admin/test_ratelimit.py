"""The login limiter on its own: rates, windows, lockouts, memory bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statusd.web.admin.ratelimit import LoginLimiter, Rate

T0 = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "rate"), [
    ("5/15m", Rate(5, timedelta(minutes=15))),
    ("20/1h", Rate(20, timedelta(hours=1))),
    (" 3 / 90s ", Rate(3, timedelta(seconds=90))),
])
def test_rate_parse(text: str, rate: Rate) -> None:
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["5", "x/15m", "5/soon", "0/15m", "5/0s", "-1/1m", ""])
def test_rate_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        Rate.parse(text)


def limiter(**kw: int) -> LoginLimiter:
    return LoginLimiter(Rate(3, timedelta(minutes=10)), Rate(5, timedelta(minutes=10)),
                        timedelta(minutes=15), **kw)


def test_failures_outside_the_window_do_not_count() -> None:
    lim = limiter()
    for minute in (0, 6, 12, 18):  # never 3 within 10 minutes
        lim.failure("alice", f"192.0.2.{minute}", T0 + timedelta(minutes=minute))
    assert lim.locked_until("alice", "192.0.2.99", T0 + timedelta(minutes=18)) is None


def test_username_locks_then_unlocks() -> None:
    lim = limiter()
    for i in range(3):
        lim.failure("alice", f"192.0.2.{i}", T0 + timedelta(seconds=i))
    until = T0 + timedelta(seconds=2, minutes=15)
    assert lim.locked_until("alice", "198.51.100.1", T0 + timedelta(minutes=1)) == until
    assert lim.locked_until("bob", "198.51.100.1", T0 + timedelta(minutes=1)) is None
    assert lim.locked_until("alice", "198.51.100.1", until) is None


def test_address_locks_every_username() -> None:
    lim = limiter()
    for i in range(5):
        lim.failure(f"user{i}", "192.0.2.1", T0)
    assert lim.locked_until("anyone", "192.0.2.1", T0) == T0 + timedelta(minutes=15)
    assert lim.locked_until("anyone", "192.0.2.2", T0) is None


def test_success_clears_the_username_only() -> None:
    lim = limiter()
    for _ in range(2):
        lim.failure("alice", "192.0.2.1", T0)
    lim.success("alice")
    lim.failure("alice", "192.0.2.1", T0)
    assert lim.locked_until("alice", "192.0.2.7", T0) is None
    for _ in range(2):
        lim.failure("bob", "192.0.2.1", T0)
    assert lim.locked_until("carol", "192.0.2.1", T0) is not None  # 5 from that address


def test_memory_is_bounded() -> None:
    lim = limiter(max_keys=100)
    for i in range(1000):
        lim.failure(f"guess{i}", f"10.0.{i // 250}.{i % 250}", T0 + timedelta(seconds=i))
    assert len(lim) <= 100
