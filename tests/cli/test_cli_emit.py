from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from connector.cli import main
from connector.hub import Hub
from connector.store import Event, Organisation
from tests.conftest import SHARED_EVENTS, shared_events
from tests.support.served import ServedHub


def _run(database_url: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        main, ["--database-url", database_url, *args], input=stdin
    )


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def _event_ids(client: Any, auth: dict[str, str]) -> set[str]:
    answer = client.get("/v1/events?limit=500", headers=auth)
    assert answer.status_code == 200
    return {event["id"] for event in answer.get_json()}


def _stored(hub: Hub) -> int:
    with hub.database.session() as session:
        return session.scalar(select(func.count()).select_from(Event))


def test_emit_a_json_object_file_stores_the_event(
    database_url: str, client: Any, auth: dict[str, str], tmp_path: Path
):
    event = next(e for e in shared_events() if e["event"] == "task.assessed.marked")
    source = SHARED_EVENTS / "task.assessed.marked.json"
    if not source.is_file():
        source = tmp_path / "task.assessed.marked.json"
        source.write_text(json.dumps(event, indent=2), encoding="utf-8")

    result = _run(database_url, "emit", "--quiet", str(source))

    assert result.exit_code == 0, result.output
    assert result.stdout == "1 accepted, 0 duplicates\n"
    assert _event_ids(client, auth) == {event["id"]}


def test_emit_a_json_array_file_stores_every_event(
    database_url: str, client: Any, auth: dict[str, str], tmp_path: Path
):
    events = shared_events()
    source = _write(tmp_path / "all.json", json.dumps(events, indent=2))

    result = _run(database_url, "emit", source)

    assert result.exit_code == 0, result.output
    assert result.stdout == "19 accepted, 0 duplicates\n"
    assert _event_ids(client, auth) == {event["id"] for event in events}


def test_emit_again_counts_duplicates(hub: Hub, database_url: str, tmp_path: Path):
    source = _write(tmp_path / "all.json", json.dumps(shared_events()))
    _run(database_url, "emit", "-q", source)

    result = _run(database_url, "emit", "-q", source)

    assert result.exit_code == 0
    assert result.stdout == "0 accepted, 19 duplicates\n"
    assert _stored(hub) == 19


def test_emit_json_lines_stores_each_line(
    database_url: str, client: Any, auth: dict[str, str], tmp_path: Path
):
    events = shared_events()[:3]
    lines = "\n\n".join(json.dumps(event) for event in events) + "\n"
    source = _write(tmp_path / "events.jsonl", lines)

    result = _run(database_url, "emit", "-q", source)

    assert result.exit_code == 0, result.output
    assert result.stdout == "3 accepted, 0 duplicates\n"
    assert _event_ids(client, auth) == {event["id"] for event in events}


def test_emit_reads_stdin_for_a_dash(
    database_url: str, client: Any, auth: dict[str, str]
):
    events = shared_events()[3:5]
    stdin = "\n".join(json.dumps(event) for event in events)

    result = _run(database_url, "emit", "-q", "-", stdin=stdin)

    assert result.exit_code == 0, result.output
    assert result.stdout == "2 accepted, 0 duplicates\n"
    assert _event_ids(client, auth) == {event["id"] for event in events}


def test_emit_creates_the_organisation_of_the_events(
    hub: Hub, database_url: str, tmp_path: Path
):
    event = shared_events()[0]
    source = _write(tmp_path / "one.json", json.dumps(event))

    _run(database_url, "emit", "-q", source)

    with hub.database.session() as session:
        organisation = session.get(Organisation, event["organisation"]["id"])
    assert organisation is not None
    assert organisation.name == event["organisation"]["name"]


def test_emit_of_an_invalid_event_names_the_field_and_stores_nothing(
    hub: Hub, database_url: str, tmp_path: Path
):
    events = shared_events()[:2]
    del events[1]["occurredAt"]
    source = _write(tmp_path / "bad.json", json.dumps(events))

    result = _run(database_url, "emit", "-q", source)

    assert result.exit_code == 1
    assert "1.occurredAt: Missing data for required field." in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert _stored(hub) == 0


