"""The ``/zapier`` routes: subscribe, unsubscribe, recent events and ``me``."""

from __future__ import annotations

import pytest

from connector.catalogue import EVENT_KEYS, get_event_type
from connectors.zapier.routes import MAX_LIST_LIMIT
from tests.conftest import ORGANISATION
from tests.zapier.conftest import make_event

TARGET = "https://hooks.zapier.com/hooks/standard/1234/abcd/"


def _subscribe(client, auth, event="task.assessed.marked", **body):
    body = body or {"targetUrl": TARGET}
    return client.post("/zapier/hooks", json={**body, "event": event}, headers=auth)


def test_subscribe_creates_a_zapier_hook_and_answers_its_id(client, auth):
    response = _subscribe(client, auth)

    assert response.status_code == 201
    assert list(response.get_json()) == ["id"]
    hook = client.get(f"/v1/hooks/{response.get_json()['id']}", headers=auth)
    assert hook.get_json()["connector"] == "zapier"
    assert hook.get_json()["events"] == ["task.assessed.marked"]
    assert hook.get_json()["settings"] == {
        "targetUrl": TARGET,
        "event": "task.assessed.marked",
    }


@pytest.mark.parametrize("name", ["targetUrl", "target_url", "hookUrl"])
def test_subscribe_takes_the_target_url_under_each_name_zapier_uses(client, auth, name):
    response = _subscribe(client, auth, **{name: TARGET})

    assert response.status_code == 201
    hook = client.get(f"/v1/hooks/{response.get_json()['id']}", headers=auth)
    assert hook.get_json()["settings"]["targetUrl"] == TARGET


def test_subscribe_refuses_an_unknown_event_listing_the_valid_ones(client, auth):
    response = _subscribe(client, auth, event="task.marked")

    assert response.status_code == 422
    reasons = response.get_json()["error"]["fields"]["event"]
    assert "'task.marked'" in reasons[0]
    assert all(key in reasons[0] for key in EVENT_KEYS)
    assert client.get("/v1/hooks", headers=auth).get_json() == []


def test_subscribe_without_an_event_lists_the_valid_ones(client, auth):
    response = client.post("/zapier/hooks", json={"targetUrl": TARGET}, headers=auth)

    assert response.status_code == 422
    assert "task.assessed.marked" in response.get_json()["error"]["fields"]["event"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"targetUrl": "not a url"}, "targetUrl"),
        ({"hookUrl": "ftp://hooks.zapier.com/1"}, "hookUrl"),
        ({"target_url": ""}, "target_url"),
        ({}, "targetUrl"),
    ],
)
def test_subscribe_refuses_a_bad_or_missing_target_url(client, auth, body, field):
    response = client.post(
        "/zapier/hooks", json={**body, "event": "quiz.viewed"}, headers=auth
    )

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid"
    assert list(response.get_json()["error"]["fields"]) == [field]
    assert client.get("/v1/hooks", headers=auth).get_json() == []


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer ehk_not_a_key"}, {"X-API-Key": "nope"}]
)
def test_subscribe_without_a_valid_key_is_refused(client, auth, headers):
    response = client.post(
        "/zapier/hooks",
        json={"targetUrl": TARGET, "event": "quiz.viewed"},
        headers=headers,
    )

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/v1/hooks", headers=auth).get_json() == []


def test_subscribe_accepts_the_key_as_x_api_key(client, key):
    response = _subscribe(client, {"X-API-Key": key})

    assert response.status_code == 201


def test_subscribe_refuses_a_body_that_is_not_an_object(client, auth):
    response = client.post("/zapier/hooks", json=[TARGET], headers=auth)

    assert response.status_code == 422


def test_unsubscribe_deletes_the_hook_and_answers_a_json_body(client, auth):
    hook_id = _subscribe(client, auth).get_json()["id"]

    response = client.delete(f"/zapier/hooks/{hook_id}", headers=auth)

    assert response.status_code == 200
    assert response.get_json() == {"id": hook_id, "deleted": True}
    assert client.get(f"/v1/hooks/{hook_id}", headers=auth).status_code == 404


