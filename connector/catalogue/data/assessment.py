"""Data schemas of the ``assessment`` category: quizzes and tasks."""

from __future__ import annotations

from connector.catalogue.envelope import (
    OpenSchema,
    PageSchema,
    PersonSchema,
    QuizSchema,
    TaskSchema,
)
from connector.catalogue.primitives import (
    Count,
    Flag,
    Items,
    Mark,
    Number,
    Object,
    Text,
    Timestamp,
)


class QuizViewedSchema(OpenSchema):
    """``quiz.viewed``: a learner opened a quiz."""

    quiz = Object(QuizSchema, required=True)


class ScoreSchema(OpenSchema):
    """A quiz score: raw points out of a maximum, and the percentage."""

    raw = Number(required=True)
    max = Number(required=True)
    percent = Number()


class QuizPracticeSubmittedSchema(OpenSchema):
    """``quiz.practice.submitted``: a learner finished a practice quiz."""

    quiz = Object(QuizSchema, required=True)
    page = Object(PageSchema)
    attempt = Count()
    score = Object(ScoreSchema, required=True)
    correct_count = Count()
    question_count = Count()
    started_at = Timestamp()
    submitted_at = Timestamp(required=True)
    duration_seconds = Number()


class QuizAssessedSubmittedSchema(QuizPracticeSubmittedSchema):
    """``quiz.assessed.submitted``: a learner submitted an assessed quiz."""

    max_attempts = Count()
    passed = Flag()


class FileSchema(OpenSchema):
    """A file a learner uploaded with a submission."""

    id = Text()
    filename = Text()
    mimetype = Text()
    size = Count()
    url = Text()


class TaskSubmittedSchema(OpenSchema):
    """``task.submitted``: a learner submitted work for a task."""

    task = Object(TaskSchema, required=True)
    page = Object(PageSchema)
    attempt = Count()
    submitted_at = Timestamp(required=True)
    response_text = Text()
    files = Items(Object(FileSchema, allow_none=False))


class TaskAssessedSubmittedSchema(TaskSubmittedSchema):
    """``task.assessed.submitted``: a learner submitted an assessed task."""

    due_date = Timestamp()
    is_late = Flag()
    status = Text()


class TaskAssessedMarkedSchema(OpenSchema):
    """``task.assessed.marked``: a facilitator marked an assessed task."""

    task = Object(TaskSchema, required=True)
    learner = Object(PersonSchema, required=True)
    marker = Object(PersonSchema)
    marker_role = Text()
    # Present but null when a task is marked without a grade.
    mark = Mark(required=True, allow_none=True)
    mark_type = Text()
    max_mark = Mark()
    passed = Flag()
    feedback = Text()
    submitted_at = Timestamp()
    marked_at = Timestamp(required=True)
    turnaround_seconds = Number()
