"""Worker threads: claim a batch, hand it to its connectors, record the results.

Each thread owns one instance of every connector it uses, so connectors may
keep HTTP connections alive between deliveries without locking. A thread that
finds nothing due sleeps until woken by a new event (in the one-process
``serve`` mode) or until the poll interval passes.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import defaultdict
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
from connector.registry import ConnectorRegistry
from connector.store import Database

logger = logging.getLogger(__name__)


class Wakeup:
    """Lets ingest wake idle workers in the same process at once."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    def notify(self) -> None:
        """Wake every waiting worker."""
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, timeout: float, seen: int) -> int:
        """Sleep until notified after ``seen`` or until ``timeout`` passes."""
        with self._condition:
            self._condition.wait_for(lambda: self._generation != seen, timeout)
            return self._generation

    @property
    def generation(self) -> int:
        """How many notifications there have been."""
        return self._generation


class Worker:
    """One delivery loop; several run side by side in a :class:`WorkerPool`.

    Args:
        database: The store.
        registry: Where connector classes are found.
        settings: Lease length, batch size, poll interval and options.
        wakeup: Shared with ingest in the same process, if there is one.
    """

    def __init__(
        self,
        database: Database,
        registry: ConnectorRegistry,
        settings: Settings,
        wakeup: Wakeup | None = None,
    ) -> None:
        self.database = database
        self.registry = registry
        self.settings = settings
        self.wakeup = wakeup or Wakeup()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id('w')}"
        self.options = ConnectorOptions(settings.allow_private_targets)
        self._connectors: dict[str, BaseConnector] = {}

    def run_once(self) -> int:
        """Claim one batch, deliver it and record it; return how many."""
        claimed = queue.claim(
            self.database,
            self.owner,
            self.settings.batch_size,
            self.settings.lease_seconds,
        )
        if not claimed:
            return 0

        finished = self._deliver(claimed)
        on_gone = {name: c.on_gone for name, c in self._connectors.items()}
        queue.record(self.database, finished, on_gone)
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set, finishing the batch in hand."""
        seen = self.wakeup.generation
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception:
                # A database hiccup must not kill the thread; the leases it
                # held run out and the work is claimed again.
                logger.exception("delivery loop failed; carrying on")
                done = 0
                stop.wait(self.settings.poll_seconds)

            if not done:
                seen = self.wakeup.wait(self.settings.poll_seconds, seen)

        self.close()

    def close(self) -> None:
        """Close every connector this worker opened."""
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()

    def _deliver(self, claimed: list[queue.Claimed]) -> list[queue.Finished]:
        groups: dict[str, list[queue.Claimed]] = defaultdict(list)
        for item in claimed:
            groups[item.connector].append(item)

        finished: list[queue.Finished] = []
        for name, items in groups.items():
            started = utcnow()
            results = self._deliver_group(name, items)
            finished.extend(
                queue.Finished(item, result, started)
                for item, result in zip(items, results, strict=True)
            )

        return finished

    def _deliver_group(
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


class WorkerPool:
    """Several :class:`Worker` threads sharing one database and wake-up."""

    def __init__(
        self,
        database: Database,
        registry: ConnectorRegistry,
        settings: Settings,
        wakeup: Wakeup | None = None,
    ) -> None:
        self.wakeup = wakeup or Wakeup()
        self.workers = [
            Worker(database, registry, settings, self.wakeup)
            for _ in range(max(1, settings.workers))
        ]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start every worker thread."""
        for index, worker in enumerate(self.workers):
            thread = threading.Thread(
                target=worker.run, args=(self._stop,), name=f"worker-{index}"
            )
            thread.start()
            self._threads.append(thread)

        logger.info("started %d delivery workers", len(self.workers))

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the workers to stop and wait for the batches in hand."""
        self._stop.set()
        self.wakeup.notify()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

        logger.info("delivery workers stopped")


def drain(
    database: Database,
    registry: ConnectorRegistry,
    settings: Settings,
    until: Callable[[], bool] | None = None,
) -> int:
    """Deliver everything due now in this thread; for tests and the CLI."""
    worker = Worker(database, registry, settings)
    total = 0
    try:
        while True:
            done = worker.run_once()
            total += done
            if not done or (until is not None and until()):
                return total
    finally:
        worker.close()
