"""The HTTP API: a Flask app served by a real WSGI server (waitress)."""

from __future__ import annotations

from connector.web.app import create_app

__all__ = ["create_app"]
