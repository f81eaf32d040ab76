from __future__ import annotations

import threading

import pytest

from connectors.sheets import RateLimiter, SheetsConnector
from connectors.sheets.limiter import shared_limiter


class FakeClock:
    """A clock that moves only when told, and a sleep that moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_grants_up_to_the_limit_then_says_how_long_to_wait():
    clock = FakeClock()
    limiter = RateLimiter(limit=3, period=60.0, clock=clock, sleep=clock.sleep)

    granted = [limiter.acquire("bot write") for _ in range(3)]
    clock.now += 15
    refused = limiter.acquire("bot write")

    assert granted == [0.0, 0.0, 0.0]
    assert refused == pytest.approx(45.0)
    assert clock.slept == []


def test_no_window_of_the_period_ever_holds_more_than_the_limit():
    # A token bucket of 3 would let 3 + 3 through in the first 60 s.
    clock = FakeClock()
    limiter = RateLimiter(limit=3, period=60.0, clock=clock, sleep=clock.sleep)
    times = []

    for _ in range(40):
        if limiter.acquire("bot write") == 0.0:
            times.append(clock.now)
        clock.now += 5

    assert all(sum(1 for t in times if start <= t < start + 60) <= 3 for start in times)
    assert len(times) == 12  # 200 s at 3 per 60 s, window starting at the first


def test_a_slot_within_max_wait_is_waited_for_and_taken():
    clock = FakeClock()
    limiter = RateLimiter(limit=1, period=2.0, clock=clock, sleep=clock.sleep)
    limiter.acquire("bot write")

    waited = limiter.acquire("bot write", max_wait=5.0)

    assert waited == 0.0
    assert clock.slept == [pytest.approx(2.0)]


def test_accounts_and_kinds_have_separate_quotas():
    clock = FakeClock()
    limiter = RateLimiter(limit=1, period=60.0, clock=clock, sleep=clock.sleep)

    results = [
        limiter.acquire("a@x write"),
        limiter.acquire("a@x read"),
        limiter.acquire("b@x write"),
        limiter.acquire("a@x write"),
    ]

    assert results[:3] == [0.0, 0.0, 0.0]
    assert results[3] > 0


def test_threads_together_never_get_more_than_the_limit():
    limiter = RateLimiter(limit=25, period=60.0)
    granted = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(20):
            if limiter.acquire("bot write") == 0.0:
                with lock:
                    granted.append(1)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(granted) == 25


def test_connectors_share_one_process_wide_limiter_by_default():
    first, second = SheetsConnector(), SheetsConnector()

    assert first.limiter is second.limiter is shared_limiter
    assert (shared_limiter.limit, shared_limiter.period) == (60, 60.0)


def test_a_limit_that_cannot_work_is_refused():
    with pytest.raises(ValueError, match="limit >= 1 and period > 0"):
        RateLimiter(limit=0)
