"""The connector against recorded Google answers, replayed and never recorded.

The cassettes are written from the request and response shapes of Google's
Sheets API v4 and OAuth 2.0 service-account references. Replay matches method,
URL and, for Sheets calls, the JSON body, so they also pin what the connector
sends. ``record_mode="none"``: a request not in the cassette fails the test
instead of reaching Google.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import vcr

from connector.base import Outcome
from connector.catalogue import get_event_type
from connectors.sheets import RateLimiter, SheetsConnector
from tests.sheets.conftest import (
    ACCOUNT,
    GOOGLE_TOKEN_URI,
    SPREADSHEET,
    request_for,
    write_key_file,
)

CASSETTES = Path(__file__).parent / "cassettes"
TOKEN = re.compile(r'"access_token":\s*"([^"]*)"')


def json_body(first: vcr.request.Request, second: vcr.request.Request) -> None:
    """Sheets bodies must match as JSON; the token request's JWT never would."""
    if "/token" in (first.path, second.path):
        return
    assert _parsed(first.body) == _parsed(second.body)


def _parsed(body: bytes | str | None) -> object:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body


def scrub_token(response: dict) -> dict:
    """Should anyone record again, keep Google's access token out of the file.

    vcrpy runs this on loaded interactions too, so it keeps the body bytes.
    """
    body = response["body"]["string"]
    text = body.decode() if isinstance(body, bytes) else body
    text = TOKEN.sub('"access_token": "ya29.SCRUBBED"', text)
    response["body"]["string"] = text.encode() if isinstance(body, bytes) else text
    return response


replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    match_on=["method", "scheme", "host", "port", "path", "query", "json_body"],
    filter_headers=["authorization"],
    filter_post_data_parameters=["assertion"],
    before_record_response=scrub_token,
)
replay.register_matcher("json_body", json_body)


@pytest.fixture
def google_settings(tmp_path, private_key):
    key_file = write_key_file(tmp_path / "key.json", private_key, GOOGLE_TOKEN_URI)
    columns = [
        {"header": "Marked at", "path": "data.markedAt"},
        {"header": "Learner person ID", "path": "data.learner.personId"},
        {"header": "Mark", "path": "data.mark", "type": "number"},
        {"header": "Turnaround (seconds)", "path": "data.turnaroundSeconds"},
    ]
    return SheetsConnector.validate_settings(
        {
            "spreadsheet": SPREADSHEET,
            "worksheet": "Marking",
            "credentials": str(key_file),
            "columns": columns,
        }
    )


@pytest.fixture
def google() -> SheetsConnector:
    return SheetsConnector(limiter=RateLimiter(limit=100, period=60.0))


def the_marked_task() -> dict:
    event = get_event_type("task.assessed.marked").sample
    event["id"] = "42650703-154c-5008-9ed6-e65131b2f969"
    event["data"].update(
        markedAt="2024-06-24T03:12:05.117Z", mark="Achieved", turnaroundSeconds=321801
    )
    event["data"]["learner"]["personId"] = "S1000234"
    return event


def test_first_append_writes_the_header_then_a_typed_row(google, google_settings):
    request = request_for(the_marked_task(), google_settings)

    with replay.use_cassette("marking_first_append.yaml") as cassette:
        [result] = google.deliver_batch([request])

    assert cassette.all_played
    assert result.outcome is Outcome.DELIVERED
    assert result.details["row"] == 2
    assert json.loads(result.response_body)["updatedRange"] == "Marking!A2:E2"


def test_a_429_is_retried_after_a_minute_and_the_retry_lands_once(
    google, google_settings
):
    event = the_marked_task()

    with replay.use_cassette("quota_then_success.yaml") as cassette:
        [refused] = google.deliver_batch([request_for(event, google_settings)])
        [landed] = google.deliver_batch(
            [request_for(event, google_settings, attempt=2)]
        )

    assert cassette.all_played
    assert (refused.outcome, refused.status_code, refused.retry_after) == (
        Outcome.RETRY,
        429,
        60.0,
    )
    assert "quota" in refused.error
    assert landed.outcome is Outcome.DELIVERED
    assert landed.details["row"] == 3


def test_403_fails_for_good_saying_whom_to_share_with(google, google_settings):
    with replay.use_cassette("no_access.yaml") as cassette:
        [result] = google.deliver_batch(
            [request_for(the_marked_task(), google_settings)]
        )

    assert cassette.all_played
    assert (result.outcome, result.status_code) == (Outcome.FAILED, 403)
    assert f"Share the spreadsheet with {ACCOUNT} as an editor" in result.error


def test_404_fails_for_good_on_every_attempt(google, google_settings):
    with replay.use_cassette("not_found.yaml") as cassette:
        results = [
            google.deliver_batch(
                [request_for(the_marked_task(), google_settings, attempt=n)]
            )[0]
            for n in (1, 2)
        ]

    assert cassette.all_played
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.FAILED]
    assert all(r.retry_after is None for r in results)
    assert "Check the spreadsheet key or URL" in results[0].error


def test_a_refused_key_fails_for_good_without_calling_sheets(google, google_settings):
    with replay.use_cassette("bad_key.yaml") as cassette:
        [result] = google.deliver_batch(
            [request_for(the_marked_task(), google_settings)]
        )

    assert cassette.all_played
    assert result.outcome is Outcome.FAILED
    assert "Invalid JWT Signature" in result.error
    assert "replace the file" in result.error


@pytest.mark.parametrize(
    "cassette", sorted(CASSETTES.glob("*.yaml")), ids=lambda p: p.name
)
def test_cassettes_hold_no_credentials(cassette):
    text = cassette.read_text()

    assert "PRIVATE KEY" not in text
    assert not re.search(r"eyJ[\w-]+\.", text)  # a JWT assertion
    assert "authorization" not in text.lower()
    assert set(TOKEN.findall(text)) <= {"ya29.SCRUBBED"}
    assert set(re.findall(r"assertion=([^&\s]*)", text)) <= {"SCRUBBED"}
