"""The columns each event type fills when a hook lists none of its own.

Each set starts with the event id and the moment that matters for the type,
then who, what and the result, then the course and class. Headers that mean
the same thing are spelt the same across types (``Learner email``, ``Course``),
so that several types can share one worksheet and line up.
"""

from __future__ import annotations

from connectors.sheets.columns import ID_HEADER, ID_PATH, Column


def _learner(prefix: str, who: str = "Learner") -> tuple[Column, ...]:
    return (
        Column(f"{who} email", f"{prefix}.email", "text"),
        Column(f"{who} first name", f"{prefix}.firstName", "text"),
        Column(f"{who} last name", f"{prefix}.lastName", "text"),
        Column(f"{who} person ID", f"{prefix}.personId", "text"),
    )


def _page() -> tuple[Column, ...]:
    return (
        Column("Page", "data.page.title", "text"),
        Column("Page ID", "data.page.id", "text"),
        Column("Section", "data.page.sectionTitle", "text"),
    )


def _quiz() -> tuple[Column, ...]:
    return (
        Column("Quiz", "data.quiz.title", "text"),
        Column("Quiz ID", "data.quiz.id", "text"),
    )


def _score() -> tuple[Column, ...]:
    return (
        Column("Attempt", "data.attempt"),
        Column("Score", "data.score.raw", "number"),
        Column("Max score", "data.score.max", "number"),
        Column("Percent", "data.score.percent", "number"),
    )


def _task() -> tuple[Column, ...]:
    return (
        Column("Task", "data.task.title", "text"),
        Column("Task ID", "data.task.id", "text"),
    )


def _when(header: str, path: str = "occurredAt") -> tuple[Column, ...]:
    return (Column(ID_HEADER, ID_PATH, "text"), Column(header, path, "time"))


CLASS = (
    Column("Course", "course.name", "text"),
    Column("Class", "offering.name", "text"),
    Column("Class code", "offering.identifier", "text"),
)
USER = _learner("user")

