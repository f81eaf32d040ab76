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
