"""Keeping each service account under Google's per-minute Sheets quota.

Google counts read and write requests per minute for each user of a project,
and a service account is such a user: about 60 of each a minute by default
(https://developers.google.com/sheets/api/limits). Every worker thread of the
process shares one :class:`RateLimiter`, so the quota holds however many
threads write for the same account.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

logger = logging.getLogger(__name__)

#: Requests Google allows each account per period, and the period in seconds.
DEFAULT_LIMIT = 60
DEFAULT_PERIOD = 60.0


class RateLimiter:
    """At most ``limit`` requests per ``period`` seconds for each key.

    A token bucket of 60 refilled at one a second would let 120 requests
    through in the first minute (a full bucket plus the refill), which is
    exactly the burst that earns a 429. This limiter keeps the times of the
    last ``limit`` grants per key instead, a sliding window, so no window of
    ``period`` seconds ever holds more than ``limit`` requests.

    It is thread-safe. A caller may wait briefly for a slot; a slot further
    off is refused with the wait it would need, so that a worker thread can
    hand the delivery back for a retry instead of sleeping on it.

    Args:
        limit: Requests allowed per window and key.
        period: The window, in seconds.
        clock: A monotonic clock; tests pass a fake one.
        sleep: How to wait; tests pass a fake one.
    """

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        period: float = DEFAULT_PERIOD,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or period <= 0:
            raise ValueError(
                f"A rate limit needs limit >= 1 and period > 0, not {limit} per "
                f"{period} s."
            )

        self.limit = limit
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._grants: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, max_wait: float = 0.0) -> float:
        """Take a slot for ``key``, waiting up to ``max_wait`` seconds for it.

        Args:
            key: Whose quota, such as ``"robot@project.iam.gserviceaccount.com
                write"``.
            max_wait: The longest the caller is willing to wait.

        Returns:
            ``0.0`` when the slot was taken (after any wait), otherwise the
            seconds until a slot frees; nothing was taken then.
        """
        with self._lock:
            now = self._clock()
            grants = self._grants.setdefault(key, deque())
            while grants and grants[0] <= now - self.period:
                grants.popleft()

            # A slot frees when the oldest grant of the window leaves it.
            # Granting a future slot is recorded at that future time, so that
            # the threads queued behind this one see it as taken.
            at = now if len(grants) < self.limit else grants[0] + self.period
            wait = at - now
            if wait > max_wait:
                return wait

            if len(grants) >= self.limit:
                grants.popleft()
            grants.append(at)

        if wait > 0:
            logger.debug("waiting %.2f s for a quota slot", wait)
            self._sleep(wait)

        return 0.0


#: The limiter every :class:`~connectors.sheets.SheetsConnector` shares unless
#: given another; module state, so one per process.
shared_limiter = RateLimiter()
