from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from connector.base import Outcome
from connectors.webhook.connector import classify, parse_retry_after


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (201, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (301, Outcome.FAILED),
        (302, Outcome.FAILED),
        (400, Outcome.FAILED),
        (401, Outcome.FAILED),
        (404, Outcome.FAILED),
        (422, Outcome.FAILED),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (502, Outcome.RETRY),
        (503, Outcome.RETRY),
        (410, Outcome.GONE),
    ],
)
def test_classify_follows_the_delivery_rules(status: int, outcome: Outcome):
    result = classify(status, {})

    assert result.outcome is outcome
    assert result.status_code == status


def test_a_success_has_no_error():
    result = classify(200, {}, "ok")

    assert result.error is None
    assert result.response_body == "ok"


def test_a_redirect_says_redirects_are_not_followed():
    result = classify(301, {"Location": "https://elsewhere.example/"})

    assert "redirects are not followed" in result.error


def test_a_refusal_says_to_fix_the_receiver_then_replay():
    result = classify(422, {}, '{"error": "bad"}')

    assert result.error == (
        "The target refused the payload with 422; a retry would get the "
        "same answer. Fix the receiver, then replay the delivery."
    )
    assert result.response_body == '{"error": "bad"}'


def test_a_retry_carries_the_retry_after_header():
    result = classify(503, {"Retry-After": "30"})

    assert result.retry_after == 30.0


def test_a_refusal_ignores_retry_after():
    result = classify(400, {"Retry-After": "30"})

    assert result.retry_after is None


@pytest.mark.parametrize(
    ("value", "seconds"), [("120", 120.0), (" 7 ", 7.0), ("0", 0.0)]
)
def test_parse_retry_after_reads_delta_seconds(value: str, seconds: float):
    assert parse_retry_after(value) == seconds


def test_parse_retry_after_reads_an_http_date():
    moment = datetime.now(timezone.utc) + timedelta(seconds=90)

    seconds = parse_retry_after(format_datetime(moment, usegmt=True))

    assert seconds == pytest.approx(90, abs=2)


def test_parse_retry_after_treats_a_past_date_as_now():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "Tuesday-ish"])
def test_parse_retry_after_ignores_garbage(value: str | None):
    assert parse_retry_after(value) is None
