"""The definition run by Zapier's own runtime against the real app on 127.0.0.1.

``zapier-platform-core``'s ``createAppTester`` makes the requests a Zap would:
the connection test, subscribe, list and unsubscribe. A stand-in for Zapier's
hook catcher receives what the hub sends, and the trigger's ``perform`` turns
it into the items a Zap would see. Every run asserts that nothing tried to
reach beyond loopback.
"""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from connector.catalogue import EVENT_KEYS, get_event_type
from connector.store import Delivery, Hook
from connectors.zapier.definition import DEFINITION_PATH
from tests.conftest import ORGANISATION
from tests.zapier.conftest import deliver_due, make_event

TRIGGER = "triggers.task_assessed_marked.operation"


@pytest.fixture
def target(sink):
    return f"{sink.url}/hooks/standard/5150/f00dcafe/"


def _emit(api, auth, event):
    response = requests.post(
        f"{api.url}/v1/events", json=event, headers=auth, timeout=10
    )
    response.raise_for_status()


def _as_caught_by_zapier(caught):
    # What Zapier's hook catcher hands a trigger's perform: the parsed JSON
    # body, and the request as it came.
    return {
        "cleanedRequest": json.loads(caught.body),
        "rawRequest": {
            "method": "POST",
            "headers": caught.headers,
            "content": caught.body.decode(),
        },
    }


def _hooks(hub):
    with hub.database.session() as session:
        return {hook.id: hook.settings for hook in session.scalars(select(Hook))}


def test_the_definition_passes_zapiers_validation(zapier_runtime):
    answer = zapier_runtime.validate()

    assert answer["app"] == []
    assert answer["schema"] == []
    assert len(answer["triggers"]) == 19
    assert all(errors == [] for errors in answer["triggers"].values())


def test_validation_of_each_trigger_catches_a_missing_sample(zapier_runtime, tmp_path):
    definition = json.loads(DEFINITION_PATH.read_text(encoding="utf-8"))
    del definition["triggers"]["quiz_viewed"]["operation"]["sample"]
    broken = tmp_path / "definition.json"
    broken.write_text(json.dumps(definition), encoding="utf-8")

    answer = zapier_runtime.validate(broken)

    assert any("sample" in error for error in answer["triggers"]["quiz_viewed"])
    assert answer["triggers"]["quiz_viewed"] != []
    assert answer["triggers"]["task_submitted"] == []


def test_the_connection_test_reaches_zapier_me(zapier_runtime, auth_data):
    result = zapier_runtime.invoke("authentication.test", {"authData": auth_data})

    assert result["ok"], result
    assert result["result"]["id"] == ORGANISATION


def test_the_connection_test_fails_with_a_bad_key(zapier_runtime, auth_data):
    bad = {**auth_data, "api_key": "ehk_not_a_key"}

    result = zapier_runtime.invoke("authentication.test", {"authData": bad})

    assert not result["ok"]
    assert "401" in result["error"]["message"]


def test_a_zap_from_subscribe_to_unsubscribe(
    zapier_runtime, hub, api, auth, auth_data, sink, target
):
    bundle = {"authData": auth_data, "targetUrl": target}
    event = make_event("task.assessed.marked")

    subscribed, listed_before = zapier_runtime.invoke_all(
        [
            (f"{TRIGGER}.performSubscribe", bundle),
            (f"{TRIGGER}.performList", bundle),
        ]
    )
    hook_id = subscribed["result"]["id"]

    _emit(api, auth, event)
    deliver_due(hub)
    caught = sink.wait_for(1)[0]

    performed, listed_after, unsubscribed = zapier_runtime.invoke_all(
        [
            (f"{TRIGGER}.perform", {**bundle, **_as_caught_by_zapier(caught)}),
            (f"{TRIGGER}.performList", bundle),
            (
                f"{TRIGGER}.performUnsubscribe",
                {**bundle, "subscribeData": {"id": hook_id}},
            ),
        ]
    )
    _emit(api, auth, make_event("task.assessed.marked"))

    assert subscribed["ok"], subscribed
    assert listed_before["result"] == [get_event_type("task.assessed.marked").sample]
    assert caught.path == "/hooks/standard/5150/f00dcafe/"
    assert performed["result"] == [event]
    assert listed_after["result"] == [event]
    assert unsubscribed["result"] == {"id": hook_id, "deleted": True}
    assert _hooks(hub) == {}
    with hub.database.session() as session:
        assert session.scalars(select(Delivery)).all() == []


def test_unsubscribing_twice_fails_the_second_time(zapier_runtime, auth_data, target):
    bundle = {"authData": auth_data, "targetUrl": target}
    subscribed = zapier_runtime.invoke(f"{TRIGGER}.performSubscribe", bundle)
    bundle["subscribeData"] = subscribed["result"]

    first, second = zapier_runtime.invoke_all(
        [
            (f"{TRIGGER}.performUnsubscribe", bundle),
            (f"{TRIGGER}.performUnsubscribe", bundle),
        ]
    )

    assert first["ok"]
    assert not second["ok"]
    assert "404" in second["error"]["message"]


def test_every_trigger_subscribes_and_unsubscribes(
    zapier_runtime, hub, auth_data, target
):
    keys = list(json.loads(DEFINITION_PATH.read_text(encoding="utf-8"))["triggers"])
    bundle = {"authData": auth_data, "targetUrl": target}

    subscribed = zapier_runtime.invoke_all(
        [(f"triggers.{key}.operation.performSubscribe", bundle) for key in keys]
    )
    hooks = _hooks(hub)
    unsubscribed = zapier_runtime.invoke_all(
        [
            (
                f"triggers.{key}.operation.performUnsubscribe",
                {**bundle, "subscribeData": result["result"]},
            )
            for key, result in zip(keys, subscribed, strict=True)
        ]
    )

    assert all(result["ok"] for result in subscribed + unsubscribed)
    assert sorted(settings["event"] for settings in hooks.values()) == list(EVENT_KEYS)
    assert _hooks(hub) == {}


def test_the_runtime_refuses_to_leave_loopback(zapier_runtime):
    answer = zapier_runtime.run_raw(
        {
            "command": "invoke",
            "definition": str(DEFINITION_PATH),
            "calls": [
                {
                    "method": "authentication.test",
                    "bundle": {
                        "authData": {
                            "base_url": "https://hub.example.org",
                            "api_key": "ehk_x",
                        }
                    },
                }
            ],
        }
    )

    assert not answer["ok"]
    assert answer["refused"] == ["hub.example.org:443"]
