"""The delivery queue in the database: claiming due work and recording results.

A worker claims a batch of due deliveries by stamping them with a lease (an
owner token and an expiry read from the database's clock). While the lease
holds, no other worker claims them; if the worker dies, the lease runs out and
the deliveries are claimed again, so nothing is lost, at the price of a rare
second delivery (receivers deduplicate on ``webhook-id``). On PostgreSQL the
claim locks rows with ``FOR UPDATE SKIP LOCKED`` so that workers on several
machines never wait on, or take, each other's rows.

A worker whose batch takes longer than the lease keeps it by renewing it (see
:func:`renew` and :class:`connector.delivery.lease.LeaseKeeper`), and every
result is written only where the lease is still the worker's own, so a worker
that did lose its lease cannot overwrite what the next owner recorded.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Executable, and_, select, update

from connector.base import DeliveryRequest, DeliveryResult, Outcome
from connector.delivery import schedule
from connector.delivery import statements as sql
from connector.hooks import remove_hook, secrets_in_force
from connector.store import Database, Hook

logger = logging.getLogger(__name__)

# What is kept of a target's answer in each attempt record.
RESPONSE_LIMIT = 64 * 1024


@dataclass(frozen=True)
class ClockReading:
    """The database's time as read once, carried on by this machine's clock.

    A batch is recorded seconds after it was claimed; adding the time passed
    on the monotonic clock to the database time read at the claim saves the
    record a round trip, and over seconds the two clocks cannot drift apart
    by anything that leases or retry times would notice.
    """

    at: datetime
    read_at: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        """The database's time now, as far as this reading tells."""
        return self.at + timedelta(seconds=time.monotonic() - self.read_at)


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds, with what it needs to deliver it.

    Attributes:
        request: What the connector gets.
        connector: The hook's connector name.
        owner: The lease owner that claimed it.
        hook_failing: Whether the hook's deliveries were failing when claimed.
        clock: The database's time when it was claimed.
        last_result: The status code and error of its last attempt, if any.
    """

    request: DeliveryRequest
    connector: str
    owner: str = ""
    hook_failing: bool = False
    clock: ClockReading | None = None
    last_result: tuple[int | None, str | None] = (None, None)


@dataclass(frozen=True)
class Finished:
    """One attempt's result, ready to record."""

    claimed: Claimed
    result: DeliveryResult
    started_at: datetime


