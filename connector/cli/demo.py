"""``demo``: the main job end to end, on a fresh database, in about a second.

It starts ``eventhub serve`` and ``eventhub listen`` as real processes, creates
a signed webhook hook pointing at the listener, emits the sample events over
HTTP, waits for every delivery, and prints what arrived with each signature
checked by the independent ``standardwebhooks`` verifier.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

import click
import requests

from connector.catalogue import event_types
from connector.cli.context import echo_table
from connector.cli.emit import post_events, read_folder
from connector.errors import EventhubError
from connector.keys import create_key
from connector.store import open_database

STARTUP_SECONDS = 30.0
DELIVERY_SECONDS = 60.0
# The platform's own samples, where a clone sits beside them as in the
# project's layout; without them the demo sends the bundled samples.
PLATFORM_SAMPLES = Path("..") / "shared" / "events"


@click.command()
@click.option(
    "--events",
    "events_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of event JSON files. By default ../shared/events, the "
    "platform's samples, where it exists; else the bundled samples.",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the database and what arrived here; by default a temporary "
    "folder, removed at the end.",
)
def demo(events_dir: Path | None, workdir: Path | None) -> None:
    """Run the hub on a fresh SQLite file and deliver sample events to a receiver."""
    events = _load_events(events_dir)
    organisations = {event["organisation"]["id"] for event in events}
    if len(organisations) != 1:
        raise EventhubError(
            "The demo sends one organisation's events; these belong to "
            f"{sorted(organisations)}. Give a folder with one organisation's events."
        )
    organisation = organisations.pop()

    work = workdir or Path(tempfile.mkdtemp(prefix="eventhub-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    database_file = work / "demo.db"
    for stale in work.glob("demo.db*"):
        stale.unlink()
    received_file = work / "received.jsonl"
    received_file.unlink(missing_ok=True)

    env = {
        **os.environ,
        "EVENTHUB_DATABASE_URL": f"sqlite:///{database_file}",
        "EVENTHUB_ALLOW_PRIVATE_TARGETS": "1",
        "EVENTHUB_LOG_LEVEL": "WARNING",
    }
    key = create_key(open_database(env["EVENTHUB_DATABASE_URL"]), organisation, "demo")
    click.echo(f"Working in {work}", err=True)

    processes: list[subprocess.Popen[str]] = []
    try:
        hub = _start(["serve", "--host", "127.0.0.1", "--port", "0"], env, processes)
        hub_url = _wait_for_url(hub.stdout, r"serving on (http://\S+)")
        click.echo(f"Hub running at {hub_url}", err=True)

        api = _Api(hub_url, key)
        hook = api.call(
            "POST",
            "/v1/hooks",
            {"events": ["*"], "settings": {"url": "http://127.0.0.1:9/"}},
        )
        listener = _start(
            ["listen", "--port", "0", "--record", str(received_file)],
            {**env, "EVENTHUB_LISTEN_SECRET": hook["secret"]},
            processes,
        )
        listen_url = _wait_for_url(listener.stderr, r"listening on (http://\S+)")
        api.call("PATCH", f"/v1/hooks/{hook['id']}", {"settings": {"url": listen_url}})
        click.echo(f"Receiver listening at {listen_url} (hook {hook['id']})", err=True)

        with click.progressbar(events, label="Emitting", file=sys.stderr) as bar:
            for event in bar:
                post_events(hub_url, key, [event])

        rows = _wait_for_deliveries(api, len(events))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)

    try:
        _report(rows, received_file)
    finally:
        # A folder the user named is theirs to keep; a temporary one is not.
        if workdir is None:
            shutil.rmtree(work, ignore_errors=True)


class _Api:
    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.session.request(method, self.base + path, json=body, timeout=30)
        if response.status_code >= 400:
            raise EventhubError(
                f"{method} {path} answered {response.status_code}: {response.text}"
            )
        return response.json()


def _load_events(folder: Path | None) -> list[dict[str, Any]]:
    if folder is None and PLATFORM_SAMPLES.is_dir():
        folder = PLATFORM_SAMPLES
    if folder is None:
        click.echo("Sending the bundled samples, one of each event type.", err=True)
        return [event_type.sample for event_type in event_types()]

    click.echo(f"Sending the events in {folder}.", err=True)
    return read_folder(folder)


def _start(
    arguments: list[str], env: dict[str, str], processes: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    processes.append(process)
    return process


def _wait_for_url(stream: IO[str] | None, pattern: str) -> str:
    """Read a child's output until it announces its URL; then keep draining it."""
    lines: queue.Queue[str] = queue.Queue()

    def _pump() -> None:
        for line in iter(stream.readline, ""):  # type: ignore[union-attr]
            lines.put(line)

    threading.Thread(target=_pump, daemon=True).start()
    deadline = time.monotonic() + STARTUP_SECONDS
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match.group(1).rstrip("/")

    raise EventhubError("A demo process did not start:\n" + "".join(seen[-20:]))


def _wait_for_deliveries(api: _Api, expected: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + DELIVERY_SECONDS
    while True:
        rows = api.call("GET", "/v1/deliveries?limit=500")
        done = [row for row in rows if row["status"] != "pending"]
        if len(done) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def _report(rows: list[dict[str, Any]], received_file: Path) -> None:
    received: dict[str, dict[str, Any]] = {}
    if received_file.exists():
        for line in received_file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            received[entry["webhookId"]] = entry

    table = []
    for row in sorted(rows, key=lambda item: item["eventType"]):
        entry = received.get(row["event"])
        table.append(
            {
                "event type": row["eventType"],
                "event id": row["event"],
                "status": row["status"],
                "attempts": row["attempts"],
                "signature": "verified"
                if entry and entry["verified"]
                else "NOT verified",
            }
        )

    echo_table(table, ["event type", "event id", "status", "attempts", "signature"])
    delivered = sum(1 for row in table if row["status"] == "delivered")
    verified = sum(1 for row in table if row["signature"] == "verified")
    click.echo(
        f"\n{delivered} of {len(table)} events delivered; {verified} signatures "
        "verified by the standardwebhooks package."
    )
    if delivered != len(table) or verified != len(table):
        raise SystemExit(1)
