"""Parsing request bodies as strict JSON.

Python's ``json`` module accepts more than JSON: ``NaN`` and ``Infinity``,
numbers too large for a float, and escaped lone surrogates that no UTF-8
encoder can write back out. Each would be stored, then break every receiver
and API client that reads it, so they are refused here, once, for every body
eventhub takes in. So is an escaped NUL (``\u0000``): it is valid JSON, but
PostgreSQL text cannot hold it, and the same body must be taken or refused
alike on either database. Nesting is bounded too, well below Python's recursion
limit, since every later step walks the document recursively.
"""

from __future__ import annotations

import json
import math
from typing import Any

from connector.errors import InvalidInputError, MalformedInputError

MAX_DEPTH = 64
# Longer whole numbers are refused before Python is asked to read them.
MAX_INT_DIGITS = 100


def loads(raw: bytes | str, what: str = "The body") -> Any:
    """Parse a body, refusing what is not portable JSON.

    Args:
        raw: The text or its UTF-8 bytes.
        what: How messages name the input, e.g. ``"Line 3"``.

    Raises:
        MalformedInputError: saying what is wrong and, where it helps, where.
        InvalidInputError: naming the string that holds a NUL character.
    """
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise MalformedInputError(
            f"{what} is not UTF-8 (bad byte at position {exc.start}); send "
            "UTF-8 encoded JSON."
        ) from exc

    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except RecursionError as exc:
        raise MalformedInputError(_too_deep(what)) from exc
    except ValueError as exc:
        raise MalformedInputError(f"{what} is not valid JSON: {exc}.") from exc

    # A lone surrogate or a NUL can only come from a \u escape: the UTF-8
    # decoder refuses encoded surrogates and the parser raw control
    # characters. Most bodies have no escapes, and checking their every
    # string would cost as much as parsing them.
    _check(value, what, strings="\\u" in text)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is too large")
    return number


def _bounded_int(text: str) -> int:
    # Python refuses to read an integer of more than 4300 digits and says
    # so in its own terms; no event field needs a hundredth of that.
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(
            f"a whole number of {len(text)} digits is too large; the most is "
            f"{MAX_INT_DIGITS}"
        )
    return int(text)


def _too_deep(what: str) -> str:
    return (
        f"{what} is nested more than {MAX_DEPTH} levels deep; events are never "
        "that deep."
    )


def _check(value: Any, what: str, strings: bool) -> None:
    # Iterative, so that the check itself cannot hit the recursion limit.
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise MalformedInputError(_too_deep(what))

        if isinstance(current, dict):
            for key, inner in current.items():
                if strings:
                    _check_text(key, what, value)
                pending.append((inner, depth + 1))
        elif isinstance(current, list):
            pending.extend((inner, depth + 1) for inner in current)
        elif strings and isinstance(current, str):
            _check_text(current, what, value)


def _check_text(text: str, what: str, document: Any) -> None:
    if "\x00" in text:
        path = _path_to(document, text)
        raise InvalidInputError(
            f"{what} holds a NUL character (\\u0000), which the hub cannot "
            "store; remove it and send the body again.",
            {path: ["Must not contain the NUL character \\u0000."]},
        )

    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedInputError(
            f"{what} holds an unpaired surrogate escape ({text[exc.start]!a}); "
            "escape characters outside the basic plane as a pair."
        ) from exc


def _path_to(document: Any, text: str) -> str:
    """The dotted path of the first key or string ``text`` in ``document``.

    Only called once a body is known to be refused, so a second walk costs
    nothing on the bodies that are taken. A key is named by its own path.
    """
    pending: list[tuple[Any, str]] = [(document, "")]
    while pending:
        current, path = pending.pop()
        if isinstance(current, dict):
            for key, inner in current.items():
                inner_path = f"{path}.{key}" if path else str(key)
                if key == text:
                    return inner_path
                pending.append((inner, inner_path))
        elif isinstance(current, list):
            pending.extend(
                (inner, f"{path}.{index}" if path else str(index))
                for index, inner in enumerate(current)
            )
        elif current == text:
            return path

    return ""
