"""Which hooks want an event, and the payload each of them receives.

Pure code: no database, no HTTP. The ingest step hands it the parsed event and
the organisation's hooks; it answers with the hooks that match and, for each
distinct shape, the payload to store once and send on every attempt.

Matching rules:

* ``events`` holds exact keys (``task.assessed.marked``), prefix patterns
  (``quiz.*`` matches ``quiz.viewed`` and ``quiz.assessed.submitted``) and
  ``*`` for every event.
* ``filter.tags``, when present and not empty, keeps only events that carry
  at least one of those tags on the course, the class (offering), the acting
  user, or any object inside ``data`` (a page, task, quiz, learner ...).
* ``anonymous`` removes the acting user and every person object inside
  ``data``, and sets ``"anonymous": true``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# A dict carrying any of these keys describes a person; anonymous hooks drop it.
PERSON_KEYS = frozenset({"email", "firstName", "lastName", "personId", "displayName"})

FILTER_KEYS = frozenset({"tags"})


@dataclass(frozen=True)
class Subscription:
    """The parts of a hook that decide what it receives.

    Attributes:
        hook_id: The hook's id.
        events: Exact keys, ``prefix.*`` patterns or ``*``.
        filter: Optional narrowing, e.g. ``{"tags": ["cohort-a"]}``.
        anonymous: Whether person data is removed before delivery.
    """

    hook_id: str
    events: Sequence[str]
    filter: Mapping[str, Any]
    anonymous: bool = False


def pattern_matches(pattern: str, key: str) -> bool:
    """Tell whether one ``events`` entry matches an event key."""
    if pattern == "*":
        return True

    if pattern.endswith(".*"):
        return key.startswith(pattern[:-1])

    return pattern == key


def pattern_problem(pattern: object, known_keys: Iterable[str]) -> str | None:
    """Say what is wrong with an ``events`` entry, or None when it is usable."""
    if not isinstance(pattern, str) or not pattern:
        return "Each entry must be a non-empty string such as 'quiz.*'."

    if "*" in pattern and pattern != "*" and not pattern.endswith(".*"):
        return f"{pattern!r}: '*' may stand alone or end a prefix, as in 'quiz.*'."

    if not any(pattern_matches(pattern, key) for key in known_keys):
        return f"{pattern!r} matches no known event type."

    return None


def event_tags(event: Mapping[str, Any]) -> set[str]:
    """Every tag the event carries, on its own objects or inside ``data``."""
    tags: set[str] = set()
    for name in ("course", "offering", "user"):
        _collect_tags(event.get(name), tags)
    _collect_tags(event.get("data"), tags)

    return tags


def wants(subscription: Subscription, event: Mapping[str, Any]) -> bool:
    """Tell whether a subscription wants an event."""
    key = str(event.get("event", ""))
    if not any(pattern_matches(pattern, key) for pattern in subscription.events):
        return False

    wanted_tags = subscription.filter.get("tags") if subscription.filter else None
    if wanted_tags:
        return not event_tags(event).isdisjoint(wanted_tags)

    return True


def select(
    subscriptions: Iterable[Subscription], event: Mapping[str, Any]
) -> list[Subscription]:
    """The subscriptions that want ``event``, in the order given."""
    return [item for item in subscriptions if wants(item, event)]


def anonymise(event: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the event with the user and every person inside ``data`` removed."""
    stripped = copy.deepcopy(dict(event))
    stripped["anonymous"] = True
    if "user" in stripped:
        stripped["user"] = None
    if "data" in stripped:
        stripped["data"] = _strip_people(stripped["data"])

    return stripped


def render(event: Mapping[str, Any], anonymous: bool) -> str:
    """The payload text one hook receives; serialised once, sent as is."""
    shaped = anonymise(event) if anonymous else event
    return json.dumps(shaped, ensure_ascii=False, separators=(",", ":"))


def _collect_tags(value: Any, tags: set[str]) -> None:
    if isinstance(value, Mapping):
        found = value.get("tags")
        if isinstance(found, list):
            tags.update(tag for tag in found if isinstance(tag, str))
        for name, inner in value.items():
            if name != "tags":
                _collect_tags(inner, tags)

    elif isinstance(value, list):
        for item in value:
            _collect_tags(item, tags)


def _strip_people(value: Any) -> Any:
    if isinstance(value, Mapping):
        if PERSON_KEYS.intersection(value):
            return None
        return {name: _strip_people(inner) for name, inner in value.items()}

    if isinstance(value, list):
        return [_strip_people(item) for item in value]

    return value
