"""Flattening an event into dotted paths and values.

Zapier's output fields and the default Sheets columns are both lists of
``(path, value)`` leaves, such as ``("data.task.title", "Case study")``.
"""

from __future__ import annotations

from collections.abc import Mapping


def flatten_sample(sample: Mapping[str, object]) -> list[tuple[str, object]]:
    """List the leaves of an event as dotted paths and their values.

    Objects are walked into; everything else is a leaf. A list is one leaf,
    whatever it holds, because its length differs from event to event and a
    column or output field per item would not line up. An empty object and
    null are leaves too, so every key of the event has a path.

    Args:
        sample: An event, such as an :class:`EventType`'s ``sample``.

    Returns:
        ``(path, value)`` pairs in the order the keys appear in the event,
        such as ``[("id", "e3b0..."), ..., ("data.task.id", "t_case_study"), ...]``.
    """
    return _walk(sample, prefix="")


def _walk(node: Mapping[str, object], prefix: str) -> list[tuple[str, object]]:
    leaves: list[tuple[str, object]] = []
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            leaves.extend(_walk(value, path))
        else:
            leaves.append((path, value))

    return leaves
