"""Data schemas of the ``payments`` category."""

from __future__ import annotations

from connector.catalogue.envelope import OpenSchema, PersonSchema
from connector.catalogue.primitives import Count, Identifier, Number, Object, Text


class PaymentSchema(OpenSchema):
    """A payment as the payment provider reported it."""

    id = Identifier()
    provider = Text()
    amount = Number(required=True)
    currency = Text(required=True)
    status = Text()


class PaymentCompletedSchema(OpenSchema):
    """``payment.completed``: a payment for a class went through."""

    payment = Object(PaymentSchema, required=True)
    purchaser = Object(PersonSchema)
    seats = Count()
