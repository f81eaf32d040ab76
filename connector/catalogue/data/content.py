"""Data schemas of the ``content`` category: pages and badges."""

from __future__ import annotations

from connector.catalogue.envelope import OpenSchema, PageSchema, PersonSchema
from connector.catalogue.primitives import (
    Flag,
    Identifier,
    Number,
    Object,
    Text,
    Timestamp,
)


class PageViewedSchema(OpenSchema):
    """``page.viewed``: a learner opened a page."""

    page = Object(PageSchema, required=True)
    is_first_view = Flag()
    progress_percent = Number()


class PageReactionAddedSchema(OpenSchema):
    """``page.reaction.added``: a learner reacted to a page."""

    page = Object(PageSchema, required=True)
    reaction = Text(required=True)


class BadgeSchema(OpenSchema):
    """A badge, with its expiry when it has one."""

    id = Identifier()
    title = Text()
    description = Text()
    expires = Flag()
    expiration_date = Timestamp()
    badge_url = Text()


class BadgeAwardedSchema(OpenSchema):
    """``badge.awarded``: a learner earned a badge."""

    badge = Object(BadgeSchema, required=True)
    learner = Object(PersonSchema, required=True)
    awarded_by = Text()
