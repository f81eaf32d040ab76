"""Fixtures for the Zapier tests: events to send, the served hub, Zapier's runtime.

Zapier's runtime is the npm package ``zapier-platform-core``, run by
``node/run.js`` with the versions pinned in ``node/package-lock.json``. Tests
that need it skip, saying how to install it, when Node.js or the packages are
missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connector.catalogue import get_event_type
from connector.delivery.worker import drain
from connector.hub import Hub
from connectors.zapier.definition import DEFINITION_PATH
from tests.conftest import ORGANISATION
from tests.support.served import ServedHub

NODE_DIR = Path(__file__).with_name("node")
INSTALL = "npm ci --prefix tests/zapier/node"

# Variables that would let zapier-platform-core talk to Zapier's servers.
ZAPIER_VARIABLES = ("LOGGING_TOKEN", "LOGGING_ENDPOINT", "ZAPIER_DEPLOY_KEY")


def make_event(key: str, organisation: str = ORGANISATION) -> dict[str, Any]:
    """The catalogue sample of ``key``, with a fresh id, for ``organisation``."""
    event = get_event_type(key).sample
    event["id"] = str(uuid.uuid4())
    event["organisation"] = {"id": organisation, "name": "Kauri Training"}
    return event


def deliver_due(hub: Hub, **overrides: Any) -> int:
    """Deliver everything due now, in this thread."""
    return drain(hub.database, hub.registry, hub.settings.override(**overrides))


@dataclass
class ZapierRuntime:
    """Runs ``node/run.js``: Zapier's runtime, on loopback only."""

    node: str

    def validate(self, definition: Path = DEFINITION_PATH) -> dict[str, Any]:
        """Zapier's validation of a definition: app, schema and each trigger."""
        return self._run({"command": "validate", "definition": str(definition)})

    def invoke(
        self,
        method: str,
        bundle: dict[str, Any],
        definition: Path = DEFINITION_PATH,
    ) -> dict[str, Any]:
        """Run one step, such as ``authentication.test``, with ``bundle``."""
        return self.invoke_all([(method, bundle)], definition)[0]

    def invoke_all(
        self,
        calls: list[tuple[str, dict[str, Any]]],
        definition: Path = DEFINITION_PATH,
    ) -> list[dict[str, Any]]:
        """Run several steps in order in one runtime; one result each."""
        answer = self._run(
            {
                "command": "invoke",
                "definition": str(definition),
                "calls": [
                    {"method": method, "bundle": bundle} for method, bundle in calls
                ],
            }
        )
        return answer["results"]

    def _run(self, request: dict[str, Any]) -> dict[str, Any]:
        answer = self.run_raw(request)
        assert answer["refused"] == [], "the runtime tried to leave loopback"
        return answer

    def run_raw(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run ``run.js`` and return its answer, refused connections and all."""
        environment = {
            name: value
            for name, value in os.environ.items()
            if name not in ZAPIER_VARIABLES
        }
        environment["NODE_ENV"] = "test"

        completed = subprocess.run(
            [self.node, str(NODE_DIR / "run.js")],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=environment,
            cwd=NODE_DIR,
            timeout=120,
            check=False,
        )

        try:
            return json.loads(completed.stdout)
        except ValueError:
            pytest.fail(f"run.js gave no answer; its stderr:\n{completed.stderr}")


@pytest.fixture(scope="session")
def zapier_runtime() -> ZapierRuntime:
    """Zapier's runtime, installed from the lockfile on first use.

    Without Node.js the tests skip, saying so; in CI (``CI`` set) they fail
    instead, so that the real-client tests can never be skipped unnoticed.
    """
    node = shutil.which("node")
    if node is None:
        _unavailable(
            f"Node.js is not installed; install Node.js 18+, then run: {INSTALL}"
        )
    if not (NODE_DIR / "node_modules" / "zapier-platform-core").is_dir():
        _install_runtime()

    return ZapierRuntime(node)


def _install_runtime() -> None:
    npm = shutil.which("npm")
    if npm is None:
        _unavailable(f"npm is not installed, so the runtime cannot be; run: {INSTALL}")

    completed = subprocess.run(
        [npm, "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        _unavailable(f"{INSTALL} failed:\n{completed.stderr[-2000:]}")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def api(hub: Hub) -> Iterator[ServedHub]:
    """The real app under waitress on 127.0.0.1; deliveries run when a test says."""
    running = ServedHub(hub, workers=False).start()
    yield running
    running.stop()


@pytest.fixture
def auth_data(api: ServedHub, key: str) -> dict[str, str]:
    """What a Zapier user enters when connecting: the hub's address and a key."""
    return {"base_url": api.url, "api_key": key}
