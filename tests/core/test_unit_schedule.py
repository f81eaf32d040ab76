from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from connector.delivery.schedule import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    next_attempt_at,
    retry_delay,
)

NOW = datetime(2024, 6, 24, 3, 12, 5)
MINUTE = 60
HOUR = 3600


def test_the_base_delays_are_the_documented_schedule():
    assert RETRY_DELAYS == (
        5,
        5 * MINUTE,
        30 * MINUTE,
        2 * HOUR,
        5 * HOUR,
        10 * HOUR,
        14 * HOUR,
        20 * HOUR,
        24 * HOUR,
    )


def test_a_delivery_gets_ten_attempts():
    assert MAX_ATTEMPTS == 10


@pytest.mark.parametrize("attempts_made", range(1, 10))
def test_next_attempt_follows_the_base_delay_with_the_seeded_jitter(
    attempts_made: int,
):
    expected_spread = random.Random(42).uniform(-0.2, 0.2)
    base = RETRY_DELAYS[attempts_made - 1]

    due = next_attempt_at(NOW, attempts_made, rng=random.Random(42))

    assert due is not None
    assert (due - NOW).total_seconds() == pytest.approx(base * (1 + expected_spread))


@pytest.mark.parametrize("attempts_made", range(1, 10))
def test_jitter_stays_within_twenty_percent(attempts_made: int):
    base = RETRY_DELAYS[attempts_made - 1]
    rng = random.Random(attempts_made)

    delays = [retry_delay(attempts_made, rng=rng) for _ in range(500)]

    assert all(0.8 * base <= delay <= 1.2 * base for delay in delays)
    assert min(delays) < 0.85 * base
    assert max(delays) > 1.15 * base


def test_the_same_seed_gives_the_same_delay():
    first = next_attempt_at(NOW, 3, rng=random.Random(7))
    second = next_attempt_at(NOW, 3, rng=random.Random(7))

    assert first == second


def test_different_seeds_give_different_delays():
    delays = {retry_delay(4, rng=random.Random(seed)) for seed in range(20)}

    assert len(delays) == 20


def test_there_is_no_attempt_after_the_tenth():
    rng = random.Random(1)

    after_ninth = next_attempt_at(NOW, 9, rng=rng)
    after_tenth = next_attempt_at(NOW, 10, rng=rng)

    assert after_ninth is not None
    assert after_tenth is None
    assert next_attempt_at(NOW, 11, rng=rng) is None


def test_retry_after_does_not_extend_the_attempts():
    assert next_attempt_at(NOW, 10, retry_after=60) is None


def test_a_longer_retry_after_replaces_the_scheduled_delay_without_jitter():
    due = next_attempt_at(NOW, 1, retry_after=120, rng=random.Random(3))

    assert due == NOW + timedelta(seconds=120)


@pytest.mark.parametrize("asked", [0, 0.2, 1, 4])
def test_a_shorter_retry_after_cannot_spend_the_tries_sooner(asked: float):
    scheduled = next_attempt_at(NOW, 1, rng=random.Random(8))

    due = next_attempt_at(NOW, 1, retry_after=asked, rng=random.Random(8))

    assert due == scheduled


@pytest.mark.parametrize(
    ("asked", "granted"),
    [(86_400, 86_400), (10 * 86_400, 86_400)],
)
def test_retry_after_is_held_to_a_day(asked: float, granted: float):
    due = next_attempt_at(NOW, 5, retry_after=asked)

    assert due == NOW + timedelta(seconds=granted)


def test_the_whole_schedule_lasts_about_three_days():
    rng = random.Random(2024)
    moments = [NOW]
    attempts_made = 1

    while (due := next_attempt_at(moments[-1], attempts_made, rng=rng)) is not None:
        moments.append(due)
        attempts_made += 1
    span = moments[-1] - NOW

    assert attempts_made == MAX_ATTEMPTS
    assert len(moments) == MAX_ATTEMPTS
    assert (
        timedelta(days=3)
        <= timedelta(seconds=sum(RETRY_DELAYS))
        < timedelta(days=3, hours=12)
    )
    assert timedelta(days=2.5) < span < timedelta(days=3.8)
