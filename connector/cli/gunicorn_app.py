"""``eventhub web`` under gunicorn: several processes answering the API.

gunicorn's master process binds the socket, forks the web processes and, on
SIGTERM, stops accepting and gives each process up to ``graceful_seconds`` to
finish the requests it is handling: an event being ingested is committed and
answered ``202`` before its process exits. Each process uses the ``gthread``
worker, so one slow request (a large batch being stored) does not hold up the
others.

The app is built in each web process after the fork, never before: a
database connection pool must not be shared between processes.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from connector.config import Settings
from connector.hub import Hub
from connector.store import open_database
from connector.web import create_app

logger = logging.getLogger(__name__)

# Seconds an idle kept-alive connection stays open; load balancers in front
# usually keep theirs longer, and reusing a connection saves a handshake.
KEEPALIVE_SECONDS = 5


class WebApplication(BaseApplication):  # type: ignore[misc]
    """The API under gunicorn, configured from eventhub's own settings.

    Args:
        settings: How the web processes run (database, processes, threads).
        host: The address to bind.
        port: The port to bind; 0 asks the system for a free one.
    """

    def __init__(self, settings: Settings, host: str, port: int) -> None:
        self.settings = settings
        self.host = host
        self.port = port
        self.address = ""
        super().__init__()

    def load_config(self) -> None:
        """Set gunicorn's options; nothing is read from its own command line."""
        address = f"[{self.host}]" if ":" in self.host else self.host
        options: dict[str, Any] = {
            "bind": [f"{address}:{self.port}"],
            "workers": max(1, self.settings.web_processes),
            "worker_class": "gthread",
            "threads": max(1, self.settings.web_threads),
            "graceful_timeout": math.ceil(self.settings.graceful_seconds),
            "keepalive": KEEPALIVE_SECONDS,
            "loglevel": self.settings.log_level.lower(),
            "accesslog": None,
            "proc_name": "eventhub-web",
            # gunicorn's control socket lives at one path per user; two hubs
            # on one machine would fight over it, and eventhub does not use it.
            "control_socket_disable": True,
            "when_ready": _note_address,
            "post_worker_init": _announce,
        }
        for name, value in options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        """Build the app in a web process; the master has upgraded the schema."""
        database = open_database(self.settings.database_url, upgrade=False)
        return create_app(Hub(settings=self.settings, database=database))


def _note_address(server: Any) -> None:
    # The bound port, not the asked one: with port 0 the system chose it.
    application = server.app
    for listener in server.LISTENERS:
        name = listener.getsockname()
        if isinstance(name, tuple):
            host = application.host
            shown = f"[{host}]" if ":" in host else host
            application.address = f"http://{shown}:{name[1]}"


def _announce(worker: Any) -> None:
    # Printed by the first web process once its app is loaded, so that tests
    # and scripts reading this line may send requests at once and be answered
    # without waiting for a process still starting.
    if worker.age == 1:
        click.echo(f"eventhub serving on {worker.app.address}")
