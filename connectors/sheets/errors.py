"""Turning what gspread, google-auth and requests raise into delivery errors.

This is the one place where a library's exception becomes a
:class:`~connector.errors.RetryableDeliveryError` (a quota, a 5xx, a timeout)
or a :class:`~connector.errors.PermanentDeliveryError` (no access, no such
spreadsheet, a refused key, a bad request), with a sentence that says what to
do. Google's own error message is quoted where it helps; it never holds the
token or the key. Status codes and reasons follow
https://developers.google.com/sheets/api/limits and
https://cloud.google.com/apis/design/errors.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from google.auth import exceptions as auth_errors
from gspread.exceptions import APIError

from connector.errors import (
    ConfigError,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

logger = logging.getLogger(__name__)

# Google's per-minute quotas refill within the minute; sooner is wasted.
QUOTA_RETRY_AFTER = 60.0

# Reasons Google gives for a quota refusal, old (403) and new (429) style.
QUOTA_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
)
DISABLED_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured"})
MAX_QUOTED = 300


@dataclass(frozen=True)
class Target:
    """Whom the messages are about: the account, spreadsheet and worksheet."""

    account: str
    spreadsheet: str
    worksheet: str
    key_file: str


class AmbiguousWriteError(RetryableDeliveryError):
    """A write whose fate is unknown: it may have landed before the failure.

    Raised for a timeout, a dropped connection or a 5xx during an append; the
    next attempt checks the event id column before writing again.
    """


class QuotaWaitError(RetryableDeliveryError):
    """The account's quota slot is not free yet, so nothing was sent.

    The delivery waits ``retry_after`` seconds without spending a try.
    """


def translate(
    exc: BaseException, target: Target, writing: bool = False
) -> DeliveryError:
    """Return the delivery error that ``exc`` amounts to.

    Args:
        exc: What the libraries raised.
        target: The account and sheet, to name in the message.
        writing: Whether the failed call was an append, whose fate a timeout
            or 5xx leaves unknown.

    Returns:
        A retryable or permanent delivery error, chained to ``exc``.
    """
    if isinstance(exc, DeliveryError):
        return exc

    if isinstance(exc, ConfigError):
        # A key file that vanished or broke since the hook was created.
        error: DeliveryError = PermanentDeliveryError(str(exc))
    elif isinstance(exc, APIError):
        error = _from_api(exc, target, writing)
    elif isinstance(exc, auth_errors.RefreshError):
        error = _from_refresh(exc, target)
    elif isinstance(exc, auth_errors.TransportError):
        error = RetryableDeliveryError(
            f"Could not reach Google's token endpoint for {target.account} "
            f"({_root(exc)}); will try again."
        )
    elif isinstance(exc, requests.Timeout):
        error = _unsure(writing)(
            f"Google Sheets did not answer in time ({_root(exc)}); will try again."
        )
    elif isinstance(exc, requests.RequestException):
        error = _unsure(writing)(
            f"Could not reach Google Sheets ({_root(exc)}); will try again."
        )
    else:
        # A bug here or in a library: keep the traceback, retry the delivery.
        logger.error("unexpected error writing to Google Sheets", exc_info=exc)
        error = RetryableDeliveryError(
            f"Writing to Google Sheets failed unexpectedly ({type(exc).__name__}: "
            f"{exc}); will try again."
        )

    error.__cause__ = exc
    return error


def _from_api(exc: APIError, target: Target, writing: bool) -> DeliveryError:
    status = exc.response.status_code
    # An error page that is not JSON comes back whole as the message.
    message = str(exc.error.get("message") or "").strip()[:MAX_QUOTED]
    reasons = _reasons(exc.error)
    quoted = f' Google said: "{message}"' if message else ""

    if status == 429 or reasons & QUOTA_REASONS:
        return RetryableDeliveryError(
            f"Google Sheets refused more requests from {target.account} for now "
            "(quota exceeded); will try again. If this persists, ask for a higher "
            "quota in the Google Cloud console, or send fewer events to Sheets.",
            status_code=status,
            retry_after=_retry_after(exc.response) or QUOTA_RETRY_AFTER,
        )

    if status >= 500 or status == 408:
        return _unsure(writing)(
            f"Google Sheets failed with HTTP {status}; will try again.{quoted}",
            status_code=status,
            retry_after=_retry_after(exc.response),
        )

    if status == 401:
        return PermanentDeliveryError(
            f"Google did not accept the credentials of {target.account}. Check "
            f"that the key in {target.key_file} has not been deleted or disabled; "
            f"if it has, create a new key and replace the file.{quoted}",
            status_code=status,
        )

    if status == 403 and reasons & DISABLED_REASONS:
        return PermanentDeliveryError(
            "The Google Sheets API is not enabled for the Google Cloud project of "
            f"{target.account}. Enable it under APIs & Services > Library, then "
            "replay the delivery.",
            status_code=status,
        )

    if status == 403:
        return PermanentDeliveryError(
            f"{target.account} may not edit spreadsheet {target.spreadsheet}. Share "
            f"the spreadsheet with {target.account} as an editor, then replay the "
            "delivery.",
            status_code=status,
        )

    if status == 404:
        return PermanentDeliveryError(
            f"Spreadsheet {target.spreadsheet} was not found. Check the spreadsheet "
            "key or URL in the hook's settings, and that the spreadsheet was not "
            "deleted.",
            status_code=status,
        )

    return PermanentDeliveryError(
        f"Google Sheets refused the request for worksheet {target.worksheet!r} "
        f"(HTTP {status}).{quoted} Check the hook's worksheet and columns.",
        status_code=status,
    )


def _from_refresh(exc: auth_errors.RefreshError, target: Target) -> DeliveryError:
    # google-auth marks token endpoint failures worth repeating (5xx, 429).
    reason = str(exc.args[0]) if exc.args else type(exc).__name__
    if getattr(exc, "retryable", False):
        return RetryableDeliveryError(
            f"Google's token endpoint failed for {target.account} ({reason}); will "
            "try again."
        )

    return PermanentDeliveryError(
        f"Google refused the service-account key of {target.account} ({reason}). "
        f"The key in {target.key_file} may have been deleted or the account "
        "disabled: create a new JSON key for the account and replace the file."
    )


def _unsure(writing: bool) -> type[RetryableDeliveryError]:
    return AmbiguousWriteError if writing else RetryableDeliveryError


def _reasons(error: Mapping[str, Any]) -> set[str]:
    """The machine-readable reasons of a Google error, old style and new."""
    found = {str(item.get("reason")) for item in error.get("errors") or ()}
    for detail in error.get("details") or ():
        if isinstance(detail, Mapping) and detail.get("reason"):
            found.add(str(detail["reason"]))

    return found


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _root(exc: BaseException) -> str:
    """The innermost cause's name and message, which names no credentials."""
    for _ in range(10):  # a bound, in case a library built a cycle
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc = inner

    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
