from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from connector.catalogue import EVENT_KEYS, get_event_type
from connector.mapper import (
    Subscription,
    anonymise,
    event_tags,
    pattern_matches,
    pattern_problem,
    render,
    select,
    wants,
)
from tests.conftest import shared_events

PERSON_FIELDS = ("email", "firstName", "lastName", "personId", "displayName")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
USER_ID = re.compile(r'"u_\w+"')


def _sample(key: str) -> dict[str, Any]:
    # The project's own samples, so that the values asserted below hold on
    # every machine; the platform's samples are checked whole further down.
    return get_event_type(key).sample


def _people_in(value: Any) -> list[Any]:
    if isinstance(value, dict):
        found = [value] if any(name in value for name in PERSON_FIELDS) else []
        return found + [p for inner in value.values() for p in _people_in(inner)]
    if isinstance(value, list):
        return [p for item in value for p in _people_in(item)]
    return []


@pytest.mark.parametrize(
    ("pattern", "key"),
    [
        ("task.assessed.marked", "task.assessed.marked"),
        ("quiz.*", "quiz.viewed"),
        ("quiz.*", "quiz.assessed.submitted"),
        ("task.assessed.*", "task.assessed.submitted"),
        ("*", "payment.completed"),
    ],
)
def test_pattern_matches_exact_keys_prefixes_and_star(pattern: str, key: str):
    assert pattern_matches(pattern, key)


@pytest.mark.parametrize(
    ("pattern", "key"),
    [
        ("quiz.*", "quizzes.x"),
        ("quiz.*", "quiz"),
        ("task.submitted", "task.assessed.submitted"),
        ("task.assessed.*", "task.submitted"),
        ("task", "task.submitted"),
    ],
)
def test_pattern_does_not_match_a_mere_string_prefix(pattern: str, key: str):
    assert not pattern_matches(pattern, key)


@pytest.mark.parametrize("pattern", ["*", "quiz.*", "task.assessed.marked"])
def test_pattern_problem_accepts_usable_patterns(pattern: str):
    assert pattern_problem(pattern, EVENT_KEYS) is None


@pytest.mark.parametrize("pattern", ["quiz*", "*.viewed", "quiz.*.viewed", "quiz.**"])
def test_pattern_problem_names_a_misplaced_star(pattern: str):
    problem = pattern_problem(pattern, EVENT_KEYS)

    assert (
        problem == f"{pattern!r}: '*' may stand alone or end a prefix, as in 'quiz.*'."
    )


@pytest.mark.parametrize("pattern", ["quiz.unknown", "nothing.*", "quizzes.*"])
def test_pattern_problem_names_a_pattern_matching_no_known_type(pattern: str):
    problem = pattern_problem(pattern, EVENT_KEYS)

    assert problem == f"{pattern!r} matches no known event type."


@pytest.mark.parametrize("pattern", ["", None, 7, ["quiz.*"]])
def test_pattern_problem_refuses_empty_and_non_string_entries(pattern: object):
    problem = pattern_problem(pattern, EVENT_KEYS)

    assert problem == "Each entry must be a non-empty string such as 'quiz.*'."


def test_event_tags_gathers_course_offering_user_and_data_objects():
    event = _sample("task.assessed.marked")

    tags = event_tags(event)

    assert tags == {
        "staff",
        "first-aid",
        "refresher",
        "sept-2024",
        "Code_FA3",
        "cohort-sept",
    }


@pytest.mark.parametrize(
    ("key", "tag"),
    [
        ("page.viewed", "core"),
        ("quiz.viewed", "Code_FA2"),
        ("quiz.practice.submitted", "practice"),
        ("task.submitted", "reflection"),
        ("offering.user.added", "cohort-oct"),
    ],
)
def test_event_tags_include_page_task_quiz_and_member_tags(key: str, tag: str):
    assert tag in event_tags(_sample(key))


def test_event_tags_survive_a_missing_user():
    event = _sample("quiz.viewed")

    tags = event_tags(event)

    assert event["user"] is None
    assert tags == {"first-aid", "refresher", "sept-2024", "Code_FA2"}


def test_event_tags_reach_objects_nested_in_lists_and_skip_non_strings():
    event = {
        "event": "task.submitted",
        "user": None,
        "data": {
            "files": [{"name": "a.pdf", "tags": ["deep", 3, None]}],
            "extra": {"inner": {"tags": ["deeper"]}},
            "tags": "not-a-list",
        },
    }

    assert event_tags(event) == {"deep", "deeper"}


def test_wants_keeps_an_event_carrying_any_one_of_the_filter_tags():
    event = _sample("task.assessed.marked")
    subscription = Subscription("hk_1", ["*"], {"tags": ["cohort-z", "Code_FA3"]})

    assert wants(subscription, event)


