"""The generic webhook connector: signed JSON POSTs to any HTTP(S) URL."""

from __future__ import annotations

from connectors.webhook.connector import WebhookConnector
from connectors.webhook.settings import WebhookSettingsSchema

__all__ = ["WebhookConnector", "WebhookSettingsSchema"]
