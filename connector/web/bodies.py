"""Reading JSON bodies and query parameters, with the project's errors."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from connector import jsonbody
from connector.errors import InvalidInputError, MalformedInputError


def raw_body(cache: bool = True) -> bytes:
    """The request's body, refused with 413 when it is over the size limit.

    Werkzeug refuses a body whose ``Content-Length`` is over the limit, but
    stops reading a chunked one at the limit without a word, which would
    store the first megabyte of a larger body as if it were all of it. One
    more byte read past the limit tells the two apart.
    """
    raw = request.get_data(cache=cache)
    limit = request.max_content_length
    at_limit = limit is not None and len(raw) >= limit
    if at_limit and request.content_length is None:
        more = request.environ["wsgi.input"].read(1)
        if more:
            raise RequestEntityTooLarge()

    return raw


def json_body(required: bool = True) -> Any:
    """The request's JSON body; ``{}`` when optional and empty."""
    raw = raw_body()
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
