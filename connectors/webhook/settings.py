"""The settings of a webhook hook: where to POST, extra headers, timeout."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

# Names the hub sets itself; a hook overriding them would break signing,
# framing or the receiver's idea of who is calling.
RESERVED_HEADERS = frozenset({"host", "content-type", "content-length", "user-agent"})
RESERVED_PREFIX = "webhook-"
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

    @validates("headers")
    def _check_headers(self, value: dict[str, Any], **_: Any) -> None:
        problems = []
        for name, header_value in value.items():
            lowered = name.lower()
            if lowered in RESERVED_HEADERS or lowered.startswith(RESERVED_PREFIX):
                problems.append(
                    f"{name!r} is set by eventhub itself and cannot be overridden."
                )
            elif not HEADER_NAME.match(name):
                problems.append(f"{name!r} is not a valid HTTP header name.")
            elif "\r" in header_value or "\n" in header_value:
                problems.append(f"The value of {name!r} may not contain line breaks.")

        if problems:
            raise ValidationError(problems)
