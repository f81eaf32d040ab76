"""Several ``eventhub worker`` processes on one PostgreSQL database.

Every worker is a real child process; kills are real, and the receivers are
real HTTP servers on 127.0.0.1.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from datetime import timedelta

from tests.scale.support import (
    add_hook,
    count,
    query,
    queue_events,
    start_worker,
    wait_until,
)
from tests.support import processes
from tests.support.sink import Answer


def _delivered(hub) -> int:
    return count(hub, "SELECT count(*) FROM deliveries WHERE status = 'delivered'")


def test_two_workers_drain_5000_deliveries_each_made_exactly_once(pg_url, hub, sink):
    add_hook(hub, sink.url)
    ids = queue_events(hub, 5000)
    owners: set[str] = set()
    env = {"EVENTHUB_WORKERS": "4"}

    workers = [start_worker(pg_url, **env), start_worker(pg_url, **env)]
    try:

        def drained() -> bool:
            # Which processes hold leases right now: "host:pid:token".
            held = query(
                hub,
                "SELECT DISTINCT lease_owner FROM deliveries "
                "WHERE lease_owner IS NOT NULL",
            )
            owners.update(row[0].split(":")[1] for row in held)
            return _delivered(hub) == 5000

        done = wait_until(drained, timeout=180)
        alive = [worker.poll() is None for worker in workers]
    finally:
        for worker in workers:
            processes.stop(worker)

    received = Counter(item.headers["webhook-id"] for item in sink.received)
    assert done
    assert alive == [True, True]
    assert owners == {str(worker.pid) for worker in workers}
    assert set(received) == set(ids)
    assert set(received.values()) == {1}
    assert count(hub, "SELECT count(*) FROM attempts") == 5000


def test_a_worker_killed_mid_batch_leaves_its_batch_to_the_other_after_the_lease(
    pg_url, hub, sink
):
    add_hook(hub, sink.url)
    ids = queue_events(hub, 20)
    release = threading.Event()
    sink.answer(Answer(block=release))
    env = {
        "EVENTHUB_WORKERS": "1",
        "EVENTHUB_BATCH_SIZE": "8",
        "EVENTHUB_LEASE_SECONDS": "3",
    }

    first = start_worker(pg_url, **env)
    second = None
    try:
        assert sink.wait_for_start(1, timeout=30)
        second = start_worker(pg_url, **env)
        # The second takes everything the first does not hold, and only that.
        assert wait_until(lambda: _delivered(hub) == 12, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        held = query(
            hub,
            "SELECT id, lease_expires_at FROM deliveries WHERE status = 'pending'",
        )
        release.set()
        settled = wait_until(lambda: _delivered(hub) == 20, timeout=30)
        second_alive = second.poll() is None
    finally:
        release.set()
        processes.stop(first)
        if second is not None:
            processes.stop(second)

    expiry = max(row.lease_expires_at for row in held)
    retried = query(
        hub,
        "SELECT min(started_at) FROM attempts WHERE delivery_id = ANY(:ids)",
        ids=[row.id for row in held],
    )[0][0]
    received = Counter(item.headers["webhook-id"] for item in sink.received)
    assert settled
    assert second_alive
    assert len(held) == 8
    # Nobody touched the dead worker's batch before its lease ran out.
    assert retried >= expiry - timedelta(milliseconds=100)
    assert set(received) == set(ids)
    # Only the request in flight at the kill was made twice (at least once).
    assert sorted(received.values()) == [1] * 19 + [2]


def test_a_batch_slower_than_the_lease_stays_with_its_live_worker(pg_url, hub, sink):
    add_hook(hub, sink.url)
    ids = queue_events(hub, 12)
    sink.default = Answer(delay=0.6)
    # Each batch takes 4 x 0.6 s, longer than the 1.5 s lease: only renewing
    # the lease keeps the other worker off it.
    env = {
        "EVENTHUB_WORKERS": "1",
        "EVENTHUB_BATCH_SIZE": "4",
        "EVENTHUB_LEASE_SECONDS": "1.5",
    }

    workers = [start_worker(pg_url, **env), start_worker(pg_url, **env)]
    try:
        settled = wait_until(lambda: _delivered(hub) == 12, timeout=60)
    finally:
        for worker in workers:
            processes.stop(worker)

    received = Counter(item.headers["webhook-id"] for item in sink.received)
    assert settled
    assert set(received) == set(ids)
    assert set(received.values()) == {1}
    assert count(hub, "SELECT count(*) FROM attempts") == 12
