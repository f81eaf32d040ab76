"""Taking events in: parse, validate, store, fan out, all before the answer.

The events and one delivery per matching hook are written in one transaction,
so a ``202`` means every delivery is on disk; a batch with any invalid event
stores none of it. On PostgreSQL the same transaction notifies the listening
workers, wherever they run (see :mod:`connector.delivery.listen_pg`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector import jsonbody, mapper
from connector.catalogue import validate_event, validate_events
from connector.catalogue.primitives import json_type
from connector.clock import new_id, parse_time, utcnow
from connector.delivery.listen_pg import notify_workers
from connector.errors import InvalidInputError
from connector.store import Database, Delivery, Event, Hook, Organisation

logger = logging.getLogger(__name__)

# Two writers may race to store the same new event id on PostgreSQL; the loser
# sees a unique-key error and simply runs again, finding the event stored.
RACE_RETRIES = 3


@dataclass
class IngestResult:
    """What became of a request's events."""

    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    deliveries: int = 0


def parse_body(body: bytes | str) -> list[tuple[dict[str, Any], str]]:
    """Parse and validate a request body into ``(event, stored text)`` pairs.

    A single object keeps its text exactly as sent; the events of an array are
    each stored as their own compact JSON.

    Raises:
        MalformedInputError: if the body is not JSON.
        InvalidInputError: naming every invalid field.
    """
    parsed = jsonbody.loads(body)
    text = body.decode("utf-8-sig") if isinstance(body, bytes) else body

    if isinstance(parsed, dict):
        return [(validate_event(parsed), text)]

    if isinstance(parsed, list):
        if not parsed:
            raise InvalidInputError(
                "The array holds no events.", {"": ["Send at least one event."]}
            )
        events = validate_events(parsed)
        return [(event, _compact(event)) for event in events]

    raise InvalidInputError(
        "The body must be an event object or an array of them.",
        {"": [f"Expected an object or array, got {json_type(parsed)}."]},
    )


def ingest(
    database: Database,
    organisation_id: str,
    body: bytes | str,
    notify: Callable[[], None] | None = None,
) -> IngestResult:
    """Validate, store and fan out the events of one request.

    Args:
        database: The store.
        organisation_id: The organisation of the caller's key; every event
            must belong to it.
        body: The request body: one event object or a JSON array.
        notify: Called after the commit, to wake workers in this process.
    """
    items = parse_body(body)
    _check_organisation(items, organisation_id)

    for attempt in range(RACE_RETRIES):
        try:
            with database.session() as session:
                result = _store(database, session, organisation_id, items)
            break
        except IntegrityError:
            if attempt == RACE_RETRIES - 1:
                raise
            logger.debug("an event id was stored concurrently; trying again")

    if notify is not None and result.deliveries:
        notify()

    logger.info(
        "ingested %d events (%d duplicates) for %s, %d deliveries queued",
        len(result.accepted),
        len(result.duplicates),
        organisation_id,
        result.deliveries,
    )
    return result


def _store(
    database: Database,
    session: Session,
    organisation_id: str,
    items: list[tuple[dict[str, Any], str]],
) -> IngestResult:
    result = IngestResult()
    ids = [event["id"] for event, _ in items]
    stored = set(
        session.scalars(
            select(Event.event_id).where(
                Event.organisation_id == organisation_id, Event.event_id.in_(ids)
            )
        )
    )

    fresh: list[tuple[dict[str, Any], str]] = []
    for event, text in items:
        if event["id"] in stored:
            result.duplicates.append(event["id"])
            continue
        stored.add(event["id"])
        fresh.append((event, text))
        result.accepted.append(event["id"])

    if not fresh:
        return result

    # An organisation made by `keys create` has no name until its events
    # bring one; Zapier shows it as the connection's label.
    name = fresh[0][0]["organisation"].get("name")
    if isinstance(name, str) and name:
        session.execute(
            update(Organisation)
            .where(Organisation.id == organisation_id, Organisation.name == "")
            .values(name=name[:300])
        )

    received = utcnow()
    pks = session.scalars(
        insert(Event).returning(Event.pk, sort_by_parameter_order=True),
        [
            {
                "organisation_id": organisation_id,
                "event_id": event["id"],
                "event_key": event["event"],
                "occurred_at": parse_time(event["occurredAt"]),
                "received_at": received,
                "body": text,
            }
            for event, text in fresh
        ],
    ).all()

    subscriptions = _subscriptions(session, organisation_id)
    if subscriptions:
        now = database.now(session)
        rows = _fan_out(organisation_id, fresh, pks, subscriptions, now)
        if rows:
            session.execute(insert(Delivery), rows)
            notify_workers(database, session)
        result.deliveries = len(rows)

    return result


def _fan_out(
    organisation_id: str,
    fresh: list[tuple[dict[str, Any], str]],
    pks: Sequence[int],
    subscriptions: list[mapper.Subscription],
    now: Any,
) -> list[dict[str, Any]]:
    rows = []
    for (event, _), pk in zip(fresh, pks, strict=True):
        payloads: dict[bool, str] = {}
        for subscription in mapper.select(subscriptions, event):
            anonymous = subscription.anonymous
            if anonymous not in payloads:
                payloads[anonymous] = mapper.render(event, anonymous)
            rows.append(
                {
                    "id": new_id("dl"),
                    "organisation_id": organisation_id,
                    "hook_id": subscription.hook_id,
                    "event_pk": pk,
                    "event_id": event["id"],
                    "event_key": event["event"],
                    "payload": payloads[anonymous],
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )

    return rows


def _subscriptions(session: Session, organisation_id: str) -> list[mapper.Subscription]:
    hooks = session.execute(
        select(Hook.id, Hook.events, Hook.filter, Hook.anonymous).where(
            Hook.organisation_id == organisation_id, Hook.enabled.is_(True)
        )
    )
    return [
        mapper.Subscription(row.id, row.events, row.filter or {}, row.anonymous)
        for row in hooks
    ]


def _check_organisation(
    items: list[tuple[dict[str, Any], str]], organisation_id: str
) -> None:
    fields: dict[str, list[str]] = {}
    for index, (event, _) in enumerate(items):
        owner = event["organisation"]["id"]
        if owner != organisation_id:
            path = "organisation.id" if len(items) == 1 else f"{index}.organisation.id"
            fields[path] = [
                f"The event belongs to {owner!r} but the API key is "
                f"{organisation_id!r}'s; use that organisation's key."
            ]

    if fields:
        raise InvalidInputError(
            "Events may only be sent with their own organisation's key.", fields
        )


def _compact(event: Mapping[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))
