"""``hooks``, ``deliveries``, ``event-types`` and ``keys``: the admin commands.

They work on the database directly, for the operator of the hub; remote users
use the HTTP API with their organisation's key.
"""

from __future__ import annotations

import json
from typing import Any

import click

from connector import deliveries as delivery_service
from connector import hooks as hook_service
from connector import keys as key_service
from connector.catalogue import event_types as all_event_types
from connector.catalogue import get_event_type
from connector.cli.context import HubContext, echo_json, echo_table, pass_hub
from connector.clock import isoformat
from connector.delivery.sample import send_sample

organisation_option = click.option(
    "--organisation",
    "-o",
    envvar="EVENTHUB_ORGANISATION",
    required=True,
    help="Organisation id (EVENTHUB_ORGANISATION).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def hooks() -> None:
    """Create, list, change, test and delete hooks."""


@hooks.command("create")
@organisation_option
@click.option("--connector", default="webhook", show_default=True)
@click.option("--url", help="Target URL (webhook).")
@click.option("--event", "events", multiple=True, help="Event key or prefix.*; repeat.")
@click.option("--header", "headers", multiple=True, help="'Name: value'; repeat.")
@click.option("--tag", "tags", multiple=True, help="Only events with this tag; repeat.")
@click.option("--anonymous", is_flag=True, help="Strip user data from payloads.")
@click.option("--settings", "settings_json", help="Connector settings as JSON.")
@click.option("--description", default="")
@pass_hub
def create_hook(
    context: HubContext,
    organisation: str,
    connector: str,
    url: str | None,
    events: tuple[str, ...],
    headers: tuple[str, ...],
    tags: tuple[str, ...],
    anonymous: bool,
    settings_json: str | None,
    description: str,
) -> None:
    """Create a hook and print it, with its signing secret (shown only now)."""
    settings = _json_option("--settings", settings_json) if settings_json else {}
    if url:
        settings["url"] = url
    if headers:
        settings["headers"] = dict(_header(item) for item in headers)

    body: dict[str, Any] = {
        "connector": connector,
        "events": list(events) or ["*"],
        "anonymous": anonymous,
        "description": description,
        "settings": settings,
    }
    if tags:
        body["filter"] = {"tags": list(tags)}

    hub = context.hub()
    with hub.database.session() as session:
        key_service.ensure_organisation(session, organisation)
    echo_json(
        hook_service.create_hook(
            hub.database,
            hub.registry,
            organisation,
            body,
            options=hub.connector_options,
        )
    )


@hooks.command("list")
@organisation_option
@json_option
@pass_hub
def list_hooks(context: HubContext, organisation: str, as_json: bool) -> None:
    """List an organisation's hooks."""
    rows = hook_service.list_hooks(context.hub().database, organisation)
    if as_json:
        echo_json(rows)
        return

    for row in rows:
        row["target"] = row["settings"].get("url") or row["settings"].get(
            "spreadsheet", ""
        )
    echo_table(rows, ["id", "connector", "enabled", "events", "target"])


@hooks.command("show")
@organisation_option
@click.argument("hook_id")
@pass_hub
def show_hook(context: HubContext, organisation: str, hook_id: str) -> None:
    """Show one hook."""
    echo_json(hook_service.get_hook(context.hub().database, organisation, hook_id))


@hooks.command("update")
@organisation_option
@click.argument("hook_id")
@click.option("--enable/--disable", default=None)
@click.option("--event", "events", multiple=True, help="Replace the event list.")
@click.option("--settings", "settings_json", help="Replace the settings (JSON).")
@pass_hub
def update_hook(
    context: HubContext,
    organisation: str,
    hook_id: str,
    enable: bool | None,
    events: tuple[str, ...],
    settings_json: str | None,
) -> None:
    """Change a hook: enable or disable it, its events or its settings."""
    body: dict[str, Any] = {}
    if enable is not None:
        body["enabled"] = enable
    if events:
        body["events"] = list(events)
    if settings_json:
        body["settings"] = _json_option("--settings", settings_json)

    hub = context.hub()
    echo_json(
        hook_service.update_hook(
            hub.database,
            hub.registry,
            organisation,
            hook_id,
            body,
            options=hub.connector_options,
        )
    )


@hooks.command("delete")
@organisation_option
@click.argument("hook_id")
@pass_hub
def delete_hook(context: HubContext, organisation: str, hook_id: str) -> None:
    """Delete a hook and its deliveries."""
    hook_service.delete_hook(context.hub().database, organisation, hook_id)
    click.echo(f"deleted {hook_id}")


@hooks.command("test")
@organisation_option
@click.argument("hook_id")
@click.option("--event", help="Event type whose sample to send.")
@pass_hub
def test_hook(
    context: HubContext, organisation: str, hook_id: str, event: str | None
) -> None:
    """Deliver a sample event to a hook now and print the outcome.

    Exits with status 1 when the sample was not delivered.
    """
    hub = context.hub()
    result = send_sample(
        hub.database,
        hub.registry,
        hub.connector_options,
        organisation,
        hook_id,
        event,
    )
    echo_json(result)
    if result["outcome"] != "delivered":
        raise SystemExit(1)


@hooks.command("rotate-secret")
@organisation_option
@click.argument("hook_id")
@click.option("--grace-seconds", type=int, default=86400, show_default=True)
@pass_hub
def rotate_secret(
    context: HubContext, organisation: str, hook_id: str, grace_seconds: int
) -> None:
    """Give a hook a new secret; the old one signs too for the grace period."""
    echo_json(
        hook_service.rotate_secret(
            context.hub().database,
            organisation,
            hook_id,
            {"graceSeconds": grace_seconds},
        )
    )


@click.group()
def deliveries() -> None:
    """Inspect and replay deliveries."""


@deliveries.command("list")
@organisation_option
@click.option("--hook", help="Only this hook's deliveries.")
@click.option("--status", type=click.Choice(delivery_service.STATUSES))
@click.option("--event", help="Event id or event type.")
@click.option("--limit", type=int, default=50, show_default=True)
@json_option
@pass_hub
def list_deliveries(
    context: HubContext,
    organisation: str,
    hook: str | None,
    status: str | None,
    event: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List deliveries, newest first."""
    rows = delivery_service.list_deliveries(
        context.hub().database, organisation, hook, status, event, limit
    )
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        error = row["lastError"]
        if error and len(error) > 60:
            row["lastError"] = error[:59] + "…"
    echo_table(
        rows, ["id", "eventType", "status", "attempts", "lastStatusCode", "lastError"]
    )


@deliveries.command("show")
@organisation_option
@click.argument("delivery_id")
@pass_hub
def show_delivery(context: HubContext, organisation: str, delivery_id: str) -> None:
    """Show one delivery with every attempt."""
    echo_json(
        delivery_service.get_delivery(context.hub().database, organisation, delivery_id)
    )


@deliveries.command("replay")
@organisation_option
@click.argument("delivery_id")
@pass_hub
def replay_delivery(context: HubContext, organisation: str, delivery_id: str) -> None:
    """Queue a delivery's payload again; a running hub sends it."""
    echo_json(
        delivery_service.replay_delivery(
            context.hub().database, organisation, delivery_id
        )
    )


@click.group("event-types")
def event_types() -> None:
    """The catalogue of iQualify event types."""


@event_types.command("list")
@json_option
def list_event_types(as_json: bool) -> None:
    """List every event type."""
    rows = [
        {"key": t.key, "name": t.name, "category": t.category}
        for t in all_event_types()
    ]
    if as_json:
        echo_json(rows)
        return
    echo_table(rows, ["key", "name", "category"])


@event_types.command("show")
@click.argument("key")
def show_event_type(key: str) -> None:
    """Show one event type and its sample."""
    event_type = get_event_type(key)
    echo_json(
        {
            "key": event_type.key,
            "name": event_type.name,
            "category": event_type.category,
            "description": event_type.description,
            "sample": event_type.sample,
        }
    )


@click.group()
def keys() -> None:
    """API keys, one or more per organisation."""


@keys.command("create")
@click.option("--organisation", "-o", required=True, help="Created if needed.")
@click.option("--organisation-name", default="", help="Its name, e.g. for Zapier.")
@click.option("--name", default="", help="A note on what the key is for.")
@pass_hub
def create_key(
    context: HubContext, organisation: str, organisation_name: str, name: str
) -> None:
    """Make a key and print it, alone, on stdout. It is not shown again."""
    click.echo(
        key_service.create_key(
            context.hub().database, organisation, name, organisation_name
        )
    )


@keys.command("list")
@click.option("--organisation", "-o")
@pass_hub
def list_keys(context: HubContext, organisation: str | None) -> None:
    """List keys (their prefixes only)."""
    rows = [
        {
            "id": info.id,
            "organisation": info.organisation_id,
            "prefix": info.prefix + "…",
            "name": info.name,
            "created": isoformat(info.created_at),
            "revoked": isoformat(info.revoked_at),
        }
        for info in key_service.list_keys(context.hub().database, organisation)
    ]
    echo_table(rows, ["id", "organisation", "prefix", "name", "created", "revoked"])


@keys.command("revoke")
@click.argument("key_id")
@pass_hub
def revoke_key(context: HubContext, key_id: str) -> None:
    """Revoke a key by its id."""
    key_service.revoke_key(context.hub().database, key_id)
    click.echo(f"revoked {key_id}")


def _json_option(name: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=name) from exc
    if not isinstance(value, dict):
        raise click.BadParameter("give a JSON object", param_hint=name)
    return value


def _header(item: str) -> tuple[str, str]:
    name, separator, value = item.partition(":")
    if not separator or not name.strip():
        raise click.BadParameter(
            f"{item!r} is not 'Name: value'", param_hint="--header"
        )
    return name.strip(), value.strip()
