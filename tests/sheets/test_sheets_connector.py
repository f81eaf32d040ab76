"""The connector against the stand-in server: behaviour over many calls."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest

from connector.base import ConnectorOptions, Outcome
from connectors.sheets import RateLimiter, SheetsConnector
from connectors.sheets.defaults import DEFAULT_COLUMNS
from tests.sheets.conftest import (
    ACCOUNT,
    SPREADSHEET,
    marked_event,
    new_private_key,
    request_for,
    write_key_file,
)

MARKING_HEADERS = [
    "Event ID",
    *(c.header for c in DEFAULT_COLUMNS["task.assessed.marked"][1:]),
]


def with_columns(hook_settings, *pairs, **changes):
    columns = [{"header": header, "path": path} for header, path in pairs]
    return SheetsConnector.validate_settings(
        {**hook_settings, "columns": columns, **changes}
    )


def test_first_delivery_creates_the_worksheet_header_and_a_typed_row(
    connector, hook_settings, standin
):
    event = marked_event(
        markedAt="2024-06-24T03:12:05.117Z",
        submittedAt="2024-06-20T09:58:44.930Z",
        turnaroundSeconds=321801,
        mark="Achieved",
        passed=True,
    )

    [result] = connector.deliver_batch([request_for(event, hook_settings)])

    assert result.outcome is Outcome.DELIVERED
    assert result.details == {
        "spreadsheet": SPREADSHEET,
        "worksheet": "Marking",
        "row": 2,
    }
    [added] = standin.calls_to("batchUpdate")
    properties = added.body["requests"][0]["addSheet"]["properties"]
    assert properties["title"] == "Marking"
    assert properties["gridProperties"]["frozenRowCount"] == 1
    assert standin.header(SPREADSHEET, "Marking") == MARKING_HEADERS
    [row] = standin.records(SPREADSHEET, "Marking")
    learner = event["data"]["learner"]
    assert (row["Event ID"].kind, row["Event ID"].value) == ("text", event["id"])
    # The spreadsheet's zone is Pacific/Auckland, 12 hours ahead in June.
    assert (row["Marked at"].kind, row["Marked at"].value) == (
        "time",
        datetime(2024, 6, 24, 15, 12, 5),
    )
    assert row["Submitted at"].value == datetime(2024, 6, 20, 21, 58, 44)
    assert (row["Turnaround (seconds)"].kind, row["Turnaround (seconds)"].value) == (
        "number",
        321801,
    )
    assert (row["Learner person ID"].kind, row["Learner person ID"].value) == (
        "text",
        learner["personId"],
    )
    assert row["Learner email"].value == learner["email"]
    assert (row["Mark"].kind, row["Mark"].value) == ("text", "Achieved")
    assert (row["Passed"].kind, row["Passed"].value) == ("bool", True)
    assert "Max mark" not in row  # null leaves the cell empty


def test_values_keep_their_type_and_formula_like_text_stays_text(
    connector, hook_settings, standin
):
    event = marked_event(
        mark="17.5",
        feedback='=HYPERLINK("https://evil.example","Open")',
        note="-5 for lateness",
        mention="@facilitators",
    )
    event["data"]["learner"].update(personId="0042", phone="+6421555123")
    hook_settings = SheetsConnector.validate_settings(
        {
            **hook_settings,
            "columns": [
                {"header": "Mark", "path": "data.mark", "type": "number"},
                {"header": "Person ID", "path": "data.learner.personId"},
                {"header": "Phone", "path": "data.learner.phone"},
                {"header": "Feedback", "path": "data.feedback"},
                {"header": "Note", "path": "data.note"},
                {"header": "Mention", "path": "data.mention"},
                {"header": "Tags", "path": "data.learner.tags"},
            ],
        }
    )

    [result] = connector.deliver_batch([request_for(event, hook_settings)])

    assert result.outcome is Outcome.DELIVERED
    [row] = standin.records(SPREADSHEET, "Marking")
    stored = {header: (cell.kind, cell.value) for header, cell in row.items()}
    assert stored == {
        "Event ID": ("text", event["id"]),
        "Mark": ("number", 17.5),
        "Person ID": ("text", "0042"),
        "Phone": ("text", "+6421555123"),
        "Feedback": ("text", '=HYPERLINK("https://evil.example","Open")'),
        "Note": ("text", "-5 for lateness"),
        "Mention": ("text", "@facilitators"),
        "Tags": ("text", ", ".join(event["data"]["learner"]["tags"])),
    }


def test_rows_for_one_worksheet_go_in_one_append(connector, hook_settings, standin):
    other_hook = with_columns(hook_settings, ("Mark", "data.mark"))
    results_tab = with_columns(
        hook_settings, ("Mark", "data.mark"), worksheet="Results"
    )
    events = [marked_event(mark=str(n)) for n in range(30)]
    requests = [
        request_for(event, [hook_settings, other_hook, results_tab][n % 3])
        for n, event in enumerate(events)
    ]

    results = connector.deliver_batch(requests)

    assert [r.outcome for r in results] == [Outcome.DELIVERED] * 30
    assert len(standin.calls_to("values.append")) == 2
    assert len(standin.calls_to("values.get")) == 2  # one header read per worksheet
    for event, result in zip(events, results, strict=True):
        sheet = standin.sheet(SPREADSHEET, result.details["worksheet"])
        assert sheet.cells[(result.details["row"], 1)].value == event["id"]
    assert len(standin.records(SPREADSHEET, "Marking")) == 20
    assert len(standin.records(SPREADSHEET, "Results")) == 10


def test_a_person_reordering_columns_between_appends_is_respected(
    connector, hook_settings, standin
):
    hook_settings = with_columns(
        hook_settings, ("Learner", "data.learner.email"), ("Mark", "data.mark")
    )
    connector.deliver_batch([request_for(marked_event(mark="Achieved"), hook_settings)])
    # Drag "Mark" to the front and "Event ID" to the end, as a person might.
    standin.move_column(SPREADSHEET, "Marking", 3, 1)
    standin.move_column(SPREADSHEET, "Marking", 2, 3)
    second = marked_event(mark="Not achieved")

    [result] = connector.deliver_batch([request_for(second, hook_settings)])

    assert result.outcome is Outcome.DELIVERED
    assert standin.header(SPREADSHEET, "Marking") == ["Mark", "Learner", "Event ID"]
    last = standin.records(SPREADSHEET, "Marking")[-1]
    assert last["Mark"].value == "Not achieved"
    assert last["Event ID"].value == second["id"]
    assert last["Learner"].value == second["data"]["learner"]["email"]
    assert standin.sheet(SPREADSHEET, "Marking").cells[(3, 1)].value == "Not achieved"


def test_a_new_field_grows_the_header_at_the_right_widening_the_grid(
    connector, hook_settings, standin
):
    standin.add_spreadsheet(
        SPREADSHEET, sheets=("Marking",), columns=2, editors=(ACCOUNT,)
    )
    first = with_columns(hook_settings, ("Mark", "data.mark"))
    connector.deliver_batch([request_for(marked_event(mark="A"), first)])
    standin.type_in(SPREADSHEET, "Marking", 1, 1, "Event ID")  # a person's own edit
    wider = with_columns(
        hook_settings, ("Mark", "data.mark"), ("Feedback", "data.feedback")
    )

    [result] = connector.deliver_batch(
        [request_for(marked_event(feedback="Good"), wider)]
    )

    assert result.outcome is Outcome.DELIVERED
    assert standin.header(SPREADSHEET, "Marking") == ["Event ID", "Mark", "Feedback"]
    rows = standin.records(SPREADSHEET, "Marking")
    assert "Feedback" not in rows[0]
    assert rows[1]["Feedback"].value == "Good"
    [widen] = standin.calls_to("batchUpdate")
    assert widen.body["requests"][0]["appendDimension"]["length"] == 1
    assert standin.sheet(SPREADSHEET, "Marking").column_count == 3


def test_columns_a_person_deleted_are_added_back_before_the_header_grows(
    connector, hook_settings, standin
):
    connector.deliver_batch(
        [
            request_for(
                marked_event(), with_columns(hook_settings, ("Mark", "data.mark"))
            )
        ]
    )
    standin.sheet(SPREADSHEET, "Marking").column_count = 2  # columns C:Z deleted
    wider = with_columns(
        hook_settings, ("Mark", "data.mark"), ("Feedback", "data.feedback")
    )

    [result] = connector.deliver_batch([request_for(marked_event(), wider)])

    assert result.outcome is Outcome.DELIVERED
    assert standin.header(SPREADSHEET, "Marking") == ["Event ID", "Mark", "Feedback"]
    assert standin.sheet(SPREADSHEET, "Marking").column_count == 3


def test_new_fields_ignore_and_refuse_act_per_hook(connector, hook_settings, standin):
    base = with_columns(hook_settings, ("Mark", "data.mark"))
    connector.deliver_batch([request_for(marked_event(), base)])
    extra = [("Mark", "data.mark"), ("Feedback", "data.feedback")]
    ignoring = with_columns(hook_settings, *extra, new_fields="ignore")
    refusing = with_columns(hook_settings, *extra, new_fields="refuse")

    results = connector.deliver_batch(
        [request_for(marked_event(), ignoring), request_for(marked_event(), refusing)]
    )

    assert [r.outcome for r in results] == [Outcome.DELIVERED, Outcome.FAILED]
    assert "no column 'Feedback'" in results[1].error
    assert "set new_fields to 'append' or 'ignore'" in results[1].error
    assert standin.header(SPREADSHEET, "Marking") == ["Event ID", "Mark"]
    assert len(standin.records(SPREADSHEET, "Marking")) == 2


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ({"drop": True}, "Could not reach Google Sheets"),
        ({"status": None, "delay": 1.5}, "did not answer in time"),
        ({"status": 503}, "HTTP 503"),
    ],
    ids=["connection-dropped", "timeout", "server-error"],
)
def test_an_append_of_unknown_fate_is_not_written_twice(
    limiter, hook_settings, standin, fault, said
):
    connector = SheetsConnector(
        ConnectorOptions(allow_private_targets=True), limiter=limiter, timeout=0.5
    )
    connector.deliver_batch([request_for(marked_event(), hook_settings)])
    written, new = marked_event(), marked_event()
    standin.fail_next("values.append", apply=True, **fault)

    [lost] = connector.deliver_batch([request_for(written, hook_settings)])
    retried = connector.deliver_batch(
        [
            request_for(written, hook_settings, attempt=2),
            request_for(new, hook_settings),
        ]
    )

    assert lost.outcome is Outcome.RETRY
    assert said in lost.error
    assert retried[0].outcome is Outcome.DELIVERED
    assert retried[0].details["duplicate"] is True
    assert retried[1].outcome is Outcome.DELIVERED
    ids = [row["Event ID"].value for row in standin.records(SPREADSHEET, "Marking")]
    assert ids.count(written["id"]) == 1
    assert ids[-1] == new["id"]
    connector.close()


def test_a_fresh_instance_checks_ids_before_its_first_append(
    connector, limiter, hook_settings, standin
):
    event = marked_event()
    connector.deliver_batch([request_for(event, hook_settings)])
    # A worker died after writing; its lease ran out; another takes over.
    successor = SheetsConnector(
        ConnectorOptions(allow_private_targets=True), limiter=limiter
    )

    [result] = successor.deliver_batch([request_for(event, hook_settings)])

    assert result.details["duplicate"] is True
    assert len(standin.records(SPREADSHEET, "Marking")) == 1
    successor.close()


def test_two_hooks_sending_one_event_to_one_worksheet_make_one_row(
    connector, hook_settings, standin
):
    event = marked_event()
    twin = with_columns(hook_settings, ("Mark", "data.mark"))

    results = connector.deliver_batch(
        [request_for(event, hook_settings), request_for(event, twin)]
    )

    assert [r.outcome for r in results] == [Outcome.DELIVERED, Outcome.DELIVERED]
    assert len(standin.records(SPREADSHEET, "Marking")) == 1


def test_quota_errors_are_retried_later_and_then_succeed(
    connector, hook_settings, standin
):
    event = marked_event()
    connector.deliver_batch([request_for(marked_event(), hook_settings)])
    standin.fail_next("values.append", status=429)

    [refused] = connector.deliver_batch([request_for(event, hook_settings)])
    [accepted] = connector.deliver_batch([request_for(event, hook_settings, attempt=2)])

    assert refused.outcome is Outcome.RETRY
    assert refused.status_code == 429
    assert refused.retry_after == 60.0
    assert refused.attempted  # Google refused: that was a real try
    assert "quota" in refused.error
    assert accepted.outcome is Outcome.DELIVERED
    assert len(standin.records(SPREADSHEET, "Marking")) == 2


def test_a_server_error_is_retried_honouring_retry_after(
    connector, hook_settings, standin
):
    standin.fail_next("metadata", status=503, headers={"Retry-After": "7"})

    [result] = connector.deliver_batch([request_for(marked_event(), hook_settings)])

    assert (result.outcome, result.status_code, result.retry_after) == (
        Outcome.RETRY,
        503,
        7.0,
    )


def test_the_limiter_keeps_two_workers_of_one_account_under_the_quota(
    hook_settings, standin
):
    standin.add_spreadsheet(SPREADSHEET, sheets=("Marking",), editors=(ACCOUNT,))
    standin.type_in(SPREADSHEET, "Marking", 1, 1, "Event ID")
    shared = RateLimiter(limit=4, period=60.0)
    workers = [
        SheetsConnector(ConnectorOptions(allow_private_targets=True), limiter=shared)
        for _ in range(2)
    ]

    results = [
        worker.deliver_batch([request_for(marked_event(), hook_settings)])[0]
        for _ in range(4)
        for worker in workers
    ]

    writes = [c for c in standin.calls if c.method in ("POST", "PUT") and c.account]
    reads = [c for c in standin.calls if c.method == "GET"]
    assert len(writes) <= 4 and len(reads) <= 4
    retried = [r for r in results if r.outcome is Outcome.RETRY]
    assert retried and all(0 < r.retry_after <= 60 for r in retried)
    assert all("quota of " + ACCOUNT in r.error for r in retried)
    assert not any(r.attempted for r in retried)  # no try spent on our own wait
    for worker in workers:
        worker.close()


def test_no_access_fails_for_good_saying_whom_to_share_with(
    connector, hook_settings, standin
):
    standin.spreadsheets[SPREADSHEET].editors.clear()

    [result] = connector.deliver_batch([request_for(marked_event(), hook_settings)])

    assert result.outcome is Outcome.FAILED
    assert result.status_code == 403
    assert f"Share the spreadsheet with {ACCOUNT} as an editor" in result.error


def test_a_wrong_key_fails_every_time_without_retrying(
    connector, hook_settings, standin
):
    del standin.spreadsheets[SPREADSHEET]

    outcomes = [
        connector.deliver_batch(
            [request_for(marked_event(), hook_settings, attempt=n)]
        )[0]
        for n in (1, 2)
    ]

    assert [r.outcome for r in outcomes] == [Outcome.FAILED, Outcome.FAILED]
    assert f"Spreadsheet {SPREADSHEET} was not found" in outcomes[0].error
    assert len(standin.calls_to("values.append")) == 0


def test_a_key_google_refuses_fails_for_good(
    connector, hook_settings, standin, tmp_path
):
    unknown = write_key_file(
        tmp_path / "old.json", new_private_key(), standin.token_uri
    )

    [result] = connector.deliver_batch(
        [request_for(marked_event(), {**hook_settings, "credentials": str(unknown)})]
    )

    assert result.outcome is Outcome.FAILED
    assert "invalid_grant" in result.error
    assert "create a new JSON key" in result.error
    assert [c.operation for c in standin.calls] == ["token"]


def test_a_replaced_key_file_is_picked_up_without_a_restart(
    connector, hook_settings, standin, key_file
):
    connector.deliver_batch([request_for(marked_event(), hook_settings)])
    rotated = new_private_key()
    standin.add_account(ACCOUNT, rotated.public_key())  # the old key is revoked
    write_key_file(key_file, rotated, standin.token_uri)

    [result] = connector.deliver_batch([request_for(marked_event(), hook_settings)])

    assert result.outcome is Outcome.DELIVERED
    assert len(standin.calls_to("token")) == 2


def test_a_stand_in_needs_the_operator_to_allow_private_targets(hook_settings, standin):
    strict = SheetsConnector()

    [result] = strict.deliver_batch([request_for(marked_event(), hook_settings)])

    assert result.outcome is Outcome.FAILED
    assert "EVENTHUB_ALLOW_PRIVATE_TARGETS" in result.error
    assert standin.calls == []


def test_a_public_endpoint_other_than_googles_never_gets_the_token(
    connector, hook_settings
):
    elsewhere = {**hook_settings, "api_endpoint": "http://8.8.8.8"}

    [result] = connector.deliver_batch([request_for(marked_event(), elsewhere)])

    assert result.outcome is Outcome.FAILED
    assert "resolves to the public address 8.8.8.8" in result.error


def test_a_worksheet_a_person_deleted_is_made_again(connector, hook_settings, standin):
    connector.deliver_batch([request_for(marked_event(), hook_settings)])
    standin.spreadsheets[SPREADSHEET].sheets.pop()

    [result] = connector.deliver_batch([request_for(marked_event(), hook_settings)])

    assert result.outcome is Outcome.DELIVERED
    assert standin.header(SPREADSHEET, "Marking") == MARKING_HEADERS
    assert len(standin.records(SPREADSHEET, "Marking")) == 1


def test_appends_land_below_the_table_never_beside_it(
    connector, hook_settings, standin
):
    hook_settings = with_columns(hook_settings, ("Mark", "data.mark"))
    connector.deliver_batch([request_for(marked_event(), hook_settings)])
    standin.type_in(SPREADSHEET, "Marking", 2, 5, "checked")  # a note beside row 2
    standin.type_in(SPREADSHEET, "Marking", 5, 1, "Total")  # a note below, after a gap
    event = marked_event()

    [result] = connector.deliver_batch([request_for(event, hook_settings)])

    cells = standin.sheet(SPREADSHEET, "Marking").cells
    assert result.details["row"] == 3
    assert cells[(3, 1)].value == event["id"]
    assert (2, 5) in cells and (3, 5) not in cells
    assert cells[(6, 1)].value == "Total"  # pushed down, not overwritten
    append = standin.calls_to("values.append")[-1]
    assert append.path.endswith("/values/%27Marking%27%21A1%3AB1:append")
    assert append.query["insertDataOption"] == ["INSERT_ROWS"]


def test_a_payload_that_is_no_json_object_fails_alone(
    connector, hook_settings, standin
):
    good = request_for(marked_event(), hook_settings)
    bad = request_for(marked_event(), hook_settings)
    bad = type(bad)(**{**bad.__dict__, "payload": "[1, 2]"})

    results = connector.deliver_batch([bad, good])

    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.DELIVERED]
    assert "not a JSON object" in results[0].error


def test_one_info_line_per_append_and_no_secret_anywhere(
    connector, hook_settings, standin, key_file, caplog
):
    caplog.set_level(logging.DEBUG)
    standin.fail_next("values.append", status=403)

    results = [
        connector.deliver_batch([request_for(marked_event(), hook_settings)])[0]
        for _ in range(2)
    ]

    info = [
        r for r in caplog.records if r.name.startswith("connectors.sheets.connector")
    ]
    appends = [r.getMessage() for r in info if r.levelno == logging.INFO]
    assert appends[0].startswith(f"sheets append to {SPREADSHEET}/'Marking': 0 rows")
    assert "status HTTP 403" in appends[0]
    assert appends[1].startswith(f"sheets append to {SPREADSHEET}/'Marking': 1 rows")
    secrets = [*standin.tokens, json.loads(key_file.read_text())["private_key"][40:80]]
    seen = "\n".join(r.getMessage() for r in caplog.records) + repr(results)
    assert standin.tokens and not any(secret in seen for secret in secrets)
