"""The catalogue of iQualify event types, and validation against it.

The catalogue knows the 19 event types (their keys, labels, categories,
descriptions, ``data`` schemas and samples) and checks incoming events against
them. It is pure code: marshmallow and the standard library, no web framework,
database or HTTP client.

Example::

    from connector.catalogue import get_event_type, validate_event

    event = validate_event(payload)  # raises InvalidInputError
    label = get_event_type(event["event"]).name
"""

from __future__ import annotations

from connector.catalogue.fields import flatten_sample
from connector.catalogue.types import (
    CATEGORIES,
    EVENT_KEYS,
    EventType,
    event_types,
    get_event_type,
)
from connector.catalogue.validation import validate_event, validate_events

__all__ = [
    "CATEGORIES",
    "EVENT_KEYS",
    "EventType",
    "event_types",
    "flatten_sample",
    "get_event_type",
    "validate_event",
    "validate_events",
]
