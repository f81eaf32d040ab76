"""Delivering events to Zapier's REST hooks.

A Zapier subscription is a hook whose ``settings`` hold the target URL Zapier
gave when the Zap was turned on, and the one event type the Zap triggers on.
Each event is sent exactly as the webhook connector sends it: one signed
``POST`` of the stored bytes. Only the answer to a ``410`` differs: Zapier
sends it when the Zap was turned off or deleted without unsubscribing, and the
REST hook rules say the subscription must then be removed, so the hook and
everything still queued for it are deleted rather than disabled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, fields, validate

from connector.catalogue import EVENT_KEYS
from connector.errors import InvalidInputError
from connectors.webhook.connector import WebhookConnector


class ZapierSettingsSchema(Schema):
    """``targetUrl`` (Zapier's hook URL) and ``event`` (one event type key)."""

    class Meta:
        unknown = RAISE

    targetUrl = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        error_messages={
            "invalid": "Give the full http:// or https:// URL Zapier sent.",
            "required": "Give the hook URL Zapier sent, as targetUrl.",
        },
    )
    event = fields.String(
        required=True,
        validate=validate.OneOf(
            EVENT_KEYS,
            error="{input!r} is not an event type; use one of: {choices}.",
        ),
        error_messages={
            "required": (
                f"Name the event type to trigger on, one of: {', '.join(EVENT_KEYS)}."
            )
        },
    )


class ZapierConnector(WebhookConnector):
    """Sends each event to the target URL of a Zapier REST hook subscription."""

    name: ClassVar[str] = "zapier"
    settings_schema = ZapierSettingsSchema
    on_gone = "delete"
    url_setting: ClassVar[str] = "targetUrl"

    @classmethod
    def check_hook(cls, settings: Mapping[str, Any], events: Sequence[str]) -> None:
        """Require the hook to listen to exactly the event its Zap triggers on.

        Raises:
            InvalidInputError: if ``events`` is anything but ``[settings.event]``.
        """
        if list(events) != [settings["event"]]:
            raise InvalidInputError(
                "A Zapier subscription triggers on exactly one event type.",
                {
                    "events": [
                        f"Use [{settings['event']!r}], the event in the settings, "
                        f"not {list(events)!r}."
                    ]
                },
            )
