from __future__ import annotations

import json

import pytest

from connector.catalogue import EVENT_KEYS, get_event_type
from connector.errors import InvalidInputError
from connector.registry import ConnectorRegistry
from connectors.sheets import SheetsConnector
from connectors.sheets.columns import path_problem, with_id_column
from connectors.sheets.defaults import DEFAULT_COLUMNS
from connectors.sheets.table import normalise
from tests.sheets.conftest import GOOGLE_TOKEN_URI, SPREADSHEET, write_key_file


@pytest.fixture
def google_key(tmp_path, private_key):
    return write_key_file(tmp_path / "key.json", private_key, GOOGLE_TOKEN_URI)


def validate(**settings):
    return SheetsConnector.validate_settings(settings)


def refusal(**settings) -> dict[str, list[str]]:
    with pytest.raises(InvalidInputError) as caught:
        validate(**settings)
    return caught.value.fields


def test_settings_are_normalised_and_filled_with_defaults(google_key, monkeypatch):
    monkeypatch.chdir(google_key.parent)
    url = f"https://docs.google.com/spreadsheets/d/{SPREADSHEET}/edit#gid=0"

    settings = validate(spreadsheet=url, credentials="key.json")

    assert settings == {
        "spreadsheet": SPREADSHEET,
        "worksheet": "Events",
        "credentials": str(google_key),
        "columns": None,
        "new_fields": "append",
        "api_endpoint": "https://sheets.googleapis.com",
    }
    assert validate(**settings) == settings  # loading again changes nothing


def test_a_missing_key_file_is_refused_with_where_to_get_one(tmp_path):
    missing = tmp_path / "nowhere.json"

    fields = refusal(spreadsheet=SPREADSHEET, credentials=str(missing))

    [reason] = fields["settings.credentials"]
    assert str(missing) in reason
    assert "Keys > Add key > JSON" in reason


def test_a_file_that_is_not_a_service_account_key_is_refused(tmp_path):
    oauth_client = tmp_path / "client_secret.json"
    oauth_client.write_text(json.dumps({"installed": {"client_id": "x"}}))

    fields = refusal(spreadsheet=SPREADSHEET, credentials=str(oauth_client))

    assert "not a service-account key" in fields["settings.credentials"][0]


def test_a_broken_key_file_is_refused_without_quoting_it(tmp_path):
    broken = tmp_path / "key.json"
    broken.write_text('{"type": "service_account", "private_key": "-----BEGIN PRIV')

    [reason] = refusal(spreadsheet=SPREADSHEET, credentials=str(broken))[
        "settings.credentials"
    ]

    assert "not valid JSON (line 1)" in reason
    assert "BEGIN" not in reason


@pytest.mark.parametrize(
    ("spreadsheet", "hint"),
    [
        ("Marking data", "not a spreadsheet key"),
        ("https://docs.google.com/document/d/abc/edit", "no spreadsheet key"),
    ],
)
def test_something_that_is_no_spreadsheet_key_is_refused(google_key, spreadsheet, hint):
    fields = refusal(spreadsheet=spreadsheet, credentials=str(google_key))

    assert hint in fields["settings.spreadsheet"][0]


def test_bad_columns_are_refused_by_index(google_key):
    columns = [
        {"header": "Mark", "path": "data.mark"},
        {"header": " mark", "path": "data..mark"},
        {"header": "Due", "path": "data.dueDate", "type": "date"},
    ]

    fields = refusal(
        spreadsheet=SPREADSHEET, credentials=str(google_key), columns=columns
    )

    assert "also the header of column 0" in fields["settings.columns.1.header"][0]
    assert "dotted path" in fields["settings.columns.1.path"][0]
    assert "auto, text, number, time" in fields["settings.columns.2.type"][0]


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("new_fields", "add", "'append'"),
        ("api_endpoint", "ftp://sheets.example", "http://"),
        ("api_endpoint", "http://127.0.0.1:9/?key=x", "without ?query"),
        ("worksheet", "   ", "blank"),
        ("colour", "red", "Unknown field"),
    ],
)
def test_other_bad_settings_are_refused_with_a_remedy(google_key, name, value, hint):
    settings = {"spreadsheet": SPREADSHEET, "credentials": str(google_key), name: value}

    fields = refusal(**settings)

    assert hint in fields[f"settings.{name}"][0]


def test_check_hook_refuses_a_path_the_events_do_not_have(google_key):
    columns = [
        {"header": "Mark", "path": "data.mark"},
        {"header": "Learner", "path": "data.lerner.email"},
    ]
    settings = validate(
        spreadsheet=SPREADSHEET, credentials=str(google_key), columns=columns
    )

    with pytest.raises(InvalidInputError) as caught:
        SheetsConnector.check_hook(settings, ["task.assessed.marked"])

    assert list(caught.value.fields) == ["settings.columns.1.path"]
    [reason] = caught.value.fields["settings.columns.1.path"]
    assert "'data.lerner.email' is not a field of task.assessed.marked" in reason
    assert "'data' has: task, learner, marker" in reason


def test_check_hook_takes_a_path_any_matching_event_type_has(google_key):
    columns = [{"header": "Percent", "path": "data.score.percent"}]
    settings = validate(
        spreadsheet=SPREADSHEET, credentials=str(google_key), columns=columns
    )

    SheetsConnector.check_hook(settings, ["quiz.*"])
    with pytest.raises(InvalidInputError, match="columns of the 'sheets' hook"):
        SheetsConnector.check_hook(settings, ["page.viewed"])


def test_check_hook_takes_paths_through_null_objects_and_into_lists(google_key):
    columns = [
        {"header": "User", "path": "user.email"},  # null in the anonymous sample
        {"header": "File", "path": "data.files.0.filename"},
    ]
    settings = validate(
        spreadsheet=SPREADSHEET, credentials=str(google_key), columns=columns
    )

    SheetsConnector.check_hook(settings, ["quiz.viewed", "task.assessed.submitted"])


def test_every_event_type_has_a_default_column_set_that_fits_its_sample():
    assert sorted(DEFAULT_COLUMNS) == sorted(EVENT_KEYS)
    for key, columns in DEFAULT_COLUMNS.items():
        sample = {key: get_event_type(key).sample}
        headers = [normalise(column.header) for column in with_id_column(columns)]

        assert len(headers) == len(set(headers)), key
        assert columns[0].path == "id", key
        for column in columns:
            assert path_problem(column.path, sample) is None, (key, column.path)


def test_marking_defaults_carry_learner_task_mark_marker_times_and_turnaround():
    paths = {column.path for column in DEFAULT_COLUMNS["task.assessed.marked"]}

    assert {
        "data.learner.email",
        "data.task.title",
        "data.mark",
        "data.marker.email",
        "data.submittedAt",
        "data.markedAt",
        "data.turnaroundSeconds",
    } <= paths


def test_the_entry_point_loads_the_connector_by_name():
    assert ConnectorRegistry().get("sheets") is SheetsConnector
    assert SheetsConnector.signs_payloads is False
