"""What the scale-out benchmark's measurements share: sink, databases, processes.

Every hub process is a real ``eventhub`` child process, as an operator would
run it; the bench only prepares the database, starts and stops processes and
reads the results.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from connector.catalogue import get_event_type
from connector.config import Settings
from connector.hooks import create_hook
from connector.hub import Hub
from connector.ingest import ingest
from connector.keys import create_key
from connector.store import Delivery

SAMPLE = get_event_type("task.assessed.marked").sample
ORGANISATION = SAMPLE["organisation"]["id"]
HERE = Path(__file__).resolve().parent


def make_events(count: int) -> list[dict[str, Any]]:
    """``count`` copies of the marking sample, each with its own id."""
    events = []
    for _ in range(count):
        event = copy.deepcopy(SAMPLE)
        event["id"] = str(uuid.uuid4())
        events.append(event)
    return events


class SinkProcess:
    """``bench/sink.py`` in its own process.

    Args:
        record: Keep the first arrival time of every ``webhook-id``.
    """

    def __init__(self, record: bool = False) -> None:
        arguments = [sys.executable, str(HERE / "sink.py")]
        if record:
            arguments.append("--record")
        self.process = subprocess.Popen(arguments, stdout=subprocess.PIPE, text=True)
        port = self.process.stdout.readline().strip()  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    def count(self) -> int:
        """POSTs received so far."""
        return int(requests.get(self.url, timeout=10).text)

    def arrivals(self) -> dict[str, float]:
        """First arrival time of each event id, when recording."""
        return requests.get(f"{self.url}/arrivals", timeout=60).json()

    def stop(self) -> None:
        """Stop the sink."""
        self.process.terminate()
        self.process.wait(timeout=10)


def reset_postgres(url: str) -> None:
    """Create the bench database if needed and empty its ``public`` schema."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"),
            {"name": parsed.database},
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def prepare(database_url: str, sink_url: str) -> tuple[Hub, str]:
    """Open the (empty) database, with one key and one hook to the sink."""
    if not database_url.startswith("sqlite"):
        reset_postgres(database_url)
    hub = Hub.open(Settings(database_url=database_url, allow_private_targets=True))
    key = create_key(hub.database, ORGANISATION)
    create_hook(
        hub.database, hub.registry, ORGANISATION, {"settings": {"url": sink_url}}
    )
    return hub, key


def preload(hub: Hub, events: list[dict[str, Any]]) -> None:
    """Store ``events`` and their deliveries directly, 500 per transaction."""
    for start in range(0, len(events), 500):
        ingest(hub.database, ORGANISATION, json.dumps(events[start : start + 500]))


def delivered(hub: Hub) -> int:
    """Deliveries recorded as delivered."""
    with hub.database.session() as session:
        return session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == "delivered")
        )


def environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a hub child process."""
    return {
        **os.environ,
        "EVENTHUB_DATABASE_URL": database_url,
        "EVENTHUB_ALLOW_PRIVATE_TARGETS": "1",
        "EVENTHUB_LOG_LEVEL": "WARNING",
        **extra,
    }


def start_hub(arguments: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start ``eventhub ARGUMENTS``; its output is merged on stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "connector.cli", *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(process: subprocess.Popen[str], marker: str, timeout: float = 60) -> str:
    """Read the process's output until a line holds ``marker``; return it.

    The rest of its output is then read in the background, so that a full
    pipe never blocks the process; the last lines are kept for errors.
    """
    deadline = time.monotonic() + timeout
    seen: deque[str] = deque(maxlen=50)
    while time.monotonic() < deadline:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(
                f"the process ended before printing {marker!r}:\n{''.join(seen)}"
            )
        seen.append(line)
        if marker in line:
            threading.Thread(target=_drain, args=(process, seen), daemon=True).start()
            return line.strip()
    raise RuntimeError(f"no {marker!r} within {timeout} s")


def _drain(process: subprocess.Popen[str], seen: deque[str]) -> None:
    for line in iter(process.stdout.readline, ""):  # type: ignore[union-attr]
        seen.append(line)


def stop_all(processes: list[subprocess.Popen[str]]) -> None:
    """SIGTERM every process, then wait for each."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def peak_rss_mib(pid: int) -> float:
    """The peak resident memory of a live process, from ``/proc``."""
    status = Path(f"/proc/{pid}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]
