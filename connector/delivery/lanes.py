"""Keeping one slow hook from taking every delivery thread of a process.

Deliveries are claimed in the order they fell due, so a hook with a long
backlog is spread over every worker's batch. If its target answers slowly
(within its timeout, so :mod:`connectors.webhook.backoff` does not step in),
every thread would end up waiting on it and everyone else's deliveries would
wait too. So a hook whose deliveries take a second or more is marked slow for
a while, and a slow hook gets one lane: one thread of the process at a time
works on it. Other threads leave its deliveries in the queue (they are not
claimed, or handed back untried) and go on with everyone else's, and the
thread in the lane first delivers the other hooks of its batch, then one of
the slow hook's, handing the rest back. Its deliveries wait; the rest flow.

A hook this process has not heard answer quickly of late keeps to one lane
too, until its first answer: a target that hangs from the start then holds
one thread, not all of them. A request still in flight well past the hook's
usual answer time (twenty times it, at least a fifth of a second, at most a
second) counts as a slow answer already, so a quick target that starts to
hang is confined without waiting for its timeout. What this cannot prevent:
the threads already inside a hanging request stay there until it ends, and
so do the other deliveries of their batches, which each thread hands to the
hooks it knows to be quick first.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

# Slower than this per delivery and a hook is confined to its lane.
SLOW_SECONDS = 1.0
# How long a slow or quick mark lasts after the answer that set it.
SLOW_MEMORY_SECONDS = 30.0
# Threads per process that may work one slow hook at the same time.
SLOW_LANES = 1
# A request in flight this many times the hook's usual answer time counts as
# slow, but never before SUSPECT_FLOOR_SECONDS (so that a pause of the
# process or the network does not confine a busy hook) nor after
# SLOW_SECONDS.
SUSPECT_FACTOR = 20.0
SUSPECT_FLOOR_SECONDS = 0.2
# How much each answer moves a hook's usual answer time.
USUAL_WEIGHT = 0.2


class HookLanes:
    """A thread-safe record of which hooks are slow and who works on them.

    Args:
        lanes: Threads that may work one slow hook at once.
        slow_seconds: The time per delivery that marks a hook slow.
        memory_seconds: How long a slow or quick mark lasts after the answer
            that set it.
    """

    def __init__(
        self,
        lanes: int = SLOW_LANES,
        slow_seconds: float = SLOW_SECONDS,
        memory_seconds: float = SLOW_MEMORY_SECONDS,
        suspect_floor: float = SUSPECT_FLOOR_SECONDS,
    ) -> None:
        self.lanes = lanes
        self.slow_seconds = slow_seconds
        self.memory_seconds = memory_seconds
        self.suspect_floor = suspect_floor
        self._usual: dict[str, float] = {}
        # hook id -> thread id -> (started, deliveries) of each entry in flight
        self._inside: dict[str, dict[int, list[tuple[float, int]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._slow_until: dict[str, float] = {}
        self._quick_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def enter(self, hook_id: str, deliveries: int = 1) -> bool:
        """Take a lane to deliver ``deliveries`` of ``hook_id``.

        False if the hook keeps to its lanes (slow, or not yet known quick)
        and they are taken.
        """
        with self._lock:
            if self._is_confined(hook_id) and self._busy(hook_id) >= self.lanes:
                return False
            entry = (time.monotonic(), deliveries)
            self._inside[hook_id][threading.get_ident()].append(entry)
            return True

    def leave(self, hook_id: str, seconds: float, attempted: int) -> bool:
        """Give the lane back, noting ``attempted`` deliveries took ``seconds``.

        Returns whether this answer freed a hook that kept to its lanes, so
        that the threads which left it alone may be woken.
        """
        with self._lock:
            self._step_out(hook_id)
            if not attempted:
                return False

            was_confined = self._is_confined(hook_id)
            now = time.monotonic()
            per_delivery = seconds / attempted
            usual = self._usual.get(hook_id, per_delivery)
            self._usual[hook_id] = usual + USUAL_WEIGHT * (per_delivery - usual)
            if per_delivery >= self.slow_seconds:
                self._slow_until[hook_id] = now + self.memory_seconds
                self._quick_until.pop(hook_id, None)
                return False

            self._quick_until[hook_id] = now + self.memory_seconds
            if per_delivery < self.slow_seconds / 2:
                self._slow_until.pop(hook_id, None)
            return was_confined and not self._is_confined(hook_id)

    def is_slow(self, hook_id: str) -> bool:
        """Whether ``hook_id`` answered slowly of late, or is slow right now."""
        with self._lock:
            return self._is_slow(hook_id)

    def is_quick(self, hook_id: str) -> bool:
        """Whether ``hook_id`` answered in time of late and is not slow now."""
        with self._lock:
            return not self._is_confined(hook_id)

    def crowded(self) -> list[str]:
        """The hooks whose lanes are all taken: not worth claiming now."""
        with self._lock:
            return [
                hook_id
                for hook_id in list(self._inside)
                if self._busy(hook_id) >= self.lanes and self._is_confined(hook_id)
            ]

    def _step_out(self, hook_id: str) -> None:
        threads = self._inside[hook_id]
        entries = threads[threading.get_ident()]
        if entries:
            entries.pop(0)
        if not entries:
            threads.pop(threading.get_ident(), None)
        if not threads:
            del self._inside[hook_id]

    def _busy(self, hook_id: str) -> int:
        threads = self._inside.get(hook_id, {})
        return sum(len(entries) for entries in threads.values())

    def _is_confined(self, hook_id: str) -> bool:
        return self._is_slow(hook_id) or not _marked(self._quick_until, hook_id)

    def _is_slow(self, hook_id: str) -> bool:
        if _marked(self._slow_until, hook_id):
            return True

        # A request that has run well past its hook's usual answer time is a
        # slow answer already.
        usual = self._usual.get(hook_id)
        limit = self.slow_seconds
        if usual is not None:
            limit = min(limit, max(self.suspect_floor, SUSPECT_FACTOR * usual))
        now = time.monotonic()
        for entries in self._inside.get(hook_id, {}).values():
            for started, deliveries in entries:
                if now - started >= limit * deliveries:
                    return True
        return False


def _marked(marks: dict[str, float], hook_id: str) -> bool:
    until = marks.get(hook_id)
    if until is None:
        return False
    if until <= time.monotonic():
        del marks[hook_id]
        return False
    return True