DEFAULT_COLUMNS: dict[str, tuple[Column, ...]] = {
    "task.assessed.marked": (
        *_when("Marked at", "data.markedAt"),
        Column("Submitted at", "data.submittedAt", "time"),
        # What teams watch: how long a learner waits for a result.
        Column("Turnaround (seconds)", "data.turnaroundSeconds", "number"),
        *_learner("data.learner"),
        *_task(),
        # Marks may arrive as text ("17.5"); a number column keeps them summable.
        Column("Mark", "data.mark", "number"),
        Column("Max mark", "data.maxMark", "number"),
        Column("Passed", "data.passed"),
        Column("Marker email", "data.marker.email", "text"),
        Column("Marker role", "data.markerRole", "text"),
        *CLASS,
    ),
    "task.assessed.submitted": (
        *_when("Submitted at", "data.submittedAt"),
        *USER,
        *_task(),
        Column("Attempt", "data.attempt"),
        Column("Due at", "data.dueDate", "time"),
        Column("Late", "data.isLate"),
        Column("Status", "data.status", "text"),
        *CLASS,
    ),
    "task.submitted": (
        *_when("Submitted at", "data.submittedAt"),
        *USER,
        *_task(),
        Column("Page", "data.page.title", "text"),
        Column("Attempt", "data.attempt"),
        *CLASS,
    ),
    "quiz.assessed.submitted": (
        *_when("Submitted at", "data.submittedAt"),
        *USER,
        *_quiz(),
        *_score(),
        Column("Passed", "data.passed"),
        Column("Started at", "data.startedAt", "time"),
        Column("Duration (seconds)", "data.durationSeconds", "number"),
        *CLASS,
    ),
    "quiz.practice.submitted": (
        *_when("Submitted at", "data.submittedAt"),
        *USER,
        *_quiz(),
        *_score(),
        Column("Started at", "data.startedAt", "time"),
        Column("Duration (seconds)", "data.durationSeconds", "number"),
        Column("Page", "data.page.title", "text"),
        *CLASS,
    ),
    "quiz.viewed": (*_when("Viewed at"), *USER, *_quiz(), *CLASS),
    "page.viewed": (
        *_when("Viewed at"),
        *USER,
        *_page(),
        Column("First view", "data.isFirstView"),
        Column("Progress (%)", "data.progressPercent", "number"),
        *CLASS,
    ),
    "page.reaction.added": (
        *_when("Reacted at"),
        *USER,
        *_page(),
        Column("Reaction", "data.reaction", "text"),
        *CLASS,
    ),
    "badge.awarded": (
        *_when("Awarded at"),
        *_learner("data.learner"),
        Column("Badge", "data.badge.title", "text"),
        Column("Badge ID", "data.badge.id", "text"),
        Column("Expires at", "data.badge.expirationDate", "time"),
        Column("Awarded by", "data.awardedBy", "text"),
        *CLASS,
    ),
    "channel.post.created": (
        *_when("Posted at"),
        *_learner("user", "Author"),
        Column("Channel", "data.channel.title", "text"),
        Column("Post title", "data.post.title", "text"),
        Column("Post", "data.post.content", "text"),
        Column("Facilitator post", "data.post.isFacilitatorPost"),
        *CLASS,
    ),
    "channel.comment.created": (
        *_when("Commented at"),
        *_learner("user", "Author"),
        Column("Channel", "data.channel.title", "text"),
        Column("Post ID", "data.postId", "text"),
        Column("Comment", "data.comment.content", "text"),
        Column("Facilitator post", "data.comment.isFacilitatorPost"),
        *CLASS,
    ),
    "channel.reply.created": (
        *_when("Replied at"),
        *_learner("user", "Author"),
        Column("Channel", "data.channel.title", "text"),
        Column("Post ID", "data.postId", "text"),
        Column("Comment ID", "data.parentCommentId", "text"),
        Column("Reply", "data.reply.content", "text"),
        *CLASS,
    ),
    "pulse.responded": (
        *_when("Responded at"),
        *USER,
        Column("Pulse", "data.pulse.question", "text"),
        Column("Pulse ID", "data.pulse.instanceId", "text"),
        Column("Pulse type", "data.pulse.type", "text"),
        Column("Response", "data.response", "text"),
        *CLASS,
    ),
    "social_note.shared": (
        *_when("Shared at"),
        *USER,
        *_page(),
        Column("Note", "data.content", "text"),
        *CLASS,
    ),
    "course.created": (
        *_when("Created at"),
        Column("Course", "course.name", "text"),
        Column("Course ID", "course.contentId", "text"),
        Column("Category", "course.category", "text"),
        Column("Level", "course.level", "text"),
        Column("Topic", "course.topic", "text"),
        Column("Created by", "user.email", "text"),
    ),
    "course.published": (
        *_when("Published at"),
        Column("Course", "course.name", "text"),
        Column("Course ID", "course.contentId", "text"),
        Column("First publish", "data.isFirstPublish"),
        Column("Published by", "user.email", "text"),
    ),
    "offering.created": (
        *_when("Activated at"),
        *CLASS,
        Column("Class ID", "offering.id", "text"),
        Column("Starts at", "offering.start", "time"),
        Column("Ends at", "offering.end", "time"),
        Column("Enrolment limit", "data.enrollmentLimit", "number"),
        Column("Price", "data.price", "number"),
        Column("Currency", "data.currency", "text"),
        Column("Activated by", "user.email", "text"),
    ),
    "offering.user.added": (
        *_when("Added at"),
        *_learner("data.member", "Member"),
        Column("Role", "data.role", "text"),
        Column("Added by", "data.addedBy", "text"),
        *CLASS,
    ),
    "payment.completed": (
        *_when("Paid at"),
        *_learner("data.purchaser", "Purchaser"),
        Column("Payment ID", "data.payment.id", "text"),
        Column("Amount", "data.payment.amount", "number"),
        Column("Currency", "data.payment.currency", "text"),
        Column("Status", "data.payment.status", "text"),
        Column("Provider", "data.payment.provider", "text"),
        Column("Seats", "data.seats", "number"),
        *CLASS,
    ),
}

#: For an event type added to the catalogue after this list was written.
FALLBACK_COLUMNS: tuple[Column, ...] = (
    *_when("Occurred at"),
    Column("Event", "eventName", "text"),
    Column("Event key", "event", "text"),
    Column("User email", "user.email", "text"),
    *CLASS,
)


def default_columns(event_key: str) -> tuple[Column, ...]:
    """The default columns of an event type, or generic ones for a new type."""
    return DEFAULT_COLUMNS.get(event_key, FALLBACK_COLUMNS)
