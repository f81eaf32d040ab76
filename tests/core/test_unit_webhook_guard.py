from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from connector import __version__
from connector.base import ConnectorOptions, DeliveryRequest, Outcome
from connector.mapper import render
from connector.signing import new_secret
from connectors.webhook import WebhookConnector
from connectors.webhook.guard import is_public
from tests.conftest import shared_events
from tests.support.sink import Answer, Sink

SECRET_PATH = "/hooks/secret-token-123?k=v"

# For answers the client gives up on: the sink must not wait on the socket
# for a next request that the closed client resets.
CLOSE = {"Connection": "close"}


@pytest.fixture
def guarded() -> Iterator[WebhookConnector]:
    connector = WebhookConnector(ConnectorOptions(allow_private_targets=False))
    yield connector
    connector.close()


@pytest.fixture
def open_connector() -> Iterator[WebhookConnector]:
    connector = WebhookConnector(ConnectorOptions(allow_private_targets=True))
    yield connector
    connector.close()


def _request(
    url: str, secrets: tuple[str, ...] = (), **settings: Any
) -> DeliveryRequest:
    event = shared_events()[0]
    return DeliveryRequest(
        delivery_id="dl_test",
        hook_id="hk_test",
        event_id=event["id"],
        event_key=event["event"],
        payload=render(event, anonymous=False),
        settings={"url": url, "timeout": 5.0, **settings},
        secrets=secrets,
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
    ],
)
def test_is_public_refuses_loopback_private_and_link_local(address: str):
    assert not is_public(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_is_public_accepts_internet_addresses(address: str):
    assert is_public(address)


def test_a_loopback_target_is_refused_before_anything_is_sent(
    guarded: WebhookConnector, sink: Sink
):
    result = guarded.deliver(_request(sink.url + "/hooks/a"))

    assert result.outcome is Outcome.FAILED
    assert "EVENTHUB_ALLOW_PRIVATE_TARGETS" in result.error
    assert "127.0.0.1" in result.error
    assert result.status_code is None
    assert sink.received == []


def test_a_name_that_does_not_resolve_is_retried(guarded: WebhookConnector):
    result = guarded.deliver(_request("http://nothing.invalid" + SECRET_PATH))

    assert result.outcome is Outcome.RETRY
    assert "nothing.invalid" in result.error
    assert "secret-token-123" not in result.error
    assert "k=v" not in result.error


def test_an_allowed_delivery_sends_signed_json(
    open_connector: WebhookConnector, sink: Sink
):
    secret = new_secret()
    request = _request(sink.url + "/hooks/a", (secret,), headers={"X-Team": "ops"})

    result = open_connector.deliver(request)
    received = sink.received

    assert result.outcome is Outcome.DELIVERED
    assert result.status_code == 204
    assert len(received) == 1
    assert received[0].path == "/hooks/a"
    assert received[0].body == request.payload.encode("utf-8")
    assert received[0].headers["content-type"] == "application/json"
    assert received[0].headers["user-agent"] == f"eventhub/{__version__}"
    assert received[0].headers["x-team"] == "ops"
    assert received[0].headers["webhook-id"] == request.event_id
    assert abs(int(received[0].headers["webhook-timestamp"]) - time.time()) < 60
    assert Webhook(secret).verify(received[0].body, received[0].headers)


def test_a_redirect_is_not_followed(open_connector: WebhookConnector, sink: Sink):
    sink.answer(Answer(302, headers={"Location": sink.url + "/elsewhere"}))

    result = open_connector.deliver(_request(sink.url + "/hooks/a"))

    assert result.outcome is Outcome.FAILED
    assert result.status_code == 302
    assert "redirect" in result.error
    assert [item.path for item in sink.received] == ["/hooks/a"]


def test_a_gone_answer_is_reported(open_connector: WebhookConnector, sink: Sink):
    sink.answer(Answer(410, body=b"unsubscribed"))

    result = open_connector.deliver(_request(sink.url + "/hooks/a"))

    assert result.outcome is Outcome.GONE
    assert result.response_body == "unsubscribed"


def test_retry_after_from_the_target_is_passed_on(
    open_connector: WebhookConnector, sink: Sink
):
    sink.answer(Answer(429, headers={"Retry-After": "120"}))

    result = open_connector.deliver(_request(sink.url + "/hooks/a"))

    assert result.outcome is Outcome.RETRY
    assert result.retry_after == 120.0


def test_the_response_body_is_cut_at_64_kib(
    open_connector: WebhookConnector, sink: Sink
):
    sink.answer(Answer(500, CLOSE, body=b"x" * (64 * 1024 + 4096)))

    result = open_connector.deliver(_request(sink.url + "/hooks/a"))

    assert result.outcome is Outcome.RETRY
    assert result.response_body == "x" * (64 * 1024)


def test_a_slow_target_times_out_and_is_retried(
    open_connector: WebhookConnector, sink: Sink
):
    sink.answer(Answer(headers=CLOSE, delay=1.0))

    result = open_connector.deliver(_request(sink.url + SECRET_PATH, timeout=0.2))

    assert result.outcome is Outcome.RETRY
    assert result.error == "127.0.0.1 did not answer within 0.2 s."
    assert result.duration_ms < 1000


def test_a_closed_port_is_retried(open_connector: WebhookConnector):
    url = f"http://127.0.0.1:{_closed_port()}{SECRET_PATH}"

    result = open_connector.deliver(_request(url))

    assert result.outcome is Outcome.RETRY
    assert result.error.startswith("Could not connect to 127.0.0.1")


def _error_of(url: str, allow_private: bool, timeout: float = 5.0) -> str:
    connector = WebhookConnector(ConnectorOptions(allow_private_targets=allow_private))
    try:
        result = connector.deliver(_request(url, timeout=timeout))
    finally:
        connector.close()

    assert result.outcome is not Outcome.DELIVERED
    return result.error or ""


def _assert_no_url_secret(error: str) -> None:
    assert error
    assert "secret-token-123" not in error
    assert "/hooks" not in error
    assert "k=v" not in error


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize("base", ["http://nothing.invalid", "http://127.0.0.1:{port}"])
def test_connection_errors_never_show_the_url_path_or_query(
    base: str, allow_private: bool
):
    url = base.format(port=_closed_port()) + SECRET_PATH

    error = _error_of(url, allow_private)

    _assert_no_url_secret(error)


def test_a_refusal_of_a_private_target_never_shows_the_url_path(sink: Sink):
    error = _error_of(sink.url + SECRET_PATH, allow_private=False)

    _assert_no_url_secret(error)
    assert sink.received == []


def test_a_timeout_never_shows_the_url_path(sink: Sink):
    sink.answer(Answer(headers=CLOSE, delay=0.6))

    error = _error_of(sink.url + SECRET_PATH, allow_private=True, timeout=0.2)

    _assert_no_url_secret(error)


@pytest.mark.parametrize("status", [302, 403, 410, 503])
def test_an_http_answer_never_shows_the_url_path(sink: Sink, status: int):
    sink.answer(Answer(status, headers={"Location": "/hooks/secret-token-123?k=v"}))

    error = _error_of(sink.url + SECRET_PATH, allow_private=True)

    _assert_no_url_secret(error)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("64:ff9b::a00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::808:808", True),
        ("2002:a00:1::", False),
        ("2002:808:808::", True),
        ("fec0::1", False),
    ],
)
def test_ipv4_inside_ipv6_is_judged_by_the_embedded_address(address, public):
    assert is_public(address) is public
