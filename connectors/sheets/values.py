"""Turning one event value into one spreadsheet cell, keeping its type.

Rows are sent with ``valueInputOption=USER_ENTERED``, and every cell is shaped
so that Sheets cannot read it as something else:

- numbers and booleans go as JSON numbers and booleans, which Sheets stores
  as they are under either input option;
- times go as ``YYYY-MM-DD HH:MM:SS`` text, which Sheets parses into a real
  date-time in every locale and shows with a date-time format, so the column
  sorts, filters and subtracts as time. A serial number would be the same
  value but show as ``45467.13`` until someone formats the column, and ``RAW``
  would leave the time as text;
- all other text goes with a leading apostrophe, Sheets' own "this is text"
  mark, which is not stored in the cell. So ``0042`` keeps its zeros, ``+64``
  its plus, and ``=HYPERLINK(...)``, ``-1`` or ``@x`` stay text instead of
  becoming formulas or numbers
  (https://owasp.org/www-community/attacks/CSV_Injection).

``RAW`` for the whole row would keep text safe too, but then no time could be
a time, and one request must carry the whole row.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timezone, tzinfo

#: The column types a setting may ask for.
KINDS = ("auto", "text", "number", "time")

#: What the Sheets API accepts for a cell; ``None`` leaves the cell untouched.
CellValue = str | int | float | bool | None

# Sheets keeps 15 significant digits; a longer integer, typically an id,
# would come back changed, so it is written as text.
MAX_EXACT_INTEGER = 10**15

# Google refuses a cell of more than 50,000 characters, and would refuse the
# whole append with it (https://support.google.com/docs/answer/37603).
MAX_CELL_CHARS = 50_000

# ISO 8601 with a time and a zone, as the events carry them.
TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"
)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")

TEXT_MARK = "'"


def to_cell(
    value: object, kind: str = "auto", zone: tzinfo = timezone.utc
) -> CellValue:
    """Shape one value from an event for a ``USER_ENTERED`` append.

    Args:
        value: A JSON value found at a column's path.
        kind: ``auto`` keeps the JSON type and reads ISO 8601 text as a time;
            ``text`` writes everything as text; ``number`` also turns numeric
            text, such as a mark sent as ``"17.5"``, into a number; ``time``
            reads only times.
        zone: The spreadsheet's time zone, in which times are written.

    Returns:
        A JSON value for the Sheets API, or ``None`` for an empty cell.
    """
    if value is None or value == "":
        return None

    if kind == "text":
        return as_text(value if isinstance(value, str) else _compact(value))

    if isinstance(value, bool):
        return value

    if isinstance(value, (int, float)):
        return _number(value)

    if isinstance(value, str):
        return _from_text(value, kind, zone)

    if isinstance(value, list) and all(_is_scalar(item) for item in value):
        joined = ", ".join(_scalar_text(item) for item in value if item is not None)
        return as_text(joined) if joined else None

    return as_text(_compact(value))


def as_text(text: str) -> str:
    """Mark ``text`` so that Sheets stores it as text, exactly."""
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"

    return TEXT_MARK + text


def format_time(moment: datetime, zone: tzinfo = timezone.utc) -> str:
    """Write a time the way Sheets parses into a date-time in any locale.

    Sheets shows times to the second, so the fraction is dropped rather than
    risk a form that some locales would keep as text.
    """
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def parse_time(text: str) -> datetime | date | None:
    """Return the time or date ``text`` holds in ISO 8601, else ``None``."""
    try:
        if TIMESTAMP.match(text):
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        if DATE.match(text):
            return date.fromisoformat(text)
    except ValueError:
        return None

    return None


def _from_text(text: str, kind: str, zone: tzinfo) -> CellValue:
    if kind in ("auto", "time"):
        moment = parse_time(text)
        if isinstance(moment, datetime):
            return format_time(moment, zone)
        if isinstance(moment, date):
            return moment.isoformat()

    if kind == "number" and DECIMAL.match(text.strip()):
        number = float(text)
        return _number(int(number) if number.is_integer() else number)

    return as_text(text)


def _number(value: int | float) -> CellValue:
    if isinstance(value, float) and not math.isfinite(value):
        return as_text(str(value))
    if isinstance(value, int) and abs(value) >= MAX_EXACT_INTEGER:
        return as_text(str(value))

    return value


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"

    return "" if value is None else str(value)


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
