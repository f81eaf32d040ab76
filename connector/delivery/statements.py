"""The queue's SQL, built once.

The statements of a claim and of a record run for every batch, often for a
batch of one. Built per call through the ORM, they cost some 6 ms of CPU per
claim, more than the HTTP request they serve; built once from the tables,
with every value a bound parameter, SQLAlchemy compiles each a single time
and a claim costs a fraction of that.
"""

from __future__ import annotations

from functools import cache
from typing import cast

from sqlalchemy import (
    Select,
    Table,
    TextClause,
    Update,
    bindparam,
    exists,
    insert,
    or_,
    select,
    text,
    update,
)

from connector.store import Attempt, Delivery, Hook, HookSecret

DELIVERIES = cast(Table, Delivery.__table__)
HOOKS = cast(Table, Hook.__table__)
SECRETS = cast(Table, HookSecret.__table__)
ATTEMPTS = cast(Table, Attempt.__table__)

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

# PostgreSQL plans the claim from its statistics, and those lag behind a
# sudden backlog (autovacuum analyses a table only after 10 % of it changed):
# believing few deliveries pending, it reads and sorts every pending one per
# claim, tens of milliseconds at 20,000 and seconds at a million. Walking the
# due index in order and stopping after ``limit`` rows is right at every size,
# so the claim's transaction rules out the alternatives (SET LOCAL: only this
# transaction). See https://www.postgresql.org/docs/current/runtime-config-query.html
# A plan with a ruled-out step costs more than JIT's threshold and would be
# compiled, for 80 ms, so JIT is off too. The statement also reads the clock,
# as Database.now() does, to save a round trip.
WALK_THE_DUE_INDEX: TextClause = text(
    "SELECT clock_timestamp() AT TIME ZONE 'UTC', "
    "set_config('enable_bitmapscan', 'off', true), "
    "set_config('enable_seqscan', 'off', true), "
    "set_config('jit', 'off', true)"
)


@cache
def claim(skip_locked: bool, excluding: bool) -> Update:
    """Lease due deliveries: parameters ``now``, ``limit``, ``owner``, ``expires``.

    Args:
        skip_locked: Lock the rows and pass over locked ones (PostgreSQL).
        excluding: Leave the hooks in the list parameter ``exclude`` alone.
    """
    due = (
        select(DELIVERIES.c.id)
        .join(HOOKS, HOOKS.c.id == DELIVERIES.c.hook_id)
        .where(
            DELIVERIES.c.status == "pending",
            DELIVERIES.c.next_attempt_at <= bindparam("now"),
            or_(
                DELIVERIES.c.lease_expires_at.is_(None),
                DELIVERIES.c.lease_expires_at <= bindparam("now"),
            ),
            HOOKS.c.enabled.is_(True),
        )
        .order_by(DELIVERIES.c.next_attempt_at)
        .limit(bindparam("limit"))
    )
    if excluding:
        due = due.where(
            DELIVERIES.c.hook_id.not_in(bindparam("exclude", expanding=True))
        )
    if skip_locked:
        due = due.with_for_update(of=DELIVERIES, skip_locked=True)

    return (
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(due.scalar_subquery()))
        .values(lease_owner=bindparam("owner"), lease_expires_at=bindparam("expires"))
        .returning(
            DELIVERIES.c.id,
            DELIVERIES.c.hook_id,
            DELIVERIES.c.event_id,
            DELIVERIES.c.event_key,
            DELIVERIES.c.payload,
            DELIVERIES.c.attempts,
            DELIVERIES.c.next_attempt_at,
            DELIVERIES.c.last_status_code,
            DELIVERIES.c.last_error,
        )
    )


# The hooks of a claimed batch with their secrets, one row per secret.
HOOKS_WITH_SECRETS: Select = (
    select(
        HOOKS.c.id,
        HOOKS.c.connector,
        HOOKS.c.settings,
        HOOKS.c.failing_since,
        SECRETS.c.secret,
        SECRETS.c.created_at,
        SECRETS.c.expires_at,
    )
    .outerjoin(SECRETS, SECRETS.c.hook_id == HOOKS.c.id)
    .where(HOOKS.c.id.in_(bindparam("ids", expanding=True)))
)

