"""Helpers of the scale-out tests: queue events, run workers, read the store."""

from __future__ import annotations

import copy
import json
import subprocess
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from connector.hooks import create_hook
from connector.hub import Hub
from connector.ingest import ingest
from connector.keys import create_key
from tests.conftest import ORGANISATION, shared_events
from tests.support import processes


def add_hook(hub: Hub, url: str, **settings: Any) -> str:
    """Create a webhook hook for every event; return its id.

    A key is created too, which creates the organisation if needed.
    """
    create_key(hub.database, ORGANISATION, "scale tests")
    hook = create_hook(
        hub.database,
        hub.registry,
        ORGANISATION,
        {"events": ["*"], "settings": {"url": url, **settings}},
    )
    return hook["id"]


def queue_events(hub: Hub, count: int) -> list[str]:
    """Ingest ``count`` events, 500 per transaction; return their ids."""
    template = shared_events()[0]
    ids = []
    for start in range(0, count, 500):
        events = []
        for _ in range(min(500, count - start)):
            event = copy.deepcopy(template)
            event["id"] = str(uuid.uuid4())
            events.append(event)
        ingest(hub.database, ORGANISATION, json.dumps(events))
        ids.extend(event["id"] for event in events)
    return ids


def start_worker(database_url: str, **env: str) -> subprocess.Popen[str]:
    """Start ``eventhub worker`` and wait until its threads run."""
    worker = processes.start(["worker"], database_url, **env)
    processes.wait_for_line(worker, r"(worker running)")
    return worker


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll ``check`` every 50 ms until true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def query(hub: Hub, sql: str, **params: Any) -> list[Any]:
    """Rows of a read-only query."""
    with hub.database.session() as session:
        return list(session.execute(text(sql), params))


def count(hub: Hub, sql: str, **params: Any) -> int:
    """The single number a ``SELECT count(*) …`` answers."""
    return int(query(hub, sql, **params)[0][0])
