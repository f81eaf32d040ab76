from __future__ import annotations

import json

import pytest
import requests
from google.auth import exceptions as auth_errors
from gspread.exceptions import APIError

from connector.errors import ConfigError
from connectors.sheets.errors import AmbiguousWriteError, Target, translate

TARGET = Target(
    account="bot@project.iam.gserviceaccount.com",
    spreadsheet="1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
    worksheet="Marking",
    key_file="/etc/eventhub/bot.json",
)


def api_error(status: int, error: object, headers: dict | None = None) -> APIError:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = (
        json.dumps({"error": error}).encode()
        if error is not None
        else b"<html>busy</html>"
    )
    return APIError(response)


def test_a_403_means_sharing_the_sheet_and_is_permanent():
    error = translate(api_error(403, {"code": 403, "message": "No"}), TARGET)

    assert not error.retryable
    assert error.status_code == 403
    assert str(error).startswith(f"{TARGET.account} may not edit spreadsheet")
    assert f"Share the spreadsheet with {TARGET.account} as an editor" in str(error)


def test_a_403_for_a_disabled_api_says_to_enable_it():
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "SERVICE_DISABLED",
        }
    ]
    body = {"code": 403, "message": "Sheets API has not been used", "details": details}

    error = translate(api_error(403, body), TARGET)

    assert not error.retryable
    assert "Enable it under APIs & Services" in str(error)


def test_an_old_style_403_rate_limit_is_a_quota_and_retried():
    body = {
        "code": 403,
        "message": "Rate",
        "errors": [{"reason": "userRateLimitExceeded"}],
    }

    error = translate(api_error(403, body), TARGET)

    assert error.retryable
    assert error.retry_after == 60.0


def test_retry_after_from_google_wins_over_the_default():
    error = translate(api_error(429, {"code": 429}, {"Retry-After": "12"}), TARGET)

    assert error.retryable and error.retry_after == 12.0


def test_a_400_quotes_google_and_points_at_the_settings():
    body = {"code": 400, "message": "Invalid values[1][0]: struct_value"}

    error = translate(api_error(400, body), TARGET)

    assert not error.retryable
    assert 'Google said: "Invalid values[1][0]: struct_value"' in str(error)
    assert "Check the hook's worksheet and columns" in str(error)


def test_a_401_after_google_auths_own_refresh_points_at_the_key_file():
    error = translate(api_error(401, {"code": 401, "message": "Invalid"}), TARGET)

    assert not error.retryable
    assert TARGET.key_file in str(error)


def test_an_error_page_that_is_not_json_is_quoted_briefly():
    error = translate(api_error(502, None), TARGET, writing=True)

    assert isinstance(error, AmbiguousWriteError)
    assert "HTTP 502" in str(error)
    assert "<html>busy</html>" in str(error)


@pytest.mark.parametrize("writing", [True, False])
def test_a_timeout_is_retried_and_unclear_only_when_writing(writing):
    error = translate(requests.ReadTimeout("read timed out"), TARGET, writing=writing)

    assert error.retryable
    assert isinstance(error, AmbiguousWriteError) is writing
    assert "did not answer in time" in str(error)


def test_token_endpoint_failures_split_into_retryable_and_permanent():
    # google-auth marks a 5xx or 429 from the token endpoint retryable.
    busy = auth_errors.RefreshError("server_error: try later", retryable=True)
    refused = auth_errors.RefreshError("invalid_grant: account not found", {})

    assert translate(busy, TARGET).retryable
    assert not translate(refused, TARGET).retryable
    assert "create a new JSON key" in str(translate(refused, TARGET))
    assert translate(auth_errors.TransportError("dns"), TARGET).retryable


def test_a_key_file_gone_since_the_hook_was_made_fails_for_good():
    error = translate(ConfigError("There is no file at '/etc/x.json'."), TARGET)

    assert not error.retryable
    assert str(error) == "There is no file at '/etc/x.json'."


def test_a_surprise_is_retried_and_logged_with_its_traceback(caplog):
    error = translate(KeyError("replies"), TARGET)

    assert error.retryable
    assert "KeyError" in str(error)
    assert caplog.records[-1].exc_info is not None
    assert error.__cause__ is not None
