from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from connector.mapper import render
from connector.signing import headers_for, new_secret, sign, signature_header
from tests.conftest import shared_events


@pytest.fixture
def body() -> str:
    return render(shared_events()[0], anonymous=False)


def test_new_secret_is_whsec_and_base64_of_32_bytes():
    secret = new_secret()

    raw = base64.b64decode(secret.removeprefix("whsec_"), validate=True)

    assert secret.startswith("whsec_")
    assert len(raw) == 32


def test_new_secrets_differ():
    assert len({new_secret() for _ in range(20)}) == 20


def test_signed_headers_verify_with_the_standardwebhooks_package(body: str):
    secret = new_secret()

    headers = headers_for([secret], "evt-1", int(time.time()), body)

    assert Webhook(secret).verify(body, headers) == json.loads(body)


def test_headers_carry_the_id_and_timestamp_as_given(body: str):
    headers = headers_for([new_secret()], "evt-1", 1718000000, body)

    assert headers["webhook-id"] == "evt-1"
    assert headers["webhook-timestamp"] == "1718000000"
    assert headers["webhook-signature"].startswith("v1,")


def test_a_signature_matches_the_standardwebhooks_reference(body: str):
    secret = new_secret()
    moment = datetime(2024, 6, 24, 3, 12, 5, tzinfo=timezone.utc)

    ours = sign(secret, "evt-1", int(moment.timestamp()), body)

    assert ours == Webhook(secret).sign("evt-1", moment, body)


def test_two_secrets_give_two_space_separated_signatures(body: str):
    secrets = [new_secret(), new_secret()]
    timestamp = int(time.time())

    value = signature_header(secrets, "evt-1", timestamp, body)

    assert value.split(" ") == [sign(s, "evt-1", timestamp, body) for s in secrets]


@pytest.mark.parametrize("which", [0, 1])
def test_each_secret_alone_verifies_during_a_rotation(body: str, which: int):
    secrets = [new_secret(), new_secret()]

    headers = headers_for(secrets, "evt-1", int(time.time()), body)

    assert Webhook(secrets[which]).verify(body, headers) == json.loads(body)


def test_another_secret_does_not_verify(body: str):
    headers = headers_for([new_secret()], "evt-1", int(time.time()), body)

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(new_secret()).verify(body, headers)


def test_a_tampered_body_fails_verification(body: str):
    secret = new_secret()
    headers = headers_for([secret], "evt-1", int(time.time()), body)
    tampered = body.replace('"anonymous":false', '"anonymous":true')

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(tampered, headers)

    assert tampered != body


def test_a_changed_id_fails_verification(body: str):
    secret = new_secret()
    headers = headers_for([secret], "evt-1", int(time.time()), body)
    headers["webhook-id"] = "evt-2"

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(body, headers)


def test_without_secrets_no_signature_header_is_sent(body: str):
    headers = headers_for([], "evt-1", 1718000000, body)

    assert headers == {"webhook-id": "evt-1", "webhook-timestamp": "1718000000"}
