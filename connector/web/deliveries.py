"""``/v1/deliveries``: what was sent where, every attempt, and replays."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from connector import deliveries
from connector.web.auth import organisation_id, require_organisation
from connector.web.bodies import int_arg

blueprint = Blueprint("deliveries", __name__, url_prefix="/v1/deliveries")
blueprint.before_request(require_organisation)


@blueprint.get("")
def index() -> Any:
    """Deliveries, newest first, filtered by hook, status and event."""
    hub = current_app.extensions["eventhub"]
    return jsonify(
        deliveries.list_deliveries(
            hub.database,
            organisation_id(),
            hook=request.args.get("hook") or None,
            status=request.args.get("status") or None,
            event=request.args.get("event") or None,
            limit=int_arg("limit", 50, 1, deliveries.MAX_LIMIT),
        )
    )


@blueprint.get("/<delivery_id>")
def show(delivery_id: str) -> Any:
    """One delivery with every attempt."""
    hub = current_app.extensions["eventhub"]
    return jsonify(
        deliveries.get_delivery(hub.database, organisation_id(), delivery_id)
    )


@blueprint.post("/<delivery_id>/replay")
def replay(delivery_id: str) -> Any:
    """Queue the delivery's payload again."""
    hub = current_app.extensions["eventhub"]
    replayed = deliveries.replay_delivery(hub.database, organisation_id(), delivery_id)
    hub.wakeup.notify()
    return jsonify(replayed), 202
