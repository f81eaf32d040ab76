"""The tables.

Times are naive UTC datetimes, read from the database's clock where they
decide who may work a delivery (see :func:`connector.store.clock.db_now`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of every eventhub table."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Organisation(Base):
    """An account: its keys see its own events, hooks and deliveries only."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiKey(Base):
    """An API key, kept only as a SHA-256 hash of the key."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Event(Base):
    """An accepted event, with its body as it was sent."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("organisation_id", "event_id", name="uq_events_org_event"),
        Index("ix_events_org_received", "organisation_id", "received_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(String(200))
    event_key: Mapped[str] = mapped_column(String(100), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    body: Mapped[str] = mapped_column(Text)


class Hook(Base):
    """A subscription: which events go where, through which connector."""

    __tablename__ = "hooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    connector: Mapped[str] = mapped_column(String(50))
    events: Mapped[list[Any]] = mapped_column(JSON)
    filter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(String(500), default="")
    failing_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    secrets: Mapped[list[HookSecret]] = relationship(
        back_populates="hook",
        cascade="all, delete-orphan",
        order_by="HookSecret.created_at.desc()",
        passive_deletes=True,
    )


class HookSecret(Base):
    """A signing secret; an old one stays valid until ``expires_at``."""

    __tablename__ = "hook_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hook_id: Mapped[str] = mapped_column(
        ForeignKey("hooks.id", ondelete="CASCADE"), index=True
    )
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    hook: Mapped[Hook] = relationship(back_populates="secrets")


class Delivery(Base):
    """One event on its way to one hook, with its retry state."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # The workers' claim query walks this index: due pending deliveries.
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_org_created", "organisation_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    hook_id: Mapped[str] = mapped_column(
        ForeignKey("hooks.id", ondelete="CASCADE"), index=True
    )
    event_pk: Mapped[int] = mapped_column(
        ForeignKey("events.pk", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(200))
    event_key: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    replay_of: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    attempt_rows: Mapped[list[Attempt]] = relationship(
        back_populates="delivery",
        cascade="all, delete-orphan",
        order_by="Attempt.number",
        passive_deletes=True,
    )


class Attempt(Base):
    """One try at a delivery: when, how long, and what the target said."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    duration_ms: Mapped[float] = mapped_column(default=0.0)
    outcome: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)

    delivery: Mapped[Delivery] = relationship(back_populates="attempt_rows")
