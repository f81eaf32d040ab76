"""Which columns an event fills, and what goes in each.

A column is a header and a dotted path into the event, such as
``{"header": "Mark", "path": "data.mark"}``. A hook either lists its columns
or takes the default set of each event type (:mod:`connectors.sheets.defaults`).
Either way every row carries the event id, the key that keeps a retried
append from leaving a second row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timezone, tzinfo

from connectors.sheets.values import CellValue, to_cell

ID_PATH = "id"
ID_HEADER = "Event ID"


@dataclass(frozen=True)
class Column:
    """One column of the sheet, as a hook sees it.

    Attributes:
        header: The text of the column's header cell; columns are matched by it.
        path: Where the value lives in the event, dotted: ``data.learner.email``;
            a number picks a list item: ``data.files.0.filename``.
        kind: How the value is written: ``auto``, ``text``, ``number`` or
            ``time`` (see :func:`connectors.sheets.values.to_cell`).
    """

    header: str
    path: str
    kind: str = "auto"


def configured_columns(raw: Sequence[Mapping[str, str]]) -> tuple[Column, ...]:
    """Build columns from a hook's validated ``columns`` setting."""
    return tuple(
        Column(item["header"], item["path"], item.get("type", "auto")) for item in raw
    )


def with_id_column(columns: Sequence[Column]) -> tuple[Column, ...]:
    """Return ``columns`` with the event id among them, always as text.

    An id column the hook named itself keeps its header and place; otherwise
    ``Event ID`` comes first.
    """
    if any(column.path == ID_PATH for column in columns):
        return tuple(
            Column(column.header, ID_PATH, "text") if column.path == ID_PATH else column
            for column in columns
        )

    return (Column(ID_HEADER, ID_PATH, "text"), *columns)


def id_header(columns: Sequence[Column]) -> str:
    """The header of the event id column among ``columns``."""
    return next(column.header for column in columns if column.path == ID_PATH)


def resolve(event: Mapping[str, object], path: str) -> object:
    """Return the value at a dotted path, or ``None`` when it is not there."""
    node: object = event
    for part in path.split("."):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None

    return node


def row_cells(
    event: Mapping[str, object],
    columns: Sequence[Column],
    zone: tzinfo = timezone.utc,
) -> list[tuple[str, CellValue]]:
    """Pair each column's header with the cell value the event gives it."""
    return [
        (column.header, to_cell(resolve(event, column.path), column.kind, zone))
        for column in columns
    ]


def path_problem(path: str, samples: Mapping[str, Mapping[str, object]]) -> str | None:
    """Say why ``path`` is in none of ``samples``, or ``None`` if one has it.

    A path through ``null`` (such as ``user.email`` in an anonymous sample) or
    into a list counts as present: the sample cannot show what is inside.

    Args:
        path: A column's dotted path.
        samples: Sample events by event key.
    """
    if not samples:
        return None

    misses = []
    for key, sample in samples.items():
        miss = _miss(sample, path)
        if miss is None:
            return None
        misses.append((key, *miss))

    # The sample the path got furthest into gives the most useful hint.
    _, reached, known = max(misses, key=lambda miss: len(miss[1].split(".")))
    where = f"{reached!r} has" if reached else "events have"
    listed = ", ".join(known[:15]) if known else "no fields"
    kinds = ", ".join(sorted(samples)) if len(samples) <= 3 else "the hook's"
    return (
        f"{path!r} is not a field of {kinds} events ({where}: {listed}). "
        "Fix the path, or remove the column."
    )


def _miss(sample: Mapping[str, object], path: str) -> tuple[str, list[str]] | None:
    """Walk ``path`` in ``sample``; on a dead end, where it ended and what was there."""
    node: object = sample
    walked: list[str] = []
    for part in path.split("."):
        if node is None:
            return None
        if isinstance(node, list):
            if part.isdigit():
                return None
            return ".".join(walked), ["a list: give an item number, such as .0"]
        if not isinstance(node, Mapping) or part not in node:
            known = list(node) if isinstance(node, Mapping) else []
            return ".".join(walked), known

        node = node[part]
        walked.append(part)

    return None
