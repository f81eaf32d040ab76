"""Ingest end to end: real HTTP into waitress, real HTTP out to a receiver."""

from __future__ import annotations

import json
import threading
from typing import Any

import requests
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from connector.store import Delivery, Event, Organisation, open_database
from tests.conftest import ORGANISATION, shared_events
from tests.support.served import ServedHub


def _create_hook(base: str, key: str, **body: Any) -> dict[str, Any]:
    response = requests.post(
        f"{base}/v1/hooks", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 201, response.text
    return response.json()


def _post(base: str, key: str, body: Any) -> requests.Response:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(
        f"{base}/v1/events",
        data=data,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )


def _count(database_url: str, model: Any) -> int:
    database = open_database(database_url)
    with database.session() as session:
        total = session.scalar(select(func.count()).select_from(model))
    database.dispose()
    return int(total or 0)


def test_every_shared_event_arrives_signed_at_the_receiver(served, sink, key):
    hook = _create_hook(
        served.url,
        key,
        events=["*"],
        settings={"url": f"{sink.url}/hook", "headers": {"X-Team": "ops"}},
    )
    events = shared_events()

    for event in events:
        response = _post(served.url, key, json.dumps(event, indent=2))
        assert response.status_code == 202, response.text
        assert response.json() == {"accepted": [event["id"]], "duplicates": []}
    received = sink.wait_for(len(events))

    assert len(events) == 19
    assert len(received) == 19
    verifier = Webhook(hook["secret"])
    by_id = {item.headers["webhook-id"]: item for item in received}
    for event in events:
        item = by_id[event["id"]]
        assert verifier.verify(item.body, item.headers) == event
        assert item.headers["x-team"] == "ops"
        assert item.headers["content-type"] == "application/json"
        assert item.headers["user-agent"].startswith("eventhub/")
        assert item.path == "/hook"


def test_an_array_is_accepted_in_one_request_and_each_event_delivered(
    served, sink, key
):
    _create_hook(served.url, key, events=["quiz.*"], settings={"url": sink.url})
    events = shared_events()
    quiz_ids = {e["id"] for e in events if e["event"].startswith("quiz.")}

    response = _post(served.url, key, events)
    received = sink.wait_for(len(quiz_ids))

    assert response.status_code == 202
    assert response.json()["accepted"] == [event["id"] for event in events]
    assert {item.headers["webhook-id"] for item in received} == quiz_ids


def test_a_repeated_event_is_a_duplicate_and_is_delivered_once(served, sink, key):
    _create_hook(served.url, key, settings={"url": sink.url})
    event = shared_events()[0]

    first = _post(served.url, key, event)
    second = _post(served.url, key, event)
    batch = _post(served.url, key, [event, event])
    sink.wait_for(1)

    assert first.json() == {"accepted": [event["id"]], "duplicates": []}
    assert second.json() == {"accepted": [], "duplicates": [event["id"]]}
    assert batch.json() == {"accepted": [], "duplicates": [event["id"], event["id"]]}
    assert sink.wait_for(2, timeout=1.0) and len(sink.received) == 1


def test_the_event_and_its_deliveries_are_on_disk_before_the_202(hub, sink, key):
    served = ServedHub(hub, workers=False).start()
    try:
        _create_hook(served.url, key, settings={"url": sink.url})
        _create_hook(served.url, key, events=["task.*"], settings={"url": sink.url})
        event = next(e for e in shared_events() if e["event"] == "task.submitted")

        response = _post(served.url, key, event)
    finally:
        served.stop()

    assert response.status_code == 202
    database = open_database(hub.settings.database_url)
    with database.session() as session:
        stored = session.scalars(select(Event)).one()
        deliveries = session.scalars(select(Delivery)).all()
    assert stored.event_id == event["id"]
    assert [d.status for d in deliveries] == ["pending", "pending"]
    assert all(json.loads(d.payload) == event for d in deliveries)


def test_the_raw_body_of_a_single_event_is_kept_as_sent(client, hub, auth):
    event = shared_events()[3]
    body = json.dumps(event, indent=3)

    client.post("/v1/events", data=body, headers=auth)

    with hub.database.session() as session:
        assert session.scalars(select(Event.body)).one() == body


def test_unknown_fields_are_kept_and_passed_on(served, sink, key):
    _create_hook(served.url, key, settings={"url": sink.url})
    event = shared_events()[0]
    event["extraTopLevel"] = {"kept": True}
    event["data"]["somethingNew"] = [1, 2, 3]

    _post(served.url, key, event)
    delivered = json.loads(sink.wait_for(1)[0].body)

    assert delivered["extraTopLevel"] == {"kept": True}
    assert delivered["data"]["somethingNew"] == [1, 2, 3]


def test_filter_tags_and_anonymous_shape_what_each_hook_receives(served, sink, key):
    anonymous = _create_hook(
        served.url,
        key,
        events=["task.assessed.marked"],
        anonymous=True,
        settings={"url": f"{sink.url}/anon"},
    )
    _create_hook(
        served.url,
        key,
        events=["*"],
        filter={"tags": ["no-such-tag"]},
        settings={"url": f"{sink.url}/never"},
    )
    event = next(e for e in shared_events() if e["event"] == "task.assessed.marked")

    _post(served.url, key, event)
    received = sink.wait_for(1)

    assert [item.path for item in received] == ["/anon"]
    payload = Webhook(anonymous["secret"]).verify(received[0].body, received[0].headers)
    assert payload["anonymous"] is True
    assert payload["user"] is None
    assert payload["data"]["learner"] is None
    assert payload["data"]["marker"] is None
    assert payload["data"]["mark"] == event["data"]["mark"]
    assert sink.wait_for(2, timeout=0.5) and len(sink.received) == 1


def test_recent_events_are_listed_newest_first_for_the_own_organisation_only(
    client, auth, other_key
):
    events = shared_events()[:3]
    for event in events:
        client.post("/v1/events", json=event, headers=auth)

    own = client.get("/v1/events?limit=2", headers=auth).get_json()
    filtered = client.get(f"/v1/events?event={events[1]['event']}", headers=auth)
    foreign = client.get("/v1/events", headers={"Authorization": f"Bearer {other_key}"})

    assert [e["id"] for e in own] == [events[2]["id"], events[1]["id"]]
    assert [e["id"] for e in filtered.get_json()] == [events[1]["id"]]
    assert foreign.get_json() == []


def test_event_types_are_listed_with_their_samples(client, auth):
    listed = client.get("/v1/event-types", headers=auth).get_json()
    one = client.get("/v1/event-types/task.assessed.marked", headers=auth)
    unknown = client.get("/v1/event-types/nope.nope", headers=auth)

    assert len(listed) == 19
    assert {"key", "name", "category", "sample"} <= set(listed[0])
    assert one.get_json()["sample"]["event"] == "task.assessed.marked"
    assert unknown.status_code == 404
    assert "task.assessed.marked" in unknown.get_json()["error"]["message"]


def test_health_and_metrics_answer(client, auth):
    client.post("/v1/events", json=shared_events()[0], headers=auth)

    health = client.get("/healthz")
    metrics = client.get("/metrics").get_data(as_text=True)

    assert health.get_json() == {"status": "ok"}
    assert "eventhub_events 1.0" in metrics
    assert 'eventhub_deliveries{status="pending"} 0.0' in metrics


def test_no_event_is_stored_for_the_key_of_another_organisation(client, other_key):
    event = shared_events()[0]

    response = client.post(
        "/v1/events", json=event, headers={"Authorization": f"Bearer {other_key}"}
    )

    assert response.status_code == 422
    assert "organisation.id" in response.get_json()["error"]["fields"]
    assert ORGANISATION in response.get_json()["error"]["fields"]["organisation.id"][0]


def test_an_unnamed_organisation_takes_its_name_from_its_events(client, hub, auth):
    event = shared_events()[0]

    client.post("/v1/events", json=event, headers=auth)

    with hub.database.session() as session:
        stored = session.get(Organisation, event["organisation"]["id"])
    assert stored.name == event["organisation"]["name"]


def test_an_organisation_is_named_by_its_first_event_that_has_a_name(client, hub, auth):
    first, second = shared_events()[:2]
    first["organisation"].pop("name")

    client.post("/v1/events", json=first, headers=auth)
    client.post("/v1/events", json=second, headers=auth)

    with hub.database.session() as session:
        stored = session.get(Organisation, second["organisation"]["id"])
    assert stored.name == second["organisation"]["name"]


def test_the_same_new_event_sent_at_once_from_many_clients_is_stored_once(
    served, sink, key, database_url
):
    _create_hook(served.url, key, settings={"url": sink.url})
    event = shared_events()[3]
    event["id"] = "evt-raced-0001"
    start = threading.Barrier(8)
    answers: list[dict[str, Any]] = []

    def send() -> None:
        start.wait()
        answers.append(_post(served.url, key, event).json())

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(len(answer["accepted"]) for answer in answers) == 1
    assert sum(len(answer["duplicates"]) for answer in answers) == 7
    assert _count(database_url, Event) == 1
    assert _count(database_url, Delivery) == 1
