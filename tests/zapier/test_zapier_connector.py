"""The ``zapier`` connector: its settings, its hooks and how it is found."""

from __future__ import annotations

import pytest

from connector.errors import InvalidInputError
from connector.registry import registry
from connectors.webhook import WebhookConnector
from connectors.zapier import ZapierConnector

TARGET = "https://hooks.zapier.com/hooks/standard/1234/abcd/"


def test_the_zapier_connector_is_found_by_its_entry_point():
    assert registry.get("zapier") is ZapierConnector


def test_it_posts_as_the_webhook_connector_does_but_deletes_on_410():
    assert issubclass(ZapierConnector, WebhookConnector)
    assert ZapierConnector.url_setting == "targetUrl"
    assert ZapierConnector.on_gone == "delete"
    assert WebhookConnector.on_gone == "disable"


def test_settings_take_a_target_url_and_an_event():
    settings = {"targetUrl": TARGET, "event": "quiz.viewed"}

    assert ZapierConnector.validate_settings(settings) == settings


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"targetUrl": "hooks.zapier.com/1", "event": "quiz.viewed"}, "targetUrl"),
        ({"targetUrl": TARGET, "event": "quiz.*"}, "event"),
        ({"event": "quiz.viewed"}, "targetUrl"),
        ({"targetUrl": TARGET}, "event"),
        ({"targetUrl": TARGET, "event": "quiz.viewed", "url": TARGET}, "url"),
    ],
)
def test_settings_refuse_what_zapier_would_never_send(settings, field):
    with pytest.raises(InvalidInputError) as caught:
        ZapierConnector.validate_settings(settings)

    assert list(caught.value.fields) == [f"settings.{field}"]


def test_a_hook_must_listen_to_exactly_its_event():
    settings = {"targetUrl": TARGET, "event": "quiz.viewed"}

    with pytest.raises(InvalidInputError, match="exactly one event type"):
        ZapierConnector.check_hook(settings, ["quiz.*"])


def test_the_hooks_api_keeps_a_zapier_hook_to_its_event(client, auth):
    body = {
        "connector": "zapier",
        "events": ["quiz.viewed", "page.viewed"],
        "settings": {"targetUrl": TARGET, "event": "quiz.viewed"},
    }

    response = client.post("/v1/hooks", json=body, headers=auth)

    assert response.status_code == 422
    assert "events" in response.get_json()["error"]["fields"]
