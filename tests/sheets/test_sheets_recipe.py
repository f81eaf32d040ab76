"""The marking-data recipe of docs/sheets.md, end to end through the hub."""

from __future__ import annotations

from connector.delivery.worker import drain
from tests.conftest import ORGANISATION
from tests.sheets.conftest import ACCOUNT, SPREADSHEET, marked_event
from tests.sheets.test_sheets_connector import MARKING_HEADERS


def test_marked_tasks_become_rows_through_the_api(client, auth, hub, key_file, standin):
    standin.add_spreadsheet(SPREADSHEET, editors=(ACCOUNT,))
    hook = {
        "connector": "sheets",
        "events": ["task.assessed.marked"],
        "settings": {
            "spreadsheet": f"https://docs.google.com/spreadsheets/d/{SPREADSHEET}/edit",
            "worksheet": "Marking",
            "credentials": str(key_file),
            "api_endpoint": standin.url,
        },
    }
    events = [marked_event(mark=mark) for mark in ("Achieved", "Not yet achieved")]
    for event in events:
        event["organisation"] = {"id": ORGANISATION, "name": "Kauri Training"}

    created = client.post("/v1/hooks", json=hook, headers=auth)
    accepted = client.post("/v1/events", json=events, headers=auth)
    drain(hub.database, hub.registry, hub.settings)

    assert created.status_code == 201, created.get_json()
    assert accepted.status_code == 202
    assert standin.header(SPREADSHEET, "Marking") == MARKING_HEADERS
    rows = standin.records(SPREADSHEET, "Marking")
    # Delivery order is not promised, so the rows are compared as a set.
    by_id = {row["Event ID"].value: row["Mark"].value for row in rows}
    assert by_id == {e["id"]: e["data"]["mark"] for e in events}
    assert sorted(by_id.values()) == ["Achieved", "Not yet achieved"]
    hook_id = created.get_json()["id"]
    deliveries = client.get(f"/v1/deliveries?hook={hook_id}", headers=auth).get_json()
    assert [d["status"] for d in deliveries] == ["delivered", "delivered"]


def test_a_hook_with_a_wrong_path_is_refused_when_created(client, auth, key_file):
    hook = {
        "connector": "sheets",
        "events": ["task.assessed.marked"],
        "settings": {
            "spreadsheet": SPREADSHEET,
            "credentials": str(key_file),
            "columns": [{"header": "Learner", "path": "data.lerner.email"}],
        },
    }

    refused = client.post("/v1/hooks", json=hook, headers=auth)

    assert refused.status_code == 422
    fields = refused.get_json()["error"]["fields"]
    assert "data.lerner.email" in fields["settings.columns.0.path"][0]
