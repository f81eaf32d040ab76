"""API keys on requests: ``Authorization: Bearer <key>``."""

from __future__ import annotations

from flask import current_app, g, request

from connector.keys import authenticate


def require_organisation() -> None:
    """Set ``g.organisation_id`` from the request's key, or fail with 401.

    Installed as ``before_request`` on the ``/v1`` and ``/zapier`` blueprints.
    Zapier's API-key authentication may send the key as ``X-API-Key``, so that
    header is accepted too.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    key = token.strip() if scheme.lower() == "bearer" else ""
    key = key or request.headers.get("X-API-Key", "").strip()

    hub = current_app.extensions["eventhub"]
    g.organisation_id = authenticate(hub.database, key or None)


def organisation_id() -> str:
    """The organisation of the current request's key."""
    return str(g.organisation_id)
