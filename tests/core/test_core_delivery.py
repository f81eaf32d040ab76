"""The delivery rules: retries, Retry-After, 410, permanent failures, replay.

Time is moved by making a delivery due in the database, never by sleeping.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from connector.base import DeliveryResult, Outcome
from connector.clock import utcnow
from connector.delivery import queue, schedule
from connector.delivery.worker import drain
from connector.store import Delivery, Hook
from tests.conftest import shared_events
from tests.support.sink import Answer


@pytest.fixture
def hook(client, auth, sink):
    response = client.post(
        "/v1/hooks", json={"settings": {"url": f"{sink.url}/in"}}, headers=auth
    )
    return response.get_json()


@pytest.fixture
def emitted(client, auth, hook):
    event = next(e for e in shared_events() if e["event"] == "task.assessed.marked")
    client.post("/v1/events", json=event, headers=auth)
    return event


def _delivery(hub) -> Delivery:
    with hub.database.session() as session:
        return session.scalars(select(Delivery).order_by(Delivery.created_at)).first()


def _make_due(hub) -> None:
    with hub.database.session() as session:
        now = hub.database.now(session)
        session.execute(update(Delivery).values(next_attempt_at=now))


def _run(hub) -> int:
    return drain(hub.database, hub.registry, hub.settings)


def test_a_5xx_is_retried_on_schedule_with_the_same_bytes(
    hub, sink, emitted, client, auth
):
    sink.answer(Answer(status=503))

    _run(hub)
    pending = _delivery(hub)
    with hub.database.session() as session:
        now = hub.database.now(session)
    _make_due(hub)
    _run(hub)
    delivered = _delivery(hub)
    detail = client.get(f"/v1/deliveries/{delivered.id}", headers=auth).get_json()

    assert pending.status == "pending"
    assert pending.attempts == 1
    wait = (pending.next_attempt_at - now).total_seconds()
    assert 5 * 0.8 - 1 <= wait <= 5 * 1.2
    assert delivered.status == "delivered"
    assert [a["statusCode"] for a in detail["history"]] == [503, 204]
    assert [a["outcome"] for a in detail["history"]] == ["retry", "delivered"]
    first, second = sink.received
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == emitted["id"]


def test_retry_after_is_honoured(hub, sink, emitted):
    sink.answer(Answer(status=429, headers={"Retry-After": "600"}))

    _run(hub)
    delivery = _delivery(hub)
    with hub.database.session() as session:
        now = hub.database.now(session)

    wait = (delivery.next_attempt_at - now).total_seconds()
    assert 595 <= wait <= 600
    assert delivery.last_status_code == 429


def test_a_410_disables_the_webhook_hook_and_stops_its_deliveries(
    hub, sink, emitted, hook, client, auth
):
    sink.answer(Answer(status=410))

    _run(hub)
    client.post("/v1/events", json=shared_events()[0], headers=auth)
    shown = client.get(f"/v1/hooks/{hook['id']}", headers=auth).get_json()

    assert _delivery(hub).status == "failed"
    assert shown["enabled"] is False
    assert "410" in shown["disabledReason"]
    assert len(client.get("/v1/deliveries", headers=auth).get_json()) == 1
    assert _run(hub) == 0


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_a_permanent_4xx_fails_without_retry(hub, sink, emitted, status):
    sink.answer(Answer(status=status, body=b'{"why": "no"}'))

    _run(hub)
    delivery = _delivery(hub)

    assert delivery.status == "failed"
    assert delivery.attempts == 1
    assert str(status) in delivery.last_error
    assert _run(hub) == 0


def test_a_redirect_is_a_failure_and_is_not_followed(hub, sink, emitted):
    sink.answer(Answer(status=307, headers={"Location": f"{sink.url}/elsewhere"}))

    _run(hub)

    assert _delivery(hub).status == "failed"
    assert "redirect" in _delivery(hub).last_error
    assert [item.path for item in sink.received] == ["/in"]


def test_a_delivery_fails_for_good_after_the_last_try(hub, sink, emitted):
    sink.default = Answer(status=500)

    for _ in range(schedule.MAX_ATTEMPTS):
        _make_due(hub)
        _run(hub)
    delivery = _delivery(hub)

    assert delivery.status == "failed"
    assert delivery.attempts == schedule.MAX_ATTEMPTS == 10
    assert delivery.last_error.startswith("Gave up after 10 attempts")
    assert len(sink.received) == 10


def test_a_failed_delivery_is_replayed_with_the_same_id_and_bytes(
    hub, sink, emitted, client, auth
):
    sink.answer(Answer(status=400))
    _run(hub)
    failed = _delivery(hub)

    replayed = client.post(f"/v1/deliveries/{failed.id}/replay", headers=auth)
    _run(hub)
    listed = client.get("/v1/deliveries", headers=auth).get_json()

    assert replayed.status_code == 202
    assert replayed.get_json()["replayOf"] == failed.id
    assert [row["status"] for row in listed] == ["delivered", "failed"]
    first, second = sink.received
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]


def test_a_hook_failing_for_five_days_is_disabled_and_says_why(
    hub, sink, emitted, hook
):
    sink.default = Answer(status=500)
    with hub.database.session() as session:
        now = hub.database.now(session)
        session.execute(
            update(Hook).values(failing_since=now - timedelta(days=5, minutes=1))
        )

    _run(hub)

    with hub.database.session() as session:
        stored = session.get(Hook, hook["id"])
    assert stored.enabled is False
    assert "5 days" in stored.disabled_reason


def test_a_success_clears_the_failing_clock(hub, sink, emitted, hook):
    sink.answer(Answer(status=500))
    _run(hub)
    _make_due(hub)
    _run(hub)

    with hub.database.session() as session:
        assert session.get(Hook, hook["id"]).failing_since is None


def test_a_slow_receiver_times_out_and_is_retried(client, auth, sink, hub):
    client.post(
        "/v1/hooks",
        json={"settings": {"url": sink.url, "timeout": 0.2}},
        headers=auth,
    )
    client.post("/v1/events", json=shared_events()[0], headers=auth)
    sink.answer(Answer(delay=1.0))

    _run(hub)
    delivery = _delivery(hub)

    assert delivery.status == "pending"
    assert "did not answer within 0.2 s" in delivery.last_error


def test_an_unreachable_receiver_is_retried(client, auth, hub):
    client.post(
        "/v1/hooks",
        json={"settings": {"url": "http://127.0.0.1:9/closed"}},
        headers=auth,
    )
    client.post("/v1/events", json=shared_events()[0], headers=auth)

    _run(hub)
    delivery = _delivery(hub)

    assert delivery.status == "pending"
    assert delivery.last_error.startswith("Could not connect to 127.0.0.1")


def test_the_response_kept_in_an_attempt_is_cut_at_64_kib(
    hub, sink, emitted, client, auth
):
    sink.answer(Answer(status=200, body=b"y" * (200 * 1024)))

    _run(hub)
    detail = client.get(f"/v1/deliveries/{_delivery(hub).id}", headers=auth).get_json()

    assert len(detail["history"][0]["responseBody"]) == 64 * 1024


def test_an_answer_holding_nul_is_recorded_with_it_replaced(
    hub, sink, emitted, client, auth
):
    # PostgreSQL text cannot hold NUL: kept as it came, it would fail the
    # record and the delivery would be sent again and again.
    sink.answer(Answer(status=200, body=b"ok\x00then"))

    _run(hub)
    delivery = _delivery(hub)
    detail = client.get(f"/v1/deliveries/{delivery.id}", headers=auth).get_json()

    assert delivery.status == "delivered"
    assert len(sink.received) == 1
    assert detail["history"][0]["responseBody"] == "ok\ufffdthen"


def test_a_leased_delivery_is_not_claimed_twice_until_the_lease_runs_out(hub, emitted):
    first = queue.claim(hub.database, "worker-a", 10, lease_seconds=60)
    second = queue.claim(hub.database, "worker-b", 10, lease_seconds=60)
    with hub.database.session() as session:
        now = hub.database.now(session)
        session.execute(update(Delivery).values(lease_expires_at=now))
    third = queue.claim(hub.database, "worker-b", 10, lease_seconds=60)

    assert len(first) == 1
    assert second == []
    assert [c.request.delivery_id for c in third] == [first[0].request.delivery_id]
    assert third[0].request.attempt == 1


def test_deliveries_are_listed_and_filtered(hub, sink, emitted, client, auth, hook):
    client.post("/v1/events", json=shared_events()[0], headers=auth)
    sink.answer(Answer(status=400))
    _run(hub)

    failed = client.get("/v1/deliveries?status=failed", headers=auth).get_json()
    by_event = client.get(f"/v1/deliveries?event={emitted['id']}", headers=auth)
    by_type = client.get("/v1/deliveries?event=task.assessed.marked", headers=auth)
    by_hook = client.get(f"/v1/deliveries?hook={hook['id']}", headers=auth)

    assert len(failed) == 1
    assert [d["event"] for d in by_event.get_json()] == [emitted["id"]]
    assert [d["eventType"] for d in by_type.get_json()] == ["task.assessed.marked"]
    assert len(by_hook.get_json()) == 2


def test_a_dead_target_waits_untried_while_other_targets_flow(client, auth, hub, sink):
    client.post(
        "/v1/hooks", json={"settings": {"url": "http://127.0.0.1:9/dead"}}, headers=auth
    )
    client.post("/v1/hooks", json={"settings": {"url": sink.url}}, headers=auth)
    for event in shared_events()[:3]:
        client.post("/v1/events", json=event, headers=auth)

    _run(hub)
    rows = client.get("/v1/deliveries?limit=10", headers=auth).get_json()
    dead = [row for row in rows if row["status"] == "pending"]

    assert len(sink.received) == 3
    assert len(dead) == 3
    assert sorted(row["attempts"] for row in dead) == [0, 0, 1]
    untried = [row for row in dead if row["attempts"] == 0]
    assert all(row["lastError"].startswith("Not tried") for row in untried)


def test_a_clock_reading_moves_on_with_the_time_passed_since():
    read = datetime(2026, 3, 4, 5, 6, 7)
    reading = queue.ClockReading(read, read_at=time.monotonic() - 90)

    now = reading.now()

    assert timedelta(seconds=90) <= now - read < timedelta(seconds=95)


def test_a_batch_is_recorded_at_the_claims_clock_plus_the_time_taken(hub, emitted):
    claimed = queue.claim(hub.database, "worker-a", 10, lease_seconds=60)
    late = queue.ClockReading(claimed[0].clock.at, claimed[0].clock.read_at - 3600)
    finished = queue.Finished(
        replace(claimed[0], clock=late),
        DeliveryResult(Outcome.DELIVERED, 204),
        claimed[0].clock.at,
    )

    queue.record(hub.database, [finished], {})

    delivered_at = _delivery(hub).delivered_at
    assert delivered_at - claimed[0].clock.at >= timedelta(seconds=3600)


def test_a_hook_deleted_while_its_delivery_is_in_flight_spares_the_rest(
    client, auth, hub, sink, hook
):
    other = client.post(
        "/v1/hooks", json={"settings": {"url": f"{sink.url}/other"}}, headers=auth
    ).get_json()
    client.post("/v1/events", json=shared_events()[0], headers=auth)
    claimed = queue.claim(hub.database, "worker-a", 10, lease_seconds=60)
    client.delete(f"/v1/hooks/{hook['id']}", headers=auth)
    answered = DeliveryResult(Outcome.DELIVERED, 204)

    queue.record(
        hub.database, [queue.Finished(c, answered, utcnow()) for c in claimed], {}
    )

    with hub.database.session() as session:
        left = session.scalars(select(Delivery)).all()
    assert len(claimed) == 2
    assert [(d.hook_id, d.status, d.attempts) for d in left] == [
        (other["id"], "delivered", 1)
    ]


def test_a_put_off_delivery_keeps_what_its_last_attempt_got(hub, emitted):
    first = queue.claim(hub.database, "worker-a", 10, lease_seconds=60)
    answered = DeliveryResult(Outcome.RETRY, 503, "The target answered 503.")
    queue.record(hub.database, [queue.Finished(first[0], answered, utcnow())], {})
    _make_due(hub)

    second = queue.claim(hub.database, "worker-a", 10, lease_seconds=60)
    put_off = DeliveryResult(Outcome.RETRY, error="Not tried.", attempted=False)
    queue.record(hub.database, [queue.Finished(second[0], put_off, utcnow())], {})

    delivery = _delivery(hub)
    assert delivery.attempts == 1
    assert delivery.last_status_code == 503
    assert delivery.last_error == "The target answered 503."
