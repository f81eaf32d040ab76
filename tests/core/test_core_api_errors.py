"""Bad input gets its documented error, and nothing is stored half."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from connector.keys import list_keys, revoke_key
from connector.store import Delivery, Event
from tests.conftest import shared_events


def _events_stored(hub) -> int:
    with hub.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def _error(response):
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_malformed_json_is_a_400_naming_the_problem(client, hub, auth):
    response = client.post("/v1/events", data='{"id": "x",', headers=auth)

    error = _error(response)
    assert response.status_code == 400
    assert error["code"] == "malformed_json"
    assert "not valid JSON" in error["message"]
    assert _events_stored(hub) == 0


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (lambda e: e.update(anonymous="yes"), "anonymous", "boolean"),
        (lambda e: e.pop("occurredAt"), "occurredAt", "Missing"),
        (lambda e: e.update(occurredAt="2024-06-24T03:12:05"), "occurredAt", "zone"),
        (lambda e: e.update(id="has.a.dot"), "id", "."),
        (lambda e: e["data"]["task"].pop("id"), "data.task.id", "Missing"),
        (lambda e: e["data"].update(mark=["A"]), "data.mark", ""),
        (lambda e: e.update(organisation="kauri"), "organisation", ""),
    ],
)
def test_an_invalid_field_is_a_422_naming_its_path(
    client, hub, auth, change, path, reason
):
    event = next(e for e in shared_events() if e["event"] == "task.assessed.marked")
    change(event)

    response = client.post("/v1/events", json=event, headers=auth)

    error = _error(response)
    assert response.status_code == 422
    assert path in error["fields"], error
    assert reason in " ".join(error["fields"][path])
    assert _events_stored(hub) == 0


def test_an_unknown_event_type_is_a_422_listing_the_valid_ones(client, auth):
    event = shared_events()[0]
    event["event"] = "lesson.teleported"

    error = _error(client.post("/v1/events", json=event, headers=auth))

    assert "lesson.teleported" in error["fields"]["event"][0]
    assert "task.assessed.marked" in error["fields"]["event"][0]


def test_a_body_that_is_not_an_event_is_refused(client, auth):
    for body in ("[]", "42", '"text"'):
        response = client.post("/v1/events", data=body, headers=auth)

        assert response.status_code == 422, body
        assert "" in _error(response)["fields"]


def test_a_batch_with_one_invalid_event_stores_none_of_it(client, hub, auth):
    events = shared_events()
    events[5]["data"] = "not an object"

    response = client.post("/v1/events", json=events, headers=auth)

    error = _error(response)
    assert response.status_code == 422
    assert list(error["fields"]) == ["5.data"]
    assert "1 of 19" in error["message"]
    assert _events_stored(hub) == 0
    with hub.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_an_oversized_body_is_a_413(client, hub, auth):
    event = shared_events()[0]
    event["data"]["padding"] = "x" * (1024 * 1024)

    response = client.post("/v1/events", data=json.dumps(event), headers=auth)

    assert response.status_code == 413
    assert _error(response)["code"] == "too_large"
    assert _events_stored(hub) == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer ehk_wrong"}, {"Authorization": "Basic abc"}],
)
def test_a_missing_or_wrong_key_is_a_401(client, hub, key, headers):
    response = client.post("/v1/events", json=shared_events()[0], headers=headers)

    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"
    assert key not in response.get_data(as_text=True)
    assert _events_stored(hub) == 0


def test_a_revoked_key_is_a_401(client, hub, key, auth):
    revoke_key(hub.database, list_keys(hub.database)[0].id)

    response = client.get("/v1/hooks", headers=auth)

    assert response.status_code == 401


def test_another_organisations_ids_answer_404(client, auth, other_key):
    hook = client.post(
        "/v1/hooks", json={"settings": {"url": "http://127.0.0.1:9/"}}, headers=auth
    ).get_json()
    client.post("/v1/events", json=shared_events()[0], headers=auth)
    delivery = client.get("/v1/deliveries", headers=auth).get_json()[0]
    other = {"Authorization": f"Bearer {other_key}"}

    answers = [
        client.get(f"/v1/hooks/{hook['id']}", headers=other),
        client.patch(f"/v1/hooks/{hook['id']}", json={"enabled": False}, headers=other),
        client.delete(f"/v1/hooks/{hook['id']}", headers=other),
        client.post(f"/v1/hooks/{hook['id']}/test", json={}, headers=other),
        client.post(f"/v1/hooks/{hook['id']}/rotate-secret", headers=other),
        client.get(f"/v1/deliveries/{delivery['id']}", headers=other),
        client.post(f"/v1/deliveries/{delivery['id']}/replay", headers=other),
    ]

    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert client.get("/v1/hooks", headers=other).get_json() == []
    assert client.get("/v1/deliveries", headers=other).get_json() == []
    assert client.get(f"/v1/hooks/{hook['id']}", headers=auth).get_json()["enabled"]


def test_unknown_routes_and_methods_answer_in_the_error_shape(client, auth):
    missing = client.get("/v1/nothing-here", headers=auth)
    wrong_method = client.put("/v1/events", headers=auth)

    assert missing.status_code == 404
    assert _error(missing)["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert _error(wrong_method)["code"] == "method_not_allowed"


def test_bad_query_parameters_are_a_422(client, auth):
    limit = client.get("/v1/deliveries?limit=0", headers=auth)
    status = client.get("/v1/deliveries?status=lost", headers=auth)
    since = client.get("/v1/events?since=yesterday", headers=auth)

    assert [limit.status_code, status.status_code, since.status_code] == [422] * 3
    assert "limit" in _error(limit)["fields"]
    assert "status" in _error(status)["fields"]
    assert "since" in _error(since)["fields"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 5000 + b"]" * 5000, "nested more than"),
        (b'{"a": ' * 100 + b"1" + b"}" * 100, "nested more than"),
        (b'{"id": "\xff"}', "not UTF-8"),
        (b'{"id": "\\ud800"}', "unpaired surrogate"),
        (b'{"id": NaN}', "NaN is not a JSON value"),
        (b'{"id": 1e999}', "too large"),
        (b'{"id": ' + b"1" * 5000 + b"}", "5000 digits is too large"),
    ],
)
def test_json_that_is_not_portable_is_a_400(client, hub, auth, body, reason):
    response = client.post("/v1/events", data=body, headers=auth)

    assert response.status_code == 400
    assert reason in _error(response)["message"]
    assert _events_stored(hub) == 0


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda e: e.update(id="日本-1"), "id"),
        (lambda e: e.update(id="a b"), "id"),
        (lambda e: e.update(id="x\r\nX-Injected: 1"), "id"),
        (lambda e: e.update(occurredAt="0001-01-01T00:00:00+01:00"), "occurredAt"),
        (lambda e: e.update(occurredAt="2024-W26-1T03:12:05Z"), "occurredAt"),
    ],
)
def test_ids_and_times_that_cannot_travel_are_refused(client, auth, change, path):
    event = shared_events()[0]
    change(event)

    response = client.post("/v1/events", json=event, headers=auth)

    assert response.status_code == 422
    assert path in _error(response)["fields"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda e: e["data"].update(comment="fine\u0000then"), "data.comment"),
        (lambda e: e["organisation"].update(name="Kauri\u0000"), "organisation.name"),
        (lambda e: e["data"].update({"odd\u0000key": 1}), "data.odd\u0000key"),
    ],
)
def test_an_escaped_nul_anywhere_in_an_event_is_a_422_naming_it(
    client, hub, auth, change, path
):
    event = shared_events()[0]
    change(event)

    response = client.post("/v1/events", json=event, headers=auth)

    error = _error(response)
    assert response.status_code == 422
    assert "NUL" in error["message"]
    assert list(error["fields"]) == [path]
    assert _events_stored(hub) == 0


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/events?event=task%00", "event"),
        ("/v1/deliveries?hook=hk%00x", "hook"),
        ("/v1/hooks/hk_%00", "path"),
        ("/v1/deliveries/dl_%00", "path"),
    ],
)
def test_a_nul_in_a_path_or_query_is_a_422_on_every_database(client, auth, url, field):
    response = client.get(url, headers=auth)

    assert response.status_code == 422
    assert field in _error(response)["fields"]


def test_a_hook_body_nested_too_deeply_is_a_400(client, auth):
    response = client.post("/v1/hooks", data="[" * 3000 + "]" * 3000, headers=auth)

    assert response.status_code == 400


def test_hook_switches_take_json_booleans_only(client, auth):
    response = client.post(
        "/v1/hooks",
        json={"enabled": "false", "settings": {"url": "https://x.org"}},
        headers=auth,
    )

    assert response.status_code == 422
    assert "enabled" in _error(response)["fields"]


def test_the_test_call_takes_an_event_key_only(client, auth):
    hook = client.post(
        "/v1/hooks", json={"settings": {"url": "https://x.org"}}, headers=auth
    ).get_json()

    listed = client.post(
        f"/v1/hooks/{hook['id']}/test", json={"event": ["x"]}, headers=auth
    )
    array = client.post(f"/v1/hooks/{hook['id']}/test", json=[1], headers=auth)

    assert listed.status_code == 422
    assert "event" in _error(listed)["fields"]
    assert array.status_code == 422
