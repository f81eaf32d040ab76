"""Reading JSON bodies and query parameters, with the project's errors."""

from __future__ import annotations

from typing import Any

from flask import request

from connector import jsonbody
from connector.errors import InvalidInputError, MalformedInputError


def json_body(required: bool = True) -> Any:
    """The request's JSON body; ``{}`` when optional and empty."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise MalformedInputError("The body is empty; send a JSON object.")
        return {}

    return jsonbody.loads(raw)


def refuse_nul_characters() -> None:
    """Refuse a path or query parameter holding NUL, before any lookup.

    PostgreSQL cannot compare text with a NUL in it and fails the query, so
    such a value would end as a 500 there and as "not found" on SQLite;
    either way the caller is better told what was wrong. Installed as the
    app's ``before_request``.
    """
    if "\x00" in request.path:
        raise InvalidInputError(
            "The path holds a NUL character (%00); no id contains one.",
            {"path": ["Must not contain the NUL character."]},
        )

    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "%00")
            raise InvalidInputError(
                f"The {shown} parameter holds a NUL character (%00); remove it.",
                {shown: ["Must not contain the NUL character."]},
            )


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter between ``low`` and ``high``."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default

    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise InvalidInputError(
            f"The {name} parameter is out of range.",
            {name: [f"Use a whole number from {low} to {high}, not {raw!r}."]},
        )
    return value
