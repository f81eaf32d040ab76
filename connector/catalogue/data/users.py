"""Data schemas of the ``users`` category: access to classes."""

from __future__ import annotations

from connector.catalogue.envelope import OpenSchema, PersonSchema
from connector.catalogue.primitives import Flag, Object, Text


class OfferingUserAddedSchema(OpenSchema):
    """``offering.user.added``: a person was given access to a class.

    The envelope's ``user`` is whoever gave the access; ``member`` is the
    person who got it.
    """

    member = Object(PersonSchema, required=True)
    role = Text(required=True)
    added_by = Text()
    invite_sent = Flag()
