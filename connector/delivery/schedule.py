"""When a failed delivery is tried again, and when it is given up.

After the first try the waits are 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
20 h and 24 h: ten tries over about three days. Each wait is spread by ±20 %
so that a receiver coming back after an outage is not hit by every retry in
the same second. A ``Retry-After`` from the target lengthens the scheduled
wait, up to a day: it may ask for more patience, but neither make us spend
the tries meant for three days in a few seconds nor park a delivery for ever.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

RETRY_DELAYS: tuple[float, ...] = (
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
MAX_RETRY_AFTER = 24 * 3600.0

# A hook whose deliveries have all failed for this long is switched off.
DISABLE_AFTER = timedelta(days=5)


def retry_delay(
    attempts_made: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds to wait before the next try, or None when there is none left.

    Args:
        attempts_made: Tries made so far, the failed one included.
        retry_after: Seconds the target asked for, if it said.
        rng: Source of jitter; tests pass a seeded one.
    """
    if attempts_made >= MAX_ATTEMPTS:
        return None

    base = RETRY_DELAYS[attempts_made - 1]
    spread = (rng or random).uniform(-JITTER, JITTER)
    scheduled = base * (1 + spread)
    if retry_after is None:
        return scheduled

    return min(max(retry_after, scheduled), MAX_RETRY_AFTER)


def next_attempt_at(
    now: datetime,
    attempts_made: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """The time of the next try, or None when the delivery has failed for good."""
    delay = retry_delay(attempts_made, retry_after, rng)
    if delay is None:
        return None

    return now + timedelta(seconds=delay)
