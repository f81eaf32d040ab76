"""Hooks: creating, changing, listing and deleting subscriptions.

A hook's body is checked in two steps: its own fields here, then its
``settings`` by the connector it names, so that each connector decides what a
valid target looks like.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate
from marshmallow import validates as validates_field
from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from connector import mapper
from connector.base import ConnectorOptions
from connector.catalogue import EVENT_KEYS
from connector.catalogue.primitives import json_type
from connector.clock import isoformat, new_id, utcnow
from connector.errors import InvalidInputError, NotFoundError, flatten_field_errors
from connector.registry import ConnectorRegistry
from connector.signing import new_secret
from connector.store import Attempt, Database, Delivery, Hook, HookSecret

logger = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = timedelta(days=7)

# Header names whose values are credentials; reads show them masked.
SENSITIVE_HEADER_WORDS = ("authorization", "token", "secret", "key", "cookie", "pass")
MASK = "***"


class HookSchema(Schema):
    """The fields of a hook that the API accepts."""

    class Meta:
        unknown = RAISE

    connector = fields.String(load_default="webhook")
    events = fields.List(fields.String(), load_default=lambda: ["*"])
    filter = fields.Dict(keys=fields.String(), load_default=dict)
    # Only JSON true and false: "false" as a string must not read as true.
    anonymous = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    enabled = fields.Boolean(load_default=True, truthy={True}, falsy={False})
    description = fields.String(load_default="", validate=validate.Length(max=500))
    settings = fields.Dict(keys=fields.String(), load_default=dict)

    @validates_field("events")
    def _check_events(self, value: list[str], **_: Any) -> None:
        if not value:
            raise ValidationError("Name at least one event type, or '*' for all.")

        problems = [mapper.pattern_problem(item, EVENT_KEYS) for item in value]
        problems = [problem for problem in problems if problem]
        if problems:
            raise ValidationError(problems)

    @validates_field("filter")
    def _check_filter(self, value: dict[str, Any], **_: Any) -> None:
        unknown = set(value) - mapper.FILTER_KEYS
        if unknown:
            raise ValidationError(
                f"Unknown filter keys {sorted(unknown)}; the filter takes 'tags'."
            )

        tags = value.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValidationError("'tags' must be a list of strings.")


class RotateSchema(Schema):
    """The body of ``rotate-secret``: how long the old secret keeps signing."""

    class Meta:
        unknown = EXCLUDE

    grace_seconds = fields.Integer(
        data_key="graceSeconds",
        load_default=int(DEFAULT_GRACE.total_seconds()),
        validate=validate.Range(min=0, max=int(MAX_GRACE.total_seconds())),
    )


def create_hook(
    database: Database,
    registry: ConnectorRegistry,
    organisation_id: str,
    body: Any,
    options: ConnectorOptions | None = None,
) -> dict[str, Any]:
    """Create a hook and return it, with its signing secret this once.

    Args:
        options: The operator's choices, when known; a target they forbid
            (a loopback URL, say) is then refused now rather than at the
            first delivery.
    """
    values = _load(HookSchema(), body)
    values["settings"] = _check_settings(registry, values, options)
    connector_cls = registry.get(values["connector"])

    now = utcnow()
    hook = Hook(
        id=new_id("hk"),
        organisation_id=organisation_id,
        created_at=now,
        updated_at=now,
        **values,
    )
    secret = new_secret() if connector_cls.signs_payloads else None
    with database.session() as session:
        session.add(hook)
        if secret:
            session.add(HookSecret(hook_id=hook.id, secret=secret, created_at=now))

    logger.info("created hook %s (%s) for %s", hook.id, hook.connector, organisation_id)
    shown = describe(hook)
    if secret:
        shown["secret"] = secret
    return shown


def update_hook(
    database: Database,
    registry: ConnectorRegistry,
    organisation_id: str,
    hook_id: str,
    body: Any,
    options: ConnectorOptions | None = None,
) -> dict[str, Any]:
    """Change some fields of a hook; ``settings``, when given, replace the old."""
    changes = _load(HookSchema(partial=True), body, defaults=False)
    with database.session() as session:
        hook = _get(session, organisation_id, hook_id)
        if "connector" in changes and changes["connector"] != hook.connector:
            raise InvalidInputError(
                "A hook's connector cannot change; create a new hook instead.",
                {"connector": [f"This hook uses {hook.connector!r}."]},
            )

        if "settings" in changes:
            changes["settings"] = _unmask(changes["settings"], hook.settings or {})
        merged = {
            "connector": hook.connector,
            "events": changes.get("events", hook.events),
            "settings": changes.get("settings", hook.settings),
        }
        if "settings" in changes or "events" in changes:
            changes["settings"] = _check_settings(registry, merged, options)

        for name, value in changes.items():
            setattr(hook, name, value)
        if changes.get("enabled"):
            hook.disabled_reason = None
            hook.failing_since = None
        hook.updated_at = utcnow()

        logger.info("updated hook %s: %s", hook_id, _changed(changes))
        return describe(hook)


def _changed(changes: dict[str, Any]) -> str:
    """The changed fields for the log, with a switch on or off said as such."""
    names = sorted(set(changes) - {"enabled"})
    if "enabled" in changes:
        names.insert(0, "enabled" if changes["enabled"] else "disabled")
    return ", ".join(names)


def delete_hook(database: Database, organisation_id: str, hook_id: str) -> None:
    """Delete a hook with its pending and past deliveries."""
    with database.session() as session:
        hook = _get(session, organisation_id, hook_id)
        remove_hook(session, hook.id)

    logger.info("deleted hook %s", hook_id)


def remove_hook(session: Session | Connection, hook_id: str) -> None:
    """Delete a hook and its deliveries inside an open transaction."""
    # Deleted explicitly rather than left to ON DELETE CASCADE, which SQLite
    # applies only when foreign keys are switched on for the connection.
    delivery_ids = select(Delivery.id).where(Delivery.hook_id == hook_id)
    session.execute(delete(Attempt).where(Attempt.delivery_id.in_(delivery_ids)))
    session.execute(delete(Delivery).where(Delivery.hook_id == hook_id))
    session.execute(delete(HookSecret).where(HookSecret.hook_id == hook_id))
    session.execute(delete(Hook).where(Hook.id == hook_id))


def get_hook(database: Database, organisation_id: str, hook_id: str) -> dict[str, Any]:
    """One hook, as the API shows it."""
    with database.session() as session:
        return describe(_get(session, organisation_id, hook_id))


def list_hooks(
    database: Database, organisation_id: str, connector: str | None = None
) -> list[dict[str, Any]]:
    """An organisation's hooks, oldest first."""
    query = (
        select(Hook)
        .where(Hook.organisation_id == organisation_id)
        .order_by(Hook.created_at, Hook.id)
    )
    if connector:
        query = query.where(Hook.connector == connector)

    with database.session() as session:
        return [describe(hook) for hook in session.scalars(query)]


