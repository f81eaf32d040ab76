"""``/zapier``: the calls Zapier makes to manage its REST hook subscriptions.

When a Zap is turned on, Zapier posts the target URL it wants events sent to,
and keeps the ``id`` it gets back; when the Zap is turned off or deleted, it
deletes that id. While a Zap author tests a trigger, Zapier asks for a few
recent events of its type, and when a user connects an account it checks the
API key with ``/zapier/me``.

Zapier's runtime refuses redirects and treats an answer without a JSON body
as a failure, so every route answers JSON at exactly its path.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, jsonify

from connector import hooks
from connector.catalogue import get_event_type
from connector.catalogue.primitives import json_type
from connector.errors import InvalidInputError, NotFoundError
from connector.store import Organisation
from connector.web.auth import organisation_id, require_organisation
from connector.web.bodies import int_arg, json_body
from connector.web.events import recent_events
from connectors.zapier.connector import ZapierConnector

logger = logging.getLogger(__name__)

blueprint = Blueprint("zapier", __name__, url_prefix="/zapier")
blueprint.before_request(require_organisation)

# Zapier's runtimes have sent the target URL under each of these names.
TARGET_URL_NAMES = ("targetUrl", "target_url", "hookUrl")

DEFAULT_LIST_LIMIT = 10
MAX_LIST_LIMIT = 100


@blueprint.post("/hooks")
def subscribe() -> Any:
    """Subscribe a Zap: ``{"targetUrl", "event"}`` → ``201 {"id"}``.

    The hook's signing secret is not returned: Zapier does not check
    signatures, and a secret it does not need is one fewer to leak.
    """
    hub = current_app.extensions["eventhub"]
    settings = subscription_settings(json_body())
    hook = hooks.create_hook(
        hub.database,
        hub.registry,
        organisation_id(),
        {
            "connector": ZapierConnector.name,
            "events": [settings["event"]],
            "settings": settings,
            "description": "Created by Zapier when a Zap was turned on.",
        },
        options=hub.connector_options,
    )

    logger.info("zapier subscribed hook %s to %s", hook["id"], settings["event"])
    return jsonify(id=hook["id"]), 201


@blueprint.delete("/hooks/<hook_id>")
def unsubscribe(hook_id: str) -> Any:
    """Unsubscribe a Zap: ``200 {"id", "deleted": true}``, or 404 if unknown."""
    hub = current_app.extensions["eventhub"]
    organisation = organisation_id()
    hook = hooks.get_hook(hub.database, organisation, hook_id)
    if hook["connector"] != ZapierConnector.name:
        raise NotFoundError(
            f"The hook {hook_id!r} is not a Zapier subscription; delete it with "
            "DELETE /v1/hooks/<id> instead."
        )

    hooks.delete_hook(hub.database, organisation, hook_id)
    logger.info("zapier unsubscribed hook %s", hook_id)
    return jsonify(id=hook_id, deleted=True)


@blueprint.get("/events/<key>")
def list_events(key: str) -> Any:
    """Up to ``limit`` recent events of one type, newest first, or its sample.

    Zapier shows these to a Zap author testing the trigger; the sample stands
    in until the organisation has sent an event of the type.
    """
    hub = current_app.extensions["eventhub"]
    event_type = get_event_type(key)
    limit = int_arg("limit", DEFAULT_LIST_LIMIT, 1, MAX_LIST_LIMIT)

    found = recent_events(hub.database, organisation_id(), event=key, limit=limit)
    return jsonify(found or [event_type.sample])


@blueprint.get("/me")
def me() -> Any:
    """The organisation the API key belongs to; Zapier's connection test."""
    hub = current_app.extensions["eventhub"]
    organisation = organisation_id()
    with hub.database.session() as session:
        row = session.get(Organisation, organisation)
        name = row.name if row is not None else ""

    label = f"{name} ({organisation})" if name else organisation
    return jsonify(id=organisation, name=name, label=label)


def subscription_settings(body: Any) -> dict[str, Any]:
    """Turn a subscribe body into the settings of a ``zapier`` hook.

    Raises:
        InvalidInputError: naming the body's fields, not the settings', so that
            the message makes sense to whoever sent the body.
    """
    if not isinstance(body, dict):
        raise InvalidInputError(
            "The body must be a JSON object.",
            {"": [f"Expected an object, got {json_type(body)}."]},
        )

    given = [name for name in TARGET_URL_NAMES if body.get(name) is not None]
    url_name = given[0] if given else TARGET_URL_NAMES[0]
    settings = {"targetUrl": body.get(url_name), "event": body.get("event")}
    settings = {name: value for name, value in settings.items() if value is not None}

    try:
        return ZapierConnector.validate_settings(settings)
    except InvalidInputError as exc:
        renamed = {"settings.targetUrl": url_name, "settings.event": "event"}
        fields = {
            renamed.get(path, path): reasons for path, reasons in exc.fields.items()
        }
        raise InvalidInputError("The subscription is not valid.", fields) from exc
