"""The Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask

from connector.hub import Hub
from connector.web import deliveries, events, hooks, meta
from connector.web.bodies import refuse_nul_characters
from connector.web.errors import register_error_handlers

logger = logging.getLogger(__name__)


def create_app(hub: Hub) -> Flask:
    """Build the app around an open :class:`Hub`.

    Blueprints from connectors that add routes of their own (Zapier's
    subscribe and unsubscribe calls) are registered here too.
    """
    app = Flask("eventhub")
    app.config["MAX_CONTENT_LENGTH"] = hub.settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["eventhub"] = hub

    # Routes answer exactly at their path; a redirect for a trailing slash
    # would break Zapier's runtime, which refuses redirects.
    app.url_map.strict_slashes = False
    app.before_request(refuse_nul_characters)

    for blueprint in (events.blueprint, hooks.blueprint, deliveries.blueprint):
        app.register_blueprint(blueprint)
    app.register_blueprint(meta.blueprint)
    _register_connector_blueprints(app)

    register_error_handlers(app)
    return app


def _register_connector_blueprints(app: Flask) -> None:
    try:
        from connectors.zapier.routes import blueprint as zapier
    except ImportError:
        logger.debug("the zapier connector is not installed; no /zapier routes")
        return

    app.register_blueprint(zapier)