def rotate_secret(
    database: Database, organisation_id: str, hook_id: str, body: Any = None
) -> dict[str, Any]:
    """Give a hook a new secret; the old ones keep signing for a grace period."""
    grace = timedelta(seconds=_load(RotateSchema(), body or {})["grace_seconds"])
    now = utcnow()
    secret = new_secret()
    with database.session() as session:
        hook = _get(session, organisation_id, hook_id)
        for old in hook.secrets:
            if old.expires_at is None or old.expires_at > now + grace:
                old.expires_at = now + grace
        session.execute(
            delete(HookSecret).where(
                HookSecret.hook_id == hook_id, HookSecret.expires_at <= now
            )
        )
        session.add(HookSecret(hook_id=hook_id, secret=secret, created_at=now))

    logger.info("rotated the secret of hook %s", hook_id)
    return {
        "id": hook_id,
        "secret": secret,
        "previousValidUntil": isoformat(now + grace),
    }


def secrets_in_force(hook: Hook, now: Any) -> list[str]:
    """The secrets that sign a hook's payloads now, newest first."""
    return [
        row.secret
        for row in sorted(hook.secrets, key=lambda row: row.created_at, reverse=True)
        if row.expires_at is None or row.expires_at > now
    ]


def describe(hook: Hook) -> dict[str, Any]:
    """A hook as the API and CLI show it; credentials in headers are masked."""
    return {
        "id": hook.id,
        "connector": hook.connector,
        "events": hook.events,
        "filter": hook.filter or {},
        "anonymous": hook.anonymous,
        "enabled": hook.enabled,
        "disabledReason": hook.disabled_reason,
        "description": hook.description,
        "settings": _mask(hook.settings or {}),
        "createdAt": isoformat(hook.created_at),
        "updatedAt": isoformat(hook.updated_at),
    }


