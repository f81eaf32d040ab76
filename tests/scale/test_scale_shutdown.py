"""SIGTERM loses nothing: for ``eventhub worker`` and for ``eventhub web``."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter

import psycopg
import pytest
import requests

from connector.keys import create_key
from tests.conftest import ORGANISATION, shared_events
from tests.scale.support import add_hook, count, query, queue_events, start_worker
from tests.scale.support import wait_until as _wait_until
from tests.support import processes
from tests.support.sink import Answer


def test_sigterm_finishes_the_delivery_in_flight_and_hands_back_the_rest(
    pg_url, hub, sink
):
    add_hook(hub, sink.url)
    ids = queue_events(hub, 10)
    release = threading.Event()
    sink.answer(Answer(block=release))
    env = {"EVENTHUB_WORKERS": "1", "EVENTHUB_BATCH_SIZE": "10"}

    worker = start_worker(pg_url, **env)
    try:
        assert sink.wait_for_start(1, timeout=30)
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        still_working = worker.poll() is None
        release.set()
        exit_code = worker.wait(timeout=30)
    finally:
        release.set()
        processes.stop(worker)
    after_stop = query(
        hub, "SELECT status, attempts, lease_owner FROM deliveries ORDER BY status"
    )

    successor = start_worker(pg_url, **env)
    try:
        settled = _wait_until(
            lambda: (
                count(hub, "SELECT count(*) FROM deliveries WHERE status = 'delivered'")
                == 10
            )
        )
    finally:
        processes.stop(successor)

    received = Counter(item.headers["webhook-id"] for item in sink.received)
    assert still_working
    assert exit_code == 0
    assert [row.status for row in after_stop] == ["delivered"] + ["pending"] * 9
    # Handed back untried: no attempt spent, no lease left to wait out.
    assert all(row.attempts == 0 and row.lease_owner is None for row in after_stop[1:])
    assert settled
    assert set(received) == set(ids)
    assert set(received.values()) == {1}


@pytest.mark.parametrize(
    ("quick", "batch", "stop_at"),
    [
        # Slow from the start: the first answer marks the hook slow, and the
        # third request is the second the thread sends on its slow pass.
        (0, 10, 3),
        # Twenty quick answers, then the 21st is slow and the 22nd goes out
        # alone on the slow pass.
        (20, 64, 22),
    ],
)
def test_sigterm_with_a_slow_target_starts_no_request_after_the_one_in_flight(
    pg_url, hub, sink, quick, batch, stop_at
):
    sink.answer(*[Answer()] * quick)
    sink.default = Answer(delay=1.5)
    add_hook(hub, sink.url)
    ids = queue_events(hub, 40)
    env = {"EVENTHUB_WORKERS": "1", "EVENTHUB_BATCH_SIZE": str(batch)}

    worker = start_worker(pg_url, **env)
    try:
        assert sink.wait_for_start(stop_at, timeout=30)
        worker.send_signal(signal.SIGTERM)
        exit_code = worker.wait(timeout=30)
    finally:
        processes.stop(worker)
    started = sink.started
    rows = query(hub, "SELECT status, attempts, lease_owner FROM deliveries")

    delivered = [row for row in rows if row.status == "delivered"]
    waiting = [row for row in rows if row.status == "pending"]
    assert exit_code == 0
    assert started == stop_at
    assert len(delivered) == stop_at
    assert len(waiting) == len(ids) - stop_at
    assert all(row.attempts == 0 and row.lease_owner is None for row in waiting)


def test_sigterm_on_web_answers_the_post_in_flight_and_stores_it(pg_url, hub, sink):
    key = create_key(hub.database, ORGANISATION)
    add_hook(hub, sink.url)
    event = shared_events()[0]
    web = processes.start(["web", "--port", "0", "--processes", "1"], pg_url)
    answers: list[requests.Response] = []
    locker = psycopg.connect(pg_url.replace("+psycopg", ""))
    try:
        url = processes.wait_for_line(web, r"serving on (http://\S+)")
        # Holding this lock stops ingest at its insert of deliveries, so the
        # POST is surely in flight when the signal arrives.
        locker.execute("LOCK TABLE deliveries IN EXCLUSIVE MODE")
        poster = threading.Thread(
            target=lambda: answers.append(
                requests.post(
                    f"{url}/v1/events",
                    json=event,
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=60,
                )
            )
        )
        poster.start()
        assert _wait_until(lambda: _waiting_on_a_lock(hub) >= 1, timeout=20)

        web.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        still_answering = web.poll() is None and poster.is_alive()
        locker.commit()
        poster.join(timeout=30)
        exit_code = web.wait(timeout=30)
    finally:
        locker.close()
        processes.stop(web)

    stored = count(
        hub, "SELECT count(*) FROM events WHERE event_id = :id", id=event["id"]
    )
    assert still_answering
    assert [answer.status_code for answer in answers] == [202]
    assert answers[0].json()["accepted"] == [event["id"]]
    assert stored == 1
    assert count(hub, "SELECT count(*) FROM deliveries") == 1
    assert exit_code == 0


def _waiting_on_a_lock(hub) -> int:
    return count(
        hub,
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()",
    )