def claim(
    database: Database,
    owner: str,
    limit: int,
    lease_seconds: float,
    exclude_hooks: Collection[str] = (),
) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries of enabled hooks to ``owner``.

    Args:
        database: The store.
        owner: The lease owner token of the claiming worker.
        limit: The most deliveries to take.
        lease_seconds: How long the lease lasts unless renewed.
        exclude_hooks: Hooks whose deliveries to leave for others.
    """
    with database.connection() as session:
        if database.is_sqlite:
            now = database.now(session)
        else:
            now = session.execute(sql.WALK_THE_DUE_INDEX).scalar_one()
        clock = ClockReading(now)

        # The columns come back from the UPDATE itself: one round trip fewer
        # than reading the rows again.
        rows = session.execute(
            sql.claim(not database.is_sqlite, bool(exclude_hooks)),
            {
                "now": now,
                "limit": limit,
                "owner": owner,
                "expires": now + timedelta(seconds=lease_seconds),
                "exclude": list(exclude_hooks),
            },
        ).all()
        if not rows:
            return []

        hooks = _hooks_of(session, {row.hook_id for row in rows}, now)

    return [
        Claimed(
            request=DeliveryRequest(
                delivery_id=row.id,
                hook_id=row.hook_id,
                event_id=row.event_id,
                event_key=row.event_key,
                payload=row.payload,
                settings=hooks[row.hook_id].settings,
                secrets=hooks[row.hook_id].secrets,
                attempt=row.attempts + 1,
            ),
            connector=hooks[row.hook_id].connector,
            owner=owner,
            hook_failing=hooks[row.hook_id].failing,
            clock=clock,
            last_result=(row.last_status_code, row.last_error),
        )
        for row in sorted(rows, key=lambda row: row.next_attempt_at)
    ]


def renew(
    database: Database, owner: str, delivery_ids: Collection[str], lease_seconds: float
) -> int:
    """Extend ``owner``'s lease on the given deliveries; return how many it held."""
    if not delivery_ids:
        return 0

    with database.connection() as session:
        now = database.now(session)
        result = session.execute(
            sql.RENEW,
            {
                "ids": sorted(delivery_ids),
                "owner": owner,
                "expires": now + timedelta(seconds=lease_seconds),
            },
        )
        return _rowcount(result)


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

    with database.connection() as session:
        clock = finished[0].claimed.clock
        now = clock.now() if clock is not None else database.now(session)
        attempts = [_attempt_row(item) for item in finished if item.result.attempted]
        if attempts:
            _write_rows(
                database,
                session,
                attempts,
                sql.INSERT_ATTEMPTS,
                sql.ARRAY_INSERT_ATTEMPTS,
            )

        # Sorted by id so that two transactions touching the same rows (a
        # lease renewal and this) lock them in one order and cannot deadlock.
        states = sorted(
            (_next_state(item, now, rng) for item in finished),
            key=lambda state: str(state["delivery_id"]),
        )
        written = _write_rows(
            database, session, states, sql.RECORD_STATE, sql.ARRAY_RECORD_STATE
        )
        if database.engine.dialect.supports_sane_multi_rowcount and (
            _rowcount(written) < len(states)
        ):
            logger.warning(
                "%d of %d results were not recorded: their lease had passed to "
                "another worker, or the delivery was deleted",
                len(states) - _rowcount(written),
                len(states),
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

        # Only a hook that was failing when claimed has anything to clear;
        # one that started failing since is cleared by its next batch.
        recovered = {
            item.claimed.request.hook_id
            for item in finished
            if item.claimed.hook_failing and item.claimed.request.hook_id in succeeded
        }
        _update_hooks(session, now, recovered, struggling - succeeded)
        for hook_id, action in gone.items():
            _hook_gone(session, hook_id, action, now)


def release(
    database: Database, owner: str, delivery_ids: Collection[str] | None = None
) -> int:
    """Give back ``owner``'s leases, so others may take them at once.

    Args:
        database: The store.
        owner: The lease owner token.
        delivery_ids: Only these deliveries; every one ``owner`` holds if None.
    """
    if delivery_ids is not None and not delivery_ids:
        return 0

    with database.connection() as session:
        if delivery_ids is None:
            result = session.execute(
                update(sql.DELIVERIES)
                .where(
                    sql.DELIVERIES.c.lease_owner == owner,
                    sql.DELIVERIES.c.status == "pending",
                )
                .values(lease_owner=None, lease_expires_at=None)
            )
        else:
            result = session.execute(
                sql.RELEASE, {"ids": sorted(delivery_ids), "owner": owner}
            )
        return _rowcount(result)


@dataclass(frozen=True)
class _HookView:
    """What a claim needs of a hook."""

    connector: str
    settings: dict[str, Any]
    secrets: tuple[str, ...]
    failing: bool


def _hooks_of(
    session: Connection, hook_ids: set[str], now: datetime
) -> dict[str, _HookView]:
    """The connector, settings and secrets in force of each hook, in one query."""
    settings: dict[str, tuple[str, dict[str, Any], bool]] = {}
    secrets: dict[str, list[Any]] = {hook_id: [] for hook_id in hook_ids}
    for row in session.execute(sql.HOOKS_WITH_SECRETS, {"ids": sorted(hook_ids)}):
        failing = row.failing_since is not None
        settings[row.id] = (row.connector, row.settings or {}, failing)
        if row.secret is not None:
            secrets[row.id].append(row)

    return {
        hook_id: _HookView(
            connector,
            values,
            tuple(secrets_in_force(_with_secrets(secrets[hook_id]), now)),
            failing,
        )
        for hook_id, (connector, values, failing) in settings.items()
    }


def _with_secrets(rows: list[Any]) -> Hook:
    # secrets_in_force reads only the .secrets of the hook it is given.
    return cast(Hook, SimpleNamespace(secrets=rows))


def _rowcount(result: Any) -> int:
    """Rows an UPDATE matched; execute is typed as returning rows."""
    return cast(CursorResult[Any], result).rowcount or 0


def _next_state(
    item: Finished, now: datetime, rng: random.Random | None
) -> dict[str, object]:
    result = item.result
    attempts = item.claimed.request.attempt
    values: dict[str, object] = {
        "delivery_id": item.claimed.request.delivery_id,
        "owner": item.claimed.owner,
        "status": "pending",
        "attempts": attempts,
        "next_attempt_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
        "delivered_at": None,
        "last_status_code": result.status_code,
        "last_error": storable(result.error),
    }

    if result.outcome is Outcome.DELIVERED:
        values.update(status="delivered", delivered_at=now, last_error=None)
        return values

    if not result.attempted:
        wait = result.retry_after or schedule.RETRY_DELAYS[0]
        values.update(
            attempts=attempts - 1, next_attempt_at=now + timedelta(seconds=wait)
        )
        if attempts > 1:
            # What the last real attempt got tells more than why this one
            # was put off; the new due time shows that it was.
            code, error = item.claimed.last_result
            values.update(last_status_code=code, last_error=error)
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
    session: Connection, now: datetime, succeeded: set[str], struggling: set[str]
) -> None:
    if succeeded:
        session.execute(sql.HOOKS_RECOVERED, {"ids": sorted(succeeded)})

    if not struggling:
        return

    session.execute(sql.HOOKS_STRUGGLING, {"ids": sorted(struggling), "now": now})
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


def _hook_gone(session: Connection, hook_id: str, action: str, now: datetime) -> None:
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


def _write_rows(
    database: Database,
    session: Connection,
    rows: list[dict[str, object]],
    per_row: Executable,
    with_arrays: Executable,
) -> Any:
    """Write ``rows`` in one round trip.

    SQLite runs ``per_row`` once per row (executemany), compiled once:
    building a statement per delivery cost more than the HTTP calls.
    PostgreSQL runs ``with_arrays`` once, with a list of values per column.
    """
    if database.is_sqlite:
        return session.execute(per_row, rows)

    return session.execute(
        with_arrays, {name: [row[name] for row in rows] for name in rows[0]}
    )


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
        "error": storable(result.error),
        "response_body": storable(body[:RESPONSE_LIMIT] if body else body),
    }


def storable(text: str | None) -> str | None:
    """``text`` with every NUL character replaced, so PostgreSQL can keep it.

    What a target answers is recorded as it came, and a target may answer
    anything; one NUL in it would fail the whole batch's record on
    PostgreSQL, and the batch would be sent again when its lease ran out,
    for ever.
    """
    if text is None or "\x00" not in text:
        return text

    return text.replace("\x00", "\ufffd")
