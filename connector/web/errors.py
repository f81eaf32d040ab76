"""Every error answer has one shape: ``{"error": {code, message, fields}}``."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from connector.errors import (
    AuthError,
    InvalidInputError,
    MalformedInputError,
    NotFoundError,
    RegistryError,
)

logger = logging.getLogger(__name__)


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> tuple[Response, int]:
    """A JSON error answer."""
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    return jsonify({"error": body}), status


def register_error_handlers(app: Flask) -> None:
    """Answer every failure in the documented JSON shape, never a traceback."""

    @app.errorhandler(MalformedInputError)
    def _malformed(exc: MalformedInputError) -> tuple[Response, int]:
        return error_response(400, "malformed_json", exc.message, exc.fields)

    @app.errorhandler(InvalidInputError)
    def _invalid(exc: InvalidInputError) -> tuple[Response, int]:
        return error_response(422, "invalid", exc.message, exc.fields)

    @app.errorhandler(RegistryError)
    def _registry(exc: RegistryError) -> tuple[Response, int]:
        return error_response(422, "invalid", str(exc), {"connector": [str(exc)]})

    @app.errorhandler(AuthError)
    def _auth(exc: AuthError) -> tuple[Response, int]:
        response, status = error_response(401, "unauthorized", str(exc))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response, status

    @app.errorhandler(NotFoundError)
    def _not_found(exc: NotFoundError) -> tuple[Response, int]:
        return error_response(404, "not_found", str(exc))

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> tuple[Response, int]:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        return error_response(
            413,
            "too_large",
            f"The body is larger than the limit of {limit} bytes; send fewer "
            "events per request.",
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        logger.error("unexpected error while answering a request", exc_info=exc)
        return error_response(
            500,
            "internal_error",
            "Something went wrong inside eventhub; the error is in its log. "
            "Nothing from this request was stored half way.",
        )
