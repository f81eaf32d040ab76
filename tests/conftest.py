"""Fixtures shared by every test: a fresh database, a hub, keys, a sink.

Set ``EVENTHUB_TEST_DATABASE_URL`` to a PostgreSQL URL to run the suite there;
each test then starts from an empty ``public`` schema.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from connector.catalogue import event_types
from connector.config import Settings
from connector.hub import Hub
from connector.keys import create_key
from connector.web import create_app
from connectors.webhook.backoff import backoff
from tests.support.served import ServedHub
from tests.support.sink import Sink

SHARED_EVENTS = Path(__file__).resolve().parents[1].parent / "shared" / "events"
ORGANISATION = "org_kauri_training"
OTHER_ORGANISATION = "org_other_school"


def shared_events() -> list[dict[str, Any]]:
    """One event of each of the 19 types, sorted by type.

    These are the realistic samples of ``../shared/events``, the hub's real
    input, where that folder sits beside the repository (it does in CI);
    elsewhere the project's own samples stand in, moved to the same
    organisation, so that no test is skipped for want of them.
    """
    if SHARED_EVENTS.is_dir():
        return [
            json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(SHARED_EVENTS.glob("*.json"))
        ]

    events = [event_type.sample for event_type in event_types()]
    for event in events:
        event["organisation"] = {"id": ORGANISATION, "name": "Kauri Training"}
    return events


@pytest.fixture(autouse=True)
def _forget_unreachable_targets() -> Iterator[None]:
    """Each test starts with no target remembered as down by an earlier one."""
    backoff.clear()
    yield
    backoff.clear()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A URL to an empty database: a new SQLite file, or a reset PostgreSQL."""
    url = os.environ.get("EVENTHUB_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'hub.db'}"

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for tests: loopback targets allowed, quick polling."""
    return Settings(
        database_url=database_url,
        allow_private_targets=True,
        workers=2,
        poll_seconds=0.05,
        lease_seconds=30,
    )


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    """An open hub on a fresh database."""
    opened = Hub.open(settings)
    yield opened
    opened.database.dispose()


@pytest.fixture
def client(hub: Hub) -> Any:
    """Flask's test client, for checks that need no real socket."""
    return create_app(hub).test_client()


@pytest.fixture
def key(hub: Hub) -> str:
    """An API key of the organisation the shared samples belong to."""
    return create_key(hub.database, ORGANISATION, "tests")


@pytest.fixture
def other_key(hub: Hub) -> str:
    """An API key of a second organisation."""
    return create_key(hub.database, OTHER_ORGANISATION, "tests")


@pytest.fixture
def auth(key: str) -> dict[str, str]:
    """Request headers carrying ``key``."""
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def sink() -> Iterator[Sink]:
    """A receiving server on 127.0.0.1 that records what it gets."""
    server = Sink().start()
    yield server
    server.stop()


@pytest.fixture
def served(hub: Hub) -> Iterator[ServedHub]:
    """The hub under waitress on 127.0.0.1, with delivery workers running."""
    running = ServedHub(hub).start()
    yield running
    running.stop()
