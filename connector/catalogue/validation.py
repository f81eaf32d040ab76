"""Checking events against the catalogue.

An event is checked in one pass: the envelope, then its type and category
against the registry, then ``data`` against its type's schema. Every problem
found is reported at once, keyed by its dotted path in the event (``id``,
``data.task.id``, ``user.tags.0``), so a producer can fix them all in one go.

Validation never changes an event. The dict that comes back is the one that
went in, unknown fields and string marks included, because receivers must get
exactly what the producer sent.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from marshmallow import Schema

from connector.catalogue.envelope import EnvelopeSchema
from connector.catalogue.primitives import json_type
from connector.catalogue.types import CATEGORIES, EVENT_KEYS, EventType, get_event_type
from connector.errors import InvalidInputError, NotFoundError, flatten_field_errors

# A batch of thousands could fail whole; its message stays one readable line.
MAX_INDEXES_SHOWN = 10

_ENVELOPE = EnvelopeSchema()


@cache
def _data_schema(event_type: EventType) -> Schema:
    return event_type.data_schema()


def _known_type(key: object) -> EventType | None:
    if not isinstance(key, str):
        return None

    try:
        return get_event_type(key)
    except NotFoundError:
        return None


def _type_errors(
    event: dict[str, Any], event_type: EventType | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    key = event.get("event")
    category = event.get("category")

    # Wrong JSON types are the envelope schema's to report.
    if isinstance(key, str) and event_type is None:
        errors["event"] = [
            f"Unknown event type {key!r}; valid types are: {', '.join(EVENT_KEYS)}."
        ]

    if not isinstance(category, str):
        return errors

    if event_type is not None and category != event_type.category:
        errors["category"] = [
            f"Must be {event_type.category!r} for event type {event_type.key!r}, "
            f"not {category!r}."
        ]
    elif event_type is None and category not in CATEGORIES:
        errors["category"] = [
            f"Unknown category {category!r}; valid categories are: "
            f"{', '.join(CATEGORIES)}."
        ]

    return errors


def _event_errors(obj: object) -> dict[str, list[str]]:
    if not isinstance(obj, dict):
        return {"": [f"Expected a JSON object, got {json_type(obj)}."]}

    errors = flatten_field_errors(_ENVELOPE.validate(obj))
    event_type = _known_type(obj.get("event"))
    for path, reasons in _type_errors(obj, event_type).items():
        errors.setdefault(path, []).extend(reasons)

    data = obj.get("data")
    if event_type is not None and isinstance(data, dict):
        data_errors = _data_schema(event_type).validate(data)
        errors.update(flatten_field_errors(data_errors, prefix="data"))

    return errors


def _summarise(obj: object, errors: dict[str, list[str]]) -> str:
    if not isinstance(obj, dict):
        return f"An event must be a JSON object, not {json_type(obj)}."

    event_id = obj.get("id")
    key = obj.get("event")
    label = f"Event {event_id!r}" if isinstance(event_id, str) else "The event"
    if isinstance(key, str):
        label += f" ({key})"

    return f"{label} is not valid; fix {', '.join(errors)} and send it again."


def _summarise_batch(bad_indexes: list[int], total: int) -> str:
    shown = ", ".join(str(index) for index in bad_indexes[:MAX_INDEXES_SHOWN])
    hidden = len(bad_indexes) - MAX_INDEXES_SHOWN
    if hidden > 0:
        shown += f" and {hidden} more"

    verb = "is" if len(bad_indexes) == 1 else "are"
    return (
        f"{len(bad_indexes)} of {total} events {verb} not valid (at index {shown}); "
        "fix them and send the batch again."
    )


def validate_event(obj: object) -> dict[str, Any]:
    """Check one event against the envelope and the schema of its type.

    Args:
        obj: One event, already parsed from JSON.

    Returns:
        ``obj`` itself, unchanged.

    Raises:
        InvalidInputError: The event is not valid. Its ``fields`` maps each
            dotted path in the event to the reasons it was refused.
    """
    errors = _event_errors(obj)
    if errors:
        raise InvalidInputError(_summarise(obj, errors), errors)

    return cast("dict[str, Any]", obj)


def validate_events(objs: list[Any]) -> list[dict[str, Any]]:
    """Check a batch of events; any invalid event fails the whole batch.

    Args:
        objs: Events, already parsed from a JSON array.

    Returns:
        ``objs`` itself, unchanged.

    Raises:
        InvalidInputError: One or more events are not valid. Its ``fields``
            prefixes each path with the event's index, as in ``3.data.task.id``.
    """
    if not isinstance(objs, list):
        raise InvalidInputError(
            f"A batch of events must be a JSON array, not {json_type(objs)}.",
            {"": [f"Expected a JSON array, got {json_type(objs)}."]},
        )

    errors: dict[str, list[str]] = {}
    bad_indexes: list[int] = []
    for index, obj in enumerate(objs):
        event_errors = _event_errors(obj)
        if event_errors:
            bad_indexes.append(index)

        for path, reasons in event_errors.items():
            errors[f"{index}.{path}" if path else str(index)] = reasons

    if errors:
        raise InvalidInputError(_summarise_batch(bad_indexes, len(objs)), errors)

    return objs
