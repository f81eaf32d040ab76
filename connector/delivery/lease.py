"""Keeping the leases of batches in hand for as long as they are being worked.

A lease must outlast the batch it covers, or a second worker claims deliveries
the first is still posting. There are two ways to be sure of that: a lease
longer than the worst batch (batch size × the longest timeout, 16 × 65 s, over
17 minutes), or a short lease that a live worker keeps renewing. eventhub
renews: a worker that dies gives its deliveries back after one short lease
instead of a quarter of an hour, and a live worker keeps its batch however
slow its targets are.

Each worker process runs one :class:`LeaseKeeper` thread. Every third of a
lease it pushes the expiry of every batch in hand one full lease ahead, from
the database's clock. A worker also notes when its lease was last confirmed
(:meth:`LeaseKeeper.valid_for`) and starts no new request once that might have
run out, for instance when the database could not be reached to renew it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from connector.delivery import queue
from connector.store import Database

logger = logging.getLogger(__name__)


@dataclass
class _Batch:
    delivery_ids: frozenset[str]
    confirmed_at: float


class LeaseKeeper:
    """Renews the leases of the batches the workers of one process hold.

    Args:
        database: The store.
        lease_seconds: The length of a lease; renewed every third of it.
    """

    def __init__(self, database: Database, lease_seconds: float) -> None:
        self.database = database
        self.lease_seconds = lease_seconds
        self._batches: dict[str, _Batch] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, owner: str, delivery_ids: list[str], claimed_at: float) -> None:
        """Note that ``owner`` claimed these deliveries at ``claimed_at``.

        Args:
            owner: The lease owner token.
            delivery_ids: The deliveries of its batch.
            claimed_at: ``time.monotonic()`` taken just before the claim.
        """
        with self._lock:
            self._batches[owner] = _Batch(frozenset(delivery_ids), claimed_at)

    def drop(self, owner: str) -> None:
        """Note that ``owner``'s batch is recorded or given back."""
        with self._lock:
            self._batches.pop(owner, None)

    def valid_for(self, owner: str) -> float:
        """Seconds ``owner``'s lease surely has left, by this machine's clock."""
        with self._lock:
            batch = self._batches.get(owner)
            if batch is None:
                return 0.0
            return batch.confirmed_at + self.lease_seconds - time.monotonic()

    def renew_all(self) -> None:
        """Push every batch in hand one lease ahead."""
        with self._lock:
            batches = list(self._batches.items())

        for owner, batch in batches:
            # Taken before the statement: the database may set the expiry a
            # moment later than this, never earlier.
            started = time.monotonic()
            try:
                queue.renew(
                    self.database, owner, batch.delivery_ids, self.lease_seconds
                )
            except Exception:
                logger.exception("could not renew the lease of %s", owner)
                continue

            with self._lock:
                if self._batches.get(owner) is batch:
                    batch.confirmed_at = started

    def start(self) -> None:
        """Renew in a background thread until :meth:`stop`."""
        self._thread = threading.Thread(
            target=self._run, name="lease-keeper", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing; called once every worker has let go of its batch."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            self.renew_all()
