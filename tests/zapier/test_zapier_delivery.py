"""Delivering to Zapier's target URL: signed POSTs, 410 Gone, 429 and 5xx.

A stand-in for Zapier's hook catcher on 127.0.0.1 answers as each test says.
Time is moved by making a delivery due in the database, never by sleeping.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook

from connector.delivery.schedule import JITTER, RETRY_DELAYS
from connector.store import Attempt, Delivery, Hook, HookSecret
from tests.support.sink import Answer
from tests.zapier.conftest import deliver_due, make_event

# The part of a Zapier hook URL that lets anyone post into the Zap.
SECRET_PATH = "hooks/standard/4242/9f8e7d6c5b4a"


@pytest.fixture
def target(sink):
    return f"{sink.url}/{SECRET_PATH}/"


@pytest.fixture
def hook_id(client, auth, target):
    response = client.post(
        "/zapier/hooks",
        json={"targetUrl": target, "event": "task.assessed.marked"},
        headers=auth,
    )
    return response.get_json()["id"]


def _emit(client, auth, count=1):
    events = [make_event("task.assessed.marked") for _ in range(count)]
    for event in events:
        client.post("/v1/events", json=event, headers=auth)
    return events


def _deliveries(hub):
    with hub.database.session() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.created_at))
        return [(row.status, row.attempts, row.last_status_code) for row in rows]


def _make_due(hub):
    with hub.database.session() as session:
        now = hub.database.now(session)
        session.execute(update(Delivery).values(next_attempt_at=now))


def test_an_event_reaches_the_target_url_signed_as_a_webhook(
    hub, client, auth, sink, hook_id
):
    event = _emit(client, auth)[0]

    deliver_due(hub)

    received = sink.wait_for(1)
    assert len(received) == 1
    assert received[0].path == f"/{SECRET_PATH}/"
    assert received[0].headers["webhook-id"] == event["id"]
    assert received[0].headers["content-type"] == "application/json"
    with hub.database.session() as session:
        secret = session.scalars(
            select(HookSecret.secret).where(HookSecret.hook_id == hook_id)
        ).one()
    assert Webhook(secret).verify(received[0].body, received[0].headers) == event
    assert _deliveries(hub) == [("delivered", 1, 204)]


def test_only_the_subscribed_event_type_is_sent(hub, client, auth, sink, hook_id):
    client.post("/v1/events", json=make_event("task.submitted"), headers=auth)

    deliver_due(hub)

    assert sink.received == []
    assert _deliveries(hub) == []


def test_a_410_removes_the_subscription_and_its_pending_deliveries(
    hub, client, auth, sink, hook_id
):
    _emit(client, auth, count=3)
    sink.default = Answer(status=410)

    deliver_due(hub, batch_size=1)
    _make_due(hub)
    deliver_due(hub)

    assert len(sink.received) == 1
    with hub.database.session() as session:
        assert session.get(Hook, hook_id) is None
        assert session.scalars(select(Delivery)).all() == []
        assert session.scalars(select(Attempt)).all() == []
        assert session.scalars(select(HookSecret)).all() == []
    assert client.get(f"/v1/hooks/{hook_id}", headers=auth).status_code == 404
    assert client.delete(f"/zapier/hooks/{hook_id}", headers=auth).status_code == 404


def test_a_410_leaves_other_subscriptions_alone(hub, client, auth, sink, hook_id):
    other = client.post(
        "/zapier/hooks",
        json={"targetUrl": f"{sink.url}/other", "event": "task.assessed.marked"},
        headers=auth,
    ).get_json()["id"]
    sink.answer(Answer(status=410))
    _emit(client, auth)

    deliver_due(hub, batch_size=1)
    deliver_due(hub)

    gone, kept = (hook_id, other)
    if sink.received[0].path == "/other":
        gone, kept = kept, gone
    assert len(sink.received) == 2
    assert client.get(f"/v1/hooks/{gone}", headers=auth).status_code == 404
    assert client.get(f"/v1/hooks/{kept}", headers=auth).status_code == 200
    assert _deliveries(hub) == [("delivered", 1, 204)]


def test_a_429_is_retried_after_the_seconds_in_retry_after(
    hub, client, auth, sink, hook_id
):
    _emit(client, auth)
    sink.answer(Answer(status=429, headers={"Retry-After": "120"}))

    deliver_due(hub)
    with hub.database.session() as session:
        delivery = session.scalars(select(Delivery)).one()
        wait = (delivery.next_attempt_at - hub.database.now(session)).total_seconds()
    _make_due(hub)
    deliver_due(hub)

    assert 110 < wait <= 120
    first, second = sink.wait_for(2)
    assert second.body == first.body
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert _deliveries(hub) == [("delivered", 2, 204)]


def test_a_retry_after_of_zero_still_waits_the_scheduled_time(
    hub, client, auth, sink, hook_id
):
    _emit(client, auth)
    sink.answer(Answer(status=429, headers={"Retry-After": "0"}))

    deliver_due(hub)

    assert len(sink.received) == 1
    assert _deliveries(hub) == [("pending", 1, 429)]
    with hub.database.session() as session:
        delivery = session.scalars(select(Delivery)).one()
        wait = (delivery.next_attempt_at - hub.database.now(session)).total_seconds()
    assert wait >= RETRY_DELAYS[0] * (1 - JITTER) - 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_from_zapier_is_retried(hub, client, auth, sink, hook_id, status):
    _emit(client, auth)
    sink.answer(Answer(status=status))

    deliver_due(hub)
    pending = _deliveries(hub)
    _make_due(hub)
    deliver_due(hub)

    assert pending == [("pending", 1, status)]
    assert _deliveries(hub) == [("delivered", 2, 204)]
    assert client.get(f"/v1/hooks/{hook_id}", headers=auth).status_code == 200


def test_no_log_line_or_attempt_record_holds_the_target_url(
    hub, client, auth, sink, caplog
):
    # eventhub's own loggers, at their most verbose. urllib3's DEBUG lines do
    # hold the path, which is why the CLI must keep urllib3 at WARNING.
    caplog.set_level(logging.DEBUG, logger="connector")
    caplog.set_level(logging.DEBUG, logger="connectors")
    sink.answer(Answer(status=429, headers={"Retry-After": "5"}), Answer(status=410))
    hook = client.post(
        "/zapier/hooks",
        json={"targetUrl": f"{sink.url}/{SECRET_PATH}", "event": "quiz.viewed"},
        headers=auth,
    ).get_json()["id"]
    client.post("/v1/events", json=make_event("quiz.viewed"), headers=auth)

    deliver_due(hub)
    with hub.database.session() as session:
        errors = session.scalars(select(Attempt.error)).all()
    _make_due(hub)
    deliver_due(hub)
    client.delete(f"/zapier/hooks/{hook}", headers=auth)

    assert len(sink.received) == 2
    assert "zapier" in caplog.text
    assert SECRET_PATH not in caplog.text
    assert errors and all(SECRET_PATH not in (error or "") for error in errors)
