from __future__ import annotations

import pytest
from marshmallow import ValidationError

from connector.catalogue.primitives import Count, Flag, Number, Timestamp, json_type


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ({}, "object"),
        ([], "array"),
        ("x", "string"),
        (1, "number"),
        (1.5, "number"),
        (True, "boolean"),
        (None, "null"),
    ],
)
def test_json_type_names_the_json_type(value: object, kind: str):
    assert json_type(value) == kind


@pytest.mark.parametrize(
    "text",
    [
        "2024-09-16T01:33:20Z",
        "2024-09-16T01:33:20.871Z",
        "2024-09-16T13:33:20.871+12:00",
        "2024-09-16T01:33:20.871123-05:30",
    ],
)
def test_timestamp_accepts_iso_8601_with_a_timezone(text: str):
    assert Timestamp(required=True).deserialize(text).tzinfo is not None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-09-16", "Not an ISO 8601 timestamp"),
        ("2024-09-16T01:33:20", "has no timezone"),
        ("2024-09-16 01:33:20Z", "Not an ISO 8601 timestamp"),
        ("20240916T013320Z", "Not an ISO 8601 timestamp"),
        ("2024-09-16T01:33:20z", "Not an ISO 8601 timestamp"),
        ("9999-12-31T23:59:59-01:00", "Not an ISO 8601 timestamp"),
        ("16/09/2024 1:33pm", "Not an ISO 8601 timestamp"),
        (1726450400, "expected an ISO 8601 string, got number"),
    ],
)
def test_timestamp_refuses_anything_else(value: object, reason: str):
    with pytest.raises(ValidationError, match=reason):
        Timestamp(required=True).deserialize(value)


@pytest.mark.parametrize("value", ["1.5", True, float("nan"), float("inf")])
def test_number_refuses_what_json_receivers_cannot_use(value: object):
    with pytest.raises(ValidationError, match="Not a valid number"):
        Number().deserialize(value)


@pytest.mark.parametrize("value", [2.0, "2", False])
def test_count_takes_whole_numbers_only(value: object):
    with pytest.raises(ValidationError, match="Not a valid count"):
        Count().deserialize(value)


def test_optional_fields_accept_null_and_required_ones_do_not():
    assert Flag().deserialize(None) is None

    with pytest.raises(ValidationError, match="may not be null"):
        Flag(required=True).deserialize(None)
