from __future__ import annotations

import json

from click.testing import CliRunner

from connector.catalogue import EVENT_KEYS
from connector.cli import main


def test_event_types_list_shows_all_nineteen():
    result = CliRunner().invoke(main, ["event-types", "list"])

    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert lines[0].split() == ["key", "name", "category"]
    assert len(lines) == 20
    assert [line.split()[0] for line in lines[1:]] == sorted(EVENT_KEYS)


def test_event_types_list_as_json():
    result = CliRunner().invoke(main, ["event-types", "list", "--json"])

    rows = json.loads(result.stdout)
    assert result.exit_code == 0
    assert len(rows) == 19
    assert {"key": "task.assessed.marked", "name": "Assessed task marked"}.items() <= (
        next(row for row in rows if row["key"] == "task.assessed.marked").items()
    )


def test_event_types_show_prints_the_sample_as_json():
    result = CliRunner().invoke(main, ["event-types", "show", "task.assessed.marked"])

    shown = json.loads(result.stdout)
    assert result.exit_code == 0
    assert shown["key"] == "task.assessed.marked"
    assert shown["name"] == "Assessed task marked"
    assert shown["category"] == "assessment"
    assert shown["sample"]["event"] == "task.assessed.marked"
    assert shown["sample"]["data"]["learner"]["email"]


def test_event_types_show_of_an_unknown_key_fails_clearly():
    result = CliRunner().invoke(main, ["event-types", "show", "task.unknown"])

    assert result.exit_code == 1
    assert "task.unknown" in result.output
    assert "Traceback" not in result.output