def _get(session: Session, organisation_id: str, hook_id: str) -> Hook:
    hook = session.get(Hook, hook_id)
    if hook is None or hook.organisation_id != organisation_id:
        raise NotFoundError(f"No hook has the id {hook_id!r} in this organisation.")

    return hook


def _load(schema: Schema, body: Any, defaults: bool = True) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInputError(
            "The body must be a JSON object.",
            {"": [f"Expected an object, got {json_type(body)}."]},
        )

    try:
        loaded = schema.load(body)
    except ValidationError as exc:
        raise InvalidInputError(
            "The hook is not valid.", flatten_field_errors(exc.messages)
        ) from exc

    if not defaults:
        loaded = {name: value for name, value in loaded.items() if name in body}
    return dict(loaded)


def _check_settings(
    registry: ConnectorRegistry,
    values: dict[str, Any],
    options: ConnectorOptions | None = None,
) -> Any:
    try:
        connector_cls = registry.get(values["connector"])
    except Exception as exc:
        raise InvalidInputError(
            "The hook names no installed connector.", {"connector": [str(exc)]}
        ) from exc

    settings = connector_cls.validate_settings(values.get("settings"))
    connector_cls.check_hook(settings, values.get("events", ["*"]))
    if options is not None:
        connector_cls.check_options(settings, options)
    return settings


def _unmask(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """Put stored credentials back where a client sent the mask unchanged.

    Refused when the mask stands for nothing stored, or when the target's host
    changes: otherwise a key holder could send a stored credential, unseen, to
    a server of their choosing.
    """
    new = _unmask_url(new, old)
    headers = new.get("headers")
    if not isinstance(headers, dict) or MASK not in headers.values():
        return new

    stored = {name.lower(): value for name, value in (old.get("headers") or {}).items()}
    problems = []
    if _host(new.get("url")) != _host(old.get("url")):
        problems.append(
            "The URL's scheme or host changed, so masked header values cannot be kept; "
            "send them in full."
        )
    restored = {}
    for name, value in headers.items():
        if value == MASK and name.lower() not in stored:
            problems.append(f"{name!r} has no stored value to keep; send it in full.")
        restored[name] = stored.get(name.lower(), value) if value == MASK else value

    if problems:
        raise InvalidInputError(
            "The hook is not valid.", {"settings.headers": problems}
        )
    return {**new, "headers": restored}


def _unmask_url(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """Put stored ``user:password@`` back where the URL came back masked."""
    url = new.get("url")
    if not isinstance(url, str) or _split_netloc(url)[0] != MASK:
        return new

    stored_url = old.get("url")
    stored = _split_netloc(stored_url)[0] if isinstance(stored_url, str) else None
    if stored is None:
        problem = "Its '***@' stands for no stored credentials; send them in full."
    elif _host(url) != _host(stored_url):
        problem = (
            "The URL's scheme or host changed, so its masked credentials cannot "
            "be kept; send them in full."
        )
    else:
        return {**new, "url": _with_userinfo(url, stored)}

    raise InvalidInputError("The hook is not valid.", {"settings.url": [problem]})


def _split_netloc(url: str) -> tuple[str | None, str]:
    """A URL's ``user:password`` (None without one) and its host and port."""
    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return None, netloc
    userinfo, host = netloc.rsplit("@", 1)
    return userinfo, host


def _with_userinfo(url: str, userinfo: str) -> str:
    parts = urlsplit(url)
    netloc = f"{userinfo}@{_split_netloc(url)[1]}"
    return parts._replace(netloc=netloc).geturl()


def _host(url: object) -> str | None:
    """Scheme, host and port, without any credentials written before them.

    The scheme counts: kept credentials must not go from https to http.
    """
    if not isinstance(url, str):
        return None
    return f"{urlsplit(url).scheme}://{_split_netloc(url)[1]}".lower()


def _mask(settings: dict[str, Any]) -> dict[str, Any]:
    url = settings.get("url")
    if isinstance(url, str) and _split_netloc(url)[0] is not None:
        settings = {**settings, "url": _with_userinfo(url, MASK)}

    headers = settings.get("headers")
    if not isinstance(headers, dict):
        return settings

    masked = {
        name: MASK if any(w in name.lower() for w in SENSITIVE_HEADER_WORDS) else value
        for name, value in headers.items()
    }
    return {**settings, "headers": masked}
