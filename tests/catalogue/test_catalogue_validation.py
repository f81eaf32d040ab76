from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from connector.catalogue import (
    EVENT_KEYS,
    event_types,
    get_event_type,
    validate_event,
    validate_events,
)
from connector.errors import InvalidInputError

SHARED_EVENTS = Path(__file__).parents[2].parent / "shared" / "events"


def _shared_event_files() -> list[Any]:
    if not SHARED_EVENTS.is_dir():
        reason = f"the shared sample events are not at {SHARED_EVENTS}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]

    return sorted(SHARED_EVENTS.glob("*.json"), key=lambda path: path.name)


def _errors_of(event: object) -> dict[str, list[str]]:
    with pytest.raises(InvalidInputError) as caught:
        validate_event(event)

    return caught.value.fields


@pytest.fixture
def marked() -> dict[str, Any]:
    return get_event_type("task.assessed.marked").sample


@pytest.mark.parametrize(
    "path", _shared_event_files(), ids=lambda path: getattr(path, "stem", "missing")
)
def test_shared_sample_validates_unchanged(path: Path):
    event = json.loads(path.read_text(encoding="utf-8"))
    original = copy.deepcopy(event)

    result = validate_event(event)

    assert result is event
    assert result == original


def test_shared_samples_cover_every_type():
    if not SHARED_EVENTS.is_dir():
        pytest.skip(f"the shared sample events are not at {SHARED_EVENTS}")

    stems = sorted(path.stem for path in SHARED_EVENTS.glob("*.json"))

    assert tuple(stems) == EVENT_KEYS


@pytest.mark.parametrize("key", EVENT_KEYS)
def test_own_sample_validates_unchanged(key: str):
    event = get_event_type(key).sample

    result = validate_event(event)

    assert result is event
    assert result == get_event_type(key).sample


def test_own_samples_differ_from_the_shared_ones():
    if not SHARED_EVENTS.is_dir():
        pytest.skip(f"the shared sample events are not at {SHARED_EVENTS}")

    shared_ids = {
        json.loads(path.read_text(encoding="utf-8"))["id"]
        for path in SHARED_EVENTS.glob("*.json")
    }

    assert not shared_ids & {event_type.sample["id"] for event_type in event_types()}


def test_unknown_fields_are_kept(marked: dict[str, Any]):
    marked["source"] = {"system": "lms", "version": 3}
    marked["user"]["pronouns"] = "they/them"
    marked["data"]["task"]["weighting"] = 0.4
    marked["data"]["rubric"] = [{"criterion": "Scene safety", "level": 2}]
    original = copy.deepcopy(marked)

    result = validate_event(marked)

    assert result == original


@pytest.mark.parametrize("mark", ["Merit", 7, 7.5, None])
def test_mark_may_be_a_string_a_number_or_null(marked: dict[str, Any], mark: object):
    marked["data"]["mark"] = mark

    result = validate_event(marked)

    assert result["data"]["mark"] == mark


def test_anonymous_is_optional_and_user_may_be_absent(marked: dict[str, Any]):
    del marked["anonymous"]
    del marked["user"]
    marked["course"] = None

    assert validate_event(marked) is marked


def test_occurred_at_accepts_an_offset(marked: dict[str, Any]):
    marked["occurredAt"] = "2024-09-16T13:33:20.871+12:00"

    assert validate_event(marked) is marked


def test_missing_id_is_named(marked: dict[str, Any]):
    del marked["id"]

    errors = _errors_of(marked)

    assert errors == {"id": ["Missing data for required field."]}


def test_id_with_a_dot_is_refused(marked: dict[str, Any]):
    marked["id"] = "evt.42"

    errors = _errors_of(marked)

    assert errors == {"id": ["Must not contain '.'; got 'evt.42'."]}


@pytest.mark.parametrize(
    ("event_id", "reason"),
    [
        ("", "Must not be empty."),
        ("x" * 201, "Must be at most 200 characters; got 201."),
        (42, "Not a valid string."),
    ],
)
def test_bad_ids_are_refused(marked: dict[str, Any], event_id: object, reason: str):
    marked["id"] = event_id

    errors = _errors_of(marked)

    assert errors == {"id": [reason]}


@pytest.mark.parametrize("value", ["true", 1, None])
def test_anonymous_must_be_a_boolean(marked: dict[str, Any], value: object):
    marked["anonymous"] = value

    errors = _errors_of(marked)

    assert list(errors) == ["anonymous"]


def test_anonymous_as_a_string_names_its_type(marked: dict[str, Any]):
    marked["anonymous"] = "yes"

    errors = _errors_of(marked)

    assert errors == {
        "anonymous": ["Not a valid boolean: expected true or false, got string."]
    }


def test_naive_occurred_at_is_refused(marked: dict[str, Any]):
    marked["occurredAt"] = "2024-09-16T01:33:20"

    errors = _errors_of(marked)

    assert errors == {
        "occurredAt": [
            "Timestamp '2024-09-16T01:33:20' has no timezone; add 'Z' for UTC or "
            "an offset such as +12:00."
        ]
    }


def test_unparsable_timestamp_in_data_is_refused(marked: dict[str, Any]):
    marked["data"]["markedAt"] = "last Tuesday"

    errors = _errors_of(marked)

    assert errors == {"data.markedAt": ["Not an ISO 8601 timestamp: 'last Tuesday'."]}


def test_unknown_event_type_lists_the_valid_ones(marked: dict[str, Any]):
    marked["event"] = "foo.bar"

    errors = _errors_of(marked)

    assert errors == {
        "event": [
            f"Unknown event type 'foo.bar'; valid types are: {', '.join(EVENT_KEYS)}."
        ]
    }


