"""Remembering, for a few seconds, the targets that did not answer.

When a target times out or refuses connections, every other delivery to it in
the same moment would wait for the same timeout and hold a worker thread while
it does; a few such targets would stall everyone. So a target that failed that
way is left alone for a short while: its other deliveries wait, untried and
without spending a retry, and the workers go on with everyone else's.
"""

from __future__ import annotations

import threading
import time

# Long enough to spare the workers, short against the 5 s first retry.
PAUSE_SECONDS = 10.0


class TargetBackoff:
    """A thread-safe map of target to the moment it may be tried again."""

    def __init__(self, pause: float = PAUSE_SECONDS) -> None:
        self.pause = pause
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def remaining(self, target: str) -> float:
        """Seconds until ``target`` may be tried again; 0 when it may now."""
        with self._lock:
            until = self._until.get(target)
            if until is None:
                return 0.0

            left = until - time.monotonic()
            if left <= 0:
                del self._until[target]
                return 0.0
            return left

    def failed(self, target: str) -> None:
        """Note that ``target`` did not answer."""
        with self._lock:
            self._until[target] = time.monotonic() + self.pause

    def clear(self) -> None:
        """Forget every target."""
        with self._lock:
            self._until.clear()

    def answered(self, target: str) -> None:
        """Note that ``target`` answered, whatever it said."""
        with self._lock:
            self._until.pop(target, None)


backoff = TargetBackoff()
