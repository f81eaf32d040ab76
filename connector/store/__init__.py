"""The SQL store: tables, engine set-up and migrations.

The same code runs on the embedded SQLite default and on PostgreSQL; nothing
here depends on one database's dialect beyond the connection set-up in
:mod:`connector.store.database`.
"""

from __future__ import annotations

from connector.store.database import Database, open_database
from connector.store.models import (
    ApiKey,
    Attempt,
    Base,
    Delivery,
    Event,
    Hook,
    HookSecret,
    Organisation,
)

__all__ = [
    "ApiKey",
    "Attempt",
    "Base",
    "Database",
    "Delivery",
    "Event",
    "Hook",
    "HookSecret",
    "Organisation",
    "open_database",
]
