"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A signature is ``v1,`` followed by the base64 HMAC-SHA256 of
``"{webhook-id}.{webhook-timestamp}.{body}"``, keyed with the base64-decoded
part of a ``whsec_`` secret. During a rotation one signature per valid secret
is sent, space-separated, and a receiver accepts the message if any matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """Return a fresh ``whsec_`` secret holding 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """Return one ``v1,<base64>`` signature of a message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, content, hashlib.sha256).digest()

    return "v1," + base64.b64encode(digest).decode()


def signature_header(
    secrets_in_force: Sequence[str], message_id: str, timestamp: int, body: str
) -> str:
    """The ``webhook-signature`` value: one signature per secret in force."""
    return " ".join(
        sign(secret, message_id, timestamp, body) for secret in secrets_in_force
    )


def headers_for(
    secrets_in_force: Sequence[str], message_id: str, timestamp: int, body: str
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    headers = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if secrets_in_force:
        headers["webhook-signature"] = signature_header(
            secrets_in_force, message_id, timestamp, body
        )

    return headers
