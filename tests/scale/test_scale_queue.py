"""The queue's scale-out pieces in one process, on PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import select, update

from connector.base import DeliveryResult, Outcome
from connector.clock import utcnow
from connector.delivery import queue
from connector.delivery.lease import LeaseKeeper
from connector.delivery.listen_pg import PgListener
from connector.store import Attempt, Delivery
from tests.scale.support import add_hook, queue_events, wait_until


def _expiries(hub) -> list:
    with hub.database.session() as session:
        return list(session.scalars(select(Delivery.lease_expires_at)))


def test_ingest_wakes_listening_workers_through_postgres(pg_url, hub, sink):
    add_hook(hub, sink.url)
    wakes: list[int] = []
    condition = threading.Condition()

    def wake() -> None:
        with condition:
            wakes.append(1)

    listener = PgListener(hub.database, wake)
    listener.start()
    try:
        # The first wake-up comes as soon as the listener is connected.
        assert wait_until(lambda: len(wakes) >= 1, timeout=10)
        before = len(wakes)
        queue_events(hub, 1)
        woken = wait_until(lambda: len(wakes) > before, timeout=5)
    finally:
        listener.stop()

    assert woken


def test_a_lease_is_renewed_while_its_batch_is_in_hand(pg_url, hub, sink):
    add_hook(hub, sink.url)
    queue_events(hub, 3)
    keeper = LeaseKeeper(hub.database, lease_seconds=2)
    claimed = queue.claim(hub.database, "worker-a", 10, lease_seconds=2)
    keeper.hold("worker-a", [c.request.delivery_id for c in claimed], 0.0)
    first = _expiries(hub)

    keeper.renew_all()
    renewed = _expiries(hub)
    keeper.drop("worker-a")
    keeper.renew_all()
    after_drop = _expiries(hub)
    taken = queue.renew(hub.database, "worker-b", ["any"], 60)

    assert len(claimed) == 3
    assert all(new > old for new, old in zip(renewed, first, strict=True))
    assert after_drop == renewed
    assert taken == 0
    assert keeper.valid_for("worker-a") == 0.0


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_owner(
    pg_url, hub, sink
):
    add_hook(hub, sink.url)
    queue_events(hub, 1)
    stale = queue.claim(hub.database, "worker-a", 10, lease_seconds=60)
    with hub.database.session() as session:
        now = hub.database.now(session)
        session.execute(update(Delivery).values(lease_expires_at=now))
    fresh = queue.claim(hub.database, "worker-b", 10, lease_seconds=60)

    queue.record(
        hub.database,
        [queue.Finished(stale[0], DeliveryResult(Outcome.DELIVERED, 204), utcnow())],
        {},
    )
    with hub.database.session() as session:
        delivery = session.scalars(select(Delivery)).one()
        attempts = session.scalars(select(Attempt)).all()

    assert [c.request.delivery_id for c in fresh] == [stale[0].request.delivery_id]
    assert delivery.status == "pending"
    assert delivery.lease_owner == "worker-b"
    # What worker-a did is still on record: it happened.
    assert [attempt.status_code for attempt in attempts] == [204]


def test_released_deliveries_are_claimable_at_once(pg_url, hub, sink):
    add_hook(hub, sink.url)
    queue_events(hub, 4)
    claimed = queue.claim(hub.database, "worker-a", 10, lease_seconds=60)
    handed_back = [c.request.delivery_id for c in claimed[:2]]

    released = queue.release(hub.database, "worker-a", handed_back)
    taken = queue.claim(hub.database, "worker-b", 10, lease_seconds=60)

    assert released == 2
    assert sorted(c.request.delivery_id for c in taken) == sorted(handed_back)
