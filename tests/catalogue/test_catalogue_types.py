from __future__ import annotations

import re

import pytest
from marshmallow import Schema

from connector.catalogue import (
    CATEGORIES,
    EVENT_KEYS,
    EventType,
    event_types,
    get_event_type,
)
from connector.errors import NotFoundError


def test_catalogue_has_19_types_with_unique_keys():
    keys = [event_type.key for event_type in event_types()]

    assert len(keys) == 19
    assert len(set(keys)) == 19


def test_event_types_are_sorted_by_key_and_match_event_keys():
    keys = [event_type.key for event_type in event_types()]

    assert keys == sorted(keys)
    assert tuple(keys) == EVENT_KEYS


def test_categories_are_the_six_of_the_design():
    assert CATEGORIES == (
        "content",
        "assessment",
        "social",
        "course",
        "users",
        "payments",
    )


@pytest.mark.parametrize("event_type", event_types(), ids=EVENT_KEYS)
def test_every_type_is_fully_described(event_type: EventType):
    assert event_type.category in CATEGORIES
    assert event_type.name
    assert event_type.description.startswith("Triggers when ")
    assert event_type.description.endswith(".")
    assert issubclass(event_type.data_schema, Schema)


def test_every_category_has_a_type():
    used = {event_type.category for event_type in event_types()}

    assert used == set(CATEGORIES)


@pytest.mark.parametrize("event_type", event_types(), ids=EVENT_KEYS)
def test_sample_agrees_with_its_type(event_type: EventType):
    sample = event_type.sample

    assert sample["event"] == event_type.key
    assert sample["eventName"] == event_type.name
    assert sample["category"] == event_type.category
    assert sample["organisation"] == {"id": "org_demo", "name": "Demo Learning Co"}


def test_sample_is_a_fresh_copy_each_time():
    event_type = get_event_type("task.assessed.marked")

    first = event_type.sample
    first["data"]["task"]["id"] = "changed"

    assert event_type.sample["data"]["task"]["id"] != "changed"


def test_event_type_is_immutable():
    event_type = get_event_type("page.viewed")

    with pytest.raises(AttributeError):
        event_type.key = "page.closed"  # type: ignore[misc]


def test_get_event_type_finds_a_type_by_key():
    event_type = get_event_type("task.assessed.marked")

    assert event_type.name == "Assessed task marked"
    assert event_type.category == "assessment"


def test_get_event_type_names_the_valid_keys_for_an_unknown_one():
    expected = f"Unknown event type 'task.lost'. Valid types: {', '.join(EVENT_KEYS)}."

    with pytest.raises(NotFoundError, match=re.escape(expected)):
        get_event_type("task.lost")
