"""The pieces one eventhub process shares: settings, store, connectors, wake-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.base import ConnectorOptions
from connector.config import Settings
from connector.delivery.worker import Wakeup
from connector.registry import ConnectorRegistry, registry
from connector.store import Database, open_database


@dataclass
class Hub:
    """Everything the web app, the workers and the CLI work with.

    Attributes:
        settings: How this process runs.
        database: The store, its schema brought up to date.
        registry: Where connectors are found.
        wakeup: Lets ingest wake this process's workers.
    """

    settings: Settings
    database: Database
    registry: ConnectorRegistry = field(default_factory=lambda: registry)
    wakeup: Wakeup = field(default_factory=Wakeup)

    @classmethod
    def open(
        cls, settings: Settings, connectors: ConnectorRegistry | None = None
    ) -> Hub:
        """Open the database named in ``settings`` and upgrade its schema."""
        return cls(
            settings=settings,
            database=open_database(settings.database_url),
            registry=connectors or registry,
        )

    @property
    def connector_options(self) -> ConnectorOptions:
        """The operator's choices, as connectors take them."""
        return ConnectorOptions(self.settings.allow_private_targets)
