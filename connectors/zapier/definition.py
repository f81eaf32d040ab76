"""The Zapier integration definition: every event type as a REST hook trigger.

The definition is the JSON app object that Zapier's runtime,
``zapier-platform-core``, runs. It is built from ``manifest.json`` (the event
types the hub offers, their labels and descriptions) and the catalogue (each
type's sample, from which the output fields are read), and committed as
``definition.json`` beside this module; ``eventhub zapier export`` writes it
again after either changes.

Every request goes to ``{{bundle.authData.base_url}}``, the hub's address as
the user gave it when connecting their account, so one definition serves any
hub, including one on ``127.0.0.1`` in the tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connector.catalogue import flatten_sample, get_event_type
from connector.errors import ConfigError

# The zapier-platform-core the definition is written for; the version pinned in
# tests/zapier/node/package.json must match, and a test checks that it does.
PLATFORM_VERSION = "19.1.0"

DEFINITION_PATH = Path(__file__).with_name("definition.json")
MANIFEST_PATH = Path(__file__).resolve().parents[2] / "manifest.json"

# Zapier's KeySchema: trigger keys start with a letter and hold no dots.
TRIGGER_KEY = re.compile(r"^[a-zA-Z]+[a-zA-Z0-9_]*$")
DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"
)

BASE_URL = "{{bundle.authData.base_url}}"
HEADERS = {
    "Authorization": "Bearer {{bundle.authData.api_key}}",
    "Accept": "application/json",
}
LIST_LIMIT = 10

# A hook trigger must say how Zapier turns the request it caught into items.
# The hub posts one event per request; an array is accepted too, in case a
# batching connector ever posts several.
PERFORM_SOURCE = (
    "const body = bundle.cleanedRequest; return Array.isArray(body) ? body : [body];"
)


def load_manifest(path: Path | None = None) -> dict[str, Any]:
    """Read ``manifest.json``.

    Raises:
        ConfigError: if the file is missing or is not JSON.
    """
    path = path or MANIFEST_PATH
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"There is no manifest at {path}; run the command in an eventhub "
            "checkout, or pass --manifest PATH."
        ) from None
    except ValueError as exc:
        raise ConfigError(f"The manifest {path} is not valid JSON: {exc}.") from exc


def build_definition(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Build the Zapier app definition for the event types in ``manifest``.

    Raises:
        ConfigError: if two event keys give the same trigger key, or one gives
            a key Zapier would refuse.
        NotFoundError: if the manifest names an event type the catalogue lacks.
    """
    triggers: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for event in manifest["events"]:
        trigger = build_trigger(event)
        key = trigger["key"]
        if key in sources:
            raise ConfigError(
                f"The event types {sources[key]!r} and {event['key']!r} both "
                f"become the Zapier trigger {key!r}; rename one of them."
            )
        sources[key] = event["key"]
        triggers[key] = trigger

    return {
        "version": manifest["version"],
        "platformVersion": PLATFORM_VERSION,
        "authentication": _authentication(),
        "triggers": triggers,
    }


def build_trigger(event: Mapping[str, Any]) -> dict[str, Any]:
    """One REST hook trigger for the manifest entry of an event type."""
    key = event["key"]
    sample = get_event_type(key).sample
    return {
        "key": trigger_key(key),
        "noun": event["name"],
        "display": {"label": event["name"], "description": event["description"]},
        "operation": {
            "type": "hook",
            "perform": {"source": PERFORM_SOURCE},
            "performSubscribe": {
                "url": f"{BASE_URL}/zapier/hooks",
                "method": "POST",
                "headers": {**HEADERS, "Content-Type": "application/json"},
                "body": {"targetUrl": "{{bundle.targetUrl}}", "event": key},
            },
            "performUnsubscribe": {
                "url": f"{BASE_URL}/zapier/hooks/{{{{bundle.subscribeData.id}}}}",
                "method": "DELETE",
                "headers": dict(HEADERS),
            },
            "performList": {
                "url": f"{BASE_URL}/zapier/events/{key}",
                "method": "GET",
                "params": {"limit": str(LIST_LIMIT)},
                "headers": dict(HEADERS),
            },
            "sample": sample,
            "outputFields": output_fields(sample),
        },
    }


def trigger_key(event_key: str) -> str:
    """The Zapier trigger key of an event type, e.g. ``task_assessed_marked``.

    Raises:
        ConfigError: if the result is not a key Zapier accepts.
    """
    key = event_key.replace(".", "_")
    if not TRIGGER_KEY.match(key):
        raise ConfigError(
            f"The event type {event_key!r} gives the Zapier trigger key {key!r}, "
            "which Zapier refuses: use letters, digits, dots and underscores, "
            "starting with a letter."
        )

    return key


def output_fields(sample: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The output fields of a trigger, one per leaf of its sample event.

    Keys follow Zapier's flattening of the events it receives: nested objects
    joined by ``__`` and the fields of objects in a list as ``list[]field``,
    so each field lines up with the value Zapier reads from a real event.
    Labels leave out the ``data`` every event-specific field starts with,
    unless two fields would then share a label.
    """
    leaves: list[tuple[str, list[str], Any]] = []
    for path, value in flatten_sample(sample):
        parts = path.split(".")
        key = "__".join(parts)
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            for child, child_value in flatten_sample(value[0]):
                child_parts = child.split(".")
                child_key = f"{key}[]{'__'.join(child_parts)}"
                leaves.append((child_key, parts + child_parts, child_value))
        else:
            leaves.append((key, parts, value))

    labels = [_label(_without_data(parts)) for _, parts, _ in leaves]
    fields = []
    for (key, parts, value), label in zip(leaves, labels, strict=True):
        if labels.count(label) > 1:
            label = _label(parts)
        fields.append(_field(key, label, value))

    return fields


def render_definition(definition: Mapping[str, Any]) -> str:
    """The definition as the text of ``definition.json``."""
    return json.dumps(definition, indent=2, ensure_ascii=False) + "\n"


def _field(key: str, label: str, value: Any) -> dict[str, Any]:
    field: dict[str, Any] = {"key": key, "label": label}
    if isinstance(value, list):
        field["list"] = True
        value = value[0] if value else None

    kind = _kind(value)
    if kind:
        field["type"] = kind
    return field


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "datetime" if DATETIME.match(value) else "string"

    # null and empty objects say nothing about the type of a real value.
    return None


def _without_data(parts: list[str]) -> list[str]:
    return parts[1:] if parts[0] == "data" and len(parts) > 1 else parts


def _label(parts: list[str]) -> str:
    words: list[str] = []
    for part in parts:
        spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", part).replace("_", " ")
        words.extend(word.capitalize() for word in spaced.split())

    return " ".join("ID" if word == "Id" else word for word in words)


def _authentication() -> dict[str, Any]:
    return {
        "type": "custom",
        "fields": [
            {
                "key": "base_url",
                "label": "eventhub URL",
                "required": True,
                "type": "string",
                "helpText": (
                    "The address of your eventhub, such as "
                    "`https://events.example.org`, without a slash at the end."
                ),
            },
            {
                "key": "api_key",
                "label": "API key",
                "required": True,
                "type": "password",
                "helpText": (
                    "An API key of your organisation; an eventhub operator makes "
                    "one with `eventhub keys create --organisation ID`."
                ),
            },
        ],
        "test": {
            "url": f"{BASE_URL}/zapier/me",
            "method": "GET",
            "headers": dict(HEADERS),
        },
        "connectionLabel": "{{bundle.inputData.label}}",
    }
