"""Organisations and their API keys.

A key is shown once, when it is made; the store keeps only its SHA-256 hash.
Keys are 256 random bits, so a plain hash is as good as a slow one here and
lets every request find its key with one indexed look-up.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from connector.clock import new_id, utcnow
from connector.errors import AuthError, InvalidInputError, NotFoundError
from connector.store import ApiKey, Database, Organisation

logger = logging.getLogger(__name__)

KEY_PREFIX = "ehk_"

# Every API request runs this; built once from the table, it skips the ORM.
_KEYS: Table = ApiKey.__table__  # type: ignore[assignment]
KEY_OWNER = select(_KEYS.c.organisation_id, _KEYS.c.revoked_at).where(
    _KEYS.c.key_hash == bindparam("key_hash")
)


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key after it was made: never the key itself."""

    id: str
    organisation_id: str
    prefix: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


def hash_key(key: str) -> str:
    """The hex SHA-256 of an API key, as stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def ensure_organisation(session: Session, organisation_id: str, name: str = "") -> None:
    """Create the organisation unless it exists; give it ``name`` if it has none."""
    if not organisation_id or len(organisation_id) > 200:
        raise InvalidInputError(
            "An organisation id must be 1 to 200 characters.",
            {"organisation": ["Give the id iQualify uses, e.g. org_kauri_training."]},
        )

    existing = session.get(Organisation, organisation_id)
    if existing is None:
        session.add(Organisation(id=organisation_id, name=name, created_at=utcnow()))
        session.flush()
        logger.info("created organisation %s", organisation_id)
    elif name and not existing.name:
        existing.name = name


def create_key(
    database: Database,
    organisation_id: str,
    name: str = "",
    organisation_name: str = "",
) -> str:
    """Make a key for an organisation (created if needed) and return it.

    Args:
        database: The store.
        organisation_id: The organisation the key belongs to.
        name: A note on what the key is for.
        organisation_name: The organisation's name, if it has none yet.
    """
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with database.session() as session:
        ensure_organisation(session, organisation_id, organisation_name)
        session.add(
            ApiKey(
                id=new_id("key"),
                organisation_id=organisation_id,
                key_hash=hash_key(key),
                prefix=key[: len(KEY_PREFIX) + 4],
                name=name,
                created_at=utcnow(),
            )
        )

    logger.info("created an API key for organisation %s", organisation_id)
    return key


def authenticate(database: Database, key: str | None) -> str:
    """Return the organisation a key belongs to.

    Raises:
        AuthError: if the key is missing, unknown or revoked.
    """
    if not key:
        raise AuthError(
            "No API key was given; send 'Authorization: Bearer <key>'. "
            "Make one with: eventhub keys create --organisation ID"
        )

    with database.reading() as connection:
        row = connection.execute(KEY_OWNER, {"key_hash": hash_key(key)}).first()

    if row is None or row.revoked_at is not None:
        raise AuthError("The API key is not valid; it is unknown or was revoked.")

    return row.organisation_id


def list_keys(database: Database, organisation_id: str | None = None) -> list[KeyInfo]:
    """Every key, or one organisation's, oldest first."""
    query = select(ApiKey).order_by(ApiKey.created_at)
    if organisation_id is not None:
        query = query.where(ApiKey.organisation_id == organisation_id)

    with database.session() as session:
        return [
            KeyInfo(
                row.id,
                row.organisation_id,
                row.prefix,
                row.name,
                row.created_at,
                row.revoked_at,
            )
            for row in session.scalars(query)
        ]


def revoke_key(database: Database, key_id: str) -> None:
    """Revoke a key by its id (``key_...``), as ``keys list`` shows it."""
    with database.session() as session:
        row = session.get(ApiKey, key_id)
        if row is None:
            raise NotFoundError(f"No API key has the id {key_id!r}; see 'keys list'.")
        row.revoked_at = row.revoked_at or utcnow()

    logger.info("revoked API key %s", key_id)