def test_subscribe_and_unsubscribe_twice(client, auth):
    first = _subscribe(client, auth).get_json()["id"]
    client.delete(f"/zapier/hooks/{first}", headers=auth)

    again = client.delete(f"/zapier/hooks/{first}", headers=auth)
    second = _subscribe(client, auth).get_json()["id"]
    removed = client.delete(f"/zapier/hooks/{second}", headers=auth)

    assert again.status_code == 404
    assert again.get_json()["error"]["code"] == "not_found"
    assert second != first
    assert removed.status_code == 200
    assert client.get("/v1/hooks", headers=auth).get_json() == []


def test_unsubscribe_of_an_unknown_id_is_404(client, auth):
    response = client.delete("/zapier/hooks/hk_unknown", headers=auth)

    assert response.status_code == 404
    assert "hk_unknown" in response.get_json()["error"]["message"]


def test_unsubscribe_leaves_a_hook_that_is_not_zapiers(client, auth):
    hook = client.post(
        "/v1/hooks", json={"settings": {"url": "https://example.org/in"}}, headers=auth
    ).get_json()

    response = client.delete(f"/zapier/hooks/{hook['id']}", headers=auth)

    assert response.status_code == 404
    assert "not a Zapier subscription" in response.get_json()["error"]["message"]
    assert client.get(f"/v1/hooks/{hook['id']}", headers=auth).status_code == 200


def test_another_organisation_can_neither_see_nor_remove_a_subscription(
    client, auth, other_key
):
    other = {"Authorization": f"Bearer {other_key}"}
    hook_id = _subscribe(client, auth).get_json()["id"]
    client.post("/v1/events", json=make_event("task.assessed.marked"), headers=auth)

    removed = client.delete(f"/zapier/hooks/{hook_id}", headers=other)
    listed = client.get("/zapier/events/task.assessed.marked", headers=other)
    hooks = client.get("/v1/hooks", headers=other)

    assert removed.status_code == 404
    assert listed.get_json() == [get_event_type("task.assessed.marked").sample]
    assert hooks.get_json() == []
    assert client.get(f"/v1/hooks/{hook_id}", headers=auth).status_code == 200


def test_events_lists_recent_events_of_the_type_newest_first(client, auth):
    sent = [make_event("quiz.viewed") for _ in range(3)]
    for event in sent:
        client.post("/v1/events", json=event, headers=auth)
    client.post("/v1/events", json=make_event("page.viewed"), headers=auth)

    response = client.get("/zapier/events/quiz.viewed?limit=2", headers=auth)

    assert response.status_code == 200
    assert [event["id"] for event in response.get_json()] == [
        sent[2]["id"],
        sent[1]["id"],
    ]


def test_events_answers_the_sample_when_there_are_none(client, auth):
    response = client.get("/zapier/events/payment.completed", headers=auth)

    assert response.get_json() == [get_event_type("payment.completed").sample]


def test_events_of_an_unknown_type_is_404(client, auth):
    response = client.get("/zapier/events/quiz.burned", headers=auth)

    assert response.status_code == 404
    assert "quiz.viewed" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("limit", ["0", str(MAX_LIST_LIMIT + 1), "many"])
def test_events_refuses_a_limit_out_of_range(client, auth, limit):
    response = client.get(f"/zapier/events/quiz.viewed?limit={limit}", headers=auth)

    assert response.status_code == 422
    assert "limit" in response.get_json()["error"]["fields"]


def test_me_answers_the_organisation_of_the_key(client, auth):
    response = client.get("/zapier/me", headers=auth)

    assert response.status_code == 200
    assert response.get_json()["id"] == ORGANISATION
    assert ORGANISATION in response.get_json()["label"]


def test_me_without_a_key_is_401(client):
    response = client.get("/zapier/me")

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/zapier/hooks/"),
        ("delete", "/zapier/hooks/hk_unknown/"),
        ("get", "/zapier/events/quiz.viewed/"),
        ("get", "/zapier/me/"),
    ],
)
def test_no_zapier_route_redirects(client, auth, method, path):
    body = {"targetUrl": TARGET, "event": "quiz.viewed"}

    response = getattr(client, method)(path, json=body, headers=auth)

    assert not 300 <= response.status_code < 400
    assert response.is_json
