from __future__ import annotations

from datetime import timezone
from zoneinfo import ZoneInfo

import pytest

from connectors.sheets.values import MAX_CELL_CHARS, to_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (321801, 321801),
        (85.0, 85.0),
        (True, True),
        (False, False),
        (None, None),
        ("", None),
        ([], None),
    ],
)
def test_numbers_booleans_and_blanks_keep_their_json_type(value, cell):
    assert to_cell(value) == cell


@pytest.mark.parametrize(
    "text",
    ["S1000234", "0042", "+6421555123", "-NzQ8rT2mVb6Xk1Lp0Ws", "1e5", "TRUE"],
)
def test_ids_and_codes_are_marked_as_text_so_nothing_is_lost(text):
    assert to_cell(text) == "'" + text


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("https://evil.example","click")', "+SUM(A1:A9)", "-2+3", "@here"],
)
def test_text_a_spreadsheet_would_run_as_a_formula_is_marked_as_text(text):
    assert to_cell(text) == "'" + text


def test_a_time_is_written_in_the_spreadsheets_zone_to_the_second():
    auckland = ZoneInfo("Pacific/Auckland")

    assert to_cell("2024-06-24T03:12:05.117Z") == "2024-06-24 03:12:05"
    assert to_cell("2024-06-24T03:12:05.117Z", zone=auckland) == "2024-06-24 15:12:05"
    assert to_cell("2024-06-24T03:12:05+02:00", zone=timezone.utc) == (
        "2024-06-24 01:12:05"
    )


def test_a_date_stays_a_date():
    assert to_cell("2024-06-24") == "2024-06-24"


def test_text_kind_keeps_even_numbers_and_times_as_text():
    assert to_cell(17, "text") == "'17"
    assert to_cell("2024-06-24T03:12:05Z", "text") == "'2024-06-24T03:12:05Z"


@pytest.mark.parametrize(
    ("mark", "cell"),
    [
        ("17.5", 17.5),
        ("17", 17),
        ("-3", -3),
        ("Achieved", "'Achieved"),
        ("1e5", "'1e5"),
    ],
)
def test_number_kind_turns_marks_sent_as_text_into_numbers(mark, cell):
    assert to_cell(mark, "number") == cell


def test_an_integer_longer_than_sheets_keeps_exactly_is_written_as_text():
    assert to_cell(12345678901234567890) == "'12345678901234567890"
    assert to_cell(float("nan")) == "'nan"


def test_lists_of_values_are_joined_and_objects_written_as_json():
    assert to_cell(["cohort-a", "staff"]) == "'cohort-a, staff"
    assert (
        to_cell({"option": "Yes", "value": True}) == '\'{"option":"Yes","value":true}'
    )
    assert to_cell([{"id": "f1"}]) == '\'[{"id":"f1"}]'


def test_text_longer_than_a_cell_holds_is_cut_to_fit():
    cell = to_cell("x" * (MAX_CELL_CHARS + 10))

    assert isinstance(cell, str)
    assert len(cell) == MAX_CELL_CHARS + 1  # the text mark is not stored
    assert cell.endswith("…")
