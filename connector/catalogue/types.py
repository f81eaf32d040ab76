"""The 19 event types iQualify sends, and how to look them up.

Each :class:`EventType` pairs a machine key such as ``task.assessed.marked``
with the label an account owner sees, its category, a sentence for Zap authors,
the schema of its ``data`` and a sample event. The samples live as JSON files
in ``samples/``, one per key, and ship with the package.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from marshmallow import Schema

from connector.catalogue.data.assessment import (
    QuizAssessedSubmittedSchema,
    QuizPracticeSubmittedSchema,
    QuizViewedSchema,
    TaskAssessedMarkedSchema,
    TaskAssessedSubmittedSchema,
    TaskSubmittedSchema,
)
from connector.catalogue.data.content import (
    BadgeAwardedSchema,
    PageReactionAddedSchema,
    PageViewedSchema,
)
from connector.catalogue.data.course import (
    CourseCreatedSchema,
    CoursePublishedSchema,
    OfferingCreatedSchema,
)
from connector.catalogue.data.payments import PaymentCompletedSchema
from connector.catalogue.data.social import (
    ChannelCommentCreatedSchema,
    ChannelPostCreatedSchema,
    ChannelReplyCreatedSchema,
    PulseRespondedSchema,
    SocialNoteSharedSchema,
)
from connector.catalogue.data.users import OfferingUserAddedSchema
from connector.errors import NotFoundError

CATEGORIES: tuple[str, ...] = (
    "content",
    "assessment",
    "social",
    "course",
    "users",
    "payments",
)


@cache
def _read_sample(key: str) -> dict[str, Any]:
    path = resources.files(__package__).joinpath("samples", f"{key}.json")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class EventType:
    """One kind of event, such as a marked assessed task.

    Attributes:
        key: The machine key in an event's ``event`` field.
        name: The label an account owner sees, as in an event's ``eventName``.
        category: One of :data:`CATEGORIES`, as in an event's ``category``.
        description: One sentence saying when the event happens.
        data_schema: The marshmallow schema of the event's ``data``.
    """

    key: str
    name: str
    category: str
    description: str
    data_schema: type[Schema]

    @property
    def sample(self) -> dict[str, Any]:
        """A complete example event of this type, as a fresh copy to change."""
        return copy.deepcopy(_read_sample(self.key))


_EVENT_TYPES = (
    EventType(
        key="page.viewed",
        name="Viewed a page",
        category="content",
        description="Triggers when a learner opens a page of course content.",
        data_schema=PageViewedSchema,
    ),
    EventType(
        key="page.reaction.added",
        name="Reacted to a page",
        category="content",
        description="Triggers when a learner adds a reaction to a page.",
        data_schema=PageReactionAddedSchema,
    ),
    EventType(
        key="badge.awarded",
        name="Awarded a badge",
        category="content",
        description="Triggers when a learner is awarded a badge.",
        data_schema=BadgeAwardedSchema,
    ),
    EventType(
        key="quiz.viewed",
        name="Viewed a quiz",
        category="assessment",
        description="Triggers when a learner opens a quiz.",
        data_schema=QuizViewedSchema,
    ),
    EventType(
        key="quiz.practice.submitted",
        name="Submitted a practice quiz",
        category="assessment",
        description="Triggers when a learner submits a practice quiz, with the score.",
        data_schema=QuizPracticeSubmittedSchema,
    ),
    EventType(
        key="quiz.assessed.submitted",
        name="Submitted an assessed quiz",
        category="assessment",
        description=(
            "Triggers when a learner submits an assessed quiz, with the score "
            "and whether they passed."
        ),
        data_schema=QuizAssessedSubmittedSchema,
    ),
    EventType(
        key="task.submitted",
        name="Submitted a task",
        category="assessment",
        description=(
            "Triggers when a learner submits work for a task that is not assessed."
        ),
        data_schema=TaskSubmittedSchema,
    ),
    EventType(
        key="task.assessed.submitted",
        name="Submitted an assessed task",
        category="assessment",
        description="Triggers when a learner submits an assessed task for marking.",
        data_schema=TaskAssessedSubmittedSchema,
    ),
    EventType(
        key="task.assessed.marked",
        name="Assessed task marked",
        category="assessment",
        description="Triggers when a facilitator marks a learner's assessed task.",
        data_schema=TaskAssessedMarkedSchema,
    ),
    EventType(
        key="channel.post.created",
        name="Posted in a channel",
        category="social",
        description="Triggers when someone starts a new post in a class channel.",
        data_schema=ChannelPostCreatedSchema,
    ),
    EventType(
        key="channel.comment.created",
        name="Commented on a post",
        category="social",
        description="Triggers when someone comments on a post in a class channel.",
        data_schema=ChannelCommentCreatedSchema,
    ),
    EventType(
        key="channel.reply.created",
        name="Replied to a comment",
        category="social",
        description="Triggers when someone replies to a comment in a class channel.",
        data_schema=ChannelReplyCreatedSchema,
    ),
    EventType(
        key="pulse.responded",
        name="Responded to a pulse",
        category="social",
        description="Triggers when a learner answers a pulse question.",
        data_schema=PulseRespondedSchema,
    ),
    EventType(
        key="social_note.shared",
        name="Shared a social note",
        category="social",
        description="Triggers when a learner shares a note on a page with the class.",
        data_schema=SocialNoteSharedSchema,
    ),
    EventType(
        key="course.created",
        name="Course created",
        category="course",
        description="Triggers when a new course is created.",
        data_schema=CourseCreatedSchema,
    ),
    EventType(
        key="course.published",
        name="Course published",
        category="course",
        description="Triggers when a version of a course is published.",
        data_schema=CoursePublishedSchema,
    ),
    EventType(
        key="offering.created",
        name="Class activated",
        category="course",
        description="Triggers when a new class of a course is activated.",
        data_schema=OfferingCreatedSchema,
    ),
    EventType(
        key="offering.user.added",
        name="User given access to a course",
        category="users",
        description="Triggers when a person is given access to a class of a course.",
        data_schema=OfferingUserAddedSchema,
    ),
    EventType(
        key="payment.completed",
        name="Payment received",
        category="payments",
        description="Triggers when a payment for a class goes through.",
        data_schema=PaymentCompletedSchema,
    ),
)

_BY_KEY = {event_type.key: event_type for event_type in _EVENT_TYPES}

EVENT_KEYS: tuple[str, ...] = tuple(sorted(_BY_KEY))


def event_types() -> list[EventType]:
    """List every event type.

    Returns:
        The event types, sorted by key.
    """
    return [_BY_KEY[key] for key in EVENT_KEYS]


def get_event_type(key: str) -> EventType:
    """Look up an event type by its key.

    Args:
        key: A machine key, such as ``task.assessed.marked``.

    Returns:
        The event type with that key.

    Raises:
        NotFoundError: No event type has that key.
    """
    try:
        return _BY_KEY[key]
    except KeyError:
        raise NotFoundError(
            f"Unknown event type {key!r}. Valid types: {', '.join(EVENT_KEYS)}."
        ) from None