def test_emit_of_a_non_json_line_names_the_line(
    hub: Hub, database_url: str, tmp_path: Path
):
    lines = json.dumps(shared_events()[0]) + "\n{not json}\n"
    source = _write(tmp_path / "broken.jsonl", lines)

    result = _run(database_url, "emit", "-q", source)

    assert result.exit_code == 1
    assert "Line 2 is not valid JSON" in result.output
    assert "Traceback" not in result.output
    assert _stored(hub) == 0


def test_emit_of_empty_input_says_so(database_url: str):
    result = _run(database_url, "emit", "-", stdin="  \n")

    assert result.exit_code == 1
    assert "The input is empty" in result.output


def test_emit_needs_url_and_key_together(database_url: str, tmp_path: Path):
    source = _write(tmp_path / "one.json", json.dumps(shared_events()[0]))

    result = _run(database_url, "emit", "--url", "http://127.0.0.1:9", source)

    assert result.exit_code == 2
    assert "Give --url and --key together, or neither." in result.output


def test_emit_with_url_and_key_posts_to_a_running_hub(
    served: ServedHub,
    database_url: str,
    key: str,
    client: Any,
    auth: dict[str, str],
    tmp_path: Path,
):
    events = shared_events()
    source = _write(tmp_path / "all.json", json.dumps(events))

    result = _run(database_url, "emit", "-q", "--url", served.url, "--key", key, source)

    assert result.exit_code == 0, result.output
    assert result.stdout == "19 accepted, 0 duplicates\n"
    assert _event_ids(client, auth) == {event["id"] for event in events}


def test_emit_to_a_running_hub_with_another_organisations_key_is_refused(
    served: ServedHub, database_url: str, other_key: str, tmp_path: Path
):
    source = _write(tmp_path / "one.json", json.dumps(shared_events()[0]))

    result = _run(
        database_url, "emit", "-q", "--url", served.url, "--key", other_key, source
    )

    assert result.exit_code == 1
    assert "organisation.id" in result.output
    assert "Traceback" not in result.output


def test_emit_reads_the_key_from_the_environment(
    served: ServedHub, database_url: str, key: str, tmp_path: Path
):
    source = _write(tmp_path / "one.json", json.dumps(shared_events()[0]))

    result = CliRunner().invoke(
        main,
        ["--database-url", database_url, "emit", "-q", "--url", served.url, source],
        env={"EVENTHUB_API_KEY": key},
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "1 accepted, 0 duplicates\n"


def test_emit_of_a_folder_sends_each_json_file_in_it(
    database_url: str, client: Any, auth: dict[str, str], tmp_path: Path
):
    events = shared_events()[:3]
    for number, event in enumerate(events):
        _write(tmp_path / f"{number}.json", json.dumps(event, indent=2))
    _write(tmp_path / "notes.txt", "not an event")

    result = _run(database_url, "emit", "-q", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert result.stdout == "3 accepted, 0 duplicates\n"
    assert _event_ids(client, auth) == {event["id"] for event in events}


def test_emit_of_a_folder_without_events_says_so(database_url: str, tmp_path: Path):
    result = _run(database_url, "emit", "-q", str(tmp_path))

    assert result.exit_code == 1
    assert "holds no .json event files" in result.output


def test_emit_stopped_partway_says_what_was_accepted_and_that_again_is_safe(
    served: ServedHub, database_url: str, key: str, tmp_path: Path
):
    first = shared_events()[0]
    events = [{**first, "id": f"evt-partway-{number:03d}"} for number in range(100)]
    stranger = {**first, "id": "evt-stranger", "organisation": {"id": "org_other"}}
    source = _write(tmp_path / "mixed.json", json.dumps([*events, stranger]))

    result = _run(database_url, "emit", "-q", "--url", served.url, "--key", key, source)

    assert result.exit_code == 1
    assert "100 events were accepted (0 duplicates) before that" in result.output
    assert "running emit again is safe" in result.output
    assert "organisation.id" in result.output
