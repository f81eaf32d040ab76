"""Data schemas of the ``course`` category: courses and classes.

The course and the class themselves are in the envelope's ``course`` and
``offering``; ``data`` holds only what the envelope does not.
"""

from __future__ import annotations

from connector.catalogue.envelope import OpenSchema
from connector.catalogue.primitives import Count, Flag, Number, Text


class CourseCreatedSchema(OpenSchema):
    """``course.created``: a course was created; its data is empty."""


class CoursePublishedSchema(OpenSchema):
    """``course.published``: a course version was published."""

    previous_content_id = Text()
    is_first_publish = Flag()
    auto_activated_offering_id = Text()


class OfferingCreatedSchema(OpenSchema):
    """``offering.created``: a class of a course was activated."""

    enrollment_limit = Count()
    price = Number()
    currency = Text()
