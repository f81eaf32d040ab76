"""Reading deliveries and their attempts, and replaying them."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from connector.clock import isoformat, new_id
from connector.delivery.listen_pg import notify_workers
from connector.errors import InvalidInputError, NotFoundError
from connector.store import Database, Delivery

logger = logging.getLogger(__name__)

STATUSES = ("pending", "delivered", "failed")
MAX_LIMIT = 500


def list_deliveries(
    database: Database,
    organisation_id: str,
    hook: str | None = None,
    status: str | None = None,
    event: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Deliveries, newest first.

    Args:
        hook: Only this hook's.
        status: Only ``pending``, ``delivered`` or ``failed`` ones.
        event: Only those of this event id, or of this event type.
        limit: At most this many (1 to 500).
    """
    if status is not None and status not in STATUSES:
        raise InvalidInputError(
            "Unknown delivery status.",
            {"status": [f"{status!r} is not one of {', '.join(STATUSES)}."]},
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(
            "The limit is out of range.", {"limit": [f"Use 1 to {MAX_LIMIT}."]}
        )

    query = (
        select(Delivery)
        .where(Delivery.organisation_id == organisation_id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    if hook:
        query = query.where(Delivery.hook_id == hook)
    if status:
        query = query.where(Delivery.status == status)
    if event:
        query = query.where(
            or_(Delivery.event_id == event, Delivery.event_key == event)
        )

    with database.session() as session:
        return [describe(row) for row in session.scalars(query)]


def get_delivery(
    database: Database, organisation_id: str, delivery_id: str
) -> dict[str, Any]:
    """One delivery with every attempt, oldest attempt first."""
    with database.session() as session:
        delivery = _get(session, organisation_id, delivery_id, with_attempts=True)
        shown = describe(delivery)
        shown["history"] = [
            {
                "number": attempt.number,
                "startedAt": isoformat(attempt.started_at),
                "durationMs": round(attempt.duration_ms, 1),
                "outcome": attempt.outcome,
                "statusCode": attempt.status_code,
                "error": attempt.error,
                "responseBody": attempt.response_body,
            }
            for attempt in delivery.attempt_rows
        ]
        return shown


def replay_delivery(
    database: Database, organisation_id: str, delivery_id: str
) -> dict[str, Any]:
    """Queue the same payload again, as a new delivery, due now.

    The new delivery carries the same event id, so the receiver sees the same
    ``webhook-id`` and can tell it is the same event.
    """
    with database.session() as session:
        original = _get(session, organisation_id, delivery_id)
        now = database.now(session)
        copy = Delivery(
            id=new_id("dl"),
            organisation_id=organisation_id,
            hook_id=original.hook_id,
            event_pk=original.event_pk,
            event_id=original.event_id,
            event_key=original.event_key,
            payload=original.payload,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            replay_of=original.id,
            created_at=now,
            updated_at=now,
        )
        session.add(copy)
        notify_workers(database, session)

    logger.info("replaying delivery %s as %s", delivery_id, copy.id)
    return describe(copy)


def describe(delivery: Delivery) -> dict[str, Any]:
    """A delivery as the API and CLI show it."""
    return {
        "id": delivery.id,
        "hook": delivery.hook_id,
        "event": delivery.event_id,
        "eventType": delivery.event_key,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "nextAttemptAt": (
            isoformat(delivery.next_attempt_at)
            if delivery.status == "pending"
            else None
        ),
        "lastStatusCode": delivery.last_status_code,
        "lastError": delivery.last_error,
        "replayOf": delivery.replay_of,
        "createdAt": isoformat(delivery.created_at),
        "updatedAt": isoformat(delivery.updated_at),
        "deliveredAt": isoformat(delivery.delivered_at),
    }


def _get(
    session: Session,
    organisation_id: str,
    delivery_id: str,
    with_attempts: bool = False,
) -> Delivery:
    query = select(Delivery).where(
        Delivery.id == delivery_id, Delivery.organisation_id == organisation_id
    )
    if with_attempts:
        query = query.options(selectinload(Delivery.attempt_rows))

    delivery = session.scalars(query).first()
    if delivery is None:
        raise NotFoundError(
            f"No delivery has the id {delivery_id!r} in this organisation."
        )
    return delivery
