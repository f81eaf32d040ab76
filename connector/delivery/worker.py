"""Worker threads: claim a batch, hand it to its connectors, record the results.

Each thread owns one instance of every connector it uses, so connectors keep
HTTP connections to their targets alive between deliveries without locking,
and the threads of a process post concurrently. A thread that finds less than
a full batch due sleeps until woken: by ingest in the same process (the
one-process ``serve`` mode), by a PostgreSQL notification
(:mod:`connector.delivery.listen_pg`), or by the poll interval passing.

While a batch is in hand, the process's :class:`~connector.delivery.lease.
LeaseKeeper` renews its lease, and :class:`~connector.delivery.lanes.HookLanes`
keeps a slow hook from taking every thread. On stop, a worker finishes the
request in flight, records what it did and hands back what it did not start.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from connector.base import (
    BaseConnector,
    ConnectorOptions,
    DeliveryResult,
    Outcome,
)
from connector.clock import new_id, utcnow
from connector.config import Settings
from connector.delivery import queue
from connector.delivery.lanes import HookLanes
from connector.delivery.lease import LeaseKeeper
from connector.delivery.listen_pg import PgListener, can_listen
from connector.registry import ConnectorRegistry
from connector.store import Database

logger = logging.getLogger(__name__)

# A thread's first claim after a lull takes at most this many deliveries, and
# each full claim doubles the next, up to the batch size. A small backlog is
# so spread over many threads, which matters when each request waits on a
# distant target; a large one is taken in large batches, which spends less
# on claiming and recording per delivery.
FIRST_CLAIM = 16

# A thread hands a connector that sends batches (one request for many
# payloads) as many of one hook's deliveries at once as it expects to take
# about this long, judging by the last ones; others get one at a time. Stops
# and lost leases are checked between those chunks.
CHUNK_SECONDS = 1.0


class Wakeup:
    """Wakes idle worker threads of one process when work arrives.

    Each notification wakes one waiting thread, not all: with many threads
    and a notification per ingested request, waking all would send a burst
    of empty claims to the database for every event. A thread that claims a
    full batch wakes the next one, so a large arrival still fans out to every
    thread within a few claims.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._pending = False

    def notify(self) -> None:
        """Wake one waiting thread, or the next one to wait."""
        with self._condition:
            self._pending = True
            self._condition.notify()

    def notify_all(self) -> None:
        """Wake every waiting thread, e.g. to let them see a stop."""
        with self._condition:
            self._pending = True
            self._condition.notify_all()

    def wait(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Sleep until notified, ``stop`` is set, or ``timeout`` passes."""
        with self._condition:
            woken = self._condition.wait_for(
                lambda: self._pending or (stop is not None and stop.is_set()),
                timeout,
            )
            self._pending = False
            return woken


class Worker:
    """One delivery loop; several run side by side in a :class:`WorkerPool`.

    Args:
        database: The store.
        registry: Where connector classes are found.
        settings: Lease length, batch size, poll interval and options.
        wakeup: Shared with ingest in the same process, if there is one.
        keeper: Renews the lease of the batch in hand; shared per process.
        lanes: Keeps slow hooks to their lane; shared per process.
    """

    def __init__(
        self,
        database: Database,
        registry: ConnectorRegistry,
        settings: Settings,
        wakeup: Wakeup | None = None,
        keeper: LeaseKeeper | None = None,
        lanes: HookLanes | None = None,
    ) -> None:
        self.database = database
        self.registry = registry
        self.settings = settings
        self.wakeup = wakeup or Wakeup()
        self.keeper = keeper or LeaseKeeper(database, settings.lease_seconds)
        self.lanes = lanes or HookLanes()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id('w')}"
        self.options = ConnectorOptions(settings.allow_private_targets)
        self._connectors: dict[str, BaseConnector] = {}
        self._claim_size = min(FIRST_CLAIM, settings.batch_size)
        self._more_due = False

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Claim one batch, deliver it and record it; return how many claimed.

        Args:
            stop: When set, the request in flight finishes and the rest of
                the batch is handed back untried.
        """
        # Before the claim: the lease starts, by the database's clock, no
        # earlier than this moment.
        claimed_at = time.monotonic()
        limit = self._claim_size
        claimed = queue.claim(
            self.database,
            self.owner,
            limit,
            self.settings.lease_seconds,
            exclude_hooks=self.lanes.crowded(),
        )
        self._more_due = len(claimed) >= limit
        if self._more_due:
            # More is likely due: let another thread look, and take more
            # next time, up to the batch size.
            self.wakeup.notify()
            self._claim_size = min(limit * 2, self.settings.batch_size)
        else:
            self._claim_size = min(FIRST_CLAIM, self.settings.batch_size)
        if not claimed:
            return 0

        self.keeper.hold(
            self.owner, [item.request.delivery_id for item in claimed], claimed_at
        )
        try:
            untried = self._deliver(claimed, stop)
            if untried:
                queue.release(
                    self.database,
                    self.owner,
                    [item.request.delivery_id for item in untried],
                )
        finally:
            self.keeper.drop(self.owner)

        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set, finishing the request in flight."""
        while not stop.is_set():
            try:
                self.run_once(stop)
            except Exception:
                # A database hiccup must not kill the thread; the leases it
                # held run out and the work is claimed again.
                logger.exception("delivery loop failed; carrying on")
                self._more_due = False
                stop.wait(self.settings.poll_seconds)

            if not self._more_due:
                self.wakeup.wait(self.settings.poll_seconds, stop)

        self.close()

    def close(self) -> None:
        """Close every connector this worker opened."""
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()

    def _deliver(
        self, claimed: list[queue.Claimed], stop: threading.Event | None
    ) -> list[queue.Claimed]:
        """Deliver and record hook by hook; return what was not tried.

        A hook found slow is set aside until the batch's other hooks are
        delivered and recorded, so that they never wait behind it.
        """
        groups: dict[tuple[str, str], list[queue.Claimed]] = {}
        for item in claimed:
            key = (item.connector, item.request.hook_id)
            groups.setdefault(key, []).append(item)

        # Hooks known to answer in time go first: one not heard from of late
        # may hang, and the others should not wait behind it.
        order = sorted(groups, key=lambda key: not self.lanes.is_quick(key[1]))

        finished: list[queue.Finished] = []
        untried: list[queue.Claimed] = []
        slow: list[tuple[str, str, list[queue.Claimed]]] = []
        for name, hook_id in order:
            items = groups[(name, hook_id)]
            done = self._deliver_hook(name, hook_id, items, stop, finished, True)
            if done < len(items) and self.lanes.is_slow(hook_id):
                slow.append((name, hook_id, items[done:]))
            else:
                untried.extend(items[done:])
        self._record(finished)

        # A slow hook gets one more delivery from this thread, recorded at
        # once. The rest go back first, so that another process's lane can
        # take them while this request is out: each process then works a
        # slow hook side by side, and a stop or a kill finds little in hand.
        rest = [item.request.delivery_id for _, _, items in slow for item in items[1:]]
        if rest:
            queue.release(self.database, self.owner, rest)
        for name, hook_id, items in slow:
            finished = []
            done = self._deliver_hook(name, hook_id, items[:1], stop, finished, False)
            self._record(finished)
            untried.extend(items[done:1])

        return untried

    def _record(self, finished: list[queue.Finished]) -> None:
        on_gone = {name: c.on_gone for name, c in self._connectors.items()}
        queue.record(self.database, finished, on_gone)

    def _deliver_hook(
        self,
        name: str,
        hook_id: str,
        items: list[queue.Claimed],
        stop: threading.Event | None,
        finished: list[queue.Finished],
        quick_only: bool,
    ) -> int:
        """Deliver ``items`` of one hook in chunks; return how many.

        With ``quick_only``, stops as soon as the hook is known to be slow.
        """
        done = 0
        size = 1
        while done < len(items) and self._may_start(stop):
            if quick_only and self.lanes.is_slow(hook_id):
                break
            chunk = items[done : done + size]
            if not self.lanes.enter(hook_id, len(chunk)):
                break

            started_at = utcnow()
            started = time.monotonic()
            results = self._deliver_chunk(name, chunk)
            elapsed = time.monotonic() - started
            attempted = sum(1 for result in results if result.attempted)
            if self.lanes.leave(hook_id, elapsed, attempted):
                # Other threads left this hook alone until it answered.
                self.wakeup.notify_all()

            finished.extend(
                queue.Finished(item, result, started_at)
                for item, result in zip(chunk, results, strict=True)
            )
            done += len(chunk)
            if getattr(self._connectors.get(name), "sends_batches", False):
                size = _next_chunk(size, elapsed, attempted)

        return done

    def _may_start(self, stop: threading.Event | None) -> bool:
        if stop is not None and stop.is_set():
            return False

        # Normally renewed every third of a lease; if renewals have been
        # failing, another worker may soon take these deliveries, so start
        # nothing new on them.
        left = self.keeper.valid_for(self.owner)
        if left < self.settings.lease_seconds / 3:
            logger.warning(
                "the lease of %s could not be renewed; handing its batch back",
                self.owner,
            )
            return False

        return True

    def _deliver_chunk(
        self, name: str, items: list[queue.Claimed]
    ) -> list[DeliveryResult]:
        try:
            connector = self._connector(name)
            results = connector.deliver_batch([item.request for item in items])
        except Exception as exc:
            # Connectors should not raise; one that does is a bug, and the
            # delivery is retried rather than lost.
            logger.exception("connector %s raised instead of returning", name)
            error = f"The {name!r} connector failed unexpectedly: {exc}"
            return [DeliveryResult(Outcome.RETRY, error=error) for _ in items]

        if len(results) != len(items):
            error = f"The {name!r} connector returned a wrong number of results."
            return [DeliveryResult(Outcome.RETRY, error=error) for _ in items]

        return results

    def _connector(self, name: str) -> BaseConnector:
        if name not in self._connectors:
            self._connectors[name] = self.registry.create(name, self.options)

        return self._connectors[name]


def _next_chunk(size: int, elapsed: float, attempted: int) -> int:
    """Double the chunk, but not past what should take :data:`CHUNK_SECONDS`."""
    if not attempted:
        return size * 2
    per_delivery = elapsed / attempted
    if per_delivery <= 0:
        return size * 2
    return max(1, min(size * 2, int(CHUNK_SECONDS / per_delivery)))


class WorkerPool:
    """Several :class:`Worker` threads sharing one database and wake-up.

    On PostgreSQL (through psycopg) the pool also listens for new deliveries,
    so that workers in other processes than ingest start at once.
    """

    def __init__(
        self,
        database: Database,
        registry: ConnectorRegistry,
        settings: Settings,
        wakeup: Wakeup | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.wakeup = wakeup or Wakeup()
        self.keeper = LeaseKeeper(database, settings.lease_seconds)
        self.lanes = HookLanes()
        self.workers = [
            Worker(database, registry, settings, self.wakeup, self.keeper, self.lanes)
            for _ in range(max(1, settings.workers))
        ]
        self.listener = (
            PgListener(database, self.wakeup.notify) if can_listen(database) else None
        )
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the worker threads, the lease keeper and the listener."""
        self.keeper.start()
        if self.listener is not None:
            self.listener.start()
        for index, worker in enumerate(self.workers):
            thread = threading.Thread(
                target=worker.run, args=(self._stop,), name=f"worker-{index}"
            )
            thread.start()
            self._threads.append(thread)

        logger.info("started %d delivery workers", len(self.workers))

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the workers: requests in flight finish, the rest is handed back.

        Args:
            timeout: How long to wait for the requests in flight; a thread
                still posting after that keeps the lease renewed no longer,
                so its batch goes to another worker one lease later.
        """
        self._stop.set()
        self.wakeup.notify_all()
        if self.listener is not None:
            self.listener.stop()

        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.keeper.stop()

        stuck = sum(1 for thread in self._threads if thread.is_alive())
        if stuck:
            logger.warning("%d delivery workers were still busy at shutdown", stuck)
        logger.info("delivery workers stopped")


def drain(
    database: Database,
    registry: ConnectorRegistry,
    settings: Settings,
    until: Callable[[], bool] | None = None,
) -> int:
    """Deliver everything due now in this thread; for tests and the CLI."""
    worker = Worker(database, registry, settings)
    worker.keeper.start()
    total = 0
    try:
        while True:
            done = worker.run_once()
            total += done
            if not done or (until is not None and until()):
                return total
    finally:
        worker.keeper.stop()
        worker.close()
