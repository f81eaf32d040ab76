"""Strict marshmallow fields for the JSON values an event carries.

marshmallow's stock fields coerce: ``Boolean`` takes ``"yes"`` and ``Float``
takes ``"1.5"``. The catalogue only checks an event and then passes the original
on, so a field that coerced would wave through a value that receivers cannot
use. Each field here accepts the JSON type it names and nothing else.

An optional field also accepts null, because iQualify sends null for a value it
does not have (a learner without a person id, a course without a level). A
required field refuses null unless it says otherwise.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from marshmallow import fields, validate


def json_type(value: object) -> str:
    """Name the JSON type of an already parsed value, for error messages.

    Args:
        value: Anything ``json.loads`` can return.

    Returns:
        ``"object"``, ``"array"``, ``"string"``, ``"number"``, ``"boolean"``
        or ``"null"``; the Python type name for anything else.
    """
    if value is None:
        return "null"

    # bool first: it is a subclass of int.
    for kind, name in (
        (bool, "boolean"),
        (dict, "object"),
        (list, "array"),
        (str, "string"),
        ((int, float), "number"),
    ):
        if isinstance(value, kind):
            return name

    return type(value).__name__


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False

    # Python's json module reads NaN and Infinity, which no JSON receiver can.
    return math.isfinite(value)


class _NullableWhenOptional:
    """Default ``allow_none`` to the opposite of ``required``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", not kwargs.get("required", False))
        super().__init__(*args, **kwargs)


class Text(_NullableWhenOptional, fields.String):
    """A JSON string."""


class Identifier(Text):
    """A required, non-empty string that names something: an id, a key."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", True)
        kwargs.setdefault(
            "validate", validate.Length(min=1, error="Must not be empty.")
        )
        super().__init__(**kwargs)


class Flag(_NullableWhenOptional, fields.Field):
    """A JSON boolean: ``true`` or ``false``, never ``"true"`` or ``1``."""

    default_error_messages = {
        "invalid": "Not a valid boolean: expected true or false, got {kind}."
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", kind=json_type(value))

        return value


class Number(_NullableWhenOptional, fields.Field):
    """A JSON number, integer or not; never a numeric string or a boolean."""

    default_error_messages = {
        "invalid": "Not a valid number: expected a number, got {kind}."
    }

    def _deserialize(
        self, value: Any, attr: Any, data: Any, **kwargs: Any
    ) -> int | float:
        if not _is_number(value):
            raise self.make_error("invalid", kind=json_type(value))

        return value


class Count(_NullableWhenOptional, fields.Field):
    """A JSON integer: an attempt number, a question count, a number of seats."""

    default_error_messages = {
        "invalid": "Not a valid count: expected a whole number, got {kind}."
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid", kind=json_type(value))

        return value


class Mark(_NullableWhenOptional, fields.Field):
    """A mark as iQualify sends it: a string, a number, or null.

    Marks are strings when the task is graded by label ("Achieved", "Merit")
    and numbers when it is scored, so both are valid. Booleans, arrays and
    objects are not.
    """

    default_error_messages = {
        "invalid": "Not a valid mark: expected a string, a number or null, got {kind}."
    }

    def _deserialize(
        self, value: Any, attr: Any, data: Any, **kwargs: Any
    ) -> str | int | float:
        if not (isinstance(value, str) or _is_number(value)):
            raise self.make_error("invalid", kind=json_type(value))

        return value


# The profile of ISO 8601 that iQualify sends: a full date, "T", a time with
# optional fractions, and "Z" or a +HH:MM offset. Other ISO forms (week dates,
# basic format, a space for "T") are refused so every consumer can read them.
ISO_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
)


class Timestamp(_NullableWhenOptional, fields.Field):
    """An ISO 8601 date and time with a timezone, such as ``2024-06-24T03:12:05Z``.

    A time without a timezone is refused: receivers in other timezones would
    read it differently.
    """

    default_error_messages = {
        "invalid": "Not a valid timestamp: expected an ISO 8601 string, got {kind}.",
        "format": "Not an ISO 8601 timestamp: {text!r}.",
        "naive": (
            "Timestamp {text!r} has no timezone; add 'Z' for UTC or an offset "
            "such as +12:00."
        ),
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid", kind=json_type(value))

        if not ISO_TIMESTAMP.match(value):
            if ISO_TIMESTAMP.match(value + "Z"):
                raise self.make_error("naive", text=value)
            raise self.make_error("format", text=value)

        try:
            return parse_timestamp(value)
        except (ValueError, OverflowError) as error:
            raise self.make_error("format", text=value) from error


def parse_timestamp(value: str) -> datetime:
    """Read a timestamp of the profile above as an aware UTC datetime.

    Raises:
        ValueError: if it is not of that profile or not a real moment.
        OverflowError: if it lies outside the years 1 to 9999 in UTC.
    """
    match = ISO_TIMESTAMP.match(value)
    if not match:
        raise ValueError(f"{value!r} is not an ISO 8601 timestamp with a zone.")

    # Python 3.10's fromisoformat reads neither "Z" nor fractions other than
    # three or six digits, so both are put in the form it reads.
    fraction = (match.group(1) or ".0")[1:7].ljust(6, "0")
    zone = "+00:00" if match.group(2) == "Z" else match.group(2)
    moment = datetime.fromisoformat(f"{value[:19]}.{fraction}{zone}")

    return moment.astimezone(timezone.utc)


class Object(_NullableWhenOptional, fields.Nested):
    """A JSON object checked against a nested schema."""


class Items(_NullableWhenOptional, fields.List):
    """A JSON array whose items all match one field."""


class Tags(Items):
    """A JSON array of tag strings, such as ``["cohort-a", "site-wellington"]``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Text(allow_none=False), **kwargs)
