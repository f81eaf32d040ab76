"""``emit``: send events from a file or stdin, to a running hub or the database."""

from __future__ import annotations

import json
import logging
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import requests

from connector import jsonbody
from connector.catalogue import validate_events
from connector.cli.context import HubContext, pass_hub
from connector.errors import EventhubError, InvalidInputError, MalformedInputError
from connector.ingest import ingest
from connector.keys import ensure_organisation

logger = logging.getLogger(__name__)

# Events per request; also kept well under the API's 1 MiB body limit.
CHUNK_EVENTS = 100
CHUNK_BYTES = 512 * 1024


@click.command()
@click.argument("source", type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option("--url", help="Base URL of a running hub, e.g. http://127.0.0.1:8000.")
@click.option("--key", envvar="EVENTHUB_API_KEY", help="API key (EVENTHUB_API_KEY).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@pass_hub
def emit(
    context: HubContext,
    source: Path,
    url: str | None,
    key: str | None,
    quiet: bool,
) -> None:
    """Send the events in SOURCE: a JSON object, a JSON array or JSON lines.

    SOURCE may also be a folder, whose .json files are sent in name order, or
    - for stdin. With --url and --key the events are posted to a running
    hub; without them they are written to the database directly, validated
    the same way. Sending the same events again is safe: the hub reports
    them as duplicates and delivers nothing twice.
    """
    events = _read_source(source)
    validate_events(events)
    if bool(url) != bool(key):
        raise click.UsageError("Give --url and --key together, or neither.")

    chunks = list(_chunks(events))
    accepted = duplicates = 0
    with click.progressbar(
        length=len(events),
        label="Emitting",
        hidden=quiet,
        file=sys.stderr,
    ) as bar:
        for chunk in chunks:
            try:
                if url and key:
                    result = post_events(url, key, chunk)
                else:
                    result = _store(context, chunk)
            except EventhubError as exc:
                if not accepted + duplicates:
                    raise
                raise _stopped_partway(exc, accepted, duplicates) from exc
            accepted += len(result["accepted"])
            duplicates += len(result["duplicates"])
            bar.update(len(chunk))

    click.echo(f"{accepted} accepted, {duplicates} duplicates")


def _read_source(source: Path) -> list[Any]:
    if str(source) == "-":
        return read_events(sys.stdin.buffer.read())
    if not source.is_dir():
        return read_events(source.read_bytes())

    return read_folder(source)


def read_folder(folder: Path) -> list[Any]:
    """The events of every ``.json`` file in ``folder``, in name order."""
    files = sorted(folder.glob("*.json"))
    if not files:
        raise MalformedInputError(f"{folder} holds no .json event files.")
    return [event for path in files for event in read_events(path.read_bytes())]


def _stopped_partway(
    exc: EventhubError, accepted: int, duplicates: int
) -> EventhubError:
    sent = (
        f"{accepted} events were accepted ({duplicates} duplicates) before that; "
        "running emit again is safe, since those come back as duplicates."
    )
    if isinstance(exc, InvalidInputError):
        return InvalidInputError(f"{exc.message} {sent}", exc.fields)
    return EventhubError(f"{exc} {sent}")


def read_events(raw: bytes | str) -> list[Any]:
    """Parse a JSON object, a JSON array, or JSON lines into a list.

    Raises:
        MalformedInputError: saying what is wrong, and on which line for
            JSON lines.
    """
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise MalformedInputError(
            f"The input is not UTF-8 (bad byte at position {exc.start})."
        ) from exc

    stripped = text.strip()
    if not stripped:
        raise MalformedInputError("The input is empty; give a JSON event or events.")

    try:
        parsed = jsonbody.loads(stripped, what="The input")
    except MalformedInputError:
        if "\n" not in stripped:
            raise
    else:
        return parsed if isinstance(parsed, list) else [parsed]

    events = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(jsonbody.loads(line, what=f"Line {number}"))
        except MalformedInputError as exc:
            raise MalformedInputError(
                f"{exc.message} Give one JSON object, an array, or one event per line."
            ) from exc

    return events


def post_events(url: str, key: str, events: list[Any]) -> dict[str, Any]:
    """POST events to a running hub and return its answer."""
    try:
        response = requests.post(
            url.rstrip("/") + "/v1/events",
            json=events,
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
    except requests.RequestException as exc:
        raise EventhubError(f"Could not reach the hub at {url}: {exc}") from exc

    if response.status_code != 202:
        raise _api_error(response)

    return response.json()


def _store(context: HubContext, events: list[Any]) -> dict[str, list[str]]:
    hub = context.hub()
    by_organisation: dict[str, list[Any]] = defaultdict(list)
    for event in events:
        by_organisation[event["organisation"]["id"]].append(event)

    result: dict[str, list[str]] = {"accepted": [], "duplicates": []}
    for organisation_id, items in by_organisation.items():
        with hub.database.session() as session:
            name = items[0]["organisation"].get("name") or ""
            ensure_organisation(session, organisation_id, name)
        stored = ingest(hub.database, organisation_id, json.dumps(items))
        result["accepted"] += stored.accepted
        result["duplicates"] += stored.duplicates

    return result


def _chunks(events: list[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    size = 0
    for event in events:
        length = len(json.dumps(event))
        if chunk and (len(chunk) >= CHUNK_EVENTS or size + length > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(event)
        size += length

    if chunk:
        yield chunk


def _api_error(response: requests.Response) -> EventhubError:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return EventhubError(f"The hub answered {response.status_code}.")

    if error.get("fields"):
        return InvalidInputError(error.get("message", ""), error["fields"])
    return EventhubError(f"The hub answered {response.status_code}: {error['message']}")
