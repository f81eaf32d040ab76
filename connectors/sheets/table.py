"""Laying rows out under a worksheet's header row, as people left it.

The header row (row 1) is the truth: a value goes under the header cell that
bears its column's name, wherever a person has moved that column. Headers are
compared without case and runs of spaces, so ``mark`` still finds ``Mark``.
Existing header cells never move; a field that has none is added at the right,
dropped, or makes its row refused, as the hook's ``new_fields`` says. This
module is pure: it plans, :mod:`connectors.sheets.connector` writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors.sheets.values import CellValue

#: What a hook may do with a field the header row has no column for.
NEW_FIELD_POLICIES = ("append", "ignore", "refuse")


def normalise(header: str) -> str:
    """The form in which two headers are compared."""
    return " ".join(header.split()).casefold()


@dataclass(frozen=True)
class PendingRow:
    """One event's cells, waiting to be placed.

    Attributes:
        cells: ``(header, value)`` pairs in the hook's column order.
        id_header: The header of the event id column among them.
        new_fields: ``append``, ``ignore`` or ``refuse``.
    """

    cells: Sequence[tuple[str, CellValue]]
    id_header: str
    new_fields: str = "append"


@dataclass
class TablePlan:
    """What to write for a batch of rows.

    Attributes:
        header: The header row once the additions are made.
        added: Headers to write to the right of the existing ones.
        rows: Each row's values in header order, or ``None`` when refused.
        refused: For each refused row (by index), the headers it lacks.
    """

    header: list[str]
    added: list[str] = field(default_factory=list)
    rows: list[list[CellValue] | None] = field(default_factory=list)
    refused: dict[int, list[str]] = field(default_factory=dict)

    def position(self, header: str) -> int | None:
        """The 0-based column of ``header``, or ``None``."""
        wanted = normalise(header)
        return next(
            (
                index
                for index, text in enumerate(self.header)
                if normalise(text) == wanted
            ),
            None,
        )


def plan_table(current: Sequence[str], pending: Sequence[PendingRow]) -> TablePlan:
    """Place ``pending`` rows under the ``current`` header row.

    An empty header row takes every column of the batch: that is the first
    use. The event id column is added whatever the policy, because duplicate
    checks depend on it.

    Args:
        current: The header row as read, trailing blanks dropped.
        pending: The rows to place, in delivery order.

    Returns:
        The plan: headers to add, and each row laid out or refused.
    """
    header = list(current)
    positions: dict[str, int] = {}
    for index, text in enumerate(header):
        if text.strip():
            # A header typed twice: the first one gets the values.
            positions.setdefault(normalise(text), index)

    first_use = not positions
    plan = TablePlan(header=header)
    for number, row in enumerate(pending):
        missing = [name for name, _ in row.cells if normalise(name) not in positions]
        others = [
            name for name in missing if normalise(name) != normalise(row.id_header)
        ]
        if others and row.new_fields == "refuse" and not first_use:
            plan.refused[number] = others
            plan.rows.append(None)
            continue

        for name in missing:
            if first_use or row.new_fields == "append" or name not in others:
                positions[normalise(name)] = len(header)
                header.append(name)
                plan.added.append(name)

        plan.rows.append(_lay_out(row, positions, len(header)))

    for values in plan.rows:
        if values is not None:
            values.extend([None] * (len(header) - len(values)))

    return plan


def _lay_out(row: PendingRow, positions: dict[str, int], width: int) -> list[CellValue]:
    values: list[CellValue] = [None] * width
    for name, value in row.cells:
        index = positions.get(normalise(name))
        if index is not None:
            values[index] = value

    return values
