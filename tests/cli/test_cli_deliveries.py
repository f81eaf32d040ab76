from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from standardwebhooks.webhooks import Webhook

from connector.cli import main
from connector.delivery.worker import drain
from connector.hub import Hub
from tests.conftest import ORGANISATION, shared_events
from tests.support.sink import Answer, Sink


def _run(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", database_url, *args])


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def hook(hub: Hub, database_url: str, sink: Sink, tmp_path: Path) -> dict[str, Any]:
    """A hook on the sink for marked tasks; the 19 shared events emitted."""
    created = _json(
        _run(
            database_url,
            "hooks",
            "create",
            "-o",
            ORGANISATION,
            "--url",
            sink.url + "/marks",
            "--event",
            "task.assessed.marked",
        )
    )
    source = tmp_path / "events.json"
    source.write_text(json.dumps(shared_events()), encoding="utf-8")
    emitted = _run(database_url, "emit", "-q", str(source))
    assert emitted.stdout == "19 accepted, 0 duplicates\n"
    return created


def _list(database_url: str, *args: str) -> list[dict[str, Any]]:
    return _json(
        _run(database_url, "deliveries", "list", "-o", ORGANISATION, "--json", *args)
    )


def test_an_emitted_event_waits_as_a_pending_delivery(
    database_url: str, hook: dict[str, Any]
):
    rows = _list(database_url)

    assert len(rows) == 1
    assert rows[0]["hook"] == hook["id"]
    assert rows[0]["eventType"] == "task.assessed.marked"
    marked = next(e for e in shared_events() if e["event"] == "task.assessed.marked")
    assert rows[0]["event"] == marked["id"]
    assert rows[0]["status"] == "pending"
    assert rows[0]["attempts"] == 0


def test_deliveries_list_shows_a_table(
    hub: Hub, database_url: str, hook: dict[str, Any]
):
    drain(hub.database, hub.registry, hub.settings)

    result = _run(database_url, "deliveries", "list", "-o", ORGANISATION)

    header, row = result.stdout.splitlines()
    assert result.exit_code == 0
    assert header.split() == [
        "id",
        "eventType",
        "status",
        "attempts",
        "lastStatusCode",
        "lastError",
    ]
    assert row.split()[1:] == ["task.assessed.marked", "delivered", "1", "204", "-"]


def test_deliveries_list_filters_by_status_and_event(
    hub: Hub, database_url: str, hook: dict[str, Any]
):
    drain(hub.database, hub.registry, hub.settings)

    failed = _list(database_url, "--status", "failed")
    delivered = _list(database_url, "--status", "delivered")
    by_type = _list(database_url, "--event", "task.assessed.marked")
    other = _list(database_url, "--event", "page.viewed")

    assert failed == []
    assert len(delivered) == 1
    assert by_type == delivered
    assert other == []


def test_deliveries_list_refuses_an_unknown_status(hub: Hub, database_url: str):
    result = _run(
        database_url, "deliveries", "list", "-o", ORGANISATION, "--status", "lost"
    )

    assert result.exit_code == 2
    assert "'lost' is not one of" in result.output


def test_deliveries_show_lists_every_attempt(
    hub: Hub, database_url: str, hook: dict[str, Any], sink: Sink
):
    sink.answer(Answer(503, body=b"busy"))
    drain(hub.database, hub.registry, hub.settings)
    delivery_id = _list(database_url)[0]["id"]

    shown = _json(
        _run(database_url, "deliveries", "show", "-o", ORGANISATION, delivery_id)
    )

    assert shown["id"] == delivery_id
    assert shown["status"] == "pending"
    assert shown["attempts"] == 1
    assert shown["lastStatusCode"] == 503
    assert [(a["number"], a["outcome"], a["statusCode"]) for a in shown["history"]] == [
        (1, "retry", 503)
    ]
    assert shown["history"][0]["responseBody"] == "busy"


def test_deliveries_replay_sends_the_same_payload_again(
    hub: Hub, database_url: str, hook: dict[str, Any], sink: Sink
):
    drain(hub.database, hub.registry, hub.settings)
    original = _list(database_url)[0]

    replay = _json(
        _run(database_url, "deliveries", "replay", "-o", ORGANISATION, original["id"])
    )
    drain(hub.database, hub.registry, hub.settings)

    first, second = sink.wait_for(2)
    assert original["status"] == "delivered"
    assert replay["replayOf"] == original["id"]
    assert replay["status"] == "pending"
    assert replay["event"] == original["event"]
    assert second.body == first.body
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert Webhook(hook["secret"]).verify(second.body, second.headers)
    assert {row["status"] for row in _list(database_url)} == {"delivered"}


def test_deliveries_show_of_an_unknown_id_fails_clearly(hub: Hub, database_url: str):
    result = _run(database_url, "deliveries", "show", "-o", ORGANISATION, "dl_missing")

    assert result.exit_code == 1
    assert "No delivery has the id 'dl_missing' in this organisation." in result.output
    assert "Traceback" not in result.output


def test_deliveries_of_another_organisation_are_not_shown(
    database_url: str, hook: dict[str, Any]
):
    delivery_id = _list(database_url)[0]["id"]

    listed = _run(database_url, "deliveries", "list", "-o", "org_other_school")
    shown = _run(
        database_url, "deliveries", "show", "-o", "org_other_school", delivery_id
    )

    assert listed.stdout == "(none)\n"
    assert shown.exit_code == 1
