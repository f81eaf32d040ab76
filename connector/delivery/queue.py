"""The delivery queue in the database: claiming due work and recording results.

A worker claims a batch of due deliveries by stamping them with a lease (an
owner token and an expiry read from the database's clock). While the lease
holds, no other worker claims them; if the worker dies, the lease runs out and
the deliveries are claimed again, so nothing is lost, at the price of a rare
second delivery (receivers deduplicate on ``webhook-id``). On PostgreSQL the
claim locks rows with ``FOR UPDATE SKIP LOCKED`` so that workers on several
machines never wait on, or take, each other's rows.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import selectinload

from connector.base import DeliveryRequest, DeliveryResult, Outcome
from connector.delivery import schedule
from connector.hooks import remove_hook, secrets_in_force
from connector.store import Attempt, Database, Delivery, Hook

logger = logging.getLogger(__name__)

# What is kept of a target's answer in each attempt record.
RESPONSE_LIMIT = 64 * 1024

# The columns an attempt's result sets on its delivery.
STATE_COLUMNS = (
    "status",
    "attempts",
    "next_attempt_at",
    "lease_owner",
    "lease_expires_at",
    "updated_at",
    "delivered_at",
    "last_status_code",
    "last_error",
)


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds, with what it needs to deliver it."""

    request: DeliveryRequest
    connector: str


@dataclass(frozen=True)
class Finished:
    """One attempt's result, ready to record."""

    claimed: Claimed
    result: DeliveryResult
    started_at: datetime


