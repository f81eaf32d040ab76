from __future__ import annotations

from connectors.sheets.table import PendingRow, plan_table


def row(*cells, policy="append", id_header="Event ID"):
    return PendingRow(list(cells), id_header, policy)


def test_first_use_writes_every_header_whatever_the_policy():
    pending = [row(("Event ID", "'e1"), ("Mark", 17), policy="refuse")]

    plan = plan_table([], pending)

    assert plan.added == ["Event ID", "Mark"]
    assert plan.rows == [["'e1", 17]]


def test_values_follow_their_header_wherever_a_person_moved_it():
    current = ["Mark", "Learner", "Event ID"]
    pending = [row(("Event ID", "'e1"), ("Learner", "'Tama"), ("Mark", 17))]

    plan = plan_table(current, pending)

    assert plan.added == []
    assert plan.rows == [[17, "'Tama", "'e1"]]


def test_headers_match_without_case_or_extra_spaces():
    plan = plan_table(["event id", "  MARK "], [row(("Event ID", "'e1"), ("Mark", 1))])

    assert plan.added == []
    assert plan.rows == [["'e1", 1]]


def test_a_new_field_is_added_at_the_right_and_existing_columns_stay():
    current = ["Event ID", "", "Mark"]  # a blank header cell is left alone
    pending = [
        row(("Event ID", "'e1"), ("Mark", 1)),
        row(("Event ID", "'e2"), ("Mark", 2), ("Feedback", "'Good")),
    ]

    plan = plan_table(current, pending)

    assert plan.header == ["Event ID", "", "Mark", "Feedback"]
    assert plan.added == ["Feedback"]
    assert plan.rows == [["'e1", None, 1, None], ["'e2", None, 2, "'Good"]]


def test_ignore_drops_the_field_but_keeps_the_event_id_column():
    pending = [
        row(("Event ID", "'e1"), ("Mark", 1), ("Feedback", "'x"), policy="ignore")
    ]

    plan = plan_table(["Mark"], pending)

    assert plan.added == ["Event ID"]
    assert plan.rows == [[1, "'e1"]]


def test_refuse_refuses_only_the_row_and_names_the_missing_headers():
    pending = [
        row(("Event ID", "'e1"), ("Mark", 1), ("Feedback", "'x"), policy="refuse"),
        row(("Event ID", "'e2"), ("Mark", 2)),
    ]

    plan = plan_table(["Event ID", "Mark"], pending)

    assert plan.refused == {0: ["Feedback"]}
    assert plan.rows == [None, ["'e2", 2]]
    assert plan.added == []


def test_a_header_added_earlier_in_the_batch_is_not_refused_later():
    pending = [
        row(("Event ID", "'e1"), ("Feedback", "'x")),
        row(("Event ID", "'e2"), ("Feedback", "'y"), policy="refuse"),
    ]

    plan = plan_table(["Event ID"], pending)

    assert plan.refused == {}
    assert plan.added == ["Feedback"]


def test_position_finds_a_header_by_its_normal_form():
    plan = plan_table(["Mark", " Event  ID "], [])

    assert plan.position("event id") == 1
    assert plan.position("Feedback") is None
