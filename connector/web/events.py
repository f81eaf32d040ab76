"""``/v1/events`` and ``/v1/event-types``."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from connector.catalogue import event_types, get_event_type
from connector.clock import parse_time
from connector.errors import InvalidInputError
from connector.ingest import ingest
from connector.store import Event
from connector.web.auth import organisation_id, require_organisation
from connector.web.bodies import int_arg, raw_body

blueprint = Blueprint("events", __name__, url_prefix="/v1")
blueprint.before_request(require_organisation)


@blueprint.post("/events")
def post_events() -> Any:
    """Accept one event or an array; every delivery is stored before the 202."""
    hub = current_app.extensions["eventhub"]
    result = ingest(
        hub.database,
        organisation_id(),
        raw_body(cache=False),
        notify=hub.wakeup.notify,
    )
    return jsonify(accepted=result.accepted, duplicates=result.duplicates), 202


@blueprint.get("/events")
def list_events() -> Any:
    """Recent events of the caller's organisation, newest first."""
    hub = current_app.extensions["eventhub"]
    return jsonify(
        recent_events(
            hub.database,
            organisation_id(),
            event=request.args.get("event") or None,
            since=request.args.get("since") or None,
            limit=int_arg("limit", 50, 1, 500),
        )
    )


@blueprint.get("/event-types")
def list_event_types() -> Any:
    """The catalogue, each type with its sample."""
    return jsonify([_describe(event_type) for event_type in event_types()])


@blueprint.get("/event-types/<key>")
def show_event_type(key: str) -> Any:
    """One event type with its sample."""
    return jsonify(_describe(get_event_type(key)))


def recent_events(
    database: Any,
    organisation: str,
    event: str | None = None,
    since: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """The bodies of an organisation's latest events, newest first."""
    query = (
        select(Event.body)
        .where(Event.organisation_id == organisation)
        .order_by(Event.received_at.desc(), Event.pk.desc())
        .limit(limit)
    )
    if event:
        query = query.where(Event.event_key == event)
    if since:
        try:
            query = query.where(Event.received_at >= parse_time(since))
        except ValueError as exc:
            raise InvalidInputError(
                "The since parameter is not a time.",
                {
                    "since": [
                        f"Use ISO 8601 with a zone, e.g. 2024-06-01T00:00:00Z ({exc})."
                    ]
                },
            ) from exc

    with database.session() as session:
        return [json.loads(body) for body in session.scalars(query)]


def _describe(event_type: Any) -> dict[str, Any]:
    return {
        "key": event_type.key,
        "name": event_type.name,
        "category": event_type.category,
        "description": event_type.description,
        "sample": event_type.sample,
    }
