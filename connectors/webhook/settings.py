"""The settings of a webhook hook: where to POST, extra headers, timeout."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

# Names the hub sets itself, or that change how the body is framed or the
# connection handled; a hook setting them would break signing, or make a
# request that proxies and receivers read two ways (request smuggling).
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "content-encoding",
        "user-agent",
        "transfer-encoding",
        "te",
        "trailer",
        "connection",
        "keep-alive",
        "upgrade",
        "expect",
    }
)
RESERVED_PREFIXES = ("webhook-", "proxy-")
# Printable Latin-1, which is what an HTTP header value can carry.
HEADER_VALUE = re.compile(r"^[\x20-\x7e\xa0-\xff]*$")
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
MAX_TIMEOUT = 60.0


class WebhookSettingsSchema(Schema):
    """``url`` (http or https), ``headers`` and ``timeout`` in seconds."""

    class Meta:
        unknown = RAISE

    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        error_messages={"invalid": "Give a full http:// or https:// URL."},
    )
    headers = fields.Dict(
        keys=fields.String(), values=fields.String(), load_default=dict
    )
    timeout = fields.Float(
        load_default=10.0,
        validate=validate.Range(
            min=0.1, max=MAX_TIMEOUT, error="Use 0.1 to 60 seconds."
        ),
    )

    @validates("url")
    def _check_url(self, value: str, **_: Any) -> None:
        # urlsplit reads the port only when asked, and refuses it then.
        try:
            port = urlsplit(value).port
        except ValueError:
            port = 0
        if port == 0:
            raise ValidationError("The port must be a number from 1 to 65535.")

    @validates("headers")
    def _check_headers(self, value: dict[str, Any], **_: Any) -> None:
        problems = []
        for name, header_value in value.items():
            lowered = name.lower()
            if lowered in RESERVED_HEADERS or lowered.startswith(RESERVED_PREFIXES):
                problems.append(
                    f"{name!r} is set by eventhub itself and cannot be overridden."
                )
            elif not HEADER_NAME.match(name):
                problems.append(f"{name!r} is not a valid HTTP header name.")
            elif "\r" in header_value or "\n" in header_value:
                problems.append(f"The value of {name!r} may not contain line breaks.")
            elif not HEADER_VALUE.match(header_value):
                problems.append(
                    f"The value of {name!r} holds a character HTTP headers cannot "
                    "carry; use printable Latin-1 text."
                )
            elif header_value != header_value.strip():
                problems.append(
                    f"The value of {name!r} starts or ends with spaces, which HTTP "
                    "would drop; remove them."
                )

        if problems:
            raise ValidationError(problems)
