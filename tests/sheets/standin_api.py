"""The stand-in's Sheets v4 operations, each on an authorised spreadsheet."""

from __future__ import annotations

from typing import Any

from tests.sheets.standin_model import (
    Answer,
    Sheet,
    Spreadsheet,
    a1,
    enter,
    error,
    render,
)


def metadata(spreadsheet: Spreadsheet) -> dict[str, Any]:
    return {
        "spreadsheetId": spreadsheet.key,
        "properties": {
            "title": spreadsheet.title,
            "locale": "en_NZ",
            "timeZone": spreadsheet.time_zone,
        },
        "sheets": [
            {"properties": sheet.properties(index)}
            for index, sheet in enumerate(spreadsheet.sheets)
        ],
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{spreadsheet.key}/edit",
    }


def batch_update(spreadsheet: Spreadsheet, body: Any) -> Answer:
    replies: list[dict[str, Any]] = []
    for request in body.get("requests", []):
        if "addSheet" in request:
            properties = request["addSheet"]["properties"]
            title = properties["title"]
            if any(s.title.casefold() == title.casefold() for s in spreadsheet.sheets):
                return error(
                    400,
                    "INVALID_ARGUMENT",
                    f'Invalid requests[0].addSheet: A sheet with the name "{title}" '
                    "already exists. Please enter another name.",
                )
            grid = properties.get("gridProperties", {})
            sheet = Sheet(
                sheet_id=1000 + len(spreadsheet.sheets),
                title=title,
                row_count=grid.get("rowCount", 1000),
                column_count=grid.get("columnCount", 26),
            )
            spreadsheet.sheets.append(sheet)
            replies.append(
                {
                    "addSheet": {
                        "properties": sheet.properties(len(spreadsheet.sheets) - 1)
                    }
                }
            )
        elif "appendDimension" in request:
            change = request["appendDimension"]
            sheet = next(
                s for s in spreadsheet.sheets if s.sheet_id == change["sheetId"]
            )
            if change["dimension"] == "COLUMNS":
                sheet.column_count += change["length"]
            else:
                sheet.row_count += change["length"]
            replies.append({})
        else:
            return error(400, "INVALID_ARGUMENT", "Unsupported request.")

    return 200, {"spreadsheetId": spreadsheet.key, "replies": replies}, {}


def values_get(
    sheet: Sheet, text: str, bounds: tuple[int | None, ...], query: dict[str, list[str]]
) -> Answer:
    row1, col1, row2, col2 = bounds
    top, left = row1 or 1, col1 or 1
    bottom, right = row2 or sheet.height(), col2 or sheet.width()
    grid = [
        [render(sheet.cells.get((row, column))) for column in range(left, right + 1)]
        for row in range(top, bottom + 1)
    ]
    if query.get("majorDimension") == ["COLUMNS"]:
        grid = [list(column) for column in zip(*grid, strict=True)] if grid else []
    grid = [_trim(line) for line in grid]
    while grid and not grid[-1]:
        grid.pop()

    answer: dict[str, Any] = {
        "range": text,
        "majorDimension": query.get("majorDimension", ["ROWS"])[0],
    }
    if grid:
        answer["values"] = grid
    return 200, answer, {}


def values_update(
    spreadsheet: Spreadsheet,
    sheet: Sheet,
    bounds: tuple[int | None, ...],
    query: dict[str, list[str]],
    body: Any,
) -> Answer:
    option = (query.get("valueInputOption") or [""])[0]
    if option not in ("RAW", "USER_ENTERED"):
        return error(
            400, "INVALID_ARGUMENT", "'valueInputOption' is required but not specified"
        )

    top, left = bounds[0] or 1, bounds[1] or 1
    values = body.get("values", [])
    right = left + max((len(row) for row in values), default=1) - 1
    bottom = top + len(values) - 1
    if right > sheet.column_count or bottom > sheet.row_count:
        return error(
            400,
            "INVALID_ARGUMENT",
            f"Range ({a1(sheet.title, top, left, bottom, right)}) exceeds grid "
            f"limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}",
        )

    _write(sheet, top, left, values, option)
    return (
        200,
        {
            "spreadsheetId": spreadsheet.key,
            "updatedRange": a1(sheet.title, top, left, bottom, right),
            "updatedRows": len(values),
            "updatedColumns": right - left + 1,
            "updatedCells": sum(len(row) for row in values),
        },
        {},
    )


def values_append(
    spreadsheet: Spreadsheet,
    sheet: Sheet,
    bounds: tuple[int | None, ...],
    query: dict[str, list[str]],
    body: Any,
) -> Answer:
    option = (query.get("valueInputOption") or [""])[0]
    if option not in ("RAW", "USER_ENTERED"):
        return error(
            400, "INVALID_ARGUMENT", "'valueInputOption' is required but not specified"
        )

    # The table: rows from the range's top that have something in its columns.
    top, left = bounds[0] or 1, bounds[1] or 1
    right = bounds[3] or max(sheet.column_count, sheet.width())
    row = top
    while any((row, column) in sheet.cells for column in range(left, right + 1)):
        row += 1

    values = body.get("values", [])
    if (query.get("insertDataOption") or ["OVERWRITE"])[0] == "INSERT_ROWS":
        sheet.cells = {
            (r + len(values) if r >= row else r, c): cell
            for (r, c), cell in sheet.cells.items()
        }
        sheet.row_count += len(values)
    width = max((len(line) for line in values), default=1)
    sheet.column_count = max(sheet.column_count, left + width - 1)
    _write(sheet, row, left, values, option)

    last = row + len(values) - 1
    updated = a1(sheet.title, row, left, last, left + width - 1)
    return (
        200,
        {
            "spreadsheetId": spreadsheet.key,
            "tableRange": a1(sheet.title, top, left, max(top, row - 1), right),
            "updates": {
                "spreadsheetId": spreadsheet.key,
                "updatedRange": updated,
                "updatedRows": len(values),
                "updatedColumns": width,
                "updatedCells": sum(len(line) for line in values),
            },
        },
        {},
    )


def _write(
    sheet: Sheet, top: int, left: int, values: list[list[Any]], option: str
) -> None:
    for row_offset, line in enumerate(values):
        for column_offset, value in enumerate(line):
            cell = enter(value, option)
            if cell is not None:  # null leaves a cell as it was
                sheet.cells[(top + row_offset, left + column_offset)] = cell


def _trim(line: list[str]) -> list[str]:
    while line and line[-1] == "":
        line = line[:-1]
    return line
