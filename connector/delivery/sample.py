"""Sending a catalogue sample to one hook at once, for ``hooks test``."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from connector import mapper
from connector.base import ConnectorOptions, DeliveryRequest
from connector.catalogue import EVENT_KEYS, get_event_type
from connector.errors import InvalidInputError, NotFoundError
from connector.hooks import secrets_in_force
from connector.registry import ConnectorRegistry
from connector.store import Database, Hook, Organisation

logger = logging.getLogger(__name__)


def send_sample(
    database: Database,
    registry: ConnectorRegistry,
    options: ConnectorOptions,
    organisation_id: str,
    hook_id: str,
    event_key: str | None = None,
) -> dict[str, Any]:
    """Deliver the sample of ``event_key`` to a hook now and report the result.

    The sample gets a fresh id, so receivers that deduplicate still show it,
    and the hook's own organisation. Nothing is queued or retried.
    """
    with database.session() as session:
        hook = session.get(Hook, hook_id)
        if hook is None or hook.organisation_id != organisation_id:
            raise NotFoundError(f"No hook has the id {hook_id!r} in this organisation.")
        key = event_key or _first_key(hook.events)
        organisation = session.get(Organisation, organisation_id)
        now = database.now(session)
        secrets = tuple(secrets_in_force(hook, now))
        settings = dict(hook.settings or {})
        connector_name = hook.connector
        anonymous = hook.anonymous

    try:
        event = get_event_type(key).sample
    except NotFoundError as exc:
        raise InvalidInputError(str(exc), {"event": [str(exc)]}) from exc

    event["id"] = f"test-{uuid.uuid4()}"
    event["organisation"] = {
        "id": organisation_id,
        "name": organisation.name if organisation else "",
    }
    payload = mapper.render(event, anonymous)
    request = DeliveryRequest(
        delivery_id="test",
        hook_id=hook_id,
        event_id=event["id"],
        event_key=key,
        payload=payload,
        settings=settings,
        secrets=secrets,
    )

    connector = registry.create(connector_name, options)
    try:
        result = connector.deliver(request)
    finally:
        connector.close()

    return {
        "event": event["id"],
        "eventType": key,
        "outcome": result.outcome.value,
        "statusCode": result.status_code,
        "error": result.error,
        "durationMs": round(result.duration_ms, 1),
    }


def _first_key(patterns: list[str]) -> str:
    for key in EVENT_KEYS:
        if any(mapper.pattern_matches(pattern, key) for pattern in patterns):
            return key
    return EVENT_KEYS[0]
