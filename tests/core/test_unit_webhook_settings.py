from __future__ import annotations

from typing import Any

import pytest

from connector.errors import InvalidInputError
from connectors.webhook import WebhookConnector

URL = "http://127.0.0.1:9/x"


def _fields_of(settings: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(
        InvalidInputError, match="The settings of the 'webhook' connector are not valid"
    ) as caught:
        WebhookConnector.validate_settings(settings)

    return caught.value.fields


def test_valid_settings_are_normalised_with_defaults():
    settings = WebhookConnector.validate_settings({"url": URL})

    assert settings == {"url": URL, "headers": {}, "timeout": 10.0}


def test_valid_settings_keep_custom_headers_and_timeout():
    settings = WebhookConnector.validate_settings(
        {"url": "https://example.org/hook", "headers": {"X-Team": "ops"}, "timeout": 3}
    )

    assert settings == {
        "url": "https://example.org/hook",
        "headers": {"X-Team": "ops"},
        "timeout": 3.0,
    }


@pytest.mark.parametrize(
    "name",
    [
        "webhook-id",
        "Webhook-Signature",
        "WEBHOOK-TIMESTAMP",
        "Host",
        "content-type",
        "Content-Length",
        "User-Agent",
    ],
)
def test_a_reserved_header_is_refused_when_the_hook_is_created(name: str):
    fields = _fields_of({"url": URL, "headers": {name: "x"}})

    assert fields == {
        "settings.headers": [
            f"{name!r} is set by eventhub itself and cannot be overridden."
        ]
    }


def test_each_bad_header_is_named():
    fields = _fields_of(
        {"url": URL, "headers": {"Host": "a", "Bad Name": "b", "X-Ok": "c\r\nd"}}
    )

    assert fields["settings.headers"] == [
        "'Host' is set by eventhub itself and cannot be overridden.",
        "'Bad Name' is not a valid HTTP header name.",
        "The value of 'X-Ok' may not contain line breaks.",
    ]


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "not a url", "example.org/hook", "http://"]
)
def test_a_bad_url_is_refused_at_settings_url(url: str):
    fields = _fields_of({"url": url})

    assert fields == {"settings.url": ["Give a full http:// or https:// URL."]}


def test_a_missing_url_is_refused():
    fields = _fields_of({})

    assert list(fields) == ["settings.url"]


@pytest.mark.parametrize("timeout", [0, 0.05, 60.5, 600, -1])
def test_a_timeout_out_of_range_is_refused(timeout: float):
    fields = _fields_of({"url": URL, "timeout": timeout})

    assert fields == {"settings.timeout": ["Use 0.1 to 60 seconds."]}


@pytest.mark.parametrize("timeout", [0.1, 60])
def test_the_timeout_limits_are_allowed(timeout: float):
    settings = WebhookConnector.validate_settings({"url": URL, "timeout": timeout})

    assert settings["timeout"] == timeout


def test_an_unknown_setting_is_refused():
    fields = _fields_of({"url": URL, "retries": 3})

    assert list(fields) == ["settings.retries"]
