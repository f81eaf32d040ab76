"""The stand-in's model of a spreadsheet: typed cells, A1 ranges, errors.

Cells are stored typed, parsing ``USER_ENTERED`` input the way Sheets does in
the ways that matter here: ``'`` marks text, ``=``/``+``/``-``/``@`` start a
formula, numeric text becomes a number and ISO-like times become times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{1,2}:\d{2}(:\d{2})?)?$")
CELLS = re.compile(r"^([A-Z]*)(\d*)(?::([A-Z]*)(\d*))?$")

GOOGLE_ERRORS = {
    400: ("INVALID_ARGUMENT", "Invalid request."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    429: (
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Write requests' and limit 'Write "
        "requests per minute per user' of service 'sheets.googleapis.com'.",
    ),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
}


#: An answer: HTTP status, JSON body, extra headers.
Answer = tuple[int, dict[str, Any], dict[str, str]]


@dataclass
class Cell:
    """A stored cell: ``text``, ``number``, ``bool``, ``time`` or ``formula``."""

    kind: str
    value: Any


@dataclass
class Sheet:
    """One worksheet; cells keyed by 1-based ``(row, column)``."""

    sheet_id: int
    title: str
    row_count: int = 1000
    column_count: int = 26
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)

    def properties(self, index: int) -> dict[str, Any]:
        grid = {"rowCount": self.row_count, "columnCount": self.column_count}
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }

    def width(self) -> int:
        return max((column for _, column in self.cells), default=0)

    def height(self) -> int:
        return max((row for row, _ in self.cells), default=0)


@dataclass
class Spreadsheet:
    """A spreadsheet, its worksheets, and the accounts it is shared with."""

    key: str
    title: str
    time_zone: str
    sheets: list[Sheet]
    editors: set[str]


def enter(value: Any, option: str) -> Cell | None:
    """Store a value as Sheets does under ``RAW`` or ``USER_ENTERED``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Cell("bool", value)
    if isinstance(value, (int, float)):
        return Cell("number", value)

    text = str(value)
    if text == "":
        return None
    if option == "RAW":
        return Cell("text", text)
    if text.startswith("'"):
        return Cell("text", text[1:]) if len(text) > 1 else None
    if NUMBER.match(text):
        number = float(text)
        return Cell("number", int(number) if number.is_integer() else number)
    if text[0] in "=+-@":
        return Cell("formula", text)
    if TIME.match(text):
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                return Cell("time", datetime.strptime(text, pattern))
            except ValueError:
                continue
    if text.upper() in ("TRUE", "FALSE"):
        return Cell("bool", text.upper() == "TRUE")
    return Cell("text", text)


def render(cell: Cell | None) -> str:
    """A cell as ``FORMATTED_VALUE`` shows it."""
    if cell is None:
        return ""
    if cell.kind == "number":
        return (
            str(int(cell.value)) if float(cell.value).is_integer() else str(cell.value)
        )
    if cell.kind == "bool":
        return "TRUE" if cell.value else "FALSE"
    if cell.kind == "time":
        return cell.value.strftime("%Y-%m-%d %H:%M:%S")
    if cell.kind == "formula":
        return "#ERROR!"
    return str(cell.value)


def parse_range(text: str) -> tuple[str, tuple[int | None, ...]]:
    """``'Tab'!B2:C`` to ``("Tab", (row1, col1, row2, col2))``, ``None`` unbounded."""
    sheet_part, _, cells = text.rpartition("!") if "!" in text else (text, "", "")
    if sheet_part.startswith("'"):
        title = sheet_part[1:-1].replace("''", "'")
    else:
        title = sheet_part
    found = CELLS.match(cells)
    if found is None:
        raise ValueError(text)

    col1, row1, col2, row2 = found.groups()
    if found.group(3) is None:  # a single cell
        col2, row2 = col1, row1
    return title, (
        int(row1) if row1 else None,
        _column_number(col1) if col1 else None,
        int(row2) if row2 else None,
        _column_number(col2) if col2 else None,
    )


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def a1(title: str, row1: int, col1: int, row2: int, col2: int) -> str:
    quoted = "'" + title.replace("'", "''") + "'"
    return f"{quoted}!{letters(col1)}{row1}:{letters(col2)}{row2}"


def error(code: int, status: str, message: str) -> Answer:
    return code, {"error": {"code": code, "message": message, "status": status}}, {}


def find_sheet(spreadsheet: Spreadsheet, title: str) -> Sheet:
    for sheet in spreadsheet.sheets:
        if sheet.title.casefold() == title.casefold():
            return sheet
    raise KeyError(title)