def test_wants_drops_an_event_carrying_none_of_the_filter_tags():
    event = _sample("task.assessed.marked")
    subscription = Subscription("hk_1", ["*"], {"tags": ["cohort-z", "cohort-y"]})

    assert not wants(subscription, event)


@pytest.mark.parametrize("event_filter", [{}, {"tags": []}])
def test_wants_ignores_an_empty_filter(event_filter: dict[str, Any]):
    event = _sample("page.viewed")
    subscription = Subscription("hk_1", ["page.*"], event_filter)

    assert wants(subscription, event)


def test_wants_applies_the_filter_only_to_matching_event_types():
    event = _sample("page.viewed")
    subscription = Subscription("hk_1", ["quiz.*"], {"tags": ["core"]})

    assert not wants(subscription, event)


def test_every_shared_event_is_wanted_by_a_star_hook():
    subscription = Subscription("hk_all", ["*"], {})

    wanted = [event for event in shared_events() if wants(subscription, event)]

    assert len(wanted) == 19


def test_select_keeps_the_order_given_and_drops_the_unwanted():
    event = _sample("quiz.assessed.submitted")
    subscriptions = [
        Subscription("hk_c", ["quiz.*"], {}),
        Subscription("hk_x", ["task.*"], {}),
        Subscription("hk_a", ["*"], {}),
        Subscription("hk_y", ["*"], {"tags": ["nobody"]}),
        Subscription("hk_b", ["quiz.assessed.submitted"], {"tags": ["Code_FA2"]}),
    ]

    chosen = select(subscriptions, event)

    assert [item.hook_id for item in chosen] == ["hk_c", "hk_a", "hk_b"]


def test_anonymise_removes_the_user_and_every_person_inside_data():
    event = _sample("task.assessed.marked")

    stripped = anonymise(event)

    assert stripped["anonymous"] is True
    assert stripped["user"] is None
    assert stripped["data"]["learner"] is None
    assert stripped["data"]["marker"] is None
    assert stripped["data"]["task"] == event["data"]["task"]
    assert stripped["data"]["mark"] == event["data"]["mark"]
    assert stripped["course"] == event["course"]
    assert stripped["offering"] == event["offering"]


@pytest.mark.parametrize(
    ("key", "person"),
    [
        ("offering.user.added", "member"),
        ("payment.completed", "purchaser"),
        ("badge.awarded", "learner"),
    ],
)
def test_anonymise_removes_named_people_in_data(key: str, person: str):
    event = _sample(key)

    stripped = anonymise(event)

    assert event["data"][person] is not None
    assert stripped["data"][person] is None


def test_no_shared_event_keeps_a_person_after_anonymise():
    events = shared_events()

    leftovers = {
        event["event"]: _people_in(anonymise(event))
        for event in events
        if _people_in(anonymise(event))
    }
    texts = [render(event, anonymous=True) for event in events]

    assert leftovers == {}
    assert not any(EMAIL.search(text) for text in texts)
    assert not any(USER_ID.search(text) for text in texts)


def test_anonymise_does_not_change_its_input():
    event = _sample("task.assessed.marked")
    original = copy.deepcopy(event)

    anonymise(event)

    assert event == original


def test_anonymise_keeps_unknown_fields():
    event = _sample("task.assessed.marked")
    event["extraTopLevel"] = {"kept": True}
    event["data"]["rubric"] = {"criteria": ["A", "B"]}

    stripped = anonymise(event)

    assert stripped["extraTopLevel"] == {"kept": True}
    assert stripped["data"]["rubric"] == {"criteria": ["A", "B"]}


def test_render_is_compact_json_of_the_event():
    event = _sample("task.assessed.marked")

    text = render(event, anonymous=False)

    assert text == json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    assert "\n" not in text
    assert f'"id":"{event["id"]}"' in text
    assert json.loads(text) == event


def test_render_keeps_non_ascii_text_as_is():
    event = _sample("task.assessed.marked")

    text = render(event, anonymous=False)

    assert "First Aid Refresher – September" in text


def test_render_keeps_unknown_fields():
    event = _sample("page.viewed")
    event["futureField"] = [1, {"two": 2}]

    text = render(event, anonymous=True)

    assert json.loads(text)["futureField"] == [1, {"two": 2}]


def test_render_gives_identical_text_for_the_same_input():
    event = _sample("quiz.assessed.submitted")

    first = render(event, anonymous=False)
    second = render(copy.deepcopy(event), anonymous=False)

    assert first == second


def test_render_anonymous_is_the_anonymised_event():
    event = _sample("task.assessed.marked")

    text = render(event, anonymous=True)

    assert json.loads(text) == anonymise(event)
    assert "learner.one@example.org" not in text