RENEW: Update = (
    update(DELIVERIES)
    .where(
        DELIVERIES.c.id.in_(bindparam("ids", expanding=True)),
        DELIVERIES.c.lease_owner == bindparam("owner"),
        DELIVERIES.c.status == "pending",
    )
    .values(lease_expires_at=bindparam("expires"))
)

RELEASE: Update = (
    update(DELIVERIES)
    .where(
        DELIVERIES.c.id.in_(bindparam("ids", expanding=True)),
        DELIVERIES.c.lease_owner == bindparam("owner"),
        DELIVERIES.c.status == "pending",
    )
    .values(lease_owner=None, lease_expires_at=None)
)

# Attempts are written only for deliveries that still exist: a hook deleted
# while its deliveries were in flight takes them with it, and the rest of the
# batch must still be recorded.
_ATTEMPT_COLUMNS = (
    "delivery_id",
    "number",
    "started_at",
    "duration_ms",
    "outcome",
    "status_code",
    "error",
    "response_body",
)
INSERT_ATTEMPTS = insert(ATTEMPTS).from_select(
    _ATTEMPT_COLUMNS,
    select(
        *(bindparam(name, type_=ATTEMPTS.c[name].type) for name in _ATTEMPT_COLUMNS)
    ).where(exists().where(DELIVERIES.c.id == bindparam("delivery_id"))),
)

# On PostgreSQL a batch's attempts and states are written by one statement
# each, with a column of values per parameter: run row by row, the driver's
# bookkeeping for every row cost the worker more CPU than the HTTP request
# being recorded. Arrays keep the order they are given in.
ARRAY_INSERT_ATTEMPTS: TextClause = text(
    "INSERT INTO attempts (delivery_id, number, started_at, duration_ms, outcome, "
    "status_code, error, response_body) "
    "SELECT u.* FROM unnest(CAST(:delivery_id AS VARCHAR[]), "
    "CAST(:number AS INTEGER[]), CAST(:started_at AS TIMESTAMP[]), "
    "CAST(:duration_ms AS FLOAT8[]), CAST(:outcome AS VARCHAR[]), "
    "CAST(:status_code AS INTEGER[]), CAST(:error AS TEXT[]), "
    "CAST(:response_body AS TEXT[])) AS u(delivery_id) "
    # KEY SHARE waits out a delete in progress and then sees the row gone.
    "WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = u.delivery_id "
    "FOR KEY SHARE)"
)

# Written only where the lease is still the writer's own.
RECORD_STATE: Update = (
    update(DELIVERIES)
    .where(
        DELIVERIES.c.id == bindparam("delivery_id"),
        DELIVERIES.c.lease_owner == bindparam("owner"),
    )
    .values({name: bindparam(name) for name in STATE_COLUMNS})
)

# RECORD_STATE for a batch at once; the lease is cleared, as there.
ARRAY_RECORD_STATE: TextClause = text(
    "UPDATE deliveries SET status = v.status, attempts = v.attempts, "
    "next_attempt_at = v.next_attempt_at, lease_owner = NULL, "
    "lease_expires_at = NULL, updated_at = v.updated_at, "
    "delivered_at = v.delivered_at, last_status_code = v.last_status_code, "
    "last_error = v.last_error "
    "FROM unnest(CAST(:delivery_id AS VARCHAR[]), CAST(:owner AS VARCHAR[]), "
    "CAST(:status AS VARCHAR[]), CAST(:attempts AS INTEGER[]), "
    "CAST(:next_attempt_at AS TIMESTAMP[]), CAST(:updated_at AS TIMESTAMP[]), "
    "CAST(:delivered_at AS TIMESTAMP[]), CAST(:last_status_code AS INTEGER[]), "
    "CAST(:last_error AS TEXT[])) "
    "AS v(id, owner, status, attempts, next_attempt_at, updated_at, "
    "delivered_at, last_status_code, last_error) "
    "WHERE deliveries.id = v.id AND deliveries.lease_owner = v.owner"
)

HOOKS_RECOVERED: Update = (
    update(HOOKS)
    .where(
        HOOKS.c.id.in_(bindparam("ids", expanding=True)),
        HOOKS.c.failing_since.is_not(None),
    )
    .values(failing_since=None)
)

HOOKS_STRUGGLING: Update = (
    update(HOOKS)
    .where(
        HOOKS.c.id.in_(bindparam("ids", expanding=True)),
        HOOKS.c.failing_since.is_(None),
    )
    .values(failing_since=bindparam("now"))
)
