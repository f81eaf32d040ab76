"""Durable deliveries per second through ``eventhub serve``, against a bare loop.

In one run, on this machine, against the same loopback sink:

* reference: a bare ``requests.Session`` loop POSTing the same bodies, one at a
  time, with nothing stored;
* hub: ``eventhub serve`` on a fresh SQLite file delivering the same number of
  events, each recorded durably (attempt row, delivery state) before it counts.

Usage: python bench/delivery_throughput.py [--events N] [--workers W]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import func, select

from connector.catalogue import get_event_type
from connector.config import Settings
from connector.hooks import create_hook
from connector.hub import Hub
from connector.ingest import ingest
from connector.keys import create_key
from connector.store import Delivery

ORGANISATION = "org_demo"
HERE = Path(__file__).resolve().parent


def make_events(count: int) -> list[dict]:
    """``count`` copies of the marking sample, each with its own id."""
    sample = get_event_type("task.assessed.marked").sample
    events = []
    for _ in range(count):
        event = copy.deepcopy(sample)
        event["id"] = str(uuid.uuid4())
        events.append(event)
    return events


def start_sink() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "sink.py")], stdout=subprocess.PIPE, text=True
    )
    port = process.stdout.readline().strip()
    return process, f"http://127.0.0.1:{port}"


def bare_loop(url: str, bodies: list[str]) -> float:
    """Seconds for one requests.Session to POST every body."""
    session = requests.Session()
    started = time.perf_counter()
    for body in bodies:
        response = session.post(
            url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        response.raise_for_status()
    return time.perf_counter() - started


def hub_run(url: str, events: list[dict], workers: int, work: Path) -> float:
    """Seconds for ``eventhub serve`` to deliver every event durably."""
    database_url = f"sqlite:///{work / 'bench.db'}"
    hub = Hub.open(Settings(database_url=database_url, allow_private_targets=True))
    create_key(hub.database, ORGANISATION)
    create_hook(hub.database, hub.registry, ORGANISATION, {"settings": {"url": url}})

    env = {
        **os.environ,
        "EVENTHUB_DATABASE_URL": database_url,
        "EVENTHUB_ALLOW_PRIVATE_TARGETS": "1",
        "EVENTHUB_WORKERS": str(workers),
        "EVENTHUB_LOG_LEVEL": "WARNING",
        "EVENTHUB_POLL_SECONDS": "0.05",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        server.stdout.readline()  # "eventhub serving on ...": workers are up
        for start in range(0, len(events), 500):
            ingest(hub.database, ORGANISATION, json.dumps(events[start : start + 500]))
        started = time.perf_counter()
        while _delivered(hub) < len(events):
            time.sleep(0.02)
        return time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)


def _delivered(hub: Hub) -> int:
    with hub.database.session() as session:
        return session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == "delivered")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    events = make_events(args.events)
    bodies = [json.dumps(event, separators=(",", ":")) for event in events]
    sink, url = start_sink()
    try:
        with tempfile.TemporaryDirectory() as work:
            bare = bare_loop(url, bodies)
            hub = hub_run(url, events, args.workers, Path(work))
    finally:
        sink.terminate()

    bare_rate = args.events / bare
    hub_rate = args.events / hub
    print(f"events: {args.events}, hub workers: {args.workers}")
    print(f"bare requests.Session loop : {bare_rate:8.0f} posts/s   (reference)")
    print(f"eventhub serve, durable    : {hub_rate:8.0f} deliveries/s")
    print(f"ratio hub / bare           : {hub_rate / bare_rate:8.2f}")


if __name__ == "__main__":
    main()
