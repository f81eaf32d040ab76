"""Zapier REST hooks: every event type as a trigger in a Zap.

Zapier subscribes and unsubscribes itself through the ``/zapier`` routes
(:mod:`connectors.zapier.routes`); each subscription is a hook of the
:class:`ZapierConnector`, which posts events to the target URL Zapier gave.
The integration definition Zapier runs is built by
:mod:`connectors.zapier.definition` and shipped as ``definition.json``.
"""

from __future__ import annotations

from connectors.zapier.connector import ZapierConnector, ZapierSettingsSchema

__all__ = ["ZapierConnector", "ZapierSettingsSchema"]
