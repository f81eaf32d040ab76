"""The envelope every event shares, and the objects events refer to.

The envelope is the part of an event that does not depend on its type: its id,
its type key, when it happened, the organisation it belongs to, and who, which
course and which class it concerns. The reference schemas (a person, a page, a
task, a quiz) are shared with the data schemas, which embed them.

Every schema keeps fields it does not know: iQualify adds fields over time and
receivers must get them all.
"""

from __future__ import annotations

import re

from marshmallow import INCLUDE, Schema, ValidationError, fields

from connector.catalogue.primitives import (
    Count,
    Flag,
    Identifier,
    Object,
    Tags,
    Text,
    Timestamp,
)

MAX_ID_LENGTH = 200


def _camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


class OpenSchema(Schema):
    """Base schema: camelCase keys on the wire, unknown fields kept.

    Fields are declared in snake_case and read from their camelCase keys, so
    ``occurred_at`` reads ``occurredAt``. Error paths use the camelCase keys.
    """

    class Meta:
        unknown = INCLUDE

    error_messages = {"type": "Must be a JSON object."}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        """Read each field from the camelCase form of its name."""
        field_obj.data_key = _camel_case(field_obj.data_key or field_name)


VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")


def _check_event_id(value: str) -> None:
    if not value:
        raise ValidationError("Must not be empty.")

    # Standard Webhooks signs "id.timestamp.body"; a dot in the id would make
    # that string ambiguous.
    if "." in value:
        raise ValidationError(f"Must not contain '.'; got {value!r}.")

    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(
            f"Must be at most {MAX_ID_LENGTH} characters; got {len(value)}."
        )

    # The id travels as the webhook-id header, which carries visible ASCII.
    if not VISIBLE_ASCII.fullmatch(value):
        raise ValidationError(
            f"Must be visible ASCII without spaces, as a UUID is; got {value!r}."
        )


class OrganisationSchema(OpenSchema):
    """The account an event belongs to; it decides whose hooks see the event."""

    id = Identifier()
    name = Text()


class PersonSchema(OpenSchema):
    """A person an event's data refers to: a learner, a marker, a new member."""

    id = Identifier()
    person_id = Text()
    email = Text()
    first_name = Text()
    last_name = Text()
    tags = Tags()


class UserSchema(PersonSchema):
    """The user who acted, in the envelope's ``user``."""

    display_name = Text()


class CourseSchema(OpenSchema):
    """The course an event concerns; ``contentId`` is the published version."""

    content_id = Identifier()
    root_content_id = Text()
    name = Text()
    tags = Tags()
    category = Text()
    level = Text()
    topic = Text()


class OfferingSchema(OpenSchema):
    """The class (offering) of a course that an event happened in."""

    id = Identifier()
    name = Text()
    identifier = Text()
    start = Timestamp()
    end = Timestamp()
    tags = Tags()


class PageSchema(OpenSchema):
    """A page of course content."""

    id = Identifier()
    title = Text()
    section_title = Text()
    tags = Tags()


class TaskSchema(OpenSchema):
    """A task a learner submits work for."""

    id = Identifier()
    title = Text()
    type = Text()
    is_assessed = Flag()
    tags = Tags()


class QuizSchema(OpenSchema):
    """A quiz, assessed or for practice."""

    id = Identifier()
    title = Text()
    is_assessed = Flag()
    question_count = Count()
    tags = Tags()


class EnvelopeSchema(OpenSchema):
    """The fields every event has, whatever its type.

    This schema checks shapes only. Whether ``event`` is a known type and
    ``category`` is that type's category needs the registry, so
    :func:`connector.catalogue.validate_event` checks those, along with
    ``data`` against the type's own schema.
    """

    id = Text(required=True, validate=_check_event_id)
    event = Text(required=True)
    event_name = Text(required=True)
    category = Text(required=True)
    occurred_at = Timestamp(required=True)
    anonymous = Flag(allow_none=False)
    organisation = Object(OrganisationSchema, required=True)
    user = Object(UserSchema)
    course = Object(CourseSchema)
    offering = Object(OfferingSchema)
    data = fields.Dict(
        required=True, error_messages={"invalid": "Must be a JSON object."}
    )
