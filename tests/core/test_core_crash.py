"""Nothing is lost when a process dies with SIGKILL.

Workers and the hub run as real child processes; the kill is real.
"""

from __future__ import annotations

import copy
import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import select

from connector.keys import create_key
from connector.store import Delivery, Event, open_database
from tests.conftest import shared_events
from tests.support import processes
from tests.support.sink import Answer


def _deliveries(database_url: str) -> list[Delivery]:
    database = open_database(database_url)
    with database.session() as session:
        rows = session.scalars(select(Delivery)).all()
    database.dispose()
    return list(rows)


def _wait_until(check, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_killed_mid_delivery_loses_nothing(client, auth, sink, database_url):
    client.post("/v1/hooks", json={"settings": {"url": sink.url}}, headers=auth)
    event = shared_events()[0]
    client.post("/v1/events", json=event, headers=auth)
    release = threading.Event()
    sink.answer(Answer(block=release))
    lease = {"EVENTHUB_LEASE_SECONDS": "2", "EVENTHUB_WORKERS": "1"}

    first = processes.start(["worker"], database_url, **lease)
    assert sink.wait_for_start(1, timeout=30)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    release.set()
    held = _deliveries(database_url)[0]

    second = processes.start(["worker"], database_url, **lease)
    try:
        delivered = _wait_until(
            lambda: _deliveries(database_url)[0].status == "delivered"
        )
    finally:
        processes.stop(second)

    assert held.status == "pending"
    assert held.lease_owner is not None
    assert delivered
    ids = [item.headers["webhook-id"] for item in sink.wait_for(2)]
    assert ids == [event["id"], event["id"]]


def test_every_event_accepted_before_a_kill_is_delivered_after_restart(
    sink, database_url, hub
):
    key = create_key(hub.database, "org_kauri_training")
    headers = {"Authorization": f"Bearer {key}"}
    lease = {"EVENTHUB_LEASE_SECONDS": "2"}
    server = processes.start(["serve", "--port", "0"], database_url, **lease)
    url = processes.wait_for_line(server, r"serving on (http://\S+)")
    requests.post(
        f"{url}/v1/hooks", json={"settings": {"url": sink.url}}, headers=headers
    )
    template = shared_events()[0]
    accepted: list[str] = []

    def produce() -> None:
        while True:
            event = copy.deepcopy(template)
            event["id"] = str(uuid.uuid4())
            try:
                response = requests.post(
                    f"{url}/v1/events", data=json.dumps(event), headers=headers
                )
            except requests.ConnectionError:
                return
            if response.status_code == 202:
                accepted.append(event["id"])

    producer = threading.Thread(target=produce)
    producer.start()
    assert _wait_until(lambda: len(accepted) >= 50)
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    producer.join(timeout=30)

    restarted = processes.start(["serve", "--port", "0"], database_url, **lease)
    try:
        processes.wait_for_line(restarted, r"serving on (http://\S+)")
        settled = _wait_until(
            lambda: all(d.status == "delivered" for d in _deliveries(database_url))
        )
    finally:
        processes.stop(restarted)

    database = open_database(database_url)
    with database.session() as session:
        stored = set(session.scalars(select(Event.event_id)))
    delivered = {item.headers["webhook-id"] for item in sink.received}
    assert settled
    assert len(accepted) >= 50
    assert set(accepted) <= stored
    assert set(accepted) <= delivered


@pytest.mark.parametrize("role", [["serve"], ["web", "--processes", "1"]])
def test_a_chunked_body_over_the_limit_is_a_413_not_cut_short(database_url, hub, role):
    key = create_key(hub.database, "org_kauri_training")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    event = json.dumps(shared_events()[0]).encode()
    server = processes.start([*role, "--port", "0"], database_url)
    try:
        url = processes.wait_for_line(server, r"serving on (http://\S+)")

        # A generator is sent chunked, with no Content-Length. A valid event
        # then 2 MiB of spaces: cut at the 1 MiB limit it would look whole.
        def chunks(padding: int) -> Iterator[bytes]:
            yield event
            for _ in range(padding):
                yield b" " * 65536

        over = requests.post(f"{url}/v1/events", data=chunks(32), headers=headers)
        under = requests.post(f"{url}/v1/events", data=chunks(1), headers=headers)
    finally:
        processes.stop(server)

    assert over.status_code == 413
    assert over.json()["error"]["code"] == "too_large"
    assert under.status_code == 202
    assert len(under.json()["accepted"]) == 1
