"""``/v1/hooks``: subscriptions of the caller's organisation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from connector import hooks
from connector.delivery.sample import send_sample
from connector.errors import InvalidInputError
from connector.web.auth import organisation_id, require_organisation
from connector.web.bodies import json_body

blueprint = Blueprint("hooks", __name__, url_prefix="/v1/hooks")
blueprint.before_request(require_organisation)


@blueprint.post("")
def create() -> Any:
    """Create a hook; the answer holds its signing secret, shown only here."""
    hub = current_app.extensions["eventhub"]
    hook = hooks.create_hook(
        hub.database,
        hub.registry,
        organisation_id(),
        json_body(),
        options=hub.connector_options,
    )
    return jsonify(hook), 201


@blueprint.get("")
def index() -> Any:
    """Every hook of the organisation."""
    hub = current_app.extensions["eventhub"]
    connector = request.args.get("connector") or None
    return jsonify(hooks.list_hooks(hub.database, organisation_id(), connector))


@blueprint.get("/<hook_id>")
def show(hook_id: str) -> Any:
    """One hook."""
    hub = current_app.extensions["eventhub"]
    return jsonify(hooks.get_hook(hub.database, organisation_id(), hook_id))


@blueprint.patch("/<hook_id>")
def change(hook_id: str) -> Any:
    """Change some of a hook's fields."""
    hub = current_app.extensions["eventhub"]
    return jsonify(
        hooks.update_hook(
            hub.database,
            hub.registry,
            organisation_id(),
            hook_id,
            json_body(),
            options=hub.connector_options,
        )
    )


@blueprint.delete("/<hook_id>")
def remove(hook_id: str) -> Any:
    """Delete a hook and its deliveries."""
    hub = current_app.extensions["eventhub"]
    hooks.delete_hook(hub.database, organisation_id(), hook_id)
    return jsonify(id=hook_id, deleted=True)


@blueprint.post("/<hook_id>/test")
def test(hook_id: str) -> Any:
    """Deliver a sample now: ``{"event": "<type>"}``, default the hook's first."""
    hub = current_app.extensions["eventhub"]
    body = json_body(required=False)
    if not isinstance(body, dict):
        raise InvalidInputError(
            'The body must be a JSON object such as {"event": "page.viewed"}.',
            {"": ["Expected an object."]},
        )
    event_key = body.get("event")
    if event_key is not None and not isinstance(event_key, str):
        raise InvalidInputError(
            "The event must be an event type key.",
            {"event": ["Give a string such as 'task.assessed.marked'."]},
        )
    return jsonify(
        send_sample(
            hub.database,
            hub.registry,
            hub.connector_options,
            organisation_id(),
            hook_id,
            event_key,
        )
    )


@blueprint.post("/<hook_id>/rotate-secret")
def rotate(hook_id: str) -> Any:
    """A new secret; the old one also signs for ``graceSeconds`` (default a day)."""
    hub = current_app.extensions["eventhub"]
    body = json_body(required=False)
    return jsonify(hooks.rotate_secret(hub.database, organisation_id(), hook_id, body))
