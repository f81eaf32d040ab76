"""One slow or dead target never stalls the others' deliveries."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

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


@pytest.fixture(params=["refusing", "hung"])
def down_target(request) -> Iterator[str]:
    """A target that refuses connections, or takes them and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if request.param == "refusing":
        listener.close()
    else:
        listener.listen(256)
    yield f"http://127.0.0.1:{port}/hook"
    listener.close()


def test_a_target_that_is_down_does_not_stall_one_that_is_up(
    pg_url, hub, sink, down_target
):
    add_hook(hub, down_target, timeout=1.0)
    add_hook(hub, sink.url)
    queue_events(hub, 100)

    worker = start_worker(pg_url, EVENTHUB_WORKERS="4")
    started = time.monotonic()
    try:
        flowed = wait_until(
            lambda: (
                count(hub, "SELECT count(*) FROM deliveries WHERE status = 'delivered'")
                == 100
            ),
            timeout=20,
        )
        elapsed = time.monotonic() - started
    finally:
        processes.stop(worker)

    tried = count(
        hub,
        "SELECT count(*) FROM attempts JOIN deliveries d ON d.id = delivery_id "
        "WHERE d.status = 'pending'",
    )
    waiting = count(hub, "SELECT count(*) FROM deliveries WHERE status = 'pending'")
    assert flowed
    assert waiting == 100
    # One try per thread finds it down; then a refusing target is left alone
    # a while, and a hung one keeps one thread, trying once a second.
    assert tried <= 4 + elapsed + 2


def test_a_slow_target_gets_one_thread_and_the_others_flow(
    pg_url, hub, sink, second_sink
):
    second_sink.default = Answer(delay=3.0)
    add_hook(hub, second_sink.url)
    add_hook(hub, sink.url)
    queue_events(hub, 40)

    worker = start_worker(pg_url, EVENTHUB_WORKERS="4")
    try:
        flowed = wait_until(lambda: len(sink.received) >= 40, timeout=12)
        slow = second_sink.started
    finally:
        processes.stop(worker)

    # Without lanes each thread would spend 8 x 3 s on the slow target's
    # share of its first batch before reaching the quick one's.
    assert flowed
    assert slow < 12


def test_a_target_that_hangs_from_the_start_holds_one_thread_not_all(pg_url, hub, sink):
    hung = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hung.bind(("127.0.0.1", 0))
    hung.listen(256)
    add_hook(hub, f"http://127.0.0.1:{hung.getsockname()[1]}/", timeout=20.0)
    quick = add_hook(hub, sink.url)

    worker = start_worker(pg_url, EVENTHUB_WORKERS="4")
    try:
        # A trickle, so that each thread claims the hung hook's delivery
        # beside the quick one's before anyone has heard from it.
        for _ in range(15):
            queue_events(hub, 1)
            time.sleep(0.2)
        # The thread that meets the hung target first in its batch holds that
        # batch's quick delivery until the timeout; every other one flows.
        flowed = wait_until(lambda: len(sink.received) >= 14, timeout=10)
        waits = query(
            hub,
            "SELECT extract(epoch FROM a.started_at - d.created_at) AS wait "
            "FROM attempts a JOIN deliveries d ON d.id = a.delivery_id "
            "WHERE d.hook_id = :hook",
            hook=quick,
        )
    finally:
        processes.stop(worker)
        hung.close()

    # Without the one lane for a hook not heard from, every thread would
    # sit in the hung target's 20 s timeout and the quick hook would wait.
    assert flowed
    assert len(waits) >= 14
    assert sorted(row.wait for row in waits)[13] < 5


def test_two_worker_processes_share_a_slow_hook(pg_url, hub, sink):
    sink.default = Answer(delay=1.2)
    add_hook(hub, sink.url)
    queue_events(hub, 10)

    workers = [start_worker(pg_url, EVENTHUB_WORKERS="2") for _ in range(2)]
    try:
        # One lane per process: with both working, two requests overlap.
        overlapped = wait_until(lambda: sink.started - len(sink.received) >= 2, 20)
        delivered = wait_until(lambda: len(sink.received) >= 10, timeout=30)
    finally:
        for worker in workers:
            processes.stop(worker)

    assert overlapped
    assert delivered