def test_unknown_category_lists_the_valid_ones(marked: dict[str, Any]):
    marked["event"] = "foo.bar"
    marked["category"] = "misc"

    errors = _errors_of(marked)

    assert errors["category"] == [
        "Unknown category 'misc'; valid categories are: content, assessment, "
        "social, course, users, payments."
    ]


def test_category_must_match_the_type(marked: dict[str, Any]):
    marked["category"] = "social"

    errors = _errors_of(marked)

    assert errors == {
        "category": [
            "Must be 'assessment' for event type 'task.assessed.marked', not 'social'."
        ]
    }


def test_missing_task_id_is_named_by_its_path(marked: dict[str, Any]):
    del marked["data"]["task"]["id"]

    errors = _errors_of(marked)

    assert errors == {"data.task.id": ["Missing data for required field."]}


def test_mark_as_a_list_is_refused(marked: dict[str, Any]):
    marked["data"]["mark"] = ["Achieved"]

    errors = _errors_of(marked)

    assert errors == {
        "data.mark": [
            "Not a valid mark: expected a string, a number or null, got array."
        ]
    }


@pytest.mark.parametrize("mark", [True, {"value": 7}])
def test_mark_as_a_boolean_or_object_is_refused(marked: dict[str, Any], mark: object):
    marked["data"]["mark"] = mark

    errors = _errors_of(marked)

    assert list(errors) == ["data.mark"]


def test_missing_mark_is_refused(marked: dict[str, Any]):
    del marked["data"]["mark"]

    errors = _errors_of(marked)

    assert errors == {"data.mark": ["Missing data for required field."]}


def test_quiz_score_must_be_a_number():
    event = get_event_type("quiz.assessed.submitted").sample
    event["data"]["score"]["raw"] = "12"

    errors = _errors_of(event)

    assert errors == {
        "data.score.raw": ["Not a valid number: expected a number, got string."]
    }


def test_tag_that_is_not_a_string_is_named_by_its_index(marked: dict[str, Any]):
    marked["user"]["tags"] = ["staff", 3]

    errors = _errors_of(marked)

    assert errors == {"user.tags.1": ["Not a valid string."]}


def test_nested_objects_must_be_objects(marked: dict[str, Any]):
    marked["user"] = ["Rawiri"]
    marked["data"] = "none"

    errors = _errors_of(marked)

    assert errors == {
        "user": ["Must be a JSON object."],
        "data": ["Must be a JSON object."],
    }


def test_organisation_needs_an_id(marked: dict[str, Any]):
    marked["organisation"] = {"id": "", "name": "Demo Learning Co"}

    errors = _errors_of(marked)

    assert errors == {"organisation.id": ["Must not be empty."]}


def test_envelope_and_data_errors_come_together(marked: dict[str, Any]):
    marked["id"] = "a.b"
    marked["occurredAt"] = "2024-09-16"
    del marked["data"]["learner"]
    marked["data"]["passed"] = "yes"

    errors = _errors_of(marked)

    assert sorted(errors) == ["data.learner", "data.passed", "id", "occurredAt"]


def test_course_created_accepts_empty_data():
    event = get_event_type("course.created").sample

    assert event["data"] == {}
    assert validate_event(event) is event


@pytest.mark.parametrize(
    ("obj", "kind"), [([], "array"), ("event", "string"), (None, "null")]
)
def test_input_that_is_not_an_object_is_refused(obj: object, kind: str):
    with pytest.raises(InvalidInputError, match=f"not {kind}") as caught:
        validate_event(obj)

    assert caught.value.fields == {"": [f"Expected a JSON object, got {kind}."]}


def test_error_message_names_the_event_and_the_paths(marked: dict[str, Any]):
    marked["id"] = "evt-1"
    del marked["data"]["task"]["id"]

    expected = (
        "Event 'evt-1' (task.assessed.marked) is not valid; fix data.task.id "
        "and send it again."
    )
    with pytest.raises(InvalidInputError, match=re.escape(expected)):
        validate_event(marked)


def test_batch_of_valid_events_is_returned_unchanged():
    events = [event_type.sample for event_type in event_types()]

    result = validate_events(events)

    assert result is events
    assert result == [event_type.sample for event_type in event_types()]


def test_batch_errors_are_prefixed_with_the_index(marked: dict[str, Any]):
    broken = copy.deepcopy(marked)
    del broken["data"]["task"]["id"]
    events = [marked, "oops", marked, broken]

    with pytest.raises(InvalidInputError) as caught:
        validate_events(events)

    assert caught.value.fields == {
        "1": ["Expected a JSON object, got string."],
        "3.data.task.id": ["Missing data for required field."],
    }


def test_batch_message_counts_the_invalid_events(marked: dict[str, Any]):
    events = [marked, [], {}]

    expected = "2 of 3 events are not valid (at index 1, 2)"
    with pytest.raises(InvalidInputError, match=re.escape(expected)):
        validate_events(events)


def test_batch_message_shows_only_the_first_indexes():
    events: list[object] = [None] * 12

    expected = "12 of 12 events are not valid (at index 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 "
    with pytest.raises(InvalidInputError, match=re.escape(expected + "and 2 more)")):
        validate_events(events)


def test_batch_must_be_a_list(marked: dict[str, Any]):
    with pytest.raises(InvalidInputError, match="must be a JSON array, not object"):
        validate_events(marked)  # type: ignore[arg-type]
