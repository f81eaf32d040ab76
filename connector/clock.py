"""Ids and times shared by the store, the API and the workers."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from connector.catalogue.primitives import parse_timestamp


def new_id(prefix: str) -> str:
    """Return a fresh random id such as ``hk_3f9c0a...`` (96 random bits)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def utcnow() -> datetime:
    """The current UTC time as a naive datetime, the form the store keeps."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def isoformat(moment: datetime | None) -> str | None:
    """Format a stored naive UTC time as ISO 8601 with a ``Z``, in milliseconds."""
    if moment is None:
        return None

    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 time with a zone into naive UTC.

    Raises:
        ValueError: if the text is not ISO 8601 with a zone, or is out of range.
    """
    try:
        return parse_timestamp(value).replace(tzinfo=None)
    except OverflowError as exc:
        raise ValueError(f"{value!r} is outside the years 1 to 9999.") from exc
