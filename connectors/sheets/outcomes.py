"""The delivery results the Sheets connector hands back to the workers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from connector.base import DeliveryResult, Outcome
from connector.errors import DeliveryError
from connectors.sheets.errors import QuotaWaitError


def delivered(
    spreadsheet: str,
    worksheet: str,
    row: int | None,
    updates: Mapping[str, Any] | None = None,
) -> DeliveryResult:
    """A row appended, at sheet row ``row`` when Google said where."""
    return DeliveryResult(
        Outcome.DELIVERED,
        status_code=200,
        response_body=json.dumps(updates) if updates else None,
        details={"spreadsheet": spreadsheet, "worksheet": worksheet, "row": row},
    )


def already_there(spreadsheet: str, worksheet: str) -> DeliveryResult:
    """A row found in the event id column: an earlier attempt wrote it."""
    return DeliveryResult(
        Outcome.DELIVERED,
        details={"spreadsheet": spreadsheet, "worksheet": worksheet, "duplicate": True},
    )


def refused(worksheet: str, missing: Sequence[str]) -> DeliveryResult:
    """A row whose fields have no column, under ``new_fields: refuse``."""
    names = ", ".join(repr(name) for name in missing)
    return DeliveryResult(
        Outcome.FAILED,
        error=(
            f"Worksheet {worksheet!r} has no column {names}, and the hook's "
            "new_fields is 'refuse'. Add the header to row 1, or set new_fields "
            "to 'append' or 'ignore', then replay the delivery."
        ),
    )


def not_an_object() -> DeliveryResult:
    """A payload that is no JSON object, which no retry will change."""
    return DeliveryResult(
        Outcome.FAILED,
        error="The payload is not a JSON object, so it cannot become a row.",
    )


def failure(error: DeliveryError) -> DeliveryResult:
    """The result of a translated error: a retry or a failure for good."""
    if error.retryable:
        return DeliveryResult(
            Outcome.RETRY,
            status_code=error.status_code,
            error=str(error),
            retry_after=getattr(error, "retry_after", None),
            # Waiting for our own limiter is no try at Google's door.
            attempted=not isinstance(error, QuotaWaitError),
        )

    return DeliveryResult(
        Outcome.FAILED, status_code=error.status_code, error=str(error)
    )


def fill(results: list[DeliveryResult | None], result: DeliveryResult) -> None:
    """Give every request still without a result a copy of ``result``."""
    for index, existing in enumerate(results):
        if existing is None:
            results[index] = replace(result, details=dict(result.details))