def claim(
    database: Database, owner: str, limit: int, lease_seconds: float
) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries of enabled hooks to ``owner``."""
    with database.session() as session:
        now = database.now(session)
        due = (
            select(Delivery.id)
            .join(Hook, Hook.id == Delivery.hook_id)
            .where(
                Delivery.status == "pending",
                Delivery.next_attempt_at <= now,
                or_(
                    Delivery.lease_expires_at.is_(None),
                    Delivery.lease_expires_at <= now,
                ),
                Hook.enabled.is_(True),
            )
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        )
        if not database.is_sqlite:
            due = due.with_for_update(of=Delivery, skip_locked=True)

        ids = session.scalars(
            update(Delivery)
            .where(Delivery.id.in_(due.scalar_subquery()))
            .values(
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
            )
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        ).all()
        if not ids:
            return []

        rows = session.execute(
            select(Delivery, Hook)
            .join(Hook, Hook.id == Delivery.hook_id)
            .where(Delivery.id.in_(ids))
            .options(selectinload(Hook.secrets))
            .order_by(Delivery.next_attempt_at)
        ).all()

        return [
            Claimed(
                request=DeliveryRequest(
                    delivery_id=delivery.id,
                    hook_id=hook.id,
                    event_id=delivery.event_id,
                    event_key=delivery.event_key,
                    payload=delivery.payload,
                    settings=hook.settings or {},
                    secrets=tuple(secrets_in_force(hook, now)),
                    attempt=delivery.attempts + 1,
                ),
                connector=hook.connector,
            )
            for delivery, hook in rows
        ]


def record(
    database: Database,
    finished: Sequence[Finished],
    on_gone: dict[str, str],
    rng: random.Random | None = None,
) -> None:
    """Write every attempt and move each delivery on, in one transaction.

    Args:
        database: The store.
        finished: The attempts and their results.
        on_gone: For each connector name, ``disable`` or ``delete``: what a
            410 does to the hook.
        rng: Jitter source for the retry schedule.
    """
    if not finished:
        return

    with database.session() as session:
        now = database.now(session)
        attempts = [_attempt_row(item) for item in finished if item.result.attempted]
        if attempts:
            session.execute(insert(Attempt), attempts)

        states = [_next_state(item, now, rng) for item in finished]
        # One statement, compiled once and run for every row (executemany):
        # building an UPDATE per delivery cost more than the HTTP calls.
        session.execute(
            update(Delivery.__table__)
            .where(Delivery.__table__.c.id == bindparam("delivery_id"))
            .values({name: bindparam(name) for name in STATE_COLUMNS}),
            states,
        )

        succeeded: set[str] = set()
        struggling: set[str] = set()
        gone: dict[str, str] = {}
        for item in finished:
            hook_id = item.claimed.request.hook_id
            if not item.result.attempted:
                continue
            if item.result.outcome is Outcome.DELIVERED:
                succeeded.add(hook_id)
            elif item.result.outcome is Outcome.GONE:
                gone[hook_id] = on_gone.get(item.claimed.connector, "disable")
            else:
                struggling.add(hook_id)

        _update_hooks(session, now, succeeded, struggling - succeeded)
        for hook_id, action in gone.items():
            _hook_gone(session, hook_id, action, now)


def release(database: Database, owner: str) -> int:
    """Give back every lease ``owner`` holds, so others may take them at once."""
    with database.session() as session:
        result = session.execute(
            update(Delivery)
            .where(Delivery.lease_owner == owner, Delivery.status == "pending")
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0


def _next_state(
    item: Finished, now: datetime, rng: random.Random | None
) -> dict[str, object]:
    result = item.result
    attempts = item.claimed.request.attempt
    values: dict[str, object] = {
        "delivery_id": item.claimed.request.delivery_id,
        "status": "pending",
        "attempts": attempts,
        "next_attempt_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
        "delivered_at": None,
        "last_status_code": result.status_code,
        "last_error": result.error,
    }

    if result.outcome is Outcome.DELIVERED:
        values.update(status="delivered", delivered_at=now, last_error=None)
        return values

    if not result.attempted:
        wait = result.retry_after or schedule.RETRY_DELAYS[0]
        values.update(
            attempts=attempts - 1, next_attempt_at=now + timedelta(seconds=wait)
        )
        return values

    if result.outcome is Outcome.RETRY:
        due = schedule.next_attempt_at(now, attempts, result.retry_after, rng)
        if due is not None:
            values.update(next_attempt_at=due)
            logger.warning(
                "delivery %s of %s failed (attempt %d), retrying at %s: %s",
                item.claimed.request.delivery_id,
                item.claimed.request.event_key,
                attempts,
                due.isoformat(timespec="seconds"),
                result.error,
            )
            return values
        values["last_error"] = f"Gave up after {attempts} attempts: {result.error}"

    values["status"] = "failed"
    logger.warning(
        "delivery %s of %s failed for good after %d attempts: %s",
        item.claimed.request.delivery_id,
        item.claimed.request.event_key,
        attempts,
        values["last_error"],
    )
    return values


def _update_hooks(
    session, now: datetime, succeeded: set[str], struggling: set[str]
) -> None:  # type: ignore[no-untyped-def]
    if succeeded:
        session.execute(
            update(Hook)
            .where(Hook.id.in_(succeeded), Hook.failing_since.is_not(None))
            .values(failing_since=None)
        )

    if not struggling:
        return

    session.execute(
        update(Hook)
        .where(Hook.id.in_(struggling), Hook.failing_since.is_(None))
        .values(failing_since=now)
    )
    cutoff = now - schedule.DISABLE_AFTER
    stale = session.scalars(
        select(Hook.id).where(
            and_(
                Hook.id.in_(struggling),
                Hook.enabled.is_(True),
                Hook.failing_since <= cutoff,
            )
        )
    ).all()
    for hook_id in stale:
        session.execute(
            update(Hook)
            .where(Hook.id == hook_id)
            .values(
                enabled=False,
                disabled_reason=(
                    "Every delivery has failed for 5 days; fix the target, then "
                    "set enabled to true to resume."
                ),
                updated_at=now,
            )
        )
        logger.warning("disabled hook %s: its deliveries failed for 5 days", hook_id)


def _hook_gone(session, hook_id: str, action: str, now: datetime) -> None:  # type: ignore[no-untyped-def]
    if action == "delete":
        remove_hook(session, hook_id)
        logger.warning("deleted hook %s: the target answered 410 Gone", hook_id)
        return

    session.execute(
        update(Hook)
        .where(Hook.id == hook_id)
        .values(
            enabled=False,
            disabled_reason=(
                "The target answered 410 Gone; it no longer wants these events. "
                "Set enabled to true if that was a mistake."
            ),
            updated_at=now,
        )
    )
    logger.warning("disabled hook %s: the target answered 410 Gone", hook_id)


def _attempt_row(item: Finished) -> dict[str, object]:
    result = item.result
    body = result.response_body
    return {
        "delivery_id": item.claimed.request.delivery_id,
        "number": item.claimed.request.attempt,
        "started_at": item.started_at,
        "duration_ms": result.duration_ms,
        "outcome": result.outcome.value,
        "status_code": result.status_code,
        "error": result.error,
        "response_body": body[:RESPONSE_LIMIT] if body else body,
    }
