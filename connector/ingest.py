"""Taking events in: parse, validate, store, fan out, all before the answer.

The events and one delivery per matching hook are written in one transaction,
so a ``202`` means every delivery is on disk; a batch with any invalid event
stores none of it. On PostgreSQL the same transaction notifies the listening
workers, wherever they run (see :mod:`connector.delivery.listen_pg`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    Connection,
    Insert,
    Select,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from connector import jsonbody, mapper
from connector.catalogue import validate_event, validate_events
from connector.catalogue.primitives import json_type
from connector.clock import new_id, parse_time, utcnow
from connector.delivery.listen_pg import notify_workers
from connector.errors import InvalidInputError
from connector.store import Database, Delivery, Event, Hook, Organisation
from connector.store.database import clock

logger = logging.getLogger(__name__)

# Statements built once from the tables: an ingest of one event runs each of
# them, and going through the ORM per request cost several times the SQL.
EVENTS: Table = Event.__table__  # type: ignore[assignment]
HOOKS: Table = Hook.__table__  # type: ignore[assignment]
ORGANISATIONS: Table = Organisation.__table__  # type: ignore[assignment]
DELIVERIES: Table = Delivery.__table__  # type: ignore[assignment]

NAME_ORGANISATION = (
    update(ORGANISATIONS)
    .where(
        ORGANISATIONS.c.id == bindparam("organisation_id"), ORGANISATIONS.c.name == ""
    )
    .values(name=bindparam("name"))
)
INSERT_DELIVERIES = insert(DELIVERIES)


@cache
def _insert_events(dialect: str) -> Insert:
    """Store events whose id is new to their organisation; return their keys.

    An id already stored is passed over by the database itself, so that two
    requests racing with the same new event cannot both store it.
    """
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert_(EVENTS)
        .on_conflict_do_nothing(index_elements=["organisation_id", "event_id"])
        .returning(EVENTS.c.event_id, EVENTS.c.pk)
    )


@cache
def _subscriptions_and_clock(dialect: str) -> Select:
    """The organisation's enabled hooks, each row with the database's clock."""
    return select(
        HOOKS.c.id, HOOKS.c.events, HOOKS.c.filter, HOOKS.c.anonymous, clock(dialect)
    ).where(
        HOOKS.c.organisation_id == bindparam("organisation_id"),
        HOOKS.c.enabled.is_(True),
    )


# Per database, the organisations this process has seen named, so that
# naming one is not tried again on every request. A name is only ever set
# once, so this never goes stale.
_named: WeakKeyDictionary[Database, set[str]] = WeakKeyDictionary()


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

    with database.connection() as connection:
        result = _store(database, connection, organisation_id, items)

    if result.accepted and _name_of(items):
        _named.setdefault(database, set()).add(organisation_id)
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
    connection: Connection,
    organisation_id: str,
    items: list[tuple[dict[str, Any], str]],
) -> IngestResult:
    # An id sent twice in one request is stored once.
    unique: dict[str, tuple[dict[str, Any], str]] = {}
    for event, text in items:
        unique.setdefault(event["id"], (event, text))

    # An organisation made by `keys create` has no name until its events
    # bring one; Zapier shows it as the connection's label.
    name = _name_of(items)
    if name and organisation_id not in _named.get(database, ()):
        connection.execute(
            NAME_ORGANISATION, {"organisation_id": organisation_id, "name": name[:300]}
        )

    received = utcnow()
    stored = connection.execute(
        _insert_events(database.engine.dialect.name),
        [
            {
                "organisation_id": organisation_id,
                "event_id": event["id"],
                "event_key": event["event"],
                "occurred_at": parse_time(event["occurredAt"]),
                "received_at": received,
                "body": text,
            }
            for event, text in unique.values()
        ],
    ).all()
    keys = {row.event_id: row.pk for row in stored}

    result = IngestResult()
    fresh: list[tuple[dict[str, Any], str, int]] = []
    for event, text in items:
        pk = keys.pop(event["id"], None)
        if pk is None:
            result.duplicates.append(event["id"])
        else:
            result.accepted.append(event["id"])
            fresh.append((event, text, pk))
    if not fresh:
        return result

    hooks = connection.execute(
        _subscriptions_and_clock(database.engine.dialect.name),
        {"organisation_id": organisation_id},
    ).all()
    if hooks:
        now = database.as_time(hooks[0][-1])
        subscriptions = [
            mapper.Subscription(row.id, row.events, row.filter or {}, row.anonymous)
            for row in hooks
        ]
        rows = _fan_out(organisation_id, fresh, subscriptions, now)
        if rows:
            connection.execute(INSERT_DELIVERIES, rows)
            notify_workers(database, connection)
        result.deliveries = len(rows)

    return result


def _name_of(items: list[tuple[dict[str, Any], str]]) -> str:
    name = items[0][0]["organisation"].get("name")
    return name if isinstance(name, str) else ""


def _fan_out(
    organisation_id: str,
    fresh: list[tuple[dict[str, Any], str, int]],
    subscriptions: list[mapper.Subscription],
    now: Any,
) -> list[dict[str, Any]]:
    rows = []
    for event, _, pk in fresh:
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


def _check_organisation(
    items: list[tuple[dict[str, Any], str]], organisation_id: str
) -> None:
    fields: dict[str, list[str]] = {}
    for index, (event, _) in enumerate(items):
        owner = event["organisation"]["id"]
        if owner != organisation_id:
            path = "organisation.id" if len(items) == 1 else f"{index}.organisation.id"
            fields[path] = [
                f"The event belongs to {owner!r} but the API key belongs to "
                f"{organisation_id!r}; send it with a key of {owner!r}."
            ]

    if fields:
        raise InvalidInputError(
            "Events may only be sent with their own organisation's key.", fields
        )


def _compact(event: Mapping[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))
