"""Keeping one slow hook from taking every delivery thread of a process.

Deliveries are claimed in the order they fell due, so a hook with a long
backlog is spread over every worker's batch. If its target answers slowly
(within its timeout, so :mod:`connectors.webhook.backoff` does not step in),
every thread would end up waiting on it and everyone else's deliveries would
wait too. So a hook whose deliveries take a second or more is marked slow for
a while, and a slow hook gets one lane: one thread of the process at a time
works on it. Other threads leave its deliveries in the queue (they are not
claimed, or handed back untried) and go on with everyone else's, and the
thread in the lane first delivers the other hooks of its batch. Its
deliveries wait; the rest flow.

A worker learns a hook is slow from its first answers, so it starts every
hook's share of a batch with one delivery and doubles the share each time the
hook proves quick: a quick hook costs nothing, a slow one at most one slow
answer per thread before it is confined to its lane.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

# Slower than this per delivery and a hook is confined to its lane.
SLOW_SECONDS = 1.0
# How long a hook stays confined after its last slow answer.
SLOW_MEMORY_SECONDS = 30.0
# Threads per process that may work one slow hook at the same time.
SLOW_LANES = 1


class HookLanes:
    """A thread-safe record of which hooks are slow and who works on them.

    Args:
        lanes: Threads that may work one slow hook at once.
        slow_seconds: The time per delivery that marks a hook slow.
        memory_seconds: How long the mark lasts after the last slow answer.
    """

    def __init__(
        self,
        lanes: int = SLOW_LANES,
        slow_seconds: float = SLOW_SECONDS,
        memory_seconds: float = SLOW_MEMORY_SECONDS,
    ) -> None:
        self.lanes = lanes
        self.slow_seconds = slow_seconds
        self.memory_seconds = memory_seconds
        self._busy: dict[str, int] = defaultdict(int)
        self._slow_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def enter(self, hook_id: str) -> bool:
        """Take a lane on ``hook_id``; False if it is slow and its lanes are taken."""
        with self._lock:
            if self._is_slow(hook_id) and self._busy[hook_id] >= self.lanes:
                return False
            self._busy[hook_id] += 1
            return True

    def leave(self, hook_id: str, seconds: float, attempted: int) -> None:
        """Give the lane back, noting ``attempted`` deliveries took ``seconds``."""
        with self._lock:
            self._busy[hook_id] -= 1
            if self._busy[hook_id] <= 0:
                del self._busy[hook_id]
            if not attempted:
                return

            if seconds / attempted >= self.slow_seconds:
                self._slow_until[hook_id] = time.monotonic() + self.memory_seconds
            elif seconds / attempted < self.slow_seconds / 2:
                self._slow_until.pop(hook_id, None)

    def is_slow(self, hook_id: str) -> bool:
        """Whether ``hook_id`` answered slowly of late."""
        with self._lock:
            return self._is_slow(hook_id)

    def crowded(self) -> list[str]:
        """The slow hooks whose lanes are all taken: not worth claiming now."""
        with self._lock:
            return [
                hook_id
                for hook_id, busy in self._busy.items()
                if busy >= self.lanes and self._is_slow(hook_id)
            ]

    def _is_slow(self, hook_id: str) -> bool:
        until = self._slow_until.get(hook_id)
        if until is None:
            return False
        if until <= time.monotonic():
            del self._slow_until[hook_id]
            return False
        return True
